#!/bin/bash
# scripts/deps.sh and a dpkg lock held by another package manager (as on a
# freshly booted cloud machine): it says it waits, for whom, waits while
# the lock is held and goes on as soon as it is free; held past
# DEPS_LOCK_WAIT, one line and exit 1. The lock here is a real fcntl lock
# on a file of this test, taken by perl as apt takes its own (the machine's
# real lock is not touched).
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
lock="$work/lock-frontend"
: >"$lock"
# hold SECONDS: hold the lock for SECONDS in the background (pid in holder).
hold() {
  perl -e 'use Fcntl; open(my $fh, ">>", $ARGV[0]) or die;
    fcntl($fh, F_SETLK, pack("s s x4 q q i x4", F_WRLCK, SEEK_SET, 0, 0, 0)) or die "lock: $!";
    open(my $r, ">", "$ARGV[0].held"); close $r; sleep $ARGV[1]' "$lock" "$1" &
  holder=$!
  for _ in $(seq 50); do [ -e "$lock.held" ] && return; sleep 0.1; done
  fail "perl did not take the lock"
}
deps() { DEPS_LOCKS="$lock" "$top/scripts/deps.sh" "$@"; }

deps --wait-lock 2>"$work/err" || fail "free lock: exit $?: $(cat "$work/err")"
[ ! -s "$work/err" ] || fail "free lock: said something: $(cat "$work/err")"
echo "ok - a free lock: no wait, no word"

hold 3
start=$(date +%s%3N)
DEPS_LOCK_WAIT=30 deps --wait-lock 2>"$work/err" || fail "held 3 s: exit $?: $(cat "$work/err")"
took=$(($(date +%s%3N) - start))
wait "$holder"
rm -f "$lock.held"
expect_match "$(head -n1 "$work/err")" "holds the dpkg lock \(pid $holder \(perl\)\): waiting up to 30 s" "held 3 s: says it waits, for whom"
expect_match "$(tail -n1 "$work/err")" "the dpkg lock is free after [0-9]+ s" "held 3 s: says when it is free"
expect_gt "$took" 2000 "held 3 s: waited (ms)"
[ "$took" -lt 10000 ] || fail "held 3 s: went on only after $took ms"
echo "ok - held 3 s: went on after $took ms"

hold 30
start=$(date +%s)
DEPS_LOCK_WAIT=2 deps --wait-lock 2>"$work/err"
rc=$?
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
expect "$rc" 1 "held past the bound: exit status"
expect_match "$(tail -n1 "$work/err")" "still held after 2 s \(pid [0-9]+ \(perl\)\)" "held past the bound: says so"
[ $(($(date +%s) - start)) -lt 10 ] || fail "held past the bound: the 2 s bound took $(($(date +%s) - start)) s"
deps --wait-lock extra 2>/dev/null
expect $? 64 "--wait-lock with more: usage"
