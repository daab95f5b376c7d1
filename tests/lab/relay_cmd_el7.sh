#!/bin/bash
# --relay-cmd inside CentOS 7.9's kernel (3.10.0-1160.el7, ../shared/
# kernels) with the real Go proxies (../shared/peers) put into the guest:
# one connection through Go 1.21.1's proxy passes; 128 concurrent
# connections of 4 MiB with the proxy run as the unprivileged user `lab`
# (past the per-user pipe pages its new pipes get 1 slot, and its splice
# without SPLICE_F_NONBLOCK sleeps in pipe_wait under splice_to_pipe) come
# out `blocked`, the evidence naming a thread asleep in splice(socket->pipe)
# with bytes queued on its source socket and a 1-slot pipe, the stack in
# splice_to_pipe; Go 1.21.5 under the same load is `ok`, every byte of
# every connection verified. One TCG boot.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
j() { jq -r "$2" "$1/matrix.json"; }
need_tools
need_qemu
kernel=$top/../shared/kernels/bzImage-3.10.0-1160.el7.x86_64
peers=$top/../shared/peers
[ -r "$kernel" ] || skip "no CentOS 7 lab kernel beside this checkout (../shared/kernels)"
for p in proxy-go1.21.1 proxy-go1.21.5; do
  [ -x "$peers/$p" ] || skip "no real Go proxies beside this checkout (../shared/peers/$p)"
done

# shellcheck disable=SC2016 # expanded by the guest's shell
guest='for v in 1.21.1 1.21.5; do
  splicelab -q --relay-cmd "/bin/proxy-go$v {listen} {upstream}" -n 4M -o one-$v
  splicelab -q --relay-cmd "/bin/proxy-go$v {listen} {upstream}" -n 4M --connections 128 \
    --as-user lab -j 1 --cell-timeout 60000 -o load-$v
  echo "relay-cmd go$v: $?"
done'
start=$(date +%s)
"$top/scripts/lab/vm-run.sh" -q --kernel "$kernel" --accel tcg --timeout 480 \
  --add "$peers/proxy-go1.21.1" --add "$peers/proxy-go1.21.5" --cmd "$guest" \
  --fetch one-1.21.1 --fetch load-1.21.1 --fetch one-1.21.5 --fetch load-1.21.5 \
  --out "$work/el7" >"$work/vm.out" 2>&1 ||
  fail "vm-run exited $?: $(tail -n 20 "$work/vm.out")"
no_stray_qemu "after the guest"
note "guest ran in $(( $(date +%s) - start )) s"
v=$work/el7
for d in one-1.21.1 load-1.21.1 one-1.21.5 load-1.21.5; do
  [ -f "$v/$d/matrix.json" ] || fail "no $d/matrix.json: $(cat "$v/cmd.log")"
done

expect "$(j "$v/one-1.21.1" '.cells[0].outcome')" ok "go1.21.1, one connection"
expect "$(j "$v/one-1.21.1" '.cells[0].bytes_verified')" 4194304 "go1.21.1, one connection: bytes verified"
f=$v/load-1.21.1
expect "$(j "$f" '.cells[0].id')" "relay=proxy-go1.21.1,tcp4,payload=4M,sender=one,head=256K,conns=128,user=lab" "the load cell's id"
expect "$(j "$f" '.cells[0].outcome')" blocked "go1.21.1, 128 connections as lab"
expect "$(j "$f" '.cells[0].evidence.thread.syscall')" splice "the stuck thread's call"
expect "$(j "$f" '.cells[0].evidence.thread.wchan')" pipe_wait "its wchan"
expect_match "$(j "$f" '.cells[0].evidence.thread.stack[0:2] | join(" < ")')" '^pipe_wait\+.* < splice_to_pipe\+' "its stack"
# The example is the first blocked thread found: a 1-slot pipe past the
# per-user limit, or a 16-slot one that filled (3.10 sleeps on any full
# pipe), as scheduling has it.
expect_match "$(j "$f" '.cells[0].evidence.note')" '^thread [0-9]+ of process [0-9]+ asleep in splice\(socket->pipe\), pipe_wait < splice_to_pipe, [1-9][0-9]* bytes queued on its source socket .*\(size [0-9]+\)' "the note: thread, call, frames, queue, the pipe's size"
expect_gt "$(j "$f" '.cells[0].evidence.relay_threads.blocked')" 32 "threads blocked in splice"
[ "$(j "$f" '.cells[0].bytes_verified')" -lt $((128 * 4194304)) ] || fail "go1.21.1 under load verified every byte"
echo "ok - go1.21.1 under load: $(j "$f" '.cells[0].bytes_verified') of $((128 * 4194304)) bytes arrived"

expect "$(j "$v/one-1.21.5" '.cells[0].outcome')" ok "go1.21.5, one connection"
# 128 connections of 4 MiB can take the guest past tcp_mem; the kernel
# may then owe Go's netpoller a write wakeup for good (README, "Running
# the matrix"). Such a stall or spin must say so; it is no splice sleep.
expect "$(j "$v/load-1.21.5" '.cells[0].evidence.relay_threads.blocked // 0')" 0 "go1.21.5 under load: threads blocked in splice"
if [ "$(j "$v/load-1.21.5" '.cells[0].outcome')" != ok ] &&
  [ "$(j "$v/load-1.21.5" '.cells[0].evidence.tcp_memory_pressure')" = true ]; then
  echo "# go1.21.5 under load: $(j "$v/load-1.21.5" '.cells[0].outcome') under TCP memory pressure: $(j "$v/load-1.21.5" '.cells[0].evidence.note' | cut -c1-300)"
else
  expect "$(j "$v/load-1.21.5" '.cells[0].outcome')" ok "go1.21.5, 128 connections as lab"
  expect "$(j "$v/load-1.21.5" '.cells[0].bytes_verified')" $((128 * 4194304)) "go1.21.5 under load: every byte verified"
fi
