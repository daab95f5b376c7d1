#!/bin/sh
# The vmsplice cells in every output, from real runs (fixtures/vmsplice-*:
# `splicelab -s vmsplice -t tcp4,unix -r 3` through the lab, on CentOS
# 7.9's 3.10 in qemu and natively on this host's 6.18, each matrix.json as
# it came): per kernel the outcome, the first bad offset and the queues when
# the memory was rewritten, as the cells recorded them.
. "$(dirname "$0")/lib.sh"
el7=$fixtures/vmsplice-el7-3.10.json
host=$fixtures/vmsplice-host-6.18.json
out=$work/out
mkdir -p "$out"
"$ANALYZE" --markdown "$out/r.md" --html "$out/r.html" "$el7" "$host" >"$out/stdout" ||
  fail "analyze exited $?"

# text KERNEL-FILE TRANSPORT REUSE: what analyze should say of that cell.
text() {
  jq -r --arg s "$2,pipe=64K,payload=128K,chunk=16K,reuse=$3" '.cells[] | select(.id | endswith($s))
    | .outcome + (if .outcome == "corrupt" then " at offset \(.evidence.offset)" else "" end)
      + " (at reuse: SIOCOUTQ \(.vmsplice.at_first_refill.sender_unacked), reader queue \(.vmsplice.at_first_refill.reader_queued))"' "$1"
}
expect "$(text "$el7" tcp4 siocoutq)" "corrupt at offset 0 (at reuse: SIOCOUTQ 0, reader queue 16384)" \
  "the el7 fixture's tcp4 siocoutq cell"
expect "$(text "$host" unix siocoutq | cut -d' ' -f1)" ok "the host fixture's unix siocoutq cell"

# Terminal: every vmsplice cell (none differs), one line per kernel.
grep -q '^vmsplice cells (each chunk read only after the sender rewrote its memory)$' "$out/stdout" ||
  fail "no vmsplice block in the terminal output"
for t in tcp4 unix; do
  for reuse in at-once siocoutq gift double; do
    block=$(grep -A2 -F "$t, reuse $reuse (64K pipe, 128K in 16K chunks)" "$out/stdout")
    expect "$(echo "$block" | sed -n 2p)" "  A: $(text "$el7" $t $reuse)" "terminal: el7's $t $reuse"
    expect "$(echo "$block" | sed -n 3p)" "  B: $(text "$host" $t $reuse)" "terminal: the host's $t $reuse"
  done
done

# Markdown and HTML: a table of their own, the same words per kernel.
grep -q '^## User pages spliced into a socket and reused (vmsplice cells)$' "$out/r.md" ||
  fail "no vmsplice section in the markdown"
row=$(grep -F '| tcp4, reuse double (64K pipe, 128K in 16K chunks) |' "$out/r.md")
expect "$row" "| tcp4, reuse double (64K pipe, 128K in 16K chunks) | $(text "$el7" tcp4 double) | $(text "$host" tcp4 double) |" \
  "markdown: the tcp4 double row"
w=$(prose_width "$out/r.md")
[ "$w" -le 80 ] || fail "markdown prose line of $w columns"
echo "ok - markdown: vmsplice table, prose within 80 columns"
grep -q '<table id="vmsplice">' "$out/r.html" || fail "no vmsplice table in the HTML"
grep -qF "<td>$(text "$el7" unix at-once)</td><td>$(text "$host" unix at-once)</td>" "$out/r.html" ||
  fail "HTML: no unix at-once row with both kernels' words"
echo "ok - html: vmsplice table with both kernels' words"
