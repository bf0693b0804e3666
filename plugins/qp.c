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
