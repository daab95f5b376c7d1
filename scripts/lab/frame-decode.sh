#!/bin/bash
# frame-decode.sh SERIAL DEST: unpack the result frame the guest wrote to
# its second serial port (see guest-init.sh) into DEST. The header carries
# the byte count and sha256 of the archive, so a frame cut short by a
# dying guest or a killed qemu is reported, never half-unpacked.
# Exit 0 unpacked; 1 with one line on stderr saying what is wrong.
set -euo pipefail
# shellcheck source=scripts/lab/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || lab_usage_error "usage: frame-decode.sh SERIAL DEST"
serial=$1 dest=$2

header=$(tr -d '\r' <"$serial" | grep -a -m1 '^SPLICELAB-FRAME ' || true)
[ -n "$header" ] || lab_fail 1 "no result frame on the guest's serial port"
want_bytes=$(echo "$header" | sed -n 's/.* bytes=\([0-9]*\).*/\1/p')
want_sha=$(echo "$header" | sed -n 's/.* sha256=\([0-9a-f]*\).*/\1/p')
tr -d '\r' <"$serial" | grep -a -q '^SPLICELAB-FRAME-END' ||
  lab_fail 1 "result frame truncated (no end marker)"

lab_tmpdir tmp
tr -d '\r' <"$serial" |
  awk '/^SPLICELAB-FRAME-END/ { exit } inside { print } /^SPLICELAB-FRAME / { inside = 1 }' |
  base64 -d >"$tmp/out.tar.gz" 2>/dev/null || lab_fail 1 "result frame is not valid base64"
got_bytes=$(wc -c <"$tmp/out.tar.gz")
[ "$got_bytes" = "$want_bytes" ] ||
  lab_fail 1 "result frame damaged: $got_bytes bytes, header says $want_bytes"
[ "$(lab_sha256 "$tmp/out.tar.gz")" = "$want_sha" ] ||
  lab_fail 1 "result frame damaged: sha256 differs from the header"
mkdir -p "$dest"
tar -xzf "$tmp/out.tar.gz" -C "$dest" --no-same-owner
