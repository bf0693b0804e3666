/*
 * bfcl_util: helpers shared by the bfcl plugin's AST and multi-turn
 * halves (see bfcl_util.h).
 */
#include "config.h"

#include <stdlib.h>
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

int
bfcl_truths_read(struct bfcl_truths *t, const struct qeval_host *h,
    struct qeval_ctx *ctx, const char *path, const char *hint)
{
	struct qp_buf err = QP_BUF_INIT;
	struct bfcl_lines al;
	const char *s;
	size_t n;
	int rc;

	memset(&al, 0, sizeof(al));
	if ((rc = h->read_file(ctx, path, &al.data, &al.len)) != QEVAL_OK)
		goto out;
	while (bfcl_next_line(&al, &s, &n)) {
		struct bv rec, *gt;
		const char *id;

		if (bv_json_parse(s, n, &rec, &err) < 0) {
			rc = h->fail(ctx, QEVAL_EDATA, "%s:%zu: invalid JSON "
			    "(%s): check the file against its manifest", path,
			    al.lineno, qp_buf_str(&err));
			goto out;
		}
		id = bfcl_vstr(bv_get(&rec, "id"));
		gt = (struct bv *)bv_get(&rec, "ground_truth");
		if (id == NULL || gt == NULL) {
			bv_free(&rec);
			rc = h->fail(ctx, QEVAL_EDATA, "%s:%zu: the record "
			    "needs 'id' and 'ground_truth'%s", path, al.lineno,
			    hint);
			goto out;
		}
		if (t->n % 256 == 0) {
			struct bv *ng = realloc(t->gt, (t->n + 256) *
			    sizeof(*ng));
			char **ni;

			if (ng != NULL)
				t->gt = ng;
			ni = realloc(t->id, (t->n + 256) * sizeof(*ni));
			if (ni != NULL)
				t->id = ni;
			if (ng == NULL || ni == NULL) {
				bv_free(&rec);
				rc = h->fail(ctx, QEVAL_ENOMEM, "bfcl: out of "
				    "memory");
				goto out;
			}
		}
		t->id[t->n] = qp_strdup(id);
		t->gt[t->n] = *gt;
		memset(gt, 0, sizeof(*gt));
		t->n++;
		bv_free(&rec);
		if (t->id[t->n - 1] == NULL) {
			rc = h->fail(ctx, QEVAL_ENOMEM, "bfcl: out of memory");
			goto out;
		}
	}
out:
	if (al.data != NULL)
		h->free(al.data);
	qp_buf_free(&err);
	return (rc);
}

size_t
bfcl_truths_find(const struct bfcl_truths *t, size_t guess, const char *id)
{
	size_t i;

	if (guess < t->n && strcmp(t->id[guess], id) == 0)
		return (guess);
	for (i = 0; i < t->n; i++)
		if (strcmp(t->id[i], id) == 0)
			break;
	return (i);
}

void
bfcl_truths_free(struct bfcl_truths *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->id[i]);
		bv_free(&t->gt[i]);
	}
	free(t->id);
	free(t->gt);
	memset(t, 0, sizeof(*t));
}
