/*
 * charts: the SVG charts report.md embeds (docs/REPORT.md, "Charts"),
 * drawn with svg.h from what the report already holds, so the same runs
 * give the same bytes.
 *
 * The report passes one series per run it compares (a model × preset,
 * its latest run) and one row per task; the charts are:
 *   scores       primary score per task, one bar per series, ± 1 stderr
 *   latency      request latency per series (box: p25–p75, whiskers
 *                p5–p95, median, mean; min–max when only a summary is
 *                there)
 *   ttft         time to first token, the same way
 *   gpu-memory   GPU memory used over the run, one line per series
 *   gpu-util     GPU utilisation over the run
 * A chart with nothing to show is left out.  Sizes are bounded: at most
 * CHARTS_MAX_TASKS tasks and SVG_NPALETTE series are drawn (the chart
 * says how many were left out), labels are cut to a few dozen
 * characters, and a line has at most CHARTS_MAX_POINTS points.
 *
 * Ownership: charts_build() appends malloc'd charts to the set, which
 * charts_release() frees; the input stays the caller's.
 */
#ifndef QEVAL_CHARTS_H
#define QEVAL_CHARTS_H

#include <stddef.h>

#include "strbuf.h"

struct cJSON;

#define CHARTS_MAX_TASKS	40
#define CHARTS_MAX_POINTS	1000

struct chart_series {
	const char		*label;		/* e.g. "model · preset" */
	const struct cJSON	*system;	/* results.json "system" */
};

struct chart_score {
	double	 value;		/* NaN: not run, or no score */
	double	 stderr_;	/* NaN: none */
	double	 n;		/* NaN: unknown */
	int	 scale10;	/* 0–10 rather than 0–1 */
};

struct chart_input {
	const struct chart_series	*series;
	size_t				 nseries;
	const char *const		*tasks;		/* row labels */
	size_t				 ntasks;
	const struct chart_score	*scores;	/* [task][series] */
};

struct chart {
	char	 name[32];	/* file name part: "scores", "latency", ... */
	char	*alt;		/* the image's alt text (plain UTF-8) */
	char	*svg;
	size_t	 len;
};

struct chart_set {
	struct chart	*v;
	size_t		 n, alloc;
};

/* Every chart name charts_build() may give, NULL-terminated. */
extern const char *const charts_names[];

void	 charts_build(const struct chart_input *, struct chart_set *);
void	 charts_release(struct chart_set *);
/*
 * Appends a chart drawn elsewhere (charts_agent()): name must be one of
 * charts_names (the report writer deletes the ones a report has not);
 * takes svg's buffer, leaving it empty.
 */
void	 charts_add(struct chart_set *, const char *name, const char *alt,
	    struct strbuf *svg);

/*
 * The agent block as one chart (issue 14): one bar per row, value on a
 * 0–1 scale (NaN reads "n/a"), n shown in the bar's title.  Appends a
 * whole SVG document to svg.
 */
struct chart_row {
	const char	*label;
	double		 value;
	double		 n;	/* NaN: unknown */
};

void	 charts_agent(struct strbuf *svg, const char *title,
	    const struct chart_row *rows, size_t n);

#endif
