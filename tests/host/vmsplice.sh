#!/bin/sh
# vmsplice cells on this kernel: the sender vmsplices its own memory into a
# pipe, splices it into a loopback socket and rewrites that memory; the
# reader reads each chunk only after the rewrite. Asserted for every cell:
# the verdict holds across repeats, and it is `corrupt` exactly when the
# kernel still held the rewritten pages (the bad bytes are the later data
# written into the same memory, at offset 0, while the reader's queue held
# the chunk). And what this kernel (6.x) did per variant: over TCP every
# variant corrupts, the seed's SIOCOUTQ wait too (SIOCOUTQ read 0 at the
# rewrite: the peer had acknowledged, and its receive queue still shared the
# pages); over a unix socket SIOCOUTQ counts unread bytes, and that wait is ok.
. "$(dirname "$0")/lib.sh"
run_matrix "$work/r" -s vmsplice -t tcp4,unix -r 2
expect "$(q "$work/r" '[.cells[] | select(.scenario == "vmsplice")] | length')" 8 "cells"
expect "$(q "$work/r" '[.cells[] | select(.runs.consistent | not)] | length')" 0 \
  "cells whose repeats disagreed"
expect "$(q "$work/r" '[.cells[] | select(.bytes_moved != .payload)] | length')" 0 \
  "cells that did not splice their whole payload"
expect "$(q "$work/r" '[.cells[] | select(.vmsplice.early_reads != 0)] | length')" 0 \
  "cells whose reader had to read before the rewrite (a full socket)"
for id in $(q "$work/r" '.cells[].id'); do
  c=".cells[] | select(.id == \"$id\")"
  outcome=$(q "$work/r" "$c | .outcome")
  queued=$(q "$work/r" "$c | .vmsplice.at_first_refill.reader_queued")
  if [ "$outcome" = corrupt ]; then
    expect "$(q "$work/r" "$c | .evidence.offset")" 0 "$id: first bad offset"
    expect "$(q "$work/r" "$c | .vmsplice.replaced_by_offset % .vmsplice.ring_bytes")" 0 \
      "$id: the bad bytes are later data of the same memory (offset modulo the ring)"
    # Rewritten at once, the chunk may still be on its way (queue 0).
    case $id in *siocoutq*) expect_gt "$queued" 0 "$id: bytes in the reader's queue at the rewrite" ;; esac
  else
    expect "$outcome" ok "$id: outcome"
    expect "$queued" 0 "$id: bytes in the reader's queue at the rewrite"
  fi
done
for reuse in at-once siocoutq gift double; do
  expect "$(q "$work/r" ".cells[] | select(.id | endswith(\"tcp4,pipe=64K,payload=128K,chunk=16K,reuse=$reuse\")) | .outcome")" \
    corrupt "tcp4 $reuse"
done
expect "$(q "$work/r" '.cells[] | select(.id | endswith("tcp4,pipe=64K,payload=128K,chunk=16K,reuse=siocoutq")) | .vmsplice.at_first_refill.sender_unacked')" \
  0 "tcp4 siocoutq: SIOCOUTQ at the rewrite"
expect "$(q "$work/r" '.cells[] | select(.id | endswith("unix,pipe=64K,payload=128K,chunk=16K,reuse=siocoutq")) | .outcome')" \
  ok "unix siocoutq"
expect "$(q "$work/r" '.cells[] | select(.id | endswith("reuse=gift")) | .flags[0]' | sort -u)" GIFT \
  "gift cells' vmsplice flags"

# Bad input: one line, exit 64, nothing written.
for args in "--reuse sometimes -s vmsplice" "--reuse at-once"; do
  # shellcheck disable=SC2086 # the words of one case
  "$SPLICELAB" -q -o "$work/bad" $args 2>"$work/err"
  rc=$?
  expect "$rc" 64 "exit status of splicelab $args"
  expect "$(wc -l <"$work/err")" 1 "lines on stderr for $args"
  [ ! -e "$work/bad" ] || fail "$args wrote $work/bad"
done
