/* analyze's reader: a minimal valid matrix loads with the fields and clues
 * the reports use; each kind of bad input gives one message naming the
 * JSON path. */
#include "cmocka_prelude.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../analyze/analyze.h"

static const char head[] =
	"{\"schema\": \"splicelab.matrix/1\", \"label\": \"k1\", \"env\": {\"kernel_release\": "
	"\"6.1.0\", \"os\": \"Debian\", \"virt\": \"native\", \"probes\": {\"mode\": \"none\", "
	"\"reason\": \"off\"}}, \"cells\": [";

/* A cell with id, outcome and an optional extra member (",\"k\": v"). */
static void cell(char *buf, size_t len, const char *id, const char *outcome, const char *extra)
{
	snprintf(buf, len,
		 "{\"id\": \"%s\", \"scenario\": \"drain\", \"profile\": null, \"transport\": "
		 "\"tcp4\", \"pipe_size_requested\": 65536, \"pipe_size\": 65536, \"payload\": "
		 "1048576, \"chunk\": 1048576, \"flags\": [\"MOVE\"], \"pipe_nonblock\": true, "
		 "\"src_nonblock\": false, \"dst_nonblock\": false, \"loop\": \"busy\", \"sender\": "
		 "\"one\", \"head_start\": 262144, \"outcome\": \"%s\", \"bytes_moved\": 4096, "
		 "\"elapsed_ms\": 12.5, \"detected_after_ms\": null, \"calls\": {\"splice\": 3, "
		 "\"eagain\": 2}, \"per_call_bytes\": [4096], \"evidence\": {\"note\": \"n\"%s}}",
		 id, outcome, extra);
}

static char path[64];

static int load_text(struct run *run, const char *text)
{
	snprintf(path, sizeof path, "/tmp/analyze-unit.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	int rc = run_load(run, path);
	unlink(path);
	return rc;
}

static int load_cells(struct run *run, const char *cells, const char *tail)
{
	char text[16384];
	snprintf(text, sizeof text, "%s%s]%s}\n", head, cells, tail);
	return load_text(run, text);
}

static void assert_error(const struct run *run, const char *what)
{
	char want[512];
	snprintf(want, sizeof want, "%s: %s", path, what);
	if (strncmp(run->error, want, strlen(want)) != 0)
		fail_msg("error '%s' does not start with '%s'", run->error, want);
	assert_null(strchr(run->error, '\n'));
}

static void test_valid(void **state)
{
	(void)state;
	char a[2048], b[2048], both[4200];
	cell(a, sizeof a, "c1", "ok", "");
	cell(b, sizeof b, "c2", "blocked",
	     ", \"thread\": {\"state\": \"S\", \"syscall\": \"splice\", \"stack\": "
	     "[\"pipe_wait_writable+0xdc/0x130\", \"wait_for_space+0x31/0xb0\"]}");
	snprintf(both, sizeof both, "%s, %s", a, b);
	struct run run;
	assert_int_equal(load_cells(&run, both, ""), 0);
	assert_int_equal(run.ncells, 2);
	assert_string_equal(run.label, "k1");
	assert_string_equal(run.probes_mode, "none");
	assert_int_equal(run.counts[OUTCOME_OK], 1);
	assert_int_equal(run.counts[OUTCOME_BLOCKED], 1);
	const struct acell *c = &run.cells[1];
	assert_string_equal(c->id, "c2");
	assert_int_equal(c->flags, SPLICE_F_MOVE);
	assert_true(c->pnb);
	assert_int_equal(c->eagain, 2);
	assert_true(c->detected_ms < 0);
	assert_int_equal(c->clues, CLUE_STACK | CLUE_STACK_ENTRY | CLUE_SLEEPS_IN_SPLICE);
	json_t *full = acell_json(&run, c);
	assert_string_equal(json_string_value(json_object_get(full, "id")), "c2");
	json_decref(full);
	run_free(&run);
}

static void test_midcall_clue(void **state)
{
	(void)state;
	char a[2048];
	cell(a, sizeof a, "c1", "blocked",
	     ", \"thread\": {\"state\": \"S\", \"syscall\": \"splice\", \"stack\": "
	     "[\"pipe_wait+0x6f/0xc0\", \"splice_to_pipe+0x2a0/0x2c0\"]}");
	struct run run;
	assert_int_equal(load_cells(&run, a, ""), 0);
	assert_true(run.cells[0].clues & CLUE_STACK_MIDCALL);
	assert_false(run.cells[0].clues & CLUE_STACK_ENTRY);
	run_free(&run);
}

/* The probes' view: where the relay was when the cell ended. */
static void test_probe_clues(void **state)
{
	(void)state;
	char text[8192], a[2048], b[2048], c[2048];
	struct run run;
	cell(a, sizeof a, "mid", "blocked", "");
	cell(b, sizeof b, "entry", "blocked", "");
	cell(c, sizeof c, "tl", "blocked", "");
	/* The kernel object sits beside evidence: drop the cell's last '}'. */
	a[strlen(a) - 1] = b[strlen(b) - 1] = c[strlen(c) - 1] = '\0';
	snprintf(text, sizeof text,
		 "%s, \"kernel\": {\"unreturned\": [\"splice_to_pipe\", \"pipe_wait\"]}}, "
		 "%s, \"kernel\": {\"unreturned\": [\"wait_for_space\", \"pipe_wait_writable\"]}}, "
		 "%s, \"kernel\": {\"timeline\": [{\"slots_before\": 3, \"slots_total\": 16, "
		 "\"ret\": null}]}}",
		 a, b, c);
	assert_int_equal(load_cells(&run, text, ""), 0);
	assert_int_equal(run.cells[0].clues, CLUE_PROBES | CLUE_PROBE_MIDCALL);
	assert_int_equal(run.cells[1].clues, CLUE_PROBES | CLUE_PROBE_ENTRY);
	assert_int_equal(run.cells[2].clues, CLUE_PROBES | CLUE_PROBE_MIDCALL | CLUE_TIMELINE);
	run_free(&run);
}

static void test_errors(void **state)
{
	(void)state;
	char a[2048], b[2048], two[4200];
	struct run run;

	cell(a, sizeof a, "c1", "ok", "");
	snprintf(two, sizeof two, "%s, %s", a, a);
	assert_int_equal(load_cells(&run, two, ""), -1);
	assert_error(&run, "$.cells[1].id: duplicate id \"c1\" (also $.cells[0])");
	run_free(&run);

	assert_int_equal(load_cells(&run, "", ""), -1);
	assert_error(&run, "$.cells: no cells");
	run_free(&run);

	cell(a, sizeof a, "c1", "hung", "");
	assert_int_equal(load_cells(&run, a, ""), -1);
	assert_error(&run, "$.cells[0].outcome: unknown outcome \"hung\"");
	run_free(&run);

	cell(a, sizeof a, "c1", "ok", ", \"pipe_bytes\": \"many\"");
	assert_int_equal(load_cells(&run, a, ""), -1);
	assert_error(&run, "$.cells[0].evidence.pipe_bytes: expected an integer, got a string");
	run_free(&run);

	cell(b, sizeof b, "c1", "ok", "");
	char text[4096];
	snprintf(text, sizeof text, "%s%s", head, b); /* no closing ] } */
	assert_int_equal(load_text(&run, text), -1);
	assert_error(&run, "$.cells: invalid JSON at line 1 column");
	run_free(&run);

	snprintf(text, sizeof text, "%s%s]}", head, b);
	char *schema = strstr(text, "matrix/1");
	schema[7] = '9';
	assert_int_equal(load_text(&run, text), -1);
	assert_error(&run, "$.schema: unknown schema \"splicelab.matrix/9\"");
	run_free(&run);

	assert_int_equal(load_text(&run, "{\"schema\": \"splicelab.matrix/1\"}"), -1);
	assert_error(&run, "$.label: missing");
	run_free(&run);
}

/* The input bound: a regular file over the limit and a pipe that goes on
 * past it are refused with one line, without reading the rest; a device
 * is refused at once. */
static void test_input_bound(void **state)
{
	(void)state;
	char cells[2048], text[4096];
	cell(cells, sizeof cells, "a", "ok", "");
	snprintf(text, sizeof text, "%s%s]}\n", head, cells);
	struct run run;
	size_t saved = analyze_input_limit;
	analyze_input_limit = strlen(text) - 1;
	assert_int_equal(load_text(&run, text), -1);
	char want[160];
	snprintf(want, sizeof want, "%zu bytes, more than the limit of %zu: refused", strlen(text),
		 analyze_input_limit);
	assert_non_null(strstr(run.error, want));
	run_free(&run);
	analyze_input_limit = strlen(text);
	assert_int_equal(load_text(&run, text), 0);
	run_free(&run);

	/* A pipe whose writer never stops: refused once the limit is passed. */
	analyze_input_limit = (size_t)256 * 1024;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(fds[0]);
		static char block[65536];
		memset(block, ' ', sizeof block);
		for (;;)
			if (write(fds[1], block, sizeof block) < 0)
				_exit(0);
	}
	close(fds[1]);
	char fd_path[32];
	snprintf(fd_path, sizeof fd_path, "/dev/fd/%d", fds[0]);
	assert_int_equal(run_load(&run, fd_path), -1);
	assert_non_null(strstr(run.error, "more than the limit of 262144 bytes: refused"));
	run_free(&run);
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	analyze_input_limit = saved;

	assert_int_equal(run_load(&run, "/dev/zero"), -1);
	assert_string_equal(run.error,
			    "/dev/zero: not a regular file or a pipe (a character device): refused");
	run_free(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_midcall_clue),
		cmocka_unit_test(test_probe_clues),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_input_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
