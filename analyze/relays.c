/* The --relay-cmd cells, by relay: the user's own programs, each named as
 * in its cells' ids (relay=NAME,...), so one program's cells join across
 * kernels whatever path it ran from there (the lab's guests run a copy in
 * /bin, the host the file where it lies). */
#include "analyze.h"

#include <string.h>

size_t relays_ran(const struct joined *joined, const char **names, size_t max)
{
	size_t n = 0;
	for (size_t r = 0; r < joined->nrows; r++) {
		const char *name = join_first(joined, r)->relay;
		bool seen = !name;
		for (size_t i = 0; i < n && !seen; i++)
			seen = strcmp(names[i], name) == 0;
		if (!seen && n < max)
			names[n++] = name;
	}
	return n;
}

/* Kernel k's cell on row r when it is one of relay name's. */
static const struct acell *relay_cell(const struct joined *joined, size_t r, size_t k,
				      const char *name)
{
	const struct acell *cell = join_cell(joined, r, k);
	return cell && cell->relay && strcmp(cell->relay, name) == 0 ? cell : NULL;
}

/* The command kernel k's first cell of the relay recorded, or NULL. */
static const char *command_on(const struct joined *joined, size_t k, const char *name)
{
	for (size_t r = 0; r < joined->nrows; r++) {
		const struct acell *cell = relay_cell(joined, r, k, name);
		if (cell)
			return cell->relay_cmd;
	}
	return NULL;
}

void relay_command_text(const struct joined *joined, const char *name, char *buf, size_t len)
{
	const char *first = NULL;
	bool same = true;
	for (size_t k = 0; k < joined->nruns; k++) {
		const char *cmd = command_on(joined, k, name);
		if (cmd && first)
			same &= strcmp(cmd, first) == 0;
		else if (cmd)
			first = cmd;
	}
	size_t used = 0;
	buf[0] = '\0';
	if (same) {
		appendf(buf, len, &used, "%s", first ? first : "");
		return;
	}
	/* The same name, other paths (a guest's copy in /bin, the host's
	 * file): each kernel's, so nothing is hidden. */
	for (size_t k = 0; k < joined->nruns; k++) {
		const char *cmd = command_on(joined, k, name);
		if (cmd)
			appendf(buf, len, &used, "%s%c: %s", used ? "; " : "", kernel_letter(k), cmd);
	}
}

void relay_outcomes(const struct joined *joined, size_t k, const char *name, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	/* The trouble first, then what passed. */
	for (int pass = 0; pass < 2; pass++) {
		for (int o = 0; o < OUTCOME_COUNT; o++) {
			if ((o == OUTCOME_OK) != (pass == 1))
				continue;
			bool listed = false;
			for (size_t r = 0; r < joined->nrows; r++) {
				const struct acell *cell = relay_cell(joined, r, k, name);
				if (!cell || cell->outcome != o)
					continue;
				char conditions[256];
				relay_conditions(cell, conditions, sizeof conditions);
				appendf(buf, len, &used, "%s%s%s%s", listed ? ", " : used ? "; " : "",
					listed ? "" : outcome_names[o], listed ? "" : ": ", conditions);
				listed = true;
			}
		}
	}
	if (!used)
		appendf(buf, len, &used, "-");
}

size_t relay_notes(const struct joined *joined, size_t k, const char *name, char notes[][1024],
		   size_t max)
{
	size_t n = 0;
	for (size_t r = 0; r < joined->nrows && n < max; r++) {
		const struct acell *cell = relay_cell(joined, r, k, name);
		if (!cell || cell->outcome == OUTCOME_OK)
			continue;
		json_t *full = acell_json(&joined->runs[k], cell);
		const char *note = json_string_value(
			json_object_get(json_object_get(full, "evidence"), "note"));
		char conditions[256];
		relay_conditions(cell, conditions, sizeof conditions);
		snprintf(notes[n++], 1024, "%c, %s, %s: %s", kernel_letter(k), conditions,
			 outcome_names[cell->outcome], note ? note : "(no note)");
		json_decref(full);
	}
	return n;
}
