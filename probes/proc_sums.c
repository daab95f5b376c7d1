#include "proc_sums.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "skeleton.h"

/* At most this many processes are looked at per call; the rest the next. */
#define TAKE_BATCH 4096

static bool process_gone(unsigned int tgid)
{
	return kill((pid_t)tgid, 0) && errno == ESRCH;
}

static int take_one(struct proc_sums *sums, struct splice_probe_bpf *skel,
		    const struct proc_key *key)
{
	struct proc_result result = {.key = *key};
	if (bpf_map__lookup_and_delete_elem(skel->maps.proc_summaries, key, sizeof *key,
					    &result.sum, sizeof result.sum, 0) &&
	    (bpf_map__lookup_elem(skel->maps.proc_summaries, key, sizeof *key, &result.sum,
				  sizeof result.sum, 0) ||
	     bpf_map__delete_elem(skel->maps.proc_summaries, key, sizeof *key, 0)))
		return -1;
	unsigned int calls = result.sum.timeline_calls;
	result.len[LIST_TIMELINE] = result.sum.list_len[LIST_TIMELINE];
	result.len[LIST_READS] = result.sum.list_len[LIST_READS];
	result.len[LIST_LAST] = calls > PROBE_LIST_LEN ? calls - PROBE_LIST_LEN : 0;
	for (unsigned int list = 0; list < LIST_COUNT; list++) {
		unsigned int len = result.len[list];
		if (len > PROBE_LIST_LEN)
			len = result.len[list] = PROBE_LIST_LEN;
		if (!len)
			continue;
		result.lists[list] = calloc(len, sizeof *result.lists[list]);
		if (!result.lists[list]) {
			sums->out_of_memory = true;
			result.len[list] = 0;
			continue;
		}
		for (unsigned int i = 0; i < len; i++) {
			struct list_key lkey = {.proc = *key, .list = list, .index = i};
			bpf_map__lookup_elem(skel->maps.proc_lists, &lkey, sizeof lkey,
					     &result.lists[list][i], sizeof result.lists[list][i], 0);
			bpf_map__delete_elem(skel->maps.proc_lists, &lkey, sizeof lkey, 0);
		}
	}
	if (sums->count == sums->capacity) {
		size_t capacity = sums->capacity ? sums->capacity * 2 : 64;
		struct proc_result *items = realloc(sums->items, capacity * sizeof *items);
		if (!items) {
			sums->out_of_memory = true;
			for (int list = 0; list < LIST_COUNT; list++)
				free(result.lists[list]);
			return -1;
		}
		sums->items = items;
		sums->capacity = capacity;
	}
	sums->items[sums->count++] = result;
	return 0;
}

void proc_sums_take(struct proc_sums *sums, struct splice_probe_bpf *skel, bool all)
{
	/* Keys first: deleting while walking would restart the walk. */
	static struct proc_key keys[TAKE_BATCH];
	size_t n = 0;
	struct proc_key key, next;
	bool first = true;
	while (n < TAKE_BATCH && bpf_map__get_next_key(skel->maps.proc_summaries,
						       first ? NULL : &key, &next, sizeof next) == 0) {
		first = false;
		key = next;
		if (all || process_gone(key.tgid))
			keys[n++] = key;
	}
	for (size_t i = 0; i < n; i++)
		take_one(sums, skel, &keys[i]);
	if (all && n == TAKE_BATCH)
		proc_sums_take(sums, skel, all);
}

void proc_sums_totals(const struct proc_sums *sums, unsigned long long *events,
		      unsigned long long *calls)
{
	*events = *calls = 0;
	for (size_t i = 0; i < sums->count; i++) {
		*events += sums->items[i].sum.events;
		for (int fn = 0; fn < FN_COUNT; fn++)
			*calls += sums->items[i].sum.calls[fn];
	}
}

void proc_sums_free(struct proc_sums *sums)
{
	for (size_t i = 0; i < sums->count; i++) {
		for (int list = 0; list < LIST_COUNT; list++)
			free(sums->items[i].lists[list]);
	}
	free(sums->items);
	memset(sums, 0, sizeof *sums);
}
