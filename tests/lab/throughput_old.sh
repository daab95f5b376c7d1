#!/bin/bash
# The throughput scenario in CentOS 7.9's kernel (3.10.0-1160.el7, the
# oldest of the lab's shelf) under qemu TCG, through the lab as `make lab
# MATRIX=...` runs it: two cells (64 KiB and 1 MiB pipes, 4 MiB in
# transfers of 64 KiB) of all 8 methods, asserted as on the host
# (throughput_lib.sh): ok with every byte verified, sane figures, the
# ratios present, one pipe per transfer fresh and one pooled. Only counts
# and ratios are asserted: TCG's MiB/s say nothing about the kernel.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/host/throughput_lib.sh
. "$(dirname "$0")/../host/throughput_lib.sh"
need_tools
need_qemu
el7=3.10.0-1160.el7.x86_64
need_shelf "bzImage-$el7"
res="$work/results"
lab --accel tcg --probes off --no-tables -o "$res" --matrix "-s throughput -p 64K,1M -c 64K -n 4M" \
  "$shelf/bzImage-$el7" >"$work/stdout" 2>"$work/stderr" ||
  fail "lab exited $?: $(tail -n 20 "$work/stderr")"
no_stray_qemu "after the run"
no_leftovers "$res" "after the run"
m=$(find "$res" -path "*$el7*" -name matrix.json | head -n 1)
[ -n "$m" ] || fail "no matrix.json for $el7 under $res: $(ls "$res")"
dir=$(dirname "$m")
expect "$(q "$dir" .env.kernel_release)" "$el7" "the guest's kernel"
expect "$(q "$dir" '.cells | length')" 2 "cells"
check_throughput "$dir" "$el7"
