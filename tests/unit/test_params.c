/* Sizes, flag sets, the profile table, the data pattern and cell ids. */
#include "cmocka_prelude.h"

#include <stdlib.h>
#include <string.h>

#include "grid.h"
#include "options.h"
#include "pattern.h"
#include "profiles.h"

static void test_sizes(void **state)
{
	(void)state;
	uint64_t bytes;
	assert_int_equal(parse_size("25000", &bytes), 0);
	assert_int_equal(bytes, 25000);
	assert_int_equal(parse_size("64K", &bytes), 0);
	assert_int_equal(bytes, 65536);
	assert_int_equal(parse_size("1MiB", &bytes), 0);
	assert_int_equal(bytes, 1 << 20);
	assert_int_equal(parse_size("2g", &bytes), 0);
	assert_int_equal(bytes, 2ull << 30);
	assert_int_equal(parse_size("0", &bytes), -1);
	assert_int_equal(parse_size("-1", &bytes), -1);
	assert_int_equal(parse_size("K", &bytes), -1);
	assert_int_equal(parse_size("4KK", &bytes), -1);
	assert_int_equal(parse_size("99999999999999999999", &bytes), -1);
	char text[24];
	format_size(65536, text, sizeof text);
	assert_string_equal(text, "64K");
	format_size(16 << 20, text, sizeof text);
	assert_string_equal(text, "16M");
	format_size(25000, text, sizeof text);
	assert_string_equal(text, "25000");
}

static void test_flag_sets(void **state)
{
	(void)state;
	unsigned int bits;
	char bad[32], text[48];
	assert_int_equal(parse_flag_set("none", &bits, bad, sizeof bad), 0);
	assert_int_equal(bits, 0);
	assert_int_equal(parse_flag_set("MOVE|NONBLOCK", &bits, bad, sizeof bad), 0);
	assert_int_equal(bits, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	assert_int_equal(parse_flag_set("splice_f_more+gift", &bits, bad, sizeof bad), 0);
	assert_int_equal(bits, SPLICE_F_MORE | SPLICE_F_GIFT);
	assert_int_equal(parse_flag_set("MOVE|FAST", &bits, bad, sizeof bad), -1);
	assert_string_equal(bad, "FAST");
	assert_int_equal(parse_flag_set("MOVE||MORE", &bits, bad, sizeof bad), -1);
	format_flag_set(SPLICE_F_MOVE | SPLICE_F_NONBLOCK, text, sizeof text);
	assert_string_equal(text, "NONBLOCK|MOVE");
	format_flag_set(0, text, sizeof text);
	assert_string_equal(text, "none");
}

/* The facts of reference/kernel-history.md sections 4 and 5. */
static void test_profile_table(void **state)
{
	(void)state;
	assert_int_equal(profile_count, 6);
	for (size_t i = 0; i < profile_count; i++) {
		assert_non_null(profiles[i].source);
		assert_true(strlen(profiles[i].source) > 20);
		for (size_t j = i + 1; j < profile_count; j++)
			assert_string_not_equal(profiles[i].name, profiles[j].name);
	}
	const struct profile *broken = profile_find("go1.21.0-1.21.4");
	assert_non_null(broken);
	assert_int_equal(broken->splice_flags, 0);
	assert_true(broken->pipe_nonblock);
	assert_int_equal(broken->pipe_size, 1 << 20);
	const struct profile *fixed = profile_find("go1.21.5+");
	assert_int_equal(fixed->splice_flags, SPLICE_F_NONBLOCK);
	const struct profile *old_go = profile_find("go1.11-1.19");
	assert_int_equal(old_go->chunk, 4 << 20);
	assert_int_equal(old_go->pipe_size, 0);
	const struct profile *haproxy = profile_find("haproxy");
	assert_int_equal(haproxy->splice_flags, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	assert_false(haproxy->pipe_nonblock);
	const struct profile *seed = profile_find("c-rewrite");
	assert_int_equal(seed->splice_flags, 0);
	assert_int_equal(seed->loop, LOOP_BUSY);
	assert_null(profile_find("go2"));
}

static void test_pattern(void **state)
{
	(void)state;
	uint8_t buf[10000];
	pattern_fill(buf, 12345, sizeof buf);
	for (size_t i = 0; i < sizeof buf; i++)
		assert_int_equal(buf[i], pattern_byte(12345 + i));
	assert_int_equal(pattern_check(buf, 12345, sizeof buf), sizeof buf);
	/* A shifted stream (one byte lost) fails at once. */
	assert_true(pattern_check(buf + 1, 12345, 100) < 8);
	buf[7777] ^= 1;
	assert_int_equal(pattern_check(buf, 12345, sizeof buf), 7777);
}

static void test_cell_id_is_stable(void **state)
{
	(void)state;
	struct cell_params cell = {
		.scenario = SCENARIO_DRAIN,
		.transport = TRANSPORT_TCP4,
		.pipe_size = 65536,
		.payload = 16 << 20,
		.chunk = 1 << 20,
		.splice_flags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK,
		.pipe_nonblock = true,
		.loop = LOOP_EPOLL,
		.sender = SENDER_MANY,
		.head_start = 256 << 10,
		.corrupt_at = -1,
	};
	char id[512];
	cell_id(&cell, id, sizeof id);
	/* The same text on every kernel and every run: analyze joins on it. */
	assert_string_equal(id, "drain,tcp4,pipe=64K,payload=16M,chunk=1M,flags=NONBLOCK|MOVE,"
				"pnb=1,snb=0,dnb=0,loop=epoll,sender=many,head=256K");
	profile_apply(profile_find("haproxy"), &cell);
	cell.scenario = SCENARIO_PROXY;
	cell.payload = 25000;
	cell_id(&cell, id, sizeof id);
	assert_string_equal(id, "profile=haproxy,proxy,tcp4,pipe=default,payload=25000,chunk=1G,"
				"flags=NONBLOCK|MOVE,pnb=0,snb=1,dnb=1,loop=poll,sender=many,"
				"head=256K");
}

static void test_default_ids_unique(void **state)
{
	(void)state;
	struct matrix_spec spec = {.head_start = 256 << 10, .corrupt_at = -1};
	size_t count = 0;
	struct cell_params *cells = grid_expand(&spec, &count);
	assert_true(count >= 200);
	char (*ids)[512] = calloc(count, sizeof *ids);
	for (size_t i = 0; i < count; i++) {
		cell_id(&cells[i], ids[i], sizeof ids[i]);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(ids[i], ids[j]);
	}
	free(ids);
	free(cells);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),		 cmocka_unit_test(test_flag_sets),
		cmocka_unit_test(test_profile_table),	 cmocka_unit_test(test_pattern),
		cmocka_unit_test(test_cell_id_is_stable), cmocka_unit_test(test_default_ids_unique),
	};
	return cmocka_run_group_tests_name("params", tests, NULL, NULL);
}
