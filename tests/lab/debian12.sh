#!/bin/bash
# One boot of Debian 12's 6.1 in TCG, next to this host, both through the
# lab (two kernels at once): the results folders the lab promises, and the
# verdicts the 6.1 kernel is known to give:
#   drain, flags none, plain pipe, busy loop -> blocked, the relay asleep in
#     pipe_wait_writable <- wait_for_space (the 4.9+ wait before reading)
#   drain, SPLICE_F_NONBLOCK, busy loop      -> spin (EAGAIN retried)
#   proxy, every profile (Go 1.21.0-1.21.4 included) -> ok
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
need_tools
need_qemu
need_debian12
res="$work/results"
release=$(jq -r .release "$work/debian12/kernel.json")
label=$(jq -r .label "$work/debian12/kernel.json")

lab -j 2 --accel tcg -o "$res" --matrix "--preset quick" host debian12 >"$work/stdout" 2>"$work/stderr"
rc=$?
[ $rc -eq 0 ] || fail "lab exited $rc: $(tail -n 20 "$work/stderr")"
echo "ok - lab host debian12 exited 0"
no_stray_qemu "after the run"
no_leftovers "$res" "after the run"

# The folder names the matrix it holds (not the default one).
g="$res/$label@quick"
[ -d "$g" ] || fail "no $g (have: $(ls "$res"))"
echo "ok - $label@quick/: the folder names its matrix"
for f in matrix.json table.txt provenance.json console.log guest-features.json config; do
  [ -s "$g/$f" ] || fail "$label: no $f"
done
echo "ok - $label/ holds matrix.json table.txt provenance.json console.log guest-features.json config"
m() { jq -r "$1" "$g/matrix.json"; }
p() { jq -r "$1" "$g/provenance.json"; }

# The run is labelled by the kernel, not by the guest's initramfs.
expect "$(m .label)" "$label" "matrix label"
expect "$(m .env.kernel_release)" "$release" "guest kernel release"
expect "$(m .env.virt)" qemu-tcg "env.virt"

cell() { # cell ID-PREFIX FIELD: FIELD of the one cell whose id starts so
  jq -r --arg id "$1" "[.cells[] | select(.id | startswith(\$id))] |
    if length == 1 then .[0] | $2 else error(\"\(length) cells match \(\$id)\") end" "$g/matrix.json" ||
    fail "no single cell $1"
}
blocked='drain,tcp4,pipe=64K,payload=16M,chunk=1M,flags=none,pnb=0,snb=0,dnb=0,loop=busy,'
expect "$(cell "$blocked" .outcome)" blocked "drain flags none, plain pipe"
expect "$(cell "$blocked" .evidence.thread.syscall)" splice "blocked relay: syscall"
stack=$(cell "$blocked" '.evidence.thread.stack | join(" ")')
expect_match "$stack" '(^| )pipe_wait_writable\+' "blocked relay: stack has pipe_wait_writable"
expect_match "$stack" '(^| )wait_for_space\+' "blocked relay: stack has wait_for_space"
expect_gt "$(cell "$blocked" .evidence.src_rcv_queue)" 0 "blocked relay: bytes left in the socket"
expect_gt "$(cell "$blocked" .evidence.pipe_bytes)" 0 "blocked relay: bytes in the full pipe"

spin='drain,tcp4,pipe=64K,payload=16M,chunk=1M,flags=NONBLOCK,pnb=0,snb=0,dnb=0,loop=busy,'
expect "$(cell "$spin" .outcome)" spin "drain SPLICE_F_NONBLOCK, busy loop"
expect_gt "$(cell "$spin" .calls.eagain)" 0 "spinning relay: EAGAIN count"

profiles=$(m '[.cells[] | select(.profile != null)] | length')
expect_gt "$profiles" 5 "profile cells"
expect "$(m '[.cells[] | select(.profile != null and .outcome != "ok") | .id] | join(" ")')" "" \
  "profile cells that are not ok"

# The head start reaches the guest's receive window (TCG is slow to start
# the client; an empty queue is not a plateau).
expect "$(m '[.cells[] | select(.scenario == "drain" and .payload >= 262144 and .queued_at_start == 0) | .id] | join(" ")')" "" \
  "large drain cells that started on an empty socket"

# Provenance: where the kernel came from, how it ran, what ran it.
expect_match "$(p .kernel.package)" '^linux-image-6\.1\.0-[0-9]+-amd64$' "provenance: package"
expect_match "$(p .kernel.package_version)" '^6\.1\.' "provenance: package version"
expect "$(p .kernel.image_sha256)" "$(sha256sum "$work/debian12/vmlinuz" | cut -d' ' -f1)" "provenance: image sha256"
# No path of the machine that made it: a downloaded package too is named
# by its file name (its sha256 says which).
expect "$(grep -c -F -e "$top" -e "$LAB_CACHE" "$g/provenance.json" || true)" 0 "provenance: no machine paths"
expect_match "$(p .run.qemu)" '^QEMU emulator version' "provenance: qemu version"
expect "$(p .run.accel)" tcg "provenance: accelerator"
expect_gt "$(p .run.boot_to_userspace_ms)" 0 "provenance: boot time (ms)"
expect_match "$(p .splicelab.commit)" '^[0-9a-f]{7,}$' "provenance: splicelab commit"
expect_match "$(p .regenerate)" "lab\.sh --accel tcg --matrix '--preset quick' debian12$" "provenance: the command"
grep -q '^CONFIG_SERIAL_8250_CONSOLE=y' "$g/config" || fail "config: no CONFIG_SERIAL_8250_CONSOLE=y"
echo "ok - config is the package's"
expect "$(jq -r .kernel_release "$g/guest-features.json")" "$release" "guest features: release"
expect "$(jq -r .btf_vmlinux "$g/guest-features.json")" true "guest features: BTF"
grep -q 'Linux version 6\.1\.' "$g/console.log" || fail "console.log has no boot banner"
echo "ok - console.log holds the guest's boot"

# The host, natively, beside it.
h=$(grep -l '"where": "host"' "$res"/*/provenance.json | head -n1)
[ -n "$h" ] || fail "no host results"
h=$(dirname "$h")
expect "$(jq -r .env.virt "$h/matrix.json")" native "host: env.virt"
expect "$(jq -r .label "$h/matrix.json")@quick" "$(basename "$h")" "host: folder named by its label and matrix"

# Both tables are printed at the end.
grep -q "^== host: $(jq -r .label "$h/matrix.json") (native)" "$work/stdout" || fail "no host table on stdout"
grep -q "^== debian12: $label (qemu-tcg" "$work/stdout" || fail "no debian12 table on stdout"
expect "$(grep -c '^18 cells: ' "$work/stdout")" 2 "tables printed"

# The comparison of this run's two kernels, printed and written beside.
grep -q '^18 cells joined: ' "$work/stdout" || fail "no comparison on stdout"
for f in report.md report.html joined.csv; do [ -s "$res/compare/$f" ] || fail "no compare/$f"; done
echo "ok - the comparison is printed and written to compare/"

# The guest's progress, from inside it, while the matrix ran.
grep -q "^lab: $label: cells 18/18 " "$work/stderr" || fail "no progress line from the guest: $(grep "cells" "$work/stderr")"
echo "ok - progress from the guest: $(grep "^lab: $label: cells" "$work/stderr" | tr '\n' ';')"
