/*
 * ifeval_check: the 25 checkers of IFEval (google-research's
 * instruction_following_eval, as lm-evaluation-harness's `ifeval` runs
 * them), strict and loose.  Each rule below is the reference's, restated;
 * docs/IFEVAL.md lists them with the places where qeval differs.
 *
 * Regular expressions go through the host's PCRE2 with (*UCP), so \w,
 * \b, \d and \s are Unicode-aware as in Python's re on str.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ifeval.h"

const struct ife_type_desc ife_types[T_NTYPES] = {
	[T_KW_EXIST] = { "keywords:existence", G_KEYWORDS, 0 },
	[T_KW_FREQ] = { "keywords:frequency", G_KEYWORDS, 0 },
	[T_KW_FORBID] = { "keywords:forbidden_words", G_KEYWORDS, 0 },
	[T_KW_LETTER] = { "keywords:letter_frequency", G_KEYWORDS, 0 },
	[T_LANG] = { "language:response_language", G_LANGUAGE,
	    NEED_LANGDETECT },
	[T_NSENT] = { "length_constraints:number_sentences", G_LENGTH,
	    NEED_PUNKT },
	[T_NPARA] = { "length_constraints:number_paragraphs", G_LENGTH, 0 },
	[T_NWORDS] = { "length_constraints:number_words", G_LENGTH, 0 },
	[T_NTHPARA] = { "length_constraints:nth_paragraph_first_word",
	    G_LENGTH, 0 },
	[T_PLACEHOLDERS] = { "detectable_content:number_placeholders",
	    G_CONTENT, 0 },
	[T_POSTSCRIPT] = { "detectable_content:postscript", G_CONTENT, 0 },
	[T_BULLETS] = { "detectable_format:number_bullet_lists", G_FORMAT,
	    0 },
	[T_CONSTRAINED] = { "detectable_format:constrained_response",
	    G_FORMAT, 0 },
	[T_HIGHLIGHT] = { "detectable_format:number_highlighted_sections",
	    G_FORMAT, 0 },
	[T_SECTIONS] = { "detectable_format:multiple_sections", G_FORMAT,
	    0 },
	[T_JSON] = { "detectable_format:json_format", G_FORMAT, 0 },
	[T_TITLE] = { "detectable_format:title", G_FORMAT, 0 },
	[T_TWO] = { "combination:two_responses", G_COMBINATION, 0 },
	[T_REPEAT] = { "combination:repeat_prompt", G_COMBINATION, 0 },
	[T_END] = { "startend:end_checker", G_STARTEND, 0 },
	[T_QUOTE] = { "startend:quotation", G_STARTEND, 0 },
	[T_CAPFREQ] = { "change_case:capital_word_frequency", G_CASE, 0 },
	[T_UPPER] = { "change_case:english_capital", G_CASE,
	    NEED_LANGDETECT },
	[T_LOWER] = { "change_case:english_lowercase", G_CASE,
	    NEED_LANGDETECT },
	[T_NOCOMMA] = { "punctuation:no_comma", G_PUNCT, 0 },
};

const char *const ife_group_names[G_NGROUPS] = {
	"keywords", "language", "length_constraints", "detectable_content",
	"detectable_format", "combination", "startend", "change_case",
	"punctuation"
};

static const char *const constrained_options[] = {
	"My answer is yes.", "My answer is no.", "My answer is maybe.", NULL
};

/* ------------------------------------------------------------------ */
/* Regular expression helpers                                          */

static size_t
next_char(const char *s, size_t len, size_t i)
{
	uint32_t c;

	return (i < len ? i + ife_u8dec(s, len, i, &c) : i + 1);
}

/* re.findall(rx, s) counted; -1 on a matcher error. */
static long
rx_count(const struct ifeval *g, const struct qeval_regex *rx,
    const char *s, size_t len)
{
	struct qeval_match m;
	size_t off = 0;
	long n = 0;
	int rc;

	while (off <= len && (rc = g->host->rx_match(rx, s, len, off,
	    &m)) == 1) {
		n++;
		off = m.end[0] > m.start[0] ? m.end[0] :
		    next_char(s, len, m.end[0]);
	}
	return (off <= len && rc < 0 ? -1 : n);
}

/*
 * Expands a re.sub() template: "\N" is group N (0: the whole match),
 * anything else is copied.
 */
static void
expand(struct qp_buf *out, const char *t, const char *s,
    const struct qeval_match *m)
{
	for (; *t != '\0'; t++) {
		if (t[0] == '\\' && t[1] >= '0' && t[1] <= '9') {
			int k = t[1] - '0';

			if (k < m->ngroups && m->start[k] != QEVAL_RX_UNSET)
				qp_buf_add(out, s + m->start[k],
				    m->end[k] - m->start[k]);
			t++;
		} else
			qp_buf_add(out, t, 1);
	}
}

/* re.sub(rx, tmpl, in): the result replaces in (tmp is scratch). */
static int
rx_sub(const struct ifeval *g, const struct qeval_regex *rx,
    const char *tmpl, struct qp_buf *in, struct qp_buf *tmp)
{
	struct qeval_match m;
	const char *s = qp_buf_str(in);
	size_t len = in->len, off = 0, keep = 0;
	int rc = 0;

	if (s == NULL)
		return (R_ERR);
	qp_buf_reset(tmp);
	while (off <= len && (rc = g->host->rx_match(rx, s, len, off,
	    &m)) == 1) {
		qp_buf_add(tmp, s + keep, m.start[0] - keep);
		expand(tmp, tmpl, s, &m);
		keep = m.end[0];
		off = m.end[0] > m.start[0] ? m.end[0] :
		    next_char(s, len, m.end[0]);
	}
	if (off <= len && rc < 0)
		return (R_ERR);
	if (keep < len)
		qp_buf_add(tmp, s + keep, len - keep);
	qp_buf_reset(in);
	qp_buf_add(in, qp_buf_str(tmp) ? qp_buf_str(tmp) : "", tmp->len);
	return (qp_buf_ok(in) && qp_buf_ok(tmp) ? 0 : R_ERR);
}

/*
 * NLTK's word_tokenize() (NLTKWordTokenizer, NLTK 3.9) as pattern and
 * template pairs, applied in order; the tokens are then the text split
 * on whitespace.  Only the count of all-capital tokens is used, which
 * does not depend on the Punkt sentence split word_tokenize does first
 * (a sentence's final period becomes its own token, never an
 * all-capital one).
 */
const char *const ife_tb_rules[][2] = {
	/* starting quotes */
	{ "([\\x{ab}\\x{201c}\\x{2018}\\x{201e}]|[`]+)", " \\1 " },
	{ "^\"", "``" },
	{ "(``)", " \\1 " },
	{ "([ \\(\\[{<])(\"|\\'{2})", "\\1 `` " },
	{ "(?i)(?<!\\w)(\\')(?!(?:re|ve|ll|m|t|s|d|n)\\b)(?=\\w)", "\\1 " },
	/* punctuation */
	{ "([^\\.])(\\.)([\\]\\)}>\"\\'\\x{bb}\\x{201d}\\x{2019} ]*)\\s*$",
	  "\\1 \\2 \\3 " },
	{ "([:,])([^\\d])", " \\1 \\2" },
	{ "([:,])$", " \\1 " },
	{ "\\.{2,}", " \\0 " },
	{ "[;@#$%&]", " \\0 " },
	{ "[\\x{2012}-\\x{2015}]", " \\0 " },
	{ "([^\\.])(\\.)([\\]\\)}>\"\\']*)\\s*$", "\\1 \\2\\3 " },
	{ "[?!]", " \\0 " },
	{ "([^'])' ", "\\1 ' " },
	{ "[*]", " \\0 " },
	/* parentheses and double dashes */
	{ "[\\]\\[\\(\\)\\{\\}\\<\\>]", " \\0 " },
	{ "--", " -- " },
	/* (the text gets a space at each end here) ending quotes */
	{ "([\\x{bb}\\x{201d}\\x{2019}])", " \\1 " },
	{ "''", " '' " },
	{ "\"", " '' " },
	{ "\\s+", " " },
	{ "([^' ])('[sS]|'[mM]|'[dD]|') ", "\\1 \\2 " },
	{ "([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", "\\1 \\2 " },
	/* contractions */
	{ "(?i)\\b(can)(?#X)(not)\\b", " \\1 \\2 " },
	{ "(?i)\\b(d)(?#X)('ye)\\b", " \\1 \\2 " },
	{ "(?i)\\b(gim)(?#X)(me)\\b", " \\1 \\2 " },
	{ "(?i)\\b(gon)(?#X)(na)\\b", " \\1 \\2 " },
	{ "(?i)\\b(got)(?#X)(ta)\\b", " \\1 \\2 " },
	{ "(?i)\\b(lem)(?#X)(me)\\b", " \\1 \\2 " },
	{ "(?i)\\b(more)(?#X)('n)\\b", " \\1 \\2 " },
	{ "(?i)\\b(wan)(?#X)(na)(?=\\s)", " \\1 \\2 " },
	{ "(?i) ('t)(?#X)(is)\\b", " \\1 \\2 " },
	{ "(?i) ('t)(?#X)(was)\\b", " \\1 \\2 " },
};
const size_t ife_ntb = sizeof(ife_tb_rules) / sizeof(ife_tb_rules[0]);
#define TB_PAD_BEFORE	17	/* index of the first ending-quote rule */

/* Number of all-capital tokens of word_tokenize(s); -1 on error. */
static long
capital_words(struct ifeval *g, const char *s, size_t len)
{
	struct qp_buf *a = &g->t1, *b = &g->t2;
	const char *t;
	size_t i, j, n;
	long count = 0;
	uint32_t c;

	qp_buf_reset(a);
	qp_buf_add(a, s, len);
	for (i = 0; i < g->ntb; i++) {
		if (i == TB_PAD_BEFORE) {
			qp_buf_reset(b);
			qp_buf_adds(b, " ");
			qp_buf_add(b, qp_buf_str(a) ? qp_buf_str(a) : "",
			    a->len);
			qp_buf_adds(b, " ");
			qp_buf_reset(a);
			qp_buf_add(a, qp_buf_str(b) ? qp_buf_str(b) : "",
			    b->len);
		}
		if (rx_sub(g, g->tb[i], ife_tb_rules[i][1], a, b) != 0)
			return (-1);
	}
	t = qp_buf_str(a);
	if (t == NULL)
		return (-1);
	n = a->len;
	/* str.split(): runs of whitespace separate tokens */
	i = 0;
	while (i < n) {
		size_t k = ife_u8dec(t, n, i, &c);

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\v' || c == '\f' || c == 0x85 || c == 0xa0 ||
		    (c >= 0x1c && c <= 0x1f) || c == 0x1680 ||
		    (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
		    c == 0x2029 || c == 0x202f || c == 0x205f ||
		    c == 0x3000) {
			i += k;
			continue;
		}
		j = i;
		while (j < n) {
			size_t kk = ife_u8dec(t, n, j, &c);
			size_t a0, b0;

			ife_strip(t + j, kk, &a0, &b0);
			if (a0 == b0)
				break;
			j += kk;
		}
		if (ife_isupper(g, t + i, j - i))
			count++;
		i = j;
	}
	return (count);
}

/* ------------------------------------------------------------------ */
/* Small string helpers                                                */

static const char *
memfind(const char *s, size_t len, const char *pat, size_t plen)
{
	size_t i;

	if (plen == 0 || plen > len)
		return (NULL);
	for (i = 0; i + plen <= len; i++)
		if (s[i] == pat[0] && memcmp(s + i, pat, plen) == 0)
			return (s + i);
	return (NULL);
}

static int
is_blank(const char *s, size_t len)
{
	size_t a, b;

	ife_strip(s, len, &a, &b);
	return (a == b);
}

static int
compare(int lt, long have, long want)
{
	return (lt ? have < want : have >= want);
}

static const char *
rel(int lt)
{
	return (lt ? "less than" : "at least");
}

/* ------------------------------------------------------------------ */
/* The checkers                                                        */

static enum ife_res
check_paragraphs(struct ifeval *g, const struct ife_inst *in,
    const char *s, size_t len, struct qp_buf *why)
{
	struct qeval_match m;
	long pieces, count, idx = 0;
	size_t off = 0, start = 0;
	int rc;

	pieces = rx_count(g, g->rx_para, s, len);
	if (pieces < 0)
		return (R_ERR);
	pieces++;
	count = pieces;
	for (;;) {
		size_t end;

		rc = off <= len ? g->host->rx_match(g->rx_para, s, len, off,
		    &m) : 0;
		if (rc < 0)
			return (R_ERR);
		end = rc == 1 ? m.start[0] : len;
		if (is_blank(s + start, end - start)) {
			if (idx == 0 || idx == pieces - 1)
				count--;
			else {
				qp_buf_addf(why, "empty paragraph %ld between "
				    "*** dividers", idx + 1);
				return (R_NO);
			}
		}
		if (rc != 1)
			break;
		start = m.end[0];
		off = m.end[0] > m.start[0] ? m.end[0] : m.end[0] + 1;
		idx++;
	}
	qp_buf_addf(why, "%ld paragraphs (want %ld)", count, in->n);
	return (count == in->n ? R_YES : R_NO);
}

static enum ife_res
check_nth_paragraph(struct ifeval *g, const struct ife_inst *in,
    const char *s, size_t len, struct qp_buf *why)
{
	const char *p = s, *e = s + len, *hit;
	size_t a, b, nth_a = 0, nth_b = 0;
	long pieces = 0, count = 0;
	const char *para;
	size_t plen, i, wa, wb;
	uint32_t c;

	/* re.split(r"\n\n", s): pieces, and the nth one */
	for (;;) {
		const char *q;

		hit = memfind(p, (size_t)(e - p), "\n\n", 2);
		q = hit != NULL ? hit : e;
		pieces++;
		if (!is_blank(p, (size_t)(q - p)))
			count++;
		if (pieces == in->nth) {
			nth_a = (size_t)(p - s);
			nth_b = (size_t)(q - s);
		}
		if (hit == NULL)
			break;
		p = hit + 2;
	}
	if (in->nth > count) {
		qp_buf_addf(why, "%ld paragraphs, no paragraph %ld", count,
		    in->nth);
		return (R_NO);
	}
	ife_strip(s + nth_a, nth_b - nth_a, &a, &b);
	if (a == b) {
		qp_buf_addf(why, "paragraph %ld is empty", in->nth);
		return (R_NO);
	}
	para = s + nth_a + a;
	plen = b - a;
	/* paragraph.split()[0], then lstrip("'"), lstrip('"') */
	wa = 0;
	wb = 0;
	while (wb < plen) {
		size_t k = ife_u8dec(para, plen, wb, &c);
		size_t x, y;

		ife_strip(para + wb, k, &x, &y);
		if (x == y)
			break;
		wb += k;
	}
	while (wa < wb && para[wa] == '\'')
		wa++;
	while (wa < wb && para[wa] == '"')
		wa++;
	/* up to the first . , ? ! ' " */
	for (i = wa; i < wb; i++)
		if (strchr(".,?!'\"", para[i]) != NULL)
			break;
	ife_lower(g, para + wa, i - wa, &g->t1);
	if (count != in->n) {
		qp_buf_addf(why, "%ld paragraphs (want %ld)", count, in->n);
		return (R_NO);
	}
	if (strcmp(qp_buf_str(&g->t1) ? qp_buf_str(&g->t1) : "", in->s)
	    != 0) {
		qp_buf_addf(why, "paragraph %ld starts with \"%.40s\", not "
		    "\"%s\"", in->nth, qp_buf_str(&g->t1) ?
		    qp_buf_str(&g->t1) : "", in->s);
		return (R_NO);
	}
	qp_buf_addf(why, "%ld paragraphs, paragraph %ld starts with %s",
	    count, in->nth, in->s);
	return (R_YES);
}

static enum ife_res
check_highlights(struct ifeval *g, const struct ife_inst *in,
    const char *s, size_t len, struct qp_buf *why)
{
	struct qeval_match m;
	size_t off;
	long n = 0;
	int rc, pass;

	for (pass = 0; pass < 2; pass++) {
		const struct qeval_regex *rx = pass ? g->rx_hl2 : g->rx_hl1;

		off = 0;
		while (off <= len && (rc = g->host->rx_match(rx, s, len, off,
		    &m)) == 1) {
			size_t a = m.start[0], b = m.end[0], x, y;

			/* strip("*").strip(), or removeprefix("**")
			 * .removesuffix("**").strip() */
			if (pass == 0) {
				while (a < b && s[a] == '*')
					a++;
				while (b > a && s[b - 1] == '*')
					b--;
			} else {
				a += 2;
				b -= 2;
			}
			ife_strip(s + a, b - a, &x, &y);
			if (x != y)
				n++;
			off = m.end[0];
		}
		if (off <= len && rc < 0)
			return (R_ERR);
	}
	qp_buf_addf(why, "%ld highlighted sections (want at least %ld)", n,
	    in->n);
	return (n >= in->n ? R_YES : R_NO);
}

/*
 * Python's json.loads() as a yes/no: RFC 8259 plus NaN, Infinity and
 * -Infinity, no control characters inside strings, only " \t\n\r" as
 * whitespace.  (cJSON alone also takes "01", "1." and raw tabs.)
 */
struct jp {
	const char	*s, *e;
	int		 depth;
};

static void
jp_ws(struct jp *p)
{
	while (p->s < p->e && (*p->s == ' ' || *p->s == '\t' ||
	    *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static int
jp_lit(struct jp *p, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(p->e - p->s) < n || memcmp(p->s, w, n) != 0)
		return (0);
	p->s += n;
	return (1);
}

static int
jp_digits(struct jp *p)
{
	const char *a = p->s;

	while (p->s < p->e && *p->s >= '0' && *p->s <= '9')
		p->s++;
	return (p->s > a);
}

static int
jp_number(struct jp *p)
{
	if (p->s < p->e && *p->s == '-') {
		p->s++;
		if (jp_lit(p, "Infinity"))
			return (1);
	}
	if (p->s < p->e && *p->s == '0')
		p->s++;
	else if (!jp_digits(p))
		return (0);
	if (p->s < p->e && *p->s == '.') {
		p->s++;
		if (!jp_digits(p))
			return (0);
	}
	if (p->s < p->e && (*p->s == 'e' || *p->s == 'E')) {
		p->s++;
		if (p->s < p->e && (*p->s == '+' || *p->s == '-'))
			p->s++;
		if (!jp_digits(p))
			return (0);
	}
	return (1);
}

static int
jp_string(struct jp *p)
{
	int k;

	p->s++;				/* the opening quote */
	while (p->s < p->e) {
		unsigned char c = (unsigned char)*p->s++;

		if (c == '"')
			return (1);
		if (c < 0x20)
			return (0);
		if (c != '\\')
			continue;
		if (p->s >= p->e)
			return (0);
		c = (unsigned char)*p->s++;
		if (c == 'u') {
			for (k = 0; k < 4; k++, p->s++)
				if (p->s >= p->e ||
				    strchr("0123456789abcdefABCDEF", *p->s) ==
				    NULL || *p->s == '\0')
					return (0);
		} else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0')
			return (0);
	}
	return (0);
}

static int
jp_value(struct jp *p)
{
	int ok = 0;

	if (++p->depth > 512)
		return (0);
	jp_ws(p);
	if (p->s >= p->e)
		ok = 0;
	else if (*p->s == '"')
		ok = jp_string(p);
	else if (*p->s == '{' || *p->s == '[') {
		char close = *p->s == '{' ? '}' : ']';
		int obj = close == '}';

		p->s++;
		jp_ws(p);
		if (p->s < p->e && *p->s == close) {
			p->s++;
			ok = 1;
		} else
			for (;;) {
				if (obj) {
					jp_ws(p);
					if (p->s >= p->e || *p->s != '"' ||
					    !jp_string(p))
						break;
					jp_ws(p);
					if (p->s >= p->e || *p->s++ != ':')
						break;
				}
				if (!jp_value(p))
					break;
				jp_ws(p);
				if (p->s < p->e && *p->s == ',') {
					p->s++;
					continue;
				}
				if (p->s < p->e && *p->s == close) {
					p->s++;
					ok = 1;
				}
				break;
			}
	} else
		ok = jp_lit(p, "true") || jp_lit(p, "false") ||
		    jp_lit(p, "null") || jp_lit(p, "NaN") ||
		    jp_lit(p, "Infinity") || jp_number(p);
	p->depth--;
	return (ok);
}

static int
py_json(const char *s, size_t len)
{
	struct jp p = { s, s + len, 0 };

	if (!jp_value(&p))
		return (0);
	jp_ws(&p);
	return (p.s == p.e);
}

static enum ife_res
check_json(const char *s, size_t len, struct qp_buf *why)
{
	static const char *const pre[] = { "```json", "```Json", "```JSON",
	    "```", NULL };
	size_t a, b, i;

	ife_strip(s, len, &a, &b);
	s += a;
	len = b - a;
	for (i = 0; pre[i] != NULL; i++) {
		size_t pl = strlen(pre[i]);

		if (len >= pl && memcmp(s, pre[i], pl) == 0) {
			s += pl;
			len -= pl;
		}
	}
	if (len >= 3 && memcmp(s + len - 3, "```", 3) == 0)
		len -= 3;
	ife_strip(s, len, &a, &b);
	s += a;
	len = b - a;
	if (!py_json(s, len)) {
		qp_buf_adds(why, "not valid JSON");
		return (R_NO);
	}
	qp_buf_adds(why, "valid JSON");
	return (R_YES);
}

static enum ife_res
check_title(struct ifeval *g, const char *s, size_t len,
    struct qp_buf *why)
{
	struct qeval_match m;
	size_t off = 0;
	int rc;

	while (off <= len && (rc = g->host->rx_match(g->rx_title, s, len,
	    off, &m)) == 1) {
		size_t a = m.start[0], b = m.end[0], x, y;

		while (a < b && s[a] == '<')
			a++;
		while (b > a && s[b - 1] == '>')
			b--;
		ife_strip(s + a, b - a, &x, &y);
		if (x != y) {
			qp_buf_adds(why, "has a <<title>>");
			return (R_YES);
		}
		off = m.end[0];
	}
	if (off <= len && rc < 0)
		return (R_ERR);
	qp_buf_adds(why, "no <<title>>");
	return (R_NO);
}

static enum ife_res
check_two(const char *s, size_t len, struct qp_buf *why)
{
	const char *p = s, *e = s + len, *hit;
	const char *v[2] = { NULL, NULL };
	size_t vl[2] = { 0, 0 };
	long idx = 0, valid = 0;

	for (;;) {
		const char *q;

		hit = memfind(p, (size_t)(e - p), "******", 6);
		q = hit != NULL ? hit : e;
		if (is_blank(p, (size_t)(q - p))) {
			if (idx != 0 && hit != NULL) {
				qp_buf_adds(why, "an empty response between "
				    "****** separators");
				return (R_NO);
			}
		} else {
			if (valid < 2) {
				size_t a, b;

				ife_strip(p, (size_t)(q - p), &a, &b);
				v[valid] = p + a;
				vl[valid] = b - a;
			}
			valid++;
		}
		if (hit == NULL)
			break;
		p = hit + 6;
		idx++;
	}
	if (valid != 2) {
		qp_buf_addf(why, "%ld responses separated by ****** (want "
		    "2)", valid);
		return (R_NO);
	}
	if (vl[0] == vl[1] && memcmp(v[0], v[1], vl[0]) == 0) {
		qp_buf_adds(why, "the two responses are the same");
		return (R_NO);
	}
	qp_buf_adds(why, "two different responses");
	return (R_YES);
}

/* langdetect.detect(s): 1 and out set, 0 "no features", -1 error. */
static int
detect(struct ifeval *g, const char *s, size_t len, char *out, size_t sz)
{
	struct qp_buf *a = &g->t1, *b = &g->t2;

	qp_buf_reset(a);
	qp_buf_add(a, s, len);
	if (rx_sub(g, g->rx_url, " ", a, b) != 0 ||
	    rx_sub(g, g->rx_mail, " ", a, b) != 0 || qp_buf_str(a) == NULL)
		return (-1);
	return (ife_lang_detect(g, g->lang, qp_buf_str(a), a->len, out, sz));
}

/* "... and in English" of the two change_case checks. */
static enum ife_res
english(struct ifeval *g, const char *s, size_t len, const char *cased,
    struct qp_buf *why)
{
	char lang[16];
	int d;

	if (g->lang == NULL) {
		qp_buf_addf(why, "%s; the English check needs langdetect",
		    cased);
		return (R_UNSCORABLE);
	}
	if ((d = detect(g, s, len, lang, sizeof(lang))) < 0)
		return (R_ERR);
	if (d == 0) {
		qp_buf_addf(why, "%s; no language features (counted as "
		    "followed, as the reference does)", cased);
		return (R_YES);
	}
	qp_buf_addf(why, "%s; langdetect says %s", cased, lang);
	return (strcmp(lang, "en") == 0 ? R_YES : R_NO);
}

enum ife_res
ife_check(struct ifeval *g, const struct ife_item *it,
    const struct ife_inst *in, const char *s, size_t len,
    struct qp_buf *why)
{
	const struct qeval_host *h = g->host;
	struct qeval_match m;
	size_t i, a, b;
	long n;
	uint32_t c;
	const char *t;

	(void)it;
	switch (in->type) {
	case T_KW_EXIST:
		for (i = 0; i < in->nwords; i++) {
			int rc = h->rx_match(in->rxs[i], s, len, 0, &m);

			if (rc < 0)
				return (R_ERR);
			if (rc == 0) {
				qp_buf_addf(why, "keyword \"%s\" missing",
				    in->words[i]);
				return (R_NO);
			}
		}
		qp_buf_adds(why, "every keyword present");
		return (R_YES);
	case T_KW_FREQ:
		if ((n = rx_count(g, in->rx, s, len)) < 0)
			return (R_ERR);
		qp_buf_addf(why, "\"%s\" %ld times (want %s %ld)", in->s, n,
		    rel(in->lt), in->n);
		return (compare(in->lt, n, in->n) ? R_YES : R_NO);
	case T_KW_FORBID:
		for (i = 0; i < in->nwords; i++) {
			int rc = h->rx_match(in->rxs[i], s, len, 0, &m);

			if (rc < 0)
				return (R_ERR);
			if (rc == 1) {
				qp_buf_addf(why, "forbidden word \"%s\" used",
				    in->words[i]);
				return (R_NO);
			}
		}
		qp_buf_adds(why, "no forbidden word");
		return (R_YES);
	case T_KW_LETTER:
		ife_lower(g, s, len, &g->t1);
		t = qp_buf_str(&g->t1);
		if (t == NULL)
			return (R_ERR);
		n = 0;
		for (i = 0; i < g->t1.len; ) {
			i += ife_u8dec(t, g->t1.len, i, &c);
			n += c == in->letter;
		}
		qp_buf_addf(why, "letter %s %ld times (want %s %ld)", in->s, n,
		    rel(in->lt), in->n);
		return (compare(in->lt, n, in->n) ? R_YES : R_NO);
	case T_LANG: {
		char lang[16];
		int d;

		if (g->lang == NULL) {
			qp_buf_adds(why, "needs langdetect");
			return (R_UNSCORABLE);
		}
		if ((d = detect(g, s, len, lang, sizeof(lang))) < 0)
			return (R_ERR);
		if (d == 0) {
			qp_buf_adds(why, "no language features (counted as "
			    "followed, as the reference does)");
			return (R_YES);
		}
		qp_buf_addf(why, "langdetect says %s (want %s)", lang, in->s);
		return (strcmp(lang, in->s) == 0 ? R_YES : R_NO);
	}
	case T_NSENT:
		qp_buf_adds(why, "needs NLTK's Punkt English model");
		return (R_UNSCORABLE);
	case T_NPARA:
		return (check_paragraphs(g, in, s, len, why));
	case T_NWORDS:
		if ((n = rx_count(g, g->rx_word, s, len)) < 0)
			return (R_ERR);
		qp_buf_addf(why, "%ld words (want %s %ld)", n, rel(in->lt),
		    in->n);
		return (compare(in->lt, n, in->n) ? R_YES : R_NO);
	case T_NTHPARA:
		return (check_nth_paragraph(g, in, s, len, why));
	case T_PLACEHOLDERS:
		if ((n = rx_count(g, g->rx_place, s, len)) < 0)
			return (R_ERR);
		qp_buf_addf(why, "%ld [placeholders] (want at least %ld)", n,
		    in->n);
		return (n >= in->n ? R_YES : R_NO);
	case T_POSTSCRIPT: {
		int rc;

		ife_lower(g, s, len, &g->t1);
		if (qp_buf_str(&g->t1) == NULL)
			return (R_ERR);
		rc = h->rx_match(in->rx, qp_buf_str(&g->t1), g->t1.len, 0,
		    &m);
		if (rc < 0)
			return (R_ERR);
		qp_buf_addf(why, rc ? "has a %s postscript" : "no %s "
		    "postscript", in->s);
		return (rc ? R_YES : R_NO);
	}
	case T_BULLETS: {
		long n2;

		if ((n = rx_count(g, g->rx_bul1, s, len)) < 0 ||
		    (n2 = rx_count(g, g->rx_bul2, s, len)) < 0)
			return (R_ERR);
		qp_buf_addf(why, "%ld bullet points (want %ld)", n + n2,
		    in->n);
		return (n + n2 == in->n ? R_YES : R_NO);
	}
	case T_CONSTRAINED:
		ife_strip(s, len, &a, &b);
		for (i = 0; constrained_options[i] != NULL; i++)
			if (memfind(s + a, b - a, constrained_options[i],
			    strlen(constrained_options[i])) != NULL) {
				qp_buf_addf(why, "contains \"%s\"",
				    constrained_options[i]);
				return (R_YES);
			}
		qp_buf_adds(why, "none of the allowed answers");
		return (R_NO);
	case T_HIGHLIGHT:
		return (check_highlights(g, in, s, len, why));
	case T_SECTIONS:
		if ((n = rx_count(g, in->rx, s, len)) < 0)
			return (R_ERR);
		qp_buf_addf(why, "%ld sections marked \"%s X\" (want at "
		    "least %ld)", n, in->s, in->n);
		return (n >= in->n ? R_YES : R_NO);
	case T_JSON:
		return (check_json(s, len, why));
	case T_TITLE:
		return (check_title(g, s, len, why));
	case T_TWO:
		return (check_two(s, len, why));
	case T_REPEAT: {
		size_t pa, pb;
		int yes;

		ife_strip(s, len, &a, &b);
		ife_lower(g, s + a, b - a, &g->t1);
		ife_strip(in->s, strlen(in->s), &pa, &pb);
		ife_lower(g, in->s + pa, pb - pa, &g->t2);
		if (qp_buf_str(&g->t1) == NULL || qp_buf_str(&g->t2) == NULL)
			return (R_ERR);
		yes = g->t1.len >= g->t2.len && memcmp(qp_buf_str(&g->t1),
		    qp_buf_str(&g->t2), g->t2.len) == 0;
		qp_buf_adds(why, yes ? "starts with the request" :
		    "does not start with the request, word for word");
		return (yes ? R_YES : R_NO);
	}
	case T_END: {
		size_t pa, pb;
		int yes;

		ife_strip(s, len, &a, &b);
		while (a < b && s[a] == '"')
			a++;
		while (b > a && s[b - 1] == '"')
			b--;
		ife_lower(g, s + a, b - a, &g->t1);
		ife_strip(in->s, strlen(in->s), &pa, &pb);
		ife_lower(g, in->s + pa, pb - pa, &g->t2);
		if (qp_buf_str(&g->t1) == NULL || qp_buf_str(&g->t2) == NULL)
			return (R_ERR);
		yes = g->t1.len >= g->t2.len && memcmp(qp_buf_str(&g->t1) +
		    g->t1.len - g->t2.len, qp_buf_str(&g->t2), g->t2.len)
		    == 0;
		qp_buf_addf(why, yes ? "ends with \"%s\"" : "does not end "
		    "with \"%s\"", in->s);
		return (yes ? R_YES : R_NO);
	}
	case T_QUOTE:
		ife_strip(s, len, &a, &b);
		if (b - a > 1 && s[a] == '"' && s[b - 1] == '"') {
			qp_buf_adds(why, "wrapped in double quotes");
			return (R_YES);
		}
		qp_buf_adds(why, "not wrapped in double quotes");
		return (R_NO);
	case T_CAPFREQ:
		if ((n = capital_words(g, s, len)) < 0)
			return (R_ERR);
		qp_buf_addf(why, "%ld all-capital words (want %s %ld)", n,
		    rel(in->lt), in->n);
		return (compare(in->lt, n, in->n) ? R_YES : R_NO);
	case T_UPPER:
		if (!ife_isupper(g, s, len)) {
			qp_buf_adds(why, "not all capital letters");
			return (R_NO);
		}
		return (english(g, s, len, "all capital letters", why));
	case T_LOWER:
		if (!ife_islower(g, s, len)) {
			qp_buf_adds(why, "not all lower-case letters");
			return (R_NO);
		}
		return (english(g, s, len, "all lower-case letters", why));
	case T_NOCOMMA:
		n = 0;
		for (i = 0; i < len; i++)
			n += s[i] == ',';
		qp_buf_addf(why, "%ld commas", n);
		return (n == 0 ? R_YES : R_NO);
	case T_NTYPES:
		break;
	}
	return (R_ERR);
}

/* ------------------------------------------------------------------ */
/* Strict and loose                                                    */

/*
 * One loose-mode variant of s: "\n".join(s.split("\n")[1:]),
 * [:-1] or [1:-1] (then stripped) as drop_first / drop_last ask, with
 * every '*' removed if nostar.
 */
static void
variant(struct qp_buf *out, const char *s, size_t len, int drop_first,
    int drop_last, int nostar)
{
	const char *p = s, *e = s + len;
	const char *first = memchr(s, '\n', len);
	const char *last = memrchr(s, '\n', len);
	size_t a, b, i;

	qp_buf_reset(out);
	qp_buf_add(out, "", 0);
	if (drop_first)
		p = first != NULL ? first + 1 : e;
	if (drop_last) {
		if (last == NULL || (drop_first && first == last))
			e = p = s;
		else
			e = last;
	}
	if (drop_first || drop_last) {
		ife_strip(p, (size_t)(e - p), &a, &b);
		e = p + b;
		p += a;
	}
	for (i = 0; p + i < e; i++)
		if (!nostar || p[i] != '*')
			qp_buf_add(out, p + i, 1);
}

int
ife_score(struct ifeval *g, const struct ife_item *it, const char *text,
    int *strict, int *loose)
{
	static const int vflags[8][3] = {
		{ 0, 0, 0 }, { 0, 0, 1 }, { 1, 0, 0 }, { 0, 1, 0 },
		{ 1, 1, 0 }, { 1, 0, 1 }, { 0, 1, 1 }, { 1, 1, 1 }
	};
	size_t len = strlen(text), k, v;
	int empty = is_blank(text, len);

	for (v = 0; v < 8; v++) {
		variant(&g->var[v], text, len, vflags[v][0], vflags[v][1],
		    vflags[v][2]);
		if (!qp_buf_ok(&g->var[v]))
			return (R_ERR);
	}
	for (k = 0; k < it->ninst; k++) {
		const struct ife_inst *in = &it->inst[k];
		enum ife_res r;

		qp_buf_reset(&g->why);
		r = empty ? R_NO : ife_check(g, it, in, text, len, &g->why);
		if (r == R_ERR)
			return (R_ERR);
		strict[k] = r;
		loose[k] = r == R_YES ? R_YES : R_NO;
		for (v = 1; v < 8 && loose[k] != R_YES; v++) {
			const struct qp_buf *b = &g->var[v];
			const char *vs = qp_buf_str(b) ? qp_buf_str(b) : "";
			enum ife_res lr;

			if (is_blank(vs, b->len))
				continue;
			qp_buf_reset(&g->reason);
			lr = ife_check(g, it, in, vs, b->len, &g->reason);
			if (lr == R_ERR)
				return (R_ERR);
			if (lr == R_YES)
				loose[k] = R_YES;
			else if (lr == R_UNSCORABLE)
				loose[k] = R_UNSCORABLE;
		}
		if (ife_types[in->type].needs & g->missing) {
			strict[k] = R_UNSCORABLE;
			loose[k] = R_UNSCORABLE;
		}
	}
	return (0);
}
