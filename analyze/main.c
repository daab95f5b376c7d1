/* splicelab-analyze: compare splicelab matrices from several kernels. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze.h"
#include "version.h"

#define MAX_CELLS 64

static const char usage[] =
	"Usage: splicelab-analyze [OPTIONS] MATRIX MATRIX...\n"
	"Compare splicelab results from several kernels. Each MATRIX is a\n"
	"matrix.json or a results folder holding one (its events.jsonl, when\n"
	"present, is read too). Cells are joined by id; the table on stdout shows\n"
	"the cells whose outcome differs between kernels (or that some kernel\n"
	"lacks), after one summary line per kernel.\n"
	"\n"
	"Output:\n"
	"  -a, --all              every cell in the table, not only those that differ\n"
	"  -q, --quiet            no table on stdout\n"
	"      --color WHEN       auto, always, never [auto: only on a terminal]\n"
	"      --markdown FILE    evidence report for the chosen cells (GitHub or mail)\n"
	"      --html FILE        self-contained HTML: outcome grids and SVG plots\n"
	"      --csv FILE         the joined table, one row per cell id\n"
	"      --cell ID          a cell to detail in the reports (repeatable); by\n"
	"                         default: the cells that differ, else a blocked, a\n"
	"                         spinning and another stuck drain cell\n"
	"      --max-cells N      at most N cells chosen by default [3]\n"
	"  -h, --help             this text\n"
	"  -V, --version          version and commit\n"
	"\n"
	"Inputs are read as untrusted: each must be a regular file of at most 1 GiB\n"
	"or a pipe (read up to 1 GiB; a device such as /dev/zero, a socket or a\n"
	"larger file is refused), and every enumerated field (scenario, profile,\n"
	"transport, loop, sender, outcome, flags, env.virt, env.probes.mode, the\n"
	"cell id's characters) must hold a value this splicelab knows; free text\n"
	"is escaped for each output.\n"
	"\n"
	"Files are written whole or not at all (temporary file, then rename); the\n"
	"same inputs give the same bytes.\n"
	"\n"
	"Exit status: 0 the comparison was made, whatever it found; 64 bad usage\n"
	"or input (one line naming the file and the JSON path; nothing written);\n"
	"1 an output could not be written.\n";

struct options {
	bool all, quiet;
	int color; /* -1 auto, 0 never, 1 always */
	const char *markdown, *html, *csv;
	const char *cells[MAX_CELLS];
	size_t ncells;
	size_t max_cells;
	char **inputs;
	size_t ninputs;
};

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "splicelab-analyze: %s%s%s (see --help)\n", what, arg ? ": " : "",
		arg ? arg : "");
	return ANALYZE_EXIT_USAGE;
}

enum { OPT_COLOR = 256, OPT_MARKDOWN, OPT_HTML, OPT_CSV, OPT_CELL, OPT_MAX_CELLS };

/* 0: go on; 1: done (help, version); else the exit status. */
static int parse(int argc, char **argv, struct options *o)
{
	static const struct option long_options[] = {
		{"all", no_argument, NULL, 'a'},
		{"quiet", no_argument, NULL, 'q'},
		{"color", required_argument, NULL, OPT_COLOR},
		{"markdown", required_argument, NULL, OPT_MARKDOWN},
		{"html", required_argument, NULL, OPT_HTML},
		{"csv", required_argument, NULL, OPT_CSV},
		{"cell", required_argument, NULL, OPT_CELL},
		{"max-cells", required_argument, NULL, OPT_MAX_CELLS},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	*o = (struct options){.color = -1, .max_cells = 3};
	opterr = 0;
	int id;
	while ((id = getopt_long(argc, argv, ":aqhV", long_options, NULL)) != -1) {
		char *end;
		switch (id) {
		case 'a':
			o->all = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") == 0)
				o->color = -1;
			else if (strcmp(optarg, "always") == 0)
				o->color = 1;
			else if (strcmp(optarg, "never") == 0)
				o->color = 0;
			else
				return usage_error("--color: auto, always or never", optarg);
			break;
		case OPT_MARKDOWN:
			o->markdown = optarg;
			break;
		case OPT_HTML:
			o->html = optarg;
			break;
		case OPT_CSV:
			o->csv = optarg;
			break;
		case OPT_CELL:
			if (o->ncells == MAX_CELLS)
				return usage_error("--cell: at most 64 cells", NULL);
			o->cells[o->ncells++] = optarg;
			break;
		case OPT_MAX_CELLS: {
			unsigned long n = strtoul(optarg, &end, 10);
			if (*end || !*optarg || n > MAX_CELLS)
				return usage_error("--max-cells: a number from 0 to 64", optarg);
			o->max_cells = n;
			break;
		}
		case 'h':
			fputs(usage, stdout);
			return 1;
		case 'V':
			printf("splicelab-analyze %s (%s)\n", splicelab_version, splicelab_commit);
			return 1;
		case ':':
			return usage_error("option needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option", argv[optind - 1]);
		}
	}
	o->inputs = argv + optind;
	o->ninputs = (size_t)(argc - optind);
	if (o->ninputs < 2)
		return usage_error("give two or more matrix.json files or result folders", NULL);
	if (o->ninputs > ANALYZE_MAX_RUNS)
		return usage_error("at most 26 inputs", NULL);
	return 0;
}

typedef int (*writer)(FILE *, const struct joined *, const struct report_opts *);

static int csv_writer(FILE *out, const struct joined *joined, const struct report_opts *opts)
{
	(void)opts;
	return csv_report(out, joined);
}

/* Opens every output first, so that none is written when one cannot be. */
static int write_outputs(const struct options *o, const struct joined *joined,
			 const struct report_opts *opts)
{
	const char *paths[3] = {o->markdown, o->html, o->csv};
	const writer writers[3] = {markdown_report, html_report, csv_writer};
	struct outfile outs[3];
	bool open_ok[3] = {false, false, false};
	int rc = 0;
	for (int i = 0; i < 3 && rc == 0; i++) {
		if (!paths[i])
			continue;
		if (out_open(&outs[i], paths[i]) < 0)
			rc = ANALYZE_EXIT_USAGE;
		else
			open_ok[i] = true;
	}
	for (int i = 0; i < 3 && rc == 0; i++)
		if (open_ok[i] && writers[i](outs[i].file, joined, opts) < 0)
			rc = ANALYZE_EXIT_FAILED;
	for (int i = 0; i < 3; i++) {
		if (!open_ok[i])
			continue;
		if (rc != 0)
			out_abort(&outs[i]);
		else if (out_commit(&outs[i]) < 0)
			rc = ANALYZE_EXIT_FAILED;
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : rc;
	struct run runs[ANALYZE_MAX_RUNS];
	memset(runs, 0, sizeof runs);
	struct joined joined;
	memset(&joined, 0, sizeof joined);
	size_t rows[MAX_CELLS];
	struct report_opts opts = {.all = o.all, .rows = rows};
	if (runs_load(runs, o.inputs, o.ninputs) < 0) {
		rc = ANALYZE_EXIT_USAGE;
		goto out;
	}
	if (join_runs(&joined, runs, o.ninputs) < 0) {
		fprintf(stderr, "splicelab-analyze: out of memory\n");
		rc = ANALYZE_EXIT_FAILED;
		goto out;
	}
	for (size_t i = 0; i < o.ncells; i++) {
		long r = join_find(&joined, o.cells[i]);
		if (r < 0) {
			rc = usage_error("--cell: no input has a cell with this id", o.cells[i]);
			goto out;
		}
		bool again = false;
		for (size_t j = 0; j < opts.nrows; j++)
			again |= rows[j] == (size_t)r;
		if (!again)
			rows[opts.nrows++] = (size_t)r;
	}
	if (o.ncells == 0)
		opts.nrows = join_pick(&joined, rows, o.max_cells);
	if (o.markdown || o.html)
		timeline_prefetch(&joined, rows, opts.nrows);
	rc = write_outputs(&o, &joined, &opts);
	if (rc == 0 && !o.quiet) {
		opts.color = o.color == 1 || (o.color == -1 && !getenv("NO_COLOR") &&
					      isatty(STDOUT_FILENO));
		if (text_report(stdout, &joined, &opts) < 0 || fflush(stdout) != 0)
			rc = ANALYZE_EXIT_FAILED;
	}
out:
	timeline_release();
	join_free(&joined);
	for (size_t k = 0; k < o.ninputs; k++)
		run_free(&runs[k]);
	return rc;
}
