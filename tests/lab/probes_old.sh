#!/bin/bash
# Kernel probes on the lab's older kernels (../shared/kernels: CentOS 7.9's
# 3.10.0-1160.el7, vanilla 4.9.229 and 5.10.89), one TCG boot each, from
# what each kernel did:
#   every kernel: --list attaches splice_to_pipe and says why each absent
#     function was not attached; 0 lost events; occupancy never above
#     capacity; bytes in the pipe between one and 64 KiB per used slot;
#     env.probes.not_verified never names what the run used (its pipe
#     layout, its buffer, an old verifier limit the kernel has);
#   3.10.0-1160.el7 (BTF file, kprobes, perf buffer, nrbufs layout): drain
#     and proxy with flags none block inside splice_to_pipe: calls that
#     entered with free slots filled the pipe, the last entered it full and
#     slept in pipe_wait, called from inside it, and neither returned (the
#     relay's /proc stack shows the four unreturned calls as kretprobe
#     trampolines);
#   4.9.229 (BTF file, tracefs kprobe_events, old verifier): the object
#     loads; drain blocks in wait_for_space, asleep in pipe_wait; an
#     O_NONBLOCK pipe changes nothing; proxy passes;
#   5.10.89 (its own BTF, fentry, ring buffer, head/tail layout): drain
#     blocks in wait_for_space; with an O_NONBLOCK pipe it spins (promoted
#     to SPLICE_F_NONBLOCK since 5.1); kprobes attach too.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lab/probes_lib.sh
. "$(dirname "$0")/probes_lib.sh"
need_tools
need_qemu
[ -x "$top/$BUILD/static/splicelab-probe" ] || fail "$BUILD/static/splicelab-probe missing: run make"
kernels=$top/../shared/kernels
[ -d "$kernels" ] || skip "no lab kernels beside this checkout (../shared/kernels)"

# One guest: --list, then drain, drain with an O_NONBLOCK pipe, proxy (64
# KiB pipe, 16 MiB, flags none). $1 = release, $2 = splicelab's probe
# option, $3 = splicelab-probe's, $4 = extra guest commands.
boot() {
  local release=$1 probe=$2 tool=$3 extra=${4:-} add=()
  [ -r "$kernels/btf-$release" ] && add=(--add "$kernels/btf-$release:/lab/btf")
  local cell="-s drain -p 64K -n 16M -f none"
  # Every event streamed (the checks below read them), and once by default.
  local all="--probe-events all"
  local guest="splicelab-probe --list $tool >list.txt 2>&1
splicelab -q $probe -o drain-sum $cell
splicelab -q $probe $all -o drain $cell
splicelab -q $probe $all -o drain-nb $cell --pipe-nonblock on
splicelab -q $probe $all -o proxy -s proxy -p 64K -n 16M -f none
$extra"
  "$top/scripts/lab/vm-run.sh" -q --kernel "$kernels/bzImage-$release" --accel tcg --timeout 300 \
    "${add[@]}" --out "$work/$release" --cmd "$guest" --fetch list.txt --fetch list-kprobe.txt \
    --fetch drain --fetch drain-nb --fetch proxy --fetch drain-sum --fetch nobtf --fetch nobtf.txt \
    --fetch badbtf.txt >"$work/$release.out" 2>&1 ||
    fail "$release: vm-run exited $?: $(tail -n 20 "$work/$release.out")"
  no_stray_qemu "$release: after the guest"
}

# What every kernel must show. $1 = release, $2 = mode, $3 = layout,
# $4 = buffer, $5 = kprobes_via (or null).
common() {
  local v=$work/$1 r=$1 d
  grep -q "^mode: $2$" "$v/list.txt" || fail "$r --list: $(head -n3 "$v/list.txt")"
  grep -q "^attached  *splice_to_pipe  *$2" "$v/list.txt" || fail "$r --list: splice_to_pipe not attached"
  expect "$(grep '^not attached' "$v/list.txt" | grep -cv '  not in this kernel\|only a compiler clone')" 0 \
    "$r --list: functions not attached without their reason"
  echo "ok - $r --list: $2, splice_to_pipe attached, $(grep -c '^not attached' "$v/list.txt") absent functions with their reason"
  for d in drain drain-nb proxy; do
    local m=$v/$d/matrix.json e=$v/$d/events.jsonl
    p() { jq -r ".env.probes.$1" "$m"; }
    expect "$(p mode)/$(p pipe_layout)/$(p buffer)/$(p kprobes_via)" "$2/$3/$4/$5" "$r $d: mode/layout/buffer/kprobe path"
    expect "$(p lost_events)" 0 "$r $d: lost events"
    if [ "$(p btf)" != /sys/kernel/btf/vmlinux ]; then
      expect_gt "$(p btf_cut_types)" 0 "$r $d: types cut from the BTF file for libbpf"
    fi
    expect "$(jq -r '.cells[0].kernel.slots_total' "$m")" 16 "$r $d: capacity of a 64 KiB pipe in slots"
    same_summaries "$v/$d" "$r $d"
    expect "$(jq -c 'select(.slots_used != null and .slots_used > .slots_total)' "$e" | head -n1)" "" \
      "$r $d: events with occupancy above capacity"
    expect "$(jq -c 'select(.bytes_in_pipe != null and ((.slots_used == 0 and .bytes_in_pipe != 0) or
        (.slots_used > 0 and (.bytes_in_pipe < .slots_used or .bytes_in_pipe > .slots_used * 65536))))' "$e" | head -n1)" "" \
      "$r $d: events whose bytes in the pipe are not between 1 B and 64 KiB per used slot"
    # not_verified never names what this run used.
    local used=$3
    [ "$3" = nrbufs ] && used=pre-5.5
    [ "$3" = head_tail ] && used=5.5+
    expect "$(jq -r '.env.probes.not_verified[]' "$m" | grep -c -- "^the $used pipe layout")" 0 "$r $d: not_verified names the layout used"
    local buffer="the perf buffer"
    [ "$4" = ringbuf ] && buffer="the ring buffer"
    expect "$(jq -r '.env.probes.not_verified[]' "$m" | grep -c "^$buffer")" 0 "$r $d: not_verified names the buffer used"
    local feature
    for feature in bounded_loops global_data; do
      local has listed
      has=$(p "verifier.$feature")
      listed=$(jq -r '.env.probes.not_verified[]' "$m" | grep -c "without ${feature/_/ }")
      if [ "$has" = false ]; then
        expect "$listed" 0 "$r $d: not_verified names ${feature/_/ }, which this kernel lacks"
      else
        expect "$listed" 1 "$r $d: not_verified names ${feature/_/ } ($has here)"
      fi
    done
  done
  # By default the kernel sums the cell up alone, on this kernel's maps.
  summaries_only "$v/drain-sum" "$r drain, default"
  expect "$(jq -r '.env.probes.lost_events + .env.probes.unsummed_calls' "$v/drain-sum/matrix.json")" 0 "$r drain, default: calls lost or not summed"
  expect "$(jq -r '.cells[0].kernel | "\(.max_slots_used)/\(.slots_total) \(.unreturned | length > 0)"' "$v/drain-sum/matrix.json")" \
    "16/16 true" "$r drain, default: the pipe filled, and the relay was still inside a call when killed"
}

# kernel.unreturned of a cell, sorted, space-separated.
unreturned() { jq -r '.cells[0].kernel.unreturned | sort | join(" ")' "$1/matrix.json"; }
outcome() { jq -r '.cells[0].outcome' "$1/matrix.json"; }

# 3.10: the wait is pipe_wait inside splice_to_pipe, inside tcp_splice_read
# inside do_splice_to; the cell is killed with all four still on the stack.
el7() {
  local d=$1 r=3.10.0-1160.el7.x86_64
  local c=$work/$r/$d
  expect "$(outcome "$c")" blocked "$r $d: outcome"
  expect "$(unreturned "$c")" "do_splice_to pipe_wait splice_to_pipe tcp_splice_read" "$r $d: unreturned"
  # Per thread, splice_to_pipe and pipe_wait events in time order: the
  # last pipe_wait entry follows a splice_to_pipe entry with no exit between.
  local chain
  chain=$(jq -s -r '[.[] | select(.fn == "splice_to_pipe" or .fn == "pipe_wait")] | sort_by(.ts_ns) |
      (map(.fn == "pipe_wait" and .phase == "entry") | rindex(true)) as $w |
      if $w == null or $w == 0 then "no pipe_wait entry" else
        .[$w - 1] as $s | [.[:$w - 1][] | select(.fn == "splice_to_pipe" and .phase == "exit")] as $exits |
        "\($s.fn) \($s.phase) \($s.slots_used)/\($s.slots_total) after \($exits | length) returned, " +
        "the last with \($exits[-1].ret) B leaving \($exits[-1].slots_used)/\($exits[-1].slots_total), " +
        "the first entered with \(.[0].slots_used)/\(.[0].slots_total)" end' "$c/events.jsonl")
  expect_match "$chain" '^splice_to_pipe entry 16/16 after [1-9][0-9]* returned, the last with [1-9][0-9]* B leaving 16/16, the first entered with ([0-9]|1[0-5])/16$' \
    "$r $d: splice_to_pipe calls with free slots filled the pipe; the one entered full called pipe_wait"
  expect_gt "$(jq -r '.cells[0].kernel.slept_ns.pipe_wait' "$c/matrix.json")" 0 "$r $d: time asleep in pipe_wait"
  # The kernel's own stack of the relay agrees: each kretprobe'd call that
  # has not returned shows as a kretprobe_trampoline frame (its return
  # address is the probe's), under pipe_wait.
  expect "$(jq -r '.cells[0].evidence.thread.stack | (.[0] | split("+")[0]) + " " +
      ([.[] | select(startswith("kretprobe_trampoline"))] | length | tostring)' "$c/matrix.json")" "pipe_wait 4" \
    "$r $d: the relay's stack: pipe_wait on top, one kretprobe_trampoline frame per unreturned call"
}

# 4.9 and 5.10: the wait is wait_for_space, before splice_to_pipe.
waits_for_space() { # RELEASE DIR PIPE-WAIT-NAME
  local c=$work/$1/$2
  expect "$(outcome "$c")" blocked "$1 $2: outcome"
  expect "$(unreturned "$c")" "$(echo "$3 wait_for_space" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')" "$1 $2: unreturned"
  expect_gt "$(jq -r '.cells[0].kernel.calls.splice_to_pipe' "$c/matrix.json")" 0 "$1 $2: splice_to_pipe calls"
  expect "$(jq -r '.cells[0].kernel.max_slots_used' "$c/matrix.json")" 16 "$1 $2: the pipe filled"
}

proxy_ok() {
  local c=$work/$1/proxy
  expect "$(outcome "$c")" ok "$1 proxy: outcome"
  expect "$(unreturned "$c")" "" "$1 proxy: unreturned"
}

ran=()
r=3.10.0-1160.el7.x86_64
if [ -r "$kernels/bzImage-$r" ]; then
  # Without a BTF file, and with a file that is not BTF: one line each.
  boot $r "--probe-btf /lab/btf" "--btf /lab/btf" '
splicelab-probe --list >nobtf.txt 2>&1; echo "exit $?" >>nobtf.txt
splicelab-probe --list --btf /bin/splicelab >badbtf.txt 2>&1; echo "exit $?" >>badbtf.txt
splicelab -q --probe -o nobtf -s proxy -p 64K -n 1M -f NONBLOCK'
  common $r kprobe nrbufs perfbuf perf_kprobe_pmu
  v=$work/$r
  expect "$(tail -n1 "$v/nobtf.txt")" "exit 69" "$r --list without BTF: exit status"
  expect_match "$(grep '^reason' "$v/nobtf.txt")" "^reason: this kernel has no BTF .*pass --btf FILE" "$r --list without BTF"
  expect "$(tail -n1 "$v/badbtf.txt")" "exit 69" "$r --list with a file that is not BTF: exit status"
  expect_match "$(grep '^reason' "$v/badbtf.txt")" "^reason: cannot read BTF from /bin/splicelab" "$r --list with a file that is not BTF"
  expect "$(jq -r '.env.probes.mode + " " + .cells[0].outcome' "$v/nobtf/matrix.json")" "none ok" \
    "$r --probe without BTF: the matrix runs without probes"
  expect "$(jq -r '.env.probes.reason | split("\n") | length' "$v/nobtf/matrix.json")" 1 "$r --probe without BTF: the reason is one line"
  el7 drain
  el7 drain-nb
  el7 proxy
  expect "$(jq -r .env.probes.verifier.bounded_loops "$work/$r/drain/matrix.json")" false "$r: the verifier has no bounded loops"
  ran+=($r)
else note "no bzImage-$r: skipped"; fi

r=4.9.229
if [ -r "$kernels/bzImage-$r" ]; then
  boot $r "--probe-btf /lab/btf" "--btf /lab/btf"
  common $r kprobe nrbufs perfbuf kprobe_events
  waits_for_space $r drain pipe_wait
  waits_for_space $r drain-nb pipe_wait
  proxy_ok $r
  expect "$(jq -r .env.probes.verifier.bounded_loops "$work/$r/drain/matrix.json")" false "$r: the verifier has no bounded loops"
  ran+=($r)
else note "no bzImage-$r: skipped"; fi

r=5.10.89
if [ -r "$kernels/bzImage-$r" ]; then
  boot $r "--probe" "" "splicelab-probe --list --mode kprobe >list-kprobe.txt 2>&1"
  common $r fentry head_tail ringbuf null
  waits_for_space $r drain pipe_wait_writable
  expect "$(outcome "$work/$r/drain-nb")" spin "$r drain-nb: outcome (O_NONBLOCK pipe promoted)"
  proxy_ok $r
  grep -q "^attached  *splice_to_pipe  *kprobe" "$work/$r/list-kprobe.txt" ||
    fail "$r --list --mode kprobe: $(head -n3 "$work/$r/list-kprobe.txt")"
  echo "ok - $r --list --mode kprobe: kprobes attach beside fentry ($(grep '^kprobes via' "$work/$r/list-kprobe.txt"))"
  ran+=($r)
else note "no bzImage-$r: skipped"; fi

[ ${#ran[@]} -gt 0 ] || skip "none of the lab kernels is in $kernels"
echo "ok - probes checked on ${ran[*]}"
