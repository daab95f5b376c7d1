/* The verdict on one thread of a live process, from two samples of the
 * kernel's view of it. Pure: everything it looks at is in the evidence, so
 * unit tests can feed it recorded cases. */
#ifndef SPLICELAB_DOCTOR_VERDICT_H
#define SPLICELAB_DOCTOR_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum doctor_verdict {
	DV_NOT_IN_SPLICE, /* the thread has nothing to do with a splice */
	DV_IDLE,	  /* in splice or a readiness wait, nothing queued */
	DV_PROGRESS,
	DV_SPINNING,
	DV_STALLED,
	DV_BLOCKED,
};
#define DV_COUNT (DV_BLOCKED + 1)

/* The words the table and JSON print; a process takes its threads' worst. */
const char *doctor_verdict_name(enum doctor_verdict v);

struct thread_evidence {
	char state[2];	      /* R, S, D… at the two samples; '?' unreadable */
	bool splice_seen;     /* in splice at a sample (or in an extra look) */
	bool splice_both;     /* in splice at both samples */
	bool pipe_wait;	      /* wchan or stack names a pipe wait (syscall unreadable) */
	bool wait_both;	      /* in poll/epoll/select at both samples */
	bool syscall_known;
	bool process_has_pipes;
	uint64_t window_ns;
	uint64_t cpu_ns; /* used between the samples */
	bool cpu_known;
	int64_t woke;	 /* voluntary context switches in the window, -1 unknown */
	bool pending;	 /* bytes wait in the thread's ends (or its watched sockets) */
	bool progress;	 /* the ends' queue levels changed between the samples */
	/* A thread on a CPU at both samples shows no syscall ("running"):
	 * then only the whole process's ends can speak for it. */
	bool running_both;
	bool process_pending; /* bytes wait in any of its sockets or pipes */
	bool process_moved;   /* any of them changed between the samples */
};

enum doctor_verdict verdict_classify(const struct thread_evidence *e);

/* CPU in the window that makes a thread a burner: a fifth of the window,
 * at least 5 ms (the same margin the cell engine uses). */
bool verdict_burned(const struct thread_evidence *e);

#endif
