#!/bin/bash
# A load cell with 1 024 concurrent connections (and one that cycles 64
# slots through 2 048 connections) finishes within its bound and leaves
# nothing behind: no process of the run, no socket of it, and the runner
# itself never holds the connections' fds (sampled while it runs).
# shellcheck source=tests/host/lib.sh
. "$(dirname "$0")/lib.sh"
# 1 024 connections hold about 10 000 fds; root lifts the hard limit itself.
hard=$(ulimit -Hn)
[ "$(id -u)" -eq 0 ] || [ "$hard" = unlimited ] || [ "$hard" -ge 12500 ] ||
  skip "RLIMIT_NOFILE hard limit $hard is below what 1024 connections need, and we are not root"
orphans() { # TCP sockets no process owns, other than TIME-WAIT (kernel-only)
  ss -tanpH 2>/dev/null | awk '$1 != "TIME-WAIT" && $0 !~ /users:/' | wc -l
}
bound_ms=20000
before=$(orphans)
out=$work/many
start=$(date +%s%N)
"$SPLICELAB" -q -o "$out" -s load -P go1.21.5+ -n 64K --connections 1024 \
  --cell-timeout "$bound_ms" &
runner=$!
peak=0 cell_peak=0
while kill -0 $runner 2>/dev/null; do
  n=$(ls /proc/$runner/fd 2>/dev/null | wc -l)
  [ "$n" -le "$peak" ] || peak=$n
  for c in $(pgrep -P $runner); do
    n=$(ls /proc/$c/fd 2>/dev/null | wc -l)
    [ "$n" -le "$cell_peak" ] || cell_peak=$n
  done
  sleep 0.02
done
wait $runner || fail "splicelab exited $?"
wall_ms=$(( ($(date +%s%N) - start) / 1000000 ))
note "1024 connections: ${wall_ms} ms wall, runner peak $peak fds, cell peak $cell_peak fds"
expect "$(q "$out" '.cells[0].outcome')" ok "1024 connections: outcome"
expect "$(q "$out" '.cells[0].load.per_connection.finished')" 1024 "1024 connections: finished"
expect "$(q "$out" '.cells[0].bytes_verified')" $((1024 * 65536)) "1024 connections: bytes verified"
[ "$wall_ms" -lt "$bound_ms" ] || fail "1024 connections took $wall_ms ms, bound $bound_ms"
echo "ok - 1024 connections within the bound: $wall_ms ms < $bound_ms ms"
[ "$peak" -lt 64 ] || fail "the runner held $peak fds: the connections' fds leaked into it"
echo "ok - the runner's fds stayed few: peak $peak"
expect_gt "$cell_peak" 4096 "the cell really held the connections (fds at its peak)"

run_matrix "$work/cycles" -s load -P go1.21.0-1.21.4 -n 64K --connections 64 --conn-count 2048
expect "$(q "$work/cycles" '.cells[0].outcome')" ok "64 x 2048 cycles: outcome"
expect "$(q "$work/cycles" '.cells[0].load.per_connection.finished')" 2048 "64 x 2048 cycles: finished"
expect_match "$(q "$work/cycles" '.cells[0].id')" ',conns=64,conn-count=2048$' "64 x 2048 cycles: the id"

left=$(pgrep -f -- "$work/" | tr '\n' ' ')
[ -z "$left" ] || fail "processes of the run left: $left"
echo "ok - no process of the run left"
sleep 0.5
after=$(orphans)
[ "$after" -le "$before" ] || fail "ownerless sockets: $before before, $after after"
echo "ok - no socket left behind ($before ownerless before, $after after)"
