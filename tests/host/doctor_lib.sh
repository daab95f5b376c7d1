# shellcheck shell=sh
# Shared by the doctor's host tests: real relays (build/tests/doctor-fixture)
# kept alive in one state, diagnosed by build/splicelab-doctor.
# shellcheck source=tests/host/lib.sh
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
DOCTOR=$top/$BUILD/splicelab-doctor
FIXTURE=$top/$BUILD/tests/doctor-fixture
[ -x "$DOCTOR" ] || fail "$BUILD/splicelab-doctor missing: run make"
[ -x "$FIXTURE" ] || fail "$BUILD/tests/doctor-fixture missing: run make $BUILD/tests/doctor-fixture"
mkdir -p "$work/fx" && chmod 777 "$work/fx"
fixture_pid="" job_pid=""
stop_fixture() {
  [ -n "$fixture_pid" ] && kill -KILL "$fixture_pid" 2>/dev/null
  [ -n "$job_pid" ] && { kill -KILL "$job_pid" 2>/dev/null; wait "$job_pid" 2>/dev/null; }
  fixture_pid="" job_pid=""
}
trap 'stop_fixture; rm -rf "$work"' EXIT

# start_fixture MODE [--nobody]: runs the fixture in MODE and waits (at most
# 10 s) until it says it is ready and then until its thread is where the
# mode puts it (a sleeping splice or wait shows in /proc at once; give it
# 300 ms more so queues settle). Sets fixture_pid.
start_fixture() {
  # A fresh file per start: the background shell truncates it only when it
  # runs, and an old "ready" line must not be read as this one's.
  out=$(mktemp "$work/fx/$1.XXXXXX")
  chmod 666 "$out"
  if [ "${2:-}" = --nobody ]; then
    as_nobody "$FIXTURE" "$1" >"$out" &
  else
    "$FIXTURE" "$1" >"$out" &
  fi
  job_pid=$!
  i=0
  until grep -q '^ready' "$out" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "fixture $1 not ready after 10 s"
    kill -0 "$job_pid" 2>/dev/null || fail "fixture $1 exited"
    sleep 0.1
  done
  # The fixture's own pid ($! may be a subshell running as_nobody).
  fixture_pid=$(sed -n 's/^ready //p' "$out")
  sleep 0.3
}

# doctor_json FILE [--nobody] [ARGS]: diagnoses the fixture into FILE.
doctor_json() {
  f=$1; shift
  if [ "${1:-}" = --nobody ]; then
    shift
    as_nobody "$DOCTOR" --json "$@" "$fixture_pid" >"$f" || fail "doctor as nobody exited $?"
  else
    "$DOCTOR" --json "$@" "$fixture_pid" >"$f" || fail "doctor exited $?"
  fi
}

# j FILE FILTER: one value from the doctor's JSON.
j() { jq -r "$2" "$1"; }
