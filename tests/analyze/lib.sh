# Shared by the analyze tests (sourced, not run): the tool, the committed
# results, a scratch folder and the host tests' assertions.
. "$(dirname "$0")/../host/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
ANALYZE=${ANALYZE:-$top/$BUILD/splicelab-analyze}
fixtures=$top/tests/analyze/fixtures
host_results=$top/results/debian12-6.18.44-fc-v595
guest_results=$top/results/debian12-6.1.0-56-amd64
[ -x "$ANALYZE" ] || fail "$ANALYZE is not built (make)"

# prose_width FILE: the longest line outside tables and code blocks.
prose_width() {
  awk '/^```/ { code = !code; next }
       code || /^\|/ || /^    / { next }
       length > w { w = length } END { print w + 0 }' "$1"
}
