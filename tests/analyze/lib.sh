# Shared by the analyze tests (sourced, not run): the tool, the committed
# results, a scratch folder and the host tests' assertions.
. "$(dirname "$0")/../host/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
ANALYZE=${ANALYZE:-$top/$BUILD/splicelab-analyze}
fixtures=$top/tests/analyze/fixtures
# Two committed results folders: Debian 12's 6.1 (guest_results, the
# kernel past 5.1 that gen-large.sh and the regime checks build on) and the
# first other one (host_results; CentOS 7's 3.10 today). The tests read what
# they expect from them with jq, so new reference results do not break them.
set -- $(cd "$top" && git ls-files 'results/debian12-*/matrix.json' | head -n 1) \
  $(cd "$top" && git ls-files 'results/*/matrix.json' | grep -v '^results/debian12-' | sort | head -n 1)
[ $# -eq 2 ] || fail "want a committed results/debian12-*/matrix.json and one other results/*/matrix.json"
guest_results=$top/$(dirname "$1")
host_results=$top/$(dirname "$2")
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
