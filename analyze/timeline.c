/* A cell's splice_to_pipe calls as the probes saw them: kernel.timeline in
 * the cell (the probes keep its first 64 calls), or, when events.jsonl is
 * beside the matrix and holds more, the cell's splice_to_pipe entry and
 * exit events from it, every call (an entry gives the occupancy before,
 * the thread's next exit the occupancy after and the result). */
#include "analyze.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* At most this many calls of one cell are kept from events.jsonl (a
 * million calls is 64 MB; the plots decimate, the tables show the ends). */
#define TL_EVENTS_MAX (1u << 20)
/* An events.jsonl line longer than this is not an event of ours. */
#define TL_LINE_MAX 65536

static long long int_or(const json_t *obj, const char *key, long long fallback)
{
	const json_t *value = json_object_get(obj, key);
	return json_is_integer(value) ? (long long)json_integer_value(value) : fallback;
}

static int grow(struct timeline *tl, size_t *cap)
{
	if (tl->n < *cap)
		return 0;
	size_t more = *cap ? *cap * 2 : 64;
	struct tl_point *points = realloc(tl->points, more * sizeof *points);
	if (!points)
		return -1;
	tl->points = points;
	*cap = more;
	return 0;
}

static void from_cell(const json_t *cell, struct timeline *tl)
{
	const json_t *kernel = json_object_get(cell, "kernel");
	const json_t *timeline = json_object_get(kernel, "timeline");
	size_t cap = 0, i;
	const json_t *item;
	json_array_foreach(timeline, i, item)
	{
		if (grow(tl, &cap) < 0)
			break;
		tl->points[tl->n] = (struct tl_point){
			.number = (long long)tl->n + 1,
			.slots_before = int_or(item, "slots_before", -1),
			.slots_after = int_or(item, "slots_after", -1),
			.bytes_before = int_or(item, "bytes_before", -1),
			.bytes_after = int_or(item, "bytes_after", -1),
			.slots_total = int_or(item, "slots_total", -1),
			.ret = int_or(item, "ret", -1),
			.returned = json_is_integer(json_object_get(item, "ret")),
		};
		tl->n++;
	}
	tl->calls = int_or(json_object_get(kernel, "calls"), "splice_to_pipe", -1);
	tl->max_slots = int_or(kernel, "max_slots_used", -1);
}

/* The chosen cells' timelines from events.jsonl, read once per kernel
 * (timeline_prefetch). */
struct tl_slot {
	const struct run *run;
	const struct acell *cell;
	struct timeline tl;
	size_t cap;
	long long open_tid;
};

static struct tl_slot *slots;
static size_t nslots;

static void add_event(struct tl_slot *slot, const json_t *event, const char *phase)
{
	long long tid = int_or(event, "tid", -1);
	struct timeline *tl = &slot->tl;
	if (strcmp(phase, "entry") == 0 && tl->n < TL_EVENTS_MAX) {
		if (grow(tl, &slot->cap) < 0)
			return;
		long long previous = tl->n ? tl->points[tl->n - 1].number : 0;
		tl->points[tl->n++] = (struct tl_point){
			.number = previous < LLONG_MAX ? previous + 1 : previous,
			.slots_before = int_or(event, "slots_used", -1),
			.bytes_before = int_or(event, "bytes_in_pipe", -1),
			.slots_total = int_or(event, "slots_total", -1),
			.slots_after = -1,
			.bytes_after = -1,
			.ret = -1,
		};
		slot->open_tid = tid;
	} else if (strcmp(phase, "exit") == 0 && tl->n > 0 && tid == slot->open_tid &&
		   !tl->points[tl->n - 1].returned) {
		struct tl_point *p = &tl->points[tl->n - 1];
		p->slots_after = int_or(event, "slots_used", -1);
		p->bytes_after = int_or(event, "bytes_in_pipe", -1);
		p->ret = int_or(event, "ret", -1);
		p->returned = json_is_integer(json_object_get(event, "ret"));
		/* Identical EAGAIN calls before this one, counted but not sent. */
		long long folded = int_or(event, "folded_before", 0);
		if (folded > 0 && p->number <= LLONG_MAX - folded)
			p->number += folded;
	}
}

/* One pass over path for count slots of one run; lines are read into a
 * fixed buffer (a line without an end, or a huge one, is skipped). */
static void read_events(const char *path, struct tl_slot *first, size_t count)
{
	char why[160];
	int fd = input_open(path, false, why, sizeof why);
	FILE *file = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!file) {
		if (fd >= 0)
			close(fd);
		return;
	}
	static char line[TL_LINE_MAX];
	bool skipping = false;
	while (fgets(line, sizeof line, file)) {
		bool whole = strchr(line, '\n') != NULL;
		bool skip = skipping || !whole;
		skipping = !whole;
		/* Most lines are other functions': skip them unparsed. */
		if (skip || !strstr(line, "\"splice_to_pipe\""))
			continue;
		json_t *event = json_loads(line, 0, NULL);
		const char *cell = json_string_value(json_object_get(event, "cell"));
		const char *fn = json_string_value(json_object_get(event, "fn"));
		const char *phase = json_string_value(json_object_get(event, "phase"));
		if (cell && fn && phase && strcmp(fn, "splice_to_pipe") == 0)
			for (size_t i = 0; i < count; i++)
				if (strcmp(first[i].cell->id, cell) == 0)
					add_event(&first[i], event, phase);
		json_decref(event);
	}
	fclose(file);
}

void timeline_prefetch(const struct joined *joined, const size_t *rows, size_t nrows)
{
	timeline_release();
	slots = calloc(nrows * joined->nruns + 1, sizeof *slots);
	if (!slots)
		return;
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct run *run = &joined->runs[k];
		if (!run->events_path)
			continue;
		size_t from = nslots;
		for (size_t i = 0; i < nrows; i++) {
			const struct acell *cell = join_cell(joined, rows[i], k);
			/* The matrix's own timeline is whole unless the probes
			 * counted more calls than it keeps. */
			if (cell && (!(cell->clues & CLUE_TIMELINE) || (cell->clues & CLUE_TIMELINE_CUT)))
				slots[nslots++] = (struct tl_slot){.run = run, .cell = cell, .open_tid = -1};
		}
		if (nslots > from)
			read_events(run->events_path, &slots[from], nslots - from);
	}
}

void timeline_release(void)
{
	for (size_t i = 0; i < nslots; i++)
		free(slots[i].tl.points);
	free(slots);
	slots = NULL;
	nslots = 0;
}

static int copy_of(const struct timeline *from, struct timeline *to, const char *name)
{
	to->points = malloc((from->n ? from->n : 1) * sizeof *to->points);
	if (!to->points)
		return -1;
	memcpy(to->points, from->points, from->n * sizeof *to->points);
	to->n = from->n;
	to->calls = from->n ? from->points[from->n - 1].number : -1;
	to->max_slots = -1;
	to->from = name;
	return 0;
}

void timeline_get(const struct run *run, const struct acell *cell, struct timeline *tl)
{
	memset(tl, 0, sizeof *tl);
	tl->calls = -1;
	tl->max_slots = -1;
	if (cell->clues & CLUE_TIMELINE) {
		json_t *full = acell_json(run, cell);
		from_cell(full, tl);
		json_decref(full);
		tl->from = tl->n ? "kernel.timeline" : NULL;
	}
	for (size_t i = 0; i < nslots; i++) {
		if (slots[i].run != run || slots[i].cell != cell || slots[i].tl.n <= tl->n)
			continue;
		struct timeline events;
		if (copy_of(&slots[i].tl, &events, "events.jsonl") < 0)
			return;
		timeline_free(tl);
		*tl = events;
		return;
	}
}

void timeline_free(struct timeline *tl)
{
	free(tl->points);
	memset(tl, 0, sizeof *tl);
}
