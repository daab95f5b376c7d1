/* analyze's scanner (scan.c, cellscan.c): it accepts exactly the texts
 * jansson accepts, with the same type, on edge cases and on a few thousand
 * mutations of a real cell; a cell stepped over keeps what load.c reads and
 * the facts it needs of what was skipped. */
#include "cmocka_prelude.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../analyze/cellscan.h"
#include "../../analyze/scan.h"
#include <jansson.h>

static enum scan_type jansson_type(const json_t *value)
{
	switch (json_typeof(value)) {
	case JSON_OBJECT:
		return SCAN_OBJECT;
	case JSON_ARRAY:
		return SCAN_ARRAY;
	case JSON_STRING:
		return SCAN_STRING;
	case JSON_INTEGER:
		return SCAN_INTEGER;
	case JSON_REAL:
		return SCAN_REAL;
	case JSON_TRUE:
	case JSON_FALSE:
		return SCAN_BOOL;
	default:
		return SCAN_NULL;
	}
}

/* The scanner and jansson agree on text: both refuse it, or both accept
 * it as one value of the same type. */
static void agree(const char *text, size_t len)
{
	json_error_t error;
	json_t *value = json_loadb(text, len, JSON_DECODE_ANY, &error);
	struct scanner s = {.buf = text, .size = len};
	enum scan_type type = SCAN_NULL;
	size_t start;
	bool scanned = scan_value(&s, &type, &start) == 0 && scan_peek(&s) == -1;
	if (scanned != (value != NULL))
		fail_msg("%.*s: jansson %s (%s), the scanner %s (%s)", (int)(len > 200 ? 200 : len),
			 text, value ? "accepts" : "refuses", value ? "" : error.text,
			 scanned ? "accepts" : "refuses", s.failed ? s.err : "trailing bytes");
	if (value && type != jansson_type(value))
		fail_msg("%.*s: jansson reads %d, the scanner %d", (int)len, text,
			 (int)jansson_type(value), (int)type);
	json_decref(value);
}

static void agree_str(const char *text)
{
	agree(text, strlen(text));
}

static void test_edge_cases(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"", " ", "{}", "[]", " [ ] ", "{\"a\":1}", "{\"a\":1,}", "[1,]", "[,1]", "{,}",
		"{\"a\" 1}", "{1:2}", "[1 2]", "0", "-0", "01", "-", "1.", ".5", "1.5", "1e5",
		"1E+5", "1e-5", "1e", "1e+", "-1.5e-3", "1x", "1.5.5", "1e400", "-1e400", "1e-400",
		"123456789012345678", "1234567890123456789", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808", "-9223372036854775809",
		"00", "true", "false", "null", "nul", "nullx", "True", "tru", "\"\"", "\"a",
		"\"\\\"\"", "\"\\/\\b\\f\\n\\r\\t\\\\\"", "\"\\x\"", "\"\\u00e9\"", "\"\\u0000\"",
		"\"\\u12\"", "\"\\ud800\"", "\"\\ud83d\\ude00\"", "\"\\udc00\"", "\"\xc3\xa9\"",
		"\"\xc3\"", "\"\xff\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\x7f\"",
		"\"a\tb\"", "\"a\nb\"", "{\"\\u0000\":1}", "{\"a\":1,\"a\":2}", "[true,false,null]",
		"\xef\xbb\xbf{}", "{}x", "{} ", "[1]\n", "\t\r\n[1]", "[\f1]", "[1]]", "{\"a\":[}",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		agree_str(texts[i]);
	/* Nesting at jansson's limit and one past it. */
	for (size_t levels = 2046; levels <= 2050; levels++) {
		for (int inner = 0; inner < 2; inner++) {
			char *text = malloc(2 * levels + 2);
			assert_non_null(text);
			size_t n = 0;
			for (size_t i = 0; i < levels; i++)
				text[n++] = '[';
			if (inner)
				text[n++] = '1';
			for (size_t i = 0; i < levels; i++)
				text[n++] = ']';
			agree(text, n);
			free(text);
		}
	}
}

static const char sample[] =
	"{\"id\":\"drain,tcp4,pipe=4K\",\"profile\":null,\"flags\":[\"MOVE\"],\"pipe_nonblock\":"
	"false,\"elapsed_ms\":89.5,\"detected_after_ms\":null,\"calls\":{\"splice\":3},"
	"\"per_call_bytes\":[4096,-1,0],\"trace\":{\"first\":[{\"op\":\"drain\",\"errno\":null,"
	"\"t_us\":5690}],\"last\":[]},\"evidence\":{\"note\":\"every byte \\\"arrived\\\"\"},"
	"\"kernel\":{\"events\":14,\"calls\":{\"splice_to_pipe\":1,\"wait_for_space\":2},"
	"\"unreturned\":[],"
	"\"slept_ns\":{\"wait_for_space\":1005570},\"read_bytes_per_call\":[4096,0],"
	"\"timeline\":[{\"slots_before\":0,\"slots_after\":1,\"bytes_before\":0,\"bytes_after\":"
	"4096,\"slots_total\":1,\"pages\":1,\"ret\":4096},{\"slots_before\":1,\"ret\":null,"
	"\"slots_total\":16}]}}";

/* The bytes a mutation puts in: JSON's punctuation, the starts of tokens,
 * and bytes jansson must refuse or check. */
static const char mutants[] = "{}[]\",:\\ 0123456789-.eE+tfnulra\x01\x1f\x7f\x80\xc3\xff";

static void test_mutations(void **state)
{
	(void)state;
	size_t len = sizeof sample - 1;
	char text[sizeof sample + 8];
	agree(sample, len);
	unsigned int seed = 12345;
	for (int round = 0; round < 20000; round++) {
		memcpy(text, sample, len);
		size_t n = len;
		seed = seed * 1103515245u + 12345u;
		size_t at = (seed >> 8) % len;
		seed = seed * 1103515245u + 12345u;
		char c = mutants[(seed >> 8) % (sizeof mutants - 1)];
		switch (round % 4) {
		case 0: /* replace */
			text[at] = c;
			break;
		case 1: /* delete */
			memmove(text + at, text + at + 1, n - at - 1);
			n--;
			break;
		case 2: /* insert */
			memmove(text + at + 1, text + at, n - at);
			text[at] = c;
			n++;
			break;
		default: /* cut short */
			n = at;
			break;
		}
		agree(text, n);
	}
}

static void test_cell_facts(void **state)
{
	(void)state;
	assert_string_equal(cell_fields[CELL_RUNS].text, "runs");
	assert_string_equal(cell_fields[CELL_CALLS].text, "calls");
	assert_string_equal(cell_fields[CELL_PER_CALL].text, "per_call_bytes");
	assert_string_equal(cell_fields[CELL_KERNEL].text, "kernel");
	struct cell_scan out = {0};
	struct scanner s = {.buf = sample, .size = sizeof sample - 1};
	assert_int_equal(cell_scan(&s, &out), 0);
	assert_true(out.is_object);
	assert_true(out.per_call_bytes.scanned);
	assert_int_equal(out.per_call_bytes.count, 3);
	assert_int_equal(out.per_call_bytes.bad_index, -1);
	assert_true(out.read_bytes_per_call.scanned);
	assert_int_equal(out.read_bytes_per_call.count, 2);
	assert_true(out.timeline.scanned);
	assert_int_equal(out.timeline.count, 2);
	assert_int_equal(out.timeline.bad_entry, -1);
	assert_true(out.timeline.midcall);
	/* What load.c reads, and nothing of what it does not. */
	json_error_t error;
	json_t *copy = cell_scan_object(&out, &error);
	assert_non_null(copy);
	assert_string_equal(json_string_value(json_object_get(copy, "id")), "drain,tcp4,pipe=4K");
	assert_string_equal(json_string_value(json_object_get(json_object_get(copy, "evidence"),
							       "note")),
			    "every byte \"arrived\"");
	assert_null(json_object_get(copy, "trace"));
	assert_null(json_object_get(copy, "per_call_bytes"));
	const json_t *kernel = json_object_get(copy, "kernel");
	assert_non_null(json_object_get(kernel, "calls"));
	assert_non_null(json_object_get(kernel, "unreturned"));
	assert_null(json_object_get(kernel, "timeline"));
	assert_null(json_object_get(kernel, "slept_ns"));
	/* Of kernel.calls, only the member load.c reads. */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(kernel, "calls"),
							    "splice_to_pipe")),
			 1);
	assert_int_equal(json_object_size(json_object_get(kernel, "calls")), 1);
	json_decref(copy);

	/* Wrong types are found where load.c would look; an escaped key is
	 * the key it spells; the last of two keys counts. */
	static const char odd[] =
		"{\"per_call_bytes\":[1,\"x\",2.5],\"kern\\u0065l\":{\"timeline\":[{\"ret\":true},"
		"3]},\"kernel\":{\"timeline\":[{\"ret\":null,\"slots_before\":2,\"slots_total\":2},"
		"{\"slots_total\":\"16\"}],\"read_bytes_per_call\":{}}}";
	s = (struct scanner){.buf = odd, .size = sizeof odd - 1};
	assert_int_equal(cell_scan(&s, &out), 0);
	assert_int_equal(out.per_call_bytes.bad_index, 1);
	assert_int_equal(out.per_call_bytes.bad_type, SCAN_STRING);
	assert_true(out.timeline.scanned);
	assert_int_equal(out.timeline.not_object, -1);
	assert_int_equal(out.timeline.bad_entry, 1);
	assert_string_equal(timeline_keys[out.timeline.bad_key].text, "slots_total");
	assert_false(out.timeline.midcall);
	assert_false(out.read_bytes_per_call.scanned);
	copy = cell_scan_object(&out, &error);
	assert_non_null(copy);
	assert_true(json_is_object(json_object_get(json_object_get(copy, "kernel"),
						   "read_bytes_per_call")));
	json_decref(copy);

	static const char escaped[] = "{\"kern\\u0065l\":{\"timeline\":[{\"ret\":true},3]}}";
	s = (struct scanner){.buf = escaped, .size = sizeof escaped - 1};
	assert_int_equal(cell_scan(&s, &out), 0);
	assert_true(out.timeline.scanned);
	assert_int_equal(out.timeline.not_object, 1);
	assert_int_equal(out.timeline.bad_entry, 0);

	static const char cut[] = "{\"trace\":{\"first\":[1,2";
	s = (struct scanner){.buf = cut, .size = sizeof cut - 1};
	assert_int_equal(cell_scan(&s, &out), -1);
	assert_true(s.failed);
	cell_scan_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edge_cases),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_cell_facts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
