/* The vmsplice scenario: the sender vmsplices a ring of its own memory into
 * a pipe, splices the pipe into a loopback socket and writes the next data
 * into that memory when its reuse variant says it may; the reader checks
 * every byte. The reader takes each chunk only after the sender rewrote the
 * memory the chunk came from, so whatever the kernel still holds of those
 * pages by reference (instead of a copy) arrives rewritten: `corrupt`, every
 * time, not by a race (docs/vmsplice.md). */
#ifndef SPLICELAB_VMSPLICE_H
#define SPLICELAB_VMSPLICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "params.h"

struct cell_shared;

/* What the sender saw, for the cell's `vmsplice` object. */
struct vmsplice_stats {
	uint32_t slots;	   /* chunks the ring holds: 2 for double, else 1 */
	uint64_t chunks;   /* chunks spliced */
	uint64_t vmsplice_calls;
	uint64_t refills;  /* rewrites of memory that had been spliced */
	uint64_t outq_polls;
	uint64_t outq_wait_us;
	/* At the first refill: the sender's unacknowledged bytes (SIOCOUTQ)
	 * and the bytes in the reader's receive queue (SIOCINQ), -1 unknown. */
	int64_t first_refill_outq;
	int64_t first_refill_peer_inq;
	/* Chunks the reader took before their refill because the socket was
	 * full (the sender could not go on otherwise). */
	uint64_t early_reads;
	/* Where the bad bytes came from: the stream offset whose data the
	 * sender wrote later into the same memory, -1 when none matched. */
	int64_t replaced_by;
};

/* The cell: never returns. */
/* The cell's `vmsplice` object (cell_json). */
void vmsplice_json_set(json_t *cell, const struct cell_params *params,
		       const struct cell_shared *shared);

/* The terminal's vmsplice block, one line per cell (report.c). */
void vmsplice_print_table(FILE *out, const json_t *cells, bool color);

#endif
