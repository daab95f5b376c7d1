/* The kernel's own view of a thread, read from /proc/PID/task/TID. */
#ifndef SPLICELAB_PROCVIEW_H
#define SPLICELAB_PROCVIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SYSCALL_RUNNING (-1) /* the thread was on a CPU, in user space */
#define SYSCALL_UNKNOWN (-2) /* /proc/.../syscall unreadable */

struct thread_view {
	pid_t tid;
	char state;	 /* R, S, D, T, Z…; '?' when unreadable */
	char wchan[64]; /* "" when the kernel hides it ("0") */
	long syscall_nr;
	/* The six arguments /proc/.../syscall shows for a thread asleep in a
	 * call (the fds of a splice, the epoll fd of a wait); nargs 0 when the
	 * thread was running or the file was unreadable. */
	unsigned long args[6];
	int nargs;
	uint64_t cpu_ns;
	bool cpu_known;
	char *stack;	/* frames, one per line without addresses; NULL when unread */
	int stack_error; /* errno when the stack could not be read */
};

/* Fills view for tid of process pid. want_stack reads the kernel stack too
 * (root only on most kernels). Returns -1 when the thread is gone. */
int procview_read(pid_t pid, pid_t tid, bool want_stack, struct thread_view *view);
/* State and syscall only (cpu_known false, wchan ""): a third of the
 * reads, for a look at every thread of a big process. */
int procview_read_brief(pid_t pid, pid_t tid, struct thread_view *view);
void procview_free(struct thread_view *view);

/* Reads from root instead of /proc: recorded snapshots in tests. */
void procview_set_root(const char *root);

/* CPU time used by one thread so far: schedstat (ns) when the kernel keeps
 * it, else utime+stime ticks. Returns false when unreadable. */
bool procview_cpu_ns(pid_t pid, pid_t tid, uint64_t *cpu_ns);

/* 1 when the kernel says TCP is under memory pressure now (the "press"
 * column of net/protocols: tcp_mem's middle limit passed, socket memory
 * refused until it falls), 0 when not, -1 unknown. *entries gets how often
 * it entered pressure so far (TcpExt TCPMemoryPressures in net/netstat),
 * UINT64_MAX when unknown. */
int procview_tcp_memory_pressure(uint64_t *entries);

/* "splice", "epoll_wait"… for the syscalls a relay can sleep in; NULL else. */
const char *syscall_name(long nr);
/* The syscall as JSON should show it: its name, "running", "unknown" or the
 * number in decimal. */
void syscall_label(long nr, char *buf, size_t len);
bool syscall_is_splice(long nr);
bool syscall_is_readiness_wait(long nr);

#endif
