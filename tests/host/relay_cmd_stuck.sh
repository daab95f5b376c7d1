#!/bin/sh
# --relay-cmd judges a foreign program from what the kernel shows of it.
# A small Python relay splices socket->pipe with flags 0 into a one-page
# pipe it never reads: on every kernel the call sleeps in splice with data
# queued, and the cell is `blocked` naming the thread, the call, the kernel
# frames and the bytes queued on its source socket (read from
# /proc/PID/net/tcp by inode: the runner holds none of its fds). The same
# relay with SPLICE_F_NONBLOCK retried at once is `spin`. Its process group
# is killed and reaped after each cell. A one-shot relay that exits once it
# copied everything is ok.
# shellcheck source=tests/host/lib.sh
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 missing for the stuck relay"
python3 -c 'import os; os.splice' 2>/dev/null || skip "this python3 has no os.splice (3.10+)"
# The relays are small Python programs beside this test (relays/).
relays=$(cd "$(dirname "$0")" && pwd)/relays

run_matrix "$work/blocked" --relay-cmd "$relays/stuck-relay blocked {listen} {upstream}" -n 4M
f=$work/blocked
expect "$(q "$f" '.cells[0].outcome')" blocked "a relay asleep in splice into a full pipe"
expect "$(q "$f" '.cells[0].evidence.thread.syscall')" splice "the thread's call"
expect_gt "$(q "$f" '.cells[0].evidence.src_rcv_queue')" 0 "bytes queued on its source socket"
expect "$(q "$f" '.cells[0].evidence.pipe_bytes')" 4096 "bytes in its one-page pipe"
tid=$(q "$f" '.cells[0].evidence.thread.tid')
expect_match "$(q "$f" '.cells[0].evidence.note')" "^thread $tid of process [0-9]+ asleep in splice\\(socket->pipe\\).*bytes queued on its source socket \\(socket fd [0-9]+ 127\\.0\\.0\\.1:" "the note names thread, call and socket"
if [ "$(id -u)" -eq 0 ]; then
  expect_match "$(q "$f" '.cells[0].evidence.thread.stack | join(" ")')" 'splice' "its kernel stack"
fi

run_matrix "$work/spin" --relay-cmd "$relays/stuck-relay spin {listen} {upstream}" -n 4M
expect "$(q "$work/spin" '.cells[0].outcome')" spin "SPLICE_F_NONBLOCK retried on a full pipe"
expect_match "$(q "$work/spin" '.cells[0].evidence.note')" 'ms of CPU' "the spin's evidence"

# A one-shot relay (copies one connection, then exits) is judged by the
# streams, not by its exit: ok when every byte arrived.
run_matrix "$work/one-shot-run" --relay-cmd "$relays/one-shot {listen} {upstream}" -n 16M
expect "$(q "$work/one-shot-run" '.cells[0].outcome')" ok "a relay that exits after copying everything"
expect "$(q "$work/one-shot-run" '.cells[0].bytes_verified')" 16777216 "its bytes verified"

sleep 0.2
expect "$(pgrep -f "$relays/stuck-relay" | tr '\n' ' ')" "" "stuck relays left running"
