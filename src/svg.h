/*
 * svg: the few SVG elements qeval's charts need, written into a strbuf,
 * with no plotting library.
 *
 * Every piece of text goes through svg_text_escape(): labels come from
 * results.json (model names, task names) and are hostile input.  It
 * XML-escapes, drops control characters (C0 and C1), replaces bytes
 * that are not UTF-8 and code points XML 1.0 forbids with U+FFFD, and
 * cuts the text to a number of code points, ending it with an ellipsis.
 *
 * Colours: the charts are shown on light and dark pages (GitHub draws
 * an SVG through <img>, where currentColor does not inherit the page's
 * colour), so the background stays transparent, text is a mid grey
 * (SVG_INK) and series take SVG_PALETTE's mid tones, each with a
 * contrast of at least 3:1 against white and against GitHub's dark
 * background (#0d1117).
 *
 * Output is deterministic: coordinates are printed with one decimal.
 * Ownership: everything is appended to the caller's strbuf.
 */
#ifndef QEVAL_SVG_H
#define QEVAL_SVG_H

#include <stddef.h>

#include "strbuf.h"

#define SVG_INK		"#808080"	/* text, axes, error bars */
#define SVG_FONT	"sans-serif"
#define SVG_NPALETTE	10
extern const char *const svg_palette[SVG_NPALETTE];

/* Appends s escaped for XML text or an attribute, at most maxcp code
 * points (0: no limit), an ellipsis marking a cut. */
void	 svg_text_escape(struct strbuf *, const char *s, size_t maxcp);

/*
 * Opens the document: <svg> of w x h user units with role="img", a
 * <title> (the chart's name) and a <desc> (what it shows), both escaped.
 */
void	 svg_begin(struct strbuf *, double w, double h, const char *title,
	    const char *desc);
void	 svg_end(struct strbuf *);

/* anchor: "start", "middle" or "end"; rotate: degrees about (x, y). */
void	 svg_text(struct strbuf *, double x, double y, const char *anchor,
	    double size, double rotate, const char *text, size_t maxcp);
void	 svg_line(struct strbuf *, double x1, double y1, double x2,
	    double y2, const char *stroke, double width, double opacity);
/*
 * A mark: a filled rectangle of class cls with a <title> child (its
 * tooltip and accessible name).  title may be NULL.
 */
void	 svg_rect(struct strbuf *, double x, double y, double w, double h,
	    const char *fill, const char *cls, const char *title);
/* A dot; stroke may be NULL. */
void	 svg_circle(struct strbuf *, double cx, double cy, double r,
	    const char *fill, const char *stroke);
/* A line through n points, with a <title> child. */
void	 svg_polyline(struct strbuf *, const double *x, const double *y,
	    size_t n, const char *stroke, const char *cls, const char *title);
/* Opens a group of class cls with a <title> child; close with </g>. */
void	 svg_group(struct strbuf *, const char *cls, const char *title);
void	 svg_group_end(struct strbuf *);

/*
 * Axis ticks for [lo, hi]: a step of 1, 2 or 5 times a power of ten
 * giving about n ticks.  Returns the step and widens *lo and *hi to
 * multiples of it.
 */
double	 svg_ticks(double *lo, double *hi, int n);

#endif
