#!/bin/sh
# drain, flags none, a plain 64 KiB pipe: the pipe fills and the next
# splice sleeps in the kernel (wait_for_space on 4.9+, splice_to_pipe before).
. "$(dirname "$0")/lib.sh"
args="-s drain -p 64K -n 16M -f none --pipe-nonblock off -l busy"

check() { # check DIR WHO
  cell='.cells[0]'
  expect "$(q "$1" "$cell.outcome")" blocked "$2: outcome"
  expect "$(q "$1" "$cell.evidence.thread.syscall")" splice "$2: relay syscall"
  expect "$(q "$1" "$cell.evidence.thread.state")" S "$2: relay state"
  expect_gt "$(q "$1" "$cell.evidence.src_rcv_queue")" 0 "$2: bytes left in the socket"
  expect_gt "$(q "$1" "$cell.evidence.pipe_bytes")" 0 "$2: bytes in the pipe"
  # Every successful call is in per_call_bytes (fewer than 64 before full).
  expect "$(q "$1" "$cell.per_call_bytes | add")" "$(q "$1" "$cell.bytes_moved")" \
    "$2: per-call bytes add up to bytes moved"
  expect_gt "$(q "$1" "$cell.bytes_moved")" 65535 "$2: bytes moved before the pipe filled"
  expect "$(q "$1" "$cell.detected_after_ms | type")" number "$2: detection time recorded"
}

run_matrix "$work/root" $args
check "$work/root" root
if [ "$(q "$work/root" '.env.proc_stack_readable')" = true ]; then
  stack=$(q "$work/root" '.cells[0].evidence.thread.stack | join(" ")')
  expect_match "$stack" 'wait_for_space|splice_to_pipe' "kernel stack: the splice wait"
  expect_match "$stack" 'pipe_wait' "kernel stack: the pipe wait"
else
  note "kernel stack unreadable here; verdict from state, wchan and syscall"
fi

# Unprivileged: thinner evidence (no stack), the same verdict.
run_matrix_unprivileged "$work/user" $args
check "$work/user" unprivileged
if [ "$(id -u)" -eq 0 ]; then
  expect "$(q "$work/user" '.cells[0].evidence.thread.stack')" null "unprivileged: no stack"
  expect_match "$(q "$work/user" '.cells[0].evidence.thread.stack_note')" unreadable \
    "unprivileged: the stack note says why"
fi
