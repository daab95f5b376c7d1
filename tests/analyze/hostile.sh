#!/bin/sh
# Results files travel (they are attached to bug reports), so analyze
# reads them as hostile: an enumerated field (scenario, profile,
# transport, loop, sender, outcome, flags, virt, probes mode, the id) that
# is not one of its allowed values is refused (exit 64, one escaped line,
# nothing written); free text (labels, notes, stack frames) is escaped for
# each output: no markup in the HTML, no extra row or column in the CSV,
# no control character on the terminal or in the markdown, no prose line
# over 80 columns; inputs that never end (/dev/zero, a device as
# events.jsonl) are refused at once.
. "$(dirname "$0")/lib.sh"
good=$fixtures/debian12-6.1.json
profile_cell='.cells[3]'

# refused NAME JQ-FILTER MESSAGE-REGEX
refused() {
  name=$1 filter=$2 want=$3
  out=$work/refused-$name
  mkdir -p "$out"
  jq "$filter" "$good" >"$work/$name.json" || fail "$name: jq failed"
  timeout 30 "$ANALYZE" --markdown "$out/r.md" --html "$out/r.html" --csv "$out/j.csv" \
    "$good" "$work/$name.json" >"$out/stdout" 2>"$out/stderr"
  rc=$?
  expect "$rc" 64 "$name: exit status"
  expect "$(wc -l <"$out/stderr")" 1 "$name: lines on stderr"
  expect_match "$(cat "$out/stderr")" "$want" "$name: message"
  grep -q "$(printf '\033')" "$out/stderr" && fail "$name: a control character reached stderr"
  expect "$(ls -A "$out")" "$(printf 'stderr\nstdout')" "$name: files left"
}
refused script "$profile_cell.scenario = \"<script>alert(1)</script>\"" \
  '\$\.cells\[3\]\.scenario: unknown scenario "<script>alert\(1\)</script>" \(allowed: proxy, drain'
refused sender '.cells[1].sender = "one; curl x | sh #"' \
  '\$\.cells\[1\]\.sender: unknown sender "one; curl x \| sh #" \(allowed: one, many, nodelay'
refused profile "$profile_cell.profile = \"go1.21\$(reboot)\"" '\.profile: unknown profile "go1\.21\$\(reboot\)" \(allowed: go1\.11-1\.19, '
refused transport '.cells[0].transport = "tcp4 --probe"' '\.transport: unknown transport "tcp4 --probe"'
refused loop '.cells[0].loop = "busy\n-o /etc"' '\.loop: unknown loop "busy\\x0a-o /etc"'
refused flag '.cells[0].flags = ["NONBLOCK", "MOVE;id"]' '\.flags\[1\]: unknown flag "MOVE;id" \(allowed: NONBLOCK, MOVE, MORE, GIFT\)'
refused outcome '.cells[0].outcome = "ok\u001b[2J"' '\.outcome: unknown outcome "ok\\x1b\[2J"'
refused virt '.env.virt = "<b>kvm</b>"' '\$\.env\.virt: unknown virt "<b>kvm</b>" \(allowed: native, qemu-tcg, qemu-kvm\)'
refused mode '.env.probes.mode = "bpf"' '\$\.env\.probes\.mode: unknown mode "bpf"'
refused id '.cells[0].id = "proxy,\"x\"\n,y"' '\$\.cells\[0\]\.id: not a cell id "proxy,\\x22x\\x22\\x0a,y"'
refused negative '.cells[0].payload = -1' '\.payload: expected a non-negative integer, got -1'
refused schema '.schema = "a,b\"c\nd"' '\$\.schema: unknown schema "a,b\\x22c\\x0ad"'

# Free text everywhere it can go, in a file that is otherwise valid.
nasty='x</code><script>alert(1)</script>, "quoted", and
a second line'
jq --arg t "$nasty" --arg esc "$(printf 'k\033[31mred')" '
  .label = ($esc + ", " + $t) | .env.os = $t | .env.kernel_version = $t
  | .env.probes.reason = $t | .cells[1].evidence.note = $t
  | .cells[1].evidence.thread.stack[0] = $t | .cells[1].evidence.thread.wchan = $t' \
  "$good" >"$work/text.json"
out=$work/text
mkdir -p "$out"
"$ANALYZE" --all --cell "$(jq -r '.cells[1].id' "$good")" --markdown "$out/r.md" --html "$out/r.html" \
  --csv "$out/j.csv" "$good" "$work/text.json" >"$out/stdout" 2>"$out/stderr"
expect "$?" 0 "free text: exit status"
grep -qi '<script' "$out/r.html" && fail "free text: a <script> element in the HTML"
grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$out/r.html" || fail "free text: the HTML does not show the text escaped"
grep -q 'x</code>' "$out/r.html" && fail "free text: the text closed an element in the HTML"
grep -q 'x&lt;/code&gt;' "$out/r.html" || fail "free text: the closing tag is not escaped"
echo "ok - free text escaped in the HTML"
# The CSV, read by a real CSV parser: every row has the header's columns,
# and the label comes back whole in the header.
python3 - "$out/j.csv" "$(jq -r .label "$work/text.json")" <<'PY' || fail "free text: CSV check failed"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
width = len(rows[0])
assert all(len(r) == width for r in rows), [len(r) for r in rows]
assert len(rows) == 5, len(rows)
assert sys.argv[2] + " outcome" in rows[0], rows[0]
print("ok - CSV: %d rows of %d columns, the label whole in the header" % (len(rows), width))
PY
for f in stdout r.md; do
  grep -q "$(printf '\033')" "$out/$f" && fail "free text: an escape character in $f"
done
echo "ok - no escape character on stdout or in the markdown"
w=$(prose_width "$out/r.md")
[ "$w" -le 80 ] || fail "free text: markdown prose line of $w columns"
echo "ok - markdown prose within 80 columns ($w)"
# Each table row of the markdown stays one line: as many rows as before.
"$ANALYZE" -q --all --cell "$(jq -r '.cells[1].id' "$good")" --markdown "$work/plain.md" "$good" "$good" ||
  fail "plain run failed"
expect "$(grep -c '^|' "$out/r.md")" "$(grep -c '^|' "$work/plain.md")" "markdown table rows"

# Inputs without an end, and inputs over the size limit.
start=$(date +%s)
timeout 20 "$ANALYZE" "$good" /dev/zero >/dev/null 2>"$work/zero.err"
expect "$?" 64 "/dev/zero: exit status"
expect_match "$(cat "$work/zero.err")" '^splicelab-analyze: /dev/zero: not a regular file or a pipe \(a character device\): refused$' "/dev/zero: message"
mkdir -p "$work/dev"
cp "$good" "$work/dev/matrix.json"
ln -s /dev/zero "$work/dev/events.jsonl"
timeout 20 "$ANALYZE" --markdown "$work/dev.md" "$good" "$work/dev" >/dev/null 2>"$work/dev.err"
expect "$?" 64 "events.jsonl -> /dev/zero: exit status"
expect_match "$(cat "$work/dev.err")" 'events\.jsonl: not a regular file or a pipe \(a character device\): refused$' "events.jsonl -> /dev/zero: message"
[ -e "$work/dev.md" ] && fail "events.jsonl -> /dev/zero: a report was written"
rm "$work/dev/events.jsonl"
ln -s /dev/urandom "$work/dev/provenance.json"
timeout 20 "$ANALYZE" "$good" "$work/dev" >/dev/null 2>"$work/dev.err"
expect "$?" 64 "provenance.json -> /dev/urandom: exit status"
expect_match "$(cat "$work/dev.err")" 'provenance\.json: not a regular file: refused$' "provenance.json -> /dev/urandom: message"
[ $(( $(date +%s) - start )) -le 20 ] || fail "refusing endless inputs took more than 20 s"
# A pipe is still read (a bounded read).
cat "$good" | "$ANALYZE" -q "$good" /dev/stdin || fail "a matrix on a pipe was refused"
echo "ok - a matrix on a pipe is read"
"$ANALYZE" --help | grep -q '1 GiB' || fail "--help does not document the input size limit"
echo "ok - --help documents the size limit"
