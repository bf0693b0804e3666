/*
 * threecall: a test plugin whose every sample needs three calls, each
 * built from what came back before: the model answers (1), is asked to
 * confirm with its first answer in the conversation (2), and a judge
 * rates the confirmed answer (3).  It exercises the parts of the ABI
 * that GSM8K does not: follow-up turns, a judge target, per-category
 * results and pass@k over candidates.
 *
 * Data: tests/fixtures/threecall/items.jsonl, records
 * {"id", "question", "answer", "category"}.
 */
#include "config.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <qeval/plugin.h>

#include "qp.h"

#define TC_MAGIC	0x33636c6cu

struct tc_item {
	char	*id, *question, *answer, *category;
};

struct tc {
	unsigned		 magic;
	const struct qeval_host	*host;
	struct tc_item		 items[64];
	size_t			 n;
	struct qp_buf		 body, scratch;
};

static const char *const tc_files[] = { "items.jsonl", NULL };
static const struct qeval_metric_desc tc_metrics[] = {
	{ "acc", QEVAL_MF_PRIMARY | QEVAL_MF_PASSK },
	{ "rating", QEVAL_MF_SCALE10 },
	{ NULL, 0 }
};
static const struct qeval_task tc_tasks[] = {
	{ "threecall", "Three calls", "Test", "qeval test plugin", tc_files,
	  tc_metrics, QEVAL_TF_JUDGE },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};

static int
tc_record(void *arg, const char *json, size_t len, const char *where)
{
	struct tc *t = arg;
	cJSON *o = cJSON_ParseWithLength(json, len);
	const char *id = qp_json_str(o, "id"), *q = qp_json_str(o, "question");
	const char *a = qp_json_str(o, "answer");
	const char *c = qp_json_str(o, "category");
	struct tc_item *it;

	if (o == NULL || id == NULL || q == NULL || a == NULL ||
	    t->n == 64) {
		cJSON_Delete(o);
		return (QEVAL_EDATA);
	}
	(void)where;
	it = &t->items[t->n++];
	it->id = qp_strdup(id);
	it->question = qp_strdup(q);
	it->answer = qp_strdup(a);
	it->category = qp_strdup(c ? c : "none");
	cJSON_Delete(o);
	return (QEVAL_OK);
}

static void
tc_close(void *state)
{
	struct tc *t = state;
	size_t i;

	if (t == NULL)
		return;
	assert(t->magic == TC_MAGIC);
	for (i = 0; i < t->n; i++) {
		free(t->items[i].id);
		free(t->items[i].question);
		free(t->items[i].answer);
		free(t->items[i].category);
	}
	qp_buf_free(&t->body);
	qp_buf_free(&t->scratch);
	free(t);
}

static int
tc_open(const struct qeval_host *h, struct qeval_ctx *ctx,
    const struct qeval_task *task, const struct qeval_opts *o, void **sp)
{
	struct tc *t = calloc(1, sizeof(*t));
	int rc;

	(void)task;
	*sp = NULL;
	if (t == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "threecall: no memory"));
	t->magic = TC_MAGIC;
	t->host = h;
	rc = h->records(ctx, "items.jsonl", tc_record, t);
	if (rc != QEVAL_OK) {
		tc_close(t);
		return (rc < 0 ? rc : h->fail(ctx, QEVAL_EDATA,
		    "threecall: bad items.jsonl"));
	}
	if (o->limit > 0 && o->limit < t->n)
		t->n = o->limit;
	*sp = t;
	return (QEVAL_OK);
}

static size_t
tc_count(void *state)
{
	return (((struct tc *)state)->n);
}

static const char *
tc_id(void *state, size_t i)
{
	return (((struct tc *)state)->items[i].id);
}

static void
msg(struct qp_buf *b, const char *role, const char *content, int comma)
{
	if (comma)
		qp_buf_adds(b, ",");
	qp_buf_adds(b, "{\"role\":");
	qp_buf_json_str(b, role);
	qp_buf_adds(b, ",\"content\":");
	qp_buf_json_str(b, content);
	qp_buf_adds(b, "}");
}

static int
tc_next(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_request *req)
{
	struct tc *t = state;
	const struct tc_item *it = &t->items[i];

	assert(t->magic == TC_MAGIC);
	(void)cand;
	if (nex >= 3)
		return (QEVAL_DONE);
	qp_buf_reset(&t->body);
	qp_buf_adds(&t->body, "{\"messages\":[");
	if (nex < 2) {
		msg(&t->body, "user", it->question, 0);
		if (nex == 1) {
			/* The follow-up carries the model's own answer. */
			msg(&t->body, "assistant", ex[0].resp.text, 1);
			msg(&t->body, "user", "Are you sure? Answer again "
			    "with just the answer.", 1);
		}
		req->target = QEVAL_TARGET_MODEL;
		req->temperature = 0.0;
		req->max_tokens = 64;
		req->label = nex == 0 ? "answer" : "confirm";
	} else {
		qp_buf_reset(&t->scratch);
		qp_buf_addf(&t->scratch, "Question: %s\nAnswer: %s\nRate the "
		    "answer from 1 to 10 as [[N]].", it->question,
		    ex[1].resp.text);
		msg(&t->body, "user", qp_buf_str(&t->scratch) ?
		    qp_buf_str(&t->scratch) : "", 0);
		req->target = QEVAL_TARGET_JUDGE;
		req->temperature = 0.0;
		req->max_tokens = 16;
		req->label = "judge";
	}
	qp_buf_adds(&t->body, "]}");
	if (!qp_buf_ok(&t->body))
		return (t->host->fail(ctx, QEVAL_ENOMEM, "threecall: no "
		    "memory"));
	req->kind = QEVAL_REQ_CHAT;
	req->body = qp_buf_str(&t->body);
	return (QEVAL_NEXT);
}

static int
tc_score(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_verdict *v)
{
	struct tc *t = state;
	const struct tc_item *it = &t->items[i];
	const char *r;

	(void)cand;
	if (nex != 3)
		return (t->host->fail(ctx, QEVAL_EINTERNAL, "threecall: %zu "
		    "exchanges, want 3", nex));
	v->values[0] = strstr(ex[1].resp.text, it->answer) != NULL ? 1 : 0;
	r = strstr(ex[2].resp.text, "[[");
	if (r != NULL)
		v->values[1] = strtod(r + 2, NULL);
	else
		v->flags |= QEVAL_VF_UNPARSED;
	v->category = it->category;
	v->extracted = ex[1].resp.text;
	v->reason = v->values[0] > 0 ? "confirmed the right answer" :
	    "wrong answer";
	return (QEVAL_OK);
}

static int
tc_gold(void *state, struct qeval_ctx *ctx, size_t i,
    const struct qeval_exchange *ex, size_t nex,
    const struct qeval_request *req, int corrupt, struct qeval_gold *g)
{
	struct tc *t = state;

	(void)ctx;
	(void)req;
	if (nex < 2) {
		g->text = corrupt ? "I do not know" : t->items[i].answer;
		return (QEVAL_OK);
	}
	/* The reference judge rates what it was shown. */
	g->text = strstr(ex[1].resp.text, t->items[i].answer) != NULL ?
	    "Rating: [[10]]" : "Rating: [[1]]";
	return (QEVAL_OK);
}

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.name = "threecall",
	.version = "1",
	.summary = "test plugin: answer, follow-up, judge",
	.tasks = tc_tasks,
	.open = tc_open,
	.count = tc_count,
	.sample_id = tc_id,
	.next = tc_next,
	.score = tc_score,
	.gold = tc_gold,
	.close = tc_close,
};
