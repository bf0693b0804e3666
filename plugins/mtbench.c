/*
 * mtbench: MT-Bench scored as FastChat's llm_judge single-answer
 * grading does (gen_api_answer.py, gen_judgment.py --mode single,
 * show_result.py).
 *
 * Per question, four requests:
 *   1. turn 1 to the model: FastChat's per-category temperature
 *      (writing/roleplay 0.7, extraction/math/coding/reasoning 0.0,
 *      stem/humanities 0.1, others 0.7), max_tokens 1024;
 *   2. turn 2, with the model's own turn-1 answer in the conversation;
 *   3. the judge on turn 1: single-v1, or single-math-v1 with the
 *      reference answer for math, reasoning and coding;
 *   4. the judge on turn 2: single-v1-multi-turn or
 *      single-math-v1-multi-turn.
 * Judge calls carry the prompt's system_prompt and its template filled
 * as Python's str.format() fills it, and only what FastChat's judge
 * call sends: temperature 0, max_tokens 2048, n 1 (no top_p: the core
 * then adds neither top_p nor seed).
 * The rating is the first match of \[\[(\d+\.?\d*)\]\], else of
 * \[(\d+\.?\d*)\] (\d as Python's: any Unicode decimal digit), read
 * as ast.literal_eval reads it; no match, or a number literal_eval
 * refuses ("08", non-ASCII digits), is unparsed (FastChat's -1, which
 * show_result drops): the turn's value is NaN, the verdict carries
 * QEVAL_VF_UNPARSED and the unparsed metric counts it.  Any number is
 * a rating, as in FastChat; option rating_range=1-10 (qeval's, not the
 * default) excludes the others and counts them in
 * excluded_by_rating_range, so the report names the option.
 *
 * Metrics (0-10): score_turn1, score_turn2, score (pooled: the core
 * averages every rated turn together, as show_result does; per sample
 * it is the mean of the sample's ratings), unparsed and truncated
 * rates, excluded_by_rating_range (NaN unless rating_range=1-10).
 * Category: the question's category.
 *
 * Options: system_prompt=TEXT (default "You are a helpful assistant.",
 * the system message of FastChat's conversation template for the
 * models its docs evaluate; empty: none), reference=NAME (reference
 * answers file reference_answer/NAME.jsonl, default gpt-4),
 * rating_range=any|1-10 (default any), data_subdir=DIR (default
 * mt_bench).
 */
#include "config.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <qeval/plugin.h>

#include "qp.h"

#define MTBENCH_MAGIC	0x6d746231u

enum metric { M_T1, M_T2, M_SCORE, M_UNPARSED, M_TRUNC, M_EXCLUDED };
enum judge { J_SINGLE, J_MATH, J_SINGLE_MT, J_MATH_MT, J_N };

static const char *const judge_names[J_N] = {
	"single-v1", "single-math-v1", "single-v1-multi-turn",
	"single-math-v1-multi-turn"
};

struct question {
	char	*id;
	long	 qid;
	char	*category;
	char	*turn[2];
	char	*ref[2];	/* reference answers, or NULL */
	int	 need_ref;	/* math, reasoning, coding */
	double	 temperature;
};

struct judge_prompt {
	char	*system;
	char	*tmpl;
};

struct mtbench {
	unsigned		 magic;
	const struct qeval_host	*host;
	struct question		*q;
	size_t			 n, alloc, count;
	struct judge_prompt	 jp[J_N];
	char			*system_prompt;	/* NULL: none */
	char			*reference;
	int			 range_1_10;	/* rating_range=1-10 */
	struct qeval_regex	*rx1, *rx2;
	struct qp_buf		 body, tmp, gold, detail, reason, extracted;
	struct qp_buf		 files;
};

static const struct qeval_metric_desc metrics[] = {
	{ "score_turn1", QEVAL_MF_SCALE10 | QEVAL_MF_POOL_PART },
	{ "score_turn2", QEVAL_MF_SCALE10 | QEVAL_MF_POOL_PART },
	{ "score", QEVAL_MF_PRIMARY | QEVAL_MF_SCALE10 | QEVAL_MF_POOLED },
	{ "unparsed", QEVAL_MF_RATE | QEVAL_MF_LOWER_BETTER },
	{ "truncated", QEVAL_MF_RATE | QEVAL_MF_LOWER_BETTER },
	{ "excluded_by_rating_range", QEVAL_MF_RATE | QEVAL_MF_LOWER_BETTER },
	{ NULL, 0 }
};

static const char *const files[] = {
	"mt_bench/question.jsonl", "mt_bench/judge_prompts.jsonl",
	"mt_bench/reference_answer/gpt-4.jsonl", NULL
};

static const struct qeval_task tasks[] = {
	{ "mtbench", "MT-Bench", "Multi-turn Chat (LLM judge)",
	  "FastChat llm_judge single-answer grading (single-v1, "
	  "single-math-v1 and their multi-turn variants)",
	  files, metrics, QEVAL_TF_JUDGE | QEVAL_TF_CHAT_ONLY },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};

/* FastChat's temperature_config; anything else gets 0.7. */
static double
category_temperature(const char *c)
{
	static const struct {
		const char	*name;
		double		 t;
	} tc[] = {
		{ "writing", 0.7 }, { "roleplay", 0.7 }, { "extraction", 0.0 },
		{ "math", 0.0 }, { "coding", 0.0 }, { "reasoning", 0.0 },
		{ "stem", 0.1 }, { "humanities", 0.1 }, { NULL, 0.0 }
	};
	int i;

	for (i = 0; tc[i].name != NULL; i++)
		if (strcmp(tc[i].name, c) == 0)
			return (tc[i].t);
	return (0.7);
}

static int
needs_ref(const char *c)
{
	return (strcmp(c, "math") == 0 || strcmp(c, "reasoning") == 0 ||
	    strcmp(c, "coding") == 0);
}

/*
 * Python's str.format() with keyword fields only: "{{" and "}}" are
 * braces, "{name}" takes the value of name.  Returns 0, or -1 with the
 * reason in err (unknown field, lone brace, conversions).
 */
static int
format_template(struct qp_buf *out, const char *t, const char *const *keys,
    const char *const *vals, const size_t *lens, size_t n, struct qp_buf *err)
{
	const char *p = t;
	size_t i;

	while (*p != '\0') {
		const char *b = strpbrk(p, "{}");

		if (b == NULL) {
			qp_buf_adds(out, p);
			break;
		}
		qp_buf_add(out, p, (size_t)(b - p));
		if (b[0] == b[1]) {
			qp_buf_add(out, b, 1);
			p = b + 2;
			continue;
		}
		if (*b == '}') {
			qp_buf_adds(err, "single '}' in the template");
			return (-1);
		}
		p = strchr(b, '}');
		if (p == NULL) {
			qp_buf_adds(err, "single '{' in the template");
			return (-1);
		}
		for (i = 0; i < n; i++)
			if (strlen(keys[i]) == (size_t)(p - b - 1) &&
			    memcmp(keys[i], b + 1, (size_t)(p - b - 1)) == 0)
				break;
		if (i == n) {
			qp_buf_addf(err, "the template needs field '%.*s', "
			    "which this prompt type does not provide",
			    (int)(p - b - 1), b + 1);
			return (-1);
		}
		qp_buf_add(out, vals[i], lens[i]);
		p++;
	}
	return (0);
}

/* ------------------------------------------------------------------ */
/* Dataset                                                            */

struct load {
	struct mtbench		*m;
	struct qeval_ctx	*ctx;
	int			 what;	/* 0 questions, 1 prompts, 2 refs */
};

static int
load_question(struct load *l, cJSON *doc, const char *where)
{
	struct mtbench *m = l->m;
	const struct qeval_host *h = m->host;
	const cJSON *turns = qp_json_arr(doc, "turns");
	const char *cat = qp_json_str(doc, "category");
	struct question *q;
	double qid;
	char idbuf[48];
	int k;

	if (!qp_json_num(doc, "question_id", &qid) || cat == NULL ||
	    turns == NULL || cJSON_GetArraySize(turns) < 2 ||
	    !cJSON_IsString(cJSON_GetArrayItem(turns, 0)) ||
	    !cJSON_IsString(cJSON_GetArrayItem(turns, 1)))
		return (h->fail(l->ctx, QEVAL_EDATA, "%s: the record needs "
		    "'question_id', 'category' and two string 'turns' (is "
		    "this MT-Bench's question.jsonl?)", where));
	if (m->n == m->alloc) {
		size_t na = m->alloc ? m->alloc * 2 : 128;
		struct question *nv = realloc(m->q, na * sizeof(*nv));

		if (nv == NULL)
			return (h->fail(l->ctx, QEVAL_ENOMEM, "mtbench: out of "
			    "memory"));
		m->q = nv;
		m->alloc = na;
	}
	q = &m->q[m->n];
	memset(q, 0, sizeof(*q));
	m->n++;
	q->qid = (long)qid;
	snprintf(idbuf, sizeof(idbuf), "mt_bench/%ld", q->qid);
	q->id = qp_strdup(idbuf);
	q->category = qp_strdup(cat);
	for (k = 0; k < 2; k++)
		q->turn[k] = qp_strdup(cJSON_GetArrayItem(turns,
		    k)->valuestring);
	if (q->id == NULL || q->category == NULL || q->turn[0] == NULL ||
	    q->turn[1] == NULL)
		return (h->fail(l->ctx, QEVAL_ENOMEM,
		    "mtbench: out of memory"));
	q->need_ref = needs_ref(cat);
	q->temperature = category_temperature(cat);
	return (QEVAL_OK);
}

static int
load_prompt(struct load *l, cJSON *doc, const char *where)
{
	struct mtbench *m = l->m;
	const char *name = qp_json_str(doc, "name");
	const char *sys = qp_json_str(doc, "system_prompt");
	const char *tmpl = qp_json_str(doc, "prompt_template");
	const char *fmt = qp_json_str(doc, "output_format");
	int j;

	if (name == NULL)
		return (m->host->fail(l->ctx, QEVAL_EDATA, "%s: a judge prompt "
		    "without 'name'", where));
	for (j = 0; j < J_N; j++) {
		if (strcmp(name, judge_names[j]) != 0)
			continue;
		if (sys == NULL || tmpl == NULL || fmt == NULL ||
		    strcmp(fmt, "[[rating]]") != 0)
			return (m->host->fail(l->ctx, QEVAL_EDATA, "%s: judge "
			    "prompt '%s' needs 'system_prompt', "
			    "'prompt_template' and output_format "
			    "\"[[rating]]\"", where, name));
		free(m->jp[j].system);
		free(m->jp[j].tmpl);
		m->jp[j].system = qp_strdup(sys);
		m->jp[j].tmpl = qp_strdup(tmpl);
		if (m->jp[j].system == NULL || m->jp[j].tmpl == NULL)
			return (m->host->fail(l->ctx, QEVAL_ENOMEM, "mtbench: "
			    "out of memory"));
	}
	return (QEVAL_OK);
}

static int
load_ref(struct load *l, cJSON *doc, const char *where)
{
	struct mtbench *m = l->m;
	const cJSON *choices = qp_json_arr(doc, "choices"), *turns;
	double qid;
	size_t i;
	int k;

	if (!qp_json_num(doc, "question_id", &qid) || choices == NULL ||
	    (turns = qp_json_arr(cJSON_GetArrayItem(choices, 0),
	    "turns")) == NULL || cJSON_GetArraySize(turns) < 2 ||
	    !cJSON_IsString(cJSON_GetArrayItem(turns, 0)) ||
	    !cJSON_IsString(cJSON_GetArrayItem(turns, 1)))
		return (m->host->fail(l->ctx, QEVAL_EDATA, "%s: a reference "
		    "answer needs 'question_id' and choices[0].turns with two "
		    "strings", where));
	for (i = 0; i < m->n; i++) {
		if (m->q[i].qid != (long)qid)
			continue;
		for (k = 0; k < 2; k++) {
			free(m->q[i].ref[k]);
			m->q[i].ref[k] = qp_strdup(cJSON_GetArrayItem(turns,
			    k)->valuestring);
			if (m->q[i].ref[k] == NULL)
				return (m->host->fail(l->ctx, QEVAL_ENOMEM,
				    "mtbench: out of memory"));
		}
	}
	return (QEVAL_OK);
}

static int
load_record(void *arg, const char *json, size_t len, const char *where)
{
	struct load *l = arg;
	cJSON *doc = cJSON_ParseWithLength(json, len);
	int rc;

	if (doc == NULL || !cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return (l->m->host->fail(l->ctx, QEVAL_EDATA, "%s: not a JSON "
		    "object", where));
	}
	if (l->what == 0)
		rc = load_question(l, doc, where);
	else if (l->what == 1)
		rc = load_prompt(l, doc, where);
	else
		rc = load_ref(l, doc, where);
	cJSON_Delete(doc);
	return (rc);
}

static void
mtbench_close(void *state)
{
	struct mtbench *m = state;
	size_t i;
	int k;

	if (m == NULL)
		return;
	assert(m->magic == MTBENCH_MAGIC);
	for (i = 0; i < m->n; i++) {
		free(m->q[i].id);
		free(m->q[i].category);
		for (k = 0; k < 2; k++) {
			free(m->q[i].turn[k]);
			free(m->q[i].ref[k]);
		}
	}
	free(m->q);
	for (k = 0; k < J_N; k++) {
		free(m->jp[k].system);
		free(m->jp[k].tmpl);
	}
	free(m->system_prompt);
	free(m->reference);
	m->host->rx_free(m->rx1);
	m->host->rx_free(m->rx2);
	qp_buf_free(&m->body);
	qp_buf_free(&m->tmp);
	qp_buf_free(&m->gold);
	qp_buf_free(&m->detail);
	qp_buf_free(&m->reason);
	qp_buf_free(&m->extracted);
	qp_buf_free(&m->files);
	m->magic = 0;
	free(m);
}

static const char *
path_of(struct mtbench *m, const char *dir, const char *name)
{
	qp_buf_reset(&m->files);
	qp_buf_addf(&m->files, "%s/%s", dir, name);
	return (qp_buf_str(&m->files));
}

/* The four judge templates must format with the fields FastChat gives. */
static int
check_templates(struct mtbench *m, struct qeval_ctx *ctx, const char *file)
{
	static const char *const k1[] = { "question", "answer",
	    "ref_answer_1", "ref_answer_2" };
	static const char *const k2[] = { "question_1", "question_2",
	    "answer_1", "answer_2", "ref_answer_1", "ref_answer_2" };
	static const char *const v[] = { "", "", "", "", "", "" };
	static const size_t vl[] = { 0, 0, 0, 0, 0, 0 };
	struct qp_buf out = QP_BUF_INIT, err = QP_BUF_INIT;
	int j, rc = QEVAL_OK;

	for (j = 0; j < J_N && rc == QEVAL_OK; j++) {
		int mt = j == J_SINGLE_MT || j == J_MATH_MT;
		int math = j == J_MATH || j == J_MATH_MT;

		if (m->jp[j].tmpl == NULL) {
			rc = m->host->fail(ctx, QEVAL_EDATA, "%s: judge prompt "
			    "'%s' is missing (use FastChat's "
			    "judge_prompts.jsonl)", file, judge_names[j]);
			break;
		}
		qp_buf_reset(&err);
		qp_buf_reset(&out);
		if (format_template(&out, m->jp[j].tmpl, mt ? k2 : k1, v, vl,
		    mt ? (math ? 6 : 4) : (math ? 4 : 2), &err) < 0)
			rc = m->host->fail(ctx, QEVAL_EDATA, "%s: judge prompt "
			    "'%s': %s", file, judge_names[j],
			    qp_buf_str(&err) ? qp_buf_str(&err) : "?");
	}
	qp_buf_free(&out);
	qp_buf_free(&err);
	return (rc);
}

static int
mtbench_open(const struct qeval_host *h, struct qeval_ctx *ctx,
    const struct qeval_task *task, const struct qeval_opts *opts,
    void **statep)
{
	struct mtbench *m;
	struct load l;
	const char *v, *dir;
	char *refname;
	size_t i;
	int rc;

	(void)task;
	*statep = NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "mtbench: cannot allocate "
		    "state"));
	m->magic = MTBENCH_MAGIC;
	m->host = h;
	v = h->opt(ctx, "system_prompt");
	if (v == NULL)
		v = "You are a helpful assistant.";
	if (*v != '\0' && (m->system_prompt = qp_strdup(v)) == NULL) {
		rc = h->fail(ctx, QEVAL_ENOMEM, "mtbench: out of memory");
		goto fail;
	}
	v = h->opt(ctx, "rating_range");
	if (v != NULL) {
		if (strcmp(v, "1-10") == 0)
			m->range_1_10 = 1;
		else if (strcmp(v, "any") != 0) {
			rc = h->fail(ctx, QEVAL_EINVAL, "mtbench: option "
			    "rating_range=%s: use any (FastChat's, the "
			    "default) or 1-10", v);
			goto fail;
		}
	}
	v = h->opt(ctx, "reference");
	m->reference = qp_strdup(v != NULL ? v : "gpt-4");
	dir = h->opt(ctx, "data_subdir");
	if (dir == NULL)
		dir = "mt_bench";
	/* (*UCP): \d is any Unicode decimal digit, as in Python's re. */
	m->rx1 = h->rx_compile(ctx, "(*UCP)\\[\\[(\\d+\\.?\\d*)\\]\\]", 0);
	m->rx2 = h->rx_compile(ctx, "(*UCP)\\[(\\d+\\.?\\d*)\\]", 0);
	if (m->reference == NULL || m->rx1 == NULL || m->rx2 == NULL) {
		rc = h->fail(ctx, QEVAL_ENOMEM, "mtbench: cannot set up");
		goto fail;
	}
	memset(&l, 0, sizeof(l));
	l.m = m;
	l.ctx = ctx;
	rc = h->records(ctx, path_of(m, dir, "question.jsonl"), load_record,
	    &l);
	if (rc != QEVAL_OK)
		goto fail;
	if (m->n == 0) {
		rc = h->fail(ctx, QEVAL_EDATA, "%s holds no questions",
		    path_of(m, dir, "question.jsonl"));
		goto fail;
	}
	l.what = 1;
	rc = h->records(ctx, path_of(m, dir, "judge_prompts.jsonl"),
	    load_record, &l);
	if (rc != QEVAL_OK)
		goto fail;
	rc = check_templates(m, ctx, path_of(m, dir, "judge_prompts.jsonl"));
	if (rc != QEVAL_OK)
		goto fail;
	l.what = 2;
	qp_buf_reset(&m->tmp);
	qp_buf_addf(&m->tmp, "reference_answer/%s.jsonl", m->reference);
	refname = qp_strdup(qp_buf_str(&m->tmp) ? qp_buf_str(&m->tmp) : "");
	if (refname == NULL) {
		rc = h->fail(ctx, QEVAL_ENOMEM, "mtbench: out of memory");
		goto fail;
	}
	rc = h->records(ctx, path_of(m, dir, refname), load_record, &l);
	if (rc == QEVAL_OK)
		for (i = 0; i < m->n; i++)
			if (m->q[i].need_ref && m->q[i].ref[0] == NULL) {
				rc = h->fail(ctx, QEVAL_EDATA,
				    "%s: question %ld (%s) has no reference "
				    "answer; FastChat needs one for math, "
				    "reasoning and coding",
				    path_of(m, dir, refname), m->q[i].qid,
				    m->q[i].category);
				break;
			}
	free(refname);
	if (rc != QEVAL_OK)
		goto fail;
	m->count = opts->limit > 0 && opts->limit < m->n ? opts->limit : m->n;
	*statep = m;
	return (QEVAL_OK);
fail:
	mtbench_close(m);
	return (rc);
}

static size_t
mtbench_count(void *state)
{
	struct mtbench *m = state;

	assert(m != NULL && m->magic == MTBENCH_MAGIC);
	return (m->count);
}

static const char *
mtbench_sample_id(void *state, size_t i)
{
	struct mtbench *m = state;

	assert(m != NULL && m->magic == MTBENCH_MAGIC && i < m->n);
	return (m->q[i].id);
}

/* ------------------------------------------------------------------ */
/* Requests                                                           */

static const char *
resp_text(const struct qeval_exchange *e)
{
	return (e->resp.text != NULL ? e->resp.text : "");
}

/* An answer as data: its bytes and length (it may hold NUL). */
static const char *
resp_str(const struct qeval_response *r)
{
	return (r->text != NULL ? r->text : "");
}

static size_t
resp_len(const struct qeval_response *r)
{
	return (r->text != NULL ? QEVAL_RESP_TEXT_LEN(r) : 0);
}

/* Which judge prompt a turn uses. */
static enum judge
judge_of(const struct question *q, int turn)
{
	if (turn == 0)
		return (q->need_ref ? J_MATH : J_SINGLE);
	return (q->need_ref ? J_MATH_MT : J_SINGLE_MT);
}

/* The judge's user prompt for turn t (0 or 1) into out. */
static int
judge_prompt(struct mtbench *m, const struct question *q, int t,
    const struct qeval_response *a1, const struct qeval_response *a2,
    struct qp_buf *out)
{
	struct qp_buf err = QP_BUF_INIT;
	const struct judge_prompt *jp = &m->jp[judge_of(q, t)];
	const char *keys[6], *vals[6];
	size_t lens[6], n = 0;
	int rc;

	if (t == 0) {
		keys[n] = "question";
		lens[n] = strlen(q->turn[0]);
		vals[n++] = q->turn[0];
		keys[n] = "answer";
		lens[n] = resp_len(a1);
		vals[n++] = resp_str(a1);
	} else {
		keys[n] = "question_1";
		lens[n] = strlen(q->turn[0]);
		vals[n++] = q->turn[0];
		keys[n] = "question_2";
		lens[n] = strlen(q->turn[1]);
		vals[n++] = q->turn[1];
		keys[n] = "answer_1";
		lens[n] = resp_len(a1);
		vals[n++] = resp_str(a1);
		keys[n] = "answer_2";
		lens[n] = resp_len(a2);
		vals[n++] = resp_str(a2);
	}
	if (q->need_ref && q->ref[0] != NULL) {
		keys[n] = "ref_answer_1";
		lens[n] = strlen(q->ref[0]);
		vals[n++] = q->ref[0];
		keys[n] = "ref_answer_2";
		lens[n] = strlen(q->ref[1]);
		vals[n++] = q->ref[1];
	}
	rc = format_template(out, jp->tmpl, keys, vals, lens, n, &err);
	qp_buf_free(&err);
	return (rc);
}

static int
mtbench_next(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_request *req)
{
	struct mtbench *m = state;
	const struct question *q;
	struct qp_buf *b = &m->body;
	int first = 1;

	assert(m != NULL && m->magic == MTBENCH_MAGIC);
	(void)cand;
	if (i >= m->n)
		return (m->host->fail(ctx, QEVAL_EINVAL, "mtbench: no sample "
		    "%zu", i));
	if (nex >= 4)
		return (QEVAL_DONE);
	q = &m->q[i];
	qp_buf_reset(b);
	qp_buf_adds(b, "{\"messages\":[");
	if (nex < 2) {
		if (m->system_prompt != NULL)
			qp_buf_chat_message(b, &first, "system",
			    m->system_prompt);
		qp_buf_chat_message(b, &first, "user", q->turn[0]);
		if (nex == 1) {
			qp_buf_chat_message_n(b, &first, "assistant",
			    resp_str(&ex[0].resp), resp_len(&ex[0].resp));
			qp_buf_chat_message(b, &first, "user", q->turn[1]);
		}
		req->target = QEVAL_TARGET_MODEL;
		req->temperature = q->temperature;
		req->top_p = 1.0;
		req->max_tokens = 1024;
		req->label = nex == 0 ? "turn1" : "turn2";
	} else {
		int t = (int)nex - 2;

		qp_buf_reset(&m->tmp);
		if (judge_prompt(m, q, t, &ex[0].resp, &ex[1].resp,
		    &m->tmp) < 0)
			return (m->host->fail(ctx, QEVAL_EINTERNAL, "mtbench: "
			    "cannot fill judge prompt %s",
			    judge_names[judge_of(q, t)]));
		qp_buf_chat_message(b, &first, "system",
		    m->jp[judge_of(q, t)].system);
		qp_buf_chat_message_n(b, &first, "user", qp_buf_str(&m->tmp) ?
		    qp_buf_str(&m->tmp) : "", m->tmp.len);
		if (!qp_buf_ok(&m->tmp))
			b->oom = 1;
		req->target = QEVAL_TARGET_JUDGE;
		req->temperature = 0.0;
		req->top_p = -1.0;	/* FastChat sends none */
		req->max_tokens = 2048;
		req->label = t == 0 ? "judge1" : "judge2";
	}
	qp_buf_adds(b, "]}");
	if (!qp_buf_ok(b))
		return (m->host->fail(ctx, QEVAL_ENOMEM, "mtbench: out of "
		    "memory building a request"));
	req->kind = QEVAL_REQ_CHAT;
	req->body = b->buf;
	return (QEVAL_NEXT);
}

/* ------------------------------------------------------------------ */
/* Scoring                                                            */

enum rating { R_OK, R_NONE, R_LITERAL, R_RANGE };

/*
 * ast.literal_eval() of what \d+\.?\d* matched.  Python source digits
 * are ASCII only, and a non-zero decimal integer has no leading zero
 * ("08"; "00", "000.5" and "8." are numbers).  Returns 0 with *v, or
 * -1 with the SyntaxError's text (CPython 3's wording) in why.
 */
static int
literal_number(const char *s, size_t n, double *v, struct qp_buf *why)
{
	char *num;
	size_t i;

	for (i = 0; i < n; i++) {
		const unsigned char *u = (const unsigned char *)s + i;
		unsigned long cp;
		size_t k;

		if (*u < 0x80)
			continue;
		/* PCRE2 matched valid UTF-8: decode one code point. */
		k = *u >= 0xf0 ? 4 : *u >= 0xe0 ? 3 : 2;
		if (i + k > n)
			k = n - i;
		cp = *u & (0x7f >> k);
		for (size_t j = 1; j < k; j++)
			cp = (cp << 6) | (u[j] & 0x3f);
		qp_buf_addf(why, "invalid character '%.*s' (U+%04lX)",
		    (int)k, s + i, cp);
		return (-1);
	}
	if (memchr(s, '.', n) == NULL && n > 1 && s[0] == '0' &&
	    strspn(s, "0") < n) {
		qp_buf_adds(why, "leading zeros in decimal integer literals "
		    "are not permitted; use an 0o prefix for octal integers");
		return (-1);
	}
	if ((num = malloc(n + 1)) == NULL) {
		qp_buf_adds(why, "out of memory");
		return (-1);
	}
	memcpy(num, s, n);
	num[n] = '\0';
	*v = strtod(num, NULL);
	free(num);
	return (0);
}

/*
 * FastChat's rating extraction: one_score_pattern, then the backup,
 * then ast.literal_eval.  *v is the number even when out of range; on
 * R_LITERAL why holds the matched text and literal_eval's complaint.
 */
static enum rating
parse_rating(const struct mtbench *m, const char *text, size_t len,
    double *v, struct qp_buf *why)
{
	struct qeval_match mt;
	size_t n;

	if (m->host->rx_match(m->rx1, text, len, 0, &mt) != 1 &&
	    m->host->rx_match(m->rx2, text, len, 0, &mt) != 1)
		return (R_NONE);
	n = mt.end[1] - mt.start[1];
	if (literal_number(text + mt.start[1], n, v, why) < 0) {
		struct qp_buf msg = QP_BUF_INIT;

		qp_buf_adds(&msg, qp_buf_str(why) ? qp_buf_str(why) : "");
		qp_buf_reset(why);
		qp_buf_addf(why, "'%.*s' (ast.literal_eval raises "
		    "SyntaxError: %s)", (int)(n > 40 ? 40 : n),
		    text + mt.start[1], qp_buf_str(&msg) ?
		    qp_buf_str(&msg) : "");
		qp_buf_free(&msg);
		return (R_LITERAL);
	}
	if (m->range_1_10 && (!(*v >= 1.0) || *v > 10.0))
		return (R_RANGE);
	return (R_OK);
}

static int
mtbench_score(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_verdict *out)
{
	struct mtbench *m = state;
	const struct question *q;
	double r[2] = { NAN, NAN }, sum = 0.0;
	enum rating st[2];
	int t, parsed = 0, unparsed = 0, excluded = 0, trunc = 0;
	const char *judge_model = NULL;
	struct qp_buf why = QP_BUF_INIT;

	assert(m != NULL && m->magic == MTBENCH_MAGIC);
	(void)cand;
	if (i >= m->n || nex < 4)
		return (m->host->fail(ctx, QEVAL_EINTERNAL, "mtbench: sample "
		    "%zu scored with %zu of its 4 exchanges", i, nex));
	q = &m->q[i];
	qp_buf_reset(&m->reason);
	qp_buf_reset(&m->extracted);
	for (t = 0; t < 2; t++) {
		double v = NAN;

		qp_buf_reset(&why);
		st[t] = parse_rating(m, resp_str(&ex[2 + t].resp),
		    resp_len(&ex[2 + t].resp), &v, &why);
		if (st[t] == R_OK) {
			r[t] = v;
			sum += v;
			parsed++;
		} else if (st[t] == R_RANGE)
			excluded++;
		else {
			out->flags |= QEVAL_VF_UNPARSED;
			unparsed++;
		}
		if (t > 0) {
			qp_buf_adds(&m->reason, "; ");
			qp_buf_adds(&m->extracted, " ");
		}
		switch (st[t]) {
		case R_OK:
			qp_buf_addf(&m->reason, "turn %d rated %g", t + 1, v);
			qp_buf_addf(&m->extracted, "%g", v);
			break;
		case R_RANGE:
			qp_buf_addf(&m->reason, "turn %d: rating %g outside "
			    "1-10, excluded by rating_range=1-10 (FastChat "
			    "counts it)", t + 1, v);
			qp_buf_adds(&m->extracted, "[excluded]");
			break;
		case R_LITERAL:
			qp_buf_addf(&m->reason, "turn %d: rating %s, counted "
			    "as unparsed", t + 1, qp_buf_str(&why) ?
			    qp_buf_str(&why) : "");
			qp_buf_adds(&m->extracted, "[unparsed]");
			break;
		case R_NONE:
			qp_buf_addf(&m->reason, "turn %d: no [[rating]] in the "
			    "judgment, counted as unparsed", t + 1);
			qp_buf_adds(&m->extracted, "[unparsed]");
			break;
		}
		if (ex[t].resp.finish_reason != NULL &&
		    strcmp(ex[t].resp.finish_reason, "length") == 0)
			trunc++;
	}
	qp_buf_free(&why);
	out->values[M_T1] = r[0];
	out->values[M_T2] = r[1];
	out->values[M_SCORE] = parsed > 0 ? sum / parsed : NAN;
	out->values[M_UNPARSED] = unparsed / 2.0;
	out->values[M_TRUNC] = trunc / 2.0;
	out->values[M_EXCLUDED] = m->range_1_10 ? excluded / 2.0 : NAN;
	if (trunc > 0)
		out->flags |= QEVAL_VF_TRUNCATED;
	if (parsed == 0)
		out->flags |= QEVAL_VF_INVALID;
	out->category = q->category;
	out->reason = qp_buf_str(&m->reason);
	out->extracted = qp_buf_str(&m->extracted);

	/* The judge model as the judge's response names it. */
	if (ex[2].resp.raw != NULL) {
		cJSON *raw = cJSON_Parse(ex[2].resp.raw);
		const char *jm = qp_json_str(raw, "model");

		qp_buf_reset(&m->tmp);
		if (jm != NULL)
			qp_buf_adds(&m->tmp, jm);
		judge_model = jm != NULL ? qp_buf_str(&m->tmp) : NULL;
		cJSON_Delete(raw);
	}
	if (judge_model == NULL)
		judge_model = m->host->opt(ctx, "judge_model");
	qp_buf_reset(&m->detail);
	qp_buf_addf(&m->detail, "{\"question_id\":%ld,\"judge_model\":",
	    q->qid);
	if (judge_model != NULL)
		qp_buf_json_str(&m->detail, judge_model);
	else
		qp_buf_adds(&m->detail, "null");
	qp_buf_adds(&m->detail, ",\"judge_prompts\":[");
	qp_buf_json_str(&m->detail, judge_names[judge_of(q, 0)]);
	qp_buf_adds(&m->detail, ",");
	qp_buf_json_str(&m->detail, judge_names[judge_of(q, 1)]);
	qp_buf_adds(&m->detail, "],\"reference\":");
	if (q->need_ref)
		qp_buf_json_str(&m->detail, m->reference);
	else
		qp_buf_adds(&m->detail, "null");
	for (t = 0; t < 2; t++) {
		qp_buf_addf(&m->detail, ",\"rating_turn%d\":", t + 1);
		if (st[t] == R_OK)
			qp_buf_addf(&m->detail, "%g", r[t]);
		else
			qp_buf_adds(&m->detail, "null");
	}
	qp_buf_addf(&m->detail, ",\"unparsed\":%d,\"rating_range\":\"%s\","
	    "\"excluded\":%d,\"temperature\":%g}", unparsed,
	    m->range_1_10 ? "1-10" : "any", excluded, q->temperature);
	out->detail = qp_buf_str(&m->detail);
	if (!qp_buf_ok(&m->reason) || !qp_buf_ok(&m->extracted) ||
	    !qp_buf_ok(&m->detail) || !qp_buf_ok(&m->tmp))
		return (m->host->fail(ctx, QEVAL_ENOMEM, "mtbench: out of "
		    "memory scoring %s", q->id));
	return (QEVAL_OK);
}

/* ------------------------------------------------------------------ */
/* Reference model and reference judge                                */

/* What the reference model says for turn t. */
static void
gold_answer(const struct question *q, int t, struct qp_buf *out)
{
	if (q->ref[t] != NULL)
		qp_buf_adds(out, q->ref[t]);
	else
		qp_buf_addf(out, "This is the reference answer to turn %d of "
		    "MT-Bench question %ld.", t + 1, q->qid);
}

static int
mtbench_gold(void *state, struct qeval_ctx *ctx, size_t i,
    const struct qeval_exchange *ex, size_t nex,
    const struct qeval_request *req, int corrupt, struct qeval_gold *out)
{
	struct mtbench *m = state;
	const struct question *q;

	assert(m != NULL && m->magic == MTBENCH_MAGIC);
	(void)req;
	if (i >= m->n || nex >= 4)
		return (m->host->fail(ctx, QEVAL_EINVAL, "mtbench: no pending "
		    "request for sample %zu", i));
	q = &m->q[i];
	qp_buf_reset(&m->gold);
	if (nex < 2) {
		if (corrupt)
			qp_buf_addf(&m->gold, "zq xv lorem %ld qwerty [%zu] "
			    "asdf", q->qid, nex);
		else
			gold_answer(q, (int)nex, &m->gold);
	} else {
		/*
		 * The reference judge is truthful whatever `corrupt`
		 * says: it rates the reference answer [[10]] and any
		 * other answer [[1]].
		 */
		int t = (int)nex - 2, same;

		qp_buf_reset(&m->tmp);
		gold_answer(q, t, &m->tmp);
		same = qp_buf_str(&m->tmp) != NULL &&
		    strcmp(resp_text(&ex[t]), qp_buf_str(&m->tmp)) == 0;
		qp_buf_addf(&m->gold, "%s\n\nRating: [[%d]]", same ?
		    "The answer matches the reference answer." :
		    "The answer does not address the question.", same ? 10 : 1);
	}
	if (!qp_buf_ok(&m->gold))
		return (m->host->fail(ctx, QEVAL_ENOMEM, "mtbench: out of "
		    "memory"));
	out->text = qp_buf_str(&m->gold);
	return (QEVAL_OK);
}

/* Task options this plugin reads (ABI 1.1; `qeval list tasks -v`). */
static const struct qeval_option options[] = {
	{ "system_prompt", QEVAL_OPT_STRING, "You are a helpful assistant.",
	  "the model's system message (empty: none)", NULL, NULL },
	{ "rating_range", QEVAL_OPT_ENUM, "any", "ratings kept (any: "
	  "FastChat's, every number; 1-10: qeval's, others counted in "
	  "excluded_by_rating_range)", "any|1-10", NULL },
	{ "reference", QEVAL_OPT_STRING, "gpt-4", "reference answers: "
	  "reference_answer/NAME.jsonl", NULL, NULL },
	{ "data_subdir", QEVAL_OPT_STRING, "mt_bench", "the data dir's "
	  "MT-Bench directory", NULL, NULL },
	{ "judge_model", QEVAL_OPT_STRING, NULL, "judge name recorded when "
	  "the judge's response names none", NULL, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL }
};

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.flags = QEVAL_PF_NONE,
	.name = "mtbench",
	.version = PACKAGE_VERSION,
	.summary = "MT-Bench: FastChat llm_judge single-answer grading",
	.tasks = tasks,
	.open = mtbench_open,
	.count = mtbench_count,
	.sample_id = mtbench_sample_id,
	.next = mtbench_next,
	.score = mtbench_score,
	.gold = mtbench_gold,
	.close = mtbench_close,
	.options = options,
};
