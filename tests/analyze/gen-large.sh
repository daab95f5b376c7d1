# Sourced: gen_large OUT N LABEL writes a matrix of N cells made from the
# committed 6.1 results' cells (ids made unique by the chunk size), so the
# panels and grids look like a real run's. Not committed: made per test.
gen_large() {
  jq -c --argjson n "$2" --arg name "$3" '
    .label = $name | .env.kernel_release = ($name + "-release")
    | .cells as $c | ($c | length) as $m
    | .cells = [range(0; $n) as $i | $c[$i % $m]
        | (($i / $m) | floor) as $r
        | (.chunk + $r) as $ch | .chunk = $ch | .id |= sub(",chunk=[^,]*,"; ",chunk=\($ch),")
        | if $r % 3 == 1 and .outcome == "spin" then .outcome = "blocked" else . end]
    | .summary = {cells: $n}' "$guest_results/matrix.json" >"$1"
}
