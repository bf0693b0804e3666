/*
 * arc: the AI2 Reasoning Challenge (ARC-Challenge and ARC-Easy), scored
 * as lm-evaluation-harness scores it, plus generative variants for
 * servers that give no prompt log-probabilities.
 *
 * Tasks:
 *   arc_challenge, arc_easy
 *	lm-eval `arc_challenge` / `arc_easy`: one log-likelihood request
 *	per item, context "Question: {stem}\nAnswer:", one continuation
 *	" {choice text}" per choice; gold = index of answerKey among the
 *	labels (A-E or 1-5).  acc = argmax of the summed log-probability,
 *	acc_norm = argmax of log-probability / len(choice text) in code
 *	points (lm-eval's completion_len; the leading space is not
 *	counted); ties go to the first choice (numpy.argmax).  0-shot by
 *	default; --num-fewshot N draws N examples from the train split with
 *	Python's random.Random(seed).sample, one draw per test item in
 *	order (lm-eval's default sampler, seed 1234 unless --seed), each
 *	written "Question: {stem}\nAnswer: {gold text}\n\n".  25 is the
 *	Open LLM Leaderboard v1 convention.
 *   arc_challenge_gen, arc_easy_gen
 *	lm-eval's arc_challenge_chat (prefill=1, the default): its
 *	doc_to_text byte for byte (the YAML single-quoted string keeps
 *	each "\n" as a backslash and an n, and shows choices A-C, plus D
 *	when there are more than three), the assistant turn prefilled
 *	with "The best answer is" and continued by the server, stops
 *	"\n\n" and ".", 100 new tokens, greedy; the continuation is
 *	stripped and compared with the target ('ABCD'[k-1] for labels
 *	1-4, else answerKey) ignoring case and punctuation
 *	(mc_score_em()).  arc_easy_gen applies the same recipe to
 *	ARC-Easy.  prefill=0, for servers that cannot continue an
 *	assistant message: qeval's own recipe, one user turn listing
 *	every option and asking to finish with "The best answer is X",
 *	256 new tokens, no stops, the letter found by qeval's rule
 *	(mc_extract_letter(), docs/LOGLIK.md).  Metric qeval_extraction
 *	says which of the two scored an answer.
 *
 * Task options: test_file=, fewshot_file= (paths relative to the data
 * dir, for other copies or crafted sets), prefill=1|0 and max_tokens=
 * (gen: 100 new tokens with the prefill, 256 without).
 */
#include "config.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <qeval/plugin.h>

#include "mcutil.h"
#include "qp.h"

#define ARC_MAGIC	0x61726331u
#define MAX_CHOICES	MC_MAX_CHOICES

enum variant { V_LOGLIK, V_GEN };

struct item {
	char	*id;
	char	*question;
	char	*choice[MAX_CHOICES];
	char	*label[MAX_CHOICES];
	size_t	 nchoices;
	size_t	 gold;
	size_t	*shots;		/* nshot indices into train */
};

struct set {
	struct item	*v;
	size_t		 n, alloc;
};

struct arc {
	unsigned		 magic;
	const struct qeval_host	*host;
	enum variant		 variant;
	int			 chat;
	int			 nshot;
	int			 max_tokens;
	int			 prefill;	/* gen: lm-eval's recipe */
	struct set		 test;
	struct set		 train;
	size_t			 count;
	struct mc_rules		 rules;
	struct qp_buf		 body;		/* next() */
	struct qp_buf		 tmp;
	struct qp_buf		 gold;		/* gold() */
	double			 gold_lp[MAX_CHOICES];
	uint8_t			 gold_greedy[MAX_CHOICES];
	struct qp_buf		 detail;	/* score() */
	struct qp_buf		 reason;
	struct qp_buf		 ext;
	char			 extracted[16];
	char			 target[16];
};

/* ------------------------------------------------------------------ */

static const char *const files_challenge[] = {
	"arc/ARC-Challenge-Test.jsonl", "arc/ARC-Challenge-Train.jsonl", NULL
};
/* The shared mirror has no ARC-Easy train split: few-shot arc_easy
 * reads arc/ARC-Easy-Train.jsonl, or fewshot_file=. */
static const char *const files_easy[] = { "arc/ARC-Easy-Test.jsonl", NULL };

static const struct qeval_task tasks[] = {
	{ "arc_challenge", "ARC-Challenge", "Science QA (log-likelihood)",
	  "lm-evaluation-harness arc_challenge (0-shot; 25-shot = Open LLM "
	  "Leaderboard v1)", files_challenge, mc_ll_metrics,
	  QEVAL_TF_LOGLIK | QEVAL_TF_COMPLETION_ONLY },
	{ "arc_easy", "ARC-Easy", "Science QA (log-likelihood)",
	  "lm-evaluation-harness arc_easy (0-shot)", files_easy, mc_ll_metrics,
	  QEVAL_TF_LOGLIK | QEVAL_TF_COMPLETION_ONLY },
	{ "arc_challenge_gen", "ARC-Challenge (generative)", "Science QA",
	  "lm-evaluation-harness arc_challenge_chat (assistant prefill "
	  "\"The best answer is\"); prefill=0: qeval's letter extraction",
	  files_challenge, mc_gen_metrics, 0 },
	{ "arc_easy_gen", "ARC-Easy (generative)", "Science QA",
	  "lm-evaluation-harness arc_challenge_chat recipe on ARC-Easy "
	  "(assistant prefill); prefill=0: qeval's letter extraction",
	  files_easy, mc_gen_metrics, 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};

/* ------------------------------------------------------------------ */
/* Dataset                                                            */

static void
item_free(struct item *it)
{
	size_t k;

	free(it->id);
	free(it->question);
	for (k = 0; k < it->nchoices; k++) {
		free(it->choice[k]);
		free(it->label[k]);
	}
	free(it->shots);
	memset(it, 0, sizeof(*it));
}

static void
set_free(struct set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		item_free(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

struct load {
	struct arc		*a;
	struct qeval_ctx	*ctx;
	struct set		*set;
	const char		*file;
};

#define DATA_HINT "(expected the AI2 ARC jsonl layout: {\"id\", " \
	"\"question\": {\"stem\", \"choices\": [{\"text\", \"label\"}]}, " \
	"\"answerKey\"}, or Hugging Face ai2_arc's)"

/*
 * One ARC record, in AI2's layout (question.stem, question.choices[]
 * of {text, label}) or Hugging Face's (question, choices.text[],
 * choices.label[]).
 */
static int
load_record(void *arg, const char *json, size_t len, const char *where)
{
	struct load *l = arg;
	const struct qeval_host *h = l->a->host;
	const cJSON *q, *choices, *texts = NULL, *labels = NULL, *c;
	const char *stem, *key, *id;
	cJSON *doc = cJSON_ParseWithLength(json, len);
	struct item it;
	size_t k, n;
	int rc = QEVAL_OK;

	memset(&it, 0, sizeof(it));
	if (!cJSON_IsObject(doc)) {
		rc = h->fail(l->ctx, QEVAL_EDATA, "%s: the record is not a "
		    "JSON object %s", where, DATA_HINT);
		goto out;
	}
	q = cJSON_GetObjectItemCaseSensitive(doc, "question");
	if (cJSON_IsObject(q)) {
		stem = qp_json_str(q, "stem");
		choices = qp_json_arr(q, "choices");
	} else {
		const cJSON *ch = cJSON_GetObjectItemCaseSensitive(doc,
		    "choices");

		stem = qp_json_str(doc, "question");
		choices = NULL;
		if (cJSON_IsObject(ch)) {
			texts = qp_json_arr(ch, "text");
			labels = qp_json_arr(ch, "label");
		}
	}
	key = qp_json_str(doc, "answerKey");
	id = qp_json_str(doc, "id");
	if (stem == NULL) {
		rc = h->fail(l->ctx, QEVAL_EDATA, "%s: field 'question.stem' "
		    "is missing or not a string %s", where, DATA_HINT);
		goto out;
	}
	if (choices == NULL && (texts == NULL || labels == NULL)) {
		rc = h->fail(l->ctx, QEVAL_EDATA, "%s: field "
		    "'question.choices' is missing or not an array %s", where,
		    DATA_HINT);
		goto out;
	}
	if (key == NULL) {
		rc = h->fail(l->ctx, QEVAL_EDATA, "%s: field 'answerKey' is "
		    "missing or not a string %s", where, DATA_HINT);
		goto out;
	}
	n = (size_t)cJSON_GetArraySize(choices != NULL ? choices : texts);
	if (n < 2 || n > MAX_CHOICES || (labels != NULL &&
	    (size_t)cJSON_GetArraySize(labels) != n)) {
		rc = h->fail(l->ctx, QEVAL_EDATA, "%s: field "
		    "'question.choices' has %zu entries (or as many labels "
		    "as texts): an item needs 2 to %d choices", where, n,
		    MAX_CHOICES);
		goto out;
	}
	for (k = 0; k < n; k++) {
		const char *text, *label;

		if (choices != NULL) {
			c = cJSON_GetArrayItem(choices, (int)k);
			text = qp_json_str(c, "text");
			label = qp_json_str(c, "label");
		} else {
			c = cJSON_GetArrayItem(texts, (int)k);
			text = cJSON_IsString(c) ? c->valuestring : NULL;
			c = cJSON_GetArrayItem(labels, (int)k);
			label = cJSON_IsString(c) ? c->valuestring : NULL;
		}
		if (text == NULL || label == NULL) {
			rc = h->fail(l->ctx, QEVAL_EDATA, "%s: choice %zu "
			    "needs string fields 'text' and 'label' %s", where,
			    k, DATA_HINT);
			goto out;
		}
		it.choice[k] = qp_strdup(text);
		it.label[k] = qp_strdup(label);
		it.nchoices = k + 1;
		if (it.choice[k] == NULL || it.label[k] == NULL) {
			rc = h->fail(l->ctx, QEVAL_ENOMEM, "arc: out of "
			    "memory");
			goto out;
		}
	}
	/* doc_to_target: choices.label.index(answerKey) */
	for (k = 0; k < n; k++)
		if (strcmp(it.label[k], key) == 0)
			break;
	if (k == n) {
		rc = h->fail(l->ctx, QEVAL_EDATA, "%s: field 'answerKey' is "
		    "'%s', which is none of the choice labels: fix the record "
		    "or drop it", where, key);
		goto out;
	}
	it.gold = k;
	it.question = qp_strdup(stem);
	it.id = qp_strdup(id != NULL ? id : where);
	if (it.question == NULL || it.id == NULL) {
		rc = h->fail(l->ctx, QEVAL_ENOMEM, "arc: out of memory");
		goto out;
	}
	if (l->set->n == l->set->alloc) {
		size_t na = l->set->alloc ? l->set->alloc * 2 : 1024;
		struct item *nv = realloc(l->set->v, na * sizeof(*nv));

		if (nv == NULL) {
			rc = h->fail(l->ctx, QEVAL_ENOMEM, "arc: out of "
			    "memory");
			goto out;
		}
		l->set->v = nv;
		l->set->alloc = na;
	}
	l->set->v[l->set->n++] = it;
	memset(&it, 0, sizeof(it));
out:
	item_free(&it);
	cJSON_Delete(doc);
	return (rc);
}

static void
arc_close(void *state)
{
	struct arc *a = state;

	if (a == NULL)
		return;
	assert(a->magic == ARC_MAGIC);
	set_free(&a->test);
	set_free(&a->train);
	mc_rules_free(&a->rules, a->host);
	qp_buf_free(&a->body);
	qp_buf_free(&a->tmp);
	qp_buf_free(&a->gold);
	qp_buf_free(&a->detail);
	qp_buf_free(&a->reason);
	qp_buf_free(&a->ext);
	a->magic = 0;
	free(a);
}

static int
arc_open(const struct qeval_host *h, struct qeval_ctx *ctx,
    const struct qeval_task *task, const struct qeval_opts *opts,
    void **statep)
{
	const char *test_file, *shot_file;
	struct arc *a;
	struct load l;
	struct qp_mt mt;
	size_t i;
	int rc, same;

	*statep = NULL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "arc: cannot allocate "
		    "state"));
	a->magic = ARC_MAGIC;
	a->host = h;
	a->variant = strstr(task->name, "_gen") != NULL ? V_GEN : V_LOGLIK;
	a->chat = opts->chat;
	a->nshot = opts->num_fewshot >= 0 ? opts->num_fewshot : 0;
	a->max_tokens = 0;	/* the recipe's: MC_CHAT_TOKENS or
					 * MC_GEN_TOKENS */
	rc = mc_check_shots(h, ctx, task->name, a->nshot, a->variant == V_GEN);
	if (rc == QEVAL_OK)
		rc = mc_opt_max_tokens(h, ctx, task->name, &a->max_tokens);
	if (rc == QEVAL_OK && a->variant == V_GEN)
		rc = mc_opt_prefill(h, ctx, task->name, &a->prefill);
	if (rc != QEVAL_OK)
		goto fail;
	test_file = h->opt(ctx, "test_file");
	if (test_file == NULL)
		test_file = task->files[0];
	shot_file = h->opt(ctx, "fewshot_file");
	if (shot_file == NULL)
		shot_file = task->files[1] != NULL ? task->files[1] :
		    "arc/ARC-Easy-Train.jsonl";
	if (a->variant == V_GEN &&
	    (rc = mc_rules_compile(&a->rules, h, ctx)) != QEVAL_OK)
		goto fail;

	memset(&l, 0, sizeof(l));
	l.a = a;
	l.ctx = ctx;
	l.set = &a->test;
	l.file = test_file;
	if ((rc = h->records(ctx, test_file, load_record, &l)) != QEVAL_OK)
		goto fail;
	if (a->test.n == 0) {
		rc = h->fail(ctx, QEVAL_EDATA, "%s holds no records",
		    test_file);
		goto fail;
	}
	same = strcmp(shot_file, test_file) == 0;
	if (a->nshot > 0 && !same) {
		l.set = &a->train;
		l.file = shot_file;
		rc = h->records(ctx, shot_file, load_record, &l);
		if (rc != QEVAL_OK)
			goto fail;
	}
	if (a->nshot > 0) {
		const struct set *src = same ? &a->test : &a->train;
		/* lm-eval draws one more from the evaluated split (and drops
		 * the document itself: mc_draw_shots()). */
		size_t want = (size_t)a->nshot + (same ? 1 : 0);

		if (src->n < want) {
			rc = h->fail(ctx, QEVAL_EDATA, "%s: %zu records, too "
			    "few for %d few-shot examples", shot_file, src->n,
			    a->nshot);
			goto fail;
		}
		qp_mt_seed(&mt, opts->seed);
		for (i = 0; i < a->test.n; i++)
			if (mc_draw_shots(&mt, i, src->n, a->nshot, same,
			    &a->test.v[i].shots) != 0) {
				rc = h->fail(ctx, QEVAL_ENOMEM, "arc: out of "
				    "memory");
				goto fail;
			}
	}
	a->count = opts->limit > 0 && opts->limit < a->test.n ? opts->limit :
	    a->test.n;
	if (same && a->nshot > 0)
		h->log(ctx, QEVAL_LOG_WARN, "%s: few-shot examples are drawn "
		    "from the evaluated file itself (%s)", task->name,
		    test_file);
	*statep = a;
	return (QEVAL_OK);
fail:
	arc_close(a);
	return (rc);
}

static size_t
arc_count(void *state)
{
	struct arc *a = state;

	assert(a != NULL && a->magic == ARC_MAGIC);
	return (a->count);
}

static const char *
arc_sample_id(void *state, size_t i)
{
	struct arc *a = state;

	assert(a != NULL && a->magic == ARC_MAGIC && i < a->test.n);
	return (a->test.v[i].id);
}

static const struct item *
shot_item(const struct arc *a, size_t idx)
{
	return (a->train.n > 0 ? &a->train.v[idx] : &a->test.v[idx]);
}

/* lm-eval's context: shots, then "Question: {stem}\nAnswer:". */
static void
ll_context(const struct arc *a, const struct item *it, struct qp_buf *b)
{
	int k;

	for (k = 0; k < a->nshot; k++) {
		const struct item *s = shot_item(a, it->shots[k]);

		qp_buf_adds(b, "Question: ");
		qp_buf_adds(b, s->question);
		qp_buf_adds(b, "\nAnswer: ");
		qp_buf_adds(b, s->choice[s->gold]);
		qp_buf_adds(b, "\n\n");
	}
	qp_buf_adds(b, "Question: ");
	qp_buf_adds(b, it->question);
	qp_buf_adds(b, "\nAnswer:");
}

/*
 * lm-eval arc_challenge_chat's doc_to_text.  The YAML writes it in single
 * quotes, where "\n" is no escape: the prompt holds a backslash and an
 * n at each of those places, and qeval sends the same bytes.
 */
static void
chat_prompt(const struct item *it, struct qp_buf *b)
{
	static const char *const tag[] = { "\\nA. ", "\\nB. ", "\\nC. " };
	size_t k, a, e;

	qp_buf_adds(b, "Given the following question and four candidate "
	    "answers (A, B, C and D), choose the best answer.\\nQuestion: ");
	mc_py_strip(it->question, strlen(it->question), &a, &e);
	qp_buf_add(b, it->question + a, e - a);	/* question.strip() */
	for (k = 0; k < 3 && k < it->nchoices; k++) {
		qp_buf_adds(b, tag[k]);
		qp_buf_adds(b, it->choice[k]);
	}
	if (it->nchoices > 3) {
		qp_buf_adds(b, "\\nD. ");
		qp_buf_adds(b, it->choice[3]);
	}
	qp_buf_adds(b, "\\nYour response should end with \"The best answer is "
	    "[the_answer_letter]\" where the [the_answer_letter] is one of A, "
	    "B, C or D.");
}

/* doc_to_target: 'ABCD'[answerKey|int - 1] for 1-4, else answerKey. */
static const char *
chat_target(struct arc *a, const struct item *it)
{
	const char *key = it->label[it->gold];

	if (key[0] >= '1' && key[0] <= '4' && key[1] == '\0')
		snprintf(a->target, sizeof(a->target), "%c",
		    (char)('A' + key[0] - '1'));
	else
		snprintf(a->target, sizeof(a->target), "%s", key);
	return (a->target);
}

/* qeval's own lettered prompt (prefill=0). */
static void
gen_prompt(const struct item *it, struct qp_buf *b)
{
	qp_buf_adds(b, "Given the following question and candidate answers, "
	    "choose the best answer.\nQuestion: ");
	qp_buf_adds(b, it->question);
	mc_letter_options(b, it->choice, it->nchoices);
}

static int
arc_next(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_request *req)
{
	struct arc *a = state;
	const struct item *it;

	assert(a != NULL && a->magic == ARC_MAGIC);
	(void)ex;
	(void)cand;
	if (i >= a->test.n)
		return (a->host->fail(ctx, QEVAL_EINVAL, "arc: no sample %zu",
		    i));
	if (nex > 0)
		return (QEVAL_DONE);
	it = &a->test.v[i];
	qp_buf_reset(&a->body);
	qp_buf_reset(&a->tmp);
	if (a->variant == V_LOGLIK) {
		ll_context(a, it, &a->tmp);
		mc_ll_request(&a->body, &a->tmp, it->choice, it->nchoices,
		    "choices", req);
	} else if (a->prefill) {
		chat_prompt(it, &a->tmp);
		mc_prefill_request(&a->body, &a->tmp, a->chat,
		    a->max_tokens > 0 ? a->max_tokens : MC_CHAT_TOKENS,
		    req);
	} else {
		gen_prompt(it, &a->tmp);
		mc_gen_request(&a->body, &a->tmp, a->chat,
		    a->max_tokens > 0 ? a->max_tokens : MC_GEN_TOKENS, req);
	}
	if (!qp_buf_ok(&a->body) || !qp_buf_ok(&a->tmp))
		return (a->host->fail(ctx, QEVAL_ENOMEM, "arc: out of memory "
		    "building a request"));
	req->target = QEVAL_TARGET_MODEL;
	req->body = a->body.buf;
	req->temperature = 0.0;
	req->top_p = 1.0;
	return (QEVAL_NEXT);
}

static int
score_ll(struct arc *a, const struct item *it,
    const struct qeval_response *r, struct qeval_verdict *out)
{
	size_t n = it->nchoices, pick, pick_n;

	qp_buf_reset(&a->detail);
	qp_buf_reset(&a->reason);
	if (mc_score_ll(r, it->choice, n, it->gold, "choices", &a->reason,
	    out, &pick, &pick_n) != 0)
		return (QEVAL_OK);
	snprintf(a->extracted, sizeof(a->extracted), "%s",
	    it->label[pick_n]);
	out->extracted = a->extracted;
	if (pick == it->gold && pick_n == it->gold)
		qp_buf_addf(&a->reason, "gold choice %s ranks first by total "
		    "and by length-normalised log-likelihood",
		    it->label[it->gold]);
	else
		qp_buf_addf(&a->reason, "gold %s; highest log-likelihood %s "
		    "(acc %s), highest per character %s (acc_norm %s)",
		    it->label[it->gold], it->label[pick],
		    pick == it->gold ? "right" : "wrong", it->label[pick_n],
		    pick_n == it->gold ? "right" : "wrong");
	qp_buf_adds(&a->detail, "{\"gold\":");
	qp_buf_json_str(&a->detail, it->label[it->gold]);
	qp_buf_adds(&a->detail, ",\"acc_pick\":");
	qp_buf_json_str(&a->detail, it->label[pick]);
	qp_buf_adds(&a->detail, ",\"acc_norm_pick\":");
	qp_buf_json_str(&a->detail, it->label[pick_n]);
	qp_buf_adds(&a->detail, ",");
	mc_ll_detail(&a->detail, r, it->choice, n);
	qp_buf_adds(&a->detail, "}");
	out->reason = qp_buf_str(&a->reason);
	out->detail = qp_buf_str(&a->detail);
	return (QEVAL_OK);
}

static int
score_gen(struct arc *a, const struct item *it,
    const struct qeval_exchange *ex, struct qeval_verdict *out)
{
	const char *rule = "lm-eval exact_match";

	qp_buf_reset(&a->detail);
	qp_buf_reset(&a->reason);
	if (mc_is_prefilled(&ex->req)) {
		qp_buf_adds(&a->detail, "{\"target\":");
		qp_buf_json_str(&a->detail, chat_target(a, it));
		qp_buf_adds(&a->detail, ",");
		mc_score_em(&ex->resp, it->nchoices, a->target, &a->reason,
		    &a->ext, out);
	} else {
		qp_buf_adds(&a->detail, "{");
		mc_score_letter(&a->rules, a->host, &ex->resp, it->nchoices,
		    it->gold, &a->reason, a->extracted,
		    sizeof(a->extracted), out, &rule);
	}
	if (!qp_buf_ok(&a->ext))
		a->reason.oom = 1;	/* arc_score() reports it */
	qp_buf_adds(&a->detail, "\"rule\":");
	qp_buf_json_str(&a->detail, rule);
	qp_buf_addf(&a->detail, ",\"gold\":\"%c\",\"gold_label\":",
	    (char)('A' + it->gold));
	qp_buf_json_str(&a->detail, it->label[it->gold]);
	qp_buf_adds(&a->detail, "}");
	out->reason = qp_buf_str(&a->reason);
	out->detail = qp_buf_str(&a->detail);
	return (QEVAL_OK);
}

static int
arc_score(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_verdict *out)
{
	struct arc *a = state;
	int rc;

	assert(a != NULL && a->magic == ARC_MAGIC);
	(void)cand;
	if (i >= a->test.n || nex < 1)
		return (a->host->fail(ctx, QEVAL_EINTERNAL, "arc: sample %zu "
		    "scored without a response", i));
	if (a->variant == V_LOGLIK)
		rc = score_ll(a, &a->test.v[i], &ex[0].resp, out);
	else
		rc = score_gen(a, &a->test.v[i], &ex[0], out);
	if (rc == QEVAL_OK && (!qp_buf_ok(&a->detail) ||
	    !qp_buf_ok(&a->reason)))
		return (a->host->fail(ctx, QEVAL_ENOMEM, "arc: out of memory "
		    "scoring sample %zu", i));
	return (rc);
}

static int
arc_gold(void *state, struct qeval_ctx *ctx, size_t i,
    const struct qeval_exchange *ex, size_t nex,
    const struct qeval_request *req, int corrupt, struct qeval_gold *out)
{
	struct arc *a = state;
	const struct item *it;
	size_t win;

	assert(a != NULL && a->magic == ARC_MAGIC);
	(void)ex;
	(void)nex;
	if (i >= a->test.n)
		return (a->host->fail(ctx, QEVAL_EINVAL, "arc: no sample %zu",
		    i));
	it = &a->test.v[i];
	/* The corrupted model prefers the next choice after the gold one. */
	win = corrupt ? (it->gold + 1) % it->nchoices : it->gold;
	if (mc_gold(req, it->nchoices, win, win == it->gold ?
	    chat_target(a, it) : NULL, a->gold_lp, a->gold_greedy,
	    &a->gold, out) != 0)
		return (a->host->fail(ctx, QEVAL_ENOMEM, "arc: out of memory"));
	return (QEVAL_OK);
}

/* Task options this plugin reads (ABI 1.1; `qeval list tasks -v`). */
static const struct qeval_option options[] = {
	{ "test_file", QEVAL_OPT_STRING, NULL, "another test file, relative "
	  "to the data dir", NULL, NULL },
	{ "fewshot_file", QEVAL_OPT_STRING, NULL, "another few-shot file, "
	  "relative to the data dir", NULL, NULL },
	{ "prefill", QEVAL_OPT_BOOL, "1", "1: lm-eval's arc_challenge_chat "
	  "(assistant turn prefilled with 'The best answer is'); 0: qeval's "
	  "letter extraction", NULL, "arc_challenge_gen,arc_easy_gen" },
	{ "max_tokens", QEVAL_OPT_INT, "100", "most tokens of a "
	  "generative answer (default 256 with prefill=0)", NULL,
	  "arc_challenge_gen,arc_easy_gen" },
	{ NULL, 0, NULL, NULL, NULL, NULL }
};

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.flags = QEVAL_PF_NONE,
	.name = "arc",
	.version = PACKAGE_VERSION,
	.summary = "ARC-Challenge and ARC-Easy: lm-evaluation-harness "
	    "log-likelihood recipe, and lettered generative variants",
	.tasks = tasks,
	.open = arc_open,
	.count = arc_count,
	.sample_id = arc_sample_id,
	.next = arc_next,
	.score = arc_score,
	.gold = arc_gold,
	.close = arc_close,
	.options = options,
};
