/* A relay kept alive in one state for splicelab-doctor to diagnose:
 *   doctor-fixture blocked   socket->pipe splice, flags 0, into a pipe nobody
 *                            reads, with data still queued on the socket
 *   doctor-fixture spin      the same pipe full, SPLICE_F_NONBLOCK retried at once
 *   doctor-fixture stalled   SPLICE_F_NONBLOCK until EAGAIN, then an
 *                            edge-triggered epoll wait for data already there
 *   doctor-fixture progress  a paced stream socket->pipe->/dev/null
 *   doctor-fixture blocked N as blocked, with N-1 more threads asleep in
 *                            pause (the doctor's cost on a big process)
 * A child process sends (so the relay's process holds only the relay's
 * ends). It prints "ready PID" once set up, and ends by itself after 60 s.
 * DOCTOR_FIXTURE_IPV6=1 makes the connection over ::1. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIFETIME_S 60
#define PAYLOAD (8 << 20)

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* The sender: PAYLOAD bytes as fast as the socket takes them (paced: 16
 * KiB a millisecond, forever), then it waits to be killed. */
static void send_loop(int fd, int paced)
{
	static char buf[1 << 16];
	memset(buf, 'x', sizeof buf);
	for (size_t sent = 0; paced || sent < PAYLOAD;) {
		ssize_t n = write(fd, buf, paced ? 16384 : sizeof buf);
		if (n < 0)
			_exit(0);
		sent += (size_t)n;
		if (paced)
			usleep(1000);
	}
	pause();
	_exit(0);
}

/* A loopback connection: IPv4, or IPv6 (::1) when DOCTOR_FIXTURE_IPV6 is set. */
static int connected_pair(int *client)
{
	struct sockaddr_storage a = {0};
	socklen_t len;
	if (getenv("DOCTOR_FIXTURE_IPV6")) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&a;
		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_loopback;
		len = sizeof *a6;
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&a;
		a4->sin_family = AF_INET;
		a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof *a4;
	}
	int lfd = socket(a.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, len) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&a, &len))
		die("listen");
	*client = socket(a.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*client < 0 || connect(*client, (struct sockaddr *)&a, len))
		die("connect");
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		die("accept");
	close(lfd);
	return fd;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* Idle threads with small stacks, so a thousand cost a few MB. */
static void start_sleepers(long n)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, (size_t)64 * 1024);
	for (long i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, &attr, sleeper, NULL))
			die("pthread_create");
	}
	pthread_attr_destroy(&attr);
}

static void ready(void)
{
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int paced = strcmp(mode, "progress") == 0;
	if (!paced && strcmp(mode, "blocked") != 0 && strcmp(mode, "spin") != 0 &&
	    strcmp(mode, "stalled") != 0) {
		fprintf(stderr, "usage: doctor-fixture blocked [THREADS]|spin|stalled|progress\n");
		return 64;
	}
	alarm(LIFETIME_S);
	int client, fd = connected_pair(&client);
	pid_t sender = fork();
	if (sender < 0)
		die("fork");
	if (sender == 0) {
		/* Dies with the relay, however the relay ends. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(0);
		close(fd);
		send_loop(client, paced);
	}
	close(client);
	/* The sender dies with us: a parent killed by the test takes it along. */
	signal(SIGALRM, SIG_DFL);
	int p[2];
	if (pipe2(p, O_CLOEXEC))
		die("pipe");
	/* Let data queue up on the socket before the first splice. */
	usleep(100000);

	if (paced) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		ready();
		for (;;) {
			ssize_t n = splice(fd, NULL, p[1], NULL, 1 << 20, 0);
			if (n <= 0)
				break;
			while (n > 0) {
				ssize_t m = splice(p[0], NULL, null, NULL, (size_t)n, 0);
				if (m <= 0)
					die("splice pipe->null");
				n -= m;
			}
		}
	} else if (strcmp(mode, "blocked") == 0) {
		long threads = argc > 2 ? atol(argv[2]) : 1;
		start_sleepers(threads > 1 ? threads - 1 : 0);
		ready();
		/* Fills the pipe, then sleeps in the kernel: nobody reads it. */
		for (;;)
			if (splice(fd, NULL, p[1], NULL, 1 << 20, 0) < 0)
				die("splice");
	} else if (strcmp(mode, "spin") == 0) {
		ready();
		for (;;)
			if (splice(fd, NULL, p[1], NULL, 1 << 20, SPLICE_F_NONBLOCK) < 0 &&
			    errno != EAGAIN)
				die("splice");
	} else {
		int ep = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = {.events = EPOLLIN | EPOLLET};
		fcntl(fd, F_SETFL, O_NONBLOCK);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
			die("epoll");
		ready();
		for (;;) {
			while (splice(fd, NULL, p[1], NULL, 1 << 20, SPLICE_F_NONBLOCK) > 0)
				;
			/* EAGAIN from a full pipe, and the edge already consumed:
			 * this waits for data that is already there. */
			if (epoll_wait(ep, &ev, 1, -1) < 0 && errno != EINTR)
				die("epoll_wait");
		}
	}
	kill(sender, SIGKILL);
	waitpid(sender, NULL, 0);
	return 0;
}
