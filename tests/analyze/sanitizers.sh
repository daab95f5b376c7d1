#!/bin/sh
# analyze built with AddressSanitizer and UndefinedBehaviorSanitizer, run on
# good inputs (every output; load and vmsplice cells too) and bad ones: no memory error, no leak, no
# undefined behaviour, and the same bytes as the normal build.
. "$(dirname "$0")/lib.sh"
cd "$top" || fail "no $top"
cc=${CC:-gcc}
$cc -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
  -fno-omit-frame-pointer -Ianalyze -Icommon -DSPLICELAB_VERSION='"asan"' -DSPLICELAB_COMMIT='"asan"' \
  analyze/*.c common/*.c -ljansson -lpthread -o "$work/analyze-asan" 2>"$work/cc.log" ||
  fail "sanitizer build failed: $(head -n 5 "$work/cc.log")"
echo "ok - built with -fsanitize=address,undefined"
san=$work/analyze-asan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1

# run NAME STATUS ARGS...: the sanitizer build exits STATUS and reports nothing.
run() {
  name=$1 want=$2; shift 2
  timeout 120 "$san" "$@" >"$work/$name.out" 2>"$work/$name.err"
  got=$?
  grep -q 'Sanitizer\|runtime error' "$work/$name.err" &&
    { head -n 30 "$work/$name.err"; fail "$name: the sanitizers reported"; }
  expect "$got" "$want" "$name: exit status"
}
run fixtures 0 --all --markdown "$work/f.md" --html "$work/f.html" --csv "$work/f.csv" \
  "$fixtures/debian12-6.1.json" "$fixtures/synthetic-3.10.json"
"$ANALYZE" -q --markdown "$work/g.md" --html "$work/g.html" --csv "$work/g.csv" \
  "$fixtures/debian12-6.1.json" "$fixtures/synthetic-3.10.json" || fail "normal build failed"
for f in md html csv; do
  cmp "$work/f.$f" "$work/g.$f" || fail "the sanitizer build's $f differs"
done
echo "ok - same outputs as the normal build"
run committed 0 --markdown "$work/c.md" --html "$work/c.html" --csv "$work/c.csv" "$host_results" "$guest_results"
run load 0 --all --markdown "$work/l.md" --html "$work/l.html" --csv "$work/l.csv" \
  "$fixtures/load-el7-3.10.json" "$fixtures/load-host-6.18.json"
jq '.cells[0].load.user.name = 7 | .cells[0].load.pipes.sizes = [1, {"size": -1, "count": 2}]
  | .cells[0].load.per_connection = null' "$fixtures/load-el7-3.10.json" >"$work/load-bad.json"
run load_bad 0 --all --markdown "$work/lb.md" --html "$work/lb.html" --csv "$work/lb.csv" \
  "$work/load-bad.json" "$fixtures/load-host-6.18.json"
run vmsplice 0 --all --markdown "$work/v.md" --html "$work/v.html" --csv "$work/v.csv" \
  "$fixtures/vmsplice-el7-3.10.json" "$fixtures/vmsplice-host-6.18.json"
jq '.cells[0].vmsplice.at_first_refill = 7 | .cells[1].vmsplice = null
  | .cells[2].vmsplice.early_reads = "x" | .cells[3].evidence.offset = "zero"' \
  "$fixtures/vmsplice-el7-3.10.json" >"$work/vmsplice-bad.json"
run vmsplice_bad 0 --all --markdown "$work/vb.md" --html "$work/vb.html" \
  "$work/vmsplice-bad.json" "$fixtures/vmsplice-host-6.18.json"
head -c 4000 "$fixtures/debian12-6.1.json" >"$work/truncated.json"
run truncated 64 "$fixtures/debian12-6.1.json" "$work/truncated.json"
jq '.cells[3].id = .cells[0].id' "$fixtures/debian12-6.1.json" >"$work/dup.json"
run duplicate 64 "$work/dup.json" "$fixtures/debian12-6.1.json"
jq '.cells[1].kernel = {timeline: [{slots_before: 1, ret: "x"}]}' "$fixtures/debian12-6.1.json" >"$work/type.json"
run type 64 "$fixtures/debian12-6.1.json" "$work/type.json"
run usage 64 --max-cells 99 "$fixtures/debian12-6.1.json" "$fixtures/debian12-6.1.json"
# Integers at the edge of what a JSON file may hold: the plots' scaling
# (svg.c) and the release's regime (regime.c) overflowed on them.
id=$(jq -r '[.cells[] | select(.kernel)][0].id' "$fixtures/synthetic-3.10.json")
# (jq would round them to doubles: python keeps them exact.)
python3 - "$fixtures/synthetic-3.10.json" "$work/huge.json" <<'PY' || fail "could not write huge.json"
import json, sys
m = json.load(open(sys.argv[1]))
m["env"]["kernel_release"] = "99999999999999999999.99999999999999999999"
c = [c for c in m["cells"] if "kernel" in c][0]
c["per_call_bytes"] = [2**63 - 1, 1, 2**62]
c["kernel"]["timeline"][0]["slots_after"] = 2**63 - 1
c["kernel"]["timeline"][1]["bytes_after"] = 2**63 - 1
json.dump(m, open(sys.argv[2], "w"))
PY
run huge 0 --cell "$id" --markdown "$work/h.md" --html "$work/h.html" --csv "$work/h.csv" \
  "$fixtures/debian12-6.1.json" "$work/huge.json"
jq '.env.kernel_release = "4.99999999999999999999"' "$fixtures/synthetic-3.10.json" >"$work/minor.json"
run huge-minor 0 --markdown "$work/m.md" "$fixtures/debian12-6.1.json" "$work/minor.json"
grep -q 'The release, 4.99999999999999999999, is' "$work/m.md" &&
  fail "a release number out of range was placed in a regime"
echo "ok - a release number out of range is not placed in a regime"
