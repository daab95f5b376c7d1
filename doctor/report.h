/* A diagnosis as a person reads it (a table) and as a program does (JSON,
 * schema splicelab.doctor/1 in docs/schema.md). */
#ifndef SPLICELAB_DOCTOR_REPORT_H
#define SPLICELAB_DOCTOR_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "diagnosis.h"

json_t *doctor_json(const struct diagnosis *d);
/* all: every thread, not only those with something to do with splice. */
void doctor_table(const struct diagnosis *d, bool all, FILE *out);

/* One line on what --probe saw (or why it did not run). */
void doctor_table_probe(const json_t *probe, FILE *out);

#endif
