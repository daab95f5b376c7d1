#!/bin/bash
# This host's kernel refuses kernel probes (no kprobes, fentry -> EPERM).
# splicelab --probe must say so in one line and in env.probes, and the
# matrix must still run with the same verdict. (On a host that allows them,
# the probes must instead produce events.jsonl and per-cell summaries.)
# shellcheck source=tests/host/lib.sh
. "$(dirname "$0")/lib.sh"
probe=$(dirname "$SPLICELAB")/splicelab-probe
[ -x "$probe" ] || skip "$probe not built (make, with clang and libbpf)"
[ "$(id -u)" -eq 0 ] || skip "probes need root"

"$SPLICELAB" --probe -o "$work/m" -s drain -p 64K -n 16M -f none >"$work/out" 2>"$work/err"
rc=$?
expect "$rc" 0 "splicelab --probe exit status"
mode=$(q "$work/m" .env.probes.mode)
expect "$(q "$work/m" '.cells[0].outcome')" blocked "the drain cell's verdict with --probe"
if [ "$mode" = none ]; then
  reason=$(q "$work/m" .env.probes.reason)
  expect_match "$reason" 'fentry: .*kprobe: ' "env.probes.reason names both attach modes tried"
  expect "$(grep -c . "$work/err")" 1 "lines on stderr"
  expect_match "$(cat "$work/err")" "^splicelab: probes: .*; the matrix runs without them$" "the one stderr line"
  [ ! -e "$work/m/events.jsonl" ] || fail "events.jsonl written although no probe ran"
  echo "ok - no events.jsonl"
  [ "$(q "$work/m" '.cells[0] | has("kernel")')" = false ] || fail "a kernel summary without probes"
  echo "ok - no kernel summary in the cell"
  "$probe" --list >"$work/list" 2>"$work/list.err"
  expect "$?" 69 "splicelab-probe --list exit status where probes cannot run"
  expect_match "$(head -n1 "$work/list")" '^mode: none$' "--list says mode none"
else
  note "this kernel allows probes ($mode): checking that they recorded"
  [ -s "$work/m/events.jsonl" ] || fail "no events.jsonl"
  expect_gt "$(q "$work/m" '.cells[0].kernel.events')" 0 "kernel events of the cell"
fi

# A file that is not BTF: one line saying so, exit 69, nothing loaded.
"$probe" --btf /etc/hostname --pid 1 >"$work/o" 2>"$work/e"
expect "$?" 69 "splicelab-probe --btf NOT-BTF: exit status"
expect "$(grep -c . "$work/e")" 1 "splicelab-probe --btf NOT-BTF: lines on stderr"
expect_match "$(cat "$work/e")" 'cannot read BTF from /etc/hostname' "splicelab-probe --btf NOT-BTF: the line"

# Bad usage: one line, exit 64.
for args in "--pid abc" "" "--pid 1 --ppid 1" "--mode trampoline --pid 1" "--duration -1 --pid 1" "--btf /nonexistent --pid 1"; do
  # shellcheck disable=SC2086 # word splitting is the point
  "$probe" $args >"$work/o" 2>"$work/e"
  rc=$?
  expect "$rc" 64 "splicelab-probe $args: exit status"
  expect "$(grep -c . "$work/e")" 1 "splicelab-probe $args: lines on stderr"
done
"$SPLICELAB" --probe-mode bogus -s drain -n 64K -o "$work/bad" 2>"$work/e"
expect "$?" 64 "splicelab --probe-mode bogus: exit status"
[ ! -e "$work/bad" ] || fail "--probe-mode bogus wrote $work/bad"
echo "ok - nothing written"
