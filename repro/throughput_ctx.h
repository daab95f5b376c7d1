/* What the throughput cell's parts share (throughput.c runs the cell and
 * its client and sink, throughput_copy.c the methods' copies): the cell's
 * fds, the running method's pipe and share, the counters. */
#ifndef SPLICELAB_THROUGHPUT_CTX_H
#define SPLICELAB_THROUGHPUT_CTX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cell.h"
#include "throughput.h"

struct tp_ctx {
	const struct cell_params *params;
	struct cell_shared *shared;
	int request_fd;
	int client_fd, src, dst, sink_fd, file_fd;
	_Atomic int pipe_read; /* the method's pipe, for the monitor; -1 without */
	int pipe_write;
	uint64_t pipe_cap;
	struct {
		int read, write;
		uint64_t cap;
	} pool[TP_METHODS]; /* a pooled method's pipe between rounds; read -1: none */
	int rounds;
	uint64_t bound[TP_ROUNDS + 1]; /* round r moves [bound[r], bound[r + 1]) */
	uint64_t from, to;	       /* the running method's share, for the client */
	uint64_t expected;	       /* bytes the sink has to see by the method's end */
	uint64_t syscalls; /* the running method's */
	uint8_t *buf;	   /* the user buffer of the read/write methods */
	pthread_mutex_t lock;
	pthread_cond_t received; /* the sink moved on */
};

/* The running method's share, [from, to) of the payload, to the sink's
 * socket in transfers of the cell's chunk, every call counted in
 * ctx->syscalls; a failed call makes the cell an error (never returns).
 * last: the method's last round (a pooled pipe is closed after it). */
void throughput_copy_share(struct tp_ctx *ctx, enum throughput_method m, bool last);

#endif
