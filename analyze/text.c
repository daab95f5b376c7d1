/* The terminal table: one line per kernel, then the cells whose outcome
 * differs between kernels (every cell with --all). */
#include "analyze.h"

#include <string.h>

static const char *outcome_sgr(int outcome)
{
	static const char *const sgr[OUTCOME_COUNT] = {
		[OUTCOME_OK] = "32",	  [OUTCOME_BLOCKED] = "1;31", [OUTCOME_STALLED] = "35",
		[OUTCOME_SPIN] = "33",	  [OUTCOME_ERROR] = "1;33",   [OUTCOME_CORRUPT] = "1;35",
		[OUTCOME_CRASHED] = "1;31",
	};
	return sgr[outcome];
}

static void print_counts(FILE *out, const struct run *run)
{
	fprintf(out, "%zu cells:", run->ncells);
	const char *sep = " ";
	for (int o = 0; o < OUTCOME_COUNT; o++) {
		if (!run->counts[o])
			continue;
		fprintf(out, "%s%s %lld", sep, outcome_names[o], run->counts[o]);
		sep = ", ";
	}
}

void print_kernel_lines(FILE *out, const struct joined *joined)
{
	int width = 0;
	for (size_t k = 0; k < joined->nruns; k++) {
		int n = (int)strlen(joined->runs[k].label);
		width = n > width ? n : width;
	}
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct run *run = &joined->runs[k];
		fprintf(out, "%c  ", kernel_letter(k));
		put_plain(out, run->label);
		fprintf(out, "%*s  ", width - (int)strlen(run->label), "");
		put_plain(out, run->release);
		fprintf(out, ", %s, probes %s: ", run->virt, run->probes_mode);
		print_counts(out, run);
		fputc('\n', out);
	}
}

/* Under a load cell: its connections and pipe accounting, one line per
 * kernel, so the counts read side by side. */
static void load_lines(FILE *out, const struct joined *joined, size_t r)
{
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct acell *cell = join_cell(joined, r, k);
		struct load_facts facts;
		if (!cell || load_facts_of(&joined->runs[k], cell, &facts) != 0)
			continue;
		char line[1024];
		load_line(&facts, line, sizeof line);
		fprintf(out, "  %c: ", kernel_letter(k));
		put_plain(out, line);
		fputc('\n', out);
	}
}

/* Each --relay-cmd relay by name: its command, then per kernel its
 * outcomes and what the kernel showed of each cell that is not ok. */
static void relay_lines(FILE *out, const struct joined *joined)
{
	const char *names[64];
	size_t n = relays_ran(joined, names, sizeof names / sizeof names[0]);
	for (size_t i = 0; i < n; i++) {
		fputs("\nrelay ", out);
		put_plain(out, names[i]);
		fputs(": ", out);
		char line[2048], notes[8][1024];
		relay_command_text(joined, names[i], line, sizeof line);
		put_plain(out, line);
		fputc('\n', out);
		for (size_t k = 0; k < joined->nruns; k++) {
			relay_outcomes(joined, k, names[i], line, sizeof line);
			fprintf(out, "  %c: ", kernel_letter(k));
			put_plain(out, line);
			fputc('\n', out);
			size_t m = relay_notes(joined, k, names[i], notes, 8);
			for (size_t j = 0; j < m; j++) {
				fputs("     ", out);
				put_plain(out, notes[j]);
				fputc('\n', out);
			}
		}
	}
}

/* The vmsplice cells, every one (they are few): per kernel the outcome,
 * the first bad offset and the queues when the memory was rewritten. */
static void vmsplice_lines(FILE *out, const struct joined *joined)
{
	bool any = false;
	for (size_t r = 0; r < joined->nrows; r++) {
		if (!vmsplice_row(joined, r))
			continue;
		char text[512];
		if (!any)
			fputs("\nvmsplice cells (each chunk read only after the sender rewrote its "
			      "memory)\n",
			      out);
		any = true;
		vmsplice_row_title(joined, r, text, sizeof text);
		put_plain(out, text);
		fputc('\n', out);
		for (size_t k = 0; k < joined->nruns; k++) {
			if (!join_cell(joined, r, k))
				continue;
			vmsplice_cell_text(joined, r, k, text, sizeof text);
			fprintf(out, "  %c: ", kernel_letter(k));
			put_plain(out, text);
			fputc('\n', out);
		}
	}
}

int text_report(FILE *out, const struct joined *joined, const struct report_opts *opts)
{
	print_kernel_lines(out, joined);
	relay_lines(out, joined);
	size_t shown = 0;
	for (size_t r = 0; r < joined->nrows; r++) {
		const struct row *row = &joined->rows[r];
		if (!opts->all && !row->divergent)
			continue;
		if (shown++ == 0) {
			fputc('\n', out);
			for (size_t k = 0; k < joined->nruns; k++)
				fprintf(out, "%-9c", kernel_letter(k));
			fputs("cell\n", out);
		}
		for (size_t k = 0; k < joined->nruns; k++) {
			const struct acell *cell = join_cell(joined, r, k);
			char word[32];
			outcome_word(cell, word, sizeof word);
			int pad = 9 - (int)strlen(word);
			if (opts->color && cell)
				fprintf(out, "\033[%sm%s\033[0m", outcome_sgr(cell->outcome), word);
			else
				fputs(word, out);
			fprintf(out, "%*s", pad > 0 ? pad : 1, "");
		}
		put_plain(out, row->id);
		if (row->partial) {
			fputs("  (only on ", out);
			for (size_t k = 0; k < joined->nruns; k++)
				if (join_cell(joined, r, k))
					fputc(kernel_letter(k), out);
			fputc(')', out);
		}
		fputc('\n', out);
		load_lines(out, joined, r);
	}
	vmsplice_lines(out, joined);
	fprintf(out, "\n%zu cells joined: %zu differ between kernels, %zu of them missing on some "
		     "kernel%s\n",
		joined->nrows, joined->ndivergent, joined->npartial,
		opts->all || joined->ndivergent == 0 ? "" : " (--all shows every cell)");
	if (!opts->all && joined->ndivergent == 0)
		fputs("every cell has the same outcome on every kernel (--all lists them)\n", out);
	return ferror(out) ? -1 : 0;
}
