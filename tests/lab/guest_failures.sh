#!/bin/bash
# Guests that never report: a broken image (qemu stops at once), a kernel
# that panics at boot (qemu exits), one that panics and then hangs (the
# boot limit), and Ctrl-C during a boot. Each gives one clear error and a
# non-zero exit, leaves no qemu and no partial results folder, and a
# failed kernel does not stop the others.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
need_tools
need_qemu
need_debian12
res="$work/results"
# These guests fail on purpose: their consoles go with the test.
export LAB_FAILED_DIR="$work/failed"

# run_failing WHAT PATTERN ARGS...: lab.sh ARGS must exit 1 and name the
# failure (PATTERN) in its closing summary.
run_failing() {
  local what=$1 pattern=$2; shift 2
  lab --accel tcg -o "$res" "$@" >"$work/stdout" 2>"$work/stderr"
  local rc=$?
  [ $rc -eq 1 ] || fail "$what: exit $rc, expected 1; stderr: $(tail -n 20 "$work/stderr")"
  grep -Eq -- "FAILED: .*$pattern" "$work/stderr" ||
    fail "$what: no failure matching /$pattern/ in: $(cat "$work/stderr")"
  echo "ok - $what: $(grep -m1 'FAILED' "$work/stderr")"
  # What the message points at is still there when the lab has exited.
  local console
  console=$(grep -a -o '(console: [^)]*)' "$work/stderr" | head -n1 | sed 's/^(console: //; s/)$//')
  [ -n "$console" ] || fail "$what: no console named in: $(cat "$work/stderr")"
  [ -e "$console" ] || fail "$what: the console it names, $console, is gone"
  echo "ok - $what: the console it names is kept ($console)"
  no_stray_qemu "$what"
  no_leftovers "$res" "$what"
}

# A bzImage cut short: the setup header is intact (so it is taken for a
# kernel), the decompressor has nothing to unpack. The host runs beside it.
head -c 3000000 "$work/debian12/vmlinuz" >"$work/broken-bzImage"
run_failing "a broken image next to the host" "without a line on the console" \
  -j 2 --matrix "-s drain -n 16K" host "$work/broken-bzImage"
[ "$(ls "$res" | sed 's/@m[0-9a-f]*$//')" = "$(jq -r .label "$res"/*/matrix.json)" ] ||
  fail "expected exactly the host's folder, have: $(ls "$res")"
echo "ok - the host's results arrived; nothing for the broken image"
grep -q '^== host: ' "$work/stdout" || fail "the host's table was not printed"
rm -rf "$res"

# No init in the initramfs: the kernel panics (panic=-1 reboots, and qemu
# runs with -no-reboot, so it exits).
run_failing "a kernel that panics at boot" "Kernel panic" --append "rdinit=/nonexistent" debian12
grep -q 'console| ' "$work/stderr" || fail "the console's tail was not shown"
[ ! -e "$res" ] || [ -z "$(ls "$res")" ] || fail "results written for a panicked kernel: $(ls "$res")"

# The same panic, but the kernel then waits forever (panic=0): only the
# boot limit ends it.
start=$(date +%s)
run_failing "a kernel that hangs at boot" "no user space within 10s" \
  --boot-timeout 10 --append "rdinit=/nonexistent panic=0" debian12
took=$(($(date +%s) - start))
[ "$took" -lt 40 ] || fail "the boot limit of 10 s took $took s to act"
echo "ok - the hung guest was stopped after $took s"

# Ctrl-C while the guest boots: the terminal sends SIGINT to the whole
# foreground process group, so the lab runs in its own group (job control)
# and the signal goes to that group.
set -m
"$top/scripts/lab/lab.sh" --accel tcg -o "$res" --matrix "--preset quick" debian12 \
  >"$work/stdout" 2>"$work/stderr" &
lab_pid=$!
set +m
for _ in $(seq 600); do
  pgrep -f -- "$qemu_tag" >/dev/null && break
  kill -0 "$lab_pid" 2>/dev/null || fail "the lab ended before qemu started: $(cat "$work/stderr")"
  sleep 0.1
done
pgrep -f -- "$qemu_tag" >/dev/null || fail "qemu did not start within 60 s"
sleep 1
kill -INT -- "-$lab_pid"
wait "$lab_pid"
rc=$?
expect "$rc" 130 "Ctrl-C: exit status"
for _ in $(seq 50); do pgrep -g "$lab_pid" >/dev/null || break; sleep 0.1; done
[ -z "$(pgrep -g "$lab_pid")" ] || fail "Ctrl-C: processes left in the lab's group: $(pgrep -a -g "$lab_pid")"
echo "ok - Ctrl-C: nothing left in the lab's process group"
no_stray_qemu "Ctrl-C"
no_leftovers "$res" "Ctrl-C"
[ ! -e "$res" ] || [ -z "$(ls "$res")" ] || fail "Ctrl-C: results written: $(ls "$res")"
echo "ok - Ctrl-C: no results folder"
