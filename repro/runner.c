#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cell.h"
#include "cell_json.h"
#include "classify.h"
#include "load.h"
#include "procview.h"
#include "relay_cmd_watch.h"

#define POLL_INTERVAL_NS (2ull * 1000 * 1000)
#define MONITOR_REPLY_LIMIT_NS (200ull * 1000 * 1000)
#define REAP_LIMIT_NS (5000ull * 1000 * 1000)
/* A check of a cell later than this after the last one: the runner fell
 * behind, and the excess is not counted against the cell. */
#define RUNNER_LATE_NS (50ull * 1000 * 1000)
/* A stuck cell is judged before --window ends once its threads have been
 * silent this long (a blocked relay is parked within microseconds). */
#define SILENCE_PROOF_NS (5ull * 1000 * 1000)

/* One run of one cell, while it is alive. */
struct cell_run {
	size_t cell;
	unsigned int attempt;
	pid_t pid;
	int request_fd; /* write end: asks the cell's monitor for a queue sample */
	struct cell_shared *shared;
	uint64_t start_ns;
	/* No-progress bookkeeping: the window opens at the first quiet poll. */
	uint64_t progress_mark;
	bool quiet;
	uint64_t quiet_since_ns;
	uint64_t relay_cpu_mark_ns;
	bool relay_cpu_known;
	uint64_t eagain_mark;
	uint64_t tcp_pressure_entries; /* the kernel's count when the cell started */
	/* Inside the window: since when no thread of the cell has used CPU
	 * (the relay may, if it spins), and each one's CPU time then. */
	uint64_t silent_since_ns;
	uint64_t cpu_marks_ns[3];
	struct load_watch *load_watch; /* load cells only */
	struct relay_cmd_watch relay_watch; /* --relay-cmd cells */
	/* Time the runner did not look at this cell (its own loop starved on
	 * a busy machine) is not the cell's: --cell-timeout leaves it out. */
	uint64_t checked_ns;
	uint64_t unwatched_ns;
};

/* What the repeats of one cell came to. */
struct cell_tally {
	unsigned int counts[OUTCOME_COUNT];
	json_t *cell; /* the cell object of the kept run */
	enum outcome kept;
};

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
			      .tv_nsec = (long)(ns % 1000000000ull)};
	nanosleep(&ts, NULL);
}

/* 1 when TCP was under memory pressure at some time in this cell: now (the
 * kernel's flag) or entered since it started (its counter). */
static int tcp_pressure_in_cell(const struct cell_run *run)
{
	uint64_t entries;
	int now = procview_tcp_memory_pressure(&entries);
	if (entries != UINT64_MAX && run->tcp_pressure_entries != UINT64_MAX &&
	    entries > run->tcp_pressure_entries)
		return 1;
	return now;
}

/* How long the cell has moved no byte at all. */
static uint64_t quiet_for(const struct cell_run *run, uint64_t now)
{
	uint64_t last = atomic_load(&run->shared->last_progress_ns);
	uint64_t since = last ? last : run->start_ns;
	return now > since ? now - since : 0;
}

static uint64_t run_progress(const struct cell_shared *shared)
{
	return atomic_load(&shared->bytes_drained) + atomic_load(&shared->bytes_pumped) +
	       atomic_load(&shared->bytes_received) + load_progress(shared);
}

/* "10" or "unlimited": the soft limit as ulimit prints it. */
static void soft_limit(int resource, char *buf, size_t len)
{
	struct rlimit limit;
	if (getrlimit(resource, &limit) < 0 || limit.rlim_cur == RLIM_INFINITY)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu", (unsigned long long)limit.rlim_cur);
}

/* When a failed call ran out of something this machine limits (files,
 * processes, memory) rather than showing what the kernel's splice does:
 * which limit and what to do, in buf; else NULL. Such a failure is the
 * tool's environment, never a cell's `error` verdict. */
static const char *limit_hint(int error, const char *call, char *buf, size_t len)
{
	char now[32];
	bool spawn = strncmp(call, "pthread_create", 14) == 0 || strcmp(call, "fork") == 0;
	if (error == EMFILE) {
		soft_limit(RLIMIT_NOFILE, now, sizeof now);
		snprintf(buf, len,
			 "the open-files limit (ulimit -n is %s): raise it (e.g. ulimit -n 4096) "
			 "or lower -j",
			 now);
	} else if (error == ENFILE) {
		snprintf(buf, len,
			 "the system's open-files limit (sysctl fs.file-max): raise it or lower -j");
	} else if (error == ENOMEM || error == ENOBUFS) {
		snprintf(buf, len,
			 "memory (ulimit -v, a memory cgroup, or the machine): free some or lower "
			 "-j");
	} else if (error == EAGAIN && spawn) {
		soft_limit(RLIMIT_NPROC, now, sizeof now);
		snprintf(buf, len,
			 "the process limit (ulimit -u is %s; threads count, 4 per cell; or a "
			 "pids cgroup): raise it or lower -j",
			 now);
	} else {
		return NULL;
	}
	return buf;
}

/* One line: the run stops, nothing is written (exit 1). */
static void report_limit(const struct cell_params *params, const char *call, int error,
			 const char *hint)
{
	char id[512], name[16];
	cell_id(params, id, sizeof id);
	fprintf(stderr,
		"splicelab: this machine's limits stopped the run, not the kernel: %s failed "
		"with %s in cell %s; out of %s; nothing was written\n",
		call, errno_name(error, name, sizeof name), id, hint);
}

/* The runner's own calls: the same diagnosis, or the plain error. */
static void report_start_failure(const struct cell_params *params, const char *call, int error)
{
	char hint[256];
	if (limit_hint(error, call, hint, sizeof hint))
		report_limit(params, call, error, hint);
	else
		fprintf(stderr, "splicelab: %s failed: %s\n", call, strerror(error));
}

static int start_run(struct cell_run *run, const struct cell_params *params,
		     const struct cell_run *running, int nrunning)
{
	run->shared = mmap(NULL, sizeof *run->shared, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (run->shared == MAP_FAILED) {
		report_start_failure(params, "mmap", errno);
		return -1;
	}
	run->load_watch = params->scenario == SCENARIO_LOAD ? load_watch_new(params) : NULL;
	if (load_map(params, run->shared) < 0 ||
	    (params->scenario == SCENARIO_LOAD && !run->load_watch)) {
		fprintf(stderr, "splicelab: mapping a load cell's connections failed: %s\n",
			strerror(errno));
		load_watch_free(run->load_watch);
		munmap(run->shared, sizeof *run->shared);
		return -1;
	}
	int request[2];
	if (pipe2(request, O_CLOEXEC) < 0) {
		report_start_failure(params, "pipe2", errno);
		munmap(run->shared, sizeof *run->shared);
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		report_start_failure(params, "fork", errno);
		close(request[0]);
		close(request[1]);
		munmap(run->shared, sizeof *run->shared);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		close(request[1]);
		/* Other cells' request pipes must not stay open in this one. */
		for (int i = 0; i < nrunning; i++)
			close(running[i].request_fd);
		cell_main(params, run->shared, request[0]);
	}
	/* Set in both processes so a kill of the group can never miss. */
	setpgid(pid, pid);
	close(request[0]);
	run->pid = pid;
	run->request_fd = request[1];
	run->start_ns = monotonic_ns();
	procview_tcp_memory_pressure(&run->tcp_pressure_entries);
	run->progress_mark = 0;
	run->quiet = false;
	return 0;
}

/* A --relay-cmd cell's program and every process of its group, whatever
 * they do: killed, then reaped (the runner is their subreaper once the
 * cell that forked them is gone). Bounded. */
static void reap_relay_group(struct cell_run *run)
{
	pid_t pgid = atomic_load(&run->shared->ext_relay_pgid);
	if (pgid <= 0)
		return;
	kill(-pgid, SIGKILL);
	uint64_t deadline = monotonic_ns() + REAP_LIMIT_NS;
	for (;;) {
		int status;
		pid_t got = waitpid(-pgid, &status, WNOHANG);
		if (got < 0 && errno == ECHILD) {
			/* None of ours; any not yet reparented to us is still dying. */
			pid_t left[1];
			if (relay_group_pids(pgid, left, 1) == 0)
				break;
		}
		if (monotonic_ns() > deadline) {
			fprintf(stderr,
				"splicelab: relay process group %d did not go within 5 s of SIGKILL; "
				"leaving it\n",
				(int)pgid);
			break;
		}
		if (got <= 0)
			sleep_ns(1000000ull);
	}
	atomic_store(&run->shared->ext_relay_pgid, 0);
}

static void kill_and_reap(struct cell_run *run, int *status)
{
	pid_t relay = atomic_load(&run->shared->ext_relay_pgid);
	if (relay > 0)
		kill(-relay, SIGKILL);
	kill(-run->pid, SIGKILL);
	kill(run->pid, SIGKILL);
	uint64_t deadline = monotonic_ns() + REAP_LIMIT_NS;
	while (waitpid(run->pid, status, WNOHANG) == 0) {
		if (monotonic_ns() > deadline) {
			fprintf(stderr,
				"splicelab: cell process %d did not die within 5 s of SIGKILL "
				"(stuck in an uninterruptible sleep?); leaving it\n",
				(int)run->pid);
			return;
		}
		sleep_ns(1000000ull);
	}
}

static void release_run(struct cell_run *run)
{
	reap_relay_group(run);
	load_watch_free(run->load_watch);
	load_unmap(run->shared);
	close(run->request_fd);
	munmap(run->shared, sizeof *run->shared);
}

/* Asks the cell's monitor thread for the socket and pipe queues; bounded. */
static bool sample_queues(struct cell_run *run)
{
	uint32_t seq = atomic_load(&run->shared->monitor_seq);
	if (write(run->request_fd, "q", 1) != 1)
		return false;
	uint64_t deadline = monotonic_ns() + MONITOR_REPLY_LIMIT_NS;
	while (atomic_load(&run->shared->monitor_seq) == seq) {
		if (monotonic_ns() > deadline)
			return false;
		sleep_ns(100000ull);
	}
	return true;
}

/* Nanoseconds as milliseconds with one decimal: enough for a reader. */
static double ms_tenths(uint64_t ns)
{
	return (double)(int64_t)((double)ns / 1e5) / 10.0;
}

static json_t *threads_json(const struct stuck_snapshot *snapshot)
{
	json_t *threads = json_array();
	json_array_append_new(threads, thread_view_json("relay", &snapshot->relay, false));
	const char *peer_roles[2] = {"client", "sink"};
	for (int i = 0; i < 2; i++)
		if (snapshot->peers[i].state != '?')
			json_array_append_new(threads, thread_view_json(peer_roles[i],
									&snapshot->peers[i], false));
	return threads;
}

static json_t *stuck_evidence(const struct stuck_snapshot *snapshot, const char *note,
			      const struct cell_shared *shared, bool proxy)
{
	json_t *evidence = json_pack(
		"{s:s, s:o, s:f, s:f, s:I, s:I}", "note", note, "thread",
		thread_view_json("relay", &snapshot->relay, true), "cpu_ms_in_window",
		ms_tenths(snapshot->relay_cpu_ns), "window_ms", ms_tenths(snapshot->window_ns),
		"src_rcv_queue",
		(json_int_t)shared->src_rcv_queue, "pipe_bytes", (json_int_t)shared->pipe_bytes);
	if (proxy)
		json_object_set_new(evidence, "dst_snd_queue",
				    json_integer((json_int_t)shared->dst_snd_queue));
	if (snapshot->activity == ACTIVITY_WAIT_SRC || snapshot->activity == ACTIVITY_WAIT_DST) {
		char syscall[24];
		syscall_label(snapshot->relay.syscall_nr, syscall, sizeof syscall);
		json_object_set_new(evidence, "waiting_on",
				    json_pack("{s:s, s:s}", "call", syscall, "fd",
					      snapshot->activity == ACTIVITY_WAIT_SRC
						      ? "source socket (readable)"
						      : "destination socket (writable)"));
	}
	json_object_set_new(evidence, "threads", threads_json(snapshot));
	return evidence;
}

/* Reads the kernel's view of every thread of the cell. */
static bool take_snapshot(struct cell_run *run, struct stuck_snapshot *snapshot, uint64_t now)
{
	struct cell_shared *shared = run->shared;
	memset(snapshot, 0, sizeof *snapshot);
	pid_t relay_tid = atomic_load(&shared->tids[ROLE_RELAY]);
	if (!relay_tid || procview_read(run->pid, relay_tid, true, &snapshot->relay) < 0)
		return false;
	enum cell_role peer_roles[2] = {ROLE_CLIENT, ROLE_SINK};
	for (int i = 0; i < 2; i++) {
		pid_t tid = atomic_load(&shared->tids[peer_roles[i]]);
		snapshot->peers[i].state = '?';
		/* A peer that has finished (the client after its last write) is
		 * simply gone; that is not a reason to doubt the verdict. */
		if (tid)
			procview_read(run->pid, tid, false, &snapshot->peers[i]);
	}
	snapshot->window_ns = now - run->quiet_since_ns;
	snapshot->relay_cpu_known = run->relay_cpu_known && snapshot->relay.cpu_known;
	snapshot->relay_cpu_ns = snapshot->relay_cpu_known
					 ? snapshot->relay.cpu_ns - run->relay_cpu_mark_ns
					 : 0;
	snapshot->eagain_in_window = atomic_load(&shared->eagain) - run->eagain_mark;
	snapshot->src_rcv_queue = shared->src_rcv_queue;
	snapshot->pipe_bytes = shared->pipe_bytes;
	snapshot->activity = atomic_load(&shared->activity);
	snapshot->dst_unwritable = shared->dst_unwritable;
	snapshot->tcp_memory_pressure = tcp_pressure_in_cell(run);
	snapshot->quiet_ns = quiet_for(run, now);
	return true;
}

static void free_snapshot(struct stuck_snapshot *snapshot)
{
	procview_free(&snapshot->relay);
	for (int i = 0; i < 2; i++)
		procview_free(&snapshot->peers[i]);
}

/* Whether the peers have not run for SILENCE_PROOF_NS, and whether the
 * relay has in that time (*relay_ran): with neither, nothing in the cell
 * can move a byte unless woken from outside. Restarts the silence when a
 * peer has run or the relay cannot be read (silent_since_ns 0 restarts it
 * too). */
static bool cell_silent(struct cell_run *run, uint64_t now, bool *relay_ran)
{
	static const enum cell_role roles[3] = {ROLE_RELAY, ROLE_CLIENT, ROLE_SINK};
	uint64_t cpu[3] = {0};
	bool still = true;
	*relay_ran = false;
	for (int i = 0; i < 3; i++) {
		pid_t tid = atomic_load(&run->shared->tids[roles[i]]);
		/* A peer that has finished is gone (unreadable), and still. */
		if (tid && !procview_cpu_ns(run->pid, tid, &cpu[i]) && i == 0)
			still = false;
		if (cpu[i] != run->cpu_marks_ns[i]) {
			if (i == 0)
				*relay_ran = true;
			else
				still = false;
		}
	}
	if (!run->silent_since_ns || !still) {
		memcpy(run->cpu_marks_ns, cpu, sizeof cpu);
		run->silent_since_ns = now;
		return false;
	}
	return now - run->silent_since_ns >= SILENCE_PROOF_NS;
}

static void open_window(struct cell_run *run, uint64_t now)
{
	pid_t relay_tid = atomic_load(&run->shared->tids[ROLE_RELAY]);
	run->quiet = true;
	run->quiet_since_ns = now;
	run->relay_cpu_known = procview_cpu_ns(run->pid, relay_tid, &run->relay_cpu_mark_ns);
	run->eagain_mark = atomic_load(&run->shared->eagain);
	run->silent_since_ns = 0;
	relay_cmd_watch_open(&run->relay_watch, run->shared);
	load_watch_open(run->load_watch, run->pid, run->shared);
}

struct run_verdict {
	enum outcome outcome;
	json_t *evidence;
	double detected_after_ms; /* < 0: not a stuck outcome */
	uint64_t end_ns;	  /* the verdict, before the cell was killed */
};

/* A stuck verdict that came from a watcher (load, --relay-cmd): timed from
 * the last progress, then the cell is killed. */
static bool stuck_verdict(struct cell_run *run, int outcome, json_t *evidence,
			  struct run_verdict *verdict)
{
	verdict->outcome = (enum outcome)outcome;
	verdict->evidence = evidence;
	/* Under TCP memory pressure the kernel refuses socket memory and may
	 * owe a writer its wakeup: a stall or spin then says so. */
	if (evidence && tcp_pressure_in_cell(run) == 1)
		json_object_set_new(evidence, "tcp_memory_pressure", json_true());
	uint64_t last_progress = atomic_load(&run->shared->last_progress_ns);
	verdict->end_ns = monotonic_ns();
	verdict->detected_after_ms =
		(double)(verdict->end_ns - (last_progress ? last_progress : run->quiet_since_ns)) /
		1e6;
	int status;
	kill_and_reap(run, &status);
	return true;
}

/* A load cell after a quiet window: its connections judged one by one. */
static bool check_load_stuck(struct cell_run *run, bool queues, uint64_t now,
			     struct run_verdict *verdict)
{
	struct cell_shared *shared = run->shared;
	if (!queues || run_progress(shared) != run->progress_mark) {
		run->quiet = false;
		return false;
	}
	json_t *evidence = NULL;
	struct cell_quiet quiet = {.window_ns = now - run->quiet_since_ns,
				   .cell_quiet_ns = quiet_for(run, now),
				   .tcp_memory_pressure = tcp_pressure_in_cell(run)};
	int outcome = load_watch_verdict(run->load_watch, run->pid, shared, &quiet, &evidence);
	if (outcome < 0) {
		open_window(run, now);
		return false;
	}
	return stuck_verdict(run, outcome, evidence, verdict);
}

/* A --relay-cmd cell after a quiet window: the program's threads judged
 * from /proc; the cell holds none of the program's fds to sample. */
static bool check_relay_cmd_stuck(struct cell_run *run, uint64_t now, struct run_verdict *verdict)
{
	struct cell_shared *shared = run->shared;
	json_t *evidence = NULL;
	struct cell_quiet quiet = {.window_ns = now - run->quiet_since_ns,
				   .cell_quiet_ns = quiet_for(run, now),
				   .tcp_memory_pressure = tcp_pressure_in_cell(run)};
	int outcome = relay_cmd_watch_verdict(&run->relay_watch, run->pid, shared, &quiet, &evidence);
	if (run_progress(shared) != run->progress_mark) {
		json_decref(evidence);
		run->quiet = false;
		return false;
	}
	if (outcome < 0) {
		open_window(run, now);
		return false;
	}
	return stuck_verdict(run, outcome, evidence, verdict);
}

/* Returns true when the run has its verdict (the cell is then dead). */
static bool check_run(struct cell_run *run, const struct cell_params *params,
		      const struct runner_opts *opts, struct run_verdict *verdict)
{
	struct cell_shared *shared = run->shared;
	int status = 0;
	pid_t done = waitpid(run->pid, &status, WNOHANG);
	uint64_t now = monotonic_ns();
	verdict->detected_after_ms = -1;
	verdict->end_ns = now;
	if (run->checked_ns && now - run->checked_ns > RUNNER_LATE_NS)
		run->unwatched_ns += now - run->checked_ns - RUNNER_LATE_NS;
	run->checked_ns = now;
	if (done == run->pid) {
		char buf[16];
		if (WIFSIGNALED(status)) {
			verdict->outcome = OUTCOME_CRASHED;
			verdict->evidence = json_pack("{s:s, s:s}", "note",
						      "the cell process died on a signal", "signal",
						      sigabbrev_np(WTERMSIG(status))
							      ? sigabbrev_np(WTERMSIG(status))
							      : "unknown");
		} else if (!atomic_load(&shared->finished)) {
			verdict->outcome = OUTCOME_ERROR;
			verdict->evidence = json_pack("{s:s, s:s, s:s}", "note",
						      "the cell exited without a result", "errno",
						      "EIO", "call", "cell");
		} else if (shared->outcome == OUTCOME_ERROR && shared->relay_note[0]) {
			verdict->outcome = OUTCOME_ERROR;
			verdict->evidence = json_pack(
				"{s:s, s:s, s:s, s:o, s:o, s:s}", "note", shared->relay_note, "errno",
				errno_name(shared->error, buf, sizeof buf), "call", shared->error_call,
				"relay_exit_status",
				shared->relay_exit >= 0 ? json_integer(shared->relay_exit) : json_null(),
				"relay_signal",
				shared->relay_signal ? json_string(sigabbrev_np(shared->relay_signal)
									   ? sigabbrev_np(shared->relay_signal)
									   : "unknown")
						     : json_null(),
				"relay_stderr", shared->relay_stderr);
		} else if (shared->outcome == OUTCOME_ERROR) {
			verdict->outcome = OUTCOME_ERROR;
			verdict->evidence = json_pack(
				"{s:s, s:s, s:s}", "note", "a call failed", "errno",
				errno_name(shared->error, buf, sizeof buf), "call", shared->error_call);
		} else if (shared->outcome == OUTCOME_CORRUPT) {
			verdict->outcome = OUTCOME_CORRUPT;
			verdict->evidence = json_pack(
				"{s:s, s:I, s:i, s:i}", "note",
				shared->corrupt_got < 0	       ? "the stream ended early"
				: shared->corrupt_expected < 0 ? "more bytes arrived than were sent"
							       : "a byte differs from what was sent",
				"offset", (json_int_t)shared->corrupt_offset, "expected",
				shared->corrupt_expected, "got", shared->corrupt_got);
		} else {
			verdict->outcome = OUTCOME_OK;
			verdict->evidence = json_pack("{s:s}", "note",
						      "every byte arrived and matched the pattern");
		}
		return true;
	}

	if (now - run->start_ns - run->unwatched_ns > (uint64_t)opts->cell_timeout_ms * 1000000ull) {
		struct stuck_snapshot snapshot;
		bool seen = take_snapshot(run, &snapshot, now);
		kill_and_reap(run, &status);
		verdict->outcome = OUTCOME_ERROR;
		verdict->evidence = json_pack(
			"{s:s, s:s, s:s}", "note",
			"no verdict within --cell-timeout: the cell kept moving, or the kernel's "
			"view never confirmed that it was stuck",
			"errno", "ETIMEDOUT", "call", "cell");
		if (seen) {
			json_object_set_new(verdict->evidence, "threads", threads_json(&snapshot));
			free_snapshot(&snapshot);
		}
		return true;
	}

	/* The head start has its own bound inside the cell. */
	if (!shared->relay_start_ns)
		return false;
	uint64_t progress = run_progress(shared);
	if (progress != run->progress_mark) {
		run->progress_mark = progress;
		run->quiet = false;
		return false;
	}
	/* The silence is timed from the window's opening, in the same poll. */
	if (!run->quiet)
		open_window(run, now);
	bool relay_ran = false;
	bool early = now - run->quiet_since_ns < (uint64_t)opts->window_ms * 1000000ull;
	if (early && (params->relay_cmd || run->load_watch || !cell_silent(run, now, &relay_ran)))
		return false;

	if (params->relay_cmd)
		return check_relay_cmd_stuck(run, now, verdict);
	bool queues = sample_queues(run);
	if (run->load_watch)
		return check_load_stuck(run, queues, now, verdict);
	struct stuck_snapshot snapshot;
	if (!take_snapshot(run, &snapshot, now))
		return false;
	/* Bytes may have moved while we looked: then it was not stuck. */
	if (!queues || run_progress(shared) != run->progress_mark) {
		free_snapshot(&snapshot);
		run->quiet = false;
		return false;
	}
	char note[512];
	enum verdict stuck = classify_stuck(&snapshot, note, sizeof note);
	/* Before the window's end only what the silence proves: a relay
	 * parked with its peers, or one spinning on EAGAIN beside still ones. */
	if (early && stuck != VERDICT_UNSURE &&
	    (relay_ran ? !(stuck == VERDICT_SPIN && spin_by_eagain(&snapshot))
		       : stuck == VERDICT_SPIN)) {
		free_snapshot(&snapshot);
		run->silent_since_ns = 0;
		return false;
	}
	if (stuck == VERDICT_UNSURE) {
		free_snapshot(&snapshot);
		if (early)
			run->silent_since_ns = 0;
		else
			open_window(run, now);
		return false;
	}
	int outcome = stuck == VERDICT_BLOCKED	 ? OUTCOME_BLOCKED
		      : stuck == VERDICT_STALLED ? OUTCOME_STALLED
						 : OUTCOME_SPIN;
	json_t *evidence = stuck_evidence(&snapshot, note, shared,
					  params->scenario == SCENARIO_PROXY);
	free_snapshot(&snapshot);
	return stuck_verdict(run, outcome, evidence, verdict);
}

static void tally_run(struct cell_tally *tally, const struct cell_params *params,
		      const struct cell_run *run, struct run_verdict *verdict)
{
	tally->counts[verdict->outcome]++;
	/* Keep the evidence of the most frequent outcome; the first run of it. */
	enum outcome best = tally->kept;
	if (!tally->cell || tally->counts[verdict->outcome] > tally->counts[best]) {
		json_decref(tally->cell);
		tally->cell = cell_json_params(params);
		cell_json_set_run(tally->cell, params, run->shared, verdict->outcome,
				  verdict->evidence, (double)(verdict->end_ns - run->start_ns) / 1e6,
				  verdict->detected_after_ms);
		tally->kept = verdict->outcome;
	} else {
		json_decref(verdict->evidence);
	}
}

static void append_tally(struct cell_tally *tally, unsigned int repeat, json_t *cells_out)
{
	json_t *outcomes = json_object();
	unsigned int kinds = 0;
	for (int i = 0; i < OUTCOME_COUNT; i++) {
		if (!tally->counts[i])
			continue;
		kinds++;
		json_object_set_new(outcomes, outcome_names[i], json_integer(tally->counts[i]));
	}
	json_object_set_new(tally->cell, "runs",
			    json_pack("{s:i, s:b, s:o}", "total", (int)repeat, "consistent",
				      kinds == 1, "outcomes", outcomes));
	json_array_append_new(cells_out, tally->cell);
	tally->cell = NULL;
}

static void show_progress(size_t done, size_t total, const unsigned int *counts, bool final)
{
	fprintf(stderr, "\r[%zu/%zu]", done, total);
	for (int i = 0; i < OUTCOME_COUNT; i++)
		if (counts[i])
			fprintf(stderr, " %s %u", outcome_names[i], counts[i]);
	fprintf(stderr, final ? "\n" : "   ");
	fflush(stderr);
}

static int grow_runs(struct probe_run **runs, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t new_cap = *cap ? *cap * 2 : 256;
	while (new_cap < need)
		new_cap *= 2;
	struct probe_run *bigger = realloc(*runs, new_cap * sizeof **runs);
	if (!bigger)
		return -1;
	*runs = bigger;
	*cap = new_cap;
	return 0;
}

/* Many connections through one relay (a load cell, or the user's program
 * with --connections) run alone: the kernel charges pipe pages per user, so
 * cells beside them (as the same user) would move the limit. A throughput
 * cell too: cells beside it would take the CPU it measures. */
static bool runs_alone(const struct cell_params *cell)
{
	return cell->scenario == SCENARIO_LOAD || cell->scenario == SCENARIO_THROUGHPUT ||
	       (cell->relay_cmd && cell->connections > 1);
}

static bool alone_must_wait(const struct cell_params *cells, const struct cell_run *running,
			   int nrunning, size_t cell)
{
	if (nrunning == 0)
		return false;
	if (runs_alone(&cells[cell]))
		return true;
	for (int i = 0; i < nrunning; i++)
		if (runs_alone(&cells[running[i].cell]))
			return true;
	return false;
}

int runner_run(const struct cell_params *cells, size_t ncells, const struct runner_opts *opts,
	       json_t *cells_out, struct probe_run **runs_out, size_t *nruns_out)
{
	int jobs = opts->jobs > 0 ? opts->jobs : 1;
	unsigned int repeat = opts->repeat ? opts->repeat : 1;
	size_t total_runs = ncells * repeat;
	struct cell_run *running = calloc((size_t)jobs, sizeof *running);
	struct cell_tally *tallies = calloc(ncells ? ncells : 1, sizeof *tallies);
	struct probe_run *runs = NULL;
	size_t nruns = 0, runs_cap = 0;
	unsigned int outcome_counts[OUTCOME_COUNT] = {0};
	if (!running || !tallies) {
		fprintf(stderr, "splicelab: out of memory\n");
		free(running);
		free(tallies);
		return -1;
	}
	/* Cells that die must not take the runner with them. */
	signal(SIGPIPE, SIG_IGN);
	/* A --relay-cmd program outlives the cell that forked it by a moment
	 * (and its workers may): they come to the runner to be reaped. */
	for (size_t i = 0; i < ncells; i++)
		if (cells[i].relay_cmd) {
			prctl(PR_SET_CHILD_SUBREAPER, 1);
			break;
		}

	size_t next = 0, finished = 0;
	int nrunning = 0, rc = 0;
	uint64_t last_progress_print = 0;
	while (finished < total_runs) {
		if (opts->stop && *opts->stop) {
			rc = RUNNER_STOPPED;
			break;
		}
		while (rc == 0 && nrunning < jobs && next < total_runs &&
		       !alone_must_wait(cells, running, nrunning, next / repeat)) {
			struct cell_run *run = &running[nrunning];
			memset(run, 0, sizeof *run);
			run->cell = next / repeat;
			run->attempt = (unsigned int)(next % repeat);
			if (start_run(run, &cells[run->cell], running, nrunning) < 0) {
				rc = -1;
				break;
			}
			nrunning++;
			next++;
		}
		/* A failure of the runner or of this machine's limits: every
		 * other cell would fail the same way; stop now. */
		if (rc != 0)
			break;
		for (int i = 0; i < nrunning;) {
			struct cell_run *run = &running[i];
			struct run_verdict verdict = {0};
			if (!check_run(run, &cells[run->cell], opts, &verdict)) {
				i++;
				continue;
			}
			char hint[256];
			if (verdict.outcome == OUTCOME_ERROR && atomic_load(&run->shared->finished) &&
			    run->shared->outcome == OUTCOME_ERROR &&
			    limit_hint(run->shared->error, run->shared->error_call, hint,
				       sizeof hint)) {
				report_limit(&cells[run->cell], run->shared->error_call,
					     run->shared->error, hint);
				json_decref(verdict.evidence);
				release_run(run);
				running[i] = running[--nrunning];
				rc = -1;
				break;
			}
			tally_run(&tallies[run->cell], &cells[run->cell], run, &verdict);
			outcome_counts[verdict.outcome]++;
			if (runs_out && grow_runs(&runs, &runs_cap, nruns + 1) == 0)
				runs[nruns++] = (struct probe_run){.pid = run->pid,
								   .start_ns = run->start_ns,
								   .end_ns = verdict.end_ns,
								   .cell = run->cell};
			release_run(run);
			running[i] = running[--nrunning];
			finished++;
		}
		uint64_t now = monotonic_ns();
		if (opts->progress && now - last_progress_print > 100000000ull) {
			show_progress(finished, total_runs, outcome_counts, false);
			last_progress_print = now;
		}
		sleep_ns(POLL_INTERVAL_NS);
	}
	if (opts->progress)
		show_progress(finished, total_runs, outcome_counts, true);
	if (opts->finished)
		*opts->finished = finished;
	for (int i = 0; i < nrunning; i++) {
		int status;
		kill_and_reap(&running[i], &status);
		release_run(&running[i]);
	}
	/* In grid order, whatever order the cells finished in. */
	for (size_t i = 0; i < ncells; i++) {
		if (rc == 0 && tallies[i].cell)
			append_tally(&tallies[i], repeat, cells_out);
		json_decref(tallies[i].cell);
	}
	free(tallies);
	free(running);
	if (runs_out) {
		*runs_out = runs;
		*nruns_out = nruns;
	} else {
		free(runs);
	}
	return rc;
}
