/* splicelab: run the splice relay matrix on this kernel, write matrix.json
 * and print what the kernel did with each cell. */
#include <errno.h>
#include <limits.h>
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

/* Where a run without --out goes (relative to the current folder). */
#define DEFAULT_RUNS_DIR "build/runs"

int main(int argc, char **argv)
{
	struct options options;
	int rc = options_parse(argc, argv, &options);
	if (rc == 1)
		return 0;
	if (rc)
		return rc;
	if (options.list_profiles) {
		print_profiles();
		options_free(&options);
		return 0;
	}
	size_t ncells = 0;
	struct cell_params *cells = grid_expand(&options.spec, &ncells);
	if (!cells) {
		fprintf(stderr, "splicelab: the grid is empty or too large for memory\n");
		return EXIT_USAGE;
	}
	if (options.list) {
		char id[512];
		for (size_t i = 0; i < ncells; i++) {
			cell_id(&cells[i], id, sizeof id);
			puts(id);
		}
		free(cells);
		options_free(&options);
		return 0;
	}

	json_t *env = env_capture(options.virt);
	char label[256], out_dir[PATH_MAX];
	if (options.label)
		snprintf(label, sizeof label, "%s", options.label);
	else
		env_default_label(env, label, sizeof label);
	/* Direct runs never land in results/ (make lab's reference results):
	 * build/runs/<label>, and -<matrix> for anything but the default. */
	char matrix[MATRIX_NAME_LEN];
	matrix_name(cells, ncells, matrix, sizeof matrix);
	if (options.out_dir)
		snprintf(out_dir, sizeof out_dir, "%s", options.out_dir);
	else
		snprintf(out_dir, sizeof out_dir, "%s/%s%s%s", DEFAULT_RUNS_DIR, label,
			 strcmp(matrix, "default") ? "-" : "", strcmp(matrix, "default") ? matrix : "");
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
		probes = probe_session_start(events_path, getpid(), options.probe_mode,
					     options.probe_btf, &env_probes);
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
	struct runner_opts runner_opts = {
		.jobs = options.jobs,
		.window_ms = options.window_ms,
		.cell_timeout_ms = options.cell_timeout_ms,
		.repeat = options.repeat,
		.progress = !options.quiet && isatty(STDERR_FILENO),
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
		return 1;
	}

	json_t *doc = report_matrix_doc(label, env, started_at, elapsed_ns / 1000000,
					params_json(&options, matrix), cell_list);
	if (!doc || report_write_json(out_dir, "matrix.json", doc) < 0) {
		json_decref(doc);
		return 1;
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
	return 0;
}
