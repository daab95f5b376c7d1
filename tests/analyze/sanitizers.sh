#!/bin/sh
# analyze built with AddressSanitizer and UndefinedBehaviorSanitizer, run on
# good inputs (every output) and bad ones: no memory error, no leak, no
# undefined behaviour, and the same bytes as the normal build.
. "$(dirname "$0")/lib.sh"
cd "$top" || fail "no $top"
cc=${CC:-gcc}
$cc -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
  -fno-omit-frame-pointer -Ianalyze -Irepro -DSPLICELAB_VERSION='"asan"' -DSPLICELAB_COMMIT='"asan"' \
  analyze/*.c repro/params.c repro/version.c -ljansson -lpthread -o "$work/analyze-asan" 2>"$work/cc.log" ||
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
head -c 4000 "$fixtures/debian12-6.1.json" >"$work/truncated.json"
run truncated 64 "$fixtures/debian12-6.1.json" "$work/truncated.json"
jq '.cells[3].id = .cells[0].id' "$fixtures/debian12-6.1.json" >"$work/dup.json"
run duplicate 64 "$work/dup.json" "$fixtures/debian12-6.1.json"
jq '.cells[1].kernel = {timeline: [{slots_before: 1, ret: "x"}]}' "$fixtures/debian12-6.1.json" >"$work/type.json"
run type 64 "$fixtures/debian12-6.1.json" "$work/type.json"
run usage 64 --max-cells 99 "$fixtures/debian12-6.1.json" "$fixtures/debian12-6.1.json"
