#!/bin/bash
# accel.sh KERNEL: print the qemu accelerator to use, kvm or tcg.
# KVM is used only when it really boots a kernel: on some hosts /dev/kvm
# exists but guests hang in firmware (nested virtualisation without the
# CPU features qemu asks for). A kernel booted with earlyprintk prints its
# banner within a second under KVM, so 4 s without a banner means "no".
# The answer is cached per host kernel, qemu version and probe kernel.
# LAB_ACCEL=kvm|tcg skips the probe.
set -euo pipefail
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || lab_usage_error "usage: accel.sh KERNEL"
kernel=$1
case "${LAB_ACCEL:-auto}" in
  kvm|tcg) echo "$LAB_ACCEL"; exit 0 ;;
  auto) ;;
  *) lab_usage_error "LAB_ACCEL=$LAB_ACCEL: expected kvm, tcg or auto" ;;
esac
if [ ! -w /dev/kvm ]; then echo tcg; exit 0; fi

key=$( { uname -r; qemu-system-x86_64 --version | head -n1; lab_sha256 "$kernel"; } | sha256sum | cut -c1-16)
cache="$LAB_CACHE/accel/$key"
if [ -s "$cache" ]; then cat "$cache"; exit 0; fi

lab_tmpdir probe
: >"$probe/console.log"
qemu-system-x86_64 -accel kvm -m 256 -smp 1 -nodefaults -display none -monitor none \
  -no-reboot -kernel "$kernel" -append "earlyprintk=ttyS0 console=ttyS0 panic=-1" \
  -serial "file:$probe/console.log" >"$probe/qemu.log" 2>&1 &
qemu=$!
lab_on_exit "lab_stop_pid $qemu"
answer=tcg
for _ in $(seq 40); do
  if grep -q 'Linux version' "$probe/console.log"; then answer=kvm; break; fi
  kill -0 "$qemu" 2>/dev/null || break
  sleep 0.1
done
lab_stop_pid "$qemu"
mkdir -p "$(dirname "$cache")"
echo "$answer" >"$cache.tmp" && mv "$cache.tmp" "$cache"
echo "$answer"
