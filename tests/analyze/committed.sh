#!/bin/sh
# analyze on the committed results (this host's 6.18 and Debian 12's 6.1):
# the summary lines, the reports, and the reproduce commands, which must
# give back exactly the cell's id.
. "$(dirname "$0")/lib.sh"
out=$work/out
mkdir -p "$out"
"$ANALYZE" --markdown "$out/r.md" --html "$out/r.html" --csv "$out/j.csv" \
  "$host_results" "$guest_results/matrix.json" >"$out/stdout" 2>"$out/stderr"
expect "$?" 0 "exit status"
expect "$(wc -c <"$out/stderr")" 0 "bytes on stderr"
expect_match "$(sed -n 1p "$out/stdout")" '^A  debian12-6.18.44-fc-v595 .*native, probes none: 652 cells: ok 532, blocked 30, spin 90$' "line for A"
expect_match "$(sed -n 2p "$out/stdout")" '^B  debian12-6.1.0-56-amd64 .*qemu-tcg, probes none: 652 cells' "line for B"
expect_match "$(cat "$out/stdout")" '652 cells joined: 0 differ' "joined line"
# Colour only on a terminal: none here, and --color always adds it.
grep -q "$(printf '\033')" "$out/stdout" && fail "colour codes without a terminal"
"$ANALYZE" --all --color always "$host_results" "$guest_results" | grep -q "$(printf '\033')\[1;31mblocked" ||
  fail "--all --color always shows no coloured blocked cell"
echo "ok - colour only when asked or on a terminal"
expect "$("$ANALYZE" --all "$host_results" "$guest_results" | grep -c '^blocked  blocked  drain')" 30 "blocked rows with --all"

expect "$(wc -l <"$out/j.csv")" 653 "CSV lines (header + 652)"
expect "$(head -1 "$out/j.csv" | cut -d, -f1-3)" "id,scenario,profile" "CSV header"
row='"drain,tcp4,pipe=4K,payload=16K,chunk=1M,flags=none,pnb=0,snb=0,dnb=0,loop=busy,sender=one,head=256K",drain,,tcp4,4096,16384,1048576,none,0,0,0,busy,one,262144,no,blocked,true,4096,,4096,1,0,'
expect "$(grep -cF "$row" "$out/j.csv")" 1 "quoted id, parameters and outcome in the CSV"

w=$(prose_width "$out/r.md")
[ "$w" -le 80 ] || fail "markdown prose line of $w columns"
echo "ok - markdown prose within 80 columns ($w)"
expect_match "$(cat "$out/r.md")" 'debian12-6.1.0-56-amd64\*\* matches: 5.1 or later' "regime of the 6.1 results"
expect_match "$(cat "$out/r.md")" 'ee5e001196d1' "the promotion commit is cited"
expect_match "$(cat "$out/r.md")" 'pipe_wait_writable < wait_for_space' "the kernel stack"

# Every reproduce command lists exactly its cell's id.
n=0
grep '^build/splicelab ' "$out/r.md" | while read -r cmd; do
  id=$(cd "$top" && eval "$cmd --list")
  grep -qxF "$id" "$out/r.md" || fail "'$cmd' lists '$id', not a cell of the report"
done || exit 1
n=$(grep -c '^build/splicelab ' "$out/r.md")
expect_gt "$n" 0 "reproduce commands checked"

expect_match "$(head -c 200 "$out/r.html")" '^<!DOCTYPE html>' "HTML doctype"
grep -Eiq '<script|<link|@import|url\(|src="http' "$out/r.html" && fail "HTML loads something from outside"
echo "ok - HTML is self-contained"
expect "$(grep -c '<svg' "$out/r.html")" 8 "SVG plots (2 cells x 2 kinds x 2 kernels)"
