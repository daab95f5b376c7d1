#!/bin/sh
# make bench, splicelab-doctor: its own CPU for one diagnosis of a process
# with 1 000 threads (one blocked in splice, 999 asleep: the fixture of
# tests/host), median of DOCTOR_BENCH_RUNS (default 5). own_cpu_ms is the
# doctor's CPU clock around the look (both samples, the ends, the verdicts);
# the whole run (start, JSON out) is the process's user+sys from `times`.
# Target: <= 100 ms of its own CPU.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
runs=${DOCTOR_BENCH_RUNS:-5}
doctor=$top/$BUILD/splicelab-doctor
fixture=$top/$BUILD/tests/doctor-fixture
if [ ! -x "$doctor" ] || [ ! -x "$fixture" ]; then
  echo "doctor bench skipped: needs $BUILD/splicelab-doctor and $BUILD/tests/doctor-fixture (make test builds it)"
  exit 0
fi
out=$(mktemp -d /tmp/splicelab-doctorbench.XXXXXX)
"$fixture" blocked 1000 >"$out/ready" &
job=$!
trap 'kill -KILL $job 2>/dev/null; wait $job 2>/dev/null; rm -rf "$out"' EXIT
i=0
until grep -q "^ready" "$out/ready" 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "fixture not ready"; exit 1; }; sleep 0.1
done
pid=$(sed -n 's/^ready //p' "$out/ready")
sleep 0.3
i=0
while [ $i -lt "$runs" ]; do
  i=$((i + 1))
  # times: the second line is the children's user and system time.
  (
    "$doctor" --json "$pid" >"$out/d$i.json"
    times
  ) | tail -n 1 >"$out/t$i"
  jq -r '.own_cpu_ms' "$out/d$i.json" >>"$out/own"
  awk '{ gsub(/[ms]/, " "); split($0, a, " "); print (a[1] * 60 + a[2] + a[3] * 60 + a[4]) * 1000 }' "$out/t$i" >>"$out/total"
done
threads=$(jq '.threads | length' "$out/d1.json")
verdict=$(jq -r .verdict "$out/d1.json")
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
printf 'doctor on %s threads (%s): own CPU %.1f ms (median of %s; target <= 100), whole run user+sys %.0f ms (10 ms ticks)\n' \
  "$threads" "$verdict" "$(median "$out/own")" "$runs" "$(median "$out/total")"
