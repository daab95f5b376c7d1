/* One cell: a child process holding a client, the relay under test and a
 * sink, all on loopback. The parent watches it through struct cell_shared
 * (cell_shared.h); the cell drives one relay (relay_kind.h). */
#ifndef SPLICELAB_CELL_H
#define SPLICELAB_CELL_H

#include "cell_shared.h"
#include "loopback.h"
#include "params.h"
#include "vmsplice.h"


/* Runs in the forked child; never returns. request_fd is the read end of the
 * pipe on which the parent asks the monitor for a fresh queue sample. */
_Noreturn void cell_main(const struct cell_params *params, struct cell_shared *shared,
			 int request_fd);



#endif
