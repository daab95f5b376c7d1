#!/bin/sh
# A 128-connection load cell (Go 1.21.5's profile, 1 MiB per connection) on
# this machine: wall time, connections per second, throughput, peak RSS
# and the cell's peak fds. Median of RUNS runs. Target on a 2-core
# machine: <= 2 s for the cell when nothing hangs.
set -eu
BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
out=$(mktemp -d /tmp/splicelab-bench-load.XXXXXX)
trap 'rm -rf "$out"' EXIT
i=0
while [ $i -lt "$RUNS" ]; do
  i=$((i + 1))
  /usr/bin/time -f '%e %M' -o "$out/time.$i" "$BUILD/splicelab" -q -o "$out/run$i" \
    -s load -P go1.21.5+ --connections 128 -n 1M &
  runner=$!
  fds=0
  # The cell's fds, sampled while it runs (time -> the runner -> the cell).
  while kill -0 $runner 2>/dev/null; do
    for c in $(pgrep -P "$(pgrep -P $runner | head -n 1)" 2>/dev/null); do
      n=$(ls /proc/$c/fd 2>/dev/null | wc -l)
      [ "$n" -le "$fds" ] || fds=$n
    done
    sleep 0.005
  done
  wait $runner
  echo "$fds" >"$out/fds.$i"
done
jq -s -r '
  def median: sort | .[(length - 1) / 2 | floor];
  map(.cells[0]) as $c
  | "load cell outcome:    \($c | map(.outcome) | unique | join(","))",
    "cell elapsed median:  \($c | map(.elapsed_ms) | median) ms (target <= 2000)",
    "connections per s:    \($c | map(.load.rate.connections_per_s) | median)",
    "throughput:           \($c | map(.load.rate.mib_per_s) | median) MiB/s at the sinks"
' "$out"/run*/matrix.json
cat "$out"/time.* | sort -n | awk '
  { wall[NR] = $1; if ($2 > rss) rss = $2 }
  END { printf "wall median:          %.2f s (runner start to exit)\npeak RSS:             %.1f MiB (runner or cell)\n", wall[int((NR + 1) / 2)], rss / 1024 }'
echo "cell peak fds:        $(cat "$out"/fds.* | sort -n | tail -n 1)"
