/* The doctor's verdict on one thread, from the evidence of two samples. */
#include "cmocka_prelude.h"

#include "verdict.h"

#define MS 1000000ull

/* A thread asleep in splice through a 200 ms window, with a relay's ends. */
static struct thread_evidence asleep_in_splice(void)
{
	return (struct thread_evidence){
		.state = {'S', 'S'}, .splice_seen = true, .splice_both = true, .syscall_known = true,
		.process_has_pipes = true, .window_ns = 200 * MS, .cpu_known = true, .woke = 0,
		.pending = true,
	};
}

static void test_blocked_and_idle(void **state)
{
	(void)state;
	struct thread_evidence e = asleep_in_splice();
	assert_int_equal(verdict_classify(&e), DV_BLOCKED);
	e.pending = false; /* waiting for a peer that sends nothing */
	assert_int_equal(verdict_classify(&e), DV_IDLE);
	e = asleep_in_splice();
	e.woke = 3; /* woken in the window: a blocking relay that moves */
	assert_int_equal(verdict_classify(&e), DV_PROGRESS);
	e = asleep_in_splice();
	e.progress = true;
	assert_int_equal(verdict_classify(&e), DV_PROGRESS);
	e = asleep_in_splice();
	e.state[0] = 'R'; /* it was running at the first look */
	assert_int_equal(verdict_classify(&e), DV_PROGRESS);
}

static void test_hidden_syscall(void **state)
{
	(void)state;
	struct thread_evidence e = asleep_in_splice();
	e.splice_seen = e.splice_both = e.syscall_known = false;
	assert_int_equal(verdict_classify(&e), DV_NOT_IN_SPLICE);
	e.pipe_wait = true; /* wchan: pipe_wait */
	assert_int_equal(verdict_classify(&e), DV_BLOCKED);
}

static void test_spinning(void **state)
{
	(void)state;
	struct thread_evidence e = {
		.state = {'R', 'R'}, .syscall_known = true, .running_both = true,
		.process_has_pipes = true, .window_ns = 200 * MS, .cpu_known = true,
		.cpu_ns = 150 * MS, .woke = 0, .process_pending = true,
	};
	assert_int_equal(verdict_classify(&e), DV_SPINNING);
	e.cpu_ns = 12 * MS; /* a loaded machine gave it little CPU: still never slept */
	assert_int_equal(verdict_classify(&e), DV_SPINNING);
	e.process_moved = true; /* a busy relay that moves bytes */
	assert_int_equal(verdict_classify(&e), DV_PROGRESS);
	e.process_moved = false;
	e.process_has_pipes = false; /* a CPU-bound program that is no relay */
	assert_int_equal(verdict_classify(&e), DV_NOT_IN_SPLICE);
	e.process_has_pipes = true;
	e.cpu_ns = 1 * MS;
	assert_int_equal(verdict_classify(&e), DV_NOT_IN_SPLICE);
	/* Caught inside splice, CPU burnt, nothing moved. */
	struct thread_evidence s = asleep_in_splice();
	s.state[0] = s.state[1] = 'R';
	s.cpu_ns = 120 * MS;
	assert_int_equal(verdict_classify(&s), DV_SPINNING);
}

static void test_waits(void **state)
{
	(void)state;
	struct thread_evidence e = {
		.state = {'S', 'S'}, .wait_both = true, .syscall_known = true,
		.process_has_pipes = true, .window_ns = 200 * MS, .cpu_known = true, .woke = 0,
		.pending = true,
	};
	assert_int_equal(verdict_classify(&e), DV_STALLED);
	e.pending = false;
	assert_int_equal(verdict_classify(&e), DV_IDLE);
	e.woke = 10;
	assert_int_equal(verdict_classify(&e), DV_PROGRESS);
	e.process_has_pipes = false; /* a server waiting in epoll that never splices */
	assert_int_equal(verdict_classify(&e), DV_NOT_IN_SPLICE);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(doctor_verdict_name(DV_BLOCKED), "blocked in splice");
	assert_string_equal(doctor_verdict_name(DV_SPINNING), "spinning on EAGAIN");
	assert_string_equal(doctor_verdict_name(DV_STALLED),
			    "stalled waiting for readiness with data queued");
	assert_string_equal(doctor_verdict_name(DV_PROGRESS), "making progress");
	assert_string_equal(doctor_verdict_name(DV_NOT_IN_SPLICE), "not in splice");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocked_and_idle), cmocka_unit_test(test_hidden_syscall),
		cmocka_unit_test(test_spinning),	 cmocka_unit_test(test_waits),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
