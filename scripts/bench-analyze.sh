#!/bin/sh
# splicelab-analyze on 4 kernels x 10 000 cells (made from the first
# committed results' cells, as tests/analyze/large.sh does), every output
# written: wall time (median of RUNS runs), CPU time and peak RSS, for
# cells as committed (with the probes' per-cell summary when the results
# have one: a 64-call timeline per cell is most of the bytes) and for the
# same cells without it, and the load average while it ran (the machine
# may be shared: wall time follows the load, CPU time much less).
# BENCH_CALLGRIND=1 also counts the instructions of one run under
# valgrind's callgrind, which does not depend on the load (a few minutes).
# Targets (issue 13, target 7): <= 1 s and <= 200 MB.
set -eu
BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
out=$(mktemp -d /tmp/splicelab-bench-analyze.XXXXXX)
trap 'rm -rf "$out"' EXIT
guest_results=$(dirname "$(git ls-files 'results/*/matrix.json' | sort | head -n 1)")
. tests/analyze/gen-large.sh
gen_large "$out/full.json" 10000 bench
jq -c 'del(.cells[].kernel)' "$out/full.json" >"$out/bare.json"

# measure NAME: RUNS runs on four copies of $out/NAME.json (four labels).
measure() {
  for k in a b c d; do
    jq -c --arg k "$k" '.label += "-" + $k' "$out/$1.json" >"$out/$1-$k.json"
  done
  i=0
  while [ $i -lt "$RUNS" ]; do
    i=$((i + 1))
    /usr/bin/time -f '%e %M %U %S' -o "$out/time.$1.$i" "$BUILD/splicelab-analyze" \
      --markdown "$out/r.md" --html "$out/r.html" --csv "$out/j.csv" \
      "$out/$1-a.json" "$out/$1-b.json" "$out/$1-c.json" "$out/$1-d.json" >/dev/null
  done
  load=$(cut -d' ' -f1 /proc/loadavg)
  size=$(du -cm "$out/$1"-[abcd].json | tail -n 1 | cut -f1)
  cpu=$(cat "$out"/time."$1".* | awk '{ print $3 + $4 }' | sort -n | awk '{ c[NR] = $1 } END { print c[int((NR + 1) / 2)] }')
  cat "$out"/time."$1".* | sort -n | awk -v runs="$RUNS" -v size="$size" -v cpu="$cpu" -v what="$2" -v load="$load" '
    { wall[NR] = $1; if ($2 > rss) rss = $2 }
    END {
      printf "analyze 4 x 10000 cells, %s (%d MB of JSON), every output\n", what, size
      med = wall[int((NR + 1) / 2)]
      printf "  wall median:        %.2f s over %d runs (target <= 1 s: %s; min %.2f, max %.2f; load %s)\n", med, runs, med <= 1 ? "met" : "NOT met", wall[1], wall[NR], load
      printf "  CPU (user + sys):   %.2f s median (the files are read 2 at a time)\n", cpu
      printf "  peak RSS:           %.1f MiB (target <= 200 MB: %s)\n", rss / 1024, rss * 1024 <= 200e6 ? "met" : "NOT met"
    }'
  if [ "${BENCH_CALLGRIND:-0}" = 1 ] && command -v valgrind >/dev/null; then
    valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.$1" "$BUILD/splicelab-analyze" \
      --markdown "$out/r.md" --html "$out/r.html" --csv "$out/j.csv" \
      "$out/$1-a.json" "$out/$1-b.json" "$out/$1-c.json" "$out/$1-d.json" >/dev/null 2>"$out/callgrind.log"
    awk '/^summary:/ { printf "  instructions:       %.2f G (callgrind, one run)\n", $2 / 1e9 }' "$out/callgrind.$1"
  fi
}
if jq -e '[.cells[] | select(.kernel)] | length > 0' "$out/full.json" >/dev/null; then
  measure full "with the probes' per-cell summaries"
fi
measure bare "without probe summaries"
