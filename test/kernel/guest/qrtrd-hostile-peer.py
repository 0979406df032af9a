"""Hostile peer for qrtrd-tun-bridge.check.ts (not a check itself).

Plays another remote node (42) on its own /dev/qrtr-tun fd and a local AF_QIPCRTR
client, and throws malformed and hostile-but-valid traffic at qrtrd's bridged nodes.
Prints one summary line; exits 1 if the kernel accepted a malformed packet or a send
to a bridged node stayed blocked (no RESUME_TX from the bridge).
"""
import errno
import os
import signal
import socket
import struct
import sys

CTRL = 0xFFFFFFFE
NODE = 42
targets = [tuple(int(x) for x in t.split(':')) for t in sys.argv[1].split(',')]
bridge_node = int(sys.argv[2])
unknown_node = int(sys.argv[3])


def packet(kind, src_node, src_port, dst_node, dst_port, payload, confirm=0):
    pad = b'\0' * (-len(payload) % 4)
    return struct.pack('<8I', 1, kind, src_node, src_port, confirm, len(payload), dst_node, dst_port) + payload + pad


def control(kind, a=0, b=0, c=0, d=0):
    return struct.pack('<5I', kind, a, b, c, d)


def on_alarm(_sig, _frame):
    print('FAIL: a send to a bridged node stayed blocked (no RESUME_TX)')
    sys.exit(1)


signal.signal(signal.SIGALRM, on_alarm)
tun = os.open('/dev/qrtr-tun', os.O_RDWR | os.O_NONBLOCK)
os.write(tun, packet(2, NODE, CTRL, 1, CTRL, control(2)))

malformed = [
    b'',
    b'\x01\x00\x00',
    bytes(33),
    struct.pack('<8I', 1, 1, NODE, 1, 0, 100, 1, 0x4000),
    struct.pack('<8I', 9, 1, NODE, 1, 0, 4, 1, 0x4000) + bytes(4),
    struct.pack('<8I', 1, 1, NODE, 1, 0, 0, 1, 0x4000),
    os.urandom(70000),
]
rejected = 0
for bad in malformed:
    try:
        os.write(tun, bad)
    except OSError as e:
        if e.errno in (errno.EINVAL, errno.ENOMEM):
            rejected += 1
if rejected != len(malformed):
    print(f'FAIL: the kernel accepted {len(malformed) - rejected} malformed packets')
    sys.exit(1)

# Hostile but valid control: DEL_CLIENT for other nodes (the kernel's name service refuses spoofing).
for node, port in targets + [(1, 0x4000), (bridge_node, 1)]:
    os.write(tun, packet(6, NODE, CTRL, 1, CTRL, control(6, node, port)))

# Garbage QMI and oversize datagrams to every bridged server, unknown ports, the bridge node.
s = socket.socket(socket.AF_QIPCRTR, socket.SOCK_DGRAM)
garbage = [b'\x00', b'\xff' * 7, os.urandom(300), b'\x00\x01\x00\x20\x00\xff\xff\x01\xff\xff', os.urandom(65535)]
sent = 0
signal.alarm(60)
for node, port in targets:
    for payload in garbage:
        s.sendto(payload, (node, port))
        sent += 1
    s.sendto(b'\x00\x00', (node, 0x7777))
    sent += 1
s.sendto(b'\x00', (bridge_node, 1))
sent += 1
# Past the kernel's flow-control window (10): only RESUME_TX from the bridge lets these through.
node, port = targets[0]
for i in range(40):
    s.sendto(bytes([0, i & 0xff, 0, 0]), (node, port))
    sent += 1
signal.alarm(0)
try:
    s.sendto(b'\x00', (unknown_node, 1))
    unknown = 'accepted'
except OSError as e:
    unknown = errno.errorcode.get(e.errno, str(e.errno))
s.close()
os.close(tun)
print(f'ok: {rejected} malformed rejected, {sent} hostile datagrams sent, unknown node: {unknown}')
