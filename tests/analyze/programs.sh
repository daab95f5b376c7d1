#!/bin/sh
# The report says near the top which real programs hang on which kernel,
# from the profile cells alone, and names each kernel's regime from its
# cells. Input: a real CentOS 7.9 3.10.0-1160 run (fixtures/
# el7-3.10.0-1160-quick.json: `--preset quick` in the lab, no probes: the
# kernel has no BTF) against a committed Debian 12 result; every
# expectation is read from the files with jq, not written down here.
. "$(dirname "$0")/lib.sh"
el7=$fixtures/el7-3.10.0-1160-quick.json
# The committed Debian 12 result (any kernel past 5.1 would do).
deb=$guest_results/matrix.json
"$ANALYZE" -q --markdown "$work/r.md" --html "$work/r.html" "$el7" "$deb" || fail "analyze exited $?"
md=$work/r.md
# "Near the top": before the kernels' environment table.
programs_at=$(grep -n '^## Real programs on these kernels' "$md" | cut -d: -f1)
kernels_at=$(grep -n '^## Kernels' "$md" | cut -d: -f1)
[ -n "$programs_at" ] && [ "$programs_at" -lt "$kernels_at" ] || fail "no programs section before ## Kernels"
echo "ok - the programs section comes first (line $programs_at)"
# The per-kernel summary as one line per kernel, to grep in.
summary() { # summary LETTER
  awk -v k="$1" '/^- \*\*[A-Z]: / { on = index($0, "- **" k ": ") == 1 } on && /^(- |  )/ { printf "%s ", $0 } /^$/ { on = 0 }' "$md" |
    sed 's/  */ /g'
}
letter=A
for file in "$el7" "$deb"; do
  line=$(summary $letter)
  for p in $(jq -r '[.cells[] | select(.profile) | .profile] | unique | .[]' "$file"); do
    outcomes=$(jq -r --arg p "$p" '[.cells[] | select(.profile == $p) | .outcome] | unique | join(" ")' "$file")
    # The table row: each outcome with the payloads of its cells.
    for o in $outcomes; do
      payloads=$(jq -r --arg p "$p" --arg o "$o" '[.cells[] | select(.profile == $p and .outcome == $o)] | map("\(.scenario) \(.payload)") | join(",")' "$file")
      row=$(grep "^| $p (" "$md")
      [ -n "$row" ] || fail "no table row for $p"
      col=$(echo "$row" | awk -F' [|] ' -v c=$(( $(printf '%d' "'$letter") - 64 + 1 )) '{ print $c }')
      echo "$col" | grep -q "$o: " || fail "$letter $p: '$col' lacks $o"
    done
    case " $outcomes " in
      *" blocked "*) want='Hung \(asleep in splice\):' ;;
      *" stalled "*) want='Hung \(waiting' ;;
      *" spin "*) want='Spun' ;;
      " ok ") want='Passed every byte:' ;;
      *) want='' ;;
    esac
    [ -n "$want" ] || continue
    # The profile is listed under its worst outcome: after that heading and
    # before the next one.
    echo "$line" | sed -E 's/\. ([A-Z])/\n\1/g' | grep -E "^(- \*\*[^*]*\*\*: )?$want" |
      grep -qF "(\`$p\`" || fail "$letter: $p ($outcomes) not under /$want/ in: $line"
    echo "ok - $letter: $p ($outcomes) listed under /$want/"
  done
  letter=B
done
# The real 3.10 run: the seed's C loop hangs, Go 1.21.0-1.21.4 passes for
# one connection (as the real Go 1.21.1 proxy does there), and the regime
# line names "before 4.9" from the cells.
expect "$(jq -r '[.cells[] | select(.profile == "c-rewrite") | .outcome] | unique | join(" ")' "$el7")" blocked "c-rewrite on 3.10 in the fixture"
grep -q '^\*\*kernel-3.10.0-1160.el7.x86_64\*\* matches: before 4.9: splice_to_pipe sleeps' "$md" ||
  fail "the 3.10 regime line does not say before 4.9"
echo "ok - the 3.10 run's regime: before 4.9, from its cells"
label=$(jq -r .label "$deb")
grep -q "^\*\*$label\*\* matches: 5.1 or later" "$md" || fail "the regime line of $label"
echo "ok - $label's regime: 5.1 or later"
# The HTML says the same near its top.
grep -q 'id="programs"' "$work/r.html" || fail "no programs summary in the HTML"
programs=$(grep -n 'id="programs"' "$work/r.html" | cut -d: -f1)
plots=$(grep -n '<h2>Chosen cells' "$work/r.html" | cut -d: -f1)
[ "$programs" -lt "$plots" ] || fail "the HTML's programs summary comes after the plots"
grep -A3 'id="programs"' "$work/r.html" | grep -q 'Hung (asleep in splice): the seed&#39;s C rewrite' ||
  fail "the HTML summary lacks the hung C rewrite"
echo "ok - the HTML has the programs summary before the plots"
