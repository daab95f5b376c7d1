/* The matrix runner's hook into the kernel probes (probes/).
 *
 * The runner never links libbpf itself: with --probe it starts the probe tool
 * (splicelab-probe, installed next to splicelab) as a separate process that
 * records every task whose parent is the runner (the kernel sums each
 * process up); once the matrix is done it is told which process ran which
 * cell (pid, time range) and writes each cell's summary, and, only when
 * every event is asked for (splicelab --probe-events all), every event
 * tagged with its cell (events_path) and the summaries computed from them
 * beside it (kernel-from-events.json). */
#ifndef SPLICELAB_PROBE_SESSION_H
#define SPLICELAB_PROBE_SESSION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct probe_session;

/* One run of one cell: the cell process and its CLOCK_MONOTONIC life span. */
struct probe_run {
	pid_t pid;
	uint64_t start_ns;
	uint64_t end_ns;
	size_t cell; /* index into the cells array given to probe_session_join */
};

/* What the runner asks of the probe tool. */
struct probe_request {
	const char *mode; /* auto, fentry, kprobe; NULL is auto */
	const char *btf;  /* the kernel's BTF file for kernels without their own, or NULL */
	bool all_events;  /* stream every event to events_path, not only the summaries */
};

/* Starts the probes and waits (bounded) until they are attached. Returns NULL
 * when probes cannot run here; then *env_probes says why (mode "none"). On
 * success *env_probes holds mode ("kprobe"/"fentry"), what attached and what
 * did not. *env_probes is always set to a new object owned by the caller. */
struct probe_session *probe_session_start(const char *events_path, pid_t runner_pid,
					  const struct probe_request *request, json_t **env_probes);

/* Tells the probe tool which process ran which cell, stops it (bounded),
 * and sets each cell's "kernel" summary in cells from what it wrote (with
 * every event asked for, the tool tags each in events_path with its cell).
 * Adds the event and lost-event counts to env_probes. Returns 0 on success. Always frees the
 * session. */
int probe_session_finish(struct probe_session *session, const struct probe_run *runs,
			 size_t nruns, json_t *cells, json_t *env_probes);

#endif
