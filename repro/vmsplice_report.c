/* The vmsplice cells in the terminal table: one line each, with where the
 * data went bad and what the queues said when the memory was rewritten. */
#include "report.h"
#include "vmsplice.h"

#include <string.h>

static void print_known(FILE *out, const json_t *value, int width)
{
	if (json_is_integer(value))
		fprintf(out, " %*lld", width, (long long)json_integer_value(value));
	else
		fprintf(out, " %*s", width, "-");
}

void vmsplice_print_table(FILE *out, const json_t *cells, bool color)
{
	size_t index;
	const json_t *cell;
	bool header = false;
	json_array_foreach(cells, index, cell)
	{
		const json_t *vm = json_object_get(cell, "vmsplice");
		if (!vm)
			continue;
		if (!header) {
			fprintf(out, "\nvmsplice (each chunk is read only after the sender rewrote its "
				     "memory)\n%-10s %-9s %-9s %9s %9s %9s %6s %9s\n",
				"transport", "reuse", "outcome", "bad at", "unacked", "queued", "early",
				"ms");
			header = true;
		}
		const json_t *refill = json_object_get(vm, "at_first_refill");
		const json_t *evidence = json_object_get(cell, "evidence");
		const char *outcome = json_string_value(json_object_get(cell, "outcome"));
		bool corrupt = outcome && strcmp(outcome, "corrupt") == 0;
		fprintf(out, "%-10s %-9s ", json_string_value(json_object_get(cell, "transport")),
			json_string_value(json_object_get(vm, "reuse")));
		report_print_outcome(out, cell, 9, color);
		print_known(out, corrupt ? json_object_get(evidence, "offset") : NULL, 9);
		print_known(out, json_object_get(refill, "sender_unacked"), 9);
		print_known(out, json_object_get(refill, "reader_queued"), 9);
		print_known(out, json_object_get(vm, "early_reads"), 6);
		fprintf(out, " %9.1f\n", json_number_value(json_object_get(cell, "elapsed_ms")));
	}
	if (header)
		fprintf(out, "(bad at: first bad offset; unacked: the sender's SIOCOUTQ and queued: "
			     "the reader's SIOCINQ when the memory was first rewritten; early: chunks "
			     "read before their memory was rewritten, the socket being full)\n");
}
