/* A cell's splice_to_pipe calls as the probes saw them: kernel.timeline in
 * the cell, or, for a matrix without it, the cell's splice_to_pipe entry
 * and exit events in events.jsonl (an entry gives the occupancy before,
 * the thread's next exit the occupancy after and the result). */
#include "analyze.h"

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
		points[n++] = (struct tl_point){
			.slots_before = int_or(item, "slots_before", -1),
			.slots_after = int_or(item, "slots_after", -1),
			.bytes_before = int_or(item, "bytes_before", -1),
			.bytes_after = int_or(item, "bytes_after", -1),
			.slots_total = int_or(item, "slots_total", -1),
			.ret = int_or(item, "ret", -1),
			.returned = json_is_integer(json_object_get(item, "ret")),
		};
	}
	return n;
}

static size_t from_events(const char *path, const char *id, struct tl_point *points, size_t max)
{
	FILE *file = fopen(path, "r");
	if (!file)
		return 0;
	char *line = NULL;
	size_t cap = 0, n = 0;
	long long open_tid = -1;
	while (getline(&line, &cap, file) > 0) {
		/* Most lines are other cells' or other functions': skip them unparsed. */
		if (!strstr(line, "splice_to_pipe") || !strstr(line, id))
			continue;
		json_t *event = json_loads(line, 0, NULL);
		const char *cell = json_string_value(json_object_get(event, "cell"));
		const char *fn = json_string_value(json_object_get(event, "fn"));
		const char *phase = json_string_value(json_object_get(event, "phase"));
		if (cell && fn && phase && strcmp(cell, id) == 0 && strcmp(fn, "splice_to_pipe") == 0) {
			long long tid = int_or(event, "tid", -1);
			if (strcmp(phase, "entry") == 0 && n < max) {
				points[n++] = (struct tl_point){
					.slots_before = int_or(event, "slots_used", -1),
					.bytes_before = int_or(event, "bytes_in_pipe", -1),
					.slots_total = int_or(event, "slots_total", -1),
					.slots_after = -1,
					.bytes_after = -1,
					.ret = -1,
				};
				open_tid = tid;
			} else if (strcmp(phase, "exit") == 0 && n > 0 && tid == open_tid &&
				   !points[n - 1].returned) {
				struct tl_point *p = &points[n - 1];
				p->slots_after = int_or(event, "slots_used", -1);
				p->bytes_after = int_or(event, "bytes_in_pipe", -1);
				p->ret = int_or(event, "ret", -1);
				p->returned = json_is_integer(json_object_get(event, "ret"));
			}
		}
		json_decref(event);
	}
	free(line);
	fclose(file);
	return n;
}

size_t timeline_of(const struct run *run, const struct acell *cell, struct tl_point *points,
		   size_t max, const char **from)
{
	json_t *full = acell_json(run, cell);
	size_t n = from_cell(full, points, max);
	json_decref(full);
	*from = n ? "kernel.timeline" : NULL;
	if (!n && run->events_path) {
		n = from_events(run->events_path, cell->id, points, max);
		*from = n ? "events.jsonl" : NULL;
	}
	return n;
}
