#!/bin/sh
# Every profile's relay delivers every byte on this kernel. On 5.1+ even
# Go 1.21.0-1.21.4 (flags 0) works, because its pipe is O_NONBLOCK and the
# kernel promotes that to SPLICE_F_NONBLOCK.
. "$(dirname "$0")/lib.sh"
release=$(uname -r)
run_matrix "$work/root" -P all -n 1M,16M
run_matrix_unprivileged "$work/user" -P all -n 1M
for dir in root user; do
  n=$(q "$work/$dir" '.cells | length')
  expect_gt "$n" 5 "$dir: profile cells"
  bad=$(q "$work/$dir" '[.cells[] | select(.outcome != "ok" or .bytes_verified != .payload) | .id] | join(" ")')
  expect "$bad" "" "$dir: cells not ok or not fully verified on $release"
done
