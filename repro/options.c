#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "identity.h"
#include "load.h"
#include "version.h"

const char *const preset_names[PRESET_COUNT] = {"none", "default", "quick", "profiles",
						  "throughput"};

#define MAX_PAYLOAD (1ull << 30)
#define MAX_CHUNK (1ull << 30)
/* F_SETPIPE_SZ refuses anything above 2 GiB for everyone (round_pipe_size);
 * between pipe-max-size and that, only CAP_SYS_RESOURCE succeeds, and a
 * refusal is recorded in the cell, not treated as bad input. */
#define MAX_PIPE_SIZE (1ull << 31)

enum option_id {
	OPT_OUT = 'o',
	OPT_LABEL = 'L',
	OPT_SCENARIO = 's',
	OPT_PROFILE = 'P',
	OPT_PIPE_SIZE = 'p',
	OPT_PAYLOAD = 'n',
	OPT_CHUNK = 'c',
	OPT_FLAGS = 'f',
	OPT_LOOP = 'l',
	OPT_TRANSPORT = 't',
	OPT_REPEAT = 'r',
	OPT_JOBS = 'j',
	OPT_WINDOW = 'w',
	OPT_QUIET = 'q',
	OPT_HELP = 'h',
	OPT_VERSION = 'V',
	OPT_PRESET = 256,
	OPT_PIPE_NONBLOCK,
	OPT_SRC_NONBLOCK,
	OPT_DST_NONBLOCK,
	OPT_SENDER,
	OPT_HEAD_START,
	OPT_CELL_TIMEOUT,
	OPT_CONFIG,
	OPT_VIRT,
	OPT_PROBE,
	OPT_PROBE_MODE,
	OPT_PROBE_BTF,
	OPT_PROBE_EVENTS,
	OPT_JSON,
	OPT_LIST,
	OPT_LIST_PROFILES,
	OPT_COLOR,
	OPT_CORRUPT_AT,
	OPT_CONNECTIONS,
	OPT_CONN_COUNT,
	OPT_AS_USER,
	OPT_PIPE_PRESSURE,
	OPT_FORCE,
	OPT_RELAY_CMD,
	OPT_RELAY_NAME,
	OPT_REUSE,
};

static const struct option long_options[] = {
	{"out", required_argument, NULL, OPT_OUT},
	{"label", required_argument, NULL, OPT_LABEL},
	{"preset", required_argument, NULL, OPT_PRESET},
	{"scenario", required_argument, NULL, OPT_SCENARIO},
	{"profile", required_argument, NULL, OPT_PROFILE},
	{"pipe-size", required_argument, NULL, OPT_PIPE_SIZE},
	{"payload", required_argument, NULL, OPT_PAYLOAD},
	{"chunk", required_argument, NULL, OPT_CHUNK},
	{"flags", required_argument, NULL, OPT_FLAGS},
	{"pipe-nonblock", required_argument, NULL, OPT_PIPE_NONBLOCK},
	{"src-nonblock", required_argument, NULL, OPT_SRC_NONBLOCK},
	{"dst-nonblock", required_argument, NULL, OPT_DST_NONBLOCK},
	{"loop", required_argument, NULL, OPT_LOOP},
	{"sender", required_argument, NULL, OPT_SENDER},
	{"transport", required_argument, NULL, OPT_TRANSPORT},
	{"head-start", required_argument, NULL, OPT_HEAD_START},
	{"repeat", required_argument, NULL, OPT_REPEAT},
	{"jobs", required_argument, NULL, OPT_JOBS},
	{"window", required_argument, NULL, OPT_WINDOW},
	{"cell-timeout", required_argument, NULL, OPT_CELL_TIMEOUT},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"virt", required_argument, NULL, OPT_VIRT},
	{"probe", no_argument, NULL, OPT_PROBE},
	{"probe-mode", required_argument, NULL, OPT_PROBE_MODE},
	{"probe-btf", required_argument, NULL, OPT_PROBE_BTF},
	{"probe-events", required_argument, NULL, OPT_PROBE_EVENTS},
	{"json", no_argument, NULL, OPT_JSON},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"list", no_argument, NULL, OPT_LIST},
	{"list-profiles", no_argument, NULL, OPT_LIST_PROFILES},
	{"color", required_argument, NULL, OPT_COLOR},
	{"corrupt-at", required_argument, NULL, OPT_CORRUPT_AT},
	{"connections", required_argument, NULL, OPT_CONNECTIONS},
	{"conn-count", required_argument, NULL, OPT_CONN_COUNT},
	{"as-user", required_argument, NULL, OPT_AS_USER},
	{"pipe-pressure", required_argument, NULL, OPT_PIPE_PRESSURE},
	{"force", no_argument, NULL, OPT_FORCE},
	{"relay-cmd", required_argument, NULL, OPT_RELAY_CMD},
	{"relay-name", required_argument, NULL, OPT_RELAY_NAME},
	{"reuse", required_argument, NULL, OPT_REUSE},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

static const char usage_text[] =
	"Usage: splicelab [OPTIONS]\n"
	"       splicelab doctor PID [OPTIONS]  the same as splicelab-doctor (its --help)\n"
	"Run the splice_readfrom relay (splice socket->pipe, then pipe->socket) over a\n"
	"matrix of parameters on this kernel and classify what the kernel did with\n"
	"each cell: ok, blocked, stalled, spin, error, corrupt or crashed.\n"
	"Writes OUT/matrix.json (schema splicelab.matrix/1) and prints a table.\n"
	"\n"
	"Output:\n"
	"  -o, --out DIR          folder for matrix.json [build/runs/<label> for the\n"
	"                         default matrix, else build/runs/<label>@<matrix>:\n"
	"                         quick, profiles or grid-<hash of the cell ids>;\n"
	"                         never results/, the committed reference results]\n"
	"      --force            replace the matrix.json of a folder that holds\n"
	"                         another matrix or the lab's results (a\n"
	"                         provenance.json beside it); refused without it,\n"
	"                         exit 64\n"
	"  -L, --label NAME       run label [<os id><version>-<kernel release>]\n"
	"      --json             print the matrix JSON on stdout instead of the table\n"
	"  -q, --quiet            no table and no progress line\n"
	"      --color WHEN       auto, always, never [auto: only on a terminal]\n"
	"      --list             print the ids of the cells that would run, then exit\n"
	"      --list-profiles    print the profile table with sources, then exit\n"
	"\n"
	"The grid (LIST = values separated by ','; SIZE = bytes with K, M or G):\n"
	"      --preset NAME      default (the full grid, used when no grid option is\n"
	"                         given), quick (a dozen key cells), profiles (every\n"
	"                         profile at 1M and 64M), throughput (4 cells: 64K\n"
	"                         and 1M pipes x 64K and 1M transfers, 16M each).\n"
	"                         Grid options given with a\n"
	"                         preset replace that dimension of it; given without\n"
	"                         one, the other dimensions take one value each:\n"
	"                         proxy, tcp4, 64K pipe, 16M payload, 1M chunk, flags\n"
	"                         none, all O_NONBLOCK off, busy loop, one sender.\n"
	"  -s, --scenario LIST    proxy (client->relay->sink, every byte checked),\n"
	"                         drain (socket->pipe only, the pipe is never read),\n"
	"                         load (many connections through one relay process,\n"
	"                         each with its own pipes, both ways where the\n"
	"                         profile's program copies both ways),\n"
	"                         throughput (the payload moved once by each way to\n"
	"                         copy: splice with a fresh pipe per transfer and\n"
	"                         with a pooled pipe, read/write with 16K, 64K and 1M\n"
	"                         buffers, and from a file read/write, sendfile and\n"
	"                         splice; MiB/s, syscalls and CPU per MiB, pipes\n"
	"                         created, ratios to read/write; runs alone),\n"
	"                         vmsplice (the sender vmsplices its own memory into\n"
	"                         a pipe, splices it into the socket and rewrites\n"
	"                         that memory per --reuse; the reader reads each\n"
	"                         chunk only after its memory was rewritten; only\n"
	"                         -t, -p, -n and -c apply) [128K payload, 16K chunk\n"
	"                         when not given]\n"
	"  -P, --profile LIST     profile names (see --list-profiles) or all; a\n"
	"                         profile fixes pipe size, chunk, flags, O_NONBLOCK\n"
	"                         and loop, so those options cannot be combined\n"
	"  -p, --pipe-size LIST   power-of-two pipe sizes, 4K to 2G, or default (no\n"
	"                         F_SETPIPE_SZ); a refusal by the kernel is recorded\n"
	"  -n, --payload LIST     bytes the client sends, up to 1G\n"
	"  -c, --chunk LIST       len of each socket->pipe splice, up to 1G [1M];\n"
	"                         in throughput cells the transfer size (a fresh\n"
	"                         pipe per transfer)\n"
	"  -f, --flags LIST       flag sets, flags in a set joined by | or +:\n"
	"                         none, NONBLOCK, MOVE, MORE, GIFT (e.g. none,MOVE|NONBLOCK)\n"
	"      --pipe-nonblock LIST  on, off: O_NONBLOCK on the pipe (since 5.1 the\n"
	"                         kernel then acts as if SPLICE_F_NONBLOCK was given)\n"
	"      --src-nonblock LIST   on, off: O_NONBLOCK on the source socket\n"
	"      --dst-nonblock LIST   on, off: O_NONBLOCK on the destination socket\n"
	"  -l, --loop LIST        after EAGAIN: busy (retry at once), poll (level-\n"
	"                         triggered), epoll (edge-triggered, like Go)\n"
	"      --sender LIST      one (1 MiB writes), many (4 KiB writes), nodelay\n"
	"                         (4 KiB writes with TCP_NODELAY)\n"
	"  -t, --transport LIST   tcp4, tcp6, unix (stream sockets on this host)\n"
	"      --head-start SIZE  bytes to see queued on the source socket before\n"
	"                         the relay starts [256K]\n"
	"      --connections N    load cells: connections open at once, 1 to 4096 [1]\n"
	"      --conn-count N     load cells: connections made in all, each slot\n"
	"                         reconnecting after its connection closed [N]\n"
	"      --pipe-pressure PAGES  load cells: pipe pages the cell's user holds\n"
	"                         (in resized pipes) before the relay starts [0]\n"
	"      --reuse LIST       vmsplice cells: when the sender rewrites memory it\n"
	"                         spliced: at-once (as soon as splice returned),\n"
	"                         siocoutq (once SIOCOUTQ reads 0: every byte\n"
	"                         acknowledged over TCP, read over unix), gift (at\n"
	"                         once, vmsplice with\n"
	"                         SPLICE_F_GIFT), double (two halves: one is\n"
	"                         rewritten once the other was spliced) [all four]\n"
	"      --as-user NAME|UID run every cell as this user (needs root unless it\n"
	"                         is you) [the invoking user]\n"
	"      --relay-cmd CMD    run CMD as every cell's relay instead of the\n"
	"                         built-in one: split into words without a shell,\n"
	"                         {listen} {upstream} (host:port), {listen_host},\n"
	"                         {listen_port}, {upstream_port} filled in per cell;\n"
	"                         started in its own process group, used once the\n"
	"                         kernel shows it listening (at most 5 s), killed\n"
	"                         after the cell; only --payload, --sender,\n"
	"                         --transport tcp4/tcp6, --head-start (the relay is\n"
	"                         held in SIGSTOP while the bytes queue),\n"
	"                         --connections and --as-user apply with it\n"
	"      --relay-name NAME  the relay's name in cell ids ([A-Za-z0-9._+-])\n"
	"                         [the program's base name]\n"
	"      --config FILE      'option = value' lines with the long option names\n"
	"                         (# comments; a switch alone is on, or takes yes/no,\n"
	"                         true/false, on/off, 1/0); at most 64 KiB, lines of\n"
	"                         at most 1023 bytes; errors name FILE:LINE\n"
	"\n"
	"Running:\n"
	"  -j, --jobs N           cells in parallel, at most 8 per online CPU (more\n"
	"                         is capped, with a note) [online CPUs]\n"
	"  -w, --window MS        no-progress window before the kernel's view of the\n"
	"                         cell is read, 10 to 10000 [100]; a cell whose\n"
	"                         client and sink have not run for 5 ms is judged\n"
	"                         sooner, when that silence proves the verdict\n"
	"      --cell-timeout MS  hard limit for one cell, counted while the runner\n"
	"                         watches it (not while the runner is stopped or\n"
	"                         starved) [20000]\n"
	"  -r, --repeat N         run each cell N times and report every outcome [1]\n"
	"      --probe            record what the kernel did in a `kernel` summary\n"
	"                         per cell (needs splicelab-probe\n"
	"                         beside splicelab, root, and a kernel that allows\n"
	"                         it; otherwise the matrix runs without, and\n"
	"                         env.probes says why)\n"
	"      --probe-mode MODE  auto, fentry or kprobe (implies --probe) [auto:\n"
	"                         fentry where the kernel loads it, else kprobes]\n"
	"      --probe-btf FILE   the kernel's BTF for the probes when it has none of\n"
	"                         its own (CentOS 7, most 4.x; implies --probe):\n"
	"                         pahole --btf_encode_detached from the kernel's\n"
	"                         vmlinux or kernel-debuginfo, or BTFHub\n"
	"      --probe-events WHICH  none or all (implies --probe) [none: the\n"
	"                         kernel sums each cell up and only the summaries\n"
	"                         reach user space; all: also every event into\n"
	"                         OUT/events.jsonl, with the summaries computed\n"
	"                         from them in OUT/kernel-from-events.json]\n"
	"      --virt KIND        recorded as env.virt: native, qemu-tcg, qemu-kvm\n"
	"      --corrupt-at N     self-test: the sink flips the byte at offset N\n"
	"  -h, --help             this text\n"
	"  -V, --version          version and commit\n"
	"\n"
	"Exit status: 0 the matrix ran, whatever the outcomes; 64 bad usage or\n"
	"input (nothing written); 1 the tool itself failed, including a limit of\n"
	"this machine running out (open files, processes, memory: one line says\n"
	"which; nothing written, never an `error` cell) or stdout that could not\n"
	"be written; 128+N stopped by signal N: 130 SIGINT, 143 SIGTERM, 129\n"
	"SIGHUP (the cells are killed, the line says how many had finished, and\n"
	"nothing is written).\n";

/* "FILE:LINE: " while a --config file is applied, so a bad value there
 * names where it is; empty for the command line. */
static char config_where[PATH_MAX + 32];

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	fprintf(stderr, "splicelab: %s", config_where);
	/* clang 14's analyzer loses track of va_start here (a known false
	 * positive); args is initialised two lines up. */
	vfprintf(stderr, fmt, args); // NOLINT(clang-analyzer-valist.Uninitialized)
	fprintf(stderr, " (see --help)\n");
	va_end(args);
	return EXIT_USAGE;
}

bool options_label_ok(const char *label)
{
	if (!*label || strchr(label, '/') || strcmp(label, ".") == 0 || strcmp(label, "..") == 0)
		return false;
	for (const unsigned char *p = (const unsigned char *)label; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	/* jansson refuses what is not UTF-8: the label goes into matrix.json. */
	json_t *text = json_string(label);
	json_decref(text);
	return text != NULL;
}

/* Splits a comma list in place-safe fashion: calls add() for each item. */
typedef int (*item_fn)(const char *option, const char *item, void *list);

static int for_each_item(const char *option, const char *text, item_fn add, void *list)
{
	char *copy = strdup(text);
	if (!copy)
		return usage_error("--%s: out of memory", option);
	int rc = 0;
	if (!*copy)
		rc = usage_error("--%s: empty list", option);
	char *save = NULL;
	for (char *item = strtok_r(copy, ",", &save); item && rc == 0;
	     item = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*item))
			item++;
		char *end = item + strlen(item);
		while (end > item && isspace((unsigned char)end[-1]))
			*--end = '\0';
		rc = add(option, item, list);
	}
	free(copy);
	return rc;
}

static int push_size(const char *option, struct size_list *list, uint64_t value)
{
	if (list->count == MAX_LIST)
		return usage_error("--%s: more than 32 values", option);
	for (size_t i = 0; i < list->count; i++)
		if (list->values[i] == value)
			return 0;
	list->values[list->count++] = value;
	return 0;
}

static int push_choice(const char *option, struct choice_list *list, int value)
{
	if (list->count == MAX_LIST)
		return usage_error("--%s: more than 32 values", option);
	for (size_t i = 0; i < list->count; i++)
		if (list->values[i] == value)
			return 0;
	list->values[list->count++] = value;
	return 0;
}

static int add_pipe_size(const char *option, const char *item, void *list)
{
	uint64_t size = 0;
	if (strcmp(item, "default") == 0)
		return push_size(option, list, 0);
	if (parse_size(item, &size) < 0)
		return usage_error("--pipe-size: '%s' is not a size (e.g. 4K, 64K, 1M, "
				   "default)", item);
	if (size & (size - 1))
		return usage_error("--pipe-size: %s is not a power of two (the kernel rounds "
				   "pipe sizes to one)", item);
	if (size < 4096 || size > MAX_PIPE_SIZE)
		return usage_error("--pipe-size: %s is outside 4K..2G, what F_SETPIPE_SZ can "
				   "ever grant", item);
	return push_size(option, list, size);
}

static int add_bounded_size(const char *option, const char *item, void *list, uint64_t max)
{
	uint64_t size = 0;
	if (parse_size(item, &size) < 0)
		return usage_error("--%s: '%s' is not a positive size (e.g. 25000, 64K, 16M)",
				   option, item);
	if (size > max)
		return usage_error("--%s: %s is above the 1G cap", option, item);
	return push_size(option, list, size);
}

static int add_payload(const char *option, const char *item, void *list)
{
	return add_bounded_size(option, item, list, MAX_PAYLOAD);
}

static int add_chunk(const char *option, const char *item, void *list)
{
	return add_bounded_size(option, item, list, MAX_CHUNK);
}

static int add_flag_set(const char *option, const char *item, void *list)
{
	unsigned int bits;
	char bad[64];
	if (parse_flag_set(item, &bits, bad, sizeof bad) < 0)
		return usage_error("--flags: unknown flag '%s' in '%s' (allowed: none, NONBLOCK, "
				   "MOVE, MORE, GIFT)",
				   bad, item);
	return push_choice(option, list, (int)bits);
}

static int add_on_off(const char *option, const char *item, void *list)
{
	if (strcmp(item, "on") == 0 || strcmp(item, "1") == 0 || strcmp(item, "yes") == 0)
		return push_choice(option, list, 1);
	if (strcmp(item, "off") == 0 || strcmp(item, "0") == 0 || strcmp(item, "no") == 0)
		return push_choice(option, list, 0);
	return usage_error("--%s: '%s' is not on or off", option, item);
}

struct named_table {
	const char *const *names;
	int count;
	struct choice_list *list;
};

static int add_named(const char *option, const char *item, void *arg)
{
	struct named_table *table = arg;
	int index = name_index(table->names, table->count, item);
	if (index < 0) {
		char allowed[128] = "";
		for (int i = 0; i < table->count; i++) {
			strncat(allowed, i ? ", " : "", sizeof allowed - strlen(allowed) - 1);
			strncat(allowed, table->names[i], sizeof allowed - strlen(allowed) - 1);
		}
		return usage_error("--%s: unknown value '%s' (allowed: %s)", option, item, allowed);
	}
	return push_choice(option, table->list, index);
}

static int add_profile(const char *option, const char *item, void *arg)
{
	struct matrix_spec *spec = arg;
	(void)option;
	if (strcmp(item, "all") == 0) {
		spec->profile_count = 0;
		for (size_t i = 0; i < profile_count; i++)
			spec->profiles[spec->profile_count++] = &profiles[i];
		return 0;
	}
	const struct profile *profile = profile_find(item);
	if (!profile)
		return usage_error("--profile: unknown profile '%s' (see --list-profiles)", item);
	for (size_t i = 0; i < spec->profile_count; i++)
		if (spec->profiles[i] == profile)
			return 0;
	if (spec->profile_count == MAX_LIST)
		return usage_error("--profile: more than 32 values");
	spec->profiles[spec->profile_count++] = profile;
	return 0;
}

static int parse_uint(const char *option, const char *text, unsigned long min, unsigned long max,
		      unsigned long *value)
{
	char *end;
	errno = 0;
	if (!isdigit((unsigned char)text[0]))
		goto bad;
	*value = strtoul(text, &end, 10);
	if (errno || *end || *value < min || *value > max)
		goto bad;
	return 0;
bad:
	return usage_error("--%s: '%s' is not a whole number from %lu to %lu", option, text, min,
			   max);
}

static int load_config(struct options *options, const char *path);

static int set_list(const char *name, const char *value, item_fn add, void *list, bool *given)
{
	*given = true;
	return for_each_item(name, value, add, list);
}

static int apply_option(struct options *options, int id, const char *name, const char *value)
{
	struct matrix_spec *spec = &options->spec;
	unsigned long number = 0;
	int rc;
	switch (id) {
	case OPT_OUT:
		options->out_dir = value;
		return 0;
	case OPT_LABEL:
		if (!options_label_ok(value))
			return usage_error("--label: must be a non-empty name in UTF-8, without '/' "
					   "or control characters");
		options->label = value;
		return 0;
	case OPT_PRESET: {
		int index = name_index(preset_names, PRESET_COUNT, value);
		if (index <= 0)
			return usage_error("--preset: unknown preset '%s' (allowed: default, quick, "
					   "profiles, throughput)", value);
		spec->preset = (enum preset)index;
		spec->preset_given = true;
		return 0;
	}
	case OPT_SCENARIO: {
		struct named_table table = {scenario_names, SCENARIO_COUNT, &spec->scenarios};
		return set_list(name, value, add_named, &table, &spec->scenarios.given);
	}
	case OPT_TRANSPORT: {
		struct named_table table = {transport_names, TRANSPORT_COUNT, &spec->transports};
		return set_list(name, value, add_named, &table, &spec->transports.given);
	}
	case OPT_LOOP: {
		struct named_table table = {loop_names, LOOP_COUNT, &spec->loops};
		return set_list(name, value, add_named, &table, &spec->loops.given);
	}
	case OPT_SENDER: {
		struct named_table table = {sender_names, SENDER_COUNT, &spec->senders};
		return set_list(name, value, add_named, &table, &spec->senders.given);
	}
	case OPT_REUSE: {
		struct named_table table = {reuse_names, REUSE_COUNT, &spec->reuses};
		return set_list(name, value, add_named, &table, &spec->reuses.given);
	}
	case OPT_PROFILE:
		return set_list(name, value, add_profile, spec, &spec->profiles_given);
	case OPT_PIPE_SIZE:
		return set_list(name, value, add_pipe_size, &spec->pipe_sizes,
				&spec->pipe_sizes.given);
	case OPT_PAYLOAD:
		return set_list(name, value, add_payload, &spec->payloads, &spec->payloads.given);
	case OPT_CHUNK:
		return set_list(name, value, add_chunk, &spec->chunks, &spec->chunks.given);
	case OPT_FLAGS:
		return set_list(name, value, add_flag_set, &spec->flag_sets,
				&spec->flag_sets.given);
	case OPT_PIPE_NONBLOCK:
		return set_list(name, value, add_on_off, &spec->pipe_nonblock,
				&spec->pipe_nonblock.given);
	case OPT_SRC_NONBLOCK:
		return set_list(name, value, add_on_off, &spec->src_nonblock,
				&spec->src_nonblock.given);
	case OPT_DST_NONBLOCK:
		return set_list(name, value, add_on_off, &spec->dst_nonblock,
				&spec->dst_nonblock.given);
	case OPT_HEAD_START:
		if (strcmp(value, "0") == 0) {
			spec->head_start = 0;
			return 0;
		}
		if (parse_size(value, &spec->head_start) < 0 || spec->head_start > MAX_PAYLOAD)
			return usage_error("--head-start: '%s' is not a size from 0 to 1G", value);
		return 0;
	case OPT_CORRUPT_AT:
		if ((rc = parse_uint(name, value, 0, (unsigned long)MAX_PAYLOAD, &number)))
			return rc;
		spec->corrupt_at = (int64_t)number;
		return 0;
	case OPT_CONNECTIONS:
		if ((rc = parse_uint(name, value, 1, LOAD_MAX_CONNECTIONS, &number)))
			return rc;
		spec->connections = (uint32_t)number;
		return 0;
	case OPT_CONN_COUNT:
		if ((rc = parse_uint(name, value, 1, LOAD_MAX_CONN_COUNT, &number)))
			return rc;
		spec->conn_count = (uint32_t)number;
		return 0;
	case OPT_PIPE_PRESSURE:
		if ((rc = parse_uint(name, value, 0, (unsigned long)LOAD_MAX_PRESSURE, &number)))
			return rc;
		spec->pipe_pressure = number;
		return 0;
	case OPT_AS_USER:
		if (identity_lookup(value, &spec->user) < 0)
			return usage_error("--as-user: no user '%s' in /etc/passwd", value);
		if (geteuid() != 0 && spec->user.uid != geteuid())
			return usage_error("--as-user %s: only root can run cells as another user",
					   value);
		return 0;
	case OPT_REPEAT:
		if ((rc = parse_uint(name, value, 1, 1000, &number)))
			return rc;
		options->repeat = (unsigned int)number;
		return 0;
	case OPT_JOBS:
		if ((rc = parse_uint(name, value, 1, 256, &number)))
			return rc;
		options->jobs = (int)number;
		return 0;
	case OPT_WINDOW:
		if ((rc = parse_uint(name, value, 10, 10000, &number)))
			return rc;
		options->window_ms = (unsigned int)number;
		return 0;
	case OPT_CELL_TIMEOUT:
		if ((rc = parse_uint(name, value, 100, 600000, &number)))
			return rc;
		options->cell_timeout_ms = (unsigned int)number;
		return 0;
	case OPT_CONFIG:
		return load_config(options, value);
	case OPT_VIRT:
		if (strcmp(value, "native") != 0 && strcmp(value, "qemu-tcg") != 0 &&
		    strcmp(value, "qemu-kvm") != 0)
			return usage_error("--virt: '%s' is not native, qemu-tcg or qemu-kvm", value);
		options->virt = value;
		return 0;
	case OPT_COLOR:
		if (strcmp(value, "auto") == 0)
			options->color = COLOR_AUTO;
		else if (strcmp(value, "always") == 0)
			options->color = COLOR_ALWAYS;
		else if (strcmp(value, "never") == 0)
			options->color = COLOR_NEVER;
		else
			return usage_error("--color: '%s' is not auto, always or never", value);
		return 0;
	case OPT_PROBE:
		options->probe = true;
		return 0;
	case OPT_PROBE_MODE:
		if (strcmp(value, "auto") != 0 && strcmp(value, "fentry") != 0 &&
		    strcmp(value, "kprobe") != 0)
			return usage_error("--probe-mode: '%s' is not auto, fentry or kprobe", value);
		options->probe = true;
		options->probe_request.mode = value;
		return 0;
	case OPT_PROBE_BTF:
		if (access(value, R_OK) != 0)
			return usage_error("--probe-btf %s: %s", value, strerror(errno));
		options->probe = true;
		options->probe_request.btf = value;
		return 0;
	case OPT_PROBE_EVENTS:
		if (strcmp(value, "none") != 0 && strcmp(value, "all") != 0)
			return usage_error("--probe-events: '%s' is not none or all", value);
		options->probe = true;
		options->probe_request.all_events = strcmp(value, "all") == 0;
		return 0;
	case OPT_JSON:
		options->json = true;
		return 0;
	case OPT_QUIET:
		options->quiet = true;
		return 0;
	case OPT_LIST:
		options->list = true;
		return 0;
	case OPT_LIST_PROFILES:
		options->list_profiles = true;
		return 0;
	case OPT_FORCE:
		options->force = true;
		return 0;
	case OPT_RELAY_CMD: {
		char why[256];
		struct relay_cmd *cmd = calloc(1, sizeof *cmd);
		if (!cmd)
			return usage_error("--relay-cmd: out of memory");
		if (relay_cmd_parse(value, cmd, why, sizeof why) < 0) {
			free(cmd);
			return usage_error("--relay-cmd: %s", why);
		}
		if (spec->relay_cmd) {
			relay_cmd_free(spec->relay_cmd);
			free(spec->relay_cmd);
		}
		spec->relay_cmd = cmd;
		return 0;
	}
	case OPT_RELAY_NAME:
		if (!relay_name_ok(value))
			return usage_error("--relay-name: '%s' is not 1 to 63 of A-Z a-z 0-9 . _ + -",
					   value);
		spec->relay_name = value;
		return 0;
	default:
		return usage_error("unknown option");
	}
}

/* Config values must outlive parsing: options keep pointers into them, so
 * each is copied into a list that options_free() releases. */
struct kept_value {
	struct kept_value *next;
	char text[];
};

static char *config_keep(struct options *options, const char *text)
{
	size_t len = strlen(text);
	struct kept_value *kept = malloc(sizeof *kept + len + 1);
	if (!kept)
		return NULL;
	memcpy(kept->text, text, len + 1);
	kept->next = options->kept;
	options->kept = kept;
	return kept->text;
}

void options_free(struct options *options)
{
	if (options->spec.relay_cmd) {
		relay_cmd_free(options->spec.relay_cmd);
		free(options->spec.relay_cmd);
		options->spec.relay_cmd = NULL;
	}
	while (options->kept) {
		struct kept_value *next = options->kept->next;
		free(options->kept);
		options->kept = next;
	}
}

/* A config file is a few lines; anything bigger (or endless, /dev/zero)
 * is not one. */
#define CONFIG_MAX_BYTES ((size_t)64 * 1024)
#define CONFIG_LINE_MAX 1023

/* Reads the whole file, bounded: regular files and pipes only (a folder,
 * a device or a FIFO without a writer would be empty, endless or hang). */
static int read_config(const char *path, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return usage_error("--config: cannot read '%s': %s", path, strerror(errno));
	struct stat st;
	int rc = 0;
	bool known = fstat(fd, &st) == 0;
	if (known && S_ISDIR(st.st_mode))
		rc = usage_error("--config: '%s' is a folder, not a config file", path);
	else if (known && !S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
		rc = usage_error("--config: '%s' is a device, not a config file", path);
	/* O_NONBLOCK only kept open() of a FIFO from waiting for a writer. */
	else if (!known || fcntl(fd, F_SETFL, 0) < 0)
		rc = usage_error("--config: cannot read '%s': %s", path, strerror(errno));
	char *buf = rc ? NULL : malloc(CONFIG_MAX_BYTES + 2);
	if (!rc && !buf)
		rc = usage_error("--config: out of memory");
	size_t used = 0;
	while (!rc && used <= CONFIG_MAX_BYTES) {
		ssize_t n = read(fd, buf + used, CONFIG_MAX_BYTES + 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = usage_error("--config: cannot read '%s': %s", path, strerror(errno));
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	if (!rc && used > CONFIG_MAX_BYTES)
		rc = usage_error("--config: '%s' is larger than %zu KiB, not a config file", path,
				 CONFIG_MAX_BYTES / 1024);
	if (rc || !buf) {
		free(buf);
		return rc ? rc : EXIT_USAGE;
	}
	buf[used] = '\0';
	*text = buf;
	*len = used;
	return 0;
}

static bool ascii_equal(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* yes/no, true/false, on/off, 1/0: what people write in config files. */
static int parse_switch(const char *key, const char *value, bool *on)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	*on = true;
	if (!*value)
		return 0;
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (ascii_equal(value, yes[i]))
			return 0;
		if (ascii_equal(value, no[i])) {
			*on = false;
			return 0;
		}
	}
	return usage_error("'%s' is a switch: yes or no (true/false, on/off, 1/0), not '%s'", key,
			   value);
}

/* The switches a config file may turn on or off. */
static bool *switch_flag(struct options *options, int id)
{
	switch (id) {
	case OPT_PROBE:
		return &options->probe;
	case OPT_JSON:
		return &options->json;
	case OPT_QUIET:
		return &options->quiet;
	case OPT_LIST:
		return &options->list;
	case OPT_LIST_PROFILES:
		return &options->list_profiles;
	case OPT_FORCE:
		return &options->force;
	default:
		return NULL;
	}
}

/* One "name = value" (or "name value", or a switch alone) line. */
static int config_line(struct options *options, char *line)
{
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	char *key = line;
	while (isspace((unsigned char)*key))
		key++;
	if (!*key)
		return 0;
	char *sep = key + strcspn(key, "= \t\r\n\v\f");
	char *value = sep;
	if (*value)
		*value++ = '\0';
	while (isspace((unsigned char)*value) || *value == '=')
		value++;
	char *end = value + strlen(value);
	while (end > value && isspace((unsigned char)end[-1]))
		*--end = '\0';
	const struct option *found = NULL;
	for (const struct option *o = long_options; o->name; o++)
		if (strcmp(o->name, key) == 0)
			found = o;
	if (!found || found->val == OPT_CONFIG || found->val == OPT_HELP ||
	    found->val == OPT_VERSION)
		return usage_error("unknown option '%s'", key);
	if (found->has_arg == no_argument) {
		bool on;
		bool *flag = switch_flag(options, found->val);
		int rc = parse_switch(key, value, &on);
		if (rc || !flag)
			return rc ? rc : usage_error("'%s' cannot be set here", key);
		*flag = on;
		return 0;
	}
	if (!*value)
		return usage_error("'%s' needs a value", key);
	char *kept = config_keep(options, value);
	if (!kept)
		return usage_error("out of memory");
	return apply_option(options, found->val, found->name, kept);
}

static int load_config(struct options *options, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int rc = read_config(path, &text, &len);
	if (rc)
		return rc;
	char line[CONFIG_LINE_MAX + 1];
	int line_no = 0;
	for (size_t at = 0; rc == 0 && at < len;) {
		line_no++;
		snprintf(config_where, sizeof config_where, "%s:%d: ", path, line_no);
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = (nl ? (size_t)(nl - text) : len) - at;
		if (memchr(text + at, '\0', n))
			rc = usage_error("a NUL byte: not a text file");
		else if (n > CONFIG_LINE_MAX)
			rc = usage_error("line longer than %d bytes", CONFIG_LINE_MAX);
		else {
			memcpy(line, text + at, n);
			line[n] = '\0';
			rc = config_line(options, line);
		}
		at += n + 1;
	}
	config_where[0] = '\0';
	free(text);
	return rc;
}

static void print_version(void)
{
	printf("splicelab %s (commit %s)\n", splicelab_version, splicelab_commit);
}

/* --relay-cmd: what only the built-in relay can honour is refused. */
static int check_relay_cmd(struct matrix_spec *spec)
{
	if (spec->relay_name && !spec->relay_cmd)
		return usage_error("--relay-name names a --relay-cmd relay: add --relay-cmd");
	if (!spec->relay_cmd)
		return 0;
	if (spec->relay_name)
		snprintf(spec->relay_cmd->name, sizeof spec->relay_cmd->name, "%s", spec->relay_name);
	if (spec->pipe_sizes.given || spec->chunks.given || spec->flag_sets.given ||
	    spec->pipe_nonblock.given || spec->src_nonblock.given || spec->dst_nonblock.given ||
	    spec->loops.given || spec->profiles_given || spec->preset_given ||
	    spec->scenarios.given || spec->conn_count || spec->pipe_pressure)
		return usage_error("--relay-cmd cannot be combined with --preset, --scenario, "
				   "--profile, --pipe-size, --chunk, --flags, --*-nonblock, --loop, "
				   "--conn-count or --pipe-pressure: the program decides those");
	for (size_t i = 0; i < spec->transports.count; i++)
		if (spec->transports.values[i] == TRANSPORT_UNIX)
			return usage_error("--relay-cmd: --transport unix is not supported (the "
					   "program gets host:port addresses)");
	return 0;
}

/* A profile fixes these; combining them would silently mean two things. */
static int check_conflicts(struct options *options)
{
	struct matrix_spec *spec = &options->spec;
	int relay_rc = check_relay_cmd(spec);
	if (relay_rc)
		return relay_rc;
	if (options->window_ms >= options->cell_timeout_ms)
		return usage_error("--window (%u ms) must be shorter than --cell-timeout (%u ms)",
				   options->window_ms, options->cell_timeout_ms);
	bool grid_given = spec->pipe_sizes.given || spec->chunks.given || spec->flag_sets.given ||
			  spec->pipe_nonblock.given || spec->src_nonblock.given ||
			  spec->dst_nonblock.given || spec->loops.given;
	if (spec->profiles_given && !spec->preset_given && grid_given)
		return usage_error("--profile cannot be combined with --pipe-size, --chunk, "
				   "--flags, --*-nonblock or --loop: a profile fixes them");
	bool load_asked = false, vmsplice_asked = false;
	bool throughput_asked = spec->preset == PRESET_THROUGHPUT;
	for (size_t i = 0; i < spec->scenarios.count; i++) {
		load_asked |= spec->scenarios.values[i] == SCENARIO_LOAD;
		throughput_asked |= spec->scenarios.values[i] == SCENARIO_THROUGHPUT;
		vmsplice_asked |= spec->scenarios.values[i] == SCENARIO_VMSPLICE;
	}
	if (throughput_asked && (spec->flag_sets.given || spec->pipe_nonblock.given ||
				 spec->src_nonblock.given || spec->dst_nonblock.given ||
				 spec->loops.given || spec->senders.given || spec->profiles_given))
		return usage_error("throughput cells cannot be combined with --flags, --*-nonblock, "
				   "--loop, --sender or --profile: their relays splice with "
				   "MOVE|NONBLOCK between blocking sockets");
	if (spec->reuses.given && !vmsplice_asked)
		return usage_error("--reuse shapes vmsplice cells: add -s vmsplice");
	if ((spec->connections || spec->conn_count || spec->pipe_pressure) && !load_asked &&
	    !spec->relay_cmd)
		return usage_error("--connections, --conn-count and --pipe-pressure shape load "
				   "cells: add -s load");
	if (spec->conn_count && spec->conn_count < (spec->connections ? spec->connections : 1))
		return usage_error("--conn-count (%u) must be at least --connections (%u)",
				   spec->conn_count, spec->connections ? spec->connections : 1);
	if (options->json && options->quiet)
		return usage_error("--json and --quiet conflict: --json prints the matrix on "
				   "stdout");
	return 0;
}

/* More cells at once than this per CPU only slow a run down: the runner
 * checks them one after the other (a queue sample waits on each cell's
 * monitor thread), so its checks fall behind. The verdicts hold (time the
 * runner did not look at a cell is not held against --cell-timeout): on 2
 * CPUs with 4 CPU hogs the drain panels took 11 s at -j 16 and 44 s at
 * -j 256, with the same outcomes. */
#define JOBS_PER_CPU 8

static void cap_jobs(struct options *options)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int cap = (int)(cpus > 0 ? cpus : 1) * JOBS_PER_CPU;
	if (options->jobs <= cap)
		return;
	if (!options->quiet && !options->list)
		fprintf(stderr,
			"splicelab: -j %d is more than %d cells per CPU on %ld CPUs: running %d "
			"at a time, since more only slow the runner's checks of them\n",
			options->jobs, JOBS_PER_CPU, cpus > 0 ? cpus : 1, cap);
	options->jobs = cap;
}

int options_parse(int argc, char **argv, struct options *options)
{
	memset(options, 0, sizeof *options);
	options->spec.head_start = (uint64_t)256 * 1024;
	options->spec.corrupt_at = -1;
	options->window_ms = 100;
	options->cell_timeout_ms = 20000;
	options->repeat = 1;
	options->virt = "native";
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	options->jobs = cpus > 0 ? (int)cpus : 1;
	options->argc = argc;
	options->argv = argv;

	opterr = 0;
	optind = 1;
	int id;
	while ((id = getopt_long(argc, argv, ":o:L:s:P:p:n:c:f:l:t:r:j:w:qhV", long_options,
				 NULL)) != -1) {
		const char *name = NULL;
		for (const struct option *o = long_options; o->name; o++)
			if (o->val == id)
				name = o->name;
		if (id == '?') {
			const char *arg = argv[optind - 1];
			if (optopt)
				fprintf(stderr, "splicelab: unknown option '-%c' (see --help)\n", optopt);
			else
				fprintf(stderr, "splicelab: unknown option '%s' (see --help)\n", arg);
			return EXIT_USAGE;
		}
		if (id == ':') {
			fprintf(stderr, "splicelab: option '%s' needs a value (see --help)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
		if (id == OPT_HELP) {
			fputs(usage_text, stdout);
			return 1;
		}
		if (id == OPT_VERSION) {
			print_version();
			return 1;
		}
		int rc = apply_option(options, id, name ? name : "?", optarg);
		if (rc)
			return rc;
	}
	if (optind < argc) {
		fprintf(stderr, "splicelab: unexpected argument '%s' (see --help)\n", argv[optind]);
		return EXIT_USAGE;
	}
	int rc = check_conflicts(options);
	if (rc == 0)
		cap_jobs(options);
	return rc;
}
