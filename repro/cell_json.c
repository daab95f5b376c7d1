#include "cell_json.h"

#include <stdio.h>
#include <string.h>

#include "load.h"
#include "profiles.h"
#include "relay_cmd.h"

const char *errno_name(int error, char *buf, size_t len)
{
	const char *name = strerrorname_np(error);
	if (name)
		return name;
	snprintf(buf, len, "%d", error);
	return buf;
}

static json_t *flags_json(unsigned int bits)
{
	json_t *list = json_array();
	for (size_t i = 0; i < sizeof splice_flag_names / sizeof splice_flag_names[0]; i++)
		if (bits & splice_flag_names[i].bit)
			json_array_append_new(list, json_string(splice_flag_names[i].name));
	return list;
}

json_t *cell_json_params(const struct cell_params *p)
{
	char id[512];
	cell_id(p, id, sizeof id);
	json_t *cell = json_pack("{s:s, s:s, s:o, s:s, s:I, s:I, s:I, s:o, s:b, s:b, s:b, s:s, s:s, s:I}",
			 "id", id, "scenario", scenario_names[p->scenario], "profile",
			 p->profile ? json_string(p->profile->name) : json_null(), "transport",
			 transport_names[p->transport], "pipe_size_requested",
			 (json_int_t)p->pipe_size, "payload", (json_int_t)p->payload, "chunk",
			 (json_int_t)p->chunk, "flags", flags_json(p->splice_flags),
			 "pipe_nonblock", p->pipe_nonblock, "src_nonblock", p->src_nonblock,
			 "dst_nonblock", p->dst_nonblock, "loop", loop_names[p->loop], "sender",
			 sender_names[p->sender], "head_start", (json_int_t)p->head_start);
	/* Only where they mean something, so other cells read as before. */
	if (p->user.set)
		json_object_set_new(cell, "as_user", json_string(p->user.name));
	if (p->relay_cmd) {
		json_t *words = json_array();
		for (int i = 0; i < p->relay_cmd->nwords; i++)
			json_array_append_new(words, json_string(p->relay_cmd->words[i]));
		json_object_set_new(cell, "relay",
				    json_pack("{s:s, s:o}", "name", p->relay_cmd->name, "command", words));
		json_object_set_new(cell, "connections", json_integer((json_int_t)p->connections));
	}
	if (p->scenario == SCENARIO_LOAD)
		json_object_update_new(
			cell, json_pack("{s:i, s:i, s:I}", "connections", (int)p->connections,
					"conn_count",
					(int)(p->conn_count > p->connections ? p->conn_count
									     : p->connections),
					"pipe_pressure", (json_int_t)p->pipe_pressure));
	return cell;
}

static json_t *trace_entry_json(const struct trace_entry *entry)
{
	char buf[16];
	return json_pack("{s:s, s:I, s:I, s:o, s:I}", "op",
			 entry->op == TRACE_DRAIN ? "drain" : "pump", "len", (json_int_t)entry->len,
			 "ret", (json_int_t)entry->ret, "errno",
			 entry->error ? json_string(errno_name(entry->error, buf, sizeof buf))
				      : json_null(),
			 "t_us", (json_int_t)entry->t_us);
}

static json_t *trace_json(const struct cell_shared *shared)
{
	json_t *first = json_array(), *last = json_array();
	uint64_t total = shared->trace_total;
	uint64_t kept_first = total;
	if (kept_first > TRACE_KEEP)
		kept_first = TRACE_KEEP;
	for (uint64_t i = 0; i < kept_first; i++)
		json_array_append_new(first, trace_entry_json(&shared->trace_first[i]));
	/* The last calls, oldest first, without repeating the first ones. */
	uint64_t from = total > TRACE_KEEP ? total - TRACE_KEEP : 0;
	if (from < kept_first)
		from = kept_first;
	for (uint64_t i = from; i < total; i++)
		json_array_append_new(last,
				      trace_entry_json(&shared->trace_last[i % TRACE_KEEP]));
	return json_pack("{s:o, s:o, s:I}", "first", first, "last", last, "total",
			 (json_int_t)total);
}

void cell_json_set_run(json_t *cell, const struct cell_params *params,
		       const struct cell_shared *shared, enum outcome outcome, json_t *evidence,
		       double elapsed_ms, double detected_after_ms)
{
	char buf[16];
	json_object_set_new(cell, "pipe_size", json_integer((json_int_t)shared->pipe_size));
	json_object_set_new(cell, "pipe_size_error",
			    shared->pipe_size_errno
				    ? json_string(errno_name(shared->pipe_size_errno, buf, sizeof buf))
				    : json_null());
	json_object_set_new(cell, "outcome", json_string(outcome_names[outcome]));
	json_object_set_new(cell, "queued_at_start",
			    json_integer((json_int_t)shared->queued_at_start));
	json_object_set_new(cell, "bytes_sent",
			    json_integer((json_int_t)atomic_load(&shared->bytes_sent)));
	uint64_t moved = params->scenario == SCENARIO_DRAIN ? atomic_load(&shared->bytes_drained)
							    : atomic_load(&shared->bytes_pumped);
	json_object_set_new(cell, "bytes_moved", json_integer((json_int_t)moved));
	json_object_set_new(cell, "bytes_verified",
			    json_integer((json_int_t)shared->bytes_verified));
	json_object_set_new(cell, "elapsed_ms", json_real((double)(long long)(elapsed_ms * 10) / 10));
	json_object_set_new(cell, "detected_after_ms",
			    detected_after_ms < 0
				    ? json_null()
				    : json_real((double)(long long)(detected_after_ms * 10) / 10));
	json_object_set_new(cell, "calls",
			    json_pack("{s:I, s:I, s:I, s:I}", "splice",
				      (json_int_t)atomic_load(&shared->splice_calls), "eagain",
				      (json_int_t)atomic_load(&shared->eagain), "eintr",
				      (json_int_t)atomic_load(&shared->eintr), "waits",
				      (json_int_t)atomic_load(&shared->waits)));
	json_t *per_call = json_array();
	for (uint32_t i = 0; i < shared->per_call_count && i < PER_CALL_KEEP; i++)
		json_array_append_new(per_call, json_integer((json_int_t)shared->per_call[i]));
	json_object_set_new(cell, "per_call_bytes", per_call);
	json_object_set_new(cell, "trace", trace_json(shared));
	json_object_set_new(cell, "evidence", evidence ? evidence : json_object());
	if (shared->load)
		load_json_set(cell, params, shared);
	if (params->scenario == SCENARIO_THROUGHPUT)
		throughput_json_set(cell, shared);
	if (params->scenario == SCENARIO_VMSPLICE)
		vmsplice_json_set(cell, params, shared);
}

json_t *thread_view_json(const char *role, const struct thread_view *view, bool with_stack)
{
	char syscall[24], state[2] = {view->state, '\0'};
	syscall_label(view->syscall_nr, syscall, sizeof syscall);
	json_t *thread = json_pack("{s:s, s:i, s:s, s:s, s:s}", "role", role, "tid", (int)view->tid,
				   "state", state, "wchan", view->wchan, "syscall", syscall);
	if (!with_stack)
		return thread;
	json_t *frames = json_null();
	if (view->stack) {
		frames = json_array();
		for (const char *line = view->stack; *line;) {
			const char *end = strchr(line, '\n');
			size_t n = end ? (size_t)(end - line) : strlen(line);
			json_array_append_new(frames, json_stringn(line, n));
			line += n + (end ? 1 : 0);
		}
	}
	json_object_set_new(thread, "stack", frames);
	char buf[16], note[160];
	if (view->stack)
		note[0] = '\0';
	else if (view->stack_error)
		snprintf(note, sizeof note,
			 "kernel stack unreadable (%s): it needs root, and hardened kernels hide it",
			 errno_name(view->stack_error, buf, sizeof buf));
	else if (view->state == 'R')
		snprintf(note, sizeof note, "the thread was running: no sleeping kernel stack");
	else
		snprintf(note, sizeof note, "the kernel showed an empty stack (hardened kernel?)");
	json_object_set_new(thread, "stack_note", note[0] ? json_string(note) : json_null());
	return thread;
}
