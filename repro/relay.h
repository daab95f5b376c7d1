/* The relay under test: Go's splice_readfrom loop (drain socket->pipe, then
 * pump pipe->socket) and the produce-only drain, each with the three ways
 * real programs wait after EAGAIN. */
#ifndef SPLICELAB_RELAY_H
#define SPLICELAB_RELAY_H

#include "cell_shared.h"
#include "params.h"

struct relay_fds {
	int src; /* the relay's end of the client connection */
	int dst; /* the relay's end of the sink connection (proxy only) */
	int pipe_read;
	int pipe_write;
};

struct relay_result {
	int error; /* errno of the call that failed, 0 when the relay finished */
	char call[48];
};

void relay_proxy(const struct cell_params *params, struct cell_shared *shared,
		 const struct relay_fds *fds, struct relay_result *result);
void relay_drain(const struct cell_params *params, struct cell_shared *shared,
		 const struct relay_fds *fds, struct relay_result *result);
/* After a finished drain: reads the pipe back and checks every byte.
 * Returns 0 when all of the payload is there and matches. */
int relay_verify_pipe(const struct cell_params *params, struct cell_shared *shared,
		      const struct relay_fds *fds);

#endif
