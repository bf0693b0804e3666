/*
 * bfcl_ast: values, JSON and Python-literal parsers, printers and the
 * AST checker of the bfcl plugin.  See bfcl_ast.h.
 *
 * The checker follows the Berkeley Function Calling Leaderboard's
 * ast_checker.py rule by rule (simple/multiple/parallel routing, the
 * type checker with its one level of nested item types and its
 * "variable" escape, string standardisation, dict and list-of-dict
 * checkers, optional parameters marked by "" in the acceptable list),
 * and names its errors as BFCL does.  Nothing here evaluates model
 * output: the Python subset is read by a recursive-descent parser.
 */
#include "config.h"
#include "bfcl_ast.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Values                                                             */

void
bv_free(struct bv *v)
{
	size_t i, n;

	if (v == NULL)
		return;
	free(v->s);
	n = v->kind == BV_DICT ? v->n * 2 : v->n;
	if (v->items != NULL)
		for (i = 0; i < n; i++)
			bv_free(&v->items[i]);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

static int
is_num(const struct bv *v)
{
	return (v->kind == BV_BOOL || v->kind == BV_INT ||
	    v->kind == BV_FLOAT);
}

static const struct bv *
dict_find(const struct bv *d, const struct bv *key)
{
	size_t i;

	if (d == NULL || d->kind != BV_DICT)
		return (NULL);
	for (i = 0; i < d->n; i++)
		if (bv_py_eq(&d->items[2 * i], key))
			return (&d->items[2 * i + 1]);
	return (NULL);
}

int
bv_py_eq(const struct bv *a, const struct bv *b)
{
	size_t i;

	if (is_num(a) && is_num(b)) {
		if (a->kind == BV_FLOAT || b->kind == BV_FLOAT) {
			double x = a->kind == BV_FLOAT ? a->f : (double)a->i;
			double y = b->kind == BV_FLOAT ? b->f : (double)b->i;

			return (x == y);
		}
		return (a->i == b->i);
	}
	if (a->kind != b->kind)
		return (0);
	switch (a->kind) {
	case BV_NONE:
		return (1);
	case BV_STR:
		return (a->len == b->len && memcmp(a->s, b->s, a->len) == 0);
	case BV_LIST:
	case BV_TUPLE:
		if (a->n != b->n)
			return (0);
		for (i = 0; i < a->n; i++)
			if (!bv_py_eq(&a->items[i], &b->items[i]))
				return (0);
		return (1);
	case BV_DICT:
		if (a->n != b->n)
			return (0);
		for (i = 0; i < a->n; i++) {
			const struct bv *o = dict_find(b, &a->items[2 * i]);

			if (o == NULL || !bv_py_eq(&a->items[2 * i + 1], o))
				return (0);
		}
		return (1);
	default:
		return (0);
	}
}

int
bv_is_str(const struct bv *v, const char *s)
{
	size_t n = strlen(s);

	return (v != NULL && v->kind == BV_STR && v->len == n &&
	    memcmp(v->s, s, n) == 0);
}

const struct bv *
bv_get(const struct bv *d, const char *key)
{
	size_t i;

	if (d == NULL || d->kind != BV_DICT)
		return (NULL);
	for (i = 0; i < d->n; i++)
		if (bv_is_str(&d->items[2 * i], key))
			return (&d->items[2 * i + 1]);
	return (NULL);
}

const char *
bv_type_name(const struct bv *v)
{
	static const char *const names[] = { "NoneType", "bool", "int",
	    "float", "str", "list", "tuple", "dict" };

	return (names[v->kind]);
}

/* A growable array of values, for the parsers. */
struct vec {
	struct bv	*v;
	size_t		 n, alloc;
};

static int
vec_push(struct vec *a, struct bv *x)
{
	if (a->n == a->alloc) {
		size_t na = a->alloc ? a->alloc * 2 : 8;
		struct bv *nv = realloc(a->v, na * sizeof(*nv));

		if (nv == NULL)
			return (-1);
		a->v = nv;
		a->alloc = na;
	}
	a->v[a->n++] = *x;
	memset(x, 0, sizeof(*x));
	return (0);
}

static void
vec_free(struct vec *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		bv_free(&a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* Moves the vector into v as a container of kind k (n items). */
static void
vec_take(struct vec *a, struct bv *v, enum bv_kind k, size_t n)
{
	memset(v, 0, sizeof(*v));
	v->kind = k;
	v->items = a->v;
	v->n = n;
	memset(a, 0, sizeof(*a));
}

/*
 * Puts key/value into the pairs vector of a dict under construction:
 * an equal key keeps its place and takes the new value (Python).
 */
static int
dict_put(struct vec *pairs, struct bv *k, struct bv *val, int *dup)
{
	size_t i;

	*dup = 0;
	for (i = 0; i + 1 < pairs->n; i += 2)
		if (bv_py_eq(&pairs->v[i], k)) {
			bv_free(&pairs->v[i + 1]);
			pairs->v[i + 1] = *val;
			memset(val, 0, sizeof(*val));
			bv_free(k);
			*dup = 1;
			return (0);
		}
	if (pairs->n / 2 >= BV_MAX_DICT)
		return (-2);
	if (vec_push(pairs, k) < 0 || vec_push(pairs, val) < 0)
		return (-1);
	return (0);
}

static void
utf8_put(struct qp_buf *b, uint32_t cp)
{
	char u[4];

	if (cp < 0x80) {
		u[0] = (char)cp;
		qp_buf_add(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		qp_buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		qp_buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		qp_buf_add(b, u, 4);
	}
}

/* Decodes one code point; an invalid byte reads as itself. */
static uint32_t
utf8_get(const unsigned char *s, size_t len, size_t *pos)
{
	size_t p = *pos, need, k;
	uint32_t cp;
	unsigned char c = s[p];

	if (c < 0x80) {
		*pos = p + 1;
		return (c);
	}
	if ((c & 0xe0) == 0xc0) {
		need = 1;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		need = 2;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		need = 3;
		cp = c & 0x07;
	} else {
		*pos = p + 1;
		return (c);
	}
	for (k = 1; k <= need; k++) {
		if (p + k >= len || (s[p + k] & 0xc0) != 0x80) {
			*pos = p + 1;
			return (c);
		}
		cp = (cp << 6) | (s[p + k] & 0x3f);
	}
	*pos = p + need + 1;
	return (cp);
}

/* Makes v a str from the bytes gathered in b (b is emptied). */
static int
take_str(struct qp_buf *b, struct bv *v)
{
	memset(v, 0, sizeof(*v));
	v->kind = BV_STR;
	if (!qp_buf_ok(b))
		return (-1);
	if (b->buf == NULL) {
		v->s = calloc(1, 1);
		if (v->s == NULL)
			return (-1);
		return (0);
	}
	v->s = b->buf;
	v->len = b->len;
	b->buf = NULL;
	b->len = b->alloc = 0;
	return (0);
}

/* ------------------------------------------------------------------ */
/* JSON                                                               */

struct jp {
	const char	*s;
	size_t		 len, pos;
	int		 depth;
	struct qp_buf	*err;
};

static void
jp_ws(struct jp *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' ||
	    p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
	    p->s[p->pos] == '\r'))
		p->pos++;
}

static int
jp_fail(struct jp *p, const char *what)
{
	if (p->err->len == 0)
		qp_buf_addf(p->err, "%s at char %zu", what, p->pos);
	return (-1);
}

/* The value of n hex digits (JSON and Python escapes): 0, or -1. */
static int
hexn(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return (-1);
	}
	*out = v;
	return (0);
}

static int
jp_string(struct jp *p, struct bv *out)
{
	struct qp_buf b = QP_BUF_INIT;
	size_t start;

	p->pos++;	/* the opening quote */
	for (;;) {
		unsigned char c;

		start = p->pos;
		while (p->pos < p->len && p->s[p->pos] != '"' &&
		    p->s[p->pos] != '\\' &&
		    (unsigned char)p->s[p->pos] >= 0x20)
			p->pos++;
		qp_buf_add(&b, p->s + start, p->pos - start);
		if (p->pos >= p->len) {
			qp_buf_free(&b);
			return (jp_fail(p, "unterminated string"));
		}
		c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20) {
			qp_buf_free(&b);
			return (jp_fail(p, "invalid control character in "
			    "string"));
		}
		/* backslash */
		if (p->pos + 1 >= p->len) {
			qp_buf_free(&b);
			return (jp_fail(p, "unterminated string"));
		}
		c = (unsigned char)p->s[p->pos + 1];
		p->pos += 2;
		switch (c) {
		case '"':  qp_buf_add(&b, "\"", 1); break;
		case '\\': qp_buf_add(&b, "\\", 1); break;
		case '/':  qp_buf_add(&b, "/", 1); break;
		case 'b':  qp_buf_add(&b, "\b", 1); break;
		case 'f':  qp_buf_add(&b, "\f", 1); break;
		case 'n':  qp_buf_add(&b, "\n", 1); break;
		case 'r':  qp_buf_add(&b, "\r", 1); break;
		case 't':  qp_buf_add(&b, "\t", 1); break;
		case 'u': {
			uint32_t cp, lo;

			if (p->pos + 4 > p->len ||
			    hexn(p->s + p->pos, 4, &cp)) {
				qp_buf_free(&b);
				return (jp_fail(p, "invalid \\u escape"));
			}
			p->pos += 4;
			if (cp >= 0xd800 && cp < 0xdc00 &&
			    p->pos + 6 <= p->len && p->s[p->pos] == '\\' &&
			    p->s[p->pos + 1] == 'u' &&
			    hexn(p->s + p->pos + 2, 4, &lo) == 0 &&
			    lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p->pos += 6;
			}
			utf8_put(&b, cp);
			break;
		}
		default:
			qp_buf_free(&b);
			return (jp_fail(p, "invalid escape"));
		}
	}
	if (take_str(&b, out) < 0) {
		qp_buf_free(&b);
		return (jp_fail(p, "out of memory"));
	}
	return (0);
}

static int
jp_number(struct jp *p, struct bv *out)
{
	size_t start = p->pos;
	int isf = 0;
	char tmp[64];
	char *end;
	size_t n;

	if (p->s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->s[p->pos] == 'I') {
		if (p->len - p->pos >= 8 &&
		    memcmp(p->s + p->pos, "Infinity", 8) == 0) {
			p->pos += 8;
			memset(out, 0, sizeof(*out));
			out->kind = BV_FLOAT;
			out->f = p->s[start] == '-' ? -INFINITY : INFINITY;
			return (0);
		}
		return (jp_fail(p, "invalid number"));
	}
	if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
		return (jp_fail(p, "invalid number"));
	if (p->s[p->pos] == '0')
		p->pos++;
	else
		while (p->pos < p->len && p->s[p->pos] >= '0' &&
		    p->s[p->pos] <= '9')
			p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '.') {
		isf = 1;
		p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' ||
		    p->s[p->pos] > '9')
			return (jp_fail(p, "invalid number"));
		while (p->pos < p->len && p->s[p->pos] >= '0' &&
		    p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		isf = 1;
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' ||
		    p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' ||
		    p->s[p->pos] > '9')
			return (jp_fail(p, "invalid number"));
		while (p->pos < p->len && p->s[p->pos] >= '0' &&
		    p->s[p->pos] <= '9')
			p->pos++;
	}
	n = p->pos - start;
	if (n >= sizeof(tmp)) {
		if (!isf)
			return (jp_fail(p, "integer too large"));
		n = sizeof(tmp) - 1;	/* a float this long loses nothing
					 * that matters */
	}
	memcpy(tmp, p->s + start, n);
	tmp[n] = '\0';
	memset(out, 0, sizeof(*out));
	errno = 0;
	if (isf) {
		out->kind = BV_FLOAT;
		out->f = strtod(tmp, &end);
	} else {
		out->kind = BV_INT;
		out->i = strtoll(tmp, &end, 10);
		if (errno == ERANGE)
			return (jp_fail(p, "integer too large"));
	}
	return (0);
}

static int jp_value(struct jp *, struct bv *);

static int
jp_container(struct jp *p, struct bv *out, int obj)
{
	struct vec items = { NULL, 0, 0 };
	struct bv k, v;
	int dup, rc;

	if (++p->depth > BV_MAX_DEPTH)
		return (jp_fail(p, "nested too deeply"));
	p->pos++;
	jp_ws(p);
	if (p->pos < p->len && p->s[p->pos] == (obj ? '}' : ']')) {
		p->pos++;
		p->depth--;
		vec_take(&items, out, obj ? BV_DICT : BV_LIST, 0);
		return (0);
	}
	for (;;) {
		memset(&k, 0, sizeof(k));
		memset(&v, 0, sizeof(v));
		jp_ws(p);
		if (obj) {
			if (p->pos >= p->len || p->s[p->pos] != '"') {
				vec_free(&items);
				return (jp_fail(p, "expected a string key"));
			}
			if (jp_string(p, &k) < 0) {
				vec_free(&items);
				return (-1);
			}
			jp_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':') {
				bv_free(&k);
				vec_free(&items);
				return (jp_fail(p, "expected ':'"));
			}
			p->pos++;
		}
		if (jp_value(p, &v) < 0) {
			bv_free(&k);
			vec_free(&items);
			return (-1);
		}
		if (obj) {
			rc = dict_put(&items, &k, &v, &dup);
			if (rc < 0) {
				bv_free(&k);
				bv_free(&v);
				vec_free(&items);
				return (jp_fail(p, rc == -2 ? "too many keys" :
				    "out of memory"));
			}
		} else if (vec_push(&items, &v) < 0) {
			bv_free(&v);
			vec_free(&items);
			return (jp_fail(p, "out of memory"));
		}
		jp_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == (obj ? '}' : ']')) {
			p->pos++;
			break;
		}
		vec_free(&items);
		return (jp_fail(p, obj ? "expected ',' or '}'" :
		    "expected ',' or ']'"));
	}
	p->depth--;
	vec_take(&items, out, obj ? BV_DICT : BV_LIST,
	    obj ? items.n / 2 : items.n);
	return (0);
}

static int
jp_word(struct jp *p, const char *w)
{
	size_t n = strlen(w);

	if (p->len - p->pos >= n && memcmp(p->s + p->pos, w, n) == 0) {
		p->pos += n;
		return (1);
	}
	return (0);
}

static int
jp_value(struct jp *p, struct bv *out)
{
	char c;

	memset(out, 0, sizeof(*out));
	jp_ws(p);
	if (p->pos >= p->len)
		return (jp_fail(p, "unexpected end of JSON"));
	c = p->s[p->pos];
	if (c == '{' || c == '[')
		return (jp_container(p, out, c == '{'));
	if (c == '"')
		return (jp_string(p, out));
	if (c == '-' || (c >= '0' && c <= '9') || c == 'I')
		return (jp_number(p, out));
	if (jp_word(p, "true")) {
		out->kind = BV_BOOL;
		out->i = 1;
		return (0);
	}
	if (jp_word(p, "false")) {
		out->kind = BV_BOOL;
		return (0);
	}
	if (jp_word(p, "null")) {
		out->kind = BV_NONE;
		return (0);
	}
	if (jp_word(p, "NaN")) {
		out->kind = BV_FLOAT;
		out->f = NAN;
		return (0);
	}
	return (jp_fail(p, "unexpected character"));
}

int
bv_json_parse(const char *s, size_t len, struct bv *out, struct qp_buf *err)
{
	struct jp p = { s, len, 0, 0, err };

	qp_buf_reset(err);
	if (jp_value(&p, out) < 0) {
		bv_free(out);
		return (-1);
	}
	jp_ws(&p);
	if (p.pos != len) {
		bv_free(out);
		return (jp_fail(&p, "extra data after the JSON value"));
	}
	return (0);
}

/* ------------------------------------------------------------------ */
/* The Python literal subset                                          */

struct pp {
	const char	*s;
	size_t		 len, pos;
	int		 depth;
	int		 eval;	/* inside a BinOp: Python's eval() rules */
	struct qp_buf	*err;
	size_t		 work;	/* what arithmetic has built so far */
};

/*
 * What kind of Python AST node a value was read from: BFCL's
 * resolve_ast_by_type() treats them differently (a Name is its
 * string, a UnaryOp is -operand.value, a BinOp is eval()ed).
 */
enum node { N_CONST, N_ELLIPSIS, N_NAME, N_OTHER, N_UNARY, N_UNARY_BAD,
	N_BINOP };

static int
pp_fail(struct pp *p, const char *what)
{
	if (p->err->len == 0)
		qp_buf_addf(p->err, "%s at char %zu", what, p->pos);
	return (-1);
}

static void
pp_ws(struct pp *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\f')
			p->pos++;
		else if (c == '\\' && p->pos + 1 < p->len &&
		    p->s[p->pos + 1] == '\n')
			p->pos += 2;
		else if (c == '#') {
			while (p->pos < p->len && p->s[p->pos] != '\n')
				p->pos++;
		} else
			break;
	}
}

static int
id_start(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    c == '_' || c >= 0x80);
}

static int
id_char(unsigned char c)
{
	return (id_start(c) || (c >= '0' && c <= '9'));
}

/* Length of the identifier at pos (0 if none). */
static size_t
pp_ident(const struct pp *p, size_t pos)
{
	size_t q = pos;

	if (q >= p->len || !id_start((unsigned char)p->s[q]))
		return (0);
	while (q < p->len && id_char((unsigned char)p->s[q]))
		q++;
	return (q - pos);
}

static int
word_is(const char *s, size_t n, const char *w)
{
	return (strlen(w) == n && memcmp(s, w, n) == 0);
}

static int
is_keyword(const char *s, size_t n)
{
	static const char *const kw[] = { "and", "as", "assert", "async",
	    "await", "break", "class", "continue", "def", "del", "elif",
	    "else", "except", "finally", "for", "from", "global", "if",
	    "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass",
	    "raise", "return", "try", "while", "with", "yield", NULL };
	int i;

	for (i = 0; kw[i] != NULL; i++)
		if (word_is(s, n, kw[i]))
			return (1);
	return (0);
}

/*
 * If a string literal starts at pos (an optional prefix, then a
 * quote), returns the prefix length + 1 and sets *raw; -1 for a prefix
 * this parser refuses (bytes, f-strings); 0 if no string starts there.
 */
static int
str_start(const struct pp *p, size_t pos, int *raw)
{
	size_t n = pp_ident(p, pos), i;

	*raw = 0;
	if (pos < p->len && (p->s[pos] == '\'' || p->s[pos] == '"'))
		return (1);
	if (n == 0 || n > 2 || pos + n >= p->len ||
	    (p->s[pos + n] != '\'' && p->s[pos + n] != '"'))
		return (0);
	for (i = 0; i < n; i++) {
		char c = p->s[pos + i];

		if (c == 'r' || c == 'R')
			*raw = 1;
		else if (c == 'u' || c == 'U') {
			if (n != 1)
				return (-1);
		} else if (c == 'b' || c == 'B' || c == 'f' || c == 'F')
			return (-1);
		else
			return (0);
	}
	return ((int)n + 1);
}

static int
oct_digit(char c)
{
	return (c >= '0' && c <= '7');
}

/* One string literal body into b; pos is at the quote. */
static int
pp_str1(struct pp *p, int raw, struct qp_buf *b)
{
	char q = p->s[p->pos];
	int triple = 0;

	if (p->pos + 2 < p->len && p->s[p->pos + 1] == q &&
	    p->s[p->pos + 2] == q) {
		triple = 1;
		p->pos += 3;
	} else
		p->pos++;
	for (;;) {
		char c;

		if (p->pos >= p->len)
			return (pp_fail(p, "unterminated string literal"));
		c = p->s[p->pos];
		if (c == q) {
			if (!triple) {
				p->pos++;
				return (0);
			}
			if (p->pos + 2 < p->len && p->s[p->pos + 1] == q &&
			    p->s[p->pos + 2] == q) {
				p->pos += 3;
				return (0);
			}
			qp_buf_add(b, &c, 1);
			p->pos++;
			continue;
		}
		if (c == '\n' && !triple)
			return (pp_fail(p, "unterminated string literal"));
		if (c != '\\') {
			qp_buf_add(b, &c, 1);
			p->pos++;
			continue;
		}
		if (p->pos + 1 >= p->len)
			return (pp_fail(p, "unterminated string literal"));
		c = p->s[p->pos + 1];
		if (raw) {
			/* The backslash stays; it only keeps a quote from
			 * ending the literal. */
			qp_buf_add(b, p->s + p->pos, 2);
			p->pos += 2;
			continue;
		}
		p->pos += 2;
		switch (c) {
		case '\n': break;
		case '\\': qp_buf_add(b, "\\", 1); break;
		case '\'': qp_buf_add(b, "'", 1); break;
		case '"':  qp_buf_add(b, "\"", 1); break;
		case 'a':  qp_buf_add(b, "\a", 1); break;
		case 'b':  qp_buf_add(b, "\b", 1); break;
		case 'f':  qp_buf_add(b, "\f", 1); break;
		case 'n':  qp_buf_add(b, "\n", 1); break;
		case 'r':  qp_buf_add(b, "\r", 1); break;
		case 't':  qp_buf_add(b, "\t", 1); break;
		case 'v':  qp_buf_add(b, "\v", 1); break;
		case 'x': case 'u': case 'U': {
			size_t n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
			uint32_t cp;

			if (p->pos + n > p->len ||
			    hexn(p->s + p->pos, n, &cp) || cp > 0x10ffff)
				return (pp_fail(p, "invalid escape in string"));
			p->pos += n;
			utf8_put(b, cp);
			break;
		}
		case 'N':
			return (pp_fail(p, "\\N{...} escapes are not "
			    "supported"));
		default:
			if (oct_digit(c)) {
				uint32_t cp = (uint32_t)(c - '0');
				int k;

				for (k = 0; k < 2 && p->pos < p->len &&
				    oct_digit(p->s[p->pos]); k++)
					cp = cp * 8 +
					    (uint32_t)(p->s[p->pos++] - '0');
				utf8_put(b, cp);
			} else {
				/* Unknown escapes keep their backslash. */
				qp_buf_add(b, "\\", 1);
				qp_buf_add(b, &c, 1);
			}
		}
	}
}

/* Adjacent literals concatenate ("a" 'b' == "ab"). */
static int
pp_string(struct pp *p, struct bv *out)
{
	struct qp_buf b = QP_BUF_INIT;
	int raw, k;

	for (;;) {
		k = str_start(p, p->pos, &raw);
		if (k < 0) {
			qp_buf_free(&b);
			return (pp_fail(p, "bytes and f-string literals are "
			    "not supported"));
		}
		if (k == 0)
			break;
		p->pos += (size_t)k - 1;
		if (pp_str1(p, raw, &b) < 0) {
			qp_buf_free(&b);
			return (-1);
		}
		pp_ws(p);
	}
	if (take_str(&b, out) < 0) {
		qp_buf_free(&b);
		return (pp_fail(p, "out of memory"));
	}
	return (0);
}

/* Digits with single underscores between them; -1 on a bad "_". */
static int
scan_digits(struct pp *p, struct qp_buf *t)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c == '_') {
			if (p->pos + 1 >= p->len || p->s[p->pos + 1] < '0' ||
			    p->s[p->pos + 1] > '9' || p->pos == 0 ||
			    p->s[p->pos - 1] < '0' || p->s[p->pos - 1] > '9')
				return (-1);
			p->pos++;
			continue;
		}
		if (c < '0' || c > '9')
			break;
		qp_buf_add(t, &c, 1);
		p->pos++;
	}
	return (0);
}

static int
pp_number(struct pp *p, struct bv *out, int neg)
{
	struct qp_buf t = QP_BUF_INIT;
	size_t start = p->pos;
	int isf = 0, base = 10;
	char *end;

	memset(out, 0, sizeof(*out));
	if (neg)
		qp_buf_add(&t, "-", 1);
	if (p->s[p->pos] == '0' && p->pos + 1 < p->len &&
	    strchr("xXoObB", p->s[p->pos + 1]) != NULL &&
	    p->s[p->pos + 1] != '\0') {
		char r = p->s[p->pos + 1];

		base = (r == 'x' || r == 'X') ? 16 : (r == 'o' || r == 'O') ?
		    8 : 2;
		p->pos += 2;
		while (p->pos < p->len && (id_char((unsigned char)
		    p->s[p->pos]))) {
			char c = p->s[p->pos++];

			if (c == '_')
				continue;
			qp_buf_add(&t, &c, 1);
		}
	} else {
		if (scan_digits(p, &t) < 0) {
			qp_buf_free(&t);
			return (pp_fail(p, "invalid number"));
		}
		if (p->pos < p->len && p->s[p->pos] == '.') {
			isf = 1;
			qp_buf_add(&t, ".", 1);
			p->pos++;
			if (scan_digits(p, &t) < 0) {
				qp_buf_free(&t);
				return (pp_fail(p, "invalid number"));
			}
		}
		if (p->pos < p->len && (p->s[p->pos] == 'e' ||
		    p->s[p->pos] == 'E') && p->pos > start) {
			isf = 1;
			qp_buf_add(&t, "e", 1);
			p->pos++;
			if (p->pos < p->len && (p->s[p->pos] == '+' ||
			    p->s[p->pos] == '-'))
				qp_buf_add(&t, p->s + p->pos++, 1);
			if (p->pos >= p->len || p->s[p->pos] < '0' ||
			    p->s[p->pos] > '9' || scan_digits(p, &t) < 0) {
				qp_buf_free(&t);
				return (pp_fail(p, "invalid number"));
			}
		}
		if (p->pos < p->len && (p->s[p->pos] == 'j' ||
		    p->s[p->pos] == 'J')) {
			qp_buf_free(&t);
			return (pp_fail(p, "complex numbers are not "
			    "supported"));
		}
	}
	if (p->pos < p->len && (id_char((unsigned char)p->s[p->pos]) ||
	    p->s[p->pos] == '.')) {
		qp_buf_free(&t);
		return (pp_fail(p, "invalid number"));
	}
	if (!qp_buf_ok(&t) || t.buf == NULL) {
		qp_buf_free(&t);
		return (pp_fail(p, "invalid number"));
	}
	errno = 0;
	if (isf) {
		if (strcmp(t.buf + neg, ".") == 0) {
			qp_buf_free(&t);
			return (pp_fail(p, "invalid number"));
		}
		out->kind = BV_FLOAT;
		out->f = strtod(t.buf, &end);
	} else {
		const char *d = t.buf + neg;

		/* Python refuses leading zeros in a decimal integer. */
		if (base == 10 && d[0] == '0' && d[strspn(d, "0")] != '\0') {
			qp_buf_free(&t);
			return (pp_fail(p, "leading zeros in a decimal "
			    "integer"));
		}
		out->kind = BV_INT;
		out->i = strtoll(t.buf, &end, base);
		if (errno == ERANGE || *end != '\0' || end == t.buf + neg) {
			qp_buf_free(&t);
			memset(out, 0, sizeof(*out));
			return (pp_fail(p, errno == ERANGE ? "integer too "
			    "large" : "invalid number"));
		}
	}
	qp_buf_free(&t);
	return (0);
}

static int pp_value(struct pp *, struct bv *);
static int pp_expr(struct pp *, struct bv *, enum node *);
static int pp_sum(struct pp *, struct bv *, enum node *);

#define UNARY_BAD	"a unary operator outside arithmetic applies to a " \
    "constant only (BFCL reads it as -operand.value)"

/* Hashable in Python: no list or dict inside. */
static int
hashable(const struct bv *v)
{
	size_t i;

	if (v->kind == BV_LIST || v->kind == BV_DICT)
		return (0);
	if (v->kind == BV_TUPLE)
		for (i = 0; i < v->n; i++)
			if (!hashable(&v->items[i]))
				return (0);
	return (1);
}

static int
pp_seq(struct pp *p, struct bv *out, char close, enum bv_kind kind,
    struct bv *first)
{
	struct vec items = { NULL, 0, 0 };
	struct bv v;

	if (first != NULL && vec_push(&items, first) < 0) {
		bv_free(first);
		return (pp_fail(p, "out of memory"));
	}
	for (;;) {
		pp_ws(p);
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			break;
		}
		if (first != NULL || items.n > 0) {
			if (p->pos >= p->len || p->s[p->pos] != ',') {
				vec_free(&items);
				return (pp_fail(p, "expected ',' or a closing "
				    "bracket"));
			}
			p->pos++;
			pp_ws(p);
			if (p->pos < p->len && p->s[p->pos] == close) {
				p->pos++;
				break;
			}
		}
		first = NULL;
		if (pp_value(p, &v) < 0) {
			vec_free(&items);
			return (-1);
		}
		if (vec_push(&items, &v) < 0) {
			bv_free(&v);
			vec_free(&items);
			return (pp_fail(p, "out of memory"));
		}
	}
	vec_take(&items, out, kind, items.n);
	return (0);
}

static int
pp_dict(struct pp *p, struct bv *out)
{
	struct vec pairs = { NULL, 0, 0 };
	struct bv k, v;
	int dup, rc;

	for (;;) {
		pp_ws(p);
		if (p->pos < p->len && p->s[p->pos] == '}') {
			p->pos++;
			break;
		}
		if (pairs.n > 0) {
			if (p->pos >= p->len || p->s[p->pos] != ',') {
				vec_free(&pairs);
				return (pp_fail(p, "expected ',' or '}'"));
			}
			p->pos++;
			pp_ws(p);
			if (p->pos < p->len && p->s[p->pos] == '}') {
				p->pos++;
				break;
			}
		}
		if (p->pos + 1 < p->len && p->s[p->pos] == '*' &&
		    p->s[p->pos + 1] == '*') {
			vec_free(&pairs);
			return (pp_fail(p, "'**' in a dict is not supported"));
		}
		if (pp_value(p, &k) < 0) {
			vec_free(&pairs);
			return (-1);
		}
		pp_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != ':') {
			bv_free(&k);
			vec_free(&pairs);
			return (pp_fail(p, "expected ':' (sets are not "
			    "supported)"));
		}
		p->pos++;
		if (!hashable(&k)) {
			bv_free(&k);
			vec_free(&pairs);
			return (pp_fail(p, "unhashable dict key"));
		}
		if (pp_value(p, &v) < 0) {
			bv_free(&k);
			vec_free(&pairs);
			return (-1);
		}
		rc = dict_put(&pairs, &k, &v, &dup);
		if (rc < 0) {
			bv_free(&k);
			bv_free(&v);
			vec_free(&pairs);
			return (pp_fail(p, rc == -2 ? "too many keys" :
			    "out of memory"));
		}
	}
	vec_take(&pairs, out, BV_DICT, pairs.n / 2);
	return (0);
}

/*
 * One atom: a literal, a name, or a bracketed display or group.  *node
 * says which AST node it is (a group passes its content's through).
 */
static int
pp_atom(struct pp *p, struct bv *out, enum node *node)
{
	size_t n;
	char c;
	int raw, rc, k;

	memset(out, 0, sizeof(*out));
	*node = N_OTHER;
	pp_ws(p);
	if (p->pos >= p->len)
		return (pp_fail(p, "unexpected end of input"));
	if (++p->depth > BV_MAX_DEPTH)
		return (pp_fail(p, "nested too deeply"));
	c = p->s[p->pos];
	k = str_start(p, p->pos, &raw);
	if (k != 0) {
		rc = pp_string(p, out);
		*node = N_CONST;
	} else if (c == '[') {
		p->pos++;
		rc = pp_seq(p, out, ']', BV_LIST, NULL);
	} else if (c == '(') {
		struct bv first;

		p->pos++;
		pp_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ')') {
			p->pos++;
			memset(out, 0, sizeof(*out));
			out->kind = BV_TUPLE;
			rc = 0;
		} else if (pp_expr(p, &first, node) < 0)
			rc = -1;
		else {
			pp_ws(p);
			if (p->pos < p->len && p->s[p->pos] == ')') {
				/* parentheses only group */
				p->pos++;
				*out = first;
				rc = 0;
			} else if (p->pos < p->len && p->s[p->pos] == ',') {
				if (*node == N_UNARY_BAD) {
					bv_free(&first);
					rc = pp_fail(p, UNARY_BAD);
				} else
					rc = pp_seq(p, out, ')', BV_TUPLE,
					    &first);
				*node = N_OTHER;
			} else {
				bv_free(&first);
				rc = pp_fail(p, "expected ',' or ')'");
			}
		}
	} else if (c == '{') {
		p->pos++;
		rc = pp_dict(p, out);
	} else if ((c >= '0' && c <= '9') || (c == '.' && p->pos + 1 <
	    p->len && p->s[p->pos + 1] >= '0' && p->s[p->pos + 1] <= '9')) {
		rc = pp_number(p, out, 0);
		*node = N_CONST;
	} else if (c == '.' && p->len - p->pos >= 3 &&
	    memcmp(p->s + p->pos, "...", 3) == 0) {
		/* Ellipsis: BFCL reads it as the string "...". */
		p->pos += 3;
		*node = N_ELLIPSIS;
		if (p->eval)
			rc = pp_fail(p, "Ellipsis in arithmetic is not "
			    "supported");
		else {
			out->kind = BV_STR;
			out->s = strdup("...");
			out->len = 3;
			rc = out->s != NULL ? 0 : pp_fail(p, "out of memory");
		}
	} else if ((n = pp_ident(p, p->pos)) > 0) {
		const char *w = p->s + p->pos;
		size_t after;

		*node = N_CONST;
		if (word_is(w, n, "True") || word_is(w, n, "False")) {
			out->kind = BV_BOOL;
			out->i = w[0] == 'T';
			p->pos += n;
			rc = 0;
		} else if (word_is(w, n, "None")) {
			out->kind = BV_NONE;
			p->pos += n;
			rc = 0;
		} else if (is_keyword(w, n))
			rc = pp_fail(p, "expressions other than constant "
			    "arithmetic are not supported");
		else {
			after = p->pos + n;
			while (after < p->len && (p->s[after] == ' ' ||
			    p->s[after] == '\t'))
				after++;
			if (after < p->len && p->s[after] == '(')
				rc = pp_fail(p, "nested function calls are "
				    "not supported");
			else if (after < p->len && (p->s[after] == '.' ||
			    p->s[after] == '['))
				rc = pp_fail(p, "attribute and subscript "
				    "expressions are not supported");
			else if (p->eval) {
				/* eval() knows no such name */
				struct qp_buf m = QP_BUF_INIT;

				qp_buf_addf(&m, "name '%.*s' is not defined",
				    (int)(n > 64 ? 64 : n), w);
				rc = pp_fail(p, qp_buf_str(&m) ?
				    qp_buf_str(&m) : "undefined name");
				qp_buf_free(&m);
			} else {
				/* A bare name: BFCL takes its identifier
				 * as a string. */
				struct qp_buf b = QP_BUF_INIT;

				*node = N_NAME;
				qp_buf_add(&b, w, n);
				p->pos += n;
				rc = take_str(&b, out);
				if (rc < 0) {
					qp_buf_free(&b);
					rc = pp_fail(p, "out of memory");
				}
			}
		}
	} else
		rc = pp_fail(p, "unsupported syntax");
	p->depth--;
	return (rc);
}

/* ------------------------------------------------------------------ */
/* Constant arithmetic                                                */

/*
 * BFCL's resolve_ast_by_type() reads a BinOp as eval(ast.unparse(node))
 * and a UnaryOp as -node.operand.value.  qeval never evaluates model
 * text: this evaluator computes what Python's eval() would over
 * literals only (numbers, bools, None, strings, lists, tuples, dicts),
 * with the operators + - * / // % ** and unary + - ~; a name is
 * Python's NameError, anything else a decoder error.  Integers are 64
 * bits (a larger result is an error where Python would go on).
 */

#define SEQ_MAX		(1u << 20)	/* items or bytes of a repetition */
#define EVAL_BUDGET	(16u << 20)	/* bytes arithmetic may build */

/* The bytes a value holds (nodes and strings): what copying costs. */
static size_t
bv_weight(const struct bv *v)
{
	size_t w = sizeof(*v), n, i;

	if (v->kind == BV_STR)
		return (w + v->len);
	if (v->kind == BV_LIST || v->kind == BV_TUPLE || v->kind == BV_DICT) {
		n = v->kind == BV_DICT ? 2 * v->n : v->n;
		for (i = 0; i < n; i++)
			w += bv_weight(&v->items[i]);
	}
	return (w);
}

/*
 * Charges the work of building a value of weight w times n; a decode
 * that builds more than EVAL_BUDGET fails, so chained concatenations
 * of big values cannot cost quadratic time.
 */
static int
charge(struct pp *p, size_t w, size_t n)
{
	if (n != 0 && w > (EVAL_BUDGET - p->work) / n)
		return (pp_fail(p, "expression too large"));
	p->work += w * n;
	return (0);
}

static int
bv_copy(struct bv *dst, const struct bv *src)
{
	size_t i, n;

	*dst = *src;
	dst->s = NULL;
	dst->items = NULL;
	if (src->kind == BV_STR) {
		dst->s = malloc(src->len + 1);
		if (dst->s == NULL)
			return (-1);
		memcpy(dst->s, src->s, src->len);
		dst->s[src->len] = '\0';
	} else if (src->kind == BV_LIST || src->kind == BV_TUPLE ||
	    src->kind == BV_DICT) {
		n = src->kind == BV_DICT ? 2 * src->n : src->n;
		dst->items = calloc(n + 1, sizeof(*dst->items));
		if (dst->items == NULL)
			return (-1);
		for (i = 0; i < n; i++)
			if (bv_copy(&dst->items[i], &src->items[i]) < 0) {
				dst->n = src->kind == BV_DICT ? i / 2 : i;
				bv_free(dst);
				return (-1);
			}
	}
	return (0);
}

static int
is_intlike(const struct bv *v)
{
	return (v->kind == BV_INT || v->kind == BV_BOOL);
}

static int
is_numeric(const struct bv *v)
{
	return (is_intlike(v) || v->kind == BV_FLOAT);
}

static double
as_double(const struct bv *v)
{
	return (v->kind == BV_FLOAT ? v->f : (double)v->i);
}

static void
set_int(struct bv *o, long long i)
{
	memset(o, 0, sizeof(*o));
	o->kind = BV_INT;
	o->i = i;
}

static void
set_float(struct bv *o, double f)
{
	memset(o, 0, sizeof(*o));
	o->kind = BV_FLOAT;
	o->f = f;
}

/* Python's TypeError text for a binary operator. */
static int
ev_type_error(struct pp *p, const char *op, const struct bv *a,
    const struct bv *b)
{
	struct qp_buf m = QP_BUF_INIT;
	int rc;

	qp_buf_addf(&m, "unsupported operand type(s) for %s: '%s' and '%s'",
	    op, bv_type_name(a), bv_type_name(b));
	rc = pp_fail(p, qp_buf_str(&m) ? qp_buf_str(&m) : "type error");
	qp_buf_free(&m);
	return (rc);
}

/* seq * n for a str, list or tuple. */
static int
ev_repeat(struct pp *p, const struct bv *seq, long long n, struct bv *o)
{
	size_t unit = seq->kind == BV_STR ? seq->len : seq->n, i, k;

	memset(o, 0, sizeof(*o));
	o->kind = seq->kind;
	if (n <= 0 || unit == 0) {
		if (seq->kind == BV_STR && (o->s = calloc(1, 1)) == NULL)
			return (pp_fail(p, "out of memory"));
		return (0);
	}
	if ((unsigned long long)n > SEQ_MAX / unit)
		return (pp_fail(p, "repetition too large"));
	/* a str copies its bytes; a list or tuple its items */
	if (charge(p, bv_weight(seq) - sizeof(*seq), (size_t)n) < 0)
		return (-1);
	if (seq->kind == BV_STR) {
		o->s = malloc(unit * (size_t)n + 1);
		if (o->s == NULL)
			return (pp_fail(p, "out of memory"));
		for (i = 0; i < (size_t)n; i++)
			memcpy(o->s + i * unit, seq->s, unit);
		o->len = unit * (size_t)n;
		o->s[o->len] = '\0';
		return (0);
	}
	o->items = calloc(unit * (size_t)n + 1, sizeof(*o->items));
	if (o->items == NULL)
		return (pp_fail(p, "out of memory"));
	for (i = 0; i < (size_t)n; i++)
		for (k = 0; k < unit; k++) {
			if (bv_copy(&o->items[o->n], &seq->items[k]) < 0) {
				bv_free(o);
				return (pp_fail(p, "out of memory"));
			}
			o->n++;
		}
	return (0);
}

/* a + b for two strs, lists or tuples of the same kind. */
static int
ev_concat(struct pp *p, const struct bv *a, const struct bv *b,
    struct bv *o)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	o->kind = a->kind;
	if (charge(p, bv_weight(a) + bv_weight(b), 1) < 0)
		return (-1);
	if (a->kind == BV_STR) {
		if (a->len + b->len > SEQ_MAX)
			return (pp_fail(p, "string too long"));
		o->s = malloc(a->len + b->len + 1);
		if (o->s == NULL)
			return (pp_fail(p, "out of memory"));
		memcpy(o->s, a->s, a->len);
		memcpy(o->s + a->len, b->s, b->len);
		o->len = a->len + b->len;
		o->s[o->len] = '\0';
		return (0);
	}
	if (a->n + b->n > SEQ_MAX)
		return (pp_fail(p, "sequence too long"));
	o->items = calloc(a->n + b->n + 1, sizeof(*o->items));
	if (o->items == NULL)
		return (pp_fail(p, "out of memory"));
	for (i = 0; i < a->n + b->n; i++) {
		if (bv_copy(&o->items[i], i < a->n ? &a->items[i] :
		    &b->items[i - a->n]) < 0) {
			bv_free(o);
			return (pp_fail(p, "out of memory"));
		}
		o->n++;
	}
	return (0);
}

/* Python's float divmod (floatobject.c): the floor quotient and mod. */
static void
float_divmod(double vx, double wx, double *fdiv, double *fmodp)
{
	double mod = fmod(vx, wx), div = (vx - mod) / wx, floordiv;

	if (mod != 0.0) {
		if ((wx < 0) != (mod < 0)) {
			mod += wx;
			div -= 1.0;
		}
	} else
		mod = copysign(0.0, wx);
	if (div != 0.0) {
		floordiv = floor(div);
		if (div - floordiv > 0.5)
			floordiv += 1.0;
	} else
		floordiv = copysign(0.0, vx / wx);
	*fdiv = floordiv;
	*fmodp = mod;
}

/* int ** int for a non-negative exponent, or -1 on overflow. */
static int
int_pow(long long b, long long e, long long *out)
{
	long long r = 1;

	while (e > 0) {
		if ((e & 1) && __builtin_mul_overflow(r, b, &r))
			return (-1);
		e >>= 1;
		if (e > 0 && __builtin_mul_overflow(b, b, &b))
			return (-1);
	}
	*out = r;
	return (0);
}

/* One binary operation, as Python computes it; a and b stay owned. */
static int
ev_binop(struct pp *p, const char *op, const struct bv *a,
    const struct bv *b, struct bv *o)
{
	long long x, y, r;
	double fx, fy, q, m;

	memset(o, 0, sizeof(*o));
	if (strcmp(op, "+") == 0 && a->kind == b->kind &&
	    (a->kind == BV_STR || a->kind == BV_LIST || a->kind == BV_TUPLE))
		return (ev_concat(p, a, b, o));
	if (strcmp(op, "*") == 0 && (a->kind == BV_STR || a->kind == BV_LIST ||
	    a->kind == BV_TUPLE) && is_intlike(b))
		return (ev_repeat(p, a, b->i, o));
	if (strcmp(op, "*") == 0 && (b->kind == BV_STR || b->kind == BV_LIST ||
	    b->kind == BV_TUPLE) && is_intlike(a))
		return (ev_repeat(p, b, a->i, o));
	if (!is_numeric(a) || !is_numeric(b))
		return (ev_type_error(p, op, a, b));
	if (is_intlike(a) && is_intlike(b) && strcmp(op, "/") != 0) {
		x = a->i;
		y = b->i;
		if (op[0] == '+' && !__builtin_add_overflow(x, y, &r)) {
			set_int(o, r);
			return (0);
		}
		if (op[0] == '-' && !__builtin_sub_overflow(x, y, &r)) {
			set_int(o, r);
			return (0);
		}
		if (strcmp(op, "*") == 0 && !__builtin_mul_overflow(x, y,
		    &r)) {
			set_int(o, r);
			return (0);
		}
		if (strcmp(op, "//") == 0 || op[0] == '%') {
			if (y == 0)
				return (pp_fail(p, "integer division or "
				    "modulo by zero"));
			if (x == LLONG_MIN && y == -1)
				return (pp_fail(p, "integer too large"));
			/* floor division: the remainder takes y's sign */
			r = x / y;
			if (x % y != 0 && ((x % y < 0) != (y < 0)))
				set_int(o, op[0] == '%' ? x % y + y : r - 1);
			else
				set_int(o, op[0] == '%' ? x % y : r);
			return (0);
		}
		if (strcmp(op, "**") == 0) {
			if (y >= 0) {
				if (int_pow(x, y, &r) < 0)
					return (pp_fail(p, "integer too "
					    "large"));
				set_int(o, r);
				return (0);
			}
			if (x == 0)
				return (pp_fail(p, "0.0 cannot be raised to "
				    "a negative power"));
			set_float(o, pow((double)x, (double)y));
			return (0);
		}
		return (pp_fail(p, "integer too large"));
	}
	fx = as_double(a);
	fy = as_double(b);
	switch (op[0]) {
	case '+':
		set_float(o, fx + fy);
		return (0);
	case '-':
		set_float(o, fx - fy);
		return (0);
	case '%':
		if (fy == 0.0)
			return (pp_fail(p, "float modulo by zero"));
		float_divmod(fx, fy, &q, &m);
		set_float(o, m);
		return (0);
	case '/':
		if (strcmp(op, "//") == 0) {
			if (fy == 0.0)
				return (pp_fail(p, "float floor division by "
				    "zero"));
			float_divmod(fx, fy, &q, &m);
			set_float(o, q);
			return (0);
		}
		if (fy == 0.0)
			return (pp_fail(p, "division by zero"));
		set_float(o, fx / fy);
		return (0);
	default:
		break;
	}
	if (strcmp(op, "**") == 0) {
		if (fx == 0.0 && fy < 0.0)
			return (pp_fail(p, "0.0 cannot be raised to a negative "
			    "power"));
		if (fx < 0.0 && fy != floor(fy))
			return (pp_fail(p, "a negative number to a fractional "
			    "power is complex"));
		set_float(o, pow(fx, fy));
		if (isinf(o->f) && isfinite(fx) && isfinite(fy))
			return (pp_fail(p, "numerical result out of range"));
		return (0);
	}
	set_float(o, fx * fy);	/* "*" */
	return (0);
}

/* The operator at pos, of the level asked for, or NULL. */
static const char *
pp_op(struct pp *p, int level)
{
	const char *s;
	size_t left;

	pp_ws(p);
	s = p->s + p->pos;
	left = p->len - p->pos;
	if (left == 0)
		return (NULL);
	if (level == 0 && (s[0] == '+' || s[0] == '-') &&
	    (left < 2 || s[1] != '='))
		return (s[0] == '+' ? "+" : "-");
	if (level == 1) {
		if (s[0] == '*' && (left < 2 || (s[1] != '*' && s[1] != '=')))
			return ("*");
		if (s[0] == '/' && left >= 2 && s[1] == '/' &&
		    (left < 3 || s[2] != '='))
			return ("//");
		if (s[0] == '/' && (left < 2 || s[1] != '='))
			return ("/");
		if (s[0] == '%' && (left < 2 || s[1] != '='))
			return ("%");
	}
	if (level == 2 && left >= 2 && s[0] == '*' && s[1] == '*' &&
	    (left < 3 || s[2] != '='))
		return ("**");
	return (NULL);
}

static int pp_factor(struct pp *, struct bv *, enum node *);

/*
 * Applies op to *acc and the next operand read by next(); in resolve
 * mode (outside eval) the first operator ends the pass: the caller
 * reads the whole BinOp again with p->eval set.
 */
static int
pp_binary(struct pp *p, struct bv *acc, enum node *node, const char *op,
    int (*next)(struct pp *, struct bv *, enum node *))
{
	struct bv rhs, res;
	enum node rn;

	if (!p->eval) {
		bv_free(acc);
		*node = N_BINOP;
		return (0);
	}
	p->pos += strlen(op);
	if (next(p, &rhs, &rn) < 0) {
		bv_free(acc);
		return (-1);
	}
	if (ev_binop(p, op, acc, &rhs, &res) < 0) {
		bv_free(acc);
		bv_free(&rhs);
		return (-1);
	}
	bv_free(acc);
	bv_free(&rhs);
	*acc = res;
	*node = N_BINOP;
	return (0);
}

/* power: atom ['**' factor] (right-recursive: depth counted) */
static int
pp_power(struct pp *p, struct bv *out, enum node *node)
{
	const char *op;
	int rc;

	if (pp_atom(p, out, node) < 0)
		return (-1);
	if ((op = pp_op(p, 2)) == NULL)
		return (0);
	if (++p->depth > BV_MAX_DEPTH) {
		bv_free(out);
		return (pp_fail(p, "nested too deeply"));
	}
	rc = pp_binary(p, out, node, op, pp_factor);
	p->depth--;
	return (rc);
}

/* factor: ('+' | '-' | '~') factor | power */
static int
pp_factor(struct pp *p, struct bv *out, enum node *node)
{
	struct bv v;
	enum node vn;
	char c;
	int rc;

	memset(out, 0, sizeof(*out));
	pp_ws(p);
	if (p->pos >= p->len)
		return (pp_fail(p, "unexpected end of input"));
	c = p->s[p->pos];
	if (c != '-' && c != '+' && c != '~')
		return (pp_power(p, out, node));
	if (++p->depth > BV_MAX_DEPTH)
		return (pp_fail(p, "nested too deeply"));
	p->pos++;
	rc = pp_factor(p, &v, &vn);
	p->depth--;
	if (rc < 0)
		return (-1);
	*node = N_UNARY;
	if (!p->eval) {
		/*
		 * BFCL: -node.operand.value, whatever the operator (so
		 * +5 reads -5), for a constant operand only; the check
		 * waits until we know no BinOp contains this node.
		 */
		if (vn != N_CONST || !is_numeric(&v)) {
			bv_free(&v);
			*node = N_UNARY_BAD;
			return (0);
		}
		c = '-';
	} else if (!is_numeric(&v) || (c == '~' && v.kind == BV_FLOAT)) {
		struct qp_buf m = QP_BUF_INIT;

		qp_buf_addf(&m, "bad operand type for unary %c: '%s'", c,
		    bv_type_name(&v));
		bv_free(&v);
		rc = pp_fail(p, qp_buf_str(&m) ? qp_buf_str(&m) :
		    "bad operand");
		qp_buf_free(&m);
		return (rc);
	}
	if (v.kind == BV_FLOAT)
		set_float(out, c == '+' ? v.f : -v.f);
	else if (c == '+')
		set_int(out, v.i);
	else if (c == '~')
		set_int(out, -v.i - 1);
	else if (v.i == LLONG_MIN)
		return (pp_fail(p, "integer too large"));
	else
		set_int(out, -v.i);
	return (0);
}

/* term: factor (('*' | '/' | '//' | '%') factor)* */
static int
pp_term(struct pp *p, struct bv *out, enum node *node)
{
	const char *op;

	if (pp_factor(p, out, node) < 0)
		return (-1);
	while (*node != N_BINOP || p->eval) {
		if ((op = pp_op(p, 1)) == NULL)
			break;
		if (pp_binary(p, out, node, op, pp_factor) < 0)
			return (-1);
		if (!p->eval)
			break;
	}
	return (0);
}

/* sum: term (('+' | '-') term)* */
static int
pp_sum(struct pp *p, struct bv *out, enum node *node)
{
	const char *op;

	if (pp_term(p, out, node) < 0)
		return (-1);
	if (*node == N_BINOP && !p->eval)
		return (0);
	while ((op = pp_op(p, 0)) != NULL) {
		if (pp_binary(p, out, node, op, pp_term) < 0)
			return (-1);
		if (!p->eval)
			break;
	}
	return (0);
}

/*
 * An expression, resolved as BFCL's resolve_ast_by_type() resolves
 * its node: a BinOp anywhere at the top is read again under eval()
 * rules; *node says what the top node was.
 */
static int
pp_expr(struct pp *p, struct bv *out, enum node *node)
{
	size_t start;
	int rc;

	pp_ws(p);
	start = p->pos;
	rc = pp_sum(p, out, node);
	if (rc == 0 && *node == N_BINOP && !p->eval) {
		bv_free(out);
		p->pos = start;
		p->eval = 1;
		rc = pp_sum(p, out, node);
		p->eval = 0;
		*node = N_BINOP;
	}
	return (rc);
}

/* A value: an expression whose node BFCL can resolve. */
static int
pp_value(struct pp *p, struct bv *out)
{
	enum node node;

	if (pp_expr(p, out, &node) < 0)
		return (-1);
	if (node == N_UNARY_BAD)
		return (pp_fail(p, UNARY_BAD));
	return (0);
}

/*
 * A call: name(.name)*( args ).  Keyword arguments become the dict;
 * positional ones are read and dropped, as BFCL's resolve_ast_call
 * ignores them.
 */
static int
pp_call(struct pp *p, struct bv *out)
{
	struct qp_buf name = QP_BUF_INIT;
	struct vec kw = { NULL, 0, 0 };
	struct bv key, val, args;
	int seen_kw = 0, dup, rc;
	size_t n;

	memset(out, 0, sizeof(*out));
	pp_ws(p);
	for (;;) {
		n = pp_ident(p, p->pos);
		if (n == 0 || is_keyword(p->s + p->pos, n)) {
			qp_buf_free(&name);
			return (pp_fail(p, "expected a function call"));
		}
		qp_buf_add(&name, p->s + p->pos, n);
		p->pos += n;
		pp_ws(p);
		if (p->pos < p->len && p->s[p->pos] == '.') {
			qp_buf_add(&name, ".", 1);
			p->pos++;
			pp_ws(p);
			continue;
		}
		break;
	}
	if (p->pos >= p->len || p->s[p->pos] != '(') {
		qp_buf_free(&name);
		return (pp_fail(p, "expected a function call"));
	}
	p->pos++;
	for (;;) {
		pp_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ')') {
			p->pos++;
			break;
		}
		if (p->pos < p->len && p->s[p->pos] == '*') {
			rc = pp_fail(p, "'*' arguments are not supported");
			goto fail;
		}
		n = pp_ident(p, p->pos);
		if (n > 0) {
			size_t q = p->pos + n;

			while (q < p->len && (p->s[q] == ' ' ||
			    p->s[q] == '\t' || p->s[q] == '\n'))
				q++;
			if (q < p->len && p->s[q] == '=' &&
			    (q + 1 >= p->len || p->s[q + 1] != '=')) {
				struct qp_buf kb = QP_BUF_INIT;

				if (is_keyword(p->s + p->pos, n)) {
					rc = pp_fail(p, "invalid keyword "
					    "argument");
					goto fail;
				}
				qp_buf_add(&kb, p->s + p->pos, n);
				if (take_str(&kb, &key) < 0) {
					qp_buf_free(&kb);
					rc = pp_fail(p, "out of memory");
					goto fail;
				}
				p->pos = q + 1;
				if (pp_value(p, &val) < 0) {
					bv_free(&key);
					rc = -1;
					goto fail;
				}
				rc = dict_put(&kw, &key, &val, &dup);
				if (rc < 0 || dup) {
					bv_free(&key);
					bv_free(&val);
					rc = pp_fail(p, dup ?
					    "keyword argument repeated" :
					    rc == -2 ? "too many arguments" :
					    "out of memory");
					goto fail;
				}
				seen_kw = 1;
				goto next;
			}
		}
		if (seen_kw) {
			rc = pp_fail(p, "positional argument follows keyword "
			    "argument");
			goto fail;
		}
		if (pp_value(p, &val) < 0) {
			rc = -1;
			goto fail;
		}
		bv_free(&val);
next:
		pp_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == ')') {
			p->pos++;
			break;
		}
		rc = pp_fail(p, "expected ',' or ')' in the argument list "
		    "(only constant arithmetic is read)");
		goto fail;
	}
	vec_take(&kw, &args, BV_DICT, kw.n / 2);
	/* {name: args} */
	{
		struct vec one = { NULL, 0, 0 };
		struct bv nm;

		if (take_str(&name, &nm) < 0 || vec_push(&one, &nm) < 0 ||
		    vec_push(&one, &args) < 0) {
			bv_free(&nm);
			bv_free(&args);
			vec_free(&one);
			qp_buf_free(&name);
			return (pp_fail(p, "out of memory"));
		}
		vec_take(&one, out, BV_DICT, 1);
	}
	pp_ws(p);
	if (p->pos < p->len && (p->s[p->pos] == '.' || p->s[p->pos] == '(' ||
	    p->s[p->pos] == '[')) {
		bv_free(out);
		return (pp_fail(p, "expressions on a call are not "
		    "supported"));
	}
	return (0);
fail:
	qp_buf_free(&name);
	vec_free(&kw);
	return (rc);
}

/* The calls of a "[...]" or "(...)" group, or a bare call sequence. */
static int
pp_calls(struct pp *p, struct vec *calls, char close)
{
	struct bv c;

	for (;;) {
		pp_ws(p);
		if (close != '\0' && p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			return (0);
		}
		if (close == '\0' && p->pos >= p->len && calls->n > 0)
			return (0);
		if (calls->n > 0) {
			if (p->pos >= p->len || p->s[p->pos] != ',')
				return (pp_fail(p, close ? "expected ',' or a "
				    "closing bracket" : "expected ','"));
			p->pos++;
			pp_ws(p);
			if (close != '\0' && p->pos < p->len &&
			    p->s[p->pos] == close) {
				p->pos++;
				return (0);
			}
			if (close == '\0' && p->pos >= p->len)
				return (0);
		}
		if (pp_call(p, &c) < 0)
			return (-1);
		if (vec_push(calls, &c) < 0) {
			bv_free(&c);
			return (pp_fail(p, "out of memory"));
		}
	}
}

static int
strip_in(char c, const char *set)
{
	return (c != '\0' && strchr(set, c) != NULL);
}

/* Python's s.strip(chars) on [*sp, *sp + *lenp). */
static void
strip_chars(const char **sp, size_t *lenp, const char *set)
{
	const char *s = *sp;
	size_t len = *lenp;

	while (len > 0 && strip_in(s[0], set)) {
		s++;
		len--;
	}
	while (len > 0 && strip_in(s[len - 1], set))
		len--;
	*sp = s;
	*lenp = len;
}

static int
starts_like_call(const char *s, size_t len)
{
	struct pp p = { s, len, 0, 0, 0, NULL, 0 };
	size_t n;

	while (p.pos < len && (s[p.pos] == '[' || s[p.pos] == '(' ||
	    s[p.pos] == ' ' || s[p.pos] == '\n' || s[p.pos] == '\t'))
		p.pos++;
	for (;;) {
		n = pp_ident(&p, p.pos);
		if (n == 0)
			return (0);
		p.pos += n;
		if (p.pos < len && s[p.pos] == '.') {
			p.pos++;
			continue;
		}
		break;
	}
	while (p.pos < len && s[p.pos] == ' ')
		p.pos++;
	return (p.pos < len && s[p.pos] == '(');
}

int
bfcl_decode_prompt(const char *text, size_t len, struct bv *out,
    struct qp_buf *err, int *looks)
{
	struct qp_buf t = QP_BUF_INIT;
	struct vec calls = { NULL, 0, 0 };
	const char *s = text;
	size_t n = len;
	struct pp p;
	int rc;

	memset(out, 0, sizeof(*out));
	qp_buf_reset(err);
	/* default_decode_ast_prompting */
	strip_chars(&s, &n, "`\n ");
	if (n == 0 || s[0] != '[')
		qp_buf_add(&t, "[", 1);
	qp_buf_add(&t, s, n);
	if (n == 0 || s[n - 1] != ']')
		qp_buf_add(&t, "]", 1);
	if (!qp_buf_ok(&t)) {
		qp_buf_free(&t);
		qp_buf_adds(err, "out of memory");
		return (-1);
	}
	/* ast_parse: input_str.strip().strip("'") */
	s = t.buf;
	n = t.len;
	strip_chars(&s, &n, " \t\n\r\v\f");
	strip_chars(&s, &n, "'");
	*looks = starts_like_call(s, n);
	p.s = s;
	p.len = n;
	p.pos = 0;
	p.depth = 0;
	p.eval = 0;
	p.work = 0;
	p.err = err;
	pp_ws(&p);
	if (p.pos >= n)
		rc = pp_fail(&p, "empty input");
	else if (s[p.pos] == '[') {
		p.pos++;
		rc = pp_calls(&p, &calls, ']');
	} else if (s[p.pos] == '(') {
		p.pos++;
		rc = pp_calls(&p, &calls, ')');
	} else
		rc = pp_calls(&p, &calls, '\0');
	if (rc == 0) {
		pp_ws(&p);
		if (p.pos != n)
			rc = pp_fail(&p, "unexpected text after the calls");
	}
	qp_buf_free(&t);
	if (rc < 0) {
		vec_free(&calls);
		return (-1);
	}
	vec_take(&calls, out, BV_LIST, calls.n);
	return (0);
}

int
bfcl_decode_fc(const char *tool_calls, struct bv *out, struct qp_buf *err,
    int *looks)
{
	struct bv tc, *el;
	struct vec calls = { NULL, 0, 0 };
	size_t i;

	memset(out, 0, sizeof(*out));
	qp_buf_reset(err);
	*looks = 0;
	/*
	 * No tool call: BFCL's FC handlers keep the message's tool_calls
	 * list, which vLLM sends empty ([]), and decode_ast of [] is [],
	 * so the checker then says wrong_count.
	 */
	if (tool_calls == NULL) {
		out->kind = BV_LIST;
		return (0);
	}
	if (bv_json_parse(tool_calls, strlen(tool_calls), &tc, err) < 0)
		return (-1);
	if (tc.kind != BV_LIST) {
		bv_free(&tc);
		qp_buf_adds(err, "tool_calls is not a JSON array");
		return (-1);
	}
	if (tc.n == 0) {
		bv_free(&tc);
		out->kind = BV_LIST;
		return (0);
	}
	*looks = 1;
	for (i = 0; i < tc.n; i++) {
		struct bv *fn, *nm, *args;
		struct bv parsed, pair[1];
		struct vec one = { NULL, 0, 0 };
		size_t k;

		el = &tc.items[i];
		fn = (struct bv *)bv_get(el, "function");
		if (fn == NULL || fn->kind != BV_DICT)
			fn = el;	/* some servers flatten the call */
		nm = (struct bv *)bv_get(fn, "name");
		args = (struct bv *)bv_get(fn, "arguments");
		if (nm == NULL || nm->kind != BV_STR) {
			qp_buf_addf(err, "tool call %zu has no function name",
			    i);
			goto fail;
		}
		if (args == NULL) {
			qp_buf_addf(err, "tool call %zu has no arguments", i);
			goto fail;
		}
		if (args->kind == BV_STR) {
			struct qp_buf e2 = QP_BUF_INIT;

			if (bv_json_parse(args->s, args->len, &parsed,
			    &e2) < 0) {
				qp_buf_addf(err, "arguments of tool call %zu "
				    "are not valid JSON: %s", i,
				    qp_buf_str(&e2) ? qp_buf_str(&e2) : "");
				qp_buf_free(&e2);
				goto fail;
			}
			qp_buf_free(&e2);
		} else {
			/* Already an object: accepted (BFCL's OpenAI
			 * handler would have refused it). */
			parsed = *args;
			memset(args, 0, sizeof(*args));
		}
		pair[0] = *nm;
		memset(nm, 0, sizeof(*nm));
		if (vec_push(&one, &pair[0]) < 0 || vec_push(&one,
		    &parsed) < 0) {
			bv_free(&pair[0]);
			bv_free(&parsed);
			vec_free(&one);
			qp_buf_adds(err, "out of memory");
			goto fail;
		}
		k = 1;
		{
			struct bv d;

			vec_take(&one, &d, BV_DICT, k);
			if (vec_push(&calls, &d) < 0) {
				bv_free(&d);
				qp_buf_adds(err, "out of memory");
				goto fail;
			}
		}
	}
	bv_free(&tc);
	vec_take(&calls, out, BV_LIST, calls.n);
	return (0);
fail:
	bv_free(&tc);
	vec_free(&calls);
	return (-1);
}

int
bfcl_format_ok(const struct bv *d)
{
	size_t i;

	if (d->kind != BV_LIST)
		return (0);
	for (i = 0; i < d->n; i++) {
		const struct bv *it = &d->items[i];

		if (it->kind != BV_DICT || it->n != 1 ||
		    it->items[1].kind != BV_DICT)
			return (0);
	}
	return (1);
}

int
bfcl_empty_output(const struct bv *d)
{
	if (!bfcl_format_ok(d))
		return (1);
	if (d->n == 0)
		return (1);
	if (d->n == 1 && d->items[0].n == 0)
		return (1);
	return (0);
}

/* ------------------------------------------------------------------ */
/* Printers                                                           */

void
bv_float_repr(struct qp_buf *b, double x)
{
	char tmp[48], digits[24];
	int prec, e, nd = 0, i;
	char *p;

	if (isnan(x)) {
		qp_buf_adds(b, "nan");
		return;
	}
	if (isinf(x)) {
		qp_buf_adds(b, x < 0 ? "-inf" : "inf");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	p = tmp;
	if (*p == '-') {
		qp_buf_add(b, "-", 1);
		p++;
	}
	for (; *p != 'e' && *p != '\0'; p++)
		if (*p >= '0' && *p <= '9' && nd < (int)sizeof(digits) - 1)
			digits[nd++] = *p;
	digits[nd] = '\0';
	e = *p == 'e' ? (int)strtol(p + 1, NULL, 10) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	if (e >= -4 && e < 16) {
		if (e >= 0) {
			for (i = 0; i <= e; i++)
				qp_buf_add(b, i < nd ? &digits[i] : "0", 1);
			qp_buf_add(b, ".", 1);
			if (nd > e + 1)
				qp_buf_add(b, digits + e + 1,
				    (size_t)(nd - e - 1));
			else
				qp_buf_add(b, "0", 1);
		} else {
			qp_buf_adds(b, "0.");
			for (i = 0; i < -e - 1; i++)
				qp_buf_add(b, "0", 1);
			qp_buf_add(b, digits, (size_t)nd);
		}
	} else {
		qp_buf_add(b, digits, 1);
		if (nd > 1) {
			qp_buf_add(b, ".", 1);
			qp_buf_add(b, digits + 1, (size_t)nd - 1);
		}
		qp_buf_addf(b, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
	}
}

static void
py_str_repr(struct qp_buf *b, const char *s, size_t len)
{
	char q = '\'';
	size_t i;

	if (memchr(s, '\'', len) != NULL && memchr(s, '"', len) == NULL)
		q = '"';
	qp_buf_add(b, &q, 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\')
			qp_buf_adds(b, "\\\\");
		else if (c == (unsigned char)q) {
			qp_buf_add(b, "\\", 1);
			qp_buf_add(b, &q, 1);
		} else if (c == '\n')
			qp_buf_adds(b, "\\n");
		else if (c == '\r')
			qp_buf_adds(b, "\\r");
		else if (c == '\t')
			qp_buf_adds(b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			qp_buf_addf(b, "\\x%02x", c);
		else
			qp_buf_add(b, s + i, 1);
	}
	qp_buf_add(b, &q, 1);
}

void
bv_py_repr(struct qp_buf *b, const struct bv *v)
{
	size_t i;

	switch (v->kind) {
	case BV_NONE:
		qp_buf_adds(b, "None");
		break;
	case BV_BOOL:
		qp_buf_adds(b, v->i ? "True" : "False");
		break;
	case BV_INT:
		qp_buf_addf(b, "%lld", v->i);
		break;
	case BV_FLOAT:
		bv_float_repr(b, v->f);
		break;
	case BV_STR:
		py_str_repr(b, v->s, v->len);
		break;
	case BV_LIST:
	case BV_TUPLE:
		qp_buf_adds(b, v->kind == BV_LIST ? "[" : "(");
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				qp_buf_adds(b, ", ");
			bv_py_repr(b, &v->items[i]);
		}
		if (v->kind == BV_TUPLE && v->n == 1)
			qp_buf_adds(b, ",");
		qp_buf_adds(b, v->kind == BV_LIST ? "]" : ")");
		break;
	case BV_DICT:
		qp_buf_adds(b, "{");
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				qp_buf_adds(b, ", ");
			bv_py_repr(b, &v->items[2 * i]);
			qp_buf_adds(b, ": ");
			bv_py_repr(b, &v->items[2 * i + 1]);
		}
		qp_buf_adds(b, "}");
		break;
	}
}

/* Python's json encoder for a str, ensure_ascii=True. */
static void
json_str_ascii(struct qp_buf *b, const char *s, size_t len)
{
	size_t pos = 0;

	qp_buf_add(b, "\"", 1);
	while (pos < len) {
		uint32_t cp = utf8_get((const unsigned char *)s, len, &pos);

		switch (cp) {
		case '"':  qp_buf_adds(b, "\\\""); break;
		case '\\': qp_buf_adds(b, "\\\\"); break;
		case '\n': qp_buf_adds(b, "\\n"); break;
		case '\r': qp_buf_adds(b, "\\r"); break;
		case '\t': qp_buf_adds(b, "\\t"); break;
		case '\b': qp_buf_adds(b, "\\b"); break;
		case '\f': qp_buf_adds(b, "\\f"); break;
		default:
			if (cp >= 0x20 && cp <= 0x7e) {
				char c = (char)cp;

				qp_buf_add(b, &c, 1);
			} else if (cp < 0x10000)
				qp_buf_addf(b, "\\u%04x", cp);
			else {
				cp -= 0x10000;
				qp_buf_addf(b, "\\u%04x\\u%04x",
				    0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
			}
		}
	}
	qp_buf_add(b, "\"", 1);
}

static void
json_scalar(struct qp_buf *b, const struct bv *v, int key)
{
	switch (v->kind) {
	case BV_NONE:
		qp_buf_adds(b, key ? "\"null\"" : "null");
		break;
	case BV_BOOL:
		qp_buf_adds(b, v->i ? (key ? "\"true\"" : "true") :
		    (key ? "\"false\"" : "false"));
		break;
	case BV_INT:
		qp_buf_addf(b, key ? "\"%lld\"" : "%lld", v->i);
		break;
	case BV_FLOAT:
		if (key)
			qp_buf_add(b, "\"", 1);
		if (isnan(v->f))
			qp_buf_adds(b, "NaN");
		else if (isinf(v->f))
			qp_buf_adds(b, v->f < 0 ? "-Infinity" : "Infinity");
		else
			bv_float_repr(b, v->f);
		if (key)
			qp_buf_add(b, "\"", 1);
		break;
	case BV_STR:
		json_str_ascii(b, v->s, v->len);
		break;
	default:
		qp_buf_adds(b, "null");	/* unhashable key: not reached */
	}
}

static void
indent(struct qp_buf *b, int lvl)
{
	int i;

	qp_buf_add(b, "\n", 1);
	for (i = 0; i < lvl; i++)
		qp_buf_adds(b, "    ");
}

/* lvl < 0: compact (", " and ": "); else json.dumps(indent=4). */
void
bv_json_indent(struct qp_buf *b, const struct bv *v, int lvl)
{
	size_t i;

	if (v->kind == BV_LIST || v->kind == BV_TUPLE) {
		if (v->n == 0) {
			qp_buf_adds(b, "[]");
			return;
		}
		qp_buf_adds(b, "[");
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				qp_buf_adds(b, lvl < 0 ? ", " : ",");
			if (lvl >= 0)
				indent(b, lvl + 1);
			bv_json_indent(b, &v->items[i], lvl < 0 ? -1 : lvl + 1);
		}
		if (lvl >= 0)
			indent(b, lvl);
		qp_buf_adds(b, "]");
	} else if (v->kind == BV_DICT) {
		if (v->n == 0) {
			qp_buf_adds(b, "{}");
			return;
		}
		qp_buf_adds(b, "{");
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				qp_buf_adds(b, lvl < 0 ? ", " : ",");
			if (lvl >= 0)
				indent(b, lvl + 1);
			json_scalar(b, &v->items[2 * i], 1);
			qp_buf_adds(b, ": ");
			bv_json_indent(b, &v->items[2 * i + 1],
			    lvl < 0 ? -1 : lvl + 1);
		}
		if (lvl >= 0)
			indent(b, lvl);
		qp_buf_adds(b, "}");
	} else
		json_scalar(b, v, 0);
}

void
bv_json(struct qp_buf *b, const struct bv *v)
{
	bv_json_indent(b, v, -1);
}

/* ------------------------------------------------------------------ */
/* String standardisation                                             */

static uint32_t
py_lower(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return (c + 32);
	if (c < 0xc0)
		return (c);
	if (c <= 0xde && c != 0xd7)
		return (c + 32);
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177))
		return ((c & 1) ? c : c + 1);
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return ((c & 1) ? c + 1 : c);
	if (c == 0x178)
		return (0xff);
	if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
		return (c + 32);
	if (c >= 0x410 && c <= 0x42f)
		return (c + 32);
	if (c >= 0x400 && c <= 0x40f)
		return (c + 80);
	return (c);
}

/* Next code point of the standardised form, or 0 at the end. */
static int
std_next(const char *s, size_t len, size_t *pos, uint32_t *cp)
{
	while (*pos < len) {
		uint32_t c = utf8_get((const unsigned char *)s, len, pos);

		if (c == ' ' || c == ',' || c == '.' || c == '/' ||
		    c == '-' || c == '_' || c == '*' || c == '^')
			continue;
		c = py_lower(c);
		if (c == '\'')
			c = '"';
		*cp = c;
		return (1);
	}
	return (0);
}

void
bfcl_standardize(struct qp_buf *b, const char *s, size_t len)
{
	size_t pos = 0;
	uint32_t cp;

	while (std_next(s, len, &pos, &cp))
		utf8_put(b, cp);
}

static int
std_eq(const struct bv *a, const struct bv *b)
{
	size_t pa = 0, pb = 0;
	uint32_t ca, cb;
	int ha, hb;

	for (;;) {
		ha = std_next(a->s, a->len, &pa, &ca);
		hb = std_next(b->s, b->len, &pb, &cb);
		if (!ha || !hb)
			return (ha == hb);
		if (ca != cb)
			return (0);
	}
}

/* Equality after standardising the strings of either side. */
static int
eq_std(const struct bv *a, const struct bv *b)
{
	if (a->kind == BV_STR && b->kind == BV_STR)
		return (std_eq(a, b));
	return (bv_py_eq(a, b));
}

static int
is_empty_str(const struct bv *v)
{
	return (v->kind == BV_STR && v->len == 0);
}

/* "" in list */
static int
has_optional(const struct bv *list)
{
	size_t i;

	if (list == NULL || list->kind != BV_LIST)
		return (0);
	for (i = 0; i < list->n; i++)
		if (is_empty_str(&list->items[i]))
			return (1);
	return (0);
}

/* ------------------------------------------------------------------ */
/* The checker                                                        */

/* PYTHON_TYPE_MAPPING: BFCL type name → the Python type it checks. */
static int
py_type_of(const char *t, enum bv_kind *k)
{
	static const struct {
		const char	*name;
		enum bv_kind	 kind;
	} map[] = {
		{ "string", BV_STR }, { "integer", BV_INT },
		{ "float", BV_FLOAT }, { "boolean", BV_BOOL },
		{ "array", BV_LIST }, { "tuple", BV_LIST },
		{ "dict", BV_DICT }, { "any", BV_STR }, { NULL, BV_NONE }
	};
	int i;

	for (i = 0; map[i].name != NULL; i++)
		if (strcmp(map[i].name, t) == 0) {
			*k = map[i].kind;
			return (1);
		}
	return (0);
}

int
bfcl_type_known(const char *t)
{
	enum bv_kind k;

	return (py_type_of(t, &k));
}

static const char *
kind_name(enum bv_kind k)
{
	struct bv tmp;

	memset(&tmp, 0, sizeof(tmp));
	tmp.kind = k;
	return (bv_type_name(&tmp));
}

/* Appends one formatted message, of any length. */
static void
vadd(struct qp_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	char *line;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0 || (line = malloc((size_t)n + 1)) == NULL) {
		b->oom = 1;
		return;
	}
	vsnprintf(line, (size_t)n + 1, fmt, ap);
	qp_buf_add(b, line, (size_t)n);
	free(line);
}

/*
 * BFCL's result {"valid": False, "error": [msg], "error_type": type}.
 * add_err() appends a second message to the error list (joined by a
 * space in msg), as BFCL's type checker does.
 */
static void
set_err(struct bfcl_result *r, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
add_err(struct bfcl_result *r, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(struct bfcl_result *r, const char *type, const char *fmt, ...)
{
	va_list ap;

	r->valid = 0;
	r->error_type = type;
	qp_buf_reset(&r->msg);
	va_start(ap, fmt);
	vadd(&r->msg, fmt, ap);
	va_end(ap);
}

static void
add_err(struct bfcl_result *r, const char *type, const char *fmt, ...)
{
	va_list ap;

	r->valid = 0;
	r->error_type = type;
	if (r->msg.len > 0)
		qp_buf_add(&r->msg, " ", 1);
	va_start(ap, fmt);
	vadd(&r->msg, fmt, ap);
	va_end(ap);
}

/* An error with an empty message list (BFCL's "error": []). */
static void
set_err_empty(struct bfcl_result *r, const char *type)
{
	r->valid = 0;
	r->error_type = type;
	qp_buf_reset(&r->msg);
}

/* Python's repr() of a value, whole (BFCL never shortens one). */
static const char *
repr_of(struct qp_buf *tmp, const struct bv *v)
{
	qp_buf_reset(tmp);
	bv_py_repr(tmp, v);
	return (qp_buf_str(tmp) ? qp_buf_str(tmp) : "?");
}

/* Python's str(): a string as it is, anything else as its repr. */
static const char *
str_of(struct qp_buf *tmp, const struct bv *v)
{
	qp_buf_reset(tmp);
	if (v->kind == BV_STR)
		qp_buf_add(tmp, v->s, v->len);
	else
		bv_py_repr(tmp, v);
	return (qp_buf_str(tmp) ? qp_buf_str(tmp) : "");
}

/* repr() of a parameter name (a str in every caller). */
static const char *
repr_name(struct qp_buf *tmp, const char *s)
{
	qp_buf_reset(tmp);
	py_str_repr(tmp, s, strlen(s));
	return (qp_buf_str(tmp) ? qp_buf_str(tmp) : "?");
}

/* get_possible_answer_type: kind of the first non-"" answer, or -1. */
static int
answer_type(const struct bv *pa)
{
	size_t i;

	if (pa == NULL || pa->kind != BV_LIST)
		return (-1);
	for (i = 0; i < pa->n; i++)
		if (!is_empty_str(&pa->items[i]))
			return ((int)pa->items[i].kind);
	return (-1);
}

static void
type_checker(const char *param, const struct bv *value, const struct bv *pa,
    const char *expected_desc, enum bv_kind expected, int nested,
    struct bfcl_result *r, int *is_variable)
{
	struct qp_buf tmp = QP_BUF_INIT, pn = QP_BUF_INIT;
	int pat = answer_type(pa);
	int is_var = pat >= 0 && pat != (int)expected;
	size_t i, j;

	r->valid = 1;
	r->error_type = NULL;
	qp_buf_reset(&r->msg);
	*is_variable = 0;
	if (value->kind == expected) {
		if (nested < 0) {
			*is_variable = is_var;
			return;
		}
		for (i = 0; pa != NULL && pa->kind == BV_LIST && i < pa->n;
		    i++) {
			const struct bv *item = &pa->items[i];
			int flag = 1;

			if (item->kind == BV_LIST) {
				for (j = 0; j < value->n; j++) {
					struct bfcl_result sub;
					int sv;

					sub.msg = (struct qp_buf)QP_BUF_INIT;
					type_checker(param, &value->items[j],
					    item,
					    kind_name((enum bv_kind)nested),
					    (enum bv_kind)nested, -1,
					    &sub, &sv);
					qp_buf_free(&sub.msg);
					if (!sub.valid) {
						flag = 0;
						break;
					}
				}
			}
			if (flag) {
				*is_variable = is_var;
				return;
			}
		}
		/* str(nested_type_converted): "<class 'float'>" */
		set_err(r, "type_error:nested", "Nested type checking failed "
		    "for parameter %s. Expected outer type %s with inner "
		    "type <class '%s'>. Parameter value: %s.",
		    repr_name(&pn, param), expected_desc,
		    kind_name((enum bv_kind)nested), repr_of(&tmp, value));
	}
	if (pat >= 0 && (int)value->kind == pat) {
		*is_variable = 1;
		qp_buf_free(&tmp);
		qp_buf_free(&pn);
		return;	/* valid, or the nested failure above */
	}
	/* appended after a nested failure: BFCL's list then holds both */
	add_err(r, "type_error:simple", "Incorrect type for parameter %s. "
	    "Expected type %s, got %s. Parameter value: %s.",
	    repr_name(&pn, param), expected_desc, bv_type_name(value),
	    repr_of(&tmp, value));
	qp_buf_free(&tmp);
	qp_buf_free(&pn);
}

static void
string_checker(const char *param, const struct bv *value,
    const struct bv *pa, struct bfcl_result *r)
{
	struct qp_buf t1 = QP_BUF_INIT, t2 = QP_BUF_INIT, t3 = QP_BUF_INIT;
	size_t i;

	for (i = 0; pa != NULL && pa->kind == BV_LIST && i < pa->n; i++)
		if (pa->items[i].kind == BV_STR && std_eq(value, &pa->items[i]))
			return;
	set_err(r, "value_error:string", "Invalid value for parameter %s: "
	    "%s. Expected one of %s. Case insensitive.",
	    repr_name(&t3, param), repr_of(&t1, value),
	    pa != NULL ? repr_of(&t2, pa) : "[]");
	qp_buf_free(&t1);
	qp_buf_free(&t2);
	qp_buf_free(&t3);
}

/* The list of acceptable lists: each must equal value element-wise. */
static void
list_checker(const char *param, const struct bv *value, const struct bv *pa,
    struct bfcl_result *r)
{
	struct qp_buf t1 = QP_BUF_INIT, t2 = QP_BUF_INIT, t3 = QP_BUF_INIT;
	size_t i, j;

	for (i = 0; pa != NULL && pa->kind == BV_LIST && i < pa->n; i++) {
		const struct bv *cand = &pa->items[i];
		size_t cn;

		/* An "" answer reads as an empty list (len("") == 0). */
		if (is_empty_str(cand))
			cn = 0;
		else if (cand->kind == BV_LIST || cand->kind == BV_TUPLE)
			cn = cand->n;
		else
			continue;
		if (cn != value->n)
			continue;
		for (j = 0; j < cn; j++)
			if (!eq_std(&value->items[j], &cand->items[j]))
				break;
		if (j == cn)
			return;
	}
	set_err(r, "value_error:list/tuple", "Invalid value for parameter "
	    "%s: %s. Expected one of %s.", repr_name(&t3, param),
	    repr_of(&t1, value), pa != NULL ? repr_of(&t2, pa) : "[]");
	qp_buf_free(&t1);
	qp_buf_free(&t2);
	qp_buf_free(&t3);
}

/*
 * repr() of BFCL's standardize_possible_answer in dict_checker: the
 * acceptable values with every string standardised.
 */
static void
std_list_repr(struct qp_buf *o, const struct bv *acc)
{
	const struct bv *it = acc->kind == BV_LIST ? acc->items : acc;
	size_t n = acc->kind == BV_LIST ? acc->n : 1, i;

	qp_buf_reset(o);
	qp_buf_adds(o, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			qp_buf_adds(o, ", ");
		if (it[i].kind == BV_STR) {
			struct qp_buf t = QP_BUF_INIT;

			bfcl_standardize(&t, it[i].s, it[i].len);
			py_str_repr(o, t.buf != NULL ? t.buf : "", t.len);
			qp_buf_free(&t);
		} else
			bv_py_repr(o, &it[i]);
	}
	qp_buf_adds(o, "]");
}

static void
dict_checker(const char *param, const struct bv *value, const struct bv *pas,
    struct bfcl_result *r)
{
	struct qp_buf tmp = QP_BUF_INIT, t2 = QP_BUF_INIT, t3 = QP_BUF_INIT;
	size_t i, k, m;

	(void)param;
	set_err_empty(r, "dict_checker:unclear");
	for (i = 0; pas != NULL && pas->kind == BV_LIST && i < pas->n; i++) {
		const struct bv *pa = &pas->items[i];
		int flag = 1;

		if (is_empty_str(pa))
			continue;
		set_err_empty(r, "dict_checker:unclear");
		if (value->kind != BV_DICT) {
			set_err(r, "value_error:dict_key", "Expected a dict, "
			    "got %s.", bv_type_name(value));
			continue;
		}
		for (k = 0; k < value->n && flag; k++) {
			const struct bv *key = &value->items[2 * k];
			const struct bv *val = &value->items[2 * k + 1];
			const struct bv *acc = dict_find(pa, key);

			if (acc == NULL) {
				/* f"...: '{key}'.": str(), not repr() */
				set_err(r, "value_error:dict_key", "Unexpected "
				    "dict key parameter: '%s'.",
				    str_of(&tmp, key));
				flag = 0;
				break;
			}
			if (acc->kind == BV_LIST) {
				for (m = 0; m < acc->n; m++)
					if (eq_std(val, &acc->items[m]))
						break;
				if (m < acc->n)
					continue;
			} else if (eq_std(val, acc))
				continue;
			/* BFCL lists the standardised answers here */
			std_list_repr(&t3, acc);
			set_err(r, "value_error:dict_value",
			    "Invalid value for parameter %s: %s. Expected one "
			    "of %s.", repr_of(&tmp, key), repr_of(&t2, val),
			    qp_buf_str(&t3) ? qp_buf_str(&t3) : "[]");
			flag = 0;
		}
		if (flag && pa->kind == BV_DICT)
			for (k = 0; k < pa->n; k++) {
				if (dict_find(value, &pa->items[2 * k]) ==
				    NULL &&
				    !has_optional(&pa->items[2 * k + 1])) {
					set_err(r, "value_error:dict_key",
					    "Missing dict key parameter: "
					    "'%s'.", str_of(&tmp,
					    &pa->items[2 * k]));
					flag = 0;
					break;
				}
			}
		if (flag && pa->kind == BV_DICT) {
			r->valid = 1;
			r->error_type = NULL;
			qp_buf_reset(&r->msg);
			qp_buf_free(&tmp);
			qp_buf_free(&t2);
			qp_buf_free(&t3);
			return;
		}
	}
	qp_buf_free(&tmp);
	qp_buf_free(&t2);
	qp_buf_free(&t3);
}

static void
list_dict_checker(const char *param, const struct bv *value,
    const struct bv *pas, struct bfcl_result *r)
{
	size_t i, j;

	set_err_empty(r, "list_dict_checker:unclear");
	for (i = 0; pas != NULL && pas->kind == BV_LIST && i < pas->n; i++) {
		const struct bv *pa = &pas->items[i];
		size_t pn = pa->kind == BV_LIST ? pa->n : is_empty_str(pa) ?
		    0 : (size_t)-1;
		int flag = 1;

		if (pn != value->n) {
			set_err(r, "value_error:list_dict_count",
			    "Wrong number of dictionaries in the list.");
			continue;
		}
		for (j = 0; j < value->n; j++) {
			struct bv one;

			/* dict_checker(param, value[j], [pa[j]]) */
			memset(&one, 0, sizeof(one));
			one.kind = BV_LIST;
			one.items = (struct bv *)&pa->items[j];
			one.n = 1;
			dict_checker(param, &value->items[j], &one, r);
			if (!r->valid) {
				flag = 0;
				break;
			}
		}
		if (flag) {
			r->valid = 1;
			r->error_type = NULL;
			qp_buf_reset(&r->msg);
			return;
		}
	}
}

static void
simple_checker(const struct bv *desc, const struct bv *call,
    const struct bv *answer, int fc, struct bfcl_result *r)
{
	struct qp_buf name = QP_BUF_INIT, tmp = QP_BUF_INIT;
	const struct bv *nm, *params, *props, *req, *pa, *mp;
	size_t i;

	r->valid = 1;
	r->error_type = NULL;
	qp_buf_reset(&r->msg);
	pa = answer != NULL && answer->kind == BV_DICT && answer->n == 1 ?
	    &answer->items[1] : NULL;
	nm = bv_get(desc, "name");
	params = bv_get(desc, "parameters");
	props = bv_get(params, "properties");
	req = bv_get(params, "required");
	if (nm == NULL || nm->kind != BV_STR || pa == NULL) {
		set_err(r, "simple_function_checker:unclear", "Malformed "
		    "function document or answer.");
		return;
	}
	for (i = 0; i < nm->len; i++)
		qp_buf_add(&name, fc && nm->s[i] == '.' ? "_" : nm->s + i, 1);
	if (!qp_buf_ok(&name)) {
		set_err(r, "simple_function_checker:unclear", "Out of memory.");
		goto out;
	}
	mp = name.buf != NULL ? bv_get(call, name.buf) : NULL;
	if (mp == NULL || name.buf == NULL) {
		set_err(r, "simple_function_checker:wrong_func_name",
		    "Function name %s not found in model output.",
		    repr_name(&tmp, name.buf != NULL ? name.buf : ""));
		goto out;
	}
	for (i = 0; req != NULL && req->kind == BV_LIST && i < req->n; i++)
		if (req->items[i].kind == BV_STR &&
		    dict_find(mp, &req->items[i]) == NULL) {
			set_err(r, "simple_function_checker:missing_required",
			    "Missing required parameter: %s.",
			    repr_of(&tmp, &req->items[i]));
			goto out;
		}
	for (i = 0; i < mp->n; i++) {
		const struct bv *key = &mp->items[2 * i];
		const struct bv *value = &mp->items[2 * i + 1];
		const struct bv *det, *acc, *tname, *items, *itype;
		enum bv_kind expected, nk;
		int nested = -1, is_var = 0;
		struct bv conv;
		size_t m;

		det = dict_find(props, key);
		acc = dict_find(pa, key);
		if (key->kind != BV_STR || det == NULL || acc == NULL) {
			set_err(r, "simple_function_checker:unexpected_param",
			    "Unexpected parameter: %s.",
			    repr_of(&tmp, key));
			goto out;
		}
		tname = bv_get(det, "type");
		if (tname == NULL || tname->kind != BV_STR ||
		    !py_type_of(tname->s, &expected)) {
			set_err(r, "simple_function_checker:unclear", "Unknown "
			    "type for parameter '%s'.", key->s);
			goto out;
		}
		if (strcmp(tname->s, "array") == 0 ||
		    strcmp(tname->s, "tuple") == 0) {
			items = bv_get(det, "items");
			itype = bv_get(items, "type");
			if (itype != NULL && itype->kind == BV_STR &&
			    py_type_of(itype->s, &nk))
				nested = (int)nk;
		}
		conv = *value;	/* a view: never freed */
		if (strcmp(tname->s, "tuple") == 0 && conv.kind == BV_TUPLE)
			conv.kind = BV_LIST;
		if (strcmp(tname->s, "float") == 0 && conv.kind == BV_INT) {
			conv.kind = BV_FLOAT;
			conv.f = (double)conv.i;
		}
		type_checker(key->s, &conv, acc, tname->s, expected, nested, r,
		    &is_var);
		if (!r->valid)
			goto out;
		if (!is_var) {
			if (expected == BV_DICT) {
				dict_checker(key->s, &conv, acc, r);
				if (!r->valid)
					goto out;
				continue;
			}
			if (expected == BV_LIST && nested == (int)BV_DICT) {
				list_dict_checker(key->s, &conv, acc, r);
				if (!r->valid)
					goto out;
				continue;
			}
			if (expected == BV_STR) {
				string_checker(key->s, &conv, acc, r);
				if (!r->valid)
					goto out;
				continue;
			}
			if (expected == BV_LIST) {
				list_checker(key->s, &conv, acc, r);
				if (!r->valid)
					goto out;
				continue;
			}
		}
		for (m = 0; acc->kind == BV_LIST && m < acc->n; m++)
			if (bv_py_eq(&conv, &acc->items[m]))
				break;
		if (acc->kind != BV_LIST || m == acc->n) {
			struct qp_buf t2 = QP_BUF_INIT, t3 = QP_BUF_INIT;

			set_err(r, "value_error:others", "Invalid value for "
			    "parameter %s: %s. Expected one of %s.",
			    repr_of(&t3, key), repr_of(&tmp, &conv),
			    repr_of(&t2, acc));
			qp_buf_free(&t3);
			qp_buf_free(&t2);
			goto out;
		}
	}
	for (i = 0; i < pa->n; i++)
		if (dict_find(mp, &pa->items[2 * i]) == NULL &&
		    !has_optional(&pa->items[2 * i + 1])) {
			set_err(r, "simple_function_checker:missing_optional",
			    "Optional parameter %s not provided and not marked "
			    "as optional.", repr_of(&tmp, &pa->items[2 * i]));
			goto out;
		}
	r->valid = 1;
	r->error_type = NULL;
	qp_buf_reset(&r->msg);
out:
	qp_buf_free(&name);
	qp_buf_free(&tmp);
}

static const struct bv *
find_description(const struct bv *funcs, const struct bv *name)
{
	size_t i;

	for (i = 0; funcs->kind == BV_LIST && i < funcs->n; i++) {
		const struct bv *nm = bv_get(&funcs->items[i], "name");

		if (nm != NULL && bv_py_eq(nm, name))
			return (&funcs->items[i]);
	}
	return (NULL);
}

void
bfcl_check(const struct bv *funcs, const struct bv *decoded,
    const struct bv *answer, enum bfcl_cat cat, int fc, struct bfcl_result *r)
{
	size_t i, j;

	r->valid = 1;
	r->error_type = NULL;
	qp_buf_reset(&r->msg);
	if (funcs->kind != BV_LIST || decoded->kind != BV_LIST ||
	    answer->kind != BV_LIST || funcs->n == 0 || answer->n == 0) {
		set_err(r, "ast_checker:unclear", "Malformed input.");
		return;
	}
	if (cat == CAT_PARALLEL || cat == CAT_PARALLEL_MULTIPLE) {
		unsigned char *used;

		if (decoded->n != answer->n) {
			set_err(r, "parallel_function_checker_no_order:"
			    "wrong_count", "Wrong number of functions.");
			return;
		}
		used = calloc(decoded->n + 1, 1);
		if (used == NULL) {
			set_err(r, "ast_checker:unclear", "Out of memory.");
			return;
		}
		for (i = 0; i < answer->n; i++) {
			const struct bv *ans = &answer->items[i];
			const struct bv *desc = ans->kind == BV_DICT &&
			    ans->n == 1 ? find_description(funcs,
			    &ans->items[0]) : NULL;
			struct qp_buf why = QP_BUF_INIT, idx = QP_BUF_INIT;
			int found = 0;

			for (j = 0; desc != NULL && j < decoded->n; j++) {
				if (used[j])
					continue;
				simple_checker(desc, &decoded->items[j], ans,
				    fc, r);
				if (r->valid) {
					used[j] = 1;
					found = 1;
					break;
				}
				/* BFCL's all_errors entry, as one line */
				qp_buf_addf(&why, " Model Result Index %zu: "
				    "%s: %s", j, r->error_type,
				    qp_buf_str(&r->msg) ? qp_buf_str(&r->msg) :
				    "");
			}
			if (!found) {
				size_t nidx = 0;

				/* considered_indices: the unmatched ones */
				qp_buf_adds(&idx, "[");
				for (j = 0; j < decoded->n; j++)
					if (!used[j])
						qp_buf_addf(&idx, "%s%zu",
						    nidx++ ? ", " : "", j);
				qp_buf_adds(&idx, "]");
				set_err(r, "parallel_function_checker_no_order:"
				    "cannot_find_match", "Could not find a "
				    "matching function among index %s of model "
				    "output for index %zu of possible "
				    "answers.%s", qp_buf_str(&idx) ?
				    qp_buf_str(&idx) : "[]", i,
				    qp_buf_str(&why) ? qp_buf_str(&why) : "");
				qp_buf_free(&why);
				qp_buf_free(&idx);
				free(used);
				return;
			}
			qp_buf_free(&why);
		}
		free(used);
		r->valid = 1;
		r->error_type = NULL;
		qp_buf_reset(&r->msg);
		return;
	}
	if (cat == CAT_MULTIPLE) {
		const struct bv *ans = &answer->items[0], *desc;

		if (decoded->n != answer->n) {
			set_err(r, "multiple_function_checker:wrong_count",
			    "Wrong number of functions.");
			return;
		}
		desc = ans->kind == BV_DICT && ans->n == 1 ?
		    find_description(funcs, &ans->items[0]) : NULL;
		if (desc == NULL) {
			set_err(r, "multiple_function_checker:unclear",
			    "The expected function is not documented.");
			return;
		}
		simple_checker(desc, &decoded->items[0], ans, fc, r);
		return;
	}
	if (decoded->n != 1) {
		set_err(r, "simple_function_checker:wrong_count",
		    "Wrong number of functions.");
		return;
	}
	simple_checker(&funcs->items[0], &decoded->items[0],
	    &answer->items[0], fc, r);
}
