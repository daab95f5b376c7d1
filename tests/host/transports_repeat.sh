#!/bin/sh
# The relay over IPv6 and unix stream sockets, and --repeat: every run of a
# cell is counted, and agreeing runs are marked consistent.
. "$(dirname "$0")/lib.sh"
run_matrix "$work/r" -s proxy -t tcp4,unix -n 1M -r 3
for i in 0 1; do
  expect "$(q "$work/r" ".cells[$i].outcome")" ok "$(q "$work/r" ".cells[$i].transport"): outcome"
  expect "$(q "$work/r" ".cells[$i].runs.total")" 3 "runs counted"
  expect "$(q "$work/r" ".cells[$i].runs.outcomes.ok")" 3 "ok in every run"
  expect "$(q "$work/r" ".cells[$i].runs.consistent")" true "consistent"
done
if ip -6 addr show lo 2>/dev/null | grep -q '::1'; then
  run_matrix "$work/v6" -s proxy -t tcp6 -n 1M
  expect "$(q "$work/v6" '.cells[0].outcome')" ok "tcp6: outcome"
else
  run_matrix "$work/v6" -s proxy -t tcp6 -n 1M
  expect "$(q "$work/v6" '.cells[0].outcome')" error "tcp6 without ::1: outcome"
fi
