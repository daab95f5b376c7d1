/* splicelab: run the splice relay matrix on this kernel, write matrix.json
 * and print what the kernel did with each cell. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cell.h"
#include "env.h"
#include "grid.h"
#include "matrix_name.h"
#include "options.h"
#include "probe_session.h"
#include "profiles.h"
#include "report.h"
#include "runner.h"
#include "sibling.h"

static void print_profiles(void)
{
	for (size_t i = 0; i < profile_count; i++) {
		const struct profile *p = &profiles[i];
		char pipe[24], chunk[24], flags[40];
		format_pipe_size(p->pipe_size, pipe, sizeof pipe);
		format_size(p->chunk, chunk, sizeof chunk);
		format_flag_set(p->splice_flags, flags, sizeof flags);
		printf("%s: %s\n  pipe %s, chunk %s, flags %s, pipe O_NONBLOCK %s, source "
		       "O_NONBLOCK %s, destination O_NONBLOCK %s, loop %s\n  source: %s\n",
		       p->name, p->program, pipe, chunk, flags, p->pipe_nonblock ? "on" : "off",
		       p->src_nonblock ? "on" : "off", p->dst_nonblock ? "on" : "off",
		       loop_names[p->loop], p->source);
	}
}

static json_t *params_json(const struct options *options, const char *matrix)
{
	json_t *argv = json_array();
	for (int i = 0; i < options->argc; i++)
		json_array_append_new(argv, json_string(options->argv[i]));
	const struct matrix_spec *spec = &options->spec;
	bool any_grid = spec->scenarios.given || spec->transports.given || spec->pipe_sizes.given ||
			spec->payloads.given || spec->chunks.given || spec->flag_sets.given ||
			spec->pipe_nonblock.given || spec->src_nonblock.given ||
			spec->dst_nonblock.given || spec->loops.given || spec->senders.given ||
			spec->profiles_given;
	const char *preset = spec->preset_given ? preset_names[spec->preset]
			     : any_grid		? NULL
						: "default";
	return json_pack("{s:o, s:o, s:s, s:i, s:i, s:i, s:i, s:I}", "argv", argv, "preset",
			 preset ? json_string(preset) : json_null(), "matrix", matrix, "jobs",
			 options->jobs,
			 "window_ms", (int)options->window_ms, "cell_timeout_ms",
			 (int)options->cell_timeout_ms, "repeat", (int)options->repeat,
			 "head_start", (json_int_t)spec->head_start);
}

static void utc_now(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool use_color(const struct options *options)
{
	if (options->color == COLOR_ALWAYS)
		return true;
	if (options->color == COLOR_NEVER || getenv("NO_COLOR"))
		return false;
	return isatty(STDOUT_FILENO);
}

/* The signal that asked the run to stop (0: none); the runner and the
 * final write look at it, so a stop kills and reaps every cell and leaves
 * no temporary file. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void catch_stop_signals(void)
{
	struct sigaction action;
	memset(&action, 0, sizeof action);
	action.sa_handler = on_stop_signal;
	sigemptyset(&action.sa_mask);
	int signals[] = {SIGINT, SIGTERM, SIGHUP};
	for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
		/* An ignored signal stays ignored (nohup, a shell's background
		 * job): whoever started us asked for that. */
		struct sigaction old;
		if (sigaction(signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(signals[i], &action, NULL);
	}
}

/* 128 + the signal, as a shell reports a command it ended. A run stopped
 * before matrix.json was written leaves nothing of itself: discard (the
 * probes' events.jsonl, when they ran) is removed too. */
static int stopped(size_t finished, size_t total, const char *written, const char *discard)
{
	const char *name = sigabbrev_np(stop_signal);
	if (discard)
		unlink(discard);
	if (written)
		fprintf(stderr, "splicelab: stopped by SIG%s; %s/matrix.json was written whole\n",
			name ? name : "?", written);
	else
		fprintf(stderr,
			"splicelab: stopped by SIG%s after %zu of %zu cell runs; nothing was "
			"written\n",
			name ? name : "?", finished, total);
	return 128 + stop_signal;
}

/* What went to stdout must have arrived: a full disk or a closed pipe is a
 * failure, not a success with a lost table. */
static int stdout_status(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "splicelab: writing to stdout failed: %s\n", strerror(errno));
		return rc ? rc : 1;
	}
	return rc;
}

/* Every argument is recorded in params.argv, a JSON string: refuse what is
 * not UTF-8 before anything runs rather than drop it. */
static int check_argv_utf8(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		json_t *text = json_string(argv[i]);
		if (!text) {
			fprintf(stderr,
				"splicelab: argument %d is not valid UTF-8 (matrix.json records "
				"the command line) (see --help)\n",
				i);
			return EXIT_USAGE;
		}
		json_decref(text);
	}
	return 0;
}

/* Where a run without --out goes (relative to the current folder). */
#define DEFAULT_RUNS_DIR "build/runs"

/* `splicelab doctor ARGS...` is splicelab-doctor ARGS...: the one beside
 * this binary, else the one on PATH. Returns only when neither runs. */
static int run_doctor(char **argv)
{
	char path[PATH_MAX];
	argv[0] = "splicelab-doctor";
	if (sibling_tool(argv[0], path, sizeof path) == 0)
		execv(path, argv);
	execvp(argv[0], argv);
	fprintf(stderr, "splicelab: doctor: cannot run splicelab-doctor (not beside this binary, "
			"nor on PATH: %s)\n",
		strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "doctor") == 0)
		return run_doctor(argv + 1);
	struct options options;
	int rc = options_parse(argc, argv, &options);
	if (rc == 1)
		return stdout_status(0);
	if (rc == 0)
		rc = check_argv_utf8(argc, argv);
	if (rc)
		return rc;
	if (options.list_profiles) {
		print_profiles();
		options_free(&options);
		return stdout_status(0);
	}
	size_t ncells = 0;
	struct cell_params *cells = grid_expand(&options.spec, &ncells);
	if (!cells) {
		fprintf(stderr, "splicelab: the grid is empty or too large for memory\n");
		return EXIT_USAGE;
	}
	grid_note_left_out(&options.spec);
	if (options.list) {
		char id[512];
		for (size_t i = 0; i < ncells; i++) {
			cell_id(&cells[i], id, sizeof id);
			puts(id);
		}
		free(cells);
		options_free(&options);
		return stdout_status(0);
	}

	json_t *env = env_capture(options.virt);
	char label[256], out_dir[PATH_MAX];
	if (options.label)
		snprintf(label, sizeof label, "%s", options.label);
	else
		env_default_label(env, label, sizeof label);
	if (!options_label_ok(label)) {
		fprintf(stderr,
			"splicelab: the label made from os-release and the kernel release is not "
			"a usable name: give --label (see --help)\n");
		json_decref(env);
		free(cells);
		return EXIT_USAGE;
	}
	/* Direct runs never land in results/ (the committed reference results):
	 * build/runs/<label>, and @<matrix> for anything but the default (as
	 * make lab names its folders). */
	char matrix[MATRIX_NAME_LEN];
	matrix_name(cells, ncells, matrix, sizeof matrix);
	if (options.out_dir)
		snprintf(out_dir, sizeof out_dir, "%s", options.out_dir);
	else
		snprintf(out_dir, sizeof out_dir, "%s/%s%s%s", DEFAULT_RUNS_DIR, label,
			 strcmp(matrix, "default") ? "@" : "", strcmp(matrix, "default") ? matrix : "");
	catch_stop_signals();
	if (report_check_output_dir(out_dir) < 0 ||
	    report_check_replace(out_dir, matrix, options.force) < 0) {
		json_decref(env);
		free(cells);
		return EXIT_USAGE;
	}

	json_t *env_probes = NULL;
	struct probe_session *probes = NULL;
	char events_path[PATH_MAX + 16];
	snprintf(events_path, sizeof events_path, "%s/events.jsonl", out_dir);
	if (options.probe) {
		if (report_make_dirs(out_dir) < 0) {
			fprintf(stderr, "splicelab: cannot create '%s': %s\n", out_dir,
				strerror(errno));
			return 1;
		}
		probes = probe_session_start(events_path, getpid(), &options.probe_request,
					     &env_probes);
		if (!probes && !options.quiet)
			fprintf(stderr, "splicelab: probes: %s; the matrix runs without them\n",
				json_string_value(json_object_get(env_probes, "reason")));
	} else {
		env_probes = json_pack("{s:s, s:s}", "mode", "none", "reason",
				       "not requested (--probe)");
	}
	json_object_set_new(env, "probes", env_probes);

	char started_at[32];
	utc_now(started_at, sizeof started_at);
	uint64_t start_ns = monotonic_ns();
	size_t finished = 0;
	struct runner_opts runner_opts = {
		.jobs = options.jobs,
		.window_ms = options.window_ms,
		.cell_timeout_ms = options.cell_timeout_ms,
		.repeat = options.repeat,
		.progress = !options.quiet && isatty(STDERR_FILENO),
		.stop = &stop_signal,
		.finished = &finished,
	};
	json_t *cell_list = json_array();
	struct probe_run *runs = NULL;
	size_t nruns = 0;
	rc = runner_run(cells, ncells, &runner_opts, cell_list, probes ? &runs : NULL, &nruns);
	uint64_t elapsed_ns = monotonic_ns() - start_ns;
	if (probes) {
		probe_session_finish(probes, runs, nruns, cell_list, env_probes);
	}
	free(runs);
	free(cells);
	if (rc != 0) {
		json_decref(cell_list);
		json_decref(env);
		return rc == RUNNER_STOPPED ? stopped(finished, ncells * options.repeat, NULL,
						      probes ? events_path : NULL)
					    : 1;
	}

	json_t *doc = report_matrix_doc(label, env, started_at, elapsed_ns / 1000000,
					params_json(&options, matrix), cell_list);
	if (!doc) {
		fprintf(stderr, "splicelab: cannot build matrix.json (out of memory, or text "
				"from os-release that is not UTF-8)\n");
		return 1;
	}
	rc = stop_signal ? REPORT_STOPPED : report_write_json(out_dir, "matrix.json", doc);
	if (rc < 0) {
		json_decref(doc);
		return rc == REPORT_STOPPED ? stopped(finished, ncells * options.repeat, NULL,
						      probes ? events_path : NULL)
					    : 1;
	}
	if (options.json) {
		json_dumpf(doc, stdout, MATRIX_JSON_FLAGS);
		putchar('\n');
	} else if (!options.quiet) {
		report_print_table(stdout, doc, use_color(&options));
		printf("%.1f s, written to %s/matrix.json\n", (double)elapsed_ns / 1e9, out_dir);
	}
	json_decref(doc);
	options_free(&options);
	rc = stdout_status(0);
	return stop_signal ? stopped(finished, finished, out_dir, NULL) : rc;
}
