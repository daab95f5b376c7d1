#include "cell_summary.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "records.h"

#define LIST_LIMIT PROBE_LIST_LEN

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
	bool used;
	unsigned long long events, calls[FN_COUNT], slept_ns[PROBE_WAITS];
	unsigned int slots_total, max_slots;
	unsigned long long max_bytes;
	unsigned int unreturned; /* bit per enum probe_fn */
	struct list_point *lists[LIST_COUNT]; /* enum probe_list, LIST_LIMIT each */
	size_t list_len[LIST_COUNT];
	size_t last_next; /* LIST_LAST is a ring: where the next one goes */
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

static void add_point(struct summary *sum, enum probe_list list, const struct list_point *point)
{
	if (!sum->lists[list] && !(sum->lists[list] = malloc(LIST_LIMIT * sizeof *point)))
		return;
	if (list == LIST_LAST) {
		sum->lists[list][sum->last_next] = *point;
		sum->last_next = (sum->last_next + 1) % LIST_LIMIT;
		if (sum->list_len[list] < LIST_LIMIT)
			sum->list_len[list]++;
		return;
	}
	if (sum->list_len[list] < LIST_LIMIT)
		sum->lists[list][sum->list_len[list]++] = *point;
}

/* The first LIST_LIMIT splice_to_pipe calls, then a ring of the last ones;
 * points come in call order. */
static void add_timeline(struct summary *sum, const struct list_point *point)
{
	add_point(sum, sum->list_len[LIST_TIMELINE] < LIST_LIMIT ? LIST_TIMELINE : LIST_LAST, point);
}

/* A wait counts up to its return, or up to the cell's end when the cell's
 * end cut it short. */
static void add_slept(struct summary *sum, unsigned int fn, unsigned long long entry_ns,
		      unsigned long long until)
{
	if (until > entry_ns)
		sum->slept_ns[fn - FN_WAIT_FOR_SPACE] += until - entry_ns;
}

/* A record user space got: a streamed call, or one still in the kernel's
 * per-thread table when tracing stopped. The kernel sums up the streamed
 * ones the same way (probes/splice_probe.bpf.c, aggregate()). */
static void add_record(struct summary *sum, const struct probe_record *rec,
		       const struct cell_run *run)
{
	unsigned int fn = rec->fn < FN_COUNT ? rec->fn : 0;
	bool exited = rec->have & HAVE_EXIT;
	/* A call that returned only because the cell was killed had not
	 * returned when the cell ended. */
	bool returned = exited && !rec->killed;
	sum->events += exited ? 2 : 1;
	sum->calls[fn] += 1 + (unsigned long long)rec->folded_before;
	raise_state(sum, &rec->at_entry, rec->have & HAVE_ENTRY_PIPE, rec->have & HAVE_BYTES_ENTRY);
	if (returned)
		raise_state(sum, &rec->at_exit, rec->have & HAVE_EXIT_PIPE,
			    rec->have & HAVE_BYTES_EXIT);
	if (!returned)
		sum->unreturned |= 1u << fn;
	if (probe_fn_waits(fn))
		add_slept(sum, fn, rec->entry_ns, returned ? rec->exit_ns : run->end_ns);
	struct list_point point = {
		.entry_ns = rec->entry_ns,
		.bytes_before = rec->at_entry.bytes,
		.bytes_after = rec->at_exit.bytes,
		.ret = rec->ret,
		.slots_before = rec->at_entry.slots_used,
		.slots_after = rec->at_exit.slots_used,
		.slots_total = rec->at_entry.slots_total,
		.pages = rec->pages,
		.have = rec->have,
		.returned = returned,
	};
	if (fn == FN_TCP_SPLICE_READ && returned)
		add_point(sum, LIST_READS, &point);
	if (fn == FN_SPLICE_TO_PIPE)
		add_timeline(sum, &point);
}

static int point_order(const void *a, const void *b)
{
	const struct list_point *x = a, *y = b;
	return x->entry_ns < y->entry_ns ? -1 : x->entry_ns > y->entry_ns;
}

/* What the kernel summed up for one process of this cell. */
static void add_proc(struct summary *sum, struct proc_result *proc, const struct cell_run *run)
{
	const struct proc_summary *k = &proc->sum;
	sum->events += k->events;
	for (unsigned int fn = 0; fn < FN_COUNT; fn++)
		sum->calls[fn] += k->calls[fn];
	for (unsigned int w = 0; w < PROBE_WAITS; w++) {
		sum->slept_ns[w] += k->slept_ns[w];
		/* end - entry for each wait the end cut short */
		unsigned long long cut = k->cut_waits[w] * run->end_ns;
		if (cut > k->cut_entry_sum[w])
			sum->slept_ns[w] += cut - k->cut_entry_sum[w];
	}
	if (k->slots_total > sum->slots_total)
		sum->slots_total = k->slots_total;
	if (k->max_slots > sum->max_slots)
		sum->max_slots = k->max_slots;
	if (k->max_bytes > sum->max_bytes)
		sum->max_bytes = k->max_bytes;
	sum->unreturned |= k->unreturned;
	/* The kernel keeps its lists in return order (the ring in ring order):
	 * call order first, so that the first ones stay first. */
	for (int list = 0; list < LIST_COUNT; list++)
		if (proc->len[list])
			qsort(proc->lists[list], proc->len[list], sizeof *proc->lists[list],
			      point_order);
	for (unsigned int i = 0; i < proc->len[LIST_READS]; i++)
		add_point(sum, LIST_READS, &proc->lists[LIST_READS][i]);
	for (unsigned int i = 0; i < proc->len[LIST_TIMELINE]; i++)
		add_timeline(sum, &proc->lists[LIST_TIMELINE][i]);
	for (unsigned int i = 0; i < proc->len[LIST_LAST]; i++)
		add_timeline(sum, &proc->lists[LIST_LAST][i]);
}

/* One splice_to_pipe call: the pipe before and after, and what it returned
 * (after and ret null when it had not returned by the cell's end). */
static json_t *timeline_entry(const struct list_point *point)
{
	unsigned char have = point->have;
	if (!point->returned)
		have &= (unsigned char)~(HAVE_EXIT_PIPE | HAVE_BYTES_EXIT);
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "slots_before",
			 record_field(have, HAVE_ENTRY_PIPE, point->slots_before), "slots_after",
			 record_field(have, HAVE_EXIT_PIPE, point->slots_after), "bytes_before",
			 record_field(have, HAVE_BYTES_ENTRY, point->bytes_before), "bytes_after",
			 record_field(have, HAVE_BYTES_EXIT, point->bytes_after), "slots_total",
			 record_field(have, HAVE_ENTRY_PIPE, point->slots_total), "pages",
			 record_field(have, HAVE_PAGES, point->pages), "ret",
			 point->returned ? json_integer(point->ret) : json_null());
}

static json_t *summary_json(struct summary *sum)
{
	json_t *calls = json_object(), *slept = json_object(), *unreturned = json_array();
	json_t *reads = json_array(), *timeline = json_array(), *last = json_array();
	for (unsigned int fn = 0; fn < FN_COUNT; fn++) {
		if (sum->calls[fn])
			json_object_set_new(calls, probe_fn_names[fn],
					    json_integer((json_int_t)sum->calls[fn]));
		if (probe_fn_waits(fn) && sum->calls[fn])
			json_object_set_new(
				slept, probe_fn_names[fn],
				json_integer((json_int_t)sum->slept_ns[fn - FN_WAIT_FOR_SPACE]));
		if (sum->unreturned & (1u << fn))
			json_array_append_new(unreturned, json_string(probe_fn_names[fn]));
	}
	/* Call order (the ring's too). */
	for (int list = 0; list < LIST_COUNT; list++)
		if (sum->list_len[list])
			qsort(sum->lists[list], sum->list_len[list], sizeof *sum->lists[list],
			      point_order);
	for (size_t i = 0; i < sum->list_len[LIST_READS]; i++)
		json_array_append_new(reads, json_integer(sum->lists[LIST_READS][i].ret));
	for (size_t i = 0; i < sum->list_len[LIST_TIMELINE]; i++)
		json_array_append_new(timeline, timeline_entry(&sum->lists[LIST_TIMELINE][i]));
	for (size_t i = 0; i < sum->list_len[LIST_LAST]; i++)
		json_array_append_new(last, timeline_entry(&sum->lists[LIST_LAST][i]));
	return json_pack("{s:I, s:i, s:i, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "events",
			 (json_int_t)sum->events, "slots_total", (int)sum->slots_total,
			 "max_slots_used", (int)sum->max_slots, "max_bytes_in_pipe",
			 (json_int_t)sum->max_bytes, "calls", calls, "unreturned", unreturned,
			 "slept_ns", slept, "read_bytes_per_call", reads, "timeline", timeline,
			 "timeline_last", last);
}

static int proc_order(const void *a, const void *b)
{
	const struct proc_result *x = a, *y = b;
	return x->sum.first_ns < y->sum.first_ns ? -1 : x->sum.first_ns > y->sum.first_ns;
}

json_t *cell_summaries(const struct run_table *table, const struct probe_record *records,
		       size_t count, struct proc_result *procs, size_t nprocs)
{
	size_t ncells = 0;
	for (size_t i = 0; i < table->count; i++)
		if (table->runs[i].cell + 1 > ncells)
			ncells = table->runs[i].cell + 1;
	struct summary *sums = calloc(ncells ? ncells : 1, sizeof *sums);
	if (!sums)
		return NULL;
	for (size_t i = 0; i < table->count; i++)
		sums[table->runs[i].cell].used = true;
	/* The kernel's per-process sums first, in the order the processes ran
	 * (their lists come before the calls still pending at the stop). */
	if (nprocs)
		qsort(procs, nprocs, sizeof *procs, proc_order);
	for (size_t i = 0; i < nprocs; i++) {
		struct probe_record first = {.pid = procs[i].key.tgid, .entry_ns = procs[i].sum.first_ns};
		const struct cell_run *run = run_of(table, &first);
		if (run)
			add_proc(&sums[run->cell], &procs[i], run);
	}
	for (size_t i = 0; i < count; i++) {
		const struct cell_run *run = run_of(table, &records[i]);
		if (run)
			add_record(&sums[run->cell], &records[i], run);
	}
	json_t *all = json_object();
	for (size_t cell = 0; cell < ncells; cell++) {
		if (sums[cell].used) {
			char key[32];
			snprintf(key, sizeof key, "%zu", cell);
			json_object_set_new(all, key, summary_json(&sums[cell]));
		}
		for (int list = 0; list < LIST_COUNT; list++)
			free(sums[cell].lists[list]);
	}
	free(sums);
	return all;
}
