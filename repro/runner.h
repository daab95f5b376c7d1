/* Runs cells in parallel child processes and turns each into a verdict. The
 * runner never blocks on a cell: it polls the cell's shared counters and the
 * kernel's view of its threads every couple of milliseconds. */
#ifndef SPLICELAB_RUNNER_H
#define SPLICELAB_RUNNER_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "params.h"
#include "probe_session.h"

struct runner_opts {
	int jobs;
	unsigned int window_ms;
	unsigned int cell_timeout_ms;
	unsigned int repeat;
	bool progress; /* a status line on stderr */
	/* Set (to the signal's number) by a SIGINT/SIGTERM handler: no new
	 * cell starts, the running ones are killed and reaped. NULL: never. */
	volatile sig_atomic_t *stop;
	size_t *finished; /* when not NULL: runs that got their verdict */
};

/* runner_run's result when *stop was set: nothing appended to cells_out. */
#define RUNNER_STOPPED (-2)

/* Appends one JSON object per cell to cells_out, in the order given. When
 * runs_out is not NULL it receives every run's pid and time span (for the
 * probes), *nruns_out their number. Returns 0, -1 when the runner itself
 * failed (the message is already printed), or RUNNER_STOPPED. */
int runner_run(const struct cell_params *cells, size_t ncells, const struct runner_opts *opts,
	       json_t *cells_out, struct probe_run **runs_out, size_t *nruns_out);

#endif
