/*
 * codeutil: code extraction, candidate assembly and the differential
 * harness shared by the humaneval and mbpp plugins (see codeutil.h).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <qeval/plugin.h>

#include "codeutil.h"

#define MAX_BLOCKS	64

struct block {
	const char	*lang;
	size_t		 langlen;
	const char	*start;
	size_t		 len;
};

char *
codeutil_strndup(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p == NULL)
		return (NULL);
	memcpy(p, s, len);
	p[len] = '\0';
	return (p);
}

const char *
codeutil_mode_name(enum codeutil_mode m)
{
	switch (m) {
	case CU_FUNCTION:	return ("function");
	case CU_ALIAS:		return ("alias");
	case CU_BODY:		return ("body");
	case CU_OTHER:		return ("other");
	default:		return ("empty");
	}
}

static int
is_ident(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c >= 0x80);
}

static int
is_blank_line(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
		    s[i] != '\f' && s[i] != '\v')
			return (0);
	return (1);
}

/* Length of the line at s, without its '\n'. */
static size_t
line_len(const char *s)
{
	const char *nl = strchr(s, '\n');

	return (nl != NULL ? (size_t)(nl - s) : strlen(s));
}

static int
starts(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return (len >= n && memcmp(s, prefix, n) == 0);
}

/* Every ``` fenced block of text; an unterminated one runs to the end. */
static int
find_blocks(const char *text, struct block *b, int max)
{
	const char *p = text, *q, *close;
	int n = 0;

	while (n < max && (p = strstr(p, "```")) != NULL) {
		while (*p == '`')
			p++;
		q = p;
		while (*q != '\0' && *q != '\n')
			q++;
		b[n].lang = p;
		b[n].langlen = (size_t)(q - p);
		while (b[n].langlen > 0 && (p[b[n].langlen - 1] == ' ' ||
		    p[b[n].langlen - 1] == '\r' || p[b[n].langlen - 1] == '\t'))
			b[n].langlen--;
		while (b[n].langlen > 0 && (*b[n].lang == ' ' ||
		    *b[n].lang == '\t')) {
			b[n].lang++;
			b[n].langlen--;
		}
		/* "```def f(): ..." on one line: no tag, code follows. */
		if (b[n].langlen > 0 && memchr(b[n].lang, ' ',
		    b[n].langlen) != NULL) {
			b[n].start = b[n].lang;
			b[n].lang = "";
			b[n].langlen = 0;
		} else
			b[n].start = *q == '\n' ? q + 1 : q;
		close = strstr(b[n].start, "```");
		if (close == NULL) {
			b[n].len = strlen(b[n].start);
			n++;
			break;
		}
		b[n].len = (size_t)(close - b[n].start);
		n++;
		p = close;
		while (*p == '`')
			p++;
	}
	return (n);
}

static int
python_tag(const struct block *b)
{
	static const char *const ok[] = { "python", "py", "python3",
	    "Python", "Python3", "py3", NULL };
	size_t i;

	if (b->langlen == 0)
		return (1);
	for (i = 0; ok[i] != NULL; i++)
		if (strlen(ok[i]) == b->langlen &&
		    memcmp(ok[i], b->lang, b->langlen) == 0)
			return (1);
	return (0);
}

/* Name defined by a top-level "def"/"async def" line, or 0. */
static size_t
def_name(const char *s, size_t len, const char **name)
{
	size_t i = 0, j;

	if (starts(s, len, "async def "))
		i = 10;
	else if (starts(s, len, "def "))
		i = 4;
	else
		return (0);
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	j = i;
	while (j < len && is_ident((unsigned char)s[j]))
		j++;
	*name = s + i;
	return (j - i);
}

int
codeutil_top_defs(const char *code, char *name, size_t namesz)
{
	const char *p = code, *nm;
	size_t len, nl;
	int n = 0;

	if (name != NULL && namesz > 0)
		name[0] = '\0';
	while (*p != '\0') {
		len = line_len(p);
		if ((nl = def_name(p, len, &nm)) > 0) {
			if (n == 0 && name != NULL && nl < namesz) {
				memcpy(name, nm, nl);
				name[nl] = '\0';
			}
			n++;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	return (n);
}

int
codeutil_defines(const char *code, const char *name)
{
	const char *p = code, *nm;
	size_t len, nl, k = strlen(name), i;

	if (k == 0)
		return (0);
	while (*p != '\0') {
		len = line_len(p);
		if ((nl = def_name(p, len, &nm)) > 0) {
			if (nl == k && memcmp(nm, name, k) == 0)
				return (1);
		} else if (starts(p, len, "class ")) {
			i = 6;
			while (i < len && p[i] == ' ')
				i++;
			if (len - i >= k && memcmp(p + i, name, k) == 0 &&
			    (i + k == len ||
			    !is_ident((unsigned char)p[i + k])))
				return (1);
		} else if (len > k && memcmp(p, name, k) == 0) {
			/* "name = ..." at top level */
			i = k;
			while (i < len && p[i] == ' ')
				i++;
			if (i < len && p[i] == '=' && (i + 1 == len ||
			    p[i + 1] != '='))
				return (1);
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	return (0);
}

/* Is this line the head of an `if __name__ == "__main__":` block? */
static int
main_guard(const char *s, size_t len)
{
	size_t i = 2;

	if (!starts(s, len, "if"))
		return (0);
	while (i < len && (s[i] == ' ' || s[i] == '(' || s[i] == '\t'))
		i++;
	return (starts(s + i, len - i, "__name__"));
}

/* Copies code to out less `if __name__ == "__main__":` blocks. */
static void
strip_main(const char *code, size_t clen, struct qp_buf *out)
{
	const char *p = code, *end = code + clen;
	int skipping = 0;
	size_t len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (skipping && len > 0 && p[0] != ' ' && p[0] != '\t' &&
		    !is_blank_line(p, len))
			skipping = 0;
		if (!skipping && main_guard(p, len))
			skipping = 1;
		if (!skipping) {
			qp_buf_add(out, p, len);
			if (nl != NULL)
				qp_buf_add(out, "\n", 1);
		}
		p += len + (nl != NULL ? 1 : 0);
	}
	/* Drop trailing blank lines left behind. */
	while (out->buf != NULL && out->len > 0 &&
	    (out->buf[out->len - 1] == '\n' || out->buf[out->len - 1] == ' ' ||
	    out->buf[out->len - 1] == '\r' || out->buf[out->len - 1] == '\t'))
		out->buf[--out->len] = '\0';
}

static int
code_like(const char *s, size_t len)
{
	static const char *const kw[] = { "def ", "async def ", "class ",
	    "import ", "from ", "@", "#", NULL };
	size_t i;

	if (len == 0 || is_blank_line(s, len))
		return (0);
	if (s[0] == ' ' || s[0] == '\t')
		return (1);
	for (i = 0; kw[i] != NULL; i++)
		if (starts(s, len, kw[i]))
			return (1);
	return (0);
}

void
codeutil_extract(const char *text, const char *entry, struct qp_buf *out)
{
	struct block b[MAX_BLOCKS];
	const struct block *pick = NULL;
	struct qp_buf tmp = QP_BUF_INIT;
	const char *p;
	int n, i;

	qp_buf_reset(out);
	if (text == NULL)
		text = "";
	n = find_blocks(text, b, MAX_BLOCKS);
	for (i = 0; pick == NULL && entry != NULL && i < n; i++)
		if (python_tag(&b[i])) {
			qp_buf_reset(&tmp);
			qp_buf_add(&tmp, b[i].start, b[i].len);
			if (tmp.buf != NULL && codeutil_defines(tmp.buf, entry))
				pick = &b[i];
		}
	for (i = 0; pick == NULL && i < n; i++)
		if (python_tag(&b[i])) {
			qp_buf_reset(&tmp);
			qp_buf_add(&tmp, b[i].start, b[i].len);
			if (tmp.buf != NULL &&
			    codeutil_top_defs(tmp.buf, NULL, 0) > 0)
				pick = &b[i];
		}
	for (i = 0; pick == NULL && i < n; i++)
		if (python_tag(&b[i]) && !is_blank_line(b[i].start, b[i].len))
			pick = &b[i];
	if (pick == NULL && n > 0)
		pick = &b[0];
	qp_buf_free(&tmp);
	if (pick != NULL) {
		strip_main(pick->start, pick->len, out);
		return;
	}
	/* No fences: skip leading prose when code follows it. */
	p = text;
	while (*p != '\0') {
		size_t len = line_len(p);

		if (code_like(p, len))
			break;
		p += len;
		if (*p == '\n')
			p++;
	}
	if (*p == '\0')
		p = text;
	strip_main(p, strlen(p), out);
}

void
codeutil_until_fence(const char *text, struct qp_buf *out)
{
	const char *f = strstr(text, "```");

	qp_buf_reset(out);
	qp_buf_add(out, text, f != NULL ? (size_t)(f - text) : strlen(text));
}

void
codeutil_clean(const char *text, int drop_fence, struct qp_buf *out)
{
	static const char fence[] = "```python\n";
	static const char bar[] = "\xe2\x96\x81";	/* U+2581 */
	const char *p = text;

	qp_buf_reset(out);
	qp_buf_add(out, "", 0);
	while (*p != '\0') {
		if (drop_fence && strncmp(p, fence, sizeof(fence) - 1) == 0) {
			p += sizeof(fence) - 1;
			continue;
		}
		if (*p == '\n' && strncmp(p + 1, bar, 3) == 0) {
			qp_buf_add(out, "\n", 1);
			p++;
			while (strncmp(p, bar, 3) == 0) {
				qp_buf_add(out, " ", 1);
				p += 3;
			}
			continue;
		}
		qp_buf_add(out, p, 1);
		p++;
	}
}

size_t
codeutil_stop_len(const char *text, const char *const *stops)
{
	size_t best = strlen(text), i;
	const char *f;

	for (i = 0; stops != NULL && stops[i] != NULL; i++)
		if ((f = strstr(text, stops[i])) != NULL &&
		    (size_t)(f - text) < best)
			best = (size_t)(f - text);
	return (best);
}

/* Width of a line's indentation, a tab counting as four columns. */
static size_t
indent_width(const char *s, size_t len, size_t *bytes)
{
	size_t i, w = 0;

	for (i = 0; i < len && (s[i] == ' ' || s[i] == '\t'); i++)
		w += s[i] == '\t' ? 4 : 1;
	*bytes = i;
	return (w);
}

/* Re-indents a function body so that its outermost level is 4 spaces. */
static void
reindent_body(const char *code, struct qp_buf *out)
{
	const char *p;
	size_t min = (size_t)-1, len, w, nb, i;

	for (p = code; *p != '\0';) {
		len = line_len(p);
		if (!is_blank_line(p, len)) {
			w = indent_width(p, len, &nb);
			if (w < min)
				min = w;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	if (min == (size_t)-1)
		min = 0;
	for (p = code; *p != '\0';) {
		len = line_len(p);
		if (!is_blank_line(p, len)) {
			w = indent_width(p, len, &nb);
			for (i = 0; i < 4 + w - min; i++)
				qp_buf_add(out, " ", 1);
			qp_buf_add(out, p + nb, len - nb);
		}
		p += len;
		if (*p == '\n') {
			qp_buf_add(out, "\n", 1);
			p++;
		}
	}
	if (out->buf != NULL && out->len > 0 && out->buf[out->len - 1] != '\n')
		qp_buf_add(out, "\n", 1);
}

static int
has_top_level_class(const char *code)
{
	const char *p = code;
	size_t len;

	while (*p != '\0') {
		len = line_len(p);
		if (starts(p, len, "class "))
			return (1);
		p += len;
		if (*p == '\n')
			p++;
	}
	return (0);
}

enum codeutil_mode
codeutil_candidate(const char *prompt, const char *entry, const char *code,
    int allow_body, struct qp_buf *out, char *fixed, size_t fixedsz)
{
	char other[256];
	size_t plen = strlen(prompt);
	int ndefs;

	qp_buf_reset(out);
	qp_buf_add(out, "", 0);
	if (fixed != NULL && fixedsz > 0)
		fixed[0] = '\0';
	if (is_blank_line(code, strlen(code)) || strspn(code, " \t\r\n\f\v") ==
	    strlen(code))
		return (CU_EMPTY);
	if (codeutil_defines(code, entry)) {
		if (plen > 0 && prompt[plen - 1] != '\n')
			qp_buf_add(out, "\n", 1);
		qp_buf_adds(out, code);
		qp_buf_add(out, "\n", 1);
		return (CU_FUNCTION);
	}
	ndefs = codeutil_top_defs(code, other, sizeof(other));
	if (ndefs == 1 && other[0] != '\0') {
		if (plen > 0 && prompt[plen - 1] != '\n')
			qp_buf_add(out, "\n", 1);
		qp_buf_adds(out, code);
		qp_buf_addf(out, "\n\n%s = %s\n", entry, other);
		if (fixed != NULL && fixedsz > strlen(other))
			memcpy(fixed, other, strlen(other) + 1);
		return (CU_ALIAS);
	}
	if (ndefs == 0 && allow_body && !has_top_level_class(code)) {
		reindent_body(code, out);
		return (CU_BODY);
	}
	if (plen > 0 && prompt[plen - 1] != '\n')
		qp_buf_add(out, "\n", 1);
	qp_buf_adds(out, code);
	qp_buf_add(out, "\n", 1);
	return (CU_OTHER);
}

void
codeutil_py_str(struct qp_buf *b, const char *s, size_t len)
{
	size_t i, run = 0;

	qp_buf_add(b, "'", 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char hex[8];

		switch (c) {
		case '\\':	esc = "\\\\"; break;
		case '\'':	esc = "\\'"; break;
		case '\n':	esc = "\\n"; break;
		case '\r':	esc = "\\r"; break;
		case '\t':	esc = "\\t"; break;
		default:
			/* CODEUTIL_NUL: the NUL byte of an answer */
			if (c < 0x20 || c == 0x7f ||
			    c == (unsigned char)CODEUTIL_NUL) {
				snprintf(hex, sizeof(hex), "\\x%02x",
				    c == (unsigned char)CODEUTIL_NUL ? 0 : c);
				esc = hex;
			}
		}
		if (esc == NULL) {
			run++;
			continue;
		}
		qp_buf_add(b, s + i - run, run);
		run = 0;
		qp_buf_adds(b, esc);
	}
	qp_buf_add(b, s + len - run, run);
	qp_buf_add(b, "'", 1);
}

/* ------------------------------------------------------------------ */
/* Raw JSON spans                                                     */

static size_t
skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'))
		i++;
	return (i);
}

/* Index just past the string starting at s[i] == '"', or len. */
static size_t
skip_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return (i + 1);
	}
	return (len);
}

static size_t
skip_value(const char *s, size_t len, size_t i)
{
	int depth = 0;

	if (i >= len)
		return (len);
	if (s[i] == '"')
		return (skip_string(s, len, i));
	if (s[i] != '[' && s[i] != '{') {
		while (i < len && s[i] != ',' && s[i] != '}' && s[i] != ']' &&
		    s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
			i++;
		return (i);
	}
	while (i < len) {
		if (s[i] == '"') {
			i = skip_string(s, len, i);
			continue;
		}
		if (s[i] == '[' || s[i] == '{')
			depth++;
		else if (s[i] == ']' || s[i] == '}') {
			if (--depth == 0)
				return (i + 1);
		}
		i++;
	}
	return (len);
}

int
codeutil_json_span(const char *json, size_t len, const char *key,
    size_t *off, size_t *vlen)
{
	size_t i = skip_ws(json, len, 0), ks, ke, vs, klen = strlen(key);

	if (i >= len || json[i] != '{')
		return (0);
	i++;
	for (;;) {
		i = skip_ws(json, len, i);
		if (i >= len || json[i] != '"')
			return (0);
		ks = i + 1;
		i = skip_string(json, len, i);
		ke = i - 1;
		i = skip_ws(json, len, i);
		if (i >= len || json[i] != ':')
			return (0);
		vs = skip_ws(json, len, i + 1);
		i = skip_value(json, len, vs);
		if (ke >= ks && ke - ks == klen &&
		    memcmp(json + ks, key, klen) == 0) {
			*off = vs;
			*vlen = i - vs;
			return (i > vs);
		}
		i = skip_ws(json, len, i);
		if (i >= len || json[i] != ',')
			return (0);
		i++;
	}
}

/* ------------------------------------------------------------------ */
/* The differential harness (HumanEval+, MBPP+)                       */

/*
 * Python run by the executor.  Expected outputs come from the reference
 * solution, run first in its own namespace; then the candidate runs on
 * the same inputs under per-input time limits, compared as evalplus
 * compares (exact, special oracles, float tolerance).  Any mismatch
 * raises AssertionError naming the phase and the input's index.
 */
static const char harness_head[] =
"import copy as _qcopy\n"
"import json as _qjson\n"
"import math as _qmath\n"
"import signal as _qsignal\n"
"import time as _qtime\n"
"\n"
"\n"
"class " CODEUTIL_TIME_LIMIT "(BaseException):\n"
"    pass\n"
"\n"
"\n"
"def _qalarm(signum, frame):\n"
"    raise " CODEUTIL_TIME_LIMIT "('per-input time limit')\n"
"\n"
"\n"
"def _qarm(seconds):\n"
"    try:\n"
"        _qsignal.signal(_qsignal.SIGALRM, _qalarm)\n"
"        _qsignal.setitimer(_qsignal.ITIMER_REAL, seconds)\n"
"    except (ValueError, OSError, AttributeError):\n"
"        pass\n"
"\n"
"\n"
"def _qdisarm():\n"
"    try:\n"
"        _qsignal.setitimer(_qsignal.ITIMER_REAL, 0)\n"
"    except (ValueError, OSError, AttributeError):\n"
"        pass\n"
"\n"
"\n"
"def _qtup(x):\n"
"    if isinstance(x, list):\n"
"        return tuple(_qtup(y) for y in x)\n"
"    return x\n"
"\n"
"\n"
"def _qconvert(num, inputs):\n"
"    # MBPP+ inputs that are tuples, sets or complex numbers in Python\n"
"    # but lists or strings in JSON, by task number.\n"
"    args_tuples = {2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424,\n"
"                   429, 470, 560, 579, 596, 616, 630, 726, 740, 744, 809}\n"
"    args_tuple_lists = {63, 64, 70, 94, 120, 237, 272, 299, 400, 409,\n"
"                        417, 438, 473, 614, 780}\n"
"    first_tuple_list = {75, 413, 444, 753}\n"
"    second_tuple = {106, 750}\n"
"    first_tuple = {250, 405, 446, 617, 720, 763, 808}\n"
"    nested = {259, 401, 445}\n"
"    if num in args_tuples:\n"
"        return [[tuple(a) for a in inp] for inp in inputs]\n"
"    if num in args_tuple_lists:\n"
"        return [[[tuple(b) for b in a] for a in inp] for inp in inputs]\n"
"    if num in first_tuple_list:\n"
"        return [[[tuple(b) for b in inp[0]], inp[1]] for inp in inputs]\n"
"    if num in second_tuple:\n"
"        return [[inp[0], tuple(inp[1])] for inp in inputs]\n"
"    if num == 115:\n"
"        return [[[set(b) if isinstance(b, list) and len(b) else {}\n"
"                  for b in inp[0]]] for inp in inputs]\n"
"    if num == 124:\n"
"        return [(float(inp[0]), complex(inp[1])) for inp in inputs]\n"
"    if num in first_tuple:\n"
"        return [[tuple(inp[0])] + [inp[1]] for inp in inputs]\n"
"    if num in nested:\n"
"        return [[tuple(tuple(b) for b in a) for a in inp]\n"
"                for inp in inputs]\n"
"    if num == 278:\n"
"        return [[tuple(tuple(b) if isinstance(b, list) else b\n"
"                       for b in inp[0])] for inp in inputs]\n"
"    if num == 307:\n"
"        return [[tuple(inp[0]), inp[1], inp[2]] for inp in inputs]\n"
"    if num == 722:\n"
"        return [[{k: tuple(v) for k, v in inp[0].items()}] + inp[1:]\n"
"                for inp in inputs]\n"
"    if num == 252:\n"
"        return [[complex(inp[0])] for inp in inputs]\n"
"    if num in (580, 615, 791):\n"
"        return [_qtup(inp) for inp in inputs]\n"
"    return inputs\n"
"\n"
"\n"
"_QSETEQ = ('similar_elements', 'find_char_long',\n"
"           'common_in_nested_lists', 'extract_singly', 'larg_nnum',\n"
"           'intersection_array', 'find_dissimilar', 'Diff')\n"
"_QNOTNONE = ('check_str', 'text_match_three', 'text_starta_endb')\n"
"\n"
"\n"
"def _qpoly(xs, x):\n"
"    return sum(c * _qmath.pow(x, i) for i, c in enumerate(xs))\n"
"\n"
"\n"
"def _qsurface(edge, height):\n"
"    slant = _qmath.sqrt((edge / 2) ** 2 + height ** 2)\n"
"    return round(edge ** 2 + 2 * edge * slant)\n"
"\n"
"\n"
"def _qdigits(a, b):\n"
"    x, y = str(a), str(b)\n"
"    w = max(len(x), len(y))\n"
"    return sum(abs(int(p) - int(q)) for p, q in zip(x.zfill(w),\n"
"                                                    y.zfill(w)))\n"
"\n"
"\n"
"def _qfloats(x):\n"
"    if isinstance(x, float):\n"
"        return True\n"
"    if isinstance(x, (list, tuple)) and x:\n"
"        return all(isinstance(y, float) for y in x)\n"
"    return False\n"
"\n"
"\n"
"def _qclose(a, b, atol):\n"
"    if isinstance(b, (list, tuple)):\n"
"        if not isinstance(a, (list, tuple)) or len(a) != len(b):\n"
"            return False\n"
"        return all(_qclose(x, y, atol) for x, y in zip(a, b))\n"
"    try:\n"
"        return bool(a == b or abs(a - b) <= atol + 1e-07 * abs(b))\n"
"    except Exception:\n"
"        return False\n"
"\n"
"\n"
"def _qsame(ds, entry, inp, out, exp, atol):\n"
"    # Returns (verdict, atol): evalplus's comparison of one output.\n"
"    try:\n"
"        exact = bool(out == exp)\n"
"    except Exception:\n"
"        exact = False\n"
"    if ds == 'mbpp':\n"
"        if entry == 'are_equivalent':\n"
"            exact = True\n"
"        elif entry == 'sum_div':\n"
"            exact = exact or out == 0\n"
"        elif entry == 'surface_Area':\n"
"            exact = exact or abs(out - _qsurface(*inp)) <= atol\n"
"        elif entry == 'digit_distance_nums':\n"
"            exact = exact or out == _qdigits(*inp)\n"
"        elif entry in _QSETEQ:\n"
"            exact = set(out) == set(exp)\n"
"        elif entry in _QNOTNONE:\n"
"            if isinstance(out, bool):\n"
"                exact = out == exp\n"
"            else:\n"
"                exact = exp == (out is not None)\n"
"    if ds == 'humaneval' and entry == 'find_zero':\n"
"        return abs(_qpoly(*inp, out)) <= atol, atol\n"
"    if atol == 0 and _qfloats(exp):\n"
"        atol = 1e-6\n"
"    if not exact and atol != 0:\n"
"        if type(out) != type(exp):\n"
"            return False, atol\n"
"        return _qclose(out, exp, atol), atol\n"
"    return exact, atol\n"
"\n"
"\n"
"def _qcheck(ds, num, entry, atol, phase, inputs, reference, candidate,\n"
"            factor, minimum, task_limit):\n"
"    if ds == 'mbpp':\n"
"        inputs = _qconvert(num, inputs)\n"
"    ref = {}\n"
"    exec(compile(reference, '<reference>', 'exec'), ref)\n"
"    ref_fn = ref[entry]\n"
"    expected = []\n"
"    limits = []\n"
"    for i, inp in enumerate(inputs):\n"
"        args = _qcopy.deepcopy(inp)\n"
"        t0 = _qtime.perf_counter()\n"
"        try:\n"
"            out = ref_fn(*args)\n"
"        except Exception as e:\n"
"            raise RuntimeError('%s input %d: the reference solution '\n"
"                               'failed: %r' % (phase, i, e))\n"
"        dt = _qtime.perf_counter() - t0\n"
"        if ds == 'mbpp' and entry in _QNOTNONE:\n"
"            out = out is not None\n"
"        expected.append(out)\n"
"        limits.append(max(minimum, factor * dt))\n"
"    budget = min(task_limit, sum(limits)) + 1\n"
"    cand = {}\n"
"    exec(compile(candidate, '<candidate>', 'exec'), cand)\n"
"    if entry not in cand:\n"
"        raise NameError('%s: the candidate does not define %s'\n"
"                        % (phase, entry))\n"
"    fn = cand[entry]\n"
"    start = _qtime.perf_counter()\n"
"    for i, inp in enumerate(inputs):\n"
"        left = budget - (_qtime.perf_counter() - start)\n"
"        if left <= 0:\n"
"            raise " CODEUTIL_TIME_LIMIT "('%s input %d: the time limit of "
"the '\n"
"                                    'task is spent' % (phase, i))\n"
"        args = _qcopy.deepcopy(inp)\n"
"        _qarm(min(limits[i], left))\n"
"        try:\n"
"            out = fn(*args)\n"
"        except " CODEUTIL_TIME_LIMIT ":\n"
"            raise " CODEUTIL_TIME_LIMIT "('%s input %d: over %.2f s'\n"
"                                    % (phase, i, limits[i]))\n"
"        finally:\n"
"            _qdisarm()\n"
"        ok, atol = _qsame(ds, entry, inp, out, expected[i], atol)\n"
"        if not ok:\n"
"            raise AssertionError('%s input %d: wrong output' % (phase, i))\n"
"\n"
"\n";

static void
py_num(struct qp_buf *b, double v)
{
	qp_buf_addf(b, "%.17g", v);
}

void
codeutil_diff_program(struct qp_buf *b, const struct codeutil_diff *d)
{
	qp_buf_adds(b, harness_head);
	qp_buf_adds(b, "_qcheck(");
	codeutil_py_str(b, d->dataset, strlen(d->dataset));
	qp_buf_addf(b, ", %d, ", d->task_num);
	codeutil_py_str(b, d->entry, strlen(d->entry));
	qp_buf_adds(b, ", ");
	qp_buf_adds(b, d->atol != NULL && d->atol[0] != '\0' ? d->atol : "0");
	qp_buf_adds(b, ", ");
	codeutil_py_str(b, d->phase, strlen(d->phase));
	qp_buf_adds(b, ",\n        _qjson.loads(");
	codeutil_py_str(b, d->inputs_json, d->inputs_len);
	qp_buf_adds(b, "),\n        ");
	codeutil_py_str(b, d->reference, strlen(d->reference));
	qp_buf_adds(b, ",\n        ");
	codeutil_py_str(b, d->candidate, strlen(d->candidate));
	qp_buf_adds(b, ",\n        ");
	py_num(b, d->factor);
	qp_buf_adds(b, ", ");
	py_num(b, d->min_limit);
	qp_buf_adds(b, ", ");
	py_num(b, d->task_limit);
	qp_buf_adds(b, ")\n");
}

/* ------------------------------------------------------------------ */
/* Verdict wording                                                    */

const char *
codeutil_status_name(int status)
{
	switch (status) {
	case QEVAL_EXEC_PASSED:		return ("passed");
	case QEVAL_EXEC_FAILED:		return ("failed");
	case QEVAL_EXEC_TIMEOUT:	return ("timeout");
	case QEVAL_EXEC_OOM:		return ("oom");
	case QEVAL_EXEC_CRASHED:	return ("crashed");
	case QEVAL_EXEC_REFUSED:	return ("refused");
	default:			return ("unknown");
	}
}

void
codeutil_reason(int status, const char *detail, struct qp_buf *out)
{
	size_t len, i;

	qp_buf_reset(out);
	switch (status) {
	case QEVAL_EXEC_PASSED:
		qp_buf_adds(out, "passed");
		return;
	case QEVAL_EXEC_FAILED:
		qp_buf_adds(out, "failed");
		break;
	case QEVAL_EXEC_TIMEOUT:
		qp_buf_adds(out, "timed out");
		break;
	case QEVAL_EXEC_OOM:
		qp_buf_adds(out, "out of memory");
		break;
	case QEVAL_EXEC_CRASHED:
		qp_buf_adds(out, "crashed");
		break;
	case QEVAL_EXEC_REFUSED:
		qp_buf_adds(out, "code execution refused");
		break;
	default:
		qp_buf_addf(out, "unknown execution status %d", status);
		break;
	}
	if (detail == NULL)
		return;
	while (*detail == ' ' || *detail == '\n' || *detail == '\t')
		detail++;
	len = line_len(detail);
	if (len == 0)
		return;
	if (len > 160)
		len = 160;
	qp_buf_adds(out, ": ");
	for (i = 0; i < len; i++)
		qp_buf_add(out, (unsigned char)detail[i] < 0x20 ? " " :
		    detail + i, 1);
}

void
codeutil_json_kv(struct qp_buf *b, int *first, const char *key,
    const char *value)
{
	if (!*first)
		qp_buf_adds(b, ",");
	*first = 0;
	qp_buf_json_str(b, key);
	qp_buf_adds(b, ":");
	qp_buf_json_str(b, value != NULL ? value : "");
}

int
codeutil_opt_bool(const char *v, int def)
{
	if (v == NULL)
		return (def);
	if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "yes") == 0)
		return (1);
	if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "no") == 0)
		return (0);
	return (-1);
}

int
codeutil_opt_num(const char *v, double *out)
{
	char *end;
	double d;

	if (v == NULL)
		return (0);
	d = strtod(v, &end);
	if (end == v || *end != '\0' || !(d > 0) || d > 86400)
		return (-1);
	*out = d;
	return (0);
}

void
codeutil_add_stripped(struct qp_buf *b, const char *s)
{
	size_t len = strlen(s);

	while (len > 0 && strchr(" \t\r\n", *s) != NULL) {
		s++;
		len--;
	}
	while (len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL)
		len--;
	qp_buf_add(b, s, len);
}

int
codeutil_opt_limits(const struct qeval_host *h, struct qeval_ctx *ctx,
    const char *task, const char *what, struct codeutil_limits *lim)
{
	static const char *const numopt[] = { "timeout",
	    "gt_time_limit_factor", "min_time_limit", "timeout_per_task" };
	double *nums[4];
	int i;

	lim->timeout = 3.0;
	lim->factor = 4.0;
	lim->min_limit = 1.0;
	lim->task_limit = 60.0;
	nums[0] = &lim->timeout;
	nums[1] = &lim->factor;
	nums[2] = &lim->min_limit;
	nums[3] = &lim->task_limit;
	for (i = 0; i < 4; i++)
		if (codeutil_opt_num(h->opt(ctx, numopt[i]), nums[i]) != 0)
			return (h->fail(ctx, QEVAL_EINVAL, "%s: task option %s "
			    "needs %s, not '%s'", task, numopt[i], what,
			    h->opt(ctx, numopt[i])));
	return (QEVAL_OK);
}

double
codeutil_plus_timeout(const struct codeutil_limits *lim)
{
	return (2 * lim->task_limit + 2);
}

const char *
codeutil_text(const struct qeval_response *r, struct qp_buf *tmp)
{
	const char *t = r->text != NULL ? r->text : "";
	size_t len = r->text != NULL ? QEVAL_RESP_TEXT_LEN(r) : 0, i;

	if (memchr(t, '\0', len) == NULL)
		return (t);
	qp_buf_reset(tmp);
	qp_buf_add(tmp, t, len);
	if (!qp_buf_ok(tmp))
		return (NULL);
	for (i = 0; i < len; i++)
		if (tmp->buf[i] == '\0')
			tmp->buf[i] = CODEUTIL_NUL;
	return (tmp->buf);
}

/*
 * s as a JSON string literal, as qp_buf_json_str() writes it, except
 * that CODEUTIL_NUL is the NUL byte it stood for ("\u0000").
 */
static void
json_program(struct qp_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;

	qp_buf_add(b, "\"", 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':  qp_buf_add(b, "\\\"", 2); break;
		case '\\': qp_buf_add(b, "\\\\", 2); break;
		case '\n': qp_buf_add(b, "\\n", 2); break;
		case '\r': qp_buf_add(b, "\\r", 2); break;
		case '\t': qp_buf_add(b, "\\t", 2); break;
		default:
			if (*p < 0x20 || *p == (unsigned char)CODEUTIL_NUL) {
				unsigned c = *p < 0x20 ? *p : 0;
				char u[6] = { '\\', 'u', '0', '0',
				    hex[c >> 4], hex[c & 15] };

				qp_buf_add(b, u, 6);
			} else
				qp_buf_add(b, (const char *)p, 1);
		}
	}
	qp_buf_add(b, "\"", 1);
}

void
codeutil_exec_body(struct qp_buf *b, const struct qp_buf *prog,
    double timeout)
{
	qp_buf_adds(b, "{\"program\":");
	json_program(b, qp_buf_str(prog) ? qp_buf_str(prog) : "");
	qp_buf_addf(b, ",\"timeout\":%.3f}", timeout);
}

int
codeutil_timed_out(const struct qeval_response *r)
{
	return (r->status == QEVAL_EXEC_TIMEOUT || (r->text != NULL &&
	    strstr(r->text, CODEUTIL_TIME_LIMIT) != NULL));
}

/* The last run: the plus run when there was one, else the first. */
static const struct qeval_response *
last_run(int plus, const struct qeval_exchange *ex, size_t nex)
{
	if (plus && nex >= 3 && ex[2].req.kind == QEVAL_REQ_EXEC)
		return (&ex[2].resp);
	return (&ex[1].resp);
}

void
codeutil_exec_verdict(const struct codeutil_exec *e,
    const struct qeval_exchange *ex, size_t nex, struct qeval_verdict *out,
    struct qp_buf *reason)
{
	const struct qeval_response *run = &ex[1].resp;
	const struct qeval_response *last = last_run(e->plus, ex, nex);
	int base_ok, plus_ok = 0;

	base_ok = run->status == QEVAL_EXEC_PASSED;
	if (e->plus) {
		if (last != run)
			plus_ok = base_ok && last->status == QEVAL_EXEC_PASSED;
		out->values[CU_M_BASE] = base_ok ? 1.0 : 0.0;
		out->values[CU_M_PASS] = e->base_only ? NAN : plus_ok ? 1.0 :
		    0.0;
	} else
		out->values[CU_M_PASS] = base_ok ? 1.0 : 0.0;
	if (run->status == QEVAL_EXEC_REFUSED)
		out->values[CU_M_PASS] = out->values[CU_M_BASE] = NAN;
	if (ex[0].resp.finish_reason != NULL &&
	    strcmp(ex[0].resp.finish_reason, "length") == 0)
		out->flags |= QEVAL_VF_TRUNCATED;
	if (codeutil_timed_out(run) || codeutil_timed_out(last))
		out->flags |= QEVAL_VF_TIMEOUT;
	if (e->mode == CU_EMPTY)
		out->flags |= QEVAL_VF_INVALID;
	if (e->mode == CU_ALIAS)
		out->flags |= QEVAL_VF_NAME_FIXED;
	/* the reason: the verdict of the last program that ran */
	codeutil_reason(last->status, last->text, reason);
	if (e->plus && base_ok && !e->base_only && nex < 3)
		qp_buf_adds(reason, " (base only)");
	if (e->plus && !base_ok)
		qp_buf_adds(reason, " (base inputs)");
	if (e->mode == CU_ALIAS)
		qp_buf_addf(reason, "; name mismatch resolved: %s -> %s",
		    e->fixed, e->entry);
	if (e->mode == CU_EMPTY)
		qp_buf_adds(reason, "; no code in the answer");
	out->reason = qp_buf_str(reason);
}

/* A program's detail by its length: an exception's message may hold
 * NUL bytes, written as "\u0000". */
static void
exec_kv(struct qp_buf *d, int *first, const char *key,
    const struct qeval_response *r)
{
	if (!*first)
		qp_buf_adds(d, ",");
	*first = 0;
	qp_buf_json_str(d, key);
	qp_buf_adds(d, ":");
	if (r->text != NULL)
		qp_buf_json_strn(d, r->text, QEVAL_RESP_TEXT_LEN(r));
	else
		qp_buf_adds(d, "\"\"");
}

void
codeutil_exec_detail(struct qp_buf *d, int *first, int plus,
    const struct qeval_exchange *ex, size_t nex)
{
	const struct qeval_response *run = &ex[1].resp;
	const struct qeval_response *last = last_run(plus, ex, nex);

	codeutil_json_kv(d, first, plus ? "base" : "status",
	    codeutil_status_name(run->status));
	exec_kv(d, first, plus ? "base_detail" : "exec_detail", run);
	if (plus && last != run) {
		codeutil_json_kv(d, first, "plus",
		    codeutil_status_name(last->status));
		exec_kv(d, first, "plus_detail", last);
	}
}

struct cJSON *
codeutil_json_parse(const char *json, size_t len)
{
	static const char *const tok[] = { "-Infinity", "Infinity", "NaN",
	    NULL };
	struct cJSON *doc = cJSON_ParseWithLength(json, len);
	char *copy;
	size_t i, k, n;

	if (doc != NULL)
		return (doc);
	/* Python's json writes NaN and Infinity; cJSON refuses them. */
	copy = codeutil_strndup(json, len);
	if (copy == NULL)
		return (NULL);
	for (i = 0; i < len; i++) {
		if (copy[i] == '"') {
			i = skip_string(copy, len, i) - 1;
			continue;
		}
		for (k = 0; tok[k] != NULL; k++) {
			n = strlen(tok[k]);
			if (len - i >= n && memcmp(copy + i, tok[k], n) == 0) {
				memcpy(copy + i, "null", 4);
				memset(copy + i + 4, ' ', n - 4);
				i += n - 1;
				break;
			}
		}
	}
	doc = cJSON_ParseWithLength(copy, len);
	free(copy);
	return (doc);
}
