#!/bin/sh
# The throughput plots in the HTML report, for real results this test
# produces: two runs of two throughput cells on this kernel under two
# labels (A and B), joined. Asserted: the section, per cell three plots
# (CPU, syscalls, MiB/s as % of read/write) with a bar per kernel for each
# of the 8 methods whose height label is the cell's own ratio (x100), the
# 100% line, and each kernel's figures in the table; in markdown, a table
# of each method's ratios per kernel.
. "$(dirname "$0")/lib.sh"
SPLICELAB=$top/$BUILD/splicelab
for l in a b; do
  "$SPLICELAB" -q -L "tp-$l" -o "$work/$l" -s throughput -p 64K -c 64K,1M -n 2M ||
    fail "splicelab -L tp-$l exited $?"
done
"$ANALYZE" --html "$work/r.html" --markdown "$work/r.md" "$work/a" "$work/b" >/dev/null ||
  fail "analyze exited $?"
h=$work/r.html
expect "$(grep -c '<h2>Throughput: splice, read/write and sendfile</h2>' "$h")" 1 "the throughput section"
expect "$(grep -c '<h3 class="cell">throughput over tcp4: pipe 64K, transfers of ' "$h")" 2 "a heading per cell"
for t in 'CPU of the relay thread per MiB, % of read/write' 'syscalls per MiB, % of read/write' 'MiB/s, % of read/write'; do
  expect "$(grep -c "aria-label=\"$t\"" "$h")" 2 "plot '$t' per cell"
done
expect "$(grep -c 'stroke-dasharray="4 3"' "$h")" 6 "the 100% line in every plot"
# Every bar: kernel letter, method and percentage, as the cell recorded it.
for k in A:a B:b; do
  letter=${k%%:*} dir=$work/${k#*:}
  want=$(jq -r --arg k "$letter" '.cells[] | select(.chunk == 65536) | .throughput.methods[]
    | ["cpu", "syscalls", "speed"][] as $r | "\($k): \(.method) \((.vs_read_write[$r] * 100 + 0.5) | floor)%"' \
    "$dir/matrix.json")
  # The first cell's three plots, in their order (cpu, syscalls, speed).
  got=$(awk '/<h3 class="cell">throughput over tcp4: pipe 64K, transfers of 64K/ {on = 1; next} /<h3/ {on = 0} on' "$h" |
    grep -o "<title>$letter: [^<]*</title>" | sed 's/<[^>]*>//g')
  expect "$(echo "$got" | wc -l)" 24 "$letter: 8 bars in each of 3 plots"
  # jq lists method by method; the plots list plot by plot: compare sorted.
  expect "$(echo "$got" | sort)" "$(echo "$want" | sort)" "$letter: every bar is the cell's ratio"
  fresh=$(jq '.cells[] | select(.chunk == 65536) | .throughput.methods[0].pipes_created' "$dir/matrix.json")
  expect "$fresh" 32 "$letter: fresh pipes for 32 transfers"
done
expect_match "$(grep -o '<td>splice-fresh</td><td>[^/]*' "$h" | head -n 1)" '^<td>splice-fresh</td><td>[0-9.]+ MiB' \
  "the figures table"
expect "$(grep -o '; 32 pipes</td>' "$h" | wc -l)" 2 "32 fresh pipes on both kernels"

# Markdown: the section, a table per cell, each method's ratios as recorded.
m=$work/r.md
expect "$(grep -c '^## Throughput (ratios to read/write)$' "$m")" 1 "markdown: the section"
expect "$(grep -c '^### throughput over tcp4: pipe 64K, transfers of ' "$m")" 2 "markdown: a table per cell"
want=$(jq '.cells[] | select(.chunk == 65536) | .throughput.methods[1].vs_read_write.cpu' "$work/a/matrix.json")
line=$(awk '/^### throughput over tcp4: pipe 64K, transfers of 64K/ {on = 1} on && /^\| splice-pool \|/ {print; exit}' "$m")
expect_match "$line" "^\\| splice-pool \\| CPU ×[0-9.]+, calls ×[0-9.]+, MiB/s ×[0-9.]+; 1 pipe \\| CPU ×" "markdown: splice-pool's row"
got=$(echo "$line" | sed 's/^| splice-pool | CPU ×\([0-9.]*\),.*/\1/')
awk -v a="$got" -v b="$want" 'BEGIN { exit !(a + 0 == b + 0) }' ||
  fail "markdown: A's splice-pool CPU ratio: $got, the cell has $want"
echo "ok - markdown: A's splice-pool CPU ratio is the cell's ($want)"
