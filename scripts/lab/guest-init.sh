#!/bin/busybox sh
# shellcheck shell=dash
# /init of the lab guest (PID 1 in the initramfs built by initramfs.sh).
# Mounts what the kernel offers, records its features, runs the command in
# /lab/cmd, and sends /lab/out back over the second serial port (ttyS1):
#   SPLICELAB-ALIVE uptime=S            as soon as user space runs
#   SPLICELAB-FRAME bytes=N sha256=H    then base64 of out.tar.gz, then
#   SPLICELAB-FRAME-END
#   SPLICELAB-EXIT rc=N                 the command's exit status
# then powers off. If anything here dies, the kernel panics (init exited),
# qemu exits (panic=-1, -no-reboot) and the host reports "guest died".
# Kernel parameters read: splicelab.virt=KIND, splicelab.timeout=SECONDS.
/bin/busybox mkdir -p /bin /proc /sys /dev /tmp
/bin/busybox --install -s /bin
export PATH=/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mdev -s
mount -t tmpfs tmpfs /tmp

# Raw mode: no newline translation, no echo, on the results port. Without
# it nothing can come back: say so on the console and stop at once.
port=/dev/ttyS1
if [ ! -c "$port" ]; then
  echo "splicelab: no $port, so no way to send results back (a kernel with one 8250 UART? vm-run passes 8250.nr_uarts=2)" >/dev/console
  poweroff -f
fi
stty -F "$port" raw -echo 115200 2>/dev/null
echo "SPLICELAB-ALIVE uptime=$(cut -d' ' -f1 /proc/uptime)" >"$port"

param() { tr ' ' '\n' </proc/cmdline | sed -n "s/^splicelab\.$1=//p" | tail -n1; }
LAB_VIRT=$(param virt)
timeout_s=$(param timeout)
export LAB_VIRT

# Where the kernel has them: tracing, debugfs, bpffs (the probes need them).
mount_if() { [ -d "$2" ] && mount -t "$1" "$1" "$2" 2>/dev/null; }
mount_if debugfs /sys/kernel/debug
mount_if tracefs /sys/kernel/tracing
mount_if bpf /sys/fs/bpf
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up

out=/lab/out
mkdir -p "$out" /tmp/lab
/lab/features.sh >"$out/guest-features.txt" 2>&1
[ ! -r /proc/config.gz ] || cp /proc/config.gz "$out/config.gz"

# The command, bounded inside the guest so its files still come back when
# it hangs (the host's own limit is longer).
cd /tmp/lab || cd /
if [ -n "$timeout_s" ]; then
  timeout "$timeout_s" sh /lab/cmd >"$out/cmd.log" 2>&1
else
  sh /lab/cmd >"$out/cmd.log" 2>&1
fi
rc=$?
echo "$rc" >"$out/exit-status"
while read -r path; do
  [ -n "$path" ] || continue
  cp -a "$path" "$out/" 2>/dev/null || echo "$path" >>"$out/fetch-missing.txt"
done </lab/fetch

tar -c -C "$out" . | gzip -1 >/tmp/out.tar.gz
{
  echo "SPLICELAB-FRAME bytes=$(wc -c </tmp/out.tar.gz) sha256=$(sha256sum /tmp/out.tar.gz | cut -d' ' -f1)"
  base64 /tmp/out.tar.gz
  echo "SPLICELAB-FRAME-END"
  echo "SPLICELAB-EXIT rc=$rc"
} >"$port"
sync
poweroff -f
