/* The facts of one load cell (its `load` object, docs/schema.md) that the
 * reports put side by side across kernels: per-connection counts, pipe
 * sizes, F_SETPIPE_SZ refusals, the user and the per-user pipe limits.
 * Read again from the cell's own JSON text (load cells are few), each
 * value type-checked here: a field of the wrong type reads as absent, a
 * user or errno name with characters outside a small set is not shown as
 * it came, so no output escapes it wrongly. */
#include "analyze.h"

#include <ctype.h>
#include <string.h>

static long long int_or(const json_t *object, const char *key, long long fallback)
{
	const json_t *value = json_object_get(object, key);
	return json_is_integer(value) && json_integer_value(value) >= 0
		       ? (long long)json_integer_value(value)
		       : fallback;
}

/* name copied when it is made of [A-Za-z0-9._-] only (a passwd name or an
 * errno name), else fallback. */
static void name_or(const json_t *value, char *buf, size_t len, const char *fallback)
{
	const char *text = json_string_value(value);
	bool ok = text && *text && strlen(text) < len;
	for (const char *p = text; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-';
	snprintf(buf, len, "%s", ok ? text : fallback);
}

int load_facts_of(const struct run *run, const struct acell *cell, struct load_facts *f)
{
	memset(f, 0, sizeof *f);
	if (strcmp(cell->scenario, "load") != 0)
		return -1;
	json_t *full = acell_json(run, cell);
	const json_t *load = json_object_get(full, "load");
	if (!json_is_object(load)) {
		json_decref(full);
		return -1;
	}
	f->connections = int_or(load, "connections", 0);
	const json_t *user = json_object_get(load, "user");
	f->uid = int_or(user, "uid", -1);
	f->invoking = json_is_string(json_object_get(user, "name")) &&
		      strcmp(json_string_value(json_object_get(user, "name")), "(invoking user)") == 0;
	char fallback[32];
	snprintf(fallback, sizeof fallback, "uid %lld", f->uid);
	name_or(json_object_get(user, "name"), f->user, sizeof f->user, fallback);
	const json_t *limits = json_object_get(load, "pipe_limits");
	f->soft = int_or(limits, "user_pages_soft", -1);
	f->hard = int_or(limits, "user_pages_hard", -1);
	f->pressure = int_or(json_object_get(load, "pipe_pressure"), "pages_asked", 0);
	f->pages_at_start = int_or(json_object_get(load, "user_pages_at_start"), "pages", -1);
	const json_t *pipes = json_object_get(load, "pipes");
	f->created = int_or(pipes, "created", 0);
	f->refused = int_or(pipes, "setpipe_refused", 0);
	name_or(json_object_get(pipes, "setpipe_errno"), f->refused_errno, sizeof f->refused_errno,
		"");
	size_t i;
	const json_t *item;
	json_array_foreach(json_object_get(pipes, "sizes"), i, item)
	{
		if (f->nsizes == LOAD_MAX_SIZES)
			break;
		long long size = int_or(item, "size", -1), count = int_or(item, "count", -1);
		if (size > 0 && count >= 0)
			f->sizes[f->nsizes++] = (struct load_size){size, count};
	}
	const json_t *per = json_object_get(load, "per_connection");
	f->finished = int_or(per, "finished", 0);
	f->blocked = int_or(per, "blocked", 0);
	f->stalled = int_or(per, "stalled", 0);
	f->spin = int_or(per, "spin", 0);
	f->unknown = int_or(per, "unknown", 0);
	f->not_started = int_or(per, "not_started", 0);
	f->open = int_or(per, "open", 0);
	f->finished_first = int_or(per, "finished_first", -1);
	f->page_size = int_or(json_object_get(run->head, "env"), "page_size", 4096);
	if (f->page_size <= 0)
		f->page_size = 4096;
	json_decref(full);
	f->present = true;
	return 0;
}

long long load_smallest_pipe(const struct load_facts *f)
{
	long long smallest = -1;
	for (size_t i = 0; i < f->nsizes; i++)
		if (f->sizes[i].count > 0 && (smallest < 0 || f->sizes[i].size < smallest))
			smallest = f->sizes[i].size;
	return smallest;
}

bool load_accounting_bit(const struct load_facts *f)
{
	return f->refused > 0 && strcmp(f->refused_errno, "EPERM") == 0;
}

void load_user_text(const struct load_facts *f, char *buf, size_t len)
{
	if (f->invoking)
		snprintf(buf, len, "as the invoking user");
	else
		snprintf(buf, len, "as %s", f->user);
}

void load_counts_text(const struct load_facts *f, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	appendf(buf, len, &used, "%lld of %lld finished", f->finished, f->connections);
	const struct {
		const char *word;
		long long n;
	} rest[] = {{"blocked", f->blocked},	     {"stalled", f->stalled},
		    {"spin", f->spin},		     {"unknown", f->unknown},
		    {"not started", f->not_started}, {"open", f->open}};
	for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
		if (rest[i].n)
			appendf(buf, len, &used, ", %lld %s", rest[i].n, rest[i].word);
}

void load_pipes_text(const struct load_facts *f, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < f->nsizes; i++) {
		char size[24];
		format_size((uint64_t)f->sizes[i].size, size, sizeof size);
		appendf(buf, len, &used, "%s%lld × %s", i ? ", " : "", f->sizes[i].count, size);
	}
	if (!used)
		appendf(buf, len, &used, "-");
}

void load_refused_text(const struct load_facts *f, char *buf, size_t len)
{
	if (!f->refused)
		snprintf(buf, len, "none");
	else
		snprintf(buf, len, "%lld (%s)", f->refused, f->refused_errno[0] ? f->refused_errno : "?");
}

void load_limits_text(const struct load_facts *f, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	if (f->soft < 0)
		appendf(buf, len, &used, "soft -");
	else
		appendf(buf, len, &used, "soft %lld", f->soft);
	if (f->hard < 0)
		appendf(buf, len, &used, ", hard -");
	else
		appendf(buf, len, &used, ", hard %lld", f->hard);
	if (f->pages_at_start >= 0)
		appendf(buf, len, &used, "; %lld pages at start", f->pages_at_start);
}

void load_condition_text(const struct load_facts *f, char *buf, size_t len)
{
	char user[96];
	load_user_text(f, user, sizeof user);
	size_t used = 0;
	buf[0] = '\0';
	appendf(buf, len, &used, "%lld connection%s %s", f->connections,
		f->connections == 1 ? "" : "s", user);
	if (f->pressure)
		appendf(buf, len, &used, " holding %lld pipe pages first", f->pressure);
}

void load_facts_text(const struct load_facts *f, char *buf, size_t len)
{
	char counts[160], pipes[400], refused[64], limits[96];
	load_counts_text(f, counts, sizeof counts);
	load_pipes_text(f, pipes, sizeof pipes);
	load_refused_text(f, refused, sizeof refused);
	load_limits_text(f, limits, sizeof limits);
	snprintf(buf, len, "%s; pipes %s; F_SETPIPE_SZ refused: %s; pipe-user-pages %s", counts,
		 pipes, refused, limits);
}

void load_line(const struct load_facts *f, char *buf, size_t len)
{
	char condition[160], facts[800];
	load_condition_text(f, condition, sizeof condition);
	load_facts_text(f, facts, sizeof facts);
	snprintf(buf, len, "%s: %s", condition, facts);
}

bool load_row(const struct joined *joined, size_t r)
{
	return strcmp(join_first(joined, r)->scenario, "load") == 0;
}

void load_row_title(const struct joined *joined, size_t r, char *buf, size_t len)
{
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct acell *cell = join_cell(joined, r, k);
		struct load_facts f;
		if (!cell || load_facts_of(&joined->runs[k], cell, &f) != 0)
			continue;
		char condition[160];
		load_condition_text(&f, condition, sizeof condition);
		snprintf(buf, len, "%s: %s", cell->profile ? cell->profile : cell->id, condition);
		return;
	}
	snprintf(buf, len, "%s", join_first(joined, r)->id);
}

void load_cell_text(const struct joined *joined, size_t r, size_t k, char *buf, size_t len)
{
	const struct acell *cell = join_cell(joined, r, k);
	struct load_facts f;
	if (!cell) {
		snprintf(buf, len, "-");
		return;
	}
	char word[32];
	outcome_word(cell, word, sizeof word);
	if (load_facts_of(&joined->runs[k], cell, &f) != 0) {
		snprintf(buf, len, "%s (no load facts)", word);
	} else {
		char facts[800];
		load_facts_text(&f, facts, sizeof facts);
		snprintf(buf, len, "%s: %s", word, facts);
	}
}

const struct side_table load_side_table = {
	.heading = "Many connections (load cells)",
	.note = "Each load cell runs N connections through one relay process. Per kernel: the "
		"outcome, how many connections finished or got stuck, the pipe sizes they got "
		"(count × size), the F_SETPIPE_SZ refusals and the per-user pipe limits "
		"(pipe-user-pages-soft/hard) with the user's pages when the relay started.",
	.id = "load",
	.first = "load cell",
	.row = load_row,
	.row_title = load_row_title,
	.cell_text = load_cell_text,
};
