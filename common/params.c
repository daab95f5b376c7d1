#include "params.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "profiles.h"
#include "relay_cmd.h"

const char *const scenario_names[SCENARIO_COUNT] = {"proxy", "drain", "load", "throughput",
						   "vmsplice"};
const char *const loop_names[LOOP_COUNT] = {"busy", "poll", "epoll"};
const char *const sender_names[SENDER_COUNT] = {"one", "many", "nodelay"};
const char *const transport_names[TRANSPORT_COUNT] = {"tcp4", "tcp6", "unix"};
const char *const reuse_names[REUSE_COUNT] = {"at-once", "siocoutq", "gift", "double"};
const char *const outcome_names[OUTCOME_COUNT] = {"ok",    "blocked", "stalled", "spin",
						  "error", "corrupt", "crashed"};

/* The order here is the order in ids and JSON lists. */
const struct splice_flag_name splice_flag_names[4] = {
	{"NONBLOCK", SPLICE_F_NONBLOCK},
	{"MOVE", SPLICE_F_MOVE},
	{"MORE", SPLICE_F_MORE},
	{"GIFT", SPLICE_F_GIFT},
};

int name_index(const char *const *table, int count, const char *name)
{
	for (int i = 0; i < count; i++)
		if (strcmp(table[i], name) == 0)
			return i;
	return -1;
}

int parse_flag_set(const char *text, unsigned int *bits, char *bad_buf, size_t bad_len)
{
	*bits = 0;
	if (strcasecmp(text, "none") == 0 || strcmp(text, "0") == 0)
		return 0;
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, "|+");
		bool known = false;
		for (size_t i = 0; i < sizeof splice_flag_names / sizeof splice_flag_names[0]; i++) {
			const char *name = splice_flag_names[i].name;
			/* Accept "NONBLOCK" and "SPLICE_F_NONBLOCK", any case. */
			size_t skip = (n > 9 && strncasecmp(p, "SPLICE_F_", 9) == 0) ? 9 : 0;
			if (strlen(name) == n - skip && strncasecmp(p + skip, name, n - skip) == 0) {
				*bits |= splice_flag_names[i].bit;
				known = true;
			}
		}
		if (!known || n == 0) {
			snprintf(bad_buf, bad_len, "%.*s", (int)n, p);
			return -1;
		}
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

void format_flag_set(unsigned int bits, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof splice_flag_names / sizeof splice_flag_names[0]; i++) {
		if (!(bits & splice_flag_names[i].bit))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? "|" : "",
				 splice_flag_names[i].name);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	if (used == 0)
		snprintf(buf, len, "none");
}

int parse_size(const char *text, uint64_t *bytes)
{
	if (!isdigit((unsigned char)text[0]))
		return -1;
	errno = 0;
	char *end;
	unsigned long long value = strtoull(text, &end, 10);
	if (errno || value == 0)
		return -1;
	unsigned int shift = 0;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	default:
		return -1;
	}
	if (*end) {
		end++;
		if (strcasecmp(end, "iB") == 0 || strcasecmp(end, "B") == 0)
			end += strlen(end);
		if (*end)
			return -1;
	}
	if (value > (UINT64_MAX >> shift))
		return -1;
	*bytes = (uint64_t)value << shift;
	return 0;
}

void format_size(uint64_t bytes, char *buf, size_t len)
{
	if (bytes && bytes % (1u << 30) == 0)
		snprintf(buf, len, "%lluG", (unsigned long long)(bytes >> 30));
	else if (bytes && bytes % (1u << 20) == 0)
		snprintf(buf, len, "%lluM", (unsigned long long)(bytes >> 20));
	else if (bytes && bytes % 1024 == 0)
		snprintf(buf, len, "%lluK", (unsigned long long)(bytes >> 10));
	else
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
}

void format_pipe_size(uint64_t bytes, char *buf, size_t len)
{
	if (bytes)
		format_size(bytes, buf, len);
	else
		snprintf(buf, len, "default");
}

void cell_id(const struct cell_params *cell, char *buf, size_t len)
{
	char pipe[24], payload[24], chunk[24], head[24], flags[40];
	format_pipe_size(cell->pipe_size, pipe, sizeof pipe);
	format_size(cell->payload, payload, sizeof payload);
	format_size(cell->chunk, chunk, sizeof chunk);
	format_size(cell->head_start, head, sizeof head);
	format_flag_set(cell->splice_flags, flags, sizeof flags);
	int n = 0;
	if (cell->relay_cmd) {
		/* An external relay: only what it is run with names the cell. */
		n = snprintf(buf, len, "relay=%s,%s,payload=%s,sender=%s,head=%s",
			     cell->relay_cmd->name, transport_names[cell->transport],
			     payload, sender_names[cell->sender], head);
		if (n > 0 && (size_t)n < len)
			cell_id_extras(cell, buf + n, len - (size_t)n);
		return;
	}
	if (cell->scenario == SCENARIO_VMSPLICE) {
		/* The sender is ours and fixed: only these shape the cell. */
		n = snprintf(buf, len, "vmsplice,%s,pipe=%s,payload=%s,chunk=%s,reuse=%s",
			     transport_names[cell->transport], pipe, payload, chunk,
			     reuse_names[cell->reuse]);
		if (n > 0 && (size_t)n < len)
			cell_id_extras(cell, buf + n, len - (size_t)n);
		return;
	}
	if (cell->profile)
		n = snprintf(buf, len, "profile=%s,", cell->profile->name);
	if (n < 0 || (size_t)n >= len)
		n = 0;
	int m = snprintf(buf + n, len - (size_t)n,
			 "%s,%s,pipe=%s,payload=%s,chunk=%s,flags=%s,pnb=%d,snb=%d,dnb=%d,loop=%s,"
			 "sender=%s,head=%s%s",
			 scenario_names[cell->scenario], transport_names[cell->transport], pipe,
			 payload, chunk, flags, cell->pipe_nonblock, cell->src_nonblock,
			 cell->dst_nonblock, loop_names[cell->loop], sender_names[cell->sender],
			 head, cell->corrupt_at >= 0 ? ",corrupt-test" : "");
	if (m < 0 || (size_t)n + (size_t)m >= len)
		return;
	cell_id_extras(cell, buf + n + m, len - (size_t)n - (size_t)m);
}

/* The load knobs and the user, each only when not its default, so the ids
 * of cells that do not use them stay what they were. */
void cell_id_extras(const struct cell_params *cell, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	if (cell->connections > 1)
		used += (size_t)snprintf(buf + used, len - used, ",conns=%u", cell->connections);
	if (used < len && cell->conn_count > cell->connections && cell->conn_count > 1)
		used += (size_t)snprintf(buf + used, len - used, ",conn-count=%u", cell->conn_count);
	if (used < len && cell->pipe_pressure)
		used += (size_t)snprintf(buf + used, len - used, ",pressure=%llu",
					 (unsigned long long)cell->pipe_pressure);
	if (used < len && cell->user.set)
		snprintf(buf + used, len - used, ",user=%s", cell->user.name);
}
