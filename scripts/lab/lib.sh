# shellcheck shell=bash disable=SC2034 # variables used by the scripts that source this
# Sourced by the kernel lab scripts (bash): error reporting, the download
# cache, and one cleanup list run on every way out (normal exit, error,
# Ctrl-C, kill), so no qemu and no temporary folder outlives the script.

LAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB_DIR="$LAB_TOP/scripts/lab"
LAB_CACHE=${LAB_CACHE:-$LAB_TOP/.cache/lab}
LAB_PROG=${LAB_PROG:-$(basename "$0" .sh)}

# Exit statuses shared by the lab scripts (documented in vm-run.sh --help).
LAB_EX_USAGE=64   # bad usage or input: nothing was booted, nothing written
LAB_EX_GUEST=69   # the guest died, hung or sent back a damaged frame

# lab_fail STATUS MESSAGE: the one error line, then exit.
lab_fail() {
  local status=$1; shift
  echo "$LAB_PROG: $*" >&2
  exit "$status"
}
lab_usage_error() { lab_fail "$LAB_EX_USAGE" "$@"; }

lab_note() { [ -n "${LAB_QUIET:-}" ] || echo "$LAB_PROG: $*" >&2; }

lab_sha256() { sha256sum "$1" | cut -d' ' -f1; }

# Seconds since the epoch with milliseconds, for durations.
lab_now_ms() { date +%s%3N; }

# The cleanup list: commands run in reverse order of registration.
LAB_CLEANUP=()
lab_on_exit() { LAB_CLEANUP+=("$1"); }
lab_run_cleanup() {
  local i
  for ((i = ${#LAB_CLEANUP[@]} - 1; i >= 0; i--)); do
    eval "${LAB_CLEANUP[$i]}" || true
  done
  LAB_CLEANUP=()
}
# A signal becomes an ordinary exit with the shell's status for it, so the
# EXIT trap (the cleanup list) runs exactly once on every path.
trap 'lab_run_cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# lab_stop_pid PID: TERM, a short grace, then KILL; always reaped.
lab_stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for i in 1 2 3 4 5 6 7 8 9 10; do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# lab_tmpdir VAR [PARENT]: a fresh folder removed on exit.
lab_tmpdir() {
  local parent=${2:-${TMPDIR:-/tmp}} dir
  mkdir -p "$parent"
  dir=$(mktemp -d "$parent/splicelab-lab.XXXXXX")
  lab_on_exit "rm -rf '$dir'"
  printf -v "$1" '%s' "$dir"
}
