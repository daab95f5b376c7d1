#!/bin/bash
# lab.sh: the kernel lab behind `make lab`. Runs the same matrix on each
# kernel asked for (this host natively, every other kernel under qemu with
# vm-run.sh) and gives each one results/<label>/, complete or not at all.
set -euo pipefail
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
  cat <<'EOF'
usage: scripts/lab/lab.sh [options] [KERNEL...] [-- SPLICELAB-OPTIONS]

Runs splicelab's matrix on each KERNEL and writes RESULTS/<label>/ (for the
default matrix; RESULTS/<label>@quick/, @profiles, @throughput or @m<hash> for another,
so a small run never replaces a full one):
  matrix.json           the matrix (schema splicelab.matrix/1)
  table.txt             splicelab's table of it
  provenance.json       the kernel (source, package and version, sha256 of
                        the image), qemu version and accelerator, boot time,
                        splicelab commit, the exact commands
  config                the kernel's config, when found
  events.jsonl          kernel probe events, when probes ran
  console.log, guest-features.json, cmd.log (guests only: the serial
                        console, what the kernel offers, the command's stderr)
Each folder appears complete or not at all; an older one of the same name
is replaced only then, and only when it holds the same matrix (--force:
whatever it holds). The tables are printed at the end, then the comparison
of this run's kernels (build/splicelab-analyze), also written to
RESULTS/compare/ (not when RESULTS is the committed results/: that one is
make compare's).

KERNEL (default: host debian12):
  host              this machine's kernel, natively (build/splicelab)
  debian12          Debian 12's current linux-image-6.1.0-*-amd64, fetched
                    with apt-get download and cached
  FILE.deb          a Debian/Ubuntu kernel image package
  FILE.rpm          a CentOS/RHEL/Fedora kernel package
  FILE              a bzImage / vmlinuz
  KERNEL:btf=BTF    with the BTF the probes need on kernels without their
                    own (CentOS 7, most 4.x): a BTF file, a vmlinux with
                    DWARF or a kernel-debuginfo .rpm / -dbg .deb (turned
                    into BTF with pahole). A file btf-<release> beside
                    bzImage-<release> is used without asking.
Guests run with built-in drivers only (no modules); see README, Kernel lab.

Options:
  -m, --matrix 'OPTS'   splicelab options (the default matrix when none),
                        split into words as sh would ('...', "..." and \
                        quote; nothing is expanded); same as words after --
      --add FILE[:DEST] put FILE into every guest (repeatable; make lab
                        LAB_ADD="FILE..."): a program goes to /bin/NAME, on
                        the guest's PATH, or to DEST. A --relay-cmd whose
                        program is an added one ('/bin/NAME ...' or 'NAME
                        ...') runs FILE itself on the host (the matrix
                        check, the host kernel), named NAME in cell ids
                        like in the guests, so the cells join
  -o, --results DIR     where the <label>/ folders go [build/lab; results/
                        holds the committed reference results]
      --force           replace a folder that holds another matrix
  -j, --jobs N          kernels run at once [LAB_JOBS or 1]
      --btf FILE        KERNEL:btf=FILE for the one guest kernel named (make lab BTF=FILE)
      --probes WHEN     auto, on, off [LAB_PROBES or auto]: pass --probe to
                        splicelab; auto does so where the probe tool was
                        built (build/static/splicelab-probe for guests,
                        build/splicelab-probe for the host)
      --timeout S       bound on each guest, boot to results [LAB_TIMEOUT or 600]
      --boot-timeout S  bound on a guest reaching user space [120]
      --accel A         auto, kvm, tcg [LAB_ACCEL or auto]
      --cpus N          guest CPUs [host CPUs]   --mem MB  guest memory [1024]
      --append ARGS     extra guest kernel command line
      --no-tables       do not print the tables at the end
  -q, --quiet           no progress lines
  -h, --help            this text
Environment: LAB_CACHE (downloads and unpacked kernels [.cache/lab]),
LAB_FAILED_DIR (consoles of failed guests [$LAB_CACHE/failed]).
Exit: 0 every kernel gave results; 1 at least one failed (each failure is
named at the end, with its console's tail above); 64 bad usage or input
(one line; nothing run, nothing written); 130 interrupted (no qemu left,
no partial folder).
EOF
}

top=$LAB_TOP
export LAB_PROG  # the helpers' messages then start with "lab:" too
jobs=${LAB_JOBS:-1} probes=${LAB_PROBES:-auto} results="$top/build/lab" force=""
timeout_s=${LAB_TIMEOUT:-600} vm_opts=() tables=yes kernels=() matrix=()
btf_opt="" progress=yes add_src=() add_dest=()
need_arg() { [ $# -ge 2 ] || lab_usage_error "$1 needs a value (see --help)"; }
# matrix_words TEXT: TEXT's words appended to matrix, quoted as sh quotes
# them but never expanded (xargs's reading of words: no $, no globs).
matrix_words() {
  local list
  [ -n "${1//[[:space:]]/}" ] || return 0
  list=$(printf '%s' "$1" | LC_ALL=C xargs -r printf '%s\n' 2>/dev/null) ||
    lab_usage_error "--matrix $1: a quote is not closed"
  mapfile -t -O "${#matrix[@]}" matrix <<<"$list"
}
# add_file FILE[:DEST]: one more file for the guests.
add_file() {
  local src=${1%%:*} dest
  src=${src/#\~\//$HOME/} # the shell expands ~ only at the start of a word
  dest=/bin/$(basename "$src")
  [[ "$1" != *:* ]] || dest=${1#*:}
  [ -e "$src" ] || lab_usage_error "--add $src: no such file"
  [[ "$dest" == /?* ]] || lab_usage_error "--add $1: the guest path must be absolute"
  # A program lands on the guest's PATH; anything else needs its DEST.
  if [[ "$1" != *:* ]] && { [ ! -f "$src" ] || [ ! -x "$src" ]; }; then
    lab_usage_error "--add $src: not an executable file (a data file needs FILE:DEST)"
  fi
  [ -r "$src" ] || lab_usage_error "--add $src: cannot read it"
  add_src+=("$(cd "$(dirname "$src")" && pwd)/$(basename "$src")") add_dest+=("$dest")
}
while [ $# -gt 0 ]; do
  case "$1" in
    -m|--matrix) need_arg "$@"; matrix_words "$2"; shift ;;
    --add) need_arg "$@"; add_file "$2"; shift ;;
    -o|--results) need_arg "$@"; results=$2; shift ;;
    -j|--jobs) need_arg "$@"; jobs=$2; shift ;;
    --probes) need_arg "$@"; probes=$2; shift ;;
    --btf) need_arg "$@"; btf_opt=$2; shift ;;
    --timeout) need_arg "$@"; timeout_s=$2; shift ;;
    --boot-timeout|--cpus|--mem)
      need_arg "$@"; [[ "$2" =~ ^[1-9][0-9]*$ ]] || lab_usage_error "$1 $2: expected a positive number"
      vm_opts+=("$1" "$2"); shift ;;
    --accel)
      need_arg "$@"; case "$2" in auto|kvm|tcg) ;; *) lab_usage_error "--accel $2: expected auto, kvm or tcg" ;; esac
      vm_opts+=("$1" "$2"); shift ;;
    --append) need_arg "$@"; vm_opts+=("$1" "$2"); shift ;;
    --no-tables) tables="" ;;
    --force) force=yes ;;
    -q|--quiet) LAB_QUIET=yes progress=""; export LAB_QUIET ;;
    -h|--help) usage; exit 0 ;;
    --) shift; matrix+=("$@"); break ;;
    -*) lab_usage_error "unknown option '$1' (see --help)" ;;
    *) kernels+=("$1") ;;
  esac
  shift
done
[ ${#kernels[@]} -gt 0 ] || kernels=(host debian12)
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || lab_usage_error "--jobs $jobs: expected a positive number"
[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || lab_usage_error "--timeout $timeout_s: expected a positive number"
case "$probes" in auto|on|off) ;; *) lab_usage_error "--probes $probes: expected auto, on or off" ;; esac
# The lab decides where results go and what they are called.
for w in ${matrix[@]+"${matrix[@]}"}; do
  case "$w" in
    -o|--out|--out=*|-L|--label|--label=*|--virt|--virt=*|--json|--probe|--probe-btf|--probe-btf=*|--list|--list-profiles|-h|--help)
      lab_usage_error "matrix option $w: the lab sets it (see --help; --probes for probes)" ;;
  esac
done
for b in splicelab static/splicelab; do
  [ -x "$top/build/$b" ] || lab_fail 1 "build/$b missing: run make first"
done

# quote WORD...: the words as one line that sh (busybox's too) reads back
# as the same words.
quote() {
  local w out="" sq="'" esc="'\\''"
  for w in "$@"; do
    if [[ "$w" =~ ^[A-Za-z0-9_./:=,+@%-]+$ ]]; then out+=" $w"; else out+=" '${w//$sq/$esc}'"; fi
  done
  printf '%s' "${out# }"
}

# host_relay_cmd TEXT: a --relay-cmd as the host runs it, in host_cmd: an
# added program, named by its guest path or by its name on the guest's
# PATH, is run from where it is here; host_name is then the name the
# guests' cells get (the base name of the guest path).
host_relay_cmd() {
  local prog=${1%%[[:space:]]*} a
  host_cmd=$1
  for a in ${add_dest[@]+"${!add_dest[@]}"}; do
    if [ "$prog" = "${add_dest[a]}" ] || [ "/bin/$prog" = "${add_dest[a]}" ]; then
      host_cmd="$(quote "${add_src[a]}")${1:${#prog}}" host_name=$(basename "${add_dest[a]}")
      return
    fi
  done
}
# host_matrix: the matrix as the host runs it (its check, the host kernel).
host_matrix=() host_name="" named=""
for ((w = 0; w < ${#matrix[@]}; w++)); do
  case "${matrix[w]}" in
    --relay-cmd) host_matrix+=(--relay-cmd); w=$((w + 1))
                 [ "$w" -ge ${#matrix[@]} ] || { host_relay_cmd "${matrix[w]}"; host_matrix+=("$host_cmd"); } ;;
    --relay-cmd=*) host_relay_cmd "${matrix[w]#--relay-cmd=}"; host_matrix+=("--relay-cmd=$host_cmd") ;;
    --relay-name|--relay-name=*) named=yes host_matrix+=("${matrix[w]}") ;;
    *) host_matrix+=("${matrix[w]}") ;;
  esac
done
[ -z "$host_name" ] || [ -n "$named" ] || host_matrix+=(--relay-name "$host_name")

work=""
lab_tmpdir work
# Bad matrix options are found here, before anything boots.
if ! "$top/build/splicelab" ${host_matrix[@]+"${host_matrix[@]}"} --list >/dev/null 2>"$work/matrix.err"; then
  why=$(head -n1 "$work/matrix.err" | sed 's/^splicelab: //')
  # A program only the guests have is given to them, and then found here.
  [[ "$why" != "--relay-cmd: "*" is not an executable file"* ]] || why="${why% (see --help)} (a program of yours: --add FILE, make lab LAB_ADD=FILE)"
  lab_usage_error "matrix options: $why"
fi
# The folder names the matrix it holds, unless it is the default one.
case "${matrix[*]-}" in
  "") suffix="" ;;
  "--preset quick"|"--preset=quick") suffix=@quick ;;
  "--preset profiles"|"--preset=profiles") suffix=@profiles ;;
  "--preset throughput"|"--preset=throughput") suffix=@throughput ;;
  *) suffix=@m$(printf '%s\n' "${matrix[@]}" | sha256sum | cut -c1-8) ;;
esac
# matrix_of PROVENANCE: the matrix a folder holds, as splicelab's options
# without the ones the lab sets (compared before a folder is replaced).
matrix_of() {
  jq -c '[foreach .matrix_argv[1:][] as $w ({skip: false};
            if .skip then {skip: false, out: null}
            elif ($w | IN("--label", "-L", "--virt", "-o", "--out", "--probe-btf")) then {skip: true, out: null}
            elif $w == "--probe" then {skip: false, out: null}
            else {skip: false, out: $w} end; .out) | select(. != null)]' "$1" 2>/dev/null || echo unknown
}
# regen_spec I: kernel I as the regenerate command names it (base names
# only: provenance carries no path of this machine).
regen_spec() {
  local s
  s=$(jq -r .spec "$work/k$1/kernel/kernel.json" 2>/dev/null || echo "${spec[$1]}")
  [ -z "${btf_src[$1]}" ] || [ -n "$(jq -r '.btf.from | select(. == "beside the image")' "$work/k$1/kernel/kernel.json")" ] ||
    s+=":btf=$(basename "${btf_src[$1]}")"
  quote "$s"
}

# Per kernel i: spec[i], kind[i] (host|guest), label[i], failed[i] (why),
# btf_src[i] (the :btf= part, or --btf).
n=${#kernels[@]}
spec=() kind=() label=() folder=() failed=() pid=() btf_src=()
guests=0
for k in "${kernels[@]}"; do [ "$k" = host ] || guests=$((guests + 1)); done
[ -z "$btf_opt" ] || [ "$guests" -eq 1 ] ||
  lab_usage_error "--btf/BTF= names the BTF of one kernel, but $guests guest kernels are asked for: use KERNEL:btf=FILE"
for ((i = 0; i < n; i++)); do
  spec[i]=${kernels[i]} failed[i]="" label[i]="" pid[i]="" btf_src[i]=""
  case "${spec[i]}" in
    *:btf=*) btf_src[i]=${spec[i]##*:btf=} spec[i]=${spec[i]%:btf=*}
             [ -n "${btf_src[i]}" ] || lab_usage_error "${kernels[i]}: btf= needs a file"
             # The shell expands ~ only at the start of the whole word.
             btf_src[i]=${btf_src[i]/#\~\//$HOME/} ;;
  esac
  mkdir -p "$work/k$i"
  if [ "${spec[i]}" = host ]; then
    [ -z "${btf_src[i]}" ] || lab_usage_error "host:btf=: the host's probes use the host's BTF (splicelab --probe-btf FILE to give one)"
    kind[i]=host; continue
  fi
  kind[i]=guest
  if [ -n "$btf_opt" ]; then
    [ -z "${btf_src[i]}" ] || lab_usage_error "${kernels[i]}: BTF given twice (:btf= and --btf)"
    btf_src[i]=$btf_opt
  fi
  # Resolving every kernel first turns bad input into one line before
  # anything boots; a failed download fails only that kernel.
  rc=0
  "$LAB_DIR/kernel.sh" "${spec[i]}" "$work/k$i/kernel" ${btf_src[i]:+"${btf_src[i]}"} || rc=$?
  [ "$rc" -ne "$LAB_EX_USAGE" ] || exit "$LAB_EX_USAGE"
  if [ "$rc" -ne 0 ]; then failed[i]="could not get the kernel (see above)"; continue; fi
  label[i]=$(jq -r .label "$work/k$i/kernel/kernel.json") folder[i]=${label[i]}$suffix
  # A warning, not a refusal: the boot says for sure.
  if [ -f "$work/k$i/kernel/config" ]; then
    lacks=$("$LAB_DIR/config-check.sh" "$work/k$i/kernel/config" 2>/dev/null |
            awk '$1 == "required" && $3 == "NO" { sub(/^CONFIG_/, "", $2); print $2 }' | paste -sd' ' || true)
    [ -z "$lacks" ] || echo "lab: ${label[i]}: not built in: $lacks; the guest may not boot or report (scripts/lab/config-check.sh)" >&2
  fi
  for ((j = 0; j < i; j++)); do
    [ "${label[j]}" != "${label[i]}" ] ||
      lab_usage_error "${spec[j]} and ${spec[i]} are the same kernel (${label[i]}); name it once"
  done
done
hosts=0
for k in "${spec[@]}"; do [ "$k" != host ] || hosts=$((hosts + 1)); done
[ "$hosts" -le 1 ] || lab_usage_error "host is named twice"

# Only now, with the input known good, does anything appear in RESULTS.
# Folders are assembled in the stage folder beside them (one file system,
# so moving one into place is a rename).
if ! mkdir -p "$results" 2>/dev/null || [ ! -w "$results" ]; then
  lab_usage_error "--results $results: cannot write there"
fi
results=$(cd "$results" && pwd)
# The command that makes a folder again: where it went, when that is in
# the checkout and not the default (never a path outside it).
out_opt=()
case "$results" in
  "$top/build/lab") ;;
  "$top"/*) out_opt=(-o "${results#"$top/"}") ;;
esac
# The added files, by name (provenance names no path of this machine).
add_opts=()
for a in ${add_dest[@]+"${!add_dest[@]}"}; do
  add_opts+=(--add "$(basename "${add_src[a]}"):${add_dest[a]}")
done
added_json=$(for a in ${add_dest[@]+"${!add_dest[@]}"}; do
               printf '%s\t%s\t%s\n' "${add_dest[a]}" "$(basename "${add_src[a]}")" "$(lab_sha256 "${add_src[a]}")"
             done | jq -Rn '[inputs | split("\t") | {path: .[0], from: .[1], sha256: .[2]}]')
lab_cmd=$(quote "scripts/lab/lab.sh" ${out_opt[@]+"${out_opt[@]}"} ${vm_opts[@]+"${vm_opts[@]}"} \
  ${add_opts[@]+"${add_opts[@]}"} ${matrix[@]+--matrix "$(quote "${matrix[@]}")"})
# A guest's folder is known now: refuse before booting rather than after.
if [ -z "$force" ]; then
  this=$(jq -cn '$ARGS.positional' --args -- ${matrix[@]+"${matrix[@]}"})
  for ((i = 0; i < n; i++)); do
    [ "${kind[i]}" = guest ] && [ -n "${label[i]}" ] && [ -e "$results/${folder[i]}/provenance.json" ] || continue
    old=$(matrix_of "$results/${folder[i]}/provenance.json")
    [ "$old" = "$this" ] ||
      lab_usage_error "${results#"$top/"}/${folder[i]}/ holds another matrix ($old, this run: $this): not replaced (--force, or FORCE=1 for make lab, replaces it)"
  done
fi
stage=$(mktemp -d "$results/.lab-stage.XXXXXX")
lab_on_exit "rm -rf '$stage'"

# want_probes KIND: whether this run passes --probe to splicelab.
want_probes() {
  case "$probes" in
    on) return 0 ;;
    off) return 1 ;;
  esac
  if [ "$1" = host ]; then [ -x "$top/build/splicelab-probe" ]; else [ -x "$top/build/static/splicelab-probe" ]; fi
}

# start I: run kernel I in the background; its pid goes to pid[I].
start() {
  local i=$1 probe=() cmd vm_adds=() a
  started_at[i]=$(date -u +%Y-%m-%dT%H:%M:%SZ) start_ms[i]=$(lab_now_ms)
  if want_probes "${kind[i]}"; then
    probe=(--probe)
    # The kernel's BTF goes in beside the tools, for splicelab-probe --btf.
    if [ "${kind[i]}" = guest ] && [ -s "$work/k$i/kernel/btf" ]; then
      probe+=(--probe-btf /lab/btf) vm_adds=(--add "$work/k$i/kernel/btf:/lab/btf")
    fi
  fi
  if [ "${kind[i]}" = host ]; then
    lab_note "${spec[i]}: running the matrix natively"
    # Run where its output goes, so params.argv names no temporary path.
    mkdir "$stage/run$i"
    host_argv[i]=$(quote build/splicelab ${host_matrix[@]+"${host_matrix[@]}"} ${probe[@]+"${probe[@]}"} --virt native -o .)
    (cd "$stage/run$i" && exec -a splicelab "$top/build/splicelab" ${host_matrix[@]+"${host_matrix[@]}"} \
      ${probe[@]+"${probe[@]}"} --virt native -o .) >"$work/k$i/table.txt" &
  else
    # The label is passed on, or the guest's initramfs os-release would
    # name the run. LAB_VIRT is set by the guest's init.
    # splicelab's stderr is the serial console, a terminal, so it shows its
    # progress there; vm-run.sh --progress turns that into progress lines.
    cmd="$(quote splicelab ${matrix[@]+"${matrix[@]}"} ${probe[@]+"${probe[@]}"} --label "${label[i]}") --virt \"\$LAB_VIRT\" -o res >table.txt 2>/dev/ttyS0"
    lab_note "${label[i]}: booting under qemu"
    for a in ${add_dest[@]+"${!add_dest[@]}"}; do vm_adds+=(--add "${add_src[a]}:${add_dest[a]}"); done
    TMPDIR="$work/k$i" "$LAB_DIR/vm-run.sh" -q ${progress:+--progress} --kernel-dir "$work/k$i/kernel" \
      --cmd "$cmd" --fetch res --fetch table.txt --out "$stage/run$i" --timeout "$timeout_s" \
      ${vm_adds[@]+"${vm_adds[@]}"} ${vm_opts[@]+"${vm_opts[@]}"} 2> >(tee "$work/k$i/stderr" >&2) &
  fi
  pid[i]=$!
}

# host_config FILE: the host kernel's config into FILE; prints where it
# came from, or null.
host_config() {
  if [ -r /proc/config.gz ]; then gzip -dc /proc/config.gz >"$1" && echo /proc/config.gz
  elif [ -r "/boot/config-$(uname -r)" ]; then cp "/boot/config-$(uname -r)" "$1" && echo "/boot/config-$(uname -r)"
  else echo null; fi
}

# finish I RC: file kernel I's results (or its failure).
finish() {
  local i=$1 rc=$2 run dest lbl config_from image elapsed_ms
  run="$stage/run$i"
  elapsed_ms=$(($(lab_now_ms) - start_ms[i]))
  if [ "${kind[i]}" = host ]; then
    if [ "$rc" -ne 0 ] || [ ! -s "$run/matrix.json" ]; then
      failed[i]="splicelab exited with status $rc"
      return
    fi
    lbl=$(jq -r .label "$run/matrix.json")
    label[i]=$lbl folder[i]=$lbl$suffix dest="$stage/$lbl"
    for ((j = 0; j < n; j++)); do
      [ "$j" = "$i" ] || [ "${label[j]}" != "$lbl" ] || { failed[i]="same label as ${spec[j]} ($lbl)"; return; }
    done
    mv "$run" "$dest"
    mv "$work/k$i/table.txt" "$dest/table.txt"
    config_from=$(host_config "$dest/config")
    [ "$config_from" != null ] || rm -f "$dest/config"
    image="/boot/vmlinuz-$(uname -r)"
    jq -n --arg release "$(uname -r)" --arg version "$(uname -v)" --arg config_from "$config_from" \
          --arg image "$image" --arg image_sha256 "$( [ -r "$image" ] && lab_sha256 "$image" || echo null)" '
      def nul: if . == "null" then null else . end;
      {source: "host", spec: "host", release: $release, version: $version,
       image: (if $image_sha256 == "null" then null else $image end), image_sha256: ($image_sha256 | nul),
       config_from: ($config_from | nul)}' >"$work/k$i/kernel.json"
    jq -n --arg elapsed_ms "$elapsed_ms" --arg argv "${host_argv[i]}" \
      '{where: "host", virt: "native", elapsed_ms: ($elapsed_ms | tonumber), splicelab_command: $argv}' \
      >"$work/k$i/run.json"
  else
    if [ "$rc" -eq "$LAB_EX_GUEST" ] || [ ! -d "$run" ]; then
      failed[i]=$(grep -a '^lab: ' "$work/k$i/stderr" | tail -n1 | sed 's/^lab: //' || true)
      failed[i]=${failed[i]:-vm-run.sh exited with status $rc}
      return
    fi
    if [ "$rc" -ne 0 ] || [ ! -s "$run/res/matrix.json" ]; then
      failed[i]="${label[i]}: splicelab in the guest exited with status $rc"
      echo "lab: ${failed[i]}; its output:" >&2
      # Its stderr went to the console, among the kernel's lines.
      { tr '\r' '\n' <"$run/console.log" | grep -a '^splicelab'; cat "$run/cmd.log"; } |
        tail -n 12 | sed 's/^/    guest| /' >&2
      return
    fi
    dest="$stage/${label[i]}"
    mv "$run/res" "$dest"
    for f in table.txt console.log config guest-features.json; do
      [ ! -e "$run/$f" ] || mv "$run/$f" "$dest/"
    done
    [ ! -s "$run/cmd.log" ] || mv "$run/cmd.log" "$dest/"
    jq '{where: "qemu", virt: ("qemu-" + .accel), accel, icount, cpus, mem_mb, qemu,
         boot_to_userspace_ms, guest_uptime_at_init_s, elapsed_ms, timeout_s,
         guest_command: .cmd}' "$run/vm-status.json" >"$work/k$i/run.json"
    jq .kernel "$run/vm-status.json" >"$work/k$i/kernel.json"
    rm -rf "$run"
    no_btf_note "$i" "$dest"
  fi
  # The table's last line names where the guest wrote; name the real place.
  sed -i "s|written to .*/matrix.json\$|written to ${results#"$top/"}/${folder[i]}/matrix.json|" "$dest/table.txt"
  provenance "$i" >"$dest/provenance.json"
  # An older folder of the name holding another matrix (a full reference
  # run, say) is not silently replaced by this one.
  if [ -e "$results/${folder[i]}" ] && [ -z "$force" ]; then
    local old new
    old=$(matrix_of "$results/${folder[i]}/provenance.json") new=$(matrix_of "$dest/provenance.json")
    if [ "$old" != "$new" ]; then
      failed[i]="${results#"$top/"}/${folder[i]}/ holds another matrix ($old, this run: $new): not replaced (--force, or FORCE=1 for make lab, replaces it)"
      return
    fi
  fi
  # Into place in one rename; an older folder of the name goes only now.
  [ ! -e "$results/${folder[i]}" ] || mv "$results/${folder[i]}" "$stage/old.$i"
  mv "$dest" "$results/${folder[i]}"
  rm -rf "$stage/old.$i"
  lab_note "${label[i]}: $(jq -r --slurpfile p "$results/${folder[i]}/provenance.json" '
    (.summary | to_entries | map(select(.key != "cells" and .value > 0) | "\(.key) \(.value)") | join(" "))
    + " in \($p[0].run.elapsed_ms / 100 | round / 10) s"
    + if $p[0].run.boot_to_userspace_ms then " (user space after \($p[0].run.boot_to_userspace_ms / 100 | round / 10) s)"
      else "" end' "$results/${folder[i]}/matrix.json") -> ${results#"$top/"}/${folder[i]}/"
}

# no_btf_note I DIR: when the probes were wanted but did not run because
# the kernel has no BTF and none was given, say so in one line (and in
# provenance's run.probes_note): the probes need one, and how to get it.
no_btf_note() {
  local i=$1 dir=$2 why
  want_probes guest || return 0
  [ ! -s "$work/k$i/kernel/btf" ] || return 0
  [ "$(jq -r .btf_vmlinux "$dir/guest-features.json" 2>/dev/null)" = false ] || return 0
  [ "$(jq -r .env.probes.mode "$dir/matrix.json")" = none ] || return 0
  why="no probes: this kernel has no BTF of its own; give the lab one: KERNELS=\"$(jq -r .spec "$work/k$i/kernel/kernel.json"):btf=FILE\" with a btf-<release> file (BTFHub), a vmlinux with DWARF or its kernel-debuginfo package (README, Kernel lab)"
  echo "lab: ${label[i]}: $why" >&2
  jq --arg why "$why" '.probes_note = $why' "$work/k$i/run.json" >"$work/k$i/run.json.new"
  mv "$work/k$i/run.json.new" "$work/k$i/run.json"
}

# provenance I: provenance.json of kernel I.
provenance() {
  local i=$1 matrix_json dirty=false
  matrix_json="$stage/${label[i]}/matrix.json"
  git -C "$top" diff --quiet HEAD 2>/dev/null || dirty=true
  jq -n --arg lbl "${label[i]}" --slurpfile kernel "$work/k$i/kernel.json" \
        --slurpfile run "$work/k$i/run.json" --slurpfile m "$matrix_json" \
        --arg started_at "${started_at[i]}" \
        --arg repo_commit "$(git -C "$top" rev-parse HEAD 2>/dev/null || echo unknown)" \
        --argjson dirty "$dirty" \
        --arg regenerate "$lab_cmd $(if [ "${kind[i]}" = host ]; then echo host; else regen_spec "$i"; fi)" \
        --arg lab_host "$(uname -r)" --arg probes "$probes" --argjson added "$added_json" '
    {schema: "splicelab.lab/1", "label": $lbl, kernel: $kernel[0],
     run: ($run[0] + {started_at: $started_at, probes_asked: $probes,
                      probes_mode: $m[0].env.probes.mode}),
     splicelab: ($m[0].tool + {repo_commit: $repo_commit, repo_dirty: $dirty}),
     matrix_argv: $m[0].params.argv,
     lab_host_kernel: $lab_host,
     regenerate: $regenerate} + if $added == [] then {} else {added: $added} end'
}

# Stop what still runs on any way out (registered last, so it runs first:
# before the work and stage folders go). vm-run.sh stops its qemu on TERM.
# shellcheck disable=SC2317 # run by the EXIT trap
stop_running() {
  local i
  for ((i = 0; i < n; i++)); do [ -z "${pid[i]}" ] || kill -TERM "${pid[i]}" 2>/dev/null || true; done
  for ((i = 0; i < n; i++)); do
    [ -n "${pid[i]}" ] || continue
    for _ in $(seq 100); do kill -0 "${pid[i]}" 2>/dev/null || break; sleep 0.1; done
    lab_stop_pid "${pid[i]}"
  done
}
lab_on_exit stop_running

started_at=() start_ms=() host_argv=()
next=0 running=()
while :; do
  while [ ${#running[@]} -lt "$jobs" ] && [ "$next" -lt "$n" ]; do
    if [ -z "${failed[next]}" ]; then start "$next"; running+=("${pid[next]}"); fi
    next=$((next + 1))
  done
  [ ${#running[@]} -gt 0 ] || break
  rc=0
  wait -n -p done_pid "${running[@]}" || rc=$?
  for ((i = 0; i < n; i++)); do [ "${pid[i]}" != "$done_pid" ] || break; done
  pid[i]=""
  left=()
  for p in "${running[@]}"; do [ "$p" = "$done_pid" ] || left+=("$p"); done
  running=(${left[@]+"${left[@]}"})
  finish "$i" "$rc"
  [ -z "${failed[i]}" ] || echo "lab: ${spec[i]}: FAILED: ${failed[i]}" >&2
done

ok=()
for ((i = 0; i < n; i++)); do [ -n "${failed[i]}" ] || ok+=("$i"); done
if [ -n "$tables" ]; then
  for i in ${ok[@]+"${ok[@]}"}; do
    echo
    echo "== ${spec[i]}: ${label[i]} ($(jq -r '.run.virt + (if .run.boot_to_userspace_ms then ", user space after \(.run.boot_to_userspace_ms / 100 | round / 10) s" else "" end)' "$results/${folder[i]}/provenance.json"))"
    cat "$results/${folder[i]}/table.txt"
  done
fi
# The comparison, when analyze/ is built and there is something to compare.
if [ -x "$top/build/splicelab-analyze" ] && [ ${#ok[@]} -ge 2 ]; then
  files=()
  for i in "${ok[@]}"; do files+=("$results/${folder[i]}/matrix.json"); done
  echo
  compare_out=()
  [ "$results" = "$top/results" ] ||
    compare_out=(--markdown "$results/compare/report.md" --html "$results/compare/report.html" --csv "$results/compare/joined.csv")
  [ ${#compare_out[@]} -eq 0 ] || mkdir -p "$results/compare"
  "$top/build/splicelab-analyze" ${compare_out[@]+"${compare_out[@]}"} "${files[@]}" ||
    echo "lab: splicelab-analyze exited with status $?" >&2
elif [ "$results" != "$top/results" ]; then
  # A comparison left by an earlier run would describe other folders.
  rm -rf "$results/compare"
fi

echo >&2
status=0
for ((i = 0; i < n; i++)); do
  if [ -n "${failed[i]}" ]; then
    echo "lab: ${spec[i]}: FAILED: ${failed[i]}" >&2; status=1
  else
    echo "lab: ${spec[i]}: ok -> ${results#"$top/"}/${folder[i]}/" >&2
  fi
done
exit "$status"
