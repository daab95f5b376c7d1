/* The throughput scenario: the same payload over the same kind of loopback
 * pair, moved once by each way a program copies a stream (a splice relay
 * with a fresh pipe per transfer or a pooled one, read/write through a user
 * buffer, sendfile and splice from a file), each measured by what it cost:
 * time, the syscalls it made (counted by the code), its thread's CPU and
 * the pipes it created. The sink verifies every byte of every method. */
#ifndef SPLICELAB_THROUGHPUT_H
#define SPLICELAB_THROUGHPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "params.h"

enum throughput_method {
	TP_SPLICE_FRESH, /* socket -> new pipe -> socket, a pipe per transfer */
	TP_SPLICE_POOL,	 /* one pipe reused across transfers (sync.Pool, HAProxy) */
	TP_RW_16K,	 /* read/write through a user buffer */
	TP_RW_64K,
	TP_RW_1M,
	TP_FILE_RW,	 /* file -> 64 KiB buffer -> socket: the file methods' baseline */
	TP_SENDFILE,	 /* file -> socket */
	TP_SPLICE_FILE,	 /* file -> pooled pipe -> socket */
	TP_METHODS
};

struct throughput_method_info {
	const char *name; /* in JSON and the table */
	bool from_file;	  /* the payload comes from a file, not the client */
	size_t buffer;	  /* read/write: the user buffer; 0: no user buffer */
	bool fresh_pipe;  /* a new pipe per transfer */
	enum throughput_method baseline; /* the read/write method ratios are to */
};
extern const struct throughput_method_info throughput_methods[TP_METHODS];

#define TP_ROUNDS 4

/* What one method cost, written by the cell, read by the runner: sums
 * over the rounds, and each round's bytes, time and CPU. */
struct throughput_figures {
	uint64_t bytes;	   /* moved to the sink's socket */
	uint64_t verified; /* of them, checked by the sink */
	uint64_t transfers;
	uint64_t syscalls;
	uint64_t pipes_created;
	uint64_t pipe_size; /* the last pipe's, per F_GETPIPE_SZ; 0 without a pipe */
	uint64_t elapsed_ns;
	/* The relay thread's CPU: CLOCK_THREAD_CPUTIME_ID (exact), and its
	 * split by RUSAGE_THREAD, which is tick-grained and may not move in
	 * a short method. */
	uint64_t cpu_ns, cpu_user_ns, cpu_sys_ns;
	uint32_t rounds;
	uint64_t round_bytes[TP_ROUNDS], round_elapsed_ns[TP_ROUNDS], round_cpu_ns[TP_ROUNDS];
	int done;
};

struct throughput_shared {
	struct throughput_figures method[TP_METHODS];
};

struct cell_shared;


/* The cell's `throughput` object (throughput_json.c). */
void throughput_json_set(json_t *cell, const struct cell_shared *shared);

/* The terminal table (throughput_report.c): the cells of the matrix that
 * are throughput cells, with their figures; nothing when there are none. */
bool throughput_cell(const json_t *cell);
void throughput_print_table(FILE *out, const json_t *cells);

#endif
