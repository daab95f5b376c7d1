#!/bin/sh
# Parallelism changes no verdict: the quick preset one at a time and four
# at a time give the same outcome for every cell.
. "$(dirname "$0")/lib.sh"
run_matrix "$work/j1" --preset quick -j 1
run_matrix "$work/j4" --preset quick -j 4
expect "$(q "$work/j4" '[.cells[] | .id + "=" + .outcome] | join("\n")')" \
  "$(q "$work/j1" '[.cells[] | .id + "=" + .outcome] | join("\n")')" "outcomes with -j1 and -j4"
