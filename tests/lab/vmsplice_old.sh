#!/bin/bash
# The vmsplice cells (tcp4 and unix, every reuse variant) on the three old
# kernels of the lab's shelf, one boot each (three at once) through the lab
# (what make lab runs), and what each kernel did. On all three, vmsplice hands the pipe
# references to the user's pages and the socket takes references to them,
# not copies: over TCP every variant corrupts, the seed's SIOCOUTQ wait
# too (SIOCOUTQ read 0 at the rewrite while the reader's queue still held
# the pages); over a unix socket the SIOCOUTQ wait (bytes not yet read
# there) is ok, and the other variants corrupt: 4.9 and 5.10 have unix
# stream sendpage (869e7c62486e, 4.2), and so does CentOS 7's 3.10 (Red
# Hat's backport; /proc/kallsyms lists unix_stream_sendpage).
# Then analyze shows the cells side by side with their first bad offsets.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
need_tools
need_qemu
el7=3.10.0-1160.el7.x86_64
kernels=("$el7" 4.9.229 5.10.89)
need_shelf "bzImage-$el7" bzImage-4.9.229 bzImage-5.10.89
res="$work/results"

lab_old_kernels "$res" -j 3 --matrix "-s vmsplice -t tcp4,unix"

# matrix KERNEL: the lab's matrix.json of that kernel release.
matrix() {
  local m
  for m in "$res"/kernel-"$1"@*/matrix.json; do
    echo "$m"
    return
  done
}
# cell KERNEL TRANSPORT REUSE FIELD
cell() {
  jq -r --arg suffix "$2,pipe=64K,payload=128K,chunk=16K,reuse=$3" \
    "[.cells[] | select(.id | endswith(\$suffix))] | if length == 1 then .[0] | $4
     else error(\"\(length) cells\") end" "$(matrix "$1")" || fail "$1: no single $2 $3 cell"
}
inputs=()
for k in "${kernels[@]}"; do
  m=$(matrix "$k")
  [ -s "$m" ] || fail "$k: no matrix.json in $res: $(ls "$res")"
  inputs+=("$m")
  expect "$(jq -r .env.kernel_release "$m")" "$k" "the guest's kernel"
  expect "$(jq '[.cells[] | select((.runs.consistent | not) or .vmsplice.early_reads != 0)] | length' "$m")" \
    0 "$k: cells with mixed outcomes or early reads"
  for reuse in at-once siocoutq gift double; do
    expect "$(cell "$k" tcp4 "$reuse" .outcome)" corrupt "$k: tcp4 $reuse"
    expect "$(cell "$k" tcp4 "$reuse" .evidence.offset)" 0 "$k: tcp4 $reuse: first bad offset"
    # Rewritten at once, the chunk may still be on its way through
    # loopback (seen on 5.10 under load: queue 0, still corrupt); after
    # the SIOCOUTQ wait it has arrived, and shares the sender's pages.
    [ "$reuse" = siocoutq ] &&
      expect_gt "$(cell "$k" tcp4 "$reuse" .vmsplice.at_first_refill.reader_queued)" 0 \
        "$k: tcp4 $reuse: bytes in the reader's queue at the rewrite"
  done
  expect "$(cell "$k" tcp4 siocoutq .vmsplice.at_first_refill.sender_unacked)" 0 \
    "$k: tcp4 siocoutq: SIOCOUTQ at the rewrite"
  expect "$(cell "$k" unix siocoutq .outcome)" ok "$k: unix siocoutq"
  for reuse in at-once gift double; do
    expect "$(cell "$k" unix "$reuse" .outcome)" corrupt "$k: unix $reuse"
  done
done

"$top/$BUILD/splicelab-analyze" --markdown "$work/report.md" "${inputs[@]}" >"$work/text" 2>&1 ||
  fail "analyze exited $?: $(tail -n 5 "$work/text")"
line=$(grep -A3 '^tcp4, reuse siocoutq' "$work/text" | sed -n 2p)
expect "$line" "  A: corrupt at offset 0 (at reuse: SIOCOUTQ 0, reader queue 16384)" \
  "analyze's text line for el7's tcp4 siocoutq cell"
row=$(grep '^| unix, reuse siocoutq' "$work/report.md")
expect_match "$row" '\| ok \(at reuse: SIOCOUTQ 0, reader queue 0\) \| ok' \
  "analyze's markdown row for the unix siocoutq cells"
