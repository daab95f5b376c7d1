# Shared by the probe tests (sourced, not run): the kernel's per-process
# sums against every event, from one run.

# With splicelab --probe-events all the probe tool writes both each cell's
# `kernel` summary from the kernel's sums (matrix.json) and the same summary
# computed from the events it streamed (kernel-from-events.json): they must
# be equal, field by field, the timelines included. $1 = results folder,
# $2 = label.
same_summaries() {
  local k e
  k=$(jq -S -c '[.cells | to_entries[] | select(.value.kernel) | {key: (.key | tostring), value: .value.kernel}] | from_entries' "$1/matrix.json")
  e=$(jq -S -c . "$1/kernel-from-events.json")
  expect_gt "$(jq 'length' <<<"$e")" 0 "$2: cells summed up from the events"
  # The first cell and field that differ, not the whole document.
  local diff
  diff=$(jq -n -r --argjson k "$k" --argjson e "$e" '[($k + $e) | keys[] as $c | ($k[$c] // {}) as $a | ($e[$c] // {}) as $b |
      (($a + $b) | keys[]) as $f | select($a[$f] != $b[$f]) | "cell \($c) \($f): kernel \($a[$f] | tostring | .[:200]), events \($b[$f] | tostring | .[:200])"] | first // "none"')
  expect "$diff" none "$2: cells whose summary from the kernel's sums differs from the one from every event"
}

# Without it, no event crosses to user space and no events.jsonl is
# written, yet every event was counted. $1 = results folder, $2 = label.
summaries_only() {
  expect "$(jq -r '.env.probes.sent_events' "$1/matrix.json")" 0 "$2: events sent to user space"
  expect_gt "$(jq -r '.env.probes.events' "$1/matrix.json")" 0 "$2: events counted in the kernel"
  expect "$(test -e "$1/events.jsonl" && echo present || echo absent)" absent "$2: events.jsonl"
}
