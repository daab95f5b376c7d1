#include "skeleton.h"

struct splice_probe_bpf *open_skeleton(const struct bpf_object_open_opts *opts)
{
	return splice_probe_bpf__open_opts(opts);
}
