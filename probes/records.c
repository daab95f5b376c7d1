#include "records.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach.h"
#include "cell_summary.h"

int record_log_add(struct record_log *log, const struct probe_record *rec)
{
	if (log->count == log->capacity) {
		size_t capacity = log->capacity ? log->capacity * 2 : 4096;
		struct probe_record *items = realloc(log->items, capacity * sizeof *items);
		if (!items)
			return -1;
		log->items = items;
		log->capacity = capacity;
	}
	log->items[log->count++] = *rec;
	log->calls += 1 + (unsigned long long)rec->folded_before;
	return 0;
}

void record_log_free(struct record_log *log)
{
	free(log->items);
	memset(log, 0, sizeof *log);
}

static int entry_order(const void *a, const void *b)
{
	const struct probe_record *x = a, *y = b;
	if (x->entry_ns != y->entry_ns)
		return x->entry_ns < y->entry_ns ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

void record_log_sort(struct record_log *log)
{
	if (log->count)
		qsort(log->items, log->count, sizeof *log->items, entry_order);
}

/* One line of the output: a record's entry or exit. */
struct line {
	unsigned long long ts_ns;
	size_t record;
	int exit;
};

static int line_order(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	if (x->record != y->record)
		return x->record < y->record ? -1 : 1;
	return x->exit - y->exit;
}

/* Kernel addresses never leave the tool: each (process, pipe) gets a small
 * id in order of first appearance. Open addressing; ids fit the table. */
struct pipe_ids {
	unsigned long long *keys;
	unsigned int *ids;
	size_t size;
	unsigned int next;
};

static unsigned int pipe_id(struct pipe_ids *table, unsigned int pid, unsigned long long addr)
{
	unsigned long long key = addr ^ ((unsigned long long)pid << 48) ^ pid;
	size_t slot = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & (table->size - 1);
	while (table->keys[slot] && table->keys[slot] != key)
		slot = (slot + 1) & (table->size - 1);
	if (!table->keys[slot]) {
		table->keys[slot] = key;
		table->ids[slot] = ++table->next;
	}
	return table->ids[slot];
}

json_t *record_field(unsigned char have, unsigned char bit, unsigned long long value)
{
	return (have & bit) ? json_integer((json_int_t)value) : json_null();
}

/* Lines are written by the ten thousand: one object per shape of line
 * (entry or exit; splice_to_pipe's pages; a wait's wait_ns), its values
 * updated in place, rather than a new object per line (building and
 * freeing those took half the time). Keys are made in the order written. */
enum { SHAPE_EXIT = 1, SHAPE_PAGES = 2, SHAPE_WAIT = 4, SHAPE_COUNT = 8 };

struct line_shapes {
	json_t *shape[SHAPE_COUNT];
	json_t *fn_name[FN_COUNT];
	bool cell;
};

static json_t *shape_new(int shape, bool cell)
{
	static const char *const keys[] = {"ts_ns",	 "pid",		"tid",		 "fn",
					   "phase",	 "pipe",	"slots_used",	 "slots_total",
					   "bytes_in_pipe", "len",	"flags"};
	json_t *line = json_object();
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		json_object_set_new(line, keys[i], json_null());
	json_object_set_new(line, "phase", json_string(shape & SHAPE_EXIT ? "exit" : "entry"));
	if (shape & SHAPE_PAGES)
		json_object_set_new(line, "pages", json_null());
	if (shape & SHAPE_EXIT) {
		json_object_set_new(line, "ret", json_null());
		if (shape & SHAPE_WAIT)
			json_object_set_new(line, "wait_ns", json_null());
		json_object_set_new(line, "folded_before", json_null());
		json_object_set_new(line, "killed", json_false());
	}
	if (cell)
		json_object_set_new(line, "cell", json_null());
	return line;
}

static void set_int(json_t *line, const char *key, bool have, json_int_t value)
{
	json_t *old = json_object_get(line, key);
	if (have && json_is_integer(old))
		json_integer_set(old, value);
	else if (have)
		json_object_set_new(line, key, json_integer(value));
	else if (!json_is_null(old))
		json_object_set_new(line, key, json_null());
}

static void set_string(json_t *line, const char *key, const char *value)
{
	json_t *old = json_object_get(line, key);
	if (value && json_is_string(old))
		json_string_set(old, value);
	else
		json_object_set_new(line, key, value ? json_string(value) : json_null());
}

static void shapes_free(struct line_shapes *shapes)
{
	for (int i = 0; i < SHAPE_COUNT; i++)
		json_decref(shapes->shape[i]);
	for (int fn = 0; fn < FN_COUNT; fn++)
		json_decref(shapes->fn_name[fn]);
}

/* The line of a record's entry or exit, valid until the next call. */
static json_t *line_json(struct line_shapes *shapes, const struct probe_record *rec, int exit,
			 unsigned int pipe, const char *cell)
{
	unsigned int fn = rec->fn < FN_COUNT ? rec->fn : 0;
	int shape = (exit ? SHAPE_EXIT : 0) | (fn == FN_SPLICE_TO_PIPE ? SHAPE_PAGES : 0) |
		    (exit && probe_fn_waits(fn) ? SHAPE_WAIT : 0);
	if (!shapes->shape[shape])
		shapes->shape[shape] = shape_new(shape, shapes->cell);
	if (!shapes->fn_name[fn])
		shapes->fn_name[fn] = json_string(probe_fn_names[fn]);
	json_t *line = shapes->shape[shape];
	const struct pipe_state *st = exit ? &rec->at_exit : &rec->at_entry;
	bool have_pipe = rec->have & (exit ? HAVE_EXIT_PIPE : HAVE_ENTRY_PIPE);
	bool have_bytes = rec->have & (exit ? HAVE_BYTES_EXIT : HAVE_BYTES_ENTRY);
	set_int(line, "ts_ns", true, (json_int_t)(exit ? rec->exit_ns : rec->entry_ns));
	set_int(line, "pid", true, (json_int_t)rec->pid);
	set_int(line, "tid", true, (json_int_t)rec->tid);
	json_object_set(line, "fn", shapes->fn_name[fn]);
	set_int(line, "pipe", pipe != 0, pipe);
	set_int(line, "slots_used", have_pipe, st->slots_used);
	set_int(line, "slots_total", have_pipe, st->slots_total);
	set_int(line, "bytes_in_pipe", have_bytes, (json_int_t)st->bytes);
	set_int(line, "len", rec->have & HAVE_LEN, (json_int_t)rec->len);
	set_int(line, "flags", rec->have & HAVE_FLAGS, rec->flags);
	if (shape & SHAPE_PAGES)
		set_int(line, "pages", rec->have & HAVE_PAGES, rec->pages);
	if (exit) {
		set_int(line, "ret", true, rec->ret);
		if (shape & SHAPE_WAIT)
			set_int(line, "wait_ns", true, (json_int_t)(rec->exit_ns - rec->entry_ns));
		set_int(line, "folded_before", true, rec->folded_before);
		/* returned while its process was being killed: not returned, for
		 * the summaries */
		json_object_set_new(line, "killed", json_boolean(rec->killed));
	}
	if (shapes->cell)
		set_string(line, "cell", cell);
	return line;
}

/* One write per line (json_dumpf writes each token through stdio), or
 * json_dumpf for a line too long for the buffer. */
static int write_line(FILE *out, const json_t *line)
{
	char text[1024];
	size_t size = json_dumpb(line, text, sizeof text - 1, JSON_COMPACT);
	if (size > 0 && size < sizeof text - 1) {
		text[size++] = '\n';
		return fwrite(text, 1, size, out) == size ? 0 : -1;
	}
	return json_dumpf(line, out, JSON_COMPACT) < 0 || fputc('\n', out) == EOF ? -1 : 0;
}

struct lines_job {
	const struct record_log *log;
	const struct run_table *runs;
};

static int write_lines(FILE *out, const void *arg)
{
	const struct lines_job *job = arg;
	const struct record_log *log = job->log;
	size_t nlines = 0;
	struct line *lines = malloc((log->count * 2 + 1) * sizeof *lines);
	struct pipe_ids table = {0};
	struct line_shapes shapes = {.cell = job->runs != NULL};
	table.size = 1024;
	while (table.size < log->count * 2)
		table.size *= 2;
	table.keys = calloc(table.size, sizeof *table.keys);
	table.ids = calloc(table.size, sizeof *table.ids);
	int rc = (!lines || !table.keys || !table.ids) ? -1 : 0;
	for (size_t i = 0; rc == 0 && i < log->count; i++) {
		lines[nlines++] = (struct line){log->items[i].entry_ns, i, 0};
		if (log->items[i].have & HAVE_EXIT)
			lines[nlines++] = (struct line){log->items[i].exit_ns, i, 1};
	}
	if (rc == 0)
		qsort(lines, nlines, sizeof *lines, line_order);
	for (size_t i = 0; rc == 0 && i < nlines; i++) {
		const struct probe_record *rec = &log->items[lines[i].record];
		unsigned int pipe = rec->pipe ? pipe_id(&table, rec->pid, rec->pipe) : 0;
		const struct cell_run *run = job->runs ? run_of(job->runs, rec) : NULL;
		json_t *line = line_json(&shapes, rec, lines[i].exit, pipe, run ? run->id : NULL);
		if (!line || write_line(out, line))
			rc = -1;
	}
	shapes_free(&shapes);
	free(lines);
	free(table.keys);
	free(table.ids);
	return rc;
}

/* Fills a temporary file beside path, then renames it over path. */
static int write_atomic(const char *path, int (*fill)(FILE *out, const void *arg), const void *arg)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	fchmod(fd, 0644); /* mkstemp's 0600 would hide the file from its owner's group */
	FILE *out = fdopen(fd, "w");
	if (!out) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	int rc = fill(out, arg);
	if (fclose(out) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) == 0)
		return 0;
	int saved = errno;
	unlink(tmp);
	errno = saved;
	return -1;
}

int record_log_write(const struct record_log *log, const struct run_table *runs,
		     const char *path)
{
	struct lines_job job = {log, runs};
	return write_atomic(path, write_lines, &job);
}

static int dump_doc(FILE *out, const void *doc)
{
	return json_dumpf(doc, out, JSON_COMPACT) < 0 ? -1 : 0;
}

int write_json_file(const json_t *doc, const char *path)
{
	return write_atomic(path, dump_doc, doc);
}

void record_print(FILE *out, const struct probe_record *rec)
{
	fprintf(out, "%llu.%06llu %6u/%-6u %-18s", rec->entry_ns / 1000000000ull,
		rec->entry_ns / 1000 % 1000000, rec->pid, rec->tid,
		probe_fn_names[rec->fn < FN_COUNT ? rec->fn : 0]);
	if (rec->have & HAVE_ENTRY_PIPE)
		fprintf(out, " slots %u->", rec->at_entry.slots_used);
	if (rec->have & HAVE_EXIT_PIPE)
		fprintf(out, "%u/%u", rec->at_exit.slots_used, rec->at_exit.slots_total);
	if (rec->have & HAVE_BYTES_EXIT)
		fprintf(out, " bytes %llu", rec->at_exit.bytes);
	if (rec->have & HAVE_LEN)
		fprintf(out, " len %llu", rec->len);
	if (rec->have & HAVE_EXIT)
		fprintf(out, " ret %lld %.3f ms", rec->ret,
			(double)(rec->exit_ns - rec->entry_ns) / 1e6);
	else
		fprintf(out, " (still inside)");
	if (rec->folded_before)
		fprintf(out, " (+%u identical before)", rec->folded_before);
	fputc('\n', out);
}
