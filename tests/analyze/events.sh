#!/bin/sh
# A results folder whose cells lack kernel.timeline but hold events.jsonl:
# the occupancy timeline comes from the cell's splice_to_pipe events (other
# cells' and other functions' events are left out; calls the probes folded
# into a later event's folded_before still count in the call numbers).
. "$(dirname "$0")/lib.sh"
id='drain,tcp4,pipe=64K,payload=1M,chunk=1M,flags=none,pnb=1,snb=0,dnb=0,loop=busy,sender=one,head=256K'
other='drain,tcp4,pipe=64K,payload=1M,chunk=1M,flags=none,pnb=0,snb=0,dnb=0,loop=busy,sender=one,head=256K'
mkdir -p "$work/k"
jq 'del(.cells[].kernel.timeline)' "$fixtures/synthetic-3.10.json" >"$work/k/matrix.json"
ev() { # ev TS TID FN PHASE SLOTS BYTES RET CELL [FOLDED]
  printf '{"ts_ns":%s,"pid":5,"tid":%s,"fn":"%s","phase":"%s","pipe":1,"slots_used":%s,"slots_total":16,"bytes_in_pipe":%s,"len":1048576,"flags":0,"ret":%s,"wait_ns":null,"cell":"%s","folded_before":%s}\n' "$@" "${10:-0}"
}
{
  ev 1 7 splice_to_pipe entry 0 0 null "$id"
  ev 2 7 tcp_splice_read entry 0 0 null "$id"
  ev 3 8 splice_to_pipe entry 3 12288 null "$other"
  ev 4 7 splice_to_pipe exit 16 65160 65160 "$id"
  ev 5 8 splice_to_pipe exit 5 20480 8192 "$other"
  ev 6 7 splice_to_pipe entry 16 65160 null "$id"
  ev 7 7 splice_to_pipe exit 16 65160 -11 "$id" 5
  ev 8 7 splice_to_pipe entry 9 36864 null "$id"
  printf '{"ts_ns":9,"pid":6,"tid":9,"fn":"splice_to_pipe","phase":"entry","cell":null}\n'
} >"$work/k/events.jsonl"
"$ANALYZE" -q --cell "$id" --cell "$id" --markdown "$work/r.md" --html "$work/r.html" \
  "$fixtures/debian12-6.1.json" "$work/k" || fail "analyze exited $?"
expect_match "$(cat "$work/r.md")" '\| events.jsonl \| no \| yes \|' "events.jsonl found beside the matrix"
expect "$(grep -c '^### ' "$work/r.md")" 1 "cells detailed (--cell given twice)"
expect_match "$(cat "$work/r.md")" 'calls, from events.jsonl' "timeline source"
expect "$(grep -c '^| [0-9] |' "$work/r.md")" 3 "timeline rows (this cell's calls only)"
expect_match "$(cat "$work/r.md")" '\| 1 \| 0 \| 16 \| 16 \| 0 \| 65160 \| 65160 \|' "first call"
expect_match "$(cat "$work/r.md")" '\| 7 \| 16 \| 16 \| 16 \| 65160 \| 65160 \| -11 \|' "the call after 5 folded EAGAIN calls"
expect_match "$(cat "$work/r.md")" '\| 8 \| 9 \| - \| 16 \| 36864 \| - \| never \(asleep\) \|' "the call that never returned"
grep -q '>3 calls from events.jsonl<' "$work/r.html" || fail "the HTML plot does not come from events.jsonl"
echo "ok - HTML occupancy plot from events.jsonl"
