/* The ends a relay splices between, seen from outside the process: its
 * fds (/proc/PID/fd, /proc/PID/fdinfo), its TCP sockets by inode
 * (/proc/PID/net/tcp and tcp6: the process's own network namespace) and
 * its pipes, measured through a file of our own on the same pipe. */
#ifndef SPLICELAB_ENDS_H
#define SPLICELAB_ENDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum end_kind { END_OTHER, END_SOCKET, END_PIPE };

/* items with room for one more than n (doubling *cap, 64 at first): the
 * same pointer, a grown one, or NULL (items untouched) when out of memory. */
void *array_room(void *items, size_t n, size_t *cap, size_t size);

struct fd_end {
	int fd;
	enum end_kind kind;
	unsigned long inode;
	bool nonblock;	  /* O_NONBLOCK in fdinfo's flags */
	bool flags_known; /* fdinfo was readable */
};

struct tcp_sock {
	unsigned long inode;
	char local[64], remote[64]; /* "127.0.0.1:20000", "[::1]:20000" */
	int state;		    /* TCP_ESTABLISHED… as the kernel numbers them */
	int64_t tx_queue, rx_queue;
};

struct pipe_state {
	unsigned long inode;
	int fd;		    /* the process's fd it was opened through */
	int ours;	    /* our file on the same pipe, -1 when not opened */
	int open_error;	    /* errno of that open, 0 when it worked */
	int64_t size;	    /* F_GETPIPE_SZ, -1 unknown */
	int64_t bytes[2];   /* FIONREAD at the two samples, -1 unknown */
	int nfds;	    /* how many of the process's fds refer to it */
};

struct fd_table {
	struct fd_end *ends;
	size_t n;
	int error; /* errno when /proc/PID/fd could not be listed, else 0 */
};

/* Lists the process's fds and what each is. */
void fd_table_read(pid_t pid, struct fd_table *table);
void fd_table_free(struct fd_table *table);
const struct fd_end *fd_table_find(const struct fd_table *table, int fd);

struct tcp_table {
	struct tcp_sock *socks;
	size_t n;
	int error; /* errno when neither tcp nor tcp6 could be read */
};

/* Reads /proc/PID/net/tcp and tcp6, keeping only the inodes in fds. */
void tcp_table_read(pid_t pid, const struct fd_table *fds, struct tcp_table *table);
void tcp_table_free(struct tcp_table *table);
const struct tcp_sock *tcp_table_find(const struct tcp_table *table, unsigned long inode);

/* Parses one line of /proc/net/tcp{,6} into sock. Pure. */
bool tcp_line_parse(const char *line, struct tcp_sock *sock);

/* Opens each pipe of the process once, read-only and non-blocking, through
 * /proc/PID/fd/N: a new file on the same pipe that never blocks and from
 * which nothing is ever read, so the process loses no byte. It stays open
 * for both samples (closing it wakes the pipe's sleepers). */
struct pipe_state *pipes_open(pid_t pid, const struct fd_table *fds, size_t *npipes);
/* FIONREAD of every pipe into bytes[sample]. */
void pipes_sample(struct pipe_state *pipes, size_t n, int sample);
void pipes_close(struct pipe_state *pipes, size_t n);
const struct pipe_state *pipes_find(const struct pipe_state *pipes, size_t n, unsigned long inode);

/* The fds an epoll instance watches, from /proc/PID/fdinfo/EPFD ("tfd:"
 * lines, 3.8+): up to cap of them, with their event masks. Returns how
 * many, -1 when unreadable. */
int epoll_watched(pid_t pid, int epfd, int *fds, unsigned *events, int cap);

#endif
