/* The throughput cell: a client, the relay (this process's main thread, one
 * method after the other) and a sink that checks every byte of each
 * method's copy of the payload. The payload goes in rounds (up to
 * TP_ROUNDS, each a share of it in whole transfers), every method once per
 * round, so what else the machine does at one moment falls on all methods
 * alike; each method's rate and CPU are its median round's. A method is
 * measured alone: the next starts once the sink has verified the last
 * byte of the one before. */
#include "throughput.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cell.h"
#include "pattern.h"

#define BLOCK (1u << 20)      /* the client's writes and the file's fill */
#define SINK_BUF (1u << 16)
#define SINK_LIMIT_NS (10000ull * 1000 * 1000) /* no byte at the sink this long: lost */

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

static pid_t current_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void *client_thread(void *arg)
{
	struct tp_ctx *ctx = arg;
	struct cell_shared *shared = ctx->shared;
	atomic_store(&shared->tids[ROLE_CLIENT], current_tid());
	uint8_t *buf = malloc(BLOCK);
	if (!buf)
		return NULL;
	for (uint64_t sent = ctx->from; sent < ctx->to;) {
		size_t want = ctx->to - sent < BLOCK ? (size_t)(ctx->to - sent) : BLOCK;
		pattern_fill(buf, sent, want);
		for (size_t off = 0; off < want;) {
			ssize_t n = write(ctx->client_fd, buf + off, want - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				goto out;
			off += (size_t)n;
			sent += (uint64_t)n;
			atomic_fetch_add(&shared->bytes_sent, (uint64_t)n);
		}
	}
out:
	free(buf);
	return NULL;
}

/* The stream is the rounds' shares one after the other, each method's
 * share the pattern of its offsets [bound[r], bound[r + 1]): the sink
 * follows the segments (segment s: round s / TP_METHODS, method
 * s % TP_METHODS) and checks each against its own offsets. */
static void *sink_thread(void *arg)
{
	struct tp_ctx *ctx = arg;
	struct cell_shared *shared = ctx->shared;
	struct throughput_shared *tp = &shared->throughput;
	atomic_store(&shared->tids[ROLE_SINK], current_tid());
	static uint8_t buf[SINK_BUF];
	uint64_t at = 0, segment = 0, into = 0; /* bytes of the segment seen */
	uint64_t segments = (uint64_t)ctx->rounds * TP_METHODS;
	for (;;) {
		ssize_t n = cell_sink_read(ctx->sink_fd, buf, sizeof buf, ctx->params->corrupt_at, at);
		if (n <= 0)
			break;
		for (size_t done = 0; done < (size_t)n;) {
			bool known = segment < segments;
			uint64_t round = segment / TP_METHODS, method = segment % TP_METHODS;
			uint64_t offset = known ? ctx->bound[round] + into : 0;
			size_t len = (size_t)n - done;
			if (known && len > ctx->bound[round + 1] - offset)
				len = (size_t)(ctx->bound[round + 1] - offset);
			/* Past the last segment every byte is one too many. */
			size_t good = known && !shared->corrupt_found
					      ? pattern_check(buf + done, offset, len)
					      : 0;
			if (known)
				tp->method[method].verified += good;
			shared->bytes_verified += good;
			if (good < len && !shared->corrupt_found) {
				shared->corrupt_found = 1;
				shared->corrupt_offset = at + good;
				shared->corrupt_expected = known ? pattern_byte(offset + good) : -1;
				shared->corrupt_got = buf[done + good];
			}
			done += len;
			at += len;
			into += len;
			if (known && offset + len == ctx->bound[round + 1]) {
				segment++;
				into = 0;
			}
		}
		pthread_mutex_lock(&ctx->lock);
		atomic_store(&shared->bytes_received, at);
		pthread_cond_signal(&ctx->received);
		pthread_mutex_unlock(&ctx->lock);
		atomic_store(&shared->last_progress_ns, monotonic_ns());
	}
	return NULL;
}

static void *monitor_thread(void *arg)
{
	struct tp_ctx *ctx = arg;
	struct cell_shared *shared = ctx->shared;
	atomic_store(&shared->tids[ROLE_MONITOR], current_tid());
	while (cell_wait_request(ctx->request_fd)) {
		shared->src_rcv_queue = cell_queue_bytes(ctx->src, SIOCINQ);
		shared->pipe_bytes = cell_queue_bytes(atomic_load(&ctx->pipe_read), FIONREAD);
		shared->dst_snd_queue = cell_queue_bytes(ctx->dst, SIOCOUTQ);
		atomic_fetch_add(&shared->monitor_seq, 1);
	}
	return NULL;
}

static pthread_t start_thread(struct tp_ctx *ctx, void *(*body)(void *), const char *name)
{
	pthread_t thread;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, (size_t)256 * 1024);
	int err = pthread_create(&thread, &attr, body, ctx);
	pthread_attr_destroy(&attr);
	if (err)
		cell_fail(ctx->shared, name, err);
	return thread;
}

/* The payload as an HTTP server's file: in the page cache, unlinked. */
static int payload_file(struct tp_ctx *ctx)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/splicelab-throughput.XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	uint8_t *block = malloc(BLOCK);
	if (!block) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	for (uint64_t at = 0; at < ctx->params->payload;) {
		size_t want = ctx->params->payload - at < BLOCK ? (size_t)(ctx->params->payload - at)
								: BLOCK;
		pattern_fill(block, at, want);
		ssize_t n = pwrite(fd, block, want, (off_t)at);
		if (n <= 0) {
			int saved = n < 0 ? errno : ENOSPC;
			free(block);
			close(fd);
			errno = saved;
			return -1;
		}
		at += (uint64_t)n;
	}
	free(block);
	return fd;
}

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
static void run_transfers(struct tp_ctx *ctx, enum throughput_method m, bool last)
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

static uint64_t thread_cpu_ns(void)
{
	struct timespec now;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

static uint64_t timeval_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000ull;
}

/* Until the sink has checked the method's last byte; a sink that gets
 * nothing for SINK_LIMIT_NS means bytes were lost. */
static void wait_sink(struct tp_ctx *ctx)
{
	uint64_t until = ctx->expected;
	struct cell_shared *shared = ctx->shared;
	uint64_t last = atomic_load(&shared->bytes_received), since = monotonic_ns();
	pthread_mutex_lock(&ctx->lock);
	while (atomic_load(&shared->bytes_received) < until) {
		struct timespec wake;
		cell_deadline(&wake, CLOCK_REALTIME, 100ull * 1000 * 1000);
		pthread_cond_timedwait(&ctx->received, &ctx->lock, &wake);
		uint64_t now_received = atomic_load(&shared->bytes_received);
		if (now_received != last) {
			last = now_received;
			since = monotonic_ns();
		} else if (monotonic_ns() - since > SINK_LIMIT_NS) {
			pthread_mutex_unlock(&ctx->lock);
			cell_fail(shared, "sink: bytes lost", ETIMEDOUT);
		}
	}
	pthread_mutex_unlock(&ctx->lock);
}

static void run_method(struct tp_ctx *ctx, enum throughput_method m, int round)
{
	struct cell_shared *shared = ctx->shared;
	struct throughput_figures *f = &shared->throughput.method[m];
	struct rusage before, after;
	ctx->from = ctx->bound[round];
	ctx->to = ctx->bound[round + 1];
	ctx->expected += ctx->to - ctx->from;
	ctx->syscalls = 0;
	uint64_t cpu_before = thread_cpu_ns();
	getrusage(RUSAGE_THREAD, &before);
	uint64_t start = monotonic_ns();
	pthread_t client = 0;
	if (!throughput_methods[m].from_file)
		client = start_thread(ctx, client_thread, "pthread_create(client)");
	run_transfers(ctx, m, round == ctx->rounds - 1);
	uint64_t cpu = thread_cpu_ns() - cpu_before;
	getrusage(RUSAGE_THREAD, &after);
	wait_sink(ctx);
	uint64_t elapsed = monotonic_ns() - start;
	if (client)
		pthread_join(client, NULL);
	f->round_bytes[round] = ctx->to - ctx->from;
	f->round_elapsed_ns[round] = elapsed;
	f->round_cpu_ns[round] = cpu;
	f->rounds = (uint32_t)round + 1;
	f->elapsed_ns += elapsed;
	f->cpu_ns += cpu;
	f->syscalls += ctx->syscalls;
	f->cpu_user_ns += timeval_ns(after.ru_utime) - timeval_ns(before.ru_utime);
	f->cpu_sys_ns += timeval_ns(after.ru_stime) - timeval_ns(before.ru_stime);
	f->done = f->rounds == (uint32_t)ctx->rounds;
}

/* Rounds of whole transfers: as many as there are transfers, at most
 * TP_ROUNDS; the last round ends at the payload's end. */
static void plan_rounds(struct tp_ctx *ctx)
{
	uint64_t payload = ctx->params->payload, chunk = ctx->params->chunk;
	uint64_t transfers = (payload + chunk - 1) / chunk;
	ctx->rounds = transfers < TP_ROUNDS ? (int)transfers : TP_ROUNDS;
	for (int r = 0; r < ctx->rounds; r++)
		ctx->bound[r] = transfers * (uint64_t)r / (uint64_t)ctx->rounds * chunk;
	ctx->bound[ctx->rounds] = payload;
}

_Noreturn void throughput_main(const struct cell_params *params, struct cell_shared *shared,
			       int request_fd)
{
	static struct tp_ctx ctx;
	ctx = (struct tp_ctx){.params = params, .shared = shared, .request_fd = request_fd,
			      .client_fd = -1, .src = -1, .dst = -1, .sink_fd = -1, .file_fd = -1,
			      .pipe_read = -1, .pipe_write = -1};
	for (int m = 0; m < TP_METHODS; m++)
		ctx.pool[m].read = ctx.pool[m].write = -1;
	plan_rounds(&ctx);
	pthread_mutex_init(&ctx.lock, NULL);
	pthread_cond_init(&ctx.received, NULL);
	const char *call = "";
	if (cell_connect_pair(params->transport, &ctx.client_fd, &ctx.src, &call) < 0 ||
	    cell_connect_pair(params->transport, &ctx.dst, &ctx.sink_fd, &call) < 0)
		cell_fail(shared, call, errno);
	ctx.file_fd = payload_file(&ctx);
	if (ctx.file_fd < 0)
		cell_fail(shared, "the payload file (TMPDIR or /tmp)", errno);
	ctx.buf = malloc(1u << 20);
	if (!ctx.buf)
		cell_fail(shared, "malloc", ENOMEM);
	pthread_t monitor = start_thread(&ctx, monitor_thread, "pthread_create(monitor)");
	pthread_detach(monitor);
	pthread_t sink = start_thread(&ctx, sink_thread, "pthread_create(sink)");

	shared->relay_start_ns = monotonic_ns();
	atomic_store(&shared->last_progress_ns, shared->relay_start_ns);
	for (int r = 0; r < ctx.rounds; r++)
		for (int m = 0; m < TP_METHODS; m++)
			run_method(&ctx, (enum throughput_method)m, r);
	shutdown(ctx.dst, SHUT_WR);
	pthread_join(sink, NULL);
	uint64_t want = (uint64_t)TP_METHODS * params->payload;
	uint64_t received = atomic_load(&shared->bytes_received);
	if (!shared->corrupt_found && received != want) {
		shared->corrupt_found = 1;
		shared->corrupt_offset = received < want ? received : want;
		shared->corrupt_expected = -1;
		shared->corrupt_got = received < want ? -1 : 0;
	}
	cell_finish(shared, shared->corrupt_found ? OUTCOME_CORRUPT : OUTCOME_OK);
}
