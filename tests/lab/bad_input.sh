#!/bin/bash
# Bad input to the lab: one line on stderr, exit 64, nothing booted and
# nothing written, not even an empty results folder. No guest boots here:
# every one of these is refused before qemu starts.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
need_tools
res="$work/results"

# refuse WHAT PATTERN ARGS...: lab.sh ARGS must fail with exit 64 and one
# line matching PATTERN.
refuse() {
  local what=$1 pattern=$2; shift 2
  lab -q -o "$res" "$@" >"$work/stdout" 2>"$work/stderr"
  local rc=$?
  [ $rc -eq 64 ] || fail "$what: exit $rc, expected 64; stderr: $(cat "$work/stderr")"
  [ "$(wc -l <"$work/stderr")" -eq 1 ] || fail "$what: stderr is not one line: $(cat "$work/stderr")"
  grep -Eq -- "$pattern" "$work/stderr" || fail "$what: '$(cat "$work/stderr")' does not match /$pattern/"
  [ ! -e "$res" ] || fail "$what: $res was created"
  no_leftovers "$work" "$what" >/dev/null
  echo "ok - $what: $(cat "$work/stderr")"
}

refuse "missing file" "no such file" "$work/no-such-bzImage"
head -c 100000 /dev/urandom >"$work/random.img"
refuse "a file that is not a kernel" "not an x86 Linux kernel image" "$work/random.img"
cp "$work/random.img" "$work/random.deb"
refuse "a .deb that is not a package" "not a readable .deb" "$work/random.deb"
cp "$work/random.img" "$work/random.rpm"
refuse "an .rpm that is not a package" "not a readable .rpm" "$work/random.rpm"

# Real packages that hold no kernel, built here with the packagers' own
# tools: what a user gets by picking linux-headers-* or kernel-devel.
pkg="$work/pkg"
mkdir -p "$pkg/DEBIAN" "$pkg/usr/share/doc/splicelab-not-a-kernel"
printf 'Package: splicelab-not-a-kernel\nVersion: 1.0\nArchitecture: all\nMaintainer: splicelab tests <tests@splicelab.invalid>\nDescription: a package with no kernel in it\n' \
  >"$pkg/DEBIAN/control"
echo "no kernel here" >"$pkg/usr/share/doc/splicelab-not-a-kernel/README"
dpkg-deb --root-owner-group --build "$pkg" "$work/not-a-kernel.deb" >/dev/null ||
  fail "dpkg-deb could not build the test package"
refuse "a .deb with no kernel image" "holds no boot/vmlinuz" "$work/not-a-kernel.deb"

command -v rpmbuild >/dev/null || fail "rpmbuild not installed (Debian package rpm: scripts/deps.sh lab)"
mkdir -p "$work/rpm/SPECS"
cat >"$work/rpm/SPECS/not-a-kernel.spec" <<'EOF'
Name: splicelab-not-a-kernel
Version: 1.0
Release: 1
Summary: a package with no kernel in it
License: MIT
BuildArch: noarch
%description
A package with no kernel in it.
%install
mkdir -p %{buildroot}/usr/share/doc/splicelab-not-a-kernel
echo "no kernel here" >%{buildroot}/usr/share/doc/splicelab-not-a-kernel/README
%files
/usr/share/doc/splicelab-not-a-kernel/README
EOF
rpmbuild --quiet -bb --define "_topdir $work/rpm" --define "_rpmdir $work" \
  --define "_build_name_fmt not-a-kernel.rpm" "$work/rpm/SPECS/not-a-kernel.spec" >/dev/null 2>&1 ||
  fail "rpmbuild could not build the test package"
refuse "an .rpm with no kernel image" "holds no boot/vmlinuz" "$work/not-a-kernel.rpm"

# The lab's own options and the matrix options it passes on.
refuse "an unknown option" "unknown option" --frobnicate host
refuse "a bad job count" "--jobs" -j 0 host
refuse "a bad probes choice" "--probes" --probes sometimes host
refuse "host named twice" "host is named twice" host host
refuse "a bad matrix option" "matrix options: .*48K" --matrix "-p 48K" host
refuse "a matrix option the lab sets" "the lab sets it" --matrix "-o /tmp/elsewhere" host
refuse "--probe in the matrix" "the lab sets it" host -- --probe
refuse "an unclosed quote in the matrix" "a quote is not closed" --matrix "--relay-cmd 'x {listen}" host
# A relay for the guests (--add, make lab LAB_ADD=...).
refuse "--add of a missing file" "--add .*/no-such-proxy: no such file" --add "$work/no-such-proxy" host
refuse "--add of a file that is not a program" "--add .*random.img: not an executable file" --add "$work/random.img" host
refuse "a relay only the guests would have, not added" "/bin/no-such-proxy' is not an executable file \(a program of yours: --add FILE" \
  --matrix "--relay-cmd '/bin/no-such-proxy {listen} {upstream}'" host
printf '#!/bin/sh\nexit 0\n' >"$work/proxy" && chmod +x "$work/proxy"
refuse "an added relay whose command lacks {listen}" "--relay-cmd: no \{listen\}" \
  --add "$work/proxy" --matrix "--relay-cmd '/bin/proxy {upstream}'" host
no_stray_qemu "after bad input"
