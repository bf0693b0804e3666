#include "config.h"
#include "qp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

void
qp_buf_reset(struct qp_buf *b)
{
	b->len = 0;
	b->oom = 0;
	if (b->buf != NULL)
		b->buf[0] = '\0';
}

void
qp_buf_free(struct qp_buf *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->alloc = 0;
	b->oom = 0;
}

static int
grow(struct qp_buf *b, size_t extra)
{
	size_t need, a;
	char *nb;

	if (b->oom)
		return (0);
	need = b->len + extra + 1;
	if (need < b->len) {
		b->oom = 1;
		return (0);
	}
	if (need <= b->alloc)
		return (1);
	a = b->alloc ? b->alloc : 64;
	while (a < need)
		a *= 2;
	nb = realloc(b->buf, a);
	if (nb == NULL) {
		b->oom = 1;
		return (0);
	}
	b->buf = nb;
	b->alloc = a;
	return (1);
}

void
qp_buf_add(struct qp_buf *b, const char *s, size_t n)
{
	if (!grow(b, n))
		return;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void
qp_buf_adds(struct qp_buf *b, const char *s)
{
	qp_buf_add(b, s, strlen(s));
}

void
qp_buf_addf(struct qp_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!grow(b, 64))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, b->alloc - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if ((size_t)n >= b->alloc - b->len) {
		if (!grow(b, (size_t)n))
			return;
		va_start(ap, fmt);
		n = vsnprintf(b->buf + b->len, b->alloc - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void
qp_buf_json_str(struct qp_buf *b, const char *s)
{
	qp_buf_json_strn(b, s, strlen(s));
}

void
qp_buf_json_strn(struct qp_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p, *end = (const unsigned char *)s + n;

	qp_buf_add(b, "\"", 1);
	for (p = (const unsigned char *)s; p < end; p++) {
		switch (*p) {
		case '"':  qp_buf_add(b, "\\\"", 2); break;
		case '\\': qp_buf_add(b, "\\\\", 2); break;
		case '\n': qp_buf_add(b, "\\n", 2); break;
		case '\r': qp_buf_add(b, "\\r", 2); break;
		case '\t': qp_buf_add(b, "\\t", 2); break;
		default:
			if (*p < 0x20) {
				char u[6] = { '\\', 'u', '0', '0',
				    hex[*p >> 4], hex[*p & 15] };
				qp_buf_add(b, u, 6);
			} else
				qp_buf_add(b, (const char *)p, 1);
		}
	}
	qp_buf_add(b, "\"", 1);
}

void
qp_buf_chat_message(struct qp_buf *b, int *first, const char *role,
    const char *content)
{
	qp_buf_chat_message_n(b, first, role, content != NULL ? content : "",
	    content != NULL ? strlen(content) : 0);
}

void
qp_buf_chat_message_n(struct qp_buf *b, int *first, const char *role,
    const char *content, size_t len)
{
	if (!*first)
		qp_buf_adds(b, ",");
	*first = 0;
	qp_buf_adds(b, "{\"role\":");
	qp_buf_json_str(b, role);
	qp_buf_adds(b, ",\"content\":");
	qp_buf_json_strn(b, content != NULL ? content : "", len);
	qp_buf_adds(b, "}");
}

void
qp_buf_stop_list(struct qp_buf *b, const char *const *stops)
{
	size_t i;

	qp_buf_adds(b, ",\"stop\":[");
	for (i = 0; stops[i] != NULL; i++) {
		if (i > 0)
			qp_buf_adds(b, ",");
		qp_buf_json_str(b, stops[i]);
	}
	qp_buf_adds(b, "]");
}

const char *
qp_buf_str(const struct qp_buf *b)
{
	if (b->oom)
		return (NULL);
	return (b->buf != NULL ? b->buf : "");
}

int
qp_buf_ok(const struct qp_buf *b)
{
	return (!b->oom);
}

const char *
qp_json_str(const struct cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return (cJSON_IsString(v) ? v->valuestring : NULL);
}

const struct cJSON *
qp_json_arr(const struct cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return (cJSON_IsArray(v) ? v : NULL);
}

int
qp_json_num(const struct cJSON *obj, const char *key, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(v))
		return (0);
	*out = v->valuedouble;
	return (1);
}

char *
qp_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p != NULL)
		memcpy(p, s, n);
	return (p);
}

static void
mt_init(struct qp_mt *m, uint32_t seed)
{
	int i;

	m->s[0] = seed;
	for (i = 1; i < 624; i++)
		m->s[i] = 1812433253u * (m->s[i - 1] ^ (m->s[i - 1] >> 30)) +
		    (uint32_t)i;
	m->i = 624;
}

/* random.seed(n), 0 <= n < 2^32: init_by_array with a one-word key. */
void
qp_mt_seed(struct qp_mt *m, uint32_t key)
{
	int i = 1, k;

	mt_init(m, 19650218u);
	for (k = 624; k > 0; k--) {
		m->s[i] = (m->s[i] ^ ((m->s[i - 1] ^ (m->s[i - 1] >> 30)) *
		    1664525u)) + key;
		if (++i >= 624) {
			m->s[0] = m->s[623];
			i = 1;
		}
	}
	for (k = 623; k > 0; k--) {
		m->s[i] = (m->s[i] ^ ((m->s[i - 1] ^ (m->s[i - 1] >> 30)) *
		    1566083941u)) - (uint32_t)i;
		if (++i >= 624) {
			m->s[0] = m->s[623];
			i = 1;
		}
	}
	m->s[0] = 0x80000000u;
	m->i = 624;
}

uint32_t
qp_mt_next(struct qp_mt *m)
{
	uint32_t y;
	int k;

	if (m->i >= 624) {
		for (k = 0; k < 624; k++) {
			y = (m->s[k] & 0x80000000u) |
			    (m->s[(k + 1) % 624] & 0x7fffffffu);
			m->s[k] = m->s[(k + 397) % 624] ^ (y >> 1) ^
			    ((y & 1u) ? 0x9908b0dfu : 0u);
		}
		m->i = 0;
	}
	y = m->s[m->i++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680u;
	y ^= (y << 15) & 0xefc60000u;
	y ^= y >> 18;
	return (y);
}

uint32_t
qp_mt_below(struct qp_mt *m, uint32_t n)
{
	int bits = 0;
	uint32_t r;

	while (bits < 32 && (n >> bits) != 0)
		bits++;
	do
		r = qp_mt_next(m) >> (32 - bits);
	while (r >= n);
	return (r);
}

int
qp_mt_sample(struct qp_mt *m, size_t n, size_t k, size_t *out)
{
	size_t setsize = 21, i, j;

	if (k > 5) {
		/* 4 ** ceil(log(3k, 4)): 3k is never a power of 4 */
		size_t p = 1;

		while (p < 3 * k)
			p *= 4;
		setsize += p;
	}
	if (n <= setsize) {
		size_t *pool = malloc((n ? n : 1) * sizeof(*pool));

		if (pool == NULL)
			return (-1);
		for (i = 0; i < n; i++)
			pool[i] = i;
		for (i = 0; i < k; i++) {
			j = qp_mt_below(m, (uint32_t)(n - i));
			out[i] = pool[j];
			pool[j] = pool[n - i - 1];
		}
		free(pool);
		return (0);
	}
	for (i = 0; i < k; i++) {
		int again;

		do {
			out[i] = qp_mt_below(m, (uint32_t)n);
			again = 0;
			for (j = 0; j < i; j++)
				if (out[j] == out[i])
					again = 1;
		} while (again);
	}
	return (0);
}
