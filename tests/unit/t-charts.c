/*
 * The SVG writer and the report's charts: colours that read on light
 * and dark pages, hostile labels escaped, the expected marks for a
 * small input, the agent chart over fixture rows, the bounded GPU
 * series and the percentiles results.json records.  tests/e2e/
 * t-charts.py parses the files `qeval report` writes and has Chromium
 * draw them.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "charts.h"
#include "gpu.h"
#include "stats.h"
#include "strbuf.h"
#include "svg.h"
#include "tap.h"

/* WCAG relative luminance of "#rrggbb". */
static double
luminance(const char *hex)
{
	double c[3];
	unsigned v[3] = { 0, 0, 0 };
	int i;

	if (sscanf(hex, "#%2x%2x%2x", &v[0], &v[1], &v[2]) != 3)
		return (-1);
	for (i = 0; i < 3; i++) {
		double s = v[i] / 255.0;

		c[i] = s <= 0.03928 ? s / 12.92 : pow((s + 0.055) / 1.055,
		    2.4);
	}
	return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]);
}

static double
contrast(const char *a, const char *b)
{
	double x = luminance(a), y = luminance(b);

	return ((fmax(x, y) + 0.05) / (fmin(x, y) + 0.05));
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return (n);
}

static void
test_colours(void)
{
	int i, good = 1;

	for (i = 0; i < SVG_NPALETTE; i++) {
		double w = contrast(svg_palette[i], "#ffffff");
		double d = contrast(svg_palette[i], "#0d1117");

		if (w < 3.0 || d < 3.0) {
			tap_diag("%s: %.2f on white, %.2f on dark",
			    svg_palette[i], w, d);
			good = 0;
		}
	}
	ok(good, "every series colour has 3:1 contrast on white and on "
	    "GitHub's dark background");
	ok(contrast(SVG_INK, "#ffffff") >= 3.0 &&
	    contrast(SVG_INK, "#0d1117") >= 3.0,
	    "the text grey too (%.2f, %.2f)", contrast(SVG_INK, "#ffffff"),
	    contrast(SVG_INK, "#0d1117"));
}

static void
test_escape(void)
{
	struct strbuf sb = STRBUF_INIT;

	svg_text_escape(&sb, "<script>alert(1)</script> & \"q\" 'a'", 0);
	is_str(sb.buf, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; "
	    "&quot;q&quot; &#39;a&#39;", "markup characters are escaped");
	strbuf_reset(&sb);
	svg_text_escape(&sb, "a\x01" "b\x1b[31mc\tz\xc2\x85" "d", 0);
	is_str(sb.buf, "ab[31mc zd", "C0 and C1 controls dropped, a tab "
	    "becomes a space");
	strbuf_reset(&sb);
	svg_text_escape(&sb, "x\xff" "y\xed\xa0\x80" "z\xef\xbf\xbe", 0);
	is_str(sb.buf, "x\xef\xbf\xbdy\xef\xbf\xbdz\xef\xbf\xbd",
	    "bytes that are not UTF-8, a surrogate and U+FFFE become U+FFFD");
	strbuf_reset(&sb);
	svg_text_escape(&sb, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3);
	is_str(sb.buf, "\xc3\xa9\xc3\xa9\xe2\x80\xa6",
	    "cut at 3 code points, not inside a character, with an ellipsis");
	strbuf_reset(&sb);
	svg_text_escape(&sb, "abc", 3);
	is_str(sb.buf, "abc", "text that fits is not cut");
	strbuf_reset(&sb);
	svg_text_escape(&sb, NULL, 0);
	is_str(sb.buf, "", "NULL is empty text");
	strbuf_release(&sb);
}

static void
test_ticks(void)
{
	double lo = 0, hi = 12, step;

	step = svg_ticks(&lo, &hi, 5);
	ok(step == 5 && lo == 0 && hi == 15, "ticks of 0–12: step 5, 0–15 "
	    "(%g, %g–%g)", step, lo, hi);
	lo = 0.03;
	hi = 0.91;
	step = svg_ticks(&lo, &hi, 5);
	ok(fabs(step - 0.2) < 1e-12 && lo == 0 && fabs(hi - 1.0) < 1e-12,
	    "ticks of 0.03–0.91: step 0.2, 0–1 (%g, %g–%g)", step, lo, hi);
	lo = hi = 0;
	step = svg_ticks(&lo, &hi, 5);
	ok(hi > lo && step > 0, "an empty range still gets an axis");
}

static const char SYS_A[] = "{\"latency_s\": {\"n\": 5, \"mean\": 3, "
    "\"median\": 3, \"min\": 1, \"max\": 5}, \"ttft_s\": null, "
    "\"gpu\": {\"series\": {\"t_s\": [0, 0.5, 1], "
    "\"memory_used_gb\": [1, 8.5, 8], \"utilization_pct\": [0, 90, null]}}}";
static const char SYS_B[] = "{\"latency_s\": null, \"ttft_s\": null, "
    "\"gpu\": null}";

static void
test_build(void)
{
	static const char *const tasks[] = { "GSM8K", "<ARC> & co",
	    "MT-Bench" };
	struct chart_series se[2];
	struct chart_score sc[6];
	struct chart_input in;
	struct chart_set set = { NULL, 0, 0 }, again = { NULL, 0, 0 };
	cJSON *a = cJSON_Parse(SYS_A), *b = cJSON_Parse(SYS_B);
	const struct chart *scores = NULL, *lat = NULL, *mem = NULL;
	size_t i;

	se[0].label = "evil<model>\x07 & \"co\"";
	se[0].system = a;
	se[1].label = "m2 · Balanced";
	se[1].system = b;
	for (i = 0; i < 6; i++) {
		sc[i].value = 0.5;
		sc[i].stderr_ = 0.01;
		sc[i].n = 100;
		sc[i].scale10 = 0;
	}
	sc[3].value = NAN;		/* task 1, series 1: not run */
	sc[4].value = 7.5;		/* MT-Bench on 0–10 */
	sc[4].scale10 = 1;
	sc[5].value = 8.0;
	sc[5].stderr_ = NAN;		/* no error bar */
	sc[5].scale10 = 1;
	memset(&in, 0, sizeof(in));
	in.series = se;
	in.nseries = 2;
	in.tasks = tasks;
	in.ntasks = 3;
	in.scores = sc;
	charts_build(&in, &set);
	for (i = 0; i < set.n; i++) {
		if (strcmp(set.v[i].name, "scores") == 0)
			scores = &set.v[i];
		if (strcmp(set.v[i].name, "latency") == 0)
			lat = &set.v[i];
		if (strcmp(set.v[i].name, "gpu-memory") == 0)
			mem = &set.v[i];
	}
	is_int((long long)set.n, 4, "scores, latency and two GPU charts; no "
	    "TTFT chart when nothing was streamed");
	ok(scores != NULL && count(scores->svg, "<rect class=\"bar\"") == 5,
	    "5 bars: 3 tasks x 2 runs, less one not run");
	ok(scores != NULL && count(scores->svg, "<g class=\"err\"") == 4,
	    "an error bar for each bar with a stderr");
	ok(scores != NULL && count(scores->svg, ">not run<") == 1,
	    "the missing task reads 'not run'");
	ok(scores != NULL && strstr(scores->svg, "evil&lt;model&gt; &amp; "
	    "&quot;co&quot;") != NULL && strchr(scores->svg, '\x07') == NULL,
	    "the hostile model name is escaped and its control dropped");
	ok(scores != NULL && strstr(scores->svg, "&lt;ARC&gt; &amp; co") !=
	    NULL && strstr(scores->svg, "<ARC>") == NULL,
	    "the hostile task name is escaped");
	ok(scores != NULL && strstr(scores->svg, "MT-Bench: 7.50/10 ± 0.01 "
	    "(n=100)") != NULL, "a 0–10 score's title keeps its scale");
	ok(scores != NULL && strstr(scores->svg, "<title id=\"t\">Scores "
	    "per task</title>") != NULL && strstr(scores->svg,
	    "Score (% of maximum)") != NULL, "a title and an axis label");
	ok(lat != NULL && count(lat->svg, "<g class=\"box\"") == 1 &&
	    count(lat->svg, ">not measured<") == 1,
	    "latency: one box, the run without figures says so");
	ok(mem != NULL && count(mem->svg, "<polyline") == 1 &&
	    strstr(mem->svg, "peak 8.50 GiB over 3 samples") != NULL,
	    "GPU memory: one line with its peak");
	charts_build(&in, &again);
	ok(again.n == set.n && again.n > 0 && strcmp(again.v[0].svg,
	    set.v[0].svg) == 0, "the same input gives the same bytes");
	charts_release(&set);
	charts_release(&again);

	/* Bounds: more runs than colours, more tasks than rows. */
	{
		struct chart_series many_s[SVG_NPALETTE + 3];
		const char *many_t[CHARTS_MAX_TASKS + 5];
		struct chart_score *many;
		size_t ns = SVG_NPALETTE + 3, nt = CHARTS_MAX_TASKS + 5;

		many = calloc(ns * nt, sizeof(*many));
		for (i = 0; i < ns; i++) {
			many_s[i].label = "run";
			many_s[i].system = b;
		}
		for (i = 0; i < nt; i++)
			many_t[i] = "task";
		for (i = 0; i < ns * nt; i++) {
			many[i].value = 0.25;
			many[i].stderr_ = NAN;
			many[i].n = NAN;
		}
		in.series = many_s;
		in.nseries = ns;
		in.tasks = many_t;
		in.ntasks = nt;
		in.scores = many;
		charts_build(&in, &set);
		ok(set.n == 1 && count(set.v[0].svg, "<rect class=\"bar\"") ==
		    (size_t)SVG_NPALETTE * CHARTS_MAX_TASKS &&
		    strstr(set.v[0].svg, "First 40 of 45 tasks. First 10 of "
		    "13 runs.") != NULL, "bounded: %d tasks x %d runs drawn, "
		    "and it says so", CHARTS_MAX_TASKS, SVG_NPALETTE);
		charts_release(&set);
		free(many);
	}
	cJSON_Delete(a);
	cJSON_Delete(b);
}

static void
test_agent(void)
{
	/* Fixture rows as the agent block (issue 14) will give them. */
	static const struct chart_row rows[] = {
		{ "Function Calling Accuracy", 0.333, 258 },
		{ "Instruction Following", 0.778, 541 },
		{ "Multi-turn Coherence", 0.556, 80 },
		{ "Tool Use Success", NAN, NAN },
		{ "Reasoning Quality", 0.5, 1319 },
		{ "JSON Output <Validity>", 1.0, 258 },
	};
	struct strbuf svg = STRBUF_INIT;

	charts_agent(&svg, "Agent Evaluation Results", rows, 6);
	ok(count(svg.buf, "<rect class=\"bar\"") == 5,
	    "agent chart: a bar per measured figure");
	ok(count(svg.buf, ">n/a<") == 1, "the figure not measured reads n/a");
	ok(strstr(svg.buf, "<title>Instruction Following: 77.8% "
	    "(n=541)</title>") != NULL, "each bar's title gives value and n");
	ok(strstr(svg.buf, "JSON Output &lt;Validity&gt;") != NULL,
	    "labels escaped");
	ok(strncmp(svg.buf, "<svg ", 5) == 0 &&
	    strcmp(svg.buf + svg.len - 7, "</svg>\n") == 0,
	    "a whole SVG document");
	{
		struct chart_set set = { NULL, 0, 0 };
		size_t len = svg.len, i;
		int known = 0;

		charts_add(&set, "agent", "Agent Evaluation Results", &svg);
		ok(set.n == 1 && set.v[0].len == len && svg.len == 0 &&
		    strcmp(set.v[0].name, "agent") == 0,
		    "charts_add() hands the chart to the report's set");
		for (i = 0; charts_names[i] != NULL; i++)
			if (strcmp(charts_names[i], "agent") == 0)
				known = 1;
		ok(known, "'agent' is a chart name the writer knows");
		charts_release(&set);
	}
	strbuf_release(&svg);
}

static void
test_series(void)
{
	static struct gpu_series s;
	size_t i, mono = 1;
	double peak = 0;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < 10000; i++)
		gpu_series_add(&s, (double)i * 0.5, i == 5001 ? 79.5 : 10.0,
		    i % 2 ? 100.0 : 0.0);
	gpu_series_flush(&s);
	for (i = 0; i < s.n; i++) {
		peak = fmax(peak, s.mem[i]);
		if (i > 0 && s.t[i] <= s.t[i - 1])
			mono = 0;
	}
	ok(s.n > GPU_SERIES_MAX / 2 && s.n <= GPU_SERIES_MAX,
	    "10000 samples kept as %zu points (at most %d)", s.n,
	    GPU_SERIES_MAX);
	ok(peak == 79.5, "the one-sample memory peak survives the merging");
	ok(mono && s.t[0] == 0 && s.t[s.n - 1] > 4900,
	    "times increase and reach the end of the run (%g)",
	    s.t[s.n - 1]);
	ok(fabs(s.util[1] - 50.0) < 1e-9, "utilisation is averaged (%g)",
	    s.util[1]);
	memset(&s, 0, sizeof(s));
	gpu_series_add(&s, 0, 1, NAN);
	gpu_series_add(&s, 0.5, 2, 30);
	gpu_series_flush(&s);
	ok(s.n == 2 && isnan(s.util[0]) && s.util[1] == 30,
	    "few samples are kept as they are");
}

static void
test_percentiles(void)
{
	const double v[] = { 5, NAN, 1, 3, 2, 4 };
	double p[101];

	is_int((long long)stats_percentiles(v, 6, p), 5, "NaN skipped");
	ok(p[0] == 1 && p[25] == 2 && p[50] == 3 && p[100] == 5 &&
	    fabs(p[10] - 1.4) < 1e-12, "linear between ranks (p10 %g)",
	    p[10]);
	is_int((long long)stats_percentiles(v, 0, p), 0, "none");
	ok(isnan(p[50]), "and all NaN");
}

int
main(void)
{
	test_colours();
	test_escape();
	test_ticks();
	test_build();
	test_agent();
	test_series();
	test_percentiles();
	return (tap_done());
}
