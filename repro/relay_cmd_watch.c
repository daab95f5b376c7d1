#include "relay_cmd_watch.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell_json.h"
#include "classify.h"
#include "ends.h"
#include "params.h"
#include "procview.h"

#define MAX_PROCS 64
#define MAX_THREADS 4096
#define SPIN_CPU_MIN_NS (5ull * 1000 * 1000)

size_t relay_group_pids(pid_t pgid, pid_t *pids, size_t cap)
{
	size_t n = 0;
	if (pgid <= 0)
		return 0;
	DIR *dir = opendir("/proc");
	if (!dir)
		return 0;
	const struct dirent *de;
	while (n < cap && (de = readdir(dir))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		char path[64], line[512];
		int pid = atoi(de->d_name);
		snprintf(path, sizeof path, "/proc/%d/stat", pid);
		FILE *file = fopen(path, "r");
		if (!file)
			continue;
		bool got = fgets(line, sizeof line, file) != NULL;
		fclose(file);
		/* After the last ')': state, ppid, pgrp (comm may hold spaces). */
		const char *close = got ? strrchr(line, ')') : NULL;
		char state;
		int ppid, pgrp;
		if (close && sscanf(close + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 &&
		    pgrp == pgid && state != 'Z')
			pids[n++] = (pid_t)pid;
	}
	closedir(dir);
	return n;
}

static size_t task_ids(pid_t pid, pid_t *tids, size_t cap)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *dir = opendir(path);
	size_t n = 0;
	if (!dir)
		return 0;
	const struct dirent *de;
	while (n < cap && (de = readdir(dir)))
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9')
			tids[n++] = (pid_t)atoi(de->d_name);
	closedir(dir);
	return n;
}

static uint64_t group_cpu_ns(pid_t pgid, bool *known)
{
	pid_t pids[MAX_PROCS], tids[MAX_THREADS];
	size_t np = relay_group_pids(pgid, pids, MAX_PROCS);
	uint64_t sum = 0;
	*known = np > 0;
	for (size_t p = 0; p < np; p++) {
		size_t nt = task_ids(pids[p], tids, MAX_THREADS);
		for (size_t t = 0; t < nt; t++) {
			uint64_t ns;
			if (procview_cpu_ns(pids[p], tids[t], &ns))
				sum += ns;
		}
	}
	return sum;
}

void relay_cmd_watch_open(struct relay_cmd_watch *watch, const struct cell_shared *shared)
{
	watch->pgid = atomic_load(&shared->ext_relay_pgid);
	watch->cpu_mark_ns = group_cpu_ns(watch->pgid, &watch->cpu_known);
}

/* One process's ends, read once per look. */
struct proc_ends {
	pid_t pid;
	struct fd_table fds;
	struct tcp_table tcp;
	struct pipe_state *pipes;
	size_t npipes;
	int64_t rx_total, pipe_total;
};

static void ends_read(pid_t pid, struct proc_ends *ends)
{
	memset(ends, 0, sizeof *ends);
	ends->pid = pid;
	fd_table_read(pid, &ends->fds);
	tcp_table_read(pid, &ends->fds, &ends->tcp);
	ends->pipes = pipes_open(pid, &ends->fds, &ends->npipes);
	pipes_sample(ends->pipes, ends->npipes, 0);
	for (size_t i = 0; i < ends->tcp.n; i++)
		if (ends->tcp.socks[i].rx_queue > 0)
			ends->rx_total += ends->tcp.socks[i].rx_queue;
	for (size_t i = 0; i < ends->npipes; i++)
		if (ends->pipes[i].bytes[0] > 0)
			ends->pipe_total += ends->pipes[i].bytes[0];
}

static void ends_free(struct proc_ends *ends)
{
	pipes_close(ends->pipes, ends->npipes); /* frees the array too */
	tcp_table_free(&ends->tcp);
	fd_table_free(&ends->fds);
}

/* What one fd of a splice is: its kind and the bytes queued on it (a
 * socket's receive queue, a pipe's content); -1 unknown. */
static enum end_kind end_of(const struct proc_ends *ends, int fd, int64_t *queued, char *desc,
			    size_t len)
{
	const struct fd_end *end = fd_table_find(&ends->fds, fd);
	*queued = -1;
	snprintf(desc, len, "fd %d", fd);
	if (!end)
		return END_OTHER;
	if (end->kind == END_SOCKET) {
		const struct tcp_sock *sock = tcp_table_find(&ends->tcp, end->inode);
		if (sock) {
			*queued = sock->rx_queue;
			snprintf(desc, len, "socket fd %d %s<-%s", fd, sock->local, sock->remote);
		}
	} else if (end->kind == END_PIPE) {
		const struct pipe_state *pipe = pipes_find(ends->pipes, ends->npipes, end->inode);
		if (pipe) {
			*queued = pipe->bytes[0];
			snprintf(desc, len, "pipe fd %d (size %lld)", fd, (long long)pipe->size);
		}
	}
	return end->kind;
}

/* The first two kernel frames without offsets: "pipe_wait < splice_to_pipe". */
static void top_frames(const char *stack, char *out, size_t len)
{
	out[0] = '\0';
	if (!stack)
		return;
	size_t used = 0;
	for (int i = 0; i < 2 && *stack; i++) {
		size_t n = strcspn(stack, "+\n");
		used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%s%.*s",
					 i ? " < " : "", (int)n, stack);
		stack = strchr(stack, '\n');
		if (!stack)
			break;
		stack++;
	}
}

struct judged {
	enum verdict verdict;
	struct thread_view view;
	pid_t pid;
	int64_t src_queue, pipe_bytes;
	char note[768];
};

/* One thread: splice or a readiness wait, judged by the cell engine's
 * classifier with what /proc shows of its ends; anything else (Go's
 * threads parked in futex, a thread on a CPU) proves nothing. */
static enum verdict judge_thread(const struct proc_ends *ends, struct thread_view *view,
				 const struct thread_view *peer, const struct cell_quiet *quiet,
				 struct judged *out)
{
	struct stuck_snapshot snap = {.window_ns = quiet->window_ns,
				      .quiet_ns = quiet->cell_quiet_ns,
				      .tcp_memory_pressure = quiet->tcp_memory_pressure,
				      .src_rcv_queue = -1,
				      .pipe_bytes = -1,
				      .activity = ACTIVITY_NONE};
	snap.relay = *view;
	snap.peers[0] = *peer;
	snap.peers[1].state = '?';
	char in_desc[160] = "", out_desc[160] = "", where[64] = "splice";
	if (syscall_is_splice(view->syscall_nr) && view->nargs >= 4) {
		int64_t in_q, out_q;
		enum end_kind in = end_of(ends, (int)view->args[0], &in_q, in_desc, sizeof in_desc);
		enum end_kind outk = end_of(ends, (int)view->args[2], &out_q, out_desc, sizeof out_desc);
		if (in == END_SOCKET) {
			snap.activity = ACTIVITY_SPLICE_DRAIN;
			snap.src_rcv_queue = in_q;
			snap.pipe_bytes = outk == END_PIPE ? out_q : -1;
			snprintf(where, sizeof where, "splice(socket->pipe)");
		} else {
			snap.activity = ACTIVITY_SPLICE_PUMP;
			snap.src_rcv_queue = 0;
			snap.pipe_bytes = in == END_PIPE ? in_q : -1;
			snprintf(where, sizeof where, "splice(pipe->socket)");
		}
	} else if (syscall_is_readiness_wait(view->syscall_nr)) {
		snap.src_rcv_queue = ends->rx_total;
		snap.pipe_bytes = ends->pipe_total;
		syscall_label(view->syscall_nr, where, sizeof where);
	} else {
		return VERDICT_UNSURE;
	}
	char note[512], frames[160];
	enum verdict verdict = classify_stuck(&snap, note, sizeof note);
	top_frames(view->stack, frames, sizeof frames);
	out->verdict = verdict;
	out->pid = ends->pid;
	out->src_queue = snap.src_rcv_queue;
	out->pipe_bytes = snap.pipe_bytes;
	if (snap.activity == ACTIVITY_SPLICE_DRAIN)
		snprintf(out->note, sizeof out->note,
			 "thread %d of process %d asleep in %s%s%s, %lld bytes queued on its source "
			 "socket (%s -> %s): %s",
			 (int)view->tid, (int)ends->pid, where, frames[0] ? ", " : "", frames,
			 (long long)snap.src_rcv_queue, in_desc, out_desc, note);
	else
		snprintf(out->note, sizeof out->note, "thread %d of process %d asleep in %s%s%s: %s",
			 (int)view->tid, (int)ends->pid, where, frames[0] ? ", " : "", frames, note);
	return verdict;
}

static int verdict_rank(enum verdict v)
{
	return v == VERDICT_BLOCKED ? 3 : v == VERDICT_STALLED ? 1 : 0;
}

int relay_cmd_watch_verdict(struct relay_cmd_watch *watch, pid_t cell_pid,
			    const struct cell_shared *shared, const struct cell_quiet *quiet,
			    json_t **evidence)
{
	uint64_t window_ns = quiet->window_ns;
	struct thread_view peer = {.state = '?'};
	pid_t peer_tid = atomic_load(&shared->tids[ROLE_CLIENT]);
	if (peer_tid)
		procview_read(cell_pid, peer_tid, false, &peer);
	if (peer.state == 'R') {
		procview_free(&peer);
		return -1; /* the clients or the sink may still move bytes */
	}
	pid_t pids[MAX_PROCS];
	static pid_t tids[MAX_THREADS];
	size_t np = relay_group_pids(watch->pgid, pids, MAX_PROCS);
	struct judged best = {.verdict = VERDICT_UNSURE};
	bool have_best = false;
	json_t *threads = json_array();
	size_t counts[4] = {0}, nthreads = 0;
	uint64_t cpu_now = 0;
	int64_t rx_all = 0, pipes_all = 0;
	for (size_t p = 0; p < np; p++) {
		struct proc_ends ends;
		ends_read(pids[p], &ends);
		rx_all += ends.rx_total;
		pipes_all += ends.pipe_total;
		size_t nt = task_ids(pids[p], tids, MAX_THREADS);
		for (size_t t = 0; t < nt; t++) {
			struct thread_view view;
			if (procview_read(pids[p], tids[t], true, &view) < 0)
				continue;
			nthreads++;
			if (view.cpu_known)
				cpu_now += view.cpu_ns;
			struct judged judged;
			enum verdict v = judge_thread(&ends, &view, &peer, quiet, &judged);
			if (syscall_is_splice(view.syscall_nr) ||
			    syscall_is_readiness_wait(view.syscall_nr)) {
				counts[v]++;
				json_t *thread = thread_view_json("relay", &view, false);
				json_object_set_new(thread, "pid", json_integer(pids[p]));
				json_array_append_new(threads, thread);
			}
			if (v != VERDICT_UNSURE &&
			    (!have_best || verdict_rank(v) > verdict_rank(best.verdict))) {
				if (have_best)
					procview_free(&best.view);
				best = judged;
				best.view = view;
				have_best = true;
			} else {
				procview_free(&view);
			}
		}
		ends_free(&ends);
	}
	procview_free(&peer);
	uint64_t cpu_ns = watch->cpu_known && cpu_now >= watch->cpu_mark_ns
				  ? cpu_now - watch->cpu_mark_ns
				  : 0;
	uint64_t spin_min = window_ns / 5 > SPIN_CPU_MIN_NS ? window_ns / 5 : SPIN_CPU_MIN_NS;
	enum outcome outcome;
	char note[1024];
	if (have_best && best.verdict == VERDICT_BLOCKED) {
		outcome = OUTCOME_BLOCKED;
		snprintf(note, sizeof note, "%s", best.note);
	} else if (watch->cpu_known && cpu_ns >= spin_min && (rx_all > 0 || pipes_all > 0)) {
		outcome = OUTCOME_SPIN;
		snprintf(note, sizeof note,
			 "the relay program's threads used %.0f ms of CPU in %.0f ms without moving "
			 "a byte while %lld bytes waited on its sockets and %lld in its pipes",
			 (double)cpu_ns / 1e6, (double)window_ns / 1e6, (long long)rx_all,
			 (long long)pipes_all);
	} else if (have_best && best.verdict == VERDICT_STALLED) {
		outcome = OUTCOME_STALLED;
		snprintf(note, sizeof note, "%s", best.note);
	} else {
		if (have_best)
			procview_free(&best.view);
		json_decref(threads);
		return -1;
	}
	*evidence = json_pack("{s:s, s:o, s:i, s:f, s:f, s:I, s:I, s:I, s:I, s:{s:i, s:i, s:i, s:i}, "
			      "s:o}",
			      "note", note, "thread",
			      have_best ? thread_view_json("relay", &best.view, true) : json_null(),
			      "pid", have_best ? (int)best.pid : (int)watch->pgid,
			      "cpu_ms_in_window", (double)cpu_ns / 1e6, "window_ms",
			      (double)window_ns / 1e6, "src_rcv_queue",
			      (json_int_t)(have_best ? best.src_queue : rx_all), "pipe_bytes",
			      (json_int_t)(have_best ? best.pipe_bytes : pipes_all),
			      "queued_on_sockets", (json_int_t)rx_all, "queued_in_pipes",
			      (json_int_t)pipes_all, "relay_threads", "total", (int)nthreads,
			      "blocked", (int)counts[VERDICT_BLOCKED], "stalled",
			      (int)counts[VERDICT_STALLED], "processes", (int)np, "threads", threads);
	if (have_best)
		procview_free(&best.view);
	return (int)outcome;
}
