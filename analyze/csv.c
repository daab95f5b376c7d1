/* The joined table as CSV (RFC 4180): the parameters once, then a block of
 * columns per kernel, named "<label> <field>". */
#include "analyze.h"

#include <string.h>

static const char *const kernel_columns[] = {"outcome",	   "consistent",  "pipe_size",
					     "pipe_size_error", "bytes_moved", "splice_calls",
					     "eagain",	   "elapsed_ms",  "detected_after_ms",
					     /* load cells only (load_columns) */
					     "connections", "user", "finished", "blocked", "stalled",
					     "spin", "finished_first", "pipe_sizes", "setpipe_refused",
					     "setpipe_errno", "user_pages_soft", "user_pages_hard",
					     "user_pages_at_start"};
#define LOAD_COLUMNS 13

/* A count, or nothing for unknown (-1). */
static void count_column(FILE *out, long long n)
{
	fputc(',', out);
	if (n >= 0)
		fprintf(out, "%lld", n);
}

/* The load object's facts (empty for other cells): pipe_sizes is
 * "SIZE:COUNT" pairs separated by blanks, largest first as recorded. */
static void load_columns(FILE *out, const struct run *run, const struct acell *cell)
{
	struct load_facts f;
	if (!cell || load_facts_of(run, cell, &f) != 0) {
		for (int i = 0; i < LOAD_COLUMNS; i++)
			fputc(',', out);
		return;
	}
	fprintf(out, ",%lld,", f.connections);
	put_csv(out, f.invoking ? "" : f.user);
	count_column(out, f.finished);
	count_column(out, f.blocked);
	count_column(out, f.stalled);
	count_column(out, f.spin);
	count_column(out, f.finished_first);
	fputc(',', out);
	for (size_t i = 0; i < f.nsizes; i++)
		fprintf(out, "%s%lld:%lld", i ? " " : "", f.sizes[i].size, f.sizes[i].count);
	count_column(out, f.refused);
	fputc(',', out);
	put_csv(out, f.refused_errno);
	count_column(out, f.soft);
	count_column(out, f.hard);
	count_column(out, f.pages_at_start);
}

static void cell_columns(FILE *out, const struct acell *cell)
{
	const size_t n = sizeof kernel_columns / sizeof kernel_columns[0] - LOAD_COLUMNS;
	if (!cell) {
		fputs("missing", out);
		for (size_t i = 1; i < n; i++)
			fputc(',', out);
		return;
	}
	fprintf(out, "%s,%s,%lld,%s,%lld,%lld,%lld,%.1f,", outcome_names[cell->outcome],
		cell->mixed ? "false" : "true", cell->pipe_size, cell->refused ? "refused" : "",
		cell->bytes_moved, cell->splice_calls, cell->eagain, cell->elapsed_ms);
	if (cell->detected_ms >= 0)
		fprintf(out, "%.1f", cell->detected_ms);
}

int csv_report(FILE *out, const struct joined *joined)
{
	fputs("id,scenario,profile,transport,pipe_size_requested,payload,chunk,flags,"
	      "pipe_nonblock,src_nonblock,dst_nonblock,loop,sender,head_start,differs",
	      out);
	for (size_t k = 0; k < joined->nruns; k++) {
		for (size_t i = 0; i < sizeof kernel_columns / sizeof kernel_columns[0]; i++) {
			char name[300];
			snprintf(name, sizeof name, "%s %s", joined->runs[k].label, kernel_columns[i]);
			fputc(',', out);
			put_csv(out, name);
		}
	}
	fputc('\n', out);
	for (size_t r = 0; r < joined->nrows; r++) {
		const struct acell *first = join_first(joined, r);
		if (!first)
			continue;
		char flags[40];
		format_flag_set(first->flags, flags, sizeof flags);
		/* Every string through put_csv: the enumerated ones were checked
		 * on input, but a field must never be able to split a row. */
		put_csv(out, first->id);
		fputc(',', out);
		put_csv(out, first->scenario);
		fputc(',', out);
		put_csv(out, first->profile ? first->profile : "");
		fputc(',', out);
		put_csv(out, first->transport);
		fprintf(out, ",%lld,%lld,%lld,", first->pipe_req, first->payload, first->chunk);
		put_csv(out, flags);
		fprintf(out, ",%d,%d,%d,", first->pnb, first->snb, first->dnb);
		put_csv(out, first->loop);
		fputc(',', out);
		put_csv(out, first->sender);
		fprintf(out, ",%lld,%s", first->head_start, joined->rows[r].divergent ? "yes" : "no");
		for (size_t k = 0; k < joined->nruns; k++) {
			fputc(',', out);
			cell_columns(out, join_cell(joined, r, k));
			load_columns(out, &joined->runs[k], join_cell(joined, r, k));
		}
		fputc('\n', out);
	}
	return ferror(out) ? -1 : 0;
}
