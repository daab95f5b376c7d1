#!/bin/sh
# make bench: runs each component's benchmark script in turn and prints its
# figures. Benchmarks measure; they never fail a build on a number.
set -u
BUILD=${BUILD:-build}
export BUILD
status=0
for script in "$@"; do
  echo "== $script"
  sh "$script" || { echo "   ($script failed with status $?)"; status=1; }
done
exit $status
