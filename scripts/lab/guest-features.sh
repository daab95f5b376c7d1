#!/bin/busybox sh
# shellcheck shell=dash
# Runs in the lab guest: what this kernel offers the repro and the probes,
# as key=value lines (the host turns them into guest-features.json).
yn() { if "$@" 2>/dev/null; then echo yes; else echo no; fi; }
# have_each PREFIX NAME...: PREFIX_NAME=yes|no for each NAME found among
# the words read on stdin.
have_each() {
  prefix=$1; shift
  awk -v prefix="$prefix" -v names="$*" '
    BEGIN { n = split(names, want, " ") }
    { seen[$1] = 1 }
    END { for (i = 1; i <= n; i++) printf "%s_%s=%s\n", prefix, want[i], (want[i] in seen) ? "yes" : "no" }'
}
sysctl_value() { cat "/proc/sys/fs/$1" 2>/dev/null || echo absent; }

echo "kernel_release=$(uname -r)"
echo "kernel_version=$(uname -v)"
echo "nproc=$(nproc)"
echo "mem_kib=$(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo)"
echo "page_size=$(getconf PAGESIZE 2>/dev/null || echo 4096)"
echo "pipe_max_size=$(sysctl_value pipe-max-size)"
echo "pipe_user_pages_soft=$(sysctl_value pipe-user-pages-soft)"
echo "pipe_user_pages_hard=$(sysctl_value pipe-user-pages-hard)"
echo "btf_vmlinux=$(yn test -r /sys/kernel/btf/vmlinux)"
echo "bpffs=$(yn grep -q ' /sys/fs/bpf bpf' /proc/mounts)"
echo "config_gz=$(yn test -r /proc/config.gz)"

# Tracing lives in tracefs (4.1+) or under debugfs on older kernels.
tracing=none
for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
  if [ -e "$d/kprobe_events" ] || [ -e "$d/available_filter_functions" ]; then tracing=$d; break; fi
done
echo "tracing_dir=$tracing"
echo "kprobe_events=$(yn test -e "$tracing/kprobe_events")"
echo "kprobes_enabled=$(cat /sys/kernel/debug/kprobes/enabled 2>/dev/null || echo unknown)"

# The functions the probes want; a static one may be inlined away. One
# pass over each list: they are long and slow to read under TCG.
fns="splice_to_pipe add_to_pipe wait_for_space pipe_wait pipe_wait_writable
     splice_file_to_pipe do_splice tcp_splice_read skb_splice_bits"
# shellcheck disable=SC2086
{ awk '{ print $3 }' /proc/kallsyms; echo; } | have_each kallsyms $fns
if [ -r "$tracing/available_filter_functions" ]; then
  # shellcheck disable=SC2086
  { awk '{ print $1 }' "$tracing/available_filter_functions"; echo; } | have_each ftrace $fns
fi
