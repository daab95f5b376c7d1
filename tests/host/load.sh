#!/bin/sh
# A verdict does not depend on how busy the machine is: the default matrix
# with -j at 8x the CPUs and two CPU hogs per CPU gives the same outcome for
# every cell as -j 1 on the machine as it is. (A spinning relay starved of
# CPU used to miss the CPU threshold and end as an ETIMEDOUT `error`; it is
# now proven by its EAGAIN count. A proxy relay whose client was starved
# got nothing but EAGAIN for a window and looked like a spinner; a
# runnable peer now means "watch another window".)
. "$(dirname "$0")/lib.sh"
cpus=$(nproc)
grid="--preset default"
note "load before: $(cut -d' ' -f1-3 /proc/loadavg), $cpus CPUs"
run_matrix "$work/j1" $grid -j 1
hogs=""
for i in $(seq $((2 * cpus))); do
  timeout 120 sh -c 'while :; do :; done' &
  hogs="$hogs $!"
done
# shellcheck disable=SC2086
trap 'kill $hogs 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
note "load with $((2 * cpus)) CPU hogs: $(cut -d' ' -f1-3 /proc/loadavg)"
run_matrix "$work/loaded" $grid -j $((8 * cpus))
note "runs took $(q "$work/j1" .elapsed_ms) ms (-j 1) and $(q "$work/loaded" .elapsed_ms) ms (-j $((8 * cpus)), hogs)"
outcomes() { q "$1" '[.cells[] | .id + " " + .outcome] | join("\n")'; }
expect "$(q "$work/loaded" '[.cells[] | select(.outcome == "error")] | length')" 0 "error cells under load"
expect "$(q "$work/loaded" .summary.spin)" "$(q "$work/j1" .summary.spin)" "spin cells under load"
if [ "$(outcomes "$work/loaded")" != "$(outcomes "$work/j1")" ]; then
  outcomes "$work/j1" >"$work/a"; outcomes "$work/loaded" >"$work/b"
  diff "$work/a" "$work/b" | head -20
  fail "outcomes differ between -j 1 and -j $((8 * cpus)) with hogs"
fi
echo "ok - all $(q "$work/j1" .summary.cells) outcomes the same with -j 1 and with -j $((8 * cpus)) and $((2 * cpus)) CPU hogs"
# More than 8 cells per CPU is capped, with a note, and recorded as run.
"$SPLICELAB" -o "$work/capped" -s drain -n 4K -j 256 >/dev/null 2>"$work/stderr" || fail "-j 256 exited $?"
if [ $((8 * cpus)) -lt 256 ]; then
  expect "$(q "$work/capped" .params.jobs)" $((8 * cpus)) "params.jobs with -j 256"
  expect_match "$(cat "$work/stderr")" "^splicelab: -j 256 is more than 8 cells per CPU on $cpus CPUs: running $((8 * cpus)) at a time" "the note"
fi
