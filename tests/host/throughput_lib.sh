# Shared by the throughput tests (host and lab): what every throughput cell
# of a matrix must show, whatever the kernel. Sourced after lib.sh.

# check_throughput DIR WHERE: every throughput cell in DIR/matrix.json is
# ok with every byte of every method verified, sane non-zero figures
# (MiB/s, syscalls and CPU per MiB), the ratios to read/write present (1
# for the baselines), and the pipes counted: one per transfer fresh, one
# in all pooled.
check_throughput() {
  local dir=$1 where=$2 n problems
  n=$(q "$dir" '[.cells[] | select(.scenario == "throughput")] | length')
  expect_gt "$n" 0 "$where: throughput cells"
  # One line per broken promise, naming the cell and the method.
  problems=$(jq -r '
    .cells[] | select(.scenario == "throughput") | . as $c
    | ((.payload + .chunk - 1) / .chunk | floor) as $transfers
    | (if .outcome != "ok" then "\(.id): outcome \(.outcome)" else empty end),
      (if .bytes_verified != 8 * .payload then "\(.id): \(.bytes_verified) bytes verified" else empty end),
      (if (.throughput.methods | length) != 8 then "\(.id): \(.throughput.methods | length) methods" else empty end),
      (.throughput.methods[] | . as $m | "\($c.id) \(.method)" as $w
       | (if .finished != true then "\($w): not finished" else empty end),
         (if .bytes_verified != $c.payload then "\($w): \(.bytes_verified) bytes verified" else empty end),
         (if (.mib_per_s > 0) | not then "\($w): MiB/s \(.mib_per_s)" else empty end),
         (if (.syscalls_per_mib > 0) | not then "\($w): syscalls/MiB \(.syscalls_per_mib)" else empty end),
         (if (.cpu_ms > 0) | not then "\($w): no CPU counted" else empty end),
         (if ([.vs_read_write.speed, .vs_read_write.syscalls, .vs_read_write.cpu] | map(type == "number") | all) | not
          then "\($w): ratios \(.vs_read_write)" else empty end),
         (if .method == .vs_read_write.baseline and ([.vs_read_write.speed, .vs_read_write.syscalls, .vs_read_write.cpu] != [1, 1, 1])
          then "\($w): baseline ratios \(.vs_read_write)" else empty end),
         (if .rounds != ([$transfers, 4] | min) then "\($w): \(.rounds) rounds" else empty end),
         (if .transfers != $transfers then "\($w): \(.transfers) transfers, not \($transfers)" else empty end),
         (if .pipe == "fresh" and .pipes_created != $transfers then "\($w): \(.pipes_created) pipes for \($transfers) transfers" else empty end),
         (if .pipe == "pooled" and .pipes_created != 1 then "\($w): pooled, \(.pipes_created) pipes" else empty end),
         (if .pipe == null and .pipes_created != 0 then "\($w): no pipe, \(.pipes_created) created" else empty end))
  ' "$dir/matrix.json")
  [ -z "$problems" ] || fail "$where: $problems"
  echo "ok - $where: $n cells ok, every byte of 8 methods verified, figures non-zero, ratios present, pipes counted"
  # Pooled makes fewer pipes than fresh wherever there is more than one transfer.
  n=$(jq '[.cells[] | select(.scenario == "throughput" and .payload > .chunk) | .throughput.methods
      | (map(select(.method == "splice-pool"))[0].pipes_created) < (map(select(.method == "splice-fresh"))[0].pipes_created)]
      | select(length > 0) | all' "$dir/matrix.json")
  expect "$n" true "$where: pooled pipe creations < fresh ones"
}
