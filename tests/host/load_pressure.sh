#!/bin/bash
# --pipe-pressure as an unprivileged user: the cell's user holds the soft
# limit's worth of pipe pages before the relay starts, so its one
# connection gets what the 65th of a Go proxy gets: F_SETPIPE_SZ refused
# (EPERM) and a small pipe, recorded per cell; the cell still runs. The
# same cells without the pressure get Go's 1 MiB pipes, which shows the
# pressure is what made the difference.
# shellcheck source=tests/host/lib.sh
. "$(dirname "$0")/lib.sh"
soft=$(cat /proc/sys/fs/pipe-user-pages-soft 2>/dev/null) ||
  skip "no /proc/sys/fs/pipe-user-pages-soft: this kernel has no per-user pipe limit"
[ "$soft" -gt 0 ] || skip "pipe-user-pages-soft is 0: no per-user soft limit to press against"
user=()
if [ "$(id -u)" -eq 0 ]; then
  getent passwd nobody >/dev/null || skip "no user 'nobody' to run the cells as"
  user=(--as-user nobody)
fi
profiles=go1.21.0-1.21.4,go1.21.5+
run_matrix "$work/free" -s load -P "$profiles" -n 1M "${user[@]}"
run_matrix "$work/pressed" -s load -P "$profiles" -n 1M --pipe-pressure "$soft" "${user[@]}"
for i in 0 1; do
  p=$(q "$work/pressed" ".cells[$i].profile")
  expect "$(q "$work/free" ".cells[$i].pipe_size")" 1048576 "$p, no pressure: Go's 1 MiB pipe"
  expect "$(q "$work/free" ".cells[$i].load.pipes.setpipe_refused")" 0 "$p, no pressure: no refusal"
  [ "${#user[@]}" -eq 0 ] || expect "$(q "$work/pressed" ".cells[$i].load.user.uid")" \
    "$(id -u nobody)" "$p: the cell ran as nobody"
  expect "$(q "$work/pressed" ".cells[$i].load.pipe_pressure.pages_held")" "$soft" \
    "$p: the holder keeps the soft limit's pages"
  expect "$(q "$work/pressed" ".cells[$i].load.pipe_limits.user_pages_soft")" "$soft" \
    "$p: the soft limit recorded"
  expect_gt "$(q "$work/pressed" ".cells[$i].load.user_pages_at_start.pages")" "$((soft - 1))" \
    "$p: pages in use when the relay started"
  created=$(q "$work/pressed" ".cells[$i].load.pipes.created")
  expect "$created" 2 "$p: pipes made (one per direction)"
  expect "$(q "$work/pressed" ".cells[$i].load.pipes.setpipe_refused")" "$created" \
    "$p: every F_SETPIPE_SZ refused"
  expect "$(q "$work/pressed" ".cells[$i].load.pipes.setpipe_errno")" EPERM "$p: with EPERM"
  expect "$(q "$work/pressed" ".cells[$i].pipe_size_error")" EPERM "$p: the cell's pipe_size_error"
  small=$(q "$work/pressed" ".cells[$i].pipe_size")
  [ "$small" -lt 65536 ] || fail "$p: pipe of $small bytes under pressure, not a small one"
  echo "ok - $p: the pipe it got under pressure = $small bytes"
  outcome=$(q "$work/pressed" ".cells[$i].outcome")
  expect_match "$outcome" '^(ok|blocked|stalled|spin)$' "$p under pressure: a verdict, no crash or error"
  expect "$(q "$work/pressed" ".cells[$i].load.per_connection.finished + .cells[$i].load.per_connection.blocked + .cells[$i].load.per_connection.stalled + .cells[$i].load.per_connection.spin")" 1 \
    "$p under pressure: its one connection accounted for"
done
