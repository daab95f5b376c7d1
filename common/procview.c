#include "procview.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t used = 0;
	while (used + 1 < len) {
		ssize_t n = read(fd, buf + used, len - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0) {
				int saved = errno;
				close(fd);
				errno = saved;
				return -1;
			}
			break;
		}
		used += (size_t)n;
	}
	buf[used] = '\0';
	close(fd);
	return (int)used;
}

static const char *proc_root = "/proc";

void procview_set_root(const char *root)
{
	proc_root = root;
}

/* The value under `field` in net/netstat's two TcpExt lines (names, values). */
static uint64_t tcpext_counter(const char *field)
{
	char path[PATH_MAX], text[16384];
	snprintf(path, sizeof path, "%s/net/netstat", proc_root);
	if (read_text(path, text, sizeof text) <= 0)
		return UINT64_MAX;
	char *names = strstr(text, "TcpExt:");
	char *values = names ? strstr(names + 1, "TcpExt:") : NULL;
	if (!values)
		return UINT64_MAX;
	values[-1] = '\0';
	char *name_save = NULL, *value_save = NULL;
	char *name = strtok_r(names, " \n", &name_save);
	char *value = strtok_r(values, " \n", &value_save);
	for (; name && value; name = strtok_r(NULL, " \n", &name_save),
			      value = strtok_r(NULL, " \n", &value_save))
		if (!strcmp(name, field))
			return strtoull(value, NULL, 10);
	return UINT64_MAX;
}

int procview_tcp_memory_pressure(uint64_t *entries)
{
	*entries = tcpext_counter("TCPMemoryPressures");
	char path[PATH_MAX], text[16384];
	snprintf(path, sizeof path, "%s/net/protocols", proc_root);
	if (read_text(path, text, sizeof text) <= 0)
		return -1;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[16], press[8];
		if (sscanf(line, "%15s %*u %*d %*d %7s", name, press) == 2 && !strcmp(name, "TCP"))
			return !strcmp(press, "yes") ? 1 : !strcmp(press, "no") ? 0 : -1;
	}
	return -1;
}

static void task_path(char *buf, size_t len, pid_t pid, pid_t tid, const char *file)
{
	snprintf(buf, len, "%s/%d/task/%d/%s", proc_root, (int)pid, (int)tid, file);
}

/* Field 3 of stat, after the parenthesised comm (which may hold spaces). */
static const char *stat_after_comm(const char *stat)
{
	const char *close_paren = strrchr(stat, ')');
	return close_paren && close_paren[1] ? close_paren + 2 : NULL;
}

bool procview_cpu_ns(pid_t pid, pid_t tid, uint64_t *cpu_ns)
{
	char path[PATH_MAX], text[512];
	task_path(path, sizeof path, pid, tid, "schedstat");
	unsigned long long run_ns = 0;
	if (read_text(path, text, sizeof text) > 0 && sscanf(text, "%llu", &run_ns) == 1 &&
	    run_ns > 0) {
		*cpu_ns = run_ns;
		return true;
	}
	task_path(path, sizeof path, pid, tid, "stat");
	if (read_text(path, text, sizeof text) <= 0)
		return false;
	const char *rest = stat_after_comm(text);
	unsigned long long utime, stime;
	/* rest starts at field 3 (state); utime and stime are fields 14, 15. */
	if (!rest || sscanf(rest, "%*c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu", &utime,
			    &stime) != 2)
		return false;
	long ticks = sysconf(_SC_CLK_TCK);
	*cpu_ns = (utime + stime) * (1000000000ull / (unsigned long long)(ticks > 0 ? ticks : 100));
	return true;
}

/* "[<0>] pipe_wait_writable+0x86/0xd0" -> "pipe_wait_writable+0x86/0xd0". */
static char *clean_stack(const char *raw)
{
	size_t len = strlen(raw);
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	size_t used = 0;
	for (const char *line = raw; *line;) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		const char *frame = line;
		if (frame[0] == '[') {
			const char *close = memchr(frame, ']', n);
			if (close) {
				frame = close + 1;
				while (*frame == ' ')
					frame++;
			}
		}
		size_t frame_len = n - (size_t)(frame - line);
		if (frame_len) {
			memcpy(out + used, frame, frame_len);
			used += frame_len;
			out[used++] = '\n';
		}
		line += n + (end ? 1 : 0);
	}
	out[used] = '\0';
	return out;
}

static int read_view(pid_t pid, pid_t tid, bool full, bool want_stack, struct thread_view *view)
{
	char path[PATH_MAX], text[4096];
	memset(view, 0, sizeof *view);
	view->tid = tid;
	view->state = '?';
	view->syscall_nr = SYSCALL_UNKNOWN;

	task_path(path, sizeof path, pid, tid, "stat");
	if (read_text(path, text, sizeof text) <= 0)
		return -1;
	const char *rest = stat_after_comm(text);
	if (rest)
		view->state = rest[0];

	task_path(path, sizeof path, pid, tid, "wchan");
	if (full && read_text(path, view->wchan, sizeof view->wchan) > 0 &&
	    strcmp(view->wchan, "0") == 0)
		view->wchan[0] = '\0';

	task_path(path, sizeof path, pid, tid, "syscall");
	if (read_text(path, text, sizeof text) > 0) {
		long nr;
		if (strncmp(text, "running", 7) == 0)
			view->syscall_nr = SYSCALL_RUNNING;
		else if (sscanf(text, "%ld", &nr) == 1) {
			view->syscall_nr = nr;
			unsigned long *a = view->args;
			int n = sscanf(text, "%*d %lx %lx %lx %lx %lx %lx", &a[0], &a[1], &a[2],
				       &a[3], &a[4], &a[5]);
			view->nargs = n > 0 ? n : 0;
		}
	}

	view->cpu_known = full && procview_cpu_ns(pid, tid, &view->cpu_ns);

	if (want_stack) {
		task_path(path, sizeof path, pid, tid, "stack");
		if (read_text(path, text, sizeof text) >= 0) {
			view->stack = clean_stack(text);
			/* A running thread has no sleeping stack to show; hardened
			 * kernels answer with an empty file too. */
			if (view->stack && !view->stack[0]) {
				free(view->stack);
				view->stack = NULL;
			}
		} else {
			view->stack_error = errno;
		}
	}
	return 0;
}

int procview_read(pid_t pid, pid_t tid, bool want_stack, struct thread_view *view)
{
	return read_view(pid, tid, true, want_stack, view);
}

int procview_read_brief(pid_t pid, pid_t tid, struct thread_view *view)
{
	return read_view(pid, tid, false, false, view);
}

void procview_free(struct thread_view *view)
{
	free(view->stack);
	view->stack = NULL;
}

static const struct {
	long nr;
	const char *name;
} syscall_table[] = {
	{SYS_splice, "splice"},
	{SYS_read, "read"},
	{SYS_write, "write"},
	{SYS_ppoll, "ppoll"},
	{SYS_epoll_pwait, "epoll_pwait"},
	{SYS_pselect6, "pselect6"},
	{SYS_futex, "futex"},
	{SYS_nanosleep, "nanosleep"},
	{SYS_clock_nanosleep, "clock_nanosleep"},
	{SYS_recvfrom, "recvfrom"},
	{SYS_sendto, "sendto"},
	{SYS_accept4, "accept4"},
	{SYS_connect, "connect"},
#ifdef SYS_poll
	{SYS_poll, "poll"},
#endif
#ifdef SYS_epoll_wait
	{SYS_epoll_wait, "epoll_wait"},
#endif
#ifdef SYS_select
	{SYS_select, "select"},
#endif
#ifdef SYS_accept
	{SYS_accept, "accept"},
#endif
};

const char *syscall_name(long nr)
{
	for (size_t i = 0; i < sizeof syscall_table / sizeof syscall_table[0]; i++)
		if (syscall_table[i].nr == nr)
			return syscall_table[i].name;
	return NULL;
}

void syscall_label(long nr, char *buf, size_t len)
{
	const char *name = syscall_name(nr);
	if (nr == SYSCALL_RUNNING)
		snprintf(buf, len, "running");
	else if (nr == SYSCALL_UNKNOWN)
		snprintf(buf, len, "unknown");
	else if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%ld", nr);
}

bool syscall_is_splice(long nr)
{
	return nr == SYS_splice;
}

bool syscall_is_readiness_wait(long nr)
{
	const char *name = syscall_name(nr);
	return name && (strstr(name, "poll") || strstr(name, "select"));
}
