#include "verdict.h"

static const char *const names[DV_COUNT] = {
	[DV_NOT_IN_SPLICE] = "not in splice",
	[DV_IDLE] = "idle, nothing queued",
	[DV_PROGRESS] = "making progress",
	[DV_SPINNING] = "spinning on EAGAIN",
	[DV_STALLED] = "stalled waiting for readiness with data queued",
	[DV_BLOCKED] = "blocked in splice",
};

const char *doctor_verdict_name(enum doctor_verdict v)
{
	return (unsigned)v < DV_COUNT ? names[v] : "unknown";
}

bool verdict_burned(const struct thread_evidence *e)
{
	uint64_t threshold = e->window_ns / 5;
	if (threshold < 5000000)
		threshold = 5000000;
	return e->cpu_known && e->cpu_ns >= threshold;
}

static bool asleep(char state)
{
	return state == 'S' || state == 'D';
}

/* Slept through the whole window: asleep at both samples, and (where the
 * kernel says) not woken in between and no CPU used. */
static bool slept_through(const struct thread_evidence *e)
{
	return asleep(e->state[0]) && asleep(e->state[1]) && e->woke <= 0 && !verdict_burned(e);
}

enum doctor_verdict verdict_classify(const struct thread_evidence *e)
{
	bool in_splice = e->splice_seen || (!e->syscall_known && e->pipe_wait);
	if (verdict_burned(e) && in_splice)
		/* A retry loop: CPU burns, nothing moves, it never sleeps. */
		return e->progress || e->woke > 0 ? DV_PROGRESS : DV_SPINNING;
	/* Runnable at both samples and never asleep in between: a loop, however
	 * little CPU a busy machine gave it (at least 5 ms). */
	bool never_slept = e->running_both && e->woke == 0 && e->cpu_known && e->cpu_ns >= 5000000;
	if ((verdict_burned(e) || never_slept) && e->running_both && e->process_has_pipes && e->woke == 0 &&
	    e->process_pending && !e->process_moved)
		/* Always on a CPU, never asleep, and nothing moves anywhere in
		 * the process while bytes wait: a retry loop (what it retries is
		 * not visible: the kernel shows no syscall of a running thread). */
		return DV_SPINNING;
	if ((verdict_burned(e) || never_slept) && e->running_both && e->process_has_pipes &&
	    e->process_moved)
		/* Always on a CPU while the relay's queues move: busy, and working. */
		return DV_PROGRESS;
	bool in_splice_all_window = e->splice_both || (!e->syscall_known && e->pipe_wait);
	if (in_splice_all_window && slept_through(e) && !e->progress)
		return e->pending ? DV_BLOCKED : DV_IDLE;
	if (e->wait_both && e->process_has_pipes && slept_through(e) && !e->progress)
		return e->pending ? DV_STALLED : DV_IDLE;
	if (in_splice || (e->wait_both && e->process_has_pipes))
		return DV_PROGRESS;
	return DV_NOT_IN_SPLICE;
}
