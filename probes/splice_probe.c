/* splicelab-probe: pipe occupancy at each step of socket->pipe splices, from
 * kernel probes, for chosen processes only. Standalone, or started by
 * `splicelab --probe` (see repro/probe_session.c). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "cell_summary.h"
#include "proc_sums.h"
#include "records.h"
#include "skeleton.h"

#define EXIT_USAGE 64
#define EXIT_UNAVAILABLE 69

static const char usage_text[] =
	"usage: splicelab-probe [options]\n"
	"\n"
	"Traces splice_to_pipe, wait_for_space, the pipe waits inside a splice, the\n"
	"read step (do_splice_to, vfs_splice_read or do_splice_read) and\n"
	"tcp_splice_read, for the chosen processes only, and records the pipe's\n"
	"occupancy (slots used and total, bytes) at each entry and exit.\n"
	"\n"
	"  -p, --pid PID       trace this process (tgid)\n"
	"      --ppid PID      trace the children of PID (what splicelab --probe uses)\n"
	"  -d, --duration S    stop after S seconds [until Ctrl-C, or until --pid exits]\n"
	"      --events WHAT   all: the kernel sends every call to this tool (for\n"
	"                      --json or the live view); none: the kernel only sums\n"
	"                      each process up, for --summaries [all; none with\n"
	"                      --summaries]\n"
	"      --json FILE     with --events all, write the events as JSON lines to\n"
	"                      FILE (written when tracing stops, in time order,\n"
	"                      atomically); without it, one line per call on stdout\n"
	"                      as calls return\n"
	"      --mode MODE     auto, fentry, kprobe [auto: fentry when this kernel loads\n"
	"                      and attaches it, else kprobes]\n"
	"      --btf FILE      the kernel's BTF when it has none of its own (CentOS 7,\n"
	"                      most 4.x): BTFHub, or pahole --btf_encode_detached;\n"
	"                      libbpf is given only the types the probes use\n"
	"      --list          attach, print how (mode, pipe layout, buffer, kprobe\n"
	"                      path), what attached, what did not and why, what this\n"
	"                      run did not exercise, and exit\n"
	"      --ready-fd FD   write the attach report (one JSON line) to FD when ready,\n"
	"                      and the counts (one more line) when done\n"
	"      --runs FILE     when stopping, read which process ran which cell from\n"
	"                      FILE (lines: PID START_NS END_NS INDEX ID, written by\n"
	"                      splicelab --probe): events get their cell id\n"
	"      --summaries FILE  with --runs, write each cell's kernel summary to FILE\n"
	"                      ({\"INDEX\": summary}, docs/schema.md), from what the\n"
	"                      kernel summed up per process\n"
	"      --events-summaries FILE  with --runs and --events all, the same summaries\n"
	"                      computed from the events instead (they must be equal)\n"
	"  -q, --quiet         no summary on stderr\n"
	"  -v, --verbose       libbpf's own messages on stderr\n"
	"  -h, --help          this text\n"
	"\n"
	"Needs root (or CAP_BPF and CAP_PERFMON). One of --pid and --ppid is required.\n"
	"Identical calls that return EAGAIN with the pipe unchanged (busy retry loops)\n"
	"are counted, not recorded one by one (folded_before).\n"
	"\n"
	"Exit status: 0 traced; 64 bad usage; 69 probes cannot run on this kernel\n"
	"(the reason on stderr, and on --ready-fd); 1 other failure.\n";

struct options {
	struct attach_opts attach;
	double duration_s;
	const char *json_path;
	const char *runs_path, *summaries_path, *events_summaries_path;
	int events; /* -1 not given, 0 none, 1 all */
	int ready_fd;
	bool list, quiet, verbose;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("splicelab-probe: ", stderr);
	/* clang 14's analyzer loses track of va_start here (as in repro/options.c) */
	vfprintf(stderr, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	fputs(" (see --help)\n", stderr);
	va_end(ap);
	return EXIT_USAGE;
}

static int parse_pid(const char *text, unsigned int *pid)
{
	char *end;
	errno = 0;
	long value = strtol(text, &end, 10);
	if (errno || *end || end == text || value <= 0 || value > 0x3fffffff)
		return -1;
	*pid = (unsigned int)value;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *opts)
{
	enum { OPT_PPID = 256, OPT_JSON, OPT_MODE, OPT_BTF, OPT_LIST, OPT_READY, OPT_RUNS,
	       OPT_SUMMARIES, OPT_EVENTS, OPT_EVENTS_SUMMARIES };
	static const struct option long_options[] = {
		{"pid", required_argument, NULL, 'p'},	{"ppid", required_argument, NULL, OPT_PPID},
		{"duration", required_argument, NULL, 'd'},
		{"json", required_argument, NULL, OPT_JSON},
		{"mode", required_argument, NULL, OPT_MODE},
		{"btf", required_argument, NULL, OPT_BTF},
		{"list", no_argument, NULL, OPT_LIST},
		{"ready-fd", required_argument, NULL, OPT_READY},
		{"runs", required_argument, NULL, OPT_RUNS},
		{"summaries", required_argument, NULL, OPT_SUMMARIES},
		{"events", required_argument, NULL, OPT_EVENTS},
		{"events-summaries", required_argument, NULL, OPT_EVENTS_SUMMARIES},
		{"quiet", no_argument, NULL, 'q'},	{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},	{0},
	};
	int c;
	char *end;
	opts->ready_fd = -1;
	opts->events = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:d:qvh", long_options, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_pid(optarg, &opts->attach.config.tgid))
				return usage_error("--pid %s: expected a process id", optarg);
			break;
		case OPT_PPID:
			if (parse_pid(optarg, &opts->attach.config.parent_tgid))
				return usage_error("--ppid %s: expected a process id", optarg);
			break;
		case 'd':
			errno = 0;
			opts->duration_s = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(opts->duration_s > 0) ||
			    opts->duration_s > 86400)
				return usage_error("--duration %s: expected seconds, 0 < S <= 86400",
						   optarg);
			break;
		case OPT_JSON:
			opts->json_path = optarg;
			break;
		case OPT_MODE:
			if (parse_attach_mode(optarg, &opts->attach.mode))
				return usage_error("--mode %s: expected auto, fentry or kprobe",
						   optarg);
			break;
		case OPT_BTF:
			if (access(optarg, R_OK))
				return usage_error("--btf %s: %s", optarg, strerror(errno));
			opts->attach.btf_path = optarg;
			break;
		case OPT_LIST:
			opts->list = true;
			break;
		case OPT_READY: {
			unsigned int fd;
			if (parse_pid(optarg, &fd) || fd < 3)
				return usage_error("--ready-fd %s: expected an open descriptor >= 3",
						   optarg);
			opts->ready_fd = (int)fd;
			break;
		}
		case OPT_RUNS:
			opts->runs_path = optarg;
			break;
		case OPT_SUMMARIES:
			opts->summaries_path = optarg;
			break;
		case OPT_EVENTS:
			if (strcmp(optarg, "all") != 0 && strcmp(optarg, "none") != 0)
				return usage_error("--events %s: expected all or none", optarg);
			opts->events = strcmp(optarg, "all") == 0;
			break;
		case OPT_EVENTS_SUMMARIES:
			opts->events_summaries_path = optarg;
			break;
		case 'q':
			opts->quiet = true;
			break;
		case 'v':
			opts->verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case ':':
			return usage_error("%s needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!opts->list && !opts->attach.config.tgid && !opts->attach.config.parent_tgid)
		return usage_error("nothing to trace: give --pid or --ppid");
	if (opts->attach.config.tgid && opts->attach.config.parent_tgid)
		return usage_error("--pid and --ppid: give one");
	if ((opts->summaries_path || opts->events_summaries_path) && !opts->runs_path)
		return usage_error("--summaries and --events-summaries need --runs");
	if (opts->events < 0)
		opts->events = !opts->summaries_path;
	if (!opts->events && (opts->json_path || opts->events_summaries_path))
		return usage_error("--json and --events-summaries need --events all");
	if (!opts->events && !opts->summaries_path && !opts->list)
		return usage_error("--events none without --summaries: nothing to write");
	opts->attach.config.stream = (unsigned int)opts->events;
	if (opts->attach.btf_path && opts->attach.mode == MODE_FENTRY)
		return usage_error("--btf with --mode fentry: fentry needs the kernel's own BTF");
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static int libbpf_silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static void write_line(int fd, json_t *doc)
{
	if (fd < 0)
		return;
	char *text = json_dumps(doc, JSON_COMPACT);
	if (text) {
		size_t len = strlen(text);
		text[len] = '\n'; /* json_dumps leaves room for its NUL */
		if (write(fd, text, len + 1) < 0 && errno != EPIPE)
			perror("splicelab-probe: --ready-fd");
		free(text);
	}
}

struct collector {
	struct record_log log;	   /* the calls streamed (--events all) */
	struct record_log pending; /* those in the per-thread table at the stop */
	struct proc_sums sums;	   /* what the kernel summed up per process */
	unsigned long long perf_lost;
	unsigned long long sent; /* events streamed (two per returned call) */
	bool print, keep;	 /* keep: for --json or --events-summaries */
	bool out_of_memory;
};

static void collect(struct collector *col, const struct probe_record *rec)
{
	col->sent += (rec->have & HAVE_EXIT) ? 2 : 1;
	if (col->keep && record_log_add(&col->log, rec))
		col->out_of_memory = true;
	if (col->print)
		record_print(stdout, rec);
}

static int on_ringbuf(void *ctx, void *data, size_t size)
{
	if (size >= sizeof(struct probe_record))
		collect(ctx, data);
	return 0;
}

static void on_perfbuf(void *ctx, int cpu, void *data, __u32 size)
{
	(void)cpu;
	if (size >= sizeof(struct probe_record))
		collect(ctx, data);
}

static void on_perf_lost(void *ctx, int cpu, __u64 lost)
{
	(void)cpu;
	((struct collector *)ctx)->perf_lost += lost;
}

/* Calls still inside a function, and the last of a run of folded -EAGAIN
 * calls, are only in the kernel's map when tracing stops. */
static void collect_pending(struct collector *col, struct splice_probe_bpf *skel)
{
	struct call_key key, next;
	struct call_state state;
	bool first = true;
	while (bpf_map__get_next_key(skel->maps.call_states, first ? NULL : &key, &next,
				     sizeof next) == 0) {
		first = false;
		key = next;
		if (bpf_map__lookup_elem(skel->maps.call_states, &key, sizeof key, &state,
					 sizeof state, 0))
			continue;
		if (state.folded) {
			state.last_folded.folded_before = state.folded - 1;
			if (record_log_add(&col->pending, &state.last_folded))
				col->out_of_memory = true;
		}
		if (state.active && record_log_add(&col->pending, &state.pending))
			col->out_of_memory = true;
	}
}

static unsigned long long counter_sum(struct splice_probe_bpf *skel, __u32 which)
{
	int ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		return 0;
	__u64 *values = calloc((size_t)ncpus, sizeof *values);
	unsigned long long sum = 0;
	if (values && bpf_map__lookup_elem(skel->maps.counters, &which, sizeof which, values,
					   sizeof *values * (size_t)ncpus, 0) == 0)
		for (int i = 0; i < ncpus; i++)
			sum += values[i];
	free(values);
	return sum;
}

static void print_list(const json_t *report)
{
	size_t i;
	json_t *item;
	printf("mode: %s\nreason: %s\nattach took: %.0f ms",
	       json_string_value(json_object_get(report, "mode")),
	       json_string_value(json_object_get(report, "reason")),
	       json_number_value(json_object_get(report, "attach_ms")));
	const json_t *startup = json_object_get(report, "startup_ms");
	if (startup)
		printf(" (BTF %.0f, load %.0f, attach %.0f)",
		       json_number_value(json_object_get(startup, "btf")),
		       json_number_value(json_object_get(startup, "load")),
		       json_number_value(json_object_get(startup, "attach")));
	putchar('\n');
	const char *facts[][2] = {{"pipe layout", "pipe_layout"},
				  {"buffer", "buffer"},
				  {"kprobes via", "kprobes_via"}};
	for (size_t f = 0; f < sizeof facts / sizeof facts[0]; f++) {
		const char *value = json_string_value(json_object_get(report, facts[f][1]));
		if (value)
			printf("%s: %s\n", facts[f][0], value);
	}
	json_array_foreach(json_object_get(report, "attached"), i, item)
		printf("attached      %-20s %s\n", json_string_value(json_object_get(item, "fn")),
		       json_string_value(json_object_get(item, "kind")));
	json_array_foreach(json_object_get(report, "not_attached"), i, item)
		printf("not attached  %-20s %s\n", json_string_value(json_object_get(item, "fn")),
		       json_string_value(json_object_get(item, "why")));
	json_array_foreach(json_object_get(report, "not_verified"), i, item)
		printf("not verified  %s\n", json_string_value(item));
}

static int write_summaries(const char *path, const struct run_table *runs,
			   const struct record_log *records, struct proc_sums *sums)
{
	json_t *summaries = cell_summaries(runs, records->items, records->count,
					   sums ? sums->items : NULL, sums ? sums->count : 0);
	int rc = summaries ? write_json_file(summaries, path) : -1;
	if (rc)
		fprintf(stderr, "splicelab-probe: cannot write %s: %s\n", path, strerror(errno));
	json_decref(summaries);
	return rc;
}

/* The events, each with its cell when the runner said which process ran
 * which cell, and each cell's summary: from the kernel's sums, and (to
 * check them) from the events. */
static int write_results(const struct options *opts, struct collector *col)
{
	struct run_table runs = {0};
	int rc = 0;
	record_log_sort(&col->pending);
	if (opts->runs_path && run_table_read(opts->runs_path, &runs)) {
		fprintf(stderr, "splicelab-probe: cannot read %s: %s\n", opts->runs_path,
			strerror(errno));
		return -1;
	}
	if (opts->summaries_path &&
	    write_summaries(opts->summaries_path, &runs, &col->pending, &col->sums))
		rc = -1;
	if (opts->events) {
		/* The streamed calls and the pending ones: what the stream holds. */
		for (size_t i = 0; i < col->pending.count; i++)
			if (record_log_add(&col->log, &col->pending.items[i]))
				col->out_of_memory = true;
		record_log_sort(&col->log);
	}
	if (opts->events_summaries_path &&
	    write_summaries(opts->events_summaries_path, &runs, &col->log, NULL))
		rc = -1;
	if (opts->json_path &&
	    record_log_write(&col->log, opts->runs_path ? &runs : NULL, opts->json_path)) {
		fprintf(stderr, "splicelab-probe: cannot write %s: %s\n", opts->json_path,
			strerror(errno));
		rc = -1;
	}
	run_table_free(&runs);
	return rc;
}

static bool target_gone(const struct options *opts)
{
	return opts->attach.config.tgid && kill((pid_t)opts->attach.config.tgid, 0) && errno == ESRCH;
}

static int trace(const struct options *opts, struct attached *probes)
{
	struct collector col = {.print = opts->events && !opts->json_path,
				.keep = opts->json_path || opts->events_summaries_path};
	struct ring_buffer *ring = NULL;
	struct perf_buffer *perf = NULL;
	/* Without --events all the kernel sends nothing: no buffer to read. */
	if (opts->events && probes->ringbuf)
		ring = ring_buffer__new(bpf_map__fd(probes->skel->maps.records_ringbuf), on_ringbuf,
					&col, NULL);
	else if (opts->events)
		perf = perf_buffer__new(bpf_map__fd(probes->skel->maps.records_perfbuf), 256,
					on_perfbuf, on_perf_lost, &col, NULL);
	if (opts->events && !ring && !perf) {
		fprintf(stderr, "splicelab-probe: cannot read the %s: %s\n",
			probes->ringbuf ? "ring buffer" : "perf buffer", strerror(errno));
		return 1;
	}
	write_line(opts->ready_fd, probes->report);
	unsigned long long deadline =
		opts->duration_s > 0 ? probe_monotonic_ns() + (unsigned long long)(opts->duration_s * 1e9)
				     : 0;
	while (!stop_requested && (!deadline || probe_monotonic_ns() < deadline) && !target_gone(opts)) {
		int err = ring ? ring_buffer__poll(ring, 100)
			  : perf ? perf_buffer__poll(perf, 100)
				 : (poll(NULL, 0, 100) < 0 ? -errno : 0);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "splicelab-probe: reading events: %s\n", strerror(-err));
			break;
		}
		/* Processes gone are summed up for good: out of the kernel's maps. */
		proc_sums_take(&col.sums, probes->skel, false);
	}
	if (ring)
		ring_buffer__consume(ring);
	if (perf)
		perf_buffer__consume(perf);
	collect_pending(&col, probes->skel);
	proc_sums_take(&col.sums, probes->skel, true);
	ring_buffer__free(ring);
	perf_buffer__free(perf);

	unsigned long long lost = counter_sum(probes->skel, COUNTER_LOST) + col.perf_lost;
	unsigned long long untracked = counter_sum(probes->skel, COUNTER_STATE_FULL);
	unsigned long long unsummed = counter_sum(probes->skel, COUNTER_SUMMARY_FULL);
	int rc = 0;
	if (col.out_of_memory || col.sums.out_of_memory) {
		fprintf(stderr, "splicelab-probe: out of memory: events were dropped\n");
		rc = 1;
	}
	/* Sent: what crossed into user space as it happened (--events all). */
	unsigned long long sent = col.sent, events, calls;
	/* Every event, streamed or only summed up; an entry with no exit is one. */
	proc_sums_totals(&col.sums, &events, &calls);
	for (size_t i = 0; i < col.pending.count; i++)
		events += (col.pending.items[i].have & HAVE_EXIT) ? 2 : 1;
	calls += col.pending.calls;
	if (write_results(opts, &col))
		rc = 1;
	json_t *counts = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "events",
				   (json_int_t)events, "calls", (json_int_t)calls, "lost_events",
				   (json_int_t)lost, "untracked_calls", (json_int_t)untracked,
				   "unsummed_calls", (json_int_t)unsummed, "sent_events",
				   (json_int_t)sent, "event_stream", opts->events ? "all" : "none");
	write_line(opts->ready_fd, counts);
	if (!opts->quiet)
		fprintf(stderr,
			"splicelab-probe: %llu events (%llu calls), %llu sent, %llu lost, %llu "
			"untracked, %llu not summed%s%s\n",
			events, calls, sent, lost, untracked, unsummed,
			opts->json_path ? ", written to " : "", opts->json_path ? opts->json_path : "");
	json_decref(counts);
	record_log_free(&col.log);
	record_log_free(&col.pending);
	proc_sums_free(&col.sums);
	return rc;
}

/* Detaching an fexit program waits for RCU-tasks grace periods (about
 * 115 ms per function in an instruction-counted 6.1 guest, one after the
 * other even from several threads), and so would this process's exit,
 * which closes the links. Everything is written by now, so a child that
 * holds no descriptor of the caller's (no stdio, no --ready-fd) detaches,
 * and this process returns at once. Where fork fails, it detaches itself. */
static void detach_in_background(const struct options *opts, struct attached *probes)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid > 0)
		return; /* exiting closes this process's copies only */
	if (pid == 0) {
		int null_fd = open("/dev/null", O_RDWR);
		for (int fd = 0; fd < 3; fd++)
			if (null_fd >= 0)
				dup2(null_fd, fd);
		if (null_fd > 2)
			close(null_fd);
		if (opts->ready_fd >= 0)
			close(opts->ready_fd);
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
	}
	detach_probes(probes);
	if (pid == 0)
		_exit(0);
}

int main(int argc, char **argv)
{
	struct options opts = {0};
	int rc = parse_options(argc, argv, &opts);
	if (rc)
		return rc;
	libbpf_set_print(opts.verbose ? libbpf_print : libbpf_silent);
	/* Kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK. */
	struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	unsigned long long start_ns = probe_monotonic_ns();
	struct attached probes;
	opts.attach.config.self_tgid = (unsigned int)getpid();
	rc = attach_probes(&opts.attach, &probes);
	json_object_set_new(probes.report, "attach_ms",
			    json_real((double)(probe_monotonic_ns() - start_ns) / 1e6));
	if (opts.list)
		print_list(probes.report);
	if (rc) {
		write_line(opts.ready_fd, probes.report);
		/* With --ready-fd the caller reports it; --list printed it. */
		if (opts.ready_fd < 0 && !opts.list)
			fprintf(stderr, "splicelab-probe: probes cannot run here: %s\n",
				json_string_value(json_object_get(probes.report, "reason")));
		json_decref(probes.report);
		return EXIT_UNAVAILABLE;
	}
	rc = opts.list ? 0 : trace(&opts, &probes);
	detach_in_background(&opts, &probes);
	return rc;
}
