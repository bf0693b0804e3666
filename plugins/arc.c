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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <qeval/plugin.h>

#include "mcskel.h"
#include "mcutil.h"
#include "qp.h"

#define MAX_CHOICES	MC_MAX_CHOICES

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

struct load {
	struct mcskel		*s;
	struct qeval_ctx	*ctx;
	struct mc_set		*set;
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
	const struct qeval_host *h = l->s->host;
	const cJSON *q, *choices, *texts = NULL, *labels = NULL, *c;
	const char *stem, *key, *id;
	cJSON *doc = cJSON_ParseWithLength(json, len);
	struct mc_item it;
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
	it.text = qp_strdup(stem);
	it.id = qp_strdup(id != NULL ? id : where);
	if (it.text == NULL || it.id == NULL) {
		rc = h->fail(l->ctx, QEVAL_ENOMEM, "arc: out of memory");
		goto out;
	}
	if (mc_set_push(l->set, &it) != 0)
		rc = h->fail(l->ctx, QEVAL_ENOMEM, "arc: out of memory");
out:
	mc_item_free(&it);
	cJSON_Delete(doc);
	return (rc);
}

static int
arc_load(struct mcskel *s, struct qeval_ctx *ctx, const char *file,
    struct mc_set *set)
{
	struct load l;

	memset(&l, 0, sizeof(l));
	l.s = s;
	l.ctx = ctx;
	l.set = set;
	return (s->host->records(ctx, file, load_record, &l));
}

static void
arc_same_file(struct mcskel *s, struct qeval_ctx *ctx,
    const struct qeval_task *task, const char *file)
{
	s->host->log(ctx, QEVAL_LOG_WARN, "%s: few-shot examples are drawn "
	    "from the evaluated file itself (%s)", task->name, file);
}

/* lm-eval's doc_to_text: "Question: {stem}\nAnswer:". */
static void
doc_text(const struct mc_item *it, struct qp_buf *b)
{
	qp_buf_adds(b, "Question: ");
	qp_buf_adds(b, it->text);
	qp_buf_adds(b, "\nAnswer:");
}

/*
 * lm-eval arc_challenge_chat's doc_to_text.  The YAML writes it in single
 * quotes, where "\n" is no escape: the prompt holds a backslash and an
 * n at each of those places, and qeval sends the same bytes.
 */
static void
chat_prompt(const struct mc_item *it, struct qp_buf *b)
{
	static const char *const tag[] = { "\\nA. ", "\\nB. ", "\\nC. " };
	size_t k, a, e;

	qp_buf_adds(b, "Given the following question and four candidate "
	    "answers (A, B, C and D), choose the best answer.\\nQuestion: ");
	mc_py_strip(it->text, strlen(it->text), &a, &e);
	qp_buf_add(b, it->text + a, e - a);	/* question.strip() */
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
chat_target(const struct mc_item *it, char *buf, size_t bufsz)
{
	const char *key = it->label[it->gold];

	if (key[0] >= '1' && key[0] <= '4' && key[1] == '\0')
		snprintf(buf, bufsz, "%c", (char)('A' + key[0] - '1'));
	else
		snprintf(buf, bufsz, "%s", key);
	return (buf);
}

const struct mc_recipe mc_recipe = {
	.name = "arc",
	.size = sizeof(struct mcskel),
	.unit = "records",
	.what = "choices",
	.noun = "choice",
	/* The shared mirror has no ARC-Easy train split (files_easy) */
	.shot_file = "arc/ARC-Easy-Train.jsonl",
	/* qeval's own lettered prompt (prefill=0) */
	.gen_head = "Given the following question and candidate answers, "
	    "choose the best answer.\nQuestion: ",
	.load = arc_load,
	.same_file = arc_same_file,
	.doc_text = doc_text,
	.chat_prompt = chat_prompt,
	.target = chat_target,
};

/* Task options this plugin reads (ABI 1.1; `qeval list tasks -v`). */
static const struct qeval_option options[] = {
	MC_OPTION_TEST_FILE,
	{ "fewshot_file", QEVAL_OPT_STRING, NULL, "another few-shot file, "
	  "relative to the data dir", NULL, NULL },
	{ "prefill", QEVAL_OPT_BOOL, "1", "1: lm-eval's arc_challenge_chat "
	  "(assistant turn prefilled with 'The best answer is'); 0: qeval's "
	  "letter extraction", NULL, "arc_challenge_gen,arc_easy_gen" },
	MC_OPTION_MAX_TOKENS("arc_challenge_gen,arc_easy_gen"),
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
	MCSKEL_CALLBACKS,
	.options = options,
};
