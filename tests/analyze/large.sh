#!/bin/sh
# A 10 000-cell matrix on 4 kernels: every output made, every cell joined,
# within a bound far above the bench target (make bench measures it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gen-large.sh"
for k in a b c d; do gen_large "$work/$k.json" 10000 "big-$k"; done
expect "$(jq '.cells | length' "$work/a.json")" 10000 "cells in the generated file"
start=$(date +%s)
timeout 120 "$ANALYZE" --markdown "$work/r.md" --html "$work/r.html" --csv "$work/j.csv" \
  "$work/a.json" "$work/b.json" "$work/c.json" "$work/d.json" >"$work/stdout"
expect "$?" 0 "exit status"
secs=$(( $(date +%s) - start ))
[ "$secs" -le 30 ] || fail "took $secs s"
echo "ok - 4 x 10000 cells in $secs s"
expect "$(wc -l <"$work/j.csv")" 10001 "CSV lines"
expect_match "$(tail -n 2 "$work/stdout")" '10000 cells joined: 0 differ' "joined line"
# One kernel with a changed outcome and a cell of its own shows both.
jq '.cells[5].outcome = "corrupt" | .cells += [.cells[0] | .id = "extra"]' "$work/d.json" >"$work/e.json"
"$ANALYZE" "$work/a.json" "$work/e.json" >"$work/stdout2"
expect "$?" 0 "exit status with a difference"
expect_match "$(tail -n 2 "$work/stdout2")" '10001 cells joined: 2 differ between kernels, 1 of them missing' "joined line with a difference"
expect "$(grep -c 'corrupt  ' "$work/stdout2")" 1 "the corrupt cell is listed"
expect "$(grep -c '^-        ok       extra  (only on B)$' "$work/stdout2")" 1 "the extra cell is listed as only on B"

# Killed at any moment, a run leaves each output whole or absent, and no
# temporary file.
for delay in 0.2 0.6 1 1.4 1.8 2.2; do
  rm -rf "$work/kill" && mkdir -p "$work/kill"
  timeout -s TERM "$delay" "$ANALYZE" -q --markdown "$work/kill/r.md" --html "$work/kill/r.html" \
    --csv "$work/kill/j.csv" "$work/a.json" "$work/b.json" "$work/c.json" "$work/d.json"
  left=$(ls -A "$work/kill" | grep -v '^r\.md$\|^r\.html$\|^j\.csv$')
  [ -z "$left" ] || fail "killed after $delay s: left $left"
  [ ! -e "$work/kill/r.html" ] || tail -n 1 "$work/kill/r.html" | grep -qx '</html>' ||
    fail "killed after $delay s: r.html is cut short"
  [ ! -e "$work/kill/j.csv" ] || [ "$(wc -l <"$work/kill/j.csv")" -eq 10001 ] ||
    fail "killed after $delay s: j.csv is cut short"
  echo "ok - killed after $delay s: $(ls "$work/kill" | tr '\n' ' ')"
done
