#include "skeleton.h"

struct splice_probe_bpf *open_skeleton(const struct bpf_object_open_opts *opts)
{
	return splice_probe_bpf__open_opts(opts);
}

const void *probe_object_bytes(size_t *size)
{
	return splice_probe_bpf__elf_bytes(size);
}
