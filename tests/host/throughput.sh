#!/bin/sh
# The throughput scenario on this kernel: one cell of 4 MiB in transfers of
# 64 KiB (64 fresh pipes against one pooled), moved by all 8 methods in 4
# rounds of 1 MiB, every byte verified and sane figures
# (throughput_lib.sh), also without root; the table shows every method; a
# byte flipped at the sink makes the cell corrupt at that offset; options
# that do not apply are refused with nothing written.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/throughput_lib.sh"
"$SPLICELAB" -o "$work/r" -s throughput -p 64K -c 64K -n 4M >"$work/table.txt" 2>&1 ||
  fail "splicelab exited $?: $(tail -n 5 "$work/table.txt")"
check_throughput "$work/r" host
expect "$(q "$work/r" '.cells[0].throughput.methods[] | select(.method == "splice-fresh") | .pipes_created')" 64 \
  "fresh pipes for 64 transfers"
for m in splice-fresh splice-pool rw-16K rw-64K rw-1M file-rw-64K sendfile splice-file; do
  expect_match "$(grep "^$m " "$work/table.txt")" "^$m +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9]+ +4M +(rw|file-rw)-64K " \
    "table line of $m"
done
expect_match "$(cat "$work/table.txt")" "compare the ratios and the counts" "the table's note on absolute figures"
# Without root (as nobody, when run as root) the same holds.
run_matrix_unprivileged "$work/u" -s throughput -p 64K -c 64K -n 2M
check_throughput "$work/u" unprivileged

# 4 rounds of 1 MiB per method, the methods in turn: stream byte 5000000
# is in round 0's fifth segment (rw-1M's), at offset 805696 of its copy.
run_matrix "$work/c" -s throughput -p 64K -c 64K -n 4M --corrupt-at 5000000
expect "$(q "$work/c" '.cells[0].outcome')" corrupt "flipped byte: outcome"
expect "$(q "$work/c" '.cells[0].evidence.offset')" 5000000 "flipped byte: offset"
expect "$(q "$work/c" '.cells[0].throughput.methods[4] | "\(.method) \(.bytes_verified)"')" "rw-1M 805696" \
  "flipped byte: rw-1M verified up to it"

"$SPLICELAB" -q -o "$work/bad" -s throughput -f NONBLOCK 2>"$work/bad.err"
expect "$?" 64 "-s throughput -f NONBLOCK: exit"
expect_match "$(cat "$work/bad.err")" "throughput cells cannot be combined with --flags" "the refusal's line"
[ ! -e "$work/bad" ] || fail "a refused run wrote $work/bad"
echo "ok - nothing written"
