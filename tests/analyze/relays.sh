#!/bin/sh
# The user's own relays (--relay-cmd) in every report: each by its name,
# its cells joined across kernels by that name. Input made here by real
# runs on this kernel: under the name `myrelay`, as two "kernels" (labels),
# a Python relay that sleeps in splice into a full one-page pipe (blocked)
# and one that copies everything with recv/send (ok); a built-in cell
# (given an argument it ignores, with characters HTML escapes and a
# blank). Every expectation is read from the runs with jq.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 missing for the test relays"
python3 -c 'import os; os.splice' 2>/dev/null || skip "this python3 has no os.splice (3.10+)"
relays=$top/tests/host/relays
SPLICELAB=$top/$BUILD/splicelab
"$SPLICELAB" -q -L stuck -o "$work/a" --relay-name myrelay \
  --relay-cmd "$relays/stuck-relay blocked {listen} {upstream}" -n 1M || fail "splicelab (stuck) exited $?"
"$SPLICELAB" -q -L copies -o "$work/b" --relay-name myrelay \
  --relay-cmd "$relays/one-shot {listen} {upstream} '<i>&amp x'" -n 1M || fail "splicelab (one-shot) exited $?"
a=$work/a/matrix.json b=$work/b/matrix.json
expect "$(jq -r '.cells[0].outcome' "$a")" blocked "the stuck relay's cell"
expect "$(jq -r '.cells[0].outcome' "$b")" ok "the copying relay's cell"
id=$(jq -r '.cells[0].id' "$a")
expect "$(jq -r '.cells[0].id' "$b")" "$id" "one id for both"
note=$(jq -r '.cells[0].evidence.note' "$a")

"$ANALYZE" --markdown "$work/r.md" --html "$work/r.html" "$a" "$b" >"$work/r.txt" || fail "analyze exited $?"
txt=$work/r.txt md=$work/r.md html=$work/r.html
# Text: the relay by name, both commands (other programs, one name), the
# outcomes per kernel, the kernel's view of the stuck one; one joined row.
expect "$(grep -c '^relay myrelay: A: .*stuck-relay blocked {listen} {upstream}; B: .*one-shot {listen} {upstream} "<i>&amp x"$' "$txt")" 1 "text: the relay and each kernel's command, its words as --relay-cmd reads them"
expect "$(grep -c '^  A: blocked: 1M$' "$txt")" 1 "text: A's outcome"
expect "$(grep -c '^  B: ok: 1M$' "$txt")" 1 "text: B's outcome"
grep -qF "     A, 1M, blocked: $note" "$txt" || fail "text: no note line for A: $(cat "$txt")"
echo "ok - text: the stuck cell's note"
expect_match "$(cat "$txt")" "^1 cells joined: 1 differ between kernels, 0 of them missing" "text: the two cells joined by the relay's name"

# Markdown: the section near the top, a row per relay, the note, and the
# cell's detail with a command that runs it again.
at=$(grep -n '^## Your relays (--relay-cmd)' "$md" | cut -d: -f1)
kernels_at=$(grep -n '^## Kernels' "$md" | cut -d: -f1)
[ -n "$at" ] && [ "$at" -lt "$kernels_at" ] || fail "markdown: no relays section before ## Kernels"
expect_match "$(grep '^| myrelay (' "$md")" '\| blocked: 1M \| ok: 1M \|$' "markdown: the relay's row"
tr '\n' ' ' <"$md" | sed 's/  */ /g' | grep -qF "**myrelay** on A, 1M, blocked: $note" || fail "markdown: no note for A"
echo "ok - markdown: the stuck cell's note"
expect "$(grep -c '^### 1\. relay myrelay: 1M$' "$md")" 1 "markdown: the cell's title names the relay"
expect_match "$(grep '^| bytes moved' "$md")" "\\| $(jq -r '.cells[0].bytes_verified' "$a") of $(jq -r '.cells[0].bytes_sent' "$a") \\(verified at the sink\\) \\|" "markdown: the sink's count"
cmd=$(grep -m1 '^build/splicelab --relay-cmd ' "$md")
[ -n "$cmd" ] || fail "markdown: no command for the cell"
# The command runs the cell again: same id, same outcome.
(cd "$top" && eval "$cmd -q -o '$work/again'") || fail "the report's command exited $?: $cmd"
expect "$(jq -r '.cells[0].id' "$work/again/matrix.json")" "$id" "the report's command: the same cell"
expect "$(jq -r '.cells[0].outcome' "$work/again/matrix.json")" blocked "the report's command: the same outcome"

# HTML: the relays table (names escaped as any text), no grid panel of
# relay cells (they have no pipe size of splicelab's).
expect_match "$(tr '\n' ' ' <"$html")" '<table id="relays">.*<b>myrelay</b>.*<td>blocked: 1M</td><td>ok: 1M</td>' "html: the relays table"
expect_match "$(tr '\n' ' ' <"$html")" '<ul id="relay-notes">.*<b>myrelay</b> on A, 1M, blocked: thread ' "html: the note"
grep -qF 'one-shot {listen} {upstream} &quot;&lt;i&gt;&amp;amp x&quot;' "$html" || fail "html: the command not escaped"
echo "ok - html: the command escaped"
sed -n '/<h2>Outcome grids/,$p' "$html" | grep -q 'relay=' && fail "html: a relay cell in the outcome grids"
echo "ok - html: no relay cell in the outcome grids"
sleep 0.2
expect "$(pgrep -f "$relays/stuck-relay" | tr '\n' ' ')" "" "stuck relays left running"

# A relay object that does not fit its cell: one line, exit 64.
for change in '.cells[0].relay.name = "other"' '.cells[0].relay.command = []' \
              '.cells[0].relay.command = [1]' '.cells[0].relay = 3'; do
  jq "$change" "$b" >"$work/bad.json"
  "$ANALYZE" "$work/bad.json" "$a" >"$work/bad.out" 2>"$work/bad.err"
  rc=$?
  expect "$rc:$(wc -l <"$work/bad.err")" "64:1" "bad relay ($change): exit 64, one line"
  grep -q '^splicelab-analyze: .*\$\.cells\[0\]\.relay' "$work/bad.err" || fail "bad relay ($change): $(cat "$work/bad.err")"
done
