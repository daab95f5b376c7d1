#!/bin/sh
# SIGINT and SIGTERM at several moments of a run, and during the final
# write of matrix.json: the run says how many cells finished and that
# nothing was written, exits 128 + the signal, leaves no matrix.json, no
# temporary file and no cell process behind.
. "$(dirname "$0")/lib.sh"
# A private copy, so leftover cells are found by their command line alone.
bin="$work/splicelab-sig"
cp "$SPLICELAB" "$bin"
# Four runs of each cell, so that the run outlasts the last signal (1 s):
# stuck cells are judged within a few ms.
grid="-s drain -p 4K,16K,64K -n 4K,64K,1M,16M -f none,NONBLOCK --pipe-nonblock off,on -j 1 -r 4"
total=$(($("$bin" $grid --list | wc -l) * 4))

check_stopped() { # check_stopped WHAT RC SIGNAL_NUMBER SIGNAL_NAME DIR CELLS
  what=$1 rc=$2 num=$3 name=$4 dir=$5 cells=$6
  expect "$rc" $((128 + num)) "$what: exit status"
  expect "$(wc -l <"$work/stderr")" 1 "$what: lines on stderr"
  expect_match "$(cat "$work/stderr")" "^splicelab: stopped by SIG$name after [0-9]+ of $cells cell runs; nothing was written\$" "$what: the message"
  [ ! -e "$dir/matrix.json" ] || fail "$what: matrix.json was written"
  [ -z "$(ls -A "$dir" 2>/dev/null)" ] || fail "$what: left in $dir: $(ls -A "$dir")"
  echo "ok - $what: nothing in $dir"
  sleep 0.2
  left=$(pgrep -f "$bin" || true)
  [ -z "$left" ] || fail "$what: cell processes left: $left"
  echo "ok - $what: no cell process left"
}

n=0
for sig in INT TERM; do
  num=$(case $sig in INT) echo 2 ;; TERM) echo 15 ;; esac)
  for delay in 0.05 0.3 1; do
    n=$((n + 1)) dir="$work/run$n"
    # A shell's background job starts with SIGINT ignored, which
    # splicelab respects: give it the default back, as a terminal would.
    env --default-signal=INT "$bin" -q -o "$dir" $grid 2>"$work/stderr" &
    pid=$!
    sleep "$delay"
    kill -s "$sig" "$pid"
    wait "$pid"
    check_stopped "SIG$sig after ${delay}s" $? "$num" "$sig" "$dir" "$total"
  done
done
grep -o 'after [0-9]* of' "$work/stderr" >/dev/null || fail "no count of finished cells"

# An ignored SIGHUP (nohup) stays ignored: the run goes on to the end.
dir="$work/nohup"
nohup "$bin" -q -o "$dir" -s drain -p 4K,64K -n 1M,16M -j 1 >/dev/null 2>&1 &
pid=$!
sleep 0.1
kill -s HUP "$pid"
wait "$pid"
expect "$?" 0 "SIGHUP under nohup: exit status"
[ -f "$dir/matrix.json" ] || fail "SIGHUP under nohup: no matrix.json"
echo "ok - SIGHUP under nohup: the run finished"

# During the final write: strace holds fsync of matrix.json's temporary file
# for 2 s, the signal arrives while the file exists.
command -v strace >/dev/null || skip "strace is missing (scripts/deps.sh test installs it)"
for sig in TERM INT; do
  num=$(case $sig in INT) echo 2 ;; TERM) echo 15 ;; esac)
  n=$((n + 1)) dir="$work/run$n"
  mkdir "$dir"
  env --default-signal=INT strace -qq -o /dev/null -e trace=fsync -e inject=fsync:delay_enter=2000000 \
    "$bin" -q -o "$dir" -s drain -n 4K 2>"$work/stderr" &
  tracer=$!
  i=0
  until ls -A "$dir" | grep -q '^\.matrix\.json\.'; do
    i=$((i + 1)); [ $i -lt 1000 ] || fail "no temporary file appeared within 10 s"
    sleep 0.01
  done
  echo "ok - SIG$sig during the write: the temporary file $(ls -A "$dir") exists"
  kill -s "$sig" "$(pgrep -P "$tracer")"
  wait "$tracer"
  check_stopped "SIG$sig during the write" $? "$num" "$sig" "$dir" 1
done
