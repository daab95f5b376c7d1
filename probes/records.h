/* The records splicelab-probe collects, and their JSON lines
 * (docs/schema.md, events.jsonl): one line per entry and one per exit, in
 * time order, with kernel addresses replaced by small pipe ids. */
#ifndef SPLICELAB_PROBE_RECORDS_H
#define SPLICELAB_PROBE_RECORDS_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "splice_probe.h"

struct record_log {
	struct probe_record *items;
	size_t count;
	size_t capacity;
	unsigned long long calls; /* records plus the calls folded into them */
};

struct run_table;

int record_log_add(struct record_log *log, const struct probe_record *rec);

/* Puts the records in call order (entry time). */
void record_log_sort(struct record_log *log);

/* Writes every record as JSON lines to path, atomically; with runs, each
 * line names its cell ("cell": id, or null for any other process). */
int record_log_write(const struct record_log *log, const struct run_table *runs,
		     const char *path);

/* value when the probe could read it (have & bit), else JSON null. */
json_t *record_field(unsigned char have, unsigned char bit, unsigned long long value);

/* Writes doc to path, atomically. */
int write_json_file(const json_t *doc, const char *path);

void record_log_free(struct record_log *log);

/* One human-readable line for a record (the live view without --json). */
void record_print(FILE *out, const struct probe_record *rec);

#endif
