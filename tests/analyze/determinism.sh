#!/bin/sh
# The same inputs give the same bytes: two runs, every output compared; and
# outputs appear whole (no temporary file is left beside them).
. "$(dirname "$0")/lib.sh"
for run in 1 2; do
  mkdir -p "$work/$run"
  "$ANALYZE" --all --markdown "$work/$run/r.md" --html "$work/$run/r.html" --csv "$work/$run/j.csv" \
    "$host_results" "$guest_results" "$fixtures/synthetic-3.10.json" >"$work/$run/stdout" ||
    fail "run $run exited $?"
done
for f in stdout r.md r.html j.csv; do
  cmp "$work/1/$f" "$work/2/$f" || fail "$f differs between two runs"
  echo "ok - $f identical in two runs"
done
expect "$(ls -A "$work/1" | tr '\n' ' ')" "j.csv r.html r.md stdout " "files in the output folder"
# An output over an existing file replaces it whole.
echo old >"$work/1/r.md"
"$ANALYZE" -q --markdown "$work/1/r.md" "$host_results" "$guest_results" || fail "rerun failed"
expect_match "$(head -n 1 "$work/1/r.md")" '^# splice' "replaced report"
