#!/bin/sh
# What a user reads cites only this repository or public commits and URLs:
# no output of analyze (stdout, markdown, HTML, CSV, --help), no profile
# source (--list-profiles) and no page of docs/kernel-history.md names a
# path under shared/ (a folder users do not have), and every docs/ page
# the outputs cite exists in the repository.
. "$(dirname "$0")/lib.sh"
cd "$top" || fail "no $top"
SPLICELAB=${SPLICELAB:-$top/$BUILD/splicelab}
out=$work/out
mkdir -p "$out"
"$ANALYZE" --all --markdown "$out/f.md" --html "$out/f.html" --csv "$out/f.csv" \
  "$fixtures/debian12-6.1.json" "$fixtures/synthetic-3.10.json" >"$out/f.txt" || fail "analyze exited $?"
"$ANALYZE" --markdown "$out/c.md" --html "$out/c.html" --csv "$out/c.csv" \
  "$host_results" "$guest_results" >"$out/c.txt" || fail "analyze exited $?"
"$ANALYZE" --help >"$out/help.txt" || fail "analyze --help exited $?"
"$SPLICELAB" --list-profiles >"$out/profiles.txt" || fail "splicelab --list-profiles exited $?"
"$SPLICELAB" --help >"$out/splicelab-help.txt" || fail "splicelab --help exited $?"
cp docs/kernel-history.md "$out/"
hits=$(grep -l 'shared/' "$out"/* 2>/dev/null)
[ -z "$hits" ] || fail "shared/ cited in: $hits ($(grep -h -m1 'shared/' $hits))"
echo "ok - no shared/ path in $(ls "$out" | wc -l) outputs and docs/kernel-history.md"
grep -q 'docs/kernel-history.md' "$out/f.md" || fail "the report does not cite docs/kernel-history.md"
grep -q 'docs/kernel-history.md' "$out/profiles.txt" || fail "the profiles do not cite docs/kernel-history.md"
echo "ok - the report and the profiles cite docs/kernel-history.md"
for doc in $(cat "$out"/* | grep -o 'docs/[a-z-]*\.md' | sort -u); do
  [ -f "$doc" ] || fail "$doc is cited but not in the repository"
  echo "ok - cited $doc exists"
done
# The regimes' commits are written out in full in the page the report cites.
for commit in 8924feff66f3 ee5e001196d1 be27fcfd2bfe 8ae493b5b8a3 759c01142a5d 46c4c9d1beb7; do
  grep -q "$commit" docs/kernel-history.md || fail "docs/kernel-history.md lacks $commit"
done
echo "ok - docs/kernel-history.md names the regimes', the accounting's and Go's commits"
