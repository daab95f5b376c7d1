#include "report.h"

#include <errno.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "version.h"


static const char pipe_method[] =
	"FIONREAD and F_GETPIPE_SZ on our own read-only, non-blocking open of /proc/PID/fd/N "
	"(a new file on the same pipe; nothing is read from it)";

static json_t *int_or_null(int64_t v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static json_t *flags_json(unsigned long flags)
{
	static const char *const names[] = {"MOVE", "NONBLOCK", "MORE", "GIFT"};
	json_t *list = json_array();
	for (unsigned i = 0; i < 4; i++)
		if (flags & (1ul << i))
			json_array_append_new(list, json_string(names[i]));
	return list;
}

static const char *kind_name(enum end_kind k)
{
	return k == END_SOCKET ? "socket" : k == END_PIPE ? "pipe" : "other";
}

static json_t *end_json(const struct end_view *e)
{
	json_t *o = json_pack("{s:i, s:s, s:I}", "fd", e->fd, "kind", kind_name(e->kind), "inode",
			      (json_int_t)e->inode);
	json_object_set_new(o, "nonblock", e->flags_known ? json_boolean(e->nonblock) : json_null());
	if (e->kind == END_SOCKET) {
		const struct tcp_sock *s = e->sock[1];
		json_object_set_new(o, "local", s ? json_string(s->local) : json_null());
		json_object_set_new(o, "remote", s ? json_string(s->remote) : json_null());
		json_object_set_new(o, "rx_queue", s ? json_integer(s->rx_queue) : json_null());
		json_object_set_new(o, "tx_queue", s ? json_integer(s->tx_queue) : json_null());
	} else if (e->kind == END_PIPE) {
		const struct pipe_state *p = e->pipe;
		json_object_set_new(o, "pipe_size", int_or_null(p ? p->size : -1));
		json_object_set_new(o, "pipe_bytes", int_or_null(p ? p->bytes[1] : -1));
	}
	return o;
}

static json_t *stack_json(const struct thread_view *v)
{
	if (!v->stack)
		return json_null();
	json_t *list = json_array();
	for (const char *line = v->stack; *line;) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		json_array_append_new(list, json_stringn(line, n));
		line += n + (end ? 1 : 0);
	}
	return list;
}

static json_t *thread_json(const struct doctor_thread *t)
{
	const struct thread_view *v0 = &t->view[0], *v1 = &t->view[1];
	char sys0[24], sys1[24], st0[2] = {v0->state, 0}, st1[2] = {v1->state, 0};
	syscall_label(v0->syscall_nr, sys0, sizeof sys0);
	syscall_label(v1->syscall_nr, sys1, sizeof sys1);
	json_t *o = json_pack("{s:i, s:s, s:s, s:[s,s], s:[s,s], s:s}", "tid", (int)t->tid,
			      "verdict", doctor_verdict_name(t->verdict), "note", t->note, "state", st0,
			      st1, "syscall", sys0, sys1, "wchan", v1->wchan);
	json_object_set_new(o, "stack", stack_json(v1));
	json_object_set_new(o, "stack_note",
			    v1->stack ? json_null()
			    : v1->stack_error
				    ? json_sprintf("unreadable: %s", strerror(v1->stack_error))
				    : json_string("not read or empty (running, or not relevant)"));
	json_object_set_new(o, "cpu_ms",
			    v0->cpu_known && v1->cpu_known && v1->cpu_ns >= v0->cpu_ns
				    ? json_real((double)(v1->cpu_ns - v0->cpu_ns) / 1e6)
				    : json_null());
	json_object_set_new(o, "woken", int_or_null(t->woke));
	if (t->splice_seen) {
		json_object_set_new(o, "splice",
				    json_pack("{s:o, s:o, s:I, s:o, s:s}", "in", end_json(&t->in), "out",
					      end_json(&t->out), "len", (json_int_t)t->splice_len,
					      "flags", flags_json(t->splice_flags), "seen_at",
					      t->splice_sample == 2 ? "extra look"
					      : t->splice_sample ? "second sample"
								 : "first sample"));
	} else {
		json_object_set_new(o, "splice", json_null());
	}
	if (t->waiting) {
		json_t *watched = json_array();
		for (int i = 0; i < t->nwatched; i++)
			json_array_append_new(watched, end_json(&t->watched[i]));
		json_object_set_new(o, "wait",
				    json_pack("{s:s, s:o, s:b, s:o}", "syscall", sys1, "epfd",
					      t->epfd >= 0 ? json_integer(t->epfd) : json_null(),
					      "edge_triggered", t->edge_triggered, "watched", watched));
	} else {
		json_object_set_new(o, "wait", json_null());
	}
	json_object_set_new(o, "regime", t->regime ? json_string(t->regime) : json_null());
	return o;
}

static void add_unreadable(json_t *list, const char *what, int err, const char *consequence)
{
	if (err)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "what", what, "why",
						      strerror(err), "consequence", consequence));
}

static json_t *unreadable_json(const struct diagnosis *d)
{
	json_t *list = json_array();
	add_unreadable(list, "/proc/PID/task/TID/stack", d->stack_error,
		       "no kernel stack: the verdict rests on state, wchan and syscall; the "
		       "kernel regime is not named");
	add_unreadable(list, "/proc/PID/task/TID/syscall", d->syscall_error,
		       "no syscall or arguments: splice ends unknown; a pipe wait in wchan stands in");
	add_unreadable(list, "/proc/PID/fd", d->fd_error, "no sockets or pipes");
	add_unreadable(list, "/proc/PID/net/tcp", d->net_error, "no socket queues or addresses");
	add_unreadable(list, "/proc/PID/fd/N (pipe)", d->pipe_error, "pipe size and bytes unknown");
	add_unreadable(list, "/proc/PID/exe", d->exe_error, "the program is not named");
	return list;
}

static json_t *program_json(const struct diagnosis *d)
{
	char note[1024];
	diagnosis_program_note(d, note, sizeof note);
	bool go = d->go_result == GOBUILD_FOUND;
	json_t *o = json_pack("{s:s, s:s, s:s}", "exe", d->exe, "comm", d->comm, "kind",
			      go || d->go_result == GOBUILD_OLD_FORMAT ? "go"
			      : d->go_result == GOBUILD_NOT_GO	      ? "other"
								      : "unknown");
	json_object_set_new(o, "go_version", go ? json_string(d->go.version) : json_null());
	json_object_set_new(o, "go_path", go && d->go.path[0] ? json_string(d->go.path) : json_null());
	json_object_set_new(o, "go_module",
			    go && d->go.module[0] ? json_string(d->go.module) : json_null());
	json_object_set_new(o, "splice_without_nonblock",
			    d->go_splice == GO_SPLICE_AFFECTED	       ? json_true()
			    : d->go_splice == GO_SPLICE_NOT_AFFECTED ? json_false()
								     : json_null());
	json_object_set_new(o, "fix",
			    d->go_splice == GO_SPLICE_AFFECTED
				    ? json_string("rebuild with Go 1.21.5 or later (commit 8ae493b5b8, "
						  "golang/go#63801)")
				    : json_null());
	json_object_set_new(o, "note", json_string(note));
	return o;
}

json_t *doctor_json(const struct diagnosis *d)
{
	struct utsname u;
	uname(&u);
	json_t *counts = json_object();
	for (int v = 0; v < DV_COUNT; v++)
		if (d->counts[v])
			json_object_set_new(counts, doctor_verdict_name(v),
					    json_integer((json_int_t)d->counts[v]));
	json_t *threads = json_array();
	for (size_t i = 0; i < d->nthreads; i++)
		json_array_append_new(threads, thread_json(&d->threads[i]));
	json_t *pipes = json_array();
	size_t one_slot = 0;
	for (size_t i = 0; i < d->npipes; i++) {
		const struct pipe_state *p = &d->pipes[i];
		if (p->size > 0 && p->size <= 4096)
			one_slot++;
		json_t *o = json_pack("{s:I, s:i, s:i, s:o, s:o, s:o}", "inode", (json_int_t)p->inode,
				      "fd", p->fd, "fds", p->nfds, "size", int_or_null(p->size),
				      "bytes", int_or_null(p->bytes[1]), "bytes_first",
				      int_or_null(p->bytes[0]));
		json_object_set_new(o, "error",
				    p->open_error ? json_string(strerror(p->open_error)) : json_null());
		json_array_append_new(pipes, o);
	}
	json_t *sockets = json_array();
	for (size_t i = 0; i < d->tcp[1].n; i++) {
		const struct tcp_sock *s = &d->tcp[1].socks[i];
		const struct tcp_sock *first = tcp_table_find(&d->tcp[0], s->inode);
		json_t *o = json_pack("{s:I, s:s, s:s, s:i, s:I, s:I}", "inode", (json_int_t)s->inode,
				      "local", s->local, "remote", s->remote, "state", s->state,
				      "rx_queue", (json_int_t)s->rx_queue, "tx_queue",
				      (json_int_t)s->tx_queue);
		json_object_set_new(o, "rx_queue_first", first ? json_integer(first->rx_queue) : json_null());
		json_object_set_new(o, "tx_queue_first", first ? json_integer(first->tx_queue) : json_null());
		json_array_append_new(sockets, o);
	}
	json_t *o = json_pack("{s:s, s:{s:s, s:s, s:s}, s:i, s:i, s:s, s:i, s:f, s:f}", "schema",
			      "splicelab.doctor/1", "tool", "name", "splicelab-doctor", "version",
			      splicelab_version, "commit", splicelab_commit, "pid", (int)d->pid, "uid",
			      (int)geteuid(), "kernel_release", u.release, "window_ms",
			      (int)d->window_ms, "elapsed_ms", (double)d->elapsed_ns / 1e6,
			      "own_cpu_ms", (double)d->own_cpu_ns / 1e6);
	json_object_set_new(o, "program", program_json(d));
	json_object_set_new(o, "verdict", json_string(doctor_verdict_name(d->verdict)));
	json_object_set_new(o, "note", json_string(d->note));
	json_object_set_new(o, "regime", d->regime[0] ? json_string(d->regime) : json_null());
	json_object_set_new(o, "counts", counts);
	json_object_set_new(o, "unreadable", unreadable_json(d));
	json_object_set_new(o, "pipe_measure", json_string(pipe_method));
	json_object_set_new(o, "one_slot_pipes", json_integer((json_int_t)one_slot));
	json_object_set_new(o, "threads", threads);
	json_object_set_new(o, "pipes", pipes);
	json_object_set_new(o, "sockets", sockets);
	return o;
}

static void short_end(const struct end_view *e, char *buf, size_t len)
{
	if (e->kind == END_SOCKET && e->sock[1])
		snprintf(buf, len, "sock:%d rx=%lld", e->fd, (long long)e->sock[1]->rx_queue);
	else if (e->kind == END_PIPE && e->pipe && e->pipe->size > 0)
		snprintf(buf, len, "pipe:%d %lld/%lld", e->fd, (long long)e->pipe->bytes[1],
			 (long long)e->pipe->size);
	else
		snprintf(buf, len, "%s:%d", kind_name(e->kind), e->fd);
}

void doctor_table(const struct diagnosis *d, bool all, FILE *out)
{
	char program[1024];
	diagnosis_program_note(d, program, sizeof program);
	fprintf(out, "process %d (%s): %s\n", (int)d->pid, d->comm, doctor_verdict_name(d->verdict));
	fprintf(out, "  %s\n", d->note);
	fprintf(out, "program: %s\n", program);
	if (d->regime[0])
		fprintf(out, "kernel: %s\n", d->regime);
	const char *what[] = {"stack", "syscall", "fd", "net/tcp", "pipe", "exe"};
	int errs[] = {d->stack_error, d->syscall_error, d->fd_error, d->net_error, d->pipe_error,
		      d->exe_error};
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
		if (errs[i])
			fprintf(out, "could not read: %s (%s)\n", what[i], strerror(errs[i]));
	size_t one_slot = 0;
	for (size_t i = 0; i < d->npipes; i++)
		if (d->pipes[i].size > 0 && d->pipes[i].size <= 4096)
			one_slot++;
	fprintf(out, "threads %zu, pipes %zu (%zu 1-slot), TCP sockets %zu; window %.0f ms; pipes measured by %s\n",
		d->nthreads, d->npipes, one_slot, d->tcp[1].n, (double)d->elapsed_ns / 1e6,
		pipe_method);
	fprintf(out, "%-8s %-2s %-12s %-22s %-7s %-18s %-18s %s\n", "TID", "ST", "SYSCALL", "WCHAN",
		"CPU_MS", "IN", "OUT", "VERDICT");
	size_t hidden = 0;
	for (size_t i = 0; i < d->nthreads; i++) {
		const struct doctor_thread *t = &d->threads[i];
		if (!all && t->verdict == DV_NOT_IN_SPLICE) {
			hidden++;
			continue;
		}
		const struct thread_view *v0 = &t->view[0], *v1 = &t->view[1];
		char sys[24], in[40] = "-", outs[40] = "-";
		syscall_label(v1->syscall_nr, sys, sizeof sys);
		if (t->splice_seen) {
			short_end(&t->in, in, sizeof in);
			short_end(&t->out, outs, sizeof outs);
		}
		double cpu = v0->cpu_known && v1->cpu_known && v1->cpu_ns >= v0->cpu_ns
				     ? (double)(v1->cpu_ns - v0->cpu_ns) / 1e6
				     : -1;
		fprintf(out, "%-8d %-2c %-12s %-22.22s %-7.1f %-18s %-18s %s\n", (int)t->tid, v1->state,
			sys, v1->wchan[0] ? v1->wchan : "-", cpu, in, outs,
			doctor_verdict_name(t->verdict));
	}
	if (hidden)
		fprintf(out, "(%zu threads not in splice not shown; --all shows them)\n", hidden);
}

void doctor_table_probe(const json_t *probe, FILE *out)
{
	const char *status = json_string_value(json_object_get(probe, "status"));
	if (!status || strcmp(status, "ran") != 0) {
		fprintf(out, "probe: %s: %s\n", status ? status : "failed",
			json_string_value(json_object_get(probe, "reason")));
		return;
	}
	fprintf(out, "probe: %lld events in %lld s", (long long)json_integer_value(json_object_get(probe, "events")),
		(long long)json_integer_value(json_object_get(probe, "duration_s")));
	const char *fn;
	const json_t *n;
	json_object_foreach((json_t *)json_object_get(probe, "calls"), fn, n)
		fprintf(out, ", %s %lld", fn, (long long)json_integer_value(n));
	const json_t *used = json_object_get(probe, "max_slots_used");
	const json_t *total = json_object_get(probe, "slots_total");
	if (json_is_integer(used))
		fprintf(out, "; at most %lld of %lld slots used", (long long)json_integer_value(used),
			(long long)json_integer_value(total));
	fprintf(out, "\n");
}
