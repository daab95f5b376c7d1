#!/bin/sh
# Runs without --out never touch results/ (the committed reference results):
# they go to build/runs/<label>[@<matrix>], named after the matrix they
# hold. A folder holding another matrix, or make lab's results, is
# replaced only with --force; the same matrix again replaces it as before.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
ref=$(ls -d "$top"/results/*/ | while read -r d; do [ -f "$d/provenance.json" ] && echo "$d" && break; done)
[ -n "$ref" ] || skip "no committed results folder with provenance.json to copy"
repo="$work/repo" label=L
mkdir -p "$repo/results" && cp -r "$ref" "$repo/results/$label"
sums() { (cd "$repo/results" && find . -type f | sort | xargs sha256sum | sha256sum | cut -c1-16); }
before=$(sums)
cd "$repo" || fail "cd $repo"

# The README's own examples: a preset and a custom grid.
"$SPLICELAB" -q --label $label --preset quick || fail "--preset quick exited $?"
expect "$(sums)" "$before" "results/ after --preset quick without --out"
expect "$(q build/runs/$label@quick .params.matrix)" quick "build/runs/$label@quick holds the quick matrix"
expect "$(q build/runs/$label@quick .summary.cells)" "$(q build/runs/$label@quick '.cells | length')" "its summary counts its cells"
"$SPLICELAB" -q --label $label -s drain -n 4K,64K || fail "custom grid exited $?"
expect "$(sums)" "$before" "results/ after a custom grid without --out"
custom=$(cd build/runs && ls -d $label@grid-*)
expect_match "$custom" "^$label@grid-[0-9a-f]{8}\$" "a custom grid's folder"
expect "$(q "build/runs/$custom" .params.matrix)" "${custom#$label@}" "params.matrix names the folder's matrix"
# The same grid asked for differently (a config file) is the same matrix.
printf 'payload = 64K, 4K\nscenario = drain\n' >"$work/grid.conf"
"$SPLICELAB" -q --label $label --config "$work/grid.conf" || fail "the same grid from --config exited $?"
expect "$(cd build/runs && ls -d $label@grid-*)" "$custom" "the same grid from --config goes to the same folder"
expect "$(ls build/runs | wc -l)" 2 "folders in build/runs"

# -o into a folder of another matrix, or into make lab's results: refused.
refused() { # refused WHAT DIR ARGS...
  what=$1 dir=$2; shift 2
  "$SPLICELAB" -q -o "$dir" "$@" 2>"$work/stderr"
  rc=$?
  expect "$rc" 64 "$what: exit status"
  expect "$(wc -l <"$work/stderr")" 1 "$what: lines on stderr"
  expect_match "$(cat "$work/stderr")" "--force" "$what: the message"
}
refused "quick over the reference results" "results/$label" --preset quick
# make lab's folder, even for the matrix it holds (its provenance.json,
# table.txt and config would describe another run).
cp -r "results/$label" "$work/lab" && cp "build/runs/$label@quick/matrix.json" "$work/lab/"
refused "the same matrix over make lab's folder" "$work/lab" --preset quick
refused "a custom grid over the quick folder" "build/runs/$label@quick" -s drain -n 4K
expect "$(sums)" "$before" "results/ after the refusals"
expect "$(q build/runs/$label@quick .params.matrix)" quick "the quick folder after the refusal"
# The same matrix again replaces as before; --force replaces anything.
"$SPLICELAB" -q -o "build/runs/$custom" -s drain -n 4K,64K || fail "the same grid into its folder exited $?"
"$SPLICELAB" -q -o "build/runs/$label@quick" -s drain -n 4K --force || fail "--force exited $?"
expect "$(q build/runs/$label@quick '.cells | length')" 1 "--force replaced the quick folder"
# Help and README say where runs go.
"$SPLICELAB" --help | grep -q 'build/runs/<label>' || fail "--help does not say where runs go"
grep -q 'build/runs/<label>' "$top/README.md" || fail "README does not say where runs go"
echo "ok - --help and README say where runs go"
