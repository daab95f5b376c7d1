/* One look at a live process: every thread sampled twice over a window,
 * the ends of each splice and readiness wait resolved to sockets and pipes,
 * what the binary is, and a verdict per thread and for the process. */
#ifndef SPLICELAB_DOCTOR_DIAGNOSIS_H
#define SPLICELAB_DOCTOR_DIAGNOSIS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ends.h"
#include "gobuild.h"
#include "procview.h"
#include "verdict.h"

#define MAX_WATCHED 8

/* One end of a splice (or a watched fd of a wait), as seen at both samples. */
struct end_view {
	int fd; /* -1: none */
	enum end_kind kind;
	unsigned long inode;
	bool nonblock, flags_known;
	const struct tcp_sock *sock[2]; /* TCP sockets: the two samples' rows */
	const struct pipe_state *pipe;
};

struct doctor_thread {
	pid_t tid;
	char comm[32];
	struct thread_view view[2];
	int64_t woke; /* voluntary context switches between the samples, -1 unknown */
	bool splice_seen;
	int splice_sample; /* which sample (0, 1; 2 = an extra look) saw splice's args */
	unsigned long splice_len, splice_flags;
	struct end_view in, out;
	bool waiting;	/* poll/epoll/select at both samples */
	int epfd;	/* epoll_wait/epoll_pwait: its epoll fd, else -1 */
	bool edge_triggered;
	struct end_view watched[MAX_WATCHED];
	int nwatched;
	enum doctor_verdict verdict;
	char note[512];
	const char *regime; /* what the stack says of the kernel, or NULL */
};

struct diagnosis {
	pid_t pid;
	char comm[32];
	char exe[512]; /* the link target, "" when unreadable */
	int exe_error;
	enum gobuild_result go_result;
	struct go_build go;
	enum go_splice go_splice;
	unsigned window_ms;
	uint64_t elapsed_ns;  /* wall time between the samples */
	uint64_t own_cpu_ns;  /* this tool's CPU for the whole diagnosis */
	struct doctor_thread *threads;
	size_t nthreads;
	struct fd_table fds;
	struct tcp_table tcp[2];
	struct pipe_state *pipes;
	size_t npipes;
	/* What could not be read, for the "unreadable" list: errno, 0 = read. */
	int stack_error, syscall_error, fd_error, net_error, pipe_error;
	size_t stacks_read;
	enum doctor_verdict verdict;
	size_t counts[DV_COUNT];
	char note[1024];
	char regime[256];
};

/* Checks that pid names a live process we may inspect. Returns 0, or an
 * errno (ESRCH: no such process; EACCES: not ours) with a sentence in why. */
int diagnosis_check_pid(pid_t pid, char *why, size_t len);

/* Samples the process twice, window_ms apart, and judges it. Returns 0, or
 * ESRCH when the process went away during the look. */
int diagnosis_run(pid_t pid, unsigned window_ms, struct diagnosis *d);
void diagnosis_free(struct diagnosis *d);

/* The program's part of the story: Go version and the fix, or the binary. */
void diagnosis_program_note(const struct diagnosis *d, char *buf, size_t len);

#endif
