#!/bin/sh
# Bad input: one line naming the file and the JSON path, exit 64, and no
# output file (nor a temporary one) left behind.
. "$(dirname "$0")/lib.sh"
good=$fixtures/debian12-6.1.json
bad=$work/bad
mkdir -p "$bad"

# case NAME EXPECTED-REGEX: runs analyze on $bad/NAME.json against the good file.
case_of() {
  name=$1 want=$2
  out=$work/out-$name
  mkdir -p "$out"
  "$ANALYZE" --markdown "$out/r.md" --html "$out/r.html" --csv "$out/j.csv" \
    "$good" "$bad/$name.json" >"$out/stdout" 2>"$out/stderr"
  rc=$?
  expect "$rc" 64 "$name: exit status"
  expect "$(wc -l <"$out/stderr")" 1 "$name: lines on stderr"
  expect_match "$(cat "$out/stderr")" "^splicelab-analyze: $bad/$name.json: $want" "$name: message"
  expect "$(ls -A "$out")" "$(printf 'stderr\nstdout')" "$name: files left"
  expect "$(wc -c <"$out/stdout")" 0 "$name: bytes on stdout"
}

head -c 5000 "$good" >"$bad/truncated.json"
case_of truncated '\$\.cells\[[0-9]+\]: invalid JSON at line [0-9]+ column [0-9]+'
printf 'not json at all\n' >"$bad/garbage.json"
case_of garbage '\$: invalid JSON at line 1 column [0-9]+'
jq '.schema = "splicelab.matrix/2"' "$good" >"$bad/schema.json"
case_of schema '\$\.schema: unknown schema "splicelab.matrix/2"'
jq '.cells = []' "$good" >"$bad/nocells.json"
case_of nocells '\$\.cells: no cells'
jq 'del(.cells)' "$good" >"$bad/missingcells.json"
case_of missingcells '\$\.cells: missing'
{ head -c -2 "$good"; printf ', "cells": []}\n'; } >"$bad/twice.json"
case_of twice '\$\.cells: given twice'
jq '.cells = {}' "$good" >"$bad/cellsobject.json"
case_of cellsobject '\$\.cells: expected an array, got an object'
jq '.cells[2].id = .cells[0].id' "$good" >"$bad/duplicate.json"
case_of duplicate '\$\.cells\[2\]\.id: duplicate id ".*" \(also \$\.cells\[0\]\)'
jq '.cells[1].bytes_moved = "12"' "$good" >"$bad/type.json"
case_of type '\$\.cells\[1\]\.bytes_moved: expected an integer, got a string'
jq '.cells[3].flags = ["NONBLOCK", 2]' "$good" >"$bad/flagtype.json"
case_of flagtype '\$\.cells\[3\]\.flags\[1\]: expected a string, got an integer'
jq 'del(.cells[0].outcome)' "$good" >"$bad/missing.json"
case_of missing '\$\.cells\[0\]\.outcome: missing'
jq '.cells[0].outcome = "hung"' "$good" >"$bad/outcome.json"
case_of outcome '\$\.cells\[0\]\.outcome: unknown outcome "hung"'
jq '.env.probes = "none"' "$good" >"$bad/env.json"
case_of env '\$\.env\.probes: expected an object, got a string'
jq '.cells[1].kernel = {timeline: [{slots_before: "x"}]}' "$good" >"$bad/kernel.json"
case_of kernel '\$\.cells\[1\]\.kernel\.timeline\[0\]\.slots_before: expected an integer or null'
# The parts of a cell load steps over without jansson (trace, the
# timeline, fields it does not read) are still checked as JSON.
jq -c . "$good" | sed 's/"trace":{"first":\[/"trace":{"first":[,/' >"$bad/skipped.json"
case_of skipped '\$\.cells\[0\]: invalid JSON at line 1 column [0-9]+'
jq -c '.cells[2].trace = {"first": ["BAD"]}' "$good" | sed 's/"BAD"/"\xff"/' >"$bad/utf8.json"
case_of utf8 '\$\.cells\[2\]: invalid JSON at line 1 column [0-9]+: unable to decode byte 0xff'
jq -c '.cells[1].kernel = {timeline: [{slots_before: 1}]}' "$good" |
  sed 's/"slots_before":1/"slots_before":123456789012345678901234/' >"$bad/bigint.json"
case_of bigint '\$\.cells\[1\]: invalid JSON at line 1 column [0-9]+: too big integer'
jq -c '.cells[1].unknown_field = {"deep": [1]}' "$good" | sed 's/"deep":\[1\]/"deep":[1}/' >"$bad/unknown.json"
case_of unknown '\$\.cells\[1\]: invalid JSON at line 1 column [0-9]+'
printf '[1, 2]\n' >"$bad/array.json"
case_of array '\$: expected an object, got an array'

# Bad usage: one line, 64, nothing written.
"$ANALYZE" "$good" >/dev/null 2>"$work/usage"
expect "$?" 64 "one input: exit status"
expect "$(wc -l <"$work/usage")" 1 "one input: lines on stderr"
"$ANALYZE" --cell nosuch "$good" "$good" --markdown "$work/x.md" >/dev/null 2>"$work/usage"
expect "$?" 64 "unknown --cell: exit status"
[ -e "$work/x.md" ] && fail "unknown --cell wrote a file"
"$ANALYZE" --markdown /proc/nonexistent/r.md "$good" "$good" >/dev/null 2>"$work/usage"
expect "$?" 64 "unwritable output: exit status"
"$ANALYZE" "$good" "$work/nonexistent.json" >/dev/null 2>"$work/usage"
expect "$?" 64 "missing file: exit status"
expect_match "$(cat "$work/usage")" "nonexistent.json: cannot read" "missing file: message"
"$ANALYZE" --help | grep -q '64 bad usage' || fail "--help does not document the exit codes"
echo "ok - --help documents the exit codes"
