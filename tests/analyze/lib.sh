# Shared by the analyze tests (sourced, not run): the tool, the committed
# results, a scratch folder and the host tests' assertions.
. "$(dirname "$0")/../host/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
ANALYZE=${ANALYZE:-$top/$BUILD/splicelab-analyze}
fixtures=$top/tests/analyze/fixtures
# The first two committed results folders (this host's and Debian 12's
# 6.1 when this was written); the tests read what they expect from them
# with jq, so new reference results do not break them.
set -- $(cd "$top" && git ls-files 'results/*/matrix.json' | sort | head -n 2)
[ $# -eq 2 ] || fail "fewer than two committed results/*/matrix.json"
host_results=$top/$(dirname "$1")
guest_results=$top/$(dirname "$2")
set --
label_of() { jq -r .label "$1/matrix.json"; }
[ -x "$ANALYZE" ] || fail "$ANALYZE is not built (make)"

# prose_width FILE: the longest line outside tables and fenced code blocks
# (a fence may be indented, inside a list item); everything else is prose,
# indented or not.
prose_width() {
  awk '/^ *```/ { code = !code; next }
       code || /^\|/ { next }
       length > w { w = length } END { print w + 0 }' "$1"
}
