/* Choosing how splicelab-probe attaches on the running kernel, by trying it:
 * fentry where the kernel loads and attaches trampolines, else kprobes; only
 * the functions this kernel has; what did and did not attach, and why. */
#ifndef SPLICELAB_PROBE_ATTACH_H
#define SPLICELAB_PROBE_ATTACH_H

#include <jansson.h>
#include <stdbool.h>

#include "splice_probe.h"

struct splice_probe_bpf;
struct bpf_link;

enum attach_mode { MODE_AUTO, MODE_FENTRY, MODE_KPROBE };

struct attach_opts {
	enum attach_mode mode;
	const char *btf_path; /* --btf, or NULL for the kernel's own */
	struct probe_config config;
};

struct attached {
	struct splice_probe_bpf *skel;
	struct bpf_link *links[FN_COUNT][2]; /* entry, exit */
	bool ringbuf;
	/* env.probes of matrix.json: mode, reason, attached, not_attached,
	 * pipe_layout, btf, buffer, not_verified */
	json_t *report;
};

extern const char *const probe_fn_names[FN_COUNT];

/* Whether fn is a wait (its time inside is time slept). */
bool probe_fn_waits(unsigned int fn);

/* Loads and attaches. Returns 0 with *out filled, or -1 with out->report
 * saying why (mode "none"); out->report is always set. */
int attach_probes(const struct attach_opts *opts, struct attached *out);

void detach_probes(struct attached *probes);

/* CLOCK_MONOTONIC in ns: the start-up's timing. */
unsigned long long probe_monotonic_ns(void);

int parse_attach_mode(const char *text, enum attach_mode *mode);

#endif
