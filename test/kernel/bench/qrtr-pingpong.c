/*
 * Baseline for bench/kernel.bench.ts: two AF_QIPCRTR sockets in one process, plain
 * blocking syscalls. Driven by pingpong-rounds: prints QRTRD-BENCH-READY, then for every
 * line on stdin (a number of seconds) measures both for that long and prints one line,
 * QRTRD-BENCH {"impl":"c",...}. Exits at end of input.
 *   latency: A -> B -> A round trips of 64-byte datagrams
 *   throughput: bursts of WINDOW datagrams A -> B, each burst drained before the next
 * (local delivery has no flow control: an unpaced sender only gets ENOSPC).
 * --throughput-only skips the latency loop (rttUs 0): stream-ab.ts pairs only throughput.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/qrtr.h>

#define WINDOW 32
#define SIZE 64

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_bound(struct sockaddr_qrtr *addr) {
  int fd = socket(AF_QIPCRTR, SOCK_DGRAM, 0);
  if (fd < 0) { perror("socket"); exit(1); }
  socklen_t len = sizeof(*addr);
  memset(addr, 0, sizeof(*addr));
  addr->sq_family = AF_QIPCRTR;
  addr->sq_node = 1;
  if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) < 0) { perror("bind"); exit(1); }
  if (getsockname(fd, (struct sockaddr *)addr, &len) < 0) { perror("getsockname"); exit(1); }
  return fd;
}

static void xsend(int fd, const struct sockaddr_qrtr *to, const char *buf) {
  if (sendto(fd, buf, SIZE, 0, (const struct sockaddr *)to, sizeof(*to)) != SIZE) { perror("sendto"); exit(1); }
}

static void xrecv(int fd, char *buf) {
  if (recv(fd, buf, 65536, 0) != SIZE) { perror("recv"); exit(1); }
}

static int throughput_only;

static void measure(int a, int b, const struct sockaddr_qrtr *a_addr, const struct sockaddr_qrtr *b_addr, double seconds) {
  static char buf[65536];
  memset(buf, 0x5a, SIZE);

  long trips = 0;
  double start = now(), end = start + seconds;
  while (!throughput_only && now() < end) {
    for (int i = 0; i < 64; i++, trips++) {
      xsend(a, b_addr, buf);
      xrecv(b, buf);
      xsend(b, a_addr, buf);
      xrecv(a, buf);
    }
  }
  double rtt_us = trips > 0 ? (now() - start) / trips * 1e6 : 0;

  long sent = 0;
  start = now();
  end = start + seconds;
  while (now() < end) {
    for (int i = 0; i < WINDOW; i++) xsend(a, b_addr, buf);
    for (int i = 0; i < WINDOW; i++) xrecv(b, buf);
    sent += WINDOW;
  }
  double rate = sent / (now() - start);
  printf("QRTRD-BENCH {\"impl\":\"c\",\"rttUs\":%.2f,\"trips\":%ld,\"datagramsPerSecond\":%.0f,\"datagrams\":%ld}\n", rtt_us, trips, rate, sent);
  fflush(stdout);
}

int main(int argc, char **argv) {
  throughput_only = argc > 1 && strcmp(argv[1], "--throughput-only") == 0;
  struct sockaddr_qrtr a_addr, b_addr;
  int a = open_bound(&a_addr), b = open_bound(&b_addr);
  char line[64];
  printf("QRTRD-BENCH-READY\n");
  fflush(stdout);
  while (fgets(line, sizeof(line), stdin) != NULL) measure(a, b, &a_addr, &b_addr, atof(line));
  close(a);
  close(b);
  return 0;
}
