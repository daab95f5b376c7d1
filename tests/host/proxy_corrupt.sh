#!/bin/sh
# A sink that flips one byte is caught at exactly that offset.
. "$(dirname "$0")/lib.sh"
run_matrix "$work/r" -s proxy -n 1M --corrupt-at 777777
expect "$(q "$work/r" '.cells[0].outcome')" corrupt "outcome"
expect "$(q "$work/r" '.cells[0].evidence.offset')" 777777 "first bad offset"
expect "$(q "$work/r" '.cells[0].bytes_verified')" 777777 "bytes verified before it"
exp=$(q "$work/r" '.cells[0].evidence.expected')
got=$(q "$work/r" '.cells[0].evidence.got')
[ "$exp" -eq $(( got ^ 255 )) ] || fail "got $got is not expected $exp flipped"
echo "ok - got is expected with every bit flipped"
