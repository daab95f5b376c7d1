# Shared by the host integration tests: each test runs real cells on this
# machine's kernel and asserts what the kernel did, read from matrix.json.
set -u
BUILD=${BUILD:-build}
SPLICELAB=${SPLICELAB:-$(cd "$(dirname "$0")/../.." && pwd)/$BUILD/splicelab}
work=$(mktemp -d /tmp/splicelab-test.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
note() { echo "# $*"; }

# run_matrix DIR ARGS...: runs splicelab into DIR (as the current user).
run_matrix() {
  out=$1; shift
  "$SPLICELAB" -q -o "$out" "$@" || fail "splicelab -o $out $* exited $?"
  [ -f "$out/matrix.json" ] || fail "no $out/matrix.json"
}

# as_nobody CMD...: runs CMD as an unprivileged user when we are root.
as_nobody() {
  setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
}

# run_matrix_unprivileged DIR ARGS...: the same cells without root.
run_matrix_unprivileged() {
  out=$1; shift
  [ "$(id -u)" -eq 0 ] || { run_matrix "$out" "$@"; return; }
  mkdir -p "$out" && chmod 777 "$out"
  as_nobody "$SPLICELAB" -q -o "$out" "$@" || fail "unprivileged splicelab $* exited $?"
}

# q DIR FILTER: one value from DIR/matrix.json.
q() { jq -r "$2" "$1/matrix.json"; }

expect() { # expect ACTUAL EXPECTED WHAT
  [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
  echo "ok - $3 = $2"
}
expect_match() { # expect_match TEXT REGEX WHAT
  echo "$1" | grep -Eq -- "$2" || fail "$3: '$1' does not match /$2/"
  echo "ok - $3 matches /$2/"
}
expect_gt() { # expect_gt NUMBER MIN WHAT
  [ "$1" -gt "$2" ] 2>/dev/null || fail "$3: expected > $2, got '$1'"
  echo "ok - $3 = $1 > $2"
}
