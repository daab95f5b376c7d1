/* scan.c: steps over the JSON text of a matrix without building values, so
 * load.c hands jansson only the parts of a cell it reads. Every byte stepped
 * over is checked against the JSON grammar; the rare tokens whose checks are
 * jansson's own business (non-ASCII or \u escapes in a string, integers
 * near 64 bits, reals with exponents) are given to jansson to accept or
 * refuse, so a file the scanner accepts is one jansson would parse. */
#ifndef SPLICELAB_ANALYZE_SCAN_H
#define SPLICELAB_ANALYZE_SCAN_H

#include <stdbool.h>
#include <stddef.h>

enum scan_type {
	SCAN_OBJECT,
	SCAN_ARRAY,
	SCAN_STRING,
	SCAN_INTEGER,
	SCAN_REAL,
	SCAN_BOOL,
	SCAN_NULL,
};

struct scanner {
	const char *buf;
	size_t size;
	size_t at; /* the next byte to read */
	int depth;
	bool failed;
	size_t err_at; /* where the first error is, when failed */
	char err[160]; /* as long as jansson's json_error_t.text */
};

/* What a type is called in messages ("an integer"), as load.c words them. */
const char *scan_type_name(enum scan_type type);
/* Skips blanks and steps over one value, leaving at just past it. Returns
 * 0 with its type and first byte, or -1 (failed set). */
int scan_value(struct scanner *s, enum scan_type *type, size_t *start);
/* The next byte after blanks (left unread), or -1 at the end. */
int scan_peek(struct scanner *s);
/* Expects c (after blanks) and steps over it; -1 (failed set) otherwise. */
int scan_punct(struct scanner *s, char c);
/* Steps into the array or object whose bracket is at s->at. */
void scan_enter(struct scanner *s);
/* Inside an array or object just entered: 1 when another element follows
 * (its comma consumed), 0 at the closing bracket (consumed: the container
 * is left), -1 on error. *first is true for the call right after the
 * opening bracket; the call makes it false. */
int scan_next(struct scanner *s, char close, bool *first);
/* Reads an object key and its colon: the key's text between the quotes
 * is buf[*from .. *to) when it holds no escape (escaped says otherwise). */
int scan_key(struct scanner *s, size_t *from, size_t *to, bool *escaped);

#endif
