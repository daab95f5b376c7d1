#!/bin/sh
# A pipe size above pipe-max-size: root (CAP_SYS_RESOURCE) gets it, an
# unprivileged user gets EPERM, which is recorded; the cell still runs with
# the pipe the kernel gave.
. "$(dirname "$0")/lib.sh"
max=$(cat /proc/sys/fs/pipe-max-size)
big=$((max * 2))
run_matrix_unprivileged "$work/user" -s proxy -p "$big" -n 1M
expect "$(q "$work/user" '.cells[0].pipe_size_error')" EPERM "unprivileged: refusal recorded"
expect "$(q "$work/user" '.cells[0].pipe_size_requested')" "$big" "unprivileged: size asked"
expect_gt "$(q "$work/user" '.cells[0].pipe_size')" 0 "unprivileged: the pipe it got"
expect "$(q "$work/user" '.cells[0].outcome')" ok "unprivileged: the cell still ran"
[ "$(id -u)" -eq 0 ] || exit 0
run_matrix "$work/root" -s proxy -p "$big" -n 1M
expect "$(q "$work/root" '.cells[0].outcome')" ok "root: the cell ran"
# CAP_SYS_RESOURCE is bit 24 of the effective set; containers often drop it.
cap_eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
if [ $(( (0x$cap_eff >> 24) & 1 )) -eq 1 ]; then
  expect "$(q "$work/root" '.cells[0].pipe_size_error')" null "root with CAP_SYS_RESOURCE: no refusal"
  expect "$(q "$work/root" '.cells[0].pipe_size')" "$big" "root with CAP_SYS_RESOURCE: the size asked"
else
  expect "$(q "$work/root" '.cells[0].pipe_size_error')" EPERM "root without CAP_SYS_RESOURCE: refusal recorded"
fi
