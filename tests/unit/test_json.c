/* A matrix document as the runner writes it, dumped and loaded back, holds
 * every field of docs/schema.md with the type the contract gives. */
#include "cmocka_prelude.h"

#include <string.h>

#include "cell_json.h"
#include "env.h"
#include "profiles.h"
#include "report.h"

enum kind { STR, INT, NUM, BOOL, OBJ, ARR, STR_OR_NULL, NUM_OR_NULL, INT_OR_NULL };

struct field {
	const char *name;
	enum kind kind;
};

static void assert_kind(const json_t *parent, const struct field *field)
{
	const json_t *value = json_object_get(parent, field->name);
	if (!value)
		fail_msg("missing field '%s'", field->name);
	bool ok;
	switch (field->kind) {
	case STR:
		ok = json_is_string(value);
		break;
	case INT:
		ok = json_is_integer(value);
		break;
	case NUM:
		ok = json_is_number(value);
		break;
	case BOOL:
		ok = json_is_boolean(value);
		break;
	case OBJ:
		ok = json_is_object(value);
		break;
	case ARR:
		ok = json_is_array(value);
		break;
	case STR_OR_NULL:
		ok = json_is_string(value) || json_is_null(value);
		break;
	case NUM_OR_NULL:
		ok = json_is_number(value) || json_is_null(value);
		break;
	default:
		ok = json_is_integer(value) || json_is_null(value);
		break;
	}
	if (!ok)
		fail_msg("field '%s' has the wrong type", field->name);
}

static const struct field top_fields[] = {
	{"schema", STR}, {"tool", OBJ},	  {"label", STR},   {"env", OBJ},   {"started_at", STR},
	{"elapsed_ms", INT}, {"params", OBJ}, {"summary", OBJ}, {"cells", ARR},
};
static const struct field env_fields[] = {
	{"kernel_release", STR}, {"kernel_version", STR},
	{"machine", STR},	 {"os", STR},
	{"os_id", STR},		 {"os_version_id", STR},
	{"page_size", INT},	 {"nproc", INT},
	{"pipe_max_size", INT_OR_NULL}, {"pipe_user_pages_soft", INT_OR_NULL},
	{"pipe_user_pages_hard", INT_OR_NULL}, {"uid", INT},
	{"proc_stack_readable", BOOL}, {"virt", STR},
	{"probes", OBJ},
};
static const struct field cell_fields[] = {
	{"id", STR},		  {"scenario", STR},	    {"profile", STR_OR_NULL},
	{"transport", STR},	  {"pipe_size_requested", INT}, {"pipe_size", INT},
	{"pipe_size_error", STR_OR_NULL}, {"payload", INT},   {"chunk", INT},
	{"flags", ARR},		  {"pipe_nonblock", BOOL},  {"src_nonblock", BOOL},
	{"dst_nonblock", BOOL},	  {"loop", STR},	    {"sender", STR},
	{"head_start", INT},	  {"outcome", STR},	    {"runs", OBJ},
	{"queued_at_start", INT}, {"bytes_sent", INT},	    {"bytes_moved", INT},
	{"bytes_verified", INT},  {"elapsed_ms", NUM},	    {"detected_after_ms", NUM_OR_NULL},
	{"calls", OBJ},		  {"per_call_bytes", ARR},  {"trace", OBJ},
	{"evidence", OBJ},
};

static json_t *sample_cell(void)
{
	struct cell_params params = {.scenario = SCENARIO_DRAIN,
				     .transport = TRANSPORT_TCP4,
				     .pipe_size = 65536,
				     .payload = 1 << 24,
				     .chunk = 1 << 20,
				     .head_start = 1 << 18,
				     .corrupt_at = -1};
	static struct cell_shared shared;
	memset(&shared, 0, sizeof shared);
	shared.pipe_size = 65536;
	shared.pipe_size_errno = 1; /* EPERM */
	atomic_store(&shared.bytes_drained, 286693);
	atomic_store(&shared.splice_calls, 9);
	for (int i = 0; i < 11; i++) {
		struct trace_entry e = {.op = TRACE_DRAIN, .len = 1 << 20, .ret = (int64_t)4096 * i};
		if (shared.trace_total < TRACE_KEEP)
			shared.trace_first[shared.trace_total] = e;
		shared.trace_last[shared.trace_total % TRACE_KEEP] = e;
		shared.trace_total++;
	}
	shared.per_call_count = 2;
	shared.per_call[0] = 65509;
	shared.per_call[1] = 57344;
	json_t *cell = cell_json_params(&params);
	cell_json_set_run(cell, &params, &shared, OUTCOME_BLOCKED,
			  json_pack("{s:s}", "note", "test"), 120.5, 101.25);
	json_object_set_new(cell, "runs",
			    json_pack("{s:i, s:b, s:{s:i}}", "total", 1, "consistent", 1, "outcomes",
				      "blocked", 1));
	return cell;
}

static void test_round_trip(void **state)
{
	(void)state;
	json_t *env = env_capture("native");
	json_object_set_new(env, "probes", json_pack("{s:s, s:s}", "mode", "none", "reason", "x"));
	json_t *cells = json_array();
	json_array_append_new(cells, sample_cell());
	json_t *doc = report_matrix_doc("test", env, "2026-11-24T00:00:00Z", 5,
					json_object(), cells);
	assert_non_null(doc);
	char *text = json_dumps(doc, JSON_INDENT(1));
	json_error_t error;
	json_t *back = json_loads(text, 0, &error);
	assert_non_null(back);
	assert_true(json_equal(doc, back));

	for (size_t i = 0; i < sizeof top_fields / sizeof top_fields[0]; i++)
		assert_kind(back, &top_fields[i]);
	assert_string_equal(json_string_value(json_object_get(back, "schema")),
			    "splicelab.matrix/1");
	const json_t *env_back = json_object_get(back, "env");
	for (size_t i = 0; i < sizeof env_fields / sizeof env_fields[0]; i++)
		assert_kind(env_back, &env_fields[i]);
	const json_t *cell = json_array_get(json_object_get(back, "cells"), 0);
	for (size_t i = 0; i < sizeof cell_fields / sizeof cell_fields[0]; i++)
		assert_kind(cell, &cell_fields[i]);

	assert_string_equal(json_string_value(json_object_get(cell, "pipe_size_error")), "EPERM");
	assert_int_equal(json_integer_value(json_object_get(cell, "bytes_moved")), 286693);
	const json_t *summary = json_object_get(back, "summary");
	assert_int_equal(json_integer_value(json_object_get(summary, "blocked")), 1);
	assert_int_equal(json_integer_value(json_object_get(summary, "cells")), 1);
	/* 11 calls: the first 8 and the last 3, none twice. */
	const json_t *trace = json_object_get(cell, "trace");
	assert_int_equal(json_array_size(json_object_get(trace, "first")), 8);
	assert_int_equal(json_array_size(json_object_get(trace, "last")), 3);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(json_object_get(trace, "last"), 2), "ret")),
			 4096 * 10);
	free(text);
	json_decref(back);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_round_trip)};
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
