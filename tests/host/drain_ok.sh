#!/bin/sh
# drain of a payload that fits the pipe: everything lands in the pipe and
# is read back and checked byte by byte.
. "$(dirname "$0")/lib.sh"
run_matrix "$work/r" -s drain -p 64K -n 16384,4K -f none,NONBLOCK
for i in 0 1 2 3; do
  expect "$(q "$work/r" ".cells[$i].outcome")" ok "cell $i outcome"
  expect "$(q "$work/r" ".cells[$i].bytes_verified")" "$(q "$work/r" ".cells[$i].payload")" \
    "cell $i bytes verified"
done
