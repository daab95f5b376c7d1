#!/bin/sh
# make bench, kernel lab: time from command to results for Debian 12's 6.1
# under TCG, for the reduced matrix (--preset quick; target <= 60 s) and
# the default matrix (target <= 180 s), with the guest's boot (qemu start
# to user space) and the matrix itself reported separately. Median of
# LAB_BENCH_RUNS runs (default 1: each run is a boot). With
# LAB_BENCH_KERNELS="SPEC..." (e.g. old kernels' bzImages, with their BTF
# beside them), also the reduced matrix on each of them (target <= 60 s
# each) and on all of them at once with -j 2. Wall-clock time in TCG
# depends on what else the host runs; the load average is printed.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${LAB_BENCH_RUNS:-1}
if ! command -v qemu-system-x86_64 >/dev/null; then
  echo "lab bench skipped: qemu-system-x86_64 not installed (scripts/deps.sh lab)"
  exit 0
fi
out=$(mktemp -d /tmp/splicelab-labbench.XXXXXX)
trap 'rm -rf "$out"' EXIT
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"

# bench NAME TARGET MATRIX [KERNEL]: one line of medians for the matrix
# MATRIX on KERNEL (debian12).
bench() {
  name=$1 target=$2 matrix=$3 kernel=${4:-debian12} i=0
  : >"$out/$name.tsv"
  while [ $i -lt "$runs" ]; do
    i=$((i + 1))
    rm -rf "$out/res"
    start=$(date +%s%3N)
    "$top/scripts/lab/lab.sh" -q --no-tables --accel tcg -o "$out/res" ${matrix:+--matrix "$matrix"} \
      "$kernel" >/dev/null 2>"$out/err" || { cat "$out/err"; return 1; }
    total=$(($(date +%s%3N) - start))
    dir=$(dirname "$(ls "$out"/res/*/provenance.json)")
    printf '%s\t%s\t%s\t%s\n' "$total" "$(jq .run.boot_to_userspace_ms "$dir/provenance.json")" \
      "$(jq .elapsed_ms "$dir/matrix.json")" "$(jq .summary.cells "$dir/matrix.json")" >>"$out/$name.tsv"
  done
  sort -n "$out/$name.tsv" | awk -F'\t' -v name="$name" -v target="$target" -v runs="$runs" '
    { total[NR] = $1; boot[NR] = $2; matrix[NR] = $3; cells = $4 }
    END {
      m = int((NR + 1) / 2)
      printf "%-8s %4d cells: command to results %6.1f s (target <= %d s; %s), boot to user space %4.1f s, matrix %5.1f s%s\n",
        name, cells, total[m] / 1000, target, (total[m] / 1000 <= target ? "met" : "MISSED"),
        boot[m] / 1000, matrix[m] / 1000,
        (runs > 1 ? sprintf(" (median of %d; total min %.1f, max %.1f)", runs, total[1] / 1000, total[NR] / 1000) : "")
    }'
}

bench quick 60 "--preset quick"
bench default 180 ""
for k in ${LAB_BENCH_KERNELS:-}; do
  bench "$(basename "$k")" 60 "--preset quick" "$k"
done
# shellcheck disable=SC2086 # a list of kernels
if [ "$(echo ${LAB_BENCH_KERNELS:-} | wc -w)" -ge 2 ]; then
  rm -rf "$out/res"
  start=$(date +%s%3N)
  "$top/scripts/lab/lab.sh" -q --no-tables --accel tcg -j 2 -o "$out/res" --matrix "--preset quick" \
    $LAB_BENCH_KERNELS >/dev/null 2>"$out/err" || { cat "$out/err"; exit 1; }
  ms=$(($(date +%s%3N) - start))
  awk -v ms="$ms" -v n="$(echo $LAB_BENCH_KERNELS | wc -w)" \
    'BEGIN { printf "together %d kernels with -j 2, --preset quick: command to results %.1f s\n", n, ms / 1000 }'
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
