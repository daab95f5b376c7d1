#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "pattern.h"

struct relay {
	const struct cell_params *params;
	struct cell_shared *shared;
	const struct relay_fds *fds;
	struct relay_result *result;
	int epoll_fd;
	/* Readiness as Go's netpoller keeps it: set by an edge, cleared by
	 * prepare (before an I/O call) and consumed by a wait. */
	bool src_ready;
	bool dst_ready;
};

static int relay_fail(struct relay *relay, const char *call, int error)
{
	relay->result->error = error;
	snprintf(relay->result->call, sizeof relay->result->call, "%s", call);
	return -1;
}

static void trace_call(struct cell_shared *shared, enum trace_op op, uint64_t len, ssize_t ret,
		       int error)
{
	struct trace_entry entry = {
		.op = (uint8_t)op,
		.error = error,
		.len = len,
		.ret = ret,
		.t_us = (monotonic_ns() - shared->relay_start_ns) / 1000,
	};
	if (shared->trace_total < TRACE_KEEP)
		shared->trace_first[shared->trace_total] = entry;
	shared->trace_last[shared->trace_total % TRACE_KEEP] = entry;
	shared->trace_total++;
}

static ssize_t relay_splice(struct relay *relay, enum trace_op op, uint64_t len)
{
	struct cell_shared *shared = relay->shared;
	const struct relay_fds *fds = relay->fds;
	int in = op == TRACE_DRAIN ? fds->src : fds->pipe_read;
	int out = op == TRACE_DRAIN ? fds->pipe_write : fds->dst;
	atomic_store(&shared->activity, op == TRACE_DRAIN ? ACTIVITY_SPLICE_DRAIN
							 : ACTIVITY_SPLICE_PUMP);
	ssize_t n = splice(in, NULL, out, NULL, len, relay->params->splice_flags);
	int error = n < 0 ? errno : 0;
	atomic_fetch_add(&shared->splice_calls, 1);
	if (error == EAGAIN)
		atomic_fetch_add(&shared->eagain, 1);
	else if (error == EINTR)
		atomic_fetch_add(&shared->eintr, 1);
	trace_call(shared, op, len, n, error);
	errno = error;
	return n;
}

static void harvest_edges(struct relay *relay, int timeout_ms)
{
	struct epoll_event events[4];
	int n = epoll_wait(relay->epoll_fd, events, 4, timeout_ms);
	for (int i = 0; i < n; i++) {
		uint32_t ev = events[i].events;
		bool hangup = ev & (EPOLLERR | EPOLLHUP);
		if (events[i].data.fd == relay->fds->src && (ev & (EPOLLIN | EPOLLRDHUP) || hangup))
			relay->src_ready = true;
		if (events[i].data.fd == relay->fds->dst && (ev & EPOLLOUT || hangup))
			relay->dst_ready = true;
	}
}

/* Go's pollDesc.prepareRead/prepareWrite: whatever edge came before the call
 * is forgotten, so only an edge after it wakes a later wait. */
static void prepare(struct relay *relay, bool source)
{
	if (relay->params->loop != LOOP_EPOLL)
		return;
	harvest_edges(relay, 0);
	if (source)
		relay->src_ready = false;
	else
		relay->dst_ready = false;
}

/* After EAGAIN: retry at once, wait level-triggered, or wait for a new edge. */
static int wait_ready(struct relay *relay, bool source)
{
	struct cell_shared *shared = relay->shared;
	if (relay->params->loop == LOOP_BUSY)
		return 0;
	atomic_store(&shared->activity, source ? ACTIVITY_WAIT_SRC : ACTIVITY_WAIT_DST);
	atomic_fetch_add(&shared->waits, 1);
	if (relay->params->loop == LOOP_POLL) {
		struct pollfd pfd = {.fd = source ? relay->fds->src : relay->fds->dst,
				     .events = source ? POLLIN : POLLOUT};
		while (poll(&pfd, 1, -1) < 0)
			if (errno != EINTR)
				return relay_fail(relay, "poll", errno);
		return 0;
	}
	bool *ready = source ? &relay->src_ready : &relay->dst_ready;
	while (!*ready)
		harvest_edges(relay, -1);
	*ready = false;
	return 0;
}

static int relay_open(struct relay *relay, const struct cell_params *params,
		      struct cell_shared *shared, const struct relay_fds *fds,
		      struct relay_result *result)
{
	memset(result, 0, sizeof *result);
	*relay = (struct relay){.params = params, .shared = shared, .fds = fds, .result = result,
				.epoll_fd = -1};
	if (params->loop != LOOP_EPOLL)
		return 0;
	relay->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (relay->epoll_fd < 0)
		return relay_fail(relay, "epoll_create1", errno);
	int watched[2] = {fds->src, fds->dst};
	for (int i = 0; i < 2; i++) {
		if (watched[i] < 0)
			continue;
		struct epoll_event event = {
			.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
			.data.fd = watched[i],
		};
		if (epoll_ctl(relay->epoll_fd, EPOLL_CTL_ADD, watched[i], &event) < 0)
			return relay_fail(relay, "epoll_ctl(EPOLL_CTL_ADD)", errno);
	}
	return 0;
}

static void note_drained(struct cell_shared *shared, ssize_t n)
{
	atomic_fetch_add(&shared->bytes_drained, (uint64_t)n);
	if (shared->per_call_count < PER_CALL_KEEP)
		shared->per_call[shared->per_call_count++] = (uint64_t)n;
	atomic_store(&shared->last_progress_ns, monotonic_ns());
}

/* One spliceDrain: returns bytes now in the pipe, 0 at EOF, -1 on error. */
static ssize_t drain_once(struct relay *relay)
{
	prepare(relay, true);
	for (;;) {
		ssize_t n = relay_splice(relay, TRACE_DRAIN, relay->params->chunk);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return relay_fail(relay, "splice(socket->pipe)", errno);
		if (wait_ready(relay, true) < 0)
			return -1;
	}
}

/* One splicePump: moves in_pipe bytes to the destination. */
static int pump_all(struct relay *relay, uint64_t in_pipe)
{
	struct cell_shared *shared = relay->shared;
	prepare(relay, false);
	while (in_pipe > 0) {
		ssize_t n = relay_splice(relay, TRACE_PUMP, in_pipe);
		if (n > 0) {
			in_pipe -= (uint64_t)n;
			atomic_fetch_add(&shared->bytes_pumped, (uint64_t)n);
			atomic_store(&shared->last_progress_ns, monotonic_ns());
			continue;
		}
		if (n == 0)
			return relay_fail(relay, "splice(pipe->socket) returned 0", ENODATA);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return relay_fail(relay, "splice(pipe->socket)", errno);
		if (wait_ready(relay, false) < 0)
			return -1;
	}
	return 0;
}

void relay_proxy(const struct cell_params *params, struct cell_shared *shared,
		 const struct relay_fds *fds, struct relay_result *result)
{
	struct relay relay;
	if (relay_open(&relay, params, shared, fds, result) < 0)
		return;
	for (;;) {
		ssize_t in_pipe = drain_once(&relay);
		if (in_pipe <= 0)
			break;
		note_drained(shared, in_pipe);
		if (pump_all(&relay, (uint64_t)in_pipe) < 0)
			break;
	}
	if (relay.epoll_fd >= 0)
		close(relay.epoll_fd);
}

void relay_drain(const struct cell_params *params, struct cell_shared *shared,
		 const struct relay_fds *fds, struct relay_result *result)
{
	struct relay relay;
	if (relay_open(&relay, params, shared, fds, result) < 0)
		return;
	while (atomic_load(&shared->bytes_drained) < params->payload) {
		ssize_t n = drain_once(&relay);
		if (n <= 0)
			break;
		note_drained(shared, n);
	}
	if (relay.epoll_fd >= 0)
		close(relay.epoll_fd);
}

int relay_verify_pipe(const struct cell_params *params, struct cell_shared *shared,
		      const struct relay_fds *fds)
{
	static uint8_t buf[1 << 16];
	uint64_t offset = 0;
	fcntl(fds->pipe_read, F_SETFL, O_NONBLOCK);
	for (;;) {
		ssize_t n = read(fds->pipe_read, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size_t good = pattern_check(buf, offset, (size_t)n);
		if (good < (size_t)n) {
			shared->bytes_verified = offset + good;
			cell_note_bad_byte(shared, offset + good, buf[good]);
			return -1;
		}
		offset += (uint64_t)n;
	}
	shared->bytes_verified = offset;
	cell_note_length(shared, offset, params->payload);
	return offset == params->payload ? 0 : -1;
}
