#!/bin/sh
# The HTML report rendered by headless Chromium (Debian's chromium, which
# `scripts/deps.sh analyze` installs; CI installs it): the screenshot is not
# blank and the DOM shows the kernel labels, the legend and the plots.
. "$(dirname "$0")/lib.sh"
command -v chromium >/dev/null || fail "chromium is missing: run scripts/deps.sh analyze"
"$ANALYZE" -q --html "$work/r.html" "$host_results" "$guest_results" || fail "analyze failed"
"$ANALYZE" -q --html "$work/s.html" "$fixtures/debian12-6.1.json" "$fixtures/synthetic-3.10.json" ||
  fail "analyze failed on the fixtures"
printf '<!DOCTYPE html><html><body></body></html>\n' >"$work/blank.html"

# render NAME: screenshot and DOM of $work/NAME.html, each bounded.
render() {
  for what in screenshot dump; do
    profile=$(mktemp -d "$work/chromium.XXXXXX")
    if [ $what = screenshot ]; then
      set -- --screenshot="$work/$1.png" --window-size=1400,2000
    else
      set -- --dump-dom
    fi
    timeout --kill-after=5 90 chromium --headless --no-sandbox --disable-gpu \
      --user-data-dir="$profile" --no-first-run --disable-extensions \
      "$@" "file://$work/$name.html" >"$work/$name.$what.out" 2>"$work/$name.$what.err" ||
      fail "chromium $what of $name.html failed: $(tail -n 3 "$work/$name.$what.err")"
    set -- "$name"
  done
}
for name in r s blank; do render "$name"; done
for name in r s blank; do [ -s "$work/$name.png" ] || fail "no screenshot of $name.html"; done
head -c 8 "$work/r.png" | od -An -c | grep -q 'P   N   G' || fail "the screenshot is not a PNG"
blank=$(wc -c <"$work/blank.png") report=$(wc -c <"$work/r.png")
# A blank page compresses to almost nothing; a page of grids and plots not.
[ "$report" -gt $((blank * 5)) ] || fail "screenshot of $report bytes, a blank page gives $blank"
echo "ok - screenshot of $report bytes (blank page: $blank)"

dom=$work/r.dump.out
for label in $(label_of "$host_results") $(label_of "$guest_results"); do
  expect "$(grep -c "class=\"kernel-label\">$label<" "$dom")" 1 "kernel label $label in the DOM"
done
grep -q 'id="legend"' "$dom" || fail "no legend in the DOM"
for outcome in ok blocked stalled spin error corrupt crashed; do
  grep -q "<b>$outcome</b>" "$dom" || fail "legend lacks $outcome"
done
echo "ok - the legend names every outcome"
blocked=$(cat "$host_results/matrix.json" "$guest_results/matrix.json" | jq -s '[.[].cells[] | select(.outcome == "blocked")] | length')
expect "$(grep -o 'class="o-blocked' "$dom" | wc -l)" "$blocked" "blocked cells in the grids (as in the files)"
expect_gt "$(grep -o '<svg' "$dom" | wc -l)" 3 "SVG plots in the DOM"
dom=$work/s.dump.out
# A kernel without probes (the fixture's 6.1) gets a line, not an empty plot.
grep -q '<p>no probes on this kernel' "$dom" || fail "no 'no probes on this kernel' line in the DOM"
echo "ok - a kernel without probes says so"
grep -q 'class="kernel-label">synthetic-3.10<' "$dom" || fail "fixture label missing"
grep -q '<b>synthetic-3.10</b>: before 4.9' "$dom" || fail "no regime verdict for the 3.10-like fixture"
echo "ok - regime verdict per kernel"
expect_gt "$(grep -o 'class="o-[a-z]* diff"' "$dom" | wc -l)" 1 "cells framed as differing"
grep -q '<polyline' "$dom" || fail "no occupancy line for the fixture with a probe timeline"
grep -q '>asleep<' "$dom" || fail "the unreturned call is not marked asleep"
grep -q 'gaps: not readable' "$dom" || fail "unreadable bytes are not shown as a gap"
echo "ok - occupancy plot with the call that never returned"
