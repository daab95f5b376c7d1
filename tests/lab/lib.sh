# shellcheck shell=bash
# Shared by the kernel lab tests: real kernels booted under qemu (Debian
# 12's 6.1 in TCG) and real runs of the static tools, with assertions on
# what came back. Each test boots as few guests as it can.
# The host tests' helpers (fail, skip, note, expect*, and $work, removed
# on exit) serve here too.
# shellcheck source=tests/host/lib.sh
. "$(dirname "$0")/../host/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
export LAB_CACHE=${LAB_CACHE:-$top/.cache/lab}
# Everything the lab makes goes under $work, so leftovers can be counted;
# but the console of a guest that failed unexpectedly outlives the test
# (its failure message points at it; $work is removed on exit).
export TMPDIR="$work/tmp" LAB_FAILED_DIR=${LAB_FAILED_DIR:-$top/$BUILD/test-logs/lab-failed}
mkdir -p "$TMPDIR"
# A name on every qemu this test starts: other people's guests on the
# same machine are not ours to count.
qemu_tag="splicelab-labtest-$$"
export LAB_QEMU_OPTS="-name $qemu_tag"

lab() { "$top/scripts/lab/lab.sh" "$@"; }

need_tools() {
  local t
  for t in splicelab static/splicelab; do
    [ -x "$top/$BUILD/$t" ] || fail "$BUILD/$t missing: run make"
  done
}

# need_qemu: skip when qemu is not installed (the lab cannot run at all).
need_qemu() {
  command -v qemu-system-x86_64 >/dev/null ||
    skip "qemu-system-x86_64 not installed (scripts/deps.sh lab)"
}

# need_debian12: resolve Debian 12's kernel once (download or cache) into
# $work/debian12; skip only when neither the package lists nor the cache
# have it (no network to a Debian mirror).
need_debian12() {
  "$top/scripts/lab/kernel.sh" debian12 "$work/debian12" 2>"$work/debian12.err" ||
    skip "Debian 12's kernel package is unavailable: $(head -n1 "$work/debian12.err")"
}

# no_stray_qemu WHEN: none of this test's qemus is still running.
no_stray_qemu() {
  local left
  left=$(pgrep -f -- "$qemu_tag" | tr '\n' ' ' || true)
  if [ -n "$left" ]; then
    # shellcheck disable=SC2086 # a list of pids, ours (tagged)
    kill -KILL $left 2>/dev/null
    fail "$1: qemu still running (pids $left)"
  fi
  echo "ok - $1: no qemu left running"
}

# no_leftovers DIR WHEN: no partial result folder and no lab temporaries.
no_leftovers() {
  local stray
  stray=$(find "$1" -mindepth 1 -maxdepth 1 -name '.lab-stage.*' 2>/dev/null)
  [ -z "$stray" ] || fail "$2: staging folder left in $1: $stray"
  stray=$(find "$TMPDIR" -mindepth 1 -maxdepth 1 2>/dev/null)
  [ -z "$stray" ] || fail "$2: temporaries left: $stray"
  echo "ok - $2: no partial folder, no temporaries"
}

# The project's kernel shelf (old kernels built for the lab, BTF beside
# them) and real relays sit beside the checkout on the project's own
# machines only; a user's checkout has neither, and those tests skip.
shelf=${LAB_KERNEL_SHELF:-$top/../shared/kernels}
peers=${LAB_PEERS:-$top/../shared/peers}
# need_shelf FILE...: skip unless the shelf holds every FILE.
need_shelf() {
  local f
  for f in "$@"; do
    [ -r "$shelf/$f" ] || skip "no kernel shelf with $f beside this checkout (only the project's own machines have one)"
  done
}

# lab_old_kernels RES LAB-OPTION...: the lab (TCG, no probes, no tables)
# over the shelf's three old kernels into RES, one boot each; fails with
# the lab's last lines, or when a qemu or a partial folder is left.
lab_old_kernels() {
  local res=$1 start rc
  shift
  start=$(date +%s)
  lab --accel tcg --probes off --no-tables -o "$res" "$@" "$shelf/bzImage-3.10.0-1160.el7.x86_64"     "$shelf/bzImage-4.9.229" "$shelf/bzImage-5.10.89" >"$work/stdout" 2>"$work/stderr"
  rc=$?
  [ $rc -eq 0 ] || fail "lab exited $rc: $(tail -n 20 "$work/stderr")"
  echo "ok - three kernels, one boot each, in $(($(date +%s) - start)) s"
  no_stray_qemu "after the run"
  no_leftovers "$res" "after the run"
}
