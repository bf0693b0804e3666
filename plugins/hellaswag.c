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

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <qeval/plugin.h>

#include "mcskel.h"
#include "mcutil.h"
#include "qp.h"
#include "ucase.h"

#define MAX_CHOICES	MC_MAX_CHOICES

/* The skeleton's state, and the text reader's option. */
struct hs {
	struct mcskel	 s;
	int		 capitalize;
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

struct load {
	struct hs		*hs;
	struct qeval_ctx	*ctx;
	struct mc_set		*set;
};

#define JSON_HINT "(expected the official hellaswag_val.jsonl fields " \
	"activity_label, ctx_a, ctx_b, endings, label)"

/* One record of the official jsonl. */
static int
load_json(void *arg, const char *json, size_t len, const char *where)
{
	struct load *l = arg;
	const struct qeval_host *h = l->hs->s.host;
	const char *label, *ctx_a, *ctx_b;
	const cJSON *endings, *lab, *e;
	cJSON *doc = cJSON_ParseWithLength(json, len);
	struct qp_buf q = QP_BUF_INIT;
	struct mc_item it;
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
	it.text = preprocess(q.buf, q.len);
	it.category = qp_strdup(label);
	if (it.text == NULL || it.category == NULL ||
	    mc_set_push(l->set, &it) != 0)
		goto oom;
	goto out;
oom:
	rc = h->fail(l->ctx, QEVAL_ENOMEM, "hellaswag: out of memory");
out:
	free(cb);
	qp_buf_free(&q);
	mc_item_free(&it);
	cJSON_Delete(doc);
	return (rc);
}

/* The llama.cpp text format, six lines per item. */
static int
load_text(struct hs *hs, struct qeval_ctx *ctx, const char *file,
    struct mc_set *set)
{
	const struct qeval_host *h = hs->s.host;
	char *data = NULL, *p, *end, *line[6];
	size_t len = 0, lno = 0, k;
	int rc;

	rc = h->read_file(ctx, file, &data, &len);
	if (rc != QEVAL_OK)
		return (rc);
	p = data;
	end = data + len;
	while (p < end) {
		struct mc_item it;
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
		it.text = preprocess(line[0], strlen(line[0]));
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
		if (it.text == NULL || it.category == NULL ||
		    it.choice[0] == NULL || it.choice[1] == NULL ||
		    it.choice[2] == NULL || it.choice[3] == NULL ||
		    mc_set_push(set, &it) != 0) {
			mc_item_free(&it);
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
hs_load(struct mcskel *s, struct qeval_ctx *ctx, const char *file,
    struct mc_set *set)
{
	struct hs *hs = (struct hs *)s;
	struct load l;

	if (!is_json_name(file))
		return (load_text(hs, ctx, file, set));
	l.hs = hs;
	l.ctx = ctx;
	l.set = set;
	return (s->host->records(ctx, file, load_json, &l));
}

/* Task option capitalize=0|1 (the text reader's). */
static int
hs_options(struct mcskel *s, struct qeval_ctx *ctx,
    const struct qeval_task *task)
{
	struct hs *hs = (struct hs *)s;
	const char *v = s->host->opt(ctx, "capitalize");

	hs->capitalize = 1;
	if (v == NULL)
		return (QEVAL_OK);
	if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
		return (s->host->fail(ctx, QEVAL_EINVAL, "%s: task option "
		    "capitalize=%s must be 0 or 1", task->name, v));
	hs->capitalize = v[0] == '1';
	return (QEVAL_OK);
}

static void
hs_same_file(struct mcskel *s, struct qeval_ctx *ctx,
    const struct qeval_task *task, const char *file)
{
	s->host->log(ctx, QEVAL_LOG_WARN, "%s: few-shot examples are drawn "
	    "from %s itself, leaving each item out (lm-eval draws from the "
	    "train split: give it with fewshot_file=)", task->name, file);
}

/* lm-eval's doc_to_text: the preprocessed query. */
static void
doc_text(const struct mc_item *it, struct qp_buf *b)
{
	qp_buf_adds(b, it->text);
}

/* lm-eval hellaswag_llama's doc_to_text (a double-quoted YAML string:
 * real newlines).  HellaSwag items have four endings. */
static void
chat_prompt(const struct mc_item *it, struct qp_buf *b)
{
	size_t k;

	qp_buf_adds(b, "Given the following context and four candidate "
	    "endings, choose the best ending.\nContext: ");
	qp_buf_adds(b, it->text);
	for (k = 0; k < it->nchoices; k++)
		qp_buf_addf(b, "\n%c. %s", (char)('A' + k), it->choice[k]);
	qp_buf_adds(b, "\nYour response should end with \"The best answer is "
	    "[the_answer_letter]\" where the [the_answer_letter] is one of A, "
	    "B, C or D.");
}

const struct mc_recipe mc_recipe = {
	.name = "hellaswag",
	.size = sizeof(struct hs),
	.unit = "items",
	.what = "endings",
	.noun = "ending",
	/* lm-eval's train split is not in the shared mirror: the few-shot
	 * examples come from the test file unless fewshot_file= */
	.shot_file = NULL,
	/* qeval's own lettered prompt (prefill=0) */
	.gen_head = "Choose the most plausible continuation of the text "
	    "below.\nText: ",
	.options = hs_options,
	.load = hs_load,
	.same_file = hs_same_file,
	.doc_text = doc_text,
	.chat_prompt = chat_prompt,
	.target = NULL,		/* the gold letter */
};

/* Task options this plugin reads (ABI 1.1; `qeval list tasks -v`). */
static const struct qeval_option options[] = {
	MC_OPTION_TEST_FILE,
	{ "fewshot_file", QEVAL_OPT_STRING, NULL, "the few-shot file, "
	  "relative to the data dir (default: the test file)", NULL, NULL },
	{ "capitalize", QEVAL_OPT_ENUM, "1", "ctx_b.capitalize() as lm-eval "
	  "(0: keep the text's case)", "0|1", NULL },
	{ "prefill", QEVAL_OPT_BOOL, "1", "1: lm-eval's chat recipe "
	  "(assistant turn prefilled with 'The best answer is'); 0: qeval's "
	  "letter extraction", NULL, "hellaswag_gen" },
	MC_OPTION_MAX_TOKENS("hellaswag_gen"),
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
	MCSKEL_CALLBACKS,
	.options = options,
};
