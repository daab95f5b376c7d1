/* Reading a matrix.json: the top-level object is walked here and each of its
 * values is parsed by jansson on its own; each cell is stepped over by
 * cellscan.c, which checks all of it and gives jansson only the fields
 * read here, so memory holds one small tree at a time and the file's text
 * (which the reports parse again for the few cells they detail). Every field the reports use
 * is checked against docs/schema.md; the first problem becomes one line
 * naming the file and the JSON path. */
#include "analyze.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cellscan.h"
#include "idmap.h"

/* jansson allocates every value, key and buffer of a cell separately; a
 * cell lives only while it is copied out, so each loading thread parses
 * into its own arena, emptied after every cell (what does not fit goes to
 * malloc). Outside a cell parse the arena is off and jansson uses malloc. */
#define ARENA_SIZE (4u << 20)

struct arena {
	char *base;
	size_t used;
	bool on;
};
static __thread struct arena arena;

static void *arena_malloc(size_t size)
{
	size_t need = (size + 15) & ~(size_t)15;
	if (arena.on && need <= ARENA_SIZE - arena.used) {
		void *p = arena.base + arena.used;
		arena.used += need;
		return p;
	}
	return malloc(size);
}

static void arena_free(void *p)
{
	const char *c = p;
	if (arena.base && c >= arena.base && c < arena.base + ARENA_SIZE)
		return;
	free(p);
}

static void arena_start(void)
{
	if (!arena.base)
		arena.base = malloc(ARENA_SIZE);
	arena.used = 0;
	arena.on = arena.base != NULL;
}

static void arena_stop(void)
{
	arena.on = false;
	arena.used = 0;
}

struct ctx {
	struct run *run;
	bool bad;
};

static void bad(struct ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void bad(struct ctx *ctx, const char *fmt, ...)
{
	if (ctx->bad)
		return;
	ctx->bad = true;
	int n = snprintf(ctx->run->error, sizeof ctx->run->error, "%s: ", ctx->run->path);
	if (n < 0 || (size_t)n >= sizeof ctx->run->error)
		return;
	va_list ap;
	va_start(ap, fmt);
	/* clang 14's analyzer loses track of va_start (a known false positive). */
	vsnprintf(ctx->run->error + n, sizeof ctx->run->error - (size_t)n, fmt, // NOLINT(clang-analyzer-valist.Uninitialized)
		  ap);
	va_end(ap);
}

/* jansson's type of a value in the scanner's terms, so both paths word a
 * wrong type with scan_type_name. */
static const char *type_name(const json_t *value)
{
	static const enum scan_type of_json[] = {
		[JSON_OBJECT] = SCAN_OBJECT,   [JSON_ARRAY] = SCAN_ARRAY, [JSON_STRING] = SCAN_STRING,
		[JSON_INTEGER] = SCAN_INTEGER, [JSON_REAL] = SCAN_REAL,	  [JSON_TRUE] = SCAN_BOOL,
		[JSON_FALSE] = SCAN_BOOL,      [JSON_NULL] = SCAN_NULL,
	};
	return scan_type_name(of_json[json_typeof(value)]);
}

enum want { W_STR = 1, W_INT = 2, W_NUM = 4, W_BOOL = 8, W_OBJ = 16, W_ARR = 32, W_NULL = 64 };

static bool is_wanted(const json_t *value, unsigned int want)
{
	return ((want & W_STR) && json_is_string(value)) ||
	       ((want & W_INT) && json_is_integer(value)) ||
	       ((want & W_NUM) && json_is_number(value)) ||
	       ((want & W_BOOL) && json_is_boolean(value)) ||
	       ((want & W_OBJ) && json_is_object(value)) ||
	       ((want & W_ARR) && json_is_array(value)) || ((want & W_NULL) && json_is_null(value));
}

static const char *want_text(unsigned int want)
{
	switch (want) {
	case W_STR:
		return "a string";
	case W_INT:
		return "an integer";
	case W_NUM:
		return "a number";
	case W_BOOL:
		return "a boolean";
	case W_OBJ:
		return "an object";
	case W_ARR:
		return "an array";
	case W_STR | W_NULL:
		return "a string or null";
	case W_NUM | W_NULL:
		return "a number or null";
	case W_INT | W_NULL:
		return "an integer or null";
	case W_ARR | W_NULL:
		return "an array or null";
	default:
		return "another type";
	}
}

/* obj[key] checked against want; NULL when absent (an error if required)
 * or of the wrong type (always an error). */
static json_t *field(struct ctx *ctx, const json_t *obj, const char *path, const char *key,
		     unsigned int want, bool required)
{
	if (ctx->bad)
		return NULL;
	json_t *value = json_object_get(obj, key);
	if (!value) {
		if (required)
			bad(ctx, "%s.%s: missing (want %s)", path, key, want_text(want));
		return NULL;
	}
	if (!is_wanted(value, want)) {
		bad(ctx, "%s.%s: expected %s, got %s", path, key, want_text(want),
		    type_name(value));
		return NULL;
	}
	return value;
}

static const char *str_field(struct ctx *ctx, const json_t *obj, const char *path,
			     const char *key)
{
	return json_string_value(field(ctx, obj, path, key, W_STR, true));
}

static long long int_field(struct ctx *ctx, const json_t *obj, const char *path, const char *key)
{
	return (long long)json_integer_value(field(ctx, obj, path, key, W_INT, true));
}

static bool bool_field(struct ctx *ctx, const json_t *obj, const char *path, const char *key)
{
	return json_is_true(field(ctx, obj, path, key, W_BOOL, true));
}

/* A size or count: an integer, never negative. */
static long long count_field(struct ctx *ctx, const json_t *obj, const char *path, const char *key)
{
	long long value = int_field(ctx, obj, path, key);
	if (value < 0)
		bad(ctx, "%s.%s: expected a non-negative integer, got %lld", path, key, value);
	return value;
}

/* An enumerated field (allowed.c): a string from its list, or null when
 * nullable. The value is quoted in the message, escaped: it may be
 * anything. */
static const char *enum_field(struct ctx *ctx, const json_t *obj, const char *path,
			      const char *key, enum allowed_field which, bool nullable)
{
	const char *text = json_string_value(
		field(ctx, obj, path, key, nullable ? W_STR | W_NULL : W_STR, true));
	if (text && allowed_index(which, text) < 0) {
		char shown[300], list[512];
		quoted_value(text, shown, sizeof shown);
		allowed_text(which, list, sizeof list);
		bad(ctx, "%s.%s: unknown %s %s (allowed: %s)", path, key, key, shown, list);
		return NULL;
	}
	return text;
}

static char *dup_or_oom(struct ctx *ctx, const char *text)
{
	char *copy = strdup(text ? text : "");
	if (!copy)
		bad(ctx, "out of memory");
	return copy;
}

/* Every element of path.key is of type want; the list itself is of type
 * list_want (W_ARR, or W_ARR | W_NULL). */
static const json_t *array_of(struct ctx *ctx, const json_t *obj, const char *path,
			      const char *key, unsigned int want, unsigned int list_want,
			      bool required)
{
	const json_t *list = field(ctx, obj, path, key, list_want, required);
	size_t i;
	const json_t *item;
	json_array_foreach(list, i, item)
	{
		if (!is_wanted(item, want)) {
			bad(ctx, "%s.%s[%zu]: expected %s, got %s", path, key, i, want_text(want),
			    type_name(item));
			return NULL;
		}
	}
	return list;
}

/* Frame i's name, or "" past the end. */
static void frame_at(const json_t *stack, size_t i, char *buf, size_t len)
{
	frame_name(json_string_value(json_array_get(stack, i)), buf, len);
}

static bool stack_has(const json_t *stack, const char *name, const char *caller)
{
	size_t n = json_array_size(stack);
	char fn[128], next[128];
	for (size_t i = 0; i < n; i++) {
		frame_at(stack, i, fn, sizeof fn);
		if (strcmp(fn, name) != 0)
			continue;
		if (!caller)
			return true;
		/* A stack lists the innermost frame first: the caller is the next
		 * frame that is not the probes' own (fentry puts a trampoline and
		 * the traced function again between them). */
		size_t j = i + 1;
		for (; j < n; j++) {
			frame_at(stack, j, next, sizeof next);
			if (!probe_frame(next) && strcmp(next, name) != 0)
				break;
		}
		if (j < n && strcmp(next, caller) == 0)
			return true;
	}
	return false;
}

static unsigned int thread_clues(struct ctx *ctx, const json_t *evidence, const char *path)
{
	char here[96];
	snprintf(here, sizeof here, "%s.evidence", path);
	const json_t *thread = field(ctx, evidence, here, "thread", W_OBJ, false);
	if (!thread)
		return 0;
	snprintf(here, sizeof here, "%s.evidence.thread", path);
	const char *state = json_string_value(field(ctx, thread, here, "state", W_STR, false));
	const char *syscall = json_string_value(field(ctx, thread, here, "syscall", W_STR, false));
	const json_t *stack = array_of(ctx, thread, here, "stack", W_STR, W_ARR | W_NULL, false);
	unsigned int clues = 0;
	if (state && syscall && (state[0] == 'S' || state[0] == 'D') && strcmp(syscall, "splice") == 0)
		clues |= CLUE_SLEEPS_IN_SPLICE;
	if (json_array_size(stack) > 0) {
		clues |= CLUE_STACK;
		if (stack_has(stack, "wait_for_space", NULL))
			clues |= CLUE_STACK_ENTRY;
		if (stack_has(stack, "pipe_wait", "splice_to_pipe") ||
		    stack_has(stack, "pipe_wait_writable", "splice_to_pipe"))
			clues |= CLUE_STACK_MIDCALL;
	}
	return clues;
}

/* An integer list cellscan.c stepped over: its first wrongly typed
 * element is refused as array_of would. */
static void int_list_check(struct ctx *ctx, const struct int_list *list, const char *path,
			   const char *key)
{
	if (list->bad_index >= 0)
		bad(ctx, "%s.%s[%ld]: expected %s, got %s", path, key, list->bad_index,
		    want_text(W_INT), scan_type_name(list->bad_type));
}

static unsigned int kernel_clues(struct ctx *ctx, const json_t *cell, const char *path,
				 const struct cell_scan *scan)
{
	const json_t *kernel = field(ctx, cell, path, "kernel", W_OBJ, false);
	if (!kernel)
		return 0;
	char here[96];
	snprintf(here, sizeof here, "%s.kernel", path);
	unsigned int clues = CLUE_PROBES;
	const json_t *unreturned = array_of(ctx, kernel, here, "unreturned", W_STR, W_ARR, false);
	size_t i;
	const json_t *item;
	bool in_splice_to_pipe = false, in_wait = false;
	json_array_foreach(unreturned, i, item)
	{
		const char *fn = json_string_value(item);
		if (strcmp(fn, "wait_for_space") == 0)
			clues |= CLUE_PROBE_ENTRY;
		in_splice_to_pipe |= strcmp(fn, "splice_to_pipe") == 0;
		in_wait |= strcmp(fn, "pipe_wait") == 0 || strcmp(fn, "pipe_wait_writable") == 0;
	}
	/* Asleep in a pipe wait inside splice_to_pipe, not via wait_for_space. */
	if (in_splice_to_pipe && in_wait && !(clues & CLUE_PROBE_ENTRY))
		clues |= CLUE_PROBE_MIDCALL;
	/* The timeline was checked entry by entry while stepped over; when it
	 * is not an array it is in the copied text and refused from there. */
	const struct timeline_scan *tl = &scan->timeline;
	size_t entries = 0;
	if (!tl->scanned) {
		array_of(ctx, kernel, here, "timeline", W_OBJ, W_ARR, false);
	} else if (tl->not_object >= 0) {
		bad(ctx, "%s.timeline[%ld]: expected %s, got %s", here, tl->not_object,
		    want_text(W_OBJ), scan_type_name(tl->not_object_type));
	} else if (tl->bad_entry >= 0) {
		bad(ctx, "%s.timeline[%ld].%s: expected %s, got %s", here, tl->bad_entry,
		    timeline_keys[tl->bad_key].text, want_text(W_INT | W_NULL),
		    scan_type_name(tl->bad_type));
	} else {
		entries = tl->count;
		/* Entered with room in the pipe and never returned: it slept inside. */
		if (tl->midcall)
			clues |= CLUE_PROBE_MIDCALL;
	}
	if (entries > 0)
		clues |= CLUE_TIMELINE;
	const json_t *calls = field(ctx, kernel, here, "calls", W_OBJ, false);
	const json_t *counted = json_object_get(calls, "splice_to_pipe");
	if ((clues & CLUE_TIMELINE) && json_is_integer(counted) &&
	    json_integer_value(counted) > (json_int_t)entries)
		clues |= CLUE_TIMELINE_CUT;
	if (scan->read_bytes_per_call.scanned)
		int_list_check(ctx, &scan->read_bytes_per_call, here, "read_bytes_per_call");
	else
		array_of(ctx, kernel, here, "read_bytes_per_call", W_INT, W_ARR, false);
	return clues;
}

static unsigned int flag_bits(struct ctx *ctx, const json_t *cell, const char *path)
{
	const json_t *flags = array_of(ctx, cell, path, "flags", W_STR, W_ARR, true);
	unsigned int bits = 0;
	size_t i;
	const json_t *item;
	json_array_foreach(flags, i, item)
	{
		int f = allowed_index(FIELD_FLAG, json_string_value(item));
		if (f < 0) {
			char shown[300], list[128];
			quoted_value(json_string_value(item), shown, sizeof shown);
			allowed_text(FIELD_FLAG, list, sizeof list);
			bad(ctx, "%s.flags[%zu]: unknown flag %s (allowed: %s)", path, i, shown, list);
			return 0;
		}
		bits |= splice_flag_names[f].bit;
	}
	return bits;
}

/* One cell of the file: checked, and the part the tables use copied out. */
/* The command's words as one --relay-cmd text: a word with a blank, quote
 * or backslash in double quotes, its " and \\ escaped (splicelab's own
 * splitting reads it back as the same words). */
static char *relay_cmd_text(struct ctx *ctx, const json_t *words)
{
	size_t len = 1, i;
	const json_t *word;
	json_array_foreach(words, i, word)
		len += 3 + 2 * json_string_length(word);
	char *text = malloc(len);
	if (!text) {
		bad(ctx, "out of memory");
		return NULL;
	}
	size_t used = 0;
	text[0] = '\0';
	json_array_foreach(words, i, word)
	{
		const char *w = json_string_value(word);
		bool plain = *w && !strpbrk(w, " \t\n'\"\\");
		appendf(text, len, &used, "%s%s", i ? " " : "", plain ? w : "\"");
		for (const char *c = w; !plain && *c; c++)
			appendf(text, len, &used, *c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
		if (!plain)
			appendf(text, len, &used, "\"");
	}
	return text;
}

/* The relay object of a --relay-cmd cell: its name (the one in the id,
 * which joins the cells) and command. */
static void take_relay(struct ctx *ctx, const json_t *relay, const char *path, const char *id,
		       struct acell *out)
{
	char here[64], in_id[ANALYZE_MAX_ID + 1];
	snprintf(here, sizeof here, "%s.relay", path);
	const char *name = str_field(ctx, relay, here, "name");
	id_value(id ? id : "", "relay", in_id, sizeof in_id);
	if (name && strcmp(name, in_id) != 0) {
		char shown[300];
		quoted_value(name, shown, sizeof shown);
		bad(ctx, "%s.name: %s is not the relay of the cell's id (relay=%s)", here, shown,
		    in_id);
	}
	const json_t *words = array_of(ctx, relay, here, "command", W_STR, W_ARR, true);
	if (ctx->bad)
		return;
	if (!json_array_size(words)) {
		bad(ctx, "%s.command: empty", here);
		return;
	}
	out->relay = dup_or_oom(ctx, name);
	out->relay_cmd = relay_cmd_text(ctx, words);
}

static void take_cell(struct ctx *ctx, const json_t *cell, size_t index,
		      const struct cell_scan *scan, struct acell *out)
{
	char path[48];
	snprintf(path, sizeof path, "$.cells[%zu]", index);
	const char *id = str_field(ctx, cell, path, "id");
	if (id && !id_allowed(id)) {
		char shown[300];
		quoted_value(id, shown, sizeof shown);
		bad(ctx, "%s.id: not a cell id %s (letters, digits and =,.:+|_/- only, at most %d "
			 "bytes)",
		    path, shown, ANALYZE_MAX_ID);
	}
	const char *scenario = enum_field(ctx, cell, path, "scenario", FIELD_SCENARIO, false);
	const char *profile = enum_field(ctx, cell, path, "profile", FIELD_PROFILE, true);
	const char *transport = enum_field(ctx, cell, path, "transport", FIELD_TRANSPORT, false);
	const char *loop = enum_field(ctx, cell, path, "loop", FIELD_LOOP, false);
	const char *sender = enum_field(ctx, cell, path, "sender", FIELD_SENDER, false);
	out->pipe_req = count_field(ctx, cell, path, "pipe_size_requested");
	out->pipe_size = count_field(ctx, cell, path, "pipe_size");
	out->payload = count_field(ctx, cell, path, "payload");
	out->chunk = count_field(ctx, cell, path, "chunk");
	out->head_start = count_field(ctx, cell, path, "head_start");
	out->flags = flag_bits(ctx, cell, path);
	out->pnb = bool_field(ctx, cell, path, "pipe_nonblock");
	out->snb = bool_field(ctx, cell, path, "src_nonblock");
	out->dnb = bool_field(ctx, cell, path, "dst_nonblock");
	const char *outcome = enum_field(ctx, cell, path, "outcome", FIELD_OUTCOME, false);
	out->outcome = outcome ? allowed_index(FIELD_OUTCOME, outcome) : 0;
	out->refused = json_is_string(
		field(ctx, cell, path, "pipe_size_error", W_STR | W_NULL, false));
	const json_t *runs = field(ctx, cell, path, "runs", W_OBJ, false);
	if (runs) {
		char here[64];
		snprintf(here, sizeof here, "%s.runs", path);
		out->mixed = json_is_false(field(ctx, runs, here, "consistent", W_BOOL, true));
	}
	out->bytes_moved = count_field(ctx, cell, path, "bytes_moved");
	out->elapsed_ms = json_number_value(field(ctx, cell, path, "elapsed_ms", W_NUM, true));
	const json_t *detected = field(ctx, cell, path, "detected_after_ms", W_NUM | W_NULL, true);
	out->detected_ms = json_is_number(detected) ? json_number_value(detected) : -1;
	const json_t *calls = field(ctx, cell, path, "calls", W_OBJ, true);
	if (calls) {
		char here[64];
		snprintf(here, sizeof here, "%s.calls", path);
		out->splice_calls = count_field(ctx, calls, here, "splice");
		out->eagain = count_field(ctx, calls, here, "eagain");
	}
	if (scan->per_call_bytes.scanned) {
		int_list_check(ctx, &scan->per_call_bytes, path, "per_call_bytes");
		out->ncalls = (long long)scan->per_call_bytes.count;
	} else {
		out->ncalls = (long long)json_array_size(
			array_of(ctx, cell, path, "per_call_bytes", W_INT, W_ARR, true));
	}
	const json_t *evidence = field(ctx, cell, path, "evidence", W_OBJ, true);
	if (evidence) {
		char here[64];
		snprintf(here, sizeof here, "%s.evidence", path);
		str_field(ctx, evidence, here, "note");
		field(ctx, evidence, here, "src_rcv_queue", W_INT, false);
		field(ctx, evidence, here, "pipe_bytes", W_INT, false);
		out->clues = thread_clues(ctx, evidence, path);
	}
	out->clues |= kernel_clues(ctx, cell, path, scan);
	const json_t *relay = field(ctx, cell, path, "relay", W_OBJ, false);
	if (relay)
		take_relay(ctx, relay, path, id, out);
	if (ctx->bad)
		return;
	out->id = dup_or_oom(ctx, id);
	out->scenario = dup_or_oom(ctx, scenario);
	out->transport = dup_or_oom(ctx, transport);
	out->loop = dup_or_oom(ctx, loop);
	out->sender = dup_or_oom(ctx, sender);
	out->profile = profile ? dup_or_oom(ctx, profile) : NULL;
}

static void acell_free(struct acell *cell)
{
	free(cell->id);
	free(cell->scenario);
	free(cell->transport);
	free(cell->loop);
	free(cell->sender);
	free(cell->profile);
	free(cell->relay);
	free(cell->relay_cmd);
}

/* Line and column of byte offset at in the file, for a JSON syntax error. */
static void bad_json(struct ctx *ctx, size_t at, const char *where, const char *what)
{
	size_t line = 1, column = 1;
	for (size_t i = 0; i < at && i < ctx->run->size; i++) {
		if (ctx->run->buf[i] == '\n') {
			line++;
			column = 1;
		} else {
			column++;
		}
	}
	bad(ctx, "%s: invalid JSON at line %zu column %zu: %s", where, line, column, what);
}

static size_t skip_space(const struct run *run, size_t i)
{
	while (i < run->size && (run->buf[i] == ' ' || run->buf[i] == '\n' || run->buf[i] == '\t' ||
				 run->buf[i] == '\r'))
		i++;
	return i;
}

static json_t *parse_value(struct ctx *ctx, size_t *at, const char *where)
{
	json_error_t error;
	json_t *value = json_loadb(ctx->run->buf + *at, ctx->run->size - *at,
				   JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &error);
	if (!value) {
		bad_json(ctx, *at + (size_t)(error.position > 0 ? error.position : 0), where,
			 error.text);
		return NULL;
	}
	*at += (size_t)error.position;
	return value;
}

/* Expects one of the characters in `one_of` at *at (after blanks). */
static int punct(struct ctx *ctx, size_t *at, const char *one_of, const char *where)
{
	*at = skip_space(ctx->run, *at);
	if (*at < ctx->run->size && ctx->run->buf[*at] && strchr(one_of, ctx->run->buf[*at]))
		return ctx->run->buf[(*at)++];
	char what[64];
	if (*at >= ctx->run->size)
		snprintf(what, sizeof what, "unexpected end of file (want '%s')", one_of);
	else
		snprintf(what, sizeof what, "unexpected '%c' (want '%s')", ctx->run->buf[*at],
			 one_of);
	bad_json(ctx, *at, where, what);
	return -1;
}

static int add_cell(struct ctx *ctx, size_t *cap)
{
	struct run *run = ctx->run;
	if (run->ncells < *cap)
		return 0;
	size_t more = *cap ? *cap * 2 : 1024;
	struct acell *cells = realloc(run->cells, more * sizeof *cells);
	if (!cells) {
		bad(ctx, "out of memory");
		return -1;
	}
	run->cells = cells;
	*cap = more;
	return 0;
}

/* Each loading thread's copy of the part of a cell take_cell reads. */
static __thread struct cell_scan cell_text;

/* The cell at *at, stepped over; what take_cell reads, parsed by jansson. */
static json_t *scan_cell(struct ctx *ctx, size_t *at, const char *where)
{
	struct scanner s = {.buf = ctx->run->buf, .size = ctx->run->size, .at = *at};
	if (cell_scan(&s, &cell_text) < 0) {
		if (cell_text.oom)
			bad(ctx, "out of memory");
		else
			bad_json(ctx, s.err_at, where, s.err);
		return NULL;
	}
	*at = s.at;
	if (!cell_text.is_object) {
		bad(ctx, "%s: expected an object, got %s", where, scan_type_name(cell_text.type));
		return NULL;
	}
	/* The scanner checked these values, so only memory can make this fail. */
	json_error_t error;
	json_t *cell = cell_scan_object(&cell_text, &error);
	if (!cell)
		bad(ctx, "%s: %s", where, error.text);
	return cell;
}

static void walk_cells(struct ctx *ctx, size_t *at, struct idmap *ids)
{
	struct run *run = ctx->run;
	size_t cap = 0;
	*at = skip_space(run, *at);
	if (*at < run->size && run->buf[*at] != '[') {
		/* Valid JSON of another type is a type error, not a syntax one. */
		json_t *other = parse_value(ctx, at, "$.cells");
		if (other)
			bad(ctx, "$.cells: expected an array, got %s", type_name(other));
		json_decref(other);
		return;
	}
	if (punct(ctx, at, "[", "$.cells") < 0)
		return;
	*at = skip_space(run, *at);
	if (*at < run->size && run->buf[*at] == ']') {
		(*at)++;
		return;
	}
	for (;;) {
		char where[48];
		snprintf(where, sizeof where, "$.cells[%zu]", run->ncells);
		*at = skip_space(run, *at);
		size_t start = *at;
		if (add_cell(ctx, &cap) < 0)
			return;
		arena_start();
		struct acell *out = &run->cells[run->ncells];
		memset(out, 0, sizeof *out);
		json_t *cell = scan_cell(ctx, at, where);
		if (cell)
			take_cell(ctx, cell, run->ncells, &cell_text, out);
		json_decref(cell);
		arena_stop();
		if (ctx->bad)
			return;
		out->off = start;
		out->len = *at - start;
		long first = idmap_put(ids, out->id, (long)run->ncells);
		run->ncells++;
		if (first == -2) {
			bad(ctx, "out of memory");
			return;
		}
		if (first >= 0) {
			bad(ctx, "%s.id: duplicate id \"%s\" (also $.cells[%ld])", where, out->id,
			    first);
			return;
		}
		if (punct(ctx, at, ",]", "$.cells") != ',')
			return;
	}
}

static void check_head(struct ctx *ctx, bool saw_cells)
{
	const json_t *head = ctx->run->head;
	const char *schema = str_field(ctx, head, "$", "schema");
	if (schema && strcmp(schema, ANALYZE_SCHEMA) != 0) {
		char shown[300];
		quoted_value(schema, shown, sizeof shown);
		bad(ctx, "$.schema: unknown schema %s (this analyze reads %s)", shown, ANALYZE_SCHEMA);
	}
	ctx->run->label = str_field(ctx, head, "$", "label");
	const json_t *env = field(ctx, head, "$", "env", W_OBJ, true);
	ctx->run->release = str_field(ctx, env, "$.env", "kernel_release");
	ctx->run->os = str_field(ctx, env, "$.env", "os");
	ctx->run->virt = enum_field(ctx, env, "$.env", "virt", FIELD_VIRT, false);
	const json_t *probes = field(ctx, env, "$.env", "probes", W_OBJ, true);
	ctx->run->probes_mode = enum_field(ctx, probes, "$.env.probes", "mode", FIELD_PROBE_MODE, false);
	ctx->run->probes_reason = json_string_value(
		field(ctx, probes, "$.env.probes", "reason", W_STR, false));
	if (!ctx->bad && !saw_cells)
		bad(ctx, "$.cells: missing (want an array)");
	else if (!ctx->bad && ctx->run->ncells == 0)
		bad(ctx, "$.cells: no cells");
}

/* The top-level object, key by key; "cells" is walked cell by cell. */
static void walk(struct ctx *ctx)
{
	struct run *run = ctx->run;
	size_t at = 0;
	bool saw_cells = false;
	struct idmap ids;
	if (idmap_init(&ids, 1024) < 0) {
		bad(ctx, "out of memory");
		return;
	}
	run->head = json_object();
	at = skip_space(run, at);
	if (at < run->size && run->buf[at] != '{') {
		json_t *other = parse_value(ctx, &at, "$");
		if (other)
			bad(ctx, "$: expected an object, got %s", type_name(other));
		json_decref(other);
	}
	int c = punct(ctx, &at, "{", "$");
	at = skip_space(run, at);
	if (c == '{' && at < run->size && run->buf[at] == '}') {
		at++;
		c = '}';
	}
	while (c == '{' || c == ',') {
		at = skip_space(run, at);
		json_t *key = parse_value(ctx, &at, "$");
		if (key && !json_is_string(key))
			bad_json(ctx, at, "$", "a key must be a string");
		if (!ctx->bad && punct(ctx, &at, ":", "$") == ':') {
			const char *name = json_string_value(key);
			char where[96];
			snprintf(where, sizeof where, "$.%s", name);
			if (strcmp(name, "cells") == 0 && saw_cells) {
				bad(ctx, "$.cells: given twice");
			} else if (strcmp(name, "cells") == 0) {
				saw_cells = true;
				walk_cells(ctx, &at, &ids);
			} else {
				json_t *value = parse_value(ctx, &at, where);
				if (value)
					json_object_set_new(run->head, name, value);
			}
		}
		json_decref(key);
		if (ctx->bad)
			break;
		c = punct(ctx, &at, ",}", "$");
	}
	idmap_free(&ids);
	if (ctx->bad)
		return;
	at = skip_space(run, at);
	if (at < run->size)
		bad_json(ctx, at, "$", "extra data after the top-level object");
	else
		check_head(ctx, saw_cells);
}

size_t analyze_input_limit = ANALYZE_MAX_INPUT;

int input_open(const char *path, bool limited, char *why, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, len, "cannot read: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		snprintf(why, len, "not a regular file or a pipe (a %s): refused",
			 S_ISCHR(st.st_mode)   ? "character device"
			 : S_ISBLK(st.st_mode) ? "block device"
			 : S_ISDIR(st.st_mode) ? "folder"
			 : S_ISSOCK(st.st_mode) ? "socket"
						: "special file");
		close(fd);
		return -1;
	}
	if (limited && S_ISREG(st.st_mode) && (unsigned long long)st.st_size > analyze_input_limit) {
		snprintf(why, len, "%lld bytes, more than the limit of %zu: refused",
			 (long long)st.st_size, analyze_input_limit);
		close(fd);
		return -1;
	}
	/* O_NONBLOCK only kept open() from waiting on a FIFO without writer. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* A regular file is mapped (no copy; results files are replaced by
 * rename, never rewritten in place); a pipe is read, up to the limit. */
static int read_whole(struct ctx *ctx, const char *path)
{
	char why[160];
	int fd = input_open(path, true, why, sizeof why);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		bad(ctx, "%s", fd < 0 ? why : strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct run *run = ctx->run;
	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		close(fd);
		if (map == MAP_FAILED) {
			bad(ctx, "cannot read: %s", strerror(errno));
			return -1;
		}
		run->buf = map;
		run->size = (size_t)st.st_size;
		run->mapped = true;
		return 0;
	}
	size_t cap = 0, got = 0;
	for (;;) {
		if (got == cap) {
			if (cap > analyze_input_limit) {
				close(fd);
				bad(ctx, "more than the limit of %zu bytes: refused", analyze_input_limit);
				return -1;
			}
			size_t more = cap ? cap * 2 : 65536;
			char *grown = realloc(run->buf, more);
			if (!grown) {
				close(fd);
				bad(ctx, "out of memory");
				return -1;
			}
			run->buf = grown;
			cap = more;
		}
		ssize_t n = read(fd, run->buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			bad(ctx, "cannot read: %s", strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > analyze_input_limit) {
		bad(ctx, "more than the limit of %zu bytes: refused", analyze_input_limit);
		return -1;
	}
	run->size = got;
	return 0;
}

int run_load(struct run *run, const char *path)
{
	memset(run, 0, sizeof *run);
	struct stat st;
	char file[PATH_MAX];
	size_t len = strlen(path);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(file, sizeof file, "%.*s/matrix.json",
			 (int)(len > 1 && path[len - 1] == '/' ? len - 1 : len), path);
	else
		snprintf(file, sizeof file, "%s", path);
	run->path = strdup(file);
	struct ctx ctx = {.run = run};
	if (!run->path) {
		snprintf(run->error, sizeof run->error, "%s: out of memory", path);
		return -1;
	}
	if (read_whole(&ctx, file) < 0)
		return -1;
	walk(&ctx);
	if (ctx.bad)
		return -1;
	for (size_t i = 0; i < run->ncells; i++)
		run->counts[run->cells[i].outcome]++;
	/* events.jsonl beside the matrix, as the runner and the lab write it. */
	char events[PATH_MAX + 16];
	const char *slash = strrchr(file, '/');
	int dir_len = slash ? (int)(slash - file) : 1;
	snprintf(events, sizeof events, "%.*s/events.jsonl", dir_len, slash ? file : ".");
	struct stat est;
	if (stat(events, &est) == 0) {
		/* Read later, line by line: a regular file or a pipe, of any size. */
		char why[160];
		int fd = input_open(events, false, why, sizeof why);
		if (fd < 0) {
			snprintf(run->error, sizeof run->error, "%.800s: %.200s", events, why);
			return -1;
		}
		close(fd);
		run->events_path = strdup(events);
	}
	/* provenance.json (docs/lab.md): which kernel the lab booted, so the
	 * reports can say how to rerun a cell there. Optional; ignored when
	 * unreadable. */
	char provenance[PATH_MAX + 16];
	snprintf(provenance, sizeof provenance, "%.*s/provenance.json", dir_len,
		 slash ? file : ".");
	json_t *lab = NULL;
	struct stat pst;
	if (stat(provenance, &pst) == 0) {
		char why[160];
		int fd = S_ISREG(pst.st_mode) ? input_open(provenance, true, why, sizeof why) : -1;
		if (!S_ISREG(pst.st_mode))
			snprintf(why, sizeof why, "not a regular file: refused");
		if (fd < 0) {
			snprintf(run->error, sizeof run->error, "%.800s: %.200s", provenance, why);
			return -1;
		}
		lab = json_loadfd(fd, 0, NULL);
		close(fd);
	}
	const char *spec = json_string_value(json_object_get(json_object_get(lab, "kernel"), "spec"));
	const char *where = json_string_value(json_object_get(json_object_get(lab, "run"), "where"));
	if (spec && where && strcmp(where, "qemu") == 0)
		run->lab_spec = strdup(spec);
	json_decref(lab);
	return 0;
}

void run_free(struct run *run)
{
	for (size_t i = 0; i < run->ncells; i++)
		acell_free(&run->cells[i]);
	free(run->cells);
	if (run->mapped)
		munmap(run->buf, run->size);
	else
		free(run->buf);
	free(run->path);
	free(run->events_path);
	free(run->lab_spec);
	json_decref(run->head);
	memset(run, 0, sizeof *run);
}

json_t *acell_json(const struct run *run, const struct acell *cell)
{
	return json_loadb(run->buf + cell->off, cell->len, 0, NULL);
}

struct load_job {
	struct run *run;
	const char *path;
	int rc;
};

static void *load_thread(void *arg)
{
	struct load_job *job = arg;
	job->rc = run_load(job->run, job->path);
	free(arena.base);
	arena.base = NULL;
	cell_scan_free(&cell_text);
	return NULL;
}

int runs_load(struct run *runs, char *const *paths, size_t n)
{
	/* jansson seeds its hash function once, lazily; do it before threads. */
	json_object_seed(0x5eed);
	json_set_alloc_funcs(arena_malloc, arena_free);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t width = cpus > 1 ? (size_t)cpus : 1;
	struct load_job jobs[ANALYZE_MAX_RUNS];
	pthread_t threads[ANALYZE_MAX_RUNS];
	bool started[ANALYZE_MAX_RUNS];
	for (size_t from = 0; from < n; from += width) {
		size_t to = from + width < n ? from + width : n;
		for (size_t i = from; i < to; i++) {
			jobs[i] = (struct load_job){.run = &runs[i], .path = paths[i], .rc = -1};
			started[i] = pthread_create(&threads[i], NULL, load_thread, &jobs[i]) == 0;
			if (!started[i])
				load_thread(&jobs[i]);
		}
		for (size_t i = from; i < to; i++)
			if (started[i])
				pthread_join(threads[i], NULL);
	}
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].rc < 0 && rc == 0) {
			/* One line, whatever a value quoted in it held. */
			fputs("splicelab-analyze: ", stderr);
			put_plain(stderr, runs[i].error);
			fputc('\n', stderr);
			rc = -1;
		}
	}
	return rc;
}
