#!/bin/sh
# A runner that was not scheduled for a while (stopped, a starved or
# suspended VM) does not blame the cells for it: with the runner held in
# SIGSTOP for longer than --cell-timeout mid-run, every cell still gets the
# outcome it gets in an undisturbed run, not an ETIMEDOUT `error`.
. "$(dirname "$0")/lib.sh"
grid="-s drain -p 4K,64K -n 4K,1M,16M -f none,NONBLOCK --pipe-nonblock off,on -j 2 --cell-timeout 1500"
run_matrix "$work/calm" $grid
"$SPLICELAB" -q -o "$work/paused" $grid &
pid=$!
sleep 0.3
kill -STOP "$pid"
note "runner stopped for 3 s (--cell-timeout 1500 ms) with cells running"
sleep 3
kill -CONT "$pid"
wait "$pid" || fail "the paused run exited $?"
outcomes() { q "$1" '[.cells[] | .id + " " + .outcome] | join("\n")'; }
expect "$(q "$work/paused" '[.cells[] | select(.outcome == "error")] | length')" 0 "error cells after the pause"
expect "$(outcomes "$work/paused")" "$(outcomes "$work/calm")" "outcomes with and without the pause"
