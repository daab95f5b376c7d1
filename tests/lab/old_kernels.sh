#!/bin/bash
# The reduced matrix (--preset quick: the cells that tell the regimes apart,
# plus every profile) on the three old kernels of the lab's kernel shelf,
# one boot each, and the verdicts each kernel's splice code gives:
#   3.10.0-1160.el7 (before 4.9: the wait is inside splice_to_pipe)
#     proxy, flags none, 64 KiB pipe, 16 MiB   -> blocked, pipe_wait < splice_to_pipe
#     c-rewrite profile (1 MiB, 16 MiB)        -> blocked, the same stack
#     go1.21.5+ and haproxy (NONBLOCK)         -> ok
#     drain, flags none                        -> blocked
#     drain, flags none, O_NONBLOCK pipe       -> blocked (no promotion before 5.1)
#   4.9.229 (4.9-5.0: the wait is in wait_for_space, before reading)
#     every proxy cell and profile             -> ok
#     drain, flags none                        -> blocked in wait_for_space
#     drain, flags none, O_NONBLOCK pipe       -> blocked, the same
#   5.10.89: as 4.9, but the O_NONBLOCK-pipe drain spins (promoted since 5.1)
# and analyze's regime line for each, from the cells alone.
# Probes are off here (their own tests are probes*.sh): this is the verdicts.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
need_tools
need_qemu
el7=3.10.0-1160.el7.x86_64
need_shelf "bzImage-$el7" bzImage-4.9.229 bzImage-5.10.89
res="$work/results"

start=$(date +%s)
lab_old_kernels "$res" --matrix "--preset quick"

# cell KERNEL ID-PREFIX FIELD: FIELD of the one cell whose id starts so.
cell() {
  jq -r --arg id "$2" "[.cells[] | select(.id | startswith(\$id))] |
    if length == 1 then .[0] | $3 else error(\"\(length) cells match \(\$id)\") end" \
    "$res/kernel-$1@quick/matrix.json" || fail "$1: no single cell $2"
}
# verdict KERNEL ID-PREFIX OUTCOME [STACK-REGEX]: the outcome, and for a
# stuck relay its kernel stack (innermost first, joined by " < ").
verdict() {
  local k=$1 id=$2 want=$3 stack
  expect "$(cell "$k" "$id" .outcome)" "$want" "$k: ${id%,}"
  [ $# -ge 4 ] || return 0
  stack=$(cell "$k" "$id" '[.evidence.thread.stack[]? | sub("\\+.*"; "")] | join(" < ")')
  expect_match "$stack" "$4" "$k: ${id%,}: stack"
}
profile() { # profile KERNEL NAME OUTCOME: both payloads of the profile
  local ids
  ids=$(jq -r --arg p "$2" '[.cells[] | select(.profile == $p)] | map(.outcome) | unique | join(",")' \
    "$res/kernel-$1@quick/matrix.json")
  expect "$ids" "$3" "$1: profile $2 (1 MiB and 16 MiB)"
}
drain='drain,tcp4,pipe=64K,payload=16M,chunk=1M,flags=none,pnb=0,snb=0,dnb=0,loop=busy,'
drain_pnb='drain,tcp4,pipe=64K,payload=16M,chunk=1M,flags=none,pnb=1,snb=0,dnb=0,loop=busy,'
proxy='proxy,tcp4,pipe=64K,payload=16M,chunk=1M,flags=none,pnb=0,snb=0,dnb=0,loop=busy,'
pre49='^pipe_wait < splice_to_pipe( |$)'

verdict "$el7" "$proxy" blocked "$pre49"
profile "$el7" c-rewrite blocked
verdict "$el7" "profile=c-rewrite,proxy,tcp4,pipe=default,payload=16M," blocked "$pre49"
expect_gt "$(cell "$el7" "$proxy" .evidence.src_rcv_queue)" 0 "$el7: blocked proxy: data queued on its socket"
profile "$el7" go1.21.5+ ok
profile "$el7" haproxy ok
verdict "$el7" "$drain" blocked "$pre49"
verdict "$el7" "$drain_pnb" blocked "$pre49"

for k in 4.9.229 5.10.89; do
  expect "$(jq -r '[.cells[] | select(.scenario == "proxy" and .outcome != "ok") | .id] | join(" ")' \
    "$res/kernel-$k@quick/matrix.json")" "" "$k: proxy cells and profiles that are not ok"
done
verdict 4.9.229 "$drain" blocked '^pipe_wait < wait_for_space( |$)'
verdict 4.9.229 "$drain_pnb" blocked '^pipe_wait < wait_for_space( |$)'
verdict 5.10.89 "$drain" blocked '^pipe_wait_writable < wait_for_space( |$)'
verdict 5.10.89 "$drain_pnb" spin
expect_gt "$(cell 5.10.89 "$drain_pnb" .calls.eagain)" 0 "5.10.89: promoted drain: EAGAIN returns"

# The regime each kernel's evidence matches, from the cells alone.
[ -x "$top/$BUILD/splicelab-analyze" ] || fail "$BUILD/splicelab-analyze missing: run make"
"$top/$BUILD/splicelab-analyze" --markdown "$work/r.md" "$res"/kernel-*@quick >/dev/null ||
  fail "splicelab-analyze exited $?"
regime() { grep -m1 "^\*\*kernel-$1\*\* matches: " "$work/r.md" | sed 's/.* matches: //'; }
expect_match "$(regime "$el7")" '^before 4\.9' "$el7: analyze's regime"
expect_match "$(regime 4.9.229)" '^4\.9 to 5\.0' "4.9.229: analyze's regime"
expect_match "$(regime 5.10.89)" '^5\.1 or later' "5.10.89: analyze's regime"
echo "ok - $(($(date +%s) - start)) s in all"
