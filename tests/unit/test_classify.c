/* Classification from recorded /proc snapshots (tests/unit/fixtures). */
#include "cmocka_prelude.h"

#include <stdio.h>
#include <string.h>

#include "classify.h"
#include "procview.h"

#define FIXTURES "tests/unit/fixtures/proc/"

static void read_thread(const char *name, pid_t pid, pid_t tid, struct thread_view *view)
{
	char root[256];
	snprintf(root, sizeof root, FIXTURES "%s", name);
	procview_set_root(root);
	assert_int_equal(procview_read(pid, tid, true, view), 0);
	procview_set_root("/proc");
}

static struct stuck_snapshot snapshot_of(const char *name, pid_t pid, pid_t relay, pid_t client)
{
	struct stuck_snapshot s;
	memset(&s, 0, sizeof s);
	read_thread(name, pid, relay, &s.relay);
	read_thread(name, pid, client, &s.peers[0]);
	s.peers[1].state = '?';
	s.window_ns = 100000000ull;
	s.relay_cpu_known = true;
	return s;
}

static void test_blocked(void **state)
{
	(void)state;
	struct stuck_snapshot s = snapshot_of("blocked", 8920, 8920, 8922);
	assert_int_equal(s.relay.state, 'S');
	assert_string_equal(s.relay.wchan, "pipe_wait_writable");
	assert_true(syscall_is_splice(s.relay.syscall_nr));
	assert_non_null(strstr(s.relay.stack, "wait_for_space"));
	assert_null(strstr(s.relay.stack, "[<"));
	s.src_rcv_queue = 480310;
	s.pipe_bytes = 245760;
	s.activity = ACTIVITY_SPLICE_DRAIN;
	char note[512];
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_BLOCKED);
	assert_non_null(strstr(note, "pipe_wait_writable"));
	/* A drain asleep on a full pipe is blocked whatever TCP does on the
	 * destination: the relay itself would have to empty the pipe. */
	s.dst_unwritable = 1;
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_BLOCKED);
	s.activity = ACTIVITY_SPLICE_PUMP;
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_UNSURE);
	s.activity = ACTIVITY_SPLICE_DRAIN;
	s.dst_unwritable = 0;
	/* Nothing pending means nothing proven: keep watching. */
	s.src_rcv_queue = 0;
	s.pipe_bytes = 0;
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_UNSURE);
	/* A runnable peer may still move bytes. */
	s.src_rcv_queue = 480310;
	s.peers[0].state = 'R';
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_UNSURE);
	procview_free(&s.relay);
	procview_free(&s.peers[0]);
}

static void test_spin(void **state)
{
	(void)state;
	struct stuck_snapshot s = snapshot_of("spin", 8994, 8994, 8996);
	assert_int_equal(s.relay.state, 'R');
	assert_int_equal(s.relay.syscall_nr, SYSCALL_RUNNING);
	assert_true(s.relay.cpu_known);
	/* The recording holds the whole run's CPU; the window saw 90 ms of it. */
	s.relay_cpu_ns = 90000000ull;
	s.eagain_in_window = 200000;
	s.src_rcv_queue = 45029;
	s.pipe_bytes = 245760;
	char note[512];
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_SPIN);
	/* A starved spinner (a busy machine gave it 1 ms) is still a spinner:
	 * the EAGAIN storm tells, with or without CPU accounting. */
	s.relay_cpu_ns = 1000000ull;
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_SPIN);
	s.relay_cpu_known = false;
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_SPIN);
	/* EAGAIN while a peer waits for a CPU is a starved sender, not a spin
	 * (a proxy cell on a busy machine): watch another window. */
	char client_state = s.peers[0].state;
	s.peers[0].state = 'R';
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_UNSURE);
	s.peers[0].state = client_state;
	/* Runnable with neither CPU nor EAGAIN is a busy machine, not a spin. */
	s.relay_cpu_known = true;
	s.eagain_in_window = 0;
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_UNSURE);
	/* CPU burnt without EAGAIN by a thread that is asleep now: it spent the
	 * window in one long call and then fell asleep (kprobes on a kernel
	 * without a BPF JIT, seen on CentOS 7's 3.10): not a spin. */
	s.relay.state = 'S';
	s.relay_cpu_ns = 24000000ull;
	assert_int_not_equal(classify_stuck(&s, note, sizeof note), VERDICT_SPIN);
	procview_free(&s.relay);
	procview_free(&s.peers[0]);
}

static void test_stalled(void **state)
{
	(void)state;
	struct stuck_snapshot s = snapshot_of("stalled", 9068, 9068, 9070);
	assert_true(syscall_is_readiness_wait(s.relay.syscall_nr));
	assert_non_null(strstr(s.relay.stack, "do_epoll_wait"));
	s.src_rcv_queue = 25600;
	s.pipe_bytes = 265189;
	s.activity = ACTIVITY_WAIT_SRC;
	char note[512];
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_STALLED);
	assert_non_null(strstr(note, "source to become readable"));
	/* Waiting for a destination that cannot take bytes is TCP's quiet
	 * (drops under memory pressure wait for the retransmission timer);
	 * waiting for one that can is a missed wakeup. Only when the relay
	 * waits on the destination. */
	s.activity = ACTIVITY_WAIT_DST;
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_STALLED);
	s.dst_unwritable = 1;
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_UNSURE);
	assert_non_null(strstr(note, "not writable"));
	/* Under TCP memory pressure the kernel may owe the relay a wakeup
	 * for seconds: a wait on a "writable" destination is judged only
	 * after PRESSURE_PATIENCE_NS without a byte moving. */
	s.activity = ACTIVITY_WAIT_DST;
	s.dst_unwritable = 0;
	s.tcp_memory_pressure = 1;
	s.quiet_ns = 1000000000ull;
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_UNSURE);
	assert_non_null(strstr(note, "memory pressure"));
	s.quiet_ns = 11000000000ull;
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_STALLED);
	assert_non_null(strstr(note, "memory pressure"));
	/* A program that is not ours does not say what it waits for. */
	s.activity = ACTIVITY_NONE;
	s.quiet_ns = 1000000000ull;
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_UNSURE);
	s.activity = ACTIVITY_WAIT_SRC;
	s.quiet_ns = 0;
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_STALLED);
	procview_free(&s.relay);
	procview_free(&s.peers[0]);
}

/* A hand-made regime-A stack (see fixtures/README.md), and the fallback to
 * the relay's own account when /proc/PID/syscall is hidden. */
static void test_constructed_rhel7_and_hidden_syscall(void **state)
{
	(void)state;
	struct stuck_snapshot s = snapshot_of("rhel7-constructed", 100, 100, 100);
	s.peers[0].state = '?';
	s.src_rcv_queue = 1666120;
	s.pipe_bytes = 65536;
	s.activity = ACTIVITY_SPLICE_DRAIN;
	assert_non_null(strstr(s.relay.stack, "splice_to_pipe"));
	char note[512];
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_BLOCKED);
	s.relay.syscall_nr = SYSCALL_UNKNOWN;
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_BLOCKED);
	assert_non_null(strstr(note, "own account"));
	s.activity = ACTIVITY_WAIT_SRC;
	assert_int_equal(classify_stuck(&s, note, sizeof note), VERDICT_STALLED);
	procview_free(&s.relay);
	procview_free(&s.peers[0]);
}

/* The kernel's own word on TCP memory, from a recorded 4.9 guest. */
static void test_tcp_memory_pressure(void **state)
{
	(void)state;
	uint64_t entries = 0;
	procview_set_root(FIXTURES "tcp-pressure");
	int pressure = procview_tcp_memory_pressure(&entries);
	procview_set_root(FIXTURES "blocked");
	uint64_t none = 0;
	int unknown = procview_tcp_memory_pressure(&none);
	procview_set_root("/proc");
	assert_int_equal(pressure, 1);
	assert_int_equal(entries, 1);
	assert_int_equal(unknown, -1);
	assert_true(none == UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocked),
		cmocka_unit_test(test_spin),
		cmocka_unit_test(test_stalled),
		cmocka_unit_test(test_constructed_rhel7_and_hidden_syscall),
		cmocka_unit_test(test_tcp_memory_pressure),
	};
	return cmocka_run_group_tests_name("classify", tests, NULL, NULL);
}
