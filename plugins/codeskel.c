/*
 * codeskel: the flow of a code-execution plugin (see codeskel.h).
 */
#include "config.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <qeval/plugin.h>

#include "codeskel.h"
#include "codeutil.h"
#include "qp.h"

#define CODESKEL_MAGIC	0x636f6465u

/* evalplus's max_new_tokens */
#define PLUS_TOKENS	768

static const char plus_text[] = "Please provide a self-contained Python "
	"script that solves the following problem in a markdown code block:"
	"\n```python\n";

const struct qeval_metric_desc code_plus_metrics[] = {
	{ "pass@1", QEVAL_MF_PRIMARY | QEVAL_MF_PASSK },	/* base+extra */
	{ "pass@1,base", QEVAL_MF_PASSK },
	{ NULL, 0 }
};

/* ------------------------------------------------------------------ */
/* Problems                                                           */

void
code_item_free(struct code_item *it)
{
	free(it->id);
	free(it->prompt);
	free(it->text);
	free(it->solution);
	free(it->tests);
	free(it->tests3);
	free(it->setup);
	free(it->entry);
	free(it->atol);
	free(it->base_in);
	free(it->plus_in);
	memset(it, 0, sizeof(*it));
}

int
codeskel_push(struct codeskel *s, struct qeval_ctx *ctx,
    struct code_item *it)
{
	if (s->n == s->alloc) {
		size_t na = s->alloc ? s->alloc * 2 : 256;
		struct code_item *nv = realloc(s->items, na * sizeof(*nv));

		if (nv == NULL)
			return (s->host->fail(ctx, QEVAL_ENOMEM, "%s: out of "
			    "memory", s->r->name));
		s->items = nv;
		s->alloc = na;
	}
	s->items[s->n++] = *it;
	memset(it, 0, sizeof(*it));
	return (QEVAL_OK);
}

int
codeskel_identifier(const char *s)
{
	return (s[0] != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == strlen(s));
}

static char *
raw_field(const char *json, size_t len, const char *key)
{
	size_t off, vlen;

	if (!codeutil_json_span(json, len, key, &off, &vlen))
		return (NULL);
	return (codeutil_strndup(json + off, vlen));
}

int
codeskel_plus_inputs(const char *json, size_t len, struct code_item *it)
{
	it->atol = raw_field(json, len, "atol");
	it->base_in = raw_field(json, len, "base_input");
	it->plus_in = raw_field(json, len, "plus_input");
	/* Mbpp/793 has "plus_input": {}, which evalplus iterates as no
	 * inputs */
	if (it->plus_in != NULL && strcmp(it->plus_in, "{}") == 0) {
		free(it->plus_in);
		it->plus_in = qp_strdup("[]");
	}
	if (it->base_in == NULL || it->plus_in == NULL ||
	    it->base_in[0] != '[' || it->plus_in[0] != '[')
		return (-1);
	if (it->atol == NULL)
		it->atol = qp_strdup("0");
	return (0);
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                          */

static struct codeskel *
state_of(void *state)
{
	struct codeskel *s = state;

	assert(s != NULL && s->magic == CODESKEL_MAGIC);
	return (s);
}

void
codeskel_close(void *state)
{
	struct codeskel *s = state;
	size_t i;

	if (s == NULL)
		return;
	assert(s->magic == CODESKEL_MAGIC);
	if (s->r->fini != NULL)
		s->r->fini(s);
	for (i = 0; i < s->n; i++)
		code_item_free(&s->items[i]);
	free(s->items);
	free(s->file);
	qp_buf_free(&s->body);
	qp_buf_free(&s->prog);
	qp_buf_free(&s->code);
	qp_buf_free(&s->comp);
	qp_buf_free(&s->sol);
	qp_buf_free(&s->ref);
	qp_buf_free(&s->gold);
	qp_buf_free(&s->reason);
	qp_buf_free(&s->detail);
	qp_buf_free(&s->answer);
	qp_buf_free(&s->tmp);
	s->magic = 0;
	free(s);
}

struct load {
	struct codeskel		*s;
	struct qeval_ctx	*ctx;
};

static int
load_record(void *arg, const char *json, size_t len, const char *where)
{
	struct load *l = arg;
	cJSON *doc = codeutil_json_parse(json, len);
	int rc;

	if (doc == NULL)
		return (l->s->host->fail(l->ctx, QEVAL_EDATA, "%s: invalid "
		    "JSON", where));
	rc = l->s->r->record(l->s, l->ctx, doc, json, len, where);
	cJSON_Delete(doc);
	return (rc);
}

int
codeskel_open(const struct qeval_host *h, struct qeval_ctx *ctx,
    const struct qeval_task *task, const struct qeval_opts *opts,
    void **statep)
{
	const struct code_recipe *r = &code_recipe;
	struct codeskel *s;
	struct load l;
	const char *v;
	int rc, k;

	*statep = NULL;
	assert(r->size >= sizeof(*s));
	s = calloc(1, r->size);
	if (s == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "%s: cannot allocate state",
		    r->name));
	s->magic = CODESKEL_MAGIC;
	s->host = h;
	s->r = r;
	for (k = 0; r->tasks[k] != NULL; k++)
		if (strcmp(task->name, r->tasks[k]) == 0)
			s->variant = k;
	s->plus = s->variant == r->plus;
	s->chat = opts->chat;
	rc = codeutil_opt_limits(h, ctx, task->name, r->limit_what, &s->lim);
	if (rc == QEVAL_OK)
		rc = r->options(s, ctx, task, opts);
	if (rc != QEVAL_OK)
		goto fail;
	v = h->opt(ctx, "file");
	s->custom = v != NULL && strcmp(v, task->files[0]) != 0;
	s->file = qp_strdup(v != NULL ? v : task->files[0]);
	if (s->file == NULL) {
		rc = h->fail(ctx, QEVAL_ENOMEM, "%s: out of memory", r->name);
		goto fail;
	}
	memset(&l, 0, sizeof(l));
	l.s = s;
	l.ctx = ctx;
	rc = h->records(ctx, s->file, load_record, &l);
	if (rc != QEVAL_OK)
		goto fail;
	if (r->loaded != NULL)
		rc = r->loaded(s, ctx, task);
	else if (s->n == 0)
		rc = h->fail(ctx, QEVAL_EDATA, "%s holds no records", s->file);
	if (rc != QEVAL_OK)
		goto fail;
	s->count = opts->limit > 0 && opts->limit < s->n ? opts->limit : s->n;
	*statep = s;
	return (QEVAL_OK);
fail:
	codeskel_close(s);
	return (rc < 0 ? rc : QEVAL_EINTERNAL);
}

size_t
codeskel_count(void *state)
{
	return (state_of(state)->count);
}

const char *
codeskel_sample_id(void *state, size_t i)
{
	struct codeskel *s = state_of(state);

	assert(i < s->n);
	return (s->items[i].id);
}

/* ------------------------------------------------------------------ */
/* Requests                                                           */

int
codeskel_uses_chat(const struct codeskel *s)
{
	return (s->variant == s->r->instruct || (s->plus && s->chat));
}

void
codeskel_plus_chat(struct codeskel *s, const struct code_item *it)
{
	int first = 1;

	qp_buf_reset(&s->tmp);
	qp_buf_adds(&s->tmp, plus_text);
	codeutil_add_stripped(&s->tmp, it->prompt);	/* evalplus's strip() */
	qp_buf_adds(&s->tmp, "\n```");
	qp_buf_adds(&s->body, "{\"messages\":[");
	qp_buf_chat_message(&s->body, &first, "user", qp_buf_str(&s->tmp));
	qp_buf_adds(&s->body, "]");
}

static int
model_request(struct codeskel *s, struct qeval_ctx *ctx,
    const struct code_item *it, struct qeval_request *req)
{
	qp_buf_reset(&s->body);
	qp_buf_reset(&s->tmp);
	s->r->request(s, it, req);
	qp_buf_adds(&s->body, "}");
	if (!qp_buf_ok(&s->body) || !qp_buf_ok(&s->tmp))
		return (s->host->fail(ctx, QEVAL_ENOMEM, "%s: out of memory "
		    "building a request", s->r->name));
	req->target = QEVAL_TARGET_MODEL;
	req->body = s->body.buf;
	req->temperature = 0.0;
	req->top_p = 1.0;
	req->max_tokens = s->plus ? PLUS_TOKENS : s->r->max_tokens;
	req->label = "answer";
	return (QEVAL_NEXT);
}

/*
 * The differential program of a plus task (evalplus's): the candidate
 * (prompt + s->comp) against the reference solution on the base or the
 * plus inputs.
 */
static void
plus_program(struct codeskel *s, const struct code_item *it, int plus)
{
	struct codeutil_diff d;

	qp_buf_reset(&s->sol);
	qp_buf_adds(&s->sol, it->prompt);
	qp_buf_adds(&s->sol, qp_buf_str(&s->comp) ? qp_buf_str(&s->comp) :
	    "");
	qp_buf_reset(&s->ref);
	qp_buf_adds(&s->ref, it->prompt);
	qp_buf_adds(&s->ref, it->solution);
	memset(&d, 0, sizeof(d));
	d.dataset = s->r->dataset;
	d.task_num = it->num;
	d.entry = it->entry;
	d.atol = it->atol;
	d.reference = qp_buf_str(&s->ref) ? qp_buf_str(&s->ref) : "";
	d.candidate = qp_buf_str(&s->sol) ? qp_buf_str(&s->sol) : "";
	d.inputs_json = plus ? it->plus_in : it->base_in;
	d.inputs_len = strlen(d.inputs_json);
	d.phase = plus ? "plus" : "base";
	d.factor = s->lim.factor;
	d.min_limit = s->lim.min_limit;
	d.task_limit = s->lim.task_limit;
	qp_buf_reset(&s->prog);
	codeutil_diff_program(&s->prog, &d);
}

int
codeskel_exec(struct codeskel *s, struct qeval_ctx *ctx, double timeout,
    const char *label, struct qeval_request *req)
{
	struct qp_buf *b = &s->body;

	qp_buf_reset(b);
	codeutil_exec_body(b, &s->prog, timeout);
	if (!qp_buf_ok(b) || !qp_buf_ok(&s->prog) || !qp_buf_ok(&s->comp) ||
	    !qp_buf_ok(&s->code) || !qp_buf_ok(&s->sol) ||
	    !qp_buf_ok(&s->ref) || !qp_buf_ok(&s->tmp))
		return (s->host->fail(ctx, QEVAL_ENOMEM, "%s: out of memory "
		    "building a program", s->r->name));
	req->kind = QEVAL_REQ_EXEC;
	req->target = QEVAL_TARGET_MODEL;
	req->body = b->buf;
	req->label = label;
	return (QEVAL_NEXT);
}

int
codeskel_next(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_request *req)
{
	struct codeskel *s = state_of(state);
	const struct code_item *it;
	const char *text;

	(void)cand;
	if (i >= s->n)
		return (s->host->fail(ctx, QEVAL_EINVAL, "%s: no sample %zu",
		    s->r->name, i));
	it = &s->items[i];
	if (nex == 0)
		return (model_request(s, ctx, it, req));
	if (ex[0].req.kind == QEVAL_REQ_EXEC)
		return (s->host->fail(ctx, QEVAL_EINTERNAL, "%s: %s: the first "
		    "exchange is not the model's answer", s->r->name, it->id));
	if ((text = codeutil_text(&ex[0].resp, &s->answer)) == NULL)
		return (s->host->fail(ctx, QEVAL_ENOMEM, "%s: out of memory",
		    s->r->name));
	if (nex == 1) {
		s->r->code(s, it, text);
		if (s->plus) {
			plus_program(s, it, 0);
			return (codeskel_exec(s, ctx,
			    codeutil_plus_timeout(&s->lim), "base", req));
		}
		s->r->program(s, it);
		return (codeskel_exec(s, ctx, s->lim.timeout, "tests", req));
	}
	if (s->plus && nex == 2 && !s->base_only &&
	    ex[1].resp.status == QEVAL_EXEC_PASSED) {
		s->r->code(s, it, text);
		plus_program(s, it, 1);
		return (codeskel_exec(s, ctx, codeutil_plus_timeout(&s->lim),
		    "plus", req));
	}
	if (s->r->more != NULL)
		return (s->r->more(s, ctx, it, text, ex, nex, req));
	return (QEVAL_DONE);
}

/* ------------------------------------------------------------------ */
/* Scoring                                                            */

int
codeskel_score(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_verdict *out)
{
	struct codeskel *s = state_of(state);
	const struct code_item *it;
	struct codeutil_exec e;
	const char *text;
	int first = 1;

	(void)cand;
	if (i >= s->n || nex < 2 || ex[1].req.kind != QEVAL_REQ_EXEC)
		return (s->host->fail(ctx, QEVAL_EINTERNAL, "%s: sample %zu "
		    "scored without its program's execution", s->r->name, i));
	it = &s->items[i];
	if ((text = codeutil_text(&ex[0].resp, &s->answer)) == NULL)
		return (s->host->fail(ctx, QEVAL_ENOMEM, "%s: out of memory",
		    s->r->name));
	memset(&e, 0, sizeof(e));
	e.plus = s->plus;
	e.base_only = s->base_only;
	e.mode = s->r->code(s, it, text);
	e.fixed = s->fixed;
	e.entry = it->entry;
	codeutil_exec_verdict(&e, ex, nex, out, &s->reason);
	if (s->r->verdict != NULL)
		s->r->verdict(s, ctx, it, ex, nex, out);
	if (e.plus) {
		/* the candidate solution: prompt + completion */
		qp_buf_reset(&s->sol);
		qp_buf_adds(&s->sol, it->prompt);
		qp_buf_adds(&s->sol, qp_buf_str(&s->comp) ?
		    qp_buf_str(&s->comp) : "");
		out->extracted = qp_buf_str(&s->sol);
	} else {
		s->r->program(s, it);
		out->extracted = qp_buf_str(&s->prog);
	}
	qp_buf_reset(&s->detail);
	qp_buf_adds(&s->detail, "{");
	s->r->detail(s, &e, ex, nex, &first);
	qp_buf_adds(&s->detail, "}");
	out->detail = qp_buf_str(&s->detail);
	if (!qp_buf_ok(&s->reason) || !qp_buf_ok(&s->detail) ||
	    !qp_buf_ok(&s->prog) || !qp_buf_ok(&s->sol) ||
	    !qp_buf_ok(&s->comp) || !qp_buf_ok(&s->code))
		return (s->host->fail(ctx, QEVAL_ENOMEM, "%s: out of memory "
		    "scoring sample %zu", s->r->name, i));
	return (QEVAL_OK);
}

int
codeskel_gold(void *state, struct qeval_ctx *ctx, size_t i,
    const struct qeval_exchange *ex, size_t nex,
    const struct qeval_request *req, int corrupt, struct qeval_gold *out)
{
	struct codeskel *s = state_of(state);

	(void)ex;
	(void)nex;
	if (i >= s->n)
		return (s->host->fail(ctx, QEVAL_EINVAL, "%s: no sample %zu",
		    s->r->name, i));
	if (req->kind == QEVAL_REQ_EXEC)
		return (s->host->fail(ctx, QEVAL_EINVAL, "%s: gold() does not "
		    "answer program executions", s->r->name));
	qp_buf_reset(&s->gold);
	qp_buf_reset(&s->tmp);
	s->r->gold(s, &s->items[i], corrupt);
	if (!qp_buf_ok(&s->gold) || !qp_buf_ok(&s->tmp))
		return (s->host->fail(ctx, QEVAL_ENOMEM, "%s: out of memory",
		    s->r->name));
	out->text = qp_buf_str(&s->gold);
	return (QEVAL_OK);
}
