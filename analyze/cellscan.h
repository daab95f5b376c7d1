/* cellscan.c: one cell of a matrix.json, stepped over by the scanner. The
 * values of the fields load.c reads are copied out for jansson;
 * the bulk of a cell (trace, kernel.timeline, the per-call byte lists,
 * fields analyze does not know) is only checked, and what load.c needs of
 * it (counts, the first wrongly typed element, the mid-call clue) is kept
 * here. */
#ifndef SPLICELAB_ANALYZE_CELLSCAN_H
#define SPLICELAB_ANALYZE_CELLSCAN_H

#include <jansson.h>

#include "scan.h"

/* An array of integers stepped over (scanned false: absent, or not an
 * array, in which case the value is in the copied text for load.c to
 * refuse with its usual message). */
struct int_list {
	bool scanned;
	size_t count;
	long bad_index; /* the first element that is not an integer, or -1 */
	enum scan_type bad_type;
};

/* A key looked for, with its length (keys are compared as bytes). */
struct key_name {
	const char *text;
	size_t len;
};
#define KEY_NAME(text) {text, sizeof text - 1}

/* kernel.timeline's keys load.c checks: each an integer or null. */
#define TIMELINE_KEYS 6
extern const struct key_name timeline_keys[TIMELINE_KEYS];

struct timeline_scan {
	bool scanned;
	size_t count;
	long not_object; /* the first entry that is not an object, or -1 */
	enum scan_type not_object_type;
	long bad_entry; /* the first entry with a wrongly typed key, or -1 */
	int bad_key;	/* its index in timeline_keys */
	enum scan_type bad_type;
	bool midcall; /* an entry entered with free slots that never returned */
};

/* A growing text (the copies given to jansson). */
struct text_buf {
	char *text;
	size_t len, cap;
};

/* The cell's fields take_cell reads, in the order their values are
 * written; per_call_bytes and kernel are written only when they are not
 * of the type stepped over (for load.c to refuse) or, for kernel, as the
 * members load.c reads. */
#define CELL_FIELDS 26
extern const struct key_name cell_fields[CELL_FIELDS];
/* The fields cellscan.c treats apart, by their index in cell_fields
 * (test_analyze_scan.c checks the names). */
enum { CELL_RUNS = 17, CELL_CALLS = 21, CELL_PER_CALL = 23, CELL_KERNEL = 24 };

struct cell_scan {
	bool is_object; /* else type is what the cell is */
	enum scan_type type;
	bool oom;
	struct int_list per_call_bytes, read_bytes_per_call;
	struct timeline_scan timeline;
	/* The values of the present fields, in cell_fields order, as one JSON
	 * array (no keys: jansson's time goes by the byte, and keys were a
	 * third of these). */
	bool present[CELL_FIELDS];
	struct text_buf values;
	/* Where each present field's value is in the file or, for an object
	 * of which load.c reads a few members (kernel, runs, calls), those
	 * members as an object in reduced_text. */
	size_t from[CELL_FIELDS], to[CELL_FIELDS];
	bool reduced[CELL_FIELDS];
	struct text_buf reduced_text[CELL_FIELDS];
};

/* Steps over the cell at s->at, filling out (its buffers reused from call
 * to call; free them with cell_scan_free). Returns 0, or -1 on a syntax
 * error (s->failed) or when out of memory (out->oom). */
int cell_scan(struct scanner *s, struct cell_scan *out);
/* The fields read as an object (a new reference), parsed by jansson; NULL
 * with error set when out of memory. */
json_t *cell_scan_object(const struct cell_scan *out, json_error_t *error);
void cell_scan_free(struct cell_scan *out);

#endif
