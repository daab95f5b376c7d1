#!/bin/sh
# --relay-cmd with real relays on this kernel: the Go proxies of the seed
# investigation (../shared/peers: built with Go 1.19, 1.21.1 and 1.21.5;
# usage `proxy LISTEN UPSTREAM`) and Debian's HAProxy with splicing on
# (`option splice-request` / `splice-response` in a TCP listener). On a
# kernel from 5.1 on every cell is ok with every byte verified: one
# connection over tcp4 and tcp6, 8 at once, as nobody (HAProxy's splice
# calls are counted under strace). Afterwards none of
# the programs is left running and no stderr file is left behind.
# shellcheck source=tests/host/lib.sh
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
peers=$top/../shared/peers

# all_ok DIR WHAT: every cell ok and every byte of every connection checked.
all_ok() {
  bad=$(q "$1" '[.cells[] | select(.outcome != "ok" or .bytes_verified != .payload * (.connections // 1)) | "\(.id): \(.outcome) \(.evidence.note)"] | join("; ")')
  expect "$bad" "" "$2: cells not ok or not fully verified on $(uname -r)"
}

ran=0
if [ -x "$peers/proxy-go1.21.1" ]; then
  for v in go1.19 go1.21.1 go1.21.5; do
    run_matrix "$work/$v" --relay-cmd "$peers/proxy-$v {listen} {upstream}" -n 1M,16M -t tcp4,tcp6
    expect "$(q "$work/$v" '.cells | length')" 4 "$v: cells"
    expect "$(q "$work/$v" '.cells[0].id')" "relay=proxy-$v,tcp4,payload=1M,sender=one,head=256K" "$v: the id names the relay"
    all_ok "$work/$v" "$v"
    run_matrix "$work/$v-conns" --relay-cmd "$peers/proxy-$v {listen} {upstream}" --relay-name "go-$v" -n 4M --connections 8 --sender many
    expect_match "$(q "$work/$v-conns" '.cells[0].id')" "^relay=go-$v,.*,conns=8" "$v: --relay-name and the connections in the id"
    all_ok "$work/$v-conns" "$v, 8 connections"
    if [ "$(id -u)" -eq 0 ]; then
      run_matrix "$work/$v-nobody" --relay-cmd "$peers/proxy-$v {listen} {upstream}" -n 4M --connections 4 --as-user nobody
      all_ok "$work/$v-nobody" "$v as nobody"
    fi
  done
  ran=1
else
  note "no real Go proxies beside this checkout (../shared/peers): Go part skipped"
fi

if command -v haproxy >/dev/null 2>&1; then
  # HAProxy reads its addresses from a config file: a wrapper writes one
  # per cell from the two addresses, then becomes haproxy (-db: no
  # daemon, stays in the relay's process group).
  cat >"$work/haproxy-relay" <<'SH'
#!/bin/sh
cfg=$(mktemp /tmp/splicelab-haproxy.XXXXXX)
cat >"$cfg" <<CFG
global
    maxconn 256
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    option splice-request
    option splice-response
listen relay
    bind $1
    server upstream $2
CFG
(sleep 2; rm -f "$cfg") &
exec ${RELAY_STRACE:+strace -f -o "$RELAY_STRACE" -e trace=splice} haproxy -f "$cfg" -db
SH
  chmod 755 "$work/haproxy-relay"
  run_matrix "$work/haproxy" --relay-cmd "$work/haproxy-relay {listen} {upstream}" --relay-name haproxy -n 1M,16M
  all_ok "$work/haproxy" haproxy
  run_matrix "$work/haproxy-conns" --relay-cmd "$work/haproxy-relay {listen} {upstream}" --relay-name haproxy -n 4M --connections 8
  all_ok "$work/haproxy-conns" "haproxy, 8 connections"
  # That HAProxy really spliced: its splice calls, under strace.
  if command -v strace >/dev/null 2>&1; then
    RELAY_STRACE=$work/haproxy.strace run_matrix "$work/haproxy-strace" --relay-cmd "$work/haproxy-relay {listen} {upstream}" --relay-name haproxy -n 4M
    all_ok "$work/haproxy-strace" "haproxy under strace"
    expect_gt "$(grep -c 'splice(.*SPLICE_F_MOVE|SPLICE_F_NONBLOCK) = [1-9]' "$work/haproxy.strace")" 0 "haproxy's splice calls that moved bytes"
  fi
  ran=1
else
  note "haproxy not installed (scripts/deps.sh test installs it): HAProxy part skipped"
fi
[ "$ran" -eq 1 ] || skip "neither the Go proxies (../shared/peers) nor haproxy are here"

sleep 0.2
# Anchored at the command line's start: a lab test's vm-run.sh naming the same
# proxies (--add) is not a relay left running.
left=$(pgrep -f "^$peers/proxy-go|^haproxy -f /tmp/splicelab-haproxy" | tr '\n' ' ')
expect "$left" "" "relay processes left running"
expect "$(ls /tmp/splicelab-relay-stderr-* 2>/dev/null)" "" "stderr files left in /tmp"
