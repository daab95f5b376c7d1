/* The `vmsplice` object of a vmsplice cell (docs/schema.md). */
#include "cell_shared.h"
#include "vmsplice.h"

static json_t *known_or_null(int64_t value)
{
	return value >= 0 ? json_integer((json_int_t)value) : json_null();
}

void vmsplice_json_set(json_t *cell, const struct cell_params *params,
		       const struct cell_shared *shared)
{
	const struct vmsplice_stats *stats = &shared->vmsplice;
	json_object_set_new(
		cell, "vmsplice",
		json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:{s:I, s:f}, s:{s:o, s:o}, s:I, s:o}",
			  "reuse", reuse_names[params->reuse], "ring_slots", (int)stats->slots,
			  "ring_bytes", (json_int_t)stats->slots * (json_int_t)params->chunk, "chunks",
			  (json_int_t)stats->chunks, "vmsplice_calls",
			  (json_int_t)stats->vmsplice_calls, "refills", (json_int_t)stats->refills,
			  "siocoutq_wait", "polls", (json_int_t)stats->outq_polls, "ms",
			  (double)stats->outq_wait_us / 1000.0, "at_first_refill",
			  "sender_unacked", known_or_null(stats->first_refill_outq),
			  "reader_queued", known_or_null(stats->first_refill_peer_inq), "early_reads",
			  (json_int_t)stats->early_reads, "replaced_by_offset",
			  known_or_null(stats->replaced_by)));
}
