/* A --relay-cmd cell: the user's program is the relay. The cell process
 * listens as the upstream (the sink), starts the program in a process group
 * of its own with the two addresses filled in, waits until the kernel shows
 * it listening, then sends the payload through it on each connection and
 * checks every byte that comes out at the sink. The runner reads the
 * program's threads and ends from /proc (relay_cmd_watch.c); the cell only
 * counts bytes and reports how the program ended. */
#include "relay_kind.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ends.h"
#include "pattern.h"
#include "relay_cmd.h"

#define LISTEN_LIMIT_NS (5000ull * 1000 * 1000) /* the program's start-up */
#define HEAD_START_LIMIT_NS (2000ull * 1000 * 1000)
#define HEAD_START_PLATEAU_NS (20ull * 1000 * 1000)
#define REAP_LIMIT_NS (5000ull * 1000 * 1000)
#define PEER_BUF ((size_t)64 * 1024)
#define SMALL_WRITE 4096
#define EXIT_DRAIN_NS (1000ull * 1000 * 1000) /* the sink's tail after an exit */
#define STDERR_KEEP 3 /* lines of the program's stderr in an error */

enum peer_kind { PEER_LISTENER, PEER_CLIENT, PEER_SINK };

struct peer {
	enum peer_kind kind;
	int fd;
	uint64_t bytes; /* sent (client) or received (sink) */
	bool shut;
};

struct ext_ctx {
	const struct cell_params *params;
	struct cell_shared *shared;
	int epoll_fd;
	int listener;
	struct peer listen_peer;
	struct peer *clients;
	struct peer *sinks;
	uint32_t nsinks, sinks_cap;
	_Atomic uint32_t streams_done;
	_Atomic uint32_t streams_bad;
	_Atomic int peer_error; /* errno of a failed peer call, 0 */
	char peer_call[48];
	pid_t relay;
	int stderr_fd;
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static socklen_t loopback(enum transport transport, unsigned port, struct sockaddr_storage *addr)
{
	memset(addr, 0, sizeof *addr);
	if (transport == TRANSPORT_TCP6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		in6->sin6_port = htons((uint16_t)port);
		return sizeof *in6;
	}
	struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
	in4->sin_family = AF_INET;
	in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	in4->sin_port = htons((uint16_t)port);
	return sizeof *in4;
}

/* A listening socket on a free loopback port; *port gets the port. */
static int listen_free(enum transport transport, unsigned *port, int backlog)
{
	struct sockaddr_storage addr;
	socklen_t len = loopback(transport, 0, &addr);
	int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&addr, len) < 0 || listen(fd, backlog) < 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	*port = ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
						 : ((struct sockaddr_in *)&addr)->sin_port);
	return fd;
}

/* The relay's own group, killed and reaped whatever it is doing. */
static void kill_relay(struct ext_ctx *ctx, int *status)
{
	if (ctx->relay <= 0)
		return;
	kill(-ctx->relay, SIGKILL);
	kill(ctx->relay, SIGKILL);
	uint64_t deadline = monotonic_ns() + REAP_LIMIT_NS;
	while (waitpid(ctx->relay, status, WNOHANG) == 0 && monotonic_ns() < deadline)
		sleep_ms(1);
	ctx->relay = 0;
}

/* The first lines of what the program wrote on stderr, joined by " | ". */
static void stderr_lines(struct ext_ctx *ctx, char *out, size_t len)
{
	char buf[1024];
	out[0] = '\0';
	ssize_t n = pread(ctx->stderr_fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	size_t used = 0;
	int lines = 0;
	for (char *line = strtok(buf, "\n"); line && lines < STDERR_KEEP;
	     line = strtok(NULL, "\n"), lines++)
		used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%s%s",
					 lines ? " | " : "", line);
}

/* The program ended (or never started): an error cell saying how. */
_Noreturn static void relay_gone(struct ext_ctx *ctx, int status, const char *when)
{
	struct cell_shared *shared = ctx->shared;
	shared->relay_exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	shared->relay_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	stderr_lines(ctx, shared->relay_stderr, sizeof shared->relay_stderr);
	if (WIFSIGNALED(status))
		snprintf(shared->relay_note, sizeof shared->relay_note,
			 "the relay program died on signal %d %s", WTERMSIG(status), when);
	else
		snprintf(shared->relay_note, sizeof shared->relay_note,
			 "the relay program exited with status %d %s", WEXITSTATUS(status), when);
	ctx->relay = 0;
	cell_fail(shared, "relay", ECHILD);
}

_Noreturn static void relay_error(struct ext_ctx *ctx, const char *note, int error)
{
	int status = 0;
	kill_relay(ctx, &status);
	ctx->shared->relay_exit = -1; /* killed by us, not an exit of its own */
	snprintf(ctx->shared->relay_note, sizeof ctx->shared->relay_note, "%s", note);
	stderr_lines(ctx, ctx->shared->relay_stderr, sizeof ctx->shared->relay_stderr);
	cell_fail(ctx->shared, "relay", error);
}

/* fork + exec in a group of its own; an exec failure comes back through a
 * close-on-exec pipe, so "no such program" is told apart from "exited". */
static void start_relay(struct ext_ctx *ctx, char **argv)
{
	struct cell_shared *shared = ctx->shared;
	char tmpl[] = "/tmp/splicelab-relay-stderr-XXXXXX";
	ctx->stderr_fd = mkostemp(tmpl, O_CLOEXEC);
	if (ctx->stderr_fd < 0)
		cell_fail(shared, "mkstemp(relay stderr)", errno);
	unlink(tmpl);
	int report[2];
	if (pipe2(report, O_CLOEXEC) < 0)
		cell_fail(shared, "pipe2", errno);
	pid_t pid = fork();
	if (pid < 0)
		cell_fail(shared, "fork", errno);
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGPIPE, SIG_DFL);
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		dup2(ctx->stderr_fd, 2);
		execvp(argv[0], argv);
		int error = errno;
		if (write(report[1], &error, sizeof error) < 0)
			_exit(127);
		_exit(127);
	}
	setpgid(pid, pid);
	ctx->relay = pid;
	atomic_store(&shared->ext_relay_pgid, pid);
	close(report[1]);
	int error = 0;
	ssize_t n;
	while ((n = read(report[0], &error, sizeof error)) < 0 && errno == EINTR)
		;
	close(report[0]);
	if (n == (ssize_t)sizeof error) {
		int status = 0;
		waitpid(pid, &status, 0);
		ctx->relay = 0;
		shared->relay_exit = -1;
		snprintf(shared->relay_note, sizeof shared->relay_note,
			 "the relay program '%.128s' could not be started: %s", argv[0],
			 strerror(error));
		cell_fail(shared, "execvp(relay)", error);
	}
}

/* Whether the kernel shows a TCP socket listening on port (any address),
 * in this network namespace: the relay is ready without a probe connection
 * it would have to serve. */
static bool listening_on(enum transport transport, unsigned port)
{
	FILE *file = fopen(transport == TRANSPORT_TCP6 ? "/proc/net/tcp6" : "/proc/net/tcp", "r");
	if (!file)
		return false;
	char line[512];
	bool found = false;
	while (!found && fgets(line, sizeof line, file)) {
		struct tcp_sock sock;
		if (!tcp_line_parse(line, &sock) || sock.state != 10 /* TCP_LISTEN */)
			continue;
		const char *colon = strrchr(sock.local, ':');
		found = colon && (unsigned)atoi(colon + 1) == port;
	}
	fclose(file);
	return found;
}

static void wait_listening(struct ext_ctx *ctx, unsigned port)
{
	uint64_t deadline = monotonic_ns() + LISTEN_LIMIT_NS;
	for (;;) {
		int status;
		if (waitpid(ctx->relay, &status, WNOHANG) == ctx->relay)
			relay_gone(ctx, status, "before it listened");
		if (listening_on(ctx->params->transport, port))
			return;
		if (monotonic_ns() > deadline) {
			char note[160];
			snprintf(note, sizeof note,
				 "the relay program did not listen on port %u within %llu s", port,
				 LISTEN_LIMIT_NS / 1000000000ull);
			relay_error(ctx, note, ETIMEDOUT);
		}
		sleep_ms(5);
	}
}

static void watch(struct ext_ctx *ctx, struct peer *peer, uint32_t events, int op)
{
	struct epoll_event event = {.events = events, .data.ptr = peer};
	if (epoll_ctl(ctx->epoll_fd, op, peer->fd, &event) < 0)
		cell_fail(ctx->shared, "epoll_ctl", errno);
}

static void peer_failed(struct ext_ctx *ctx, const char *call, int error)
{
	if (atomic_load(&ctx->peer_error))
		return;
	snprintf(ctx->peer_call, sizeof ctx->peer_call, "%s", call);
	atomic_store(&ctx->peer_error, error);
}

static void client_event(struct ext_ctx *ctx, struct peer *peer, uint8_t *buf)
{
	const struct cell_params *params = ctx->params;
	size_t block = params->sender == SENDER_ONE ? PEER_BUF : SMALL_WRITE;
	if (peer->shut) {
		/* Whatever flows back is dropped; EOF or an error ends it. */
		ssize_t n = read(peer->fd, buf, PEER_BUF);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			epoll_ctl(ctx->epoll_fd, EPOLL_CTL_DEL, peer->fd, NULL);
			close(peer->fd);
			peer->fd = -1;
		}
		return;
	}
	while (peer->bytes < params->payload) {
		uint64_t left = params->payload - peer->bytes;
		size_t want = left < block ? (size_t)left : block;
		pattern_fill(buf, peer->bytes, want);
		ssize_t n = write(peer->fd, buf, want);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			peer_failed(ctx, "write(client)", errno);
			epoll_ctl(ctx->epoll_fd, EPOLL_CTL_DEL, peer->fd, NULL);
			return;
		}
		peer->bytes += (uint64_t)n;
		atomic_fetch_add(&ctx->shared->bytes_sent, (uint64_t)n);
	}
	shutdown(peer->fd, SHUT_WR);
	peer->shut = true;
	watch(ctx, peer, EPOLLIN, EPOLL_CTL_MOD);
}

static void sink_accept(struct ext_ctx *ctx)
{
	for (;;) {
		int fd = accept4(ctx->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				peer_failed(ctx, "accept(sink)", errno);
			return;
		}
		if (ctx->nsinks == ctx->sinks_cap) {
			close(fd); /* more upstream connections than clients: refused */
			continue;
		}
		struct peer *sink = &ctx->sinks[ctx->nsinks++];
		*sink = (struct peer){.kind = PEER_SINK, .fd = fd};
		watch(ctx, sink, EPOLLIN, EPOLL_CTL_ADD);
	}
}

/* Each upstream stream carries the pattern from offset 0, whichever client
 * it came from: the check needs no mapping of sink to client. */
static void sink_event(struct ext_ctx *ctx, struct peer *peer, uint8_t *buf)
{
	struct cell_shared *shared = ctx->shared;
	for (;;) {
		ssize_t n = read(peer->fd, buf, PEER_BUF);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			peer_failed(ctx, "read(sink)", errno);
			break;
		}
		if (n == 0)
			break;
		size_t good = pattern_check(buf, peer->bytes, (size_t)n);
		if ((good < (size_t)n || peer->bytes + (uint64_t)n > ctx->params->payload) &&
		    !shared->corrupt_found) {
			shared->corrupt_found = 1;
			shared->corrupt_offset = peer->bytes + good;
			shared->corrupt_expected = good < (size_t)n
							   ? pattern_byte(peer->bytes + good)
							   : -1;
			shared->corrupt_got = buf[good < (size_t)n ? good : 0];
		}
		peer->bytes += (uint64_t)n;
		atomic_fetch_add(&shared->bytes_received, (uint64_t)n);
		atomic_store(&shared->last_progress_ns, monotonic_ns());
	}
	if (peer->bytes == ctx->params->payload)
		shared->bytes_verified += peer->bytes; /* the one peer thread */
	else
		atomic_fetch_add(&ctx->streams_bad, 1);
	if (peer->bytes < ctx->params->payload) /* past the end: seen as it came */
		cell_note_length(shared, peer->bytes, ctx->params->payload);
	epoll_ctl(ctx->epoll_fd, EPOLL_CTL_DEL, peer->fd, NULL);
	close(peer->fd);
	peer->fd = -1;
	atomic_fetch_add(&ctx->streams_done, 1);
}

/* Every client and the sink in one epoll loop: one peer thread, which the
 * runner sees as both client and sink. */
static void *peer_thread(void *arg)
{
	struct ext_ctx *ctx = arg;
	static uint8_t buf[PEER_BUF];
	pid_t tid = (pid_t)syscall(SYS_gettid);
	atomic_store(&ctx->shared->tids[ROLE_CLIENT], tid);
	atomic_store(&ctx->shared->tids[ROLE_SINK], tid);
	struct epoll_event events[64];
	for (;;) {
		int n = epoll_wait(ctx->epoll_fd, events, 64, -1);
		if (n < 0 && errno != EINTR)
			peer_failed(ctx, "epoll_wait(peers)", errno);
		for (int i = 0; i < n; i++) {
			struct peer *peer = events[i].data.ptr;
			if (peer->kind == PEER_LISTENER)
				sink_accept(ctx);
			else if (peer->kind == PEER_CLIENT)
				client_event(ctx, peer, buf);
			else
				sink_event(ctx, peer, buf);
		}
	}
	return NULL;
}

static void connect_clients(struct ext_ctx *ctx, unsigned port, uint32_t count)
{
	const struct cell_params *params = ctx->params;
	for (uint32_t i = 0; i < count; i++) {
		struct sockaddr_storage addr;
		socklen_t len = loopback(params->transport, port, &addr);
		int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			relay_error(ctx, "socket(client) failed", errno);
		if (params->sender == SENDER_NODELAY) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		}
		if (connect(fd, (struct sockaddr *)&addr, len) < 0 && errno != EINPROGRESS) {
			char note[160];
			snprintf(note, sizeof note, "connect(client %u) to the relay failed: %s", i,
				 strerror(errno));
			relay_error(ctx, note, errno);
		}
		ctx->clients[i] = (struct peer){.kind = PEER_CLIENT, .fd = fd};
		watch(ctx, &ctx->clients[i], EPOLLOUT, EPOLL_CTL_ADD);
	}
}

/* The head start: the relay's group stopped while the clients fill its
 * sockets (the kernel completes the connections and queues the bytes
 * without it), then continued, like the built-in relay that starts once
 * --head-start bytes are queued. */
static void head_start(struct ext_ctx *ctx, uint32_t count)
{
	const struct cell_params *params = ctx->params;
	uint64_t per_conn = params->head_start < params->payload ? params->head_start
								 : params->payload;
	uint64_t target = per_conn * count, last = 0;
	uint64_t start = monotonic_ns(), last_growth = start;
	while (target) {
		uint64_t sent = atomic_load(&ctx->shared->bytes_sent), now = monotonic_ns();
		if (sent >= target || now - start > HEAD_START_LIMIT_NS)
			break;
		if (sent != last) {
			last = sent;
			last_growth = now;
		} else if (sent > 0 && now - last_growth > HEAD_START_PLATEAU_NS) {
			break;
		}
		sleep_ms(1);
	}
	ctx->shared->queued_at_start = atomic_load(&ctx->shared->bytes_sent);
}

/* Runs in the forked cell, as the cell's user; never returns. */
static _Noreturn void relay_cmd_main(const struct cell_params *params, struct cell_shared *shared,
				     int request_fd)
{
	(void)request_fd; /* the program's queues are read from /proc, not sampled in the cell */
	static struct ext_ctx ctx;
	ctx = (struct ext_ctx){.params = params, .shared = shared, .stderr_fd = -1};
	uint32_t count = params->connections ? params->connections : 1;
	ctx.clients = calloc(count, sizeof *ctx.clients);
	ctx.sinks_cap = count;
	ctx.sinks = calloc(count, sizeof *ctx.sinks);
	if (!ctx.clients || !ctx.sinks)
		cell_fail(shared, "calloc(connections)", ENOMEM);
	unsigned upstream_port = 0, listen_port = 0;
	ctx.listener = listen_free(params->transport, &upstream_port, (int)count + 16);
	/* The relay's port: free now, closed again for the program to bind. */
	int probe = listen_free(params->transport, &listen_port, 1);
	if (ctx.listener < 0 || probe < 0)
		cell_fail(shared, "bind(loopback)", errno);
	close(probe);
	ctx.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (ctx.epoll_fd < 0)
		cell_fail(shared, "epoll_create1", errno);

	char *argv[RELAY_CMD_MAX_WORDS + 1], words[8192];
	struct relay_addrs addrs = {.host = params->transport == TRANSPORT_TCP6 ? "::1"
										: "127.0.0.1",
				    .listen_port = listen_port,
				    .upstream_port = upstream_port};
	if (relay_cmd_argv(params->relay_cmd, &addrs, argv, words, sizeof words) < 0)
		cell_fail(shared, "relay command (too long)", E2BIG);
	start_relay(&ctx, argv);
	wait_listening(&ctx, listen_port);

	ctx.listen_peer = (struct peer){.kind = PEER_LISTENER, .fd = ctx.listener};
	watch(&ctx, &ctx.listen_peer, EPOLLIN, EPOLL_CTL_ADD);
	if (params->head_start)
		kill(-ctx.relay, SIGSTOP);
	connect_clients(&ctx, listen_port, count);
	pthread_t thread;
	int err = pthread_create(&thread, NULL, peer_thread, &ctx);
	if (err)
		relay_error(&ctx, "pthread_create(peers) failed", err);
	if (params->head_start) {
		head_start(&ctx, count);
		kill(-ctx.relay, SIGCONT);
	}
	shared->relay_start_ns = monotonic_ns();
	atomic_store(&shared->last_progress_ns, shared->relay_start_ns);

	/* Until every upstream stream ended; the runner judges a stuck one. */
	while (atomic_load(&ctx.streams_done) < count) {
		int status;
		if (waitpid(ctx.relay, &status, WNOHANG) == ctx.relay) {
			/* A one-shot relay may exit once it wrote everything: the
			 * sink still reads the tail. Only unfinished streams make
			 * its exit an error. */
			ctx.relay = 0;
			uint64_t until = monotonic_ns() + EXIT_DRAIN_NS;
			while (atomic_load(&ctx.streams_done) < count && monotonic_ns() < until)
				sleep_ms(2);
			if (atomic_load(&ctx.streams_done) < count)
				relay_gone(&ctx, status, "during the transfer");
			break;
		}
		int error = atomic_load(&ctx.peer_error);
		if (error) {
			char note[160];
			snprintf(note, sizeof note, "%s failed: %s", ctx.peer_call, strerror(error));
			relay_error(&ctx, note, error);
		}
		sleep_ms(2);
	}
	int status = 0;
	kill_relay(&ctx, &status);
	cell_finish(shared, shared->corrupt_found || atomic_load(&ctx.streams_bad)
				    ? OUTCOME_CORRUPT
				    : OUTCOME_OK);
}

/* Its sockets (two per connection) and the cell's own few. */
static uint64_t relay_cmd_fds(const struct cell_params *params)
{
	return 2ull * params->connections + 64;
}

const struct relay_kind relay_external = {"relay program", relay_cmd_fds, relay_cmd_main};
