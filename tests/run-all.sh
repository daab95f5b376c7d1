#!/bin/sh
# Runs every test and prints one closing line: "N passed, N failed, N skipped".
# A test is an executable: build/tests/unit_* (cmocka) or tests/*/*.sh.
# Exit status of a test: 0 pass, 77 skip, anything else fail. Each test is
# bounded by TEST_TIMEOUT seconds (default 900) so nothing can hang CI.
# TESTS="pattern" runs only the tests whose path contains pattern.
set -u
BUILD=${BUILD:-build}
TEST_TIMEOUT=${TEST_TIMEOUT:-900}
export BUILD
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
mkdir -p "$BUILD/test-logs"

passed=0 failed=0 skipped=0 failures=""
for t in "$BUILD"/tests/unit_* tests/*/*.sh; do
  [ -x "$t" ] || continue
  case "$t" in *"${TESTS:-}"*) ;; *) continue ;; esac
  name=$(echo "$t" | sed 's|^'"$BUILD"'/||; s|/|_|g')
  log="$BUILD/test-logs/$name.log"
  start=$(date +%s)
  timeout --kill-after=10 "$TEST_TIMEOUT" "$t" >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1)); echo "PASS $t (${secs}s)"
  elif [ $rc -eq 77 ]; then
    skipped=$((skipped + 1)); echo "SKIP $t: $(grep -m1 '^SKIP' "$log" || tail -n1 "$log")"
  else
    failed=$((failed + 1)); failures="$failures $t"
    echo "FAIL $t (exit $rc, ${secs}s); last lines of $log:"
    tail -n 25 "$log" | sed 's/^/    /'
  fi
done
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
