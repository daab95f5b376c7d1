/* The HTML report: one self-contained page (inline CSS and SVG, no script,
 * no font or image from anywhere) for a student who never saw the JSON:
 * what the outcomes mean, each kernel's outcome grid (pipe size down,
 * payload across, one panel per combination of the other parameters), the
 * profiles, and plots of the chosen cells. */
#include "analyze.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *outcome, *color, *meaning;
} legend[OUTCOME_COUNT] = {
	{"ok", "#4caf50", "every byte arrived and matched"},
	{"blocked", "#d32f2f", "the relay sleeps inside splice while data waits"},
	{"stalled", "#8e24aa", "the relay waits for readiness that never comes"},
	{"spin", "#f9a825", "no progress, the relay burns CPU retrying EAGAIN"},
	{"error", "#ef6c00", "a call failed with an unexpected errno"},
	{"corrupt", "#6d4c41", "bytes arrived but differ from what was sent"},
	{"crashed", "#212121", "the cell's process died on a signal"},
};

/* A cell id or panel key: escaped, each parameter kept whole (a line
 * breaks only after a comma, never inside "pnb=1" or "go1.21.0-1.21.4"). */
static void put_id(FILE *out, const char *id)
{
	fputs("<code class=\"id\"><span>", out);
	for (const char *p = id; *p; p++) {
		char one[2] = {*p, '\0'};
		put_html(out, one);
		if (*p == ',' && p[1])
			fputs("</span><wbr><span>", out);
	}
	fputs("</span></code>", out);
}

static void head(FILE *out, const struct joined *joined)
{
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		     "<title>splice(2) socket-&gt;pipe on %zu kernels</title>\n<style>\n",
		joined->nruns);
	fputs("body{font-family:sans-serif;margin:1.5em;color:#222;max-width:100em}\n"
	      "h1{font-size:1.5em}h2{font-size:1.25em;margin-top:2em}h3{font-size:1em}\n"
	      "table{border-collapse:collapse}td,th{padding:2px 6px;border:1px solid #ccc}\n"
	      ".kernels td,.kernels th{text-align:left}.kernels td.kernel-label{white-space:nowrap}\n"
	      ".legend span.box{display:inline-block;width:1em;height:1em;vertical-align:middle;"
	      "margin-right:.3em;border:1px solid #555}\n"
	      ".legend li{list-style:none;margin:.2em 0}\n"
	      ".row{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}\n"
	      "figure{margin:0}figcaption{font-size:.85em;font-weight:bold;margin-bottom:.3em}\n"
	      ".grid td,.grid th{font-size:.75em;text-align:center;min-width:3.5em}\n"
	      ".grid td.diff{outline:3px solid #000;outline-offset:-3px}\n"
	      ".panel{border-top:1px solid #ddd;padding-top:.5em}\n"
	      "code{font-size:.85em;white-space:nowrap}\n"
	      "code.id{white-space:normal}code.id span{white-space:nowrap}\n"
	      ".noplot{width:18em}.noplot p{color:#555;font-size:.85em;margin:.3em 0}\n"
	      ".note{font-size:.85em;color:#555;max-width:40em}\n",
	      out);
	for (int o = 0; o < OUTCOME_COUNT; o++)
		fprintf(out, ".o-%s{background:%s;color:%s}\n", legend[o].outcome, legend[o].color,
			o == OUTCOME_SPIN || o == OUTCOME_OK ? "#000" : "#fff");
	fputs(".o-missing{background:#eee;color:#777}\n</style>\n</head>\n<body>\n", out);
}

static void intro(FILE *out, const struct joined *joined)
{
	fprintf(out, "<h1>splice(2) socket-&gt;pipe on %zu kernels</h1>\n", joined->nruns);
	fputs("<p class=\"note\">Each cell is one run of a small relay: data arrives on a "
	      "socket and the relay moves it into a pipe with <code>splice(2)</code> (and, in "
	      "a <em>proxy</em> cell, out of the pipe to another socket). A <em>drain</em> "
	      "cell never reads the pipe, so it shows what the kernel does once the pipe is "
	      "full. The same cell ran on every kernel below; the colour is what happened.</p>\n"
	      "<ul class=\"legend\" id=\"legend\">\n",
	      out);
	for (int o = 0; o < OUTCOME_COUNT; o++)
		fprintf(out, "<li><span class=\"box o-%s\"></span><b>%s</b>: %s</li>\n",
			legend[o].outcome, legend[o].outcome, legend[o].meaning);
	fputs("<li><span class=\"box o-missing\"></span><b>-</b>: this kernel has no such "
	      "cell</li>\n<li>A black frame marks a cell whose outcome differs between "
	      "kernels.</li>\n</ul>\n",
	      out);
	fputs("<h2>Kernels</h2>\n<table class=\"kernels\" id=\"kernels\">\n<tr><th></th>"
	      "<th>label</th><th>release</th><th>distribution</th><th>virtualisation</th>"
	      "<th>probes</th><th>cells</th></tr>\n",
	      out);
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct run *run = &joined->runs[k];
		fprintf(out, "<tr><td>%c</td><td class=\"kernel-label\">", kernel_letter(k));
		put_html(out, run->label);
		fputs("</td><td>", out);
		put_html(out, run->release);
		fputs("</td><td>", out);
		put_html(out, run->os);
		fputs("</td><td>", out);
		put_html(out, run->virt);
		fputs("</td><td>", out);
		put_html(out, run->probes_mode);
		fprintf(out, "</td><td>%zu:", run->ncells);
		for (int o = 0; o < OUTCOME_COUNT; o++)
			if (run->counts[o])
				fprintf(out, " %s %lld", outcome_names[o], run->counts[o]);
		fputs("</td></tr>\n", out);
	}
	fprintf(out, "</table>\n<p>%zu cells in all; %zu differ between kernels, %zu of them "
		     "missing on some kernel.</p>\n",
		joined->nrows, joined->ndivergent, joined->npartial);
}

/* The rest of a table's head row: a column per kernel. */
void html_kernel_heads(FILE *out, const struct joined *joined)
{
	for (size_t k = 0; k < joined->nruns; k++) {
		fprintf(out, "<th>%c: ", kernel_letter(k));
		put_html(out, joined->runs[k].label);
		fputs("</th>", out);
	}
	fputs("</tr>\n", out);
}

/* A summary that marks profile names as `code`: <code> here. */
static void put_code_html(FILE *out, const char *text)
{
	bool code = false;
	for (const char *p = text; *p; p++) {
		if (*p == '`') {
			fputs(code ? "</code>" : "<code>", out);
			code = !code;
			continue;
		}
		char one[2] = {*p, '\0'};
		put_html(out, one);
	}
	if (code)
		fputs("</code>", out);
}

/* Near the top: which real programs hang on which kernel (programs.c). */
static void programs_summary_html(FILE *out, const struct joined *joined)
{
	if (!programs_any(joined))
		return;
	fputs("<h2>Real programs on these kernels</h2>\n<p class=\"note\">Each profile cell "
	      "runs the splice parameters of a real program (<code>build/splicelab "
	      "--list-profiles</code>); from those cells alone:</p>\n<ul id=\"programs\">\n",
	      out);
	for (size_t k = 0; k < joined->nruns; k++) {
		char summary[1800];
		programs_summary(joined, k, summary, sizeof summary);
		fprintf(out, "<li>%c: <b>", kernel_letter(k));
		put_html(out, joined->runs[k].label);
		fputs("</b>: ", out);
		put_code_html(out, summary);
		programs_load_summary(joined, k, summary, sizeof summary);
		if (summary[0]) {
			fputs("<ul><li>", out);
			put_code_html(out, summary);
			fputs("</li></ul>", out);
		}
		fputs("</li>\n", out);
	}
	fputs("</ul>\n", out);
}

/* The user's own relays (--relay-cmd), by name (as the markdown report's
 * section). */
static void relays_table(FILE *out, const struct joined *joined)
{
	const char *names[64];
	size_t n = relays_ran(joined, names, sizeof names / sizeof names[0]);
	if (!n)
		return;
	fputs("<h2>Your relays (--relay-cmd)</h2>\n<p class=\"note\">Each relay is a program "
	      "of yours that the cells ran in place of splicelab&#39;s own relay, named as in "
	      "the cell ids (relay=NAME), so its cells join across kernels.</p>\n<table "
	      "id=\"relays\"><tr><th>relay (command)</th>",
	      out);
	html_kernel_heads(out, joined);
	for (size_t i = 0; i < n; i++) {
		char text[2048];
		fputs("<tr><td><b>", out);
		put_html(out, names[i]);
		fputs("</b> <code>", out);
		relay_command_text(joined, names[i], text, sizeof text);
		put_html(out, text);
		fputs("</code></td>", out);
		for (size_t k = 0; k < joined->nruns; k++) {
			relay_outcomes(joined, k, names[i], text, sizeof text);
			fputs("<td>", out);
			put_html(out, text);
			fputs("</td>", out);
		}
		fputs("</tr>\n", out);
	}
	fputs("</table>\n<ul id=\"relay-notes\">\n", out);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < joined->nruns; k++) {
			char notes[8][1024];
			size_t m = relay_notes(joined, k, names[i], notes, 8);
			for (size_t j = 0; j < m; j++) {
				fputs("<li><b>", out);
				put_html(out, names[i]);
				fputs("</b> on ", out);
				put_html(out, notes[j]);
				fputs("</li>\n", out);
			}
		}
	}
	fputs("</ul>\n", out);
}

/* A side-by-side table (as the markdown report's), when a row has one. */
static void side_table_html(FILE *out, const struct joined *joined, const struct side_table *t)
{
	bool any = false;
	for (size_t r = 0; r < joined->nrows; r++) {
		if (!t->row(joined, r))
			continue;
		if (!any) {
			fputs("<h2>", out);
			put_html(out, t->heading);
			fputs("</h2>\n<p class=\"note\">", out);
			put_code_html(out, t->note);
			fprintf(out, "</p>\n<table id=\"%s\"><tr><th>", t->id);
			put_html(out, t->first);
			fputs("</th>", out);
			html_kernel_heads(out, joined);
			any = true;
		}
		char text[1200];
		t->row_title(joined, r, text, sizeof text);
		fputs("<tr><td>", out);
		put_html(out, text);
		fputs("</td>", out);
		for (size_t k = 0; k < joined->nruns; k++) {
			t->cell_text(joined, r, k, text, sizeof text);
			fputs("<td>", out);
			put_html(out, text);
			fputs("</td>", out);
		}
		fputs("</tr>\n", out);
	}
	if (any)
		fputs("</table>\n", out);
}

/* Which regime each kernel's cells match, in a few words and counts; the
 * markdown report names the cells. */
static void regimes(FILE *out, const struct joined *joined)
{
	fputs("<h2>Where the kernel makes splice wait</h2>\n<p class=\"note\">Before 4.9 the "
	      "kernel sleeps inside <code>splice_to_pipe</code>, part-way through a call; from "
	      "4.9 it waits once, before reading, in <code>wait_for_space</code>; from 5.1 a "
	      "pipe opened with <code>O_NONBLOCK</code> makes splice return EAGAIN instead of "
	      "sleeping. Each verdict comes from what the cells showed, not from the version "
	      "number.</p>\n<ul id=\"regimes\">\n",
	      out);
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct run *run = &joined->runs[k];
		struct regime_view v;
		regime_of_run(run, &v);
		fprintf(out, "<li>%c: <b>", kernel_letter(k));
		put_html(out, run->label);
		fprintf(out, "</b>: %s. Stuck cells: %zu; asleep at entry in wait_for_space: %zu; "
			     "asleep mid-call in splice_to_pipe: %zu; EAGAIN on an O_NONBLOCK pipe "
			     "without SPLICE_F_NONBLOCK: %zu; asleep despite it: %zu.",
			regime_name(v.regime), v.stuck, v.entry, v.midcall, v.promoted,
			v.not_promoted);
		char accounting[1024];
		regime_accounting_text(&v, accounting, sizeof accounting);
		if (accounting[0]) {
			fputc(' ', out);
			put_html(out, accounting);
			fputs(" <code>", out);
			put_html(out, v.accounting_example);
			fputs("</code>", out);
		}
		fputs("</li>\n", out);
	}
	fputs("</ul>\n", out);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* Sorted distinct values, in place; returns the count. */
static size_t distinct(long long *values, size_t n)
{
	qsort(values, n, sizeof *values, cmp_ll);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (m == 0 || values[m - 1] != values[i])
			values[m++] = values[i];
	return m;
}

static size_t find_ll(const long long *values, size_t n, long long value)
{
	const long long *hit = bsearch(&value, values, n, sizeof *values, cmp_ll);
	return hit ? (size_t)(hit - values) : 0;
}

static void grid_cell(FILE *out, const struct joined *joined, long r, size_t k)
{
	const struct acell *cell = r < 0 ? NULL : join_cell(joined, (size_t)r, k);
	if (!cell) {
		fputs("<td class=\"o-missing\">-</td>", out);
		return;
	}
	char word[32];
	outcome_word(cell, word, sizeof word);
	fprintf(out, "<td class=\"o-%s%s\" title=\"", outcome_names[cell->outcome],
		joined->rows[r].divergent ? " diff" : "");
	put_html(out, cell->id);
	fprintf(out, "\">%s</td>", word);
}

/* One panel: the rows in `members` (one group), a grid per kernel. */
static void panel(FILE *out, const struct joined *joined, const char *group, const size_t *members,
		  size_t n)
{
	long long *pipes = malloc(n * sizeof *pipes), *loads = malloc(n * sizeof *loads);
	if (!pipes || !loads) {
		free(pipes);
		free(loads);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		pipes[i] = join_first(joined, members[i])->pipe_req;
		loads[i] = join_first(joined, members[i])->payload;
	}
	size_t np = distinct(pipes, n), nl = distinct(loads, n);
	long *grid = malloc(np * nl * sizeof *grid);
	if (!grid) {
		free(pipes);
		free(loads);
		return;
	}
	for (size_t i = 0; i < np * nl; i++)
		grid[i] = -1;
	for (size_t i = 0; i < n; i++) {
		const struct acell *cell = join_first(joined, members[i]);
		grid[find_ll(pipes, np, cell->pipe_req) * nl + find_ll(loads, nl, cell->payload)] =
			(long)members[i];
	}
	char title[512];
	panel_title(join_first(joined, members[0]), title, sizeof title);
	fputs("<div class=\"panel\"><h3>", out);
	put_html(out, title);
	fputs("</h3>\n<p class=\"note\">", out);
	put_id(out, group);
	fputs("</p>\n<div class=\"row\">\n", out);
	for (size_t k = 0; k < joined->nruns; k++) {
		fprintf(out, "<figure><figcaption>%c: ", kernel_letter(k));
		put_html(out, joined->runs[k].label);
		fputs("</figcaption>\n<table class=\"grid\"><tr><th>pipe \\ payload</th>", out);
		char label[24];
		for (size_t j = 0; j < nl; j++) {
			format_size((uint64_t)loads[j], label, sizeof label);
			fprintf(out, "<th>%s</th>", label);
		}
		fputs("</tr>\n", out);
		for (size_t i = 0; i < np; i++) {
			format_pipe_size((uint64_t)pipes[i], label, sizeof label);
			fprintf(out, "<tr><th>%s</th>", label);
			for (size_t j = 0; j < nl; j++)
				grid_cell(out, joined, grid[i * nl + j], k);
			fputs("</tr>\n", out);
		}
		fputs("</table></figure>\n", out);
	}
	fputs("</div></div>\n", out);
	free(grid);
	free(pipes);
	free(loads);
}

static void grids(FILE *out, const struct joined *joined)
{
	/* Rows grouped by their id without pipe and payload, groups in the
	 * order they first appear. */
	size_t n = joined->nrows;
	char **keys = calloc(n ? n : 1, sizeof *keys);
	long *group_of = malloc((n ? n : 1) * sizeof *group_of);
	size_t *first = malloc((n ? n : 1) * sizeof *first);
	struct idmap groups;
	if (!keys || !group_of || !first || idmap_init(&groups, 64) < 0) {
		free(keys);
		free(group_of);
		free(first);
		return;
	}
	size_t ngroups = 0;
	for (size_t r = 0; r < n; r++) {
		group_of[r] = -1;
		/* Profiles and the user's relays have tables of their own. */
		if (join_first(joined, r)->profile || join_first(joined, r)->relay)
			continue;
		char key[512];
		group_key(join_first(joined, r), key, sizeof key);
		keys[r] = strdup(key);
		if (!keys[r])
			continue;
		long g = idmap_put(&groups, keys[r], (long)ngroups);
		if (g == -1) {
			first[ngroups] = r;
			g = (long)ngroups++;
		}
		if (g >= 0)
			group_of[r] = g;
	}
	fputs("<h2>Outcome grids</h2>\n<p class=\"note\">One panel per combination of "
	      "scenario, transport, splice length per call (chunk), splice flags, "
	      "O_NONBLOCK on pipe (pnb), source (snb) and destination (dnb), loop style, "
	      "sender and head start; in each, pipe size down and payload across, one grid "
	      "per kernel. Panels where some cell differs between kernels come first. Hover "
	      "a cell for its id.</p>\n",
	      out);
	/* Panels with a cell that differs between kernels first (the
	 * interesting ones), then the rest; each part in first-seen order. */
	bool *differs = calloc(ngroups ? ngroups : 1, sizeof *differs);
	for (size_t r = 0; differs && r < n; r++)
		if (group_of[r] >= 0 && joined->rows[r].divergent)
			differs[group_of[r]] = true;
	size_t *members = malloc((n ? n : 1) * sizeof *members);
	for (int pass = 0; pass < 2 && members && differs; pass++) {
		for (size_t g = 0; g < ngroups; g++) {
			if (differs[g] != (pass == 0))
				continue;
			size_t m = 0;
			for (size_t r = first[g]; r < n; r++)
				if (group_of[r] == (long)g)
					members[m++] = r;
			panel(out, joined, keys[first[g]], members, m);
		}
	}
	free(differs);
	free(members);
	idmap_free(&groups);
	for (size_t r = 0; r < n; r++)
		free(keys[r]);
	free(keys);
	free(group_of);
	free(first);
}

static void profiles(FILE *out, const struct joined *joined)
{
	bool any = false;
	for (size_t r = 0; r < joined->nrows; r++) {
		const struct acell *cell = join_first(joined, r);
		if (!cell->profile)
			continue;
		if (!any) {
			fputs("<h2>Profiles (real programs' parameters)</h2>\n<table class=\"grid\">"
			      "<tr><th>profile</th><th>scenario</th><th>payload</th>",
			      out);
			html_kernel_heads(out, joined);
			any = true;
		}
		char payload[24];
		format_size((uint64_t)cell->payload, payload, sizeof payload);
		fputs("<tr><td>", out);
		put_html(out, cell->profile);
		fputs("</td><td>", out);
		put_html(out, cell->scenario);
		fprintf(out, "</td><td>%s</td>", payload);
		for (size_t k = 0; k < joined->nruns; k++)
			grid_cell(out, joined, (long)r, k);
		fputs("</tr>\n", out);
	}
	if (any)
		fputs("</table>\n", out);
}

static void plots(FILE *out, const struct joined *joined, const struct report_opts *opts)
{
	fputs("<h2>Chosen cells, call by call</h2>\n<p class=\"note\">For each chosen cell: "
	      "how full the pipe was after each <code>splice_to_pipe</code> call, in slots "
	      "(pages the pipe can hold) and in bytes, as the kernel probes saw it; and how "
	      "many bytes each socket-&gt;pipe <code>splice</code> call moved. A pipe fills "
	      "by slots: a slot may hold much less than a page of socket data.</p>\n",
	      out);
	for (size_t i = 0; i < opts->nrows; i++) {
		size_t r = opts->rows[i];
		char title[256];
		cell_title(join_first(joined, r), title, sizeof title);
		fputs("<h3 class=\"cell\">", out);
		put_html(out, title);
		fputs("</h3>\n<p class=\"note\">", out);
		put_id(out, joined->rows[r].id);
		fputs("</p>\n<p>", out);
		for (size_t k = 0; k < joined->nruns; k++) {
			char word[32];
			outcome_word(join_cell(joined, r, k), word, sizeof word);
			fprintf(out, "%s%c: %s", k ? ", " : "", kernel_letter(k), word);
		}
		fputs("</p>\n", out);
		svg_occupancy(out, joined, r);
		svg_per_call(out, joined, r);
	}
}

int html_report(FILE *out, const struct joined *joined, const struct report_opts *opts)
{
	head(out, joined);
	intro(out, joined);
	programs_summary_html(out, joined);
	relays_table(out, joined);
	side_table_html(out, joined, &load_side_table);
	side_table_html(out, joined, &vmsplice_side_table);
	throughput_html(out, joined);
	regimes(out, joined);
	plots(out, joined, opts);
	grids(out, joined);
	profiles(out, joined);
	fputs("</body>\n</html>\n", out);
	return ferror(out) ? -1 : 0;
}
