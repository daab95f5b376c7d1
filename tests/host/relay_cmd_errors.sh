#!/bin/sh
# --relay-cmd when the program is not a working relay, and bad input. A
# program that exits at once is an `error` cell with its exit status and
# the first lines of its stderr; one that never listens is an `error` after
# the bounded wait (5 s), killed; a program that cannot be run, an empty
# or unparsable command, one without {listen} and options only the
# built-in relay honours: one line, exit 64, nothing written.
# shellcheck source=tests/host/lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$work/exits" <<'SH'
#!/bin/sh
echo "exits: cannot bind $1" >&2
echo "second line" >&2
exit 3
SH
chmod 755 "$work/exits"
run_matrix "$work/exit" --relay-cmd "$work/exits {listen} {upstream}" -n 1M
expect "$(q "$work/exit" '.cells[0].outcome')" error "a relay that exits at once"
expect "$(q "$work/exit" '.cells[0].evidence.relay_exit_status')" 3 "its exit status"
expect_match "$(q "$work/exit" '.cells[0].evidence.relay_stderr')" '^exits: cannot bind 127\.0\.0\.1:[0-9]+ \| second line$' "its stderr, the address filled in"

# Never listens: sh -c makes {listen} its $0, so the command is valid.
start=$(date +%s)
run_matrix "$work/deaf" --relay-cmd "sh -c 'exec sleep 29.5' {listen}" -n 1M
took=$(( $(date +%s) - start ))
expect "$(q "$work/deaf" '.cells[0].outcome')" error "a relay that never listens"
expect "$(q "$work/deaf" '.cells[0].evidence.errno')" ETIMEDOUT "after the bounded wait"
[ "$took" -lt 15 ] || fail "the wait took ${took}s"
echo "ok - gave up after ${took}s"
sleep 0.2
expect "$(pgrep -f '^sleep 29.5$' | tr '\n' ' ')" "" "the silent relay left running"

# bad ARGS...: exit 64, one line on stderr, nothing on stdout, no output.
bad() {
  rc=0
  "$SPLICELAB" -o "$work/none" "$@" >"$work/out" 2>"$work/err" || rc=$?
  expect "$rc" 64 "exit status of: $*"
  expect "$(wc -l <"$work/err" | tr -d ' ')" 1 "stderr lines of: $*"
  [ ! -s "$work/out" ] || fail "stdout of $*: $(cat "$work/out")"
  [ ! -e "$work/none" ] || fail "$*: $work/none was written"
}
bad --relay-cmd ''
bad --relay-cmd '   '
bad --relay-cmd "$work/exits 'unclosed {listen}"
bad --relay-cmd "$work/exits {upstream}"
bad --relay-cmd '/nonexistent/relay {listen} {upstream}'
bad --relay-cmd 'no-such-relay-program {listen} {upstream}'
bad --relay-cmd "$work/exits {listen}" --flags NONBLOCK
bad --relay-cmd "$work/exits {listen}" --pipe-size 1M
bad --relay-cmd "$work/exits {listen}" -P go1.21.5+
bad --relay-cmd "$work/exits {listen}" --loop epoll
bad --relay-cmd "$work/exits {listen}" --chunk 64K
bad --relay-cmd "$work/exits {listen}" -t unix
bad --relay-cmd "$work/exits {listen}" --relay-name 'has space'
bad --relay-name lonely
expect_match "$(cat "$work/err")" 'relay-name' "the line names the option"
