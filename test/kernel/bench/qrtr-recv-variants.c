/*
 * Diagnostic for docs/performance.md ("AF_QIPCRTR datagrams/s", rounds 2 and 4) (not part of the bench): the per-datagram cost of
 * the receive syscalls the addon could use, in C, so that no JavaScript or N-API is in
 * the figure. Bursts of 32 64-byte sendto() between two AF_QIPCRTR sockets, received by
 * 32 recv() into one buffer (what qrtr-pingpong.c does), one recvmmsg(32) into 64 KiB
 * slots with source address and control buffer (what the addon's recvBatch did before
 * round 4), 32 recvfrom() into slots, 32 recvmsg(), or one recvmmsg(32) whose slots are
 * a 1 KiB head in a dense run plus the rest in a side buffer (recvBatch since round 4);
 * both recvmmsg variants then pack the datagrams as recvBatch does. The five alternate
 * in 0.5 s windows.
 * Build with `gcc -O2` on the host and run it in the guest (argument: rotations), e.g. as
 * the job of test/kernel/harness/vm.ts runVm().
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/qrtr.h>
static double now(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + ts.tv_nsec / 1e9; }
static int open_bound(struct sockaddr_qrtr *addr) {
  int fd = socket(AF_QIPCRTR, SOCK_DGRAM, 0); socklen_t len = sizeof(*addr);
  memset(addr, 0, sizeof(*addr)); addr->sq_family = AF_QIPCRTR; addr->sq_node = 1;
  bind(fd, (struct sockaddr *)addr, sizeof(*addr)); getsockname(fd, (struct sockaddr *)addr, &len); return fd;
}
static char *area, *side; static char sbuf[64];
#define HEAD 1024
static struct mmsghdr msgs[32]; static struct iovec iovs[32][2]; static struct sockaddr_qrtr addrs[32]; static char ctl[32][64];
/* 64-byte datagrams only: each moves down from its slot, as in recvBatch. */
static void pack(size_t stride) { size_t packed = 0; for (int i = 0; i < 32; i++) { if (packed != i * stride) memmove(area + packed, area + i * stride, msgs[i].msg_len); packed += msgs[i].msg_len; } }
static double run(int mode, int a, int b, struct sockaddr_qrtr *bad, double secs) {
  long n = 0; double s = now(), e = s + secs;
  while (now() < e) {
    for (int i = 0; i < 32; i++) sendto(a, sbuf, 64, MSG_DONTWAIT, (struct sockaddr *)bad, sizeof(*bad));
    if (mode == 0) { for (int i = 0; i < 32; i++) if (recv(b, area, 65536, 0) != 64) exit(2); }
    else if (mode == 1) {
      memset(msgs, 0, sizeof(msgs));
      for (int i = 0; i < 32; i++) { iovs[i][0].iov_base = area + (size_t)i * 65536; iovs[i][0].iov_len = 65536; msgs[i].msg_hdr.msg_name = &addrs[i]; msgs[i].msg_hdr.msg_namelen = sizeof(addrs[i]); msgs[i].msg_hdr.msg_iov = iovs[i]; msgs[i].msg_hdr.msg_iovlen = 1; msgs[i].msg_hdr.msg_control = ctl[i]; msgs[i].msg_hdr.msg_controllen = 64; }
      if (recvmmsg(b, msgs, 32, MSG_DONTWAIT, NULL) != 32) exit(3);
      pack(65536);
    } else if (mode == 4) {
      memset(msgs, 0, sizeof(msgs));
      for (int i = 0; i < 32; i++) { iovs[i][0].iov_base = area + (size_t)i * HEAD; iovs[i][0].iov_len = HEAD; iovs[i][1].iov_base = side + (size_t)i * 65536; iovs[i][1].iov_len = 65536 - HEAD; msgs[i].msg_hdr.msg_name = &addrs[i]; msgs[i].msg_hdr.msg_namelen = sizeof(addrs[i]); msgs[i].msg_hdr.msg_iov = iovs[i]; msgs[i].msg_hdr.msg_iovlen = 2; msgs[i].msg_hdr.msg_control = ctl[i]; msgs[i].msg_hdr.msg_controllen = 64; }
      if (recvmmsg(b, msgs, 32, MSG_DONTWAIT, NULL) != 32) exit(6);
      pack(HEAD);
    } else if (mode == 2) { for (int i = 0; i < 32; i++) { socklen_t l = sizeof(addrs[0]); if (recvfrom(b, area + (size_t)i * 65536, 65536, MSG_DONTWAIT, (struct sockaddr *)&addrs[i], &l) != 64) exit(4); } }
    else { for (int i = 0; i < 32; i++) { struct msghdr m = {0}; struct iovec v = { area + (size_t)i * 65536, 65536 }; m.msg_name = &addrs[i]; m.msg_namelen = sizeof(addrs[i]); m.msg_iov = &v; m.msg_iovlen = 1; m.msg_control = ctl[i]; m.msg_controllen = 64; if (recvmsg(b, &m, MSG_DONTWAIT) != 64) exit(5); } }
    n += 32;
  }
  return n / (now() - s);
}
int main(int argc, char **argv) {
  area = malloc(32 * 65536); memset(area, 0, 32 * 65536); side = malloc(32 * 65536); memset(side, 0, 32 * 65536);
  struct sockaddr_qrtr aa, ba; int a = open_bound(&aa), b = open_bound(&ba);
  const char *names[] = { "recv", "recvmmsg", "recvfrom", "recvmsg", "recvmmsg-dense" };
  for (int w = 0; w < 5; w++) run(w, a, b, &ba, 0.3);
  int rounds = argc > 1 ? atoi(argv[1]) : 12;
  for (int r = 0; r < rounds; r++) {
    double x[5];
    for (int j = 0; j < 5; j++) { int m = (r + j) % 5; x[m] = run(m, a, b, &ba, 0.5); }
    printf("DIAG");
    for (int m = 0; m < 5; m++) printf(" %s %.0f", names[m], x[m]);
    printf("  mmsg/recv %.2f recvfrom/recv %.2f recvmsg/recv %.2f mmsg-dense/recv %.2f\n", x[1] / x[0], x[2] / x[0], x[3] / x[0], x[4] / x[0]);
    fflush(stdout);
  }
  return 0;
}
