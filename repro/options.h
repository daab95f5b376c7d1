/* The matrix runner's command line (and --config files, which use the same
 * option names): what to run and how. */
#ifndef SPLICELAB_OPTIONS_H
#define SPLICELAB_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "params.h"
#include "probe_session.h"
#include "profiles.h"
#include "relay_cmd.h"

#define EXIT_USAGE 64 /* sysexits EX_USAGE: bad option or input, nothing written */

#define MAX_LIST 32

/* One dimension of the grid; given says whether the user set it. */
struct size_list {
	size_t count;
	uint64_t values[MAX_LIST];
	bool given;
};
struct choice_list {
	size_t count;
	int values[MAX_LIST];
	bool given;
};

enum preset {
	PRESET_NONE,
	PRESET_DEFAULT,
	PRESET_QUICK,
	PRESET_PROFILES,
	PRESET_THROUGHPUT,
	PRESET_COUNT
};
extern const char *const preset_names[PRESET_COUNT];

struct matrix_spec {
	enum preset preset;
	bool preset_given;
	struct choice_list scenarios;
	struct choice_list transports;
	struct size_list pipe_sizes; /* 0 = the kernel's default */
	struct size_list payloads;
	struct size_list chunks;
	struct choice_list flag_sets;
	struct choice_list pipe_nonblock;
	struct choice_list src_nonblock;
	struct choice_list dst_nonblock;
	struct choice_list loops;
	struct choice_list senders;
	struct choice_list reuses; /* vmsplice cells; none given: every variant */
	const struct profile *profiles[MAX_LIST];
	size_t profile_count;
	bool profiles_given;
	uint64_t head_start;
	int64_t corrupt_at;
	/* Load cells (--connections, --conn-count, --pipe-pressure) and the
	 * user every cell runs as (--as-user); 0 / unset: the defaults. */
	uint32_t connections;
	uint32_t conn_count;
	uint64_t pipe_pressure;
	struct cell_user user;
	/* --relay-cmd (owned; options_free releases it) and --relay-name. */
	struct relay_cmd *relay_cmd;
	const char *relay_name;
};

enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct kept_value;

struct options {
	struct matrix_spec spec;
	const char *out_dir; /* NULL: results/<label> */
	const char *label;   /* NULL: from the environment */
	const char *virt;
	int jobs;
	unsigned int window_ms;
	unsigned int cell_timeout_ms;
	unsigned int repeat;
	bool json;
	bool quiet;
	bool list;
	bool list_profiles;
	bool force; /* replace an output folder that holds another matrix */
	bool probe;
	struct probe_request probe_request; /* mode, BTF file, every event or not */
	enum color_mode color;
	char **argv; /* as given, for params.argv */
	int argc;
	struct kept_value *kept; /* values read from --config files */
};

/* Parses argv. Returns 0 to go on, 1 when the program should exit 0 (help,
 * version), or EXIT_USAGE after printing one line naming the option. */
int options_parse(int argc, char **argv, struct options *options);
void options_free(struct options *options);
/* A label becomes a folder name and a JSON string: non-empty UTF-8, no
 * '/', no control characters, not "." or "..". */
bool options_label_ok(const char *label);

#endif
