#include "diagnosis.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "textfile.h"

#define SPLICE_F_NONBLOCK_BIT 0x02
#define EPOLLET_BIT 0x80000000u
#define TCP_LISTEN_STATE 0x0A
/* A burner that neither sample caught inside splice gets this many more
 * looks at its syscall, back to back: a retry loop is inside splice most
 * of the time it is not in user space. */
#define EXTRA_LOOKS 200

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int diagnosis_check_pid(pid_t pid, char *why, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (pid <= 0 || access(path, F_OK) != 0) {
		snprintf(why, len, "no process %d", (int)pid);
		return ESRCH;
	}
	/* Its fds (and its syscalls) need the same right as ptrace's: our own
	 * uid, or root. */
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *dir = opendir(path);
	if (!dir) {
		int err = errno;
		snprintf(why, len, "process %d is not ours: %s is unreadable (%s); run as its user or root",
			 (int)pid, path, strerror(err));
		return err == ENOENT ? ESRCH : EACCES;
	}
	closedir(dir);
	return 0;
}

static pid_t *list_tasks(pid_t pid, size_t *n)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	*n = 0;
	DIR *dir = opendir(path);
	if (!dir)
		return NULL;
	size_t cap = 0;
	pid_t *tids = NULL;
	const struct dirent *de;
	while ((de = readdir(dir))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		pid_t *room = array_room(tids, *n, &cap, sizeof *room);
		if (!room)
			break;
		tids = room;
		tids[(*n)++] = (pid_t)atoi(de->d_name);
	}
	closedir(dir);
	return tids;
}

/* voluntary_ctxt_switches from status: each time the thread slept and was
 * woken. -1 when unreadable. */
static int64_t voluntary_switches(pid_t pid, pid_t tid)
{
	char path[96], line[256];
	snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	long long v = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "voluntary_ctxt_switches: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Whether a thread can be part of a splice story: the rest (futex
 * sleepers, timers) are judged from the cheap fields alone. */
static bool relevant(const struct thread_view *v)
{
	return syscall_is_splice(v->syscall_nr) || syscall_is_readiness_wait(v->syscall_nr) ||
	       v->syscall_nr == SYSCALL_RUNNING || v->syscall_nr == SYSCALL_UNKNOWN ||
	       v->state == 'R';
}

static void resolve_end(const struct diagnosis *d, int fd, struct end_view *end)
{
	memset(end, 0, sizeof *end);
	end->fd = fd;
	const struct fd_end *fe = fd_table_find(&d->fds, fd);
	if (!fe) {
		end->kind = END_OTHER;
		return;
	}
	end->kind = fe->kind;
	end->inode = fe->inode;
	end->nonblock = fe->nonblock;
	end->flags_known = fe->flags_known;
	if (fe->kind == END_SOCKET) {
		end->sock[0] = tcp_table_find(&d->tcp[0], fe->inode);
		end->sock[1] = tcp_table_find(&d->tcp[1], fe->inode);
	} else if (fe->kind == END_PIPE) {
		end->pipe = pipes_find(d->pipes, d->npipes, fe->inode);
	}
}

/* Bytes wait at this end: a socket's receive queue (a listener's is its
 * accept backlog, not bytes), or a pipe's content. A pipe's fullness is not
 * knowable from outside: slots hold up to a page each from a pipe write
 * but whole socket fragments from a splice. */
static bool end_pending(const struct end_view *e)
{
	if (e->sock[1])
		return e->sock[1]->state != TCP_LISTEN_STATE && e->sock[1]->rx_queue > 0;
	return e->pipe && e->pipe->bytes[1] > 0;
}

static int64_t end_queued(const struct end_view *e)
{
	return e->sock[1] && e->sock[1]->state != TCP_LISTEN_STATE ? e->sock[1]->rx_queue : 0;
}

static bool end_moved(const struct end_view *e)
{
	if (e->sock[0] && e->sock[1])
		return e->sock[0]->rx_queue != e->sock[1]->rx_queue ||
		       e->sock[0]->tx_queue != e->sock[1]->tx_queue;
	if (e->pipe)
		return e->pipe->bytes[0] != e->pipe->bytes[1];
	return false;
}

/* A socket another thread splices from is that thread's story, not the
 * waiter's (Go's netpoller watches every connection). */
static bool spliced_by_someone(const struct diagnosis *d, unsigned long inode)
{
	for (size_t i = 0; i < d->nthreads; i++) {
		const struct doctor_thread *t = &d->threads[i];
		if (t->splice_seen && (t->in.inode == inode || t->out.inode == inode))
			return true;
	}
	return false;
}

/* A process that holds both a pipe and a socket can be a splice relay;
 * its waiting threads are then judged as a relay's. */
static bool process_splices(const struct diagnosis *d)
{
	if (!d->npipes)
		return false;
	for (size_t i = 0; i < d->fds.n; i++)
		if (d->fds.ends[i].kind == END_SOCKET)
			return true;
	return false;
}

static void take_splice_args(struct doctor_thread *t, const struct thread_view *v, int sample)
{
	if (t->splice_seen || !syscall_is_splice(v->syscall_nr) || v->nargs < 6)
		return;
	t->splice_seen = true;
	t->splice_sample = sample;
	t->splice_len = v->args[4];
	t->splice_flags = v->args[5];
	t->in.fd = (int)v->args[0];
	t->out.fd = (int)v->args[2];
}

/* A burner neither sample caught in splice: look again, back to back. */
static void extra_looks(pid_t pid, struct doctor_thread *t)
{
	for (int i = 0; i < EXTRA_LOOKS && !t->splice_seen; i++) {
		struct thread_view v;
		if (procview_read_brief(pid, t->tid, &v) < 0)
			return;
		take_splice_args(t, &v, 2);
	}
}

static bool names_pipe_wait(const char *text)
{
	return text && (strstr(text, "pipe_wait") || strstr(text, "wait_for_space"));
}

static const char *regime_of(const struct thread_view *v)
{
	if (!v->stack)
		return NULL;
	if (strstr(v->stack, "wait_for_space"))
		return "asleep in wait_for_space at the splice's entry: the 4.9+ regime (the pipe was "
		       "full before the call)";
	if (strstr(v->stack, "splice_to_pipe") && strstr(v->stack, "pipe_wait"))
		return "asleep in pipe_wait inside splice_to_pipe: the pre-4.9 regime (the pipe filled "
		       "during the call, which sleeps holding what it moved)";
	return NULL;
}

static void watch_ends(const struct diagnosis *d, struct doctor_thread *t)
{
	t->epfd = -1;
	const struct thread_view *v = &t->view[1];
	const char *name = syscall_name(v->syscall_nr);
	if (name && strncmp(name, "epoll", 5) == 0 && v->nargs >= 1) {
		int fds[MAX_WATCHED * 8];
		unsigned events[MAX_WATCHED * 8];
		t->epfd = (int)v->args[0];
		int n = epoll_watched(d->pid, t->epfd, fds, events, (int)(sizeof fds / sizeof fds[0]));
		for (int i = 0; i < n && t->nwatched < MAX_WATCHED; i++) {
			struct end_view e;
			resolve_end(d, fds[i], &e);
			if (e.kind == END_OTHER || spliced_by_someone(d, e.inode))
				continue;
			if (events[i] & EPOLLET_BIT)
				t->edge_triggered = true;
			t->watched[t->nwatched++] = e;
		}
		return;
	}
	/* poll, select: the fd list is in the process's memory, which we do not
	 * read; every socket nobody splices from stands in for it. */
	for (size_t i = 0; i < d->fds.n && t->nwatched < MAX_WATCHED; i++) {
		const struct fd_end *fe = &d->fds.ends[i];
		if (fe->kind != END_SOCKET || spliced_by_someone(d, fe->inode))
			continue;
		resolve_end(d, fe->fd, &t->watched[t->nwatched++]);
	}
}

static void fmt_end(const struct end_view *e, char *buf, size_t len)
{
	if (e->kind == END_SOCKET && e->sock[1])
		snprintf(buf, len, "socket fd %d %s<-%s (rx_queue %lld, tx_queue %lld)", e->fd,
			 e->sock[1]->local, e->sock[1]->remote, (long long)e->sock[1]->rx_queue,
			 (long long)e->sock[1]->tx_queue);
	else if (e->kind == END_SOCKET)
		snprintf(buf, len, "socket fd %d (not TCP, or not in this net namespace)", e->fd);
	else if (e->kind == END_PIPE && e->pipe && e->pipe->size > 0)
		snprintf(buf, len, "pipe fd %d (%lld bytes in, size %lld = %lld slot%s)", e->fd,
			 (long long)e->pipe->bytes[1], (long long)e->pipe->size,
			 (long long)(e->pipe->size / 4096), e->pipe->size <= 4096 ? "" : "s");
	else if (e->kind == END_PIPE)
		snprintf(buf, len, "pipe fd %d (unmeasured)", e->fd);
	else
		snprintf(buf, len, "fd %d", e->fd);
}

/* Whether bytes wait anywhere in the process, and whether any of its
 * queues changed between the samples. */
static void process_queues(const struct diagnosis *d, bool *pending, bool *moved,
			   int64_t *queued)
{
	*pending = *moved = false;
	*queued = 0;
	for (size_t i = 0; i < d->fds.n; i++) {
		struct end_view e;
		resolve_end(d, d->fds.ends[i].fd, &e);
		*pending |= end_pending(&e);
		*moved |= end_moved(&e);
		*queued += end_queued(&e);
	}
}

static void judge_thread(const struct diagnosis *d, struct doctor_thread *t)
{
	const struct thread_view *v0 = &t->view[0], *v1 = &t->view[1];
	struct thread_evidence e = {
		.state = {v0->state, v1->state},
		.splice_seen = t->splice_seen,
		.splice_both = syscall_is_splice(v0->syscall_nr) && syscall_is_splice(v1->syscall_nr),
		.wait_both = syscall_is_readiness_wait(v0->syscall_nr) &&
			     syscall_is_readiness_wait(v1->syscall_nr),
		.syscall_known = v1->syscall_nr != SYSCALL_UNKNOWN,
		.process_has_pipes = process_splices(d),
		.window_ns = d->elapsed_ns,
		.cpu_known = v0->cpu_known && v1->cpu_known,
		.cpu_ns = v1->cpu_ns > v0->cpu_ns ? v1->cpu_ns - v0->cpu_ns : 0,
		.woke = t->woke,
		.running_both = v0->syscall_nr == SYSCALL_RUNNING && v1->syscall_nr == SYSCALL_RUNNING,
	};
	int64_t process_queued;
	process_queues(d, &e.process_pending, &e.process_moved, &process_queued);
	e.pipe_wait = d->npipes > 0 && (names_pipe_wait(v1->wchan) || names_pipe_wait(v1->stack));
	char in[200] = "", out[200] = "";
	if (t->splice_seen) {
		e.pending = end_pending(&t->in) || end_pending(&t->out);
		e.progress = end_moved(&t->in) || end_moved(&t->out);
		fmt_end(&t->in, in, sizeof in);
		fmt_end(&t->out, out, sizeof out);
	} else if (!e.syscall_known && e.pipe_wait) {
		/* Syscall hidden (ptrace rules stricter than for fds, e.g. Yama):
		 * the ends are unknown, the process's queues speak for them. */
		e.pending = e.process_pending;
		e.progress = e.process_moved;
	} else if (e.wait_both) {
		for (int i = 0; i < t->nwatched; i++) {
			e.pending |= end_pending(&t->watched[i]);
			e.progress |= end_moved(&t->watched[i]);
		}
	}
	t->verdict = verdict_classify(&e);
	t->regime = t->verdict == DV_BLOCKED ? regime_of(v1) : NULL;
	double cpu_ms = (double)e.cpu_ns / 1e6, window_ms = (double)d->elapsed_ns / 1e6;
	char woke[48] = "";
	if (t->woke >= 0)
		snprintf(woke, sizeof woke, ", woken %lld times", (long long)t->woke);
	char syscall[24];
	syscall_label(v1->syscall_nr, syscall, sizeof syscall);
	const char *wchan = v1->wchan[0] ? v1->wchan : "hidden";
	bool asleep_in_splice = (t->verdict == DV_BLOCKED || t->verdict == DV_IDLE) &&
				(t->splice_seen || (!e.syscall_known && e.pipe_wait));
	if (asleep_in_splice && !t->splice_seen) {
		snprintf(t->note, sizeof t->note,
			 "asleep in a pipe wait (wchan %s) for the whole %.0f ms (state %c, %.1f ms "
			 "CPU%s): inside splice, inferred (its syscall is unreadable); %lld bytes wait "
			 "on the process's sockets and none of its queues moved",
			 wchan, window_ms, v1->state, cpu_ms, woke, (long long)process_queued);
		return;
	}
	if (asleep_in_splice) {
			snprintf(t->note, sizeof t->note,
				 "asleep in splice(%s -> %s, len %lu, flags %s) for the whole %.0f ms "
				 "(state %c, wchan %s, %.1f ms CPU%s)",
				 in, out, t->splice_len,
				 (t->splice_flags & SPLICE_F_NONBLOCK_BIT) ? "NONBLOCK"
				 : t->splice_flags			   ? "without NONBLOCK"
									   : "0",
				 window_ms, v1->state, wchan, cpu_ms, woke);
		return;
	}
	switch (t->verdict) {
	case DV_BLOCKED:
	case DV_IDLE:
	case DV_STALLED:
		snprintf(t->note, sizeof t->note,
			 "asleep in %s%s for the whole %.0f ms (state %c, wchan %s%s) while %s",
			 syscall, t->edge_triggered ? " (edge-triggered)" : "", window_ms, v1->state,
			 wchan, woke,
			 e.pending ? "bytes wait on a socket it watches and nobody splices from"
				   : "nothing waits on the sockets it watches");
		break;
	case DV_SPINNING:
		if (!t->splice_seen) {
			snprintf(t->note, sizeof t->note,
				 "on a CPU at every look (%.0f ms of CPU in %.0f ms, never slept) while "
				 "%lld bytes wait on the process's sockets and none of its queues moved "
				 "(a running thread shows no syscall: the retried call is inferred)",
				 cpu_ms, window_ms, (long long)process_queued);
			break;
		}
		snprintf(t->note, sizeof t->note,
			 "used %.0f ms of CPU in %.0f ms inside splice(%s -> %s, flags %s) and "
			 "never slept, while no queue moved",
			 cpu_ms, window_ms, in, out,
			 (t->splice_flags & SPLICE_F_NONBLOCK_BIT) ? "NONBLOCK" : "without NONBLOCK");
		break;
	case DV_PROGRESS:
		snprintf(t->note, sizeof t->note,
			 "moving: %s in the window (%.1f ms CPU%s; syscall now %s)",
			 e.progress ? "its queues changed" : "it woke or changed calls", cpu_ms, woke,
			 syscall);
		break;
	case DV_NOT_IN_SPLICE:
		snprintf(t->note, sizeof t->note, "in %s (state %c, wchan %s)", syscall, v1->state,
			 wchan);
		break;
	}
}

static void judge_process(struct diagnosis *d)
{
	d->verdict = DV_NOT_IN_SPLICE;
	const struct doctor_thread *worst = NULL;
	for (size_t i = 0; i < d->nthreads; i++) {
		const struct doctor_thread *t = &d->threads[i];
		d->counts[t->verdict]++;
		if (!worst || t->verdict > d->verdict) {
			d->verdict = t->verdict;
			worst = t;
		}
	}
	/* The regime: from the first blocked thread with a readable stack. */
	d->regime[0] = '\0';
	for (size_t i = 0; i < d->nthreads && !d->regime[0]; i++)
		if (d->threads[i].regime)
			snprintf(d->regime, sizeof d->regime, "%s", d->threads[i].regime);
	/* The 5.1 promotion shows only in behaviour: a splice without
	 * SPLICE_F_NONBLOCK on an O_NONBLOCK pipe sleeps (not promoted) or gets
	 * EAGAIN (promoted). */
	for (size_t i = 0; i < d->nthreads; i++) {
		const struct doctor_thread *t = &d->threads[i];
		const struct end_view *pipe = t->out.kind == END_PIPE ? &t->out : &t->in;
		if (!t->splice_seen || (t->splice_flags & SPLICE_F_NONBLOCK_BIT) ||
		    pipe->kind != END_PIPE || !pipe->flags_known || !pipe->nonblock)
			continue;
		const char *what = NULL;
		if (t->verdict == DV_BLOCKED)
			what = "; the pipe's O_NONBLOCK did not make this splice non-blocking (no 5.1 "
			       "promotion)";
		else if (t->verdict == DV_SPINNING)
			what = "; the pipe's O_NONBLOCK made a splice without SPLICE_F_NONBLOCK return "
			       "EAGAIN (the 5.1+ promotion)";
		if (what) {
			size_t used = strlen(d->regime);
			snprintf(d->regime + used, sizeof d->regime - used, "%s",
				 used ? what : what + 2);
			break;
		}
	}
	if (!worst)
		return;
	int64_t queued = 0;
	size_t one_slot = 0, measured = 0;
	for (size_t i = 0; i < d->nthreads; i++) {
		const struct doctor_thread *t = &d->threads[i];
		if (t->verdict != d->verdict)
			continue;
		queued += end_queued(&t->in);
		for (int w = 0; w < t->nwatched; w++)
			queued += end_queued(&t->watched[w]);
	}
	if ((d->verdict == DV_SPINNING || d->verdict == DV_BLOCKED) && queued == 0) {
		/* A spinner on a CPU shows no syscall, nor does a hidden one: the
		 * process's queues stand in. */
		bool pending, moved;
		process_queues(d, &pending, &moved, &queued);
	}
	for (size_t i = 0; i < d->npipes; i++) {
		if (d->pipes[i].size > 0)
			measured++;
		if (d->pipes[i].size > 0 && d->pipes[i].size <= 4096)
			one_slot++;
	}
	snprintf(d->note, sizeof d->note,
		 "%zu of %zu threads %s (e.g. thread %d: %s); %lld bytes queued on the sockets "
		 "they read; %zu pipes, %zu measured, %zu of them 1-slot (4096 bytes)",
		 d->counts[d->verdict], d->nthreads, doctor_verdict_name(d->verdict), (int)worst->tid,
		 worst->note, (long long)queued, d->npipes, measured, one_slot);
}

static void sample_threads(struct diagnosis *d, int sample)
{
	for (size_t i = 0; i < d->nthreads; i++) {
		struct doctor_thread *t = &d->threads[i];
		struct thread_view *v = &t->view[sample];
		/* The stack only where it can matter, at the second sample. */
		bool want_stack = sample == 1 && relevant(&t->view[0]);
		int rc = want_stack ? procview_read(d->pid, t->tid, true, v)
				    : procview_read_brief(d->pid, t->tid, v);
		if (rc < 0) {
			v->state = '?';
			continue;
		}
		/* CPU for the threads that can be in the story (one more read). */
		if (sample == 0 && relevant(v))
			v->cpu_known = procview_cpu_ns(d->pid, t->tid, &v->cpu_ns);
		if (sample == 1 && !want_stack && relevant(v)) {
			procview_free(v);
			want_stack = procview_read(d->pid, t->tid, true, v) == 0;
		}
		if (want_stack && v->stack)
			d->stacks_read++;
		else if (want_stack && v->stack_error)
			d->stack_error = v->stack_error;
		if (v->syscall_nr == SYSCALL_UNKNOWN)
			d->syscall_error = EACCES;
		take_splice_args(t, v, sample);
		if (sample == 0) {
			t->woke = relevant(v) ? voluntary_switches(d->pid, t->tid) : -1;
		} else if (t->woke >= 0) {
			int64_t now = voluntary_switches(d->pid, t->tid);
			t->woke = now >= 0 ? now - t->woke : -1;
		}
	}
}

int diagnosis_run(pid_t pid, unsigned window_ms, struct diagnosis *d)
{
	uint64_t cpu_start = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	memset(d, 0, sizeof *d);
	d->pid = pid;
	d->window_ms = window_ms;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	read_first_line(path, d->comm, sizeof d->comm);
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, d->exe, sizeof d->exe - 1);
	d->exe[n > 0 ? n : 0] = '\0';
	d->exe_error = n > 0 ? 0 : errno;
	d->go_result = gobuild_read(path, &d->go);
	if (d->go_result == GOBUILD_UNREADABLE && !d->exe_error)
		d->exe_error = errno;
	d->go_splice = d->go_result == GOBUILD_FOUND ? go_version_splice(d->go.version)
						     : GO_SPLICE_UNKNOWN;

	size_t ntids;
	pid_t *tids = list_tasks(pid, &ntids);
	if (!tids || !ntids) {
		free(tids);
		return ESRCH;
	}
	d->threads = calloc(ntids, sizeof *d->threads);
	if (!d->threads) {
		free(tids);
		return ENOMEM;
	}
	d->nthreads = ntids;
	for (size_t i = 0; i < ntids; i++) {
		d->threads[i].tid = tids[i];
		d->threads[i].in.fd = d->threads[i].out.fd = -1;
	}
	free(tids);

	fd_table_read(pid, &d->fds);
	d->fd_error = d->fds.error;
	d->pipes = pipes_open(pid, &d->fds, &d->npipes);
	for (size_t i = 0; i < d->npipes; i++)
		if (d->pipes[i].open_error)
			d->pipe_error = d->pipes[i].open_error;

	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	sample_threads(d, 0);
	pipes_sample(d->pipes, d->npipes, 0);
	tcp_table_read(pid, &d->fds, &d->tcp[0]);
	struct timespec nap = {.tv_sec = window_ms / 1000, .tv_nsec = (long)(window_ms % 1000) * 1000000L};
	while (nanosleep(&nap, &nap) != 0 && errno == EINTR)
		;
	sample_threads(d, 1);
	pipes_sample(d->pipes, d->npipes, 1);
	tcp_table_read(pid, &d->fds, &d->tcp[1]);
	d->elapsed_ns = now_ns(CLOCK_MONOTONIC) - t0;
	d->net_error = d->tcp[1].error;
	if (kill(pid, 0) != 0 && errno == ESRCH)
		return ESRCH;

	for (size_t i = 0; i < d->nthreads; i++) {
		struct doctor_thread *t = &d->threads[i];
		const struct thread_view *v0 = &t->view[0], *v1 = &t->view[1];
		if (!t->splice_seen && d->npipes && v0->cpu_known && v1->cpu_known &&
		    v1->cpu_ns - v0->cpu_ns >= 5000000)
			extra_looks(pid, t);
		if (t->splice_seen) {
			resolve_end(d, t->in.fd, &t->in);
			resolve_end(d, t->out.fd, &t->out);
		}
	}
	for (size_t i = 0; i < d->nthreads; i++) {
		struct doctor_thread *t = &d->threads[i];
		t->waiting = syscall_is_readiness_wait(t->view[0].syscall_nr) &&
			     syscall_is_readiness_wait(t->view[1].syscall_nr);
		if (t->waiting && process_splices(d))
			watch_ends(d, t);
		judge_thread(d, t);
	}
	judge_process(d);
	d->own_cpu_ns = now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
	return 0;
}

void diagnosis_free(struct diagnosis *d)
{
	for (size_t i = 0; i < d->nthreads; i++) {
		procview_free(&d->threads[i].view[0]);
		procview_free(&d->threads[i].view[1]);
	}
	free(d->threads);
	pipes_close(d->pipes, d->npipes);
	fd_table_free(&d->fds);
	tcp_table_free(&d->tcp[0]);
	tcp_table_free(&d->tcp[1]);
	memset(d, 0, sizeof *d);
}

void diagnosis_program_note(const struct diagnosis *d, char *buf, size_t len)
{
	const char *name = d->exe[0] ? d->exe : d->comm;
	if (d->go_result == GOBUILD_FOUND) {
		const char *mod = d->go.path[0] ? d->go.path : "(no module path)";
		if (d->go_splice == GO_SPLICE_AFFECTED)
			snprintf(buf, len,
				 "%s is a Go program (%s) built with %s, whose io.Copy between TCP "
				 "connections splices without SPLICE_F_NONBLOCK (Go commit be27fcfd2b, "
				 "golang/go#59041): on kernels before 5.1 a full pipe puts the thread to "
				 "sleep inside splice. Fix: rebuild with Go 1.21.5 or later (commit "
				 "8ae493b5b8, golang/go#63801).",
				 name, mod, d->go.version);
		else if (d->go_splice == GO_SPLICE_NOT_AFFECTED)
			snprintf(buf, len,
				 "%s is a Go program (%s) built with %s, whose io.Copy splice path "
				 "passes SPLICE_F_NONBLOCK (only Go 1.21.0-1.21.4 do not).",
				 name, mod, d->go.version);
		else
			snprintf(buf, len, "%s is a Go program (%s) built with %s (a version this tool does not know).",
				 name, mod, d->go.version);
	} else if (d->go_result == GOBUILD_OLD_FORMAT) {
		snprintf(buf, len,
			 "%s is a Go program built before Go 1.18 (its splice path passes "
			 "SPLICE_F_NONBLOCK).",
			 name);
	} else if (d->go_result == GOBUILD_NOT_GO) {
		snprintf(buf, len, "%s (%s) is not a Go program: no Go build information.", name,
			 d->comm);
	} else {
		snprintf(buf, len, "%s (%s): the binary could not be read (%s).", name, d->comm,
			 strerror(d->exe_error ? d->exe_error : EACCES));
	}
}
