/* The runner's side of a load cell: when no byte moved anywhere for a
 * window, every open connection's relay thread is judged by the same
 * classifier as a single-connection cell (classify.c), and the cell's
 * outcome is what most stuck connections show. */
#include "load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell_json.h"
#include "classify.h"
#include "procview.h"

/* Windows in which some open connection stays unproven (and nothing that
 * could move it is runnable) before the cell is judged on the proven ones. */
#define UNSURE_WINDOWS 3

struct thread_mark {
	uint32_t conn; /* connection number + 1 the marks belong to */
	pid_t tid;
	uint64_t cpu_ns;
	bool cpu_known;
	uint64_t eagain;
};

struct load_watch {
	uint32_t slots;
	unsigned int unsure_windows;
	struct thread_mark *marks; /* slots * LOAD_DIRS */
};

struct load_watch *load_watch_new(const struct cell_params *params)
{
	struct load_watch *watch = calloc(1, sizeof *watch);
	if (!watch)
		return NULL;
	watch->slots = params->connections ? params->connections : 1;
	watch->marks = calloc((size_t)watch->slots * LOAD_DIRS, sizeof *watch->marks);
	if (!watch->marks) {
		free(watch);
		return NULL;
	}
	return watch;
}

void load_watch_free(struct load_watch *watch)
{
	if (!watch)
		return;
	free(watch->marks);
	free(watch);
}

void load_watch_open(struct load_watch *watch, pid_t pid, const struct cell_shared *shared)
{
	const struct load_shared *load = shared->load;
	if (!watch || !load)
		return;
	for (uint32_t i = 0; i < watch->slots && i < load->slots; i++) {
		for (int d = 0; d < LOAD_DIRS; d++) {
			struct thread_mark *mark = &watch->marks[i * LOAD_DIRS + (uint32_t)d];
			const struct cell_shared *dir = &load->slot[i].dir[d];
			mark->conn = atomic_load(&load->slot[i].conn);
			mark->tid = atomic_load(&dir->tids[ROLE_RELAY]);
			mark->eagain = atomic_load(&dir->eagain);
			mark->cpu_known = mark->tid && procview_cpu_ns(pid, mark->tid, &mark->cpu_ns);
		}
	}
}

/* The direction still copying: the forward one carries the payload. */
static int open_dir(const struct load_slot *slot)
{
	if (!atomic_load(&slot->dir_done[LOAD_FORWARD]))
		return LOAD_FORWARD;
	if (!atomic_load(&slot->dir_done[LOAD_REVERSE]))
		return LOAD_REVERSE;
	return -1;
}

struct judged {
	enum conn_verdict verdict;
	bool may_progress; /* unproven, and a thread that could move it is runnable */
	char note[512];
	struct stuck_snapshot snapshot;
};

static void judge(const struct load_watch *watch, pid_t pid, const struct cell_shared *shared,
		  uint32_t i, const struct cell_quiet *quiet, bool with_stack, struct judged *out)
{
	const struct load_shared *load = shared->load;
	const struct load_slot *slot = &load->slot[i];
	struct stuck_snapshot *s = &out->snapshot;
	memset(s, 0, sizeof *s);
	s->relay.state = '?';
	out->verdict = CONN_UNKNOWN;
	out->may_progress = false;
	snprintf(out->note, sizeof out->note, "every relay of the connection is done; its peers "
					      "have not closed yet");
	int d = open_dir(slot);
	s->peers[0].state = s->peers[1].state = '?';
	if (d < 0) {
		out->may_progress = true;
		return;
	}
	const struct cell_shared *dir = &slot->dir[d];
	pid_t tid = atomic_load(&dir->tids[ROLE_RELAY]);
	if (!tid || procview_read(pid, tid, with_stack, &s->relay) < 0) {
		snprintf(out->note, sizeof out->note, "the relay thread could not be read");
		return;
	}
	const struct thread_mark *mark = &watch->marks[i * LOAD_DIRS + (uint32_t)d];
	bool same = mark->conn == atomic_load(&slot->conn) && mark->tid == tid;
	uint64_t eagain = atomic_load(&dir->eagain);
	s->window_ns = quiet->window_ns;
	s->quiet_ns = quiet->cell_quiet_ns;
	s->tcp_memory_pressure = quiet->tcp_memory_pressure;
	s->relay_cpu_known = same && mark->cpu_known && s->relay.cpu_known;
	s->relay_cpu_ns = s->relay_cpu_known && s->relay.cpu_ns > mark->cpu_ns
				  ? s->relay.cpu_ns - mark->cpu_ns : 0;
	s->eagain_in_window = same && eagain > mark->eagain ? eagain - mark->eagain : 0;
	s->src_rcv_queue = dir->src_rcv_queue;
	s->pipe_bytes = dir->pipe_bytes;
	s->activity = atomic_load(&dir->activity);
	s->dst_unwritable = dir->dst_unwritable;
	/* The client and sink threads serve every connection: one busy filling
	 * other connections' socket buffers cannot wake a relay asleep in
	 * splice on a full pipe, so that verdict needs no quiet peers. Any
	 * other needs them, as in a single-connection cell: a client's write
	 * brings the edge an epoll wait is missing. */
	enum verdict verdict = classify_stuck(s, out->note, sizeof out->note);
	if (verdict != VERDICT_BLOCKED) {
		enum cell_role peer_roles[2] = {ROLE_CLIENT, ROLE_SINK};
		for (int p = 0; p < 2; p++) {
			pid_t peer = atomic_load(&shared->tids[peer_roles[p]]);
			if (peer)
				procview_read(pid, peer, false, &s->peers[p]);
		}
		verdict = classify_stuck(s, out->note, sizeof out->note);
	}
	switch (verdict) {
	case VERDICT_BLOCKED:
		out->verdict = CONN_BLOCKED;
		break;
	case VERDICT_STALLED:
		out->verdict = CONN_STALLED;
		break;
	case VERDICT_SPIN:
		out->verdict = CONN_SPIN;
		break;
	default:
		out->verdict = CONN_UNKNOWN;
		out->may_progress = s->relay.state == 'R' || s->relay.syscall_nr == SYSCALL_RUNNING ||
				    s->peers[0].state == 'R' || s->peers[1].state == 'R' ||
				    classify_waits_on_destination(s);
	}
}

static void free_judged(struct judged *judged)
{
	procview_free(&judged->snapshot.relay);
	for (int p = 0; p < 2; p++)
		procview_free(&judged->snapshot.peers[p]);
}

static double ms_tenths(uint64_t ns)
{
	return (double)(int64_t)((double)ns / 1e5) / 10.0;
}

static json_t *connection_evidence(const struct cell_shared *shared, uint32_t i,
				   const struct judged *judged)
{
	const struct load_slot *slot = &shared->load->slot[i];
	int d = open_dir(slot);
	const struct cell_shared *dir = &slot->dir[d < 0 ? 0 : d];
	json_t *threads = json_array();
	json_array_append_new(threads, thread_view_json("relay", &judged->snapshot.relay, false));
	const char *peer_roles[2] = {"client", "sink"};
	for (int p = 0; p < 2; p++)
		if (judged->snapshot.peers[p].state != '?')
			json_array_append_new(threads, thread_view_json(peer_roles[p],
									&judged->snapshot.peers[p],
									false));
	return json_pack("{s:i, s:s, s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:o}",
			 "connection", (int)atomic_load(&slot->conn) - 1, "direction",
			 d == LOAD_REVERSE ? "upstream->client" : "client->upstream", "note",
			 judged->note, "thread",
			 thread_view_json("relay", &judged->snapshot.relay, true), "pipe_size",
			 (json_int_t)slot->pipe_size[d < 0 ? 0 : d], "bytes_received",
			 (json_int_t)atomic_load(&slot->received), "src_rcv_queue",
			 (json_int_t)dir->src_rcv_queue, "pipe_bytes", (json_int_t)dir->pipe_bytes,
			 "dst_snd_queue", (json_int_t)dir->dst_snd_queue, "cpu_ms_in_window",
			 ms_tenths(judged->snapshot.relay_cpu_ns), "window_ms",
			 ms_tenths(judged->snapshot.window_ns), "threads", threads);
}

int load_watch_verdict(struct load_watch *watch, pid_t pid, struct cell_shared *shared,
		       const struct cell_quiet *quiet, json_t **evidence)
{
	struct load_shared *load = shared->load;
	if (!watch || !load)
		return -1;
	uint32_t counts[CONN_KINDS] = {0}, may_progress = 0;
	int32_t first[CONN_KINDS];
	for (int k = 0; k < CONN_KINDS; k++)
		first[k] = -1;
	for (uint32_t i = 0; i < watch->slots && i < load->slots; i++) {
		if (!atomic_load(&load->slot[i].conn))
			continue;
		struct judged judged;
		judge(watch, pid, shared, i, quiet, false, &judged);
		free_judged(&judged);
		counts[judged.verdict]++;
		may_progress += judged.may_progress;
		if (first[judged.verdict] < 0)
			first[judged.verdict] = (int32_t)i;
	}
	/* A connection whose relay or peers are runnable may still move: the
	 * verdict waits for it, however long (--cell-timeout bounds the cell).
	 * One unproven for another reason gets a few more windows. */
	uint32_t stuck = counts[CONN_BLOCKED] + counts[CONN_STALLED] + counts[CONN_SPIN];
	if (!stuck || may_progress) {
		watch->unsure_windows = 0;
		return -1;
	}
	if (counts[CONN_UNKNOWN] && ++watch->unsure_windows < UNSURE_WINDOWS)
		return -1;

	/* The cell shows what most stuck connections show. */
	enum conn_verdict worst = CONN_BLOCKED;
	if (counts[CONN_STALLED] > counts[worst])
		worst = CONN_STALLED;
	if (counts[CONN_SPIN] > counts[worst])
		worst = CONN_SPIN;
	uint32_t total = load->slots;
	uint32_t made = atomic_load(&load->started);
	counts[CONN_FINISHED] = atomic_load(&load->finished);
	(void)total;
	memcpy(load->verdicts, counts, sizeof counts);

	struct judged judged;
	judge(watch, pid, shared, (uint32_t)first[worst], quiet, true, &judged);
	json_t *example = connection_evidence(shared, (uint32_t)first[worst], &judged);
	free_judged(&judged);
	char note[768];
	snprintf(note, sizeof note,
		 "%u of %u connections made did not finish: %u blocked, %u stalled, %u spinning, "
		 "%u unproven; %u finished. Connection %d: %s",
		 made - counts[CONN_FINISHED], made, counts[CONN_BLOCKED], counts[CONN_STALLED],
		 counts[CONN_SPIN], counts[CONN_UNKNOWN], counts[CONN_FINISHED],
		 (int)json_integer_value(json_object_get(example, "connection")),
		 json_string_value(json_object_get(example, "note")));
	json_t *thread = json_incref(json_object_get(example, "thread"));
	*evidence = json_pack("{s:s, s:o, s:I, s:I, s:I, s:o}", "note", note, "thread", thread,
			      "src_rcv_queue", json_integer_value(json_object_get(example, "src_rcv_queue")),
			      "pipe_bytes", json_integer_value(json_object_get(example, "pipe_bytes")),
			      "dst_snd_queue", json_integer_value(json_object_get(example, "dst_snd_queue")),
			      "stuck_connection", example);
	return worst == CONN_BLOCKED   ? OUTCOME_BLOCKED
	       : worst == CONN_STALLED ? OUTCOME_STALLED
				       : OUTCOME_SPIN;
}
