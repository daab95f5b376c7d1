/* Runs cells in parallel child processes and turns each into a verdict. The
 * runner never blocks on a cell: it polls the cell's shared counters and the
 * kernel's view of its threads every couple of milliseconds. */
#ifndef SPLICELAB_RUNNER_H
#define SPLICELAB_RUNNER_H

#include <jansson.h>
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
};

/* Appends one JSON object per cell to cells_out, in the order given. When
 * runs_out is not NULL it receives every run's pid and time span (for the
 * probes), *nruns_out their number. Returns 0, or -1 when the runner itself
 * failed (the message is already printed). */
int runner_run(const struct cell_params *cells, size_t ncells, const struct runner_opts *opts,
	       json_t *cells_out, struct probe_run **runs_out, size_t *nruns_out);

#endif
