#!/bin/bash
# vm-run.sh: boot one kernel under qemu with the static tools, run one
# command inside, bring files back. The building block of `make lab`, and
# the way to run anything (e.g. the probes) on a kernel other than the host's.
set -euo pipefail
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
  cat <<'EOF'
usage: scripts/lab/vm-run.sh --kernel SPEC --cmd 'COMMAND' --out DIR [options]

Boots SPEC under qemu (KVM when it works, else TCG) with an initramfs of
static busybox and the static tools, runs COMMAND with busybox sh in the
guest, and writes DIR/ (only when the guest reported back; never half-written):
  vm-status.json        status, command exit code, boot time, accelerator,
                        qemu version, kernel provenance
  console.log           the guest's serial console
  cmd.log               COMMAND's stdout and stderr
  guest-features.json   what the kernel offers (BTF, tracing, kallsyms, pipe limits)
  config                the kernel config, when the package or /proc/config.gz has it
  <fetched files>       each --fetch PATH, by its base name

  --kernel SPEC    debian12 | FILE.deb | FILE.rpm | bzImage path
  --kernel-dir DIR instead of --kernel: a folder kernel.sh made (vmlinuz,
                   kernel.json, config), so a caller resolves a kernel once
  --cmd 'COMMAND'  shell command line run in /tmp/lab in the guest; PATH=/bin
                   holds busybox, the tools and --add'ed executables;
                   $LAB_VIRT is qemu-kvm or qemu-tcg
  --fetch PATH     guest file or folder to bring back (repeatable; relative
                   to /tmp/lab); a missing one is listed in vm-status.json
  --add SRC[:DEST] host file or folder to put in the guest (repeatable;
                   default DEST /bin/NAME)
  --no-tools       do not add build/static/* (added by default as /bin/NAME)
  --out DIR        result folder (replaced if it exists)
  --timeout S      bound on the whole boot [600]; the command itself gets
                   S-20 s inside the guest so its files still come back
  --boot-timeout S bound on reaching user space [120]: a kernel that halts
                   or hangs early fails after S s, not after --timeout
  --accel A        auto, kvm, tcg [auto: KVM only if it boots this kernel]
  --cpus N         guest CPUs [host CPUs]     --mem MB   guest memory [1024]
  --icount         instruction-counted clock (-icount shift=0,sleep=off,
                   one CPU, TCG): repeatable timings, for benchmarks
  --append ARGS    extra kernel command line
  --progress       print the guest's matrix progress ("LABEL: cells N/M ...",
                   from splicelab's progress on the console: the command
                   must send splicelab's stderr to /dev/ttyS0), also with -q
  -q, --quiet      no progress lines
Exit: COMMAND's status when the guest reported back; 64 bad usage or input
(one line, nothing booted or written); 69 no result from the guest: qemu
missing, the guest died, hung or sent a damaged frame (one line, then the
console's tail; nothing written; the console is kept in $LAB_FAILED_DIR,
default $LAB_CACHE/failed).
EOF
}

kernel="" kernel_dir="" cmd="" out="" timeout_s=600 boot_timeout_s=120
accel=${LAB_ACCEL:-auto} cpus=$(nproc)
mem=1024 icount="" append="" tools=yes adds=() fetches=() progress=""
need_arg() { [ $# -ge 2 ] || lab_usage_error "$1 needs a value (see --help)"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --kernel) need_arg "$@"; kernel=$2; shift ;;
    --kernel-dir) need_arg "$@"; kernel_dir=$2; shift ;;
    --cmd) need_arg "$@"; cmd=$2; shift ;;
    --fetch) need_arg "$@"; fetches+=("$2"); shift ;;
    --add) need_arg "$@"; adds+=("$2"); shift ;;
    --no-tools) tools="" ;;
    --out) need_arg "$@"; out=$2; shift ;;
    --timeout) need_arg "$@"; timeout_s=$2; shift ;;
    --boot-timeout) need_arg "$@"; boot_timeout_s=$2; shift ;;
    --accel) need_arg "$@"; accel=$2; shift ;;
    --cpus) need_arg "$@"; cpus=$2; shift ;;
    --mem) need_arg "$@"; mem=$2; shift ;;
    --icount) icount=yes ;;
    --append) need_arg "$@"; append=$2; shift ;;
    --progress) progress=yes ;;
    -q|--quiet) LAB_QUIET=yes ;;
    -h|--help) usage; exit 0 ;;
    *) lab_usage_error "unknown option '$1' (see --help)" ;;
  esac
  shift
done
[ -n "$kernel$kernel_dir" ] || lab_usage_error "--kernel is required (see --help)"
[ -z "$kernel" ] || [ -z "$kernel_dir" ] || lab_usage_error "--kernel and --kernel-dir exclude each other"
[ -z "$kernel_dir" ] || [ -s "$kernel_dir/kernel.json" ] ||
  lab_usage_error "--kernel-dir $kernel_dir: no kernel.json (make it with scripts/lab/kernel.sh)"
[ -n "$cmd" ] || lab_usage_error "--cmd is required (see --help)"
[ -n "$out" ] || lab_usage_error "--out is required (see --help)"
for n in "$timeout_s" "$boot_timeout_s" "$cpus" "$mem"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || lab_usage_error "'$n' is not a positive number"
done
case "$accel" in auto|kvm|tcg) ;; *) lab_usage_error "--accel $accel: expected auto, kvm or tcg" ;; esac
for a in ${adds[@]+"${adds[@]}"}; do
  [ -e "${a%%:*}" ] || lab_usage_error "--add ${a%%:*}: no such file"
done
out_parent=$(dirname "$out")
mkdir -p "$out_parent" 2>/dev/null && [ -w "$out_parent" ] ||
  lab_usage_error "--out $out: cannot write in $out_parent"

command -v qemu-system-x86_64 >/dev/null ||
  lab_fail "$LAB_EX_GUEST" "qemu-system-x86_64 not found (install it: scripts/deps.sh lab)"

lab_tmpdir work
kdir=$kernel_dir
if [ -z "$kdir" ]; then
  kdir="$work/kernel"
  "$LAB_DIR/kernel.sh" "$kernel" "$kdir" || exit $?
fi
label=$(jq -r .label "$kdir/kernel.json")

# The guest tree: the command, what to fetch, the tools.
root="$work/root"
mkdir -p "$root/lab" "$root/bin"
printf '%s\n' "$cmd" >"$root/lab/cmd"
printf '%s\n' ${fetches[@]+"${fetches[@]}"} >"$root/lab/fetch"
if [ -n "$tools" ]; then
  for t in "$LAB_TOP"/build/static/*; do
    [ -f "$t" ] && [ -x "$t" ] && cp "$t" "$root/bin/"
  done
fi
for a in ${adds[@]+"${adds[@]}"}; do
  src=${a%%:*} dest=/bin/$(basename "${a%%:*}")
  [ "$src" = "$a" ] || dest=${a#*:}
  mkdir -p "$root$(dirname "$dest")"
  cp -a "$src" "$root$dest"
done
"$LAB_DIR/initramfs.sh" "$root" "$work/initrd.gz"

[ "$accel" != auto ] || accel=$(LAB_ACCEL=auto "$LAB_DIR/accel.sh" "$kdir/vmlinuz")
qemu_accel=(-accel "$accel" -smp "$cpus")
if [ -n "$icount" ]; then
  # One vCPU whose clock advances one ns per instruction: slow but
  # repeatable. Not for the matrix: its no-progress windows then last
  # a fixed number of instructions, not a fixed time.
  accel=tcg qemu_accel=(-accel tcg -icount "shift=0,sleep=off" -smp 1)
fi
guest_timeout=$((timeout_s > 40 ? timeout_s - 20 : timeout_s * 2 / 3))

# 8250.nr_uarts=2: ttyS1 carries the results, and kernels built with
# SERIAL_8250_RUNTIME_UARTS=1 register only ttyS0 unless told otherwise.
# The default status is written before qemu starts: whatever happens
# next, the record says the guest died unless it proves otherwise.
res="$work/res"
mkdir -p "$res"
status=guest-died
jq -n '{status: "guest-died"}' >"$res/vm-status.json"
: >"$res/console.log"
: >"$work/serial1"
lab_note "$label: booting ($accel, timeout ${timeout_s}s)"
start_ms=$(lab_now_ms)
# qemu dies with this script even when it is killed outright (SIGKILL
# runs no trap): setpriv sets the parent-death signal before exec.
pdeathsig=()
setpriv --pdeathsig KILL true 2>/dev/null && pdeathsig=(setpriv --pdeathsig KILL --)
# shellcheck disable=SC2086 # LAB_QEMU_OPTS is a list of options
${pdeathsig[@]+"${pdeathsig[@]}"} qemu-system-x86_64 "${qemu_accel[@]}" -m "$mem" -nodefaults -display none \
  -monitor none -no-reboot ${LAB_QEMU_OPTS:-} \
  -kernel "$kdir/vmlinuz" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 8250.nr_uarts=2 no_timer_check panic=-1 splicelab.virt=qemu-$accel splicelab.timeout=$guest_timeout $append" \
  -serial "file:$res/console.log" -serial "file:$work/serial1" \
  </dev/null >"$work/qemu.log" 2>&1 &
qemu=$!
lab_on_exit "lab_stop_pid $qemu"

# show_progress: splicelab's last "[N/M] ok A blocked B" on the console
# (it redraws that line with \r on a terminal) as a line of ours, every
# 5 s while it changes, so a long matrix in a guest is not silent.
last_shown="" last_shown_ms=0
show_progress() {
  local now=$1 line
  [ $((now - last_shown_ms)) -ge 3000 ] || [ "${2:-}" = final ] || return 0
  line=$(tr '\r' '\n' <"$res/console.log" | grep -a -o '^\[[0-9]*/[0-9]*\][a-z0-9 ]*' | tail -n1 | sed 's/ *$//' || true)
  [ -n "$line" ] && [ "$line" != "$last_shown" ] || return 0
  last_shown=$line last_shown_ms=$now
  line=${line#[}
  echo "$LAB_PROG: $label: cells ${line/]/}" >&2
}

# Wait for the exit line, qemu's end or a limit, whichever comes first:
# user space within the boot limit, the result within the whole limit.
alive_ms=null
deadline=$((start_ms + timeout_s * 1000))
boot_deadline=$((start_ms + boot_timeout_s * 1000))
while :; do
  now=$(lab_now_ms)
  if [ "$alive_ms" = null ] && grep -a -q '^SPLICELAB-ALIVE' "$work/serial1"; then
    alive_ms=$((now - start_ms))
    lab_note "$label: user space up after $((alive_ms / 1000)).$((alive_ms % 1000 / 100)) s"
  fi
  [ -z "$progress" ] || [ "$alive_ms" = null ] || show_progress "$now"
  if grep -a -q '^SPLICELAB-EXIT' "$work/serial1"; then status=reported; break; fi
  kill -0 "$qemu" 2>/dev/null || break
  [ "$now" -lt "$deadline" ] || { status=timeout; break; }
  [ "$alive_ms" != null ] || [ "$now" -lt "$boot_deadline" ] || { status=no-boot; break; }
  sleep 0.2
done
# A reporting guest powers itself off; give it a moment, then make sure.
if [ "$status" = reported ]; then
  for _ in $(seq 25); do kill -0 "$qemu" 2>/dev/null || break; sleep 0.2; done
fi
lab_stop_pid "$qemu"
elapsed_ms=$(($(lab_now_ms) - start_ms))
[ -z "$progress" ] || [ "$status" != reported ] || show_progress "$elapsed_ms" final
# qemu exiting between the last look and its end can leave the frame unseen.
[ "$status" != guest-died ] || ! grep -a -q '^SPLICELAB-EXIT' "$work/serial1" || status=reported

# fail_guest WHAT: the one error line, the console's tail, a kept copy.
fail_guest() {
  local failed_dir=${LAB_FAILED_DIR:-$LAB_CACHE/failed} keep
  mkdir -p "$failed_dir"
  keep=$(mktemp -d "$failed_dir/$label-$(date +%Y%m%dT%H%M%S).XXX")
  cp "$res/console.log" "$work/qemu.log" "$keep/" 2>/dev/null || true
  echo "$LAB_PROG: $label: $1 (console: $keep/console.log)" >&2
  tail -n 12 "$res/console.log" | tr -d '\r' | sed 's/^/    console| /' >&2
  exit "$LAB_EX_GUEST"
}
panic=$(tr -d '\r' <"$res/console.log" | grep -a -m1 -E 'Kernel panic|BUG:|Oops' || true)
case "$status" in
  timeout) fail_guest "no result within ${timeout_s}s (guest hung; qemu killed)" ;;
  no-boot) fail_guest "${panic:+guest died: ${panic#*] }; }no user space within ${boot_timeout_s}s (kernel halted or hung at boot; qemu killed)" ;;
  guest-died)
    if [ -n "$panic" ]; then fail_guest "guest died: ${panic#*] }"; fi
    if [ ! -s "$res/console.log" ] && [ -s "$work/qemu.log" ]; then
      fail_guest "qemu failed: $(head -n1 "$work/qemu.log")"
    fi
    if [ ! -s "$res/console.log" ]; then
      fail_guest "qemu exited after $((elapsed_ms / 1000)) s without a line on the console (a broken image, or no built-in 8250 serial console?)"
    fi
    fail_guest "guest died before reporting (qemu exited after $((elapsed_ms / 1000)) s)" ;;
esac
"$LAB_DIR/frame-decode.sh" "$work/serial1" "$res/files" 2>"$work/frame.err" ||
  fail_guest "$(sed 's/^[^:]*: //' "$work/frame.err")"

# The guest's files, the kernel's config, the status record.
rc=$(cat "$res/files/exit-status")
mv "$res/files/cmd.log" "$res/cmd.log"
jq -Rn '[inputs | capture("^(?<k>[^=]+)=(?<v>.*)$")
         | {(.k): (.v | if . == "yes" then true elif . == "no" then false
                         else (tonumber? // .) end)}] | add' \
  "$res/files/guest-features.txt" >"$res/guest-features.json"
if [ -f "$kdir/config" ]; then cp "$kdir/config" "$res/config"
elif [ -f "$res/files/config.gz" ]; then gzip -dc "$res/files/config.gz" >"$res/config"; fi
missing=$(cat "$res/files/fetch-missing.txt" 2>/dev/null || true)
rm -f "$res/files/exit-status" "$res/files/guest-features.txt" "$res/files/config.gz" "$res/files/fetch-missing.txt"
for f in "$res/files"/* "$res/files"/.[!.]*; do [ -e "$f" ] && mv "$f" "$res/"; done
rmdir "$res/files"
uptime=$(grep -a -m1 '^SPLICELAB-ALIVE' "$work/serial1" | sed 's/.*uptime=//' | tr -d '\r')
jq -n --argjson rc "$rc" --arg accel "$accel" --arg icount "$icount" \
      --argjson alive_ms "$alive_ms" --arg uptime "$uptime" --argjson elapsed_ms "$elapsed_ms" \
      --argjson timeout_s "$timeout_s" --argjson cpus "${qemu_accel[-1]}" --argjson mem "$mem" --arg qemu "$(qemu-system-x86_64 --version | head -n1)" \
      --arg cmd "$cmd" --arg missing "$missing" --slurpfile kernel "$kdir/kernel.json" '
  {status: "ok", exit_code: $rc, accel: $accel, icount: ($icount == "yes"), cpus: $cpus, mem_mb: $mem,
   boot_to_userspace_ms: $alive_ms, guest_uptime_at_init_s: ($uptime | tonumber? // null),
   elapsed_ms: $elapsed_ms, timeout_s: $timeout_s, qemu: $qemu, cmd: $cmd,
   fetch_missing: ($missing | split("\n") | map(select(. != ""))),
   kernel: $kernel[0]}' >"$res/vm-status.json"

# Into place in one rename; an older result of the same name goes only now.
mkdir -p "$out_parent"
stage=$(mktemp -d "$out_parent/.vm-run.XXXXXX")
lab_on_exit "rm -rf '$stage'"
mv "$res" "$stage/new"
[ ! -e "$out" ] || mv "$out" "$stage/old"
mv "$stage/new" "$out"
lab_note "$label: done in $((elapsed_ms / 1000)) s, command exit $rc, results in $out"
exit "$rc"
