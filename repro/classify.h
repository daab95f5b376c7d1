/* Turns the kernel's view of a cell with no progress into a verdict. Pure:
 * everything it looks at is in the snapshot, so recorded /proc snapshots can
 * be classified again in tests. */
#ifndef SPLICELAB_CLASSIFY_H
#define SPLICELAB_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "cell_shared.h"
#include "procview.h"

enum verdict {
	VERDICT_UNSURE, /* not proven stuck yet: watch one more window */
	VERDICT_BLOCKED,
	VERDICT_STALLED,
	VERDICT_SPIN,
};

struct stuck_snapshot {
	struct thread_view relay;
	struct thread_view peers[2]; /* client and sink; state '?' when absent */
	uint64_t window_ns;	     /* how long no byte moved */
	uint64_t relay_cpu_ns;	     /* CPU the relay used in that window */
	bool relay_cpu_known;
	uint64_t eagain_in_window;
	int64_t src_rcv_queue; /* -1 unknown */
	int64_t pipe_bytes;    /* -1 unknown */
	int activity;	       /* enum relay_activity, the relay's own account */
	int dst_unwritable;    /* 1: poll() said its destination is not writable */
	int tcp_memory_pressure; /* 1: TCP was under memory pressure in this cell */
	uint64_t quiet_ns;	 /* since the cell last moved a byte */
};

/* What the runner knows of a cell's quiet when it asks for a verdict. */
struct cell_quiet {
	uint64_t window_ns;	 /* this no-progress window */
	uint64_t cell_quiet_ns;	 /* since the cell last moved a byte */
	int tcp_memory_pressure; /* 1: TCP was under memory pressure in the cell */
};

/* The relay's next step needs its destination, which cannot take bytes. */
bool classify_waits_on_destination(const struct stuck_snapshot *snapshot);

/* Whether the window's EAGAIN count alone shows a retry loop (a spin
 * verdict that does not rest on the CPU the window gave the relay). */
bool spin_by_eagain(const struct stuck_snapshot *snapshot);

enum verdict classify_stuck(const struct stuck_snapshot *snapshot, char *note, size_t note_len);

#endif
