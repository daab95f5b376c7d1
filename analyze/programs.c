/* Which real programs a kernel's results show hanging: the profile cells
 * (each runs the splice parameters of a real program, common/profiles.c)
 * grouped by profile, per kernel, from the cells alone. */
#include "analyze.h"

#include <ctype.h>
#include <string.h>

#include "profiles.h"

/* What a program does in cells of this outcome, in words. */
/* What a program did in cells of this outcome, in words (past tense: it
 * reads the same for one program and for several). */
static const char *const outcome_verbs[OUTCOME_COUNT] = {
	[OUTCOME_OK] = "passed every byte",
	[OUTCOME_BLOCKED] = "hung (asleep in splice)",
	[OUTCOME_STALLED] = "hung (waiting for readiness that never came)",
	[OUTCOME_SPIN] = "spun (retried EAGAIN without progress)",
	[OUTCOME_ERROR] = "failed with an error",
	[OUTCOME_CORRUPT] = "corrupted the data",
	[OUTCOME_CRASHED] = "crashed",
};

/* The order a summary lists them in: the trouble first. */
static const int verb_order[] = {OUTCOME_BLOCKED, OUTCOME_STALLED, OUTCOME_SPIN,
				 OUTCOME_CORRUPT, OUTCOME_CRASHED, OUTCOME_ERROR, OUTCOME_OK};

static bool ran_anywhere(const struct joined *joined, const char *name)
{
	for (size_t r = 0; r < joined->nrows; r++) {
		const struct acell *cell = join_first(joined, r);
		if (cell->profile && strcmp(cell->profile, name) == 0)
			return true;
	}
	return false;
}

/* Outcome counts of one profile's cells on kernel k. */
static size_t profile_counts(const struct joined *joined, size_t k, const char *name,
			     long long counts[OUTCOME_COUNT])
{
	memset(counts, 0, OUTCOME_COUNT * sizeof counts[0]);
	size_t n = 0;
	for (size_t r = 0; r < joined->nrows; r++) {
		const struct acell *cell = join_cell(joined, r, k);
		if (cell && cell->profile && strcmp(cell->profile, name) == 0) {
			counts[cell->outcome]++;
			n++;
		}
	}
	return n;
}

/* The profile's worst outcome on kernel k (verb_order), or -1. */
static int profile_verdict(const long long counts[OUTCOME_COUNT])
{
	for (size_t v = 0; v < sizeof verb_order / sizeof verb_order[0]; v++)
		if (counts[verb_order[v]])
			return verb_order[v];
	return -1;
}

bool programs_any(const struct joined *joined)
{
	for (size_t i = 0; i < profile_count; i++)
		if (ran_anywhere(joined, profiles[i].name))
			return true;
	return false;
}

void programs_summary(const struct joined *joined, size_t k, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	bool any = false;
	for (size_t v = 0; v < sizeof verb_order / sizeof verb_order[0]; v++) {
		bool listed = false;
		for (size_t i = 0; i < profile_count; i++) {
			long long counts[OUTCOME_COUNT];
			size_t n = profile_counts(joined, k, profiles[i].name, counts);
			if (!n || profile_verdict(counts) != verb_order[v])
				continue;
			const char *verb = outcome_verbs[verb_order[v]];
			if (listed)
				appendf(buf, len, &used, "; ");
			else
				appendf(buf, len, &used, "%s%c%s: ", any ? ". " : "",
					(char)toupper((unsigned char)verb[0]), verb + 1);
			appendf(buf, len, &used, "%s (`%s`", profiles[i].program, profiles[i].name);
			if ((size_t)counts[verb_order[v]] < n)
				appendf(buf, len, &used, ", in %lld of %zu cells", counts[verb_order[v]], n);
			appendf(buf, len, &used, ")");
			listed = any = true;
		}
	}
	bool missing = false;
	for (size_t i = 0; i < profile_count; i++) {
		long long counts[OUTCOME_COUNT];
		if (profile_counts(joined, k, profiles[i].name, counts) ||
		    !ran_anywhere(joined, profiles[i].name))
			continue;
		appendf(buf, len, &used, "%s`%s`", missing ? ", " : any ? ". Not run here: " : "Not run here: ",
			profiles[i].name);
		missing = any = true;
	}
	appendf(buf, len, &used, any ? "." : "no profile cell ran on this kernel.");
}

void programs_cell(const struct joined *joined, size_t k, size_t profile, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	const char *name = profiles[profile].name;
	for (size_t v = 0; v < sizeof verb_order / sizeof verb_order[0]; v++) {
		bool listed = false;
		for (size_t r = 0; r < joined->nrows; r++) {
			const struct acell *cell = join_cell(joined, r, k);
			if (!cell || !cell->profile || strcmp(cell->profile, name) != 0 ||
			    cell->outcome != verb_order[v])
				continue;
			char payload[24];
			format_size((uint64_t)cell->payload, payload, sizeof payload);
			appendf(buf, len, &used, "%s%s%s %s", listed ? "," : used ? "; " : "",
				listed ? "" : outcome_names[cell->outcome], listed ? "" : ":",
				cell->scenario);
			/* Only what differs from the defaults of a profile cell. */
			if (strcmp(cell->transport, "tcp4") != 0)
				appendf(buf, len, &used, " %s", cell->transport);
			appendf(buf, len, &used, " %s", payload);
			if (strcmp(cell->sender, "one") != 0)
				appendf(buf, len, &used, " sender %s", cell->sender);
			struct load_facts f;
			if (load_facts_of(&joined->runs[k], cell, &f) == 0) {
				char condition[160];
				load_condition_text(&f, condition, sizeof condition);
				appendf(buf, len, &used, " (%s)", condition);
			}
			listed = true;
		}
	}
	if (!used)
		appendf(buf, len, &used, "-");
}

/* Profiles with a cell on some kernel, in the table's order; returns how
 * many were written to which[]. */
size_t programs_ran(const struct joined *joined, size_t *which, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < profile_count && n < max; i++)
		if (ran_anywhere(joined, profiles[i].name))
			which[n++] = i;
	return n;
}

const char *program_name(size_t profile)
{
	return profiles[profile].name;
}

const char *program_text(size_t profile)
{
	return profiles[profile].program;
}

/* What a program does in a load cell of this outcome (present tense: a
 * condition, "hangs with 128 connections as nobody"). */
static const char *const load_verbs[OUTCOME_COUNT] = {
	[OUTCOME_OK] = "passes",
	[OUTCOME_BLOCKED] = "hangs (asleep in splice)",
	[OUTCOME_STALLED] = "hangs (waiting for readiness)",
	[OUTCOME_SPIN] = "spins",
	[OUTCOME_ERROR] = "fails with an error",
	[OUTCOME_CORRUPT] = "corrupts the data",
	[OUTCOME_CRASHED] = "crashes",
};

/* The facts behind a stuck load cell: how many finished, and the pipes
 * the connections past the per-user limit got. */
static void load_why(const struct load_facts *f, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	appendf(buf, len, &used, "%lld of %lld finished", f->finished, f->connections);
	long long smallest = load_smallest_pipe(f);
	if (load_accounting_bit(f) && smallest > 0) {
		long long slots = smallest / f->page_size;
		appendf(buf, len, &used,
			"; past the per-user pipe limit new pipes got %lld slot%s, F_SETPIPE_SZ "
			"refused with EPERM",
			slots, slots == 1 ? "" : "s");
	}
}

/* One profile's load cells on kernel k, the trouble first: "Go 1.21.0 to
 * 1.21.4 (`go1.21.0-1.21.4`) under load: hangs (...) with 128 connections
 * as nobody (32 of 128 finished; ...); passes with ... and with ...", or
 * "passes in every load cell (...)". Nothing when it ran none here. */
static void load_sentence(const struct joined *joined, size_t k, size_t profile, char *buf,
			  size_t len, size_t *used)
{
	const char *name = profiles[profile].name;
	size_t n = 0, passed = 0;
	for (size_t r = 0; r < joined->nrows; r++) {
		const struct acell *cell = join_cell(joined, r, k);
		if (cell && cell->profile && strcmp(cell->profile, name) == 0 &&
		    strcmp(cell->scenario, "load") == 0) {
			n++;
			passed += cell->outcome == OUTCOME_OK;
		}
	}
	if (!n)
		return;
	appendf(buf, len, used, "%s%s (`%s`) under load:", *used ? " " : "",
		profiles[profile].program, name);
	if (passed == n && n > 1)
		appendf(buf, len, used, " passes in every load cell (");
	size_t shown = 0;
	for (size_t v = 0; v < sizeof verb_order / sizeof verb_order[0]; v++) {
		size_t listed = 0;
		for (size_t r = 0; r < joined->nrows; r++) {
			const struct acell *cell = join_cell(joined, r, k);
			struct load_facts f;
			if (!cell || !cell->profile || strcmp(cell->profile, name) != 0 ||
			    cell->outcome != verb_order[v] ||
			    load_facts_of(&joined->runs[k], cell, &f) != 0)
				continue;
			char condition[160];
			load_condition_text(&f, condition, sizeof condition);
			if (passed == n && n > 1)
				appendf(buf, len, used, "%s%s", shown ? "; " : "", condition);
			else if (listed)
				appendf(buf, len, used, " and with %s", condition);
			else
				appendf(buf, len, used, "%s %s with %s", shown ? ";" : "",
					load_verbs[verb_order[v]], condition);
			if (cell->outcome != OUTCOME_OK) {
				char why[256];
				load_why(&f, why, sizeof why);
				appendf(buf, len, used, " (%s)", why);
			}
			listed++;
			shown++;
		}
	}
	appendf(buf, len, used, "%s.", passed == n && n > 1 ? ")" : "");
}

void programs_load_summary(const struct joined *joined, size_t k, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < profile_count; i++)
		load_sentence(joined, k, i, buf, len, &used);
}
