#!/bin/busybox sh
# PID 1 of the qrtrd test VM (packed into the initramfs by kernel-artefacts.ts).
# Loads virtio/9p/QRTR modules, mounts the host's root read-only and the writable
# results share, then runs the job the host wrote into that share, chrooted into
# the host's userspace. The host reads QRTRD-GUEST-EXIT to tell pass from fail.
/bin/busybox mkdir -p /proc /sys /dev /mnt /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fail() {
  echo "QRTRD-GUEST-ERROR $*"
  echo "QRTRD-GUEST-EXIT 125"
  poweroff -f
}

# Some modules depend on others later in the list: a few passes settle the order.
for pass in 1 2 3; do
  for ko in $(cat /lib/qrtrd/modules.order); do
    insmod "/lib/qrtrd/$ko.ko" 2>/dev/null
  done
done
grep -q '^qrtr ' /proc/modules || fail "qrtr.ko did not load"
grep -q '^qrtr_tun ' /proc/modules || fail "qrtr-tun.ko did not load"
grep -q '^9p ' /proc/modules || fail "9p.ko did not load"

mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /mnt || fail "mounting the host root over 9p"
mount -t proc proc /mnt/proc
mount -t sysfs sysfs /mnt/sys
mount -t devtmpfs devtmpfs /mnt/dev
mkdir -p /mnt/dev/shm /mnt/dev/pts
mount -t tmpfs tmpfs /mnt/dev/shm
mount -t tmpfs tmpfs /mnt/run || fail "mounting /run"
mkdir -p /mnt/run/qrtrd
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /mnt/run/qrtrd || fail "mounting the results share"
[ -c /mnt/dev/qrtr-tun ] || fail "/dev/qrtr-tun is missing"

echo "QRTRD-GUEST-BEGIN $(cat /proc/sys/kernel/osrelease)"
chroot /mnt /bin/sh /run/qrtrd/job.sh
status=$?
sync
umount /mnt/run/qrtrd 2>/dev/null
echo "QRTRD-GUEST-EXIT $status"
poweroff -f
