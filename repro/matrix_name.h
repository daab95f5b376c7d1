/* Which matrix a run holds, in a few characters: the name that tells its
 * output folder apart from the reference results and that guards a folder
 * holding another matrix from being replaced by accident. */
#ifndef SPLICELAB_MATRIX_NAME_H
#define SPLICELAB_MATRIX_NAME_H

#include <jansson.h>
#include <stddef.h>

#include "params.h"

#define MATRIX_NAME_LEN 32

/* "default", "quick" or "profiles" when the cells are exactly that preset's
 * (however they were asked for: options, --config), else "grid-" and eight
 * hex digits hashed from the cell ids (the same grid, the same name). */
void matrix_name(const struct cell_params *cells, size_t ncells, char *buf, size_t len);

/* The name of a matrix.json already written: its params.matrix, or for
 * files older than that field the same rule applied to its cells (and its
 * params.preset "default", which meant the untouched default grid). */
void matrix_name_of_doc(const json_t *doc, char *buf, size_t len);

#endif
