#!/bin/sh
# splicelab-doctor knows the program: on this kernel, the real Go proxies
# (../shared/peers) idle between connections, and one of them mid-transfer.
# From each binary's .go.buildinfo the doctor names the Go version and the
# module path (checked against the file's own bytes), says whether that
# Go's io.Copy splices without SPLICE_F_NONBLOCK (1.21.1: yes, with the
# fix; 1.19.8 and 1.21.5: no), and on this kernel nothing is blocked.
# shellcheck source=tests/host/doctor_lib.sh
. "$(dirname "$0")/doctor_lib.sh"
peers=$top/../shared/peers
[ -x "$peers/proxy-go1.21.1" ] || skip "no real Go proxies beside this checkout (../shared/peers)"

port=$((20000 + $$ % 20000))
for v in go1.19 go1.21.1 go1.21.5; do
  port=$((port + 2))
  "$peers/proxy-$v" 127.0.0.1:$port 127.0.0.1:$((port + 1)) >"$work/$v.log" 2>&1 &
  fixture_pid=$! job_pid=$!
  sleep 0.5
  kill -0 "$fixture_pid" 2>/dev/null || fail "proxy-$v did not start: $(cat "$work/$v.log")"
  doctor_json "$work/$v.json"
  f=$work/$v.json
  want=$(grep -ao 'go1\.[0-9][0-9]*\.[0-9][0-9]*' "$peers/proxy-$v" | head -n1)
  expect "$(j "$f" .program.kind)" go "$v: a Go program"
  expect "$(j "$f" .program.go_version)" "$want" "$v: the Go version (as in the binary's bytes)"
  expect "$(j "$f" .program.go_path)" example.com/goproxy "$v: the main package path"
  case $v in
    go1.21.1)
      expect "$(j "$f" .program.splice_without_nonblock)" true "$v: io.Copy splices without NONBLOCK"
      expect_match "$(j "$f" .program.note)" 'be27fcfd2b.*1\.21\.5.*8ae493b5b8' "$v: the cause and the fix" ;;
    *)
      expect "$(j "$f" .program.splice_without_nonblock)" false "$v: io.Copy passes NONBLOCK"
      expect "$(j "$f" .program.fix)" null "$v: no fix to give" ;;
  esac
  [ "$(j "$f" .verdict)" != "blocked in splice" ] || fail "$v: blocked while idle"
  echo "ok - $v idle: '$(j "$f" .verdict)'"
  stop_fixture
done

# Mid-transfer (Go 1.21.1, 6.18: nothing hangs here): a paced sender.
command -v python3 >/dev/null || skip "python3 missing for the paced sender"
port=$((port + 2))
"$peers/proxy-go1.21.1" 127.0.0.1:$port 127.0.0.1:$((port + 1)) >"$work/xfer.log" 2>&1 &
fixture_pid=$! job_pid=$!
"$peers/tcpload" sink 127.0.0.1:$((port + 1)) 33554432 >"$work/sink.log" 2>&1 &
sink=$!
sleep 0.5
timeout 60 python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
block = bytes(i % 251 for i in range(65536))  # tcpload checks its own pattern: not this
for _ in range(512):
    s.sendall(block); time.sleep(0.004)
' $port >/dev/null 2>&1 &
sender=$!
sleep 0.5
doctor_json "$work/xfer.json"
kill "$sender" "$sink" 2>/dev/null
wait "$sender" "$sink" 2>/dev/null
expect "$(j "$work/xfer.json" '.counts["blocked in splice"] // 0')" 0 "go1.21.1 mid-transfer: threads blocked"
expect_gt "$(j "$work/xfer.json" '.pipes | length')" 0 "go1.21.1 mid-transfer: its pipes found"
expect "$(j "$work/xfer.json" '[.pipes[].size] | index(1048576) != null')" true "go1.21.1 mid-transfer: a 1 MiB pipe (Go's F_SETPIPE_SZ)"
echo "ok - go1.21.1 mid-transfer: '$(j "$work/xfer.json" .verdict)'"
stop_fixture
