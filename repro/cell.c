/* The cell process: connects the sockets, starts the client, sink and
 * monitor threads, then runs the relay on its own main thread. */
#include "cell.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "identity.h"
#include "pattern.h"
#include "relay.h"
#include "relay_kind.h"

#define SEND_BLOCK (1u << 20)
#define SMALL_WRITE 4096
#define HEAD_START_LIMIT_NS (2000ull * 1000 * 1000)
#define HEAD_START_PLATEAU_NS (10ull * 1000 * 1000)

static pid_t current_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
			      .tv_nsec = (long)(ns % 1000000000ull)};
	nanosleep(&ts, NULL);
}

struct cell_ctx {
	const struct cell_params *params;
	struct cell_shared *shared;
	int client_fd;
	int sink_fd;
	int request_fd;
	struct relay_fds relay;
	int client_done; /* atomic flag via __atomic */
};

static void *client_thread(void *arg)
{
	struct cell_ctx *ctx = arg;
	struct cell_shared *shared = ctx->shared;
	atomic_store(&shared->tids[ROLE_CLIENT], current_tid());
	size_t block = ctx->params->sender == SENDER_ONE ? SEND_BLOCK : SMALL_WRITE;
	uint8_t *buf = malloc(SEND_BLOCK);
	if (!buf)
		return NULL;
	uint64_t sent = 0, payload = ctx->params->payload;
	while (sent < payload) {
		/* Generate a megabyte at a time; small senders slice it. */
		size_t avail = payload - sent < SEND_BLOCK ? (size_t)(payload - sent) : SEND_BLOCK;
		pattern_fill(buf, sent, avail);
		size_t off = 0;
		while (off < avail) {
			size_t want = avail - off < block ? avail - off : block;
			ssize_t n = write(ctx->client_fd, buf + off, want);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				goto out;
			}
			off += (size_t)n;
			sent += (uint64_t)n;
			atomic_store(&shared->bytes_sent, sent);
		}
	}
	shutdown(ctx->client_fd, SHUT_WR);
out:
	free(buf);
	__atomic_store_n(&ctx->client_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *sink_thread(void *arg)
{
	struct cell_ctx *ctx = arg;
	struct cell_shared *shared = ctx->shared;
	atomic_store(&shared->tids[ROLE_SINK], current_tid());
	static uint8_t buf[1 << 16];
	uint64_t received = 0;
	for (;;) {
		ssize_t n = cell_sink_read(ctx->sink_fd, buf, sizeof buf, ctx->params->corrupt_at,
					   received);
		if (n <= 0)
			break;
		if (!shared->corrupt_found) {
			size_t good = pattern_check(buf, received, (size_t)n);
			shared->bytes_verified = received + good;
			if (good < (size_t)n)
				cell_note_bad_byte(shared, received + good, buf[good]);
		}
		received += (uint64_t)n;
		atomic_store(&shared->bytes_received, received);
		atomic_store(&shared->last_progress_ns, monotonic_ns());
	}
	return NULL;
}

static void *monitor_thread(void *arg)
{
	struct cell_ctx *ctx = arg;
	struct cell_shared *shared = ctx->shared;
	atomic_store(&shared->tids[ROLE_MONITOR], current_tid());
	while (cell_wait_request(ctx->request_fd)) {
		cell_sample_queues(shared, ctx->relay.src, ctx->relay.pipe_read,
				   ctx->params->scenario == SCENARIO_PROXY ? ctx->relay.dst : -1);
		atomic_fetch_add(&shared->monitor_seq, 1);
	}
	return NULL;
}

static void setup_pipe(struct cell_ctx *ctx)
{
	const struct cell_params *params = ctx->params;
	struct cell_shared *shared = ctx->shared;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC | (params->pipe_nonblock ? O_NONBLOCK : 0)) < 0)
		cell_fail(shared, "pipe2", errno);
	ctx->relay.pipe_read = fds[0];
	ctx->relay.pipe_write = fds[1];
	/* A refusal (pipe-max-size, per-user pipe limits) is part of the result:
	 * the cell goes on with the pipe the kernel gave. */
	if (params->pipe_size && fcntl(fds[1], F_SETPIPE_SZ, (int)params->pipe_size) < 0)
		shared->pipe_size_errno = errno;
	int size = fcntl(fds[1], F_GETPIPE_SZ);
	shared->pipe_size = size > 0 ? (uint64_t)size : 0;
}

static void setup_sockets(struct cell_ctx *ctx)
{
	const struct cell_params *params = ctx->params;
	struct cell_shared *shared = ctx->shared;
	const char *call = "";
	if (cell_connect_pair(params->transport, &ctx->client_fd, &ctx->relay.src, &call) < 0)
		cell_fail(shared, call, errno);
	if (params->scenario == SCENARIO_PROXY &&
	    cell_connect_pair(params->transport, &ctx->relay.dst, &ctx->sink_fd, &call) < 0)
		cell_fail(shared, call, errno);
	if (params->sender == SENDER_NODELAY && params->transport != TRANSPORT_UNIX) {
		int one = 1;
		if (setsockopt(ctx->client_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
			cell_fail(shared, "setsockopt(TCP_NODELAY)", errno);
	}
	if (cell_set_nonblock(ctx->relay.src, params->src_nonblock) < 0)
		cell_fail(shared, "fcntl(source, F_SETFL)", errno);
	if (ctx->relay.dst >= 0 && cell_set_nonblock(ctx->relay.dst, params->dst_nonblock) < 0)
		cell_fail(shared, "fcntl(destination, F_SETFL)", errno);
}

/* On kernels before 4.9 the relay hangs only when enough data is already
 * queued when it starts reading, so the client gets a head start: wait until
 * the receive queue holds head_start bytes, the client is done, or the queue
 * stops growing (a small receive window), whichever comes first. */
static void wait_head_start(struct cell_ctx *ctx)
{
	struct cell_shared *shared = ctx->shared;
	uint64_t target = ctx->params->head_start < ctx->params->payload ? ctx->params->head_start
									 : ctx->params->payload;
	atomic_store(&shared->activity, ACTIVITY_HEAD_START);
	uint64_t start = monotonic_ns(), last_growth = start;
	int64_t last = -1, queued = 0;
	while (target > 0) {
		queued = cell_queue_bytes(ctx->relay.src, SIOCINQ);
		uint64_t now = monotonic_ns();
		if (queued < 0 || (uint64_t)queued >= target ||
		    __atomic_load_n(&ctx->client_done, __ATOMIC_ACQUIRE) ||
		    now - start > HEAD_START_LIMIT_NS)
			break;
		/* An empty queue is not a plateau: the client may not have
		 * written yet (a slow guest under TCG takes tens of ms to get
		 * there), and starting the relay on nothing defeats the head
		 * start. The 2 s limit and client_done still bound the wait. */
		if (queued != last) {
			last = queued;
			last_growth = now;
		} else if (queued > 0 && now - last_growth > HEAD_START_PLATEAU_NS) {
			break;
		}
		sleep_ns(500000ull);
	}
	if (target > 0)
		queued = cell_queue_bytes(ctx->relay.src, SIOCINQ);
	shared->queued_at_start = queued > 0 ? (uint64_t)queued : 0;
}

static pthread_t start_thread(struct cell_ctx *ctx, void *(*body)(void *), const char *name,
			      bool detached)
{
	pthread_t thread;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	if (detached)
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, (size_t)256 * 1024);
	int err = pthread_create(&thread, &attr, body, ctx);
	pthread_attr_destroy(&attr);
	if (err)
		cell_fail(ctx->shared, name, err);
	return thread;
}

_Noreturn void cell_main(const struct cell_params *params, struct cell_shared *shared,
			 int request_fd)
{
	const struct relay_kind *relay = relay_kind_of(params);
	/* The user first: a change of credentials clears the death signal. */
	const char *call = "";
	if (identity_become(&params->user, relay->fds_needed ? relay->fds_needed(params) : 0,
			    &call) < 0)
		cell_fail(shared, call, errno);
	/* Die with the runner, whatever happens to it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_IGN);
	atomic_store(&shared->tids[ROLE_RELAY], current_tid());
	relay->run(params, shared, request_fd);
	/* A relay ends its cell itself: one that returned is our bug. */
	cell_fail(shared, relay->name, EINVAL);
}

/* The built-in relay's cell: a client and (proxy) a sink thread of ours on
 * loopback, the relay on the main thread. */
static _Noreturn void builtin_run(const struct cell_params *params, struct cell_shared *shared,
				  int request_fd)
{
	static struct cell_ctx ctx;
	ctx.params = params;
	ctx.shared = shared;
	ctx.request_fd = request_fd;
	ctx.client_fd = ctx.sink_fd = -1;
	ctx.relay.src = ctx.relay.dst = ctx.relay.pipe_read = ctx.relay.pipe_write = -1;

	start_thread(&ctx, monitor_thread, "pthread_create(monitor)", true);
	setup_pipe(&ctx);
	setup_sockets(&ctx);
	pthread_t sink = 0;
	if (params->scenario == SCENARIO_PROXY)
		sink = start_thread(&ctx, sink_thread, "pthread_create(sink)", false);
	start_thread(&ctx, client_thread, "pthread_create(client)", true);
	wait_head_start(&ctx);

	shared->relay_start_ns = monotonic_ns();
	atomic_store(&shared->last_progress_ns, shared->relay_start_ns);
	struct relay_result result;
	if (params->scenario == SCENARIO_PROXY)
		relay_proxy(params, shared, &ctx.relay, &result);
	else
		relay_drain(params, shared, &ctx.relay, &result);
	if (result.error)
		cell_fail(shared, result.call, result.error);

	if (params->scenario == SCENARIO_PROXY) {
		/* EOF to the sink, then let it read and check everything. */
		shutdown(ctx.relay.dst, SHUT_WR);
		pthread_join(sink, NULL);
		cell_note_length(shared, atomic_load(&shared->bytes_received), params->payload);
		cell_finish(shared, shared->corrupt_found ? OUTCOME_CORRUPT : OUTCOME_OK);
	}
	/* Drain: everything sits in the pipe; read it back and check it. */
	if (relay_verify_pipe(params, shared, &ctx.relay) != 0)
		cell_finish(shared, OUTCOME_CORRUPT);
	cell_finish(shared, OUTCOME_OK);
}

const struct relay_kind relay_builtin = {"built-in relay", NULL, builtin_run};
