/* The throughput methods' copies: each way a program moves a stream to a
 * socket (splice through a fresh or a pooled pipe, read/write through a
 * user buffer, sendfile), with every syscall it makes counted. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "throughput_ctx.h"

const struct throughput_method_info throughput_methods[TP_METHODS] = {
	[TP_SPLICE_FRESH] = {"splice-fresh", false, 0, true, TP_RW_64K},
	[TP_SPLICE_POOL] = {"splice-pool", false, 0, false, TP_RW_64K},
	[TP_RW_16K] = {"rw-16K", false, 16u << 10, false, TP_RW_64K},
	[TP_RW_64K] = {"rw-64K", false, 64u << 10, false, TP_RW_64K},
	[TP_RW_1M] = {"rw-1M", false, 1u << 20, false, TP_RW_64K},
	[TP_FILE_RW] = {"file-rw-64K", true, 64u << 10, false, TP_FILE_RW},
	[TP_SENDFILE] = {"sendfile", true, 0, false, TP_FILE_RW},
	[TP_SPLICE_FILE] = {"splice-file", true, 0, false, TP_FILE_RW},
};

/* A call failed: the cell is an error naming the call and the method. */
_Noreturn static void method_fail(struct tp_ctx *ctx, enum throughput_method m, const char *call)
{
	char named[48];
	snprintf(named, sizeof named, "%s [%s]", call, throughput_methods[m].name);
	cell_fail(ctx->shared, named, errno);
}

/* Waits until fd is ready after an EAGAIN (counted: it is part of what the
 * method costs). */
static void wait_ready(struct tp_ctx *ctx, enum throughput_method m, int fd, short events)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	atomic_store(&ctx->shared->activity,
		     events == POLLIN ? ACTIVITY_WAIT_SRC : ACTIVITY_WAIT_DST);
	atomic_fetch_add(&ctx->shared->waits, 1);
	ctx->syscalls++;
	if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
		method_fail(ctx, m, "poll");
}

/* One splice with the cell's flags (MOVE|NONBLOCK, as HAProxy and Go since
 * 1.21.5 pass: the relay never sleeps on a full pipe, on any kernel);
 * EAGAIN waits for wait_fd. */
static uint64_t tp_splice(struct tp_ctx *ctx, enum throughput_method m, int in, loff_t *off,
			  int out, uint64_t len, int wait_fd, short wait_events)
{
	struct cell_shared *shared = ctx->shared;
	bool drain = out == ctx->pipe_write;
	for (;;) {
		atomic_store(&shared->activity, drain ? ACTIVITY_SPLICE_DRAIN : ACTIVITY_SPLICE_PUMP);
		ssize_t n = splice(in, off, out, NULL, (size_t)len, ctx->params->splice_flags);
		ctx->syscalls++;
		atomic_fetch_add(&shared->splice_calls, 1);
		if (n > 0) {
			atomic_fetch_add(drain ? &shared->bytes_drained : &shared->bytes_pumped,
					 (uint64_t)n);
			return (uint64_t)n;
		}
		if (n == 0) {
			errno = EPIPE;
			method_fail(ctx, m, drain ? "splice(->pipe): early EOF" : "splice(pipe->socket)");
		}
		if (errno == EINTR) {
			atomic_fetch_add(&shared->eintr, 1);
			continue;
		}
		if (errno != EAGAIN)
			method_fail(ctx, m, drain ? "splice(->pipe)" : "splice(pipe->socket)");
		atomic_fetch_add(&shared->eagain, 1);
		wait_ready(ctx, m, wait_fd, wait_events);
	}
}

static void open_pipe(struct tp_ctx *ctx, enum throughput_method m)
{
	struct throughput_figures *f = &ctx->shared->throughput.method[m];
	int fds[2];
	ctx->syscalls++;
	if (pipe2(fds, O_CLOEXEC) < 0)
		method_fail(ctx, m, "pipe2");
	f->pipes_created++;
	ctx->pipe_write = fds[1];
	int size = -1;
	if (ctx->params->pipe_size) {
		ctx->syscalls++;
		size = fcntl(fds[1], F_SETPIPE_SZ, (int)ctx->params->pipe_size);
		/* A refusal is part of the result, as in the other cells. */
		if (size < 0)
			ctx->shared->pipe_size_errno = errno;
	}
	if (size < 0) {
		ctx->syscalls++;
		size = fcntl(fds[1], F_GETPIPE_SZ);
	}
	ctx->pipe_cap = size > 0 ? (uint64_t)size : 4096;
	f->pipe_size = ctx->pipe_cap;
	ctx->shared->pipe_size = ctx->pipe_cap;
	atomic_store(&ctx->pipe_read, fds[0]);
}

static void close_pipe(struct tp_ctx *ctx)
{
	int read_end = atomic_exchange(&ctx->pipe_read, -1);
	close(read_end);
	close(ctx->pipe_write);
	ctx->pipe_write = -1;
	ctx->syscalls += 2;
}

/* len bytes from the source (socket, or the file at *off) through the
 * pipe to the sink's socket; the pipe is empty before and after. */
static void splice_through_pipe(struct tp_ctx *ctx, enum throughput_method m, loff_t *off,
				uint64_t len)
{
	int in = off ? ctx->file_fd : ctx->src;
	while (len) {
		uint64_t want = len < ctx->pipe_cap ? len : ctx->pipe_cap;
		/* EAGAIN on the way in: a socket with nothing queued (a file
		 * never has nothing). */
		uint64_t in_pipe = tp_splice(ctx, m, in, off, ctx->pipe_write, want,
					     off ? ctx->pipe_write : ctx->src, off ? POLLOUT : POLLIN);
		len -= in_pipe;
		while (in_pipe)
			in_pipe -= tp_splice(ctx, m, atomic_load(&ctx->pipe_read), NULL, ctx->dst,
					     in_pipe, ctx->dst, POLLOUT);
	}
}

static void write_all(struct tp_ctx *ctx, enum throughput_method m, const uint8_t *buf,
		      size_t len)
{
	while (len) {
		ctx->syscalls++;
		ssize_t n = write(ctx->dst, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			method_fail(ctx, m, "write(socket)");
		atomic_fetch_add(&ctx->shared->bytes_pumped, (uint64_t)n);
		buf += n;
		len -= (size_t)n;
	}
}

/* read (or pread from the file) into the user buffer, write it out. */
static void read_write(struct tp_ctx *ctx, enum throughput_method m, loff_t *off, uint64_t len)
{
	size_t size = throughput_methods[m].buffer;
	while (len) {
		size_t want = len < size ? (size_t)len : size;
		ctx->syscalls++;
		ssize_t n = off ? pread(ctx->file_fd, ctx->buf, want, *off)
				: read(ctx->src, ctx->buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EPIPE;
			method_fail(ctx, m, off ? "pread(file)" : "read(socket)");
		}
		if (off)
			*off += n;
		else
			atomic_fetch_add(&ctx->shared->bytes_drained, (uint64_t)n);
		write_all(ctx, m, ctx->buf, (size_t)n);
		len -= (uint64_t)n;
	}
}

static void send_file(struct tp_ctx *ctx, enum throughput_method m, loff_t *off, uint64_t len)
{
	while (len) {
		ctx->syscalls++;
		atomic_store(&ctx->shared->activity, ACTIVITY_SPLICE_PUMP);
		ssize_t n = sendfile(ctx->dst, ctx->file_fd, off, (size_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EPIPE;
			method_fail(ctx, m, "sendfile");
		}
		atomic_fetch_add(&ctx->shared->bytes_pumped, (uint64_t)n);
		len -= (uint64_t)n;
	}
}

/* A pooled method's pipe for this round: the one it opened in the first. */
static void take_pooled(struct tp_ctx *ctx, enum throughput_method m)
{
	if (ctx->pool[m].read < 0) {
		open_pipe(ctx, m);
		return;
	}
	ctx->pipe_write = ctx->pool[m].write;
	ctx->pipe_cap = ctx->pool[m].cap;
	atomic_store(&ctx->pipe_read, ctx->pool[m].read);
}

/* After a round: kept for the next one, closed after the last. */
static void give_back_pooled(struct tp_ctx *ctx, enum throughput_method m, bool last)
{
	if (last) {
		close_pipe(ctx);
		ctx->pool[m].read = -1;
		return;
	}
	ctx->pool[m].read = atomic_exchange(&ctx->pipe_read, -1);
	ctx->pool[m].write = ctx->pipe_write;
	ctx->pool[m].cap = ctx->pipe_cap;
}

/* This round's share in transfers of `chunk` bytes (one request or
 * response each): a fresh-pipe method opens and closes a pipe per
 * transfer, a pooled one keeps the pipe it opened first. */
void throughput_copy_share(struct tp_ctx *ctx, enum throughput_method m, bool last)
{
	const struct throughput_method_info *info = &throughput_methods[m];
	struct throughput_figures *f = &ctx->shared->throughput.method[m];
	bool pipe = info->buffer == 0 && m != TP_SENDFILE;
	loff_t file_off = (loff_t)ctx->from;
	loff_t *off = info->from_file ? &file_off : NULL;
	uint64_t chunk = ctx->params->chunk;
	if (pipe && !info->fresh_pipe)
		take_pooled(ctx, m);
	for (uint64_t done = ctx->from; done < ctx->to; f->transfers++) {
		uint64_t len = ctx->to - done < chunk ? ctx->to - done : chunk;
		if (pipe && info->fresh_pipe)
			open_pipe(ctx, m);
		if (pipe)
			splice_through_pipe(ctx, m, off, len);
		else if (m == TP_SENDFILE)
			send_file(ctx, m, off, len);
		else
			read_write(ctx, m, off, len);
		if (pipe && info->fresh_pipe)
			close_pipe(ctx);
		done += len;
	}
	if (pipe && !info->fresh_pipe)
		give_back_pooled(ctx, m, last);
	f->bytes += ctx->to - ctx->from;
}
