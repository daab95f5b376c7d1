/* The throughput cell: a client, the relay (this process's main thread, one
 * method after the other; the copies are throughput_copy.c's) and a sink
 * that checks every byte of each method's copy of the payload. The payload goes in rounds (up to
 * TP_ROUNDS, each a share of it in whole transfers), every method once per
 * round, so what else the machine does at one moment falls on all methods
 * alike; each method's rate and CPU are its median round's. A method is
 * measured alone: the next starts once the sink has verified the last
 * byte of the one before. */
#include "throughput.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cell_shared.h"
#include "loopback.h"
#include "relay_kind.h"
#include "pattern.h"
#include "throughput_ctx.h"

#define BLOCK (1u << 20)      /* the client's writes and the file's fill */
#define SINK_BUF (1u << 16)
#define SINK_LIMIT_NS (10000ull * 1000 * 1000) /* no byte at the sink this long: lost */

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
		cell_sample_queues(shared, ctx->src, atomic_load(&ctx->pipe_read), ctx->dst);
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
	throughput_copy_share(ctx, m, round == ctx->rounds - 1);
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

static _Noreturn void throughput_main(const struct cell_params *params, struct cell_shared *shared,
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

const struct relay_kind relay_throughput = {"throughput methods", NULL, throughput_main};
