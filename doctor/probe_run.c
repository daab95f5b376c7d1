#include "probe_run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sibling.h"
#include "textfile.h"

#define TIMELINE_MAX 32
/* Beyond its duration the probe tool gets this long to attach and write. */
#define GRACE_S 30

/* Waits for the child at most limit_s seconds, then kills it. */
static int wait_bounded(pid_t child, unsigned limit_s, int *status)
{
	struct timespec nap = {0, 50 * 1000000L};
	for (unsigned long waited_ms = 0;; waited_ms += 50) {
		pid_t r = waitpid(child, status, WNOHANG);
		if (r == child)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (waited_ms >= limit_s * 1000ul) {
			kill(child, SIGKILL);
			waitpid(child, status, 0);
			return -1;
		}
		nanosleep(&nap, NULL);
	}
}

/* events.jsonl -> event count, calls per function (entries), the highest
 * occupancy, and the first splice_to_pipe calls' occupancy on entry. */
static void summarise(const char *path, json_t *out)
{
	FILE *f = fopen(path, "re");
	json_int_t events = 0, max_used = -1, total = -1;
	json_t *calls = json_object(), *timeline = json_array(), *by_slots = json_object();
	char line[4096];
	while (f && fgets(line, sizeof line, f)) {
		json_t *e = json_loads(line, 0, NULL);
		if (!e)
			continue;
		events++;
		const char *fn = json_string_value(json_object_get(e, "fn"));
		const char *phase = json_string_value(json_object_get(e, "phase"));
		json_t *used = json_object_get(e, "slots_used"), *cap = json_object_get(e, "slots_total");
		if (json_is_integer(used) && json_integer_value(used) > max_used)
			max_used = json_integer_value(used);
		if (json_is_integer(cap))
			total = json_integer_value(cap);
		if (fn && phase && strcmp(phase, "entry") == 0) {
			json_t *n = json_object_get(calls, fn);
			json_object_set_new(calls, fn, json_integer(n ? json_integer_value(n) + 1 : 1));
			if (strcmp(fn, "splice_to_pipe") == 0 && json_is_integer(cap)) {
				/* Which pipe sizes the calls met: 1 slot past the user's limit. */
				char key[24];
				snprintf(key, sizeof key, "%lld", (long long)json_integer_value(cap));
				json_t *k = json_object_get(by_slots, key);
				json_object_set_new(by_slots, key,
						    json_integer(k ? json_integer_value(k) + 1 : 1));
			}
			if (strcmp(fn, "splice_to_pipe") == 0 && json_array_size(timeline) < TIMELINE_MAX)
				json_array_append_new(
					timeline, json_pack("{s:O, s:O, s:O, s:O}", "tid",
							    json_object_get(e, "tid"), "slots_used", used,
							    "slots_total", cap, "bytes_in_pipe",
							    json_object_get(e, "bytes_in_pipe")));
		}
		json_decref(e);
	}
	if (f)
		fclose(f);
	json_object_set_new(out, "events", json_integer(events));
	json_object_set_new(out, "calls", calls);
	json_object_set_new(out, "max_slots_used", max_used >= 0 ? json_integer(max_used) : json_null());
	json_object_set_new(out, "slots_total", total >= 0 ? json_integer(total) : json_null());
	json_object_set_new(out, "splice_to_pipe_by_slots_total", by_slots);
	json_object_set_new(out, "timeline", timeline);
}

json_t *probe_run(pid_t pid, unsigned seconds, const char *btf)
{
	json_t *out = json_pack("{s:i}", "duration_s", (int)seconds);
	const char *tmp = getenv("TMPDIR");
	char dir_buf[PATH_MAX - 64];
	snprintf(dir_buf, sizeof dir_buf, "%s/splicelab-doctor.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	const char *made = mkdtemp(dir_buf);
	if (!made) {
		json_object_set_new(out, "status", json_string("failed"));
		json_object_set_new(out, "reason", json_sprintf("mkdtemp: %s", strerror(errno)));
		return out;
	}
	char tool[PATH_MAX], events[PATH_MAX], err_path[PATH_MAX], pid_s[16], dur_s[16];
	sibling_tool("splicelab-probe", tool, sizeof tool); /* else on PATH */
	snprintf(events, sizeof events, "%s/events.jsonl", made);
	snprintf(err_path, sizeof err_path, "%s/stderr", made);
	snprintf(pid_s, sizeof pid_s, "%d", (int)pid);
	snprintf(dur_s, sizeof dur_s, "%u", seconds);
	fflush(NULL);
	pid_t child = fork();
	if (child == 0) {
		int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, 2);
		if (null >= 0)
			dup2(null, 1);
		char *argv[] = {tool, "-p", pid_s, "-d", dur_s, "--json", events, "-q",
				btf ? "--btf" : NULL, (char *)btf, NULL};
		execvp(tool, argv);
		fprintf(stderr, "cannot run %s: %s\n", tool, strerror(errno));
		_exit(127);
	}
	int status = 0;
	bool finished = child > 0 && wait_bounded(child, seconds + GRACE_S, &status) == 0;
	char reason[512];
	read_first_line(err_path, reason, sizeof reason);
	int code = finished && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	json_object_set_new(out, "exit", code >= 0 ? json_integer(code) : json_null());
	if (code == 0) {
		json_object_set_new(out, "status", json_string("ran"));
		summarise(events, out);
	} else {
		json_object_set_new(out, "status", json_string(code == 69 ? "refused" : "failed"));
		json_object_set_new(out, "reason",
				    json_string(reason[0] ? reason
					       : finished ? "the probe tool failed"
							  : "the probe tool did not finish in time"));
	}
	unlink(events);
	unlink(err_path);
	rmdir(made);
	return out;
}
