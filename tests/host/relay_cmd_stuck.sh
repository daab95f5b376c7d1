#!/bin/sh
# --relay-cmd judges a foreign program from what the kernel shows of it.
# A small Python relay splices socket->pipe with flags 0 into a one-page
# pipe it never reads: on every kernel the call sleeps in splice with data
# queued, and the cell is `blocked` naming the thread, the call, the kernel
# frames and the bytes queued on its source socket (read from
# /proc/PID/net/tcp by inode: the runner holds none of its fds). The same
# relay with SPLICE_F_NONBLOCK retried at once is `spin`. Its process group
# is killed and reaped after each cell. A one-shot relay that exits once it
# copied everything is ok.
# shellcheck source=tests/host/lib.sh
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 missing for the stuck relay"
python3 -c 'import os; os.splice' 2>/dev/null || skip "this python3 has no os.splice (3.10+)"

cat >"$work/stuck-relay" <<'PY'
#!/usr/bin/env python3
# stuck-relay MODE LISTEN UPSTREAM: accepts one connection, connects
# upstream, then splices client->pipe and never empties the pipe.
import fcntl, os, socket, sys
mode, listen, upstream = sys.argv[1:4]
def addr(text):
    host, port = text.rsplit(":", 1)
    return host.strip("[]"), int(port)
server = socket.create_server(addr(listen))
client, _ = server.accept()
up = socket.create_connection(addr(upstream))
r, w = os.pipe()
fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ: one page
flags = 2 if mode == "spin" else 0  # SPLICE_F_NONBLOCK
while True:
    try:
        os.splice(client.fileno(), w, 1 << 20, flags=flags)
    except BlockingIOError:
        pass
PY
chmod 755 "$work/stuck-relay"

run_matrix "$work/blocked" --relay-cmd "$work/stuck-relay blocked {listen} {upstream}" -n 4M
f=$work/blocked
expect "$(q "$f" '.cells[0].outcome')" blocked "a relay asleep in splice into a full pipe"
expect "$(q "$f" '.cells[0].evidence.thread.syscall')" splice "the thread's call"
expect_gt "$(q "$f" '.cells[0].evidence.src_rcv_queue')" 0 "bytes queued on its source socket"
expect "$(q "$f" '.cells[0].evidence.pipe_bytes')" 4096 "bytes in its one-page pipe"
tid=$(q "$f" '.cells[0].evidence.thread.tid')
expect_match "$(q "$f" '.cells[0].evidence.note')" "^thread $tid of process [0-9]+ asleep in splice\\(socket->pipe\\).*bytes queued on its source socket \\(socket fd [0-9]+ 127\\.0\\.0\\.1:" "the note names thread, call and socket"
if [ "$(id -u)" -eq 0 ]; then
  expect_match "$(q "$f" '.cells[0].evidence.thread.stack | join(" ")')" 'splice' "its kernel stack"
fi

run_matrix "$work/spin" --relay-cmd "$work/stuck-relay spin {listen} {upstream}" -n 4M
expect "$(q "$work/spin" '.cells[0].outcome')" spin "SPLICE_F_NONBLOCK retried on a full pipe"
expect_match "$(q "$work/spin" '.cells[0].evidence.note')" 'ms of CPU' "the spin's evidence"

# A one-shot relay (copies one connection, then exits) is judged by the
# streams, not by its exit: ok when every byte arrived.
cat >"$work/one-shot" <<'PY'
#!/usr/bin/env python3
import socket, sys
def addr(text):
    host, port = text.rsplit(":", 1)
    return host.strip("[]"), int(port)
client, _ = socket.create_server(addr(sys.argv[1])).accept()
up = socket.create_connection(addr(sys.argv[2]))
while True:
    data = client.recv(65536)
    if not data:
        break
    up.sendall(data)
up.shutdown(socket.SHUT_WR)
PY
chmod 755 "$work/one-shot"
run_matrix "$work/one-shot-run" --relay-cmd "$work/one-shot {listen} {upstream}" -n 16M
expect "$(q "$work/one-shot-run" '.cells[0].outcome')" ok "a relay that exits after copying everything"
expect "$(q "$work/one-shot-run" '.cells[0].bytes_verified')" 16777216 "its bytes verified"

sleep 0.2
expect "$(pgrep -f "$work/stuck-relay" | tr '\n' ' ')" "" "stuck relays left running"
