#!/bin/sh
# splicelab-doctor on real relays kept alive on this kernel (the fixture in
# tests/host/doctor_fixture.c), as root and as an unprivileged user
# diagnosing its own process (no kernel stack then, the same verdict):
#   blocked   socket->pipe splice, flags 0, the pipe never read: asleep in
#             splice with bytes queued on the socket and in the pipe (over
#             127.0.0.1, and over ::1 once)
#   spin      the same with SPLICE_F_NONBLOCK retried at once: CPU, no sleep
#   stalled   EAGAIN then an edge-triggered epoll_wait: asleep, bytes queued
#   progress  a paced stream socket->pipe->/dev/null: moving
#   sleep     not a relay: not in splice
# shellcheck source=tests/host/doctor_lib.sh
. "$(dirname "$0")/doctor_lib.sh"

check_blocked() { # FILE WHO
  expect "$(j "$1" .verdict)" "blocked in splice" "$2 blocked: process verdict"
  t='.threads[] | select(.verdict == "blocked in splice")'
  expect "$(j "$1" "[$t] | length")" 1 "$2 blocked: threads blocked"
  expect "$(j "$1" "$t | .syscall[1]")" splice "$2 blocked: the thread's syscall"
  expect "$(j "$1" "$t | .splice.in.kind + \">\" + .splice.out.kind")" "socket>pipe" "$2 blocked: the ends"
  expect "$(j "$1" "$t | .splice.flags | length")" 0 "$2 blocked: splice flags"
  expect_gt "$(j "$1" "$t | .splice.in.rx_queue")" 0 "$2 blocked: bytes queued on the socket"
  expect_gt "$(j "$1" "$t | .splice.out.pipe_bytes")" 0 "$2 blocked: bytes in the pipe"
  expect "$(j "$1" "$t | .splice.out.pipe_size")" 65536 "$2 blocked: the pipe's size"
  expect_match "$(j "$1" "$t | .splice.in.local")" '^127\.0\.0\.1:[0-9]+$' "$2 blocked: socket address"
  expect "$(j "$1" "$t | .woken")" 0 "$2 blocked: woken in the window"
  expect "$(j "$1" .program.kind)" other "$2 blocked: not a Go program"
  expect_match "$(j "$1" .program.note)" 'doctor-fixture' "$2 blocked: the binary is named"
}

start_fixture blocked
doctor_json "$work/blocked.json"
check_blocked "$work/blocked.json" root
stack=$(j "$work/blocked.json" '.threads[0].stack // [] | join(" ")')
if [ -n "$stack" ]; then
  expect_match "$stack" 'wait_for_space|splice_to_pipe' "root blocked: the stack has the splice wait"
  # The regime comes from the stack, whatever the kernel's version says.
  if echo "$stack" | grep -q wait_for_space; then want='wait_for_space.*4\.9\+'; else want='splice_to_pipe.*pre-4\.9'; fi
  expect_match "$(j "$work/blocked.json" .regime)" "$want" "root blocked: the regime named from the stack"
else
  note "kernel stacks unreadable even as root here: regime not checked"
fi
stop_fixture

# Over IPv6: the socket is found in /proc/PID/net/tcp6.
DOCTOR_FIXTURE_IPV6=1 start_fixture blocked
doctor_json "$work/blocked6.json"
expect "$(j "$work/blocked6.json" .verdict)" "blocked in splice" "root blocked over ::1: process verdict"
expect_match "$(j "$work/blocked6.json" '.threads[0].splice.in.local')" '^\[::1\]:[0-9]+$' "root blocked over ::1: socket address"
expect_gt "$(j "$work/blocked6.json" '.threads[0].splice.in.rx_queue')" 0 "root blocked over ::1: bytes queued on the socket"
stop_fixture

if [ "$(id -u)" -eq 0 ]; then
  start_fixture blocked --nobody
  doctor_json "$work/blocked-nobody.json" --nobody
  check_blocked "$work/blocked-nobody.json" nobody
  expect "$(j "$work/blocked-nobody.json" '.threads[0].stack')" null "nobody blocked: no stack"
  expect "$(j "$work/blocked-nobody.json" '[.unreadable[].what] | index("/proc/PID/task/TID/stack") != null')" true \
    "nobody blocked: says the stack was unreadable"
  stop_fixture
fi

for who in root nobody; do
  as=""
  [ $who = nobody ] && { [ "$(id -u)" -eq 0 ] || continue; as=--nobody; }
  start_fixture spin $as
  doctor_json "$work/spin-$who.json" $as
  expect "$(j "$work/spin-$who.json" .verdict)" "spinning on EAGAIN" "$who spin: process verdict"
  expect_gt "$(j "$work/spin-$who.json" '.threads[0].cpu_ms | floor')" 10 "$who spin: CPU in the window (ms)"
  stop_fixture

  start_fixture stalled $as
  doctor_json "$work/stalled-$who.json" $as
  f=$work/stalled-$who.json
  expect "$(j "$f" .verdict)" "stalled waiting for readiness with data queued" "$who stalled: process verdict"
  expect "$(j "$f" '.threads[0].syscall[1]')" epoll_wait "$who stalled: the thread's syscall"
  expect "$(j "$f" '.threads[0].wait.edge_triggered')" true "$who stalled: edge-triggered"
  expect_gt "$(j "$f" '.threads[0].wait.watched[0].rx_queue')" 0 "$who stalled: bytes queued on the watched socket"
  stop_fixture

  start_fixture progress $as
  doctor_json "$work/progress-$who.json" $as
  expect "$(j "$work/progress-$who.json" .verdict)" "making progress" "$who progress: process verdict"
  stop_fixture
done

sleep 30 &
fixture_pid=$! job_pid=$!
doctor_json "$work/sleep.json"
expect "$(j "$work/sleep.json" .verdict)" "not in splice" "sleep: process verdict"
expect "$(j "$work/sleep.json" '.threads[0].syscall[1]')" clock_nanosleep "sleep: its syscall"
stop_fixture
