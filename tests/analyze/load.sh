#!/bin/sh
# The load cells in every output, from real runs (fixtures/load-*.json:
# the Go load cells of CentOS 7.9's 3.10 and this host's 6.18): the
# per-connection counts, pipe sizes, refusals and limits side by side, the
# conditions under which each program hangs in the programs summary, the
# accounting step of the regime explanation and the CSV's load columns,
# all as the cells recorded them; and a hostile load object shown escaped.
. "$(dirname "$0")/lib.sh"
el7=$fixtures/load-el7-3.10.json
host=$fixtures/load-host-6.18.json
out=$work/out
mkdir -p "$out"
"$ANALYZE" --all --markdown "$out/r.md" --html "$out/r.html" --csv "$out/j.csv" \
  "$el7" "$host" >"$out/stdout" || fail "analyze exited $?"
hung='profile=go1.21.0-1.21.4,load,tcp4,pipe=1M,payload=1M,chunk=1M,flags=none,pnb=1,snb=1,dnb=1,loop=epoll,sender=one,head=256K,conns=128,user=nobody'
fin=$(jq --arg id "$hung" '.cells[] | select(.id == $id) | .load.per_connection.finished' "$el7")
blk=$(jq --arg id "$hung" '.cells[] | select(.id == $id) | .load.per_connection.blocked' "$el7")
ref=$(jq --arg id "$hung" '.cells[] | select(.id == $id) | .load.pipes.setpipe_refused' "$el7")
expect "$(jq --arg id "$hung" -r '.cells[] | select(.id == $id) | .outcome' "$el7")" blocked "the el7 fixture's cell"

# Terminal: one line per kernel under the load row.
line=$(grep -A2 -F "$hung" "$out/stdout" | grep '^  A: ')
expect_match "$line" "128 connections as nobody: $fin of 128 finished, $blk blocked; pipes .* × 1M, .* × 4K; F_SETPIPE_SZ refused: $ref \\(EPERM\\); pipe-user-pages soft 16384, hard 0" "el7's load line"
expect_match "$(grep -A2 -F "$hung" "$out/stdout" | grep '^  B: ')" "128 of 128 finished; pipes 64 × 1M, 192 × 8K" "the host's load line"
echo "ok - terminal: the load counts and pipes per kernel"

# Markdown: the conditions of the hang, derived from the cells.
md=$(tr '\n' ' ' <"$out/r.md" | tr -s ' ')
expect_match "$md" "Go 1.21.0 to 1.21.4 \\(\`go1.21.0-1.21.4\`\\) under load: hangs \\(asleep in splice\\) with 128 connections as nobody \\($fin of 128 finished; past the per-user pipe limit new pipes got 1 slot, F_SETPIPE_SZ refused with EPERM\\); passes with 128 connections as root and with 1 connection as the invoking user\\." "el7: where Go 1.21.0-1.21.4 hangs"
expect_match "$md" "Go 1.21.5 and later, 1.22\\+ \\(\`go1.21.5\\+\`\\) under load: passes in every load cell" "Go 1.21.5+ passes"
expect "$(grep -c 'under load: hangs' "$out/r.md")" 1 "one hang in the summary (el7's)"
expect_match "$md" "## Many connections \\(load cells\\)" "the load table"
expect_match "$(grep -F '| go1.21.0-1.21.4: 128 connections as nobody |' "$out/r.md")" "blocked!: $fin of 128 finished, $blk blocked; .* \\| ok!: 128 of 128 finished" "the load table's row side by side"
expect_match "$md" "Accounting: in 2 load cell\\(s\\) .* 759c01142a5d.* got 1 slot, the minimum before commit 46c4c9d1beb7" "el7's accounting step"
expect_match "$md" "smallest pipes got 2 slots \\(2 is the minimum from commit 46c4c9d1beb7" "the host's accounting step"
w=$(prose_width "$out/r.md")
[ "$w" -le 80 ] || fail "markdown prose line of $w columns"
echo "ok - markdown: hang conditions, load table, accounting step, prose within 80 columns"

# HTML: the same facts, in a table of its own.
grep -q '<table id="load">' "$out/r.html" || fail "no load table in the HTML"
grep -q "under load: hangs (asleep in splice) with 128 connections as nobody" "$out/r.html" || fail "no hang conditions in the HTML"
grep -q "Accounting: in 2 load cell(s)" "$out/r.html" || fail "no accounting step in the HTML"
echo "ok - html: load table, hang conditions, accounting step"

# CSV: the load columns of both kernels, as recorded.
python3 - "$out/j.csv" "$hung" "$fin" "$blk" "$ref" <<'PY' || fail "CSV load columns"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
head, want = rows[0], sys.argv[2]
row = dict(zip(head, next(r for r in rows if r[0] == want)))
a = 'kernel-3.10.0-1160.el7.x86_64 '
assert row[a + 'finished'] == sys.argv[3], row[a + 'finished']
assert row[a + 'blocked'] == sys.argv[4]
assert row[a + 'setpipe_refused'] == sys.argv[5]
assert row[a + 'setpipe_errno'] == 'EPERM'
assert row[a + 'user'] == 'nobody'
assert row[a + 'pipe_sizes'].startswith('1048576:'), row[a + 'pipe_sizes']
assert row[a + 'user_pages_soft'] == '16384'
assert len({len(r) for r in rows}) == 1
PY
echo "ok - csv: the load columns"

# Same input, same bytes.
"$ANALYZE" --all --markdown "$out/r2.md" --html "$out/r2.html" --csv "$out/j2.csv" \
  "$el7" "$host" >"$out/stdout2" || fail "analyze exited $?"
for f in r.md r.html j.csv; do
  cmp -s "$out/$f" "$out/${f%.*}2.${f##*.}" || fail "$f differs between two runs"
done
echo "ok - the load report is deterministic"

# A hostile load object: markup in the user and errno names, wrong types.
jq '.cells[0].load.user.name = "<script>x</script>" | .cells[0].load.pipes.setpipe_errno = "E<b>\"q"
  | .cells[0].load.per_connection.finished = "many" | .cells[0].load.pipes.sizes = [{"size": "x"}, 3]' \
  "$el7" >"$work/hostile.json"
"$ANALYZE" --all --markdown "$out/h.md" --html "$out/h.html" --csv "$out/h.csv" \
  "$work/hostile.json" "$host" >"$out/h.txt" || fail "analyze on a hostile load object exited $?"
grep -q '<script>\|E<b>' "$out/h.html" "$out/h.md" "$out/h.csv" "$out/h.txt" && fail "a hostile name was written as it came"
grep -q 'as uid 65534' "$out/h.txt" || fail "the hostile user is not shown by uid"
echo "ok - a hostile load object is shown by uid, its bad fields as absent"
