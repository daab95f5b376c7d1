#!/bin/bash
# The BTF the probes need on kernels without their own, by every route the
# lab takes (scripts/lab/btf.sh), and what a result says without one:
#   btf-<release> beside bzImage-<release>   found without asking
#   KERNEL:btf=FILE                          a BTF file given explicitly,
#     put into the guest and passed to splicelab --probe-btf: the probes
#     attach on 3.10.0-1160.el7 with it (one boot)
#   a vmlinux with DWARF, a kernel-debuginfo .rpm, a linux-image-*-dbg .deb
#     turned into BTF with pahole --btf_encode_detached. No real vmlinux
#     with DWARF exists here: a small object built here with DWARF, the
#     kernel's banner and the pipe's struct stands for one (the same pahole
#     invocation; what a real vmlinux's BTF does in the probes is what the
#     btf-<release> files, made that way, show)
#   none: one line saying the probes need one and how to get it (one boot)
#   bad input: one line, exit 64, nothing booted
# and provenance names each file by base name and sha256, no path of this
# machine.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
need_tools
el7=3.10.0-1160.el7.x86_64
need_shelf "bzImage-$el7" "btf-$el7" bzImage-4.9.229 btf-4.9.229
command -v pahole >/dev/null || fail "pahole missing (Debian package dwarves: scripts/deps.sh lab)"
k() { "$top/scripts/lab/kernel.sh" "$@"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

# Found beside the image, with the config beside it.
k "$shelf/bzImage-4.9.229" "$work/k-beside" || fail "kernel.sh bzImage-4.9.229 exited $?"
j="$work/k-beside/kernel.json"
expect "$(jq -r .btf.from "$j")" "beside the image" "beside: from"
expect "$(jq -r .btf.file "$j")" btf-4.9.229 "beside: file (base name)"
expect "$(jq -r .btf.sha256 "$j")" "$(sha "$shelf/btf-4.9.229")" "beside: sha256"
cmp -s "$work/k-beside/btf" "$shelf/btf-4.9.229" || fail "beside: the BTF handed on differs from the file"
expect "$(jq -r .config_from "$j")" config-4.9.229 "beside: config"

# A small ELF with DWARF standing for a vmlinux of RELEASE.
dwarf_obj() { # dwarf_obj RELEASE OUT [CFLAGS]
  printf 'const char linux_banner[] = "Linux version %s (splicelab test) #1";\nstruct pipe_buffer { void *page; unsigned int offset, len; };\nstruct pipe_inode_info { unsigned int nrbufs, curbuf, buffers; struct pipe_buffer *bufs; } pipe;\n' \
    "$1" >"$work/vmlinux.c"
  # shellcheck disable=SC2086 # the flags are words
  gcc -c ${3:--g} -o "$2" "$work/vmlinux.c" || fail "gcc could not build the stand-in vmlinux"
}
dwarf_obj 4.9.229 "$work/vmlinux-4.9.229"
k "$shelf/bzImage-4.9.229" "$work/k-dwarf" "$work/vmlinux-4.9.229" 2>"$work/err" ||
  fail "kernel.sh with a DWARF vmlinux exited $?: $(cat "$work/err")"
j="$work/k-dwarf/kernel.json"
expect "$(jq -r .btf.from "$j")" pahole-vmlinux "DWARF vmlinux: from"
expect "$(jq -r .btf.file "$j")" vmlinux-4.9.229 "DWARF vmlinux: file"
expect "$(od -An -tx1 -N2 "$work/k-dwarf/btf" | tr -d ' ')" 9feb "DWARF vmlinux: the output's BTF magic"
expect "$(jq -r .btf.sha256 "$j")" "$(sha "$work/k-dwarf/btf")" "DWARF vmlinux: sha256 of the BTF used"
if command -v bpftool >/dev/null; then
  bpftool btf dump file "$work/k-dwarf/btf" | grep -q "STRUCT 'pipe_inode_info'" ||
    fail "DWARF vmlinux: the BTF has no struct pipe_inode_info"
  echo "ok - DWARF vmlinux: bpftool reads struct pipe_inode_info from the BTF"
fi

# The same vmlinux in a kernel-debuginfo RPM and a -dbg .deb, where those
# packages keep it.
mkdir -p "$work/rpm/SPECS"
cat >"$work/rpm/SPECS/dbg.spec" <<EOF
Name: kernel-debuginfo
Version: 4.9.229
Release: 1
Summary: a stand-in kernel-debuginfo package
License: GPL
%description
A stand-in.
%install
mkdir -p %{buildroot}/usr/lib/debug/lib/modules/4.9.229
cp $work/vmlinux-4.9.229 %{buildroot}/usr/lib/debug/lib/modules/4.9.229/vmlinux
%files
/usr/lib/debug/lib/modules/4.9.229/vmlinux
EOF
rpmbuild --quiet -bb --define "_topdir $work/rpm" --define "_rpmdir $work" --define "__strip /bin/true" \
  --define "debug_package %{nil}" --define "_build_name_fmt kernel-debuginfo-4.9.229.rpm" \
  "$work/rpm/SPECS/dbg.spec" >/dev/null 2>&1 || fail "rpmbuild could not build the stand-in debuginfo package"
k "$shelf/bzImage-4.9.229" "$work/k-rpm" "$work/kernel-debuginfo-4.9.229.rpm" 2>"$work/err" ||
  fail "kernel.sh with a debuginfo RPM exited $?: $(cat "$work/err")"
expect "$(jq -r .btf.from "$work/k-rpm/kernel.json")" pahole-debuginfo-package "debuginfo RPM: from"
cmp -s "$work/k-rpm/btf" "$work/k-dwarf/btf" || fail "debuginfo RPM: BTF differs from the vmlinux's own"
echo "ok - debuginfo RPM: the same BTF as from its vmlinux"
mkdir -p "$work/deb/DEBIAN" "$work/deb/usr/lib/debug/boot"
cp "$work/vmlinux-4.9.229" "$work/deb/usr/lib/debug/boot/vmlinux-4.9.229"
printf 'Package: linux-image-4.9.229-dbg\nVersion: 1\nArchitecture: amd64\nMaintainer: splicelab tests <tests@splicelab.invalid>\nDescription: a stand-in\n' >"$work/deb/DEBIAN/control"
dpkg-deb --root-owner-group --build "$work/deb" "$work/linux-image-4.9.229-dbg.deb" >/dev/null || fail "dpkg-deb failed"
k "$shelf/bzImage-4.9.229" "$work/k-deb" "$work/linux-image-4.9.229-dbg.deb" 2>"$work/err" ||
  fail "kernel.sh with a -dbg .deb exited $?: $(cat "$work/err")"
cmp -s "$work/k-deb/btf" "$work/k-dwarf/btf" || fail "-dbg .deb: BTF differs from the vmlinux's own"
echo "ok - -dbg .deb: the same BTF as from its vmlinux"

# Bad BTF input: one line, exit 64, before anything boots.
refuse() { # refuse WHAT PATTERN LAB-ARGS...
  local what=$1 pattern=$2; shift 2
  lab -q -o "$work/res-bad" "$@" >/dev/null 2>"$work/err"
  local rc=$?
  [ $rc -eq 64 ] || fail "$what: exit $rc, expected 64: $(cat "$work/err")"
  [ "$(wc -l <"$work/err")" -eq 1 ] || fail "$what: not one line: $(cat "$work/err")"
  grep -Eq -- "$pattern" "$work/err" || fail "$what: '$(cat "$work/err")' does not match /$pattern/"
  echo "ok - $what: $(cat "$work/err")"
}
dwarf_obj 5.10.89 "$work/vmlinux-5.10.89"
refuse "a vmlinux of another release" "not the kernel 4\.9\.229" "$shelf/bzImage-4.9.229:btf=$work/vmlinux-5.10.89"
dwarf_obj 4.9.229 "$work/nodwarf.o" -O2
refuse "an ELF without DWARF" "pahole --btf_encode_detached failed" "$shelf/bzImage-4.9.229:btf=$work/nodwarf.o"
head -c 4096 /dev/urandom >"$work/random.btf"
refuse "neither BTF nor ELF" "neither a BTF file" "$shelf/bzImage-4.9.229:btf=$work/random.btf"
refuse "a missing BTF file" "no such file" "$shelf/bzImage-4.9.229:btf=$work/none"
refuse "--btf with two guest kernels" "one kernel" --btf "$shelf/btf-4.9.229" "$shelf/bzImage-4.9.229" "$shelf/bzImage-$el7"
refuse "a debuginfo RPM of another release" "holds no usr/lib/debug/lib/modules/$el7/vmlinux" \
  "$shelf/bzImage-$el7:btf=$work/kernel-debuginfo-4.9.229.rpm"

# In the guest: the BTF given with :btf= (under another name, so it is not
# found beside) reaches splicelab-probe, which attaches with it on el7; and
# a 4.9 image with no BTF anywhere says in one line what the probes need.
need_qemu
[ -x "$top/$BUILD/static/splicelab-probe" ] || fail "$BUILD/static/splicelab-probe missing: run make"
mkdir -p "$work/img"
cp "$shelf/bzImage-$el7" "$shelf/bzImage-4.9.229" "$work/img/"
cp "$shelf/btf-$el7" "$work/img/el7.btf"
res="$work/results"
lab --accel tcg --probes on --no-tables -o "$res" --matrix "-s drain -p 64K -n 16M -f none" \
  "$work/img/bzImage-$el7:btf=$work/img/el7.btf" "$work/img/bzImage-4.9.229" >"$work/stdout" 2>"$work/stderr" ||
  fail "lab exited $?: $(tail -n 20 "$work/stderr")"
g="$res/kernel-$el7@m$(printf '%s\n' -s drain -p 64K -n 16M -f none | sha256sum | cut -c1-8)"
[ -d "$g" ] || fail "no $g (have: $(ls "$res"))"
expect "$(jq -r .kernel.btf.from "$g/provenance.json")" btf-file "given: from"
expect "$(jq -r .kernel.btf.file "$g/provenance.json")" el7.btf "given: file"
expect "$(jq -r .kernel.btf.sha256 "$g/provenance.json")" "$(sha "$shelf/btf-$el7")" "given: sha256"
expect_match "$(jq -r .regenerate "$g/provenance.json")" ":btf=el7\.btf$" "given: the regenerate command names it"
expect "$(jq -r .env.probes.btf "$g/matrix.json")" /lab/btf "given: splicelab-probe --btf in the guest"
expect "$(jq -r .env.probes.mode "$g/matrix.json")" kprobe "given: the probes attached on $el7"
expect "$(jq -r '.cells[0].kernel.max_slots_used' "$g/matrix.json")" 16 "given: the blocked drain's pipe seen full (16 slots)"
n="${g/$el7/4.9.229}"
expect "$(jq -r .kernel.btf "$n/provenance.json")" null "none: no BTF recorded"
expect "$(jq -r .env.probes.mode "$n/matrix.json")" none "none: no probes"
line=$(grep -c "kernel-4.9.229: no probes: this kernel has no BTF of its own; give the lab one: KERNELS=\"bzImage-4.9.229:btf=FILE\"" "$work/stderr")
expect "$line" 1 "none: one line saying the probes need a BTF and how to give one"
expect_match "$(jq -r .run.probes_note "$n/provenance.json")" "^no probes: this kernel has no BTF" "none: provenance says so"
for p in "$g" "$n"; do
  if grep -Fq -e "$work" -e "$top" -e "$shelf" "$p/provenance.json"; then
    fail "$(basename "$p")/provenance.json names a path of this machine: $(grep -F -e "$work" -e "$top" "$p/provenance.json")"
  fi
done
echo "ok - provenance names no path of this machine"
no_stray_qemu "after the run"
no_leftovers "$res" "after the run"
