/*
 * Shared body of the small working test plugins (old_abi, withopts,
 * dup_task, crashplug, abi10, abi11, nogold): MP_NSAMPLES samples
 * needing one chat call each; sample i asks "Q<i>" and is right when
 * the answer is "A<i>".  No data file.  Each plugin file defines
 * MP_TASKS (its task table) and what it changes, and includes this
 * (MP_NO_GOLD: no gold()).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qeval/plugin.h>

#define MP_NSAMPLES	4

static const char *const mp_files[] = { NULL };
static const struct qeval_metric_desc mp_metrics[] = {
	{ "acc", QEVAL_MF_PRIMARY }, { NULL, 0 }
};

struct mp {
	char	id[32];
	char	body[128];
	char	text[32];
};

static int
mp_open(const struct qeval_host *h, struct qeval_ctx *ctx,
    const struct qeval_task *t, const struct qeval_opts *o, void **sp)
{
	struct mp *m = calloc(1, sizeof(*m));

	(void)t;
	(void)o;
	if (m == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "out of memory"));
	*sp = m;
	return (QEVAL_OK);
}

static size_t
mp_count(void *s)
{
	(void)s;
	return (MP_NSAMPLES);
}

static const char *
mp_id(void *s, size_t i)
{
	struct mp *m = s;

	snprintf(m->id, sizeof(m->id), "s%zu", i);
	return (m->id);
}

static int
mp_next(void *s, struct qeval_ctx *c, size_t i, unsigned cand,
    const struct qeval_exchange *e, size_t n, struct qeval_request *r)
{
	struct mp *m = s;

	(void)c;
	(void)cand;
	(void)e;
	if (n > 0)
		return (QEVAL_DONE);
	snprintf(m->body, sizeof(m->body), "{\"messages\": [{\"role\": "
	    "\"user\", \"content\": \"Q%zu\"}]}", i);
	r->kind = QEVAL_REQ_CHAT;
	r->target = QEVAL_TARGET_MODEL;
	r->body = m->body;
	return (QEVAL_NEXT);
}

static int
mp_score(void *s, struct qeval_ctx *c, size_t i, unsigned cand,
    const struct qeval_exchange *e, size_t n, struct qeval_verdict *v)
{
	char want[32];

	(void)s;
	(void)c;
	(void)cand;
#ifdef MP_CRASH_IN_SCORE
	/* crashplug: a scorer bug on sample 2, when the test asks for it */
	if (i == 2 && getenv("QEVAL_TEST_CRASH") != NULL)
		raise(SIGSEGV);
#endif
	snprintf(want, sizeof(want), "A%zu", i);
	v->values[0] = n > 0 && strcmp(e[n - 1].resp.text, want) == 0;
	return (QEVAL_OK);
}

#ifndef MP_NO_GOLD
static int
mp_gold(void *s, struct qeval_ctx *c, size_t i,
    const struct qeval_exchange *e, size_t n, const struct qeval_request *r,
    int corrupt, struct qeval_gold *g)
{
	struct mp *m = s;

	(void)c;
	(void)e;
	(void)n;
	(void)r;
	snprintf(m->text, sizeof(m->text), corrupt ? "no" : "A%zu", i);
	g->text = m->text;
	return (QEVAL_OK);
}
#endif

static void
mp_close(void *s)
{
	free(s);
}

#define MP_CALLBACKS							\
	.tasks = MP_TASKS, .open = mp_open, .count = mp_count,		\
	.sample_id = mp_id, .next = mp_next, .score = mp_score,		\
	.gold = mp_gold, .close = mp_close
