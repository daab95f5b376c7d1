/* A throughput cell's record: per method what it moved and what that cost,
 * per MiB and as a ratio to its read/write baseline (docs/schema.md,
 * `throughput`). */
#include "cell_shared.h"

#define MIB 1048576.0

/* Rounded to a step (0.01, 0.1), so figures do not carry noise digits. */
static double rounded(double value, double step)
{
	return (double)(long long)(value / step + 0.5) * step;
}

struct per_mib {
	double mib_per_s, syscalls, cpu_ms;
};

/* The median over the method's rounds of its MiB/s (cpu false) or CPU ms
 * per MiB: a round the machine slowed down does not move it. */
static double median_round(const struct throughput_figures *f, bool cpu)
{
	double v[TP_ROUNDS];
	uint32_t n = 0;
	for (uint32_t r = 0; r < f->rounds && r < TP_ROUNDS; r++) {
		double mib = (double)f->round_bytes[r] / MIB, x;
		if (cpu)
			x = (double)f->round_cpu_ns[r] / 1e6 / mib;
		else
			x = f->round_elapsed_ns[r] ? mib / ((double)f->round_elapsed_ns[r] / 1e9) : 0;
		uint32_t at = n++;
		for (; at > 0 && v[at - 1] > x; at--)
			v[at] = v[at - 1];
		v[at] = x;
	}
	if (!n)
		return 0;
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static struct per_mib per_mib_of(const struct throughput_figures *f)
{
	double mib = (double)f->bytes / MIB;
	struct per_mib p = {0, 0, 0};
	if (mib <= 0)
		return p;
	p.mib_per_s = median_round(f, false);
	p.syscalls = (double)f->syscalls / mib;
	p.cpu_ms = median_round(f, true);
	return p;
}

static json_t *ratio(double value, double base)
{
	return base > 0 && value >= 0 ? json_real(rounded(value / base, 0.01)) : json_null();
}

static json_t *method_json(const struct cell_shared *shared, enum throughput_method m)
{
	const struct throughput_method_info *info = &throughput_methods[m];
	const struct throughput_figures *f = &shared->throughput.method[m];
	const struct throughput_figures *b = &shared->throughput.method[info->baseline];
	struct per_mib p = per_mib_of(f), base = per_mib_of(b);
	bool pipe = info->buffer == 0 && m != TP_SENDFILE;
	json_t *vs = json_pack("{s:s, s:o, s:o, s:o}", "baseline", throughput_methods[info->baseline].name,
			       "speed", ratio(p.mib_per_s, base.mib_per_s), "syscalls",
			       ratio(p.syscalls, base.syscalls), "cpu", ratio(p.cpu_ms, base.cpu_ms));
	return json_pack("{s:s, s:s, s:o, s:o, s:b, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, "
			 "s:f, s:f, s:f, s:f, s:f, s:o}",
			 "method", info->name, "source", info->from_file ? "file" : "socket",
			 "buffer", info->buffer ? json_integer((json_int_t)info->buffer) : json_null(),
			 "pipe", pipe ? json_string(info->fresh_pipe ? "fresh" : "pooled") : json_null(),
			 "finished", f->done, "rounds", (int)f->rounds, "bytes", (json_int_t)f->bytes,
			 "bytes_verified",
			 (json_int_t)f->verified, "transfers", (json_int_t)f->transfers, "syscalls",
			 (json_int_t)f->syscalls, "pipes_created", (json_int_t)f->pipes_created,
			 "pipe_size", (json_int_t)f->pipe_size, "elapsed_ms",
			 rounded((double)f->elapsed_ns / 1e6, 0.01), "cpu_ms",
			 rounded((double)f->cpu_ns / 1e6, 0.001), "cpu_user_ms",
			 rounded((double)f->cpu_user_ns / 1e6, 0.01), "cpu_sys_ms",
			 rounded((double)f->cpu_sys_ns / 1e6, 0.01), "mib_per_s",
			 rounded(p.mib_per_s, 0.1), "syscalls_per_mib", rounded(p.syscalls, 0.01),
			 "cpu_ms_per_mib", rounded(p.cpu_ms, 0.001), "vs_read_write", vs);
}

void throughput_json_set(json_t *cell, const struct cell_shared *shared)
{
	json_t *methods = json_array();
	for (int m = 0; m < TP_METHODS; m++)
		json_array_append_new(methods, method_json(shared, (enum throughput_method)m));
	json_object_set_new(
		cell, "throughput",
		json_pack("{s:o, s:s}", "methods", methods, "note",
			  "absolute MiB/s and CPU depend on the machine (under qemu TCG on the "
			  "emulation, not the kernel): across kernels compare the ratios to "
			  "read/write and the counts"));
}
