#!/bin/bash
# The static tools must run on CentOS 7's 3.10, which cannot be booted here.
# So: trace real runs of build/static/* with strace, and check every system
# call against tests/lab/syscalls-3.10.txt (the kernel version each needs).
# A call newer than 3.10 passes only where glibc falls back when the kernel
# answers ENOSYS, and that claim is checked too: the same runs again with
# every such call failing with ENOSYS must give the same verdicts.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
need_tools
command -v strace >/dev/null || fail "strace not installed (scripts/deps.sh test)"
allow="$top/tests/lab/syscalls-3.10.txt"
static="$top/$BUILD/static"

# tool NAME [--nobody] CMD...: one run of a static tool under $tracer
# (strace and its options; none for the baseline), its trace in
# $out/NAME.trace; --nobody runs tracer and tool as an unprivileged user.
tool() {
  local name=$1 as=(); shift
  if [ "$1" = --nobody ]; then as=(setpriv --reuid=65534 --regid=65534 --clear-groups --); shift; fi
  if [ ${#tracer[@]} -gt 0 ]; then as+=("${tracer[@]}" -o "$out/$name.trace"); fi
  ${as[@]+"${as[@]}"} "$@"
}

# runs: each run of the static tools this check covers, outputs in $out.
# Together they reach every code path that makes a system call: every
# scenario, transport, loop, sender and flag set, repeats, the probe hook,
# JSON output, a config file, a usage error, the profile list, the
# vmsplice cells (vmsplice, SIOCOUTQ polls), and an
# unprivileged run, and the probe tool (through --probe and on its own).
runs() {
  local s="$static/splicelab"
  mkdir -p "$out"
  tool grid "$s" -q -o "$out/grid" -s proxy,drain -t tcp4,tcp6,unix -l busy,poll,epoll \
    --sender one,many,nodelay -n 1M --src-nonblock off,on -f none,NONBLOCK || fail "grid run exited $?"
  tool quick "$s" --preset quick --repeat 2 --probe --json -o "$out/quick" >/dev/null 2>&1 ||
    fail "quick run exited $?"
  # The probe tool, on its own (the quick run above starts it too): on this
  # host it is refused (exit 69), as on upstream 3.10 where bpf() is absent.
  tool probe "$static/splicelab-probe" --list >/dev/null 2>&1
  case $? in 0|69) ;; *) fail "splicelab-probe --list exited $?" ;; esac
  tool profiles "$s" --list-profiles >/dev/null || fail "--list-profiles exited $?"
  tool help "$s" --help >/dev/null || fail "--help exited $?"
  tool usage "$s" -p 48K 2>/dev/null
  [ $? -eq 64 ] || fail "a usage error did not exit 64"
  printf 'scenario = drain\npayload = 16K\n' >"$out/conf"
  tool config "$s" -q --config "$out/conf" -o "$out/conf.d" || fail "--config run exited $?"
  tool vmsplice "$s" -q -o "$out/vmsplice" -s vmsplice -t tcp4,unix || fail "vmsplice run exited $?"
  if [ "$(id -u)" -eq 0 ]; then
    mkdir -p "$out/user" && chmod 777 "$out" "$out/user"
    tool user --nobody "$s" --preset quick -q -o "$out/user/m" || fail "unprivileged run exited $?"
    # The load scenario as another user: cycles, both pipe policies, the
    # pressure holder, the switch of user.
    tool load "$s" -q -o "$out/load" -s load -P go1.21.0-1.21.4,c-rewrite --connections 4 \
      --conn-count 8 -n 256K --as-user nobody --pipe-pressure 64 || fail "load run exited $?"
  fi
}

# The calls in a trace: "PID name(" starts a call (finished or not).
# A process SIGKILLed mid-call (the runner kills every cell that way)
# leaves strace a garbage call number: "???" or "syscall_0x..." left
# unfinished, then "= ?" or "+++ killed". Such a call is no call; an unknown one
# that finished is kept, so a call strace cannot name still fails.
calls_in() {
  awk '
    function call_name(line) {
      sub(/^[0-9]+ +/, "", line)
      if (line !~ /^[a-z_0-9?]+\(/) return ""
      sub(/\(.*/, "", line)
      return line
    }
    {
      pid = $1; name = call_name($0)
      if (name != "") {
        if (name ~ /^(\?\?\?|syscall_0x)/ && $0 ~ /<unfinished \.\.\.>$/) { doubt[pid] = name; next }
        print name; next
      }
      if ($0 ~ /\+\+\+ killed by SIGKILL/) { delete doubt[pid]; next }
      if ((pid in doubt) && $0 ~ / resumed>/) {
        if ($0 !~ /= \?$/) print doubt[pid]  # "= ?": it never returned
        delete doubt[pid]
      }
    }
    END { for (pid in doubt) print doubt[pid] }' "$@" | sort -u
}
newer_than_310() { [ "$1" != 3.10 ] && [ "$(printf '%s\n3.10\n' "$1" | sort -V | tail -n1)" = "$1" ]; }

# Every call, whatever the cost: ptrace slows the cells, so these runs
# give the call set, never verdicts.
out="$work/traced" tracer=(strace -f -qq)
runs
calls=$(calls_in "$out"/*.trace)
[ -n "$calls" ] || fail "strace recorded no calls"
note "$(echo "$calls" | wc -l) distinct calls traced: $(echo "$calls" | paste -sd' ')"

injected="" fallbacks=""
for c in $calls; do
  line=$(awk -v c="$c" '$1 == "syscall" && $2 == c' "$allow")
  [ -n "$line" ] || fail "$c is not in tests/lab/syscalls-3.10.txt: add it with the kernel version it needs"
  # shellcheck disable=SC2086 # the line's words
  set -- $line
  version=$3 fallback=${4:-}
  newer_than_310 "$version" || continue
  case "$fallback" in
    enosys) ;;
    enosys:*) fallbacks="$fallbacks $c:${fallback#enosys:}" ;;
    *) fail "$c needs kernel $version and has no ENOSYS fallback: 3.10 would refuse it" ;;
  esac
  injected="$injected${injected:+,}$c"
done
echo "ok - every call is listed and either in 3.10 or has a fallback"

# Flags newer than 3.10 in any argument strace decoded.
while read -r kind name version _; do
  [ "$kind" = flag ] || continue
  ! grep -qw -- "$name" "$out"/*.trace || fail "flag $name (kernel $version) appears in a trace"
done <"$allow"
echo "ok - no flag newer than 3.10"

# The fallback claims: rerun with each newer call failing with ENOSYS
# (seccomp-bpf keeps the other calls at full speed).
if [ -z "$injected" ]; then
  note "no call newer than 3.10 was made; nothing to inject"
  exit 0
fi
out="$work/baseline" tracer=()
runs
traced=$injected
for pair in $fallbacks; do traced="$traced,${pair#*:}"; done
out="$work/enosys" tracer=(strace -f -qq --seccomp-bpf -e trace="$traced" -e inject="$injected":error=ENOSYS)
runs
for c in ${injected//,/ }; do
  grep -qE "^[0-9]+ +$c\(.*ENOSYS .*\(INJECTED\)" "$out"/*.trace ||
    fail "$c: no call failed with the injected ENOSYS (not tried this time?)"
done
echo "ok - $injected failed with ENOSYS and the tools ran on"
for pair in $fallbacks; do
  c=${pair%%:*} other=${pair#*:}
  tried=$(cat "$out"/*.trace | grep -cE "^[0-9]+ +$c\(")
  made=$(cat "$out"/*.trace | grep -cE "^[0-9]+ +$other\(")
  [ "$made" -ge "$tried" ] || fail "$c failed $tried times but $other was made only $made times"
  echo "ok - $c refused $tried times; glibc made $other instead ($made calls)"
done
for run in grid quick vmsplice user/m; do
  [ -f "$work/baseline/$run/matrix.json" ] || continue
  a=$(jq -c '[.cells[] | [.id, .outcome]]' "$work/baseline/$run/matrix.json")
  b=$(jq -c '[.cells[] | [.id, .outcome]]' "$out/$run/matrix.json")
  [ "$a" = "$b" ] || fail "$run: verdicts differ without $injected: $(diff <(echo "$a" | jq -c '.[]') <(echo "$b" | jq -c '.[]') | head -n 4)"
  echo "ok - $run: the same verdicts without $injected ($(jq '.cells | length' "$out/$run/matrix.json") cells)"
done
