/* One cell's parameters, their names on the command line and in JSON, and
 * the cell id built from them. */
#ifndef SPLICELAB_PARAMS_H
#define SPLICELAB_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Old glibc headers (CentOS 7 builds) may lack these. */
#ifndef SPLICE_F_MOVE
#define SPLICE_F_MOVE 0x01
#define SPLICE_F_NONBLOCK 0x02
#define SPLICE_F_MORE 0x04
#define SPLICE_F_GIFT 0x08
#endif
#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#endif

enum scenario {
	SCENARIO_PROXY,
	SCENARIO_DRAIN,
	SCENARIO_LOAD,
	SCENARIO_THROUGHPUT,
	SCENARIO_VMSPLICE,
	SCENARIO_COUNT
};
/* The vmsplice scenario: when the sender writes into memory it vmspliced
 * (vmsplice.h). */
enum reuse { REUSE_AT_ONCE, REUSE_SIOCOUTQ, REUSE_GIFT, REUSE_DOUBLE, REUSE_COUNT };
enum loop_style { LOOP_BUSY, LOOP_POLL, LOOP_EPOLL, LOOP_COUNT };
enum sender_style { SENDER_ONE, SENDER_MANY, SENDER_NODELAY, SENDER_COUNT };
enum transport { TRANSPORT_TCP4, TRANSPORT_TCP6, TRANSPORT_UNIX, TRANSPORT_COUNT };
enum outcome {
	OUTCOME_OK,
	OUTCOME_BLOCKED,
	OUTCOME_STALLED,
	OUTCOME_SPIN,
	OUTCOME_ERROR,
	OUTCOME_CORRUPT,
	OUTCOME_CRASHED,
	OUTCOME_COUNT
};

struct profile;
struct relay_cmd;

/* Who the cell runs as (--as-user): unset means the invoking user. The name
 * goes into the id (uids differ between machines, names do not). */
struct cell_user {
	bool set;
	uid_t uid;
	gid_t gid;
	char name[32];
};

struct cell_params {
	enum scenario scenario;
	const struct profile *profile; /* NULL when not from a profile */
	enum transport transport;
	uint64_t pipe_size; /* 0: the kernel's default, no F_SETPIPE_SZ */
	uint64_t payload;
	uint64_t chunk;
	unsigned int splice_flags; /* SPLICE_F_* */
	bool pipe_nonblock;
	bool src_nonblock;
	bool dst_nonblock;
	enum loop_style loop;
	enum sender_style sender;
	uint64_t head_start;
	int64_t corrupt_at; /* self-test hook: the sink flips this byte; -1 = off */
	/* The load scenario: connections open at once, connections made in
	 * all (connect-transfer-close cycles; 0 = connections). */
	uint32_t connections;
	uint32_t conn_count;
	uint64_t pipe_pressure; /* pipe pages the cell's user holds first */
	enum reuse reuse;	/* vmsplice cells only */
	struct cell_user user;
	/* --relay-cmd: the user's program is the relay (relay_cmd.h); NULL for
	 * the built-in one. Only transport, payload, sender, head start,
	 * connections and user apply then. */
	const struct relay_cmd *relay_cmd;
};

extern const char *const scenario_names[SCENARIO_COUNT];
extern const char *const loop_names[LOOP_COUNT];
extern const char *const sender_names[SENDER_COUNT];
extern const char *const transport_names[TRANSPORT_COUNT];
extern const char *const reuse_names[REUSE_COUNT];
extern const char *const outcome_names[OUTCOME_COUNT];

/* Index of name in table, or -1. */
int name_index(const char *const *table, int count, const char *name);

struct splice_flag_name {
	const char *name;
	unsigned int bit;
};
extern const struct splice_flag_name splice_flag_names[4];

/* "NONBLOCK|MOVE" (also '+'), "none" -> bits. Returns -1 on an unknown name
 * and points *bad at it (copied into bad_buf). */
int parse_flag_set(const char *text, unsigned int *bits, char *bad_buf, size_t bad_len);
/* Bits -> "MOVE|NONBLOCK" (fixed order) or "none". */
void format_flag_set(unsigned int bits, char *buf, size_t len);

/* "64K", "1M", "1MiB", "25000" -> bytes. Returns -1 when not a positive
 * number with an optional K/M/G suffix. */
int parse_size(const char *text, uint64_t *bytes);
/* Bytes -> "64K"/"16M" when an exact multiple of 1024, else decimal. */
void format_size(uint64_t bytes, char *buf, size_t len);

/* As format_size, with 0 (no F_SETPIPE_SZ) written "default". */
void format_pipe_size(uint64_t bytes, char *buf, size_t len);

/* The stable id: built from the parameters only (docs/schema.md). */
void cell_id(const struct cell_params *cell, char *buf, size_t len);
/* The part of the id only non-default load knobs and --as-user add. */
void cell_id_extras(const struct cell_params *cell, char *buf, size_t len);

#endif
