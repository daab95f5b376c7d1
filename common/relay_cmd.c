#include "relay_cmd.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void relay_cmd_free(struct relay_cmd *cmd)
{
	for (int i = 0; i < cmd->nwords; i++)
		free(cmd->words[i]);
	cmd->nwords = 0;
	cmd->words[0] = NULL;
}

/* One word from *p into out (cap bytes); false on an unclosed quote. */
static bool next_word(const char **p, char *out, size_t cap, bool *too_long)
{
	size_t n = 0;
	char quote = 0;
	const char *s = *p;
	for (; *s && (quote || (*s != ' ' && *s != '\t' && *s != '\n')); s++) {
		char c = *s;
		if (quote && c == quote) {
			quote = 0;
			continue;
		}
		if (!quote && (c == '\'' || c == '"')) {
			quote = c;
			continue;
		}
		if (c == '\\' && quote != '\'' && s[1])
			c = *++s;
		if (n + 1 < cap)
			out[n++] = c;
		else
			*too_long = true;
	}
	out[n] = '\0';
	*p = s;
	return quote == 0;
}

static bool executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static bool on_path(const char *name)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		char full[PATH_MAX];
		if (n && snprintf(full, sizeof full, "%.*s/%s", (int)n, path, name) < (int)sizeof full &&
		    executable(full))
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

bool relay_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= RELAY_NAME_MAX)
		return false;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '.' || *c == '_' || *c == '+' || *c == '-'))
			return false;
	return true;
}

/* The default name: the program's base name, with what a cell id cannot
 * hold turned into '_'. */
static void default_name(const char *program, char *name, size_t len)
{
	const char *base = strrchr(program, '/');
	base = base ? base + 1 : program;
	size_t n = 0;
	for (; base[n] && n + 1 < len; n++) {
		char probe[2] = {base[n], '\0'};
		if (relay_name_ok(probe))
			name[n] = base[n];
		else
			name[n] = '_';
	}
	name[n] = '\0';
	if (n == 0)
		snprintf(name, len, "relay");
}

int relay_cmd_parse(const char *text, struct relay_cmd *cmd, char *why, size_t why_len)
{
	memset(cmd, 0, sizeof *cmd);
	const char *p = text;
	bool has_listen = false;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		char word[1024];
		bool too_long = false;
		if (!next_word(&p, word, sizeof word, &too_long)) {
			snprintf(why, why_len, "an unclosed quote");
			relay_cmd_free(cmd);
			return -1;
		}
		if (too_long || cmd->nwords == RELAY_CMD_MAX_WORDS) {
			snprintf(why, why_len, "more than %d words or a word over 1023 bytes",
				 RELAY_CMD_MAX_WORDS);
			relay_cmd_free(cmd);
			return -1;
		}
		has_listen |= strstr(word, "{listen}") || strstr(word, "{listen_port}");
		cmd->words[cmd->nwords] = strdup(word);
		if (!cmd->words[cmd->nwords]) {
			snprintf(why, why_len, "out of memory");
			relay_cmd_free(cmd);
			return -1;
		}
		cmd->words[++cmd->nwords] = NULL;
	}
	if (cmd->nwords == 0) {
		snprintf(why, why_len, "the command is empty");
		return -1;
	}
	const char *program = cmd->words[0];
	if (!has_listen) {
		snprintf(why, why_len,
			 "no {listen} (or {listen_port}): the relay must be told where to listen");
	} else if (strchr(program, '{')) {
		snprintf(why, why_len, "the program name '%s' holds a placeholder", program);
	} else if (strchr(program, '/') ? !executable(program) : !on_path(program)) {
		snprintf(why, why_len, "'%s' is not an executable file%s", program,
			 strchr(program, '/') ? "" : " on PATH");
	} else {
		default_name(program, cmd->name, sizeof cmd->name);
		return 0;
	}
	relay_cmd_free(cmd);
	return -1;
}

/* Appends src to the output at *at; false when it does not fit. */
static bool put(char *buf, size_t len, size_t *at, const char *src, size_t n)
{
	if (*at + n >= len)
		return false;
	memcpy(buf + *at, src, n);
	*at += n;
	return true;
}

int relay_cmd_argv(const struct relay_cmd *cmd, const struct relay_addrs *addrs, char **argv,
		   char *buf, size_t len)
{
	bool v6 = strchr(addrs->host, ':') != NULL;
	char listen[80], upstream[80], lport[16], uport[16];
	snprintf(listen, sizeof listen, v6 ? "[%s]:%u" : "%s:%u", addrs->host, addrs->listen_port);
	snprintf(upstream, sizeof upstream, v6 ? "[%s]:%u" : "%s:%u", addrs->host,
		 addrs->upstream_port);
	snprintf(lport, sizeof lport, "%u", addrs->listen_port);
	snprintf(uport, sizeof uport, "%u", addrs->upstream_port);
	const struct {
		const char *key, *value;
	} fills[] = {{"{listen}", listen},	     {"{upstream}", upstream},
		     {"{listen_host}", addrs->host}, {"{listen_port}", lport},
		     {"{upstream_port}", uport}};
	size_t at = 0;
	for (int i = 0; i < cmd->nwords; i++) {
		argv[i] = buf + at;
		for (const char *s = cmd->words[i]; *s;) {
			size_t k = 0, nfills = sizeof fills / sizeof fills[0];
			while (k < nfills && strncmp(s, fills[k].key, strlen(fills[k].key)) != 0)
				k++;
			bool ok = k < nfills
					  ? put(buf, len, &at, fills[k].value, strlen(fills[k].value))
					  : put(buf, len, &at, s, 1);
			if (!ok)
				return -1;
			s += k < nfills ? strlen(fills[k].key) : 1;
		}
		if (!put(buf, len, &at, "", 1))
			return -1;
	}
	argv[cmd->nwords] = NULL;
	return 0;
}
