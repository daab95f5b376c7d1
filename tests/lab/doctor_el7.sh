#!/bin/bash
# splicelab-doctor inside CentOS 7.9's kernel (3.10.0-1160.el7, ../shared/
# kernels) on the real Go proxies (../shared/peers), each run as an
# unprivileged user under 128 concurrent connections of 4 MiB (mload), the
# load under which Go 1.21.1's proxy hangs there (issue 9: past the per-user
# pipe pages, new pipes get 1 slot, and a splice without SPLICE_F_NONBLOCK
# sleeps in pipe_wait under splice_to_pipe). One TCG boot:
#   go1.21.1: the doctor (as root) says "blocked in splice", names Go
#     1.21.1 and the fix, the threads asleep in splice(socket->pipe) with
#     flags 0 and bytes queued on their sockets, 1-slot (4096-byte) pipes
#     among their ends, the pre-4.9 regime from the stacks; as the proxy's
#     own user (less readable) it still gives a verdict and says what it
#     could not read; the connections the doctor found blocked never finished;
#   --probe (the kernel's BTF file given) from before the load on:
#     the probes run, splice_to_pipe is entered on 1-slot pipes;
#   go1.21.5 under the same load: every connection finishes and the doctor
#     does not say blocked.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
j() { jq -r "$2" "$1"; }
need_tools
need_qemu
[ -x "$top/$BUILD/static/splicelab-doctor" ] || fail "$BUILD/static/splicelab-doctor missing: run make"
kernel=$top/../shared/kernels/bzImage-3.10.0-1160.el7.x86_64
peers=$top/../shared/peers
[ -r "$kernel" ] || skip "no CentOS 7 lab kernel beside this checkout (../shared/kernels)"
for p in proxy-go1.21.1 proxy-go1.21.5 mload; do
  [ -x "$peers/$p" ] || skip "no real Go proxies beside this checkout (../shared/peers/$p)"
done

# The guest has no unprivileged user: one is written into its /etc, and
# busybox su (run by root: no password) runs the proxy as it.
# run VERSION PORT: the proxy under load, the doctor twice after 12 s,
# mload's count at 20 s, then the proxy killed (freeing its user's pipes).
# shellcheck disable=SC2016 # expanded by the guest's shell
guest='
echo "root:x:0:0:root:/:/bin/sh" >/etc/passwd
echo "lab:x:1000:1000:lab:/tmp:/bin/sh" >>/etc/passwd
printf "root:x:0:\nlab:x:1000:\n" >/etc/group
chmod 777 /tmp/lab
echo "yama ptrace_scope: $(cat /proc/sys/kernel/yama/ptrace_scope 2>&1)"
mload sink 127.0.0.1:20001 >sink.log 2>&1 &
run() {
  su -s /bin/sh lab -c "exec proxy-$1 127.0.0.1:$2 127.0.0.1:20001" >proxy-$1.log 2>&1 &
  sleep 1
  pid=$(pidof proxy-$1)
  if [ "${3:-}" = probe ]; then
    # The probes, attached (6 s is ample in TCG) before the load starts and
    # kept on while its pipes fill. A separate run: a splice entered under
    # kretprobes shows a trampoline in its stack, not splice_to_pipe.
    splicelab-doctor --json --probe 10 --probe-btf /lab/btf $pid >doctor-$1-probe.json 2>doctor-$1-probe.err &
    probing=$!
    sleep 6
    mload send 127.0.0.1:$2 128 4194304 5 >/dev/null 2>&1 &
    sender=$!
    wait $probing
    wait $sender
    kill -9 $pid
    while [ -d /proc/$pid ]; do sleep 0.1; done
    return
  fi
  mload send 127.0.0.1:$2 128 4194304 20 >send-$1.log 2>&1 &
  sender=$!
  sleep 12
  splicelab-doctor --json $pid >doctor-$1.json 2>doctor-$1.err
  echo "doctor $1 root: $?"
  su -s /bin/sh lab -c "splicelab-doctor --json $pid" >doctor-$1-lab.json 2>doctor-$1-lab.err
  echo "doctor $1 lab: $?"
  splicelab-doctor $pid >doctor-$1.txt 2>&1
  wait $sender
  kill -9 $pid
  while [ -d /proc/$pid ]; do sleep 0.1; done
}
run go1.21.1 20000
run go1.21.5 20002
[ -r /lab/btf ] && run go1.21.1 20004 probe
'
fetch=()
for v in go1.21.1 go1.21.5; do
  for f in doctor-$v.json doctor-$v.err doctor-$v-lab.json doctor-$v-lab.err doctor-$v.txt send-$v.log; do
    fetch+=(--fetch "$f")
  done
  for f in doctor-$v-probe.json doctor-$v-probe.err; do
    fetch+=(--fetch "$f")
  done
done
btf=()
[ -r "$top/../shared/kernels/btf-3.10.0-1160.el7.x86_64" ] &&
  btf=(--add "$top/../shared/kernels/btf-3.10.0-1160.el7.x86_64:/lab/btf")
start=$(date +%s)
"$top/scripts/lab/vm-run.sh" -q --kernel "$kernel" --accel tcg --timeout 300 \
  ${btf[@]+"${btf[@]}"} --add "$peers/proxy-go1.21.1" --add "$peers/proxy-go1.21.5" --add "$peers/mload" \
  --out "$work/el7" --cmd "$guest" "${fetch[@]}" >"$work/vm.out" 2>&1 ||
  fail "vm-run exited $?: $(tail -n 20 "$work/vm.out")"
no_stray_qemu "after the guest"
note "guest ran in $(( $(date +%s) - start )) s"
v=$work/el7
cat "$v/cmd.log"
grep -q 'doctor go1.21.1 root: 0' "$v/cmd.log" || fail "doctor on go1.21.1 did not exit 0: $(cat "$v/doctor-go1.21.1.err")"

# What the real binary did: how many connections never finished.
open=$(sed -n 's/.* \([0-9]*\) still open.*/\1/p' "$v/send-go1.21.1.log")
[ -n "$open" ] || fail "mload printed no count: $(cat "$v/send-go1.21.1.log")"
expect_gt "$open" 0 "go1.21.1: connections mload saw hang (of 128)"

d=$v/doctor-go1.21.1.json
expect "$(j "$d" .verdict)" "blocked in splice" "go1.21.1: process verdict"
expect "$(j "$d" .program.go_version)" go1.21.1 "go1.21.1: the Go version from the binary"
expect "$(j "$d" .program.splice_without_nonblock)" true "go1.21.1: a Go whose io.Copy splices without NONBLOCK"
expect_match "$(j "$d" .program.fix)" '1\.21\.5' "go1.21.1: the fix"
b='[.threads[] | select(.verdict == "blocked in splice")]'
blocked=$(j "$d" "$b | length")
expect_gt "$blocked" 0 "go1.21.1: threads blocked in splice"
# A thread blocked in splice is a connection that never finishes.
[ "$blocked" -le "$open" ] || fail "go1.21.1: $blocked threads blocked but only $open connections hung"
echo "ok - go1.21.1: $blocked threads blocked, $open connections hung (the rest were still moving at the look)"
expect "$(j "$d" "$b | map(select(.splice.in.kind == \"socket\" and .splice.out.kind == \"pipe\")) | length")" "$blocked" \
  "go1.21.1: blocked threads splicing socket->pipe"
expect "$(j "$d" "$b | map(select(.splice.flags == [])) | length")" "$blocked" "go1.21.1: blocked splices with flags 0"
expect "$(j "$d" "$b | map(select(.splice.in.rx_queue > 0)) | length")" "$blocked" \
  "go1.21.1: blocked threads with bytes queued on their socket"
expect_gt "$(j "$d" "$b | map(select(.splice.out.pipe_size == 4096)) | length")" 0 \
  "go1.21.1: blocked threads on 1-slot (4096-byte) pipes"
expect_gt "$(j "$d" .one_slot_pipes)" 0 "go1.21.1: 1-slot pipes in the process"
expect "$(j "$d" "$b | map(select(.stack != null and (.stack | join(\" \") | test(\"pipe_wait.*splice_to_pipe\")))) | length")" \
  "$blocked" "go1.21.1: every blocked stack has pipe_wait under splice_to_pipe"
expect_match "$(j "$d" .regime)" 'splice_to_pipe: the pre-4\.9 regime' "go1.21.1: the regime, from the stacks"
expect_match "$(j "$d" .regime)" 'no 5\.1 promotion' "go1.21.1: O_NONBLOCK pipes not promoted"
note "excerpt: $(head -n 4 "$v/doctor-go1.21.1.txt")"

# As the proxy's own user: what it may read, and still a verdict.
l=$v/doctor-go1.21.1-lab.json
grep -q 'doctor go1.21.1 lab: 0' "$v/cmd.log" || fail "doctor as lab did not exit 0: $(cat "$v/doctor-go1.21.1-lab.err")"
expect "$(j "$l" .verdict)" "blocked in splice" "go1.21.1 as its user: process verdict"
if [ "$(j "$l" '.threads[0].stack')" = null ]; then
  expect "$(j "$l" '[.unreadable[].what] | index("/proc/PID/task/TID/stack") != null')" true \
    "go1.21.1 as its user: says the stack was unreadable"
fi
note "as its user, unreadable: $(j "$l" '[.unreadable[] | .what + " (" + .why + ")"] | join(", ")')"

# Go 1.21.5 under the same load: nothing hangs, nothing blocked.
grep -q 'doctor go1.21.5 root: 0' "$v/cmd.log" || fail "doctor on go1.21.5 did not exit 0"
expect_match "$(cat "$v/send-go1.21.5.log")" '128 of 128 connections finished' "go1.21.5: every connection finished"
f=$v/doctor-go1.21.5.json
expect "$(j "$f" .program.go_version)" go1.21.5 "go1.21.5: the Go version"
expect "$(j "$f" .program.splice_without_nonblock)" false "go1.21.5: its io.Copy passes NONBLOCK"
expect "$(j "$f" '.counts["blocked in splice"] // 0')" 0 "go1.21.5: threads blocked in splice"
[ "$(j "$f" .verdict)" != "blocked in splice" ] || fail "go1.21.5: verdict blocked"
echo "ok - go1.21.5: verdict '$(j "$f" .verdict)'"

# --probe from before the load (with the kernel's BTF file): the probes
# attach in this kernel, and splice_to_pipe is entered on 1-slot pipes.
if [ ${#btf[@]} -gt 0 ]; then
  p=$v/doctor-go1.21.1-probe.json
  [ -s "$p" ] || fail "no --probe output: $(cat "$v/doctor-go1.21.1-probe.err" 2>/dev/null)"
  note "--probe: $(jq -c '.probe | del(.timeline)' "$p")"
  expect_gt "$(j "$p" '.probe.calls.pipe_wait // 0')" 0 "go1.21.1 --probe: pipe waits inside the splice"
  expect "$(j "$p" .probe.status)" ran "go1.21.1 --probe: the probes ran"
  expect_gt "$(j "$p" '.probe.calls.splice_to_pipe // 0')" 0 "go1.21.1 --probe: splice_to_pipe calls seen"
  expect_gt "$(j "$p" '.probe.splice_to_pipe_by_slots_total["1"] // 0')" 0 \
    "go1.21.1 --probe: splice_to_pipe entered on 1-slot pipes"
else
  note "no BTF file for 3.10.0-1160.el7 beside the kernels: --probe not checked"
fi
