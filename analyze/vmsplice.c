/* The vmsplice cells side by side: per kernel, whether the rewritten memory
 * reached the reader (corrupt, with the first bad offset) and what the
 * queues said when the sender rewrote it. */
#include "analyze.h"

#include <string.h>

bool vmsplice_row(const struct joined *joined, size_t r)
{
	return strcmp(join_first(joined, r)->scenario, "vmsplice") == 0;
}

/* The reuse variant, read from the id (the tables' cells keep no more). */
static void reuse_of(const char *id, char *buf, size_t len)
{
	const char *at = strstr(id, "reuse=");
	snprintf(buf, len, "%.*s", at ? (int)strcspn(at + 6, ",") : 1, at ? at + 6 : "?");
}

void vmsplice_row_title(const struct joined *joined, size_t r, char *buf, size_t len)
{
	const struct acell *cell = join_first(joined, r);
	char reuse[24], pipe[24], payload[24], chunk[24];
	reuse_of(cell->id, reuse, sizeof reuse);
	format_pipe_size((uint64_t)cell->pipe_req, pipe, sizeof pipe);
	format_size((uint64_t)cell->payload, payload, sizeof payload);
	format_size((uint64_t)cell->chunk, chunk, sizeof chunk);
	snprintf(buf, len, "%s, reuse %s (%s pipe, %s in %s chunks)", cell->transport, reuse, pipe,
		 payload, chunk);
}

static void known(char *buf, size_t len, size_t *used, const char *name, const json_t *value)
{
	if (json_is_integer(value))
		appendf(buf, len, used, "%s %lld", name, (long long)json_integer_value(value));
	else
		appendf(buf, len, used, "%s ?", name);
}

void vmsplice_cell_text(const struct joined *joined, size_t r, size_t k, char *buf, size_t len)
{
	const struct acell *cell = join_cell(joined, r, k);
	size_t used = 0;
	if (!cell) {
		snprintf(buf, len, "-");
		return;
	}
	char word[32];
	outcome_word(cell, word, sizeof word);
	appendf(buf, len, &used, "%s", word);
	json_t *full = acell_json(&joined->runs[k], cell);
	const json_t *evidence = json_object_get(full, "evidence");
	const json_t *refill = json_object_get(json_object_get(full, "vmsplice"), "at_first_refill");
	if (cell->outcome == OUTCOME_CORRUPT)
		known(buf, len, &used, " at offset", json_object_get(evidence, "offset"));
	if (refill) {
		known(buf, len, &used, " (at reuse: SIOCOUTQ", json_object_get(refill, "sender_unacked"));
		known(buf, len, &used, ", reader queue", json_object_get(refill, "reader_queued"));
		appendf(buf, len, &used, ")");
	}
	json_int_t early = json_integer_value(
		json_object_get(json_object_get(full, "vmsplice"), "early_reads"));
	if (early > 0)
		appendf(buf, len, &used, "; %lld chunk%s read before the rewrite (socket full)",
			(long long)early, early == 1 ? "" : "s");
	json_decref(full);
}

const struct side_table vmsplice_side_table = {
	.heading = "User pages spliced into a socket and reused (vmsplice cells)",
	.note = "The sender vmsplices its own memory into a pipe, splices the pipe into the "
		"socket and rewrites that memory per the reuse variant; the reader reads each "
		"chunk only after that. `corrupt` means the kernel still held the pages by "
		"reference when they were rewritten. At reuse: the sender's unacknowledged "
		"bytes (SIOCOUTQ) and the reader's queued bytes (SIOCINQ) when the memory was "
		"first rewritten.",
	.id = "vmsplice",
	.first = "vmsplice cell",
	.row = vmsplice_row,
	.row_title = vmsplice_row_title,
	.cell_text = vmsplice_cell_text,
};
