/* The runner's look at a --relay-cmd cell's program after a window with no
 * progress: every thread of every process in its group, as the kernel shows
 * them, and the ends each splice works on, found through /proc (the program
 * is not ours: we hold none of its fds). */
#ifndef SPLICELAB_RELAY_CMD_WATCH_H
#define SPLICELAB_RELAY_CMD_WATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cell_shared.h"

struct relay_cmd_watch {
	pid_t pgid;
	uint64_t cpu_mark_ns; /* CPU of the whole group at the window's start */
	bool cpu_known;
};

/* At the start of a no-progress window. */
void relay_cmd_watch_open(struct relay_cmd_watch *watch, const struct cell_shared *shared);
/* After it: the outcome with its evidence, or -1 when nothing is proven
 * yet (watch one more window). */
struct cell_quiet; /* classify.h */
int relay_cmd_watch_verdict(struct relay_cmd_watch *watch, pid_t cell_pid,
			    const struct cell_shared *shared, const struct cell_quiet *quiet,
			    json_t **evidence);

/* Every process whose process group is pgid (the program and the workers
 * it forked), up to cap; returns how many. */
size_t relay_group_pids(pid_t pgid, pid_t *pids, size_t cap);

#endif
