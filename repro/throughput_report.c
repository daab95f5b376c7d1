/* The terminal table of the throughput cells: per cell, one line per
 * method with its figures and its ratios to read/write. */
#include "throughput.h"

#include <stdio.h>
#include <string.h>

static double number(const json_t *object, const char *key)
{
	return json_number_value(json_object_get(object, key));
}

/* A ratio as the table shows it, "-" when there is none (null). */
static void ratio_text(const json_t *vs, const char *key, char *buf, size_t len)
{
	const json_t *value = json_object_get(vs, key);
	if (json_is_number(value))
		snprintf(buf, len, "%.2f", json_number_value(value));
	else
		snprintf(buf, len, "-");
}

static void print_cell(FILE *out, const json_t *cell)
{
	char pipe[24], transfer[24], payload[24];
	format_pipe_size((uint64_t)json_integer_value(json_object_get(cell, "pipe_size_requested")),
			 pipe, sizeof pipe);
	format_size((uint64_t)json_integer_value(json_object_get(cell, "chunk")), transfer,
		    sizeof transfer);
	format_size((uint64_t)json_integer_value(json_object_get(cell, "payload")), payload,
		    sizeof payload);
	const char *outcome = json_string_value(json_object_get(cell, "outcome"));
	fprintf(out, "\nthroughput %s pipe=%s transfer=%s payload=%s: %s\n",
		json_string_value(json_object_get(cell, "transport")), pipe, transfer, payload,
		outcome ? outcome : "?");
	fprintf(out, "%-12s %8s %9s %9s %6s %9s  %-11s %6s %8s %6s\n", "method", "MiB/s",
		"calls/MiB", "CPUms/MiB", "pipes", "verified", "vs", "speed", "syscalls", "CPU");
	size_t index;
	const json_t *m;
	json_array_foreach(json_object_get(json_object_get(cell, "throughput"), "methods"), index, m)
	{
		const json_t *vs = json_object_get(m, "vs_read_write");
		char speed[16], calls[16], cpu[16], verified[24];
		ratio_text(vs, "speed", speed, sizeof speed);
		ratio_text(vs, "syscalls", calls, sizeof calls);
		ratio_text(vs, "cpu", cpu, sizeof cpu);
		format_size((uint64_t)json_integer_value(json_object_get(m, "bytes_verified")),
			    verified, sizeof verified);
		fprintf(out, "%-12s %8.1f %9.2f %9.3f %6lld %9s  %-11s %6s %8s %6s\n",
			json_string_value(json_object_get(m, "method")), number(m, "mib_per_s"),
			number(m, "syscalls_per_mib"), number(m, "cpu_ms_per_mib"),
			(long long)json_integer_value(json_object_get(m, "pipes_created")), verified,
			json_string_value(json_object_get(vs, "baseline")), speed, calls, cpu);
	}
}

bool throughput_cell(const json_t *cell)
{
	const char *scenario = json_string_value(json_object_get(cell, "scenario"));
	return scenario && strcmp(scenario, "throughput") == 0;
}

void throughput_print_table(FILE *out, const json_t *cells)
{
	size_t index;
	const json_t *cell;
	bool any = false;
	json_array_foreach(cells, index, cell)
	{
		if (!throughput_cell(cell))
			continue;
		print_cell(out, cell);
		any = true;
	}
	if (any)
		fprintf(out, "(MiB/s and CPU are this machine's, under qemu TCG the emulation's: "
			     "across kernels compare the ratios and the counts)\n");
}
