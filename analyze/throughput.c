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

static void throughput_cell_html(FILE *out, const struct joined *joined, size_t r)
{
	json_t *full[ANALYZE_MAX_RUNS] = {0};
	const json_t *methods[ANALYZE_MAX_RUNS] = {0};
	const struct acell *first = join_first(joined, r);
	char pipe[24], transfer[24], payload[24];
	format_pipe_size((uint64_t)first->pipe_req, pipe, sizeof pipe);
	format_size((uint64_t)first->chunk, transfer, sizeof transfer);
	format_size((uint64_t)first->payload, payload, sizeof payload);
	fputs("<h3 class=\"cell\">throughput over ", out);
	put_html(out, first->transport);
	fprintf(out, ": pipe %s, transfers of %s, payload %s</h3>\n<p>", pipe, transfer, payload);
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct acell *cell = join_cell(joined, r, k);
		char word[32];
		outcome_word(cell, word, sizeof word);
		fprintf(out, "%s%c: %s", k ? ", " : "", kernel_letter(k), word);
		full[k] = cell ? acell_json(&joined->runs[k], cell) : NULL;
		methods[k] = json_object_get(json_object_get(full[k], "throughput"), "methods");
	}
	/* The methods as the first kernel that has them names them. */
	const json_t *names = NULL;
	for (size_t k = 0; k < joined->nruns && !names; k++)
		names = json_array_size(methods[k]) ? methods[k] : NULL;
	fputs("</p>\n<div class=\"row throughput\">\n", out);
	for (size_t p = 0; p < sizeof throughput_plots / sizeof throughput_plots[0]; p++)
		svg_throughput(out, joined, names, methods, throughput_plots[p].metric,
			       throughput_plots[p].title);
	fputs("</div>\n", out);
	figures_table(out, joined, names, methods);
	for (size_t k = 0; k < joined->nruns; k++)
		json_decref(full[k]);
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
