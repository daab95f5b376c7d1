#!/bin/bash
# Results that stay put (host runs only, no guest): a run's folder names
# the matrix it holds, so a small run never replaces a full one:
#   the default matrix -> <label>/, --preset quick -> <label>@quick/,
#   any other -> <label>@m<hash>/;
#   a folder of that name holding another matrix is not replaced (exit 1,
#   one line naming it) unless --force; the old folder is left as it was;
#   without -o the lab writes build/lab/, never the committed results/.
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$0")/lib.sh"
need_tools
res="$work/results"
small=(-s drain -n 16K)
lab -q --no-tables --probes off -o "$res" --matrix "${small[*]}" host 2>"$work/err" ||
  fail "small run: exit $?: $(cat "$work/err")"
label=$(jq -r .label "$res"/*/matrix.json)
hash=$(printf '%s\n' "${small[@]}" | sha256sum | cut -c1-8)
expect "$(ls "$res")" "$label@m$hash" "a custom matrix's folder"

# A folder named for the quick matrix but holding the small one, and one
# named for the default matrix: what an older lab, or a hand, left there.
cp -a "$res/$label@m$hash" "$res/$label@quick"
cp -a "$res/$label@m$hash" "$res/$label"
before=$(cd "$res" && find "$label" "$label@quick" -type f -exec sha256sum {} + | sort)
lab -q --no-tables --probes off -o "$res" --matrix "--preset quick" host >/dev/null 2>"$work/err"
expect "$?" 1 "quick run over a folder holding another matrix: exit status"
expect_match "$(grep FAILED "$work/err" | head -n1)" "$label@quick/ holds another matrix \(\[\"-s\",\"drain\",\"-n\",\"16K\"\], this run: \[\"--preset\",\"quick\"\]\): not replaced" \
  "quick run: says which folder and both matrices"
after=$(cd "$res" && find "$label" "$label@quick" -type f -exec sha256sum {} + | sort)
[ "$after" = "$before" ] || fail "quick run: the folders of other matrices changed"
echo "ok - quick run: the folders of other matrices are untouched ($(echo "$before" | wc -l) files)"
lab -q --no-tables --probes off --force -o "$res" --matrix "--preset quick" host 2>"$work/err" ||
  fail "--force: exit $?: $(cat "$work/err")"
expect "$(jq -r .summary.cells "$res/$label@quick/matrix.json")" 18 "--force: the quick folder now holds the quick matrix"
after=$(cd "$res" && find "$label" -type f -exec sha256sum {} + | sort)
[ "$after" = "$(echo "$before" | grep -v "@quick/")" ] || fail "--force: the default-matrix folder changed"
echo "ok - --force: the default-matrix folder is still untouched"
no_leftovers "$res" "after the runs"

# Without -o: build/lab/, not results/ (a matrix of its own, removed after).
mine=(-s drain -n 12K -p 4K)
mhash=$(printf '%s\n' "${mine[@]}" | sha256sum | cut -c1-8)
lab --no-tables --probes off --matrix "${mine[*]}" host >/dev/null 2>"$work/err" || fail "default -o: exit $?: $(cat "$work/err")"
expect "$(grep -o 'ok -> .*' "$work/err")" "ok -> build/lab/$label@m$mhash/" "without -o: where it wrote"
[ -s "$top/build/lab/$label@m$mhash/matrix.json" ] || fail "without -o: no build/lab/$label@m$mhash/matrix.json"
rm -rf "${top:?}/build/lab/$label@m$mhash"
[ ! -e "$top/results/$label@m$mhash" ] || fail "without -o: wrote results/"
echo "ok - without -o: build/lab/, nothing in results/"
