#include "profiles.h"

#include <string.h>

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* Go's netpoller registers every socket edge-triggered and its fds are always
 * O_NONBLOCK; Go's splice pipes come from pipe2(O_CLOEXEC|O_NONBLOCK). */
const struct profile profiles[] = {
	{"go1.11-1.19", "Go 1.11 to 1.19 net.TCPConn.ReadFrom", 0, 4 * MiB, SPLICE_F_NONBLOCK,
	 true, true, true, LOOP_EPOLL,
	 "docs/kernel-history.md; golang/go f2316c27 (Go 1.11: splice with spliceNonblock, maxSpliceSize 4 MiB); "
	 "643d240a (Go 1.17: pipe pool, default-size pipes)"},
	{"go1.20", "Go 1.20", 1 * MiB, 1 * MiB, SPLICE_F_NONBLOCK, true, true, true, LOOP_EPOLL,
	 "docs/kernel-history.md; golang/go c8bb3cff (maxSpliceSize 1 MiB, F_SETPIPE_SZ 1 MiB on each pipe)"},
	{"go1.21.0-1.21.4", "Go 1.21.0 to 1.21.4", 1 * MiB, 1 * MiB, 0, true, true, true,
	 LOOP_EPOLL,
	 "docs/kernel-history.md; golang/go be27fcfd (CL 476335, issue #59041, first in go1.21.0: spliceNonblock removed, flags 0)"},
	{"go1.21.5+", "Go 1.21.5 and later, 1.22+", 1 * MiB, 1 * MiB, SPLICE_F_NONBLOCK, true,
	 true, true, LOOP_EPOLL,
	 "docs/kernel-history.md; golang/go 8ae493b5 (CL 538117, issue #63801, go1.21.5) and 40cdf69f (CL 536015, go1.22.0): "
	 "SPLICE_F_NONBLOCK restored"},
	{"haproxy", "HAProxy 1.5 to 3.x raw_sock splicing", 0, 1 * GiB,
	 SPLICE_F_MOVE | SPLICE_F_NONBLOCK, false, true, true, LOOP_POLL,
	 "docs/kernel-history.md; haproxy src/raw_sock.c (MOVE|NONBLOCK both ways, MAX_SPLICE_AT_ONCE 1 GiB); "
	 "src/pipe.c (plain pipe(), F_SETPIPE_SZ only with tune.pipesize); its pollers "
	 "re-arm per event, modelled here as level-triggered poll"},
	{"c-rewrite", "the seed's C rewrite of Go 1.21's splice_readfrom", 0, 1 * MiB, 0, false,
	 true, false, LOOP_BUSY,
	 "the C rewrite of Go's splice loop in the investigation splicelab started from "
	 "(docs/kernel-history.md, \"The C rewrite\"): pipe2(fds, 0), flags 0, 1 MiB per "
	 "call, accepted socket O_NONBLOCK, outgoing socket blocking, EAGAIN retried"},
};

const size_t profile_count = sizeof profiles / sizeof profiles[0];

const struct profile *profile_find(const char *name)
{
	for (size_t i = 0; i < profile_count; i++)
		if (strcmp(profiles[i].name, name) == 0)
			return &profiles[i];
	return NULL;
}

void profile_apply(const struct profile *profile, struct cell_params *cell)
{
	cell->profile = profile;
	cell->pipe_size = profile->pipe_size;
	cell->chunk = profile->chunk;
	cell->splice_flags = profile->splice_flags;
	cell->pipe_nonblock = profile->pipe_nonblock;
	cell->src_nonblock = profile->src_nonblock;
	cell->dst_nonblock = profile->dst_nonblock;
	cell->loop = profile->loop;
}
