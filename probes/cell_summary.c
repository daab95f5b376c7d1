#include "cell_summary.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "records.h"

#define LIST_LIMIT 64

static int run_order(const void *a, const void *b)
{
	const struct cell_run *x = a, *y = b;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

int run_table_read(const char *path, struct run_table *table)
{
	FILE *file = fopen(path, "r");
	size_t capacity = 0;
	char *line = NULL;
	size_t line_cap = 0;
	memset(table, 0, sizeof *table);
	if (!file)
		return -1;
	while (getline(&line, &line_cap, file) > 0) {
		struct cell_run run = {0};
		char id[1024];
		if (sscanf(line, "%u %llu %llu %zu %1023s", &run.pid, &run.start_ns, &run.end_ns,
			   &run.cell, id) != 5)
			continue;
		if (table->count == capacity) {
			capacity = capacity ? capacity * 2 : 256;
			struct cell_run *runs = realloc(table->runs, capacity * sizeof *runs);
			if (!runs)
				break;
			table->runs = runs;
		}
		run.id = strdup(id);
		table->runs[table->count++] = run;
	}
	free(line);
	fclose(file);
	if (table->count)
		qsort(table->runs, table->count, sizeof *table->runs, run_order);
	return 0;
}

void run_table_free(struct run_table *table)
{
	for (size_t i = 0; i < table->count; i++)
		free(table->runs[i].id);
	free(table->runs);
	memset(table, 0, sizeof *table);
}

/* Process ids are reused, never while a run is alive: the latest run of
 * this pid that had started by the call's entry. */
const struct cell_run *run_of(const struct run_table *table, const struct probe_record *rec)
{
	size_t lo = 0, hi = table->count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct cell_run *run = &table->runs[mid];
		if (run->pid < rec->pid || (run->pid == rec->pid && run->start_ns <= rec->entry_ns))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || table->runs[lo - 1].pid != rec->pid)
		return NULL;
	return &table->runs[lo - 1];
}

struct summary {
	unsigned long long events, calls[FN_COUNT], slept_ns[FN_COUNT];
	unsigned int slots_total, max_slots;
	unsigned long long max_bytes;
	unsigned int unreturned; /* bit per enum probe_fn */
	json_t *read_bytes, *timeline;
};

static void raise_state(struct summary *sum, const struct pipe_state *state, bool have_pipe,
			bool have_bytes)
{
	if (have_pipe) {
		if (state->slots_total > sum->slots_total)
			sum->slots_total = state->slots_total;
		if (state->slots_used > sum->max_slots)
			sum->max_slots = state->slots_used;
	}
	if (have_bytes && state->bytes > sum->max_bytes)
		sum->max_bytes = state->bytes;
}

/* One splice_to_pipe call: the pipe before and after, and what it returned
 * (after and ret null when it had not returned by the cell's end). */
static json_t *timeline_entry(const struct probe_record *rec, bool returned)
{
	unsigned char have = rec->have;
	if (!returned)
		have &= (unsigned char)~(HAVE_EXIT_PIPE | HAVE_BYTES_EXIT);
	const struct pipe_state *before = &rec->at_entry, *after = &rec->at_exit;
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			 "slots_before", record_field(have, HAVE_ENTRY_PIPE, before->slots_used),
			 "slots_after", record_field(have, HAVE_EXIT_PIPE, after->slots_used),
			 "bytes_before", record_field(have, HAVE_BYTES_ENTRY, before->bytes),
			 "bytes_after", record_field(have, HAVE_BYTES_EXIT, after->bytes),
			 "slots_total", record_field(have, HAVE_ENTRY_PIPE, before->slots_total),
			 "pages", record_field(have, HAVE_PAGES, rec->pages),
			 "ret", returned ? json_integer(rec->ret) : json_null());
}

static void add_record(struct summary *sum, const struct probe_record *rec,
		       const struct cell_run *run)
{
	unsigned int fn = rec->fn < FN_COUNT ? rec->fn : 0;
	bool exited = rec->have & HAVE_EXIT;
	/* A call that returned only when the cell was killed had not returned. */
	bool returned = exited && rec->exit_ns <= run->end_ns;
	sum->events += exited ? 2 : 1;
	sum->calls[fn] += 1 + (unsigned long long)rec->folded_before;
	raise_state(sum, &rec->at_entry, rec->have & HAVE_ENTRY_PIPE, rec->have & HAVE_BYTES_ENTRY);
	if (returned)
		raise_state(sum, &rec->at_exit, rec->have & HAVE_EXIT_PIPE,
			    rec->have & HAVE_BYTES_EXIT);
	if (!returned)
		sum->unreturned |= 1u << fn;
	if (probe_fn_waits(fn)) {
		unsigned long long until = returned ? rec->exit_ns : run->end_ns;
		if (until > rec->entry_ns)
			sum->slept_ns[fn] += until - rec->entry_ns;
	}
	if (fn == FN_TCP_SPLICE_READ && returned && json_array_size(sum->read_bytes) < LIST_LIMIT)
		json_array_append_new(sum->read_bytes, json_integer(rec->ret));
	if (fn == FN_SPLICE_TO_PIPE && json_array_size(sum->timeline) < LIST_LIMIT)
		json_array_append_new(sum->timeline, timeline_entry(rec, returned));
}

static json_t *summary_json(struct summary *sum)
{
	json_t *calls = json_object(), *slept = json_object(), *unreturned = json_array();
	for (int fn = 0; fn < FN_COUNT; fn++) {
		if (sum->calls[fn])
			json_object_set_new(calls, probe_fn_names[fn],
					    json_integer((json_int_t)sum->calls[fn]));
		if (probe_fn_waits((unsigned int)fn) && sum->calls[fn])
			json_object_set_new(slept, probe_fn_names[fn],
					    json_integer((json_int_t)sum->slept_ns[fn]));
		if (sum->unreturned & (1u << fn))
			json_array_append_new(unreturned, json_string(probe_fn_names[fn]));
	}
	return json_pack("{s:I, s:i, s:i, s:I, s:o, s:o, s:o, s:o, s:o}", "events",
			 (json_int_t)sum->events, "slots_total", (int)sum->slots_total,
			 "max_slots_used", (int)sum->max_slots, "max_bytes_in_pipe",
			 (json_int_t)sum->max_bytes, "calls", calls, "unreturned", unreturned,
			 "slept_ns", slept, "read_bytes_per_call", sum->read_bytes, "timeline",
			 sum->timeline);
}

json_t *cell_summaries(const struct run_table *table, const struct probe_record *records,
		       size_t count)
{
	size_t ncells = 0;
	for (size_t i = 0; i < table->count; i++)
		if (table->runs[i].cell + 1 > ncells)
			ncells = table->runs[i].cell + 1;
	struct summary *sums = calloc(ncells ? ncells : 1, sizeof *sums);
	if (!sums)
		return NULL;
	for (size_t i = 0; i < table->count; i++) {
		struct summary *sum = &sums[table->runs[i].cell];
		if (!sum->timeline) {
			sum->read_bytes = json_array();
			sum->timeline = json_array();
		}
	}
	for (size_t i = 0; i < count; i++) {
		const struct cell_run *run = run_of(table, &records[i]);
		if (run)
			add_record(&sums[run->cell], &records[i], run);
	}
	json_t *all = json_object();
	for (size_t cell = 0; cell < ncells; cell++) {
		if (!sums[cell].timeline)
			continue;
		char key[32];
		snprintf(key, sizeof key, "%zu", cell);
		json_object_set_new(all, key, summary_json(&sums[cell]));
	}
	free(sums);
	return all;
}
