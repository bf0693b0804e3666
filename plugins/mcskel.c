/*
 * mcskel: the lifecycle of a multiple-choice plugin (see mcskel.h).
 */
#include "config.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qeval/plugin.h>

#include "mcskel.h"
#include "mcutil.h"
#include "qp.h"

#define MCSKEL_MAGIC	0x6d63736bu

/* ------------------------------------------------------------------ */
/* Items                                                              */

void
mc_item_free(struct mc_item *it)
{
	size_t k;

	free(it->id);
	free(it->text);
	free(it->category);
	for (k = 0; k < it->nchoices; k++) {
		free(it->choice[k]);
		free(it->label[k]);
	}
	free(it->shots);
	memset(it, 0, sizeof(*it));
}

void
mc_set_free(struct mc_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		mc_item_free(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

int
mc_set_push(struct mc_set *s, struct mc_item *it)
{
	if (s->n == s->alloc) {
		size_t na = s->alloc ? s->alloc * 2 : 1024;
		struct mc_item *nv = realloc(s->v, na * sizeof(*nv));

		if (nv == NULL)
			return (-1);
		s->v = nv;
		s->alloc = na;
	}
	s->v[s->n++] = *it;
	memset(it, 0, sizeof(*it));
	return (0);
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                          */

static struct mcskel *
state_of(void *state)
{
	struct mcskel *s = state;

	assert(s != NULL && s->magic == MCSKEL_MAGIC);
	return (s);
}

void
mcskel_close(void *state)
{
	struct mcskel *s = state;

	if (s == NULL)
		return;
	assert(s->magic == MCSKEL_MAGIC);
	mc_set_free(&s->test);
	mc_set_free(&s->train);
	mc_rules_free(&s->rules, s->host);
	qp_buf_free(&s->body);
	qp_buf_free(&s->tmp);
	qp_buf_free(&s->gold);
	qp_buf_free(&s->detail);
	qp_buf_free(&s->reason);
	qp_buf_free(&s->ext);
	s->magic = 0;
	free(s);
}

/* The few-shot examples of every test item, drawn from src. */
static int
draw_shots(struct mcskel *s, struct qeval_ctx *ctx, const char *shot_file,
    int same, unsigned seed)
{
	const struct qeval_host *h = s->host;
	const struct mc_set *src = same ? &s->test : &s->train;
	/* lm-eval draws one more from the evaluated split (and drops the
	 * document itself: mc_draw_shots()). */
	size_t i, want = (size_t)s->nshot + (same ? 1 : 0);
	struct qp_mt mt;

	if (src->n < want)
		return (h->fail(ctx, QEVAL_EDATA, "%s: %zu %s, too few for %d "
		    "few-shot examples", shot_file, src->n, s->r->unit,
		    s->nshot));
	qp_mt_seed(&mt, seed);
	for (i = 0; i < s->test.n; i++)
		if (mc_draw_shots(&mt, i, src->n, s->nshot, same,
		    &s->test.v[i].shots) != 0)
			return (h->fail(ctx, QEVAL_ENOMEM, "%s: out of memory",
			    s->r->name));
	return (QEVAL_OK);
}

int
mcskel_open(const struct qeval_host *h, struct qeval_ctx *ctx,
    const struct qeval_task *task, const struct qeval_opts *opts,
    void **statep)
{
	const struct mc_recipe *r = &mc_recipe;
	const char *test_file, *shot_file;
	struct mcskel *s;
	int rc, same;

	*statep = NULL;
	assert(r->size >= sizeof(*s));
	s = calloc(1, r->size);
	if (s == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "%s: cannot allocate state",
		    r->name));
	s->magic = MCSKEL_MAGIC;
	s->host = h;
	s->r = r;
	s->gen = strstr(task->name, "_gen") != NULL;
	s->chat = opts->chat;
	s->nshot = opts->num_fewshot >= 0 ? opts->num_fewshot : 0;
	s->max_tokens = 0;	/* the recipe's: MC_CHAT_TOKENS or
				 * MC_GEN_TOKENS */
	rc = mc_check_shots(h, ctx, task->name, s->nshot, s->gen);
	if (rc == QEVAL_OK)
		rc = mc_opt_max_tokens(h, ctx, task->name, &s->max_tokens);
	if (rc == QEVAL_OK && s->gen)
		rc = mc_opt_prefill(h, ctx, task->name, &s->prefill);
	if (rc == QEVAL_OK && r->options != NULL)
		rc = r->options(s, ctx, task);
	if (rc != QEVAL_OK)
		goto fail;
	test_file = h->opt(ctx, "test_file");
	if (test_file == NULL)
		test_file = task->files[0];
	shot_file = h->opt(ctx, "fewshot_file");
	if (shot_file == NULL)
		shot_file = task->files[1] != NULL ? task->files[1] :
		    r->shot_file != NULL ? r->shot_file : test_file;
	if (s->gen && (rc = mc_rules_compile(&s->rules, h, ctx)) != QEVAL_OK)
		goto fail;
	if ((rc = r->load(s, ctx, test_file, &s->test)) != QEVAL_OK)
		goto fail;
	if (s->test.n == 0) {
		rc = h->fail(ctx, QEVAL_EDATA, "%s holds no %s", test_file,
		    r->unit);
		goto fail;
	}
	same = strcmp(shot_file, test_file) == 0;
	if (s->nshot > 0 && !same &&
	    (rc = r->load(s, ctx, shot_file, &s->train)) != QEVAL_OK)
		goto fail;
	if (s->nshot > 0 && (rc = draw_shots(s, ctx, shot_file, same,
	    opts->seed)) != QEVAL_OK)
		goto fail;
	s->count = opts->limit > 0 && opts->limit < s->test.n ? opts->limit :
	    s->test.n;
	if (same && s->nshot > 0)
		r->same_file(s, ctx, task, test_file);
	*statep = s;
	return (QEVAL_OK);
fail:
	mcskel_close(s);
	return (rc);
}

size_t
mcskel_count(void *state)
{
	return (state_of(state)->count);
}

const char *
mcskel_sample_id(void *state, size_t i)
{
	struct mcskel *s = state_of(state);

	assert(i < s->test.n);
	if (s->test.v[i].id != NULL)
		return (s->test.v[i].id);
	/* The position in the file. */
	snprintf(s->idbuf, sizeof(s->idbuf), "%s/%zu", s->r->name, i);
	return (s->idbuf);
}

/* ------------------------------------------------------------------ */
/* Requests                                                           */

/* lm-eval's context: the few-shot examples, then the item. */
static void
ll_context(const struct mcskel *s, const struct mc_item *it,
    struct qp_buf *b)
{
	int k;

	for (k = 0; k < s->nshot; k++) {
		const struct mc_item *e = s->train.n > 0 ?
		    &s->train.v[it->shots[k]] : &s->test.v[it->shots[k]];

		s->r->doc_text(e, b);
		qp_buf_adds(b, " ");
		qp_buf_adds(b, e->choice[e->gold]);
		qp_buf_adds(b, "\n\n");
	}
	s->r->doc_text(it, b);
}

int
mcskel_next(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_request *req)
{
	struct mcskel *s = state_of(state);
	const struct mc_item *it;

	(void)ex;
	(void)cand;
	if (i >= s->test.n)
		return (s->host->fail(ctx, QEVAL_EINVAL, "%s: no sample %zu",
		    s->r->name, i));
	if (nex > 0)
		return (QEVAL_DONE);
	it = &s->test.v[i];
	qp_buf_reset(&s->body);
	qp_buf_reset(&s->tmp);
	if (!s->gen) {
		ll_context(s, it, &s->tmp);
		mc_ll_request(&s->body, &s->tmp, it->choice, it->nchoices,
		    s->r->what, req);
	} else if (s->prefill) {
		s->r->chat_prompt(it, &s->tmp);
		mc_prefill_request(&s->body, &s->tmp, s->chat,
		    s->max_tokens > 0 ? s->max_tokens : MC_CHAT_TOKENS, req);
	} else {
		/* qeval's own lettered prompt (prefill=0) */
		qp_buf_adds(&s->tmp, s->r->gen_head);
		qp_buf_adds(&s->tmp, it->text);
		mc_letter_options(&s->tmp, it->choice, it->nchoices);
		mc_gen_request(&s->body, &s->tmp, s->chat,
		    s->max_tokens > 0 ? s->max_tokens : MC_GEN_TOKENS, req);
	}
	if (!qp_buf_ok(&s->body) || !qp_buf_ok(&s->tmp))
		return (s->host->fail(ctx, QEVAL_ENOMEM, "%s: out of memory "
		    "building a request", s->r->name));
	req->target = QEVAL_TARGET_MODEL;
	req->body = s->body.buf;
	req->temperature = 0.0;
	req->top_p = 1.0;
	return (QEVAL_NEXT);
}

/* ------------------------------------------------------------------ */
/* Scoring                                                            */

/* Option k as the data names it: its label, else its number. */
static const char *
label_str(const struct mc_item *it, size_t k, char *buf, size_t bufsz)
{
	if (it->label[0] != NULL)
		return (it->label[k]);
	snprintf(buf, bufsz, "%zu", k);
	return (buf);
}

/* Option k as a JSON value: its label (a string), else its number. */
static void
label_json(struct qp_buf *b, const struct mc_item *it, size_t k)
{
	if (it->label[0] != NULL)
		qp_buf_json_str(b, it->label[k]);
	else
		qp_buf_addf(b, "%zu", k);
}

static void
score_ll(struct mcskel *s, const struct mc_item *it,
    const struct qeval_response *r, struct qeval_verdict *out)
{
	size_t n = it->nchoices, pick, pick_n, k;
	char gb[24], pb[24], nb[24];
	const char *g, *p, *pn;

	qp_buf_reset(&s->detail);
	qp_buf_reset(&s->reason);
	out->category = it->category;
	if (mc_score_ll(r, it->choice, n, it->gold, s->r->what, &s->reason,
	    out, &pick, &pick_n) != 0)
		return;
	g = label_str(it, it->gold, gb, sizeof(gb));
	p = label_str(it, pick, pb, sizeof(pb));
	pn = label_str(it, pick_n, nb, sizeof(nb));
	/* as snprintf("%s") would: cut to the buffer */
	k = strlen(pn) < sizeof(s->extracted) ? strlen(pn) :
	    sizeof(s->extracted) - 1;
	memcpy(s->extracted, pn, k);
	s->extracted[k] = '\0';
	out->extracted = s->extracted;
	if (pick == it->gold && pick_n == it->gold)
		qp_buf_addf(&s->reason, "gold %s %s ranks first by total and "
		    "by length-normalised log-likelihood", s->r->noun, g);
	else
		qp_buf_addf(&s->reason, "gold %s; highest log-likelihood %s "
		    "(acc %s), highest per character %s (acc_norm %s)", g, p,
		    pick == it->gold ? "right" : "wrong", pn,
		    pick_n == it->gold ? "right" : "wrong");
	qp_buf_adds(&s->detail, "{\"gold\":");
	label_json(&s->detail, it, it->gold);
	qp_buf_adds(&s->detail, ",\"acc_pick\":");
	label_json(&s->detail, it, pick);
	qp_buf_adds(&s->detail, ",\"acc_norm_pick\":");
	label_json(&s->detail, it, pick_n);
	qp_buf_adds(&s->detail, ",");
	mc_ll_detail(&s->detail, r, it->choice, n);
	qp_buf_adds(&s->detail, "}");
	out->reason = qp_buf_str(&s->reason);
	out->detail = qp_buf_str(&s->detail);
}

/* The prefilled recipe's target: the recipe's, or the gold letter. */
static const char *
target_of(struct mcskel *s, const struct mc_item *it)
{
	if (s->r->target != NULL)
		return (s->r->target(it, s->target, sizeof(s->target)));
	snprintf(s->target, sizeof(s->target), "%c", (char)('A' + it->gold));
	return (s->target);
}

static void
score_gen(struct mcskel *s, const struct mc_item *it,
    const struct qeval_exchange *ex, struct qeval_verdict *out)
{
	const char *rule = "lm-eval exact_match", *target;

	qp_buf_reset(&s->detail);
	qp_buf_reset(&s->reason);
	out->category = it->category;
	qp_buf_adds(&s->detail, "{");
	if (mc_is_prefilled(&ex->req)) {
		target = target_of(s, it);
		if (s->r->target != NULL) {
			qp_buf_adds(&s->detail, "\"target\":");
			qp_buf_json_str(&s->detail, target);
			qp_buf_adds(&s->detail, ",");
		}
		mc_score_em(&ex->resp, it->nchoices, target, &s->reason,
		    &s->ext, out);
		if (!qp_buf_ok(&s->ext))
			s->reason.oom = 1;	/* mcskel_score() reports it */
	} else
		mc_score_letter(&s->rules, s->host, &ex->resp, it->nchoices,
		    it->gold, &s->reason, s->extracted, sizeof(s->extracted),
		    out, &rule);
	qp_buf_adds(&s->detail, "\"rule\":");
	qp_buf_json_str(&s->detail, rule);
	qp_buf_addf(&s->detail, ",\"gold\":\"%c\"", (char)('A' + it->gold));
	if (it->label[0] != NULL) {
		qp_buf_adds(&s->detail, ",\"gold_label\":");
		qp_buf_json_str(&s->detail, it->label[it->gold]);
	}
	qp_buf_adds(&s->detail, "}");
	out->reason = qp_buf_str(&s->reason);
	out->detail = qp_buf_str(&s->detail);
}

int
mcskel_score(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_verdict *out)
{
	struct mcskel *s = state_of(state);

	(void)cand;
	if (i >= s->test.n || nex < 1)
		return (s->host->fail(ctx, QEVAL_EINTERNAL, "%s: sample %zu "
		    "scored without a response", s->r->name, i));
	if (!s->gen)
		score_ll(s, &s->test.v[i], &ex[0].resp, out);
	else
		score_gen(s, &s->test.v[i], &ex[0], out);
	if (!qp_buf_ok(&s->detail) || !qp_buf_ok(&s->reason))
		return (s->host->fail(ctx, QEVAL_ENOMEM, "%s: out of memory "
		    "scoring sample %zu", s->r->name, i));
	return (QEVAL_OK);
}

int
mcskel_gold(void *state, struct qeval_ctx *ctx, size_t i,
    const struct qeval_exchange *ex, size_t nex,
    const struct qeval_request *req, int corrupt, struct qeval_gold *out)
{
	struct mcskel *s = state_of(state);
	const struct mc_item *it;
	const char *answer = NULL;
	size_t win;

	(void)ex;
	(void)nex;
	if (i >= s->test.n)
		return (s->host->fail(ctx, QEVAL_EINVAL, "%s: no sample %zu",
		    s->r->name, i));
	it = &s->test.v[i];
	/* The corrupted model prefers the next option after the gold one. */
	win = corrupt ? (it->gold + 1) % it->nchoices : it->gold;
	if (win == it->gold && s->r->target != NULL)
		answer = target_of(s, it);
	if (mc_gold(req, it->nchoices, win, answer, s->gold_lp,
	    s->gold_greedy, &s->gold, out) != 0)
		return (s->host->fail(ctx, QEVAL_ENOMEM, "%s: out of memory",
		    s->r->name));
	return (QEVAL_OK);
}
