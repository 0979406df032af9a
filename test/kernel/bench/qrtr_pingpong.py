# Python baseline for bench/kernel.bench.ts (same protocol as qrtr-pingpong.c): prints
# QRTRD-BENCH-READY, then measures for every line on stdin (seconds) and prints one line.
import json
import socket
import sys
import time

WINDOW = 32
SIZE = 64


def open_bound():
    s = socket.socket(socket.AF_QIPCRTR, socket.SOCK_DGRAM)
    s.bind((1, 0))
    return s, s.getsockname()


def measure(seconds):
    trips = 0
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        for _ in range(64):
            a.sendto(payload, b_addr)
            b.recv(65536)
            b.sendto(payload, a_addr)
            a.recv(65536)
            trips += 1
    rtt_us = (time.monotonic() - start) / trips * 1e6

    sent = 0
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        for _ in range(WINDOW):
            a.sendto(payload, b_addr)
        for _ in range(WINDOW):
            b.recv(65536)
        sent += WINDOW
    rate = sent / (time.monotonic() - start)
    print("QRTRD-BENCH " + json.dumps({"impl": "python", "rttUs": round(rtt_us, 2), "trips": trips, "datagramsPerSecond": round(rate), "datagrams": sent}), flush=True)


a, a_addr = open_bound()
b, b_addr = open_bound()
payload = b"\x5a" * SIZE
print("QRTRD-BENCH-READY", flush=True)
for line in sys.stdin:
    measure(float(line))
