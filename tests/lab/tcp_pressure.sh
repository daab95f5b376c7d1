#!/bin/bash
# Load cells while the kernel is under TCP memory pressure (4.9 guest,
# tcp_mem lowered, 32 connections of 4 MiB). The kernel then refuses socket
# memory: a non-blocking splice into a socket gets EAGAIN with an empty,
# "writable" send queue and no write-space wakeup follows, so a relay
# waiting for EPOLLOUT sits in epoll_wait with no byte moving anywhere, for
# seconds or for good. Before the classifier knew it, 1 to 9 of the 64
# connections came out `stalled` after the 100 ms window in every run here
# (and once in CI under the default tcp_mem), blamed on the relay.
# Asserted: the kernel did go under pressure (its own counter); nothing is
# `blocked` (4.9 does not sleep in splice here); each cell is ok with every
# byte, or stalled only after the 10 s of patience that pressure gets, with
# the pressure named in its evidence.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
need_tools
need_qemu
need_shelf bzImage-4.9.229
conns=32 bytes=4194304
v=$work/vm
guest='echo 600 800 1000 >/proc/sys/net/ipv4/tcp_mem
splicelab -q -o sl -s load -P go1.21.0-1.21.4,go1.21.5+ --connections '$conns' -n '$bytes' \
  -j 1 --cell-timeout 200000 >sl.log 2>&1
cat /proc/net/netstat >netstat.txt'
"$top/scripts/lab/vm-run.sh" -q --kernel "$shelf/bzImage-4.9.229" --accel tcg --timeout 400 --out "$v" \
  --cmd "$guest" --fetch sl --fetch sl.log --fetch netstat.txt >"$work/vm.out" 2>&1 ||
  fail "vm-run exited $?: $(tail -n 20 "$work/vm.out")"
no_stray_qemu "after the guest"
[ -s "$v/sl/matrix.json" ] || fail "no matrix: $(tail -n 5 "$v/sl.log")"
pressures=$(awk '/^TcpExt:/ { if (!n++) for (i = 1; i <= NF; i++) h[i] = $i; else for (i = 1; i <= NF; i++) if (h[i] == "TCPMemoryPressures") print $i }' "$v/netstat.txt")
expect_gt "${pressures:-0}" 0 "the kernel's TCPMemoryPressures"
for p in go1.21.0-1.21.4 go1.21.5+; do
  cell() { jq -r --arg p "$p" ".cells[] | select(.profile == \$p) | $1" "$v/sl/matrix.json"; }
  expect "$(cell .load.per_connection.blocked)" 0 "$p: connections blocked in splice"
  case $(cell .outcome) in
  ok)
    expect "$(cell .load.per_connection.finished)" "$conns" "$p: connections finished"
    expect "$(cell .bytes_verified)" $((conns * bytes)) "$p: bytes verified" ;;
  stalled)
    expect_match "$(cell .evidence.note)" 'under memory pressure in this cell' "$p: the stall names TCP's memory pressure"
    expect "$(cell .evidence.tcp_memory_pressure)" true "$p: the evidence's tcp_memory_pressure"
    expect_gt "$(cell '.detected_after_ms | floor')" 9999 "$p: judged after the pressure patience (ms)"
    note "$p: $(cell .load.per_connection.stalled) connections stayed without a wakeup for 10 s under pressure" ;;
  *) fail "$p: outcome $(cell .outcome): $(cell .evidence.note)" ;;
  esac
done
no_leftovers "$work" "after the run"
