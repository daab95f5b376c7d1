#!/bin/bash
# kernel.sh SPEC DIR [BTF]: turn a kernel spec into DIR/vmlinuz, DIR/config
# (when the package carries one, or config-<release> lies beside the image),
# DIR/btf (BTF, or a vmlinux/debuginfo package to make it from, btf.sh; or
# btf-<release> beside the image) and DIR/kernel.json (where it came from).
#
# SPEC is one of
#   debian12            the current linux-image-6.1.0-*-amd64 of Debian 12,
#                       fetched with apt-get download
#   FILE.deb            any Debian/Ubuntu kernel package (boot/vmlinuz-*)
#   FILE.rpm            a CentOS/RHEL/Fedora kernel package (boot/vmlinuz-*
#                       or lib/modules/*/vmlinuz), via rpm2cpio | cpio
#   FILE                a plain x86 bzImage / vmlinuz
# Packages and extracted kernels are cached in $LAB_CACHE (.cache/lab), so
# the second run needs no network. Bad input: one line, exit 64, DIR empty.
set -euo pipefail
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || [ $# -eq 3 ] || lab_usage_error "usage: kernel.sh SPEC DIR [BTF]"
spec=$1 out=$2 btf_src=${3:-}

# bzimage_release FILE: the release string the image carries in its setup
# header ("HdrS" at 0x202, version string offset at 0x20e), or nothing.
bzimage_release() {
  local magic off
  magic=$(dd if="$1" bs=1 skip=514 count=4 2>/dev/null | tr -d '\0')
  [ "$magic" = HdrS ] || return 0
  off=$(od -An -tu2 -j526 -N2 "$1" | tr -d ' ')
  [ -n "$off" ] && [ "$off" -gt 0 ] || return 0
  dd if="$1" bs=1 skip=$((off + 512)) count=256 2>/dev/null |
    tr '\0' '\n' | head -n1 | cut -d' ' -f1
}

# The newest linux-image-6.1.0-N-amd64 the package lists know, refreshing
# them once when they are empty (a fresh machine).
debian12_package() {
  local pkg
  pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' 2>/dev/null |
        cut -d' ' -f1 | sort -V | tail -n1)
  if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ]; then
    apt-get update -q >/dev/null 2>&1 || true
    pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' 2>/dev/null |
          cut -d' ' -f1 | sort -V | tail -n1)
  fi
  echo "$pkg"
}

# fetch_debian12: sets pkg_file to the cached .deb, downloading it once.
fetch_debian12() {
  local pkg ver dl
  pkg=$(debian12_package)
  if [ -z "$pkg" ]; then
    # Offline: the newest package fetched earlier still serves.
    pkg_file=$(ls "$LAB_CACHE"/debs/linux-image-6.1.0-*-amd64_*.deb 2>/dev/null | sort -V | tail -n1 || true)
    [ -n "$pkg_file" ] || lab_usage_error "debian12: no linux-image-6.1.0-*-amd64 in the package lists and none cached (is a Debian 12 mirror configured?)"
    lab_note "debian12: package lists unavailable, using cached $(basename "$pkg_file")"
    return
  fi
  ver=$(apt-cache show --no-all-versions "$pkg" | sed -n 's/^Version: //p' | head -n1)
  pkg_file="$LAB_CACHE/debs/${pkg}_${ver//:/%3a}_amd64.deb"
  [ -s "$pkg_file" ] && return
  mkdir -p "$LAB_CACHE/debs"
  lab_tmpdir dl "$LAB_CACHE"
  lab_note "debian12: downloading $pkg $ver"
  (cd "$dl" && apt-get download -q "$pkg=$ver" >"$dl/apt.log" 2>&1) ||
    lab_fail 1 "debian12: apt-get download $pkg=$ver failed: $(grep -m1 -E '^(E|Err):' "$dl/apt.log" || tail -n1 "$dl/apt.log")"
  mv "$dl"/*.deb "$pkg_file"
}

# extract_deb FILE DEST: boot/vmlinuz-* and boot/config-* of a .deb.
extract_deb() {
  local list members
  list=$(dpkg-deb -c "$1" 2>/dev/null | awk '{print $NF}') ||
    lab_usage_error "$spec: not a readable .deb package"
  members=$(echo "$list" | grep -E '^\./boot/(vmlinuz|config)-' || true)
  echo "$members" | grep -q '/vmlinuz-' ||
    lab_usage_error "$spec: the package holds no boot/vmlinuz-* (not a kernel image package?)"
  # shellcheck disable=SC2086 # one member per word
  dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" $members
  package=$(dpkg-deb -f "$1" Package)
  package_version=$(dpkg-deb -f "$1" Version)
}

# extract_rpm FILE DEST: the kernel and config of an .rpm, wherever the
# distribution keeps them (boot/ up to EL7, lib/modules/RELEASE/ after).
extract_rpm() {
  local list members
  list=$(rpm2cpio "$1" 2>/dev/null | cpio -t --quiet 2>/dev/null) ||
    lab_usage_error "$spec: not a readable .rpm package"
  members=$(echo "$list" | grep -E '^\./(boot/(vmlinuz|config)-[^/]*|lib/modules/[^/]+/(vmlinuz|config))$' | grep -v '\.hmac$' || true)
  echo "$members" | grep -q 'vmlinuz' ||
    lab_usage_error "$spec: the package holds no boot/vmlinuz-* or lib/modules/*/vmlinuz (not a kernel package?)"
  # shellcheck disable=SC2086
  (cd "$2" && rpm2cpio "$1" | cpio -id --quiet $members)
  package=$(basename "$1" .rpm)
  package_version=$(echo "$package" | sed -E 's/^kernel(-[a-z]+)?-//')
}

source=image package=null package_version=null pkg_file=""
case "$spec" in
  debian12) source=debian12; fetch_debian12; input=$pkg_file ;;
  *)
    [ -e "$spec" ] || lab_usage_error "$spec: no such file (kernels: debian12, FILE.deb, FILE.rpm, bzImage)"
    [ -f "$spec" ] && [ -r "$spec" ] || lab_usage_error "$spec: not a readable file"
    input=$(realpath "$spec")
    case "$spec" in *.deb) source=deb ;; *.rpm) source=rpm ;; esac ;;
esac

# unpack DIR: DIR/vmlinuz, DIR/config (when the package has one) and
# DIR/meta.json, what the content itself says (release, package, sha256s).
unpack() {
  local dir=$1 image config release config_from=null
  mkdir -p "$dir/pkg"
  case "$source" in
    debian12|deb) extract_deb "$input" "$dir/pkg" ;;
    rpm) extract_rpm "$input" "$dir/pkg" ;;
    image) cp "$input" "$dir/pkg/image" ;;
  esac
  image=$(find "$dir/pkg" -type f \( -name 'vmlinuz*' -o -name image \) | sort | head -n1)
  config=$(find "$dir/pkg" -type f -name 'config*' | sort | head -n1)
  release=$(bzimage_release "$image")
  [ -n "$release" ] || lab_usage_error "$spec: not an x86 Linux kernel image (no bzImage setup header)"
  mv "$image" "$dir/vmlinuz"
  if [ -n "$config" ]; then mv "$config" "$dir/config"; config_from=${config#"$dir/pkg/"}; fi
  rm -rf "$dir/pkg"
  jq -n --arg package "$package" --arg package_version "$package_version" \
        --arg release "$release" --arg image_sha256 "$(lab_sha256 "$dir/vmlinuz")" \
        --arg config_from "$config_from" '
    def nul: if . == "null" then null else . end;
    {package: ($package | nul), package_version: ($package_version | nul),
     release: $release, image_sha256: $image_sha256,
     config_from: ($config_from | nul)}' >"$dir/meta.json"
}

key=$(lab_sha256 "$input")
mkdir -p "$out"
if [ "$source" = image ]; then
  # Nothing to extract from a plain image, so nothing to cache.
  unpack "$out"
else
  # An unpacked package is cached by the package's content.
  cached="$LAB_CACHE/unpacked/$key"
  if [ ! -s "$cached/meta.json" ]; then
    mkdir -p "$LAB_CACHE/unpacked"
    lab_tmpdir x "$LAB_CACHE/unpacked"
    unpack "$x"
    # Another run may have unpacked it meanwhile (parallel kernels, other
    # checkouts sharing LAB_CACHE): a finished entry is never replaced.
    [ -s "$cached/meta.json" ] || { rm -rf "$cached"; mv -T "$x" "$cached" 2>/dev/null || true; }
  fi
  cp "$cached/vmlinuz" "$cached/meta.json" "$out/"
  [ ! -f "$cached/config" ] || cp "$cached/config" "$out/config"
fi

# The label and the spec as typed depend on how the kernel was asked for,
# so they are added here, never cached (one .deb, two ways to name it).
release=$(jq -r .release "$out/meta.json")
case "$source" in
  debian12) label="debian12-$release" ;;
  rpm) dist=$(echo "$release" | grep -oE '\.el[0-9]+' | head -n1 | tr -d .)
       label="${dist:-rpm}-$release" ;;
  deb) label="deb-$release" ;;
  *) label="kernel-$release" ;;
esac

# Beside a plain image, its build's files named by the release (as a
# kernel build tree's install or a lab kernel shelf keeps them):
# config-<release> and btf-<release>.
if [ "$source" = image ]; then
  beside=$(dirname "$input")
  if [ ! -f "$out/config" ] && [ -r "$beside/config-$release" ]; then
    cp "$beside/config-$release" "$out/config"
    jq --arg c "config-$release" '.config_from = $c' "$out/meta.json" >"$out/meta.json.new"
    mv "$out/meta.json.new" "$out/meta.json"
  fi
  [ -n "$btf_src" ] || [ ! -r "$beside/btf-$release" ] || btf_src="$beside/btf-$release" btf_beside=yes
fi
btf=null
if [ -n "$btf_src" ]; then
  btf=$("$LAB_DIR/btf.sh" "$btf_src" "$release" "$out/btf")
  [ -z "${btf_beside:-}" ] || btf=$(jq -c '.from = "beside the image"' <<<"$btf")
fi

# Files are named by their base name only: provenance carries no path of
# the machine that made it (the sha256s say which file it was).
input=$(basename "$input")
[ "$source" = debian12 ] || spec=$(basename "$spec")
jq --arg spec "$spec" --arg source "$source" --arg input "$input" --arg input_sha256 "$key" \
   --arg lbl "$label" --argjson btf "$btf" '
  {source: $source, spec: $spec, input: $input, input_sha256: $input_sha256} + .
  + {btf: $btf, "label": $lbl}' "$out/meta.json" >"$out/kernel.json"
rm "$out/meta.json"
