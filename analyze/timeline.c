/* A cell's splice_to_pipe calls as the probes saw them: kernel.timeline in
 * the cell, or, for a matrix without it, the cell's splice_to_pipe entry
 * and exit events in events.jsonl (an entry gives the occupancy before,
 * the thread's next exit the occupancy after and the result). */
#include "analyze.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static long long int_or(const json_t *obj, const char *key, long long fallback)
{
	const json_t *value = json_object_get(obj, key);
	return json_is_integer(value) ? (long long)json_integer_value(value) : fallback;
}

static size_t from_cell(const json_t *cell, struct tl_point *points, size_t max)
{
	const json_t *timeline = json_object_get(json_object_get(cell, "kernel"), "timeline");
	size_t n = 0, i;
	const json_t *item;
	json_array_foreach(timeline, i, item)
	{
		if (n == max)
			break;
		points[n] = (struct tl_point){
			.number = (long long)n + 1,
			.slots_before = int_or(item, "slots_before", -1),
			.slots_after = int_or(item, "slots_after", -1),
			.bytes_before = int_or(item, "bytes_before", -1),
			.bytes_after = int_or(item, "bytes_after", -1),
			.slots_total = int_or(item, "slots_total", -1),
			.ret = int_or(item, "ret", -1),
			.returned = json_is_integer(json_object_get(item, "ret")),
		};
		n++;
	}
	return n;
}

/* The chosen cells' timelines from events.jsonl, read once per kernel
 * (timeline_prefetch), up to TL_MAX calls each. */
#define TL_MAX 64

struct tl_slot {
	const struct run *run;
	const struct acell *cell;
	size_t n;
	long long open_tid;
	struct tl_point points[TL_MAX];
};

static struct tl_slot *slots;
static size_t nslots;

static void add_event(struct tl_slot *slot, const json_t *event, const char *phase)
{
	long long tid = int_or(event, "tid", -1);
	if (strcmp(phase, "entry") == 0 && slot->n < TL_MAX) {
		long long previous = slot->n ? slot->points[slot->n - 1].number : 0;
		slot->points[slot->n++] = (struct tl_point){
			.number = previous < LLONG_MAX ? previous + 1 : previous,
			.slots_before = int_or(event, "slots_used", -1),
			.bytes_before = int_or(event, "bytes_in_pipe", -1),
			.slots_total = int_or(event, "slots_total", -1),
			.slots_after = -1,
			.bytes_after = -1,
			.ret = -1,
		};
		slot->open_tid = tid;
	} else if (strcmp(phase, "exit") == 0 && slot->n > 0 && tid == slot->open_tid &&
		   !slot->points[slot->n - 1].returned) {
		struct tl_point *p = &slot->points[slot->n - 1];
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

/* One pass over path for count slots of one run. */
static void read_events(const char *path, struct tl_slot *first, size_t count)
{
	FILE *file = fopen(path, "r");
	if (!file)
		return;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, file) > 0) {
		/* Most lines are other functions': skip them unparsed. */
		if (!strstr(line, "\"splice_to_pipe\""))
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
	free(line);
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
			if (cell && !(cell->clues & CLUE_TIMELINE))
				slots[nslots++] = (struct tl_slot){.run = run, .cell = cell, .open_tid = -1};
		}
		if (nslots > from)
			read_events(run->events_path, &slots[from], nslots - from);
	}
}

void timeline_release(void)
{
	free(slots);
	slots = NULL;
	nslots = 0;
}

size_t timeline_of(const struct run *run, const struct acell *cell, struct tl_point *points,
		   size_t max, const char **from)
{
	*from = NULL;
	if (cell->clues & CLUE_TIMELINE) {
		json_t *full = acell_json(run, cell);
		size_t n = from_cell(full, points, max);
		json_decref(full);
		*from = n ? "kernel.timeline" : NULL;
		return n;
	}
	for (size_t i = 0; i < nslots; i++) {
		if (slots[i].run != run || slots[i].cell != cell)
			continue;
		size_t n = slots[i].n < max ? slots[i].n : max;
		memcpy(points, slots[i].points, n * sizeof *points);
		*from = n ? "events.jsonl" : NULL;
		return n;
	}
	return 0;
}
