# check: should exchange datagrams between Python AF_QIPCRTR sockets (the benchmark's baseline path)
import os
import socket
import sys

if not hasattr(socket, "AF_QIPCRTR"):
    print("this python has no socket.AF_QIPCRTR")
    sys.exit(77)

a = socket.socket(socket.AF_QIPCRTR, socket.SOCK_DGRAM)
b = socket.socket(socket.AF_QIPCRTR, socket.SOCK_DGRAM)
b.bind((1, 0))
a.bind((1, 0))
node_b, port_b = b.getsockname()
assert node_b == 1 and 0x4000 <= port_b <= 0x7FFF, (node_b, port_b)
b.settimeout(5)
for size in (1, 4, 1000, 65535):
    payload = os.urandom(size)
    a.sendto(payload, (1, port_b))
    data, source = b.recvfrom(70000)
    assert data == payload, size
    assert source == a.getsockname(), (source, a.getsockname())
print("ok")
