#include "config.h"
#include "charts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "svg.h"
#include "xalloc.h"

/*
 * Layout in user units; the SVG scales with the page.  Text widths are
 * estimated (no font metrics): about 0.6 em per character, which the
 * label cuts below keep inside their columns.
 */
#define W		760.0
#define CH		6.6	/* width of a 12-unit character */
#define TASK_CUT	28	/* code points of a task label */
#define SERIES_CUT	34	/* of a series label beside a row */
#define LEGEND_CUT	40	/* of a legend entry */

/* Code points of s once cut to max (what svg_text_escape writes). */
static size_t
cp_len(const char *s, size_t max)
{
	size_t n = 0;

	for (; s != NULL && *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return (n < max ? n : max);
}

void
charts_add(struct chart_set *set, const char *name, const char *alt,
    struct strbuf *svg)
{
	struct chart *c;

	set->v = xgrow(set->v, set->n + 1, sizeof(*set->v), &set->alloc);
	c = &set->v[set->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->alt = xstrdup(alt);
	c->svg = strbuf_detach(svg, &c->len);
}

void
charts_release(struct chart_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		free(set->v[i].alt);
		free(set->v[i].svg);
	}
	free(set->v);
	memset(set, 0, sizeof(*set));
}

/* Heading lines; returns the y below them. */
static double
heading(struct strbuf *b, const char *title, const char *sub)
{
	svg_text(b, 12, 22, "start", 15, 0, title, 0);
	if (sub == NULL || *sub == '\0')
		return (34);
	svg_text(b, 12, 40, "start", 11, 0, sub, 0);
	return (52);
}

/*
 * A legend, wrapped to the width; returns the y below it.  Series i has
 * colour i; with a mask, only the series it marks are listed.
 */
static double
legend(struct strbuf *b, const struct chart_series *s, size_t n,
    const int *mask, double y)
{
	double x = 12, w;
	size_t i;

	for (i = 0; i < n; i++) {
		if (mask != NULL && !mask[i])
			continue;
		w = 16 + CH * (double)cp_len(s[i].label, LEGEND_CUT) + 18;
		if (x > 12 && x + w > W - 12) {
			x = 12;
			y += 18;
		}
		svg_rect(b, x, y, 12, 12, svg_palette[i], "key", s[i].label);
		svg_text(b, x + 16, y + 10.5, "start", 12, 0, s[i].label,
		    LEGEND_CUT);
		x += w;
	}
	return (y + 22);
}

static int
decimals_for(double step)
{
	int d = (int)-floor(log10(step) + 1e-9);

	return (d < 0 ? 0 : d > 6 ? 6 : d);
}

/* Vertical grid lines and tick labels of an x axis from lo to hi. */
static void
x_axis(struct strbuf *b, double L, double R, double top, double bottom,
    double lo, double hi, double step, const char *unit, const char *title)
{
	char lab[48];
	double v;
	int dec = decimals_for(step);

	for (v = lo; v <= hi + step * 1e-6; v += step) {
		double x = L + (v - lo) / (hi - lo) * (R - L);

		svg_line(b, x, top, x, bottom, SVG_INK, 1, 0.3);
		snprintf(lab, sizeof(lab), "%.*f%s", dec, fabs(v) <
		    step * 1e-6 ? 0.0 : v, unit);
		svg_text(b, x, bottom + 14, "middle", 11, 0, lab, 0);
	}
	svg_line(b, L, bottom, R, bottom, SVG_INK, 1, 1);
	svg_text(b, (L + R) / 2, bottom + 32, "middle", 12, 0, title, 0);
}

/* Horizontal grid lines and tick labels of a y axis. */
static void
y_axis(struct strbuf *b, double L, double R, double top, double bottom,
    double lo, double hi, double step, const char *title)
{
	char lab[48];
	double v;
	int dec = decimals_for(step);

	for (v = lo; v <= hi + step * 1e-6; v += step) {
		double y = bottom - (v - lo) / (hi - lo) * (bottom - top);

		svg_line(b, L, y, R, y, SVG_INK, 1, 0.3);
		snprintf(lab, sizeof(lab), "%.*f", dec, fabs(v) < step * 1e-6 ?
		    0.0 : v);
		svg_text(b, L - 6, y + 4, "end", 11, 0, lab, 0);
	}
	svg_line(b, L, top, L, bottom, SVG_INK, 1, 1);
	svg_text(b, 16, (top + bottom) / 2, "middle", 12, -90, title, 0);
}

static void
finish(struct chart_set *set, const char *name, const char *title,
    const char *desc, double h, struct strbuf *body)
{
	struct strbuf doc = STRBUF_INIT;

	svg_begin(&doc, W, h, title, desc);
	strbuf_add(&doc, body->buf, body->len);
	svg_end(&doc);
	charts_add(set, name, title, &doc);
	strbuf_release(body);
}

/* Scores. */

static void
score_text(struct strbuf *t, const struct chart_score *sc)
{
	if (isnan(sc->value)) {
		strbuf_adds(t, "n/a");
		return;
	}
	if (sc->scale10)
		strbuf_addf(t, "%.2f/10", sc->value);
	else
		strbuf_addf(t, "%.1f%%", sc->value * 100.0);
	if (isfinite(sc->stderr_))
		strbuf_addf(t, sc->scale10 ? " ± %.2f" : " ± %.1f%%",
		    sc->scale10 ? sc->stderr_ : sc->stderr_ * 100.0);
	if (isfinite(sc->n))
		strbuf_addf(t, " (n=%.0f)", sc->n);
}

static void
chart_scores(const struct chart_input *in, struct chart_set *set)
{
	struct strbuf b = STRBUF_INIT, sub = STRBUF_INIT, t = STRBUF_INIT;
	size_t nt = in->ntasks, ns = in->nseries, i, j;
	double L = 210, R = W - 24, top, bh, band, y0, pw = R - L;
	int any = 0;

	if (nt > CHARTS_MAX_TASKS)
		nt = CHARTS_MAX_TASKS;
	if (ns > SVG_NPALETTE)
		ns = SVG_NPALETTE;
	for (i = 0; i < nt * in->nseries; i++)
		if (!isnan(in->scores[i].value))
			any = 1;
	if (!any || ns == 0)
		return;
	strbuf_adds(&sub, "Primary metric of each task as % of its maximum "
	    "(0–10 scores × 10); error bars ± 1 stderr.");
	if (nt < in->ntasks)
		strbuf_addf(&sub, " First %zu of %zu tasks.", nt, in->ntasks);
	if (ns < in->nseries)
		strbuf_addf(&sub, " First %zu of %zu runs.", ns, in->nseries);
	top = heading(&b, "Scores per task", sub.buf);
	top = legend(&b, in->series, ns, NULL, top) + 4;
	bh = ns <= 3 ? 16 : ns <= 6 ? 12 : 9;
	band = (double)ns * bh + 12;
	for (i = 0; i < nt; i++) {
		y0 = top + (double)i * band + 6;
		svg_text(&b, L - 8, y0 + (double)ns * bh / 2 + 4, "end", 12, 0,
		    in->tasks[i], TASK_CUT);
		for (j = 0; j < ns; j++) {
			const struct chart_score *sc =
			    &in->scores[i * in->nseries + j];
			double f = sc->scale10 ? 10.0 : 100.0;
			double v = sc->value * f, se = sc->stderr_ * f;
			double y = y0 + (double)j * bh, cy = y + bh / 2;

			strbuf_reset(&t);
			strbuf_addf(&t, "%s — %s: ", in->series[j].label,
			    in->tasks[i]);
			if (isnan(v)) {
				svg_text(&b, L + 4, y + bh - 3, "start", 10, 0,
				    "not run", 0);
				continue;
			}
			score_text(&t, sc);
			svg_rect(&b, L, y + 1, fmin(fmax(v, 0), 100) / 100 *
			    pw, bh - 2, svg_palette[j], "bar", t.buf);
			if (!isfinite(se) || se <= 0)
				continue;
			svg_group(&b, "err", t.buf);
			{
				double lo = L + fmax(v - se, 0) / 100 * pw;
				double hi = L + fmin(v + se, 100) / 100 * pw;
				double cap = bh / 2 - 2;

				svg_line(&b, lo, cy, hi, cy, SVG_INK, 1.5, 1);
				svg_line(&b, lo, cy - cap, lo, cy + cap,
				    SVG_INK, 1.5, 1);
				svg_line(&b, hi, cy - cap, hi, cy + cap,
				    SVG_INK, 1.5, 1);
			}
			svg_group_end(&b);
		}
	}
	y0 = top + (double)nt * band;
	x_axis(&b, L, R, top, y0, 0, 100, 20, "%", "Score (% of maximum)");
	strbuf_reset(&t);
	strbuf_addf(&t, "Primary score of %zu task%s for %zu run%s, with "
	    "error bars of one standard error.", nt, nt == 1 ? "" : "s", ns,
	    ns == 1 ? "" : "s");
	finish(set, "scores", "Scores per task", t.buf, y0 + 44, &b);
	strbuf_release(&sub);
	strbuf_release(&t);
}

/* Distributions. */

struct dist {
	int	 have;		/* summary present with n > 0 */
	int	 have_pct;	/* 101 percentiles present */
	double	 n, mean, median, min, max;
	double	 p5, p25, p75, p95;
};

static double
num(const cJSON *o, const char *k)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);

	return (cJSON_IsNumber(it) ? it->valuedouble : NAN);
}

static void
dist_read(const cJSON *sys, const char *key, struct dist *d)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(sys, key), *p, *e;
	double pct[101];
	int i = 0;

	memset(d, 0, sizeof(*d));
	if (!cJSON_IsObject(o))
		return;
	d->n = num(o, "n");
	d->mean = num(o, "mean");
	d->median = num(o, "median");
	d->min = num(o, "min");
	d->max = num(o, "max");
	d->have = d->n > 0 && isfinite(d->median) && isfinite(d->min) &&
	    isfinite(d->max);
	p = cJSON_GetObjectItemCaseSensitive(o, "percentiles");
	if (!d->have || cJSON_GetArraySize(p) != 101)
		return;
	cJSON_ArrayForEach(e, p) {
		if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble))
			return;
		pct[i++] = e->valuedouble;
	}
	d->p5 = pct[5];
	d->p25 = pct[25];
	d->p75 = pct[75];
	d->p95 = pct[95];
	d->have_pct = 1;
}

static void
chart_dist(const struct chart_input *in, struct chart_set *set,
    const char *key, const char *name, const char *title)
{
	struct strbuf b = STRBUF_INIT, t = STRBUF_INIT;
	struct dist *d;
	size_t ns = in->nseries, i, have = 0;
	double L = 250, R = W - 24, top, row = 30, bottom, lo = 0, hi = 0;
	double step;

	if (ns > SVG_NPALETTE)
		ns = SVG_NPALETTE;
	d = xcalloc(ns + 1, sizeof(*d));
	for (i = 0; i < ns; i++) {
		dist_read(in->series[i].system, key, &d[i]);
		if (d[i].have) {
			have++;
			hi = fmax(hi, d[i].max);
		}
	}
	if (have == 0) {
		free(d);
		return;
	}
	top = heading(&b, title, "Box p25–p75, whiskers p5–p95 (min–max "
	    "without percentiles); bar: median, dot: mean, ring: maximum.");
	top += 4;
	bottom = top + (double)ns * row + 6;
	step = svg_ticks(&lo, &hi, 5);
	x_axis(&b, L, R, top, bottom, lo, hi, step, "", "seconds");
#define X(v)	(L + ((v) - lo) / (hi - lo) * (R - L))
	for (i = 0; i < ns; i++) {
		const struct dist *x = &d[i];
		const char *c = svg_palette[i];
		double cy = top + (double)i * row + row / 2 + 3;

		svg_text(&b, L - 8, cy + 4, "end", 12, 0, in->series[i].label,
		    SERIES_CUT);
		if (!x->have) {
			svg_text(&b, L + 4, cy + 4, "start", 11, 0,
			    "not measured", 0);
			continue;
		}
		strbuf_reset(&t);
		strbuf_addf(&t, "%s: median %.3f s, mean %.3f s, min %.3f s, "
		    "max %.3f s", in->series[i].label, x->median, x->mean,
		    x->min, x->max);
		if (x->have_pct)
			strbuf_addf(&t, ", p5 %.3f s, p25 %.3f s, p75 %.3f s, "
			    "p95 %.3f s", x->p5, x->p25, x->p75, x->p95);
		strbuf_addf(&t, " (n=%.0f)", x->n);
		svg_group(&b, "box", t.buf);
		if (x->have_pct) {
			svg_line(&b, X(x->p5), cy, X(x->p95), cy, c, 2, 1);
			svg_line(&b, X(x->p5), cy - 6, X(x->p5), cy + 6, c, 2,
			    1);
			svg_line(&b, X(x->p95), cy - 6, X(x->p95), cy + 6, c,
			    2, 1);
			svg_rect(&b, X(x->p25), cy - 9, X(x->p75) - X(x->p25),
			    18, c, NULL, NULL);
		} else
			svg_line(&b, X(x->min), cy, X(x->max), cy, c, 2, 1);
		svg_line(&b, X(x->median), cy - 11, X(x->median), cy + 11,
		    SVG_INK, 3, 1);
		if (isfinite(x->mean))
			svg_circle(&b, X(x->mean), cy, 3.5, SVG_INK, NULL);
		svg_circle(&b, X(x->max), cy, 4, "none", c);
		svg_group_end(&b);
	}
#undef X
	strbuf_reset(&t);
	strbuf_addf(&t, "%s of %zu run%s as box plots, in seconds.", title,
	    ns, ns == 1 ? "" : "s");
	finish(set, name, title, t.buf, bottom + 44, &b);
	strbuf_release(&t);
	free(d);
}

/* GPU over time. */

struct line {
	double	*t, *v;
	size_t	 n;
	double	 peak;
};

static void
line_read(const cJSON *sys, const char *key, struct line *l)
{
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(sys, "gpu");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(g, "series");
	const cJSON *ts = cJSON_GetObjectItemCaseSensitive(s, "t_s");
	const cJSON *vs = cJSON_GetObjectItemCaseSensitive(s, key);
	const cJSON *a, *b;
	size_t n;

	memset(l, 0, sizeof(*l));
	if (!cJSON_IsArray(ts) || !cJSON_IsArray(vs))
		return;
	n = (size_t)cJSON_GetArraySize(ts);
	if (n != (size_t)cJSON_GetArraySize(vs) || n == 0)
		return;
	if (n > CHARTS_MAX_POINTS)
		n = CHARTS_MAX_POINTS;
	l->t = xcalloc(n, sizeof(double));
	l->v = xcalloc(n, sizeof(double));
	for (a = ts->child, b = vs->child; a != NULL && b != NULL &&
	    l->n < n; a = a->next, b = b->next) {
		if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b) ||
		    !isfinite(a->valuedouble) || !isfinite(b->valuedouble))
			continue;
		l->t[l->n] = a->valuedouble;
		l->v[l->n] = b->valuedouble;
		l->peak = fmax(l->peak, b->valuedouble);
		l->n++;
	}
}

static void
chart_gpu(const struct chart_input *in, struct chart_set *set,
    const char *key, const char *name, const char *title,
    const char *ytitle, const char *unit)
{
	struct strbuf b = STRBUF_INIT, t = STRBUF_INIT;
	struct line *l;
	size_t ns = in->nseries, i, k, have = 0;
	double L = 64, R = W - 24, top, bottom, tmax = 0, vlo = 0, vhi = 0;
	double tlo = 0, xs, ys;
	int *mask;

	if (ns > SVG_NPALETTE)
		ns = SVG_NPALETTE;
	l = xcalloc(ns + 1, sizeof(*l));
	mask = xcalloc(ns + 1, sizeof(*mask));
	for (i = 0; i < ns; i++) {
		line_read(in->series[i].system, key, &l[i]);
		if (l[i].n == 0)
			continue;
		mask[i] = 1;
		have++;
		tmax = fmax(tmax, l[i].t[l[i].n - 1]);
		vhi = fmax(vhi, l[i].peak);
	}
	if (have > 0) {
		double *px, *py;

		top = heading(&b, title, "Sampled every 0.5 s on the host "
		    "qeval ran on (long runs: merged to at most 240 points); "
		    "one line per run.");
		top = legend(&b, in->series, ns, mask, top) + 4;
		bottom = top + 220;
		if (strcmp(unit, "%") == 0)
			vhi = 100;
		ys = svg_ticks(&vlo, &vhi, 5);
		xs = svg_ticks(&tlo, &tmax, 6);
		y_axis(&b, L, R, top, bottom, vlo, vhi, ys, ytitle);
		x_axis(&b, L, R, top, bottom, tlo, tmax, xs, "",
		    "seconds since the run started");
		for (i = 0; i < ns; i++) {
			if (l[i].n == 0)
				continue;
			px = xcalloc(l[i].n, sizeof(double));
			py = xcalloc(l[i].n, sizeof(double));
			for (k = 0; k < l[i].n; k++) {
				px[k] = L + (l[i].t[k] - tlo) / (tmax - tlo) *
				    (R - L);
				py[k] = bottom - (l[i].v[k] - vlo) /
				    (vhi - vlo) * (bottom - top);
			}
			strbuf_reset(&t);
			strbuf_addf(&t, "%s: peak %.2f%s%s over %zu samples",
			    in->series[i].label, l[i].peak,
			    strcmp(unit, "%") == 0 ? "" : " ", unit, l[i].n);
			svg_polyline(&b, px, py, l[i].n, svg_palette[i],
			    "series", t.buf);
			free(px);
			free(py);
		}
		strbuf_reset(&t);
		strbuf_addf(&t, "%s over time for %zu run%s.", title, have,
		    have == 1 ? "" : "s");
		finish(set, name, title, t.buf, bottom + 44, &b);
	}
	for (i = 0; i < ns; i++) {
		free(l[i].t);
		free(l[i].v);
	}
	free(l);
	free(mask);
	strbuf_release(&b);
	strbuf_release(&t);
}

/* "agent": the agent block's chart, drawn by the report (agent_chart()). */
const char *const charts_names[] = { "scores", "latency", "ttft",
    "gpu-memory", "gpu-util", "agent", NULL };

void
charts_build(const struct chart_input *in, struct chart_set *set)
{
	chart_scores(in, set);
	chart_dist(in, set, "latency_s", "latency", "Request latency");
	chart_dist(in, set, "ttft_s", "ttft", "Time to first token");
	chart_gpu(in, set, "memory_used_gb", "gpu-memory", "GPU memory used",
	    "GiB", "GiB");
	chart_gpu(in, set, "utilization_pct", "gpu-util", "GPU utilisation",
	    "%", "%");
}

void
charts_agent(struct strbuf *svg, const char *title,
    const struct chart_row *rows, size_t n)
{
	struct strbuf b = STRBUF_INIT, t = STRBUF_INIT;
	double L = 250, R = W - 70, top, row = 26, bottom;
	size_t i;

	if (n > CHARTS_MAX_TASKS)
		n = CHARTS_MAX_TASKS;
	top = heading(&b, title, "Each figure from the public benchmark "
	    "named in the report; n/a when that task was not run.") + 4;
	bottom = top + (double)n * row + 6;
	x_axis(&b, L, R, top, bottom, 0, 100, 20, "%", "%");
	for (i = 0; i < n; i++) {
		double y = top + (double)i * row + 6, v = rows[i].value;
		char lab[32];

		svg_text(&b, L - 8, y + 13, "end", 12, 0, rows[i].label,
		    SERIES_CUT);
		if (isnan(v)) {
			svg_text(&b, L + 4, y + 13, "start", 11, 0, "n/a", 0);
			continue;
		}
		strbuf_reset(&t);
		strbuf_addf(&t, "%s: %.1f%%", rows[i].label, v * 100.0);
		if (isfinite(rows[i].n))
			strbuf_addf(&t, " (n=%.0f)", rows[i].n);
		svg_rect(&b, L, y, fmin(fmax(v, 0), 1) * (R - L), 18,
		    svg_palette[0], "bar", t.buf);
		snprintf(lab, sizeof(lab), "%.1f%%", v * 100.0);
		svg_text(&b, L + fmin(fmax(v, 0), 1) * (R - L) + 4, y + 13,
		    "start", 11, 0, lab, 0);
	}
	strbuf_reset(&t);
	strbuf_addf(&t, "%s: %zu figure%s on a 0–100%% scale.", title, n,
	    n == 1 ? "" : "s");
	svg_begin(svg, W, bottom + 44, title, t.buf);
	strbuf_add(svg, b.buf, b.len);
	svg_end(svg);
	strbuf_release(&b);
	strbuf_release(&t);
}
