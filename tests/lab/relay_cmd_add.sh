#!/bin/bash
# A user's own relay in the lab, the way a user asks for it: make lab
# LAB_ADD=PROGRAM MATRIX="--relay-cmd '/bin/PROGRAM {listen} {upstream}' ...".
# The real Go 1.21.5 proxy (../shared/peers) runs on this host (from where
# it is) and inside Debian 12's 6.1 (put into the guest's /bin); the quoted
# command reaches both intact, both folders are <label>@m<hash> of the same
# matrix, every byte is verified on both, and the two cells join under the
# relay's name. One TCG boot, one 4 MiB cell per kernel.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
need_tools
need_qemu
proxy=$peers/proxy-go1.21.5
[ -x "$proxy" ] || skip "no real Go proxy beside this checkout ($proxy)"
need_debian12

matrix="--relay-cmd '/bin/proxy-go1.21.5 {listen} {upstream}' -n 4M"
hash=$(printf '%s\n' --relay-cmd '/bin/proxy-go1.21.5 {listen} {upstream}' -n 4M | sha256sum | cut -c1-8)
res=$work/res
LAB_PROBES=off make -s -C "$top" lab KERNELS="host debian12" RESULTS="$res" \
  LAB_ADD="$proxy" MATRIX="$matrix" >"$work/lab.out" 2>&1 ||
  fail "make lab exited $?: $(tail -n 20 "$work/lab.out")"
no_stray_qemu "after make lab"

id="relay=proxy-go1.21.5,tcp4,payload=4M,sender=one,head=256K"
for d in "$res"/*@m"$hash"; do
  [ -f "$d/matrix.json" ] || fail "no folder @m$hash: $(ls "$res")"
  j() { jq -r "$1" "$d/matrix.json"; }
  where=$(jq -r .kernel.source "$d/provenance.json")
  expect "$(j '.cells | length')" 1 "$where: one cell"
  expect "$(j '.cells[0].id')" "$id" "$where: the cell id names the relay"
  expect "$(j '.cells[0].outcome')" ok "$where: Go 1.21.5's proxy"
  expect "$(j '.cells[0].bytes_verified')" 4194304 "$where: every byte verified"
  expect "$(j '.cells[0].relay.command | length')" 3 "$where: the quoted command arrived as its three words"
  expect "$(jq -r '.added[0].sha256' "$d/provenance.json")" "$(sha256sum "$proxy" | cut -d' ' -f1)" "$where: provenance names the added program"
done
guest=$(ls -d "$res"/debian12-6.1.*@m"$hash")
expect "$(jq -r '.cells[0].relay.command[0]' "$guest/matrix.json")" /bin/proxy-go1.21.5 "the guest ran the added copy"
expect "$(jq -r '.run.probes_mode' "$guest/provenance.json")" none "probes off (LAB_PROBES)"
expect "$(find "$res" -maxdepth 1 -name "*@m$hash" | wc -l)" 2 "two folders of this matrix (host, guest)"
expect_match "$(cat "$work/lab.out")" "1 cells joined: 0 differ between kernels" "the two kernels' cells join"
