/* The vmsplice cell: sender on the main thread (the relay's role: it is the
 * one making the calls under test), reader on its own. */
#include "vmsplice.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "cell_shared.h"
#include "loopback.h"
#include "relay_kind.h"
#include "pattern.h"

/* Every wait of this cell is bounded here, so the runner never has to
 * judge it stuck: the monitor answers its queue requests with "unknown". */
#define WAIT_LIMIT_MS 5000
/* The seed's poll interval; a sleeping poller also never looks like a
 * spinner to the runner's stuck check. */
#define OUTQ_POLL_NS (20ull * 1000 * 1000)

struct vmsplice_cell {
	const struct cell_params *params;
	struct cell_shared *shared;
	int request_fd;
	int send_fd, read_fd;
	int pipe_read, pipe_write;
	uint8_t *ring;
	uint64_t nchunks;
	/* The reader may take chunks [0, released): the sender rewrote their
	 * memory (or finished, or the socket was full). */
	pthread_mutex_t lock;
	pthread_cond_t moved;
	uint64_t released;
};

static uint64_t chunk_len(const struct vmsplice_cell *c, uint64_t k)
{
	uint64_t off = k * c->params->chunk;
	uint64_t left = c->params->payload - off;
	return left < c->params->chunk ? left : c->params->chunk;
}

static uint32_t ring_slots(const struct cell_params *params)
{
	return params->reuse == REUSE_DOUBLE ? 2 : 1;
}

static uint8_t *chunk_memory(const struct vmsplice_cell *c, uint64_t k)
{
	return c->ring + (k % ring_slots(c->params)) * c->params->chunk;
}

static void release_upto(struct vmsplice_cell *c, uint64_t upto)
{
	pthread_mutex_lock(&c->lock);
	if (upto > c->released)
		c->released = upto;
	pthread_cond_broadcast(&c->moved);
	pthread_mutex_unlock(&c->lock);
}

static void *monitor_thread(void *arg)
{
	struct vmsplice_cell *c = arg;
	struct cell_shared *shared = c->shared;
	atomic_store(&shared->tids[ROLE_MONITOR], (pid_t)syscall(SYS_gettid));
	while (cell_wait_request(c->request_fd)) {
		shared->src_rcv_queue = shared->pipe_bytes = shared->dst_snd_queue = -1;
		atomic_fetch_add(&shared->monitor_seq, 1);
	}
	return NULL;
}

/* Which later data replaced the bad bytes at stream offset bad: the chunk
 * the sender wrote into the same memory some rings later. */
static int64_t replaced_by(const struct vmsplice_cell *c, const uint8_t *bad, size_t n,
			   uint64_t offset)
{
	uint64_t ring = ring_slots(c->params) * c->params->chunk;
	size_t probe = n < 64 ? n : 64;
	for (uint64_t later = offset + ring; later < c->params->payload; later += ring)
		if (pattern_check(bad, later, probe) == probe)
			return (int64_t)later;
	return -1;
}

static void note_corrupt(struct vmsplice_cell *c, const uint8_t *buf, size_t n, uint64_t offset,
			 size_t good)
{
	struct cell_shared *shared = c->shared;
	cell_note_bad_byte(shared, offset + good, buf[good]);
	shared->vmsplice.replaced_by = replaced_by(c, buf + good, n - good, offset + good);
}

/* Reads exactly len bytes into buf; -1 on EOF, error or a wait past the
 * limit. */
static int read_chunk(struct vmsplice_cell *c, uint8_t *buf, uint64_t len)
{
	uint64_t got = 0;
	while (got < len) {
		struct pollfd pfd = {.fd = c->read_fd, .events = POLLIN};
		if (poll(&pfd, 1, WAIT_LIMIT_MS) <= 0)
			return -1;
		ssize_t n = read(c->read_fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (uint64_t)n;
		atomic_fetch_add(&c->shared->bytes_received, (uint64_t)n);
		atomic_store(&c->shared->last_progress_ns, monotonic_ns());
	}
	return 0;
}

static void *reader_thread(void *arg)
{
	struct vmsplice_cell *c = arg;
	struct cell_shared *shared = c->shared;
	atomic_store(&shared->tids[ROLE_SINK], (pid_t)syscall(SYS_gettid));
	static uint8_t buf[1 << 20];
	for (uint64_t k = 0; k < c->nchunks; k++) {
		pthread_mutex_lock(&c->lock);
		while (c->released <= k)
			pthread_cond_wait(&c->moved, &c->lock);
		pthread_mutex_unlock(&c->lock);
		uint64_t offset = k * c->params->chunk, end = offset + chunk_len(c, k);
		/* A chunk (up to 1 GiB) in pieces of the buffer's size. */
		for (; offset < end; offset += sizeof buf) {
			size_t len = end - offset < sizeof buf ? (size_t)(end - offset) : sizeof buf;
			if (read_chunk(c, buf, len) < 0)
				return NULL;
			if (shared->corrupt_found)
				continue;
			size_t good = pattern_check(buf, offset, len);
			shared->bytes_verified = offset + good;
			if (good < len)
				note_corrupt(c, buf, len, offset, good);
		}
	}
	return NULL;
}

/* The socket is full: the reader must take the oldest chunk it has not
 * been given (at most the one being sent), or nothing moves again. */
static void release_one_early(struct vmsplice_cell *c, uint64_t sending)
{
	pthread_mutex_lock(&c->lock);
	if (c->released <= sending) {
		c->released++;
		c->shared->vmsplice.early_reads++;
		pthread_cond_broadcast(&c->moved);
	}
	pthread_mutex_unlock(&c->lock);
}

/* The seed's workaround: poll SIOCOUTQ until the peer acknowledged every
 * byte sent. On a unix socket SIOCOUTQ counts the bytes the peer has not
 * read yet, so there the wait is for the reader, and it is let go first. */
static void wait_outq_empty(struct vmsplice_cell *c, uint64_t k)
{
	struct vmsplice_stats *stats = &c->shared->vmsplice;
	if (c->params->transport == TRANSPORT_UNIX)
		release_upto(c, k);
	uint64_t start = monotonic_ns();
	for (;;) {
		int64_t outq = cell_queue_bytes(c->send_fd, SIOCOUTQ);
		stats->outq_polls++;
		if (outq <= 0)
			break;
		/* Bytes not even sent (SIOCOUTQNSD): the reader's window is
		 * full, and only the reader can open it. */
		if (c->params->transport != TRANSPORT_UNIX &&
		    cell_queue_bytes(c->send_fd, SIOCOUTQNSD) > 0)
			release_one_early(c, k - 1);
		if (monotonic_ns() - start > WAIT_LIMIT_MS * 1000000ull) {
			stats->outq_wait_us += (monotonic_ns() - start) / 1000;
			cell_fail(c->shared, "ioctl(SIOCOUTQ) never reached 0", ETIMEDOUT);
		}
		struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)OUTQ_POLL_NS};
		nanosleep(&ts, NULL);
	}
	stats->outq_wait_us += (monotonic_ns() - start) / 1000;
}

/* The sender's memory for chunk k, rewritten: the moment of reuse. */
static void fill_chunk(struct vmsplice_cell *c, uint64_t k)
{
	struct vmsplice_stats *stats = &c->shared->vmsplice;
	bool reuse = k >= stats->slots;
	if (reuse && c->params->reuse == REUSE_SIOCOUTQ)
		wait_outq_empty(c, k);
	if (reuse && stats->refills++ == 0) {
		stats->first_refill_outq = cell_queue_bytes(c->send_fd, SIOCOUTQ);
		stats->first_refill_peer_inq = cell_queue_bytes(c->read_fd, SIOCINQ);
	}
	pattern_fill(chunk_memory(c, k), k * c->params->chunk, (size_t)chunk_len(c, k));
	if (reuse)
		release_upto(c, k - stats->slots + 1);
}

/* Pipe -> socket until n bytes moved; a full socket lets the reader go. */
static void splice_out(struct vmsplice_cell *c, uint64_t n, uint64_t k)
{
	struct cell_shared *shared = c->shared;
	while (n > 0) {
		atomic_store(&shared->activity, ACTIVITY_SPLICE_PUMP);
		ssize_t m = splice(c->pipe_read, NULL, c->send_fd, NULL, (size_t)n,
				   SPLICE_F_NONBLOCK);
		atomic_fetch_add(&shared->splice_calls, 1);
		if (m > 0) {
			n -= (uint64_t)m;
			atomic_fetch_add(&shared->bytes_pumped, (uint64_t)m);
			atomic_store(&shared->last_progress_ns, monotonic_ns());
			continue;
		}
		if (m == 0)
			cell_fail(shared, "splice(pipe->socket) returned 0", ENODATA);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			cell_fail(shared, "splice(pipe->socket)", errno);
		atomic_fetch_add(&shared->eagain, 1);
		release_one_early(c, k);
		atomic_store(&shared->activity, ACTIVITY_WAIT_DST);
		struct pollfd pfd = {.fd = c->send_fd, .events = POLLOUT};
		if (poll(&pfd, 1, WAIT_LIMIT_MS) <= 0)
			cell_fail(shared, "poll(socket writable)", ETIMEDOUT);
	}
}

/* vmsplice the chunk's memory, then splice it on, until all of it went. */
static void send_chunk(struct vmsplice_cell *c, uint64_t k)
{
	struct cell_shared *shared = c->shared;
	unsigned int flags = c->params->reuse == REUSE_GIFT ? SPLICE_F_GIFT : 0;
	uint8_t *memory = chunk_memory(c, k);
	uint64_t len = chunk_len(c, k), done = 0;
	while (done < len) {
		struct iovec iov = {.iov_base = memory + done, .iov_len = (size_t)(len - done)};
		atomic_store(&shared->activity, ACTIVITY_SPLICE_DRAIN);
		ssize_t n = vmsplice(c->pipe_write, &iov, 1, flags);
		shared->vmsplice.vmsplice_calls++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			cell_fail(shared, "vmsplice", n < 0 ? errno : ENODATA);
		atomic_fetch_add(&shared->bytes_drained, (uint64_t)n);
		splice_out(c, (uint64_t)n, k);
		done += (uint64_t)n;
	}
	atomic_fetch_add(&shared->bytes_sent, len);
}

static void setup(struct vmsplice_cell *c)
{
	const struct cell_params *params = c->params;
	struct cell_shared *shared = c->shared;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		cell_fail(shared, "pipe2", errno);
	c->pipe_read = fds[0];
	c->pipe_write = fds[1];
	if (params->pipe_size && fcntl(fds[1], F_SETPIPE_SZ, (int)params->pipe_size) < 0)
		shared->pipe_size_errno = errno;
	int size = fcntl(fds[1], F_GETPIPE_SZ);
	shared->pipe_size = size > 0 ? (uint64_t)size : 0;
	const char *call = "";
	if (cell_connect_pair(params->transport, &c->send_fd, &c->read_fd, &call) < 0)
		cell_fail(shared, call, errno);
	if (cell_set_nonblock(c->send_fd, true) < 0)
		cell_fail(shared, "fcntl(socket, O_NONBLOCK)", errno);
	shared->vmsplice.slots = ring_slots(params);
	shared->vmsplice.first_refill_outq = shared->vmsplice.first_refill_peer_inq = -1;
	shared->vmsplice.replaced_by = -1;
	/* Whole pages of their own: vmsplice hands the kernel pages. */
	size_t ring = (size_t)(ring_slots(params) * params->chunk);
	c->ring = mmap(NULL, ring, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->ring == MAP_FAILED)
		cell_fail(shared, "mmap(ring)", errno);
	c->nchunks = (params->payload + params->chunk - 1) / params->chunk;
}

static void start_thread(struct vmsplice_cell *c, void *(*body)(void *), pthread_t *thread,
			 const char *call)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, (size_t)256 * 1024);
	int err = pthread_create(thread, &attr, body, c);
	pthread_attr_destroy(&attr);
	if (err)
		cell_fail(c->shared, call, err);
}

static _Noreturn void vmsplice_main(const struct cell_params *params, struct cell_shared *shared,
			     int request_fd)
{
	static struct vmsplice_cell c;
	c = (struct vmsplice_cell){.params = params, .shared = shared, .request_fd = request_fd};
	pthread_mutex_init(&c.lock, NULL);
	pthread_cond_init(&c.moved, NULL);
	pthread_t monitor, reader;
	start_thread(&c, monitor_thread, &monitor, "pthread_create(monitor)");
	pthread_detach(monitor);
	setup(&c);
	start_thread(&c, reader_thread, &reader, "pthread_create(reader)");

	shared->relay_start_ns = monotonic_ns();
	atomic_store(&shared->last_progress_ns, shared->relay_start_ns);
	for (uint64_t k = 0; k < c.nchunks; k++) {
		fill_chunk(&c, k);
		send_chunk(&c, k);
		shared->vmsplice.chunks = k + 1;
	}
	release_upto(&c, c.nchunks);
	shutdown(c.send_fd, SHUT_WR);
	pthread_join(reader, NULL);
	uint64_t received = atomic_load(&shared->bytes_received);
	if (!shared->corrupt_found && received != params->payload) {
		shared->corrupt_found = 1;
		shared->corrupt_offset = received;
		shared->corrupt_expected = pattern_byte(received);
		shared->corrupt_got = -1;
	}
	cell_finish(shared, shared->corrupt_found ? OUTCOME_CORRUPT : OUTCOME_OK);
}

const struct relay_kind relay_vmsplice = {"vmsplice sender", NULL, vmsplice_main};
