/* The load cell: N concurrent connections through one relay process, like
 * the seed's load test through its Go proxy. The main thread opens the
 * connections and replaces finished ones (--conn-count); each connection
 * gets one relay thread per direction it copies (a blocking splice needs
 * its own thread, as a goroutine has its own), and two epoll threads play
 * every client and every sink. The relay's pipes come from a pool the way
 * the profile's program holds them. */
#include "load.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "loopback.h"
#include "pattern.h"
#include "profiles.h"
#include "relay.h"
#include "relay_kind.h"

#define PAGE 4096u
#define PEER_BUF ((size_t)64 * 1024)
#define THREAD_STACK ((size_t)128 * 1024)
#define HOLDER_MAX_PIPES 2048u

struct load_ctx;
struct conn;

struct relay_arg {
	struct load_ctx *ctx;
	struct conn *conn;
	enum load_dir dir;
};

/* Both relay directions share the connection's two sockets, swapped. */
struct conn {
	uint32_t slot;
	uint32_t number;
	int client_fd, sink_fd;
	int relay_client, relay_sink; /* the relay's ends */
	struct relay_fds fds[LOAD_DIRS];
	bool pipe_pooled[LOAD_DIRS];
	pthread_t thread[LOAD_DIRS];
	bool has_thread[LOAD_DIRS];
	struct relay_arg arg[LOAD_DIRS];
	uint64_t sent, received;
	bool client_shut;
	int parts_left; /* client, sink, each relay; under the lock */
};

struct pool_pipe {
	int rfd, wfd;
};

struct load_ctx {
	const struct cell_params *params;
	struct cell_shared *shared;
	struct load_shared *load;
	int request_fd;
	int client_epoll, sink_epoll;
	bool two_way;
	bool pooled; /* pipes go back to a pool when empty (Go, HAProxy) */
	pthread_mutex_t lock; /* the pool, the connections, parts_left */
	pthread_cond_t changed;
	struct pool_pipe *pool;
	size_t pool_count, pool_cap;
	struct conn *conns; /* one per slot */
	uint32_t conns_done_total;
};

const char *const conn_verdict_names[CONN_KINDS] = {"finished", "blocked", "stalled",
						    "spin",	"unknown", "not_started"};

static pid_t current_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

bool load_two_way(const struct cell_params *params)
{
	/* The C rewrite relays client -> upstream only; Go's proxy and HAProxy
	 * copy both ways, each way with its own pipe. */
	return !(params->profile && strcmp(params->profile->name, "c-rewrite") == 0);
}

static bool pipes_pooled(const struct cell_params *params)
{
	return load_two_way(params);
}

/* fds a load cell needs (sockets, pipes, epoll), for RLIMIT_NOFILE. */
static uint64_t load_fds_needed(const struct cell_params *params)
{
	/* Per connection: four sockets, two pipes (two fds each), an epoll
	 * per relay; the pressure holder's pipes; the cell's own few. */
	uint64_t per_conn = 4 + LOAD_DIRS * 3;
	return (uint64_t)params->connections * per_conn + 2ull * HOLDER_MAX_PIPES + 64;
}

static size_t map_size(uint32_t slots)
{
	size_t page = PAGE;
	size_t size = sizeof(struct load_shared) + (size_t)slots * sizeof(struct load_slot);
	return (size + page - 1) / page * page;
}

int load_map(const struct cell_params *params, struct cell_shared *shared)
{
	shared->load = NULL;
	if (params->scenario != SCENARIO_LOAD)
		return 0;
	uint32_t slots = params->connections ? params->connections : 1;
	size_t size = map_size(slots);
	struct load_shared *load =
		mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (load == MAP_FAILED)
		return -1;
	load->map_size = size;
	load->slots = slots;
	load->two_way = load_two_way(params);
	load->pages_soft = load->pages_hard = -1;
	shared->load = load;
	return 0;
}

void load_unmap(struct cell_shared *shared)
{
	if (!shared->load)
		return;
	munmap(shared->load, shared->load->map_size);
	shared->load = NULL;
}

uint64_t load_progress(const struct cell_shared *shared)
{
	const struct load_shared *load = shared->load;
	if (!load)
		return 0;
	uint64_t sum = 0;
	for (uint32_t i = 0; i < load->slots; i++)
		for (int d = 0; d < LOAD_DIRS; d++)
			sum += atomic_load(&load->slot[i].dir[d].bytes_drained) +
			       atomic_load(&load->slot[i].dir[d].bytes_pumped);
	return sum;
}

static int64_t read_sysctl(const char *path)
{
	FILE *file = fopen(path, "r");
	long long value = -1;
	if (file) {
		if (fscanf(file, "%lld", &value) != 1)
			value = -1;
		fclose(file);
	}
	return value;
}

static uint64_t pipe_pages(int fd)
{
	int size = fcntl(fd, F_GETPIPE_SZ);
	return size > 0 ? (uint64_t)size / PAGE : 0;
}

/* --pipe-pressure: this process, as the cell's user, holds PAGES pipe
 * pages before the relay starts, in pipes resized with F_SETPIPE_SZ as far
 * as the kernel lets it and, once it refuses (the user is at its limit),
 * in plain pipes of whatever size the kernel gives, so one connection
 * meets what a later one would. The holder pipes stay open (the kernel
 * charges them) until the cell ends. */
static void hold_pressure(struct load_ctx *ctx)
{
	struct load_shared *load = ctx->load;
	uint64_t want = ctx->params->pipe_pressure;
	int64_t max_size = read_sysctl("/proc/sys/fs/pipe-max-size");
	uint64_t max_pages = max_size > 0 ? (uint64_t)max_size / PAGE : 256;
	bool refused = false;
	while (load->pressure_pages < want && load->pressure_pipes < HOLDER_MAX_PIPES) {
		int fds[2];
		if (pipe2(fds, O_CLOEXEC) < 0) {
			load->pressure_errno = errno;
			return;
		}
		load->pressure_pipes++;
		uint64_t left = want - load->pressure_pages, pages = 1;
		while (pages * 2 <= left && pages * 2 <= max_pages)
			pages *= 2;
		if (!refused && pages != pipe_pages(fds[1]) &&
		    fcntl(fds[1], F_SETPIPE_SZ, (int)(pages * PAGE)) < 0) {
			load->pressure_errno = errno;
			refused = true;
		}
		load->pressure_pages += pipe_pages(fds[1]);
	}
}

static void note_pipe_size(struct load_shared *load, uint64_t size)
{
	for (uint32_t i = 0; i < load->nsizes; i++) {
		if (load->sizes[i].size == size) {
			load->sizes[i].count++;
			return;
		}
	}
	if (load->nsizes < LOAD_SIZE_KINDS)
		load->sizes[load->nsizes++] = (struct load_pipe_size){.size = size, .count = 1};
}

/* A pipe the way the profile's program makes one (Go's newPipe: pipe2 with
 * O_NONBLOCK, then F_SETPIPE_SZ, its error ignored). Under the lock. */
static int pool_new(struct load_ctx *ctx, struct pool_pipe *pipe)
{
	const struct cell_params *params = ctx->params;
	struct load_shared *load = ctx->load;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC | (params->pipe_nonblock ? O_NONBLOCK : 0)) < 0)
		return -1;
	if (params->pipe_size && fcntl(fds[1], F_SETPIPE_SZ, (int)params->pipe_size) < 0) {
		load->setpipe_refused++;
		load->setpipe_errno = errno;
		ctx->shared->pipe_size_errno = errno;
	}
	int size = fcntl(fds[1], F_GETPIPE_SZ);
	load->pipes_created++;
	note_pipe_size(load, size > 0 ? (uint64_t)size : 0);
	/* The smallest pipe any connection got: what the table shows. */
	if (size > 0 && (!ctx->shared->pipe_size || (uint64_t)size < ctx->shared->pipe_size))
		ctx->shared->pipe_size = (uint64_t)size;
	pipe->rfd = fds[0];
	pipe->wfd = fds[1];
	return 0;
}

static int pool_get(struct load_ctx *ctx, struct pool_pipe *pipe)
{
	if (ctx->pooled && ctx->pool_count) {
		*pipe = ctx->pool[--ctx->pool_count];
		return 0;
	}
	return pool_new(ctx, pipe);
}

/* Go's putPipe: an empty pipe goes back, one with data left is destroyed. */
static void pool_put(struct load_ctx *ctx, int rfd, int wfd)
{
	int queued = 0;
	bool keep = ctx->pooled && ioctl(rfd, FIONREAD, &queued) == 0 && queued == 0;
	if (keep && ctx->pool_count == ctx->pool_cap) {
		size_t cap = ctx->pool_cap ? ctx->pool_cap * 2 : 64;
		struct pool_pipe *bigger = realloc(ctx->pool, cap * sizeof *bigger);
		if (bigger) {
			ctx->pool = bigger;
			ctx->pool_cap = cap;
		}
		keep = ctx->pool_count < ctx->pool_cap;
	}
	if (keep) {
		ctx->pool[ctx->pool_count++] = (struct pool_pipe){.rfd = rfd, .wfd = wfd};
		return;
	}
	close(rfd);
	close(wfd);
}

/* One part of a connection is done; the last one wakes the main thread. */
static void part_done(struct load_ctx *ctx, struct conn *conn)
{
	pthread_mutex_lock(&ctx->lock);
	if (--conn->parts_left == 0)
		pthread_cond_broadcast(&ctx->changed);
	pthread_mutex_unlock(&ctx->lock);
}

static void *relay_thread(void *arg)
{
	struct relay_arg *relay = arg;
	struct load_ctx *ctx = relay->ctx;
	struct conn *conn = relay->conn;
	enum load_dir dir = relay->dir;
	struct cell_shared *shared = &ctx->load->slot[conn->slot].dir[dir];
	atomic_store(&shared->tids[ROLE_RELAY], current_tid());
	shared->relay_start_ns = monotonic_ns();
	struct relay_result result;
	relay_proxy(ctx->params, shared, &conn->fds[dir], &result);
	if (result.error)
		cell_fail(ctx->shared, result.call, result.error);
	/* io.Copy returned: CloseWrite, as the proxy does, and the pipe back. */
	shutdown(conn->fds[dir].dst, SHUT_WR);
	atomic_store(&shared->activity, ACTIVITY_DONE);
	atomic_store(&ctx->load->slot[conn->slot].dir_done[dir], 1);
	pthread_mutex_lock(&ctx->lock);
	pool_put(ctx, conn->fds[dir].pipe_read, conn->fds[dir].pipe_write);
	conn->fds[dir].pipe_read = conn->fds[dir].pipe_write = -1;
	pthread_mutex_unlock(&ctx->lock);
	part_done(ctx, conn);
	return NULL;
}

static int epoll_add(int epoll_fd, int fd, uint32_t events, struct conn *conn)
{
	struct epoll_event event = {.events = events, .data.ptr = conn};
	return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

/* The clients: write the pattern, half-close, then (two-way) read the
 * relay's EOF back, like mload's senders. */
static void client_event(struct load_ctx *ctx, struct conn *conn, uint32_t events, uint8_t *buf)
{
	uint64_t payload = ctx->params->payload;
	if (!conn->client_shut) {
		while (conn->sent < payload) {
			size_t want = payload - conn->sent < PEER_BUF ? (size_t)(payload - conn->sent)
								      : PEER_BUF;
			pattern_fill(buf, conn->sent, want);
			ssize_t n = write(conn->client_fd, buf, want);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					return;
				cell_fail(ctx->shared, "write(client)", errno);
			}
			conn->sent += (uint64_t)n;
			atomic_fetch_add(&ctx->shared->bytes_sent, (uint64_t)n);
		}
		shutdown(conn->client_fd, SHUT_WR);
		conn->client_shut = true;
		if (ctx->two_way) {
			struct epoll_event event = {.events = EPOLLIN, .data.ptr = conn};
			if (epoll_ctl(ctx->client_epoll, EPOLL_CTL_MOD, conn->client_fd, &event) < 0)
				cell_fail(ctx->shared, "epoll_ctl(client)", errno);
			return;
		}
	} else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n = read(conn->client_fd, buf, PEER_BUF);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0)
			cell_fail(ctx->shared, "read(client)", errno);
		if (n > 0)
			return; /* nothing flows back; whatever does is dropped */
	} else {
		return;
	}
	close(conn->client_fd);
	conn->client_fd = -1;
	part_done(ctx, conn);
}

static void sink_event(struct load_ctx *ctx, struct conn *conn, uint8_t *buf)
{
	struct cell_shared *shared = ctx->shared;
	for (;;) {
		ssize_t n = read(conn->sink_fd, buf, PEER_BUF);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0)
			cell_fail(shared, "read(sink)", errno);
		if (n == 0)
			break;
		size_t good = pattern_check(buf, conn->received, (size_t)n);
		if (good < (size_t)n) {
			cell_note_bad_byte(shared, conn->received + good, buf[good]);
			atomic_fetch_add(&ctx->load->corrupt, 1);
		}
		conn->received += (uint64_t)n;
		atomic_store(&ctx->load->slot[conn->slot].received, conn->received);
		atomic_fetch_add(&shared->bytes_received, (uint64_t)n);
		atomic_store(&shared->last_progress_ns, monotonic_ns());
	}
	if (conn->received != ctx->params->payload) {
		atomic_fetch_add(&ctx->load->corrupt, 1);
		cell_note_length(shared, conn->received, ctx->params->payload);
	} else {
		shared->bytes_verified += conn->received; /* the one sink thread */
	}
	/* EOF: close, as mload's sink does; the relay's upstream -> client
	 * copy then sees EOF and half-closes towards the client. */
	close(conn->sink_fd);
	conn->sink_fd = -1;
	part_done(ctx, conn);
}

static void *peer_thread(void *arg, bool client)
{
	struct load_ctx *ctx = arg;
	static uint8_t client_buf[PEER_BUF], sink_buf[PEER_BUF];
	uint8_t *buf = client ? client_buf : sink_buf;
	atomic_store(&ctx->shared->tids[client ? ROLE_CLIENT : ROLE_SINK], current_tid());
	int epoll_fd = client ? ctx->client_epoll : ctx->sink_epoll;
	struct epoll_event events[64];
	for (;;) {
		int n = epoll_wait(epoll_fd, events, 64, -1);
		if (n < 0 && errno != EINTR)
			cell_fail(ctx->shared, "epoll_wait(peers)", errno);
		for (int i = 0; i < n; i++) {
			struct conn *conn = events[i].data.ptr;
			if (client)
				client_event(ctx, conn, events[i].events, buf);
			else
				sink_event(ctx, conn, buf);
		}
	}
	return NULL;
}

static void *client_thread(void *arg)
{
	return peer_thread(arg, true);
}

static void *sink_thread(void *arg)
{
	return peer_thread(arg, false);
}

static void *monitor_thread(void *arg)
{
	struct load_ctx *ctx = arg;
	struct load_shared *load = ctx->load;
	atomic_store(&ctx->shared->tids[ROLE_MONITOR], current_tid());
	while (cell_wait_request(ctx->request_fd)) {
		/* Under the lock: the main thread closes and reopens sockets. */
		pthread_mutex_lock(&ctx->lock);
		for (uint32_t i = 0; i < load->slots; i++) {
			struct conn *conn = &ctx->conns[i];
			for (int d = 0; d < LOAD_DIRS; d++) {
				struct cell_shared *dir = &load->slot[i].dir[d];
				const struct relay_fds *fds = &conn->fds[d];
				cell_sample_queues(dir, fds->src, fds->pipe_read, fds->dst);
			}
		}
		pthread_mutex_unlock(&ctx->lock);
		atomic_fetch_add(&ctx->shared->monitor_seq, 1);
	}
	return NULL;
}

static pthread_t start_thread(struct load_ctx *ctx, void *(*body)(void *), void *arg,
			      const char *name, bool detached)
{
	pthread_t thread;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	if (detached)
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int err = pthread_create(&thread, &attr, body, arg);
	pthread_attr_destroy(&attr);
	if (err)
		cell_fail(ctx->shared, name, err);
	return thread;
}

/* Sockets and pipes of connection `number` on `slot`; under the lock.
 * Pipes are taken in connection order, forward first, as the proxy's two
 * io.Copy calls take them, so which connections get the large pipes does
 * not depend on thread scheduling. */
static void open_conn(struct load_ctx *ctx, uint32_t slot, uint32_t number)
{
	const struct cell_params *params = ctx->params;
	struct cell_shared *shared = ctx->shared;
	struct load_slot *shared_slot = &ctx->load->slot[slot];
	struct conn *conn = &ctx->conns[slot];
	*conn = (struct conn){.slot = slot, .number = number};
	const char *call = "";
	if (cell_connect_pair(params->transport, &conn->client_fd, &conn->relay_client, &call) < 0 ||
	    cell_connect_pair(params->transport, &conn->relay_sink, &conn->sink_fd, &call) < 0)
		cell_fail(shared, call, errno);
	if (cell_set_nonblock(conn->client_fd, true) < 0 ||
	    cell_set_nonblock(conn->sink_fd, true) < 0 ||
	    cell_set_nonblock(conn->relay_client, params->src_nonblock) < 0)
		cell_fail(shared, "fcntl(F_SETFL)", errno);
	/* The relay's upstream end: the destination of the forward copy and
	 * the source of the reverse one. Go has both O_NONBLOCK. */
	if (cell_set_nonblock(conn->relay_sink, params->dst_nonblock) < 0)
		cell_fail(shared, "fcntl(F_SETFL)", errno);
	int dirs = ctx->two_way ? LOAD_DIRS : 1;
	for (int d = 0; d < LOAD_DIRS; d++) {
		struct relay_fds *fds = &conn->fds[d];
		fds->src = d == LOAD_FORWARD ? conn->relay_client : conn->relay_sink;
		fds->dst = d == LOAD_FORWARD ? conn->relay_sink : conn->relay_client;
		fds->pipe_read = fds->pipe_write = -1;
		/* Counters and trace add up over the slot's connections; what
		 * says which thread is which starts afresh. */
		atomic_store(&shared_slot->dir[d].tids[ROLE_RELAY], 0);
		atomic_store(&shared_slot->dir[d].activity, ACTIVITY_NONE);
		shared_slot->dir_done[d] = d >= dirs;
		shared_slot->pipe_size[d] = 0;
		if (d >= dirs)
			continue;
		struct pool_pipe pipe;
		if (pool_get(ctx, &pipe) < 0)
			cell_fail(shared, "pipe2", errno);
		fds->pipe_read = pipe.rfd;
		fds->pipe_write = pipe.wfd;
		int size = fcntl(pipe.wfd, F_GETPIPE_SZ);
		shared_slot->pipe_size[d] = size > 0 ? (uint64_t)size : 0;
	}
	conn->parts_left = 2 + dirs;
	atomic_store(&shared_slot->received, 0);
	atomic_store(&shared_slot->conn, number + 1);
	atomic_fetch_add(&ctx->load->started, 1);
}

/* Threads and peers of an opened connection: the transfer starts here. */
static void start_conn(struct load_ctx *ctx, struct conn *conn)
{
	int dirs = ctx->two_way ? LOAD_DIRS : 1;
	for (int d = 0; d < dirs; d++) {
		conn->arg[d] = (struct relay_arg){.ctx = ctx, .conn = conn, .dir = (enum load_dir)d};
		conn->thread[d] = start_thread(ctx, relay_thread, &conn->arg[d],
					       "pthread_create(relay)", false);
		conn->has_thread[d] = true;
	}
	if (epoll_add(ctx->sink_epoll, conn->sink_fd, EPOLLIN, conn) < 0 ||
	    epoll_add(ctx->client_epoll, conn->client_fd, EPOLLOUT, conn) < 0)
		cell_fail(ctx->shared, "epoll_ctl(peers)", errno);
}

/* A finished connection: its relay threads are gone, its sockets closed. */
static void close_conn(struct load_ctx *ctx, struct conn *conn)
{
	for (int d = 0; d < LOAD_DIRS; d++)
		if (conn->has_thread[d])
			pthread_join(conn->thread[d], NULL);
	pthread_mutex_lock(&ctx->lock);
	close(conn->relay_client);
	close(conn->relay_sink);
	for (int d = 0; d < LOAD_DIRS; d++)
		conn->fds[d].src = conn->fds[d].dst = -1;
	conn->relay_client = conn->relay_sink = -1;
	conn->has_thread[0] = conn->has_thread[1] = false;
	struct load_slot *slot = &ctx->load->slot[conn->slot];
	atomic_store(&slot->conn, 0);
	atomic_fetch_add(&slot->done_conns, 1);
	pthread_mutex_unlock(&ctx->lock);
	atomic_fetch_add(&ctx->load->finished, 1);
}

static void record_limits(struct load_ctx *ctx)
{
	struct load_shared *load = ctx->load;
	load->uid = (uint32_t)geteuid();
	load->gid = (uint32_t)getegid();
	load->pages_soft = read_sysctl("/proc/sys/fs/pipe-user-pages-soft");
	load->pages_hard = read_sysctl("/proc/sys/fs/pipe-user-pages-hard");
}

/* The user's pipe pages are not exported by the kernel: count what this
 * cell holds (other processes of the same user are not seen). */
static uint64_t counted_pages(struct load_ctx *ctx)
{
	uint64_t pages = ctx->load->pressure_pages;
	for (uint32_t i = 0; i < ctx->load->slots; i++)
		for (int d = 0; d < LOAD_DIRS; d++)
			pages += ctx->load->slot[i].pipe_size[d] / PAGE;
	return pages;
}

/* The cell: never returns. */
static _Noreturn void load_main(const struct cell_params *params, struct cell_shared *shared,
				int request_fd)
{
	static struct load_ctx ctx;
	struct load_shared *load = shared->load;
	if (!load)
		cell_fail(shared, "load area", EINVAL);
	ctx = (struct load_ctx){.params = params, .shared = shared, .load = load,
				.request_fd = request_fd, .two_way = load->two_way,
				.pooled = pipes_pooled(params)};
	pthread_mutex_init(&ctx.lock, NULL);
	pthread_condattr_t cond_attr;
	pthread_condattr_init(&cond_attr);
	pthread_condattr_setclock(&cond_attr, CLOCK_MONOTONIC);
	pthread_cond_init(&ctx.changed, &cond_attr);
	ctx.conns = calloc(load->slots, sizeof *ctx.conns);
	if (!ctx.conns)
		cell_fail(shared, "calloc(connections)", ENOMEM);
	for (uint32_t i = 0; i < load->slots; i++)
		for (int d = 0; d < LOAD_DIRS; d++)
			ctx.conns[i].fds[d] = (struct relay_fds){-1, -1, -1, -1};
	ctx.client_epoll = epoll_create1(EPOLL_CLOEXEC);
	ctx.sink_epoll = epoll_create1(EPOLL_CLOEXEC);
	if (ctx.client_epoll < 0 || ctx.sink_epoll < 0)
		cell_fail(shared, "epoll_create1", errno);

	record_limits(&ctx);
	hold_pressure(&ctx);
	start_thread(&ctx, monitor_thread, &ctx, "pthread_create(monitor)", true);
	start_thread(&ctx, client_thread, &ctx, "pthread_create(client)", true);
	start_thread(&ctx, sink_thread, &ctx, "pthread_create(sink)", true);

	/* All first connections open before any byte moves: they are
	 * concurrent, as the load test's are. */
	uint32_t total = params->conn_count > params->connections ? params->conn_count
								  : params->connections;
	uint32_t opened = 0;
	pthread_mutex_lock(&ctx.lock);
	for (uint32_t i = 0; i < load->slots; i++)
		open_conn(&ctx, i, opened++);
	pthread_mutex_unlock(&ctx.lock);
	load->user_pages_at_start = counted_pages(&ctx);
	shared->relay_start_ns = monotonic_ns();
	atomic_store(&shared->last_progress_ns, shared->relay_start_ns);
	for (uint32_t i = 0; i < load->slots; i++)
		start_conn(&ctx, &ctx.conns[i]);

	/* Replace each finished connection until `total` were made. */
	uint32_t finished = 0, open_now = load->slots;
	pthread_mutex_lock(&ctx.lock);
	while (finished < total) {
		struct conn *done = NULL;
		for (uint32_t i = 0; i < load->slots && !done; i++)
			if (atomic_load(&load->slot[i].conn) && ctx.conns[i].parts_left == 0)
				done = &ctx.conns[i];
		if (!done) {
			struct timespec until;
			cell_deadline(&until, CLOCK_MONOTONIC, 100ull * 1000 * 1000);
			pthread_cond_timedwait(&ctx.changed, &ctx.lock, &until);
			continue;
		}
		pthread_mutex_unlock(&ctx.lock);
		close_conn(&ctx, done);
		finished++;
		open_now--;
		pthread_mutex_lock(&ctx.lock);
		if (opened < total) {
			open_conn(&ctx, done->slot, opened++);
			open_now++;
			pthread_mutex_unlock(&ctx.lock);
			start_conn(&ctx, done);
			pthread_mutex_lock(&ctx.lock);
		}
	}
	pthread_mutex_unlock(&ctx.lock);
	(void)open_now;
	load->end_ns = monotonic_ns();
	load->verdicts[CONN_FINISHED] = finished;
	cell_finish(shared, atomic_load(&load->corrupt) ? OUTCOME_CORRUPT : OUTCOME_OK);
}

const struct relay_kind relay_load = {"load relays", load_fds_needed, load_main};
