/* How the probes attach is decided by trying, never by the kernel version:
 * a kernel either loads and attaches the fentry set or it does not. */
#include "attach.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "min_btf.h"
#include "skeleton.h"
#include "verifier_features.h"

const char *const probe_fn_names[FN_COUNT] = {
	[FN_SPLICE_TO_PIPE] = "splice_to_pipe",
	[FN_WAIT_FOR_SPACE] = "wait_for_space",
	[FN_PIPE_WAIT] = "pipe_wait",
	[FN_PIPE_WAIT_WRITABLE] = "pipe_wait_writable",
	[FN_DO_SPLICE_TO] = "do_splice_to",
	[FN_VFS_SPLICE_READ] = "vfs_splice_read",
	[FN_DO_SPLICE_READ] = "do_splice_read",
	[FN_TCP_SPLICE_READ] = "tcp_splice_read",
};

bool probe_fn_waits(unsigned int fn)
{
	return fn == FN_WAIT_FOR_SPACE || fn == FN_PIPE_WAIT || fn == FN_PIPE_WAIT_WRITABLE;
}

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

unsigned long long probe_monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* Where the start-up went (env.probes.startup_ms), over every attempt. */
struct startup_times {
	unsigned long long btf_ns, load_ns, attach_ns;
};

/* What the running kernel says about each function, before loading anything. */
struct kernel_view {
	struct btf *btf;
	bool in_btf[FN_COUNT];
	bool in_kallsyms[FN_COUNT];
	char clone[FN_COUNT][256]; /* "name.isra.0" when only a clone is listed */
	bool kallsyms_read;
	bool ringbuf, old_layout; /* the tests the kernel side makes through CO-RE */
	bool bpf_loop;		  /* the helper loads (5.17+): fentry sums slots with it */
};

/* For each byte, the traced functions (a bit each) whose name starts with
 * it: most names are passed over by their first byte, in lists of tens of
 * thousands, and the others are compared with one or two names only. */
static void fn_first_chars(unsigned int first_char[256])
{
	memset(first_char, 0, 256 * sizeof *first_char);
	for (int fn = 0; fn < FN_COUNT; fn++)
		first_char[(unsigned char)probe_fn_names[fn][0]] |= 1u << fn;
}

/* Lines are "ADDRESS TYPE NAME[\t[MODULE]]"; tens of thousands of them, so
 * no sscanf: in a TCG guest it cost more than the kernel took to list them. */
static void read_kallsyms(struct kernel_view *view)
{
	FILE *file = fopen("/proc/kallsyms", "r");
	char line[512];
	unsigned int first_char[256];
	if (!file)
		return;
	view->kallsyms_read = true;
	fn_first_chars(first_char);
	while (fgets(line, sizeof line, file)) {
		char *name = strchr(line, ' ');
		if (!name || !name[1] || name[2] != ' ')
			continue;
		name += 3;
		if (!first_char[(unsigned char)*name])
			continue;
		name[strcspn(name, " \t\n")] = '\0';
		for (int fn = 0; fn < FN_COUNT; fn++) {
			size_t len = strlen(probe_fn_names[fn]);
			if (strncmp(name, probe_fn_names[fn], len) != 0)
				continue;
			if (name[len] == '\0')
				view->in_kallsyms[fn] = true;
			else if (name[len] == '.' && !view->clone[fn][0])
				snprintf(view->clone[fn], sizeof view->clone[fn], "%s", name);
		}
	}
	fclose(file);
}

/* Whether a struct or union (or an anonymous one inside it: head and tail
 * sit in one from 6.x) has the member. */
static bool members_have(const struct btf *btf, const struct btf_type *type, const char *member,
			 int depth)
{
	if (depth > 3 || !(btf_is_struct(type) || btf_is_union(type)))
		return false;
	const struct btf_member *m = btf_members(type);
	for (int i = 0; i < btf_vlen(type); i++, m++) {
		const char *name = btf__name_by_offset(btf, m->name_off);
		if (name && strcmp(name, member) == 0)
			return true;
		if ((!name || !*name) &&
		    members_have(btf, btf__type_by_id(btf, m->type), member, depth + 1))
			return true;
	}
	return false;
}

/* What the loader needs from the kernel's BTF, in one pass over its types:
 * a name search per question (btf__find_by_name_kind is linear) walked the
 * 6.1 kernel's types eleven times, 35 ms of the start-up in an
 * instruction-counted guest. */
static void read_btf_view(const struct btf *btf, struct kernel_view *view)
{
	int pipe_id = 0;
	unsigned int first_char[256];
	fn_first_chars(first_char);
	for (__u32 id = 1, count = btf__type_cnt(btf); id < count; id++) {
		const struct btf_type *type = btf__type_by_id(btf, id);
		if (!type->name_off || !(btf_is_func(type) || btf_is_struct(type)))
			continue;
		const char *name = btf__name_by_offset(btf, type->name_off);
		if (!name)
			continue;
		if (btf_is_func(type)) {
			for (unsigned int fns = first_char[(unsigned char)*name]; fns; fns &= fns - 1) {
				int fn = __builtin_ctz(fns);
				if (strcmp(name, probe_fn_names[fn]) == 0)
					view->in_btf[fn] = true;
			}
		} else if (strcmp(name, "bpf_ringbuf") == 0) {
			view->ringbuf = true;
		} else if (!pipe_id && strcmp(name, "pipe_inode_info") == 0) {
			pipe_id = (int)id; /* the first, as a name search would find */
		}
	}
	if (pipe_id) {
		const struct btf_type *pipe = btf__type_by_id(btf, pipe_id);
		view->old_layout =
			!members_have(btf, pipe, "head", 0) && members_have(btf, pipe, "nrbufs", 0);
	}
}

int parse_attach_mode(const char *text, enum attach_mode *mode)
{
	static const char *const names[] = {"auto", "fentry", "kprobe"};
	for (int i = 0; i < 3; i++)
		if (strcmp(text, names[i]) == 0) {
			*mode = (enum attach_mode)i;
			return 0;
		}
	return -1;
}

struct attempt {
	struct splice_probe_bpf *skel;
	struct bpf_link *links[FN_COUNT][2];
	json_t *attached;
	json_t *not_attached;
	char why[512]; /* why the attempt failed as a whole */
};

static void attempt_free(struct attempt *attempt)
{
	for (int fn = 0; fn < FN_COUNT; fn++)
		for (int end = 0; end < 2; end++)
			bpf_link__destroy(attempt->links[fn][end]);
	splice_probe_bpf__destroy(attempt->skel);
	json_decref(attempt->attached);
	json_decref(attempt->not_attached);
	memset(attempt, 0, sizeof *attempt);
}

static struct bpf_program *program(struct splice_probe_bpf *skel, const char *kind, int fn)
{
	char name[64];
	snprintf(name, sizeof name, "%s_%s", kind, probe_fn_names[fn]);
	return bpf_object__find_program_by_name(skel->obj, name);
}

static void not_attached(struct attempt *attempt, int fn, const char *why)
{
	json_array_append_new(attempt->not_attached,
			      json_pack("{s:s, s:s}", "fn", probe_fn_names[fn], "why", why));
}

/* Why fn cannot be traced in this mode before trying, or NULL. */
static const char *absent_why(const struct kernel_view *view, bool fentry, int fn, char *buf,
			      size_t size)
{
	if (fentry) {
		if (view->in_btf[fn])
			return NULL;
		return "not in this kernel (absent or inlined; not in BTF)";
	}
	if (view->in_kallsyms[fn])
		return NULL;
	if (view->clone[fn][0]) {
		snprintf(buf, size, "only a compiler clone (%s) is in /proc/kallsyms",
			 view->clone[fn]);
		return buf;
	}
	return view->kallsyms_read ? "not in this kernel (absent or inlined; not in /proc/kallsyms)"
				   : "/proc/kallsyms unreadable";
}

/* The name prefix of the programs for one end of the calls. */
static const char *program_kind(bool fentry, bool looped, bool exit)
{
	if (!fentry)
		return exit ? "kretprobe" : "kprobe";
	if (looped)
		return exit ? "fexit_loop" : "fentry_loop";
	return exit ? "fexit" : "fentry";
}

/* Each wanted function's exit and entry; -1 when splice_to_pipe's fail. */
static int attach_wanted(bool fentry, bool looped, const bool *wanted, struct attempt *attempt)
{
	/* The report names the kind of attach, whichever sum the programs use. */
	const char *entry_kind = program_kind(fentry, false, false);
	const char *exit_kind = program_kind(fentry, false, true);
	const char *entry_program = program_kind(fentry, looped, false);
	const char *exit_program = program_kind(fentry, looped, true);
	char buf[384];
	for (int fn = 0; fn < FN_COUNT; fn++) {
		if (!wanted[fn])
			continue;
		/* The exit first, so no call is seen entering without its return. */
		struct bpf_link *exit_link =
			bpf_program__attach(program(attempt->skel, exit_program, fn));
		int exit_err = exit_link ? 0 : errno;
		struct bpf_link *entry_link =
			exit_link ? bpf_program__attach(program(attempt->skel, entry_program, fn))
				  : NULL;
		if (!entry_link) {
			int e = exit_link ? errno : exit_err;
			bpf_link__destroy(exit_link);
			snprintf(buf, sizeof buf, "%s attach refused: %s",
				 exit_link ? entry_kind : exit_kind, strerror(e));
			not_attached(attempt, fn, buf);
			if (fn == FN_SPLICE_TO_PIPE) {
				snprintf(attempt->why, sizeof attempt->why, "splice_to_pipe: %s", buf);
				return -1;
			}
			continue;
		}
		attempt->links[fn][0] = entry_link;
		attempt->links[fn][1] = exit_link;
		json_array_append_new(attempt->attached, json_pack("{s:s, s:s}", "fn",
								   probe_fn_names[fn], "kind",
								   entry_kind));
		json_array_append_new(attempt->attached, json_pack("{s:s, s:s}", "fn",
								   probe_fn_names[fn], "kind",
								   exit_kind));
	}
	return 0;
}

static int try_mode(bool fentry, const struct attach_opts *opts, const char *btf_path,
		    const struct kernel_view *view, struct startup_times *times,
		    struct attempt *attempt)
{
	unsigned long long start_ns = probe_monotonic_ns();
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = btf_path);
	bool wanted[FN_COUNT];
	char buf[384];

	attempt->attached = json_array();
	attempt->not_attached = json_array();
	attempt->skel = open_skeleton(&open_opts);
	if (!attempt->skel) {
		snprintf(attempt->why, sizeof attempt->why, "open: %s", strerror(errno));
		return -1;
	}
	static const char *const kinds[] = {"fentry",	 "fexit",	  "fentry_loop",
					    "fexit_loop", "kprobe", "kretprobe"};
	const char *entry_program = program_kind(fentry, view->bpf_loop, false);
	const char *exit_program = program_kind(fentry, view->bpf_loop, true);
	for (int fn = 0; fn < FN_COUNT; fn++) {
		const char *why = absent_why(view, fentry, fn, buf, sizeof buf);
		wanted[fn] = why == NULL;
		if (why)
			not_attached(attempt, fn, why);
		for (int k = 0; k < 6; k++) {
			bool ours = strcmp(kinds[k], entry_program) == 0 ||
				    strcmp(kinds[k], exit_program) == 0;
			bpf_program__set_autoload(program(attempt->skel, kinds[k], fn),
						  ours && wanted[fn]);
		}
	}
	if (!wanted[FN_SPLICE_TO_PIPE]) {
		snprintf(attempt->why, sizeof attempt->why, "splice_to_pipe: %s",
			 absent_why(view, fentry, FN_SPLICE_TO_PIPE, buf, sizeof buf));
		return -1;
	}
	bpf_map__set_autocreate(attempt->skel->maps.records_ringbuf, view->ringbuf);
	/* Nothing is sent unless every event is asked for: one page, not 4 MB. */
	if (!opts->config.stream)
		bpf_map__set_max_entries(attempt->skel->maps.records_ringbuf, 4096);
	int err = splice_probe_bpf__load(attempt->skel);
	unsigned long long loaded_ns = probe_monotonic_ns();
	times->load_ns += loaded_ns - start_ns;
	if (err) {
		snprintf(attempt->why, sizeof attempt->why, "load refused: %s", strerror(-err));
		return -1;
	}
	__u32 zero = 0;
	if (bpf_map__update_elem(attempt->skel->maps.probe_config_map, &zero, sizeof zero, &opts->config,
				 sizeof opts->config, 0)) {
		snprintf(attempt->why, sizeof attempt->why, "config map: %s", strerror(errno));
		return -1;
	}
	unsigned long long attach_ns = probe_monotonic_ns();
	int rc = attach_wanted(fentry, view->bpf_loop, wanted, attempt);
	times->attach_ns += probe_monotonic_ns() - attach_ns;
	return rc;
}

/* Which path libbpf took for the kprobes: its legacy one leaves events named
 * libbpf_<pid>_... in tracefs' kprobe_events; the perf kprobe PMU leaves
 * none there. */
static bool kprobes_through_tracefs(void)
{
	static const char *const files[] = {"/sys/kernel/tracing/kprobe_events",
					    "/sys/kernel/debug/tracing/kprobe_events"};
	char ours[32], line[512];
	bool found = false;
	snprintf(ours, sizeof ours, "libbpf_%d_", (int)getpid());
	for (int i = 0; i < 2 && !found; i++) {
		FILE *file = fopen(files[i], "r");
		if (!file)
			continue;
		while (!found && fgets(line, sizeof line, file))
			found = strstr(line, ours) != NULL;
		fclose(file);
	}
	return found;
}

/* What this run did, from which not_verified is derived. */
struct run_facts {
	bool old_layout, ringbuf, fentry, tracefs_kprobes, bpf_loop;
	const char *no_fentry_why; /* kprobe mode: why not fentry */
	struct verifier_features verifier;
};

static void add_verifier_item(json_t *list, enum verifier_answer answer, const char *what)
{
	char text[256];
	if (answer == VERIFIER_ACCEPTS)
		snprintf(text, sizeof text, "a verifier without %s: this kernel's has them", what);
	else if (answer == VERIFIER_UNKNOWN)
		snprintf(text, sizeof text,
			 "a verifier without %s: unknown here (the check program was refused)",
			 what);
	else
		return;
	json_array_append_new(list, json_string(text));
}

/* Only what this run did not exercise: the other pipe layout, the other
 * buffer, the other attach paths, verifier limits this kernel lacks. */
static json_t *not_verified(const struct run_facts *facts)
{
	json_t *list = json_array();
	json_array_append_new(list, json_string(facts->old_layout
							? "the 5.5+ pipe layout (head, tail, max_usage): "
							  "this kernel has the older one"
							: "the pre-5.5 pipe layout (nrbufs, curbuf, "
							  "buffers): this kernel has the newer one"));
	json_array_append_new(list, json_string(facts->ringbuf
							? "the perf buffer (kernels without a ring "
							  "buffer): this run used the ring buffer"
							: "the ring buffer: this kernel has none, the "
							  "perf buffer was used"));
	char text[600];
	if (facts->fentry) {
		json_array_append_new(list, json_string("kprobe/kretprobe attach (perf kprobe PMU or "
							"tracefs kprobe_events): fentry attached"));
	} else {
		snprintf(text, sizeof text, "fentry/fexit: %s", facts->no_fentry_why);
		json_array_append_new(list, json_string(text));
		json_array_append_new(list, json_string(facts->tracefs_kprobes
								? "kprobes through the perf kprobe PMU: "
								  "this kernel has none, tracefs "
								  "kprobe_events was used"
								: "kprobes through tracefs kprobe_events "
								  "(kernels without the perf kprobe PMU): "
								  "the PMU was used"));
	}
	json_array_append_new(list, json_string(facts->bpf_loop
							? "the unrolled sum of the pipe's slots (kprobe "
							  "mode, and fentry without bpf_loop): this run "
							  "summed them with bpf_loop"
							: "the sum of the pipe's slots with bpf_loop (fentry "
							  "where the kernel has bpf_loop): this run "
							  "unrolled it"));
	add_verifier_item(list, facts->verifier.bounded_loops, "bounded loops (before 5.3)");
	add_verifier_item(list, facts->verifier.global_data, "global data (before 5.2)");
	return list;
}

static json_t *answer_json(enum verifier_answer answer)
{
	return answer == VERIFIER_UNKNOWN ? json_null() : json_boolean(answer == VERIFIER_ACCEPTS);
}

int attach_probes(const struct attach_opts *opts, struct attached *out)
{
	struct kernel_view view = {0};
	char reason[1200] = "";
	const char *btf_from = opts->btf_path ? opts->btf_path : KERNEL_BTF;
	struct startup_times times = {0};
	memset(out, 0, sizeof *out);

	times.btf_ns = probe_monotonic_ns();
	view.btf = opts->btf_path ? btf__parse(opts->btf_path, NULL) : btf__load_vmlinux_btf();
	if (!view.btf) {
		struct utsname uts;
		uname(&uts);
		if (opts->btf_path)
			snprintf(reason, sizeof reason, "cannot read BTF from %s: %s",
				 opts->btf_path, strerror(errno));
		else
			snprintf(reason, sizeof reason,
				 "this kernel has no BTF (no %s): pass --btf FILE with the BTF of "
				 "kernel %s (BTFHub, or pahole --btf_encode_detached)",
				 KERNEL_BTF, uts.release);
		out->report = json_pack("{s:s, s:s}", "mode", "none", "reason", reason);
		return -1;
	}
	/* libbpf would search the whole BTF for the candidates of each type it
	 * relocates: give it only what the relocations look at (for fentry it
	 * still parses the kernel's own, to find the trampolines' targets). */
	struct min_btf min = {.fd = -1};
	size_t object_size;
	const void *object = probe_object_bytes(&object_size);
	if (min_btf_make(view.btf, object, object_size, &min))
		min.fd = -1;
	/* The kernel side chooses by the same tests (bpf_core_type_exists,
	 * bpf_core_field_exists). */
	read_btf_view(view.btf, &view);
	/* libbpf parses the kernel's BTF again to load: not both at once (the
	 * tool's peak memory, 6.1: 16 MB). */
	btf__free(view.btf);
	view.btf = NULL;
	times.btf_ns = probe_monotonic_ns() - times.btf_ns;

	struct attempt attempt = {0};
	bool fentry = false;
	int rc = -1;
	char fentry_why[600] = "";
	/* fentry needs the running kernel's own BTF: a --btf file cannot give
	 * trampolines their target. */
	if (opts->mode == MODE_KPROBE)
		snprintf(fentry_why, sizeof fentry_why, "not tried (--mode kprobe)");
	else if (opts->btf_path)
		snprintf(fentry_why, sizeof fentry_why,
			 "not tried (--btf: trampolines need the kernel's own BTF)");
	else {
		view.bpf_loop = libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_loop, NULL) == 1;
		rc = try_mode(true, opts, min.fd >= 0 ? min.path : NULL, &view, &times, &attempt);
		if (rc != 0 && view.bpf_loop) {
			/* Never a worse result for bpf_loop: the unrolled sum. */
			attempt_free(&attempt);
			view.bpf_loop = false;
			rc = try_mode(true, opts, min.fd >= 0 ? min.path : NULL, &view, &times,
				      &attempt);
		}
		if (rc != 0 && min.fd >= 0) {
			/* Never a worse result for the cut: the kernel's whole BTF. */
			attempt_free(&attempt);
			rc = try_mode(true, opts, NULL, &view, &times, &attempt);
		}
		fentry = rc == 0;
		if (fentry)
			snprintf(reason, sizeof reason,
				 "fentry/fexit loaded and attached: this kernel has BPF trampolines");
		else
			snprintf(fentry_why, sizeof fentry_why, "%s", attempt.why);
		if (!fentry)
			attempt_free(&attempt);
	}
	if (!fentry)
		snprintf(reason, sizeof reason, "fentry: %s", fentry_why);
	if (rc != 0 && opts->mode != MODE_FENTRY) {
		/* Only kprobes need the symbol table; reading it costs as much as
		 * loading every program, in a slow guest. */
		read_kallsyms(&view);
		rc = try_mode(false, opts, min.fd >= 0 ? min.path : opts->btf_path, &view, &times,
			      &attempt);
		if (rc != 0 && min.fd >= 0) {
			/* Never a worse result for the cut: the whole file again. */
			attempt_free(&attempt);
			min_btf_close(&min);
			rc = try_mode(false, opts, opts->btf_path, &view, &times, &attempt);
		}
		size_t used = strlen(reason);
		snprintf(reason + used, sizeof reason - used, "; kprobe: %s",
			 rc == 0 ? "kprobe/kretprobe attached" : attempt.why);
		if (rc != 0)
			attempt_free(&attempt);
	}
	json_t *btf_cut = min.fd >= 0 ? json_integer((json_int_t)min.types) : json_null();
	min_btf_close(&min);
	if (rc != 0) {
		json_decref(btf_cut);
		out->report = json_pack("{s:s, s:s, s:s}", "mode", "none", "reason", reason, "btf",
					btf_from);
		btf__free(view.btf);
		return -1;
	}
	out->skel = attempt.skel;
	out->ringbuf = view.ringbuf;
	memcpy(out->links, attempt.links, sizeof out->links);
	struct run_facts facts = {
		.old_layout = view.old_layout,
		.ringbuf = view.ringbuf,
		.fentry = fentry,
		.bpf_loop = fentry && view.bpf_loop,
		.tracefs_kprobes = !fentry && kprobes_through_tracefs(),
		.no_fentry_why = fentry_why,
	};
	probe_verifier_features(&facts.verifier);
	out->report = json_pack(
		"{s:s, s:s, s:o, s:o, s:s, s:s, s:o, s:s, s:s?, s:{s:o, s:o}, s:o}", "mode",
		fentry ? "fentry" : "kprobe", "reason", reason, "attached", attempt.attached,
		"not_attached", attempt.not_attached, "pipe_layout",
		facts.old_layout ? "nrbufs" : "head_tail", "btf", btf_from, "btf_cut_types",
		btf_cut, "buffer",
		view.ringbuf ? "ringbuf" : "perfbuf", "kprobes_via",
		fentry ? NULL : facts.tracefs_kprobes ? "kprobe_events" : "perf_kprobe_pmu",
		"verifier", "bounded_loops", answer_json(facts.verifier.bounded_loops),
		"global_data", answer_json(facts.verifier.global_data), "not_verified",
		not_verified(&facts));
	json_object_set_new(out->report, "slot_sum",
			    json_string(facts.bpf_loop ? "bpf_loop" : "unrolled"));
	json_object_set_new(out->report, "startup_ms",
			    json_pack("{s:f, s:f, s:f}", "btf", (double)times.btf_ns / 1e6, "load",
				      (double)times.load_ns / 1e6, "attach",
				      (double)times.attach_ns / 1e6));
	btf__free(view.btf);
	return 0;
}

void detach_probes(struct attached *probes)
{
	for (int fn = 0; fn < FN_COUNT; fn++)
		for (int end = 0; end < 2; end++)
			bpf_link__destroy(probes->links[fn][end]);
	splice_probe_bpf__destroy(probes->skel);
	json_decref(probes->report);
	memset(probes, 0, sizeof *probes);
}
