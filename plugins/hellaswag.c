/*
 * hellaswag: HellaSwag validation (10042 items), scored as
 * lm-evaluation-harness scores it, plus a generative variant for servers
 * that give no prompt log-probabilities.
 *
 * Tasks:
 *   hellaswag
 *	lm-eval `hellaswag`: per item, query = preprocess(activity_label +
 *	": " + ctx_a + " " + ctx_b.capitalize()), continuations " " +
 *	preprocess(ending) for the four endings, where preprocess strips,
 *	turns " [title]" into ". ", deletes "[...]" and turns each "  "
 *	into " " (one pass).  acc = argmax of the summed log-probability,
 *	acc_norm = argmax of log-probability / len(ending) in code points;
 *	ties go to the first ending.  0-shot by default; --num-fewshot N
 *	(10 for the Open LLM Leaderboard v1) writes N examples as
 *	"{query} {gold ending}\n\n", drawn with Python's
 *	random.Random(seed).sample, one draw per item in order.  lm-eval
 *	draws from the train split, which the shared mirror lacks: give it
 *	with fewshot_file=, else qeval draws from the validation file
 *	itself and leaves the item out (lm-eval's rule for a shared split),
 *	with a warning.
 *   hellaswag_gen
 *	lm-eval's arc_challenge_chat mechanics (prefill=1, the default)
 *	over the prompt of lm-eval's hellaswag_llama (the context and the
 *	four endings as A.-D., asking to end with "The best answer is
 *	[the_answer_letter]"): the assistant turn prefilled with "The best
 *	answer is", stops "\n\n" and ".", 100 new tokens, greedy,
 *	exact match of the stripped continuation with the gold letter
 *	ignoring case and punctuation (mc_score_em()).  prefill=0: qeval's
 *	own recipe, 256 new tokens, the letter rule of mc_extract_letter()
 *	(docs/LOGLIK.md); no letter counts as wrong and as invalid.
 *
 * Readers: the official hellaswag_val.jsonl (activity_label, ctx_a,
 * ctx_b, endings, label), chosen by a file name ending in .jsonl or
 * .json (optionally compressed), and the llama.cpp text format
 * (hellaswag_val_full.txt, six lines per item: "<activity_label>: <ctx>",
 * the gold index 0-3, the four endings), which is the copy in the shared
 * mirror.  The text format has lost the ctx_a/ctx_b split, so
 * ctx_b.capitalize() cannot be applied exactly: qeval upper-cases the
 * first letter of the context's last fragment when it is a lower-case
 * ASCII letter (the ActivityNet items, whose ctx_b is that fragment);
 * capitalize=0 keeps llama.cpp's text as it is.  docs/LOGLIK.md lists
 * what else differs.
 *
 * Task options: test_file=, fewshot_file= (relative to the data dir),
 * capitalize=0|1 (text format), prefill=1|0 and max_tokens= (gen: 100 new
 * tokens with the prefill, 256 without).
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

#include "mcutil.h"
#include "qp.h"
#include "ucase.h"

#define HS_MAGIC	0x68737731u
#define MAX_CHOICES	MC_MAX_CHOICES

enum variant { V_LOGLIK, V_GEN };

struct item {
	char	*query;		/* preprocessed "label: ctx" */
	char	*choice[MAX_CHOICES];	/* preprocessed endings */
	char	*category;	/* activity_label */
	size_t	 nchoices;
	size_t	 gold;
	size_t	*shots;
};

struct set {
	struct item	*v;
	size_t		 n, alloc;
};

struct hs {
	unsigned		 magic;
	const struct qeval_host	*host;
	enum variant		 variant;
	int			 chat;
	int			 nshot;
	int			 max_tokens;
	int			 capitalize;
	int			 prefill;	/* gen: lm-eval's recipe */
	struct set		 test;
	struct set		 train;
	size_t			 count;
	char			 idbuf[32];
	struct mc_rules		 rules;
	struct qp_buf		 body;
	struct qp_buf		 tmp;
	struct qp_buf		 gold;
	double			 gold_lp[MAX_CHOICES];
	uint8_t			 gold_greedy[MAX_CHOICES];
	struct qp_buf		 detail;
	struct qp_buf		 reason;
	struct qp_buf		 ext;
	char			 extracted[24];
};

/* ------------------------------------------------------------------ */

static const char *const files[] = {
	"hellaswag/hellaswag_val_full.txt.bz2", NULL
};

static const struct qeval_task tasks[] = {
	{ "hellaswag", "HellaSwag", "Commonsense NLI (log-likelihood)",
	  "lm-evaluation-harness hellaswag (0-shot; 10-shot = Open LLM "
	  "Leaderboard v1)", files, mc_ll_metrics,
	  QEVAL_TF_LOGLIK | QEVAL_TF_COMPLETION_ONLY },
	{ "hellaswag_gen", "HellaSwag (generative)", "Commonsense NLI",
	  "lm-evaluation-harness hellaswag_llama prompt scored as "
	  "arc_challenge_chat (assistant prefill); prefill=0: qeval's "
	  "letter extraction", files, mc_gen_metrics, 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};

/* ------------------------------------------------------------------ */
/* Text clean-up                                                      */

static int
is_space(char c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\f' || c == '\v');
}

/*
 * lm-eval's preprocess(): strip(), replace(" [title]", ". "),
 * re.sub("\\[.*?\\]", "", ...), replace("  ", " ").  Returns a malloc'd
 * string or NULL.
 */
static char *
preprocess(const char *s, size_t len)
{
	char *a, *b, *p, *q;
	size_t i, n;

	while (len > 0 && is_space(*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_space(s[len - 1]))
		len--;
	/* " [title]" (8 bytes) becomes ". " (2): never longer. */
	a = malloc(len + 1);
	b = malloc(len + 1);
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return (NULL);
	}
	for (i = 0, n = 0; i < len; ) {
		if (len - i >= 8 && memcmp(s + i, " [title]", 8) == 0) {
			a[n++] = '.';
			a[n++] = ' ';
			i += 8;
		} else
			a[n++] = s[i++];
	}
	a[n] = '\0';
	/* \[.*?\] : '.' does not match a newline. */
	for (p = a, q = b; *p != '\0'; ) {
		if (*p == '[') {
			char *e = p + 1;

			while (*e != '\0' && *e != ']' && *e != '\n')
				e++;
			if (*e == ']') {
				p = e + 1;
				continue;
			}
		}
		*q++ = *p++;
	}
	*q = '\0';
	/* str.replace("  ", " "): non-overlapping, left to right. */
	for (p = b, q = a; *p != '\0'; ) {
		if (p[0] == ' ' && p[1] == ' ') {
			*q++ = ' ';
			p += 2;
		} else
			*q++ = *p++;
	}
	*q = '\0';
	free(b);
	return (a);
}

/*
 * The text format's stand-in for ctx_b.capitalize(): upper-cases the
 * first letter of the last fragment of the context (after the last
 * ". ", "! " or "? " past the "label: " prefix) if it is a lower-case
 * ASCII letter.
 */
static void
capitalize_last_fragment(char *s)
{
	char *ctx = strstr(s, ": "), *p, *frag;

	ctx = ctx != NULL ? ctx + 2 : s;
	frag = ctx;
	for (p = ctx; *p != '\0'; p++)
		if ((*p == '.' || *p == '!' || *p == '?') && p[1] == ' ')
			frag = p + 2;
	if (*frag >= 'a' && *frag <= 'z')
		*frag = (char)(*frag - 'a' + 'A');
}

/* ------------------------------------------------------------------ */
/* Dataset                                                            */

static void
item_free(struct item *it)
{
	size_t k;

	free(it->query);
	free(it->category);
	for (k = 0; k < it->nchoices; k++)
		free(it->choice[k]);
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

static int
set_push(struct set *s, struct item *it)
{
	if (s->n == s->alloc) {
		size_t na = s->alloc ? s->alloc * 2 : 4096;
		struct item *nv = realloc(s->v, na * sizeof(*nv));

		if (nv == NULL)
			return (-1);
		s->v = nv;
		s->alloc = na;
	}
	s->v[s->n++] = *it;
	memset(it, 0, sizeof(*it));
	return (0);
}

struct load {
	struct hs		*h;
	struct qeval_ctx	*ctx;
	struct set		*set;
};

#define JSON_HINT "(expected the official hellaswag_val.jsonl fields " \
	"activity_label, ctx_a, ctx_b, endings, label)"

/* One record of the official jsonl. */
static int
load_json(void *arg, const char *json, size_t len, const char *where)
{
	struct load *l = arg;
	const struct qeval_host *h = l->h->host;
	const char *label, *ctx_a, *ctx_b;
	const cJSON *endings, *lab, *e;
	cJSON *doc = cJSON_ParseWithLength(json, len);
	struct qp_buf q = QP_BUF_INIT;
	struct item it;
	char *cb = NULL;
	double g = -1;
	size_t k, n;
	int rc = QEVAL_OK;

	memset(&it, 0, sizeof(it));
	label = qp_json_str(doc, "activity_label");
	ctx_a = qp_json_str(doc, "ctx_a");
	ctx_b = qp_json_str(doc, "ctx_b");
	endings = qp_json_arr(doc, "endings");
	if (label == NULL || ctx_a == NULL || ctx_b == NULL) {
		rc = h->fail(l->ctx, QEVAL_EDATA, "%s: fields 'activity_label',"
		    " 'ctx_a' and 'ctx_b' must be strings %s", where,
		    JSON_HINT);
		goto out;
	}
	n = endings != NULL ? (size_t)cJSON_GetArraySize(endings) : 0;
	if (n < 2 || n > MAX_CHOICES) {
		rc = h->fail(l->ctx, QEVAL_EDATA, "%s: field 'endings' must be "
		    "an array of 2 to %d strings %s", where, MAX_CHOICES,
		    JSON_HINT);
		goto out;
	}
	lab = cJSON_GetObjectItemCaseSensitive(doc, "label");
	if (cJSON_IsNumber(lab))
		g = lab->valuedouble;
	else if (cJSON_IsString(lab) && lab->valuestring[0] >= '0' &&
	    lab->valuestring[0] <= '9' && lab->valuestring[1] == '\0')
		g = lab->valuestring[0] - '0';
	if (!(g >= 0) || g != floor(g) || g >= (double)n) {
		rc = h->fail(l->ctx, QEVAL_EDATA, "%s: field 'label' must be "
		    "the index of the gold ending (0-%zu); the test split has "
		    "no labels: use the validation file", where, n - 1);
		goto out;
	}
	it.gold = (size_t)g;
	for (k = 0; k < n; k++) {
		e = cJSON_GetArrayItem(endings, (int)k);
		if (!cJSON_IsString(e)) {
			rc = h->fail(l->ctx, QEVAL_EDATA, "%s: endings[%zu] is "
			    "not a string", where, k);
			goto out;
		}
		it.choice[k] = preprocess(e->valuestring,
		    strlen(e->valuestring));
		it.nchoices = k + 1;
		if (it.choice[k] == NULL)
			goto oom;
	}
	/* str.capitalize(): title-case the first code point, lower-case
	 * the rest, with Python's full Unicode mappings */
	cb = ucase_capitalize(ctx_b, strlen(ctx_b), NULL);
	if (cb == NULL)
		goto oom;
	qp_buf_adds(&q, label);
	qp_buf_adds(&q, ": ");
	qp_buf_adds(&q, ctx_a);
	qp_buf_adds(&q, " ");
	qp_buf_adds(&q, cb);
	if (!qp_buf_ok(&q))
		goto oom;
	it.query = preprocess(q.buf, q.len);
	it.category = qp_strdup(label);
	if (it.query == NULL || it.category == NULL ||
	    set_push(l->set, &it) != 0)
		goto oom;
	goto out;
oom:
	rc = h->fail(l->ctx, QEVAL_ENOMEM, "hellaswag: out of memory");
out:
	free(cb);
	qp_buf_free(&q);
	item_free(&it);
	cJSON_Delete(doc);
	return (rc);
}

/* The llama.cpp text format, six lines per item. */
static int
load_text(struct hs *hs, struct qeval_ctx *ctx, const char *file,
    struct set *set)
{
	const struct qeval_host *h = hs->host;
	char *data = NULL, *p, *end, *line[6];
	size_t len = 0, lno = 0, k;
	int rc;

	rc = h->read_file(ctx, file, &data, &len);
	if (rc != QEVAL_OK)
		return (rc);
	p = data;
	end = data + len;
	while (p < end) {
		struct item it;
		char *colon;

		/* Six lines; blank lines at the very end are allowed. */
		for (k = 0; k < 6; k++) {
			char *nl;

			if (p >= end)
				break;
			nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL)
				nl = end;
			*nl = '\0';
			if (nl > p && nl[-1] == '\r')
				nl[-1] = '\0';
			line[k] = p;
			p = nl + 1;
			lno++;
			if (k == 0 && line[0][0] == '\0') {
				k = 7;	/* a blank line between items */
				break;
			}
		}
		if (k == 7) {
			/* Only blank lines may follow. */
			while (p < end && (*p == '\n' || *p == '\r'))
				p++;
			if (p < end) {
				rc = h->fail(ctx, QEVAL_EDATA, "%s:%zu: blank "
				    "line inside the data: the text format has "
				    "exactly six lines per item", file, lno);
				goto out;
			}
			break;
		}
		if (k < 6) {
			rc = h->fail(ctx, QEVAL_EDATA, "%s:%zu: the file ends "
			    "inside an item (%zu of its 6 lines): is it "
			    "truncated?", file, lno, k);
			goto out;
		}
		if (line[1][0] < '0' || line[1][0] > '3' ||
		    line[1][1] != '\0') {
			rc = h->fail(ctx, QEVAL_EDATA, "%s:%zu: the gold label "
			    "line must be 0, 1, 2 or 3 (item %zu starts at "
			    "line %zu: six lines per item)", file, lno - 4,
			    set->n + 1, lno - 5);
			goto out;
		}
		memset(&it, 0, sizeof(it));
		it.gold = (size_t)(line[1][0] - '0');
		it.nchoices = 4;
		if (hs->capitalize)
			capitalize_last_fragment(line[0]);
		it.query = preprocess(line[0], strlen(line[0]));
		colon = strstr(line[0], ": ");
		it.category = colon != NULL ? malloc((size_t)(colon -
		    line[0]) + 1) : qp_strdup("");
		if (it.category != NULL && colon != NULL) {
			memcpy(it.category, line[0], (size_t)(colon - line[0]));
			it.category[colon - line[0]] = '\0';
		}
		for (k = 0; k < 4; k++)
			it.choice[k] = preprocess(line[2 + k],
			    strlen(line[2 + k]));
		if (it.query == NULL || it.category == NULL ||
		    it.choice[0] == NULL || it.choice[1] == NULL ||
		    it.choice[2] == NULL || it.choice[3] == NULL ||
		    set_push(set, &it) != 0) {
			item_free(&it);
			rc = h->fail(ctx, QEVAL_ENOMEM, "hellaswag: out of "
			    "memory");
			goto out;
		}
	}
	rc = QEVAL_OK;
out:
	h->free(data);
	return (rc);
}

static int
is_json_name(const char *f)
{
	return (strstr(f, ".jsonl") != NULL || strstr(f, ".json") != NULL);
}

static int
load_file(struct hs *hs, struct qeval_ctx *ctx, const char *file,
    struct set *set)
{
	struct load l;

	if (!is_json_name(file))
		return (load_text(hs, ctx, file, set));
	l.h = hs;
	l.ctx = ctx;
	l.set = set;
	return (hs->host->records(ctx, file, load_json, &l));
}

static void
hs_close(void *state)
{
	struct hs *hs = state;

	if (hs == NULL)
		return;
	assert(hs->magic == HS_MAGIC);
	set_free(&hs->test);
	set_free(&hs->train);
	mc_rules_free(&hs->rules, hs->host);
	qp_buf_free(&hs->body);
	qp_buf_free(&hs->tmp);
	qp_buf_free(&hs->gold);
	qp_buf_free(&hs->detail);
	qp_buf_free(&hs->reason);
	qp_buf_free(&hs->ext);
	hs->magic = 0;
	free(hs);
}

static int
hs_open(const struct qeval_host *h, struct qeval_ctx *ctx,
    const struct qeval_task *task, const struct qeval_opts *opts,
    void **statep)
{
	const char *test_file, *shot_file, *v;
	struct hs *hs;
	struct qp_mt mt;
	size_t i;
	int rc, same;

	*statep = NULL;
	hs = calloc(1, sizeof(*hs));
	if (hs == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "hellaswag: cannot allocate "
		    "state"));
	hs->magic = HS_MAGIC;
	hs->host = h;
	hs->variant = strcmp(task->name, "hellaswag_gen") == 0 ? V_GEN :
	    V_LOGLIK;
	hs->chat = opts->chat;
	hs->nshot = opts->num_fewshot >= 0 ? opts->num_fewshot : 0;
	hs->max_tokens = 0;	/* the recipe's: MC_CHAT_TOKENS or
					 * MC_GEN_TOKENS */
	hs->capitalize = 1;
	rc = mc_check_shots(h, ctx, task->name, hs->nshot,
	    hs->variant == V_GEN);
	if (rc == QEVAL_OK)
		rc = mc_opt_max_tokens(h, ctx, task->name, &hs->max_tokens);
	if (rc == QEVAL_OK && hs->variant == V_GEN)
		rc = mc_opt_prefill(h, ctx, task->name, &hs->prefill);
	if (rc != QEVAL_OK)
		goto fail;
	v = h->opt(ctx, "capitalize");
	if (v != NULL) {
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
			rc = h->fail(ctx, QEVAL_EINVAL, "%s: task option "
			    "capitalize=%s must be 0 or 1", task->name, v);
			goto fail;
		}
		hs->capitalize = v[0] == '1';
	}
	test_file = h->opt(ctx, "test_file");
	if (test_file == NULL)
		test_file = task->files[0];
	shot_file = h->opt(ctx, "fewshot_file");
	if (shot_file == NULL)
		shot_file = test_file;
	if (hs->variant == V_GEN &&
	    (rc = mc_rules_compile(&hs->rules, h, ctx)) != QEVAL_OK)
		goto fail;
	if ((rc = load_file(hs, ctx, test_file, &hs->test)) != QEVAL_OK)
		goto fail;
	if (hs->test.n == 0) {
		rc = h->fail(ctx, QEVAL_EDATA, "%s holds no items", test_file);
		goto fail;
	}
	same = strcmp(shot_file, test_file) == 0;
	if (hs->nshot > 0 && !same &&
	    (rc = load_file(hs, ctx, shot_file, &hs->train)) != QEVAL_OK)
		goto fail;
	if (hs->nshot > 0) {
		const struct set *src = same ? &hs->test : &hs->train;
		size_t want = (size_t)hs->nshot + (same ? 1 : 0);

		if (src->n < want) {
			rc = h->fail(ctx, QEVAL_EDATA, "%s: %zu items, too few "
			    "for %d few-shot examples", shot_file, src->n,
			    hs->nshot);
			goto fail;
		}
		qp_mt_seed(&mt, opts->seed);
		for (i = 0; i < hs->test.n; i++)
			if (mc_draw_shots(&mt, i, src->n, hs->nshot, same,
			    &hs->test.v[i].shots) != 0) {
				rc = h->fail(ctx, QEVAL_ENOMEM, "hellaswag: "
				    "out of memory");
				goto fail;
			}
		if (same)
			h->log(ctx, QEVAL_LOG_WARN, "%s: few-shot examples are "
			    "drawn from %s itself, leaving each item out "
			    "(lm-eval draws from the train split: give it "
			    "with fewshot_file=)", task->name, test_file);
	}
	hs->count = opts->limit > 0 && opts->limit < hs->test.n ?
	    opts->limit : hs->test.n;
	*statep = hs;
	return (QEVAL_OK);
fail:
	hs_close(hs);
	return (rc);
}

static size_t
hs_count(void *state)
{
	struct hs *hs = state;

	assert(hs != NULL && hs->magic == HS_MAGIC);
	return (hs->count);
}

static const char *
hs_sample_id(void *state, size_t i)
{
	struct hs *hs = state;

	assert(hs != NULL && hs->magic == HS_MAGIC && i < hs->test.n);
	/* The position in the file: the same for both readers. */
	snprintf(hs->idbuf, sizeof(hs->idbuf), "hellaswag/%zu", i);
	return (hs->idbuf);
}

static const struct item *
shot_item(const struct hs *hs, size_t idx)
{
	return (hs->train.n > 0 ? &hs->train.v[idx] : &hs->test.v[idx]);
}

static void
ll_context(const struct hs *hs, const struct item *it, struct qp_buf *b)
{
	int k;

	for (k = 0; k < hs->nshot; k++) {
		const struct item *s = shot_item(hs, it->shots[k]);

		qp_buf_adds(b, s->query);
		qp_buf_adds(b, " ");
		qp_buf_adds(b, s->choice[s->gold]);
		qp_buf_adds(b, "\n\n");
	}
	qp_buf_adds(b, it->query);
}

/* lm-eval hellaswag_llama's doc_to_text (a double-quoted YAML string:
 * real newlines).  HellaSwag items have four endings. */
static void
chat_prompt(const struct item *it, struct qp_buf *b)
{
	size_t k;

	qp_buf_adds(b, "Given the following context and four candidate "
	    "endings, choose the best ending.\nContext: ");
	qp_buf_adds(b, it->query);
	for (k = 0; k < it->nchoices; k++)
		qp_buf_addf(b, "\n%c. %s", (char)('A' + k), it->choice[k]);
	qp_buf_adds(b, "\nYour response should end with \"The best answer is "
	    "[the_answer_letter]\" where the [the_answer_letter] is one of A, "
	    "B, C or D.");
}

/* qeval's own lettered prompt (prefill=0). */
static void
gen_prompt(const struct item *it, struct qp_buf *b)
{
	qp_buf_adds(b, "Choose the most plausible continuation of the text "
	    "below.\nText: ");
	qp_buf_adds(b, it->query);
	mc_letter_options(b, it->choice, it->nchoices);
}

static int
hs_next(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_request *req)
{
	struct hs *hs = state;
	const struct item *it;

	assert(hs != NULL && hs->magic == HS_MAGIC);
	(void)ex;
	(void)cand;
	if (i >= hs->test.n)
		return (hs->host->fail(ctx, QEVAL_EINVAL, "hellaswag: no "
		    "sample %zu", i));
	if (nex > 0)
		return (QEVAL_DONE);
	it = &hs->test.v[i];
	qp_buf_reset(&hs->body);
	qp_buf_reset(&hs->tmp);
	if (hs->variant == V_LOGLIK) {
		ll_context(hs, it, &hs->tmp);
		mc_ll_request(&hs->body, &hs->tmp, it->choice, it->nchoices,
		    "endings", req);
	} else if (hs->prefill) {
		chat_prompt(it, &hs->tmp);
		mc_prefill_request(&hs->body, &hs->tmp, hs->chat,
		    hs->max_tokens > 0 ? hs->max_tokens : MC_CHAT_TOKENS,
		    req);
	} else {
		gen_prompt(it, &hs->tmp);
		mc_gen_request(&hs->body, &hs->tmp, hs->chat,
		    hs->max_tokens > 0 ? hs->max_tokens : MC_GEN_TOKENS,
		    req);
	}
	if (!qp_buf_ok(&hs->body) || !qp_buf_ok(&hs->tmp))
		return (hs->host->fail(ctx, QEVAL_ENOMEM, "hellaswag: out of "
		    "memory building a request"));
	req->target = QEVAL_TARGET_MODEL;
	req->body = hs->body.buf;
	req->temperature = 0.0;
	req->top_p = 1.0;
	return (QEVAL_NEXT);
}

static int
score_ll(struct hs *hs, const struct item *it,
    const struct qeval_response *r, struct qeval_verdict *out)
{
	size_t n = it->nchoices, pick, pick_n;

	qp_buf_reset(&hs->detail);
	qp_buf_reset(&hs->reason);
	out->category = it->category;
	if (mc_score_ll(r, it->choice, n, it->gold, "endings", &hs->reason,
	    out, &pick, &pick_n) != 0)
		return (QEVAL_OK);
	snprintf(hs->extracted, sizeof(hs->extracted), "%zu", pick_n);
	out->extracted = hs->extracted;
	if (pick == it->gold && pick_n == it->gold)
		qp_buf_addf(&hs->reason, "gold ending %zu ranks first by total "
		    "and by length-normalised log-likelihood", it->gold);
	else
		qp_buf_addf(&hs->reason, "gold %zu; highest log-likelihood "
		    "%zu (acc %s), highest per character %zu (acc_norm %s)",
		    it->gold, pick, pick == it->gold ? "right" : "wrong",
		    pick_n, pick_n == it->gold ? "right" : "wrong");
	qp_buf_addf(&hs->detail, "{\"gold\":%zu,\"acc_pick\":%zu,"
	    "\"acc_norm_pick\":%zu,", it->gold, pick, pick_n);
	mc_ll_detail(&hs->detail, r, it->choice, n);
	qp_buf_adds(&hs->detail, "}");
	out->reason = qp_buf_str(&hs->reason);
	out->detail = qp_buf_str(&hs->detail);
	return (QEVAL_OK);
}

static int
score_gen(struct hs *hs, const struct item *it,
    const struct qeval_exchange *ex, struct qeval_verdict *out)
{
	const char *rule = "lm-eval exact_match";
	char target[2];

	qp_buf_reset(&hs->detail);
	qp_buf_reset(&hs->reason);
	out->category = it->category;
	if (mc_is_prefilled(&ex->req)) {
		target[0] = (char)('A' + it->gold);
		target[1] = '\0';
		mc_score_em(&ex->resp, it->nchoices, target, &hs->reason,
		    &hs->ext, out);
		if (!qp_buf_ok(&hs->ext))
			hs->reason.oom = 1;	/* hs_score() reports it */
	} else
		mc_score_letter(&hs->rules, hs->host, &ex->resp,
		    it->nchoices, it->gold, &hs->reason, hs->extracted,
		    sizeof(hs->extracted), out, &rule);
	qp_buf_adds(&hs->detail, "{\"rule\":");
	qp_buf_json_str(&hs->detail, rule);
	qp_buf_addf(&hs->detail, ",\"gold\":\"%c\"}",
	    (char)('A' + it->gold));
	out->reason = qp_buf_str(&hs->reason);
	out->detail = qp_buf_str(&hs->detail);
	return (QEVAL_OK);
}

static int
hs_score(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_verdict *out)
{
	struct hs *hs = state;
	int rc;

	assert(hs != NULL && hs->magic == HS_MAGIC);
	(void)cand;
	if (i >= hs->test.n || nex < 1)
		return (hs->host->fail(ctx, QEVAL_EINTERNAL, "hellaswag: "
		    "sample %zu scored without a response", i));
	if (hs->variant == V_LOGLIK)
		rc = score_ll(hs, &hs->test.v[i], &ex[0].resp, out);
	else
		rc = score_gen(hs, &hs->test.v[i], &ex[0], out);
	if (rc == QEVAL_OK && (!qp_buf_ok(&hs->detail) ||
	    !qp_buf_ok(&hs->reason)))
		return (hs->host->fail(ctx, QEVAL_ENOMEM, "hellaswag: out of "
		    "memory scoring sample %zu", i));
	return (rc);
}

static int
hs_gold(void *state, struct qeval_ctx *ctx, size_t i,
    const struct qeval_exchange *ex, size_t nex,
    const struct qeval_request *req, int corrupt, struct qeval_gold *out)
{
	struct hs *hs = state;
	const struct item *it;
	size_t win;

	assert(hs != NULL && hs->magic == HS_MAGIC);
	(void)ex;
	(void)nex;
	if (i >= hs->test.n)
		return (hs->host->fail(ctx, QEVAL_EINVAL, "hellaswag: no "
		    "sample %zu", i));
	it = &hs->test.v[i];
	win = corrupt ? (it->gold + 1) % it->nchoices : it->gold;
	if (mc_gold(req, it->nchoices, win, NULL, hs->gold_lp,
	    hs->gold_greedy, &hs->gold, out) != 0)
		return (hs->host->fail(ctx, QEVAL_ENOMEM, "hellaswag: out of "
		    "memory"));
	return (QEVAL_OK);
}

/* Task options this plugin reads (ABI 1.1; `qeval list tasks -v`). */
static const struct qeval_option options[] = {
	{ "test_file", QEVAL_OPT_STRING, NULL, "another test file, relative "
	  "to the data dir", NULL, NULL },
	{ "fewshot_file", QEVAL_OPT_STRING, NULL, "the few-shot file, "
	  "relative to the data dir (default: the test file)", NULL, NULL },
	{ "capitalize", QEVAL_OPT_ENUM, "1", "ctx_b.capitalize() as lm-eval "
	  "(0: keep the text's case)", "0|1", NULL },
	{ "prefill", QEVAL_OPT_BOOL, "1", "1: lm-eval's chat recipe "
	  "(assistant turn prefilled with 'The best answer is'); 0: qeval's "
	  "letter extraction", NULL, "hellaswag_gen" },
	{ "max_tokens", QEVAL_OPT_INT, "100", "most tokens of a "
	  "generative answer (default 256 with prefill=0)", NULL,
	  "hellaswag_gen" },
	{ NULL, 0, NULL, NULL, NULL, NULL }
};

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.flags = QEVAL_PF_NONE,
	.name = "hellaswag",
	.version = PACKAGE_VERSION,
	.summary = "HellaSwag: lm-evaluation-harness log-likelihood recipe, "
	    "and a lettered generative variant",
	.tasks = tasks,
	.open = hs_open,
	.count = hs_count,
	.sample_id = hs_sample_id,
	.next = hs_next,
	.score = hs_score,
	.gold = hs_gold,
	.close = hs_close,
	.options = options,
};
