/*
 * mbpp: MBPP and MBPP+, scored by running the program.
 *
 * Tasks:
 *   mbpp            lm-eval `mbpp`: the Austin et al. prompt, 3 fixed
 *                   shots (task ids 2, 3, 4) with [BEGIN] / code [DONE],
 *                   stop "[DONE]", greedy, 256 new tokens, over the
 *                   500-task test split (ids 11-510), /v1/completions.
 *   mbpp_instruct   lm-eval `mbpp_instruct`: the newline-separated
 *                   prompt, the shots as chat turns, the assistant
 *                   prefill "\n```python\n" (vLLM continue_final_message),
 *                   256 tokens, no stops; prefill=0 drops the prefill.
 *   mbpp_sanitized  the `mbpp` recipe over the hand-verified subset
 *                   (sanitized-mbpp.json, 257 tasks of the test split).
 *   mbpp_plus       MBPP+ (evalplus v0.2.0, 378 tasks): base and
 *                   base+extra inputs checked against the reference
 *                   solution inside the program, evalplus time limits.
 *
 * The program of mbpp, mbpp_instruct and mbpp_sanitized is lm-eval's
 * ("from __future__ import annotations\n" + code + "\n" + tests) with
 * the dataset's test_setup_code (or test_imports) added, which lm-eval
 * leaves out (setup_code=0 leaves it out too); 3.0 s.  The code is
 * what lm-eval's extract_code_blocks() takes from the answer (its regex,
 * lmeval_extract()); rescue=1 takes qeval's instead (rescue_extract():
 * the first block of an answer that opens with a fence, else the text
 * before the first fence).  Where the two differ, the other one is run
 * too when it could change the verdict: metric "rescuable" counts the
 * answers lm-eval scores 0 and the rescue would pass, "rescued" (with
 * rescue=1) those that pass only thanks to it.
 * docs/CODE_TASKS.md describes every deviation.
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

#define NSHOTS		3

/* Variants: the order of the task names in `names` */
enum recipe { R_MBPP, R_INSTRUCT, R_SANITIZED, R_PLUS };

static const char *const names[] = { "mbpp", "mbpp_instruct",
	"mbpp_sanitized", "mbpp_plus", NULL };

/* The skeleton's state and what only MBPP keeps. */
struct mbpp {
	struct codeskel		 s;
	int			 setup_code;	/* run test_setup_code */
	int			 rescue;	/* qeval's extraction */
	int			 warned;	/* the console was told */
	int			 nshot;
	struct code_item	 shots[NSHOTS];
};

static const char *const mbpp_files[] = { "mbpp/mbpp.jsonl", NULL };
static const char *const san_files[] = { "mbpp/sanitized-mbpp.json", NULL };
static const char *const plus_files[] = { "mbpp_plus/MbppPlus.jsonl.gz",
	NULL };

static const struct qeval_metric_desc metrics[] = {
	{ "pass@1", QEVAL_MF_PRIMARY | QEVAL_MF_PASSK },
	/* answers lm-eval's extraction scores 0 and the rescue would pass */
	{ "rescuable", QEVAL_MF_RATE | QEVAL_MF_LOWER_BETTER },
	/* with rescue=1: answers that pass only thanks to the rescue */
	{ "rescued", QEVAL_MF_RATE },
	{ NULL, 0 }
};
enum { M_RESCUABLE = 1, M_RESCUED = 2 };

static const struct qeval_task tasks[] = {
	{ "mbpp", "MBPP", "Code Generation",
	  "lm-evaluation-harness mbpp (3-shot Austin et al. prompt, "
	  "[BEGIN]/[DONE], test split 11-510, lm-eval's code extraction; "
	  "setup code run); rescue=1: qeval's extraction",
	  mbpp_files, metrics, QEVAL_TF_EXEC | QEVAL_TF_COMPLETION_ONLY },
	{ "mbpp_instruct", "MBPP", "Code Generation",
	  "lm-evaluation-harness mbpp_instruct (3-shot chat, prefill "
	  "\"```python\", lm-eval's code extraction; setup code run); "
	  "rescue=1: qeval's extraction",
	  mbpp_files, metrics, QEVAL_TF_EXEC | QEVAL_TF_CHAT_ONLY },
	{ "mbpp_sanitized", "MBPP (sanitized)", "Code Generation",
	  "lm-evaluation-harness mbpp prompt over sanitized-mbpp.json "
	  "(257 test-split tasks); rescue=1: qeval's extraction",
	  san_files, metrics, QEVAL_TF_EXEC | QEVAL_TF_COMPLETION_ONLY },
	{ "mbpp_plus", "MBPP+", "Code Generation",
	  "evalplus MBPP+ v0.2.0 (base and base+extra, differential, "
	  "evalplus time limits)",
	  plus_files, code_plus_metrics, QEVAL_TF_EXEC },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};

static const char *const stops_mbpp[] = { "[DONE]", NULL };
/* evalplus's end-of-text strings for direct completion of MBPP+ */
static const char *const stops_plus[] = { "\nif __name__", "\ndef main(",
	"\nprint(", "\n\"\"\"", "\nassert", NULL };
static const char *const no_stops[] = { NULL };

static const char future[] = "from __future__ import annotations\n";
static const char prefill_text[] = "\n```python\n";
static const char corrupt_def[] = "(*args, **kwargs):\n    raise "
	"NotImplementedError('qeval: corrupted reference solution')\n";

/* ------------------------------------------------------------------ */
/* Dataset                                                            */

static int
mbpp_options(struct codeskel *s, struct qeval_ctx *ctx,
    const struct qeval_task *task, const struct qeval_opts *opts)
{
	struct mbpp *m = (struct mbpp *)s;
	const struct qeval_host *h = s->host;

	s->prefill = codeutil_opt_bool(h->opt(ctx, "prefill"),
	    s->variant == R_INSTRUCT);
	s->base_only = codeutil_opt_bool(h->opt(ctx, "base_only"), 0);
	m->setup_code = codeutil_opt_bool(h->opt(ctx, "setup_code"), 1);
	m->rescue = codeutil_opt_bool(h->opt(ctx, "rescue"), 0);
	if (s->prefill < 0 || s->base_only < 0 || m->setup_code < 0 ||
	    m->rescue < 0)
		return (h->fail(ctx, QEVAL_EINVAL, "%s: task options prefill, "
		    "base_only, setup_code and rescue take 0 or 1",
		    task->name));
	if (m->rescue && s->plus)
		return (h->fail(ctx, QEVAL_EINVAL, "%s: rescue applies to "
		    "mbpp, mbpp_instruct and mbpp_sanitized (MBPP+ follows "
		    "evalplus's extraction)", task->name));
	if (s->prefill && s->variant != R_INSTRUCT)
		return (h->fail(ctx, QEVAL_EINVAL, "%s: prefill applies to "
		    "mbpp_instruct only", task->name));
	m->nshot = opts->num_fewshot >= 0 ? opts->num_fewshot : NSHOTS;
	if (s->plus)
		m->nshot = 0;
	if (m->nshot > NSHOTS)
		return (h->fail(ctx, QEVAL_EINVAL, "%s: --num-fewshot %d: the "
		    "recipe has %d fixed shots (task ids 2-4)", task->name,
		    m->nshot, NSHOTS));
	return (QEVAL_OK);
}

static void
mbpp_fini(struct codeskel *s)
{
	struct mbpp *m = (struct mbpp *)s;
	size_t i;

	for (i = 0; i < NSHOTS; i++)
		code_item_free(&m->shots[i]);
}

/* Is task id num one of the first n few-shot ids (2, 3, 4)? */
static int
is_shot_id(int num, int n)
{
	return (num >= 2 && num < 2 + n);
}

/* Joins a JSON array of strings with "\n" (at most max, 0: all). */
static char *
join_strings(const cJSON *arr, size_t max, int *bad)
{
	struct qp_buf b = QP_BUF_INIT;
	const cJSON *e;
	size_t k = 0;
	char *s;

	qp_buf_add(&b, "", 0);
	cJSON_ArrayForEach(e, arr) {
		if (!cJSON_IsString(e)) {
			*bad = 1;
			break;
		}
		if (max > 0 && k == max)
			break;
		if (k++ > 0)
			qp_buf_adds(&b, "\n");
		qp_buf_adds(&b, e->valuestring);
	}
	s = qp_buf_ok(&b) ? qp_strdup(qp_buf_str(&b)) : NULL;
	qp_buf_free(&b);
	return (s);
}

static int
load_plus(struct codeskel *s, struct qeval_ctx *ctx, const cJSON *doc,
    const char *json, size_t len, const char *where, struct code_item *it)
{
	const struct qeval_host *h = s->host;
	const char *id = qp_json_str(doc, "task_id");
	const char *prompt = qp_json_str(doc, "prompt");
	const char *entry = qp_json_str(doc, "entry_point");
	const char *canon = qp_json_str(doc, "canonical_solution");
	const char *slash;

	if (id == NULL || prompt == NULL || entry == NULL || canon == NULL)
		return (h->fail(ctx, QEVAL_EDATA, "%s: an MBPP+ record needs "
		    "string fields task_id, prompt, entry_point and "
		    "canonical_solution (is this evalplus's MbppPlus.jsonl?)",
		    where));
	if (!codeskel_identifier(entry))
		return (h->fail(ctx, QEVAL_EDATA, "%s: entry_point '%s' is "
		    "not a Python identifier", where, entry));
	slash = strrchr(id, '/');
	it->num = (int)strtol(slash != NULL ? slash + 1 : id, NULL, 10);
	it->id = qp_strdup(id);
	it->prompt = qp_strdup(prompt);
	it->entry = qp_strdup(entry);
	it->solution = qp_strdup(canon);
	if (codeskel_plus_inputs(json, len, it) != 0)
		return (h->fail(ctx, QEVAL_EDATA, "%s: an MBPP+ record needs "
		    "arrays base_input and plus_input", where));
	if (it->id == NULL || it->prompt == NULL || it->entry == NULL ||
	    it->solution == NULL || it->atol == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "mbpp: out of memory"));
	return (QEVAL_OK);
}

static int
mbpp_record(struct codeskel *s, struct qeval_ctx *ctx, const cJSON *doc,
    const char *json, size_t len, const char *where)
{
	struct mbpp *m = (struct mbpp *)s;
	const struct qeval_host *h = s->host;
	const cJSON *tests, *imports;
	const char *text, *code, *setup;
	struct code_item it;
	double num;
	int rc = QEVAL_OK, bad = 0;
	char idbuf[32];

	memset(&it, 0, sizeof(it));
	if (s->plus) {
		rc = load_plus(s, ctx, doc, json, len, where, &it);
		if (rc == QEVAL_OK)
			rc = codeskel_push(s, ctx, &it);
		goto out;
	}
	text = qp_json_str(doc, s->variant == R_SANITIZED ? "prompt" :
	    "text");
	code = qp_json_str(doc, "code");
	tests = qp_json_arr(doc, "test_list");
	if (!qp_json_num(doc, "task_id", &num) || text == NULL ||
	    code == NULL || tests == NULL || cJSON_GetArraySize(tests) < 3) {
		rc = h->fail(ctx, QEVAL_EDATA, "%s: an MBPP record needs "
		    "task_id, %s, code and at least three test_list strings "
		    "(is this %s?)", where, s->variant == R_SANITIZED ?
		    "prompt" : "text", s->variant == R_SANITIZED ?
		    "sanitized-mbpp.json" : "mbpp.jsonl");
		goto out;
	}
	if (num != floor(num) || num < 0 || num > 1e9) {
		rc = h->fail(ctx, QEVAL_EDATA, "%s: task_id must be a whole "
		    "number", where);
		goto out;
	}
	it.num = (int)num;
	/* The task's own file: lm-eval's test split (11-510) and its
	 * few-shot examples (2-4); the train, prompt and validation splits
	 * are not read.  A user's file (file=): every record, less the
	 * few-shot examples the prompt uses (open() says which). */
	if (!s->custom && !(is_shot_id(it.num, NSHOTS) || (it.num >= 11 &&
	    it.num <= 510)))
		goto out;
	snprintf(idbuf, sizeof(idbuf), "mbpp/%d", it.num);
	it.id = qp_strdup(idbuf);
	it.text = qp_strdup(text);
	it.solution = qp_strdup(code);
	it.tests3 = join_strings(tests, 3, &bad);
	it.tests = join_strings(tests, 0, &bad);
	if (s->variant == R_SANITIZED) {
		imports = qp_json_arr(doc, "test_imports");
		it.setup = imports != NULL ? join_strings(imports, 0, &bad) :
		    qp_strdup("");
	} else {
		setup = qp_json_str(doc, "test_setup_code");
		it.setup = qp_strdup(setup != NULL ? setup : "");
	}
	if (bad) {
		rc = h->fail(ctx, QEVAL_EDATA, "%s: test_list and test_imports "
		    "must hold strings", where);
		goto out;
	}
	if (it.id == NULL || it.text == NULL || it.solution == NULL ||
	    it.tests3 == NULL || it.tests == NULL || it.setup == NULL) {
		rc = h->fail(ctx, QEVAL_ENOMEM, "mbpp: out of memory");
		goto out;
	}
	if (is_shot_id(it.num, s->custom ? m->nshot : NSHOTS)) {
		code_item_free(&m->shots[it.num - 2]);
		m->shots[it.num - 2] = it;
		memset(&it, 0, sizeof(it));
	} else
		rc = codeskel_push(s, ctx, &it);
out:
	code_item_free(&it);
	return (rc);
}

/* Sample ids are journal keys: a task id may appear once. */
static int
check_ids(struct codeskel *s, struct qeval_ctx *ctx)
{
	size_t i, j;

	for (i = 0; i < s->n; i++)
		for (j = i + 1; j < s->n; j++)
			if (strcmp(s->items[i].id, s->items[j].id) == 0)
				return (s->host->fail(ctx, QEVAL_EDATA, "%s: "
				    "%s appears twice (records %zu and %zu "
				    "of those evaluated): give each record "
				    "its own task_id", s->file,
				    s->items[i].id, i + 1, j + 1));
	return (QEVAL_OK);
}

static int
mbpp_loaded(struct codeskel *s, struct qeval_ctx *ctx,
    const struct qeval_task *task)
{
	struct mbpp *m = (struct mbpp *)s;
	const struct qeval_host *h = s->host;
	int i, rc;

	for (i = 0; i < m->nshot; i++)
		if (m->shots[i].id == NULL)
			return (h->fail(ctx, QEVAL_EDATA, "%s: the few-shot "
			    "task id %d is missing (the prompt shows task ids "
			    "2-%d as examples): add it, or lower "
			    "--num-fewshot", s->file, i + 2, 1 + m->nshot));
	if (s->n == 0) {
		if (s->custom)
			return (h->fail(ctx, QEVAL_EDATA, "%s holds no record "
			    "to evaluate besides the few-shot examples (task "
			    "ids 2-%d): add records, or run with --num-fewshot "
			    "0 to evaluate those too", s->file, 1 + m->nshot));
		return (h->fail(ctx, QEVAL_EDATA, "%s holds no test-split "
		    "records (task ids 11-510)", s->file));
	}
	if ((rc = check_ids(s, ctx)) != QEVAL_OK)
		return (rc);
	if (s->custom && !s->plus)
		h->log(ctx, QEVAL_LOG_INFO, "%s: %s: %zu records evaluated%s",
		    task->name, s->file, s->n, m->nshot == 0 ? "" :
		    m->nshot == 1 ? " (task id 2 is the few-shot example)" :
		    m->nshot == 2 ? " (task ids 2 and 3 are the few-shot "
		    "examples)" : " (task ids 2, 3 and 4 are the few-shot "
		    "examples)");
	return (QEVAL_OK);
}

/* ------------------------------------------------------------------ */
/* Requests                                                           */

/* lm-eval's doc_to_text of mbpp or mbpp_instruct. */
static void
doc_text(const struct codeskel *s, struct qp_buf *b,
    const struct code_item *it)
{
	if (s->variant == R_INSTRUCT) {
		qp_buf_adds(b, "You are an expert Python programmer, and here "
		    "is your task:\n");
		qp_buf_adds(b, it->text);
		qp_buf_adds(b, "\nYour code should pass these tests:\n");
		qp_buf_adds(b, it->tests3);
	} else {
		qp_buf_adds(b, "You are an expert Python programmer, and here "
		    "is your task: ");
		qp_buf_adds(b, it->text);
		qp_buf_adds(b, " Your code should pass these tests:\n\n");
		qp_buf_adds(b, it->tests3);
		qp_buf_adds(b, "\n[BEGIN]\n");
	}
}

static void
mbpp_request(struct codeskel *s, const struct code_item *it,
    struct qeval_request *req)
{
	struct mbpp *m = (struct mbpp *)s;
	struct qp_buf *b = &s->body, *t = &s->tmp;
	int k, first = 1;

	if (s->plus && s->chat) {
		codeskel_plus_chat(s, it);
		req->kind = QEVAL_REQ_CHAT;
	} else if (s->plus) {
		qp_buf_adds(b, "{\"prompt\":");
		qp_buf_json_str(b, it->prompt);
		qp_buf_stop_list(b, stops_plus);
		req->kind = QEVAL_REQ_COMPLETION;
	} else if (s->variant == R_INSTRUCT) {
		qp_buf_adds(b, "{\"messages\":[");
		for (k = 0; k < m->nshot; k++) {
			qp_buf_reset(t);
			doc_text(s, t, &m->shots[k]);
			qp_buf_chat_message(b, &first, "user", qp_buf_str(t));
			qp_buf_reset(t);
			qp_buf_adds(t, prefill_text);
			qp_buf_adds(t, m->shots[k].solution);
			qp_buf_adds(t, "\n```");
			qp_buf_chat_message(b, &first, "assistant",
			    qp_buf_str(t));
		}
		qp_buf_reset(t);
		doc_text(s, t, it);
		qp_buf_chat_message(b, &first, "user", qp_buf_str(t));
		if (s->prefill) {
			qp_buf_chat_message(b, &first, "assistant",
			    prefill_text);
			qp_buf_adds(b, "],\"continue_final_message\":true,"
			    "\"add_generation_prompt\":false");
		} else
			qp_buf_adds(b, "]");
		qp_buf_stop_list(b, no_stops);
		req->kind = QEVAL_REQ_CHAT;
	} else {
		for (k = 0; k < m->nshot; k++) {
			doc_text(s, t, &m->shots[k]);
			qp_buf_adds(t, m->shots[k].solution);
			qp_buf_adds(t, "\n[DONE]\n\n");
		}
		doc_text(s, t, it);
		qp_buf_adds(b, "{\"prompt\":");
		qp_buf_json_str(b, qp_buf_str(t) ? qp_buf_str(t) : "");
		qp_buf_stop_list(b, stops_mbpp);
		req->kind = QEVAL_REQ_COMPLETION;
	}
}

/* Does text start (after blank space) with a fence? */
static int
opens_with_fence(const char *text)
{
	text += strspn(text, " \t\r\n");
	return (strncmp(text, "```", 3) == 0);
}

/* Python's \w, with every byte of a non-ASCII code point counted as a
 * word character (a letter right after a fence, in practice). */
static int
is_word(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c >= 0x80);
}

/*
 * The first match of lm-eval's ```(?:\w+)?\n?(.*?)\n?``` (re.DOTALL) in
 * s: 1 and the group's span, or 0.  At a fence the greedy word and
 * newline are taken, then the group runs to the nearest "\n```" or
 * "```"; taking less of them cannot match where this did not.
 */
static int
fence_match(const char *s, size_t len, size_t *gs, size_t *ge)
{
	size_t i, cs, j;

	for (i = 0; i + 3 <= len; i++) {
		if (memcmp(s + i, "```", 3) != 0)
			continue;
		cs = i + 3;
		while (cs < len && is_word((unsigned char)s[cs]))
			cs++;
		if (cs < len && s[cs] == '\n')
			cs++;
		for (j = cs; j + 3 <= len; j++)
			if ((s[j] == '\n' && j + 4 <= len &&
			    memcmp(s + j + 1, "```", 3) == 0) ||
			    memcmp(s + j, "```", 3) == 0) {
				*gs = cs;
				*ge = j;
				return (1);
			}
	}
	return (0);
}

/*
 * lm-eval's extract_code_blocks() (tasks/mbpp/utils.py), less the future
 * import that build_program() adds: the first match of its regex in
 * "```" + text, else in text with each "```python" turned into "```",
 * else the whole text.  An answer that continues code and ends with a
 * fence loses its first word to (?:\w+)? ("def square..." becomes
 * " square..."), and one that opens with a fence gives "": lm-eval
 * scores both 0, and rescue_extract() does not.
 */
static void
lmeval_extract(const char *text, struct qp_buf *out, struct qp_buf *tmp)
{
	const char *p;
	size_t a, b;

	qp_buf_reset(out);
	qp_buf_add(out, "", 0);
	qp_buf_reset(tmp);
	qp_buf_adds(tmp, "```");
	qp_buf_adds(tmp, text);
	if (qp_buf_ok(tmp) && fence_match(tmp->buf, tmp->len, &a, &b)) {
		qp_buf_add(out, tmp->buf + a, b - a);
		return;
	}
	qp_buf_reset(tmp);
	qp_buf_add(tmp, "", 0);
	for (p = text; *p != '\0'; ) {
		if (strncmp(p, "```python", 9) == 0) {
			qp_buf_adds(tmp, "```");
			p += 9;
		} else
			qp_buf_add(tmp, p++, 1);
	}
	if (qp_buf_ok(tmp) && fence_match(tmp->buf, tmp->len, &a, &b)) {
		qp_buf_add(out, tmp->buf + a, b - a);
		return;
	}
	qp_buf_adds(out, text);
}

/*
 * qeval's extraction (rescue=1): the first fenced block (the best one,
 * codeutil_extract()) of an answer that opens with a fence; else the text
 * before the first fence, trailing newlines dropped.
 */
static void
rescue_extract(const char *text, struct qp_buf *out)
{
	if (opens_with_fence(text)) {
		codeutil_extract(text, NULL, out);
		return;
	}
	codeutil_until_fence(text, out);
	while (out->buf != NULL && out->len > 0 &&
	    out->buf[out->len - 1] == '\n')
		out->buf[--out->len] = '\0';
}

/*
 * mbpp_instruct with prefill=0 (no lm-eval counterpart): the best fenced
 * block; when every block is empty, as with code followed by a lone
 * closing fence, the text before the first fence.
 */
static void
chat_extract(const char *text, struct qp_buf *out)
{
	codeutil_extract(text, NULL, out);
	if (qp_buf_ok(out) && strspn(out->buf != NULL ? out->buf : "",
	    " \t\r\n") == out->len && strstr(text, "```") != NULL &&
	    strspn(text, " \t\r\n") < (size_t)(strstr(text, "```") - text))
		rescue_extract(text, out);
}

/*
 * The code of answer `text` into s->code (MBPP recipes: lm-eval's
 * extraction, or qeval's with rescue=1; `other` asks for the one not
 * chosen) or the completion (MBPP+) into s->comp.
 */
static enum codeutil_mode
build_code(struct codeskel *s, const struct code_item *it, const char *text,
    int other)
{
	struct mbpp *m = (struct mbpp *)s;
	enum codeutil_mode mode = CU_OTHER;
	const char *code;

	qp_buf_reset(&s->code);
	qp_buf_reset(&s->tmp);
	if (s->plus) {
		if (s->chat) {
			codeutil_extract(text, it->entry, &s->tmp);
			mode = codeutil_candidate(it->prompt, it->entry,
			    qp_buf_str(&s->tmp) ? qp_buf_str(&s->tmp) : "", 0,
			    &s->comp, s->fixed, sizeof(s->fixed));
		} else {
			qp_buf_reset(&s->comp);
			qp_buf_add(&s->comp, text, codeutil_stop_len(text,
			    stops_plus));
		}
		return (mode);
	}
	/* [DONE] is the stop of mbpp; cut there in case the server did
	 * not.  mbpp_instruct has no stops. */
	qp_buf_add(&s->tmp, text, s->variant == R_INSTRUCT ? strlen(text) :
	    codeutil_stop_len(text, stops_mbpp));
	code = qp_buf_str(&s->tmp) ? qp_buf_str(&s->tmp) : "";
	if (s->variant == R_INSTRUCT && !s->prefill)
		chat_extract(code, &s->code);
	else if (m->rescue != other)
		rescue_extract(code, &s->code);
	else
		lmeval_extract(code, &s->code, &s->comp);
	if (qp_buf_str(&s->code) == NULL || strspn(qp_buf_str(&s->code),
	    " \t\r\n") == s->code.len)
		mode = CU_EMPTY;
	return (mode);
}

static enum codeutil_mode
mbpp_code(struct codeskel *s, const struct code_item *it, const char *text)
{
	return (build_code(s, it, text, 0));
}

/* lm-eval's program plus the setup code: future import, [imports,]
 * code, [setup,] tests. */
static void
mbpp_program(struct codeskel *s, const struct code_item *it)
{
	const struct mbpp *m = (const struct mbpp *)s;
	struct qp_buf *p = &s->prog;

	qp_buf_reset(p);
	qp_buf_adds(p, future);
	if (s->variant == R_SANITIZED && m->setup_code &&
	    it->setup[0] != '\0') {
		qp_buf_adds(p, it->setup);
		qp_buf_adds(p, "\n");
	}
	qp_buf_adds(p, qp_buf_str(&s->code) ? qp_buf_str(&s->code) : "");
	qp_buf_adds(p, "\n");
	if (s->variant != R_SANITIZED && m->setup_code &&
	    it->setup[0] != '\0') {
		qp_buf_adds(p, it->setup);
		qp_buf_adds(p, "\n");
	}
	qp_buf_adds(p, it->tests);
}

/* Length of s less trailing spaces, tabs, CRs and newlines. */
static size_t
trimmed_len(const char *s)
{
	size_t n = strlen(s);

	while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
		n--;
	return (n);
}

/*
 * Whether the extraction not chosen (lm-eval's with rescue=1, else
 * qeval's) must run too: it gives other code and could change the
 * verdict (the first run failed, or with rescue=1 passed).  When it must,
 * s->code holds that code on return.
 */
static int
other_run_needed(struct codeskel *s, const struct code_item *it,
    const char *text, int status)
{
	const struct mbpp *m = (const struct mbpp *)s;
	const char *a, *b;

	if (s->variant == R_INSTRUCT && !s->prefill)
		return (0);
	if (status == QEVAL_EXEC_REFUSED || (status == QEVAL_EXEC_PASSED) !=
	    (m->rescue != 0))
		return (0);
	build_code(s, it, text, 0);
	qp_buf_reset(&s->sol);
	qp_buf_adds(&s->sol, qp_buf_str(&s->code) ? qp_buf_str(&s->code) :
	    "");
	build_code(s, it, text, 1);
	if (!qp_buf_ok(&s->sol) || !qp_buf_ok(&s->code))
		return (0);
	/* blank lines before the code and blank space after it (which
	 * the two extractions treat differently) do not change what the
	 * program does: not worth a second run */
	a = qp_buf_str(&s->sol);
	b = qp_buf_str(&s->code);
	a += strspn(a, "\r\n");
	b += strspn(b, "\r\n");
	return (trimmed_len(a) != trimmed_len(b) ||
	    memcmp(a, b, trimmed_len(a)) != 0);
}

/* After the tests' run: the other extraction's, when it may matter. */
static int
mbpp_more(struct codeskel *s, struct qeval_ctx *ctx,
    const struct code_item *it, const char *text,
    const struct qeval_exchange *ex, size_t nex, struct qeval_request *req)
{
	const struct mbpp *m = (const struct mbpp *)s;

	if (!s->plus && nex == 2 && ex[1].req.kind == QEVAL_REQ_EXEC &&
	    other_run_needed(s, it, text, ex[1].resp.status)) {
		/* s->code holds the other extraction's code */
		mbpp_program(s, it);
		return (codeskel_exec(s, ctx, s->lim.timeout, m->rescue ?
		    "lm-eval" : "rescue", req));
	}
	return (QEVAL_DONE);
}

/* ------------------------------------------------------------------ */
/* Scoring                                                            */

/*
 * The rescue metrics of an MBPP verdict, from the run of the other
 * extraction (ex[2]) if there was one, and the reason's note on it.
 */
static void
mbpp_verdict(struct codeskel *s, struct qeval_ctx *ctx,
    const struct code_item *it, const struct qeval_exchange *ex, size_t nex,
    struct qeval_verdict *out)
{
	struct mbpp *m = (struct mbpp *)s;
	int other = nex >= 3 && ex[2].req.kind == QEVAL_REQ_EXEC;
	int first_ok = ex[1].resp.status == QEVAL_EXEC_PASSED;
	int other_ok = other && ex[2].resp.status == QEVAL_EXEC_PASSED;

	if (s->plus)
		return;
	out->values[M_RESCUABLE] = !m->rescue && other && !first_ok &&
	    other_ok ? 1.0 : 0.0;
	out->values[M_RESCUED] = m->rescue && other && first_ok &&
	    !other_ok ? 1.0 : 0.0;
	if (ex[1].resp.status == QEVAL_EXEC_REFUSED)
		out->values[M_RESCUABLE] = out->values[M_RESCUED] = NAN;
	if (out->values[M_RESCUABLE] == 1.0) {
		qp_buf_adds(&s->reason, "; lm-eval's extraction scores it 0, "
		    "qeval's fence rescue would pass it (rescue=1)");
		if (!m->warned++)
			s->host->log(ctx, QEVAL_LOG_WARN, "%s: lm-eval's code "
			    "extraction (the default) scores this answer 0 "
			    "and qeval's fence rescue would pass it; metric "
			    "'rescuable' counts such answers, --task-opt "
			    "rescue=1 scores them", it->id);
	}
	if (out->values[M_RESCUED] == 1.0)
		qp_buf_adds(&s->reason, "; passed thanks to rescue=1 "
		    "(lm-eval's extraction fails)");
	out->reason = qp_buf_str(&s->reason);
}

static void
mbpp_detail(struct codeskel *s, const struct codeutil_exec *e,
    const struct qeval_exchange *ex, size_t nex, int *first)
{
	const struct mbpp *m = (const struct mbpp *)s;

	codeutil_exec_detail(&s->detail, first, e->plus, ex, nex);
	if (e->plus)
		return;
	codeutil_json_kv(&s->detail, first, "extraction", m->rescue ||
	    (s->variant == R_INSTRUCT && !s->prefill) ? "qeval" : "lm-eval");
	if (nex >= 3 && ex[2].req.kind == QEVAL_REQ_EXEC)
		codeutil_json_kv(&s->detail, first, m->rescue ?
		    "lm_eval_extraction_run" : "rescue_run",
		    codeutil_status_name(ex[2].resp.status));
}

/*
 * A solution that must fail: the reference, then every function of it
 * that the tests call redefined to raise.  When the tests call none of
 * them, the program raises before anything runs.
 */
static void
corrupted(const struct code_item *it, const char *tests, struct qp_buf *g)
{
	const char *p = tests, *s;
	char name[128];
	size_t len;
	int n = 0;

	qp_buf_adds(g, it->solution);
	qp_buf_adds(g, "\n");
	while (*p != '\0') {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    *p == '_')) {
			p++;
			continue;
		}
		s = p;
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_')
			p++;
		len = (size_t)(p - s);
		if (*p != '(' || len >= sizeof(name) || (s > tests &&
		    s[-1] == '.'))
			continue;
		memcpy(name, s, len);
		name[len] = '\0';
		if (codeutil_defines(it->solution, name)) {
			qp_buf_addf(g, "\n\ndef %s%s", name, corrupt_def);
			n++;
		}
	}
	if (n == 0) {
		qp_buf_reset(g);
		qp_buf_adds(g, "raise NotImplementedError('qeval: corrupted "
		    "reference solution')\n");
		qp_buf_adds(g, it->solution);
	}
}

static void
mbpp_gold(struct codeskel *s, const struct code_item *it, int corrupt)
{
	struct qp_buf *g = &s->gold, *c = &s->tmp;

	if (corrupt && s->plus)
		qp_buf_addf(c, "%s\n\ndef %s%s", it->solution, it->entry,
		    corrupt_def);
	else if (corrupt)
		corrupted(it, it->tests, c);
	else
		qp_buf_adds(c, it->solution);
	if (codeskel_uses_chat(s) && !s->prefill) {
		qp_buf_adds(g, "```python\n");
		qp_buf_adds(g, qp_buf_str(c) ? qp_buf_str(c) : "");
		qp_buf_adds(g, "\n```\n");
	} else if (s->prefill) {
		/* a newline first: lm-eval's (?:\w+)? would take a leading
		 * "def" or "import" for a language tag */
		qp_buf_adds(g, "\n");
		qp_buf_adds(g, qp_buf_str(c) ? qp_buf_str(c) : "");
		qp_buf_adds(g, "\n```");
	} else
		qp_buf_adds(g, qp_buf_str(c) ? qp_buf_str(c) : "");
}

const struct code_recipe code_recipe = {
	.name = "mbpp",
	.size = sizeof(struct mbpp),
	.tasks = names,
	.instruct = R_INSTRUCT,
	.plus = R_PLUS,
	.dataset = "mbpp",
	.max_tokens = 256,	/* lm-eval's max_gen_toks */
	.limit_what = "a positive number",
	.options = mbpp_options,
	.record = mbpp_record,
	.loaded = mbpp_loaded,
	.request = mbpp_request,
	.code = mbpp_code,
	.program = mbpp_program,
	.more = mbpp_more,
	.verdict = mbpp_verdict,
	.detail = mbpp_detail,
	.gold = mbpp_gold,
	.fini = mbpp_fini,
};

/* Task options this plugin reads (ABI 1.1; `qeval list tasks -v`). */
static const struct qeval_option options[] = {
	CODE_OPTION_TIMEOUT,
	CODE_OPTIONS_PLUS("mbpp_plus"),
	CODE_OPTION_PREFILL("1", "mbpp_instruct"),
	CODE_OPTION_BASE_ONLY("mbpp_plus"),
	{ "setup_code", QEVAL_OPT_BOOL, "1", "run the task's "
	  "test_setup_code / test_imports", NULL,
	  "mbpp,mbpp_instruct,mbpp_sanitized" },
	{ "rescue", QEVAL_OPT_BOOL, "0", "1: qeval's code extraction "
	  "instead of lm-eval's regex (metrics rescuable/rescued say what "
	  "it changes)", NULL, "mbpp,mbpp_instruct,mbpp_sanitized" },
	{ "file", QEVAL_OPT_STRING, NULL, "another problem file, relative "
	  "to the data dir: every record is evaluated but the few-shot ids",
	  NULL, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL }
};

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.flags = QEVAL_PF_NONE,
	.name = "mbpp",
	.version = PACKAGE_VERSION,
	.summary = "MBPP and MBPP+: lm-eval and evalplus recipes, scored by "
	    "execution",
	.tasks = tasks,
	CODESKEL_CALLBACKS,
	.options = options,
};
