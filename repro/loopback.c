#include "loopback.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cell_shared.h"

int64_t cell_queue_bytes(int fd, unsigned long request)
{
	int value = 0;
	if (fd < 0 || ioctl(fd, request, &value) < 0)
		return -1;
	return value;
}

/* A connected stream pair over loopback: *a is the connecting end, *b the
 * accepted end. Ports come from the kernel, so parallel cells never clash. */
int cell_connect_pair(enum transport transport, int *a, int *b, const char **call)
{
	if (transport == TRANSPORT_UNIX) {
		int pair[2];
		*call = "socketpair(AF_UNIX)";
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
			return -1;
		*a = pair[0];
		*b = pair[1];
		return 0;
	}
	struct sockaddr_storage addr;
	socklen_t addr_len;
	memset(&addr, 0, sizeof addr);
	int family = transport == TRANSPORT_TCP6 ? AF_INET6 : AF_INET;
	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&addr;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		addr_len = sizeof *in6;
	} else {
		struct sockaddr_in *in4 = (struct sockaddr_in *)&addr;
		in4->sin_family = AF_INET;
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		addr_len = sizeof *in4;
	}
	*call = family == AF_INET6 ? "socket(AF_INET6)" : "socket(AF_INET)";
	int listener = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0)
		return -1;
	*call = "bind(loopback)";
	if (bind(listener, (struct sockaddr *)&addr, addr_len) < 0)
		goto fail;
	*call = "listen";
	if (listen(listener, 1) < 0 || getsockname(listener, (struct sockaddr *)&addr, &addr_len) < 0)
		goto fail;
	*call = "connect(loopback)";
	*a = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*a < 0 || connect(*a, (struct sockaddr *)&addr, addr_len) < 0)
		goto fail;
	*call = "accept";
	*b = accept(listener, NULL, NULL);
	if (*b < 0)
		goto fail;
	close(listener);
	return 0;
fail:;
	int saved = errno;
	close(listener);
	errno = saved;
	return -1;
}

int cell_set_nonblock(int fd, bool on)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return -1;
	flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, flags);
}

int cell_unwritable(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	if (fd < 0 || poll(&pfd, 1, 0) < 0 || pfd.revents & (POLLERR | POLLNVAL))
		return -1;
	return !(pfd.revents & POLLOUT);
}

ssize_t cell_sink_read(int fd, uint8_t *buf, size_t len, int64_t flip, uint64_t at)
{
	ssize_t n;
	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n > 0 && flip >= 0 && (uint64_t)flip >= at && (uint64_t)flip < at + (uint64_t)n)
		buf[flip - (int64_t)at] ^= 0xff;
	return n;
}

void cell_sample_queues(struct cell_shared *shared, int src, int pipe_read, int dst)
{
	/* SIOCINQ is meaningless on a unix socket before 4.x; -1 says so. */
	shared->src_rcv_queue = cell_queue_bytes(src, SIOCINQ);
	shared->pipe_bytes = cell_queue_bytes(pipe_read, FIONREAD);
	shared->dst_snd_queue = cell_queue_bytes(dst, SIOCOUTQ);
	shared->dst_unwritable = cell_unwritable(dst);
}
