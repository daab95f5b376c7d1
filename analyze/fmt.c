/* Small formatting pieces the reports share. */
#include "analyze.h"

#include <stdarg.h>
#include <string.h>

char kernel_letter(size_t k)
{
	return (char)('A' + (k < ANALYZE_MAX_RUNS ? k : ANALYZE_MAX_RUNS - 1));
}

void id_value(const char *id, const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key);
	buf[0] = '\0';
	for (const char *p = id; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			/* Values are made of id characters: safe as shell words too. */
			snprintf(buf, len, "%.*s", (int)strcspn(p + klen + 1, ","), p + klen + 1);
			return;
		}
	}
}

void relay_conditions(const struct acell *cell, char *buf, size_t len)
{
	char payload[24], conns[24], user[96];
	size_t used = 0;
	buf[0] = '\0';
	format_size((uint64_t)cell->payload, payload, sizeof payload);
	id_value(cell->id, "conns", conns, sizeof conns);
	id_value(cell->id, "user", user, sizeof user);
	appendf(buf, len, &used, "%s", payload);
	if (strcmp(cell->transport, "tcp4") != 0)
		appendf(buf, len, &used, " %s", cell->transport);
	if (strcmp(cell->sender, "one") != 0)
		appendf(buf, len, &used, " sender %s", cell->sender);
	if (*conns)
		appendf(buf, len, &used, " x %s connections", conns);
	if (*user)
		appendf(buf, len, &used, " as %s", user);
}

void reproduce_command(const struct acell *cell, char *buf, size_t len)
{
	/* The enumerated fields were checked on input (allowed.c); quoting
	 * them anyway keeps a command safe to paste whatever a file held. */
	char scenario[96], transport[96], loop[96], sender[96], payload[24], head[24];
	sh_word(cell->scenario, scenario, sizeof scenario);
	sh_word(cell->transport, transport, sizeof transport);
	sh_word(cell->loop, loop, sizeof loop);
	sh_word(cell->sender, sender, sizeof sender);
	format_size((uint64_t)cell->payload, payload, sizeof payload);
	format_size((uint64_t)cell->head_start, head, sizeof head);
	if (cell->relay) {
		/* The relay is the user's program: no pipe, flags or loop of ours. */
		char cmd[1024], name[96], conns[24], user[96];
		sh_word(cell->relay_cmd, cmd, sizeof cmd);
		sh_word(cell->relay, name, sizeof name);
		id_value(cell->id, "conns", conns, sizeof conns);
		id_value(cell->id, "user", user, sizeof user);
		snprintf(buf, len,
			 "build/splicelab --relay-cmd %s --relay-name %s -t %s -n %s --sender %s "
			 "--head-start %s%s%s%s%s",
			 cmd, name, transport, payload, sender, head, *conns ? " --connections " : "",
			 conns, *user ? " --as-user " : "", user);
		return;
	}
	if (cell->profile) {
		/* A profile fixes pipe, chunk, flags, O_NONBLOCK and loop. */
		char profile[96];
		sh_word(cell->profile, profile, sizeof profile);
		snprintf(buf, len,
			 "build/splicelab -P %s -s %s -t %s -n %s --sender %s --head-start %s",
			 profile, scenario, transport, payload, sender, head);
		return;
	}
	char pipe[24], chunk[24], flags[40];
	format_pipe_size((uint64_t)cell->pipe_req, pipe, sizeof pipe);
	format_size((uint64_t)cell->chunk, chunk, sizeof chunk);
	format_flag_set(cell->flags, flags, sizeof flags);
	/* '+' joins a flag set as well as '|' and needs no shell quoting. */
	for (char *p = flags; *p; p++)
		if (*p == '|')
			*p = '+';
	snprintf(buf, len,
		 "build/splicelab -s %s -t %s -p %s -n %s -c %s -f %s --pipe-nonblock %s "
		 "--src-nonblock %s --dst-nonblock %s -l %s --sender %s --head-start %s",
		 scenario, transport, pipe, payload, chunk, flags, cell->pnb ? "on" : "off",
		 cell->snb ? "on" : "off", cell->dnb ? "on" : "off", loop, sender, head);
}

void frame_name(const char *frame, char *buf, size_t len)
{
	if (!frame) {
		snprintf(buf, len, "%s", "");
		return;
	}
	/* "pipe_wait_writable+0xdc/0x130" or "[<0>] pipe_wait+0x6f/0xc0". */
	const char *start = strrchr(frame, ']');
	start = start ? start + 1 : frame;
	while (*start == ' ')
		start++;
	size_t n = strcspn(start, "+ ");
	snprintf(buf, len, "%.*s", (int)n, start);
}

void group_key(const struct acell *cell, char *buf, size_t len)
{
	char chunk[24], head[24], flags[40];
	format_size((uint64_t)cell->chunk, chunk, sizeof chunk);
	format_size((uint64_t)cell->head_start, head, sizeof head);
	format_flag_set(cell->flags, flags, sizeof flags);
	snprintf(buf, len, "%s,%s,chunk=%s,flags=%s,pnb=%d,snb=%d,dnb=%d,loop=%s,sender=%s,head=%s",
		 cell->scenario, cell->transport, chunk, flags, cell->pnb, cell->snb, cell->dnb,
		 cell->loop, cell->sender, head);
}

static bool control(char c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

void put_plain(FILE *out, const char *text)
{
	for (const char *p = text; *p; p++)
		fputc(control(*p) ? '?' : *p, out);
}

void put_html(FILE *out, const char *text)
{
	for (const char *p = text; *p; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			fputc(control(*p) ? '?' : *p, out);
		}
	}
}

void put_csv(FILE *out, const char *text)
{
	if (!strpbrk(text, ",\"\n\r")) {
		fputs(text, out);
		return;
	}
	fputc('"', out);
	for (const char *p = text; *p; p++) {
		if (*p == '"')
			fputc('"', out);
		fputc(*p, out);
	}
	fputc('"', out);
}

/* Characters a POSIX shell takes literally in a word. */
static const char shell_safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				 "_-+=.,:/@%";

void sh_word(const char *text, char *buf, size_t len)
{
	size_t used = 0;
	if (*text && strspn(text, shell_safe) == strlen(text)) {
		appendf(buf, len, &used, "%s", text);
		return;
	}
	buf[0] = '\0';
	appendf(buf, len, &used, "'");
	for (const char *p = text; *p; p++)
		appendf(buf, len, &used, *p == '\'' ? "'\\''" : "%c", *p);
	appendf(buf, len, &used, "'");
}

void quoted_value(const char *text, char *buf, size_t len)
{
	size_t used = 0, shown = 0;
	buf[0] = '\0';
	appendf(buf, len, &used, "\"");
	for (const unsigned char *p = (const unsigned char *)text; *p; p++, shown++) {
		if (shown == 60) {
			appendf(buf, len, &used, "...");
			break;
		}
		if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
			appendf(buf, len, &used, "\\x%02x", *p);
		else
			appendf(buf, len, &used, "%c", *p);
	}
	appendf(buf, len, &used, "\"");
}

void wrap(FILE *out, const char *prefix, const char *indent, const char *text, int width)
{
	const char *lead = prefix;
	int column = 0;
	bool line_open = false;
	for (const char *p = text; *p;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		int word = (int)strcspn(p, " ");
		if (line_open && column + 1 + word > width) {
			fputc('\n', out);
			line_open = false;
			lead = indent;
		}
		if (!line_open) {
			fputs(lead, out);
			column = (int)strlen(lead);
			line_open = true;
		} else {
			fputc(' ', out);
			column++;
		}
		/* A word longer than a whole line (a hostile label, say) is cut,
		 * so no prose line is ever wider than width. */
		int room = width - column;
		int take = word <= room || room < 1 ? word : room;
		for (int i = 0; i < take; i++)
			fputc(control(p[i]) ? '?' : p[i], out);
		column += take;
		p += take;
	}
	if (line_open)
		fputc('\n', out);
}

void ms_text(double ms, char *buf, size_t len)
{
	if (ms < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f ms", ms);
}

void outcome_word(const struct acell *cell, char *buf, size_t len)
{
	if (!cell)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%s%s%s", outcome_names[cell->outcome], cell->mixed ? "*" : "",
			 cell->refused ? "!" : "");
}

void appendf(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	if (*used >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	/* clang 14's analyzer loses track of va_start (a known false positive). */
	int n = vsnprintf(buf + *used, len - *used, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
	if (n > 0)
		*used = *used + (size_t)n < len ? *used + (size_t)n : len;
}

/* The cell's parameters in words, short enough for a heading. */
void cell_title(const struct acell *cell, char *buf, size_t len)
{
	char pipe[24], payload[24], flags[40];
	format_pipe_size((uint64_t)cell->pipe_req, pipe, sizeof pipe);
	format_size((uint64_t)cell->payload, payload, sizeof payload);
	format_flag_set(cell->flags, flags, sizeof flags);
	if (cell->relay) {
		char conditions[256];
		relay_conditions(cell, conditions, sizeof conditions);
		snprintf(buf, len, "relay %s: %s", cell->relay, conditions);
	} else if (cell->profile)
		snprintf(buf, len, "%s %s, profile %s, payload %s", cell->scenario, cell->transport,
			 cell->profile, payload);
	else
		snprintf(buf, len, "%s %s, pipe %s, payload %s, flags %s, pipe O_NONBLOCK %s",
			 cell->scenario, cell->transport, pipe, payload, flags,
			 cell->pnb ? "on" : "off");
}

void panel_title(const struct acell *cell, char *buf, size_t len)
{
	char chunk[24], head[24], flags[40];
	format_size((uint64_t)cell->chunk, chunk, sizeof chunk);
	format_size((uint64_t)cell->head_start, head, sizeof head);
	format_flag_set(cell->flags, flags, sizeof flags);
	snprintf(buf, len,
		 "%s over %s: flags %s; O_NONBLOCK on the pipe %s, source %s, destination %s; "
		 "%s loop, splice length %s, sender %s, head start %s",
		 cell->scenario, cell->transport, flags, cell->pnb ? "on" : "off",
		 cell->snb ? "on" : "off", cell->dnb ? "on" : "off", cell->loop, chunk,
		 cell->sender, head);
}

bool probe_frame(const char *name)
{
	return strncmp(name, "bpf_trampoline_", 15) == 0;
}
