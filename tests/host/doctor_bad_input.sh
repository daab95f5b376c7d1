#!/bin/sh
# splicelab-doctor refuses what it cannot diagnose with one line on stderr,
# nothing on stdout, and exit 64: a PID that does not exist, one that is
# not a number, one that is not ours (as nobody: a root process), no PID,
# two PIDs, an unknown option, a bad --window. --help documents every
# option and the exit codes.
# shellcheck source=tests/host/doctor_lib.sh
. "$(dirname "$0")/doctor_lib.sh"

refused() { # refused WHAT REGEX ARGS...: exit 64, one line matching REGEX
  what=$1 regex=$2; shift 2
  "$@" >"$work/out" 2>"$work/err"
  rc=$?
  expect "$rc" 64 "$what: exit status"
  expect "$(wc -l <"$work/err" | tr -d ' ')" 1 "$what: lines on stderr"
  expect "$(wc -c <"$work/out" | tr -d ' ')" 0 "$what: bytes on stdout"
  expect_match "$(cat "$work/err")" "$regex" "$what: the message"
}

# A PID that existed and is gone: a reaped child's.
true &
gone=$!
wait $gone
[ -d /proc/$gone ] && skip "pid $gone was reused at once"
refused "a PID that does not exist" "no process $gone" "$DOCTOR" "$gone"
refused "a PID that is not a number" "not a PID: '12ab'" "$DOCTOR" 12ab
refused "a negative PID" "not a PID" "$DOCTOR" -- -5
refused "no PID" "one PID wanted" "$DOCTOR"
refused "two PIDs" "one PID wanted" "$DOCTOR" 1 2
refused "an unknown option" "unknown option '--frobnicate'" "$DOCTOR" --frobnicate 1
refused "--window 0" "--window wants milliseconds" "$DOCTOR" --window 0 $$
refused "--window abc" "--window wants milliseconds" "$DOCTOR" --window abc $$
refused "--probe 0" "--probe wants seconds" "$DOCTOR" --probe 0 $$
refused "--probe-btf of a missing file" "--probe-btf /nonexistent/btf: No such file" \
  "$DOCTOR" --probe 1 --probe-btf /nonexistent/btf $$
if [ "$(id -u)" -eq 0 ]; then
  sleep 20 &
  root_pid=$!
  refused "a process that is not ours (as nobody)" "is not ours" as_nobody "$DOCTOR" "$root_pid"
  kill "$root_pid"
  wait "$root_pid" 2>/dev/null
fi

"$DOCTOR" --help >"$work/help" || fail "--help exited $?"
for opt in --window --json --all --probe --probe-btf --version --help; do
  grep -q -- "$opt" "$work/help" || fail "--help does not document $opt"
done
echo "ok - --help documents every option"
for code in 0 64 69 70; do
  grep -q "$code" "$work/help" || fail "--help does not document exit status $code"
done
echo "ok - --help documents the exit codes"

# --probe where probes cannot run (this host is locked down) is no error:
# the diagnosis comes, with the probe's reason; where they run, its counts.
sleep 20 &
idle=$!
"$DOCTOR" --json --probe 1 "$idle" >"$work/probe.json" 2>"$work/probe.err" || fail "--probe exited $?"
kill "$idle"
wait "$idle" 2>/dev/null
expect "$(jq -r .verdict "$work/probe.json")" "not in splice" "--probe: the verdict still given"
case $(jq -r .probe.status "$work/probe.json") in
  refused) expect_match "$(jq -r .probe.reason "$work/probe.json")" 'probes cannot run' "--probe refused: the probe's reason" ;;
  ran) expect "$(jq -r '.probe.events | type' "$work/probe.json")" number "--probe ran: events counted" ;;
  *) fail "--probe: status $(jq -c .probe "$work/probe.json")" ;;
esac

# `splicelab doctor` is the same tool: the same refusals, help and verdict;
# a splicelab with no doctor beside it or on PATH says so in one line.
refused "splicelab doctor: a PID that does not exist" "^splicelab-doctor: no process $gone" "$SPLICELAB" doctor "$gone"
refused "splicelab doctor: no PID" "one PID wanted" "$SPLICELAB" doctor
"$SPLICELAB" doctor --help >"$work/alias-help" || fail "splicelab doctor --help exited $?"
cmp -s "$work/help" "$work/alias-help" || fail "splicelab doctor --help differs from splicelab-doctor --help"
echo "ok - splicelab doctor --help is splicelab-doctor's"
sleep 20 &
idle=$!
"$SPLICELAB" doctor --json "$idle" >"$work/alias.json" || fail "splicelab doctor exited $?"
kill "$idle"
wait "$idle" 2>/dev/null
expect "$(jq -r '.pid, .verdict' "$work/alias.json" | paste -sd' ')" "$idle not in splice" "splicelab doctor PID: the diagnosis"
"$SPLICELAB" --help | grep -q '^ *splicelab doctor PID' || fail "splicelab --help does not name splicelab doctor"
cp "$SPLICELAB" "$work/lone-splicelab"
PATH=/nonexistent "$work/lone-splicelab" doctor 1 >"$work/out" 2>"$work/err"
expect "$?:$(wc -l <"$work/err" | tr -d ' ')" "1:1" "splicelab doctor without splicelab-doctor: exit 1, one line"
expect_match "$(cat "$work/err")" "cannot run splicelab-doctor" "its message"
