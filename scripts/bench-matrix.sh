#!/bin/sh
# The default matrix on this machine: wall time, cells per second, detection
# latency (last progress -> verdict) and peak RSS. Median of RUNS runs.
# Targets on a 2-core machine (issue 13): matrix <= 5 s, median detection
# <= 25 ms.
set -eu
BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
out=$(mktemp -d /tmp/splicelab-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
scripts/deps.sh build test >/dev/null
i=0
while [ $i -lt "$RUNS" ]; do
  i=$((i + 1))
  /usr/bin/time -f '%e %M' -o "$out/time.$i" "$BUILD/splicelab" -q -o "$out/run$i" "$@"
done
# Wall seconds, peak RSS (KiB) and detection latencies across all runs.
jq -s -r '
  def median: sort | if length == 0 then null else .[(length - 1) / 2 | floor] end;
  def p95: sort | if length == 0 then null else .[((length - 1) * 0.95) | floor] end;
  (map(.summary.cells) | .[0]) as $cells
  | (map(.cells[] | .detected_after_ms | numbers)) as $det
  | "cells per run:        \($cells)",
    "detection median:     \($det | median) ms (target <= 25 ms: \(if ($det | median) <= 25 then "met" else "MISSED" end))",
    "detection p95:        \($det | p95) ms",
    "stuck cells measured: \($det | length)"
' "$out"/run*/matrix.json
cat "$out"/time.* | sort -n | awk -v runs="$RUNS" -v cells="$(jq .summary.cells "$out/run1/matrix.json")" '
  { wall[NR] = $1; if ($2 > rss) rss = $2 }
  END {
    med = wall[int((NR + 1) / 2)]
    printf "matrix wall median:   %.2f s over %d runs (target <= 5 s: %s; min %.2f, max %.2f)\n", med, runs, (med <= 5 ? "met" : "MISSED"), wall[1], wall[NR]
    printf "cells per second:     %.1f\n", cells / med
    printf "peak RSS:             %.1f MiB (runner or any cell)\n", rss / 1024
  }'
