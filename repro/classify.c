#include "classify.h"

#include <stdio.h>
#include <string.h>

/* A retry loop proves itself by what it did: EAGAIN after EAGAIN with no
 * byte moved. That count does not depend on how much CPU a busy machine
 * gave the loop, so a starved spinner is still a spinner. */
#define SPIN_EAGAIN_MIN 100

/* CPU used in the window, the other sign of a retry loop: a fifth of the
 * window (at least 5 ms), a wide margin even when the spinner gets half a
 * CPU. It counts only for a thread that is not asleep now: a relay that
 * spent the window's start inside one long splice call (slow kprobes on a
 * kernel without a BPF JIT, a big first fill) and then fell asleep in the
 * kernel is blocked, not spinning. */
static bool burned_cpu(const struct stuck_snapshot *s)
{
	uint64_t threshold = s->window_ns / 5;
	if (threshold < 5000000)
		threshold = 5000000;
	bool asleep = s->relay.state == 'S' || s->relay.state == 'D';
	return s->relay_cpu_known && !asleep && s->relay_cpu_ns >= threshold;
}

bool spin_by_eagain(const struct stuck_snapshot *s)
{
	return s->eagain_in_window >= SPIN_EAGAIN_MIN;
}

static bool spinning(const struct stuck_snapshot *s)
{
	return spin_by_eagain(s) || burned_cpu(s);
}

/* Under TCP memory pressure the kernel refuses socket memory (EAGAIN on a
 * send queue that is empty and "writable") and sends no write-space wakeup
 * when it frees: a relay waiting for that edge sat quiet for seconds, then
 * went on (4.9 guest, tcp_mem lowered, 32 connections: 1 to 9 of 64 quiet
 * past 100 ms in every run, all finished within 5 s). Such a wait is
 * judged only after this long without a byte moving. */
#define PRESSURE_PATIENCE_NS 10000000000ull

static bool runnable(char state)
{
	return state == 'R';
}

static const char *what_waits(int activity)
{
	return activity == ACTIVITY_WAIT_DST ? "the destination to become writable"
					     : "the source to become readable";
}

bool classify_waits_on_destination(const struct stuck_snapshot *s)
{
	/* A program that is not ours (--relay-cmd) does not say what its
	 * readiness wait is for: it may be the write. */
	bool unknown_wait = s->activity == ACTIVITY_NONE &&
			    syscall_is_readiness_wait(s->relay.syscall_nr);
	bool needs_destination = s->activity == ACTIVITY_WAIT_DST ||
				 s->activity == ACTIVITY_SPLICE_PUMP || unknown_wait;
	bool pressed = s->tcp_memory_pressure == 1 && s->quiet_ns < PRESSURE_PATIENCE_NS;
	return needs_destination && (s->dst_unwritable == 1 || pressed);
}

enum verdict classify_stuck(const struct stuck_snapshot *s, char *note, size_t note_len)
{
	double window_ms = (double)s->window_ns / 1e6;
	/* A runnable peer may still move bytes, even past a window of EAGAIN:
	 * on a busy machine a starved client left a non-blocking relay nothing
	 * but EAGAIN for 100 ms (c-rewrite at 64M, -j 16 with CPU hogs) in a
	 * cell that is ok on an idle one. A real spinner's peers sleep. */
	for (size_t i = 0; i < sizeof s->peers / sizeof s->peers[0]; i++) {
		if (runnable(s->peers[i].state)) {
			snprintf(note, note_len, "a peer thread is runnable; progress may follow");
			return VERDICT_UNSURE;
		}
	}
	if (spinning(s)) {
		snprintf(note, note_len,
			 "the relay used %.0f ms of CPU in %.0f ms without moving a byte (%llu EAGAIN "
			 "in that time)",
			 (double)s->relay_cpu_ns / 1e6, window_ms,
			 (unsigned long long)s->eagain_in_window);
		return VERDICT_SPIN;
	}
	/* Runnable but not running: a busy machine, not a verdict. */
	if (runnable(s->relay.state) || s->relay.syscall_nr == SYSCALL_RUNNING) {
		snprintf(note, note_len, "the relay is runnable; waiting for it to get a CPU");
		return VERDICT_UNSURE;
	}
	if (s->src_rcv_queue <= 0 && s->pipe_bytes <= 0) {
		snprintf(note, note_len, "nothing is pending in the socket or the pipe");
		return VERDICT_UNSURE;
	}
	if (s->relay.state == '?') {
		snprintf(note, note_len, "the relay thread could not be read");
		return VERDICT_UNSURE;
	}
	/* A relay waiting for a destination that cannot take bytes is right to
	 * wait: our sink reads all TCP delivers. */
	if (classify_waits_on_destination(s)) {
		snprintf(note, note_len, "%s; waiting for it",
			 s->dst_unwritable == 1
				 ? "the destination is not writable: TCP has not delivered what it "
				   "holds yet"
				 : "TCP was under memory pressure (tcp_mem) in this cell: the kernel "
				   "may have refused the relay's write and owes it a wakeup");
		return VERDICT_UNSURE;
	}

	char syscall[24];
	syscall_label(s->relay.syscall_nr, syscall, sizeof syscall);
	const char *wchan = s->relay.wchan[0] ? s->relay.wchan : "hidden";
	bool in_splice, in_wait;
	const char *source_of_truth = "the kernel";
	if (s->relay.syscall_nr == SYSCALL_UNKNOWN) {
		/* /proc/PID/syscall hidden (no ptrace access): fall back to
		 * what the relay said it was doing before it went to sleep. */
		in_splice = s->activity == ACTIVITY_SPLICE_DRAIN || s->activity == ACTIVITY_SPLICE_PUMP;
		in_wait = s->activity == ACTIVITY_WAIT_SRC || s->activity == ACTIVITY_WAIT_DST;
		source_of_truth = "the relay's own account (syscall unreadable)";
	} else {
		in_splice = syscall_is_splice(s->relay.syscall_nr);
		in_wait = syscall_is_readiness_wait(s->relay.syscall_nr);
	}
	if (in_splice) {
		snprintf(note, note_len,
			 "the relay sleeps inside splice(%s) (state %c, wchan %s) with no progress for "
			 "%.0f ms while %lld bytes wait in the source socket and %lld in the pipe; "
			 "per %s",
			 s->activity == ACTIVITY_SPLICE_PUMP ? "pipe->socket" : "socket->pipe",
			 s->relay.state, wchan, window_ms, (long long)s->src_rcv_queue,
			 (long long)s->pipe_bytes, source_of_truth);
		return VERDICT_BLOCKED;
	}
	snprintf(note, note_len,
		 "the relay sleeps in %s (state %c, wchan %s) %s%s for %.0f ms while %lld bytes "
		 "wait in the source socket and %lld in the pipe; per %s%s",
		 syscall, s->relay.state, wchan, in_wait ? "waiting for " : "outside splice",
		 in_wait ? what_waits(s->activity) : "", window_ms, (long long)s->src_rcv_queue,
		 (long long)s->pipe_bytes, source_of_truth,
		 s->tcp_memory_pressure == 1 ? "; TCP was under memory pressure in this cell, and "
					       "no byte moved for the patience that allows"
					     : "");
	return VERDICT_STALLED;
}
