/* Shared by splice_probe.bpf.c (kernel side) and splice_probe.c (loader):
 * the functions traced and the record one traced call produces. */
#ifndef SPLICELAB_SPLICE_PROBE_H
#define SPLICELAB_SPLICE_PROBE_H

/* What each traced function is, in the order the loader reports them. The
 * read step has had three names; whichever exists is traced. */
enum probe_fn {
	FN_SPLICE_TO_PIPE,	/* every kernel; sleeps in pipe_wait up to 4.8 */
	FN_WAIT_FOR_SPACE,	/* 4.9+, static, may be inlined */
	FN_PIPE_WAIT,		/* up to 5.8 (pipe read and write use it too) */
	FN_PIPE_WAIT_WRITABLE,	/* 5.9+ */
	FN_DO_SPLICE_TO,	/* read step, up to 6.4 */
	FN_VFS_SPLICE_READ,	/* read step, 6.5-6.6 (a wrapper from 6.8) */
	FN_DO_SPLICE_READ,	/* read step, 6.8+ */
	FN_TCP_SPLICE_READ,	/* every kernel */
	FN_COUNT
};

/* The wait functions are FN_WAIT_FOR_SPACE and the two after it. */
#define PROBE_WAITS 3
_Static_assert(FN_PIPE_WAIT == FN_WAIT_FOR_SPACE + 1 &&
		       FN_PIPE_WAIT_WRITABLE == FN_WAIT_FOR_SPACE + 2,
	       "the waits are consecutive");

/* Bits of probe_record.have: which fields the probe could read. */
#define HAVE_ENTRY_PIPE  0x01 /* at_entry holds the pipe's state */
#define HAVE_EXIT_PIPE   0x02 /* at_exit holds the pipe's state */
#define HAVE_BYTES_ENTRY 0x04 /* at_entry.bytes is the full sum */
#define HAVE_BYTES_EXIT  0x08 /* at_exit.bytes is the full sum */
#define HAVE_LEN         0x10
#define HAVE_FLAGS       0x20
#define HAVE_PAGES       0x40
#define HAVE_EXIT        0x80 /* the call returned; else it was still inside */

/* Bytes in the pipe are summed over at most this many live slots, one read
 * per slot, unrolled (kernels before 5.3 have no loops). 64 keeps every
 * program under the 4096 instructions kernels before 5.2 accept. A fuller
 * pipe (more than 64 slots used: only pipes above 256 KiB) reports its
 * slots but no byte count rather than a wrong one. */
#define PROBE_MAX_SLOTS 64

struct pipe_state {
	unsigned int slots_used;
	unsigned int slots_total;
	unsigned long long bytes;
};

/* One traced call, sent when it returns, or found still in flight in the
 * kernel's map when the loader stops. A busy loop retrying EAGAIN makes
 * millions of identical calls: after the first, they are counted, not sent
 * (folded_before of the next one sent, or the last one at the end). */
struct probe_record {
	unsigned long long entry_ns; /* CLOCK_MONOTONIC, bpf_ktime_get_ns */
	unsigned long long exit_ns;  /* valid with HAVE_EXIT */
	unsigned long long pipe;     /* kernel address: the loader maps it to a small id */
	long long ret;
	unsigned long long len;
	struct pipe_state at_entry;
	struct pipe_state at_exit;
	unsigned int flags;
	unsigned int pages; /* splice_to_pipe: spd->nr_pages */
	unsigned int pid;   /* tgid */
	unsigned int tid;
	unsigned int folded_before; /* identical -EAGAIN calls of this thread and
				     * function dropped since the last one sent */
	unsigned char fn;     /* enum probe_fn */
	unsigned char have;   /* HAVE_* */
	unsigned char killed; /* returned with the process being killed (a
			       * fatal signal): the call had not returned
			       * when the cell ended */
	unsigned char pad;
};

/* Pending and last-seen state of one (thread, function). */
struct call_key {
	unsigned int tid;
	unsigned int fn;
};

/* One process (tgid) as the kernel aggregates it: the group leader's
 * task address tells two processes with one reused pid apart. */
struct proc_key {
	unsigned long long leader;
	unsigned int tgid;
	unsigned int pad;
};

struct call_state {
	struct probe_record pending;	 /* the call in flight */
	struct proc_key proc;		 /* its process */
	struct probe_record last_folded; /* the last call counted, not sent */
	unsigned int active;		 /* entered, not yet returned */
	unsigned int folded;		 /* calls counted since the last one sent */
	unsigned int sent_eagain;	 /* the last one sent was an -EAGAIN */
	unsigned int pad;
};

/* Which processes are traced; kept in a map because kernels before 5.2 have
 * no global data. A zero field does not filter. */
struct probe_config {
	unsigned int tgid;	 /* -p PID */
	unsigned int parent_tgid; /* --ppid PID: children of the matrix runner */
	unsigned int self_tgid;	 /* the loader itself, never traced */
	unsigned int stream;	 /* send every call to user space (--events all);
				  * else the kernel only aggregates */
};

/* Lists per process, kept in the kernel: the first PROBE_LIST_LEN
 * splice_to_pipe calls (the summary's timeline), the first tcp_splice_read
 * returns, and a ring of the last PROBE_LIST_LEN splice_to_pipe calls
 * after the first ones (timeline_last: how a long cell ended). Each entry
 * is its own map element (no variable offsets into a map value: old
 * verifiers refuse them). */
#define PROBE_LIST_LEN 64
enum probe_list { LIST_TIMELINE, LIST_READS, LIST_LAST, LIST_COUNT };

struct list_key {
	struct proc_key proc;
	unsigned int list; /* enum probe_list */
	unsigned int index;
};

struct list_point {
	unsigned long long entry_ns;
	unsigned long long bytes_before, bytes_after;
	long long ret;
	unsigned int slots_before, slots_after, slots_total, pages;
	unsigned char have;	/* HAVE_* of the call */
	unsigned char returned; /* returned before the kill */
	unsigned char pad[6];
};

/* What the kernel adds up for one process, over the calls the full stream
 * would send (the folded ones counted in calls only): the per-cell summary
 * (docs/schema.md) before it knows its cell. A wait cut short by the kill
 * is kept as a count and a sum of entry times, so that user space, which
 * knows when the cell ended, adds end - entry for each. */
struct proc_summary {
	unsigned long long first_ns; /* entry of the first call: finds the cell */
	unsigned long long events;
	unsigned long long calls[FN_COUNT];
	/* the waits, by fn - FN_WAIT_FOR_SPACE (they come right after it) */
	unsigned long long slept_ns[PROBE_WAITS];
	unsigned long long cut_waits[PROBE_WAITS];
	unsigned long long cut_entry_sum[PROBE_WAITS];
	unsigned long long max_bytes;
	unsigned int slots_total, max_slots;
	unsigned int unreturned; /* bit per enum probe_fn */
	unsigned int list_len[2]; /* LIST_TIMELINE, LIST_READS */
	unsigned int timeline_calls; /* splice_to_pipe calls listed or ringed */
};

/* Per-CPU counters the loader reads at the end. */
enum probe_counter {
	COUNTER_LOST,	    /* output refused (ring buffer full) */
	COUNTER_STATE_FULL, /* call_states map full: a call was not followed */
	COUNTER_SUMMARY_FULL, /* proc_summaries or lists full: a call not summed */
	COUNTER_COUNT
};

#endif
