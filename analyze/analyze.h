/* splicelab-analyze: the matrices of several kernels, joined by cell id, and
 * the reports made from them. Each input is read once; a cell keeps only
 * what the tables need plus where its JSON text lies, and the few cells a
 * report details are parsed again from that text. */
#ifndef SPLICELAB_ANALYZE_H
#define SPLICELAB_ANALYZE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "idmap.h"
#include "params.h"

#define ANALYZE_EXIT_USAGE 64 /* bad usage or input: one line, nothing written */
#define ANALYZE_EXIT_FAILED 1 /* the tool failed (an output could not be written) */
#define ANALYZE_SCHEMA "splicelab.matrix/1"
#define ANALYZE_MAX_RUNS 26 /* kernels are lettered A..Z in the tables */
/* An input larger than this is refused, not read (a results file of the
 * default matrix with probe summaries is a few MB; 10 000 cells ~30 MB). */
#define ANALYZE_MAX_INPUT (1ull << 30)
#define ANALYZE_MAX_ID 400 /* bytes of a cell id */

/* allowed.c: the enumerated fields and their allowed values, in one place
 * (the engine's name tables where it has them). */
enum allowed_field {
	FIELD_SCENARIO,
	FIELD_TRANSPORT,
	FIELD_LOOP,
	FIELD_SENDER,
	FIELD_OUTCOME,
	FIELD_PROFILE,
	FIELD_FLAG,
	FIELD_VIRT,
	FIELD_PROBE_MODE,
};
/* The value's index in its list, or -1 when it is not allowed. */
int allowed_index(enum allowed_field field, const char *value);
/* The allowed values as "proxy, drain", for a message. */
void allowed_text(enum allowed_field field, char *buf, size_t len);
/* An id made only of the characters the engine builds ids from. */
bool id_allowed(const char *id);

/* What a cell's evidence says about where the kernel slept (regime.c). */
enum clue {
	CLUE_STACK = 1 << 0,	      /* a kernel stack of the relay was read */
	CLUE_STACK_ENTRY = 1 << 1,    /* wait_for_space in that stack */
	CLUE_STACK_MIDCALL = 1 << 2,  /* pipe_wait* called from splice_to_pipe */
	CLUE_SLEEPS_IN_SPLICE = 1 << 3, /* thread asleep (S/D) in splice */
	CLUE_PROBES = 1 << 4,	      /* the cell has a `kernel` probe summary */
	CLUE_PROBE_ENTRY = 1 << 5,    /* wait_for_space entered and not left */
	CLUE_PROBE_MIDCALL = 1 << 6,  /* splice_to_pipe entered with room, never returned */
	CLUE_TIMELINE = 1 << 7,	      /* kernel.timeline has entries */
	CLUE_TIMELINE_CUT = 1 << 8,   /* ... fewer than the splice_to_pipe calls counted */
};

/* One cell of one kernel. */
struct acell {
	char *id;
	char *scenario, *transport, *loop, *sender;
	char *profile; /* NULL when the cell is not a profile's */
	/* A --relay-cmd cell's relay: its name (as in the id) and its command
	 * as one --relay-cmd text; both NULL for the built-in relay. */
	char *relay, *relay_cmd;
	long long pipe_req, pipe_size, payload, chunk, head_start;
	unsigned int flags; /* SPLICE_F_* */
	bool pnb, snb, dnb;
	int outcome;  /* index in outcome_names */
	bool mixed;   /* --repeat runs disagreed */
	bool refused; /* F_SETPIPE_SZ was refused */
	long long bytes_moved, splice_calls, eagain, ncalls;
	double elapsed_ms, detected_ms; /* detected_ms < 0: null */
	unsigned int clues;		/* enum clue */
	size_t off, len;		/* the cell's JSON text in run->buf */
};

/* One input: a matrix.json (and the events.jsonl beside it, if any). */
struct run {
	char *path;
	char *events_path; /* NULL when there is none */
	char *lab_spec;	   /* provenance.json's kernel spec when it ran under the lab's qemu */
	char *buf; /* the file's text: mapped read-only, or read (a pipe) */
	size_t size;
	bool mapped;
	json_t *head; /* every top-level field but cells */
	const char *label, *release, *os, *virt, *probes_mode, *probes_reason;
	struct acell *cells;
	size_t ncells;
	long long counts[OUTCOME_COUNT];
	char error[1024]; /* set by run_load on bad input */
};

/* load.c: inputs larger than this are refused (ANALYZE_MAX_INPUT; a test
 * may lower it). */
extern size_t analyze_input_limit;
/* Opens path as an input: a regular file of at most analyze_input_limit
 * bytes (when limited) or a pipe; a device, socket or folder is refused
 * (reading /dev/zero would never end). Returns the fd, or -1 with why set. */
int input_open(const char *path, bool limited, char *why, size_t len);
/* load.c: reads and checks path (a matrix.json or a folder holding one).
 * Returns 0, or -1 with run->error set to one line naming the file and the
 * JSON path. */
int run_load(struct run *run, const char *path);
/* Loads every path, in parallel; on bad input prints the first error (in
 * argument order) and returns -1. */
int runs_load(struct run *runs, char *const *paths, size_t n);
void run_free(struct run *run);
/* The full JSON of one cell (a new reference), parsed again from the file. */
json_t *acell_json(const struct run *run, const struct acell *cell);

/* join.c */
struct row {
	const char *id;
	bool divergent; /* outcomes differ, or the cell is missing somewhere */
	bool partial;	/* missing on at least one kernel */
};
struct joined {
	struct run *runs;
	size_t nruns;
	struct row *rows;
	size_t nrows;
	long *at; /* nrows x nruns: index into runs[k].cells, -1 when absent */
	size_t ndivergent, npartial;
	struct idmap ids; /* id -> row */
};
int join_runs(struct joined *joined, struct run *runs, size_t nruns);
void join_free(struct joined *joined);
/* runs[k]'s cell on row r, or NULL. */
const struct acell *join_cell(const struct joined *joined, size_t r, size_t k);
/* The first kernel's cell on row r (a row has one on some kernel). */
const struct acell *join_first(const struct joined *joined, size_t r);
/* The row of id, or -1. */
long join_find(const struct joined *joined, const char *id);
/* The cells the reports detail when none is asked for: up to max rows,
 * divergent ones first, then blocked/stalled drain cells, then spinning
 * ones (the one with the most calls of each kind). Returns the count. */
size_t join_pick(const struct joined *joined, size_t *rows, size_t max);

/* fmt.c: shared by the reports. */
char kernel_letter(size_t k);
/* The splicelab command line that runs exactly this cell. */
void reproduce_command(const struct acell *cell, char *buf, size_t len);
/* The outcome word as the tables show it: '*' when repeats disagreed,
 * '!' when F_SETPIPE_SZ was refused, "-" for a missing cell. */
void outcome_word(const struct acell *cell, char *buf, size_t len);
/* A frame the probes added (an fentry trampoline), not the kernel's. */
bool probe_frame(const char *name);
/* A frame without its "+0x../0x.." offset. */
void frame_name(const char *frame, char *buf, size_t len);
/* The cell's parameters in words, short enough for a heading. */
void cell_title(const struct acell *cell, char *buf, size_t len);
/* The value of key in a cell id ("conns" in "...,conns=128,..."), or "". */
void id_value(const char *id, const char *key, char *buf, size_t len);
/* A --relay-cmd cell's conditions in words: "4M x 128 connections as lab"
 * (only what differs from one tcp4 connection of the invoking user). */
void relay_conditions(const struct acell *cell, char *buf, size_t len);
/* A panel's parameters (all but pipe size and payload) in words. */
void panel_title(const struct acell *cell, char *buf, size_t len);
/* The panel a plain cell belongs to: every parameter but pipe size and
 * payload, written as in ids. */
void group_key(const struct acell *cell, char *buf, size_t len);
/* Free text (labels, notes, frames) written for one kind of output: plain
 * text and markdown get control characters as '?'; HTML gets & < > " '
 * as entities; CSV quotes (RFC 4180) when needed. */
void put_plain(FILE *out, const char *text);
void put_html(FILE *out, const char *text);
void put_csv(FILE *out, const char *text);
/* text as one shell word: as is when it holds only safe characters, else
 * in single quotes. */
void sh_word(const char *text, char *buf, size_t len);
/* A value quoted for an error message: control and non-ASCII bytes as
 * \xNN, at most 60 characters. */
void quoted_value(const char *text, char *buf, size_t len);
/* Writes text as lines of at most width columns, each starting with
 * prefix (later lines with indent); a word longer than a line is cut. */
void wrap(FILE *out, const char *prefix, const char *indent, const char *text, int width);
/* snprintf at buf + *used, advancing *used (never past len). */
void appendf(char *buf, size_t len, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* "%g"-like number with one decimal, or "-" for negative (null). */
void ms_text(double ms, char *buf, size_t len);

/* regime.c: which regime the evidence of one kernel matches. */
enum regime {
	REGIME_UNKNOWN, /* nothing tells the regimes apart */
	REGIME_A,	/* splice_to_pipe sleeps mid-call (before 4.9) */
	REGIME_AB,	/* pipe O_NONBLOCK not promoted, where it sleeps unknown (before 5.1) */
	REGIME_B,	/* wait_for_space at entry, pipe O_NONBLOCK ignored (4.9-5.0) */
	REGIME_BC,	/* wait_for_space at entry, promotion not tested */
	REGIME_C,	/* pipe O_NONBLOCK promoted to SPLICE_F_NONBLOCK (5.1+) */
	REGIME_MIXED,	/* the evidence contradicts itself */
};
struct regime_view {
	enum regime regime;
	size_t stuck, with_stack, entry_stack, midcall_stack, entry_probe, midcall_probe;
	size_t entry, midcall; /* cells with either kind of clue */
	size_t promoted, not_promoted;
	const char *entry_example, *midcall_example, *promoted_example, *not_promoted_example;
	const char *promoted_pair; /* the pnb=0 twin of promoted_example, when it sleeps */
	/* Load cells whose user reached the per-user pipe limit (F_SETPIPE_SZ
	 * refused with EPERM), how many of them are stuck, the fewest slots a
	 * pipe got in them (-1: unknown), the soft limit and an example
	 * (a stuck one when there is one). */
	size_t accounting, accounting_stuck;
	long long accounting_slots, accounting_soft;
	const char *accounting_example;
};
void regime_of_run(const struct run *run, struct regime_view *view);
const char *regime_name(enum regime regime);
/* The regime the release number falls in, or REGIME_UNKNOWN. */
enum regime regime_of_release(const char *release);
/* One sentence: what this cell's evidence says about the regime. */
void regime_cell_text(const struct acell *cell, char *buf, size_t len);
/* One sentence on the per-user pipe accounting the load cells show, or
 * "" when none reached the limit. */
void regime_accounting_text(const struct regime_view *view, char *buf, size_t len);
/* Markdown paragraphs: the conclusion and each piece of evidence. */
void regime_markdown(FILE *out, const struct run *run, const struct regime_view *view);

/* loadfacts.c: the `load` object of a load cell (docs/schema.md), read
 * again from the cell's JSON and type-checked, for the side-by-side views. */
#define LOAD_MAX_SIZES 8
struct load_size {
	long long size, count;
};
struct load_facts {
	bool present;
	long long connections;
	char user[40];		/* passwd name as recorded, or "uid N" */
	bool invoking;		/* no --as-user: the invoking user */
	long long uid;
	long long soft, hard;	/* pipe-user-pages-*; -1: none */
	long long pages_at_start; /* -1: unknown */
	long long pressure;	  /* --pipe-pressure pages asked */
	long long created, refused;
	char refused_errno[24]; /* "" when none */
	struct load_size sizes[LOAD_MAX_SIZES];
	size_t nsizes;
	long long finished, blocked, stalled, spin, unknown, not_started, open;
	long long finished_first; /* -1: unknown */
	long long page_size;
};
/* 0 and f filled for a load cell with a `load` object, else -1. */
int load_facts_of(const struct run *run, const struct acell *cell, struct load_facts *f);
/* The smallest pipe any connection got, or -1. */
long long load_smallest_pipe(const struct load_facts *f);
/* F_SETPIPE_SZ refused with EPERM: the per-user pipe limit was reached. */
bool load_accounting_bit(const struct load_facts *f);
/* "as nobody" / "as the invoking user". */
void load_user_text(const struct load_facts *f, char *buf, size_t len);
/* "32 of 128 finished, 96 blocked". */
void load_counts_text(const struct load_facts *f, char *buf, size_t len);
/* "63 × 1M, 15 × 64K, 178 × 4K". */
void load_pipes_text(const struct load_facts *f, char *buf, size_t len);
/* "193 (EPERM)" or "none". */
void load_refused_text(const struct load_facts *f, char *buf, size_t len);
/* "soft 16384, hard 0; 16768 pages at start". */
void load_limits_text(const struct load_facts *f, char *buf, size_t len);
/* The cell's conditions: "128 connections as nobody". */
void load_condition_text(const struct load_facts *f, char *buf, size_t len);
/* Counts, pipes, refusals and limits in one line. */
void load_facts_text(const struct load_facts *f, char *buf, size_t len);
/* The condition and the facts in one line. */
void load_line(const struct load_facts *f, char *buf, size_t len);
/* Row r holds load cells. */
bool load_row(const struct joined *joined, size_t r);
/* "go1.21.0-1.21.4: 128 connections as nobody". */
void load_row_title(const struct joined *joined, size_t r, char *buf, size_t len);
/* Kernel k's cell on row r: "blocked!: 32 of 128 finished, ...", or "-". */
void load_cell_text(const struct joined *joined, size_t r, size_t k, char *buf, size_t len);

/* Rows the markdown and HTML reports show side by side, one column per
 * kernel, under their own heading (markdown.c, html.c). */
struct side_table {
	const char *heading;
	const char *note;  /* the paragraph under it; `code` marked so */
	const char *id;	   /* the HTML table's id */
	const char *first; /* the first column's head */
	bool (*row)(const struct joined *joined, size_t r);
	void (*row_title)(const struct joined *joined, size_t r, char *buf, size_t len);
	void (*cell_text)(const struct joined *joined, size_t r, size_t k, char *buf, size_t len);
};
extern const struct side_table load_side_table;	    /* loadfacts.c */
extern const struct side_table vmsplice_side_table; /* vmsplice.c */

/* vmsplice.c: row r holds vmsplice cells. */
bool vmsplice_row(const struct joined *joined, size_t r);
/* "tcp4, reuse at-once (64K pipe, 128K in 16K chunks)". */
void vmsplice_row_title(const struct joined *joined, size_t r, char *buf, size_t len);
/* Kernel k's cell on row r: "corrupt at offset 0 (at reuse: SIOCOUTQ 0,
 * reader queue 16384)", or "-". */
void vmsplice_cell_text(const struct joined *joined, size_t r, size_t k, char *buf, size_t len);

/* programs.c: the real programs (profiles) each kernel's cells show
 * hanging or passing, from the profile cells alone. */
bool programs_any(const struct joined *joined);
/* One paragraph for kernel k: "Hung (asleep in splice): Go 1.21.0 to
 * 1.21.4 (`go1.21.0-1.21.4`). Passed every byte: ...". */
void programs_summary(const struct joined *joined, size_t k, char *buf, size_t len);
/* One sentence per profile with load cells on kernel k: under which
 * conditions it hangs and where it passes; "" when none ran there. */
void programs_load_summary(const struct joined *joined, size_t k, char *buf, size_t len);
/* The outcomes of profile's cells on kernel k: "blocked: proxy 64M; ok:
 * proxy 1M", or "-". */
void programs_cell(const struct joined *joined, size_t k, size_t profile, char *buf, size_t len);
/* The profiles (indices into the engine's table) some kernel ran. */
size_t programs_ran(const struct joined *joined, size_t *which, size_t max);
const char *program_name(size_t profile);
const char *program_text(size_t profile);

/* relays.c: the --relay-cmd cells (the user's own programs), by relay
 * name. The names some kernel ran, in the order of the rows; returns how
 * many were written to names[]. */
size_t relays_ran(const struct joined *joined, const char **names, size_t max);
/* The relay's command as its cells recorded it: "CMD" when every kernel
 * ran the same one, else "A: CMD; B: CMD2". */
void relay_command_text(const struct joined *joined, const char *name, char *buf, size_t len);
/* The outcomes of the relay's cells on kernel k, the trouble first:
 * "blocked: 4M x 128 connections as lab; ok: 4M", or "-". */
void relay_outcomes(const struct joined *joined, size_t k, const char *name, char *buf, size_t len);
/* One line per cell of the relay on kernel k that is not ok: "B, 4M x 128
 * connections as lab, blocked: thread 1234 asleep in splice...". Returns
 * how many were written. */
size_t relay_notes(const struct joined *joined, size_t k, const char *name, char notes[][1024],
		   size_t max);

/* outfile.c: FILE that becomes path only when out_commit succeeds. */
struct outfile {
	FILE *file;
	char tmp[4096];
	char path[4096];
};
int out_open(struct outfile *out, const char *path);
int out_commit(struct outfile *out);
void out_abort(struct outfile *out);

/* The outputs. Each returns 0 or -1 (write error). */
struct report_opts {
	bool all;
	bool color;
	const size_t *rows; /* the cells to detail */
	size_t nrows;
};
/* One line per kernel: letter, label, release, virt, probes, counts. */
void print_kernel_lines(FILE *out, const struct joined *joined);
int text_report(FILE *out, const struct joined *joined, const struct report_opts *opts);
int csv_report(FILE *out, const struct joined *joined);
int markdown_report(FILE *out, const struct joined *joined, const struct report_opts *opts);
int html_report(FILE *out, const struct joined *joined, const struct report_opts *opts);

/* svg.c: plots of one joined row, one per kernel side by side. */
void svg_occupancy(FILE *out, const struct joined *joined, size_t row);
void svg_per_call(FILE *out, const struct joined *joined, size_t row);
/* One plot of a throughput cell across kernels: per method (in the order
 * of names, a kernel's throughput.methods) a bar for each kernel, its
 * `metric` ratio to read/write (speed, syscalls or cpu, from methods[k],
 * NULL where absent) in percent, with a line at 100. */
void svg_throughput(FILE *out, const struct joined *joined, const json_t *names,
		    const json_t *const *methods, const char *metric, const char *title);
/* markdown.c: a table cell (' | ' escaped, control characters as blanks)
 * and a table's head row with a column per kernel. */
void md_cell(FILE *out, const char *text);
void md_table_head(FILE *out, const struct joined *joined, const char *first);
/* throughput.c: the markdown section of the throughput cells (a table of
 * ratios per kernel for each); nothing when there are none. */
void throughput_markdown(FILE *out, const struct joined *joined);
/* throughput.c: the method named so in a cell's throughput.methods, or NULL. */
const json_t *throughput_method(const json_t *methods, const char *name);
/* html.c: the head row's kernel columns (the table's first <tr> is open). */
void html_kernel_heads(FILE *out, const struct joined *joined);
/* throughput.c: the HTML section of the throughput cells (their plots and
 * figures per kernel); nothing when there are none. */
void throughput_html(FILE *out, const struct joined *joined);

/* timeline.c: a cell's splice_to_pipe calls, from kernel.timeline or,
 * when events.jsonl beside the matrix holds more of them, from there. */
struct tl_point {
	long long number; /* the call's number, counting calls the probes folded */
	long long slots_before, slots_after, bytes_before, bytes_after, slots_total, ret;
	bool returned;
};
struct timeline {
	struct tl_point *points; /* in call order; NULL when n is 0 */
	size_t n;
	long long calls; /* splice_to_pipe calls the probes counted (-1: unknown) */
	long long max_slots; /* the probe summary's max_slots_used (-1: unknown) */
	const char *from; /* "kernel.timeline", "events.jsonl" or NULL */
};
/* Reads each kernel's events.jsonl once for the cells of these rows that
 * lack kernel.timeline or whose timeline the probes cut at 64 calls;
 * timeline_release frees what it kept. */
void timeline_prefetch(const struct joined *joined, const size_t *rows, size_t nrows);
void timeline_release(void);
/* The whole timeline known for cell (n 0: no probe data); free it with
 * timeline_free. */
void timeline_get(const struct run *run, const struct acell *cell, struct timeline *tl);
void timeline_free(struct timeline *tl);

#endif
