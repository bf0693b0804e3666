#include "config.h"
#include "plugtest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define MAX_EXCHANGES 64

/* Copies kept for the exchanges of the last run. */
static struct qeval_exchange ex[MAX_EXCHANGES];
static size_t nex;
static char *owned[MAX_EXCHANGES * 8];
static size_t nowned;

static const char *
keep(const char *s)
{
	char *c;

	if (s == NULL)
		return (NULL);
	c = xstrdup(s);
	if (nowned < sizeof(owned) / sizeof(owned[0]))
		owned[nowned++] = c;
	return (c);
}

static void *
keep_mem(const void *p, size_t n)
{
	void *c;

	if (p == NULL || n == 0)
		return (NULL);
	c = xmalloc(n);
	memcpy(c, p, n);
	if (nowned < sizeof(owned) / sizeof(owned[0]))
		owned[nowned++] = c;
	return (c);
}

static void
forget(void)
{
	size_t i;

	for (i = 0; i < nowned; i++)
		free(owned[i]);
	nowned = 0;
	nex = 0;
	memset(ex, 0, sizeof(ex));
}

const struct qeval_exchange *
plugtest_exchanges(size_t *n)
{
	*n = nex;
	return (ex);
}

/*
 * A test may close and reopen the plugin's state by hand (pt->state,
 * pt->opened: t-arc, t-hellaswag); the core's state then follows it.
 */
static void
sync_state(struct plugtest *pt)
{
	if (pt->inst != NULL && plugin_state(pt->inst) != pt->state)
		plugin_state_set(pt->inst, pt->state);
}

int
plugtest_open(struct plugtest *pt, const char *name, const char *task,
    const char *data_dir, const struct qeval_kv *kv, int chat, size_t limit)
{
	struct strbuf path = STRBUF_INIT, mdir = STRBUF_INIT;
	const char *pp = getenv("QEVAL_PLUGIN_PATH");
	const char *src = getenv("QEVAL_SRCDIR");
	const struct qeval_task *t;
	int rc;

	memset(pt, 0, sizeof(*pt));
	strbuf_init(&pt->log, 0);
	strbuf_init(&pt->err, 0);
	strbuf_addf(&path, "%s/%s.so", pp ? pp : ".", name);
	rc = plugin_load(&pt->plugin, path.buf, &pt->err);
	strbuf_release(&path);
	if (rc != 0)
		return (rc);
	for (t = pt->plugin.desc->tasks; t->name != NULL; t++)
		if (strcmp(t->name, task) == 0)
			pt->task = t;
	if (pt->task == NULL) {
		strbuf_addf(&pt->err, "plugin %s has no task %s", name, task);
		return (QEVAL_ENOENT);
	}
	/* QEVAL_MANIFEST_DIR=none: fixtures read unverified. */
	if (getenv("QEVAL_MANIFEST_DIR") != NULL)
		strbuf_adds(&mdir, getenv("QEVAL_MANIFEST_DIR"));
	else
		strbuf_addf(&mdir, "%s/datasets", src ? src : ".");
	rc = strcmp(mdir.buf, "none") == 0 ? 0 :
	    data_manifests_load(&pt->man, mdir.buf, &pt->err);
	strbuf_release(&mdir);
	if (rc != 0)
		return (rc);
	pt->data.data_dir = data_dir ? data_dir : getenv("QEVAL_DATA_DIR");
	pt->data.manifests = &pt->man;
	pt->data.verify = 1;
	host_ctx_init(&pt->ctx, name, &pt->data, kv);
	pt->ctx.log_capture = &pt->log;
	pt->ctx.verbosity = QEVAL_LOG_WARN;
	pt->opts.struct_size = sizeof(pt->opts);
	pt->opts.chat = chat;
	pt->opts.num_fewshot = -1;
	pt->opts.seed = 1234;
	pt->opts.limit = limit;
	pt->opts.kv = kv;
	rc = plugin_open(&pt->plugin, &pt->ctx, pt->task, &pt->opts,
	    &pt->inst);
	if (rc != 0) {
		strbuf_addf(&pt->err, "open: %s", host_ctx_msg(&pt->ctx));
		return (rc);
	}
	pt->state = plugin_state(pt->inst);
	pt->opened = 1;
	return (0);
}

int
plugtest_run(struct plugtest *pt, size_t i, unsigned cand,
    enum plugtest_mode mode, plugtest_answer_fn fn, void *arg,
    struct qeval_verdict *out)
{
	const struct plugin *p = &pt->plugin;
	size_t k;
	int rc;

	sync_state(pt);
	forget();
	strbuf_reset(&pt->err);
	host_ctx_clear(&pt->ctx);
	for (;;) {
		struct qeval_request req = QEVAL_REQUEST_INIT;
		struct qeval_exchange *e;

		if (nex == MAX_EXCHANGES) {
			strbuf_addf(&pt->err, "more than %d exchanges",
			    MAX_EXCHANGES);
			return (QEVAL_EINTERNAL);
		}
		rc = plugin_next(p, pt->inst, &pt->ctx, i, cand, ex, nex,
		    &req);
		if (rc == QEVAL_DONE)
			break;
		if (rc != QEVAL_NEXT) {
			strbuf_addf(&pt->err, "next: %s",
			    host_ctx_msg(&pt->ctx));
			return (rc < 0 ? rc : QEVAL_EINTERNAL);
		}
		e = &ex[nex];
		e->req = req;
		e->req.body = keep(req.body);
		e->req.label = keep(req.label);
		e->resp.prompt_tokens = e->resp.completion_tokens = -1;
		if (mode != PLUGTEST_CALLBACK && req.kind != QEVAL_REQ_EXEC) {
			struct qeval_gold g;

			memset(&g, 0, sizeof(g));
			rc = plugin_gold(p, pt->inst, &pt->ctx, i, ex, nex,
			    &req, mode == PLUGTEST_CORRUPT, &g);
			if (rc != 0) {
				strbuf_addf(&pt->err, "gold: %s",
				    host_ctx_msg(&pt->ctx));
				return (rc);
			}
			e->resp.text = keep(g.text ? g.text : "");
			e->resp.tool_calls = keep(g.tool_calls);
			e->resp.finish_reason = keep(g.tool_calls ?
			    "tool_calls" : "stop");
			e->resp.n_choices = g.n_choices;
			e->resp.logprob = keep_mem(g.logprob,
			    g.n_choices * sizeof(double));
			e->resp.greedy = keep_mem(g.greedy, g.n_choices);
		} else {
			struct plugtest_answer a;

			memset(&a, 0, sizeof(a));
			if (fn == NULL) {
				strbuf_addf(&pt->err, "request of kind %d "
				    "needs an answer callback", req.kind);
				return (QEVAL_EINTERNAL);
			}
			rc = fn(arg, i, &e->req, &a);
			if (rc != 0) {
				strbuf_addf(&pt->err, "callback failed");
				return (rc);
			}
			e->resp.text = keep(a.text ? a.text : "");
			e->resp.finish_reason = keep(a.finish_reason);
			e->resp.tool_calls = keep(a.tool_calls);
			e->resp.status = a.status;
			e->resp.n_choices = a.n_choices;
			e->resp.logprob = keep_mem(a.logprob,
			    a.n_choices * sizeof(double));
			e->resp.greedy = keep_mem(a.greedy, a.n_choices);
		}
		if (e->req.kind == QEVAL_REQ_LOGLIK) {
			size_t *cc = xcalloc(e->resp.n_choices + 1,
			    sizeof(size_t));

			/* Tests that need cont_chars fill logprob
			 * accordingly; lengths are not recomputed here. */
			e->resp.cont_chars = cc;
			if (nowned < sizeof(owned) / sizeof(owned[0]))
				owned[nowned++] = (char *)cc;
		}
		nex++;
	}
	memset(out, 0, sizeof(*out));
	for (k = 0; k < QEVAL_MAX_METRICS; k++)
		out->values[k] = NAN;
	rc = plugin_score(p, pt->inst, &pt->ctx, i, cand, ex, nex, out);
	if (rc != 0) {
		strbuf_addf(&pt->err, "score: %s", host_ctx_msg(&pt->ctx));
		return (rc);
	}
	return (0);
}

size_t
plugtest_count(struct plugtest *pt)
{
	sync_state(pt);
	return (plugin_count(&pt->plugin, pt->inst));
}

const char *
plugtest_sample_id(struct plugtest *pt, size_t i)
{
	sync_state(pt);
	return (plugin_sample_id(&pt->plugin, pt->inst, i));
}

void
plugtest_close(struct plugtest *pt)
{
	forget();
	if (pt->inst != NULL) {
		/* a test that closed the state itself left opened 0 */
		if (!pt->opened)
			pt->state = NULL;
		sync_state(pt);
		plugin_close(&pt->plugin, pt->inst);	/* close(NULL) is ok */
	}
	if (pt->plugin.dl != NULL) {
		host_ctx_release(&pt->ctx);
		plugin_unload(&pt->plugin);
	}
	data_manifests_release(&pt->man);
	strbuf_release(&pt->log);
	strbuf_release(&pt->err);
}
