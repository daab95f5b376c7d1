#!/bin/bash
# config-check.sh CONFIG|SPEC: whether a kernel has, built in, what the lab
# guest needs. The guest loads no modules, so "=m" counts as missing.
# CONFIG is a kernel .config file; SPEC is anything kernel.sh takes
# (debian12, FILE.deb, FILE.rpm; a bare bzImage carries no config).
# Exit 0 everything the guest needs is built in; 1 something is missing
# (listed); 64 bad usage or no config to read.
set -euo pipefail
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

case "${1:-}" in
  -h|--help|"")
    if [ -z "${1:-}" ]; then lab_usage_error "usage: config-check.sh CONFIG|SPEC (see --help)"; fi
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
    exit 0 ;;
esac
[ $# -eq 1 ] || lab_usage_error "usage: config-check.sh CONFIG|SPEC"
config=$1
if ! { [ -f "$config" ] && grep -q '^CONFIG_' "$config" 2>/dev/null; }; then
  k=""
  lab_tmpdir k
  "$LAB_DIR/kernel.sh" "$1" "$k/kernel" || exit $?
  config="$k/kernel/config"
  [ -f "$config" ] || lab_usage_error "$1: no config in it (a bare image has none; check the kernel's .config or /proc/config.gz)"
fi

# need LEVEL OPTION WHAT: one line per option; LEVEL required|transport|probes.
missing=0
need() {
  local level=$1 option=$2 what=$3 value
  value=$(sed -n "s/^CONFIG_$option=//p" "$config" | head -n1)
  local state=missing
  case "$value" in
    y) state=ok ;;
    m) state="module (not loaded: the guest has no modules)" ;;
    "") ;;
    *) state="$value" ;;
  esac
  if [ "$option" = SERIAL_8250_NR_UARTS ]; then
    if [ -n "$value" ] && [ "$value" -ge 2 ]; then state=ok; else state="${value:-unset}: ttyS1 needs 2"; fi
  fi
  printf '%-10s CONFIG_%-28s %-4s %s\n' "$level" "$option" "$( [ "$state" = ok ] && echo ok || echo NO)" \
    "$what$( [ "$state" = ok ] || echo " ($state)")"
  if [ "$state" != ok ] && [ "$level" = required ]; then missing=$((missing + 1)); fi
  return 0
}

need required SERIAL_8250 "8250 UART: console on ttyS0, results on ttyS1"
need required SERIAL_8250_CONSOLE "kernel console on the 8250"
need required SERIAL_8250_NR_UARTS "room for 2 UARTs (ttyS1 carries the results; vm-run asks for 8250.nr_uarts=2)"
need required BLK_DEV_INITRD "initramfs"
need required RD_GZIP "gzip initramfs"
need required INET "TCP over loopback"
need required PROC_FS "/proc (the verdicts read the relay from it)"
need required SYSFS "/sys"
need useful DEVTMPFS "/dev (else busybox mdev fills it)"
need useful TMPFS "/tmp on tmpfs (else the initramfs)"
need useful STACKTRACE "/proc/PID/stack: the kernel stack in the evidence"
need transport IPV6 "tcp6 cells"
need transport UNIX "unix cells"
need probes BPF_SYSCALL "bpf(): kernel probes"
need probes BPF_EVENTS "BPF on kprobes and tracepoints"
need probes KPROBES "kprobes"
need probes KPROBE_EVENTS "tracefs kprobe events (legacy attach)"
need probes DEBUG_INFO_BTF "/sys/kernel/btf/vmlinux (else the probes need a BTF file)"
need probes FUNCTION_TRACER "fentry programs (with BPF_JIT)"
need probes BPF_JIT "fentry trampolines, speed"
if [ "$missing" -gt 0 ]; then
  echo "$missing required option(s) missing: this kernel will not boot or report in the lab" >&2
  exit 1
fi
