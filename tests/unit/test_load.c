/* The load scenario's pure parts: users from /etc/passwd, the id's load
 * knobs, which profiles copy both ways, the fd budget, and the shared area
 * the runner maps. */
#include "cmocka_prelude.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "identity.h"
#include "load.h"
#include "profiles.h"
#include "relay_kind.h"

static void test_identity_lookup(void **state)
{
	(void)state;
	struct cell_user user;
	assert_int_equal(identity_lookup("root", &user), 0);
	assert_true(user.set);
	assert_int_equal(user.uid, 0);
	assert_int_equal(user.gid, 0);
	assert_string_equal(user.name, "root");
	/* By number: the passwd name when there is one. */
	assert_int_equal(identity_lookup("0", &user), 0);
	assert_string_equal(user.name, "root");
	/* A uid nobody named: its own number as gid and name. */
	assert_int_equal(identity_lookup("424242", &user), 0);
	assert_int_equal(user.uid, 424242);
	assert_int_equal(user.gid, 424242);
	assert_string_equal(user.name, "uid424242");
	assert_int_equal(identity_lookup("no-such-user-here", &user), -1);
	assert_int_equal(identity_lookup("", &user), -1);
	assert_int_equal(identity_lookup("-1", &user), -1);
	assert_int_equal(identity_lookup("a-name-far-too-long-for-any-passwd-entry", &user), -1);
}

static void test_id_extras(void **state)
{
	(void)state;
	struct cell_params cell = {.scenario = SCENARIO_LOAD, .connections = 1};
	char extras[128];
	/* Defaults add nothing: ids of cells without the knobs do not change. */
	cell_id_extras(&cell, extras, sizeof extras);
	assert_string_equal(extras, "");
	cell.connections = 128;
	cell.conn_count = 128; /* = connections: the default */
	cell_id_extras(&cell, extras, sizeof extras);
	assert_string_equal(extras, ",conns=128");
	cell.conn_count = 1024;
	cell.pipe_pressure = 16384;
	identity_lookup("0", &cell.user);
	cell_id_extras(&cell, extras, sizeof extras);
	assert_string_equal(extras, ",conns=128,conn-count=1024,pressure=16384,user=root");
	/* A short buffer truncates, never overflows. */
	char tiny[8];
	cell_id_extras(&cell, tiny, sizeof tiny);
	assert_true(strlen(tiny) < sizeof tiny);
}

static void test_profiles_and_budget(void **state)
{
	(void)state;
	struct cell_params cell = {.scenario = SCENARIO_LOAD, .connections = 1024};
	profile_apply(profile_find("go1.21.0-1.21.4"), &cell);
	assert_true(load_two_way(&cell));
	profile_apply(profile_find("haproxy"), &cell);
	assert_true(load_two_way(&cell));
	profile_apply(profile_find("c-rewrite"), &cell);
	assert_false(load_two_way(&cell));
	/* The load relay runs it, with four sockets, two pipes and two epolls
	 * per connection at least. */
	assert_ptr_equal(relay_kind_of(&cell), &relay_load);
	assert_true(relay_load.fds_needed(&cell) >= 1024ull * 10);
}

static void test_shared_area(void **state)
{
	(void)state;
	struct cell_params cell = {.scenario = SCENARIO_LOAD, .connections = 300};
	profile_apply(profile_find("go1.21.5+"), &cell);
	struct cell_shared shared = {0};
	assert_int_equal(load_map(&cell, &shared), 0);
	assert_non_null(shared.load);
	assert_int_equal(shared.load->slots, 300);
	assert_true(shared.load->two_way);
	assert_true(shared.load->map_size >= sizeof *shared.load + 300 * sizeof shared.load->slot[0]);
	assert_int_equal(shared.load->pages_soft, -1);
	/* Progress is the sum of every relay's bytes, both directions. */
	atomic_store(&shared.load->slot[0].dir[LOAD_FORWARD].bytes_drained, 5);
	atomic_store(&shared.load->slot[299].dir[LOAD_REVERSE].bytes_pumped, 7);
	assert_int_equal(load_progress(&shared), 12);
	load_unmap(&shared);
	assert_null(shared.load);
	/* Other cells get no area and no progress from it. */
	cell.scenario = SCENARIO_PROXY;
	assert_int_equal(load_map(&cell, &shared), 0);
	assert_null(shared.load);
	assert_int_equal(load_progress(&shared), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_lookup),
		cmocka_unit_test(test_id_extras),
		cmocka_unit_test(test_profiles_and_budget),
		cmocka_unit_test(test_shared_area),
	};
	return cmocka_run_group_tests_name("load", tests, NULL, NULL);
}
