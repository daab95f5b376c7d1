/* The generated skeleton (build/probes/splice_probe.skel.h) and the one call
 * into its constructor, kept in skeleton.c: that file is bpftool's code and
 * is left out of clang-tidy, whose analyzer cannot see that
 * bpf_object__destroy_skeleton frees what the constructor allocated. */
#ifndef SPLICELAB_PROBE_SKELETON_H
#define SPLICELAB_PROBE_SKELETON_H

#include "splice_probe.skel.h"

struct splice_probe_bpf *open_skeleton(const struct bpf_object_open_opts *opts);

/* The BPF object's ELF image, as embedded in the skeleton. */
const void *probe_object_bytes(size_t *size);

#endif
