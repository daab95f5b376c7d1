/* matrix.json on disk (atomically) and the table a person reads. */
#ifndef SPLICELAB_REPORT_H
#define SPLICELAB_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* How matrix.json is written: readable, ASCII, and times as 108.9 rather
 * than 108.94999999999999. */
#define MATRIX_JSON_FLAGS (JSON_INDENT(1) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(10))

/* The whole matrix.json document; takes over env, params and cells. */
json_t *report_matrix_doc(const char *label, json_t *env, const char *started_at,
			  uint64_t elapsed_ms, json_t *params, json_t *cells);

/* Fails (returns -1, message printed) when matrix.json could not be
 * created under dir: checked before the matrix runs, so bad input writes
 * nothing. */
int report_check_output_dir(const char *dir);
/* Fails (returns -1, one line printed) when dir already holds a
 * matrix.json of another matrix (matrix_name.h), one that is not
 * splicelab's, or make lab's results (provenance.json beside it), unless
 * force: a small ad-hoc run must never silently replace those. */
int report_check_replace(const char *dir, const char *matrix, bool force);
/* mkdir -p */
int report_make_dirs(const char *dir);
/* Writes doc to dir/name through a temporary file and rename(2). SIGINT,
 * SIGTERM and SIGHUP are held off meanwhile; one that came in before the
 * rename drops the temporary file and returns REPORT_STOPPED (nothing
 * written, nothing left), and its handler runs on return. -1: failed,
 * message printed. */
#define REPORT_STOPPED (-2)
int report_write_json(const char *dir, const char *name, const json_t *doc);

/* The table: one block per scenario and flag set (pipe size x payload),
 * then the profile cells. */
void report_print_table(FILE *out, const json_t *doc, bool color);
/* The outcome word as the table shows it, padded to width: '*' when
 * repeats disagreed, '!' when F_SETPIPE_SZ was refused. */
void report_print_outcome(FILE *out, const json_t *cell, int width, bool color);

#endif
