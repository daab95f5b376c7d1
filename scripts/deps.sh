#!/bin/sh
# Install the Debian packages splicelab needs, or say in one line which are
# missing. Run by `make` before the first build, and by `make test` for
# everything the tests use (the lab's qemu, Chromium for the HTML test);
# safe to run again.
#
# usage: scripts/deps.sh [build|test|lab|probes|analyze|all]...
#        scripts/deps.sh --wait-lock   only wait for the package manager's lock
# When another apt or dpkg holds the lock (a freshly booted cloud machine
# runs its own updates), it waits for it, saying so, at most DEPS_LOCK_WAIT
# seconds (300). Exit: 0 installed or nothing missing; 1 missing and not
# root, or the install failed, or the lock stayed held; 64 bad usage.
set -u

# One list per component, so each part adds only what it needs.
pkgs_build="gcc make libc6-dev libjansson-dev pkg-config"
pkgs_test="libcmocka-dev jq strace util-linux procps time haproxy"
pkgs_probes="clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev"
pkgs_lab="qemu-system-x86 busybox-static cpio rpm2cpio rpm xz-utils zstd jq dwarves"
pkgs_analyze="chromium"

# The locks apt and dpkg take (fcntl locks: they show in /proc/locks).
locks=${DEPS_LOCKS:-/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock}
lock_wait=${DEPS_LOCK_WAIT:-300}

# lock_holder: "PID (NAME)" of a process holding one of the locks, or nothing.
lock_holder() {
  for f in $locks; do
    [ -e "$f" ] || continue
    ino=$(stat -c %i "$f" 2>/dev/null) || continue
    pid=$(awk -v ino="$ino" '{ n = split($0, w, " "); for (i = 1; i <= n; i++) if (w[i] ~ ":" ino "$") { print w[i - 1]; exit } }' /proc/locks)
    [ -n "$pid" ] || continue
    echo "$pid ($(cat "/proc/$pid/comm" 2>/dev/null || echo gone))"
    return
  done
}

# wait_for_lock: returns once no one holds the locks; fails after lock_wait s.
wait_for_lock() {
  holder=$(lock_holder)
  [ -n "$holder" ] || return 0
  echo "deps.sh: another package manager holds the dpkg lock (pid $holder): waiting up to $lock_wait s" >&2
  start=$(date +%s)
  while holder=$(lock_holder) && [ -n "$holder" ]; do
    if [ $(($(date +%s) - start)) -ge "$lock_wait" ]; then
      echo "deps.sh: the dpkg lock is still held after $lock_wait s (pid $holder); try again when it is done (DEPS_LOCK_WAIT=seconds waits longer)" >&2
      return 1
    fi
    sleep 1
  done
  echo "deps.sh: the dpkg lock is free after $(($(date +%s) - start)) s" >&2
}

if [ "${1:-}" = --wait-lock ]; then
  [ $# -eq 1 ] || { echo "deps.sh: --wait-lock takes nothing else" >&2; exit 64; }
  wait_for_lock
  exit
fi

want=""
[ $# -eq 0 ] && set -- build
for part in "$@"; do
  case "$part" in
    build) want="$want $pkgs_build" ;;
    test) want="$want $pkgs_build $pkgs_test" ;;
    probes) want="$want $pkgs_probes" ;;
    lab) want="$want $pkgs_lab" ;;
    analyze) want="$want $pkgs_analyze" ;;
    all) want="$want $pkgs_build $pkgs_test $pkgs_probes $pkgs_lab $pkgs_analyze" ;;
    *) echo "deps.sh: unknown component '$part' (build, test, probes, lab, analyze, all)" >&2; exit 64 ;;
  esac
done

missing=""
for p in $want; do
  case " $missing " in *" $p "*) continue ;; esac
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
  [ "$st" = "install ok installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing Debian packages:$missing; run as root: sudo scripts/deps.sh $*" >&2
  exit 1
fi
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
wait_for_lock || exit 1
# apt waits too, should another one take the lock between the two.
apt_get() { apt-get -o DPkg::Lock::Timeout="$lock_wait" "$@"; }
# A fresh machine has empty package lists; refresh once, then install.
# shellcheck disable=SC2086 # one package per word
if ! apt_get install -y -q --no-install-recommends $missing >/dev/null 2>&1; then
  apt_get update -q >/dev/null 2>&1 || { echo "deps.sh: apt-get update failed; is a Debian mirror reachable?" >&2; exit 1; }
  # shellcheck disable=SC2086
  apt_get install -y -q --no-install-recommends $missing >&2 || { echo "deps.sh: apt-get install$missing failed" >&2; exit 1; }
fi
