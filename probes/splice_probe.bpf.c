// SPDX-License-Identifier: GPL-2.0
/* Kernel side of splicelab-probe: pipe occupancy at each step of a
 * socket->pipe splice, for the processes under test only.
 *
 * Every function has a kprobe/kretprobe pair and two fentry/fexit pairs
 * (the slot sum unrolled, or with bpf_loop); the loader loads one set
 * (fentry where the kernel has trampolines, with bpf_loop where it has
 * that) and only the functions this kernel has. Written for old verifiers
 * too (see docs/probes.md): no global data, no bounded loops (bpf_loop only
 * in the set loaded where it exists), every existence check
 * through present() below, every CO-RE read into a zeroed destination,
 * records built on the stack. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "splice_probe.h"

#define EAGAIN 11
/* signal_struct.flags: a fatal signal (the runner's SIGKILL) or exit_group
 * is taking the process down; the same value from 2.6 to 6.x. */
#define SIGNAL_GROUP_EXIT 0x00000004

char LICENSE[] SEC("license") = "GPL";

/* A CO-RE existence check (bpf_core_field_exists, bpf_core_type_exists),
 * which libbpf relocates to the constant 1 or 0, compared so that the code
 * for a field or type this kernel lacks (which libbpf poisons) is skipped
 * by a compare with 0. 4.9's verifier follows only one side of a JEQ/JNE
 * when the register's known constant EQUALS the immediate: `!= 0` compiles
 * to "if r1 == 0 goto skip", which it skips when r1 is 0; `== 1` compiles
 * to "if r1 != 1 goto skip", which it walks both ways, into the poison. */
#define present(exists) ((exists) != 0)

/* The pipe layout up to 5.4: occupancy nrbufs from curbuf, capacity buffers. */
struct pipe_inode_info___old {
	unsigned int nrbufs;
	unsigned int curbuf;
	unsigned int buffers;
	struct pipe_buffer *bufs;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct probe_config);
} probe_config_map SEC(".maps");

/* Sized for a full default matrix: a few threads per cell, a few functions. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct call_key);
	__type(value, struct call_state);
} call_states SEC(".maps");

/* Per-process summaries and their lists: user space takes each out once
 * its process is gone (every 100 ms), so these hold the live processes of
 * a matrix, not all of them: 256 with full lists. Preallocated (old
 * kernels), so kept small: creating them is part of the start-up. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct proc_key);
	__type(value, struct proc_summary);
} proc_summaries SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256 * LIST_COUNT * PROBE_LIST_LEN);
	__type(key, struct list_key);
	__type(value, struct list_point);
} proc_lists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNTER_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* The loader creates one of these two: the ring buffer from 5.8, the perf
 * event array before. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} records_ringbuf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} records_perfbuf SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *value = bpf_map_lookup_elem(&counters, &which);
	if (value)
		__sync_fetch_and_add(value, 1);
}

static __always_inline bool traced(void)
{
	__u32 zero = 0;
	struct probe_config *cfg = bpf_map_lookup_elem(&probe_config_map, &zero);
	if (!cfg)
		return false;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (tgid == cfg->self_tgid)
		return false;
	if (cfg->tgid && tgid != cfg->tgid)
		return false;
	if (cfg->parent_tgid) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		struct task_struct *parent = NULL;
		__u32 parent_tgid = 0;
		bpf_core_read(&parent, sizeof(parent), &task->real_parent);
		bpf_core_read(&parent_tgid, sizeof(parent_tgid), &parent->tgid);
		if (parent_tgid != cfg->parent_tgid)
			return false;
	}
	return true;
}

/* Occupancy, capacity and bytes of the pipe, from whichever layout this
 * kernel has. */
/* The sum over the live slots with bpf_loop (5.17+): its callback is
 * verified once, where the unrolled sum costs every program about 1 700
 * verified instructions and its JIT. */
struct slot_sum {
	struct pipe_buffer *bufs;
	__u32 first, mask;
	__u64 bytes;
};

static long add_slot(__u32 i, void *data)
{
	struct slot_sum *sum = data;
	/* Outside bpf_core_read: slot_sum is ours, not the kernel's. */
	struct pipe_buffer *buf = &sum->bufs[(sum->first + i) & sum->mask];
	__u32 len = 0;
	bpf_core_read(&len, sizeof(len), &buf->len);
	sum->bytes += len;
	return 0;
}

static __always_inline void read_pipe(struct pipe_inode_info *pipe, struct pipe_state *state,
				      unsigned char *have, unsigned char have_pipe,
				      unsigned char have_bytes, bool looped)
{
	__u32 used = 0, total = 0, first = 0, ring = 0;
	struct pipe_buffer *bufs = NULL;

	if (!pipe)
		return;
	if (present(bpf_core_field_exists(pipe->head))) {
		__u32 head = 0, tail = 0;
		/* Adjacent in every head/tail kernel so far: one read for the
		 * four (each read is a helper call, at every entry and exit). */
		if (bpf_core_field_offset(pipe->tail) == bpf_core_field_offset(pipe->head) + 4 &&
		    bpf_core_field_offset(pipe->max_usage) == bpf_core_field_offset(pipe->head) + 8 &&
		    bpf_core_field_offset(pipe->ring_size) == bpf_core_field_offset(pipe->head) + 12) {
			__u32 four[4] = {};
			bpf_core_read(four, sizeof(four), &pipe->head);
			head = four[0];
			tail = four[1];
			total = four[2];
			ring = four[3];
		} else {
			bpf_core_read(&head, sizeof(head), &pipe->head);
			bpf_core_read(&tail, sizeof(tail), &pipe->tail);
			bpf_core_read(&total, sizeof(total), &pipe->max_usage);
			bpf_core_read(&ring, sizeof(ring), &pipe->ring_size);
		}
		bpf_core_read(&bufs, sizeof(bufs), &pipe->bufs);
		used = head - tail;
		first = tail;
	}
	if (present(bpf_core_field_exists(((struct pipe_inode_info___old *)pipe)->nrbufs))) {
		struct pipe_inode_info___old *old = (void *)pipe;
		bpf_core_read(&used, sizeof(used), &old->nrbufs);
		bpf_core_read(&first, sizeof(first), &old->curbuf);
		bpf_core_read(&total, sizeof(total), &old->buffers);
		bpf_core_read(&bufs, sizeof(bufs), &old->bufs);
		ring = total;
	}
	if (!total || !ring)
		return;
	state->slots_used = used;
	state->slots_total = total;
	*have |= have_pipe;
	if (used > PROBE_MAX_SLOTS || !bufs)
		return;

	__u64 bytes = 0;
	if (looped) {
		struct slot_sum sum = {.bufs = bufs, .first = first, .mask = ring - 1};
		bpf_loop(used, add_slot, &sum, 0);
		bytes = sum.bytes;
	} else {
#pragma clang loop unroll(full)
		for (__u32 i = 0; i < PROBE_MAX_SLOTS; i++) {
			__u32 len = 0;
			if (i < used)
				bpf_core_read(&len, sizeof(len), &bufs[(first + i) & (ring - 1)].len);
			bytes += len;
		}
	}
	state->bytes = bytes;
	*have |= have_bytes;
}

static __always_inline void send(void *ctx, struct probe_record *rec)
{
	if (present(bpf_core_type_exists(struct bpf_ringbuf))) {
		if (bpf_ringbuf_output(&records_ringbuf, rec, sizeof(*rec), 0))
			count(COUNTER_LOST);
	}
	/* Kernels with a ring buffer have verifiers that prune either way. */
	if (!present(bpf_core_type_exists(struct bpf_ringbuf)))
		bpf_perf_event_output(ctx, &records_perfbuf, BPF_F_CURRENT_CPU, rec, sizeof(*rec));
}

static __always_inline struct call_state *state_of(struct call_key *key)
{
	struct call_state *state = bpf_map_lookup_elem(&call_states, key);
	if (state)
		return state;
	struct call_state fresh = {};
	if (bpf_map_update_elem(&call_states, key, &fresh, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&call_states, key)) {
		count(COUNTER_STATE_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&call_states, key);
}

/* Entry of any traced function: remember the call until it returns. */
static __always_inline void on_call_entry(enum probe_fn fn, struct pipe_inode_info *pipe,
					  __u64 len, __u32 flags, unsigned char have_args,
					  __u32 pages, bool looped)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct call_key key = {.tid = (__u32)pid_tgid, .fn = fn};
	struct probe_record rec = {};

	rec.entry_ns = bpf_ktime_get_ns();
	rec.pipe = (__u64)pipe;
	rec.len = len;
	rec.flags = flags;
	rec.pages = pages;
	rec.pid = pid_tgid >> 32;
	rec.tid = (__u32)pid_tgid;
	rec.fn = fn;
	rec.have = have_args;
	read_pipe(pipe, &rec.at_entry, &rec.have, HAVE_ENTRY_PIPE, HAVE_BYTES_ENTRY, looped);

	struct call_state *state = state_of(&key);
	if (!state)
		return;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct task_struct *leader = NULL;
	bpf_core_read(&leader, sizeof(leader), &task->group_leader);
	__builtin_memcpy(&state->pending, &rec, sizeof(rec));
	state->proc.leader = (__u64)leader;
	state->proc.tgid = rec.pid;
	state->proc.pad = 0;
	state->active = 1;
}

/* Whether the current process is being killed: a call returning now was
 * cut short by the end of its cell, not finished. */
static __always_inline unsigned char being_killed(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct signal_struct *signal = NULL;
	unsigned int flags = 0;
	bpf_core_read(&signal, sizeof(signal), &task->signal);
	if (signal)
		bpf_core_read(&flags, sizeof(flags), &signal->flags);
	return (flags & SIGNAL_GROUP_EXIT) != 0;
}

static __always_inline struct proc_summary *summary_of(struct proc_key *proc, __u64 first_ns)
{
	struct proc_summary *sum = bpf_map_lookup_elem(&proc_summaries, proc);
	if (sum)
		return sum;
	struct proc_summary fresh = {};
	fresh.first_ns = first_ns;
	bpf_map_update_elem(&proc_summaries, proc, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&proc_summaries, proc);
}

static __always_inline void raise_state(struct proc_summary *sum, struct pipe_state *state,
					unsigned char have, unsigned char have_pipe,
					unsigned char have_bytes)
{
	if (have & have_pipe) {
		if (state->slots_total > sum->slots_total)
			sum->slots_total = state->slots_total;
		if (state->slots_used > sum->max_slots)
			sum->max_slots = state->slots_used;
	}
	if ((have & have_bytes) && state->bytes > sum->max_bytes)
		sum->max_bytes = state->bytes;
}

static __always_inline void add_point(struct proc_summary *sum, struct proc_key *proc,
				      enum probe_list list, struct probe_record *rec,
				      unsigned char returned)
{
	__u32 n = 0;
	if (list == LIST_LAST) {
		/* After the first PROBE_LIST_LEN calls, a ring of the last ones. */
		n = sum->timeline_calls;
		sum->timeline_calls = n + 1;
		if (n < PROBE_LIST_LEN)
			return;
		n &= PROBE_LIST_LEN - 1;
	} else {
		n = sum->list_len[list];
		if (n >= PROBE_LIST_LEN)
			return;
		sum->list_len[list] = n + 1;
	}
	struct list_key key = {.proc = *proc, .list = list, .index = n};
	struct list_point point = {};
	point.entry_ns = rec->entry_ns;
	point.bytes_before = rec->at_entry.bytes;
	point.bytes_after = rec->at_exit.bytes;
	point.ret = rec->ret;
	point.slots_before = rec->at_entry.slots_used;
	point.slots_after = rec->at_exit.slots_used;
	point.slots_total = rec->at_entry.slots_total;
	point.pages = rec->pages;
	point.have = rec->have;
	point.returned = returned;
	if (bpf_map_update_elem(&proc_lists, &key, &point, BPF_ANY))
		count(COUNTER_SUMMARY_FULL);
}

/* The per-process summary of one call the full stream sends (user space
 * does the same with the records it gets: probes/cell_summary.c). */
static __always_inline void aggregate(enum probe_fn fn, struct proc_key *proc,
				      struct probe_record *rec)
{
	struct proc_summary *sum = summary_of(proc, rec->entry_ns);
	unsigned char returned = !rec->killed;
	if (!sum) {
		count(COUNTER_SUMMARY_FULL);
		return;
	}
	__sync_fetch_and_add(&sum->events, 2);
	__sync_fetch_and_add(&sum->calls[fn], 1 + (__u64)rec->folded_before);
	raise_state(sum, &rec->at_entry, rec->have, HAVE_ENTRY_PIPE, HAVE_BYTES_ENTRY);
	if (returned)
		raise_state(sum, &rec->at_exit, rec->have, HAVE_EXIT_PIPE, HAVE_BYTES_EXIT);
	else
		sum->unreturned |= 1u << fn;
	if (fn == FN_WAIT_FOR_SPACE || fn == FN_PIPE_WAIT || fn == FN_PIPE_WAIT_WRITABLE) {
		if (returned) {
			__sync_fetch_and_add(&sum->slept_ns[fn - FN_WAIT_FOR_SPACE], rec->exit_ns - rec->entry_ns);
		} else {
			__sync_fetch_and_add(&sum->cut_waits[fn - FN_WAIT_FOR_SPACE], 1);
			__sync_fetch_and_add(&sum->cut_entry_sum[fn - FN_WAIT_FOR_SPACE], rec->entry_ns);
		}
	}
	if (fn == FN_SPLICE_TO_PIPE) {
		add_point(sum, proc, LIST_TIMELINE, rec, returned);
		add_point(sum, proc, LIST_LAST, rec, returned);
	}
	if (fn == FN_TCP_SPLICE_READ && returned)
		add_point(sum, proc, LIST_READS, rec, returned);
}

static __always_inline bool streaming(void)
{
	__u32 zero = 0;
	struct probe_config *cfg = bpf_map_lookup_elem(&probe_config_map, &zero);
	return cfg && cfg->stream;
}

/* Exit: sum the call up (and send it with --events all), or count it when it repeats the -EAGAIN just sent
 * with the pipe unchanged (a busy retry loop). */
static __always_inline void on_call_exit(void *ctx, enum probe_fn fn, long long ret, bool looped)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct call_key key = {.tid = (__u32)pid_tgid, .fn = fn};
	struct call_state *state = bpf_map_lookup_elem(&call_states, &key);
	struct probe_record rec = {};

	if (!state || !state->active)
		return;
	__builtin_memcpy(&rec, &state->pending, sizeof(rec));
	state->active = 0;
	rec.exit_ns = bpf_ktime_get_ns();
	rec.ret = ret;
	rec.have |= HAVE_EXIT;
	rec.killed = being_killed();
	read_pipe((struct pipe_inode_info *)rec.pipe, &rec.at_exit, &rec.have, HAVE_EXIT_PIPE,
		  HAVE_BYTES_EXIT, looped);

	__u32 again = ret == -EAGAIN && rec.at_entry.slots_used == rec.at_exit.slots_used;
	if (again && state->sent_eagain) {
		state->folded++;
		__builtin_memcpy(&state->last_folded, &rec, sizeof(rec));
		return;
	}
	rec.folded_before = state->folded;
	state->folded = 0;
	state->sent_eagain = again;
	/* Map helpers take keys on the stack only, before 4.18. */
	struct proc_key proc = state->proc;
	aggregate(fn, &proc, &rec);
	if (streaming())
		send(ctx, &rec);
}

/* A pipe wait is wanted only when it is the splice's own wait for space:
 * inside splice_to_pipe (up to 4.8) or wait_for_space (4.9+). */
static __always_inline bool inside_splice_write(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct call_key key = {.tid = tid, .fn = FN_SPLICE_TO_PIPE};
	struct call_state *state = bpf_map_lookup_elem(&call_states, &key);
	if (state && state->active)
		return true;
	key.fn = FN_WAIT_FOR_SPACE;
	state = bpf_map_lookup_elem(&call_states, &key);
	return state && state->active;
}

#define ARGS_LEN_FLAGS (HAVE_LEN | HAVE_FLAGS)

/* Each function in both attach modes, fentry twice (the slot sum unrolled,
 * or with bpf_loop: fentry_loop_, fexit_loop_); the loader loads one set. */

static __always_inline void splice_to_pipe_entry(struct pipe_inode_info *pipe,
						 struct splice_pipe_desc *spd, bool looped)
{
	int pages = 0;
	if (!traced())
		return;
	bpf_core_read(&pages, sizeof(pages), &spd->nr_pages);
	on_call_entry(FN_SPLICE_TO_PIPE, pipe, 0, 0, HAVE_PAGES, (__u32)pages, looped);
}

SEC("kprobe/splice_to_pipe")
int BPF_KPROBE(kprobe_splice_to_pipe, struct pipe_inode_info *pipe, struct splice_pipe_desc *spd)
{
	splice_to_pipe_entry(pipe, spd, false);
	return 0;
}

SEC("kretprobe/splice_to_pipe")
int BPF_KRETPROBE(kretprobe_splice_to_pipe, long ret)
{
	on_call_exit(ctx, FN_SPLICE_TO_PIPE, ret, false);
	return 0;
}

#define SPLICE_TO_PIPE_FENTRY(prefix, looped)                                                      \
	SEC("fentry/splice_to_pipe")                                                               \
	int BPF_PROG(fentry##prefix##splice_to_pipe, struct pipe_inode_info *pipe,                 \
		     struct splice_pipe_desc *spd)                                                 \
	{                                                                                          \
		splice_to_pipe_entry(pipe, spd, looped);                                           \
		return 0;                                                                          \
	}                                                                                          \
	SEC("fexit/splice_to_pipe")                                                                \
	int BPF_PROG(fexit##prefix##splice_to_pipe, struct pipe_inode_info *pipe,                  \
		     struct splice_pipe_desc *spd, long ret)                                       \
	{                                                                                          \
		on_call_exit(ctx, FN_SPLICE_TO_PIPE, ret, looped);                                 \
		return 0;                                                                          \
	}

SPLICE_TO_PIPE_FENTRY(_, false)
SPLICE_TO_PIPE_FENTRY(_loop_, true)

SEC("kprobe/wait_for_space")
int BPF_KPROBE(kprobe_wait_for_space, struct pipe_inode_info *pipe, unsigned int flags)
{
	if (traced())
		on_call_entry(FN_WAIT_FOR_SPACE, pipe, 0, flags, HAVE_FLAGS, 0, false);
	return 0;
}

SEC("kretprobe/wait_for_space")
int BPF_KRETPROBE(kretprobe_wait_for_space, int ret)
{
	on_call_exit(ctx, FN_WAIT_FOR_SPACE, ret, false);
	return 0;
}

#define WAIT_FOR_SPACE_FENTRY(prefix, looped)                                                      \
	SEC("fentry/wait_for_space")                                                               \
	int BPF_PROG(fentry##prefix##wait_for_space, struct pipe_inode_info *pipe,                 \
		     unsigned int flags)                                                           \
	{                                                                                          \
		if (traced())                                                                      \
			on_call_entry(FN_WAIT_FOR_SPACE, pipe, 0, flags, HAVE_FLAGS, 0, looped);   \
		return 0;                                                                          \
	}                                                                                          \
	SEC("fexit/wait_for_space")                                                                \
	int BPF_PROG(fexit##prefix##wait_for_space, struct pipe_inode_info *pipe,                  \
		     unsigned int flags, int ret)                                                  \
	{                                                                                          \
		on_call_exit(ctx, FN_WAIT_FOR_SPACE, ret, looped);                                 \
		return 0;                                                                          \
	}

WAIT_FOR_SPACE_FENTRY(_, false)
WAIT_FOR_SPACE_FENTRY(_loop_, true)

/* The read steps share one signature, (in, ppos, pipe, len, flags), in
 * both attach modes. */
#define READ_STEP_FENTRY(prefix, fn_name, fn_id, looped)                                           \
	SEC("fentry/" #fn_name)                                                                    \
	int BPF_PROG(fentry##prefix##fn_name, void *in, void *ppos, struct pipe_inode_info *pipe,  \
		     unsigned long len, unsigned int flags)                                        \
	{                                                                                          \
		if (traced())                                                                      \
			on_call_entry(fn_id, pipe, len, flags, ARGS_LEN_FLAGS, 0, looped);         \
		return 0;                                                                          \
	}                                                                                          \
	SEC("fexit/" #fn_name)                                                                     \
	int BPF_PROG(fexit##prefix##fn_name, void *in, void *ppos, struct pipe_inode_info *pipe,   \
		     unsigned long len, unsigned int flags, long ret)                              \
	{                                                                                          \
		on_call_exit(ctx, fn_id, ret, looped);                                             \
		return 0;                                                                          \
	}

#define READ_STEP_PROBES(fn_name, fn_id)                                                           \
	SEC("kprobe/" #fn_name)                                                                    \
	int BPF_KPROBE(kprobe_##fn_name, void *in, void *ppos, struct pipe_inode_info *pipe,       \
		       unsigned long len, unsigned int flags)                                      \
	{                                                                                          \
		if (traced())                                                                      \
			on_call_entry(fn_id, pipe, len, flags, ARGS_LEN_FLAGS, 0, false);          \
		return 0;                                                                          \
	}                                                                                          \
	SEC("kretprobe/" #fn_name)                                                                 \
	int BPF_KRETPROBE(kretprobe_##fn_name, long ret)                                           \
	{                                                                                          \
		on_call_exit(ctx, fn_id, ret, false);                                              \
		return 0;                                                                          \
	}                                                                                          \
	READ_STEP_FENTRY(_, fn_name, fn_id, false)                                                 \
	READ_STEP_FENTRY(_loop_, fn_name, fn_id, true)

READ_STEP_PROBES(do_splice_to, FN_DO_SPLICE_TO)
READ_STEP_PROBES(vfs_splice_read, FN_VFS_SPLICE_READ)
READ_STEP_PROBES(do_splice_read, FN_DO_SPLICE_READ)
READ_STEP_PROBES(tcp_splice_read, FN_TCP_SPLICE_READ)

/* The pipe waits, (pipe), in both attach modes; recorded only inside the
 * splice's own wait for space. */
#define PIPE_WAIT_FENTRY(prefix, fn_name, fn_id, looped)                                           \
	SEC("fentry/" #fn_name)                                                                    \
	int BPF_PROG(fentry##prefix##fn_name, struct pipe_inode_info *pipe)                        \
	{                                                                                          \
		if (traced() && inside_splice_write())                                             \
			on_call_entry(fn_id, pipe, 0, 0, 0, 0, looped);                            \
		return 0;                                                                          \
	}                                                                                          \
	SEC("fexit/" #fn_name)                                                                     \
	int BPF_PROG(fexit##prefix##fn_name, struct pipe_inode_info *pipe)                         \
	{                                                                                          \
		on_call_exit(ctx, fn_id, 0, looped);                                               \
		return 0;                                                                          \
	}

#define PIPE_WAIT_PROBES(fn_name, fn_id)                                                           \
	SEC("kprobe/" #fn_name)                                                                    \
	int BPF_KPROBE(kprobe_##fn_name, struct pipe_inode_info *pipe)                             \
	{                                                                                          \
		if (traced() && inside_splice_write())                                             \
			on_call_entry(fn_id, pipe, 0, 0, 0, 0, false);                             \
		return 0;                                                                          \
	}                                                                                          \
	SEC("kretprobe/" #fn_name)                                                                 \
	int BPF_KRETPROBE(kretprobe_##fn_name)                                                     \
	{                                                                                          \
		on_call_exit(ctx, fn_id, 0, false);                                                \
		return 0;                                                                          \
	}                                                                                          \
	PIPE_WAIT_FENTRY(_, fn_name, fn_id, false)                                                 \
	PIPE_WAIT_FENTRY(_loop_, fn_name, fn_id, true)

PIPE_WAIT_PROBES(pipe_wait, FN_PIPE_WAIT)
PIPE_WAIT_PROBES(pipe_wait_writable, FN_PIPE_WAIT_WRITABLE)
