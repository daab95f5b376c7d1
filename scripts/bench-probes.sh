#!/bin/sh
# make bench, kernel probes: what recording costs, inside Debian 12's 6.1
# (this host refuses probes). A 1 GiB proxy transfer (64 KiB pipe,
# SPLICE_F_NONBLOCK) with and without --probe, alternated in one boot, in
# an instruction-counted TCG guest (-icount: one vCPU, the guest clock
# advances per instruction, so runs repeat; wall time in TCG is noise).
# Prints the paired overhead (median of PROBE_BENCH_PAIRS, default 3),
# events per second, lost events and start -> attached.
# Targets: overhead <= 5 %, 0 lost events, attached in < 0.5 s.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
pairs=${PROBE_BENCH_PAIRS:-3}
BUILD=${BUILD:-build}
if ! command -v qemu-system-x86_64 >/dev/null || [ ! -x "$top/$BUILD/static/splicelab-probe" ]; then
  echo "probe bench skipped: needs qemu-system-x86_64 and $BUILD/static/splicelab-probe (make)"
  exit 0
fi
out=$(mktemp -d /tmp/splicelab-probebench.XXXXXX)
trap 'rm -rf "$out"' EXIT
cell="-q -j 1 --cell-timeout 600000 -s proxy -p 64K -n 1G -f NONBLOCK"
guest="i=0; while [ \$i -lt $pairs ]; do i=\$((i+1));
  splicelab $cell -o plain\$i; splicelab $cell --probe -o probe\$i; done"
fetch=""
i=0
while [ $i -lt "$pairs" ]; do i=$((i + 1)); fetch="$fetch --fetch plain$i --fetch probe$i"; done
# shellcheck disable=SC2086 # $fetch is a list of options
"$top/scripts/lab/vm-run.sh" -q --kernel debian12 --icount --timeout 1800 --out "$out/vm" \
  --cmd "$guest" $fetch >"$out/log" 2>&1 || { tail -n 20 "$out/log"; exit 1; }
i=0
while [ $i -lt "$pairs" ]; do
  i=$((i + 1))
  p=$out/vm/probe$i/matrix.json u=$out/vm/plain$i/matrix.json
  [ "$(jq -r '.cells[0].outcome' "$p")" = ok ] && [ "$(jq -r '.cells[0].outcome' "$u")" = ok ] ||
    { echo "probe bench: a transfer was not ok"; exit 1; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(jq '.cells[0].elapsed_ms' "$u")" "$(jq '.cells[0].elapsed_ms' "$p")" \
    "$(jq '.env.probes.events' "$p")" "$(jq '.env.probes.lost_events' "$p")" \
    "$(jq '.env.probes.attach_ms' "$p")" "$(jq -r '.env.probes.mode' "$p")" \
    "$(jq '.cells[0].kernel.calls.splice_to_pipe // 0' "$p")" >>"$out/pairs.tsv"
done
awk -F'\t' '{ printf "  pair %d: untraced %.0f ms, traced %.0f ms, ratio %.4f, attached in %.0f ms\n", NR, $1, $2, $2 / $1, $5 }' "$out/pairs.tsv"
awk -F'\t' '{ print $2 / $1 "\t" $0 }' "$out/pairs.tsv" | sort -n | awk -F'\t' -v n="$pairs" '
  { ratio[NR] = $1; plain[NR] = $2; traced[NR] = $3; events[NR] = $4; lost += $5; attach[NR] = $6; mode = $7; calls[NR] = $8 }
  END {
    m = int((NR + 1) / 2)
    printf "1 GiB proxy (64K pipe, NONBLOCK), Debian 12 6.1, TCG -icount, probes %s, median of %d pairs:\n", mode, n
    printf "  overhead %.2f %% (traced / untraced %.4f; target <= 5 %%: %s)\n", (ratio[m] - 1) * 100, ratio[m], (ratio[m] <= 1.05 ? "met" : "MISSED")
    printf "  %d events (%d splice_to_pipe calls) in %.0f ms: %.0f events/s of guest time\n", events[m], calls[m], traced[m], events[m] / traced[m] * 1000
    printf "  lost events %d over all runs (target 0: %s)\n", lost, (lost == 0 ? "met" : "MISSED")
    printf "  start -> attached %.0f ms of guest time, median (target < 500 ms: %s)\n", attach[m], (attach[m] < 500 ? "met" : "MISSED")
  }'
