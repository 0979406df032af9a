#!/bin/sh
# check: should boot Linux with qrtr and qrtr-tun loaded, /dev/qrtr-tun present and qrtr-lookup answering
set -e
grep -q '^qrtr ' /proc/modules || { echo "qrtr.ko not loaded"; exit 1; }
grep -q '^qrtr_tun ' /proc/modules || { echo "qrtr-tun.ko not loaded"; exit 1; }
[ -c /dev/qrtr-tun ] || { echo "/dev/qrtr-tun missing"; exit 1; }
out=$(qrtr-lookup)
echo "$out"
echo "$out" | grep -q 'Service' || { echo "qrtr-lookup printed no table header"; exit 1; }
