/* Named parameter bundles: how real programs drive the socket->pipe->socket
 * relay. The facts and their sources live in one table, profiles.c. */
#ifndef SPLICELAB_PROFILES_H
#define SPLICELAB_PROFILES_H

#include "params.h"

struct profile {
	const char *name;
	const char *program;
	uint64_t pipe_size; /* 0: the kernel's default, no F_SETPIPE_SZ */
	uint64_t chunk;
	unsigned int splice_flags;
	bool pipe_nonblock;
	bool src_nonblock;
	bool dst_nonblock;
	enum loop_style loop;
	const char *source; /* where the facts come from */
};

extern const struct profile profiles[];
extern const size_t profile_count;

const struct profile *profile_find(const char *name);

/* A proxy or drain cell with the profile's parameters; the rest defaulted. */
void profile_apply(const struct profile *profile, struct cell_params *cell);

#endif
