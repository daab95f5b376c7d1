/* What a cell's relay and the runner that watches it share: struct
 * cell_shared, a MAP_SHARED page the cell process writes and the runner
 * only reads (so the runner never blocks on the cell), the relay's own
 * trace, and how any relay ends its cell. Every relay (relay_kind.h)
 * reports through this and nothing else. */
#ifndef SPLICELAB_CELL_SHARED_H
#define SPLICELAB_CELL_SHARED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "params.h"
#include "throughput.h"
#include "vmsplice.h"

#define TRACE_KEEP 8	  /* calls kept from the start and from the end */
#define PER_CALL_KEEP 64 /* socket->pipe byte counts kept */

enum trace_op { TRACE_DRAIN, TRACE_PUMP };

struct trace_entry {
	uint8_t op;	/* enum trace_op */
	int32_t error; /* errno, 0 on success */
	uint64_t len;
	int64_t ret;
	uint64_t t_us; /* since the relay started */
};

/* What the relay is doing right now, as it says itself: a fallback for
 * kernels that hide /proc/PID/task/TID/syscall. */
enum relay_activity {
	ACTIVITY_NONE,
	ACTIVITY_HEAD_START,
	ACTIVITY_SPLICE_DRAIN,
	ACTIVITY_SPLICE_PUMP,
	ACTIVITY_WAIT_SRC, /* poll/epoll for the source to become readable */
	ACTIVITY_WAIT_DST, /* poll/epoll for the destination to become writable */
	ACTIVITY_DONE,
};

enum cell_role { ROLE_RELAY, ROLE_CLIENT, ROLE_SINK, ROLE_MONITOR, ROLE_COUNT };
extern const char *const role_names[ROLE_COUNT];

struct load_shared;

struct cell_shared {
	/* Progress, written by the threads as they go. */
	_Atomic uint64_t bytes_sent;
	_Atomic uint64_t bytes_drained; /* socket -> pipe */
	_Atomic uint64_t bytes_pumped;	/* pipe -> socket */
	_Atomic uint64_t bytes_received;
	_Atomic uint64_t splice_calls;
	_Atomic uint64_t eagain;
	_Atomic uint64_t eintr;
	_Atomic uint64_t waits;
	_Atomic uint64_t last_progress_ns; /* CLOCK_MONOTONIC */
	_Atomic int activity;		   /* enum relay_activity */
	_Atomic pid_t tids[ROLE_COUNT];

	/* Set up once before the relay starts. */
	uint64_t pipe_size;
	int pipe_size_errno;
	uint64_t queued_at_start;
	uint64_t relay_start_ns;

	/* The monitor thread answers the parent's requests with the queues as
	 * the kernel sees them from inside the cell. */
	_Atomic uint32_t monitor_seq;
	int64_t src_rcv_queue;
	int64_t pipe_bytes;
	int64_t dst_snd_queue;
	int dst_unwritable; /* cell_unwritable() of the relay's destination */

	/* Written once when the cell ends on its own. */
	_Atomic int finished;
	int outcome; /* enum outcome: ok, error or corrupt */
	int error;   /* errno for OUTCOME_ERROR */
	char error_call[48];
	uint64_t bytes_verified;
	int corrupt_found;
	uint64_t corrupt_offset;
	int corrupt_expected; /* -1: the stream should have ended here */
	int corrupt_got;      /* -1: the stream ended early */

	/* Written by the relay only; read by the parent after the cell is gone. */
	uint64_t trace_total;
	struct trace_entry trace_first[TRACE_KEEP];
	struct trace_entry trace_last[TRACE_KEEP]; /* ring, index trace_total % KEEP */
	uint32_t per_call_count;
	uint64_t per_call[PER_CALL_KEEP];

	/* Load cells only (load.h): the per-connection area, mapped by the
	 * runner before the fork; NULL for every other cell. */
	struct load_shared *load;

	/* Throughput cells only (throughput.h): each method's figures. */
	struct throughput_shared throughput;

	/* vmsplice cells only (vmsplice.c). */
	struct vmsplice_stats vmsplice;

	/* --relay-cmd cells only (relay_cmd_cell.c): the program's process
	 * group, set once it is forked and never cleared, so the runner can
	 * kill and reap the group whatever the cell did; how it ended when it
	 * failed (relay_exit -1: not an exit). */
	_Atomic pid_t ext_relay_pgid;
	int relay_exit;
	int relay_signal;
	char relay_note[256];
	char relay_stderr[512]; /* its first lines, joined by " | " */
};

uint64_t monotonic_ns(void);
/* *ts = now on `clock` + ns: a deadline for pthread_cond_timedwait. */
void cell_deadline(struct timespec *ts, clockid_t clock, uint64_t ns);

/* The cell's end, written into the shared page: the outcome (ok, error or
 * corrupt; the runner judges the stuck ones), then _exit. */
_Noreturn void cell_finish(struct cell_shared *shared, enum outcome outcome);
_Noreturn void cell_fail(struct cell_shared *shared, const char *call, int error);
/* A sink's findings; only the first place a stream went wrong is kept. The
 * byte at stream offset `offset` was `got`, not the pattern's. */
void cell_note_bad_byte(struct cell_shared *shared, uint64_t offset, uint8_t got);
/* A stream of `received` bytes where `want` were due: lost (it ended early)
 * or duplicated past its end. Nothing when they match. */
void cell_note_length(struct cell_shared *shared, uint64_t received, uint64_t want);
/* The monitor's loop: waits for the runner's next request for a queue
 * sample; false once the runner closed the pipe. */
bool cell_wait_request(int request_fd);

#endif
