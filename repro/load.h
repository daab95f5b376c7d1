/* The load scenario: one relay process, many concurrent connections, each
 * with its own pipes the way the profile's program holds them. This file
 * holds what the cell and the runner share about it: a second MAP_SHARED
 * mapping that struct cell_shared points to, one slot per concurrent
 * connection. */
#ifndef SPLICELAB_LOAD_H
#define SPLICELAB_LOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cell_shared.h"
#include "params.h"

#define LOAD_MAX_CONNECTIONS 4096
#define LOAD_MAX_CONN_COUNT 1000000
#define LOAD_MAX_PRESSURE (1ull << 24) /* pages: 64 GiB of pipe, far above any limit */
#define LOAD_SIZE_KINDS 16

enum load_dir { LOAD_FORWARD, LOAD_REVERSE, LOAD_DIRS };

/* Per connection, as the runner finds it at its verdict. */
enum conn_verdict {
	CONN_FINISHED,
	CONN_BLOCKED,
	CONN_STALLED,
	CONN_SPIN,
	CONN_UNKNOWN, /* stuck, but the kernel's view did not prove how */
	CONN_NOT_STARTED,
	CONN_KINDS
};
extern const char *const conn_verdict_names[CONN_KINDS];

struct load_slot {
	/* One relay per direction, with the single-connection cell's counters,
	 * trace and queue samples (relay.c writes them as it does there). */
	struct cell_shared dir[LOAD_DIRS];
	_Atomic uint32_t conn;	     /* connection number + 1 on this slot; 0 idle */
	_Atomic uint32_t done_conns; /* connections finished on this slot */
	_Atomic int dir_done[LOAD_DIRS];
	uint64_t pipe_size[LOAD_DIRS];
	_Atomic uint64_t received;
};

struct load_pipe_size {
	uint64_t size;
	uint32_t count;
};

struct load_shared {
	size_t map_size;
	uint32_t slots;
	bool two_way;
	/* Set up before the relay starts. */
	uint32_t uid, gid;
	int64_t pages_soft, pages_hard; /* -1: not readable on this kernel */
	uint64_t pressure_pages; /* held by the holder pipes */
	uint32_t pressure_pipes;
	int pressure_errno; /* the F_SETPIPE_SZ refusal that stopped the holder */
	uint64_t user_pages_at_start; /* counted: the holder's and this cell's pipes */
	/* The relay's pipes, under the pool's lock. */
	uint32_t pipes_created;
	uint32_t setpipe_refused;
	int setpipe_errno;
	uint32_t nsizes;
	struct load_pipe_size sizes[LOAD_SIZE_KINDS];
	/* Progress. */
	_Atomic uint32_t started;
	_Atomic uint32_t finished;
	_Atomic uint32_t corrupt;
	uint64_t end_ns;
	/* Written by the runner with its verdict. */
	uint32_t verdicts[CONN_KINDS];
	struct load_slot slot[];
};

/* Runner side, before the fork: maps the load area of a load cell and
 * points shared->load at it (NULL for other cells). */
int load_map(const struct cell_params *params, struct cell_shared *shared);
void load_unmap(struct cell_shared *shared);
/* Bytes moved by every relay of the cell so far (0 for other cells). */
uint64_t load_progress(const struct cell_shared *shared);
/* Whether the profile's program copies both ways (Go, HAProxy) or only
 * client -> upstream (the C rewrite). */
bool load_two_way(const struct cell_params *params);

/* The runner's watch over a load cell's connections. */
struct load_watch;
struct load_watch *load_watch_new(const struct cell_params *params);
void load_watch_free(struct load_watch *watch);
/* At the start of a no-progress window: per relay thread CPU and EAGAIN. */
void load_watch_open(struct load_watch *watch, pid_t pid, const struct cell_shared *shared);
/* After the window, with fresh queue samples: the cell's outcome (and
 * evidence), or -1 when no connection is proven stuck yet. */
struct cell_quiet; /* classify.h */
int load_watch_verdict(struct load_watch *watch, pid_t pid, struct cell_shared *shared,
		       const struct cell_quiet *quiet, json_t **evidence);

/* The cell's `load` object and the aggregate counters (cell_json). */
void load_json_set(json_t *cell, const struct cell_params *params,
		   const struct cell_shared *shared);

#endif
