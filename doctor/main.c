/* splicelab-doctor PID: why a live relay is stuck, from the kernel's view
 * of it, without stopping or tracing it. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diagnosis.h"
#include "probe_run.h"
#include "report.h"
#include "version.h"

enum { EXIT_USAGE = 64, EXIT_GONE = 69, EXIT_INTERNAL = 70 };
#define WINDOW_DEFAULT_MS 200
#define WINDOW_MAX_MS 60000
#define PROBE_MAX_S 600

static void usage(FILE *out)
{
	fprintf(out,
		"usage: splicelab-doctor [options] PID\n"
		"\n"
		"Says why the process PID moves no bytes through splice(2), from what the kernel\n"
		"shows of it in /proc, without stopping or tracing it: every thread's state,\n"
		"wchan, syscall (with its arguments) and kernel stack; for each thread in\n"
		"splice, or in poll/epoll_wait in a process that holds pipes and sockets, the\n"
		"two ends (TCP sockets: queues and addresses from /proc/PID/net/tcp{,6}; pipes:\n"
		"size and bytes, from FIONREAD and F_GETPIPE_SZ on a read-only non-blocking\n"
		"open of /proc/PID/fd/N, from which nothing is read). It samples twice,\n"
		"--window apart, to see progress and CPU, and reads the Go build information\n"
		"of the binary.\n"
		"\n"
		"Verdicts, per thread and for the process (its worst thread):\n"
		"  blocked in splice    asleep inside splice all window while bytes wait\n"
		"  stalled waiting for readiness with data queued\n"
		"                       asleep in poll/epoll all window, bytes wait on a socket\n"
		"                       it watches that no thread splices from\n"
		"  spinning on EAGAIN   CPU burns in splice, never sleeps, no queue moves\n"
		"  making progress      queues changed, or the thread woke, in the window\n"
		"  idle, nothing queued in splice or a wait, nothing pending\n"
		"  not in splice        nothing to do with splice\n"
		"\n"
		"Options:\n"
		"  -w, --window MS   time between the two samples, 1-%d [%d]\n"
		"  -j, --json        print the diagnosis as JSON (schema splicelab.doctor/1,\n"
		"                    docs/schema.md) instead of the table\n"
		"  -a, --all         the table lists every thread, not only splice ones\n"
		"  -p, --probe S     after the look, attach splicelab-probe (beside this binary,\n"
		"                    else on PATH) to PID for S seconds (1-%d) and add what it\n"
		"                    saw: calls per kernel function, occupancy in slots, the\n"
		"                    first splice_to_pipe calls (root; where probes can run;\n"
		"                    a thread already asleep in splice makes no new call)\n"
		"      --probe-btf FILE  the kernel's BTF for the probes, for kernels without\n"
		"                    their own (CentOS 7, most 4.x)\n"
		"  -V, --version     print the version and exit\n"
		"  -h, --help        print this help and exit\n"
		"\n"
		"Without root it reads what it may (a process of your own: no kernel stack on\n"
		"most kernels), says what it could not read, and judges from the rest.\n"
		"\n"
		"Exit status: 0 the diagnosis was printed (whatever the verdict); 64 bad usage,\n"
		"or PID not a number, not a process, or not yours (one line on stderr);\n"
		"69 the process ended during the look; 70 internal error. Probes that cannot\n"
		"run are reported in the output (probe.status \"refused\"), not in the status.\n",
		WINDOW_MAX_MS, WINDOW_DEFAULT_MS, PROBE_MAX_S);
}

static int parse_number(const char *text, long min, long max, long *value)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max)
		return -1;
	*value = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"window", required_argument, NULL, 'w'}, {"json", no_argument, NULL, 'j'},
		{"all", no_argument, NULL, 'a'},	  {"version", no_argument, NULL, 'V'},
		{"probe", required_argument, NULL, 'p'},  {"probe-btf", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	long window = WINDOW_DEFAULT_MS;
	long probe_s = 0;
	const char *probe_btf = NULL;
	bool json = false, all = false;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "w:jap:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (parse_number(optarg, 1, WINDOW_MAX_MS, &window) != 0) {
				fprintf(stderr,
					"splicelab-doctor: --window wants milliseconds, 1 to %d: '%s'\n",
					WINDOW_MAX_MS, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'a':
			all = true;
			break;
		case 'p':
			if (parse_number(optarg, 1, PROBE_MAX_S, &probe_s) != 0) {
				fprintf(stderr, "splicelab-doctor: --probe wants seconds, 1 to %d: '%s'\n",
					PROBE_MAX_S, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'B':
			if (access(optarg, R_OK) != 0) {
				fprintf(stderr, "splicelab-doctor: --probe-btf %s: %s\n", optarg,
					strerror(errno));
				return EXIT_USAGE;
			}
			probe_btf = optarg;
			break;
		case 'V':
			printf("splicelab-doctor %s (%s)\n", splicelab_version, splicelab_commit);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "splicelab-doctor: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "splicelab-doctor: one PID wanted (see --help)\n");
		return EXIT_USAGE;
	}
	long pid;
	if (parse_number(argv[optind], 1, 0x3fffffff, &pid) != 0) {
		fprintf(stderr, "splicelab-doctor: not a PID: '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	char why[256];
	if (diagnosis_check_pid((pid_t)pid, why, sizeof why) != 0) {
		fprintf(stderr, "splicelab-doctor: %s\n", why);
		return EXIT_USAGE;
	}
	struct diagnosis d;
	int rc = diagnosis_run((pid_t)pid, (unsigned)window, &d);
	if (rc == ESRCH) {
		fprintf(stderr, "splicelab-doctor: process %ld ended during the look\n", pid);
		diagnosis_free(&d);
		return EXIT_GONE;
	}
	if (rc) {
		fprintf(stderr, "splicelab-doctor: %s\n", strerror(rc));
		diagnosis_free(&d);
		return EXIT_INTERNAL;
	}
	json_t *probe = probe_s ? probe_run((pid_t)pid, (unsigned)probe_s, probe_btf) : NULL;
	if (json) {
		json_t *o = doctor_json(&d);
		if (o && probe)
			json_object_set(o, "probe", probe);
		if (!o || json_dumpf(o, stdout, JSON_INDENT(2)) != 0) {
			json_decref(o);
			diagnosis_free(&d);
			return EXIT_INTERNAL;
		}
		putchar('\n');
		json_decref(o);
	} else {
		doctor_table(&d, all, stdout);
		if (probe)
			doctor_table_probe(probe, stdout);
	}
	json_decref(probe);
	diagnosis_free(&d);
	return fflush(stdout) == 0 ? 0 : EXIT_INTERNAL;
}
