/* The command line: what is accepted, and the one-line refusals (exit 64). */
#include "cmocka_prelude.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grid.h"
#include "options.h"

#define ARGS(...) ((const char *[]){__VA_ARGS__})

/* parse(&o, ARGS("-p", "64K", NULL)): argv from a NULL-terminated list. */
static int parse(struct options *options, const char *const *args)
{
	char *argv[32] = {"splicelab"};
	int argc = 1;
	while (argc < 31 && args[argc - 1])
		argv[argc] = (char *)args[argc - 1], argc++;
	/* Refusals print to stderr; keep the test log readable. */
	FILE *saved = stderr;
	stderr = fopen("/dev/null", "w");
	int rc = options_parse(argc, argv, options);
	fclose(stderr);
	stderr = saved;
	return rc;
}

static void test_defaults(void **state)
{
	(void)state;
	struct options o;
	assert_int_equal(parse(&o, ARGS(NULL)), 0);
	assert_int_equal(o.window_ms, 100);
	assert_int_equal(o.repeat, 1);
	assert_int_equal(o.jobs, (int)sysconf(_SC_NPROCESSORS_ONLN));
	assert_false(o.spec.preset_given);
	size_t count = 0;
	struct cell_params *cells = grid_expand(&o.spec, &count);
	/* The default grid: 2 scenarios x 5 pipes x 8 payloads x 4 flag sets x
	 * 2 pipe modes, plus 6 profiles x 2 payloads, plus each of the 4 Go
	 * profiles' load cells: one connection, and 128 as root and as nobody
	 * where this runner can switch to them. */
	bool root = geteuid() == 0, nobody = access("/etc/passwd", R_OK) == 0 &&
					       system("grep -q '^nobody:' /etc/passwd") == 0;
	size_t load = (size_t)4 * (1 + (root ? 1 : 0) + (root && nobody ? 1 : 0));
	assert_int_equal(count, 2 * 5 * 8 * 4 * 2 + 6 * 2 + load);
	free(cells);
}

static void test_grid_from_options(void **state)
{
	(void)state;
	struct options o;
	assert_int_equal(parse(&o, ARGS("-s", "drain", "-p", "4K,64K", "-n", "25000", "-f",
			       "none,MOVE|NONBLOCK", "--pipe-nonblock", "on", NULL)),
			 0);
	size_t count = 0;
	struct cell_params *cells = grid_expand(&o.spec, &count);
	assert_int_equal(count, 4);
	assert_int_equal(cells[0].scenario, SCENARIO_DRAIN);
	assert_int_equal(cells[0].pipe_size, 4096);
	assert_int_equal(cells[0].payload, 25000);
	assert_int_equal(cells[0].chunk, 1 << 20);
	assert_true(cells[0].pipe_nonblock);
	assert_false(cells[0].src_nonblock);
	assert_int_equal(cells[2].splice_flags, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	assert_null(cells[0].profile);
	free(cells);
}

static void test_profiles_option(void **state)
{
	(void)state;
	struct options o;
	assert_int_equal(parse(&o, ARGS("-P", "go1.21.0-1.21.4", "-n", "1M", NULL)), 0);
	size_t count = 0;
	struct cell_params *cells = grid_expand(&o.spec, &count);
	assert_int_equal(count, 1);
	assert_string_equal(cells[0].profile->name, "go1.21.0-1.21.4");
	assert_int_equal(cells[0].splice_flags, 0);
	assert_true(cells[0].pipe_nonblock);
	assert_int_equal(cells[0].loop, LOOP_EPOLL);
	free(cells);
}

static void test_config_file(void **state)
{
	(void)state;
	char path[] = "/tmp/splicelab-test-config-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char text[] = "# a small grid\nscenario = drain\npipe-size = 16K, 64K\n"
			    "payload 32K\nwindow = 150\n";
	assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
	close(fd);
	struct options o;
	assert_int_equal(parse(&o, ARGS("--config", path, NULL)), 0);
	unlink(path);
	assert_int_equal(o.window_ms, 150);
	size_t count = 0;
	struct cell_params *cells = grid_expand(&o.spec, &count);
	assert_int_equal(count, 2);
	assert_int_equal(cells[1].pipe_size, 65536);
	assert_int_equal(cells[1].payload, 32768);
	free(cells);
}

/* Writes text (len bytes, NULs allowed) to a fresh file; returns its path. */
static char *config_file(const char *text, size_t len)
{
	static char path[64];
	snprintf(path, sizeof path, "/tmp/splicelab-test-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

/* Parses "--config FILE" plus extra args; the refusal's stderr goes to msg. */
static int parse_config(struct options *o, const char *path, const char *extra, char *msg,
			size_t msg_len)
{
	char *argv[] = {"splicelab", "--config", (char *)path, (char *)extra, NULL};
	FILE *saved = stderr;
	stderr = tmpfile();
	assert_non_null(stderr);
	int rc = options_parse(extra ? 4 : 3, argv, o);
	rewind(stderr);
	size_t n = fread(msg, 1, msg_len - 1, stderr);
	msg[n] = '\0';
	fclose(stderr);
	stderr = saved;
	return rc;
}

/* A refusal is exactly one line. */
static void assert_one_line(const char *msg)
{
	const char *nl = strchr(msg, '\n');
	assert_non_null(nl);
	assert_string_equal(nl + 1, "");
}

/* A config file of len bytes must be refused in one line holding what. */
static void refused_config(const char *text, size_t len, const char *what)
{
	struct options o;
	char msg[512];
	char *path = config_file(text, len);
	assert_int_equal(parse_config(&o, path, NULL, msg, sizeof msg), EXIT_USAGE);
	unlink(path);
	assert_non_null(strstr(msg, path));
	assert_non_null(strstr(msg, what));
	assert_one_line(msg);
}

static void test_config_switches(void **state)
{
	(void)state;
	struct options o;
	char msg[512];
	/* "quiet = no" after "quiet" must leave quiet off. */
	const struct {
		const char *text;
		bool quiet;
	} cases[] = {
		{"quiet\n", true},	      {"quiet = yes\n", true},	{"quiet = true\n", true},
		{"quiet=on\n", true},	      {"quiet 1\n", true},	{"quiet = YES\r\n", true},
		{"quiet\nquiet = no\n", false}, {"quiet = false\n", false}, {"quiet = off\n", false},
		{"quiet = 0\n", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *path = config_file(cases[i].text, strlen(cases[i].text));
		assert_int_equal(parse_config(&o, path, NULL, msg, sizeof msg), 0);
		unlink(path);
		assert_int_equal(o.quiet, cases[i].quiet);
		options_free(&o);
	}
	char *path = config_file("json = no\nquiet = yes\n", 22);
	assert_int_equal(parse_config(&o, path, NULL, msg, sizeof msg), 0);
	assert_false(o.json);
	options_free(&o);
	unlink(path);
	refused_config("# x\nquiet = maybe\n", 18, ":2: 'quiet' is a switch");
}

static void test_config_hostile(void **state)
{
	(void)state;
	struct options o;
	char msg[512];
	/* A line over 1023 bytes is refused whole, never split into two. */
	char text[1100 + 16];
	int len = snprintf(text, sizeof text, "label = %01100d\n", 7);
	refused_config(text, (size_t)len, ":1: line longer than 1023 bytes");
	/* 1023 bytes exactly is a line. */
	len = snprintf(text, sizeof text, "label = %01015d\n", 7);
	assert_int_equal(len, 1024);
	char *path = config_file(text, (size_t)len);
	assert_int_equal(parse_config(&o, path, NULL, msg, sizeof msg), 0);
	assert_int_equal(strlen(o.label), 1015);
	options_free(&o);
	unlink(path);
	/* A bad value names the file and the line. */
	refused_config("scenario = drain\n\npipe-size = 48K\n", 34, ":3: --pipe-size: 48K");
	refused_config("loop = kqueue\n", 14, ":1: --loop: unknown value 'kqueue'");
	/* A command-line error after the file carries no file:line. */
	path = config_file("scenario = drain\n", 17);
	assert_int_equal(parse_config(&o, path, "-p48K", msg, sizeof msg), EXIT_USAGE);
	assert_null(strstr(msg, path));
	unlink(path);
	/* Not text at all. */
	refused_config("scenario = drain\nx\0y\n", 21, ":2: a NUL byte");
	/* A folder and an endless device are refused at once, in one line. */
	assert_int_equal(parse_config(&o, "/tmp", NULL, msg, sizeof msg), EXIT_USAGE);
	assert_non_null(strstr(msg, "'/tmp' is a folder"));
	assert_one_line(msg);
	assert_int_equal(parse_config(&o, "/dev/zero", NULL, msg, sizeof msg), EXIT_USAGE);
	assert_non_null(strstr(msg, "'/dev/zero' is a device"));
	assert_one_line(msg);
	/* A file too big to be a config is refused, not read to the end. */
	static char big[65 * 1024];
	memset(big, '#', sizeof big);
	refused_config(big, sizeof big, "larger than 64 KiB");
	/* A switch alone on a line, and an option needing a value without one. */
	refused_config("probe\nwindow\n", 13, ":2: 'window' needs a value");
}

static void test_refusals(void **state)
{
	(void)state;
	struct options o;
	/* Each bad input is refused with the usage exit status. */
	assert_int_equal(parse(&o, ARGS("-f", "NONBLOCK|BOGUS", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-p", "0", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-p", "-4K", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-p", "big", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-p", "48K", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-p", "1K", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-p", "4G", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-n", "0", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-n", "2G", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-n", "12X", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-j", "0", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-w", "abc", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-l", "kqueue", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("--pipe-nonblock", "maybe", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-P", "go1.99", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-P", "haproxy", "-f", "none", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-w", "5000", "--cell-timeout", "1000", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("--json", "--quiet", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("--preset", "huge", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("--bogus", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("stray", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-p", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("--config", "/nonexistent/config", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("--label", "a/b", NULL)), EXIT_USAGE);
}

static void test_load_options(void **state)
{
	(void)state;
	struct options o;
	char self[16];
	snprintf(self, sizeof self, "%u", (unsigned)geteuid()); /* always allowed */
	assert_int_equal(parse(&o, ARGS("-s", "load", "-P", "go1.21.0-1.21.4", "-n", "4M",
					"--connections", "128", "--conn-count", "512",
					"--pipe-pressure", "16384", "--as-user", self, NULL)),
			 0);
	size_t count = 0;
	struct cell_params *cells = grid_expand(&o.spec, &count);
	assert_int_equal(count, 1);
	assert_int_equal(cells[0].scenario, SCENARIO_LOAD);
	assert_int_equal(cells[0].connections, 128);
	assert_int_equal(cells[0].conn_count, 512);
	assert_int_equal(cells[0].pipe_pressure, 16384);
	assert_true(cells[0].user.set);
	assert_int_equal(cells[0].user.uid, geteuid());
	char id[512];
	cell_id(&cells[0], id, sizeof id);
	assert_non_null(strstr(id, "profile=go1.21.0-1.21.4,load,"));
	assert_non_null(strstr(id, ",conns=128,conn-count=512,pressure=16384,user="));
	free(cells);
	/* Plain cells keep their ids: the knobs are load-only. */
	assert_int_equal(parse(&o, ARGS("-s", "proxy,load", "--connections", "128", NULL)), 0);
	cells = grid_expand(&o.spec, &count);
	assert_int_equal(count, 2);
	cell_id(&cells[0], id, sizeof id);
	assert_null(strstr(id, "conns="));
	cell_id(&cells[1], id, sizeof id);
	assert_non_null(strstr(id, ",conns=128"));
	free(cells);
	assert_int_equal(parse(&o, ARGS("-s", "proxy", "--connections", "128", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("--connections", "0", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("--connections", "4097", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("--connections", "8", "--conn-count", "4", NULL)),
			 EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("--pipe-pressure", "lots", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("--as-user", "no-such-user-here", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-s", "crowd", NULL)), EXIT_USAGE);
}

/* vmsplice cells: one per reuse variant, their own payload and chunk unless
 * given, the vmsplice call's flags, and none repeated by the dimensions
 * that do not apply to them. */
static void test_vmsplice_options(void **state)
{
	(void)state;
	struct options o;
	assert_int_equal(parse(&o, ARGS("-s", "vmsplice", "-f", "none,NONBLOCK", "-l", "busy,poll",
					NULL)),
			 0);
	size_t count = 0;
	struct cell_params *cells = grid_expand(&o.spec, &count);
	assert_int_equal(count, REUSE_COUNT);
	const char *const ids[REUSE_COUNT] = {
		"vmsplice,tcp4,pipe=64K,payload=128K,chunk=16K,reuse=at-once",
		"vmsplice,tcp4,pipe=64K,payload=128K,chunk=16K,reuse=siocoutq",
		"vmsplice,tcp4,pipe=64K,payload=128K,chunk=16K,reuse=gift",
		"vmsplice,tcp4,pipe=64K,payload=128K,chunk=16K,reuse=double",
	};
	char id[512];
	for (size_t i = 0; i < count; i++) {
		cell_id(&cells[i], id, sizeof id);
		assert_string_equal(id, ids[i]);
		assert_int_equal(cells[i].splice_flags, i == REUSE_GIFT ? SPLICE_F_GIFT : 0);
	}
	free(cells);
	assert_int_equal(parse(&o, ARGS("-s", "proxy,vmsplice", "-n", "1M", "-c", "64K", "--reuse",
					"double,gift", "-t", "tcp4,unix", NULL)),
			 0);
	cells = grid_expand(&o.spec, &count);
	assert_int_equal(count, 2 + 2 * 2);
	/* Scenario, then transport: proxy tcp4 and unix, then vmsplice's. */
	assert_int_equal(cells[2].scenario, SCENARIO_VMSPLICE);
	cell_id(&cells[2], id, sizeof id);
	assert_string_equal(id, "vmsplice,tcp4,pipe=64K,payload=1M,chunk=64K,reuse=gift");
	free(cells);
	assert_int_equal(parse(&o, ARGS("--reuse", "gift", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-s", "vmsplice", "--reuse", "later", NULL)), EXIT_USAGE);
}

/* -j above 8 per CPU is capped (tests/host/load.sh shows 8 per CPU keeps
 * the verdicts); up to that it is what was asked. */
/* --preset throughput: 2 pipe sizes x 2 transfer sizes, 16M each, with the
 * flags its relays pass in the id; options it cannot honour are refused. */
static void test_throughput_options(void **state)
{
	(void)state;
	struct options o;
	assert_int_equal(parse(&o, ARGS("--preset", "throughput", NULL)), 0);
	size_t count = 0;
	struct cell_params *cells = grid_expand(&o.spec, &count);
	assert_int_equal(count, 4);
	for (size_t i = 0; i < count; i++) {
		assert_int_equal(cells[i].scenario, SCENARIO_THROUGHPUT);
		assert_int_equal(cells[i].payload, 16u << 20);
		assert_int_equal(cells[i].splice_flags, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	}
	assert_int_equal(cells[0].pipe_size, 64u << 10);
	assert_int_equal(cells[0].chunk, 64u << 10);
	assert_int_equal(cells[3].pipe_size, 1u << 20);
	assert_int_equal(cells[3].chunk, 1u << 20);
	char id[512];
	cell_id(&cells[0], id, sizeof id);
	assert_string_equal(id, "throughput,tcp4,pipe=64K,payload=16M,chunk=64K,flags=NONBLOCK|MOVE,"
				"pnb=0,snb=0,dnb=0,loop=busy,sender=one,head=256K");
	free(cells);
	assert_int_equal(parse(&o, ARGS("-s", "throughput", "-p", "1M", "-c", "256K", NULL)), 0);
	cells = grid_expand(&o.spec, &count);
	assert_int_equal(count, 1);
	assert_int_equal(cells[0].chunk, 256u << 10);
	free(cells);
	assert_int_equal(parse(&o, ARGS("-s", "throughput", "-f", "none", NULL)), EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("--preset", "throughput", "--loop", "epoll", NULL)),
			 EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-s", "proxy,throughput", "--pipe-nonblock", "on", NULL)),
			 EXIT_USAGE);
	assert_int_equal(parse(&o, ARGS("-s", "throughput", "-P", "haproxy", NULL)), EXIT_USAGE);
}

static void test_jobs_cap(void **state)
{
	(void)state;
	struct options o;
	int cap = 8 * (int)sysconf(_SC_NPROCESSORS_ONLN);
	char asked[16];
	snprintf(asked, sizeof asked, "%d", cap);
	assert_int_equal(parse(&o, ARGS("-j", asked, NULL)), 0);
	assert_int_equal(o.jobs, cap);
	snprintf(asked, sizeof asked, "%d", cap + 1);
	if (cap + 1 <= 256) {
		assert_int_equal(parse(&o, ARGS("-q", "-j", asked, NULL)), 0);
		assert_int_equal(o.jobs, cap);
	}
	assert_int_equal(parse(&o, ARGS("-q", "-j", "256", NULL)), 0);
	assert_int_equal(o.jobs, cap < 256 ? cap : 256);
}

static void test_help_exits_zero(void **state)
{
	(void)state;
	struct options o;
	FILE *saved = stdout;
	stdout = fopen("/dev/null", "w");
	int help = parse(&o, ARGS("--help", NULL));
	int version = parse(&o, ARGS("-V", NULL));
	fclose(stdout);
	stdout = saved;
	assert_int_equal(help, 1);
	assert_int_equal(version, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),	 cmocka_unit_test(test_grid_from_options),
		cmocka_unit_test(test_profiles_option), cmocka_unit_test(test_config_file),
		cmocka_unit_test(test_refusals),	 cmocka_unit_test(test_help_exits_zero),
		cmocka_unit_test(test_config_switches), cmocka_unit_test(test_config_hostile),
		cmocka_unit_test(test_jobs_cap),
		cmocka_unit_test(test_load_options),
		cmocka_unit_test(test_throughput_options),
		cmocka_unit_test(test_vmsplice_options),
	};
	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
