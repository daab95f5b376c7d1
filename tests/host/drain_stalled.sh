#!/bin/sh
# drain with SPLICE_F_NONBLOCK and Go's edge-triggered epoll: splice says
# EAGAIN (pipe full) while the socket still holds data, and the edge the
# relay waits for never comes.
. "$(dirname "$0")/lib.sh"
run_matrix "$work/r" -s drain -p 64K -n 16M -f NONBLOCK --src-nonblock on -l epoll
expect "$(q "$work/r" '.cells[0].outcome')" stalled "outcome"
expect_match "$(q "$work/r" '.cells[0].evidence.thread.syscall')" 'epoll' "relay sleeps in"
expect_match "$(q "$work/r" '.cells[0].evidence.waiting_on.fd')" 'source' "waits on"
expect_gt "$(q "$work/r" '.cells[0].evidence.src_rcv_queue')" 0 "bytes left in the socket"
