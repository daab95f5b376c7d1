#!/bin/sh
# splicelab-analyze on 4 kernels x 10 000 cells (made from the first
# committed results' cells, as tests/analyze/large.sh does), every output
# written: wall time (median of RUNS runs) and peak RSS.
# Targets: <= 2 s and <= 200 MB.
set -eu
BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
out=$(mktemp -d /tmp/splicelab-bench-analyze.XXXXXX)
trap 'rm -rf "$out"' EXIT
guest_results=$(dirname "$(git ls-files 'results/*/matrix.json' | sort | head -n 1)")
. tests/analyze/gen-large.sh
for k in a b c d; do gen_large "$out/$k.json" 10000 "bench-$k"; done
i=0
while [ $i -lt "$RUNS" ]; do
  i=$((i + 1))
  /usr/bin/time -f '%e %M %U %S' -o "$out/time.$i" "$BUILD/splicelab-analyze" \
    --markdown "$out/r.md" --html "$out/r.html" --csv "$out/j.csv" \
    "$out/a.json" "$out/b.json" "$out/c.json" "$out/d.json" >/dev/null
done
size=$(du -cm "$out"/[abcd].json | tail -n 1 | cut -f1)
cat "$out"/time.* | sort -n | awk -v runs="$RUNS" -v size="$size" '
  { wall[NR] = $1; if ($2 > rss) rss = $2 }
  END {
    printf "analyze 4 x 10000 cells (%d MB of JSON), markdown + HTML + CSV + table\n", size
    printf "wall median:          %.2f s over %d runs (target <= 2 s; min %.2f, max %.2f)\n", wall[int((NR + 1) / 2)], runs, wall[1], wall[NR]
    printf "peak RSS:             %.1f MiB (target <= 200 MB)\n", rss / 1024
  }'
cat "$out"/time.* | awk '{ print $3 + $4 }' | sort -n | awk '
  { cpu[NR] = $1 }
  END { printf "CPU (user + sys):     %.2f s median (files read by 2 threads at once)\n", cpu[int((NR + 1) / 2)] }'
