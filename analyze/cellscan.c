/* One cell, stepped over (cellscan.h). A cell with the probes' summary is
 * about 3 KB of which load.c reads a third; jansson, which builds a tree
 * of everything it parses, is given only that third. Where a key appears
 * twice the last one counts, as in jansson's objects. */
#include "cellscan.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

const struct key_name timeline_keys[TIMELINE_KEYS] = {
	KEY_NAME("slots_before"), KEY_NAME("slots_after"), KEY_NAME("bytes_before"),
	KEY_NAME("bytes_after"),  KEY_NAME("slots_total"), KEY_NAME("ret"),
};
enum { TL_SLOTS_BEFORE = 0, TL_SLOTS_TOTAL = 4, TL_RET = 5 };

/* The cell's fields load.c's take_cell reads, copied as they are. */
static const struct key_name cell_copied[] = {
	KEY_NAME("id"),		   KEY_NAME("scenario"),	   KEY_NAME("profile"),
	KEY_NAME("transport"),	   KEY_NAME("loop"),		   KEY_NAME("sender"),
	KEY_NAME("pipe_size_requested"), KEY_NAME("pipe_size"),  KEY_NAME("payload"),
	KEY_NAME("chunk"),	   KEY_NAME("head_start"),	   KEY_NAME("flags"),
	KEY_NAME("pipe_nonblock"), KEY_NAME("src_nonblock"),	   KEY_NAME("dst_nonblock"),
	KEY_NAME("outcome"),	   KEY_NAME("pipe_size_error"),	   KEY_NAME("runs"),
	KEY_NAME("bytes_moved"),   KEY_NAME("elapsed_ms"),	   KEY_NAME("detected_after_ms"),
	KEY_NAME("calls"),	   KEY_NAME("evidence"),
};
/* ... and of its kernel summary. */
static const struct key_name kernel_copied[] = {KEY_NAME("unreturned"), KEY_NAME("calls")};

static int add(struct cell_scan *out, const char *text, size_t len)
{
	if (len > out->cap - out->len) {
		size_t cap = out->cap ? out->cap : 4096;
		while (len > cap - out->len)
			cap *= 2;
		char *grown = realloc(out->text, cap);
		if (!grown) {
			out->oom = true;
			return -1;
		}
		out->text = grown;
		out->cap = cap;
	}
	memcpy(out->text + out->len, text, len);
	out->len += len;
	return 0;
}

/* buf[from..s->at) as one more member of the object being written. */
static int copy(struct scanner *s, struct cell_scan *out, bool *first, size_t from)
{
	if (!*first && add(out, ",", 1) < 0)
		return -1;
	*first = false;
	return add(out, s->buf + from, s->at - from);
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

static const struct key_name kernel_key = KEY_NAME("kernel"), per_call_key = KEY_NAME("per_call_bytes"),
			     timeline_key = KEY_NAME("timeline"),
			     read_bytes_key = KEY_NAME("read_bytes_per_call");

/* An array of integers, at its '['. */
static int int_list(struct scanner *s, struct int_list *list)
{
	*list = (struct int_list){.scanned = true, .bad_index = -1};
	s->at++;
	s->depth++;
	for (bool first = true;; first = false) {
		int more = scan_next(s, ']', first);
		if (more <= 0) {
			s->depth--;
			return more;
		}
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
	s->at++;
	s->depth++;
	for (bool first = true;; first = false) {
		int more = scan_next(s, '}', first);
		if (more < 0)
			return -1;
		if (more == 0)
			break;
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
			}
		}
	}
	s->depth--;
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
	s->at++;
	s->depth++;
	for (bool first = true;; first = false) {
		int more = scan_next(s, ']', first);
		if (more <= 0) {
			s->depth--;
			return more;
		}
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
}

/* The kernel summary, at its '{', written as "kernel":{...} with the
 * members load.c reads. */
static int kernel(struct scanner *s, struct cell_scan *out, bool *first_member)
{
	out->timeline.scanned = false;
	out->read_bytes_per_call.scanned = false;
	if (!*first_member && add(out, ",", 1) < 0)
		return -1;
	*first_member = false;
	if (add(out, "\"kernel\":{", 10) < 0)
		return -1;
	s->at++;
	s->depth++;
	bool first_copied = true;
	for (bool first = true;; first = false) {
		int more = scan_next(s, '}', first);
		if (more < 0)
			return -1;
		if (more == 0)
			break;
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
		enum scan_type type;
		size_t start;
		if (scan_value(s, &type, &start) < 0)
			return -1;
		/* Not an array: load.c refuses it, from the copy, in its words. */
		if (is_timeline)
			out->timeline.scanned = false;
		if (is_read_bytes)
			out->read_bytes_per_call.scanned = false;
		if ((is_timeline || is_read_bytes ||
		     key_in(&key, kernel_copied, sizeof kernel_copied / sizeof kernel_copied[0])) &&
		    copy(s, out, &first_copied, from) < 0)
			return -1;
	}
	s->depth--;
	return add(out, "}", 1);
}

int cell_scan(struct scanner *s, struct cell_scan *out)
{
	out->len = 0;
	out->oom = false;
	out->per_call_bytes.scanned = false;
	out->read_bytes_per_call.scanned = false;
	out->timeline.scanned = false;
	s->depth = 0;
	size_t start;
	if (scan_peek(s) != '{') {
		out->is_object = false;
		return scan_value(s, &out->type, &start);
	}
	out->is_object = true;
	out->type = SCAN_OBJECT;
	if (add(out, "{", 1) < 0)
		return -1;
	s->at++;
	s->depth++;
	bool first_copied = true;
	for (bool first = true;; first = false) {
		int more = scan_next(s, '}', first);
		if (more < 0)
			return -1;
		if (more == 0)
			break;
		size_t from = s->at;
		struct key key;
		if (read_key(s, &key) < 0)
			return -1;
		int c = scan_peek(s);
		bool is_kernel = key_is(&key, &kernel_key);
		bool is_per_call = key_is(&key, &per_call_key);
		if (is_kernel && c == '{') {
			if (kernel(s, out, &first_copied) < 0)
				return -1;
			continue;
		}
		if (is_per_call && c == '[') {
			if (int_list(s, &out->per_call_bytes) < 0)
				return -1;
			continue;
		}
		enum scan_type type;
		if (scan_value(s, &type, &start) < 0)
			return -1;
		if (is_kernel) {
			out->timeline.scanned = false;
			out->read_bytes_per_call.scanned = false;
		}
		if (is_per_call)
			out->per_call_bytes.scanned = false;
		if ((is_kernel || is_per_call ||
		     key_in(&key, cell_copied, sizeof cell_copied / sizeof cell_copied[0])) &&
		    copy(s, out, &first_copied, from) < 0)
			return -1;
	}
	s->depth--;
	return add(out, "}", 1);
}

void cell_scan_free(struct cell_scan *out)
{
	free(out->text);
	out->text = NULL;
	out->len = out->cap = 0;
}
