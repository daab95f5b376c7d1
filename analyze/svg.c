/* Inline SVG plots of one cell, one per kernel side by side: pipe
 * occupancy after each splice_to_pipe call (slots and bytes, from the
 * probes), and the bytes each socket->pipe splice call moved. Coordinates
 * are integers so the same data gives the same bytes. */
#include "analyze.h"

#include <string.h>

#define W 360
#define H 220
#define LEFT 56
#define RIGHT 56
#define TOP 30
#define BOTTOM 36
#define MAX_POINTS 64

static int x_at(size_t i, size_t n)
{
	int span = W - LEFT - RIGHT;
	return LEFT + (n > 1 ? (int)((long long)span * (long long)i / (long long)(n - 1)) : span / 2);
}

static int y_at(long long value, long long max)
{
	int span = H - TOP - BOTTOM;
	if (max <= 0 || value < 0)
		return H - BOTTOM;
	/* In double: span * value overflows a long long for values past
	 * 2^56 (a file may hold any integer). value <= max keeps it in span. */
	double share = (double)(value < max ? value : max) / (double)max;
	return H - BOTTOM - (int)((double)span * share);
}

static void frame(FILE *out, const char *title, size_t k, const struct run *run)
{
	fprintf(out, "<figure><figcaption>%c: ", kernel_letter(k));
	put_html(out, run->label);
	fprintf(out, "</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		     "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">\n"
		     "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n"
		     "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n"
		     "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n",
		W, H, W, H, title, W, H, LEFT, TOP, LEFT, H - BOTTOM, LEFT,
		H - BOTTOM, W - RIGHT, H - BOTTOM);
}

/* The first and last call numbers under the axis. */
static void x_axis(FILE *out, size_t n, long long first, long long last)
{
	fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%lld</text>\n"
		     "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%lld</text>\n"
		     "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">call "
		     "number</text>\n",
		x_at(0, n), H - BOTTOM + 14, first, x_at(n - 1, n), H - BOTTOM + 14, last,
		(LEFT + W - RIGHT) / 2, H - 6);
}

static void no_data(FILE *out, const char *why)
{
	fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" "
		     "fill=\"#777\">%s</text>\n</svg></figure>\n",
		W / 2, H / 2, why);
}

/* Slots (s = 0) or bytes (s = 1) in the pipe after the call, or before it
 * when it never returned; -1 when unknown. */
static long long series_value(const struct tl_point *p, int s)
{
	if (s == 0)
		return p->returned ? p->slots_after : p->slots_before;
	return p->returned ? p->bytes_after : p->bytes_before;
}

void svg_occupancy(FILE *out, const struct joined *joined, size_t row)
{
	fputs("<div class=\"row occupancy\">\n", out);
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct run *run = &joined->runs[k];
		const struct acell *cell = join_cell(joined, row, k);
		struct tl_point points[MAX_POINTS];
		const char *from = NULL;
		size_t n = cell ? timeline_of(run, cell, points, MAX_POINTS, &from) : 0;
		frame(out, "pipe occupancy per splice_to_pipe call", k, run);
		if (!n) {
			no_data(out, !cell ? "no such cell on this kernel"
					   : "no probe timeline (probes did not run)");
			continue;
		}
		long long slots = 0, bytes = 0;
		for (size_t i = 0; i < n; i++) {
			const struct tl_point *p = &points[i];
			long long s = p->slots_total > p->slots_after ? p->slots_total : p->slots_after;
			slots = s > slots ? s : slots;
			bytes = p->bytes_after > bytes ? p->bytes_after : bytes;
			bytes = p->bytes_before > bytes ? p->bytes_before : bytes;
		}
		/* Slots on the left axis (blue), bytes on the right (orange). */
		fprintf(out,
			"<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" "
			"fill=\"#1565c0\">%lld</text>\n<text x=\"%d\" y=\"%d\" font-size=\"11\" "
			"fill=\"#1565c0\">slots</text>\n<text x=\"%d\" y=\"%d\" font-size=\"11\" "
			"fill=\"#e65100\">%lld</text>\n<text x=\"%d\" y=\"%d\" font-size=\"11\" "
			"text-anchor=\"end\" fill=\"#e65100\">bytes</text>\n",
			LEFT - 4, TOP + 4, slots, 4, 12, W - RIGHT + 4, TOP + 4, bytes, W - 4, 12);
		x_axis(out, n, points[0].number, points[n - 1].number);
		const char *series[2] = {"#1565c0", "#e65100"};
		bool unknown = false;
		for (int s = 0; s < 2; s++) {
			/* One polyline per run of known values: a value the probes
			 * could not read (null) is a gap, never a zero. */
			bool open = false;
			for (size_t i = 0; i < n; i++) {
				long long v = series_value(&points[i], s);
				if (v < 0) {
					unknown = true;
					if (open)
						fputs("\"/>\n", out);
					open = false;
					continue;
				}
				if (!open)
					fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" "
						     "stroke-width=\"2\" points=\"",
						series[s]);
				fprintf(out, "%s%d,%d", open ? " " : "", x_at(i, n),
					y_at(v, s == 0 ? slots : bytes));
				open = true;
			}
			if (open)
				fputs("\"/>\n", out);
			for (size_t i = 0; i < n; i++) {
				long long v = series_value(&points[i], s);
				if (v >= 0)
					fprintf(out, "<circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"%s\"/>\n",
						x_at(i, n), y_at(v, s == 0 ? slots : bytes),
						points[i].returned ? series[s] : "#b71c1c");
			}
		}
		/* A call that never returned is where the relay sleeps. */
		for (size_t i = 0; i < n; i++)
			if (!points[i].returned)
				fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\" "
					     "text-anchor=\"middle\" fill=\"#b71c1c\">asleep</text>\n",
					x_at(i, n), y_at(points[i].slots_before, slots) - 8);
		fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\" "
			     "fill=\"#555\">from %s%s</text>\n</svg></figure>\n",
			W / 2, 12, from, unknown ? "; gaps: not readable" : "");
	}
	fputs("</div>\n", out);
}

void svg_per_call(FILE *out, const struct joined *joined, size_t row)
{
	fputs("<div class=\"row per-call\">\n", out);
	for (size_t k = 0; k < joined->nruns; k++) {
		const struct run *run = &joined->runs[k];
		const struct acell *cell = join_cell(joined, row, k);
		frame(out, "bytes moved by each socket to pipe splice call", k, run);
		json_t *full = cell ? acell_json(run, cell) : NULL;
		const json_t *list = json_object_get(full, "per_call_bytes");
		size_t n = json_array_size(list);
		if (!n) {
			no_data(out, cell ? "no splice call moved a byte" : "no such cell on this kernel");
			json_decref(full);
			continue;
		}
		long long most = 0;
		for (size_t i = 0; i < n; i++) {
			long long v = (long long)json_integer_value(json_array_get(list, i));
			most = v > most ? v : most;
		}
		fprintf(out,
			"<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%lld</text>\n"
			"<text x=\"%d\" y=\"%d\" font-size=\"11\">bytes per call</text>\n",
			LEFT - 4, TOP + 4, most, 4, 12);
		x_axis(out, n, 1, (long long)n);
		int span = W - LEFT - RIGHT;
		int bar = span / (int)(n + 1);
		bar = bar < 1 ? 1 : bar > 24 ? 24 : bar;
		for (size_t i = 0; i < n; i++) {
			long long v = (long long)json_integer_value(json_array_get(list, i));
			int x = x_at(i, n) - bar / 2, y = y_at(v, most);
			fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
				     "fill=\"#546e7a\"><title>call %zu: %lld bytes</title></rect>\n",
				x, y, bar, H - BOTTOM - y, i + 1, v);
		}
		fputs("</svg></figure>\n", out);
		json_decref(full);
	}
	fputs("</div>\n", out);
}
