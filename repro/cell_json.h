/* A cell as JSON (docs/schema.md): its parameters, then what one run of it
 * did. */
#ifndef SPLICELAB_CELL_JSON_H
#define SPLICELAB_CELL_JSON_H

#include <jansson.h>

#include "cell_shared.h"
#include "params.h"
#include "procview.h"

/* The parameter half of a cell object, including its id. */
json_t *cell_json_params(const struct cell_params *params);

/* What a run did: outcome, counters, trace, evidence (stolen). A negative
 * detected_after_ms is written as null. */
void cell_json_set_run(json_t *cell, const struct cell_params *params,
		       const struct cell_shared *shared, enum outcome outcome, json_t *evidence,
		       double elapsed_ms, double detected_after_ms);

/* One thread's /proc view as evidence. */
json_t *thread_view_json(const char *role, const struct thread_view *view, bool with_stack);

/* "EAGAIN" for EAGAIN; the number as text when glibc has no name. */
const char *errno_name(int error, char *buf, size_t len);

#endif
