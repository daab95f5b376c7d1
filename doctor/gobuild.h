/* What a Go binary says about itself: the build information the Go linker
 * puts in the `.go.buildinfo` ELF section (what `go version -m` prints),
 * and whether that Go version's io.Copy splices without SPLICE_F_NONBLOCK. */
#ifndef SPLICELAB_DOCTOR_GOBUILD_H
#define SPLICELAB_DOCTOR_GOBUILD_H

#include <stdbool.h>
#include <stddef.h>

struct go_build {
	char version[64]; /* "go1.21.1" */
	char path[256];	  /* main package path ("path" line of the module info) */
	char module[256]; /* main module ("mod" line), "" when absent */
};

enum gobuild_result {
	GOBUILD_FOUND,
	GOBUILD_NOT_GO,	    /* an ELF file without the section or its magic */
	GOBUILD_OLD_FORMAT, /* Go before 1.18: pointers, not inline strings */
	GOBUILD_UNREADABLE, /* not ELF, or the file could not be read (errno set) */
};

/* Parses the section's bytes (from its 32-byte header on). Pure. */
enum gobuild_result gobuild_parse(const unsigned char *data, size_t len, struct go_build *out);

/* Finds the section in the ELF file at path (/proc/PID/exe) and parses it;
 * without section headers, scans the file for the header's magic. */
enum gobuild_result gobuild_read(const char *path, struct go_build *out);

enum go_splice {
	GO_SPLICE_NOT_AFFECTED,
	GO_SPLICE_AFFECTED, /* 1.21.0-1.21.4 and the 1.21 pre-releases */
	GO_SPLICE_UNKNOWN,  /* a version string this does not understand */
};

/* "go1.21.1" -> GO_SPLICE_AFFECTED. Pure. */
enum go_splice go_version_splice(const char *version);

#endif
