/* --relay-cmd: the user's own program as a cell's relay. The command line
 * is split into words without a shell and its placeholders ({listen},
 * {upstream}, {listen_host}, {listen_port}, {upstream_port}) are filled in
 * per cell, where the runner knows the two addresses. */
#ifndef SPLICELAB_RELAY_CMD_H
#define SPLICELAB_RELAY_CMD_H

#include <stdbool.h>
#include <stddef.h>

#define RELAY_CMD_MAX_WORDS 64
#define RELAY_NAME_MAX 64

struct relay_cmd {
	char *words[RELAY_CMD_MAX_WORDS + 1]; /* the template, NULL-terminated */
	int nwords;
	char name[RELAY_NAME_MAX]; /* in the cell id: --relay-name or the base name */
};

/* Splits text into words: blanks separate, '...' and "..." quote, a
 * backslash escapes the next character. Checks that {listen} appears and
 * that the program exists and is executable (a name without '/' is looked
 * up on PATH). Returns 0, or -1 with one sentence in why. */
int relay_cmd_parse(const char *text, struct relay_cmd *cmd, char *why, size_t why_len);
/* A relay name goes into cell ids: [A-Za-z0-9._+-], 1 to 63 characters. */
bool relay_name_ok(const char *name);
void relay_cmd_free(struct relay_cmd *cmd);

/* The argv for one cell: every placeholder replaced. The strings live in
 * buf (len bytes); returns -1 when it does not fit. */
struct relay_addrs {
	const char *host; /* "127.0.0.1" or "::1" */
	unsigned listen_port, upstream_port;
};
int relay_cmd_argv(const struct relay_cmd *cmd, const struct relay_addrs *addrs, char **argv,
		   char *buf, size_t len);

#endif
