/* Loopback plumbing for the cells' own ends (client, sink, the built-in
 * relay's sockets): connected pairs, O_NONBLOCK, queue sizes. */
#ifndef SPLICELAB_LOOPBACK_H
#define SPLICELAB_LOOPBACK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "params.h"

/* A connected stream pair over loopback: *a connects, *b is accepted. */
int cell_connect_pair(enum transport transport, int *a, int *b, const char **call);
int cell_set_nonblock(int fd, bool on);
/* SIOCINQ / FIONREAD / SIOCOUTQ of fd, -1 when unknown. */
int64_t cell_queue_bytes(int fd, unsigned long request);
struct cell_shared;
/* The monitor's sample of one relay's queues for the runner: SIOCINQ of its
 * source, FIONREAD of its pipe, SIOCOUTQ and writability of its
 * destination; -1 each for an fd of -1. */
void cell_sample_queues(struct cell_shared *shared, int src, int pipe_read, int dst);
/* 1 when poll() says fd is not writable now, 0 when it is, -1 unknown. */
int cell_unwritable(int fd);
/* One read of a sink (EINTR retried) from offset `at` of the stream, with
 * the --corrupt-at self-test's byte `flip` flipped when the read holds it. */
ssize_t cell_sink_read(int fd, uint8_t *buf, size_t len, int64_t flip, uint64_t at);

#endif
