/* --relay-cmd: splitting the command without a shell, what is refused,
 * the placeholders, the default name and the cell id. */
#include "cmocka_prelude.h"

#include <string.h>

#include "params.h"
#include "relay_cmd.h"

static void test_split_and_fill(void **state)
{
	(void)state;
	struct relay_cmd cmd;
	char why[256];
	assert_int_equal(relay_cmd_parse("/bin/sh -c 'echo \"a b\"' x\\ y {listen} "
					 "--up={upstream} {listen_host}:{listen_port}/{upstream_port}",
					 &cmd, why, sizeof why),
			 0);
	assert_int_equal(cmd.nwords, 7);
	assert_string_equal(cmd.words[2], "echo \"a b\"");
	assert_string_equal(cmd.words[3], "x y");
	assert_string_equal(cmd.name, "sh");
	char *argv[RELAY_CMD_MAX_WORDS + 1], buf[1024];
	struct relay_addrs v4 = {.host = "127.0.0.1", .listen_port = 2000, .upstream_port = 3000};
	assert_int_equal(relay_cmd_argv(&cmd, &v4, argv, buf, sizeof buf), 0);
	assert_string_equal(argv[4], "127.0.0.1:2000");
	assert_string_equal(argv[5], "--up=127.0.0.1:3000");
	assert_string_equal(argv[6], "127.0.0.1:2000/3000");
	assert_null(argv[7]);
	struct relay_addrs v6 = {.host = "::1", .listen_port = 2000, .upstream_port = 3000};
	assert_int_equal(relay_cmd_argv(&cmd, &v6, argv, buf, sizeof buf), 0);
	assert_string_equal(argv[4], "[::1]:2000");
	assert_string_equal(argv[5], "--up=[::1]:3000");
	/* Too small a buffer: refused, not cut. */
	assert_int_equal(relay_cmd_argv(&cmd, &v4, argv, buf, 20), -1);
	relay_cmd_free(&cmd);
}

static void test_refused(void **state)
{
	(void)state;
	struct relay_cmd cmd;
	char why[256];
	const char *bad[] = {"", "   ", "/bin/sh 'open {listen}", "/bin/sh {upstream}",
			     "/nonexistent/relay {listen}", "no-such-relay-program-x {listen}",
			     "/etc/passwd {listen}", "/tmp {listen}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		assert_int_equal(relay_cmd_parse(bad[i], &cmd, why, sizeof why), -1);
		assert_true(why[0] != '\0');
	}
}

static void test_names_and_id(void **state)
{
	(void)state;
	assert_true(relay_name_ok("proxy-go1.21.1"));
	assert_false(relay_name_ok(""));
	assert_false(relay_name_ok("a,b"));
	assert_false(relay_name_ok("a b"));
	struct relay_cmd cmd;
	char why[256];
	assert_int_equal(relay_cmd_parse("sh {listen}", &cmd, why, sizeof why), 0);
	struct cell_params cell = {.scenario = SCENARIO_PROXY, .transport = TRANSPORT_TCP6,
				   .payload = 4 << 20, .sender = SENDER_MANY, .head_start = 256 << 10,
				   .connections = 128, .corrupt_at = -1, .relay_cmd = &cmd};
	char id[512];
	cell_id(&cell, id, sizeof id);
	assert_string_equal(id, "relay=sh,tcp6,payload=4M,sender=many,head=256K,conns=128");
	relay_cmd_free(&cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_and_fill),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_names_and_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
