/* The relays a cell drives. The cell process (cell.c) picks the one its
 * parameters name, becomes the cell's user with the descriptors that relay
 * needs, and hands over; the relay ends the cell itself through
 * cell_finish or cell_fail (cell_shared.h: the only thing the two share).
 * A new kind of relay is one more struct relay_kind and a line in
 * relay_kind_of. */
#ifndef SPLICELAB_RELAY_KIND_H
#define SPLICELAB_RELAY_KIND_H

#include <stdint.h>

#include "cell_shared.h"
#include "params.h"

struct relay_kind {
	const char *name;
	/* Descriptors the cell needs open at once (RLIMIT_NOFILE), or NULL
	 * for the default limit. */
	uint64_t (*fds_needed)(const struct cell_params *params);
	/* Runs the cell, in the forked cell process as its user; ends it and
	 * never returns. request_fd: the runner's requests for a queue sample. */
	void (*run)(const struct cell_params *params, struct cell_shared *shared, int request_fd);
};

/* splicelab's own splice loop over one connection (cell.c with relay.c). */
extern const struct relay_kind relay_builtin;
/* splicelab's own loops over many connections at once (load.c). */
extern const struct relay_kind relay_load;
/* Each copying method in turn, measured (throughput.c). */
extern const struct relay_kind relay_throughput;
/* A sender that vmsplices its own memory and reuses it (vmsplice.c). */
extern const struct relay_kind relay_vmsplice;
/* The user's program, --relay-cmd (relay_cmd_cell.c). */
extern const struct relay_kind relay_external;

/* The relay the cell's parameters name. */
const struct relay_kind *relay_kind_of(const struct cell_params *params);

#endif
