#!/bin/sh
# Bad input: one line on stderr naming the option, exit status 64, and
# nothing written.
. "$(dirname "$0")/lib.sh"
out="$work/out"
refuse() { # refuse WHAT ARGS...
  what=$1; shift
  "$SPLICELAB" -q -o "$out" "$@" >"$work/stdout" 2>"$work/stderr"
  rc=$?
  [ $rc -eq 64 ] || fail "$what: exit $rc, expected 64"
  [ "$(wc -l <"$work/stderr")" -eq 1 ] || fail "$what: stderr is not one line: $(cat "$work/stderr")"
  [ ! -e "$out" ] || fail "$what: $out was written"
  echo "ok - $what: $(cat "$work/stderr")"
}
refuse "unknown flag" -f 'MOVE|BOGUS'
refuse "zero size" -p 0
refuse "negative size" -n -5
refuse "non-numeric size" -n lots
refuse "pipe size not a power of two" -p 48K
refuse "pipe size above the kernel's maximum" -p 4G
refuse "payload above the cap" -n 4G
refuse "unknown scenario" -s upload
refuse "conflicting options" -P haproxy -f none
refuse "window longer than the cell limit" -w 5000 --cell-timeout 1000
refuse "unknown option" --frobnicate
refuse "missing value" -p
refuse "missing config file" --config "$work/none.conf"
printf 'pipe-size = 64K\nfrobnicate = 1\n' >"$work/bad.conf"
refuse "unknown key in a config file" --config "$work/bad.conf"
# An invalid UTF-8 label is refused before any cell runs (the default
# matrix would take seconds; the refusal must come at once).
bad_label=$(printf 'ab\377cd')
start=$(date +%s)
refuse "a label that is not UTF-8" -L "$bad_label"
printf 'label = %s\n' "$bad_label" >"$work/label.conf"
refuse "a label that is not UTF-8, from a config file" --config "$work/label.conf"
refuse "a label with a control character" -L "$(printf 'a\tb')"
refuse "an argument that is not UTF-8" -s drain -o "$out$bad_label"
[ $(($(date +%s) - start)) -le 2 ] || fail "the label refusals took more than 2 s: did cells run?"
echo "ok - the refusals came before any cell ran"

# An output path that cannot be a folder, and one that cannot be written.
touch "$work/file"
"$SPLICELAB" -q -o "$work/file/sub" -s drain -n 4K 2>"$work/stderr"
expect "$?" 64 "output under a plain file: exit status"
[ ! -e "$work/file/sub" ] || fail "output under a file was created"
if [ "$(id -u)" -eq 0 ]; then
  mkdir "$work/locked" && chmod 555 "$work/locked"
  as_nobody "$SPLICELAB" -q -o "$work/locked/r" -s drain -n 4K 2>"$work/stderr"
  expect "$?" 64 "unwritable output folder: exit status"
  [ ! -e "$work/locked/r" ] || fail "unwritable folder: something was written"
fi
# Permission bits say yes to root, the file system says no: /proc.
"$SPLICELAB" -q -o /proc/splicelab-test/out -s drain -n 4K 2>"$work/stderr"
expect "$?" 64 "output on a file system that refuses folders: exit status"
expect_match "$(cat "$work/stderr")" '^splicelab: --out: ' "output refused on /proc: the message names --out"
