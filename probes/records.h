/* The records splicelab-probe collects, and their JSON lines
 * (docs/schema.md, events.jsonl): one line per entry and one per exit, in
 * time order, with kernel addresses replaced by small pipe ids. */
#ifndef SPLICELAB_PROBE_RECORDS_H
#define SPLICELAB_PROBE_RECORDS_H

#include <stddef.h>
#include <stdio.h>

#include "splice_probe.h"

struct record_log {
	struct probe_record *items;
	size_t count;
	size_t capacity;
	unsigned long long calls; /* records plus the calls folded into them */
};

int record_log_add(struct record_log *log, const struct probe_record *rec);

/* Writes every record as JSON lines to path, atomically. */
int record_log_write(const struct record_log *log, const char *path);

void record_log_free(struct record_log *log);

/* One human-readable line for a record (the live view without --json). */
void record_print(FILE *out, const struct probe_record *rec);

#endif
