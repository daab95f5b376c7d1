/* The few types of a kernel's BTF that the probes' CO-RE relocations look
 * at, cut from a full BTF file (CentOS 7's is 25 MB) so that libbpf parses
 * and searches a few kilobytes instead: what `bpftool gen min_core_btf`
 * does, done at start-up for whatever kernel this is. */
#ifndef SPLICELAB_PROBE_MIN_BTF_H
#define SPLICELAB_PROBE_MIN_BTF_H

#include <stddef.h>

struct btf;

struct min_btf {
	int fd;		/* an unlinked file holding the raw BTF, or -1 */
	char path[64];	/* /proc/self/fd/N, for bpf_object_open_opts.btf_custom_path */
	size_t types;	/* types written */
};

/* Cuts what the object (ELF bytes of the BPF object) relocates against out
 * of kernel. Returns 0, or -1 when the object needs something the cut does
 * not model (then the full file must be used): never a BTF that would
 * answer a relocation differently. */
int min_btf_make(const struct btf *kernel, const void *object, size_t object_size,
		 struct min_btf *out);

void min_btf_close(struct min_btf *min);

#endif
