/* The cell process of a --relay-cmd cell (relay_cmd_cell.c). */
#ifndef SPLICELAB_RELAY_CMD_CELL_H
#define SPLICELAB_RELAY_CMD_CELL_H

#include "cell.h"
#include "params.h"

/* Runs in the forked cell, as the cell's user; never returns. */
_Noreturn void relay_cmd_main(const struct cell_params *params, struct cell_shared *shared);

#endif
