/* Stepping over JSON text (scan.h). jansson builds a tree of every value it
 * reads, which for a cell's 64-call timeline and trace is most of analyze's
 * time; here the bytes are only checked, at memory speed. */
#include "scan.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* jansson's own limit (JSON_PARSER_MAX_DEPTH), counted as it does (every
 * value, a scalar too, is one level below its container), so nesting it
 * would refuse is refused here too. */
#define SCAN_MAX_DEPTH 2048

const char *scan_type_name(enum scan_type type)
{
	switch (type) {
	case SCAN_OBJECT:
		return "an object";
	case SCAN_ARRAY:
		return "an array";
	case SCAN_STRING:
		return "a string";
	case SCAN_INTEGER:
		return "an integer";
	case SCAN_REAL:
		return "a real number";
	case SCAN_BOOL:
		return "a boolean";
	default:
		return "null";
	}
}

static int fail(struct scanner *s, size_t at, const char *what)
{
	if (!s->failed) {
		s->failed = true;
		s->err_at = at;
		snprintf(s->err, sizeof s->err, "%s", what);
	}
	return -1;
}

static int fail_char(struct scanner *s, const char *want)
{
	char what[64];
	if (s->at >= s->size)
		snprintf(what, sizeof what, "unexpected end of file (want %s)", want);
	else if ((unsigned char)s->buf[s->at] < 0x20 || (unsigned char)s->buf[s->at] >= 0x7f)
		snprintf(what, sizeof what, "unexpected byte 0x%02x (want %s)",
			 (unsigned char)s->buf[s->at], want);
	else
		snprintf(what, sizeof what, "unexpected '%c' (want %s)", s->buf[s->at], want);
	return fail(s, s->at, what);
}

/* A token whose last checks are jansson's: it parses it alone, or says
 * where and why it would not. */
static int jansson_check(struct scanner *s, size_t from, size_t to)
{
	json_error_t error;
	json_t *value = json_loadb(s->buf + from, to - from, JSON_DECODE_ANY, &error);
	if (value) {
		json_decref(value);
		return 0;
	}
	return fail(s, from + (size_t)(error.position > 0 ? error.position : 0), error.text);
}

static void blanks(struct scanner *s)
{
	while (s->at < s->size && (s->buf[s->at] == ' ' || s->buf[s->at] == '\n' ||
				   s->buf[s->at] == '\t' || s->buf[s->at] == '\r'))
		s->at++;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The bytes a string may hold as they are: not '"', '\\', a control
 * character nor the start of UTF-8 (which jansson checks); one row per 16
 * byte values. */
static const bool plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* A string, at its opening quote. escaped: it held a backslash. */
static int string(struct scanner *s, bool *escaped)
{
	size_t from = s->at++;
	bool jansson = false; /* \u escapes and UTF-8 are checked by jansson */
	*escaped = false;
	for (;;) {
		while (s->at < s->size && plain[(unsigned char)s->buf[s->at]])
			s->at++;
		if (s->at >= s->size)
			return fail(s, from, "unterminated string");
		unsigned char c = (unsigned char)s->buf[s->at];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(s, s->at, "control character in a string");
		if (c >= 0x80) {
			jansson = true;
			s->at++;
			continue;
		}
		*escaped = true;
		if (s->at + 1 >= s->size)
			return fail(s, from, "unterminated string");
		char e = s->buf[s->at + 1];
		if (e == 'u') {
			for (size_t i = 2; i < 6; i++)
				if (s->at + i >= s->size || !is_hex(s->buf[s->at + i]))
					return fail(s, s->at, "invalid \\u escape");
			jansson = true;
			s->at += 6;
		} else if (strchr("\"\\/bfnrt", e) && e) {
			s->at += 2;
		} else {
			return fail(s, s->at, "invalid escape");
		}
	}
	s->at++;
	return jansson ? jansson_check(s, from, s->at) : 0;
}

static bool is_digit(struct scanner *s)
{
	return s->at < s->size && s->buf[s->at] >= '0' && s->buf[s->at] <= '9';
}

/* A number (RFC 8259's grammar): an integer when it has neither fraction
 * nor exponent, as jansson types it. */
static int number(struct scanner *s, enum scan_type *type)
{
	size_t from = s->at;
	if (s->buf[s->at] == '-')
		s->at++;
	if (!is_digit(s))
		return fail(s, from, "invalid number");
	if (s->buf[s->at] == '0')
		s->at++;
	else
		while (is_digit(s))
			s->at++;
	*type = SCAN_INTEGER;
	bool exponent = false;
	if (s->at < s->size && s->buf[s->at] == '.') {
		s->at++;
		if (!is_digit(s))
			return fail(s, from, "invalid number");
		while (is_digit(s))
			s->at++;
		*type = SCAN_REAL;
	}
	if (s->at < s->size && (s->buf[s->at] == 'e' || s->buf[s->at] == 'E')) {
		s->at++;
		if (s->at < s->size && (s->buf[s->at] == '+' || s->buf[s->at] == '-'))
			s->at++;
		if (!is_digit(s))
			return fail(s, from, "invalid number");
		while (is_digit(s))
			s->at++;
		*type = SCAN_REAL;
		exponent = true;
	}
	/* Past 18 digits an integer may overflow 64 bits, and a real with an
	 * exponent or many digits may overflow a double: jansson refuses both. */
	if (exponent || s->at - from > 18)
		return jansson_check(s, from, s->at);
	return 0;
}

static int literal(struct scanner *s, const char *word, size_t len)
{
	if (s->size - s->at < len || memcmp(s->buf + s->at, word, len) != 0)
		return fail(s, s->at, "invalid literal");
	s->at += len;
	return 0;
}

int scan_peek(struct scanner *s)
{
	blanks(s);
	return s->at < s->size ? (unsigned char)s->buf[s->at] : -1;
}

int scan_punct(struct scanner *s, char c)
{
	blanks(s);
	if (s->at < s->size && s->buf[s->at] == c) {
		s->at++;
		return 0;
	}
	char want[8];
	snprintf(want, sizeof want, "'%c'", c);
	return fail_char(s, want);
}

void scan_enter(struct scanner *s)
{
	s->at++;
	s->depth++;
}

int scan_next(struct scanner *s, char close, bool *first)
{
	bool was_first = *first;
	*first = false;
	if (s->failed)
		return -1;
	blanks(s);
	if (s->at < s->size && s->buf[s->at] == close) {
		s->at++;
		s->depth--;
		return 0;
	}
	if (was_first)
		return 1;
	if (s->at < s->size && s->buf[s->at] == ',') {
		s->at++;
		return 1;
	}
	char want[12];
	snprintf(want, sizeof want, "',' or '%c'", close);
	return fail_char(s, want);
}

int scan_key(struct scanner *s, size_t *from, size_t *to, bool *escaped)
{
	blanks(s);
	if (s->at >= s->size || s->buf[s->at] != '"')
		return fail_char(s, "a string key");
	size_t start = s->at;
	if (string(s, escaped) < 0)
		return -1;
	*from = start + 1;
	*to = s->at - 1;
	return scan_punct(s, ':');
}

static int container(struct scanner *s, char close)
{
	scan_enter(s);
	enum scan_type type;
	size_t start, from, to;
	bool escaped;
	int more;
	for (bool first = true; (more = scan_next(s, close, &first)) > 0;) {
		if (close == '}' && scan_key(s, &from, &to, &escaped) < 0)
			return -1;
		if (scan_value(s, &type, &start) < 0)
			return -1;
	}
	return more;
}

int scan_value(struct scanner *s, enum scan_type *type, size_t *start)
{
	if (s->failed)
		return -1;
	blanks(s);
	*start = s->at;
	if (s->depth >= SCAN_MAX_DEPTH)
		return fail(s, s->at, "maximum parsing depth reached");
	if (s->at >= s->size)
		return fail_char(s, "a value");
	bool escaped;
	switch (s->buf[s->at]) {
	case '{':
		*type = SCAN_OBJECT;
		return container(s, '}');
	case '[':
		*type = SCAN_ARRAY;
		return container(s, ']');
	case '"':
		*type = SCAN_STRING;
		return string(s, &escaped);
	case 't':
		*type = SCAN_BOOL;
		return literal(s, "true", 4);
	case 'f':
		*type = SCAN_BOOL;
		return literal(s, "false", 5);
	case 'n':
		*type = SCAN_NULL;
		return literal(s, "null", 4);
	default:
		if (s->buf[s->at] == '-' || is_digit(s))
			return number(s, type);
		return fail_char(s, "a value");
	}
}
