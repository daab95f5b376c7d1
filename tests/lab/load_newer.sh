#!/bin/bash
# The load cells on 4.9 and 5.10 (vanilla lab kernels beside the checkout;
# each absent one is skipped): 128 connections of 4 MiB as an unprivileged
# user, the real proxy-go1.21.1 under mload and splicelab's go1.21.0-1.21.4
# and go1.21.5+ cells in the same guest. The per-user limit still gives the
# connections past it minimal pipes (1 or 2 slots, F_SETPIPE_SZ refused),
# but from 4.9 on splice waits for room only before it starts and returns
# what fits, so nothing hangs: asserted from what the real binary and the
# cells did there, not from the version.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
need_tools
need_qemu
for p in proxy-go1.21.1 mload; do
  [ -x "$peers/$p" ] || skip "no $p beside this checkout (the real relays exist only on the project's own machines)"
done
conns=128 bytes=4194304
guest='su -s /bin/sh lab -c "exec proxy-go1.21.1 127.0.0.1:20000 127.0.0.1:20001" &
mload sink 127.0.0.1:20001 &
sleep 1
mload send 127.0.0.1:20000 '$conns' '$bytes' 30 >real.txt 2>&1
pid=$(pidof proxy-go1.21.1)
for w in /proc/$pid/task/*/wchan; do cat $w; echo; done | grep -c -e pipe_wait -e wait_for_space >>real.txt
kill -KILL $pid $(pidof mload); wait 2>/dev/null
splicelab -q -o sl -s load -P go1.21.0-1.21.4,go1.21.5+ --connections '$conns' -n '$bytes' \
  --as-user lab -j 1 --cell-timeout 120000 >sl.log 2>&1'
booted=0
for k in 4.9.229 5.10.89; do
  kernel=$shelf/bzImage-$k
  [ -r "$kernel" ] || { note "no lab kernel bzImage-$k on the shelf: skipped"; continue; }
  v=$work/vm-$k
  "$top/scripts/lab/vm-run.sh" -q --kernel "$kernel" --accel tcg --timeout 400 --out "$v" \
    --add "$peers/proxy-go1.21.1" --add "$peers/mload" --cmd "$guest" \
    --fetch real.txt --fetch sl --fetch sl.log >"$work/vm-$k.out" 2>&1 ||
    fail "$k: vm-run exited $?: $(tail -n 20 "$work/vm-$k.out")"
  no_stray_qemu "$k: after the guest"
  booted=$((booted + 1))
  [ -s "$v/sl/matrix.json" ] || fail "$k: no matrix: $(tail -n 5 "$v/sl.log")"
  expect "$(q "$v/sl" .env.kernel_release)" "$k" "$k: the guest's kernel"
  real=$(sed -n 's/^mload: \([0-9]*\) of .*/\1/p' "$v/real.txt")
  asleep=$(tail -n 1 "$v/real.txt")
  note "$k: real proxy-go1.21.1 as lab: $real of $conns finished, $asleep threads in pipe_wait/wait_for_space"
  cell() { jq -r --arg p "$1" ".cells[] | select(.profile == \$p) | $2" "$v/sl/matrix.json"; }
  for p in go1.21.0-1.21.4 go1.21.5+; do
    refused=$(cell $p .load.pipes.setpipe_refused)
    expect_gt "$refused" 0 "$k $p: F_SETPIPE_SZ refused past the per-user limit"
    expect "$(cell $p .load.pipes.setpipe_errno)" EPERM "$k $p: with EPERM"
    small=$(cell $p '[.load.per_connection.by_forward_pipe[] | select(.size < 65536) | .size] | first')
    expect_match "$small" '^(4096|8192)$' "$k $p: the pipes past the limit (1 or 2 slots)"
    expect "$(cell $p "[.load.per_connection.by_forward_pipe[] | select(.size == $small) | .finished == .connections] | all")" \
      true "$k $p: every connection with a $small-byte pipe finished"
  done
  # A hang is a thread asleep in a pipe wait; a slow guest may leave
  # connections unfinished that are still moving.
  expect "$asleep" 0 "$k: real proxy-go1.21.1 threads asleep in a pipe wait"
  [ "$real" -eq "$conns" ] || note "$k: the real 1.21.1 was still moving: $real of $conns finished in 30 s"
  # 128 connections of 4 MiB can take the guest's TCP memory past tcp_mem
  # (seen in a 1 GB and a 2 GB guest alike); a relay the kernel then owes
  # a wakeup is the kernel's stall (tests/lab/tcp_pressure.sh), not the
  # splice regime's: what must hold is that no connection sleeps in splice.
  for p in go1.21.0-1.21.4 go1.21.5+; do
    expect "$(cell $p .load.per_connection.blocked)" 0 "$k $p: connections blocked in splice"
    if [ "$(cell $p .outcome)" != ok ] && [ "$(cell $p .evidence.tcp_memory_pressure)" = true ]; then
      note "$k $p: $(cell $p .outcome) under TCP memory pressure: $(cell $p .evidence.note | cut -c1-300)"
      continue
    fi
    expect "$(cell $p .outcome)" ok "$k $p: no hang, as the real 1.21.1 ($real/$conns finished)"
    expect "$(cell $p .load.per_connection.finished)" "$conns" "$k $p: connections finished"
  done
done
[ "$booted" -gt 0 ] || skip "no kernel shelf with bzImage-4.9.229 or bzImage-5.10.89 beside this checkout"
no_leftovers "$work" "after the lab runs"
