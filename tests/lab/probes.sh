#!/bin/bash
# Kernel probes inside Debian 12's 6.1 in TCG (this host refuses them), one
# boot, both attach modes on the same cells:
#   drain, flags none, plain 64 KiB pipe -> the pipe fills to its 16 slots,
#     the relay is still inside wait_for_space / pipe_wait_writable when the
#     cell is killed, and tcp_splice_read returned what the repro itself saw
#     each call move;
#   proxy, every profile (4 MiB: more than 64 splice_to_pipe calls in some
#     cells, so timeline_last holds the ring) -> occupancy never above capacity, every
#     splice_to_pipe entry has its exit;
#   fentry and kprobe give the same summaries (counts that depend on timing
#     aside: which functions were called, capacity, a blocked cell's pipe
#     full, unreturned);
#   standalone beside a running transfer: JSON lines of that one process,
#     in time order, and the live text view;
#   the summaries the kernel sums up equal those computed from every event
#     (--probe-events all writes both), and by default no event
#     reaches user space while the summaries keep what the events showed.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lab/probes_lib.sh
. "$(dirname "$0")/probes_lib.sh"
need_tools
need_qemu
need_debian12
[ -x "$top/$BUILD/static/splicelab-probe" ] || fail "$BUILD/static/splicelab-probe missing: run make"

guest='for mode in fentry kprobe; do
  splicelab-probe --list --mode $mode >list-$mode.txt 2>&1
  splicelab -q --probe-events all --probe-mode $mode -o $mode-drain -s drain -p 64K -n 16M -f none
  splicelab -q --probe-events all --probe-mode $mode -o $mode-proxy -P all -n 4M
  splicelab -q --probe-mode $mode -o $mode-drain-sum -s drain -p 64K -n 16M -f none
  splicelab -q --probe-mode $mode -o $mode-proxy-sum -P all -n 1M
done
# Standalone, beside long transfers (8 GiB one after the other, so that
# they outlast both tools however fast the guest): JSON lines and, at the
# same time, the live text view. The relay waits in poll, not in a busy
# loop: once (in about ten runs) a guest hung here with busy relays; the
# suspicion, not proven, is that detaching fexit programs waited for a
# relay that never slept.
mkdir standalone
splicelab -q -o standalone/m -s proxy -n 1G -f NONBLOCK -l poll -j 1 --repeat 8 --cell-timeout 600000 &
runner=$!
# Children of the runner (its cells), sampled while it runs.
while kill -0 $runner 2>/dev/null; do
  for f in /proc/[0-9]*/status; do
    if grep -qs "^PPid:[[:space:]]*$runner\$" $f; then f=${f#/proc/}; echo ${f%/status}; fi
  done
  sleep 0.1
done >standalone/children &
sleep 1
splicelab-probe --ppid $runner -d 2 --json standalone/events.jsonl 2>standalone/stderr.json &
splicelab-probe --ppid $runner -d 2 >standalone/text 2>standalone/stderr.text
echo "exit $?" >>standalone/stderr.text
wait $!
echo "exit $?" >>standalone/stderr.json
kill -KILL $runner; wait $runner
cat standalone/stderr.json standalone/stderr.text >standalone/stderr'
"$top/scripts/lab/vm-run.sh" -q --kernel-dir "$work/debian12" --accel tcg --timeout 400 \
  --out "$work/vm" --cmd "$guest" --fetch list-fentry.txt --fetch list-kprobe.txt \
  --fetch fentry-drain --fetch fentry-proxy --fetch kprobe-drain --fetch kprobe-proxy --fetch standalone \
  --fetch fentry-drain-sum --fetch fentry-proxy-sum --fetch kprobe-drain-sum --fetch kprobe-proxy-sum \
  >"$work/vm.out" 2>&1 || fail "vm-run exited $?: $(tail -n 20 "$work/vm.out")"
no_stray_qemu "after the guest"
v=$work/vm

for mode in fentry kprobe; do
  grep -q "^mode: $mode$" "$v/list-$mode.txt" || fail "--list --mode $mode: $(head -n3 "$v/list-$mode.txt")"
  grep -q "^attached  *splice_to_pipe  *$mode" "$v/list-$mode.txt" || fail "--list --mode $mode: splice_to_pipe not attached"
  grep -q "^not attached  *pipe_wait " "$v/list-$mode.txt" || fail "--list --mode $mode: pipe_wait (gone in 5.9) not reported"
  echo "ok - --list --mode $mode: splice_to_pipe attached, pipe_wait reported absent"

  d=$v/$mode-drain
  j() { jq -r "$1" "$d/matrix.json"; }
  expect "$(j .env.probes.mode)" "$mode" "$mode drain: env.probes.mode"
  expect "$(j .env.probes.lost_events)" 0 "$mode drain: lost events"
  expect "$(j .env.probes.pipe_layout)" head_tail "$mode drain: pipe layout found by CO-RE"
  expect "$(j '.cells[0].outcome')" blocked "$mode drain: outcome"
  expect "$(j '.cells[0].kernel.slots_total')" 16 "$mode drain: capacity in slots (64 KiB pipe)"
  expect "$(j '.cells[0].kernel.max_slots_used')" 16 "$mode drain: occupancy rose to capacity"
  expect_gt "$(j '.cells[0].kernel.max_bytes_in_pipe')" 65536 "$mode drain: bytes in the full pipe"
  expect "$(j '[.cells[0].kernel.unreturned[] | select(. == "wait_for_space" or . == "pipe_wait_writable")] | length > 0')" true \
    "$mode drain: a wait for space entered and not left when the cell was killed"
  expect "$(j '.cells[0].kernel.read_bytes_per_call == .cells[0].per_call_bytes')" true \
    "$mode drain: bytes per tcp_splice_read = the repro's per-call bytes ($(j '.cells[0].per_call_bytes | join(",")'))"
  expect_gt "$(j '.cells[0].kernel.calls.splice_to_pipe')" 0 "$mode drain: splice_to_pipe calls"
  cell=$(j '.cells[0].id')
  expect "$(jq -r --arg c "$cell" 'select(.cell != $c) | .cell' "$d/events.jsonl" | sort -u | tr '\n' ' ')" "" \
    "$mode drain: events of other processes"
  expect "$(jq -s '[.[] | .ts_ns] | . == sort' "$d/events.jsonl")" true "$mode drain: events in time order"

  p=$v/$mode-proxy
  expect "$(jq -r '[.cells[] | select(.outcome != "ok") | .id] | join(" ")' "$p/matrix.json")" "" "$mode proxy: cells not ok"
  expect "$(jq -r '.cells | length' "$p/matrix.json")" 6 "$mode proxy: profiles"
  expect "$(jq -r '[.cells[] | select(.kernel.unreturned != []) | .id] | join(" ")' "$p/matrix.json")" "" \
    "$mode proxy: cells with a call that never returned"
  expect "$(jq -r '[.cells[] | select((.kernel.calls.splice_to_pipe // 0) == 0) | .id] | join(" ")' "$p/matrix.json")" "" \
    "$mode proxy: cells without splice_to_pipe calls"
  expect "$(jq -r 'select(.slots_used != null and .slots_used > .slots_total) | .cell' "$p/events.jsonl" | head -n3)" "" \
    "$mode proxy: events with occupancy above capacity"
  expect "$(jq -s -r 'map(select(.fn == "splice_to_pipe")) | group_by(.cell)[] |
      select((map(select(.phase == "entry")) | length) != (map(select(.phase == "exit")) | length)) | .[0].cell' "$p/events.jsonl")" "" \
    "$mode proxy: cells whose splice_to_pipe entries and exits differ in number"
  same_summaries "$d" "$mode drain"
  same_summaries "$p" "$mode proxy"
  expect_gt "$(jq '[.cells[].kernel.timeline_last | length] | max' "$p/matrix.json")" 0 \
    "$mode proxy: calls after the first 64 in a cell's timeline_last (the kernel's ring)"

  # By default: the kernel's sums only, and they tell the same story.
  d=$v/$mode-drain-sum
  summaries_only "$d" "$mode drain, default"
  expect "$(j '.cells[0].outcome')" blocked "$mode drain, default: outcome"
  expect "$(j '.cells[0].kernel.max_slots_used')/$(j '.cells[0].kernel.slots_total')" 16/16 "$mode drain, default: the pipe filled"
  expect "$(j '[.cells[0].kernel.unreturned[] | select(. == "wait_for_space" or . == "pipe_wait_writable")] | length > 0')" true \
    "$mode drain, default: a wait for space not left when the cell was killed"
  expect "$(j '.cells[0].kernel.read_bytes_per_call == .cells[0].per_call_bytes')" true \
    "$mode drain, default: bytes per tcp_splice_read = the repro's per-call bytes"
  expect "$(j '.cells[0].kernel.timeline | length > 0 and (map(.slots_after // 0) | max) == 16')" true \
    "$mode drain, default: the timeline shows the pipe filling"
  p=$v/$mode-proxy-sum
  summaries_only "$p" "$mode proxy, default"
  expect "$(jq -r '[.cells[] | select((.kernel.calls.splice_to_pipe // 0) == 0 or .kernel.unreturned != []) | .id] | join(" ")' "$p/matrix.json")" "" \
    "$mode proxy, default: cells without splice_to_pipe calls or with a call that never returned"
done

# The two modes agree on what the kernel did (not on timing).
shape='[.cells[] | {id, outcome, fns: (.kernel.calls | keys), slots_total: .kernel.slots_total,
  full_when_blocked: (if .outcome == "blocked" then .kernel.max_slots_used == .kernel.slots_total else null end),
  unreturned: (.kernel.unreturned | sort)}]'
for what in drain proxy; do
  expect "$(jq -c "$shape" "$v/kprobe-$what/matrix.json")" "$(jq -c "$shape" "$v/fentry-$what/matrix.json")" \
    "kprobe and fentry summaries of $what"
done

# Standalone: only the runner's children, in time order; the text view.
st=$v/standalone
expect "$(grep -c '^exit 0$' "$st/stderr")" 2 "standalone runs exit 0 ($(grep -v '^exit' "$st/stderr" | head -n2 | tr '\n' ' '))"
expect_gt "$(grep -c . "$st/events.jsonl")" 10 "standalone: events recorded in 2 s of 1 GiB transfers"
expect_gt "$(sort -u "$st/children" | grep -c .)" 0 "standalone: the runner's children seen"
expect "$(jq -r .pid "$st/events.jsonl" | sort -u | grep -vxF -f <(sort -u "$st/children") | tr '\n' ' ')" "" \
  "standalone: processes in the events that are not the runner's children"
expect "$(jq -s '[.[] | .ts_ns] | . == sort' "$st/events.jsonl")" true "standalone: events in time order"
expect "$(jq -r 'select(.cell != null) | .cell' "$st/events.jsonl" | head -n1)" "" "standalone: no cell ids (no matrix to join)"
expect_match "$(head -n1 "$st/text")" ' splice_to_pipe | tcp_splice_read | wait_for_space | do_splice_to ' "standalone text view"
