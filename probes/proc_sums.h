/* Taking the kernel's per-process sums (proc_summaries, proc_lists) out of
 * its maps: those of processes that are gone while tracing runs, so that
 * the maps hold only live processes, and all of them when it stops. */
#ifndef SPLICELAB_PROBE_PROC_SUMS_H
#define SPLICELAB_PROBE_PROC_SUMS_H

#include <stdbool.h>
#include <stddef.h>

#include "cell_summary.h"

struct splice_probe_bpf;

struct proc_sums {
	struct proc_result *items;
	size_t count, capacity;
	bool out_of_memory;
};

/* Moves the sums of processes that no longer exist (every process with
 * all) from the kernel's maps into sums. */
void proc_sums_take(struct proc_sums *sums, struct splice_probe_bpf *skel, bool all);

/* Events and calls over all the sums taken. */
void proc_sums_totals(const struct proc_sums *sums, unsigned long long *events,
		      unsigned long long *calls);

void proc_sums_free(struct proc_sums *sums);

#endif
