#!/bin/bash
# The seed's own hang, on the seed's kernel (CentOS 7.9's 3.10.0-1160.el7)
# in one guest: 128 concurrent connections of 4 MiB through one relay.
#   The real Go proxies (built with Go 1.21.1 and 1.21.5), run by an
#   unprivileged user under mload, and then 1.21.1 as root;
#   splicelab's load cells for go1.21.0-1.21.4 and go1.21.5+ under the
#   same conditions, as the same user and as root.
# Asserted: the real 1.21.1 leaves connections asleep in pipe_wait and
# 1.21.5 does not; splicelab's verdicts agree with what the real binaries
# did in this same guest, and so does the per-connection pattern (the
# connections with pipes below the per-user limit finish, every other one
# sleeps in pipe_wait); as root, whatever this kernel did for the real
# proxy, splicelab's cell does too.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
need_tools
need_qemu
need_shelf bzImage-3.10.0-1160.el7.x86_64
kernel=$shelf/bzImage-3.10.0-1160.el7.x86_64
for p in proxy-go1.21.1 proxy-go1.21.5 mload; do
  [ -x "$peers/$p" ] || skip "no $p beside this checkout (the real relays exist only on the project's own machines)"
done
conns=128 bytes=4194304

# real VERSION USER SECONDS: the real proxy as USER under mload; writes
# real-USER-VERSION.txt with mload's line and the proxy's threads in
# pipe_wait once mload has waited SECONDS.
guest='real() {
  su -s /bin/sh $2 -c "exec proxy-go$1 127.0.0.1:20000 127.0.0.1:20001" &
  mload sink 127.0.0.1:20001 &
  sleep 1
  mload send 127.0.0.1:20000 '$conns' '$bytes' $3 >real-$2-$1.txt 2>&1
  pid=$(pidof proxy-go$1)
  n=0
  for w in /proc/$pid/task/*/wchan; do
    [ "$(cat $w 2>/dev/null)" = pipe_wait ] && n=$((n + 1))
  done
  echo "pipe_wait $n" >>real-$2-$1.txt
  echo "owner $(stat -c %U /proc/$pid)" >>real-$2-$1.txt
  kill -KILL $pid $(pidof mload); wait 2>/dev/null; sleep 1
}
real 1.21.1 lab 15
real 1.21.5 lab 40
real 1.21.1 root 25
for user in lab root; do
  splicelab -q -o sl-$user -s load -P go1.21.0-1.21.4,go1.21.5+ --connections '$conns' -n '$bytes' \
    --as-user $user -j 1 --cell-timeout 120000 >sl-$user.log 2>&1
done'
"$top/scripts/lab/vm-run.sh" -q --kernel "$kernel" --accel tcg --timeout 500 --out "$work/vm" \
  --add "$peers/proxy-go1.21.1" --add "$peers/proxy-go1.21.5" --add "$peers/mload" \
  --cmd "$guest" --fetch real-lab-1.21.1.txt --fetch real-lab-1.21.5.txt \
  --fetch real-root-1.21.1.txt --fetch sl-lab --fetch sl-root --fetch sl-lab.log --fetch sl-root.log \
  >"$work/vm.out" 2>&1 || fail "vm-run exited $?: $(tail -n 20 "$work/vm.out")"
no_stray_qemu "after the guest"
v=$work/vm
for f in real-lab-1.21.1.txt real-lab-1.21.5.txt real-root-1.21.1.txt sl-lab/matrix.json sl-root/matrix.json; do
  [ -s "$v/$f" ] || fail "the guest wrote no $f: $(tail -n 5 "$v/cmd.log")"
done
expect "$(q "$v/sl-lab" '.env.kernel_release')" 3.10.0-1160.el7.x86_64 "the guest's kernel"

# finished FILE: how many connections mload saw finish.
finished() { sed -n 's/^mload: \([0-9]*\) of .*/\1/p' "$1"; }
pipe_wait() { sed -n 's/^pipe_wait //p' "$1"; }
real_user_bad=$(finished "$v/real-lab-1.21.1.txt")
real_user_good=$(finished "$v/real-lab-1.21.5.txt")
real_root=$(finished "$v/real-root-1.21.1.txt")
note "real proxies: 1.21.1 as lab $real_user_bad/$conns finished," \
  "$(pipe_wait "$v/real-lab-1.21.1.txt") threads in pipe_wait; 1.21.5 as lab $real_user_good/$conns;" \
  "1.21.1 as root $real_root/$conns"
expect "$(sed -n 's/^owner //p' "$v/real-lab-1.21.1.txt")" lab "the real proxy ran as the unprivileged user"
[ "$real_user_bad" -lt "$conns" ] || fail "real proxy-go1.21.1 as lab: all $conns finished (no hang to compare with)"
expect_gt "$(pipe_wait "$v/real-lab-1.21.1.txt")" 0 "real proxy-go1.21.1 as lab: threads asleep in pipe_wait"
expect "$real_user_good" "$conns" "real proxy-go1.21.5 as lab: connections finished"
expect "$(pipe_wait "$v/real-lab-1.21.5.txt")" 0 "real proxy-go1.21.5 as lab: threads in pipe_wait"

# cell DIR PROFILE FILTER: one value of that profile's load cell.
cell() { jq -r --arg p "$2" ".cells[] | select(.profile == \$p) | $3" "$1/matrix.json"; }
sl=$v/sl-lab
expect "$(cell "$sl" go1.21.0-1.21.4 .as_user)" lab "splicelab's cell ran as lab"
expect "$(cell "$sl" go1.21.0-1.21.4 .load.user.uid)" 1000 "splicelab's cell: the uid it ran with"
expect "$(cell "$sl" go1.21.0-1.21.4 .outcome)" blocked "go1.21.0-1.21.4 as lab, like the real 1.21.1"
# The pattern: connections whose client->upstream pipe kept Go's 1 MiB
# finish; those that got a 1-slot pipe (past the soft limit) hang; the few
# that got a default 16-slot pipe (the last pages below the limit) finish
# or not as the data queued on this kernel decides (docs/load.md). In
# splicelab every connection is open before a byte moves, so its count
# lands in that band. The real proxy starts copying as each connection
# arrives, so a connection that finishes before the last ones connect gives
# its 1 MiB pipes back to Go's pool for a later one: its count is at least
# the band's floor, and every connection it did not finish is asleep in
# pipe_wait.
by() { cell "$sl" go1.21.0-1.21.4 "[.load.per_connection.by_forward_pipe[] | select($1) | .connections] | add // 0"; }
full=$(by '.size == 1048576') one_slot=$(by '.size == 4096') middle=$(by '.size > 4096 and .size < 1048576')
note "splicelab go1.21.0-1.21.4 as lab: $full connections with a 1 MiB pipe, $middle with a 16-slot one, $one_slot with 1 slot"
expect_gt "$one_slot" 0 "go1.21.0-1.21.4 as lab: connections with a 1-slot pipe"
sl_bad=$(cell "$sl" go1.21.0-1.21.4 .load.per_connection.finished)
[ "$sl_bad" -ge "$full" ] && [ "$sl_bad" -le $((full + middle)) ] ||
  fail "splicelab go1.21.0-1.21.4 as lab: $sl_bad finished, outside $full..$((full + middle)) (the connections with a 1 MiB pipe, plus those with 16 slots)"
echo "ok - splicelab go1.21.0-1.21.4 as lab: $sl_bad finished, within $full..$((full + middle))"
[ "$real_user_bad" -ge "$full" ] ||
  fail "real proxy-go1.21.1 as lab: $real_user_bad finished, fewer than the $full connections a 1 MiB pipe pair fits below the limit"
echo "ok - real proxy-go1.21.1 as lab: $real_user_bad finished, at least the $full before the limit"
[ "$real_user_bad" -le $((full + middle)) ] ||
  note "real proxy-go1.21.1 finished more than $((full + middle)): early connections gave their pipes back to the pool"
expect "$(pipe_wait "$v/real-lab-1.21.1.txt")" "$((conns - real_user_bad))" \
  "real proxy-go1.21.1 as lab: one thread in pipe_wait per unfinished connection"
expect "$(cell "$sl" go1.21.0-1.21.4 .load.per_connection.blocked)" "$((conns - sl_bad))" \
  "go1.21.0-1.21.4 as lab: every unfinished connection blocked"
expect "$(cell "$sl" go1.21.0-1.21.4 '[.load.per_connection.by_forward_pipe[] | select(.size == 4096) | .finished] | add')" 0 \
  "go1.21.0-1.21.4 as lab: no connection with a 1-slot pipe finished"
expect "$(cell "$sl" go1.21.0-1.21.4 .load.per_connection.finished_first)" "$full" \
  "go1.21.0-1.21.4 as lab: the connections before the limit finished"
expect_match "$(cell "$sl" go1.21.0-1.21.4 '.evidence.thread.stack | join(" < ")')" \
  '^pipe_wait.* < splice_to_pipe' "go1.21.0-1.21.4 as lab: the stuck connection's stack"
expect "$(cell "$sl" go1.21.0-1.21.4 .load.pipes.setpipe_errno)" EPERM \
  "go1.21.0-1.21.4 as lab: F_SETPIPE_SZ refused past the limit"
expect "$(cell "$sl" go1.21.0-1.21.4 '[.load.pipes.sizes[] | select(.size == 4096)] | length')" 1 \
  "go1.21.0-1.21.4 as lab: 1-slot pipes past the limit"
expect "$(cell "$sl" go1.21.0-1.21.4 .load.pipe_limits.user_pages_soft)" "$(jq -r .pipe_user_pages_soft "$v/guest-features.json")" \
  "go1.21.0-1.21.4 as lab: the soft limit recorded"
expect "$(cell "$sl" go1.21.5+ .outcome)" ok "go1.21.5+ as lab, like the real 1.21.5"
expect "$(cell "$sl" go1.21.5+ .load.per_connection.finished)" "$real_user_good" \
  "go1.21.5+ as lab: connections finished = the real 1.21.5's"

# As root: a hang is a thread asleep in pipe_wait (a slow guest may leave
# connections unfinished that are still moving).
sl=$v/sl-root
root_asleep=$(pipe_wait "$v/real-root-1.21.1.txt")
want=ok; [ "$root_asleep" -eq 0 ] || want=blocked
expect "$(cell "$sl" go1.21.0-1.21.4 .outcome)" "$want" \
  "go1.21.0-1.21.4 as root, like the real 1.21.1 as root ($root_asleep threads in pipe_wait)"
if [ "$want" = ok ]; then
  expect "$(cell "$sl" go1.21.0-1.21.4 .load.per_connection.finished)" "$conns" \
    "go1.21.0-1.21.4 as root: connections finished"
  [ "$real_root" -eq "$conns" ] || note "the real 1.21.1 as root was still moving: $real_root of $conns finished in 25 s"
else
  expect "$(cell "$sl" go1.21.0-1.21.4 .load.per_connection.blocked)" "$root_asleep" \
    "go1.21.0-1.21.4 as root: blocked connections = the real 1.21.1's threads in pipe_wait"
fi
expect "$(cell "$sl" go1.21.5+ .outcome)" ok "go1.21.5+ as root"
no_leftovers "$work" "after the lab run"
