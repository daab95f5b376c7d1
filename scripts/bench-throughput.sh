#!/bin/sh
# The throughput figures of this machine: --preset throughput (64 KiB and
# 1 MiB pipes x 64 KiB and 1 MiB transfers, 16 MiB moved by each of the 8
# methods) RUNS times, and per cell and method the median MiB/s, syscalls
# and CPU ms per MiB, pipes created and the ratios to read/write. The
# counts are the code's own (not strace's); MiB/s and CPU are this
# machine's, and on a loaded machine only their ratios mean much.
set -eu
BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
out=$(mktemp -d /tmp/splicelab-bench-throughput.XXXXXX)
trap 'rm -rf "$out"' EXIT
i=0
while [ $i -lt "$RUNS" ]; do
  i=$((i + 1))
  "$BUILD/splicelab" -q -o "$out/run$i" --preset throughput
done
jq -s -r --arg runs "$RUNS" '
  def median: sort | .[(length - 1) / 2 | floor];
  def col(w): tostring | (" " * ([w - length, 0] | max)) + .;
  def size: if . % 1048576 == 0 then "\(. / 1048576)M" else "\(. / 1024)K" end;
  "throughput, median of \($runs) runs; elapsed median \(map(.elapsed_ms) | median) ms for the 4 cells",
  map(.cells[]) as $all
  | (.[0].cells[].id as $id | [$all[] | select(.id == $id)] as $cells | $cells[0] as $c
   | "",
     "pipe=\($c.pipe_size_requested | size) transfer=\($c.chunk | size) payload=\($c.payload | size): \($cells | map(.outcome) | unique | join(","))",
     "method         MiB/s calls/MiB CPUms/MiB  pipes   speed syscalls    CPU (x read/write)",
     ($c.throughput.methods | to_entries[] | .key as $i | .value.method as $name
      | [$cells[].throughput.methods[$i]] as $m
      | "\($name + "             " | .[0:12]) \($m | map(.mib_per_s) | median | col(7)) \($m | map(.syscalls_per_mib) | median | col(9)) \($m | map(.cpu_ms_per_mib) | median | col(9)) \($m | map(.pipes_created) | median | col(6)) \($m | map(.vs_read_write.speed) | median | col(7)) \($m | map(.vs_read_write.syscalls) | median | col(8)) \($m | map(.vs_read_write.cpu) | median | col(6))"))
' "$out"/run*/matrix.json
