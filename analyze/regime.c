/* Which of the three socket->pipe regimes (docs/kernel-history.md) a
 * kernel's results match, from what its cells show, never from the
 * release number:
 *   A, before 4.9: splice_to_pipe sleeps in pipe_wait part-way through a
 *      call (the stack shows pipe_wait called from splice_to_pipe);
 *   B, 4.9 to 5.0: do_splice waits once, at entry, in wait_for_space
 *      (8924feff66f3), and an O_NONBLOCK pipe does not stop the sleep;
 *   C, from 5.1: do_splice adds SPLICE_F_NONBLOCK when the pipe has
 *      O_NONBLOCK (ee5e001196d1), so flags 0 on such a pipe gives EAGAIN. */
#include "analyze.h"

#include <stdlib.h>
#include <string.h>

static bool stuck(const struct acell *cell)
{
	return cell->outcome == OUTCOME_BLOCKED || cell->outcome == OUTCOME_STALLED;
}

/* A drain cell whose only source of EAGAIN can be the pipe: flags without
 * NONBLOCK, a blocking socket, an O_NONBLOCK pipe. */
static bool promotion_probe(const struct acell *cell)
{
	return strcmp(cell->scenario, "drain") == 0 && !(cell->flags & SPLICE_F_NONBLOCK) &&
	       !cell->snb && cell->pnb;
}

/* The cell of run with id but pnb=0 instead of pnb=1, if it sleeps. */
static const char *sleeping_twin(const struct run *run, const struct acell *cell)
{
	char id[512];
	snprintf(id, sizeof id, "%s", cell->id);
	char *pnb = strstr(id, ",pnb=1,");
	if (!pnb)
		return NULL;
	pnb[5] = '0';
	for (size_t i = 0; i < run->ncells; i++)
		if (strcmp(run->cells[i].id, id) == 0)
			return stuck(&run->cells[i]) &&
					       (run->cells[i].clues & CLUE_SLEEPS_IN_SPLICE)
				       ? run->cells[i].id
				       : NULL;
	return NULL;
}

/* The accounting step: load cells where F_SETPIPE_SZ was refused with
 * EPERM, i.e. the user reached pipe-user-pages-soft, and the pipes the
 * connections got past it. */
static void accounting_of_run(const struct run *run, struct regime_view *v)
{
	v->accounting_slots = -1;
	v->accounting_soft = -1;
	for (size_t i = 0; i < run->ncells; i++) {
		const struct acell *cell = &run->cells[i];
		struct load_facts f;
		if (load_facts_of(run, cell, &f) != 0 || !load_accounting_bit(&f))
			continue;
		v->accounting++;
		long long smallest = load_smallest_pipe(&f);
		long long slots = smallest > 0 ? smallest / f.page_size : -1;
		if (slots > 0 && (v->accounting_slots < 0 || slots < v->accounting_slots))
			v->accounting_slots = slots;
		if (f.soft >= 0)
			v->accounting_soft = f.soft;
		/* The example: the first stuck cell, else the first one. */
		bool first_stuck = cell->outcome != OUTCOME_OK && !v->accounting_stuck++;
		if (first_stuck || !v->accounting_example)
			v->accounting_example = cell->id;
	}
}

void regime_accounting_text(const struct regime_view *v, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	if (!v->accounting)
		return;
	appendf(buf, len, &used,
		"Accounting: in %zu load cell(s) the user reached the per-user pipe limit", v->accounting);
	if (v->accounting_soft >= 0)
		appendf(buf, len, &used, " (pipe-user-pages-soft, %lld pages)", v->accounting_soft);
	appendf(buf, len, &used,
		": F_SETPIPE_SZ was refused with EPERM, as since 4.5 (commit 759c01142a5d, "
		"\"pipe: limit the per-user amount of pages allocated in pipes\")");
	if (v->accounting_slots == 1)
		appendf(buf, len, &used,
			", and the pipes made past it got 1 slot, the minimum before commit "
			"46c4c9d1beb7 (\"pipe: increase minimum default pipe size to 2 pages\")");
	else if (v->accounting_slots > 1)
		appendf(buf, len, &used,
			", and the smallest pipes got %lld slots (2 is the minimum from commit "
			"46c4c9d1beb7, \"pipe: increase minimum default pipe size to 2 pages\")",
			v->accounting_slots);
	appendf(buf, len, &used, " (docs/kernel-history.md, Per-user pipe accounting).");
	if (v->accounting_stuck)
		appendf(buf, len, &used,
			" %zu of them got stuck: a pipe that small fills at the first splice, "
			"and with flags 0 the relay then sleeps for a reader that is itself. "
			"Example:",
			v->accounting_stuck);
	else
		appendf(buf, len, &used,
			" None of them got stuck: on this kernel a full small pipe does not "
			"hold the relay. Example:");
}

void regime_of_run(const struct run *run, struct regime_view *v)
{
	memset(v, 0, sizeof *v);
	for (size_t i = 0; i < run->ncells; i++) {
		const struct acell *cell = &run->cells[i];
		if (stuck(cell)) {
			v->stuck++;
			if (cell->clues & CLUE_STACK)
				v->with_stack++;
			v->entry += (cell->clues & (CLUE_STACK_ENTRY | CLUE_PROBE_ENTRY)) != 0;
			v->midcall += (cell->clues & (CLUE_STACK_MIDCALL | CLUE_PROBE_MIDCALL)) != 0;
			if ((cell->clues & CLUE_STACK_ENTRY) && !v->entry_stack++)
				v->entry_example = cell->id;
			if ((cell->clues & CLUE_STACK_MIDCALL) && !v->midcall_stack++)
				v->midcall_example = cell->id;
			if ((cell->clues & CLUE_PROBE_ENTRY) && !v->entry_probe++ && !v->entry_example)
				v->entry_example = cell->id;
			if ((cell->clues & CLUE_PROBE_MIDCALL) && !v->midcall_probe++ &&
			    !v->midcall_example)
				v->midcall_example = cell->id;
		}
		if (!promotion_probe(cell))
			continue;
		if (cell->eagain > 0) {
			if (!v->promoted++)
				v->promoted_example = cell->id;
			if (!v->promoted_pair && v->promoted <= 16)
				v->promoted_pair = sleeping_twin(run, cell);
		} else if (stuck(cell) && (cell->clues & CLUE_SLEEPS_IN_SPLICE)) {
			if (!v->not_promoted++)
				v->not_promoted_example = cell->id;
		}
	}
	accounting_of_run(run, v);
	bool entry = v->entry > 0;
	bool midcall = v->midcall > 0;
	if ((entry && midcall) || (v->promoted && v->not_promoted) || (midcall && v->promoted))
		v->regime = REGIME_MIXED;
	else if (v->promoted)
		v->regime = REGIME_C;
	else if (midcall)
		v->regime = REGIME_A;
	else if (entry && v->not_promoted)
		v->regime = REGIME_B;
	else if (entry)
		v->regime = REGIME_BC;
	else if (v->not_promoted)
		v->regime = REGIME_AB;
	else
		v->regime = REGIME_UNKNOWN;
}

const char *regime_name(enum regime regime)
{
	switch (regime) {
	case REGIME_A:
		return "before 4.9: splice_to_pipe sleeps mid-call";
	case REGIME_AB:
		return "before 5.1: pipe O_NONBLOCK not promoted to SPLICE_F_NONBLOCK";
	case REGIME_B:
		return "4.9 to 5.0: wait_for_space at entry, pipe O_NONBLOCK ignored";
	case REGIME_BC:
		return "4.9 or later: wait_for_space at entry";
	case REGIME_C:
		return "5.1 or later: pipe O_NONBLOCK promoted to SPLICE_F_NONBLOCK";
	case REGIME_MIXED:
		return "mixed: the evidence contradicts itself";
	default:
		return "not determined";
	}
}

enum regime regime_of_release(const char *release)
{
	char *end;
	long major = strtol(release, &end, 10);
	if (end == release || *end != '.' || major < 0 || major > 999)
		return REGIME_UNKNOWN;
	long minor = strtol(end + 1, &end, 10);
	/* Bounded before the arithmetic: a file may carry any number. */
	if (minor < 0 || minor > 999)
		return REGIME_UNKNOWN;
	long v = major * 1000 + minor;
	if (v < 4009)
		return REGIME_A;
	if (v < 5001)
		return REGIME_B;
	return REGIME_C;
}

static bool release_fits(enum regime evidence, enum regime release)
{
	if (evidence == REGIME_BC)
		return release == REGIME_B || release == REGIME_C;
	if (evidence == REGIME_AB)
		return release == REGIME_A || release == REGIME_B;
	return evidence == release;
}

/* Which source showed it: "the kernel stacks of 3 show them in X; the
 * probes saw 1 Y". */
static void seen_by(char *buf, size_t len, size_t stacks, const char *in_stack, size_t probes,
		    const char *by_probes)
{
	size_t used = 0;
	buf[0] = '\0';
	if (stacks)
		appendf(buf, len, &used, "the kernel stacks of %zu show them %s", stacks, in_stack);
	if (probes)
		appendf(buf, len, &used, "%sthe probes saw %zu %s", stacks ? "; " : "", probes,
			by_probes);
}

/* A list item, then its example ids as a fenced code block inside the
 * item (ids are longer than a mail line; only code may be). */
static void item(FILE *out, const char *text, const char *example, const char *other)
{
	wrap(out, "- ", "  ", text, 80);
	if (example) {
		fprintf(out, "\n  ```\n  %s\n", example);
		if (other)
			fprintf(out, "  %s\n", other);
		fputs("  ```\n", out);
	}
	fputc('\n', out);
}

void regime_markdown(FILE *out, const struct run *run, const struct regime_view *v)
{
	char line[1024];
	snprintf(line, sizeof line, "**%s** matches: %s.", run->label, regime_name(v->regime));
	wrap(out, "", "", line, 80);
	fputc('\n', out);
	bool any = false;
	if (v->entry) {
		char seen[160];
		seen_by(seen, sizeof seen, v->entry_stack, "there", v->entry_probe,
			"enter wait_for_space and never leave");
		snprintf(line, sizeof line,
			 "At entry: %zu stuck cell(s) sleep in wait_for_space (%s), which "
			 "do_splice calls once before reading, since 4.9 (commit 8924feff66f3, "
			 "\"splice: lift pipe_lock out of splice_to_pipe()\"). Example:",
			 v->entry, seen);
		item(out, line, v->entry_example, NULL);
		any = true;
	}
	if (v->midcall) {
		char seen[160];
		seen_by(seen, sizeof seen, v->midcall_stack, "in pipe_wait called from splice_to_pipe",
			v->midcall_probe, "enter splice_to_pipe and sleep there without returning");
		snprintf(line, sizeof line,
			 "Mid-call: %zu stuck cell(s) sleep inside splice_to_pipe (%s), as "
			 "kernels before 4.9 do. Example:",
			 v->midcall, seen);
		item(out, line, v->midcall_example, NULL);
		any = true;
	}
	if (v->promoted) {
		snprintf(line, sizeof line,
			 "Promotion: %zu drain cell(s) with flags lacking NONBLOCK, a blocking "
			 "socket and an O_NONBLOCK pipe got EAGAIN: the kernel treated the pipe's "
			 "O_NONBLOCK as SPLICE_F_NONBLOCK, as from 5.1 (commit ee5e001196d1). "
			 "Example%s:",
			 v->promoted,
			 v->promoted_pair ? ", and the same cell with a blocking pipe, which sleeps"
					  : "");
		item(out, line, v->promoted_example, v->promoted_pair);
		any = true;
	}
	if (v->not_promoted) {
		snprintf(line, sizeof line,
			 "No promotion: %zu drain cell(s) with flags lacking NONBLOCK and an "
			 "O_NONBLOCK pipe sleep in splice: the pipe's O_NONBLOCK did not "
			 "stop the sleep, as before 5.1. Example:",
			 v->not_promoted);
		item(out, line, v->not_promoted_example, NULL);
		any = true;
	}
	if (!any) {
		snprintf(line, sizeof line,
			 "No cell tells the regimes apart: %zu stuck cell(s), %zu with a kernel "
			 "stack, no probe data showing where the relay slept, and no drain cell "
			 "with flags lacking NONBLOCK on an O_NONBLOCK pipe.",
			 v->stuck, v->with_stack);
		item(out, line, NULL, NULL);
	}
	char accounting[1024];
	regime_accounting_text(v, accounting, sizeof accounting);
	if (accounting[0])
		item(out, accounting, v->accounting_example, NULL);
	if (v->regime == REGIME_AB)
		item(out,
		     "Not shown: where the relay sleeps (pipe_wait inside splice_to_pipe before "
		     "4.9, wait_for_space at entry from 4.9); that needs the kernel stack (run "
		     "as root) or the probes (--probe).",
		     NULL, NULL);
	if (v->regime == REGIME_BC && !v->promoted && !v->not_promoted)
		item(out,
		     "Not shown: whether an O_NONBLOCK pipe is promoted (5.1) or not "
		     "(4.9 to 5.0); run drain cells with --pipe-nonblock on -f none.",
		     NULL, NULL);
	enum regime by_release = regime_of_release(run->release);
	if (v->regime != REGIME_UNKNOWN && v->regime != REGIME_MIXED &&
	    by_release != REGIME_UNKNOWN) {
		snprintf(line, sizeof line,
			 "The release, %s, is %s with this (the verdict comes from the cells, "
			 "not from the number).",
			 run->release,
			 release_fits(v->regime, by_release)
				 ? "consistent"
				 : "NOT consistent (a backport or a distribution patch?)");
		item(out, line, NULL, NULL);
	}
}

void regime_cell_text(const struct acell *cell, char *buf, size_t len)
{
	if (cell->clues & CLUE_STACK_MIDCALL)
		snprintf(buf, len, "sleeps in pipe_wait called from splice_to_pipe (kernel stack): "
				   "mid-call, as before 4.9");
	else if (cell->clues & CLUE_PROBE_MIDCALL)
		snprintf(buf, len, "splice_to_pipe entered and slept there without returning "
				   "(probes): mid-call, as before 4.9");
	else if (stuck(cell) && (cell->clues & CLUE_STACK_ENTRY))
		snprintf(buf, len, "sleeps in wait_for_space (kernel stack): at entry, as from 4.9"
				   "%s",
			 promotion_probe(cell) ? "; the O_NONBLOCK pipe did not stop it, as before 5.1"
					       : "");
	else if (stuck(cell) && (cell->clues & CLUE_PROBE_ENTRY))
		snprintf(buf, len, "wait_for_space entered and never left (probes): at entry, as "
				   "from 4.9");
	else if (promotion_probe(cell) && cell->eagain > 0)
		snprintf(buf, len, "%lld EAGAIN with flags lacking NONBLOCK on an O_NONBLOCK pipe: "
				   "promoted to SPLICE_F_NONBLOCK, as from 5.1",
			 cell->eagain);
	else if (promotion_probe(cell) && stuck(cell) && (cell->clues & CLUE_SLEEPS_IN_SPLICE))
		snprintf(buf, len, "sleeps in splice despite the O_NONBLOCK pipe: not promoted, as "
				   "before 5.1");
	else if (stuck(cell) && !(cell->clues & CLUE_STACK))
		snprintf(buf, len, "stuck, but without a kernel stack: where it sleeps is not "
				   "shown");
	else
		snprintf(buf, len, "nothing here tells the regimes apart");
}
