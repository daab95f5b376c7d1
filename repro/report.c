#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "matrix_name.h"
#include "params.h"
#include "throughput.h"
#include "version.h"
#include "vmsplice.h"

static json_t *summary_json(const json_t *cells)
{
	json_t *summary = json_object();
	for (int i = 0; i < OUTCOME_COUNT; i++)
		json_object_set_new(summary, outcome_names[i], json_integer(0));
	size_t index;
	json_t *cell;
	json_array_foreach(cells, index, cell)
	{
		const char *outcome = json_string_value(json_object_get(cell, "outcome"));
		json_t *count = json_object_get(summary, outcome);
		if (count)
			json_integer_set(count, json_integer_value(count) + 1);
	}
	json_object_set_new(summary, "cells", json_integer((json_int_t)json_array_size(cells)));
	return summary;
}


/* The longest leading part of dir that exists, in existing. */
static int nearest_existing(const char *dir, char *existing, size_t len)
{
	snprintf(existing, len, "%s", dir);
	for (;;) {
		struct stat st;
		if (stat(existing, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				return 0;
			fprintf(stderr, "splicelab: --out: '%s' is not a folder\n", existing);
			return -1;
		}
		char *slash = strrchr(existing, '/');
		if (!slash)
			snprintf(existing, len, ".");
		else if (slash == existing)
			existing[1] = '\0';
		else
			*slash = '\0';
	}
}

/* Removes dir and its parents up to (not including) keep: the folders a
 * check created. */
static void remove_created(const char *dir, const char *keep)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s", dir);
	while (strcmp(path, keep) != 0 && strcmp(path, ".") != 0 && strcmp(path, "/") != 0) {
		if (rmdir(path) < 0)
			return;
		char *slash = strrchr(path, '/');
		if (!slash)
			return;
		*slash = '\0';
	}
}

int report_check_output_dir(const char *dir)
{
	/* Permission bits do not tell everything (root, read-only mounts,
	 * /proc): create what is missing and a file in it for real, then undo
	 * it, so bad input is refused before the matrix runs and leaves
	 * nothing behind. */
	char existing[PATH_MAX], probe[PATH_MAX];
	if (nearest_existing(dir, existing, sizeof existing) < 0)
		return -1;
	int made = report_make_dirs(dir);
	int saved = errno;
	int fd = -1;
	if (made == 0) {
		snprintf(probe, sizeof probe, "%s/.splicelab-check.XXXXXX", dir);
		fd = mkstemp(probe);
		saved = errno;
	}
	if (fd >= 0) {
		close(fd);
		unlink(probe);
	}
	remove_created(dir, existing);
	if (fd < 0) {
		fprintf(stderr, "splicelab: --out: cannot write in '%s': %s\n", dir,
			strerror(saved));
		return -1;
	}
	return 0;
}

/* matrix.json files are a few MB; anything far bigger is not one of ours. */
#define EXISTING_MATRIX_MAX (1024ll * 1024 * 1024)

int report_check_replace(const char *dir, const char *matrix, bool force)
{
	char path[PATH_MAX + 16], held[MATRIX_NAME_LEN] = "";
	struct stat st;
	snprintf(path, sizeof path, "%s/provenance.json", dir);
	bool lab = stat(path, &st) == 0;
	snprintf(path, sizeof path, "%s/matrix.json", dir);
	if (force || stat(path, &st) < 0)
		return 0;
	json_t *doc = S_ISREG(st.st_mode) && st.st_size < EXISTING_MATRIX_MAX
			      ? json_load_file(path, 0, NULL)
			      : NULL;
	if (doc)
		matrix_name_of_doc(doc, held, sizeof held);
	const char *started = json_string_value(json_object_get(doc, "started_at"));
	json_int_t cells = (json_int_t)json_array_size(json_object_get(doc, "cells"));
	if (!doc)
		fprintf(stderr,
			"splicelab: '%s' holds a matrix.json that is not splicelab's: give "
			"another --out, or --force to replace it\n",
			dir);
	else if (strcmp(held, matrix) != 0)
		fprintf(stderr,
			"splicelab: '%s' holds the %s matrix (%lld cells, %s), not this %s one: "
			"give another --out, or --force to replace it\n",
			dir, held, (long long)cells, started ? started : "no date", matrix);
	else if (lab)
		fprintf(stderr,
			"splicelab: '%s' was made by make lab (provenance.json describes its "
			"run): rerun make lab, give another --out, or --force to replace it\n",
			dir);
	bool refuse = !doc || strcmp(held, matrix) != 0 || lab;
	json_decref(doc);
	return refuse ? -1 : 0;
}

int report_make_dirs(const char *dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* The signals that end a run early (main's handler): held off while the
 * file is written, so no temporary file can be left behind. */
static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

static bool stop_pending(const sigset_t *stops)
{
	sigset_t pending;
	if (sigpending(&pending) < 0)
		return false;
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(stops, sig) == 1 && sigismember(&pending, sig) == 1)
			return true;
	return false;
}

static int write_json_file(const char *dir, const char *name, const json_t *doc,
			   const sigset_t *stops)
{
	char tmp[PATH_MAX], final[PATH_MAX];
	snprintf(final, sizeof final, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name);
	if (report_make_dirs(dir) < 0) {
		fprintf(stderr, "splicelab: cannot create '%s': %s\n", dir, strerror(errno));
		return -1;
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "splicelab: cannot create a file in '%s': %s\n", dir,
			strerror(errno));
		return -1;
	}
	fchmod(fd, 0644);
	FILE *file = fdopen(fd, "w");
	int rc = file ? json_dumpf(doc, file, MATRIX_JSON_FLAGS) : -1;
	if (file && rc == 0)
		rc = fputc('\n', file) == EOF ? -1 : 0;
	if (file && rc == 0)
		rc = fflush(file) == 0 && fsync(fileno(file)) == 0 ? 0 : -1;
	if (file ? fclose(file) != 0 : close(fd) != 0)
		rc = -1;
	/* A stop asked for while writing: the file is dropped, not renamed. */
	if (rc == 0 && stop_pending(stops)) {
		unlink(tmp);
		return REPORT_STOPPED;
	}
	if (rc == 0 && rename(tmp, final) < 0)
		rc = -1;
	if (rc != 0) {
		fprintf(stderr, "splicelab: writing '%s' failed: %s\n", final, strerror(errno));
		unlink(tmp);
	}
	return rc;
}

int report_write_json(const char *dir, const char *name, const json_t *doc)
{
	sigset_t stops, saved;
	stop_signals(&stops);
	sigprocmask(SIG_BLOCK, &stops, &saved);
	int rc = write_json_file(dir, name, doc, &stops);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	return rc;
}

static const char *outcome_color(const char *outcome)
{
	static const struct {
		const char *outcome;
		const char *sgr;
	} colors[] = {
		{"ok", "32"},	   {"blocked", "1;31"}, {"stalled", "35"}, {"spin", "33"},
		{"error", "1;33"}, {"corrupt", "1;35"}, {"crashed", "1;31"},
	};
	for (size_t i = 0; i < sizeof colors / sizeof colors[0]; i++)
		if (strcmp(colors[i].outcome, outcome) == 0)
			return colors[i].sgr;
	return "0";
}

static json_int_t cell_int(const json_t *cell, const char *key)
{
	return json_integer_value(json_object_get(cell, key));
}

static const char *cell_str(const json_t *cell, const char *key)
{
	const char *value = json_string_value(json_object_get(cell, key));
	return value ? value : "";
}

void report_print_outcome(FILE *out, const json_t *cell, int width, bool color)
{
	const char *outcome = cell_str(cell, "outcome");
	json_t *runs = json_object_get(cell, "runs");
	bool mixed = runs && json_is_false(json_object_get(runs, "consistent"));
	bool refused = json_is_string(json_object_get(cell, "pipe_size_error"));
	char word[32];
	snprintf(word, sizeof word, "%s%s%s", outcome, mixed ? "*" : "", refused ? "!" : "");
	int pad = width - (int)strlen(word);
	if (color)
		fprintf(out, "\033[%sm%s\033[0m", outcome_color(outcome), word);
	else
		fputs(word, out);
	fprintf(out, "%*s", pad > 0 ? pad : 1, "");
}

/* The block a plain cell belongs to: its id without pipe and payload. */
static void group_key(const char *id, char *buf, size_t len)
{
	size_t used = 0;
	for (const char *part = id; *part && used + 1 < len;) {
		size_t n = strcspn(part, ",");
		if (strncmp(part, "pipe=", 5) != 0 && strncmp(part, "payload=", 8) != 0) {
			int wrote = snprintf(buf + used, len - used, "%s%.*s", used ? " " : "",
					     (int)n, part);
			if (wrote > 0)
				used += (size_t)wrote;
		}
		part += n + (part[n] == ',');
	}
	if (used >= len)
		buf[len - 1] = '\0';
}

static size_t distinct_sizes(const json_t *cells, const char *key, const char *group,
			     json_int_t *values, size_t max)
{
	size_t count = 0, index;
	json_t *cell;
	char this_group[512];
	json_array_foreach(cells, index, cell)
	{
		if (!json_is_null(json_object_get(cell, "profile")))
			continue;
		group_key(cell_str(cell, "id"), this_group, sizeof this_group);
		if (strcmp(this_group, group) != 0)
			continue;
		json_int_t value = cell_int(cell, key);
		bool seen = false;
		for (size_t i = 0; i < count; i++)
			seen |= values[i] == value;
		if (!seen && count < max)
			values[count++] = value;
	}
	return count;
}

static const json_t *find_cell(const json_t *cells, const char *group, json_int_t pipe,
			       json_int_t payload)
{
	size_t index;
	json_t *cell;
	char this_group[512];
	json_array_foreach(cells, index, cell)
	{
		if (!json_is_null(json_object_get(cell, "profile")) ||
		    cell_int(cell, "pipe_size_requested") != pipe || cell_int(cell, "payload") != payload)
			continue;
		group_key(cell_str(cell, "id"), this_group, sizeof this_group);
		if (strcmp(this_group, group) == 0)
			return cell;
	}
	return NULL;
}

static void print_group(FILE *out, const json_t *cells, const char *group, bool color)
{
	json_int_t pipes[64], payloads[64];
	size_t npipes = distinct_sizes(cells, "pipe_size_requested", group, pipes, 64);
	size_t npayloads = distinct_sizes(cells, "payload", group, payloads, 64);
	char label[24];
	/* A --relay-cmd program's cells have no pipe size of ours: one row. */
	bool relay = strncmp(group, "relay=", 6) == 0;
	fprintf(out, "\n%s\n%-10s", group, relay ? "payload" : "pipe\\load");
	for (size_t j = 0; j < npayloads; j++) {
		format_size((uint64_t)payloads[j], label, sizeof label);
		fprintf(out, "%-9s", label);
	}
	fputc('\n', out);
	for (size_t i = 0; i < npipes; i++) {
		if (relay)
			snprintf(label, sizeof label, "outcome");
		else
			format_pipe_size((uint64_t)pipes[i], label, sizeof label);
		fprintf(out, "%-10s", label);
		for (size_t j = 0; j < npayloads; j++) {
			const json_t *cell = find_cell(cells, group, pipes[i], payloads[j]);
			if (cell)
				report_print_outcome(out, cell, 9, color);
			else
				fprintf(out, "%-9s", "-");
		}
		fputc('\n', out);
	}
}

/* A load cell's connections under its profile line: how many finished and
 * how the others ended, as whom, and the pipes the kernel gave. */
static void print_load_line(FILE *out, const json_t *cell)
{
	const json_t *load = json_object_get(cell, "load");
	if (!load)
		return;
	const json_t *counts = json_object_get(load, "per_connection");
	const json_t *pipes = json_object_get(load, "pipes");
	json_int_t conns = cell_int(load, "conn_count");
	fprintf(out, "  %lld connection%s as %s: %lld finished", (long long)conns,
		conns == 1 ? "" : "s", cell_str(json_object_get(load, "user"), "name"),
		(long long)cell_int(counts, "finished"));
	const char *kinds[] = {"blocked", "stalled", "spin", "unknown"};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (cell_int(counts, kinds[i]))
			fprintf(out, ", %lld %s", (long long)cell_int(counts, kinds[i]), kinds[i]);
	fprintf(out, "; pipes");
	size_t index;
	const json_t *size;
	json_array_foreach(json_object_get(pipes, "sizes"), index, size)
	{
		char label[24];
		format_size((uint64_t)cell_int(size, "size"), label, sizeof label);
		fprintf(out, "%s %lld x %s", index ? "," : "", (long long)cell_int(size, "count"), label);
	}
	if (cell_int(pipes, "setpipe_refused"))
		fprintf(out, " (%lld F_SETPIPE_SZ refused: %s)", (long long)cell_int(pipes, "setpipe_refused"),
			cell_str(pipes, "setpipe_errno"));
	fputc('\n', out);
}

static void print_profiles(FILE *out, const json_t *cells, bool color)
{
	size_t index;
	json_t *cell;
	bool header = false;
	json_array_foreach(cells, index, cell)
	{
		const char *profile = json_string_value(json_object_get(cell, "profile"));
		if (!profile)
			continue;
		if (!header) {
			fprintf(out, "\nprofiles (real programs' parameters)\n%-17s %-6s %-8s %-9s "
				     "%12s %9s %9s\n",
				"profile", "scen.", "payload", "outcome", "bytes moved", "ms",
				"detect ms");
			header = true;
		}
		char payload[24];
		format_size((uint64_t)cell_int(cell, "payload"), payload, sizeof payload);
		fprintf(out, "%-17s %-6s %-8s ", profile, cell_str(cell, "scenario"), payload);
		report_print_outcome(out, cell, 10, color);
		json_t *detected = json_object_get(cell, "detected_after_ms");
		fprintf(out, "%12lld %9.1f ", (long long)cell_int(cell, "bytes_moved"),
			json_number_value(json_object_get(cell, "elapsed_ms")));
		if (json_is_number(detected))
			fprintf(out, "%9.1f\n", json_number_value(detected));
		else
			fprintf(out, "%9s\n", "-");
		print_load_line(out, cell);
	}
}

void report_print_table(FILE *out, const json_t *doc, bool color)
{
	const json_t *cells = json_object_get(doc, "cells");
	size_t index;
	json_t *cell;
	char group[512];
	/* Blocks in first-appearance order; a block is printed at its first cell. */
	json_t *printed = json_object();
	json_array_foreach(cells, index, cell)
	{
		if (!json_is_null(json_object_get(cell, "profile")) || throughput_cell(cell) ||
		    json_object_get(cell, "vmsplice"))
			continue;
		group_key(cell_str(cell, "id"), group, sizeof group);
		if (json_object_get(printed, group))
			continue;
		json_object_set_new(printed, group, json_true());
		print_group(out, cells, group, color);
	}
	json_decref(printed);
	throughput_print_table(out, cells);
	vmsplice_print_table(out, cells, color);
	print_profiles(out, cells, color);

	const json_t *summary = json_object_get(doc, "summary");
	fprintf(out, "\n%lld cells:", (long long)json_integer_value(json_object_get(summary, "cells")));
	for (int i = 0; i < OUTCOME_COUNT; i++) {
		json_int_t n = json_integer_value(json_object_get(summary, outcome_names[i]));
		if (n)
			fprintf(out, " %s %lld", outcome_names[i], (long long)n);
	}
	fprintf(out, " (* repeats disagreed, ! F_SETPIPE_SZ refused)\n");
}

json_t *report_matrix_doc(const char *label, json_t *env, const char *started_at,
			  uint64_t elapsed_ms, json_t *params, json_t *cells)
{
	return json_pack("{s:s, s:{s:s, s:s, s:s}, s:s, s:o, s:s, s:I, s:o, s:o, s:o}", "schema",
			 "splicelab.matrix/1", "tool", "name", "splicelab", "version",
			 splicelab_version, "commit", splicelab_commit, "label", label, "env", env,
			 "started_at", started_at, "elapsed_ms", (json_int_t)elapsed_ms, "params",
			 params, "summary", summary_json(cells), "cells", cells);
}
