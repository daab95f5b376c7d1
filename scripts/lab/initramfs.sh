#!/bin/bash
# initramfs.sh ROOT OUT: complete the guest tree ROOT (which already holds
# /lab/cmd, /lab/fetch and the added tools) with static busybox, /init and
# the feature probe, and pack it as a gzip'd newc cpio OUT. gzip because
# every kernel from 2.6 on unpacks it (CONFIG_RD_GZIP).
set -euo pipefail
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || lab_usage_error "usage: initramfs.sh ROOT OUT"
root=$1 out=$2
busybox=${LAB_BUSYBOX:-/bin/busybox}

# The guest has no libc: a dynamic busybox would die as init (a panic).
[ -x "$busybox" ] || lab_fail 1 "no $busybox (install busybox-static: scripts/deps.sh lab)"
if ldd "$busybox" >/dev/null 2>&1; then
  lab_fail 1 "$busybox is dynamically linked; install busybox-static (scripts/deps.sh lab)"
fi

mkdir -p "$root/bin" "$root/lab" "$root/dev"
cp "$busybox" "$root/bin/busybox"
install -m 0755 "$LAB_DIR/guest-init.sh" "$root/init"
install -m 0755 "$LAB_DIR/guest-features.sh" "$root/lab/features.sh"
# splicelab records the distribution in env.os: here it is this initramfs.
mkdir -p "$root/etc"
printf '%s\n' 'PRETTY_NAME="splicelab lab guest (busybox initramfs)"' 'ID=splicelab-lab' >"$root/etc/os-release"
# Users for cells run as someone other than root (splicelab --as-user,
# busybox su for real programs): the kernel's per-user pipe accounting
# spares root, so the load cells need an unprivileged user.
printf '%s\n' 'root:x:0:0:root:/:/bin/sh' 'lab:x:1000:1000:lab:/tmp:/bin/sh' \
  'nobody:x:65534:65534:nobody:/:/bin/sh' >"$root/etc/passwd"
printf '%s\n' 'root:x:0:' 'lab:x:1000:' 'nogroup:x:65534:' >"$root/etc/group"
# The kernel opens /dev/console before /init runs; without devtmpfs
# mounted yet it must exist in the archive.
[ -e "$root/dev/console" ] || mknod -m 600 "$root/dev/console" c 5 1

(cd "$root" && find . -print | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$out"
