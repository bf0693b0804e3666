/*
 * gsm8k: grade-school math, scored as lm-evaluation-harness scores it.
 *
 * Tasks:
 *   gsm8k      lm-eval `gsm8k` v3: "Question: {q}\nAnswer:", 5 few-shot
 *              examples drawn from the train split by Python's
 *              random.Random(1234).sample, one draw per test document
 *              in order (lm-eval's default sampler shares one generator
 *              across documents), target = the full solution, greedy,
 *              256 new tokens, stops "Question:", "</s>", "<|im_end|>".
 *   gsm8k_cot  lm-eval `gsm8k_cot` v3: "Q: {q}\nA:", the 8 fixed Wei et
 *              al. exemplars, strict regex "The answer is (...)".
 * Both report the strict-match and flexible-extract filters with
 * lm-eval's exact_match normalisation, plus the invalid-extraction rate
 * of each filter and the truncation rate.
 *
 * Chat endpoints get the few-shot examples as alternating user and
 * assistant turns (lm-eval's --fewshot_as_multiturn); the task option
 * fewshot_as_multiturn=0 puts the whole prompt in one user turn.
 * Completion endpoints get the plain prompt.
 */
#include "config.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <qeval/plugin.h>

#include "qp.h"

#define GSM8K_MAGIC	0x65387b31u
#define MAX_SHOTS	32

enum recipe { R_PLAIN, R_COT };

enum metric {
	M_STRICT, M_FLEX, M_INV_STRICT, M_INV_FLEX, M_TRUNC
};

struct item {
	char	*id;
	char	*question;
	char	*answer;	/* the full solution, "... #### 72" */
	char	*gold;		/* normalised gold answer */
	size_t	 shots[MAX_SHOTS];	/* few-shot train indices (plain) */
};

struct shot {
	char	*question;
	char	*target;
};

struct gsm8k {
	unsigned		 magic;
	const struct qeval_host	*host;
	enum recipe		 recipe;
	int			 chat;
	int			 multiturn;
	int			 nshot;
	struct item		*items;
	size_t			 n, alloc;
	size_t			 count;		/* n, or --limit */
	struct shot		*train;
	size_t			 ntrain, train_alloc;
	struct qeval_regex	*strict;
	struct qeval_regex	*flex;
	struct qeval_regex	*ignore[4];	/* exact_match normalisers */
	struct qp_buf		 body;		/* scratch for next() */
	struct qp_buf		 gold;		/* scratch for gold() */
	struct qp_buf		 s1, s2;	/* scratch for score() */
	struct qp_buf		 detail;
};

/* ------------------------------------------------------------------ */

static const char *const plain_files[] = {
	"gsm8k/test.jsonl", "gsm8k/train.jsonl", NULL
};
static const char *const cot_files[] = { "gsm8k/test.jsonl", NULL };

static const struct qeval_metric_desc metrics[] = {
	{ "exact_match,strict-match", 0 },
	{ "exact_match,flexible-extract", QEVAL_MF_PRIMARY },
	{ "invalid,strict-match", QEVAL_MF_RATE | QEVAL_MF_LOWER_BETTER },
	{ "invalid,flexible-extract", QEVAL_MF_RATE | QEVAL_MF_LOWER_BETTER },
	{ "truncated", QEVAL_MF_RATE | QEVAL_MF_LOWER_BETTER },
	{ NULL, 0 }
};

static const struct qeval_task tasks[] = {
	{ "gsm8k", "GSM8K", "Math Reasoning",
	  "lm-evaluation-harness gsm8k v3 (5-shot, seed 1234)",
	  plain_files, metrics, 0 },
	{ "gsm8k_cot", "GSM8K (CoT)", "Math Reasoning",
	  "lm-evaluation-harness gsm8k_cot v3 (8 fixed exemplars)",
	  cot_files, metrics, 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};

/* The eight chain-of-thought exemplars of Wei et al. (2022), table 20,
 * in the wording lm-eval's gsm8k_cot uses. */
static const char *const cot_shots[8][2] = {
	{ "There are 15 trees in the grove. Grove workers will plant trees "
	  "in the grove today. After they are done, there will be 21 trees. "
	  "How many trees did the grove workers plant today?",
	  "There are 15 trees originally. Then there were 21 trees after "
	  "some more were planted. So there must have been 21 - 15 = 6. "
	  "The answer is 6." },
	{ "If there are 3 cars in the parking lot and 2 more cars arrive, "
	  "how many cars are in the parking lot?",
	  "There are originally 3 cars. 2 more cars arrive. 3 + 2 = 5. "
	  "The answer is 5." },
	{ "Leah had 32 chocolates and her sister had 42. If they ate 35, "
	  "how many pieces do they have left in total?",
	  "Originally, Leah had 32 chocolates. Her sister had 42. So in "
	  "total they had 32 + 42 = 74. After eating 35, they had "
	  "74 - 35 = 39. The answer is 39." },
	{ "Jason had 20 lollipops. He gave Denny some lollipops. Now Jason "
	  "has 12 lollipops. How many lollipops did Jason give to Denny?",
	  "Jason started with 20 lollipops. Then he had 12 after giving "
	  "some to Denny. So he gave Denny 20 - 12 = 8. The answer is 8." },
	{ "Shawn has five toys. For Christmas, he got two toys each from "
	  "his mom and dad. How many toys does he have now?",
	  "Shawn started with 5 toys. If he got 2 toys each from his mom "
	  "and dad, then that is 4 more toys. 5 + 4 = 9. The answer is 9." },
	{ "There were nine computers in the server room. Five more "
	  "computers were installed each day, from monday to thursday. How "
	  "many computers are now in the server room?",
	  "There were originally 9 computers. For each of 4 days, 5 more "
	  "computers were added. So 5 * 4 = 20 computers were added. "
	  "9 + 20 is 29. The answer is 29." },
	{ "Michael had 58 golf balls. On tuesday, he lost 23 golf balls. "
	  "On wednesday, he lost 2 more. How many golf balls did he have at "
	  "the end of wednesday?",
	  "Michael started with 58 golf balls. After losing 23 on tuesday, "
	  "he had 58 - 23 = 35. After losing 2 more, he had 35 - 2 = 33 "
	  "golf balls. The answer is 33." },
	{ "Olivia has $23. She bought five bagels for $3 each. How much "
	  "money does she have left?",
	  "Olivia had 23 dollars. 5 bagels for 3 dollars each will be "
	  "5 x 3 = 15 dollars. So she has 23 - 15 dollars left. 23 - 15 is "
	  "8. The answer is 8." },
};

static const char *const stops_plain[] = { "Question:", "</s>",
	"<|im_end|>", NULL };
static const char *const stops_cot[] = { "Q:", "</s>", "<|im_end|>",
	NULL };

/* ------------------------------------------------------------------ */
/* exact_match normalisation and the two filters                     */

/*
 * Deletes every match of rx from s (re.sub(rx, "", s)), in place.
 */
static void
delete_matches(const struct qeval_host *h, const struct qeval_regex *rx,
    struct qp_buf *s, struct qp_buf *tmp)
{
	struct qeval_match m;
	size_t off = 0, keep = 0;

	qp_buf_reset(tmp);
	if (s->buf == NULL)
		return;
	while (off <= s->len &&
	    h->rx_match(rx, s->buf, s->len, off, &m) == 1) {
		qp_buf_add(tmp, s->buf + keep, m.start[0] - keep);
		keep = m.end[0];
		off = m.end[0] > m.start[0] ? m.end[0] : m.end[0] + 1;
	}
	if (keep < s->len)
		qp_buf_add(tmp, s->buf + keep, s->len - keep);
	qp_buf_reset(s);
	if (tmp->buf != NULL && qp_buf_ok(tmp))
		qp_buf_add(s, tmp->buf, tmp->len);
}

/* lm-eval exact_match: regexes_to_ignore, then lower-case (ASCII). */
static void
normalise(struct gsm8k *g, struct qp_buf *s, struct qp_buf *tmp)
{
	size_t i;

	for (i = 0; i < 4; i++)
		delete_matches(g->host, g->ignore[i], s, tmp);
	for (i = 0; s->buf != NULL && i < s->len; i++)
		if (s->buf[i] >= 'A' && s->buf[i] <= 'Z')
			s->buf[i] = (char)(s->buf[i] - 'A' + 'a');
}

static void
trim_into(struct qp_buf *out, const char *s, size_t len)
{
	while (len > 0 && (*s == ' ' || *s == '\t' || *s == '\n' ||
	    *s == '\r' || *s == '\f' || *s == '\v')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == '\f' ||
	    s[len - 1] == '\v'))
		len--;
	qp_buf_reset(out);
	qp_buf_add(out, s, len);
}

/*
 * lm-eval's regex filter: findall, pick the match (first, or last when
 * `last`), and of a match's groups the first non-empty one.  Returns 1
 * and the stripped answer in out, or 0 (the answer is "[invalid]").
 */
static int
extract(const struct gsm8k *g, const struct qeval_regex *rx, int last,
    const char *text, size_t len, struct qp_buf *out)
{
	struct qeval_match m, pick;
	size_t off = 0;
	int found = 0, i;

	while (off <= len && g->host->rx_match(rx, text, len, off, &m) == 1) {
		pick = m;
		found = 1;
		if (!last)
			break;
		off = m.end[0] > m.start[0] ? m.end[0] : m.end[0] + 1;
	}
	if (!found)
		return (0);
	for (i = 1; i < pick.ngroups && i < QEVAL_RX_MAXGROUPS; i++)
		if (pick.start[i] != QEVAL_RX_UNSET &&
		    pick.end[i] > pick.start[i]) {
			trim_into(out, text + pick.start[i],
			    pick.end[i] - pick.start[i]);
			return (1);
		}
	/* Every group empty: Python's filter leaves an empty list, and
	 * lm-eval then falls back to "[invalid]". */
	return (0);
}

/* ------------------------------------------------------------------ */
/* Dataset                                                            */

struct load {
	struct gsm8k		*g;
	struct qeval_ctx	*ctx;
	int			 train;
	size_t			 line;
};

static int
load_record(void *arg, const char *json, size_t len, const char *where)
{
	struct load *l = arg;
	struct gsm8k *g = l->g;
	const struct qeval_host *h = g->host;
	cJSON *doc = cJSON_ParseWithLength(json, len);
	const char *q, *a;
	int rc = QEVAL_OK;

	l->line++;
	if (doc == NULL)
		return (h->fail(l->ctx, QEVAL_EDATA, "%s: invalid JSON",
		    where));
	q = qp_json_str(doc, "question");
	a = qp_json_str(doc, "answer");
	if (q == NULL || a == NULL) {
		rc = h->fail(l->ctx, QEVAL_EDATA, "%s: the record needs string "
		    "fields 'question' and 'answer' (is this GSM8K's "
		    "main/test.jsonl?)", where);
		goto out;
	}
	if (l->train) {
		struct shot *s;

		if (g->ntrain == g->train_alloc) {
			size_t na = g->train_alloc ? g->train_alloc * 2 : 1024;
			struct shot *nv = realloc(g->train, na * sizeof(*nv));

			if (nv == NULL) {
				rc = h->fail(l->ctx, QEVAL_ENOMEM,
				    "gsm8k: out of memory");
				goto out;
			}
			g->train = nv;
			g->train_alloc = na;
		}
		s = &g->train[g->ntrain];
		s->question = qp_strdup(q);
		s->target = qp_strdup(a);
		if (s->question == NULL || s->target == NULL) {
			free(s->question);
			free(s->target);
			rc = h->fail(l->ctx, QEVAL_ENOMEM, "gsm8k: out of "
			    "memory");
			goto out;
		}
		g->ntrain++;
	} else {
		struct item *it;
		char idbuf[32];

		if (g->n == g->alloc) {
			size_t na = g->alloc ? g->alloc * 2 : 1024;
			struct item *nv = realloc(g->items, na * sizeof(*nv));

			if (nv == NULL) {
				rc = h->fail(l->ctx, QEVAL_ENOMEM,
				    "gsm8k: out of memory");
				goto out;
			}
			g->items = nv;
			g->alloc = na;
		}
		it = &g->items[g->n];
		memset(it, 0, sizeof(*it));
		snprintf(idbuf, sizeof(idbuf), "gsm8k/%zu", l->line - 1);
		it->id = qp_strdup(idbuf);
		it->question = qp_strdup(q);
		it->answer = qp_strdup(a);
		if (it->id == NULL || it->question == NULL ||
		    it->answer == NULL) {
			free(it->id);
			free(it->question);
			free(it->answer);
			rc = h->fail(l->ctx, QEVAL_ENOMEM, "gsm8k: out of "
			    "memory");
			goto out;
		}
		g->n++;
	}
out:
	cJSON_Delete(doc);
	return (rc);
}

static void
gsm8k_close(void *state)
{
	struct gsm8k *g = state;
	size_t i;

	if (g == NULL)
		return;
	assert(g->magic == GSM8K_MAGIC);
	for (i = 0; i < g->n; i++) {
		free(g->items[i].id);
		free(g->items[i].question);
		free(g->items[i].answer);
		free(g->items[i].gold);
	}
	for (i = 0; i < g->ntrain; i++) {
		free(g->train[i].question);
		free(g->train[i].target);
	}
	free(g->items);
	free(g->train);
	g->host->rx_free(g->strict);
	g->host->rx_free(g->flex);
	for (i = 0; i < 4; i++)
		g->host->rx_free(g->ignore[i]);
	qp_buf_free(&g->body);
	qp_buf_free(&g->gold);
	qp_buf_free(&g->s1);
	qp_buf_free(&g->s2);
	qp_buf_free(&g->detail);
	g->magic = 0;
	free(g);
}

static int
gsm8k_open(const struct qeval_host *h, struct qeval_ctx *ctx,
    const struct qeval_task *task, const struct qeval_opts *opts,
    void **statep)
{
	static const char *const ignore[4] = { ",", "\\$", "(?s).*#### ",
	    "\\.$" };
	struct gsm8k *g;
	struct load l;
	const char *v;
	struct qp_mt mt;
	size_t i;
	int rc;

	*statep = NULL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "gsm8k: cannot allocate "
		    "state"));
	g->magic = GSM8K_MAGIC;
	g->host = h;
	g->recipe = strcmp(task->name, "gsm8k_cot") == 0 ? R_COT : R_PLAIN;
	g->chat = opts->chat;
	g->multiturn = 1;
	v = h->opt(ctx, "fewshot_as_multiturn");
	if (v != NULL)
		g->multiturn = strcmp(v, "0") != 0 && strcmp(v, "false") != 0;
	g->nshot = opts->num_fewshot >= 0 ? opts->num_fewshot :
	    (g->recipe == R_COT ? 8 : 5);
	if (g->nshot > (g->recipe == R_COT ? 8 : MAX_SHOTS)) {
		rc = h->fail(ctx, QEVAL_EINVAL, "%s: --num-fewshot %d is more "
		    "than the recipe allows (%d)", task->name, g->nshot,
		    g->recipe == R_COT ? 8 : MAX_SHOTS);
		goto fail;
	}
	g->strict = h->rx_compile(ctx, g->recipe == R_COT ?
	    "The answer is (\\-?[0-9\\.\\,]+)." : "#### (\\-?[0-9\\.\\,]+)",
	    0);
	g->flex = h->rx_compile(ctx, "(-?[$0-9.,]{2,})|(-?[0-9]+)", 0);
	for (i = 0; i < 4; i++)
		g->ignore[i] = h->rx_compile(ctx, ignore[i], 0);
	if (g->strict == NULL || g->flex == NULL || g->ignore[0] == NULL ||
	    g->ignore[1] == NULL || g->ignore[2] == NULL ||
	    g->ignore[3] == NULL) {
		rc = QEVAL_EINTERNAL;
		goto fail;
	}
	memset(&l, 0, sizeof(l));
	l.g = g;
	l.ctx = ctx;
	rc = h->records(ctx, "gsm8k/test.jsonl", load_record, &l);
	if (rc != QEVAL_OK)
		goto fail;
	if (g->recipe == R_PLAIN && g->nshot > 0) {
		l.train = 1;
		l.line = 0;
		rc = h->records(ctx, "gsm8k/train.jsonl", load_record, &l);
		if (rc != QEVAL_OK)
			goto fail;
		if (g->ntrain < (size_t)g->nshot) {
			rc = h->fail(ctx, QEVAL_EDATA, "gsm8k/train.jsonl: "
			    "%zu records, too few to draw %d few-shot examples",
			    g->ntrain, g->nshot);
			goto fail;
		}
	}
	if (g->n == 0) {
		rc = h->fail(ctx, QEVAL_EDATA, "gsm8k/test.jsonl holds no "
		    "records");
		goto fail;
	}
	/* One draw per test document, in order, from one generator: the
	 * draws of document i do not depend on --limit. */
	qp_mt_seed(&mt, opts->seed);
	for (i = 0; i < g->n; i++) {
		struct qp_buf tmp = QP_BUF_INIT;

		if (g->recipe == R_PLAIN && g->nshot > 0 &&
		    qp_mt_sample(&mt, g->ntrain, (size_t)g->nshot,
		    g->items[i].shots) != 0) {
			rc = h->fail(ctx, QEVAL_ENOMEM, "gsm8k: out of memory");
			goto fail;
		}
		qp_buf_adds(&g->s1, g->items[i].answer);
		normalise(g, &g->s1, &tmp);
		qp_buf_free(&tmp);
		g->items[i].gold = qp_strdup(qp_buf_ok(&g->s1) && g->s1.buf ?
		    g->s1.buf : "");
		qp_buf_reset(&g->s1);
		if (g->items[i].gold == NULL) {
			rc = h->fail(ctx, QEVAL_ENOMEM, "gsm8k: out of memory");
			goto fail;
		}
	}
	g->count = opts->limit > 0 && opts->limit < g->n ? opts->limit :
	    g->n;
	*statep = g;
	return (QEVAL_OK);
fail:
	gsm8k_close(g);
	return (rc);
}

static size_t
gsm8k_count(void *state)
{
	struct gsm8k *g = state;

	assert(g != NULL && g->magic == GSM8K_MAGIC);
	return (g->count);
}

static const char *
gsm8k_sample_id(void *state, size_t i)
{
	struct gsm8k *g = state;

	assert(g != NULL && g->magic == GSM8K_MAGIC && i < g->n);
	return (g->items[i].id);
}

/* "Question: {q}\nAnswer:" or "Q: {q}\nA:" */
static void
doc_text(const struct gsm8k *g, struct qp_buf *b, const char *q)
{
	qp_buf_adds(b, g->recipe == R_COT ? "Q: " : "Question: ");
	qp_buf_adds(b, q);
	qp_buf_adds(b, g->recipe == R_COT ? "\nA:" : "\nAnswer:");
}

static void
shot_at(const struct gsm8k *g, const struct item *it, int k,
    const char **q, const char **a)
{
	if (g->recipe == R_COT) {
		*q = cot_shots[k][0];
		*a = cot_shots[k][1];
	} else {
		*q = g->train[it->shots[k]].question;
		*a = g->train[it->shots[k]].target;
	}
}

static int
gsm8k_next(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_request *req)
{
	struct gsm8k *g = state;
	const struct item *it;
	struct qp_buf *b;
	const char *q, *a;
	int k, first = 1;

	assert(g != NULL && g->magic == GSM8K_MAGIC);
	(void)ex;
	(void)cand;
	if (i >= g->n)
		return (g->host->fail(ctx, QEVAL_EINVAL, "gsm8k: no sample "
		    "%zu", i));
	if (nex > 0)
		return (QEVAL_DONE);
	it = &g->items[i];
	b = &g->body;
	qp_buf_reset(b);
	if (g->chat) {
		struct qp_buf tmp = QP_BUF_INIT;

		qp_buf_adds(b, "{\"messages\":[");
		if (g->multiturn) {
			for (k = 0; k < g->nshot; k++) {
				shot_at(g, it, k, &q, &a);
				qp_buf_reset(&tmp);
				doc_text(g, &tmp, q);
				qp_buf_chat_message(b, &first, "user",
				    qp_buf_str(&tmp) ? qp_buf_str(&tmp) : "");
				qp_buf_chat_message(b, &first, "assistant", a);
			}
			qp_buf_reset(&tmp);
		} else {
			for (k = 0; k < g->nshot; k++) {
				shot_at(g, it, k, &q, &a);
				doc_text(g, &tmp, q);
				qp_buf_adds(&tmp, " ");
				qp_buf_adds(&tmp, a);
				qp_buf_adds(&tmp, "\n\n");
			}
		}
		doc_text(g, &tmp, it->question);
		qp_buf_chat_message(b, &first, "user",
		    qp_buf_str(&tmp) ? qp_buf_str(&tmp) : "");
		if (!qp_buf_ok(&tmp))
			b->oom = 1;
		qp_buf_free(&tmp);
		qp_buf_adds(b, "]");
		req->kind = QEVAL_REQ_CHAT;
	} else {
		struct qp_buf tmp = QP_BUF_INIT;

		for (k = 0; k < g->nshot; k++) {
			shot_at(g, it, k, &q, &a);
			doc_text(g, &tmp, q);
			qp_buf_adds(&tmp, " ");
			qp_buf_adds(&tmp, a);
			qp_buf_adds(&tmp, "\n\n");
		}
		doc_text(g, &tmp, it->question);
		qp_buf_adds(b, "{\"prompt\":");
		qp_buf_json_str(b, qp_buf_str(&tmp) ? qp_buf_str(&tmp) : "");
		if (!qp_buf_ok(&tmp))
			b->oom = 1;
		qp_buf_free(&tmp);
		req->kind = QEVAL_REQ_COMPLETION;
	}
	qp_buf_stop_list(b, g->recipe == R_COT ? stops_cot : stops_plain);
	qp_buf_adds(b, "}");
	if (!qp_buf_ok(b))
		return (g->host->fail(ctx, QEVAL_ENOMEM, "gsm8k: out of "
		    "memory building a request"));
	req->target = QEVAL_TARGET_MODEL;
	req->body = b->buf;
	req->temperature = 0.0;		/* do_sample: false */
	req->top_p = 1.0;
	req->max_tokens = 256;		/* lm-eval's max_gen_toks */
	req->label = "answer";
	return (QEVAL_NEXT);
}

/* The gold number: the text after the last "#### ", trimmed. */
static const char *
gold_number(const char *answer, size_t *lenp)
{
	const char *p = answer, *hit = NULL;
	size_t len;

	while ((p = strstr(p, "#### ")) != NULL) {
		hit = p + 5;
		p += 5;
	}
	if (hit == NULL)
		hit = answer;
	len = strlen(hit);
	while (len > 0 && (hit[len - 1] == ' ' || hit[len - 1] == '\n' ||
	    hit[len - 1] == '\r' || hit[len - 1] == '\t'))
		len--;
	while (len > 0 && (*hit == ' ' || *hit == '\t')) {
		hit++;
		len--;
	}
	*lenp = len;
	return (hit);
}

static int
gsm8k_score(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_verdict *out)
{
	struct gsm8k *g = state;
	const struct item *it;
	const char *text, *want;
	struct qp_buf tmp = QP_BUF_INIT;
	struct qp_buf ref = QP_BUF_INIT;
	int have_s, have_f, ok_s, ok_f;
	size_t len, glen;

	assert(g != NULL && g->magic == GSM8K_MAGIC);
	(void)cand;
	if (i >= g->n || nex < 1)
		return (g->host->fail(ctx, QEVAL_EINTERNAL, "gsm8k: sample %zu "
		    "scored without an answer", i));
	it = &g->items[i];
	text = ex[0].resp.text != NULL ? ex[0].resp.text : "";
	/* The answer's bytes: a NUL byte in it is data, not its end. */
	len = ex[0].resp.text != NULL ? QEVAL_RESP_TEXT_LEN(&ex[0].resp) : 0;
	have_s = extract(g, g->strict, 0, text, len, &g->s1);
	have_f = extract(g, g->flex, 1, text, len, &g->s2);
	if (g->recipe == R_COT) {
		/* doc_to_target: answer.split('####')[-1].strip() */
		want = gold_number(it->answer, &glen);
		qp_buf_add(&ref, want, glen);
		normalise(g, &ref, &tmp);
		want = qp_buf_str(&ref) ? qp_buf_str(&ref) : "";
	} else
		want = it->gold;
	if (have_s)
		normalise(g, &g->s1, &tmp);
	if (have_f)
		normalise(g, &g->s2, &tmp);
	ok_s = have_s && strcmp(qp_buf_str(&g->s1) ? qp_buf_str(&g->s1) :
	    "", want) == 0;
	ok_f = have_f && strcmp(qp_buf_str(&g->s2) ? qp_buf_str(&g->s2) :
	    "", want) == 0;
	out->values[M_STRICT] = ok_s ? 1.0 : 0.0;
	out->values[M_FLEX] = ok_f ? 1.0 : 0.0;
	out->values[M_INV_STRICT] = have_s ? 0.0 : 1.0;
	out->values[M_INV_FLEX] = have_f ? 0.0 : 1.0;
	out->values[M_TRUNC] = 0.0;
	if (!have_f)
		out->flags |= QEVAL_VF_INVALID;
	if (ex[0].resp.finish_reason != NULL &&
	    strcmp(ex[0].resp.finish_reason, "length") == 0) {
		out->flags |= QEVAL_VF_TRUNCATED;
		out->values[M_TRUNC] = 1.0;
	}
	out->extracted = have_f ? qp_buf_str(&g->s2) : "[invalid]";
	qp_buf_reset(&g->detail);
	qp_buf_adds(&g->detail, "{\"strict-match\":");
	qp_buf_json_str(&g->detail, have_s && qp_buf_str(&g->s1) ?
	    qp_buf_str(&g->s1) : "[invalid]");
	qp_buf_adds(&g->detail, ",\"flexible-extract\":");
	qp_buf_json_str(&g->detail, have_f && qp_buf_str(&g->s2) ?
	    qp_buf_str(&g->s2) : "[invalid]");
	qp_buf_adds(&g->detail, ",\"gold\":");
	qp_buf_json_str(&g->detail, want);
	qp_buf_adds(&g->detail, "}");
	out->detail = qp_buf_str(&g->detail);
	if (ok_f && ok_s)
		out->reason = "correct (both filters)";
	else if (ok_f)
		out->reason = have_s ? "flexible-extract correct, strict-match "
		    "wrong" : "flexible-extract correct, strict-match found "
		    "no answer";
	else if (ok_s)
		out->reason = "strict-match correct, flexible-extract wrong";
	else if (!have_f)
		out->reason = "no number in the answer";
	else
		out->reason = "wrong number";
	qp_buf_free(&tmp);
	qp_buf_free(&ref);
	if (!qp_buf_ok(&g->s1) || !qp_buf_ok(&g->s2) || !qp_buf_ok(&g->detail))
		return (g->host->fail(ctx, QEVAL_ENOMEM, "gsm8k: out of memory "
		    "scoring sample %zu", i));
	return (QEVAL_OK);
}

static int
gsm8k_gold(void *state, struct qeval_ctx *ctx, size_t i,
    const struct qeval_exchange *ex, size_t nex,
    const struct qeval_request *req, int corrupt, struct qeval_gold *out)
{
	struct gsm8k *g = state;
	const struct item *it;
	const char *num, *hash;
	size_t nlen;

	assert(g != NULL && g->magic == GSM8K_MAGIC);
	(void)ex;
	(void)nex;
	(void)req;
	if (i >= g->n)
		return (g->host->fail(ctx, QEVAL_EINVAL, "gsm8k: no sample "
		    "%zu", i));
	it = &g->items[i];
	num = gold_number(it->answer, &nlen);
	qp_buf_reset(&g->gold);
	if (corrupt) {
		/* A different number in every filter's position. */
		qp_buf_adds(&g->gold, g->recipe == R_COT ? "The answer is " :
		    "#### ");
		qp_buf_add(&g->gold, num, nlen);
		qp_buf_adds(&g->gold, g->recipe == R_COT ? "1." : "1");
	} else if (g->recipe == R_COT) {
		hash = strstr(it->answer, "####");
		qp_buf_add(&g->gold, it->answer, hash != NULL ?
		    (size_t)(hash - it->answer) : strlen(it->answer));
		qp_buf_adds(&g->gold, "The answer is ");
		qp_buf_add(&g->gold, num, nlen);
		qp_buf_adds(&g->gold, ".");
	} else
		qp_buf_adds(&g->gold, it->answer);
	if (!qp_buf_ok(&g->gold))
		return (g->host->fail(ctx, QEVAL_ENOMEM, "gsm8k: out of "
		    "memory"));
	out->text = qp_buf_str(&g->gold);
	return (QEVAL_OK);
}

/* Task options this plugin reads (ABI 1.1; `qeval list tasks -v`). */
static const struct qeval_option options[] = {
	{ "fewshot_as_multiturn", QEVAL_OPT_ENUM, "1", "chat: few-shot "
	  "examples as earlier turns (0: all in one message)",
	  "0|1|true|false", NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL }
};

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.flags = QEVAL_PF_NONE,
	.name = "gsm8k",
	.version = PACKAGE_VERSION,
	.summary = "GSM8K: lm-evaluation-harness gsm8k and gsm8k_cot",
	.tasks = tasks,
	.open = gsm8k_open,
	.count = gsm8k_count,
	.sample_id = gsm8k_sample_id,
	.next = gsm8k_next,
	.score = gsm8k_score,
	.gold = gsm8k_gold,
	.close = gsm8k_close,
	.options = options,
};
