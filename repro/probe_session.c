/* The probe tool runs as a child of the runner, so the runner never links
 * libbpf and a refused probe never takes the matrix down. Every wait on it
 * is bounded; it dies with the runner (parent-death signal). */
#include "probe_session.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cell_shared.h"
#include "sibling.h"

#define PROBE_TOOL "splicelab-probe"
/* Loading and verifying the programs takes seconds in a TCG guest. */
#define ATTACH_LIMIT_MS 60000
/* Sorting and writing a large event log after the matrix. */
#define FLUSH_LIMIT_MS 120000
#define STATUS_FD 3

struct probe_session {
	pid_t pid;
	int status_fd;
	char dir[64]; /* private: the run table and the summaries */
	char runs_path[96], summaries_path[96];
	char check_path[PATH_MAX]; /* --events all: the summaries from the events */
	char buf[65536];
	size_t used;
};

static json_t *none(const char *reason)
{
	return json_pack("{s:s, s:s}", "mode", "none", "reason", reason);
}

/* One line from the tool's status pipe, waiting at most limit_ms. */
static json_t *read_status(struct probe_session *session, int limit_ms)
{
	uint64_t deadline = monotonic_ns() + (uint64_t)limit_ms * 1000000u;
	for (;;) {
		char *newline = memchr(session->buf, '\n', session->used);
		if (newline) {
			*newline = '\0';
			json_t *doc = json_loads(session->buf, 0, NULL);
			size_t rest = session->used - (size_t)(newline + 1 - session->buf);
			memmove(session->buf, newline + 1, rest);
			session->used = rest;
			return doc;
		}
		uint64_t now = monotonic_ns();
		if (now >= deadline || session->used == sizeof session->buf - 1)
			return NULL;
		struct pollfd pfd = {.fd = session->status_fd, .events = POLLIN};
		int ready = poll(&pfd, 1, (int)((deadline - now) / 1000000u) + 1);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			return NULL;
		ssize_t got = read(session->status_fd, session->buf + session->used,
				   sizeof session->buf - 1 - session->used);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return NULL;
		session->used += (size_t)got;
	}
}

/* Reaps the tool within limit_ms, then kills it. Returns its exit status
 * (or 128 + signal), -1 if it had to be killed. */
static int reap(pid_t pid, int limit_ms)
{
	uint64_t deadline = monotonic_ns() + (uint64_t)limit_ms * 1000000u;
	int status;
	for (;;) {
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (got < 0 && errno != EINTR)
			return -1;
		if (monotonic_ns() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
		usleep(10000);
	}
}

static void end_session(struct probe_session *session)
{
	if (session->status_fd >= 0)
		close(session->status_fd);
	unlink(session->runs_path);
	unlink(session->summaries_path);
	rmdir(session->dir);
	free(session);
}

struct probe_session *probe_session_start(const char *events_path, pid_t runner_pid,
					  const struct probe_request *request, json_t **env_probes)
{
	char tool[PATH_MAX], ppid[32];
	int status_pipe[2];
	/* Only the one installed next to this binary (build/, build/static/, bin/). */
	if (sibling_tool(PROBE_TOOL, tool, sizeof tool)) {
		*env_probes = none("splicelab-probe is not installed next to splicelab "
				   "(make builds it where libbpf and clang are available)");
		return NULL;
	}
	struct probe_session *session = calloc(1, sizeof *session);
	const char *tmp = getenv("TMPDIR");
	if (session) {
		session->status_fd = -1;
		snprintf(session->dir, sizeof session->dir, "%s/splicelab-probe.XXXXXX",
			 tmp && *tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	}
	if (!session || !mkdtemp(session->dir)) {
		free(session);
		*env_probes = none("cannot start splicelab-probe: no private temporary folder");
		return NULL;
	}
	snprintf(session->runs_path, sizeof session->runs_path, "%s/runs", session->dir);
	snprintf(session->summaries_path, sizeof session->summaries_path, "%s/summaries.json",
		 session->dir);
	if (pipe2(status_pipe, O_CLOEXEC)) {
		end_session(session);
		*env_probes = none("cannot start splicelab-probe: out of resources");
		return NULL;
	}
	snprintf(ppid, sizeof ppid, "%d", (int)runner_pid);
	/* The kernel sums each cell up; every event only when asked, since
	 * streaming them costs the transfer and the run's end. */
	bool all_events = request->all_events;
	const char *mode = request->mode, *btf = request->btf;
	const char *slash = strrchr(events_path, '/');
	snprintf(session->check_path, sizeof session->check_path, "%.*s%s",
		 slash ? (int)(slash + 1 - events_path) : 0, events_path, "kernel-from-events.json");
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != runner_pid)
			_exit(1);
		if (dup2(status_pipe[1], STATUS_FD) < 0)
			_exit(1);
		int null_fd = open("/dev/null", O_WRONLY);
		if (null_fd >= 0)
			dup2(null_fd, STDOUT_FILENO);
		const char *argv[24] = {tool,	  "--ppid",	  ppid,
					"--ready-fd", "3",	  "-q",
					"--mode",     mode ? mode : "auto",
					"--runs",     session->runs_path,
					"--summaries", session->summaries_path,
					"--events",   all_events ? "all" : "none"};
		int argc = 14;
		if (btf) {
			argv[argc++] = "--btf";
			argv[argc++] = btf;
		}
		if (all_events) {
			argv[argc++] = "--json";
			argv[argc++] = events_path;
			argv[argc++] = "--events-summaries";
			argv[argc++] = session->check_path;
		}
		execv(tool, (char *const *)argv);
		_exit(127);
	}
	close(status_pipe[1]);
	session->status_fd = status_pipe[0];
	if (pid < 0) {
		end_session(session);
		*env_probes = none("cannot start splicelab-probe: fork failed");
		return NULL;
	}
	session->pid = pid;
	json_t *report = read_status(session, ATTACH_LIMIT_MS);
	const char *got = json_string_value(json_object_get(report, "mode"));
	if (report && got && strcmp(got, "none") != 0) {
		*env_probes = report;
		return session;
	}
	if (!report) {
		kill(pid, SIGKILL);
		report = none("splicelab-probe did not report within 60 s (killed)");
	}
	reap(pid, 5000);
	end_session(session);
	*env_probes = report;
	return NULL;
}

/* The run table the tool reads when it stops: "PID START END INDEX ID". */
static int write_runs(const char *path, const struct probe_run *runs, size_t nruns,
		      const json_t *cells)
{
	FILE *file = fopen(path, "w");
	if (!file)
		return -1;
	for (size_t i = 0; i < nruns; i++)
		fprintf(file, "%d %llu %llu %zu %s\n", (int)runs[i].pid,
			(unsigned long long)runs[i].start_ns, (unsigned long long)runs[i].end_ns,
			runs[i].cell,
			json_string_value(json_object_get(json_array_get(cells, runs[i].cell), "id")));
	return fclose(file);
}

int probe_session_finish(struct probe_session *session, const struct probe_run *runs,
			 size_t nruns, json_t *cells, json_t *env_probes)
{
	if (!session)
		return 0;
	int rc = write_runs(session->runs_path, runs, nruns, cells);
	kill(session->pid, SIGTERM);
	json_t *counts = read_status(session, FLUSH_LIMIT_MS);
	int status = reap(session->pid, 5000);
	json_t *summaries = json_load_file(session->summaries_path, 0, NULL);
	end_session(session);
	if (!counts || !summaries || rc != 0 || status != 0) {
		json_object_set_new(env_probes, "error",
				    json_string("splicelab-probe ended without its counts or "
						"summaries: events.jsonl and the cells' kernel "
						"summaries may be missing"));
		rc = -1;
	}
	json_object_update(env_probes, counts);
	const char *index;
	json_t *summary;
	json_object_foreach(summaries, index, summary)
	{
		json_t *cell = json_array_get(cells, strtoul(index, NULL, 10));
		if (cell)
			json_object_set(cell, "kernel", summary);
	}
	json_decref(counts);
	json_decref(summaries);
	return rc;
}
