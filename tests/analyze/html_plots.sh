#!/bin/sh
# The HTML's plots, as a student reads them: the whole occupancy timeline
# (every splice_to_pipe call in events.jsonl, decimated when long, the
# 64-call kernel.timeline said to be cut), axes with ticks and units, a
# line of text instead of an empty box where a kernel had no probes, cell
# ids that break only between parameters, and the panels that differ
# between kernels first.
. "$(dirname "$0")/lib.sh"
id='drain,tcp4,pipe=64K,payload=1M,chunk=1M,flags=none,pnb=1,snb=0,dnb=0,loop=busy,sender=one,head=256K'
calls=3000
mkdir -p "$work/k"
# A 256-slot pipe that fills one slot per call for 255 calls, then holds
# steady, and a last call that never returns; the matrix keeps 64 calls.
jq --arg id "$id" --argjson calls "$calls" '(.cells[] | select(.id == $id) | .kernel) |= (
    .slots_total = 256 | .max_slots_used = 256 | .calls.splice_to_pipe = $calls
    | .timeline = [range(0; 64) | {slots_before: ., slots_after: (. + 1), bytes_before: (. * 1448),
        bytes_after: ((. + 1) * 1448), slots_total: 256, pages: 1, ret: 1448}])' \
  "$fixtures/synthetic-3.10.json" >"$work/k/matrix.json"
awk -v id="$id" -v n="$calls" 'BEGIN {
  for (i = 1; i <= n; i++) {
    s = i - 1 < 255 ? i - 1 : 255; b = s * 1448
    printf "{\"ts_ns\":%d,\"pid\":5,\"tid\":7,\"fn\":\"splice_to_pipe\",\"phase\":\"entry\",\"slots_used\":%d,\"slots_total\":256,\"bytes_in_pipe\":%s,\"cell\":\"%s\"}\n", 2 * i, s, (s > 64 ? "null" : b), id
    if (i < n)
      printf "{\"ts_ns\":%d,\"pid\":5,\"tid\":7,\"fn\":\"splice_to_pipe\",\"phase\":\"exit\",\"slots_used\":%d,\"slots_total\":256,\"bytes_in_pipe\":%s,\"ret\":1448,\"cell\":\"%s\",\"folded_before\":0}\n", 2 * i + 1, (s + 1 > 256 ? 256 : s + 1), (s + 1 > 64 ? "null" : b + 1448), id
  } }' >"$work/k/events.jsonl"
"$ANALYZE" -q --cell "$id" --markdown "$work/r.md" --html "$work/r.html" \
  "$fixtures/debian12-6.1.json" "$work/k" || fail "analyze exited $?"
html=$work/r.html
grep -q ">$calls calls from events.jsonl; min and max per pixel" "$html" || fail "the plot does not say it shows all $calls calls"
echo "ok - the plot shows all $calls calls from events.jsonl"
# The slots line reaches the right end of the plot (the last call) and the
# line of a full pipe (256 slots), and a long timeline is drawn with at most two points
# per pixel column.
points=$(grep -o 'stroke="#1565c0" stroke-width="2" points="[^"]*"' "$html" | head -n 1 | sed 's/.*points="//; s/"$//')
[ -n "$points" ] || fail "no slots polyline"
n=$(echo "$points" | wc -w)
last_x=$(echo "$points" | tr ' ' '\n' | tail -n 1 | cut -d, -f1)
min_y=$(echo "$points" | tr ' ' '\n' | cut -d, -f2 | sort -n | head -n 1)
[ "$n" -le 620 ] || fail "$n points for $calls calls: not decimated"
expect "$last_x" 370 "x of the last call (the plot's right end)"
full_y=$(grep -o '<line x1="62" y1="[0-9]*" x2="370" y2="[0-9]*" stroke="#1565c0" stroke-dasharray' "$html" | head -n 1 | sed 's/.*y2="\([0-9]*\)".*/\1/')
expect "$min_y" "$full_y" "y of the fullest point (the 'full: 256 slots' line)"
echo "ok - $n points for $calls calls"
grep -q '>asleep</text>' "$html" || fail "the last, unreturned call is not marked asleep"
grep -q '>full: 256 slots</text>' "$html" || fail "no line where the pipe is full"
# Axes: ticks with numbers on both y axes and on x, and units.
for label in '>slots in use<' '>bytes in the pipe<' '>splice_to_pipe call (number)<' '>bytes per call<'; do
  grep -q "$label" "$html" || fail "no axis title $label"
done
expect_gt "$(grep -o 'fill="#1565c0">[0-9]*</text>' "$html" | wc -l)" 3 "slot ticks"
expect_gt "$(grep -o 'fill="#e65100">[0-9]* KiB</text>' "$html" | wc -l)" 2 "byte ticks in KiB"
expect_gt "$(grep -o 'text-anchor="middle">[0-9][0-9]*</text>' "$html" | wc -l)" 5 "call-number ticks"
# The markdown's table ends with the last calls, the one asleep included.
expect_match "$(cat "$work/r.md")" "\| $calls \| 255 \| - \| 256 \| - \| - \| never \(asleep\) \|" "the last call in the markdown"
expect_match "$(cat "$work/r.md")" "$calls splice_to_pipe calls, from events.jsonl" "the markdown's timeline source"

# Without events.jsonl: the 64 kept calls, and the plot says they are cut.
rm "$work/k/events.jsonl"
"$ANALYZE" -q --cell "$id" --markdown "$work/c.md" --html "$work/c.html" "$fixtures/debian12-6.1.json" "$work/k" ||
  fail "analyze exited $?"
grep -q ">64 calls from kernel.timeline (the first 64 of $calls)<" "$work/c.html" || fail "the cut timeline is not said to be cut"
grep -q '>later calls: up to 256</text>' "$work/c.html" || fail "the cut plot does not show where the later calls took the pipe"
grep -q "the first 64 of the $calls the probes counted" "$work/c.md" ||
  [ "$(tr '\n' ' ' <"$work/c.md" | grep -c "the first 64 of the $calls the probes counted")" -eq 1 ] ||
  fail "the markdown does not say the timeline is cut"
echo "ok - a cut timeline says so, in the HTML and the markdown"
# A kernel without probes: a line saying so, not an empty plot.
grep -q '<p>no probes on this kernel (not requested (--probe))</p>' "$work/c.html" ||
  fail "no 'no probes on this kernel' line"
echo "ok - a kernel without probes says so in a line"
expect "$(grep -c '<svg' "$work/c.html")" 3 "plots: 2 per-call, 1 occupancy (the kernel with probes)"

# Ids break only after a comma.
grep -q 'word-break:break-all' "$html" && fail "ids may break inside a parameter"
grep -q "<code class=\"id\"><span>drain,</span><wbr><span>tcp4,</span><wbr><span>pipe=64K,</span><wbr>" "$html" || fail "ids have no break points after their commas"
echo "ok - ids break only between parameters"
# Panels: those with a cell that differs come first.
first_panel=$(awk '/<div class="panel">/ { p++ } p == 1' "$html")
echo "$first_panel" | grep -q 'diff"' || fail "the first panel has no differing cell"
differing_after=$(awk '/<div class="panel">/ { p++; d[p] = 0 } /diff"/ { d[p] = 1 } END { seen = 0; for (i = 1; i <= p; i++) { if (!d[i]) seen = 1; else if (seen) { print "yes"; exit } } }' "$html")
[ -z "$differing_after" ] || fail "a differing panel comes after one where nothing differs"
echo "ok - panels that differ come first"
