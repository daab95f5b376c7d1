/* A load cell's record: the pipe accounting it met, the pipes it got, how
 * each connection ended, and its rates (docs/schema.md, `load`). */
#include "load.h"

#include "cell_json.h"

static json_t *limit_json(int64_t value)
{
	return value < 0 ? json_null() : json_integer((json_int_t)value);
}

static json_t *pipes_json(const struct load_shared *load)
{
	char buf[16];
	json_t *sizes = json_array();
	for (uint32_t i = 0; i < load->nsizes; i++)
		json_array_append_new(sizes, json_pack("{s:I, s:i}", "size",
						       (json_int_t)load->sizes[i].size, "count",
						       (int)load->sizes[i].count));
	return json_pack("{s:i, s:o, s:i, s:o}", "created", (int)load->pipes_created, "sizes", sizes,
			 "setpipe_refused", (int)load->setpipe_refused, "setpipe_errno",
			 load->setpipe_refused
				 ? json_string(errno_name(load->setpipe_errno, buf, sizeof buf))
				 : json_null());
}

/* Connections 0..k-1 all finished: how many passed before the limit. */
static uint32_t finished_prefix(const struct load_shared *load)
{
	uint32_t k = 0;
	while (k < load->slots && atomic_load(&load->slot[k].done_conns) > 0)
		k++;
	return k;
}

/* Connections by the pipe their client -> upstream copy got (the one that
 * carries the payload), and how many of each finished: where the per-user
 * limit cut. The pipes of each slot's last connection. */
static json_t *forward_pipes_json(const struct load_shared *load)
{
	struct pipe_kind {
		uint64_t size;
		uint32_t connections, finished;
	} kinds[LOAD_SIZE_KINDS];
	uint32_t nkinds = 0;
	for (uint32_t i = 0; i < load->slots; i++) {
		uint64_t size = load->slot[i].pipe_size[LOAD_FORWARD];
		uint32_t k = 0;
		while (k < nkinds && kinds[k].size != size)
			k++;
		if (k == nkinds) {
			if (nkinds == LOAD_SIZE_KINDS)
				continue;
			kinds[nkinds++] = (struct pipe_kind){.size = size};
		}
		kinds[k].connections++;
		kinds[k].finished += atomic_load(&load->slot[i].done_conns) > 0;
	}
	json_t *list = json_array();
	for (uint32_t k = 0; k < nkinds; k++)
		json_array_append_new(list, json_pack("{s:I, s:i, s:i}", "size",
						      (json_int_t)kinds[k].size, "connections",
						      (int)kinds[k].connections, "finished",
						      (int)kinds[k].finished));
	return list;
}

static json_t *per_connection_json(const struct cell_params *params,
				   const struct load_shared *load)
{
	uint32_t total = params->conn_count > params->connections ? params->conn_count
								  : params->connections;
	json_t *counts = json_object();
	uint32_t accounted = 0;
	uint32_t finished = atomic_load(&load->finished);
	for (int k = 0; k < CONN_KINDS; k++) {
		uint32_t n = k == CONN_FINISHED ? finished : load->verdicts[k];
		if (k == CONN_NOT_STARTED)
			n = total - atomic_load(&load->started);
		accounted += n;
		json_object_set_new(counts, conn_verdict_names[k], json_integer(n));
	}
	/* Open when the cell ended without a verdict on them (a timeout, an
	 * error elsewhere). */
	json_object_set_new(counts, "open", json_integer(total > accounted ? total - accounted : 0));
	json_object_set_new(counts, "finished_first", json_integer(finished_prefix(load)));
	json_object_set_new(counts, "by_forward_pipe", forward_pipes_json(load));
	return counts;
}

void load_json_set(json_t *cell, const struct cell_params *params,
		   const struct cell_shared *shared)
{
	const struct load_shared *load = shared->load;
	uint64_t moved = 0, splices = 0, eagain = 0, eintr = 0, waits = 0;
	for (uint32_t i = 0; i < load->slots; i++) {
		const struct cell_shared *dir = &load->slot[i].dir[LOAD_FORWARD];
		moved += atomic_load(&dir->bytes_pumped);
		for (int d = 0; d < LOAD_DIRS; d++) {
			dir = &load->slot[i].dir[d];
			splices += atomic_load(&dir->splice_calls);
			eagain += atomic_load(&dir->eagain);
			eintr += atomic_load(&dir->eintr);
			waits += atomic_load(&dir->waits);
		}
	}
	json_object_set_new(cell, "bytes_moved", json_integer((json_int_t)moved));
	json_object_set_new(cell, "calls",
			    json_pack("{s:I, s:I, s:I, s:I}", "splice", (json_int_t)splices, "eagain",
				      (json_int_t)eagain, "eintr", (json_int_t)eintr, "waits",
				      (json_int_t)waits));
	/* The per-call list and trace of one relay say little about many. */
	json_object_set_new(cell, "per_call_bytes", json_array());

	uint64_t start = shared->relay_start_ns;
	uint64_t end = load->end_ns ? load->end_ns : atomic_load(&shared->last_progress_ns);
	double seconds = start && end > start ? (double)(end - start) / 1e9 : 0;
	uint32_t finished = atomic_load(&load->finished);
	uint64_t received = atomic_load(&shared->bytes_received);
	char buf[16];
	json_t *object = json_pack(
		"{s:i, s:i, s:b, s:s, s:{s:s, s:i, s:i}, s:{s:o, s:o}, s:{s:I, s:I, s:i, s:o}, "
		"s:{s:I, s:s}, s:o, s:o, s:{s:f, s:f, s:f}}",
		"connections", (int)params->connections, "conn_count",
		(int)(params->conn_count > params->connections ? params->conn_count
							       : params->connections),
		"two_way", load->two_way, "pipe_policy",
		load->two_way ? "pool" : "per-relay", "user", "name",
		params->user.set ? params->user.name : "(invoking user)", "uid", (int)load->uid,
		"gid", (int)load->gid, "pipe_limits", "user_pages_soft",
		limit_json(load->pages_soft), "user_pages_hard", limit_json(load->pages_hard),
		"pipe_pressure", "pages_asked", (json_int_t)params->pipe_pressure, "pages_held",
		(json_int_t)load->pressure_pages, "pipes", (int)load->pressure_pipes, "error",
		load->pressure_errno ? json_string(errno_name(load->pressure_errno, buf, sizeof buf))
				     : json_null(),
		"user_pages_at_start", "pages", (json_int_t)load->user_pages_at_start, "source",
		"counted: the pressure holder's and this cell's pipes (the kernel does not "
		"export a user's pipe pages)",
		"pipes", pipes_json(load), "per_connection", per_connection_json(params, load),
		"rate", "seconds", (double)(int64_t)(seconds * 1000) / 1000, "connections_per_s",
		seconds > 0 ? (double)(int64_t)(finished / seconds * 10) / 10 : 0.0, "mib_per_s",
		seconds > 0 ? (double)(int64_t)((double)received / seconds / 1048576 * 10) / 10
			    : 0.0);
	json_object_set_new(cell, "load", object);
}
