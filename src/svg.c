#include "config.h"
#include "svg.h"

#include <math.h>
#include <string.h>

/*
 * Mid tones, each at least 3:1 against #ffffff and against #0d1117
 * (WCAG contrast; tests/unit/t-charts.c checks it), in an order that
 * keeps neighbouring series apart in hue.
 */
const char *const svg_palette[SVG_NPALETTE] = {
	"#4e79a7", "#d1632a", "#59a14f", "#a866c9", "#c2872b",
	"#499894", "#d4588f", "#9c755f", "#7f7fd5", "#6a8d2f",
};

/* A coordinate: one decimal, never "-0.0". */
static void
add_coord(struct strbuf *sb, double v)
{
	if (!isfinite(v))
		v = 0;
	v = round(v * 10.0) / 10.0 + 0.0;
	if (v == floor(v))
		strbuf_addf(sb, "%.0f", v);
	else
		strbuf_addf(sb, "%.1f", v);
}

/*
 * Decodes one UTF-8 sequence at s; returns its length and sets *cp, or
 * returns 1 with *cp = -1 for a byte that does not start a valid,
 * shortest-form sequence.
 */
static size_t
utf8_next(const unsigned char *s, long *cp)
{
	unsigned char c = s[0];
	size_t len, i;
	long v, min;

	if (c < 0x80) {
		*cp = c;
		return (1);
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		*cp = -1;
		return (1);
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = -1;
			return (1);
		}
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff) {
		*cp = -1;
		return (1);
	}
	*cp = v;
	return (len);
}

/* Whether XML 1.0 allows the code point (and it is no control). */
static int
xml_ok(long cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return (0);
	if (cp >= 0xd800 && cp <= 0xdfff)
		return (0);
	return (cp != 0xfffe && cp != 0xffff);
}

void
svg_text_escape(struct strbuf *sb, const char *s, size_t maxcp)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t n = 0, len;
	long cp;

	while (*p != '\0') {
		if (maxcp > 0 && n + 1 == maxcp) {
			/* one code point left: the ellipsis, if more follow */
			size_t l2;
			long c2;

			l2 = utf8_next(p, &c2);
			if (p[l2] != '\0') {
				strbuf_adds(sb, "\xe2\x80\xa6");
				return;
			}
		}
		len = utf8_next(p, &cp);
		if (cp == '\t' || cp == '\n' || cp == '\r') {
			strbuf_addch(sb, ' ');
		} else if (cp < 0 || (!xml_ok(cp) && cp >= 0xd800)) {
			strbuf_adds(sb, "\xef\xbf\xbd");	/* U+FFFD */
		} else if (!xml_ok(cp)) {
			p += len;
			continue;	/* other controls: dropped */
		} else if (cp == '&')
			strbuf_adds(sb, "&amp;");
		else if (cp == '<')
			strbuf_adds(sb, "&lt;");
		else if (cp == '>')
			strbuf_adds(sb, "&gt;");
		else if (cp == '"')
			strbuf_adds(sb, "&quot;");
		else if (cp == '\'')
			strbuf_adds(sb, "&#39;");
		else
			strbuf_add(sb, p, len);
		p += len;
		n++;
	}
}

void
svg_begin(struct strbuf *sb, double w, double h, const char *title,
    const char *desc)
{
	strbuf_adds(sb, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"");
	add_coord(sb, w);
	strbuf_adds(sb, "\" height=\"");
	add_coord(sb, h);
	strbuf_adds(sb, "\" viewBox=\"0 0 ");
	add_coord(sb, w);
	strbuf_adds(sb, " ");
	add_coord(sb, h);
	strbuf_adds(sb, "\" role=\"img\" aria-labelledby=\"t d\" "
	    "font-family=\"" SVG_FONT "\">\n<title id=\"t\">");
	svg_text_escape(sb, title, 0);
	strbuf_adds(sb, "</title>\n<desc id=\"d\">");
	svg_text_escape(sb, desc, 0);
	strbuf_adds(sb, "</desc>\n");
}

void
svg_end(struct strbuf *sb)
{
	strbuf_adds(sb, "</svg>\n");
}

void
svg_text(struct strbuf *sb, double x, double y, const char *anchor,
    double size, double rotate, const char *text, size_t maxcp)
{
	strbuf_adds(sb, "<text x=\"");
	add_coord(sb, x);
	strbuf_adds(sb, "\" y=\"");
	add_coord(sb, y);
	strbuf_addf(sb, "\" text-anchor=\"%s\" font-size=\"", anchor);
	add_coord(sb, size);
	strbuf_adds(sb, "\" fill=\"" SVG_INK "\"");
	if (rotate != 0.0) {
		strbuf_adds(sb, " transform=\"rotate(");
		add_coord(sb, rotate);
		strbuf_adds(sb, " ");
		add_coord(sb, x);
		strbuf_adds(sb, " ");
		add_coord(sb, y);
		strbuf_adds(sb, ")\"");
	}
	strbuf_adds(sb, ">");
	svg_text_escape(sb, text, maxcp);
	strbuf_adds(sb, "</text>\n");
}

void
svg_line(struct strbuf *sb, double x1, double y1, double x2, double y2,
    const char *stroke, double width, double opacity)
{
	strbuf_adds(sb, "<line x1=\"");
	add_coord(sb, x1);
	strbuf_adds(sb, "\" y1=\"");
	add_coord(sb, y1);
	strbuf_adds(sb, "\" x2=\"");
	add_coord(sb, x2);
	strbuf_adds(sb, "\" y2=\"");
	add_coord(sb, y2);
	strbuf_addf(sb, "\" stroke=\"%s\" stroke-width=\"", stroke);
	add_coord(sb, width);
	strbuf_adds(sb, "\"");
	if (opacity < 1.0)
		strbuf_addf(sb, " stroke-opacity=\"%.2f\"", opacity);
	strbuf_adds(sb, "/>\n");
}

void
svg_rect(struct strbuf *sb, double x, double y, double w, double h,
    const char *fill, const char *cls, const char *title)
{
	if (w < 0) {
		x += w;
		w = -w;
	}
	if (h < 0) {
		y += h;
		h = -h;
	}
	strbuf_adds(sb, "<rect");
	if (cls != NULL)
		strbuf_addf(sb, " class=\"%s\"", cls);
	strbuf_adds(sb, " x=\"");
	add_coord(sb, x);
	strbuf_adds(sb, "\" y=\"");
	add_coord(sb, y);
	strbuf_adds(sb, "\" width=\"");
	add_coord(sb, w);
	strbuf_adds(sb, "\" height=\"");
	add_coord(sb, h);
	strbuf_addf(sb, "\" fill=\"%s\"", fill);
	if (title == NULL) {
		strbuf_adds(sb, "/>\n");
		return;
	}
	strbuf_adds(sb, "><title>");
	svg_text_escape(sb, title, 0);
	strbuf_adds(sb, "</title></rect>\n");
}

void
svg_circle(struct strbuf *sb, double cx, double cy, double r,
    const char *fill, const char *stroke)
{
	strbuf_adds(sb, "<circle cx=\"");
	add_coord(sb, cx);
	strbuf_adds(sb, "\" cy=\"");
	add_coord(sb, cy);
	strbuf_adds(sb, "\" r=\"");
	add_coord(sb, r);
	strbuf_addf(sb, "\" fill=\"%s\"", fill);
	if (stroke != NULL)
		strbuf_addf(sb, " stroke=\"%s\" stroke-width=\"1.5\"", stroke);
	strbuf_adds(sb, "/>\n");
}

void
svg_polyline(struct strbuf *sb, const double *x, const double *y, size_t n,
    const char *stroke, const char *cls, const char *title)
{
	size_t i;

	strbuf_addf(sb, "<polyline class=\"%s\" fill=\"none\" "
	    "stroke=\"%s\" stroke-width=\"2\" stroke-linejoin=\"round\" "
	    "points=\"", cls, stroke);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strbuf_addch(sb, ' ');
		add_coord(sb, x[i]);
		strbuf_addch(sb, ',');
		add_coord(sb, y[i]);
	}
	strbuf_adds(sb, "\"><title>");
	svg_text_escape(sb, title, 0);
	strbuf_adds(sb, "</title></polyline>\n");
}

void
svg_group(struct strbuf *sb, const char *cls, const char *title)
{
	strbuf_addf(sb, "<g class=\"%s\"><title>", cls);
	svg_text_escape(sb, title, 0);
	strbuf_adds(sb, "</title>\n");
}

void
svg_group_end(struct strbuf *sb)
{
	strbuf_adds(sb, "</g>\n");
}

double
svg_ticks(double *lo, double *hi, int n)
{
	double span, raw, mag, f, step;

	if (!isfinite(*lo) || !isfinite(*hi) || *hi < *lo) {
		*lo = 0;
		*hi = 1;
	}
	if (*hi == *lo)
		*hi = *lo + (*lo != 0.0 ? fabs(*lo) : 1.0);
	if (n < 1)
		n = 1;
	span = *hi - *lo;
	raw = span / n;
	mag = pow(10.0, floor(log10(raw)));
	f = raw / mag;
	step = (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) *
	    mag;
	*lo = floor(*lo / step + 1e-9) * step;
	*hi = ceil(*hi / step - 1e-9) * step;
	return (step);
}
