#!/bin/sh
# What other tools read: --json on stdout equals the file, the file is
# complete JSON with no temporary left beside it, --list and the label.
. "$(dirname "$0")/lib.sh"
"$SPLICELAB" -o "$work/r" -s drain,proxy -n 64K --json >"$work/stdout" || fail "exit $?"
jq -e . "$work/stdout" >/dev/null || fail "--json output is not JSON"
[ "$(jq -S . "$work/stdout")" = "$(jq -S . "$work/r/matrix.json")" ] || fail "--json differs from matrix.json"
echo "ok - --json equals matrix.json"
expect "$(ls -A "$work/r")" matrix.json "only matrix.json in the output folder"
expect "$(q "$work/r" .schema)" splicelab.matrix/1 "schema"
expect "$(q "$work/r" '.summary.cells')" 2 "summary counts the cells"
expect "$(q "$work/r" '[.cells[].id] | unique | length')" 2 "distinct cell ids"
# 652 cells, plus 4 Go profiles' load cells: one connection, and 128 as
# root and as nobody where this runner can become them.
load=1
[ "$(id -u)" -ne 0 ] || { load=2; grep -q '^nobody:' /etc/passwd && load=3; }
grid=$((652 + 4 * load))
expect "$("$SPLICELAB" --list 2>/dev/null | wc -l)" $grid "default grid size"
expect "$("$SPLICELAB" --list 2>/dev/null | sort -u | wc -l)" $grid "default grid ids are unique"
# The same parameters give the same ids on every run.
"$SPLICELAB" -q -o "$work/again" -s drain,proxy -n 64K || fail "second run"
expect "$(q "$work/again" '[.cells[].id] | join(" ")')" "$(q "$work/r" '[.cells[].id] | join(" ")')" "ids are stable across runs"
# The default label and folder come from os-release and the kernel release.
(cd "$work" && "$SPLICELAB" -q -s drain -n 4K) || fail "run with the default folder"
folder=$(ls "$work/build/runs")
label=${folder%@grid-*}
expect_match "$label" "-$(uname -r)\$" "default label ends with the kernel release"
expect "$(jq -r .label "$work/build/runs/$folder/matrix.json")" "$label" "label in the file"
"$SPLICELAB" --help | grep -q -- '--pipe-nonblock' || fail "--help does not document --pipe-nonblock"
"$SPLICELAB" --help | grep -q 'Exit status' || fail "--help does not document exit codes"
echo "ok - --help documents options and exit codes"
# A table, a list or JSON that cannot be written to stdout is a failure.
for args in "-s drain -n 4K -o $work/full" "-s drain -n 4K -o $work/full --json" "--list" "--help"; do
  "$SPLICELAB" $args >/dev/full 2>"$work/stderr"
  expect "$?" 1 "splicelab $args >/dev/full: exit status"
  expect "$(cat "$work/stderr")" "splicelab: writing to stdout failed: No space left on device" "splicelab $args >/dev/full: the message"
done
