#!/bin/bash
# btf.sh SOURCE RELEASE OUT: the BTF of kernel RELEASE into OUT, for the
# probes on kernels that carry none of their own (CentOS 7, most 4.x).
# Prints one line of JSON: {from, file, sha256} (file: SOURCE's base name,
# never a path of this machine). SOURCE is one of
#   a BTF file          used as it is (starts with the BTF magic 0x9feb)
#   a vmlinux with DWARF            encoded with pahole --btf_encode_detached
#   a kernel-debuginfo .rpm / a linux-image-*-dbg .deb: its vmlinux, the same
# An encoded file is cached in $LAB_CACHE/btf by SOURCE's sha256 (pahole
# takes a minute on a distribution vmlinux). Bad input: one line, exit 64.
set -euo pipefail
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 3 ] || lab_usage_error "usage: btf.sh SOURCE RELEASE OUT"
src=$1 release=$2 out=$3
[ -e "$src" ] || lab_usage_error "btf=$src: no such file"
[ -f "$src" ] && [ -r "$src" ] || lab_usage_error "btf=$src: not a readable file"
name=$(basename "$src")

# emit FROM FILE: the record of what was used.
emit() {
  jq -cn --arg from "$1" --arg file "$name" --arg sha "$(lab_sha256 "$2")" \
    '{from: $from, file: $file, sha256: $sha}'
}

magic=$(od -An -tx1 -N4 "$src" | tr -d ' \n')
case "$magic" in
  9feb01*) cp "$src" "$out"; emit btf-file "$out"; exit 0 ;;
esac

# vmlinux_of PKG DIR: extracts the debug vmlinux of RELEASE from a package
# (the path every kernel-debuginfo and -dbg package uses) and prints it.
vmlinux_of() {
  local list member
  case "$1" in
    *.rpm) list=$(rpm2cpio "$1" 2>/dev/null | cpio -t --quiet 2>/dev/null) ||
             lab_usage_error "btf=$name: not a readable .rpm package" ;;
    *.deb) list=$(dpkg-deb --fsys-tarfile "$1" 2>/dev/null | tar -t 2>/dev/null) ||
             lab_usage_error "btf=$name: not a readable .deb package" ;;
  esac
  member=$(echo "$list" | grep -E "^\./usr/lib/debug/(lib/modules/$release/vmlinux|boot/vmlinux-$release)\$" | head -n1 || true)
  [ -n "$member" ] ||
    lab_usage_error "btf=$name: the package holds no usr/lib/debug/lib/modules/$release/vmlinux (a kernel-debuginfo package of another release?)"
  case "$1" in
    *.rpm) (cd "$2" && rpm2cpio "$1" | cpio -id --quiet "$member") ;;
    *.deb) dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" "$member" ;;
  esac
  echo "$2/${member#./}"
}

key=$(lab_sha256 "$src")
cached="$LAB_CACHE/btf/$key-$release"
from=pahole-vmlinux
case "$src" in *.rpm|*.deb) from=pahole-debuginfo-package ;; esac
if [ ! -s "$cached" ]; then
  command -v pahole >/dev/null ||
    lab_usage_error "btf=$name: turning DWARF into BTF needs pahole (Debian package dwarves: scripts/deps.sh lab)"
  lab_tmpdir x "$LAB_CACHE"
  vmlinux=$src
  case "$src" in *.rpm|*.deb) vmlinux=$(vmlinux_of "$(realpath "$src")" "$x") ;; esac
  [ "$(od -An -c -N4 "$vmlinux" | tr -d ' \n')" = 177ELF ] ||
    lab_usage_error "btf=$name: neither a BTF file (magic 9f eb) nor an ELF vmlinux with DWARF"
  # A vmlinux names its release in the banner; BTF of another build would
  # give the probes wrong offsets, silently.
  LC_ALL=C grep -aq "Linux version $release " "$vmlinux" ||
    lab_usage_error "btf=$name: its vmlinux is not the kernel $release (no 'Linux version $release' in it)"
  lab_note "encoding the DWARF of $name with pahole (once; cached)"
  if ! pahole --btf_encode_detached="$x/btf" "$vmlinux" >"$x/pahole.log" 2>&1 || [ ! -s "$x/btf" ]; then
    lab_usage_error "btf=$name: pahole --btf_encode_detached failed (no DWARF in it?): $(head -n1 "$x/pahole.log")"
  fi
  mkdir -p "$LAB_CACHE/btf"
  mv "$x/btf" "$cached.$$" && mv "$cached.$$" "$cached"
fi
cp "$cached" "$out"
emit "$from" "$out"
