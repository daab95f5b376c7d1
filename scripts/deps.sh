#!/bin/sh
# Install the Debian packages splicelab needs, or say in one line which are
# missing. Run by `make` before the first build; safe to run again.
#
# usage: scripts/deps.sh [build|test|lab|probes|analyze|all]...
set -u

# One list per component, so each part adds only what it needs.
pkgs_build="gcc make libc6-dev libjansson-dev pkg-config"
pkgs_test="libcmocka-dev jq strace util-linux procps time"
pkgs_probes="clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev"
pkgs_lab="qemu-system-x86 busybox-static cpio rpm2cpio rpm xz-utils zstd jq dwarves"
pkgs_analyze="chromium"

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
# A fresh machine has empty package lists; refresh once, then install.
if ! apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1; then
  apt-get update -q >/dev/null 2>&1 || { echo "deps.sh: apt-get update failed; is a Debian mirror reachable?" >&2; exit 1; }
  apt-get install -y -q --no-install-recommends $missing >&2 || { echo "deps.sh: apt-get install$missing failed" >&2; exit 1; }
fi
