/* Under the matrix runner: which cell each record belongs to (by process id
 * and time) and each cell's `kernel` summary (docs/schema.md), from what
 * the kernel summed up per process, or from the records themselves. */
#ifndef SPLICELAB_PROBE_CELL_SUMMARY_H
#define SPLICELAB_PROBE_CELL_SUMMARY_H

#include <jansson.h>
#include <stddef.h>

#include "splice_probe.h"

/* One run of one cell, as the runner lists them: "PID START END INDEX ID". */
struct cell_run {
	unsigned int pid;
	unsigned long long start_ns, end_ns; /* end: the verdict, before the kill */
	size_t cell;			     /* the cell's index in matrix.json */
	char *id;
};

struct run_table {
	struct cell_run *runs; /* sorted by pid, then start */
	size_t count;
};

/* Reads the runner's table; -1 with errno on failure. */
int run_table_read(const char *path, struct run_table *table);

void run_table_free(struct run_table *table);

/* The run a record belongs to, or NULL. */
const struct cell_run *run_of(const struct run_table *table, const struct probe_record *rec);

/* What the kernel summed up for one process (struct proc_summary), with
 * its lists (len[list] points each, enum probe_list). */
struct proc_result {
	struct proc_key key;
	struct proc_summary sum;
	struct list_point *lists[LIST_COUNT];
	unsigned int len[LIST_COUNT];
};

/* {"INDEX": kernel summary, ...} for every cell with a run, from the
 * kernel's per-process sums and records sorted by entry time: either every
 * record streamed (and no sums), or the sums and the records still in the
 * kernel's per-thread table when tracing stopped; both give one summary.
 * Sorts procs by first call. */
json_t *cell_summaries(const struct run_table *table, const struct probe_record *records,
		       size_t count, struct proc_result *procs, size_t nprocs);

#endif
