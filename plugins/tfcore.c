#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "tfcore.h"

/* ------------------------------------------------------------------ */
/* Templates                                                          */

const cJSON *
tf_path(const cJSON *obj, const char *path)
{
	char key[256];
	const char *p = path;

	while (obj != NULL && *p != '\0') {
		const char *dot = strchr(p, '.');
		size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);

		if (len == 0 || len >= sizeof(key))
			return (NULL);
		memcpy(key, p, len);
		key[len] = '\0';
		if (cJSON_IsArray(obj)) {
			char *end;
			long k = strtol(key, &end, 10);

			obj = *end == '\0' && k >= 0 ?
			    cJSON_GetArrayItem(obj, (int)k) : NULL;
		} else
			obj = cJSON_GetObjectItemCaseSensitive(obj, key);
		p += len;
		if (*p == '.')
			p++;
	}
	return (obj);
}

void
tf_value_text(struct qp_buf *b, const cJSON *v)
{
	char *txt;

	if (cJSON_IsString(v))
		qp_buf_adds(b, v->valuestring);
	else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (d == floor(d) && fabs(d) < 1e15)
			qp_buf_addf(b, "%.0f", d);
		else
			qp_buf_addf(b, "%.17g", d);
	} else if (cJSON_IsTrue(v))
		qp_buf_adds(b, "true");
	else if (cJSON_IsFalse(v))
		qp_buf_adds(b, "false");
	else if (cJSON_IsNull(v))
		qp_buf_adds(b, "null");
	else if ((txt = cJSON_PrintUnformatted(v)) != NULL) {
		qp_buf_adds(b, txt);
		cJSON_free(txt);
	} else
		b->oom = 1;
}

int
tf_render(const char *tmpl, const cJSON *obj, struct qp_buf *out,
    char *miss, size_t misssz)
{
	const char *p = tmpl;
	int rc = 0;

	qp_buf_reset(out);
	qp_buf_add(out, "", 0);
	while (*p != '\0') {
		const char *o = strstr(p, "{{"), *c, *s, *e;
		char path[256];
		const cJSON *v;

		if (o == NULL || (c = strstr(o + 2, "}}")) == NULL) {
			qp_buf_adds(out, p);
			break;
		}
		qp_buf_add(out, p, (size_t)(o - p));
		s = o + 2;
		e = c;
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if ((size_t)(e - s) >= sizeof(path) || e == s) {
			/* not a field: kept verbatim */
			qp_buf_add(out, o, (size_t)(c + 2 - o));
			p = c + 2;
			continue;
		}
		memcpy(path, s, (size_t)(e - s));
		path[e - s] = '\0';
		v = tf_path(obj, path);
		if (v == NULL) {
			if (rc == 0 && miss != NULL && misssz > 0)
				snprintf(miss, misssz, "%s", path);
			rc = -1;
		} else
			tf_value_text(out, v);
		p = c + 2;
	}
	return (rc);
}

/* ------------------------------------------------------------------ */
/* Filters                                                            */

static size_t
utf8_next(const char *s, size_t len, size_t i)
{
	i++;
	while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
		i++;
	return (i);
}

static void
add_stripped(struct qp_buf *out, const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	qp_buf_add(out, s, len);
}

/* lm-eval's RegexFilter over one response. */
static void
regex_step(const struct qeval_host *h, const struct tf_step *st,
    const char *s, size_t len, struct qp_buf *out, int *fell)
{
	struct qeval_match m, pick;
	size_t off = 0, nm = 0, want;
	int have = 0;

	/* findall, then match[select] */
	memset(&pick, 0, sizeof(pick));
	if (st->select >= 0) {
		while (off <= len && h->rx_match(st->rx, s, len, off, &m) > 0) {
			if (nm == (size_t)st->select) {
				pick = m;
				have = 1;
				break;
			}
			nm++;
			off = m.end[0] > m.start[0] ? m.end[0] :
			    utf8_next(s, len, m.end[0]);
		}
	} else {
		struct qeval_match *all = NULL;
		size_t alloc = 0;

		while (off <= len && h->rx_match(st->rx, s, len, off, &m) > 0) {
			if (nm == alloc) {
				struct qeval_match *v;

				alloc = alloc ? alloc * 2 : 8;
				v = realloc(all, alloc * sizeof(*v));
				if (v == NULL) {
					free(all);
					out->oom = 1;
					return;
				}
				all = v;
			}
			all[nm++] = m;
			off = m.end[0] > m.start[0] ? m.end[0] :
			    utf8_next(s, len, m.end[0]);
		}
		want = (size_t)(-(long)st->select);
		if (want <= nm) {
			pick = all[nm - want];
			have = 1;
		}
		free(all);
	}
	if (!have) {
		qp_buf_adds(out, st->fallback);
		*fell = 1;
		return;
	}
	if (st->group >= 0) {
		if (st->group < pick.ngroups &&
		    pick.start[st->group] != QEVAL_RX_UNSET)
			add_stripped(out, s + pick.start[st->group],
			    pick.end[st->group] - pick.start[st->group]);
		return;
	}
	if (pick.ngroups <= 1) {		/* findall: the whole match */
		add_stripped(out, s + pick.start[0], pick.end[0] -
		    pick.start[0]);
		return;
	}
	if (pick.ngroups == 2) {		/* findall: group 1, even "" */
		if (pick.start[1] != QEVAL_RX_UNSET)
			add_stripped(out, s + pick.start[1], pick.end[1] -
			    pick.start[1]);
		return;
	}
	/* a tuple: the first non-empty group */
	for (int g = 1; g < pick.ngroups; g++)
		if (pick.start[g] != QEVAL_RX_UNSET &&
		    pick.end[g] > pick.start[g]) {
			add_stripped(out, s + pick.start[g], pick.end[g] -
			    pick.start[g]);
			return;
		}
	add_stripped(out, st->fallback, strlen(st->fallback));
	*fell = 1;
}

static void
fence_step(const char *s, size_t len, struct qp_buf *out)
{
	const char *o = memmem(s, len, "```", 3), *b, *c;

	if (o == NULL) {
		qp_buf_add(out, s, len);
		return;
	}
	b = memchr(o, '\n', len - (size_t)(o - s));
	if (b == NULL) {
		qp_buf_add(out, "", 0);
		return;
	}
	b++;
	c = memmem(b, len - (size_t)(b - s), "```", 3);
	qp_buf_add(out, b, c != NULL ? (size_t)(c - b) :
	    len - (size_t)(b - s));
}

static void
think_step(const char *s, size_t len, struct qp_buf *out)
{
	const char *close = NULL, *p = s;
	size_t rest = len;

	/* everything up to the last </think> goes */
	while ((p = memmem(p, rest, "</think>", 8)) != NULL) {
		close = p;
		p += 8;
		rest = len - (size_t)(p - s);
	}
	if (close != NULL) {
		close += 8;
		qp_buf_add(out, close, len - (size_t)(close - s));
		return;
	}
	/* an unclosed <think>: nothing was answered */
	p = memmem(s, len, "<think>", 7);
	qp_buf_add(out, s, p != NULL ? (size_t)(p - s) : len);
}

void
tf_filter(const struct qeval_host *h, const struct tf_step *steps,
    size_t n, const char *text, size_t len, struct qp_buf *out, int *fell)
{
	struct qp_buf a = QP_BUF_INIT, b = QP_BUF_INIT;
	size_t i, k;

	*fell = 0;
	qp_buf_add(&a, text, len);
	qp_buf_add(&a, "", 0);
	for (i = 0; i < n && qp_buf_ok(&a); i++) {
		const char *s = qp_buf_str(&a);
		size_t sl = a.len;

		qp_buf_reset(&b);
		qp_buf_add(&b, "", 0);
		switch (steps[i].op) {
		case TF_REGEX:
			regex_step(h, &steps[i], s, sl, &b, fell);
			break;
		case TF_STRIP:
			add_stripped(&b, s, sl);
			break;
		case TF_LOWERCASE:
		case TF_UPPERCASE:
			qp_buf_add(&b, s, sl);
			for (k = 0; b.buf != NULL && k < b.len; k++)
				b.buf[k] = (char)(steps[i].op == TF_LOWERCASE ?
				    tolower((unsigned char)b.buf[k]) :
				    toupper((unsigned char)b.buf[k]));
			break;
		case TF_CODE_FENCE:
			fence_step(s, sl, &b);
			break;
		case TF_THINK:
			think_step(s, sl, &b);
			break;
		case TF_TAKE_FIRST_LINE: {
			const char *nl = memchr(s, '\n', sl);

			qp_buf_add(&b, s, nl != NULL ? (size_t)(nl - s) : sl);
			break;
		}
		}
		if (!qp_buf_ok(&b))
			a.oom = 1;
		else {
			struct qp_buf t = a;

			a = b;
			b = t;
		}
	}
	qp_buf_reset(out);
	if (qp_buf_ok(&a))
		qp_buf_add(out, a.buf, a.len);
	else
		out->oom = 1;
	qp_buf_add(out, "", 0);
	qp_buf_free(&a);
	qp_buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Metrics                                                            */

/* Removes every match of rx from the string in b. */
static void
remove_all(const struct qeval_host *h, struct qeval_regex *rx,
    struct qp_buf *b)
{
	struct qp_buf o = QP_BUF_INIT;
	struct qeval_match m;
	const char *s = qp_buf_str(b);
	size_t len = b->len, off = 0, last = 0;

	if (s == NULL)
		return;
	qp_buf_add(&o, "", 0);
	while (off <= len && h->rx_match(rx, s, len, off, &m) > 0) {
		qp_buf_add(&o, s + last, m.start[0] - last);
		last = m.end[0];
		off = m.end[0] > m.start[0] ? m.end[0] :
		    utf8_next(s, len, m.end[0]);
	}
	if (last < len)
		qp_buf_add(&o, s + last, len - last);
	qp_buf_free(b);
	*b = o;
}

static void
normalise(const struct qeval_host *h, const struct tf_em_opts *o,
    const char *s, struct qp_buf *b)
{
	size_t i, k;

	qp_buf_reset(b);
	qp_buf_adds(b, s);
	qp_buf_add(b, "", 0);
	for (i = 0; i < o->n_ignore; i++)
		remove_all(h, o->ignore[i], b);
	if (b->buf == NULL)
		return;
	for (i = k = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->buf[i];

		if (o->ignore_punctuation && c < 0x80 && ispunct(c))
			continue;
		if (o->ignore_numbers && isdigit(c))
			continue;
		b->buf[k++] = (char)(o->ignore_case ? tolower(c) : c);
	}
	b->buf[k] = '\0';
	b->len = k;
}

int
tf_exact_match(const struct qeval_host *h, const struct tf_em_opts *o,
    const char *pred, const char *gold)
{
	struct qp_buf a = QP_BUF_INIT, b = QP_BUF_INIT;
	int eq;

	normalise(h, o, pred, &a);
	normalise(h, o, gold, &b);
	eq = qp_buf_ok(&a) && qp_buf_ok(&b) && a.len == b.len &&
	    memcmp(qp_buf_str(&a), qp_buf_str(&b), a.len) == 0;
	qp_buf_free(&a);
	qp_buf_free(&b);
	return (eq);
}

static int
parse_number(const char *s, double *out)
{
	char buf[128], *end;
	size_t k = 0;

	while (isspace((unsigned char)*s))
		s++;
	for (; *s != '\0' && k + 1 < sizeof(buf); s++)
		if (*s != ',' && *s != '$')
			buf[k++] = *s;
	if (*s != '\0')
		return (-1);
	while (k > 0 && isspace((unsigned char)buf[k - 1]))
		k--;
	if (k > 1 && buf[k - 1] == '.')
		k--;
	buf[k] = '\0';
	if (k == 0)
		return (-1);
	errno = 0;
	*out = strtod(buf, &end);
	return (*end == '\0' && errno == 0 && isfinite(*out) ? 0 : -1);
}

int
tf_numeric_match(const char *pred, const char *gold, double tol)
{
	double a, b;

	if (parse_number(pred, &a) != 0 || parse_number(gold, &b) != 0)
		return (0);
	return (fabs(a - b) <= tol);
}

int
tf_contains(const char *pred, const char *gold, int ignore_case)
{
	size_t n = strlen(gold);

	if (!ignore_case)
		return (strstr(pred, gold) != NULL);
	for (; *pred != '\0'; pred++)
		if (strncasecmp(pred, gold, n) == 0)
			return (1);
	return (n == 0);
}

/* ------------------------------------------------------------------ */
/* JSON Schema subset                                                 */

static const char *const schema_words[] = {
	"type", "properties", "required", "enum", "const", "items",
	"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
	"minLength", "maxLength", "minItems", "maxItems",
	"additionalProperties", "title", "description", "$schema", "$id",
	"default", "examples", NULL
};

static int
type_is(const char *t, const cJSON *v)
{
	if (strcmp(t, "string") == 0)
		return (cJSON_IsString(v));
	if (strcmp(t, "number") == 0)
		return (cJSON_IsNumber(v));
	if (strcmp(t, "integer") == 0)
		return (cJSON_IsNumber(v) &&
		    v->valuedouble == floor(v->valuedouble));
	if (strcmp(t, "boolean") == 0)
		return (cJSON_IsBool(v));
	if (strcmp(t, "object") == 0)
		return (cJSON_IsObject(v));
	if (strcmp(t, "array") == 0)
		return (cJSON_IsArray(v));
	if (strcmp(t, "null") == 0)
		return (cJSON_IsNull(v));
	return (0);
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return (n);
}

static int
num_kw(const cJSON *schema, const char *k, double *out)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(schema, k);

	if (!cJSON_IsNumber(x))
		return (0);
	*out = x->valuedouble;
	return (1);
}

static int
bad(struct qp_buf *why, const char *path, const char *what)
{
	if (why != NULL) {
		qp_buf_reset(why);
		qp_buf_addf(why, "%s: %s", *path ? path : "$", what);
	}
	return (0);
}

static int
valid_at(const cJSON *schema, const cJSON *v, const char *path,
    struct qp_buf *why)
{
	const cJSON *t, *x, *e;
	double d;
	char sub[512];

	if (cJSON_IsTrue(schema))
		return (1);
	if (cJSON_IsFalse(schema))
		return (bad(why, path, "no value is allowed here"));
	if (!cJSON_IsObject(schema))
		return (1);
	t = cJSON_GetObjectItemCaseSensitive(schema, "type");
	if (cJSON_IsString(t) && !type_is(t->valuestring, v)) {
		snprintf(sub, sizeof(sub), "not of type %s", t->valuestring);
		return (bad(why, path, sub));
	}
	if (cJSON_IsArray(t)) {
		int any = 0;

		cJSON_ArrayForEach(e, t)
			if (cJSON_IsString(e) && type_is(e->valuestring, v))
				any = 1;
		if (!any)
			return (bad(why, path, "not of any allowed type"));
	}
	x = cJSON_GetObjectItemCaseSensitive(schema, "enum");
	if (cJSON_IsArray(x)) {
		int any = 0;

		cJSON_ArrayForEach(e, x)
			if (cJSON_Compare(e, v, 1))
				any = 1;
		if (!any)
			return (bad(why, path, "not one of the enum's values"));
	}
	x = cJSON_GetObjectItemCaseSensitive(schema, "const");
	if (x != NULL && !cJSON_Compare(x, v, 1))
		return (bad(why, path, "not the const value"));
	if (cJSON_IsNumber(v)) {
		if (num_kw(schema, "minimum", &d) && v->valuedouble < d)
			return (bad(why, path, "below the minimum"));
		if (num_kw(schema, "maximum", &d) && v->valuedouble > d)
			return (bad(why, path, "above the maximum"));
		if (num_kw(schema, "exclusiveMinimum", &d) &&
		    v->valuedouble <= d)
			return (bad(why, path, "not above exclusiveMinimum"));
		if (num_kw(schema, "exclusiveMaximum", &d) &&
		    v->valuedouble >= d)
			return (bad(why, path, "not below exclusiveMaximum"));
	}
	if (cJSON_IsString(v)) {
		size_t n = utf8_chars(v->valuestring);

		if (num_kw(schema, "minLength", &d) && (double)n < d)
			return (bad(why, path, "shorter than minLength"));
		if (num_kw(schema, "maxLength", &d) && (double)n > d)
			return (bad(why, path, "longer than maxLength"));
	}
	if (cJSON_IsArray(v)) {
		double n = (double)cJSON_GetArraySize(v);
		int i = 0;

		if (num_kw(schema, "minItems", &d) && n < d)
			return (bad(why, path, "fewer items than minItems"));
		if (num_kw(schema, "maxItems", &d) && n > d)
			return (bad(why, path, "more items than maxItems"));
		x = cJSON_GetObjectItemCaseSensitive(schema, "items");
		if (x != NULL)
			cJSON_ArrayForEach(e, v) {
				snprintf(sub, sizeof(sub), "%s[%d]",
				    *path ? path : "$", i++);
				if (!valid_at(x, e, sub, why))
					return (0);
			}
	}
	if (cJSON_IsObject(v)) {
		const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema,
		    "properties");
		const cJSON *addl = cJSON_GetObjectItemCaseSensitive(schema,
		    "additionalProperties");

		x = cJSON_GetObjectItemCaseSensitive(schema, "required");
		if (cJSON_IsArray(x))
			cJSON_ArrayForEach(e, x)
				if (cJSON_IsString(e) &&
				    cJSON_GetObjectItemCaseSensitive(v,
				    e->valuestring) == NULL) {
					snprintf(sub, sizeof(sub), "the "
					    "required property \"%s\" is "
					    "missing", e->valuestring);
					return (bad(why, path, sub));
				}
		cJSON_ArrayForEach(e, v) {
			const cJSON *ps = props != NULL ?
			    cJSON_GetObjectItemCaseSensitive(props,
			    e->string) : NULL;

			snprintf(sub, sizeof(sub), "%s.%s", *path ? path : "$",
			    e->string);
			if (ps != NULL) {
				if (!valid_at(ps, e, sub, why))
					return (0);
			} else if (cJSON_IsFalse(addl))
				return (bad(why, sub, "a property the schema "
				    "does not allow (additionalProperties is "
				    "false)"));
			else if (cJSON_IsObject(addl) &&
			    !valid_at(addl, e, sub, why))
				return (0);
		}
	}
	return (1);
}

int
tf_schema_valid(const cJSON *schema, const cJSON *v, struct qp_buf *why)
{
	return (valid_at(schema, v, "", why));
}

int
tf_schema_check(const cJSON *schema, const char *path, struct qp_buf *why)
{
	const cJSON *e, *k;
	char sub[512];
	size_t i;

	if (cJSON_IsBool(schema))
		return (0);
	if (!cJSON_IsObject(schema)) {
		qp_buf_addf(why, "%s: a schema must be an object or a boolean",
		    path);
		return (-1);
	}
	cJSON_ArrayForEach(e, schema) {
		for (i = 0; schema_words[i] != NULL; i++)
			if (strcmp(schema_words[i], e->string) == 0)
				break;
		if (schema_words[i] == NULL) {
			qp_buf_addf(why, "%s.%s: a JSON Schema keyword qeval "
			    "does not check (see docs/TASK_FILES.md for the "
			    "subset)", path, e->string);
			return (-1);
		}
	}
	k = cJSON_GetObjectItemCaseSensitive(schema, "properties");
	if (k != NULL) {
		if (!cJSON_IsObject(k)) {
			qp_buf_addf(why, "%s.properties: an object is "
			    "expected", path);
			return (-1);
		}
		cJSON_ArrayForEach(e, k) {
			snprintf(sub, sizeof(sub), "%s.properties.%s", path,
			    e->string);
			if (tf_schema_check(e, sub, why) != 0)
				return (-1);
		}
	}
	k = cJSON_GetObjectItemCaseSensitive(schema, "items");
	if (k != NULL) {
		snprintf(sub, sizeof(sub), "%s.items", path);
		if (tf_schema_check(k, sub, why) != 0)
			return (-1);
	}
	k = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
	if (k != NULL) {
		snprintf(sub, sizeof(sub), "%s.additionalProperties", path);
		if (tf_schema_check(k, sub, why) != 0)
			return (-1);
	}
	return (0);
}

size_t
tf_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[64], prev, tmp;

	if (lb >= sizeof(row) / sizeof(row[0]))
		return ((size_t)-1);
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t c = prev + (a[i - 1] != b[j - 1]);

			tmp = row[j];
			if (row[j] + 1 < c)
				c = row[j] + 1;
			if (row[j - 1] + 1 < c)
				c = row[j - 1] + 1;
			row[j] = c;
			prev = tmp;
		}
	}
	return (row[lb]);
}

/* ------------------------------------------------------------------ */
/* SHA-256 (FIPS 180-4), for a task file's data "sha256"              */

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b,
	0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
	0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
	0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152,
	0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
	0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
	0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
	0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

#define ROR(x, n)	(((x) >> (n)) | ((x) << (32 - (n))))

static void
sha_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^
		    (w[i - 15] >> 3)) + w[i - 7] + (ROR(w[i - 2], 17) ^
		    ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; k = h[7];
	for (i = 0; i < 64; i++) {
		t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) +
		    ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) +
		    ((a & b) ^ (a & c) ^ (b & c));
		k = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

int
tf_sha256_file(const char *path, char out[65])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	unsigned char buf[64 * 256], tail[128];
	uint64_t bits = 0;
	size_t r, i, n, rest = 0;
	FILE *fp = fopen(path, "rb");

	if (fp == NULL)
		return (-1);
	while ((r = fread(buf, 1, sizeof(buf), fp)) > 0) {
		bits += (uint64_t)r * 8;
		n = r / 64 * 64;
		for (i = 0; i < n; i += 64)
			sha_block(h, buf + i);
		rest = r - n;
		memcpy(tail, buf + n, rest);
		if (rest > 0)
			break;	/* a short read is the end */
	}
	if (ferror(fp)) {
		fclose(fp);
		return (-1);
	}
	fclose(fp);
	tail[rest++] = 0x80;
	if (rest > 56) {
		memset(tail + rest, 0, 64 - rest);
		sha_block(h, tail);
		rest = 0;
	}
	memset(tail + rest, 0, 56 - rest);
	for (i = 0; i < 8; i++)
		tail[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha_block(h, tail);
	for (i = 0; i < 8; i++)
		snprintf(out + 8 * i, 9, "%08x", (unsigned)h[i]);
	return (0);
}
