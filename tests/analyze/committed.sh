#!/bin/sh
# analyze on two committed results folders: the summary lines, the join
# (checked against one made independently with jq), the reports, and the
# reproduce commands, which must give back exactly the cell's id.
. "$(dirname "$0")/lib.sh"
A=$host_results B=$guest_results
out=$work/out
mkdir -p "$out"
"$ANALYZE" --markdown "$out/r.md" --html "$out/r.html" --csv "$out/j.csv" \
  "$A" "$B/matrix.json" >"$out/stdout" 2>"$out/stderr"
expect "$?" 0 "exit status"
expect "$(wc -c <"$out/stderr")" 0 "bytes on stderr"

# The line per kernel, from the file's own env and summary.
kernel_line() { # kernel_line LETTER DIR
  jq -r --arg k "$1" '"\($k)  \(.label) *\(.env.kernel_release), \(.env.virt), probes \(.env.probes.mode): \(.cells | length) cells: " +
    ([.summary | to_entries[] | select(.key != "cells" and .value > 0) | "\(.key) \(.value)"] | join(", "))' "$2/matrix.json"
}
expect_match "$(sed -n 1p "$out/stdout")" "^$(kernel_line A "$A")\$" "line for A"
expect_match "$(sed -n 2p "$out/stdout")" "^$(kernel_line B "$B")\$" "line for B"

# The join, made again with jq: ids in either file, and those whose
# outcome differs or that one file lacks.
jq -rn --slurpfile a "$A/matrix.json" --slurpfile b "$B/matrix.json" '
  ([$a[0].cells[] | {(.id): .outcome}] | add) as $x | ([$b[0].cells[] | {(.id): .outcome}] | add) as $y
  | ($x + $y | keys) as $ids
  | "\($ids | length) \([$ids[] | select($x[.] != $y[.])] | length) \([$ids[] | select($x[.] == "blocked" and $y[.] == "blocked")] | length)"' >"$work/join"
read -r n_ids n_diff n_blocked <"$work/join"
expect_match "$(grep -m1 " cells joined: " "$out/stdout")" "^$n_ids cells joined: $n_diff differ" "joined line"
expect "$(grep -Ec '^(ok|blocked|stalled|spin|error|corrupt|crashed|-)[*!]* ' "$out/stdout")" "$n_diff" "rows listed without --all"
"$ANALYZE" --all "$A" "$B" >"$out/all"
expect "$(grep -Ec '^(ok|blocked|stalled|spin|error|corrupt|crashed|-)[*!]* ' "$out/all")" "$n_ids" "rows listed with --all"
expect "$(grep -c '^blocked  blocked  ' "$out/all")" "$n_blocked" "rows blocked on both"

# Colour only on a terminal: none here, and --color always adds it.
grep -q "$(printf '\033')" "$out/stdout" && fail "colour codes without a terminal"
"$ANALYZE" --all --color always "$A" "$B" | grep -q "$(printf '\033')\[32mok" ||
  fail "--color always shows no coloured ok cell"
# On a terminal (script(1) gives it one), colour unless NO_COLOR is set.
timeout 30 script -qec "$ANALYZE --all $A $B" /dev/null </dev/null >"$out/tty" ||
  fail "analyze on a terminal failed"
grep -q "$(printf '\033')\[32mok" "$out/tty" || fail "no colour on a terminal"
NO_COLOR=1 timeout 30 script -qec "$ANALYZE --all $A $B" /dev/null </dev/null >"$out/tty" ||
  fail "analyze on a terminal failed"
grep -q "$(printf '\033')" "$out/tty" && fail "colour on a terminal with NO_COLOR"
echo "ok - colour only when asked or on a terminal"

# The CSV: one row per id, and one blocked cell's columns as in the files.
expect "$(wc -l <"$out/j.csv")" "$((n_ids + 1))" "CSV lines (header + ids)"
expect "$(head -1 "$out/j.csv" | cut -d, -f1-3)" "id,scenario,profile" "CSV header"
id=$(jq -r '[.cells[] | select(.outcome == "blocked" and .profile == null)][0].id' "$A/matrix.json")
cols() { jq -r --arg id "$id" '.cells[] | select(.id == $id) | "\(.outcome),\(.runs.consistent // true),\(.pipe_size),\(if .pipe_size_error then "refused" else "" end),\(.bytes_moved),\(.calls.splice),\(.calls.eagain)"' "$1/matrix.json"; }
row="\"$id\",$(jq -r --arg id "$id" '.cells[] | select(.id == $id) | [.scenario, (.profile // ""), .transport, .pipe_size_requested, .payload, .chunk, (if .flags == [] then "none" else .flags | join("|") end), (.pipe_nonblock | if . then 1 else 0 end), (.src_nonblock | if . then 1 else 0 end), (.dst_nonblock | if . then 1 else 0 end), .loop, .sender, .head_start] | map(tostring) | join(",")' "$A/matrix.json")"
expect "$(grep -cF "$row," "$out/j.csv")" 1 "CSV parameters of $id"
grep -F "$row," "$out/j.csv" | grep -qF ",$(cols "$A")," || fail "CSV columns of A for $id"
grep -F "$row," "$out/j.csv" | grep -qF ",$(cols "$B")," || fail "CSV columns of B for $id"
echo "ok - CSV outcome, pipe, bytes and calls of $id on both kernels"

# The markdown: prose width, every kernel's regime, the evidence.
w=$(prose_width "$out/r.md")
[ "$w" -le 80 ] || fail "markdown prose line of $w columns"
echo "ok - markdown prose within 80 columns ($w)"
for dir in "$A" "$B"; do
  label=$(label_of "$dir")
  grep -q "^\*\*$label\*\* matches: " "$out/r.md" || fail "no regime for $label"
  # A drain cell with flags lacking NONBLOCK, a blocking socket, an
  # O_NONBLOCK pipe and EAGAIN proves the 5.1 promotion.
  promoted=$(jq '[.cells[] | select(.scenario == "drain" and (.flags | index("NONBLOCK") | not) and .src_nonblock == false and .pipe_nonblock and .calls.eagain > 0)] | length' "$dir/matrix.json")
  if [ "$promoted" -gt 0 ]; then
    grep -q "^\*\*$label\*\* matches: 5.1 or later" "$out/r.md" || fail "$label: $promoted promoted cells but not 5.1"
    echo "ok - $label: 5.1 or later, from $promoted cells"
  fi
done
expect_match "$(cat "$out/r.md")" 'ee5e001196d1' "the promotion commit is cited"

# Every reproduce command lists exactly its cell's id.
grep '^build/splicelab ' "$out/r.md" | while read -r cmd; do
  id=$(cd "$top" && eval "$cmd --list")
  grep -qxF "$id" "$out/r.md" || fail "'$cmd' lists '$id', not a cell of the report"
done || exit 1
chosen=$(grep -c '^### ' "$out/r.md")
# A kernel the lab ran under qemu also gets its `make lab` line per cell.
for dir in "$A" "$B"; do
  spec=$(jq -r 'select(.run.where == "qemu") | .kernel.spec' "$dir/provenance.json" 2>/dev/null)
  [ -n "$spec" ] || continue
  # A kernel given as a file is named by its file name, never by the path
  # of the machine that made the results.
  spec=${spec##*/}
  expect "$(grep -c "^make lab KERNELS=$spec MATRIX=\"-s " "$out/r.md")" "$chosen" "make lab lines for $spec"
done
expect "$(grep -c '^build/splicelab ' "$out/r.md")" "$chosen" "reproduce commands checked"

expect_match "$(head -c 200 "$out/r.html")" '^<!DOCTYPE html>' "HTML doctype"
grep -Eiq '<script|<link|@import|url\(|src="http' "$out/r.html" && fail "HTML loads something from outside"
echo "ok - HTML is self-contained"
# Per chosen cell: a bytes-per-call plot per kernel, and an occupancy plot
# per kernel that ran probes; a kernel without probes, or a cell whose
# first splice never returned (CentOS 7's blocked 4K proxy cells), gets a
# line saying so, never an empty box.
probed=0
for dir in "$A" "$B"; do
  [ "$(jq -r .env.probes.mode "$dir/matrix.json")" = none ] || probed=$((probed + 1))
done
unmoved=$(grep -o '<p>no socket-&gt;pipe splice call moved a byte</p>' "$out/r.html" | wc -l)
expect "$(grep -c '<svg' "$out/r.html")" "$((chosen * (2 + probed) - unmoved))" "SVG plots (per chosen cell: 2 per-call less $unmoved that moved nothing, $probed occupancy)"
expect "$(grep -c '<p>no probes on this kernel' "$out/r.html")" "$((chosen * (2 - probed)))" "kernels without probes say so"
