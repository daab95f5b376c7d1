/* The evidence report: markdown that reads the same pasted into a GitHub
 * issue or a plain-text mail (prose wrapped at 80 columns; only tables and
 * code blocks are wider). */
#include "analyze.h"

#include <string.h>

#define MAX_TIMELINE_ROWS 8
#define MAX_DIFF_ROWS 30

/* Text for a table cell: '|' escaped, newlines and other control
 * characters flattened (a cell is one line, whatever the file held). */
void md_cell(FILE *out, const char *text)
{
	fputc(' ', out);
	for (const char *p = text; *p; p++) {
		if (*p == '|')
			fputs("\\|", out);
		else
			fputc((unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p, out);
	}
	fputs(" |", out);
}

void md_table_head(FILE *out, const struct joined *joined, const char *first)
{
	fprintf(out, "| %s |", first);
	for (size_t k = 0; k < joined->nruns; k++) {
		char head[300];
		snprintf(head, sizeof head, "%c: %s", kernel_letter(k), joined->runs[k].label);
		md_cell(out, head);
	}
	fputs("\n|---|", out);
	for (size_t k = 0; k < joined->nruns; k++)
		fputs("---|", out);
	fputc('\n', out);
}

static const char *env_text(const struct run *run, const char *key, char *buf, size_t len)
{
	const json_t *value = json_object_get(json_object_get(run->head, "env"), key);
	if (json_is_string(value))
		snprintf(buf, len, "%s", json_string_value(value));
	else if (json_is_integer(value))
		snprintf(buf, len, "%lld", (long long)json_integer_value(value));
	else if (json_is_boolean(value))
		snprintf(buf, len, "%s", json_is_true(value) ? "yes" : "no");
	else
		snprintf(buf, len, "-");
	return buf;
}

/* What a row of a per-kernel table holds in kernel k's column. */
typedef void kernel_column(const struct joined *joined, size_t k, const void *what, char *buf,
			   size_t len);

/* A table row: its title, then each kernel's column. */
static void md_row(FILE *out, const struct joined *joined, const char *title,
		   kernel_column *column, const void *what)
{
	fputc('|', out);
	md_cell(out, title);
	for (size_t k = 0; k < joined->nruns; k++) {
		char text[2048];
		column(joined, k, what, text, sizeof text);
		md_cell(out, text);
	}
	fputc('\n', out);
}

static void program_column(const struct joined *joined, size_t k, const void *what, char *buf,
			   size_t len)
{
	programs_cell(joined, k, *(const size_t *)what, buf, len);
}

static void relay_column(const struct joined *joined, size_t k, const void *what, char *buf,
			 size_t len)
{
	relay_outcomes(joined, k, what, buf, len);
}

/* Near the top: which real programs hang on which kernel. */
static void programs_section(FILE *out, const struct joined *joined)
{
	fputs("## Real programs on these kernels\n\n", out);
	if (!programs_any(joined)) {
		wrap(out, "", "",
		     "No profile cell ran on any of these kernels, so nothing here says how a "
		     "real program fares (`build/splicelab -P NAME`; the default matrix has "
		     "them).",
		     80);
		fputc('\n', out);
		return;
	}
	wrap(out, "", "",
	     "Each profile cell runs the splice parameters of a real program (`build/splicelab "
	     "--list-profiles`; the sources in splicelab's docs/kernel-history.md). From those "
	     "cells alone:",
	     80);
	fputc('\n', out);
	char line[2048];
	for (size_t k = 0; k < joined->nruns; k++) {
		char summary[1800];
		programs_summary(joined, k, summary, sizeof summary);
		snprintf(line, sizeof line, "**%c: %s**: %s", kernel_letter(k), joined->runs[k].label,
			 summary);
		wrap(out, "- ", "  ", line, 80);
		programs_load_summary(joined, k, summary, sizeof summary);
		if (summary[0])
			wrap(out, "  - ", "    ", summary, 80);
	}
	fputc('\n', out);
	md_table_head(out, joined, "profile (program)");
	size_t which[64];
	size_t n = programs_ran(joined, which, sizeof which / sizeof which[0]);
	for (size_t i = 0; i < n; i++) {
		char title[256];
		snprintf(title, sizeof title, "%s (%s)", program_name(which[i]), program_text(which[i]));
		md_row(out, joined, title, program_column, &which[i]);
	}
	fputc('\n', out);
}

/* The user's own relays (--relay-cmd), by name: their outcomes per
 * kernel, and the kernel's view of each cell that is not ok. */
static void relays_section(FILE *out, const struct joined *joined)
{
	const char *names[64];
	size_t n = relays_ran(joined, names, sizeof names / sizeof names[0]);
	if (!n)
		return;
	fputs("## Your relays (--relay-cmd)\n\n", out);
	wrap(out, "", "",
	     "Each relay is a program of yours that the cells ran in place of splicelab's "
	     "own relay, named as in the cell ids (`relay=NAME`), so its cells join across "
	     "kernels.",
	     80);
	fputc('\n', out);
	md_table_head(out, joined, "relay (command)");
	for (size_t i = 0; i < n; i++) {
		char title[2048], command[1600];
		relay_command_text(joined, names[i], command, sizeof command);
		snprintf(title, sizeof title, "%s (`%s`)", names[i], command);
		md_row(out, joined, title, relay_column, names[i]);
	}
	fputc('\n', out);
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < joined->nruns; k++) {
			char notes[8][1024], line[1200];
			size_t m = relay_notes(joined, k, names[i], notes, 8);
			for (size_t j = 0; j < m; j++) {
				snprintf(line, sizeof line, "**%s** on %s", names[i], notes[j]);
				wrap(out, "- ", "  ", line, 80);
				any = true;
			}
		}
	}
	if (any)
		fputc('\n', out);
}

/* A side-by-side table (load cells, vmsplice cells), when a row has one. */
static void side_section(FILE *out, const struct joined *joined, const struct side_table *t)
{
	bool any = false;
	for (size_t r = 0; r < joined->nrows; r++) {
		if (!t->row(joined, r))
			continue;
		if (!any) {
			fprintf(out, "## %s\n\n", t->heading);
			wrap(out, "", "", t->note, 80);
			fputc('\n', out);
			md_table_head(out, joined, t->first);
			any = true;
		}
		char text[1200];
		t->row_title(joined, r, text, sizeof text);
		fputc('|', out);
		md_cell(out, text);
		for (size_t k = 0; k < joined->nruns; k++) {
			t->cell_text(joined, r, k, text, sizeof text);
			md_cell(out, text);
		}
		fputc('\n', out);
	}
	if (any)
		fputc('\n', out);
}

static void kernels_section(FILE *out, const struct joined *joined)
{
	static const struct {
		const char *title, *key;
	} rows[] = {
		{"kernel release", "kernel_release"},
		{"kernel version", "kernel_version"},
		{"distribution", "os"},
		{"virtualisation", "virt"},
		{"machine", "machine"},
		{"CPUs", "nproc"},
		{"page size", "page_size"},
		{"pipe-max-size", "pipe_max_size"},
		{"pipe-user-pages-soft", "pipe_user_pages_soft"},
		{"uid", "uid"},
		{"kernel stacks readable", "proc_stack_readable"},
	};
	char buf[256];
	fputs("## Kernels\n\n", out);
	md_table_head(out, joined, "");
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		fprintf(out, "| %s |", rows[i].title);
		for (size_t k = 0; k < joined->nruns; k++)
			md_cell(out, env_text(&joined->runs[k], rows[i].key, buf, sizeof buf));
		fputc('\n', out);
	}
	fputs("| probes |", out);
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct run *run = &joined->runs[k];
		snprintf(buf, sizeof buf, "%s (%s)", run->probes_mode,
			 run->probes_reason ? run->probes_reason : "no reason given");
		md_cell(out, buf);
	}
	fputs("\n| events.jsonl |", out);
	for (size_t k = 0; k < joined->nruns; k++)
		md_cell(out, joined->runs[k].events_path ? "yes" : "no");
	fputs("\n| cells |", out);
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct run *run = &joined->runs[k];
		size_t used = 0;
		appendf(buf, sizeof buf, &used, "%zu:", run->ncells);
		for (int o = 0; o < OUTCOME_COUNT; o++)
			if (run->counts[o])
				appendf(buf, sizeof buf, &used, " %s %lld", outcome_names[o],
					run->counts[o]);
		md_cell(out, buf);
	}
	fputs("\n\n", out);
}

static void differences_section(FILE *out, const struct joined *joined)
{
	char line[512];
	fputs("## What differs\n\n", out);
	snprintf(line, sizeof line,
		 "%zu cell ids in all; %zu have different outcomes on different kernels, %zu "
		 "of them are missing on some kernel.",
		 joined->nrows, joined->ndivergent, joined->npartial);
	wrap(out, "", "", line, 80);
	fputc('\n', out);
	if (joined->ndivergent == 0) {
		wrap(out, "", "",
		     "Every cell has the same outcome on every kernel. The cells below were "
		     "chosen as examples of each kind of stuck cell.",
		     80);
		fputc('\n', out);
		return;
	}
	md_table_head(out, joined, "cell");
	size_t shown = 0;
	for (size_t r = 0; r < joined->nrows && shown < MAX_DIFF_ROWS; r++) {
		if (!joined->rows[r].divergent)
			continue;
		shown++;
		fputc('|', out);
		md_cell(out, joined->rows[r].id);
		for (size_t k = 0; k < joined->nruns; k++) {
			char word[32];
			const struct acell *cell = join_cell(joined, r, k);
			outcome_word(cell, word, sizeof word);
			md_cell(out, cell ? word : "missing");
		}
		fputc('\n', out);
	}
	if (joined->ndivergent > shown)
		fprintf(out, "\n%zu more in the CSV (`--csv`).\n", joined->ndivergent - shown);
	fputc('\n', out);
}

static void regimes_section(FILE *out, const struct joined *joined)
{
	fputs("## Which regime the evidence matches\n\n", out);
	wrap(out, "", "",
	     "Regimes of a socket->pipe splice (splicelab's docs/kernel-history.md, with "
	     "the commits): "
	     "before 4.9 splice_to_pipe sleeps in pipe_wait part-way through a call; "
	     "from 4.9 (8924feff66f3) do_splice waits once, at entry, in wait_for_space; "
	     "from 5.1 (ee5e001196d1) an O_NONBLOCK pipe counts as SPLICE_F_NONBLOCK. "
	     "Each verdict below names the cells it rests on.",
	     80);
	fputc('\n', out);
	for (size_t k = 0; k < joined->nruns; k++) {
		struct regime_view view;
		regime_of_run(&joined->runs[k], &view);
		regime_markdown(out, &joined->runs[k], &view);
	}
}

typedef void (*cell_field)(const struct run *run, const struct acell *cell, const json_t *full,
			   char *buf, size_t len);

static void f_outcome(const struct run *run, const struct acell *cell, const json_t *full, char *buf,
		 size_t len)
{
	(void)run;
	(void)full;
	outcome_word(cell, buf, len);
}

static void f_moved(const struct run *run, const struct acell *cell, const json_t *full, char *buf,
		 size_t len)
{
	(void)run;
	long long sent = json_integer_value(json_object_get(full, "bytes_sent"));
	/* The user's relay moves the bytes: the sink counts what arrived. */
	if (cell->relay)
		snprintf(buf, len, "%lld of %lld (verified at the sink)",
			 (long long)json_integer_value(json_object_get(full, "bytes_verified")), sent);
	else
		snprintf(buf, len, "%lld of %lld", cell->bytes_moved, sent);
}

static void f_calls(const struct run *run, const struct acell *cell, const json_t *full, char *buf,
		 size_t len)
{
	(void)run;
	(void)full;
	if (cell->relay)
		snprintf(buf, len, "- (the relay's own calls are not counted)");
	else
		snprintf(buf, len, "%lld (%lld EAGAIN)", cell->splice_calls, cell->eagain);
}

static void f_detected(const struct run *run, const struct acell *cell, const json_t *full, char *buf,
		 size_t len)
{
	(void)run;
	(void)full;
	char ms[32];
	ms_text(cell->detected_ms, ms, sizeof ms);
	snprintf(buf, len, "%s", ms);
}

static const char *str_or(const json_t *value, const char *fallback)
{
	const char *text = json_string_value(value);
	return text ? text : fallback;
}

static const json_t *evidence_of(const json_t *full, const char *key)
{
	return json_object_get(json_object_get(full, "evidence"), key);
}

static void f_thread(const struct run *run, const struct acell *cell, const json_t *full, char *buf,
		 size_t len)
{
	(void)run;
	(void)cell;
	const json_t *thread = evidence_of(full, "thread");
	if (!thread) {
		snprintf(buf, len, "-");
		return;
	}
	const char *wchan = json_string_value(json_object_get(thread, "wchan"));
	snprintf(buf, len, "state %s, syscall %s, wchan %s",
		 str_or(json_object_get(thread, "state"), "?"),
		 str_or(json_object_get(thread, "syscall"), "?"),
		 wchan && *wchan ? wchan : "-");
}

static void f_stack(const struct run *run, const struct acell *cell, const json_t *full, char *buf,
		 size_t len)
{
	(void)run;
	(void)cell;
	const json_t *thread = evidence_of(full, "thread");
	const json_t *stack = json_object_get(thread, "stack");
	const char *note = json_string_value(json_object_get(thread, "stack_note"));
	if (json_array_size(stack) == 0) {
		snprintf(buf, len, "%s", note ? note : "-");
		return;
	}
	/* The first five of the kernel's own frames: fentry's trampolines and
	 * the traced function they repeat are the probes', not the path. */
	size_t used = 0, shown = 0;
	char name[128], last[128] = "";
	for (size_t i = 0; i < json_array_size(stack) && shown < 5; i++) {
		frame_name(json_string_value(json_array_get(stack, i)), name, sizeof name);
		if (probe_frame(name) || strcmp(name, last) == 0)
			continue;
		appendf(buf, len, &used, "%s%s", shown++ ? " < " : "", name);
		snprintf(last, sizeof last, "%s", name);
	}
}

static void int_evidence(const json_t *full, const char *key, char *buf, size_t len)
{
	const json_t *value = evidence_of(full, key);
	if (json_is_integer(value))
		snprintf(buf, len, "%lld", (long long)json_integer_value(value));
	else
		snprintf(buf, len, "-");
}

static void f_rcv_queue(const struct run *run, const struct acell *cell, const json_t *full, char *buf,
		 size_t len)
{
	(void)run;
	(void)cell;
	int_evidence(full, "src_rcv_queue", buf, len);
}

static void f_pipe_bytes(const struct run *run, const struct acell *cell, const json_t *full, char *buf,
		 size_t len)
{
	(void)run;
	(void)cell;
	int_evidence(full, "pipe_bytes", buf, len);
}

static void f_pipe_size(const struct run *run, const struct acell *cell, const json_t *full,
			char *buf, size_t len)
{
	const char *refused = json_string_value(json_object_get(full, "pipe_size_error"));
	long long page = json_integer_value(json_object_get(json_object_get(run->head, "env"),
							    "page_size"));
	size_t used = 0;
	buf[0] = '\0';
	appendf(buf, len, &used, "%lld", cell->pipe_size);
	if (page > 0 && cell->pipe_size > 0 && cell->pipe_size % page == 0)
		appendf(buf, len, &used, " (%lld slots of %lld)", cell->pipe_size / page, page);
	if (refused)
		appendf(buf, len, &used, ", F_SETPIPE_SZ refused: %s", refused);
}

static void f_first_calls(const struct run *run, const struct acell *cell, const json_t *full, char *buf,
		 size_t len)
{
	(void)run;
	(void)cell;
	const json_t *first = json_object_get(json_object_get(full, "trace"), "first");
	size_t used = 0, i;
	const json_t *call;
	snprintf(buf, len, "-");
	json_array_foreach(first, i, call)
	{
		if (i == 8)
			break;
		const char *error = json_string_value(json_object_get(call, "errno"));
		if (error)
			appendf(buf, len, &used, "%s%s", i ? ", " : "", error);
		else
			appendf(buf, len, &used, "%s%lld", i ? ", " : "",
				(long long)json_integer_value(json_object_get(call, "ret")));
	}
	if (json_array_size(first) > 8)
		appendf(buf, len, &used, ", ...");
}

static void f_per_call(const struct run *run, const struct acell *cell, const json_t *full,
		       char *buf, size_t len)
{
	(void)run;
	const json_t *list = json_object_get(full, "per_call_bytes");
	size_t used = 0, i;
	const json_t *value;
	snprintf(buf, len, "-");
	json_array_foreach(list, i, value)
	{
		if (i == 12)
			break;
		appendf(buf, len, &used, "%s%lld", i ? ", " : "", (long long)json_integer_value(value));
	}
	if (cell->ncalls > 12)
		appendf(buf, len, &used, ", ... (12 of %lld shown%s)", cell->ncalls,
			cell->ncalls == 64 ? "; the runner keeps the first 64 calls" : "");
}

static void f_kernel(const struct run *run, const struct acell *cell, const json_t *full,
		     char *buf, size_t len)
{
	(void)run;
	(void)cell;
	const json_t *kernel = json_object_get(full, "kernel");
	if (!kernel) {
		snprintf(buf, len, "-");
		return;
	}
	long long total = (long long)json_integer_value(json_object_get(kernel, "slots_total"));
	size_t used = 0;
	buf[0] = '\0';
	appendf(buf, len, &used, "%lld events; at most %lld of the pipe's %lld slots in use; at most "
				 "%lld bytes in it",
		(long long)json_integer_value(json_object_get(kernel, "events")),
		(long long)json_integer_value(json_object_get(kernel, "max_slots_used")), total,
		(long long)json_integer_value(json_object_get(kernel, "max_bytes_in_pipe")));
	/* The probes add the lengths of at most 64 slots: past that the bytes
	 * are unknown, so the maximum covers only the moments with fewer. */
	if (total > 64)
		appendf(buf, len, &used, ", counted only while at most 64 slots were in use (the "
					 "probes add up at most 64 slots)");
}

static void f_note(const struct run *run, const struct acell *cell, const json_t *full, char *buf,
		 size_t len)
{
	(void)run;
	(void)cell;
	snprintf(buf, len, "%s", str_or(evidence_of(full, "note"), "-"));
}

static void f_reading(const struct run *run, const struct acell *cell, const json_t *full, char *buf,
		 size_t len)
{
	(void)run;
	(void)full;
	regime_cell_text(cell, buf, len);
}

static const struct {
	const char *title;
	cell_field get;
} cell_fields[] = {
	{"outcome", f_outcome},
	{"bytes moved (of sent)", f_moved},
	{"splice calls", f_calls},
	{"detected after", f_detected},
	{"relay thread", f_thread},
	{"kernel stack (innermost first)", f_stack},
	{"source receive queue (SIOCINQ, bytes, at the verdict)", f_rcv_queue},
	{"bytes in the pipe (FIONREAD, at the verdict)", f_pipe_bytes},
	{"pipe size (F_GETPIPE_SZ: bytes, slots of a page)", f_pipe_size},
	{"first splice calls returned, in order", f_first_calls},
	{"bytes moved by each socket->pipe call", f_per_call},
	{"kernel probes", f_kernel},
	{"the runner's note", f_note},
	{"what it says about the regime", f_reading},
};

static void timeline_table(FILE *out, const struct run *run, const struct acell *cell,
			   size_t k)
{
	struct timeline tl;
	timeline_get(run, cell, &tl);
	char line[768];
	if (!tl.n) {
		snprintf(line, sizeof line, "%c (%s): no probe timeline (probes: %s).",
			 kernel_letter(k), run->label, run->probes_mode);
		wrap(out, "", "", line, 80);
		fputc('\n', out);
		return;
	}
	size_t used = 0;
	appendf(line, sizeof line, &used,
		"%c (%s): %zu splice_to_pipe calls, from %s: the slots and bytes in the pipe "
		"before and after each call",
		kernel_letter(k), run->label, tl.n, tl.from);
	if (tl.calls > (long long)tl.n && strcmp(tl.from, "kernel.timeline") == 0)
		appendf(line, sizeof line, &used,
			" (the first %zu of the %lld the probes counted: the matrix keeps 64; "
			"events.jsonl, when kept beside it, has every call)",
			tl.n, tl.calls);
	bool unread = false;
	for (size_t i = 0; i < tl.n; i++)
		unread |= tl.points[i].slots_after < 0 || tl.points[i].bytes_before < 0 ||
			  tl.points[i].bytes_after < 0 || tl.points[i].slots_before < 0;
	appendf(line, sizeof line, &used, "%s.",
		tl.n > MAX_TIMELINE_ROWS + 1 ? "; the first and the last calls" : "");
	if (unread)
		appendf(line, sizeof line, &used,
			" A `-` is a value the probes could not read: the bytes while more than 64 "
			"slots were in use (they add up at most 64 slots), and the \"after\" "
			"values of a call that never returned.");
	wrap(out, "", "", line, 80);
	fputs("\n| call | slots before | slots after | slots total | bytes before | "
	      "bytes after | returned |\n|---|---|---|---|---|---|---|\n",
	      out);
	for (size_t i = 0; i < tl.n; i++) {
		const struct tl_point *p = &tl.points[i];
		/* A short table: the first calls and the last ones, where the pipe
		 * fills up. */
		if (tl.n > MAX_TIMELINE_ROWS + 1 && i == MAX_TIMELINE_ROWS / 2) {
			fputs("| ... | | | | | | |\n", out);
			i = tl.n - (MAX_TIMELINE_ROWS - MAX_TIMELINE_ROWS / 2) - 1;
			continue;
		}
		const long long values[] = {p->slots_before, p->slots_after, p->slots_total,
					    p->bytes_before, p->bytes_after};
		fprintf(out, "| %lld |", p->number);
		for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
			if (values[v] < 0)
				fputs(" - |", out);
			else
				fprintf(out, " %lld |", values[v]);
		}
		if (p->returned)
			fprintf(out, " %lld |\n", p->ret);
		else
			fputs(" never (asleep) |\n", out);
	}
	fputc('\n', out);
	timeline_free(&tl);
}

/* The MATRIX of make lab that runs cell again, as one shell word, and for
 * a relay of the user's that the guest had in /bin, " LAB_ADD=NAME" (the
 * file of that name is the user's to give). */
static void lab_matrix(const struct acell *cell, char *matrix, size_t len, char *add,
		       size_t add_len)
{
	char command[1024];
	reproduce_command(cell, command, sizeof command);
	const char *options = command + strlen("build/splicelab ");
	/* Double quotes keep the options one word; anything they would not
	 * protect is single-quoted instead. */
	if (strpbrk(options, "\"$`\\!"))
		sh_word(options, matrix, len);
	else
		snprintf(matrix, len, "\"%s\"", options);
	if (cell->relay && strncmp(cell->relay_cmd, "/bin/", 5) == 0) {
		char program[256];
		snprintf(program, sizeof program, "%.*s", (int)strcspn(cell->relay_cmd + 5, " "),
			 cell->relay_cmd + 5);
		char word[300];
		sh_word(program, word, sizeof word);
		snprintf(add, add_len, " LAB_ADD=%s", word);
	}
}

/* The same cell on the kernels that ran under the lab's qemu. A kernel
 * given as a file is named by its file name alone: the path was the
 * machine's that made the results, and means nothing to a reader. */
static void lab_commands(FILE *out, const struct joined *joined, size_t r)
{
	bool any = false, files = false;
	for (size_t k = 0; k < joined->nruns; k++) {
		const char *spec = joined->runs[k].lab_spec;
		bool seen = false;
		for (size_t j = 0; j < k && spec; j++)
			seen |= joined->runs[j].lab_spec && strcmp(joined->runs[j].lab_spec, spec) == 0;
		if (!spec || seen)
			continue;
		if (!any)
			fputs("On the kernels the lab booted under qemu (their provenance.json "
			      "names them):\n\n```sh\n",
			      out);
		any = true;
		const char *base = strrchr(spec, '/');
		files |= base != NULL;
		char word[512], matrix[1536], add[512] = "";
		sh_word(base ? base + 1 : spec, word, sizeof word);
		lab_matrix(join_cell(joined, r, k) ? join_cell(joined, r, k) : join_first(joined, r),
			   matrix, sizeof matrix, add, sizeof add);
		fprintf(out, "make lab KERNELS=%s%s MATRIX=%s\n", word, add, matrix);
	}
	if (any)
		fputs("```\n\n", out);
	if (files) {
		wrap(out, "", "",
		     "A kernel that was given as a file is named by its file name: give the "
		     "path of your copy.",
		     80);
		fputc('\n', out);
	}
}

static void cell_section(FILE *out, const struct joined *joined, size_t r, size_t number)
{
	const struct acell *any = join_first(joined, r);
	if (!any)
		return;
	char title[256], command[512], line[512];
	cell_title(any, title, sizeof title);
	fprintf(out, "### %zu. %s\n\n```\n%s\n```\n\n", number, title, any->id);

	const char *same = joined->rows[r].divergent ? NULL : outcome_names[any->outcome];
	if (same) {
		snprintf(line, sizeof line, "The same outcome on every kernel: %s.", same);
	} else {
		size_t used = 0;
		appendf(line, sizeof line, &used, "Outcomes differ:");
		for (size_t k = 0; k < joined->nruns; k++) {
			const struct acell *cell = join_cell(joined, r, k);
			appendf(line, sizeof line, &used, "%s %c %s", k ? "," : "", kernel_letter(k),
				cell ? outcome_names[cell->outcome] : "(missing)");
		}
		appendf(line, sizeof line, &used, ".");
	}
	wrap(out, "", "", line, 80);
	reproduce_command(any, command, sizeof command);
	fprintf(out, "\nTo reproduce it on a kernel (as root, for the kernel stack):\n\n"
		     "```sh\n%s\n```\n\n",
		command);
	lab_commands(out, joined, r);

	json_t *full[ANALYZE_MAX_RUNS];
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct acell *cell = join_cell(joined, r, k);
		full[k] = cell ? acell_json(&joined->runs[k], cell) : NULL;
	}
	md_table_head(out, joined, "");
	for (size_t f = 0; f < sizeof cell_fields / sizeof cell_fields[0]; f++) {
		fprintf(out, "| %s |", cell_fields[f].title);
		for (size_t k = 0; k < joined->nruns; k++) {
			const struct acell *cell = join_cell(joined, r, k);
			char value[1024];
			if (cell)
				cell_fields[f].get(&joined->runs[k], cell, full[k], value, sizeof value);
			else
				snprintf(value, sizeof value, "(no such cell)");
			md_cell(out, value);
		}
		fputc('\n', out);
	}
	fputc('\n', out);
	for (size_t k = 0; k < joined->nruns; k++)
		json_decref(full[k]);
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct acell *cell = join_cell(joined, r, k);
		if (cell)
			timeline_table(out, &joined->runs[k], cell, k);
	}
}

/* What each number in a cell's table counts, once, before the cells. */
static void numbers_legend(FILE *out)
{
	static const char *const items[] = {
		"pipe size: what F_GETPIPE_SZ reported after the request: the pipe's "
		"capacity in bytes, that is its slots times the page size. A slot holds one "
		"fragment of socket data, often much less than a page, so a pipe can be full "
		"with far fewer bytes in it.",
		"bytes in the pipe (FIONREAD) and source receive queue (SIOCINQ): bytes "
		"waiting in the pipe and in the relay's source socket when the verdict was "
		"taken.",
		"bytes moved by each socket->pipe call: what each successful splice into the "
		"pipe returned, in order; the runner keeps the first 64 calls.",
		"kernel probes: the events recorded for the cell; the most slots in use at "
		"once, of the pipe's slots; and the most bytes in the pipe, which the probes "
		"can count only while at most 64 slots are in use (they add up the lengths of "
		"at most 64 slots), so for a bigger pipe it covers only those moments.",
		"In the splice_to_pipe timelines, `-` is a value the probes could not read "
		"(never a zero): the bytes while more than 64 slots were in use, and the "
		"\"after\" values of a call that never returned.",
	};
	wrap(out, "", "", "What the numbers count:", 80);
	fputc('\n', out);
	for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
		wrap(out, "- ", "  ", items[i], 80);
	fputc('\n', out);
}

int markdown_report(FILE *out, const struct joined *joined, const struct report_opts *opts)
{
	fprintf(out, "# splice(2) socket->pipe on %zu kernels\n\n", joined->nruns);
	char line[512];
	snprintf(line, sizeof line,
		 "Made by splicelab-analyze from the splicelab matrices of %zu kernels "
		 "(letters A, B, ... in the tables). Outcomes: ok (every byte arrived), blocked "
		 "(asleep in splice with data pending), stalled (waiting for readiness that "
		 "never comes), spin (EAGAIN in a loop), error, corrupt, crashed.",
		 joined->nruns);
	wrap(out, "", "", line, 80);
	fputc('\n', out);
	programs_section(out, joined);
	relays_section(out, joined);
	side_section(out, joined, &load_side_table);
	side_section(out, joined, &vmsplice_side_table);
	throughput_markdown(out, joined);
	kernels_section(out, joined);
	differences_section(out, joined);
	regimes_section(out, joined);
	fputs("## Cells\n\n", out);
	numbers_legend(out);
	if (opts->nrows == 0)
		fputs("No cell was chosen (`--cell ID`).\n\n", out);
	for (size_t i = 0; i < opts->nrows; i++)
		cell_section(out, joined, opts->rows[i], i + 1);
	return ferror(out) ? -1 : 0;
}
