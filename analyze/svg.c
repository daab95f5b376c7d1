/* Inline SVG plots of one cell, one per kernel side by side: pipe
 * occupancy after each splice_to_pipe call (slots and bytes, from the
 * probes: the whole timeline, decimated to the plot's width when long),
 * and the bytes each socket->pipe splice call moved. Axes carry ticks and
 * units. Where a kernel has nothing to plot, a line of text says why
 * instead of an empty box. Coordinates are integers so the same data
 * gives the same bytes. */
#include "analyze.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define W 440
#define H 250
#define LEFT 62
#define RIGHT 70
#define TOP 34
#define BOTTOM 46
#define SPAN_X (W - LEFT - RIGHT)
#define SPAN_Y (H - TOP - BOTTOM)
#define MARKERS_UP_TO 64 /* circles on every point of a short timeline */
#define MAX_TICKS 5

/* An axis from 0 to top, ticks every step, labels in unit (1, KiB, MiB). */
struct axis {
	long long top, step, unit;
	const char *unit_name;
};

/* A step of 1, 2 or 5 times a power of ten with at most MAX_TICKS steps
 * up to max (integers only: a file may hold any number). */
static long long nice_step(long long max)
{
	static const int mult[] = {1, 2, 5};
	for (long long power = 1;; power *= 10) {
		for (int i = 0; i < 3; i++) {
			long long step = power * mult[i];
			if (max / step < MAX_TICKS)
				return step;
		}
		if (power > LLONG_MAX / 100)
			return power;
	}
}

static struct axis axis_for(long long max, bool bytes)
{
	struct axis a = {.unit = 1, .unit_name = ""};
	if (bytes && max >= 2 << 20) {
		a.unit = 1 << 20;
		a.unit_name = " MiB";
	} else if (bytes && max >= 2 << 10) {
		a.unit = 1 << 10;
		a.unit_name = " KiB";
	}
	long long in_units = max / a.unit + (max % a.unit != 0);
	if (in_units < 1)
		in_units = 1;
	long long step = nice_step(in_units);
	long long ticks = in_units / step + (in_units % step != 0);
	/* The top is the first tick at or above the maximum, when it fits. */
	a.step = step <= LLONG_MAX / a.unit ? step * a.unit : LLONG_MAX;
	a.top = ticks <= LLONG_MAX / a.step ? ticks * a.step : max;
	return a;
}

static int y_at(long long value, long long max)
{
	if (max <= 0 || value < 0)
		return H - BOTTOM;
	/* In double: span * value overflows a long long for values past
	 * 2^56 (a file may hold any integer). value <= max keeps it in span. */
	double share = (double)(value < max ? value : max) / (double)max;
	return H - BOTTOM - (int)((double)SPAN_Y * share);
}

/* x of call number `at` on an axis from first to last. */
static int x_at(long long at, long long first, long long last)
{
	if (last <= first)
		return LEFT + SPAN_X / 2;
	double share = ((double)at - (double)first) / ((double)last - (double)first);
	return LEFT + (int)((double)SPAN_X * share);
}

/* The box and both axes; the caption is the caller's. */
static void open_frame(FILE *out, const char *title)
{
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		     "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">\n"
		     "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n"
		     "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n"
		     "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
		W, H, W, H, title, W, H, LEFT, TOP, LEFT, H - BOTTOM, LEFT, H - BOTTOM, W - RIGHT,
		H - BOTTOM);
}

static void open_svg(FILE *out, const char *title, size_t k, const struct run *run)
{
	fprintf(out, "<figure><figcaption>%c: ", kernel_letter(k));
	put_html(out, run->label);
	fputs("</figcaption>\n", out);
	open_frame(out, title);
}

/* Nothing to plot for this kernel: a caption and one line, no box. */
static void no_plot(FILE *out, size_t k, const struct run *run, const char *why,
		    const char *detail)
{
	fprintf(out, "<figure class=\"noplot\"><figcaption>%c: ", kernel_letter(k));
	put_html(out, run->label);
	fputs("</figcaption>\n<p>", out);
	put_html(out, why);
	if (detail) {
		fputs(" (", out);
		put_html(out, detail);
		fputc(')', out);
	}
	fputs("</p></figure>\n", out);
}

static void tick_label(long long value, const struct axis *a, char *buf, size_t len)
{
	snprintf(buf, len, "%lld%s", value / a->unit, value ? a->unit_name : "");
}

/* Ticks and grid lines of a y axis on the left (side 0) or right (1). */
static void y_axis(FILE *out, const struct axis *a, int side, const char *color,
		   const char *title)
{
	for (long long v = 0; v <= a->top; v += a->step) {
		int y = y_at(v, a->top);
		char label[48];
		tick_label(v, a, label, sizeof label);
		int x = side == 0 ? LEFT : W - RIGHT;
		if (side == 0)
			fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#e0e0e0\"/>\n",
				LEFT, y, W - RIGHT, y);
		fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\"/>\n", x, y,
			side == 0 ? x - 4 : x + 4, y, color);
		fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"%s\" "
			     "fill=\"%s\">%s</text>\n",
			side == 0 ? x - 6 : x + 6, y + 4, side == 0 ? "end" : "start", color, label);
		if (v > LLONG_MAX - a->step)
			break;
	}
	fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"%s\" "
		     "fill=\"%s\">%s</text>\n",
		side == 0 ? 4 : W - 4, 14, side == 0 ? "start" : "end", color, title);
}

/* Ticks of the call-number axis from first to last. */
static void x_axis(FILE *out, long long first, long long last, const char *title)
{
	long long range = last - first > 0 ? last - first : 0;
	long long step = nice_step(range > 0 ? range : 1);
	/* Ticks at multiples of step, and at both ends. */
	long long start = first + (step - first % step) % step;
	for (long long v = start; v <= last; v += step) {
		int x = x_at(v, first, last);
		fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n"
			     "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%lld</text>\n",
			x, H - BOTTOM, x, H - BOTTOM + 4, x, H - BOTTOM + 16, v);
		if (v > LLONG_MAX - step)
			break;
	}
	if (start != first)
		fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%lld</text>\n",
			x_at(first, first, last), H - BOTTOM + 16, first);
	fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>\n",
		LEFT + SPAN_X / 2, H - 8, title);
}

/* Slots (s = 0) or bytes (s = 1) in the pipe after the call, or before it
 * when it never returned; -1 when unknown. */
static long long series_value(const struct tl_point *p, int s)
{
	if (s == 0)
		return p->returned ? p->slots_after : p->slots_before;
	return p->returned ? p->bytes_after : p->bytes_before;
}

/* One series as polylines. Long timelines are decimated: the points that
 * fall on one pixel column are drawn as their lowest and highest value,
 * so a fill or a drop is never lost. A value the probes could not read
 * (null) is a gap, never a zero. */
static bool series(FILE *out, const struct timeline *tl, int s, long long top, const char *color)
{
	const struct tl_point *p = tl->points;
	long long first = p[0].number, last = p[tl->n - 1].number;
	bool open = false, unknown = false;
	for (size_t i = 0; i < tl->n;) {
		int x = x_at(p[i].number, first, last);
		size_t j = i;
		long long lo = -1, hi = -1;
		size_t lo_at = 0, hi_at = 0;
		for (; j < tl->n && x_at(p[j].number, first, last) == x; j++) {
			long long v = series_value(&p[j], s);
			if (v < 0)
				continue;
			if (lo < 0 || v < lo) {
				lo = v;
				lo_at = j;
			}
			if (hi < 0 || v > hi) {
				hi = v;
				hi_at = j;
			}
		}
		if (lo < 0) {
			unknown = true;
			if (open)
				fputs("\"/>\n", out);
			open = false;
			i = j;
			continue;
		}
		if (!open)
			fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
				color);
		long long a = lo_at <= hi_at ? lo : hi, b = lo_at <= hi_at ? hi : lo;
		fprintf(out, "%s%d,%d", open ? " " : "", x, y_at(a, top));
		if (b != a)
			fprintf(out, " %d,%d", x, y_at(b, top));
		open = true;
		i = j;
	}
	if (open)
		fputs("\"/>\n", out);
	if (tl->n <= MARKERS_UP_TO)
		for (size_t i = 0; i < tl->n; i++) {
			long long v = series_value(&p[i], s);
			if (v >= 0)
				fprintf(out, "<circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"%s\"/>\n",
					x_at(p[i].number, first, last), y_at(v, top),
					p[i].returned ? color : "#b71c1c");
		}
	return unknown;
}

static void occupancy_plot(FILE *out, const struct timeline *tl)
{
	const struct tl_point *p = tl->points;
	long long slots = 0, bytes = 0, capacity = 0;
	for (size_t i = 0; i < tl->n; i++) {
		long long s = series_value(&p[i], 0), b = series_value(&p[i], 1);
		slots = s > slots ? s : slots;
		bytes = b > bytes ? b : bytes;
		capacity = p[i].slots_total > capacity ? p[i].slots_total : capacity;
	}
	struct axis sa = axis_for(capacity > slots ? capacity : slots, false);
	struct axis ba = axis_for(bytes, true);
	y_axis(out, &sa, 0, "#1565c0", "slots in use");
	y_axis(out, &ba, 1, "#e65100", "bytes in the pipe");
	long long first = p[0].number, last = p[tl->n - 1].number;
	x_axis(out, first, last, "splice_to_pipe call (number)");
	if (capacity > 0) {
		int y = y_at(capacity, sa.top);
		fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#1565c0\" "
			     "stroke-dasharray=\"4 3\"/>\n<text x=\"%d\" y=\"%d\" font-size=\"10\" "
			     "fill=\"#1565c0\">full: %lld slots</text>\n",
			LEFT, y, W - RIGHT, y, LEFT + 4, y - 3, capacity);
	}
	/* A cut timeline (the matrix keeps 64 calls): where the later calls
	 * took the pipe, from the probes' summary, at the right edge. */
	bool cut = tl->calls > (long long)tl->n && strcmp(tl->from, "kernel.timeline") == 0;
	if (cut && tl->max_slots > slots) {
		int y = y_at(tl->max_slots, sa.top);
		fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#1565c0\" "
			     "stroke-width=\"3\"/>\n<text x=\"%d\" y=\"%d\" font-size=\"10\" "
			     "text-anchor=\"end\" fill=\"#1565c0\">later calls: up to %lld</text>\n",
			W - RIGHT - 10, y, W - RIGHT, y, W - RIGHT - 12, y + 12, tl->max_slots);
	}
	bool unknown = series(out, tl, 0, sa.top, "#1565c0");
	unknown |= series(out, tl, 1, ba.top, "#e65100");
	/* A call that never returned is where the relay sleeps (the first
	 * few are marked; a busy timeline has one). */
	int marked = 0;
	for (size_t i = 0; i < tl->n && marked < 3; i++) {
		if (p[i].returned)
			continue;
		int x = x_at(p[i].number, first, last), y = y_at(p[i].slots_before, sa.top);
		fprintf(out, "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"#b71c1c\"/>\n<text x=\"%d\" "
			     "y=\"%d\" font-size=\"11\" text-anchor=\"middle\" fill=\"#b71c1c\">"
			     "asleep</text>\n",
			x, y, x, y - 8 < TOP ? y + 16 : y - 8);
		marked++;
	}
	char note[200];
	size_t used = 0;
	appendf(note, sizeof note, &used, "%zu calls from %s", tl->n, tl->from);
	if (cut)
		appendf(note, sizeof note, &used, " (the first %zu of %lld)", tl->n, tl->calls);
	if (tl->n > MARKERS_UP_TO)
		appendf(note, sizeof note, &used, "; min and max per pixel");
	if (unknown)
		appendf(note, sizeof note, &used, "; gaps: not readable");
	fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\" "
		     "fill=\"#555\">%s</text>\n</svg></figure>\n",
		LEFT + SPAN_X / 2, 28, note);
}

void svg_occupancy(FILE *out, const struct joined *joined, size_t row)
{
	fputs("<div class=\"row occupancy\">\n", out);
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct run *run = &joined->runs[k];
		const struct acell *cell = join_cell(joined, row, k);
		if (!cell) {
			no_plot(out, k, run, "no such cell on this kernel", NULL);
			continue;
		}
		if (strcmp(run->probes_mode, "none") == 0) {
			no_plot(out, k, run, "no probes on this kernel", run->probes_reason);
			continue;
		}
		struct timeline tl;
		timeline_get(run, cell, &tl);
		if (!tl.n) {
			no_plot(out, k, run, "the probes saw no splice_to_pipe call of this cell", NULL);
			continue;
		}
		open_svg(out, "pipe occupancy per splice_to_pipe call", k, run);
		occupancy_plot(out, &tl);
		timeline_free(&tl);
	}
	fputs("</div>\n", out);
}

/* The centre of bar i of n: bars sit in equal bands between the axes, so
 * none covers the tick labels. */
static int band_x(size_t i, size_t n)
{
	return LEFT + (int)((long long)SPAN_X * (long long)(2 * i + 1) / (long long)(2 * n));
}

/* Call numbers under the bars: 1, then every nice step, and the last. */
static void per_call_x_axis(FILE *out, size_t n)
{
	long long step = nice_step((long long)n);
	for (long long c = 1; c <= (long long)n; c = c == 1 && step > 1 ? step : c + step) {
		int x = band_x((size_t)c - 1, n);
		fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n"
			     "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%lld</text>\n",
			x, H - BOTTOM, x, H - BOTTOM + 4, x, H - BOTTOM + 16, c);
	}
	fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">"
		     "socket-&gt;pipe splice call (number; the first 64 are kept)</text>\n",
		LEFT + SPAN_X / 2, H - 8);
}

void svg_per_call(FILE *out, const struct joined *joined, size_t row)
{
	fputs("<div class=\"row per-call\">\n", out);
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct run *run = &joined->runs[k];
		const struct acell *cell = join_cell(joined, row, k);
		json_t *full = cell ? acell_json(run, cell) : NULL;
		const json_t *list = json_object_get(full, "per_call_bytes");
		size_t n = json_array_size(list);
		if (!n) {
			no_plot(out, k, run,
				cell ? "no socket->pipe splice call moved a byte"
				     : "no such cell on this kernel",
				NULL);
			json_decref(full);
			continue;
		}
		open_svg(out, "bytes moved by each socket to pipe splice call", k, run);
		long long most = 0;
		for (size_t i = 0; i < n; i++) {
			long long v = (long long)json_integer_value(json_array_get(list, i));
			most = v > most ? v : most;
		}
		struct axis a = axis_for(most, true);
		y_axis(out, &a, 0, "#37474f", "bytes per call");
		per_call_x_axis(out, n);
		int bar = SPAN_X / (int)(n + 1);
		bar = bar < 1 ? 1 : bar > 24 ? 24 : bar;
		for (size_t i = 0; i < n; i++) {
			long long v = (long long)json_integer_value(json_array_get(list, i));
			int x = band_x(i, n) - bar / 2, y = y_at(v, a.top);
			fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
				     "fill=\"#546e7a\"><title>call %zu: %lld bytes</title></rect>\n",
				x, y, bar, H - BOTTOM - y, i + 1, v);
		}
		fputs("</svg></figure>\n", out);
		json_decref(full);
	}
	fputs("</div>\n", out);
}

/* The kernels' colours where one plot holds them all. */
static const char *const kernel_colors[] = {"#1565c0", "#c62828", "#2e7d32",
					    "#6a1b9a", "#ef6c00", "#00838f"};
#define NCOLORS (sizeof kernel_colors / sizeof kernel_colors[0])

/* The method's ratio to read/write as a percentage, or -1 when the
 * kernel has no such method or no ratio. */
static long long method_percent(const json_t *methods, const char *name, const char *metric)
{
	const json_t *m = throughput_method(methods, name);
	const json_t *v = json_object_get(json_object_get(m, "vs_read_write"), metric);
	double ratio = json_number_value(v);
	if (!json_is_number(v) || ratio < 0 || ratio > 1e6)
		return -1;
	return (long long)(ratio * 100 + 0.5);
}

void svg_throughput(FILE *out, const struct joined *joined, const json_t *names,
		    const json_t *const *methods, const char *metric, const char *title)
{
	size_t n = json_array_size(names);
	if (!n || !joined->nruns)
		return;
	long long most = 100;
	for (size_t i = 0; i < n; i++) {
		const char *name = json_string_value(json_object_get(json_array_get(names, i), "method"));
		for (size_t k = 0; k < joined->nruns && name; k++) {
			long long v = method_percent(methods[k], name, metric);
			most = v > most ? v : most;
		}
	}
	struct axis a = axis_for(most, false);
	fputs("<figure><figcaption>", out);
	put_html(out, title);
	fputs("</figcaption>\n", out);
	open_frame(out, title);
	y_axis(out, &a, 0, "#37474f", "% of read/write");
	int y100 = y_at(100, a.top);
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\" "
		     "stroke-dasharray=\"4 3\"/>\n",
		LEFT, y100, W - RIGHT, y100);
	int band = SPAN_X / (int)n;
	int bar = (band - 4) / (int)joined->nruns;
	bar = bar < 1 ? 1 : bar;
	for (size_t i = 0; i < n; i++) {
		const char *name = json_string_value(json_object_get(json_array_get(names, i), "method"));
		if (!name)
			continue;
		int x0 = LEFT + band * (int)i + 2;
		for (size_t k = 0; k < joined->nruns; k++) {
			long long v = method_percent(methods[k], name, metric);
			if (v < 0)
				continue;
			int y = y_at(v, a.top);
			fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\">"
				     "<title>%c: ",
				x0 + bar * (int)k, y, bar > 1 ? bar - 1 : 1, H - BOTTOM - y,
				kernel_colors[k % NCOLORS], kernel_letter(k));
			put_html(out, name);
			fprintf(out, " %lld%%</title></rect>\n", v);
		}
		int x = LEFT + band * (int)i + band / 2;
		fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"9\" text-anchor=\"end\" "
			     "transform=\"rotate(-35 %d %d)\">",
			x, H - BOTTOM + 10, x, H - BOTTOM + 10);
		put_html(out, name);
		fputs("</text>\n", out);
	}
	for (size_t k = 0; k < joined->nruns; k++)
		fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"9\" height=\"9\" fill=\"%s\"/>"
			     "<text x=\"%d\" y=\"%d\" font-size=\"11\">%c</text>\n",
			W - RIGHT + 8, TOP + 14 * (int)k, kernel_colors[k % NCOLORS], W - RIGHT + 20,
			TOP + 9 + 14 * (int)k, kernel_letter(k));
	fputs("</svg></figure>\n", out);
}
