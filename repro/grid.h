/* Expands the asked-for grid (options, preset) into the list of cells. */
#ifndef SPLICELAB_GRID_H
#define SPLICELAB_GRID_H

#include <stddef.h>

#include "options.h"
#include "params.h"

/* Returns a malloc'd array of cells in grid order and their number, or NULL
 * (with *count 0) when nothing is left or memory ran out. */
struct cell_params *grid_expand(const struct matrix_spec *spec, size_t *count);

/* One line on stderr for each kind of default-grid load cell this runner
 * leaves out (no user nobody; not root), when the spec is the default grid. */
void grid_note_left_out(const struct matrix_spec *spec);

#endif
