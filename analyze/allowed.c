/* The allowed values of every enumerated field analyze reads, in one
 * place. Most lists are the engine's own name tables (common/params.c,
 * common/profiles.c), so a scenario, loop or profile the engine learns (a
 * `load` scenario, say) is accepted here as soon as it is named there;
 * anything else in such a field is refused on input, never written out.
 * The free-text fields (labels, notes, stack frames) are escaped by each
 * output instead (fmt.c). */
#include "analyze.h"

#include <string.h>

#include "profiles.h"

static const char *const virt_names[] = {"native", "qemu-tcg", "qemu-kvm"};
static const char *const probe_mode_names[] = {"kprobe", "fentry", "none"};

static const char *profile_name(size_t i)
{
	return profiles[i].name;
}

static const char *flag_name(size_t i)
{
	return splice_flag_names[i].name;
}

/* One enumerated field and its list: a name table, or a function that
 * returns the i-th name. */
struct allowed_list {
	enum allowed_field field;
	const char *const *names;
	const char *(*name_at)(size_t i);
	size_t count;
};

#define TABLE(f, table) {f, table, NULL, sizeof(table) / sizeof((table)[0])}

static const struct allowed_list lists[] = {
	TABLE(FIELD_SCENARIO, scenario_names),
	TABLE(FIELD_TRANSPORT, transport_names),
	TABLE(FIELD_LOOP, loop_names),
	TABLE(FIELD_SENDER, sender_names),
	TABLE(FIELD_OUTCOME, outcome_names),
	TABLE(FIELD_VIRT, virt_names),
	TABLE(FIELD_PROBE_MODE, probe_mode_names),
	{FIELD_PROFILE, NULL, profile_name, 0},
	{FIELD_FLAG, NULL, flag_name, sizeof splice_flag_names / sizeof splice_flag_names[0]},
};

static const struct allowed_list *list_of(enum allowed_field field)
{
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		if (lists[i].field == field)
			return &lists[i];
	return NULL;
}

static size_t count_of(const struct allowed_list *list)
{
	return list->field == FIELD_PROFILE ? profile_count : list->count;
}

static const char *name_of(const struct allowed_list *list, size_t i)
{
	return list->names ? list->names[i] : list->name_at(i);
}

int allowed_index(enum allowed_field field, const char *value)
{
	const struct allowed_list *list = list_of(field);
	for (size_t i = 0; list && value && i < count_of(list); i++)
		if (strcmp(name_of(list, i), value) == 0)
			return (int)i;
	return -1;
}

void allowed_text(enum allowed_field field, char *buf, size_t len)
{
	const struct allowed_list *list = list_of(field);
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; list && i < count_of(list); i++)
		appendf(buf, len, &used, "%s%s", i ? ", " : "", name_of(list, i));
}

/* Ids are built from the parameters (docs/schema.md): letters, digits and
 * the separators of sizes, flag sets and key=value pairs. */
bool id_allowed(const char *id)
{
	size_t n = strlen(id);
	return n > 0 && n <= ANALYZE_MAX_ID &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=,.:+|_/-") == n;
}
