/*
 * A plugin that uses what ABI 1.2 adds.  Its task, metric and option
 * arrays have elements larger than this header's structs, as a plugin
 * built against a later 1.x header would, so the core must step through
 * them by the sizes the descriptor gives.  It has only next2, score2 and
 * gold2 (exchanges as pointers), neither count nor sample_id (the
 * core's defaults: the records of abi12/items.jsonl, "abi12/<i>"), and
 * it builds its bodies with the host's services.
 *
 * Sample i: turn 1 sends record i's JSON text verbatim as the user
 * message (quotes, backslashes, control bytes and a NUL escape: the
 * host must escape them); turn 2 quotes the answer back; the sample is
 * right when the second answer is "A<i>".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qeval/plugin.h>

struct big_task {
	struct qeval_task	t;
	char			pad[40];
};
struct big_metric {
	struct qeval_metric_desc m;
	void			*pad[3];
};
struct big_option {
	struct qeval_option	o;
	double			pad[2];
};

static const char *const files[] = { "abi12/items.jsonl", NULL };
static const struct big_metric metrics[] = {
	{ { "acc", QEVAL_MF_PRIMARY }, { NULL } },
	{ { "invalid", QEVAL_MF_RATE | QEVAL_MF_LOWER_BETTER }, { NULL } },
	{ { NULL, 0 }, { NULL } }
};
static const struct big_task tasks[] = {
	{ { "abi12", "ABI 1.2", "Test", "none", files, &metrics[0].m, 0 },
	  "" },
	{ { "abi12_b", "ABI 1.2 (b)", "Test", "none", files, &metrics[0].m,
	  QEVAL_TF_CHAT_ONLY }, "" },
	{ { NULL, NULL, NULL, NULL, NULL, NULL, 0 }, "" }
};
static const struct big_option options[] = {
	{ { "first", QEVAL_OPT_BOOL, "0", "a test option", NULL, NULL },
	  { 0 } },
	{ { "second", QEVAL_OPT_STRING, NULL, "another", NULL, "abi12_b" },
	  { 0 } },
	{ { NULL, 0, NULL, NULL, NULL, NULL }, { 0 } }
};
static const char *const stops[] = { "\n\nQ:", NULL };

struct state {
	const struct qeval_host	*h;
	char			**q;
	size_t			*qlen;
	size_t			 n;
	struct qeval_buf	 body;
	char			 text[32];
};

static int
on_record(void *arg, const char *json, size_t len, const char *where)
{
	struct state *s = arg;
	char **q = realloc(s->q, (s->n + 1) * sizeof(*q));
	size_t *ql = realloc(s->qlen, (s->n + 1) * sizeof(*ql));

	(void)where;
	if (q != NULL)
		s->q = q;
	if (ql != NULL)
		s->qlen = ql;
	if (q == NULL || ql == NULL || (q[s->n] = malloc(len + 1)) == NULL)
		return (QEVAL_ENOMEM);
	memcpy(q[s->n], json, len);
	q[s->n][len] = '\0';
	ql[s->n++] = len;
	return (QEVAL_OK);
}

static void
a_close(void *st)
{
	struct state *s = st;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		free(s->q[i]);
	free(s->q);
	free(s->qlen);
	s->h->buf_free(&s->body);
	free(s);
}

static int
a_open(const struct qeval_host *h, struct qeval_ctx *ctx,
    const struct qeval_task *t, const struct qeval_opts *o, void **sp)
{
	struct state *s = calloc(1, sizeof(*s));
	int rc;

	(void)o;
	if (s == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "out of memory"));
	/* the core hands the plugin its own task entry */
	if (t != &tasks[0].t && t != &tasks[1].t) {
		free(s);
		return (h->fail(ctx, QEVAL_EINVAL, "not my task entry"));
	}
	s->h = h;
	rc = h->records(ctx, t->files[0], on_record, s);
	if (rc != QEVAL_OK) {
		a_close(s);
		return (rc < 0 ? rc : QEVAL_EDATA);
	}
	*sp = s;
	return (QEVAL_OK);
}

static int
a_next2(void *st, struct qeval_ctx *c, size_t i, unsigned cand,
    const struct qeval_exchange *const *ex, size_t nex,
    struct qeval_request *r)
{
	struct state *s = st;
	const struct qeval_host *h = s->h;

	(void)c;
	(void)cand;
	if (nex >= 2)
		return (QEVAL_DONE);
	h->buf_reset(&s->body);
	h->chat_begin(&s->body);
	h->chat_message(&s->body, "system", "Answer \"A\" and the number.",
	    QEVAL_NTS);
	h->chat_message(&s->body, "user", s->q[i], s->qlen[i]);
	if (nex == 1) {
		h->chat_message(&s->body, "assistant", ex[0]->resp.text,
		    QEVAL_RESP_TEXT_LEN(&ex[0]->resp));
		h->chat_message(&s->body, "user", "Sure?", QEVAL_NTS);
	}
	h->chat_end(&s->body, stops);
	r->kind = QEVAL_REQ_CHAT;
	r->body = s->body.data;
	r->label = nex == 0 ? "ask" : "confirm";
	return (QEVAL_NEXT);
}

static int
a_score2(void *st, struct qeval_ctx *c, size_t i, unsigned cand,
    const struct qeval_exchange *const *ex, size_t nex,
    struct qeval_verdict *v)
{
	struct state *s = st;

	(void)c;
	(void)cand;
	snprintf(s->text, sizeof(s->text), "A%zu", i);
	v->values[0] = nex == 2 && strcmp(ex[1]->resp.text, s->text) == 0 &&
	    strcmp(ex[0]->resp.text, s->text) == 0;
	v->values[1] = nex != 2;
	v->extracted = nex > 0 ? ex[nex - 1]->resp.text : NULL;
	return (QEVAL_OK);
}

static int
a_gold2(void *st, struct qeval_ctx *c, size_t i,
    const struct qeval_exchange *const *ex, size_t nex,
    const struct qeval_request *r, int corrupt, struct qeval_gold *g)
{
	struct state *s = st;

	(void)c;
	(void)ex;
	(void)nex;
	(void)r;
	snprintf(s->text, sizeof(s->text), corrupt ? "B%zu" : "A%zu", i);
	g->text = s->text;
	return (QEVAL_OK);
}

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	.abi_major = QEVAL_ABI_MAJOR, .abi_minor = QEVAL_ABI_MINOR,
	.struct_size = sizeof(struct qeval_plugin),
	.task_size = sizeof(struct big_task),
	.metric_size = sizeof(struct big_metric),
	.option_size = sizeof(struct big_option),
	.name = "abi12", .version = "1.2",
	.tasks = &tasks[0].t, .options = &options[0].o,
	.open = a_open, .next2 = a_next2, .score2 = a_score2,
	.gold2 = a_gold2, .close = a_close,
};
