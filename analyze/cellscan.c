/* One cell, stepped over (cellscan.h). A cell with the probes' summary is
 * about 3 KB of which load.c reads a fifth; jansson, which builds a tree
 * of everything it parses and spends its time by the byte, is given only
 * those values. Where a key appears twice the last one counts, as in
 * jansson's objects. */
#include "cellscan.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct key_name timeline_keys[TIMELINE_KEYS] = {
	KEY_NAME("slots_before"), KEY_NAME("slots_after"), KEY_NAME("bytes_before"),
	KEY_NAME("bytes_after"),  KEY_NAME("slots_total"), KEY_NAME("ret"),
};
enum { TL_SLOTS_BEFORE = 0, TL_SLOTS_TOTAL = 4, TL_RET = 5 };

const struct key_name cell_fields[CELL_FIELDS] = {
	KEY_NAME("id"),		   KEY_NAME("scenario"),	   KEY_NAME("profile"),
	KEY_NAME("transport"),	   KEY_NAME("loop"),		   KEY_NAME("sender"),
	KEY_NAME("pipe_size_requested"), KEY_NAME("pipe_size"),  KEY_NAME("payload"),
	KEY_NAME("chunk"),	   KEY_NAME("head_start"),	   KEY_NAME("flags"),
	KEY_NAME("pipe_nonblock"), KEY_NAME("src_nonblock"),	   KEY_NAME("dst_nonblock"),
	KEY_NAME("outcome"),	   KEY_NAME("pipe_size_error"),	   KEY_NAME("runs"),
	KEY_NAME("bytes_moved"),   KEY_NAME("elapsed_ms"),	   KEY_NAME("detected_after_ms"),
	KEY_NAME("calls"),	   KEY_NAME("evidence"),	   KEY_NAME("per_call_bytes"),
	KEY_NAME("kernel"),	   KEY_NAME("relay"),
};
/* The kernel summary's members load.c reads ... */
static const struct key_name kernel_copied[] = {KEY_NAME("unreturned")};
/* ... and those of the objects of which it reads a few. */
static const struct key_name runs_read[] = {KEY_NAME("consistent")};
static const struct key_name calls_read[] = {KEY_NAME("splice"), KEY_NAME("eagain")};
static const struct key_name kernel_calls_read[] = {KEY_NAME("splice_to_pipe")};

static int add(struct cell_scan *out, struct text_buf *buf, const char *text, size_t len)
{
	if (len > buf->cap - buf->len) {
		size_t cap = buf->cap ? buf->cap : 4096;
		while (len > cap - buf->len)
			cap *= 2;
		char *grown = realloc(buf->text, cap);
		if (!grown) {
			out->oom = true;
			return -1;
		}
		buf->text = grown;
		buf->cap = cap;
	}
	memcpy(buf->text + buf->len, text, len);
	buf->len += len;
	return 0;
}

/* buf[from..s->at) as one more member of the object being written. */
static int copy(struct scanner *s, struct cell_scan *out, struct text_buf *buf, bool *first,
		size_t from)
{
	if (!*first && add(out, buf, ",", 1) < 0)
		return -1;
	*first = false;
	return add(out, buf, s->buf + from, s->at - from);
}

struct key {
	const char *text;
	size_t len;
	char decoded[64]; /* an escaped key, as jansson reads it */
};

/* Reads a key: its text as jansson would see it. */
static int read_key(struct scanner *s, struct key *key)
{
	size_t from, to;
	bool escaped;
	if (scan_key(s, &from, &to, &escaped) < 0)
		return -1;
	key->text = s->buf + from;
	key->len = to - from;
	if (escaped) {
		/* Never one of ours when longer than any name we look for. */
		json_t *text = json_loadb(s->buf + from - 1, to - from + 2, JSON_DECODE_ANY, NULL);
		const char *value = json_string_value(text);
		size_t len = json_string_length(text);
		key->len = value && len < sizeof key->decoded ? len : 0;
		if (key->len)
			memcpy(key->decoded, value, len);
		key->text = key->decoded;
		json_decref(text);
	}
	return 0;
}

static bool key_is(const struct key *key, const struct key_name *name)
{
	return name->len == key->len && memcmp(key->text, name->text, key->len) == 0;
}

static bool key_in(const struct key *key, const struct key_name *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (key_is(key, &names[i]))
			return true;
	return false;
}

static const struct key_name timeline_key = KEY_NAME("timeline"),
			     read_bytes_key = KEY_NAME("read_bytes_per_call"),
			     calls_key = KEY_NAME("calls");

/* An array of integers, at its '['. */
static int int_list(struct scanner *s, struct int_list *list)
{
	*list = (struct int_list){.scanned = true, .bad_index = -1};
	scan_enter(s);
	int more;
	for (bool first = true; (more = scan_next(s, ']', &first)) > 0;) {
		enum scan_type type;
		size_t start;
		if (scan_value(s, &type, &start) < 0)
			return -1;
		if (type != SCAN_INTEGER && list->bad_index < 0) {
			list->bad_index = (long)list->count;
			list->bad_type = type;
		}
		list->count++;
	}
	return more;
}

static long long integer_at(const struct scanner *s, size_t from, size_t to)
{
	json_t *value = json_loadb(s->buf + from, to - from, JSON_DECODE_ANY, NULL);
	long long n = (long long)json_integer_value(value);
	json_decref(value);
	return n;
}

/* One timeline entry, at its '{': the keys load.c checks, by type; the
 * two numbers the mid-call clue compares go to jansson, only when the
 * call never returned. */
static int timeline_entry(struct scanner *s, struct timeline_scan *tl, size_t index)
{
	struct {
		bool seen;
		enum scan_type type;
		size_t from, to;
	} keys[TIMELINE_KEYS] = {{0}};
	scan_enter(s);
	int more;
	for (bool first = true; (more = scan_next(s, '}', &first)) > 0;) {
		struct key key;
		enum scan_type type;
		size_t start;
		if (read_key(s, &key) < 0 || scan_value(s, &type, &start) < 0)
			return -1;
		for (size_t k = 0; k < TIMELINE_KEYS; k++) {
			if (key_is(&key, &timeline_keys[k])) {
				keys[k].seen = true;
				keys[k].type = type;
				keys[k].from = start;
				keys[k].to = s->at;
				break;
			}
		}
	}
	if (more < 0)
		return -1;
	for (size_t k = 0; k < TIMELINE_KEYS && tl->bad_entry < 0; k++) {
		if (keys[k].seen && keys[k].type != SCAN_INTEGER && keys[k].type != SCAN_NULL) {
			tl->bad_entry = (long)index;
			tl->bad_key = (int)k;
			tl->bad_type = keys[k].type;
		}
	}
	if (keys[TL_RET].seen && keys[TL_RET].type == SCAN_NULL && keys[TL_SLOTS_BEFORE].seen &&
	    keys[TL_SLOTS_BEFORE].type == SCAN_INTEGER && keys[TL_SLOTS_TOTAL].seen &&
	    keys[TL_SLOTS_TOTAL].type == SCAN_INTEGER &&
	    integer_at(s, keys[TL_SLOTS_BEFORE].from, keys[TL_SLOTS_BEFORE].to) <
		    integer_at(s, keys[TL_SLOTS_TOTAL].from, keys[TL_SLOTS_TOTAL].to))
		tl->midcall = true;
	return 0;
}

/* kernel.timeline, at its '['. */
static int timeline(struct scanner *s, struct timeline_scan *tl)
{
	*tl = (struct timeline_scan){.scanned = true, .not_object = -1, .bad_entry = -1};
	scan_enter(s);
	int more;
	for (bool first = true; (more = scan_next(s, ']', &first)) > 0;) {
		if (scan_peek(s) == '{') {
			if (timeline_entry(s, tl, tl->count) < 0)
				return -1;
		} else {
			enum scan_type type;
			size_t start;
			if (scan_value(s, &type, &start) < 0)
				return -1;
			if (tl->not_object < 0) {
				tl->not_object = (long)tl->count;
				tl->not_object_type = type;
			}
		}
		tl->count++;
	}
	return more;
}

/* An object being written to buf as the one at s->at is stepped into ... */
static int begin_object(struct scanner *s, struct cell_scan *out, struct text_buf *buf)
{
	if (add(out, buf, "{", 1) < 0)
		return -1;
	scan_enter(s);
	return 0;
}

/* ... and closed when the loop over its members ended well (more is 0). */
static int end_object(struct cell_scan *out, struct text_buf *buf, int more)
{
	return more < 0 ? -1 : add(out, buf, "}", 1);
}

/* The object at s->at ('{'), appended to buf with only the members named
 * (what load.c does not read of it is only checked). */
static int subset(struct scanner *s, struct cell_scan *out, struct text_buf *buf,
		  const struct key_name *names, size_t n)
{
	if (begin_object(s, out, buf) < 0)
		return -1;
	bool first_copied = true;
	int more;
	for (bool first = true; (more = scan_next(s, '}', &first)) > 0;) {
		size_t from = s->at;
		struct key key;
		enum scan_type type;
		size_t start;
		if (read_key(s, &key) < 0 || scan_value(s, &type, &start) < 0)
			return -1;
		if (key_in(&key, names, n) && copy(s, out, buf, &first_copied, from) < 0)
			return -1;
	}
	return end_object(out, buf, more);
}

/* The kernel summary, at its '{', written to its reduced_text as an object
 * of the members load.c reads. */
static int kernel(struct scanner *s, struct cell_scan *out)
{
	struct text_buf *buf = &out->reduced_text[CELL_KERNEL];
	out->timeline.scanned = false;
	out->read_bytes_per_call.scanned = false;
	buf->len = 0;
	if (begin_object(s, out, buf) < 0)
		return -1;
	bool first_copied = true;
	int more;
	for (bool first = true; (more = scan_next(s, '}', &first)) > 0;) {
		size_t from = s->at;
		struct key key;
		if (read_key(s, &key) < 0)
			return -1;
		int c = scan_peek(s);
		bool is_timeline = key_is(&key, &timeline_key);
		bool is_read_bytes = key_is(&key, &read_bytes_key);
		if (is_timeline && c == '[') {
			if (timeline(s, &out->timeline) < 0)
				return -1;
			continue;
		}
		if (is_read_bytes && c == '[') {
			if (int_list(s, &out->read_bytes_per_call) < 0)
				return -1;
			continue;
		}
		if (key_is(&key, &calls_key) && c == '{') {
			/* "calls": as it is, then the object's one member read. */
			if (copy(s, out, buf, &first_copied, from) < 0 ||
			    subset(s, out, buf, kernel_calls_read,
				   sizeof kernel_calls_read / sizeof kernel_calls_read[0]) < 0)
				return -1;
			continue;
		}
		enum scan_type type;
		size_t start;
		if (scan_value(s, &type, &start) < 0)
			return -1;
		/* Not an array: load.c refuses it, from the copy, in its words. */
		if (is_timeline)
			out->timeline.scanned = false;
		if (is_read_bytes)
			out->read_bytes_per_call.scanned = false;
		if ((is_timeline || is_read_bytes || key_is(&key, &calls_key) ||
		     key_in(&key, kernel_copied, sizeof kernel_copied / sizeof kernel_copied[0])) &&
		    copy(s, out, buf, &first_copied, from) < 0)
			return -1;
	}
	return end_object(out, buf, more);
}

static int field_of(const struct key *key)
{
	for (int f = 0; f < CELL_FIELDS; f++)
		if (key_is(key, &cell_fields[f]))
			return f;
	return -1;
}

/* The values array: each present field's value, in cell_fields order. */
static int write_values(struct scanner *s, struct cell_scan *out)
{
	out->values.len = 0;
	if (add(out, &out->values, "[", 1) < 0)
		return -1;
	bool first = true;
	for (int f = 0; f < CELL_FIELDS; f++) {
		if (!out->present[f])
			continue;
		if (!first && add(out, &out->values, ",", 1) < 0)
			return -1;
		first = false;
		const struct text_buf *reduced = &out->reduced_text[f];
		int rc = out->reduced[f]
				 ? add(out, &out->values, reduced->text, reduced->len)
				 : add(out, &out->values, s->buf + out->from[f], out->to[f] - out->from[f]);
		if (rc < 0)
			return -1;
	}
	return add(out, &out->values, "]", 1);
}

int cell_scan(struct scanner *s, struct cell_scan *out)
{
	out->oom = false;
	out->per_call_bytes.scanned = false;
	out->read_bytes_per_call.scanned = false;
	out->timeline.scanned = false;
	memset(out->present, 0, sizeof out->present);
	memset(out->reduced, 0, sizeof out->reduced);
	s->depth = 0;
	size_t start;
	if (scan_peek(s) != '{') {
		out->is_object = false;
		return scan_value(s, &out->type, &start);
	}
	out->is_object = true;
	out->type = SCAN_OBJECT;
	scan_enter(s);
	int more;
	for (bool first = true; (more = scan_next(s, '}', &first)) > 0;) {
		struct key key;
		if (read_key(s, &key) < 0)
			return -1;
		int f = field_of(&key);
		int c = scan_peek(s);
		if (f == CELL_KERNEL && c == '{') {
			if (kernel(s, out) < 0)
				return -1;
			out->present[f] = out->reduced[f] = true;
			continue;
		}
		if ((f == CELL_RUNS || f == CELL_CALLS) && c == '{') {
			out->reduced_text[f].len = 0;
			int rc = f == CELL_RUNS
					 ? subset(s, out, &out->reduced_text[f], runs_read,
						  sizeof runs_read / sizeof runs_read[0])
					 : subset(s, out, &out->reduced_text[f], calls_read,
						  sizeof calls_read / sizeof calls_read[0]);
			if (rc < 0)
				return -1;
			out->present[f] = out->reduced[f] = true;
			continue;
		}
		if (f == CELL_PER_CALL && c == '[') {
			if (int_list(s, &out->per_call_bytes) < 0)
				return -1;
			out->present[f] = false;
			continue;
		}
		enum scan_type type;
		if (scan_value(s, &type, &start) < 0)
			return -1;
		if (f == CELL_KERNEL) {
			out->timeline.scanned = false;
			out->read_bytes_per_call.scanned = false;
		}
		if (f == CELL_PER_CALL)
			out->per_call_bytes.scanned = false;
		/* The last of two keys counts, as in jansson's objects. */
		if (f >= 0) {
			out->present[f] = true;
			out->reduced[f] = false;
			out->from[f] = start;
			out->to[f] = s->at;
		}
	}
	if (more < 0)
		return -1;
	return write_values(s, out);
}

json_t *cell_scan_object(const struct cell_scan *out, json_error_t *error)
{
	json_t *values = json_loadb(out->values.text, out->values.len, 0, error);
	json_t *cell = values ? json_object() : NULL;
	if (!cell) {
		if (values)
			snprintf(error->text, sizeof error->text, "out of memory");
		json_decref(values);
		return NULL;
	}
	size_t next = 0;
	for (size_t f = 0; f < CELL_FIELDS; f++)
		if (out->present[f] &&
		    json_object_set(cell, cell_fields[f].text, json_array_get(values, next++)) < 0) {
			snprintf(error->text, sizeof error->text, "out of memory");
			json_decref(values);
			json_decref(cell);
			return NULL;
		}
	json_decref(values);
	return cell;
}

void cell_scan_free(struct cell_scan *out)
{
	free(out->values.text);
	memset(&out->values, 0, sizeof out->values);
	for (size_t f = 0; f < CELL_FIELDS; f++) {
		free(out->reduced_text[f].text);
		memset(&out->reduced_text[f], 0, sizeof out->reduced_text[f]);
	}
}
