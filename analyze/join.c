/* Cells joined by id across kernels: one row per id, in the order the ids
 * first appear (the first file's grid order, then what only later files
 * hold). */
#include "analyze.h"

#include <stdlib.h>
#include <string.h>


int join_runs(struct joined *joined, struct run *runs, size_t nruns)
{
	memset(joined, 0, sizeof *joined);
	joined->runs = runs;
	joined->nruns = nruns;
	size_t most = 1;
	for (size_t k = 0; k < nruns; k++)
		most += runs[k].ncells;
	joined->rows = calloc(most, sizeof *joined->rows);
	joined->at = calloc(most * (nruns ? nruns : 1), sizeof *joined->at);
	struct idmap ids;
	if (!joined->rows || !joined->at || idmap_init(&ids, most) < 0) {
		join_free(joined);
		return -1;
	}
	for (size_t i = 0; i < most * nruns; i++)
		joined->at[i] = -1;
	for (size_t k = 0; k < nruns; k++) {
		for (size_t i = 0; i < runs[k].ncells; i++) {
			const char *id = runs[k].cells[i].id;
			long r = idmap_put(&ids, id, (long)joined->nrows);
			if (r == -2) {
				idmap_free(&ids);
				join_free(joined);
				return -1;
			}
			if (r < 0) {
				r = (long)joined->nrows++;
				joined->rows[r].id = id;
			}
			joined->at[(size_t)r * nruns + k] = (long)i;
		}
	}
	for (size_t r = 0; r < joined->nrows; r++) {
		struct row *row = &joined->rows[r];
		int outcome = -1;
		for (size_t k = 0; k < nruns; k++) {
			const struct acell *cell = join_cell(joined, r, k);
			if (!cell)
				row->partial = true;
			else if (outcome < 0)
				outcome = cell->outcome;
			else if (outcome != cell->outcome)
				row->divergent = true;
		}
		row->divergent |= row->partial;
		joined->ndivergent += row->divergent;
		joined->npartial += row->partial;
	}
	joined->ids = ids;
	return 0;
}

void join_free(struct joined *joined)
{
	free(joined->rows);
	free(joined->at);
	idmap_free(&joined->ids);
	memset(joined, 0, sizeof *joined);
}

const struct acell *join_first(const struct joined *joined, size_t r)
{
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct acell *cell = join_cell(joined, r, k);
		if (cell)
			return cell;
	}
	return NULL;
}

const struct acell *join_cell(const struct joined *joined, size_t r, size_t k)
{
	long i = joined->at[r * joined->nruns + k];
	return i < 0 ? NULL : &joined->runs[k].cells[i];
}

long join_find(const struct joined *joined, const char *id)
{
	return idmap_get(&joined->ids, id);
}

/* What kind of example a row is for the reports; lower comes first. */
static int pick_class(const struct joined *joined, size_t r)
{
	if (joined->rows[r].divergent)
		return 0;
	int best = 4;
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct acell *cell = join_cell(joined, r, k);
		bool drain = strcmp(cell->scenario, "drain") == 0;
		int c = 4;
		if (drain && (cell->outcome == OUTCOME_BLOCKED || cell->outcome == OUTCOME_STALLED))
			c = 1;
		else if (drain && cell->outcome == OUTCOME_SPIN)
			c = 2;
		else if (cell->outcome != OUTCOME_OK)
			c = 3;
		if (c < best)
			best = c;
	}
	return best;
}

static long long row_calls(const struct joined *joined, size_t r)
{
	long long most = 0;
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct acell *cell = join_cell(joined, r, k);
		if (cell && cell->ncalls > most)
			most = cell->ncalls;
	}
	return most;
}

size_t join_pick(const struct joined *joined, size_t *rows, size_t max)
{
	size_t n = 0;
	/* Divergent rows in order; then of each other kind the row whose
	 * per-call record is longest (the richest plot), first one on ties. */
	for (size_t r = 0; r < joined->nrows && n < max; r++)
		if (joined->rows[r].divergent)
			rows[n++] = r;
	for (int c = 1; c <= 3 && n < max; c++) {
		long best = -1;
		for (size_t r = 0; r < joined->nrows; r++)
			if (pick_class(joined, r) == c &&
			    (best < 0 || row_calls(joined, r) > row_calls(joined, (size_t)best)))
				best = (long)r;
		if (best >= 0)
			rows[n++] = (size_t)best;
	}
	return n;
}
