/* Two tiny programs, each beside a trivial one that must load for the
 * answer to mean anything. Socket filters where the kernel takes them;
 * kprobe programs otherwise (RHEL 7's bpf() takes only tracing programs),
 * which kernels before 5.0 load only with their own version code. Written
 * as raw instructions: they are the test, so no compiler may unroll the
 * loop or fold the store away. */
#include "verifier_features.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define MOV_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ADD_IMM(d, i) INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define EXIT INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

struct loader {
	enum bpf_prog_type type;
	struct bpf_prog_load_opts opts;
};

static int loads(const struct loader *loader, const struct bpf_insn *insns, size_t count)
{
	int fd = bpf_prog_load(loader->type, NULL, "GPL", insns, count, &loader->opts);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static enum verifier_answer answer(int loaded)
{
	return loaded ? VERIFIER_ACCEPTS : VERIFIER_REFUSES;
}

void probe_verifier_features(struct verifier_features *out)
{
	static const struct bpf_insn trivial[] = {MOV_IMM(0, 0), EXIT};
	/* r0 = 0; do r0 += 1; while (r0 != 4): a back edge, bounded. JNE
	 * rather than JLT, which kernels before 4.14 do not know at all. */
	static const struct bpf_insn loop[] = {
		MOV_IMM(0, 0),
		ADD_IMM(0, 1),
		INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, -2, 4),
		MOV_IMM(0, 0),
		EXIT,
	};
	out->bounded_loops = out->global_data = VERIFIER_UNKNOWN;
	struct loader loader = {.type = BPF_PROG_TYPE_SOCKET_FILTER,
				.opts = {.sz = sizeof(struct bpf_prog_load_opts)}};
	if (!loads(&loader, trivial, 2)) {
		/* The version code as kernels before 5.0 check it (and as libbpf
		 * computes it): from the release's first three numbers. */
		struct utsname uts;
		unsigned int major = 0, minor = 0, patch = 0;
		if (uname(&uts) || sscanf(uts.release, "%u.%u.%u", &major, &minor, &patch) < 2)
			return;
		loader.type = BPF_PROG_TYPE_KPROBE;
		loader.opts.kern_version = (major << 16) + (minor << 8) + (patch > 255 ? 255 : patch);
		if (!loads(&loader, trivial, 2))
			return;
	}
	out->bounded_loops = answer(loads(&loader, loop, 5));

	/* r1 = &value[16] (a map value by address, as global data compiles);
	 * *(u64 *)r1 = 42. */
	int map = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 32, 1, NULL);
	if (map < 0)
		return;
	const struct bpf_insn store[] = {
		INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_VALUE, 0, map),
		INSN(0, 0, 0, 0, 16),
		INSN(BPF_ST | BPF_MEM | BPF_DW, 1, 0, 0, 42),
		MOV_IMM(0, 0),
		EXIT,
	};
	out->global_data = answer(loads(&loader, store, 5));
	close(map);
}
