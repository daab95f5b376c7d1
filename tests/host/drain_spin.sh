#!/bin/sh
# drain with SPLICE_F_NONBLOCK and the busy retry loop of the seed's C
# rewrite: once the pipe is full every call says EAGAIN and the relay burns
# CPU without moving a byte.
. "$(dirname "$0")/lib.sh"
args="-s drain -p 64K -n 16M -f NONBLOCK --pipe-nonblock off -l busy"
for who in root user; do
  if [ $who = root ]; then run_matrix "$work/$who" $args; else run_matrix_unprivileged "$work/$who" $args; fi
  expect "$(q "$work/$who" '.cells[0].outcome')" spin "$who: outcome"
  expect_gt "$(q "$work/$who" '.cells[0].calls.eagain')" 100 "$who: EAGAIN count"
  expect_gt "$(q "$work/$who" '.cells[0].evidence.cpu_ms_in_window | floor')" 4 "$who: CPU ms in the window"
  expect_gt "$(q "$work/$who" '.cells[0].evidence.src_rcv_queue')" 0 "$who: bytes left in the socket"
done
