/* The throughput cells in the HTML report: for each, plots of the
 * methods' ratios to read/write across kernels (the figures that compare
 * when the kernels ran under emulation), then every kernel's own figures. */
#include "analyze.h"

#include <string.h>

static const struct {
	const char *metric, *title;
} throughput_plots[] = {
	{"cpu", "CPU of the relay thread per MiB, % of read/write"},
	{"syscalls", "syscalls per MiB, % of read/write"},
	{"speed", "MiB/s, % of read/write"},
};

static bool throughput_row(const struct joined *joined, size_t r)
{
	return strcmp(join_first(joined, r)->scenario, "throughput") == 0;
}

const json_t *throughput_method(const json_t *methods, const char *name)
{
	size_t i;
	const json_t *m;
	json_array_foreach(methods, i, m)
	{
		const char *this = json_string_value(json_object_get(m, "method"));
		if (this && strcmp(this, name) == 0)
			return m;
	}
	return NULL;
}

/* "537.5 MiB/s, 36.00 calls, 0.200 ms CPU per MiB; 16 pipes" for one
 * method on one kernel, "-" where it has none. */
static void method_figures(FILE *out, const json_t *methods, const char *name)
{
	const json_t *m = throughput_method(methods, name);
	if (!m) {
		fputs("<td>-</td>", out);
		return;
	}
	long long pipes = (long long)json_integer_value(json_object_get(m, "pipes_created"));
	fprintf(out, "<td>%.1f MiB/s, %.2f calls, %.3f ms CPU per MiB; %lld pipe%s</td>",
		json_number_value(json_object_get(m, "mib_per_s")),
		json_number_value(json_object_get(m, "syscalls_per_mib")),
		json_number_value(json_object_get(m, "cpu_ms_per_mib")), pipes, pipes == 1 ? "" : "s");
}

static void figures_table(FILE *out, const struct joined *joined, const json_t *names,
			  const json_t *const *methods)
{
	fputs("<table class=\"grid\"><tr><th>method</th>", out);
	html_kernel_heads(out, joined);
	size_t i;
	const json_t *m;
	json_array_foreach(names, i, m)
	{
		const char *name = json_string_value(json_object_get(m, "method"));
		if (!name)
			continue;
		fputs("<tr><td>", out);
		put_html(out, name);
		fputs("</td>", out);
		for (size_t k = 0; k < joined->nruns; k++)
			method_figures(out, methods[k], name);
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
}

/* One throughput row of every kernel, read again from the files. */
struct tp_row {
	json_t *full[ANALYZE_MAX_RUNS];		 /* each kernel's cell, NULL where absent */
	const json_t *methods[ANALYZE_MAX_RUNS]; /* its throughput.methods */
	const json_t *names; /* the methods as the first kernel that has them names them */
	char title[160];     /* "throughput over tcp4: pipe 64K, transfers of 64K, payload 16M" */
	char outcomes[ANALYZE_MAX_RUNS * 16]; /* "A: ok, B: ok" */
};

static void tp_row_load(const struct joined *joined, size_t r, struct tp_row *row)
{
	memset(row, 0, sizeof *row);
	const struct acell *first = join_first(joined, r);
	char pipe[24], transfer[24], payload[24];
	format_pipe_size((uint64_t)first->pipe_req, pipe, sizeof pipe);
	format_size((uint64_t)first->chunk, transfer, sizeof transfer);
	format_size((uint64_t)first->payload, payload, sizeof payload);
	snprintf(row->title, sizeof row->title,
		 "throughput over %s: pipe %s, transfers of %s, payload %s", first->transport, pipe,
		 transfer, payload);
	size_t used = 0;
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct acell *cell = join_cell(joined, r, k);
		char word[32];
		outcome_word(cell, word, sizeof word);
		appendf(row->outcomes, sizeof row->outcomes, &used, "%s%c: %s", k ? ", " : "",
			kernel_letter(k), word);
		row->full[k] = cell ? acell_json(&joined->runs[k], cell) : NULL;
		row->methods[k] = json_object_get(json_object_get(row->full[k], "throughput"),
						  "methods");
		if (!row->names && json_array_size(row->methods[k]))
			row->names = row->methods[k];
	}
}

static void tp_row_free(const struct joined *joined, struct tp_row *row)
{
	for (size_t k = 0; k < joined->nruns; k++)
		json_decref(row->full[k]);
}

static void throughput_cell_html(FILE *out, const struct joined *joined, size_t r)
{
	struct tp_row row;
	tp_row_load(joined, r, &row);
	fputs("<h3 class=\"cell\">", out);
	put_html(out, row.title);
	fputs("</h3>\n<p>", out);
	put_html(out, row.outcomes);
	fputs("</p>\n<div class=\"row throughput\">\n", out);
	for (size_t p = 0; p < sizeof throughput_plots / sizeof throughput_plots[0]; p++)
		svg_throughput(out, joined, row.names, row.methods, throughput_plots[p].metric,
			       throughput_plots[p].title);
	fputs("</div>\n", out);
	figures_table(out, joined, row.names, row.methods);
	tp_row_free(joined, &row);
}

void throughput_html(FILE *out, const struct joined *joined)
{
	bool any = false;
	for (size_t r = 0; r < joined->nrows; r++) {
		if (!throughput_row(joined, r))
			continue;
		if (!any)
			fputs("<h2>Throughput: splice, read/write and sendfile</h2>\n<p class=\"note\">"
			      "Each throughput cell moved the same payload once by each method: a "
			      "splice relay with a fresh pipe per transfer (<code>splice-fresh</code>) "
			      "or one pooled pipe (<code>splice-pool</code>), read/write through a "
			      "user buffer, and from a file read/write, <code>sendfile</code> and "
			      "splice; the sink checked every byte. Bars are each method's figure as "
			      "a percentage of its read/write baseline (<code>rw-64K</code> for the "
			      "socket methods, <code>file-rw-64K</code> for the file ones; the dashed "
			      "line is 100%): under qemu's TCG the absolute MiB/s and CPU say more "
			      "about the emulation than the kernel, the ratios and the counts "
			      "(syscalls, pipes created) compare across kernels.</p>\n",
			      out);
		any = true;
		throughput_cell_html(out, joined, r);
	}
}

/* "CPU ×0.59, calls ×1.34, MiB/s ×1.71; 1 pipe" of one method on one
 * kernel, "-" where it has none or no ratio. */
static void ratios_text(const json_t *methods, const char *name, char *buf, size_t len)
{
	const json_t *m = throughput_method(methods, name);
	const json_t *vs = json_object_get(m, "vs_read_write");
	const json_t *cpu = json_object_get(vs, "cpu"), *calls = json_object_get(vs, "syscalls"),
		     *speed = json_object_get(vs, "speed");
	if (!json_is_number(cpu) || !json_is_number(calls) || !json_is_number(speed)) {
		snprintf(buf, len, "-");
		return;
	}
	long long pipes = (long long)json_integer_value(json_object_get(m, "pipes_created"));
	snprintf(buf, len, "CPU ×%.2f, calls ×%.2f, MiB/s ×%.2f; %lld pipe%s",
		 json_number_value(cpu), json_number_value(calls), json_number_value(speed), pipes,
		 pipes == 1 ? "" : "s");
}

void throughput_markdown(FILE *out, const struct joined *joined)
{
	bool any = false;
	for (size_t r = 0; r < joined->nrows; r++) {
		if (!throughput_row(joined, r))
			continue;
		if (!any) {
			fputs("## Throughput (ratios to read/write)\n\n", out);
			wrap(out, "", "",
			     "Each throughput cell moved the same payload once by each method "
			     "(splice with a fresh pipe per transfer or a pooled one, read/write "
			     "through a user buffer, from a file read/write, sendfile and splice), "
			     "every byte checked. Per kernel: the method's CPU per MiB, syscalls "
			     "per MiB and MiB/s as multiples of its read/write baseline (rw-64K, "
			     "file-rw-64K for the file methods) and the pipes it created. Under "
			     "qemu's TCG absolute rates are the emulator's: compare these ratios "
			     "and counts.",
			     80);
			fputc('\n', out);
			any = true;
		}
		struct tp_row row;
		tp_row_load(joined, r, &row);
		fprintf(out, "### %s\n\n", row.title);
		wrap(out, "", "", row.outcomes, 80);
		fputc('\n', out);
		md_table_head(out, joined, "method");
		size_t i;
		const json_t *m;
		json_array_foreach(row.names, i, m)
		{
			const char *name = json_string_value(json_object_get(m, "method"));
			if (!name)
				continue;
			fputc('|', out);
			md_cell(out, name);
			for (size_t k = 0; k < joined->nruns; k++) {
				char text[160];
				ratios_text(row.methods[k], name, text, sizeof text);
				md_cell(out, text);
			}
			fputc('\n', out);
		}
		fputc('\n', out);
		tp_row_free(joined, &row);
	}
}
