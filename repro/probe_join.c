/* Joins the probe tool's events to the cells that caused them (by process id
 * and time), tags each event with its cell id and sums each cell up in its
 * `kernel` object (docs/schema.md). Streams the file: one event in memory at
 * a time, plus each cell's running summary. */
#include "probe_session.h"

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIST_LIMIT 64

/* A cell's running summary. Calls in flight are kept per (thread, function)
 * until their exit line or the end of the file. */
struct cell_summary {
	json_t *kernel;	 /* the object being built */
	json_t *pending; /* "tid/fn" -> the entry line, with "_end_ns" of its run */
	json_t *unreturned;
};

static int run_order(const void *a, const void *b)
{
	const struct probe_run *x = a, *y = b;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

/* The run of this process that had started by ts: process ids are reused,
 * never while a run is alive. */
static const struct probe_run *find_run(const struct probe_run *runs, size_t nruns, pid_t pid,
					uint64_t ts)
{
	size_t lo = 0, hi = nruns;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (runs[mid].pid < pid || (runs[mid].pid == pid && runs[mid].start_ns <= ts))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || runs[lo - 1].pid != pid)
		return NULL;
	return &runs[lo - 1];
}

static void add_to(json_t *object, const char *key, json_int_t amount)
{
	json_int_t now = json_integer_value(json_object_get(object, key));
	json_object_set_new(object, key, json_integer(now + amount));
}

static void raise_to(json_t *object, const char *key, json_t *value)
{
	if (json_is_integer(value) &&
	    json_integer_value(value) > json_integer_value(json_object_get(object, key)))
		json_object_set(object, key, value);
}

static bool is_wait(const char *fn)
{
	return strcmp(fn, "wait_for_space") == 0 || strcmp(fn, "pipe_wait") == 0 ||
	       strcmp(fn, "pipe_wait_writable") == 0;
}

static void append_limited(json_t *list, json_t *value)
{
	if (json_array_size(list) < LIST_LIMIT)
		json_array_append(list, value);
	json_decref(value);
}

static void mark_unreturned(struct cell_summary *sum, const char *fn)
{
	size_t i;
	json_t *seen;
	json_array_foreach(sum->unreturned, i, seen)
		if (strcmp(json_string_value(seen), fn) == 0)
			return;
	json_array_append_new(sum->unreturned, json_string(fn));
}

/* A call that had not returned when its cell ended: where the relay was. */
static void close_unreturned(struct cell_summary *sum, json_t *entry, const char *fn)
{
	mark_unreturned(sum, fn);
	json_int_t end_ns = json_integer_value(json_object_get(entry, "_end_ns"));
	json_int_t ts = json_integer_value(json_object_get(entry, "ts_ns"));
	if (is_wait(fn) && end_ns > ts)
		add_to(json_object_get(sum->kernel, "slept_ns"), fn, end_ns - ts);
	if (strcmp(fn, "splice_to_pipe") == 0)
		append_limited(json_object_get(sum->kernel, "timeline"),
			       json_pack("{s:O, s:n, s:O, s:n, s:O, s:O, s:n}", "slots_before",
					 json_object_get(entry, "slots_used"), "slots_after",
					 "bytes_before", json_object_get(entry, "bytes_in_pipe"),
					 "bytes_after", "slots_total",
					 json_object_get(entry, "slots_total"), "pages",
					 json_object_get(entry, "pages"), "ret"));
}

static void on_entry_line(struct cell_summary *sum, json_t *event, const char *key, const char *fn,
		     uint64_t end_ns)
{
	add_to(json_object_get(sum->kernel, "calls"), fn, 1);
	json_t *entry = json_deep_copy(event);
	json_object_set_new(entry, "_end_ns", json_integer((json_int_t)end_ns));
	json_t *before = json_object_get(sum->pending, key);
	if (before) /* an entry whose exit was never seen: count it as such */
		close_unreturned(sum, before, fn);
	json_object_set_new(sum->pending, key, entry);
}

static void on_exit_line(struct cell_summary *sum, json_t *event, const char *key, const char *fn)
{
	json_t *entry = json_object_get(sum->pending, key);
	if (!entry)
		return;
	json_int_t end_ns = json_integer_value(json_object_get(entry, "_end_ns"));
	json_int_t ts = json_integer_value(json_object_get(event, "ts_ns"));
	/* Identical -EAGAIN calls folded away before this one. */
	add_to(json_object_get(sum->kernel, "calls"), fn,
	       json_integer_value(json_object_get(event, "folded_before")));
	if (ts > end_ns) { /* returned only when the cell was killed */
		close_unreturned(sum, entry, fn);
		json_object_del(sum->pending, key);
		return;
	}
	json_t *kernel = sum->kernel;
	if (is_wait(fn))
		add_to(json_object_get(kernel, "slept_ns"), fn,
		       json_integer_value(json_object_get(event, "wait_ns")));
	if (strcmp(fn, "tcp_splice_read") == 0)
		append_limited(json_object_get(kernel, "read_bytes_per_call"),
			       json_copy(json_object_get(event, "ret")));
	if (strcmp(fn, "splice_to_pipe") == 0)
		append_limited(json_object_get(kernel, "timeline"),
			       json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "slots_before",
					 json_object_get(entry, "slots_used"), "slots_after",
					 json_object_get(event, "slots_used"), "bytes_before",
					 json_object_get(entry, "bytes_in_pipe"), "bytes_after",
					 json_object_get(event, "bytes_in_pipe"), "slots_total",
					 json_object_get(event, "slots_total"), "pages",
					 json_object_get(entry, "pages"), "ret",
					 json_object_get(event, "ret")));
	json_object_del(sum->pending, key);
}

static void summarise(struct cell_summary *sum, json_t *event, uint64_t end_ns)
{
	const char *fn = json_string_value(json_object_get(event, "fn"));
	const char *phase = json_string_value(json_object_get(event, "phase"));
	if (!fn || !phase)
		return;
	json_t *kernel = sum->kernel;
	add_to(kernel, "events", 1);
	raise_to(kernel, "slots_total", json_object_get(event, "slots_total"));
	raise_to(kernel, "max_slots_used", json_object_get(event, "slots_used"));
	raise_to(kernel, "max_bytes_in_pipe", json_object_get(event, "bytes_in_pipe"));
	char key[64];
	snprintf(key, sizeof key, "%lld/%s",
		 (long long)json_integer_value(json_object_get(event, "tid")), fn);
	if (strcmp(phase, "entry") == 0)
		on_entry_line(sum, event, key, fn, end_ns);
	else
		on_exit_line(sum, event, key, fn);
}

static void finish(struct cell_summary *sum)
{
	const char *key;
	json_t *entry;
	json_object_foreach(sum->pending, key, entry)
		close_unreturned(sum, entry, strchr(key, '/') + 1);
	json_object_set(sum->kernel, "unreturned", sum->unreturned);
	json_decref(sum->pending);
	json_decref(sum->unreturned);
}

static json_t *new_kernel(void)
{
	return json_pack("{s:i, s:i, s:i, s:i, s:{}, s:[], s:{}, s:[], s:[]}", "events", 0,
			 "slots_total", 0, "max_slots_used", 0, "max_bytes_in_pipe", 0, "calls",
			 "unreturned", "slept_ns", "read_bytes_per_call", "timeline");
}

int probe_session_join(const char *events_path, const struct probe_run *runs_in, size_t nruns,
		       json_t *cells)
{
	size_t ncells = json_array_size(cells);
	char tmp[PATH_MAX];
	FILE *in = fopen(events_path, "r");
	if (!in)
		return -1;
	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", events_path) >= (int)sizeof tmp) {
		fclose(in);
		return -1;
	}
	int fd = mkstemp(tmp);
	if (fd >= 0)
		fchmod(fd, 0644); /* as matrix.json */
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
	struct probe_run *runs = malloc((nruns ? nruns : 1) * sizeof *runs);
	struct cell_summary *sums = calloc(ncells ? ncells : 1, sizeof *sums);
	int rc = (!out || !runs || !sums) ? -1 : 0;
	if (!out && fd >= 0)
		close(fd);
	if (rc == 0) {
		memcpy(runs, runs_in, nruns * sizeof *runs);
		qsort(runs, nruns, sizeof *runs, run_order);
	}

	char *line = NULL;
	size_t cap = 0;
	while (rc == 0 && getline(&line, &cap, in) > 0) {
		json_t *event = json_loads(line, 0, NULL);
		if (!event)
			continue;
		const struct probe_run *run = find_run(
			runs, nruns, (pid_t)json_integer_value(json_object_get(event, "pid")),
			(uint64_t)json_integer_value(json_object_get(event, "ts_ns")));
		if (run && run->cell < ncells) {
			json_t *cell = json_array_get(cells, run->cell);
			json_object_set(event, "cell", json_object_get(cell, "id"));
			struct cell_summary *sum = &sums[run->cell];
			if (!sum->kernel) {
				sum->kernel = new_kernel();
				sum->pending = json_object();
				sum->unreturned = json_array();
			}
			summarise(sum, event, run->end_ns);
		} else {
			json_object_set_new(event, "cell", json_null());
		}
		if (json_dumpf(event, out, JSON_COMPACT) < 0 || fputc('\n', out) == EOF)
			rc = -1;
		json_decref(event);
	}
	free(line);
	fclose(in);
	for (size_t i = 0; sums && i < ncells; i++) {
		if (!sums[i].kernel)
			continue;
		finish(&sums[i]);
		json_object_set_new(json_array_get(cells, i), "kernel", sums[i].kernel);
	}
	/* A cell the probes saw nothing of still says so. */
	for (size_t i = 0; rc == 0 && i < ncells; i++)
		if (!json_object_get(json_array_get(cells, i), "kernel"))
			json_object_set_new(json_array_get(cells, i), "kernel", new_kernel());
	free(sums);
	free(runs);
	if (out && fclose(out) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, events_path) == 0)
		return 0;
	if (fd >= 0)
		unlink(tmp);
	return -1;
}
