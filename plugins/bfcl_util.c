/*
 * bfcl_util: helpers shared by the bfcl plugin's AST and multi-turn
 * halves (see bfcl_util.h).
 */
#include "config.h"

#include <string.h>

#include "bfcl_util.h"

int
bfcl_next_line(struct bfcl_lines *l, const char **s, size_t *n)
{
	while (l->pos < l->len) {
		const char *p = l->data + l->pos;
		const char *e = memchr(p, '\n', l->len - l->pos);
		size_t len = e != NULL ? (size_t)(e - p) : l->len - l->pos;
		size_t k;

		l->pos += len + (e != NULL);
		l->lineno++;
		for (k = 0; k < len; k++)
			if (p[k] != ' ' && p[k] != '\t' && p[k] != '\r')
				break;
		if (k == len)
			continue;
		*s = p;
		*n = len;
		return (1);
	}
	return (0);
}

const char *
bfcl_vstr(const struct bv *v)
{
	return (v != NULL && v->kind == BV_STR ? v->s : NULL);
}

void
bfcl_clip(struct qp_buf *o, size_t max)
{
	size_t n;

	if (o->buf == NULL || o->len <= max)
		return;
	n = max;
	while (n > 0 && ((unsigned char)o->buf[n] & 0xc0) == 0x80)
		n--;
	o->buf[n] = '\0';
	o->len = n;
	qp_buf_adds(o, "...");
}
