/*
 * Shared body of the deliberately broken test plugins: one task whose
 * callbacks do nothing useful.  Each plugin file defines what it breaks
 * and includes this.
 */
#include <stddef.h>

#include <qeval/plugin.h>

static const char *const fp_files[] = { "none.jsonl", NULL };
static const struct qeval_metric_desc fp_metrics[] = {
	{ "acc", QEVAL_MF_PRIMARY }, { NULL, 0 }
};
static const struct qeval_task fp_tasks[] = {
	{ "fake_task", "Fake", "Test", "none", fp_files, fp_metrics, 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};

static int __attribute__((unused))
fp_open(const struct qeval_host *h, struct qeval_ctx *ctx,
    const struct qeval_task *t, const struct qeval_opts *o, void **sp)
{
	(void)t;
	(void)o;
	*sp = NULL;
	return (h->fail(ctx, QEVAL_EDATA, "fake plugin: open always fails"));
}

static size_t __attribute__((unused))
fp_count(void *s)
{
	(void)s;
	return (0);
}

static const char * __attribute__((unused))
fp_id(void *s, size_t i)
{
	(void)s;
	(void)i;
	return ("x");
}

static int __attribute__((unused))
fp_next(void *s, struct qeval_ctx *c, size_t i, unsigned cand,
    const struct qeval_exchange *e, size_t n, struct qeval_request *r)
{
	(void)s; (void)c; (void)i; (void)cand; (void)e; (void)n; (void)r;
	return (QEVAL_DONE);
}

static int __attribute__((unused))
fp_score(void *s, struct qeval_ctx *c, size_t i, unsigned cand,
    const struct qeval_exchange *e, size_t n, struct qeval_verdict *v)
{
	(void)s; (void)c; (void)i; (void)cand; (void)e; (void)n; (void)v;
	return (QEVAL_OK);
}

static int __attribute__((unused))
fp_gold(void *s, struct qeval_ctx *c, size_t i,
    const struct qeval_exchange *e, size_t n, const struct qeval_request *r,
    int corrupt, struct qeval_gold *g)
{
	(void)s; (void)c; (void)i; (void)e; (void)n; (void)r; (void)corrupt;
	(void)g;
	return (QEVAL_OK);
}

static void __attribute__((unused))
fp_close(void *s)
{
	(void)s;
}

#define FP_CALLBACKS							\
	.tasks = fp_tasks, .open = fp_open, .count = fp_count,		\
	.sample_id = fp_id, .next = fp_next, .score = fp_score,		\
	.gold = fp_gold, .close = fp_close
