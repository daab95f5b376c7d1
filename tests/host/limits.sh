#!/bin/sh
# Running out of this machine's limits is the tool's environment failing,
# never a kernel verdict: with too few open files (ulimit -n) or processes
# (ulimit -u; it does not bind root, so the run is as nobody then) the run
# fails with exit 1 and one line naming the limit, and writes nothing. At
# a sane limit the same cells run with no error at all.
. "$(dirname "$0")/lib.sh"
limited() { # limited WHAT DIR LIMIT_REGEX CMD...: the run must fail on the limit
  what=$1 dir=$2 limit=$3; shift 3
  "$@" -q -o "$dir" --preset quick 2>"$work/stderr"
  rc=$?
  expect "$rc" 1 "$what: exit status"
  expect "$(wc -l <"$work/stderr")" 1 "$what: lines on stderr"
  expect_match "$(cat "$work/stderr")" "^splicelab: this machine's limits stopped the run, not the kernel: .*$limit.*nothing was written\$" "$what: the message"
  [ ! -e "$dir/matrix.json" ] || fail "$what: matrix.json was written"
  echo "ok - $what: no matrix.json"
}

limited "ulimit -n 10" "$work/files" "EMFILE .*ulimit -n is 10" sh -c 'ulimit -n 10 && exec "$0" "$@"' "$SPLICELAB"

# RLIMIT_NPROC counts every process and thread of the user's real uid: as
# root, run as a uid of no account, whose only processes are these (nobody
# may be running other tests' cells).
if [ "$(id -u)" -eq 0 ]; then
  uid=$((60000 + $$ % 5000))
  [ -z "$(pgrep -u "$uid")" ] || skip "uid $uid already runs processes here"
  as="setpriv --reuid=$uid --regid=$uid --clear-groups --"
else
  as=
fi
mkdir -p "$work/procs" && chmod 777 "$work/procs"
for n in 1 3; do
  limited "ulimit -u $n" "$work/procs" "EAGAIN .*ulimit -u is $n" $as prlimit --nproc=$n "$SPLICELAB"
done

# A limit that is tight but enough: every cell gets a verdict of the kernel.
sh -c 'ulimit -n 64 && exec "$0" "$@"' "$SPLICELAB" -q -o "$work/enough" --preset quick -j 2 || fail "ulimit -n 64 -j 2 exited $?"
expect "$(q "$work/enough" '[.cells[] | select(.outcome == "error")] | length')" 0 "error cells at ulimit -n 64 with -j 2"
