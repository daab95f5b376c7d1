#!/bin/sh
# drain with SPLICE_F_NONBLOCK and the busy retry loop of the seed's C
# rewrite: once the pipe is full every call says EAGAIN and the relay burns
# CPU without moving a byte (judged once its peers are still: a few ms of
# CPU, not the 100 ms window's).
. "$(dirname "$0")/lib.sh"
args="-s drain -p 64K -n 16M -f NONBLOCK --pipe-nonblock off -l busy"
for who in root user; do
  if [ $who = root ]; then run_matrix "$work/$who" $args; else run_matrix_unprivileged "$work/$who" $args; fi
  expect "$(q "$work/$who" '.cells[0].outcome')" spin "$who: outcome"
  expect_gt "$(q "$work/$who" '.cells[0].calls.eagain')" 100 "$who: EAGAIN count"
  expect_gt "$(q "$work/$who" '.cells[0].evidence.cpu_ms_in_window * 10 | floor')" 0 "$who: CPU in the window (0.1 ms)"
  expect_gt "$(q "$work/$who" '.cells[0].evidence.src_rcv_queue')" 0 "$who: bytes left in the socket"
done
