#include "ends.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

void *array_room(void *items, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return items;
	size_t grown_cap = *cap ? *cap * 2 : 64;
	void *grown = realloc(items, grown_cap * size);
	if (grown)
		*cap = grown_cap;
	return grown;
}

static int compare_fd(const void *a, const void *b)
{
	const struct fd_end *x = a, *y = b;
	return (x->fd > y->fd) - (x->fd < y->fd);
}

/* fdinfo's "flags:" line is the file's f_flags in octal. */
static void read_fd_flags(pid_t pid, struct fd_end *end)
{
	char path[64], text[256];
	snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)pid, end->fd);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	unsigned long flags;
	while (fgets(text, sizeof text, f)) {
		if (sscanf(text, "flags: %lo", &flags) == 1) {
			end->nonblock = (flags & O_NONBLOCK) != 0;
			end->flags_known = true;
			break;
		}
	}
	fclose(f);
}

void fd_table_read(pid_t pid, struct fd_table *table)
{
	memset(table, 0, sizeof *table);
	char dir_path[64];
	snprintf(dir_path, sizeof dir_path, "/proc/%d/fd", (int)pid);
	DIR *dir = opendir(dir_path);
	if (!dir) {
		table->error = errno;
		return;
	}
	size_t cap = 0;
	const struct dirent *de;
	while ((de = readdir(dir))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		char target[128];
		ssize_t n = readlinkat(dirfd(dir), de->d_name, target, sizeof target - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		struct fd_end end = {.fd = atoi(de->d_name), .kind = END_OTHER};
		if (sscanf(target, "socket:[%lu]", &end.inode) == 1)
			end.kind = END_SOCKET;
		else if (sscanf(target, "pipe:[%lu]", &end.inode) == 1)
			end.kind = END_PIPE;
		else
			continue; /* files, epoll, eventfd: not a splice end */
		read_fd_flags(pid, &end);
		struct fd_end *room = array_room(table->ends, table->n, &cap, sizeof *room);
		if (!room)
			break;
		table->ends = room;
		table->ends[table->n++] = end;
	}
	closedir(dir);
	qsort(table->ends, table->n, sizeof *table->ends, compare_fd);
}

void fd_table_free(struct fd_table *table)
{
	free(table->ends);
	memset(table, 0, sizeof *table);
}

const struct fd_end *fd_table_find(const struct fd_table *table, int fd)
{
	struct fd_end key = {.fd = fd};
	return table->n ? bsearch(&key, table->ends, table->n, sizeof key, compare_fd) : NULL;
}

/* The kernel prints each 32-bit word of the address as a hex number in
 * host order: copying the words back gives the address's bytes. */
static bool format_addr(const char *hex, size_t hex_len, unsigned port, char *out, size_t len)
{
	unsigned char addr[16];
	size_t words = hex_len / 8;
	if ((words != 1 && words != 4) || hex_len % 8)
		return false;
	for (size_t i = 0; i < words; i++) {
		char word[9];
		memcpy(word, hex + 8 * i, 8);
		word[8] = '\0';
		uint32_t w = (uint32_t)strtoul(word, NULL, 16);
		memcpy(addr + 4 * i, &w, 4);
	}
	char text[INET6_ADDRSTRLEN];
	if (!inet_ntop(words == 1 ? AF_INET : AF_INET6, addr, text, sizeof text))
		return false;
	snprintf(out, len, words == 1 ? "%s:%u" : "[%s]:%u", text, port);
	return true;
}

bool tcp_line_parse(const char *line, struct tcp_sock *sock)
{
	char local[40], remote[40];
	unsigned local_port, remote_port, state;
	unsigned long tx, rx, inode;
	if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %lx:%lx %*x:%*x %*x %*u %*d %lu",
		   local, &local_port, remote, &remote_port, &state, &tx, &rx, &inode) != 8)
		return false;
	memset(sock, 0, sizeof *sock);
	sock->inode = inode;
	sock->state = (int)state;
	sock->tx_queue = (int64_t)tx;
	sock->rx_queue = (int64_t)rx;
	return format_addr(local, strlen(local), local_port, sock->local, sizeof sock->local) &&
	       format_addr(remote, strlen(remote), remote_port, sock->remote, sizeof sock->remote);
}

static bool process_has_socket(const struct fd_table *fds, unsigned long inode)
{
	for (size_t i = 0; i < fds->n; i++)
		if (fds->ends[i].kind == END_SOCKET && fds->ends[i].inode == inode)
			return true;
	return false;
}

static int compare_inode(const void *a, const void *b)
{
	const struct tcp_sock *x = a, *y = b;
	return (x->inode > y->inode) - (x->inode < y->inode);
}

void tcp_table_read(pid_t pid, const struct fd_table *fds, struct tcp_table *table)
{
	memset(table, 0, sizeof *table);
	static const char *const files[] = {"tcp", "tcp6"};
	size_t cap = 0;
	int failures = 0;
	for (size_t f = 0; f < 2; f++) {
		char path[64], line[512];
		snprintf(path, sizeof path, "/proc/%d/net/%s", (int)pid, files[f]);
		FILE *in = fopen(path, "re");
		if (!in) {
			table->error = errno;
			failures++;
			continue;
		}
		while (fgets(line, sizeof line, in)) {
			struct tcp_sock sock;
			if (!tcp_line_parse(line, &sock) || !sock.inode ||
			    !process_has_socket(fds, sock.inode))
				continue;
			struct tcp_sock *room = array_room(table->socks, table->n, &cap, sizeof *room);
			if (!room)
				break;
			table->socks = room;
			table->socks[table->n++] = sock;
		}
		fclose(in);
	}
	/* tcp6 is absent on a kernel without IPv6: one readable file is enough. */
	if (failures < 2)
		table->error = 0;
	qsort(table->socks, table->n, sizeof *table->socks, compare_inode);
}

void tcp_table_free(struct tcp_table *table)
{
	free(table->socks);
	memset(table, 0, sizeof *table);
}

const struct tcp_sock *tcp_table_find(const struct tcp_table *table, unsigned long inode)
{
	struct tcp_sock key = {.inode = inode};
	return table->n ? bsearch(&key, table->socks, table->n, sizeof key, compare_inode) : NULL;
}

struct pipe_state *pipes_open(pid_t pid, const struct fd_table *fds, size_t *npipes)
{
	struct pipe_state *pipes = calloc(fds->n ? fds->n : 1, sizeof *pipes);
	*npipes = 0;
	if (!pipes)
		return NULL;
	for (size_t i = 0; i < fds->n; i++) {
		const struct fd_end *end = &fds->ends[i];
		if (end->kind != END_PIPE)
			continue;
		struct pipe_state *seen = NULL;
		for (size_t j = 0; j < *npipes; j++)
			if (pipes[j].inode == end->inode)
				seen = &pipes[j];
		if (seen) {
			seen->nfds++;
			continue;
		}
		struct pipe_state *p = &pipes[(*npipes)++];
		*p = (struct pipe_state){.inode = end->inode, .fd = end->fd, .ours = -1,
					 .size = -1, .bytes = {-1, -1}, .nfds = 1};
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, end->fd);
		/* O_NONBLOCK: opening a pipe for reading never waits for a writer. */
		p->ours = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (p->ours < 0) {
			p->open_error = errno;
			continue;
		}
		int size = fcntl(p->ours, F_GETPIPE_SZ);
		p->size = size > 0 ? size : -1;
	}
	return pipes;
}

void pipes_sample(struct pipe_state *pipes, size_t n, int sample)
{
	for (size_t i = 0; i < n; i++) {
		int bytes;
		if (pipes[i].ours >= 0 && ioctl(pipes[i].ours, FIONREAD, &bytes) == 0)
			pipes[i].bytes[sample] = bytes;
	}
}

void pipes_close(struct pipe_state *pipes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pipes[i].ours >= 0)
			close(pipes[i].ours);
	free(pipes);
}

const struct pipe_state *pipes_find(const struct pipe_state *pipes, size_t n, unsigned long inode)
{
	for (size_t i = 0; i < n; i++)
		if (pipes[i].inode == inode)
			return &pipes[i];
	return NULL;
}

int epoll_watched(pid_t pid, int epfd, int *fds, unsigned *events, int cap)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)pid, epfd);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int n = 0;
	while (n < cap && fgets(line, sizeof line, f)) {
		int tfd;
		unsigned ev;
		if (sscanf(line, "tfd: %d events: %x", &tfd, &ev) == 2) {
			fds[n] = tfd;
			events[n++] = ev;
		}
	}
	fclose(f);
	return n;
}
