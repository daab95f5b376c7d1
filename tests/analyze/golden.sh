#!/bin/sh
# The markdown evidence report for a fixed pair of inputs (fixtures/: four
# real Debian 12 6.1 cells and the same cells edited to look like 3.10)
# must match golden/report.md byte for byte.
# After an intended change of the report, regenerate it from the top folder:
#   build/splicelab-analyze -q --markdown tests/analyze/golden/report.md \
#     tests/analyze/fixtures/debian12-6.1.json tests/analyze/fixtures/synthetic-3.10.json
# and read the diff before committing it.
. "$(dirname "$0")/lib.sh"
cd "$top" || fail "no $top"
"$ANALYZE" -q --markdown "$work/report.md" \
  tests/analyze/fixtures/debian12-6.1.json tests/analyze/fixtures/synthetic-3.10.json ||
  fail "analyze exited $?"
diff -u tests/analyze/golden/report.md "$work/report.md" >"$work/diff" ||
  { head -n 60 "$work/diff"; fail "the report differs from golden/report.md"; }
echo "ok - report.md matches golden/report.md"
w=$(prose_width "$work/report.md")
[ "$w" -le 80 ] || fail "markdown prose line of $w columns"
echo "ok - prose within 80 columns ($w)"
expect_match "$(cat "$work/report.md")" 'synthetic-3.10\*\* matches: before 4.9' "regime of the 3.10-like fixture"
expect_match "$(cat "$work/report.md")" '\| 12 \| 11 \| - \| 16 \| - \| - \| never \(asleep\) \|' "timeline row of the call that never returned"
expect "$(grep -c '^| \.\.\. |' "$work/report.md")" 1 "the long timeline is cut in the middle"
