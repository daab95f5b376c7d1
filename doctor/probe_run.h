/* --probe: splicelab-probe attached to the process for a few seconds after
 * the look, for the pipe's timeline as the kernel saw it (what each
 * splice_to_pipe found and left). A thread already asleep inside splice
 * makes no new call, so a hung relay shows only the calls still made. */
#ifndef SPLICELAB_DOCTOR_PROBE_RUN_H
#define SPLICELAB_DOCTOR_PROBE_RUN_H

#include <jansson.h>
#include <sys/types.h>

/* Runs splicelab-probe (beside this binary, else on PATH) on pid for
 * seconds; btf (or NULL) is passed as --btf. Returns the "probe" object
 * of docs/schema.md: status "ran", "refused" (exit 69, with the probe's
 * reason) or "failed". */
json_t *probe_run(pid_t pid, unsigned seconds, const char *btf);

#endif
