/*
 * bfcl: function calling scored like the Berkeley Function Calling
 * Leaderboard (BFCL v4, AST categories).
 *
 * Tasks:
 *   bfcl                    the six AST categories below (or those of
 *                           option categories=), one sample per entry,
 *                           category = the BFCL category
 *   bfcl_simple_python, bfcl_multiple, bfcl_parallel,
 *   bfcl_parallel_multiple, bfcl_irrelevance, bfcl_live_simple
 *   bfcl_multi_turn_base, bfcl_multi_turn_miss_func,
 *   bfcl_multi_turn_miss_param   executable multi-turn tool use, FC
 *                           only: bfcl_mt.c (conversation, scoring) and
 *                           bfcl_mt.py (run by the executor)
 *
 * Modes (task option mode=fc|prompt, default fc):
 *   fc      the functions go out as OpenAI `tools` (BFCL's
 *           convert_to_tool: "." in names becomes "_", types mapped by
 *           GORILLA_TO_OPENAPI, float parameters noted), the message's
 *           tool_calls are decoded ({name: json.loads(arguments)});
 *   prompt  BFCL's default system prompt (format
 *           ret_fmt=python&tool_call_tag=False&func_doc_fmt=json&
 *           prompt_fmt=plaintext&style=classic) with the function list
 *           as json.dumps(indent=4), and the model's "[f(a=1), ...]"
 *           text read by bfcl_ast's Python-literal parser.
 * Both append BFCL's " Note that the provided function is in Python 3
 * syntax." to every description, and sample at temperature 0.001
 * (BFCL's default), top_p 1, max_tokens 2048 (option max_tokens).
 *
 * Scoring: bfcl_ast's checker (ast_checker.py rules and error names);
 * irrelevance succeeds when no call decodes ([] and [{}] count as none);
 * a malformed call there still counts as abstention, as BFCL does, but
 * is flagged ("malformed_call" in detail, gorilla #1362) and counts as
 * invalid in tool_call_validity.
 *
 * Metrics: accuracy (primary), tool_call_validity (share of samples whose
 * output decoded into well-formed calls; irrelevance samples answered in
 * plain text are not counted), truncated.
 */
#include "config.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qeval/plugin.h>

#include "bfcl_ast.h"
#include "bfcl_mt.h"
#include "bfcl_util.h"
#include "qp.h"

#define BFCL_MAGIC	0x6266636cu
#define PY_HINT		" Note that the provided function is in Python 3 " \
    "syntax."
#define FLOAT_HINT	" This is a float type value."

enum mode { MODE_FC, MODE_PROMPT };
enum metric { M_ACC, M_VALID, M_TRUNC };

static const char *const cat_names[CAT_N] = {
	"simple_python", "multiple", "parallel", "parallel_multiple",
	"irrelevance", "live_simple"
};

struct item {
	char		*id;
	enum bfcl_cat	 cat;
	int		 is_mt;		/* a multi-turn entry (bfcl_mt.c) */
	size_t		 mt;		/* its index there */
	struct bv	 messages;	/* question[0]: list of messages */
	struct bv	 funcs;		/* list of function documents */
	struct bv	 answer;	/* ground_truth (NONE: irrelevance) */
	int		 unsatisfiable;	/* an empty acceptable list */
};

struct bfcl {
	unsigned		 magic;
	const struct qeval_host	*host;
	enum mode		 mode;
	int			 max_tokens;
	struct item		*items;
	size_t			 n, alloc;
	struct bfcl_mt		*mt;		/* multi-turn entries, or NULL */
	size_t			 count;
	struct qp_buf		 body;
	struct qp_buf		 gold;
	struct qp_buf		 reason;
	struct qp_buf		 extracted;
	struct qp_buf		 detail;
};

/* ------------------------------------------------------------------ */
/* Task table                                                         */

static const struct qeval_metric_desc metrics[] = {
	{ "accuracy", QEVAL_MF_PRIMARY },
	{ "tool_call_validity", QEVAL_MF_RATE },
	{ "truncated", QEVAL_MF_RATE | QEVAL_MF_LOWER_BETTER },
	{ NULL, 0 }
};

#define QF(c)	"bfcl/BFCL_v4_" c ".json"
#define AF(c)	"bfcl/possible_answer/BFCL_v4_" c ".json"

static const char *const files_all[] = {
	QF("simple_python"), AF("simple_python"), QF("multiple"),
	AF("multiple"), QF("parallel"), AF("parallel"),
	QF("parallel_multiple"), AF("parallel_multiple"), QF("irrelevance"),
	QF("live_simple"), AF("live_simple"), NULL
};
static const char *const files_sp[] = { QF("simple_python"),
	AF("simple_python"), NULL };
static const char *const files_mu[] = { QF("multiple"), AF("multiple"),
	NULL };
static const char *const files_pa[] = { QF("parallel"), AF("parallel"),
	NULL };
static const char *const files_pm[] = { QF("parallel_multiple"),
	AF("parallel_multiple"), NULL };
static const char *const files_ir[] = { QF("irrelevance"), NULL };
static const char *const files_ls[] = { QF("live_simple"),
	AF("live_simple"), NULL };

#define RECIPE	"BFCL v4 AST checker (gorilla bfcl_eval), FC or prompt mode"
#define RECIPE_MT "BFCL v4 multi-turn: executed calls, state and response " \
    "checks (gorilla bfcl_eval), FC mode"

/* The multi-turn environment: documents and the classes' sources. */
#define MT_DOC(f)	"bfcl/multi_turn_func_doc/" f ".json"
#define MT_SRC(f)	"bfcl/multi_turn_env/func_source_code/" f ".py"
#define MT_ENV								\
	MT_DOC("gorilla_file_system"), MT_DOC("math_api"),		\
	MT_DOC("message_api"), MT_DOC("posting_api"),			\
	MT_DOC("ticket_api"), MT_DOC("trading_bot"),			\
	MT_DOC("travel_booking"), MT_DOC("vehicle_control"),		\
	MT_SRC("__init__"), MT_SRC("gorilla_file_system"),		\
	MT_SRC("long_context"), MT_SRC("math_api"),			\
	MT_SRC("message_api"), MT_SRC("posting_api"),			\
	MT_SRC("ticket_api"), MT_SRC("trading_bot"),			\
	MT_SRC("travel_booking"), MT_SRC("vehicle_control")

static const char *const files_mb[] = { QF("multi_turn_base"),
	AF("multi_turn_base"), MT_ENV, NULL };
static const char *const files_mf[] = { QF("multi_turn_miss_func"),
	AF("multi_turn_miss_func"), MT_ENV, NULL };
static const char *const files_mp[] = { QF("multi_turn_miss_param"),
	AF("multi_turn_miss_param"), MT_ENV, NULL };

static const struct qeval_task tasks[] = {
	{ "bfcl", "BFCL", "Function Calling", RECIPE, files_all, metrics,
	  QEVAL_TF_CHAT_ONLY | QEVAL_TF_EXEC_OPT },
	{ "bfcl_simple_python", "BFCL simple_python", "Function Calling",
	  RECIPE, files_sp, metrics, QEVAL_TF_CHAT_ONLY },
	{ "bfcl_multiple", "BFCL multiple", "Function Calling", RECIPE,
	  files_mu, metrics, QEVAL_TF_CHAT_ONLY },
	{ "bfcl_parallel", "BFCL parallel", "Function Calling", RECIPE,
	  files_pa, metrics, QEVAL_TF_CHAT_ONLY },
	{ "bfcl_parallel_multiple", "BFCL parallel_multiple",
	  "Function Calling", RECIPE, files_pm, metrics, QEVAL_TF_CHAT_ONLY },
	{ "bfcl_irrelevance", "BFCL irrelevance", "Function Calling", RECIPE,
	  files_ir, metrics, QEVAL_TF_CHAT_ONLY },
	{ "bfcl_live_simple", "BFCL live_simple", "Function Calling", RECIPE,
	  files_ls, metrics, QEVAL_TF_CHAT_ONLY },
	{ "bfcl_multi_turn_base", "BFCL multi_turn_base", "Tool Use",
	  RECIPE_MT, files_mb, metrics, QEVAL_TF_CHAT_ONLY | QEVAL_TF_EXEC },
	{ "bfcl_multi_turn_miss_func", "BFCL multi_turn_miss_func",
	  "Tool Use", RECIPE_MT, files_mf, metrics,
	  QEVAL_TF_CHAT_ONLY | QEVAL_TF_EXEC },
	{ "bfcl_multi_turn_miss_param", "BFCL multi_turn_miss_param",
	  "Tool Use", RECIPE_MT, files_mp, metrics,
	  QEVAL_TF_CHAT_ONLY | QEVAL_TF_EXEC },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};

/* ------------------------------------------------------------------ */
/* Small value helpers (copies and dict edits for the tool schemas)   */

static int
bv_copy(struct bv *dst, const struct bv *src)
{
	size_t i, n;

	*dst = *src;
	dst->s = NULL;
	dst->items = NULL;
	if (src->kind == BV_STR) {
		dst->s = malloc(src->len + 1);
		if (dst->s == NULL)
			return (-1);
		memcpy(dst->s, src->s, src->len);
		dst->s[src->len] = '\0';
	}
	n = src->kind == BV_DICT ? src->n * 2 : src->n;
	if (n > 0 && src->items != NULL) {
		dst->items = calloc(n, sizeof(*dst->items));
		if (dst->items == NULL) {
			dst->n = 0;
			return (-1);
		}
		for (i = 0; i < n; i++)
			if (bv_copy(&dst->items[i], &src->items[i]) < 0) {
				bv_free(dst);
				return (-1);
			}
	}
	return (0);
}

static int
bv_set_str(struct bv *v, const char *s, size_t len)
{
	char *c = malloc(len + 1);

	if (c == NULL)
		return (-1);
	memcpy(c, s, len);
	c[len] = '\0';
	bv_free(v);
	v->kind = BV_STR;
	v->s = c;
	v->len = len;
	return (0);
}

/* d[key] = str, in place if key exists, else appended (Python). */
static int
dict_set_str(struct bv *d, const char *key, const char *val)
{
	struct bv *nv;
	size_t i;

	for (i = 0; i < d->n; i++)
		if (bv_is_str(&d->items[2 * i], key))
			return (bv_set_str(&d->items[2 * i + 1], val,
			    strlen(val)));
	nv = realloc(d->items, (d->n + 1) * 2 * sizeof(*nv));
	if (nv == NULL)
		return (-1);
	d->items = nv;
	memset(&nv[2 * d->n], 0, 2 * sizeof(*nv));
	if (bv_set_str(&nv[2 * d->n], key, strlen(key)) < 0)
		return (-1);
	d->n++;
	if (bv_set_str(&nv[2 * d->n - 1], val, strlen(val)) < 0)
		return (-1);
	return (0);
}

static struct bv *
dict_at(struct bv *d, const char *key)
{
	return ((struct bv *)bv_get(d, key));
}

/* s + suffix as the new value of the str v. */
static int
str_append(struct bv *v, const char *suffix)
{
	size_t n = strlen(suffix);
	char *c;

	if (v->kind != BV_STR)
		return (0);
	c = realloc(v->s, v->len + n + 1);
	if (c == NULL)
		return (-1);
	memcpy(c + v->len, suffix, n + 1);
	v->s = c;
	v->len += n;
	return (0);
}

/* GORILLA_TO_OPENAPI */
static const char *
openapi_type(const char *t)
{
	static const char *const map[][2] = {
		{ "integer", "integer" }, { "number", "number" },
		{ "float", "number" }, { "string", "string" },
		{ "boolean", "boolean" }, { "bool", "boolean" },
		{ "array", "array" }, { "list", "array" },
		{ "dict", "object" }, { "object", "object" },
		{ "tuple", "array" }, { "any", "string" },
		{ "byte", "integer" }, { "short", "integer" },
		{ "long", "integer" }, { "double", "number" },
		{ "char", "string" }, { "ArrayList", "array" },
		{ "Array", "array" }, { "HashMap", "object" },
		{ "Hashtable", "object" }, { "Queue", "array" },
		{ "Stack", "array" }, { "Any", "string" },
		{ "String", "string" }, { "Bigint", "integer" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i][0], t) == 0)
			return (map[i][1]);
	return ("string");
}

static int map_type_field(struct bv *d);

/* BFCL's _cast_to_openai_type over a properties dict. */
static int
cast_properties(struct bv *props)
{
	size_t i;

	if (props == NULL || props->kind != BV_DICT)
		return (0);
	for (i = 0; i < props->n; i++) {
		struct bv *p = &props->items[2 * i + 1];
		struct bv *t, *sub, *items;

		if (p->kind != BV_DICT)
			continue;
		t = dict_at(p, "type");
		if (t == NULL || t->kind != BV_STR) {
			if (dict_set_str(p, "type", "string") < 0)
				return (-1);
		} else {
			if (strcmp(t->s, "float") == 0) {
				struct bv *d;

				if (dict_set_str(p, "format", "float") < 0)
					return (-1);
				d = dict_at(p, "description");
				if (d != NULL && str_append(d, FLOAT_HINT) < 0)
					return (-1);
			}
			if (map_type_field(p) < 0)
				return (-1);
		}
		t = dict_at(p, "type");
		if (!bv_is_str(t, "array") && !bv_is_str(t, "object"))
			continue;
		if ((sub = dict_at(p, "properties")) != NULL) {
			if (cast_properties(sub) < 0)
				return (-1);
		} else if ((items = dict_at(p, "items")) != NULL &&
		    items->kind == BV_DICT) {
			if (map_type_field(items) < 0)
				return (-1);
			t = dict_at(items, "type");
			if (bv_is_str(t, "array") &&
			    (sub = dict_at(items, "items")) != NULL &&
			    sub->kind == BV_DICT) {
				if (map_type_field(sub) < 0)
					return (-1);
			} else if (bv_is_str(t, "object") &&
			    (sub = dict_at(items, "properties")) != NULL) {
				if (cast_properties(sub) < 0)
					return (-1);
			}
		}
	}
	return (0);
}

static int
map_type_field(struct bv *d)
{
	struct bv *t = dict_at(d, "type");

	if (t == NULL || t->kind != BV_STR)
		return (0);
	return (dict_set_str(d, "type", openapi_type(t->s)));
}

/*
 * A function document as the model sees it: the Python hint on the
 * description, and for FC the OpenAI conversion.
 */
int
bfcl_tool_doc(const struct bv *src, int fc, int hint, struct bv *out)
{
	struct bv *d, *params, *nm;
	size_t i;

	if (bv_copy(out, src) < 0)
		return (-1);
	d = dict_at(out, "description");
	if (hint && d != NULL && str_append(d, PY_HINT) < 0)
		goto fail;
	if (!fc)
		return (0);
	nm = dict_at(out, "name");
	if (nm != NULL && nm->kind == BV_STR)
		for (i = 0; i < nm->len; i++)
			if (nm->s[i] == '.')
				nm->s[i] = '_';
	params = dict_at(out, "parameters");
	if (params != NULL && params->kind == BV_DICT) {
		if (dict_set_str(params, "type", "object") < 0 ||
		    cast_properties(dict_at(params, "properties")) < 0)
			goto fail;
	}
	return (0);
fail:
	bv_free(out);
	return (-1);
}

static int
prepare_function(const struct bv *src, int fc, struct bv *out)
{
	return (bfcl_tool_doc(src, fc, 1, out));
}

/* ------------------------------------------------------------------ */
/* Dataset                                                            */

static void
item_free(struct item *it)
{
	free(it->id);
	bv_free(&it->messages);
	bv_free(&it->funcs);
	bv_free(&it->answer);
}

static void
bfcl_close(void *state)
{
	struct bfcl *b = state;
	size_t i;

	if (b == NULL)
		return;
	assert(b->magic == BFCL_MAGIC);
	for (i = 0; i < b->n; i++)
		item_free(&b->items[i]);
	free(b->items);
	bfcl_mt_free(b->mt);
	qp_buf_free(&b->body);
	qp_buf_free(&b->gold);
	qp_buf_free(&b->reason);
	qp_buf_free(&b->extracted);
	qp_buf_free(&b->detail);
	b->magic = 0;
	free(b);
}

/* Checks one function document; returns NULL or what is wrong. */
static const char *
check_function(const struct bv *f, struct qp_buf *why)
{
	const struct bv *params, *props;
	size_t i;

	if (f->kind != BV_DICT || bfcl_vstr(bv_get(f, "name")) == NULL)
		return ("a function has no string 'name'");
	params = bv_get(f, "parameters");
	props = bv_get(params, "properties");
	if (params == NULL || params->kind != BV_DICT || props == NULL ||
	    props->kind != BV_DICT)
		return ("a function has no 'parameters.properties' object");
	for (i = 0; i < props->n; i++) {
		const char *t = bfcl_vstr(bv_get(&props->items[2 * i + 1],
		    "type"));

		if (t == NULL || !bfcl_type_known(t)) {
			qp_buf_reset(why);
			qp_buf_addf(why, "parameter '%s' of '%s' has type "
			    "'%s', which BFCL's checker does not know",
			    bfcl_vstr(&props->items[2 * i]) ?
			    bfcl_vstr(&props->items[2 * i]) : "?",
			    bfcl_vstr(bv_get(f, "name")), t ? t : "(none)");
			return (qp_buf_str(why));
		}
	}
	return (NULL);
}

static const struct bv *
find_func(const struct bv *funcs, const char *name)
{
	size_t i;

	for (i = 0; i < funcs->n; i++)
		if (bv_is_str(bv_get(&funcs->items[i], "name"), name))
			return (&funcs->items[i]);
	return (NULL);
}

static const char *
check_answer(const struct item *it, const struct bv *gt)
{
	size_t i, k;

	if (gt->kind != BV_LIST || gt->n == 0)
		return ("'ground_truth' is not a non-empty list");
	for (i = 0; i < gt->n; i++) {
		const struct bv *c = &gt->items[i];

		if (c->kind != BV_DICT || c->n != 1 ||
		    c->items[0].kind != BV_STR || c->items[1].kind != BV_DICT)
			return ("a ground_truth entry is not {name: {param: "
			    "[values]}}");
		if ((it->cat != CAT_SIMPLE_PYTHON &&
		    it->cat != CAT_LIVE_SIMPLE) &&
		    find_func(&it->funcs, c->items[0].s) == NULL)
			return ("a ground_truth function is not in the "
			    "function list");
		for (k = 0; k < c->items[1].n; k++)
			if (c->items[1].items[2 * k + 1].kind != BV_LIST)
				return ("a ground_truth parameter has no list "
				    "of acceptable values");
	}
	return (NULL);
}

/* A parameter with an empty acceptable list fails every answer. */
static int
unsatisfiable(const struct bv *gt)
{
	size_t i, k;

	for (i = 0; i < gt->n; i++) {
		const struct bv *params = &gt->items[i].items[1];

		for (k = 0; k < params->n; k++)
			if (params->items[2 * k + 1].n == 0)
				return (1);
	}
	return (0);
}

static int
grow_items(struct bfcl *b, struct qeval_ctx *ctx)
{
	if (b->n == b->alloc) {
		size_t na = b->alloc ? b->alloc * 2 : 256;
		struct item *nv = realloc(b->items, na * sizeof(*nv));

		if (nv == NULL)
			return (b->host->fail(ctx, QEVAL_ENOMEM, "bfcl: out of "
			    "memory"));
		b->items = nv;
		b->alloc = na;
	}
	return (QEVAL_OK);
}

static int
load_category(struct bfcl *b, struct qeval_ctx *ctx, const char *dir,
    enum bfcl_cat cat)
{
	const struct qeval_host *h = b->host;
	struct qp_buf qf = QP_BUF_INIT, af = QP_BUF_INIT, err = QP_BUF_INIT;
	struct qp_buf why = QP_BUF_INIT;
	struct bfcl_lines ql;
	struct bfcl_truths tr;
	size_t first = b->n, i;
	const char *s, *msg;
	size_t n;
	int rc;

	memset(&ql, 0, sizeof(ql));
	memset(&tr, 0, sizeof(tr));
	qp_buf_addf(&qf, "%s/BFCL_v4_%s.json", dir, cat_names[cat]);
	qp_buf_addf(&af, "%s/possible_answer/BFCL_v4_%s.json", dir,
	    cat_names[cat]);
	if (!qp_buf_ok(&qf) || !qp_buf_ok(&af)) {
		rc = h->fail(ctx, QEVAL_ENOMEM, "bfcl: out of memory");
		goto out;
	}
	rc = h->read_file(ctx, qf.buf, &ql.data, &ql.len);
	if (rc != QEVAL_OK)
		goto out;
	if (cat != CAT_IRRELEVANCE) {
		rc = bfcl_truths_read(&tr, h, ctx, af.buf, ": is this a "
		    "BFCL possible_answer file?");
		if (rc != QEVAL_OK)
			goto out;
	}
	while (bfcl_next_line(&ql, &s, &n)) {
		struct bv rec, *q, *fn;
		struct item *it;
		const char *id;

		if (bv_json_parse(s, n, &rec, &err) < 0) {
			rc = h->fail(ctx, QEVAL_EDATA, "%s:%zu: invalid JSON "
			    "(%s): check the file against its manifest", qf.buf,
			    ql.lineno, qp_buf_str(&err));
			goto out;
		}
		id = bfcl_vstr(bv_get(&rec, "id"));
		q = (struct bv *)bv_get(&rec, "question");
		fn = (struct bv *)bv_get(&rec, "function");
		if (id == NULL || q == NULL || q->kind != BV_LIST || q->n < 1 ||
		    q->items[0].kind != BV_LIST || fn == NULL ||
		    fn->kind != BV_LIST || fn->n == 0) {
			bv_free(&rec);
			rc = h->fail(ctx, QEVAL_EDATA, "%s:%zu: the record "
			    "needs 'id', 'question' (a list of turns of "
			    "messages) and a non-empty 'function' list",
			    qf.buf, ql.lineno);
			goto out;
		}
		for (i = 0; i < q->items[0].n; i++) {
			const struct bv *m = &q->items[0].items[i];

			if (bfcl_vstr(bv_get(m, "role")) == NULL ||
			    bfcl_vstr(bv_get(m, "content")) == NULL) {
				bv_free(&rec);
				rc = h->fail(ctx, QEVAL_EDATA, "%s:%zu: field "
				    "'question[0][%zu]' needs string 'role' "
				    "and 'content'", qf.buf, ql.lineno, i);
				goto out;
			}
		}
		for (i = 0; i < fn->n; i++)
			if ((msg = check_function(&fn->items[i], &why)) !=
			    NULL) {
				bv_free(&rec);
				rc = h->fail(ctx, QEVAL_EDATA, "%s:%zu: field "
				    "'function[%zu]': %s; fix the file or use "
				    "the official one", qf.buf, ql.lineno, i,
				    msg);
				goto out;
			}
		if ((rc = grow_items(b, ctx)) != QEVAL_OK) {
			bv_free(&rec);
			goto out;
		}
		it = &b->items[b->n];
		memset(it, 0, sizeof(*it));
		it->cat = cat;
		it->id = qp_strdup(id);
		it->messages = q->items[0];
		memset(&q->items[0], 0, sizeof(q->items[0]));
		it->funcs = *fn;
		memset(fn, 0, sizeof(*fn));
		bv_free(&rec);
		b->n++;
		if (it->id == NULL) {
			rc = h->fail(ctx, QEVAL_ENOMEM, "bfcl: out of memory");
			goto out;
		}
		if (cat == CAT_IRRELEVANCE)
			continue;
		/* The answer files keep the question order; search if not. */
		i = bfcl_truths_find(&tr, b->n - 1 - first, it->id);
		if (i >= tr.n || tr.gt[i].kind == BV_NONE) {
			rc = h->fail(ctx, QEVAL_EDATA, "%s: no ground truth "
			    "for '%s' (%s:%zu): the two files must come from "
			    "the same BFCL version", af.buf, it->id, qf.buf,
			    ql.lineno);
			goto out;
		}
		it->answer = tr.gt[i];
		memset(&tr.gt[i], 0, sizeof(tr.gt[i]));
		if ((msg = check_answer(it, &it->answer)) != NULL) {
			rc = h->fail(ctx, QEVAL_EDATA, "%s:%s: %s", af.buf,
			    it->id, msg);
			goto out;
		}
		it->unsatisfiable = unsatisfiable(&it->answer);
		if (it->unsatisfiable)
			h->log(ctx, QEVAL_LOG_INFO, "%s: the ground truth of "
			    "%s gives a parameter no acceptable value: no "
			    "answer can pass it (BFCL data erratum)", af.buf,
			    it->id);
	}
	if (b->n == first) {
		rc = h->fail(ctx, QEVAL_EDATA, "%s holds no records", qf.buf);
		goto out;
	}
	rc = QEVAL_OK;
out:
	bfcl_truths_free(&tr);
	if (ql.data != NULL)
		h->free(ql.data);
	qp_buf_free(&qf);
	qp_buf_free(&af);
	qp_buf_free(&err);
	qp_buf_free(&why);
	return (rc);
}

/*
 * The categories a task reads: its own, or for `bfcl` the option
 * categories= (comma-separated names, or "all"), by default the six
 * AST ones.
 */
static int
pick_categories(struct bfcl *b, struct qeval_ctx *ctx,
    const struct qeval_task *task, int *want)
{
	const char *v = b->host->opt(ctx, "categories"), *p;
	int c, any = 0;

	for (c = 0; c < CAT_N + MT_NCAT; c++) {
		const char *nm = c < CAT_N ? cat_names[c] :
		    bfcl_mt_cats[c - CAT_N];

		want[c] = strcmp(task->name, "bfcl") == 0 ? c < CAT_N :
		    strcmp(task->name + 5, nm) == 0;
	}
	if (v == NULL || strcmp(task->name, "bfcl") != 0)
		return (QEVAL_OK);
	for (c = 0; c < CAT_N + MT_NCAT; c++)
		want[c] = strcmp(v, "all") == 0;
	if (strcmp(v, "all") == 0)
		return (QEVAL_OK);
	for (p = v; *p != '\0';) {
		size_t n = strcspn(p, ",");
		int found = 0;

		for (c = 0; c < CAT_N + MT_NCAT; c++) {
			const char *nm = c < CAT_N ? cat_names[c] :
			    bfcl_mt_cats[c - CAT_N];

			if (n > 0 && strlen(nm) == n &&
			    strncmp(nm, p, n) == 0) {
				want[c] = found = any = 1;
				break;
			}
		}
		if (!found)
			return (b->host->fail(ctx, QEVAL_EINVAL, "bfcl: option "
			    "categories=%s: '%.*s' is not a category; use "
			    "names among simple_python, multiple, parallel, "
			    "parallel_multiple, irrelevance, live_simple, "
			    "multi_turn_base, multi_turn_miss_func, "
			    "multi_turn_miss_param, or all", v, (int)n, p));
		p += n;
		if (*p == ',')
			p++;
	}
	if (!any)
		return (b->host->fail(ctx, QEVAL_EINVAL, "bfcl: option "
		    "categories= names no category"));
	return (QEVAL_OK);
}

/* The multi-turn entries of one category, as items. */
static int
load_mt(struct bfcl *b, struct qeval_ctx *ctx, const char *dir, int cat)
{
	const struct qeval_host *h = b->host;
	size_t k, first;
	int rc;

	if (b->mode != MODE_FC)
		return (h->fail(ctx, QEVAL_EINVAL, "bfcl: the multi-turn "
		    "categories run in FC mode only (the tools in the "
		    "request); drop mode=prompt"));
	if (b->mt == NULL && (b->mt = bfcl_mt_new(h, b->max_tokens)) == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "bfcl: out of memory"));
	first = bfcl_mt_count(b->mt);
	if ((rc = bfcl_mt_load(b->mt, ctx, dir, cat)) != QEVAL_OK)
		return (rc);
	for (k = first; k < bfcl_mt_count(b->mt); k++) {
		struct item *it;

		if ((rc = grow_items(b, ctx)) != QEVAL_OK)
			return (rc);
		it = &b->items[b->n];
		memset(it, 0, sizeof(*it));
		it->cat = CAT_N;
		it->is_mt = 1;
		it->mt = k;
		it->id = qp_strdup(bfcl_mt_entry_id(bfcl_mt_entry(b->mt, k)));
		if (it->id == NULL)
			return (h->fail(ctx, QEVAL_ENOMEM, "bfcl: out of "
			    "memory"));
		b->n++;
	}
	return (QEVAL_OK);
}

static int
bfcl_open(const struct qeval_host *h, struct qeval_ctx *ctx,
    const struct qeval_task *task, const struct qeval_opts *opts,
    void **statep)
{
	struct bfcl *b;
	const char *v, *dir;
	int want[CAT_N + MT_NCAT];
	int c, rc;

	*statep = NULL;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "bfcl: cannot allocate "
		    "state"));
	b->magic = BFCL_MAGIC;
	b->host = h;
	b->mode = MODE_FC;
	b->max_tokens = 2048;
	v = h->opt(ctx, "mode");
	if (v != NULL) {
		if (strcmp(v, "fc") == 0)
			b->mode = MODE_FC;
		else if (strcmp(v, "prompt") == 0)
			b->mode = MODE_PROMPT;
		else {
			rc = h->fail(ctx, QEVAL_EINVAL, "%s: option mode=%s: "
			    "use mode=fc (tools) or mode=prompt (BFCL's "
			    "system prompt)", task->name, v);
			goto fail;
		}
	}
	v = h->opt(ctx, "max_tokens");
	if (v != NULL) {
		char *end;
		long t = strtol(v, &end, 10);

		if (*v == '\0' || *end != '\0' || t < 1 || t > 1000000) {
			rc = h->fail(ctx, QEVAL_EINVAL, "%s: option "
			    "max_tokens=%s: give a positive integer",
			    task->name, v);
			goto fail;
		}
		b->max_tokens = (int)t;
	}
	dir = h->opt(ctx, "data_subdir");
	if (dir == NULL)
		dir = "bfcl";
	if ((rc = pick_categories(b, ctx, task, want)) != QEVAL_OK)
		goto fail;
	for (c = 0; c < CAT_N; c++) {
		if (!want[c])
			continue;
		rc = load_category(b, ctx, dir, (enum bfcl_cat)c);
		if (rc != QEVAL_OK)
			goto fail;
	}
	for (c = 0; c < MT_NCAT; c++) {
		if (!want[CAT_N + c])
			continue;
		rc = load_mt(b, ctx, dir, c);
		if (rc != QEVAL_OK)
			goto fail;
	}
	if (b->n == 0) {
		rc = h->fail(ctx, QEVAL_EINVAL, "bfcl: unknown task %s",
		    task->name);
		goto fail;
	}
	b->count = opts->limit > 0 && opts->limit < b->n ? opts->limit : b->n;
	*statep = b;
	return (QEVAL_OK);
fail:
	bfcl_close(b);
	return (rc);
}

static size_t
bfcl_count(void *state)
{
	struct bfcl *b = state;

	assert(b != NULL && b->magic == BFCL_MAGIC);
	return (b->count);
}

static const char *
bfcl_sample_id(void *state, size_t i)
{
	struct bfcl *b = state;

	assert(b != NULL && b->magic == BFCL_MAGIC && i < b->n);
	return (b->items[i].id);
}

/* ------------------------------------------------------------------ */
/* Requests                                                           */

static const char sys_prompt_head[] =
    "You are an expert in composing functions."
    "You are given a question and a set of possible functions. Based on "
    "the question, you will need to make one or more function/tool calls "
    "to achieve the purpose. If none of the functions can be used, point "
    "it out. If the given question lacks the parameters required by the "
    "function, also point it out."
    "\n\n"
    "You should only return the function calls in your response.\n\n"
    "If you decide to invoke any of the function(s), you MUST put it in "
    "the format of [func_name1(params_name1=params_value1, "
    "params_name2=params_value2...), func_name2(params)].  You SHOULD NOT "
    "include any other text in the response."
    "\n\n"
    "At each turn, you should try your best to complete the tasks "
    "requested by the user within the current turn. Continue to output "
    "functions to call until you have fulfilled the user's request to the "
    "best of your ability. Once you have no more functions to call, the "
    "system will consider the current turn complete and proceed to the "
    "next turn or task."
    "\n\n"
    "Here is a list of functions in json format that you can invoke.\n";

/* BFCL's formulate_system_prompt() for the default format. */
static int
system_prompt(const struct item *it, struct qp_buf *out)
{
	struct bv docs;
	size_t i;

	memset(&docs, 0, sizeof(docs));
	docs.kind = BV_LIST;
	docs.items = calloc(it->funcs.n, sizeof(*docs.items));
	if (docs.items == NULL)
		return (-1);
	for (i = 0; i < it->funcs.n; i++) {
		if (prepare_function(&it->funcs.items[i], 0,
		    &docs.items[i]) < 0) {
			docs.n = i;
			bv_free(&docs);
			return (-1);
		}
		docs.n = i + 1;
	}
	qp_buf_adds(out, sys_prompt_head);
	bv_json_indent(out, &docs, 0);
	qp_buf_adds(out, "\n");
	bv_free(&docs);
	return (qp_buf_ok(out) ? 0 : -1);
}

static void
add_message(struct qp_buf *b, int *first, const char *role,
    const char *content, size_t len)
{
	struct bv c;

	if (!*first)
		qp_buf_adds(b, ",");
	*first = 0;
	qp_buf_adds(b, "{\"role\":");
	qp_buf_json_str(b, role);
	qp_buf_adds(b, ",\"content\":");
	memset(&c, 0, sizeof(c));
	c.kind = BV_STR;
	c.s = (char *)content;
	c.len = len;
	bv_json(b, &c);
	qp_buf_adds(b, "}");
}

static int
build_body(struct bfcl *b, const struct item *it)
{
	struct qp_buf *o = &b->body;
	size_t i = 0;
	int first = 1;

	qp_buf_reset(o);
	qp_buf_adds(o, "{\"messages\":[");
	if (b->mode == MODE_PROMPT) {
		struct qp_buf sys = QP_BUF_INIT;
		const struct bv *m0 = &it->messages.items[0];

		if (system_prompt(it, &sys) < 0) {
			qp_buf_free(&sys);
			return (-1);
		}
		if (it->messages.n > 0 && bv_is_str(bv_get(m0, "role"),
		    "system")) {
			const struct bv *c = bv_get(m0, "content");

			qp_buf_adds(&sys, "\n\n");
			qp_buf_add(&sys, c->s, c->len);
			i = 1;
		}
		if (!qp_buf_ok(&sys)) {
			qp_buf_free(&sys);
			return (-1);
		}
		add_message(o, &first, "system", sys.buf, sys.len);
		qp_buf_free(&sys);
	}
	for (; i < it->messages.n; i++) {
		if (!first)
			qp_buf_adds(o, ",");
		first = 0;
		bv_json(o, &it->messages.items[i]);
	}
	qp_buf_adds(o, "]");
	if (b->mode == MODE_FC) {
		qp_buf_adds(o, ",\"tools\":[");
		for (i = 0; i < it->funcs.n; i++) {
			struct bv f;

			if (prepare_function(&it->funcs.items[i], 1, &f) < 0)
				return (-1);
			if (i > 0)
				qp_buf_adds(o, ",");
			qp_buf_adds(o, "{\"type\":\"function\",\"function\":");
			bv_json(o, &f);
			qp_buf_adds(o, "}");
			bv_free(&f);
		}
		qp_buf_adds(o, "]");
	}
	qp_buf_adds(o, "}");
	return (qp_buf_ok(o) ? 0 : -1);
}

static int
bfcl_next(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_request *req)
{
	struct bfcl *b = state;

	assert(b != NULL && b->magic == BFCL_MAGIC);
	(void)cand;
	(void)ex;
	if (i >= b->n)
		return (b->host->fail(ctx, QEVAL_EINVAL, "bfcl: no sample %zu",
		    i));
	if (b->items[i].is_mt)
		return (bfcl_mt_next(b->mt, ctx, bfcl_mt_entry(b->mt,
		    b->items[i].mt), ex, nex, req));
	if (nex > 0)
		return (QEVAL_DONE);
	if (build_body(b, &b->items[i]) < 0)
		return (b->host->fail(ctx, QEVAL_ENOMEM, "bfcl: out of memory "
		    "building the request of %s", b->items[i].id));
	req->kind = QEVAL_REQ_CHAT;
	req->target = QEVAL_TARGET_MODEL;
	req->body = b->body.buf;
	req->temperature = 0.001;	/* BFCL's default */
	req->top_p = 1.0;
	req->max_tokens = b->max_tokens;
	req->label = b->mode == MODE_FC ? "tools" : "prompt";
	return (QEVAL_NEXT);
}

/* ------------------------------------------------------------------ */
/* Scoring                                                            */

/* Decoded calls as Python-call text: "[f(a=1), g(b='x')]". */
static void
calls_text(struct qp_buf *o, const struct bv *dec)
{
	size_t i, k;

	qp_buf_adds(o, "[");
	for (i = 0; i < dec->n; i++) {
		const struct bv *c = &dec->items[i];
		const struct bv *args;

		if (i > 0)
			qp_buf_adds(o, ", ");
		if (c->kind != BV_DICT || c->n != 1) {
			bv_py_repr(o, c);
			continue;
		}
		args = &c->items[1];
		if (c->items[0].kind == BV_STR)
			qp_buf_add(o, c->items[0].s, c->items[0].len);
		qp_buf_adds(o, "(");
		for (k = 0; args->kind == BV_DICT && k < args->n; k++) {
			if (k > 0)
				qp_buf_adds(o, ", ");
			if (args->items[2 * k].kind == BV_STR)
				qp_buf_add(o, args->items[2 * k].s,
				    args->items[2 * k].len);
			else
				bv_py_repr(o, &args->items[2 * k]);
			qp_buf_adds(o, "=");
			bv_py_repr(o, &args->items[2 * k + 1]);
		}
		if (args->kind != BV_DICT)
			bv_py_repr(o, args);
		qp_buf_adds(o, ")");
	}
	qp_buf_adds(o, "]");
}

static int
bfcl_score(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_verdict *out)
{
	struct bfcl *b = state;
	const struct item *it;
	struct qp_buf err = QP_BUF_INIT;
	struct bfcl_result res;
	struct bv dec;
	const char *text, *etype = NULL;
	int rc, looks = 0, ok = 0, decoded, formed = 0, malformed = 0;

	assert(b != NULL && b->magic == BFCL_MAGIC);
	(void)cand;
	if (i >= b->n || nex < 1)
		return (b->host->fail(ctx, QEVAL_EINTERNAL, "bfcl: sample %zu "
		    "scored without an answer", i));
	it = &b->items[i];
	if (it->is_mt)
		return (bfcl_mt_score(b->mt, ctx, bfcl_mt_entry(b->mt, it->mt),
		    ex, nex, out));
	res.msg = (struct qp_buf)QP_BUF_INIT;
	text = ex[0].resp.text != NULL ? ex[0].resp.text : "";
	if (b->mode == MODE_FC)
		rc = bfcl_decode_fc(ex[0].resp.tool_calls, &dec, &err, &looks);
	else
		rc = bfcl_decode_prompt(text, QEVAL_RESP_TEXT_LEN(&ex[0].resp),
		    &dec, &err, &looks);
	decoded = rc == 0;
	if (decoded)
		formed = bfcl_format_ok(&dec);
	qp_buf_reset(&b->reason);
	qp_buf_reset(&b->extracted);
	if (decoded)
		calls_text(&b->extracted, &dec);
	bfcl_clip(&b->extracted, 4000);
	out->values[M_TRUNC] = 0.0;
	if (ex[0].resp.finish_reason != NULL &&
	    strcmp(ex[0].resp.finish_reason, "length") == 0) {
		out->flags |= QEVAL_VF_TRUNCATED;
		out->values[M_TRUNC] = 1.0;
	}
	if (it->cat == CAT_IRRELEVANCE) {
		int call = decoded && !bfcl_empty_output(&dec);

		ok = !call;
		if (call) {
			/* eval_runner.py's relevance_file_runner */
			etype = "irrelevance_error:decoder_success";
			qp_buf_addf(&b->reason, "%s: Valid syntax. "
			    "Successfully decode AST when it should not.",
			    etype);
			out->values[M_VALID] = 1.0;
		} else if (!decoded && looks) {
			malformed = 1;
			qp_buf_addf(&b->reason, "abstained, but with a "
			    "malformed call (counted as abstention, as BFCL "
			    "does): %s",
			    qp_buf_str(&err) ? qp_buf_str(&err) : "");
			out->values[M_VALID] = 0.0;
		} else
			qp_buf_adds(&b->reason, "correct: no function called");
	} else if (!decoded) {
		/* ast_file_runner's message; then qeval's decoder error
		 * where BFCL prints Python's exception */
		etype = "ast_decoder:decoder_failed";
		qp_buf_addf(&b->reason, "%s: Invalid syntax. Failed to decode "
		    "AST. %s", etype, qp_buf_str(&err) ? qp_buf_str(&err) :
		    "");
		out->values[M_VALID] = 0.0;
		out->flags |= QEVAL_VF_INVALID;
	} else if (!formed) {
		etype = "ast_decoder:decoder_wrong_output_format";
		qp_buf_addf(&b->reason, "%s: Did not output in the specified "
		    "format. Note: the model_result is wrapped in a string to "
		    "ensure json serializability.", etype);
		out->values[M_VALID] = 0.0;
		out->flags |= QEVAL_VF_INVALID;
	} else {
		out->values[M_VALID] = dec.n > 0 ? 1.0 : 0.0;
		/* no call at all (FC text answer, or "[]"): the checker
		 * says wrong_count, and the answer counts as invalid */
		if (dec.n == 0)
			out->flags |= QEVAL_VF_INVALID;
		bfcl_check(&it->funcs, &dec, &it->answer, it->cat,
		    b->mode == MODE_FC, &res);
		ok = res.valid;
		if (ok)
			qp_buf_adds(&b->reason, "correct");
		else {
			etype = res.error_type;
			qp_buf_addf(&b->reason, "%s: %s", etype,
			    qp_buf_str(&res.msg) ? qp_buf_str(&res.msg) : "");
		}
	}
	/* one line; values are never shortened (BFCL's messages) */
	if (b->reason.buf != NULL)
		for (char *p = b->reason.buf; *p != '\0'; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
	out->values[M_ACC] = ok ? 1.0 : 0.0;
	out->reason = qp_buf_str(&b->reason);
	out->extracted = decoded ? qp_buf_str(&b->extracted) : NULL;
	out->category = cat_names[it->cat];
	qp_buf_reset(&b->detail);
	qp_buf_adds(&b->detail, "{\"id\":");
	qp_buf_json_str(&b->detail, it->id);
	qp_buf_adds(&b->detail, ",\"category\":");
	qp_buf_json_str(&b->detail, cat_names[it->cat]);
	qp_buf_adds(&b->detail, b->mode == MODE_FC ? ",\"mode\":\"fc\"" :
	    ",\"mode\":\"prompt\"");
	qp_buf_addf(&b->detail, ",\"valid\":%s", ok ? "true" : "false");
	qp_buf_adds(&b->detail, ",\"error_type\":");
	if (etype != NULL)
		qp_buf_json_str(&b->detail, etype);
	else
		qp_buf_adds(&b->detail, "null");
	qp_buf_addf(&b->detail, ",\"decoded\":%s,\"malformed_call\":%s",
	    decoded ? "true" : "false", malformed ? "true" : "false");
	if (it->unsatisfiable)
		qp_buf_adds(&b->detail, ",\"ground_truth_unsatisfiable\":true");
	if (!decoded) {
		qp_buf_adds(&b->detail, ",\"decoder_error\":");
		qp_buf_json_str(&b->detail, qp_buf_str(&err) ?
		    qp_buf_str(&err) : "");
	}
	qp_buf_adds(&b->detail, "}");
	out->detail = qp_buf_str(&b->detail);
	if (decoded)
		bv_free(&dec);
	qp_buf_free(&err);
	qp_buf_free(&res.msg);
	if (!qp_buf_ok(&b->reason) || !qp_buf_ok(&b->extracted) ||
	    !qp_buf_ok(&b->detail))
		return (b->host->fail(ctx, QEVAL_ENOMEM, "bfcl: out of memory "
		    "scoring %s", it->id));
	return (QEVAL_OK);
}

/* ------------------------------------------------------------------ */
/* Reference model                                                    */

/* The first acceptable value ("" = leave the key out). */
static const struct bv *
first_ok(const struct bv *acc)
{
	if (acc == NULL || acc->kind != BV_LIST || acc->n == 0)
		return (NULL);
	if (acc->items[0].kind == BV_STR && acc->items[0].len == 0)
		return (NULL);
	return (&acc->items[0]);
}

/* The first acceptable value that is not "", or NULL. */
static const struct bv *
first_given(const struct bv *acc)
{
	size_t i;

	for (i = 0; acc != NULL && acc->kind == BV_LIST && i < acc->n; i++)
		if (acc->items[i].kind != BV_STR || acc->items[i].len != 0)
			return (&acc->items[i]);
	return (NULL);
}

static int
has_empty(const struct bv *acc)
{
	size_t i;

	for (i = 0; acc->kind == BV_LIST && i < acc->n; i++)
		if (acc->items[i].kind == BV_STR && acc->items[i].len == 0)
			return (1);
	return (0);
}

static int
is_required(const struct bv *fn, const struct bv *param)
{
	const struct bv *req = bv_get(bv_get(fn, "parameters"), "required");
	size_t i;

	for (i = 0; req != NULL && req->kind == BV_LIST && i < req->n; i++)
		if (bv_py_eq(&req->items[i], param))
			return (1);
	return (0);
}

/* {k: [values]} → {k: first value} for dict-typed parameters. */
static int
gold_dict(const struct bv *src, struct bv *out)
{
	size_t k, n = 0;

	memset(out, 0, sizeof(*out));
	out->kind = BV_DICT;
	if (src->kind != BV_DICT)
		return (bv_copy(out, src));
	out->items = calloc(src->n * 2 + 1, sizeof(*out->items));
	if (out->items == NULL)
		return (-1);
	for (k = 0; k < src->n; k++) {
		const struct bv *v = first_ok(&src->items[2 * k + 1]);

		if (v == NULL)
			continue;
		if (bv_copy(&out->items[2 * n], &src->items[2 * k]) < 0 ||
		    bv_copy(&out->items[2 * n + 1], v) < 0) {
			out->n = n + 1;
			bv_free(out);
			return (-1);
		}
		out->n = ++n;
	}
	return (0);
}

/* The value a perfect model gives for one parameter. */
static int
gold_value(const struct bv *schema, const struct bv *v, struct bv *out)
{
	const char *t = bfcl_vstr(bv_get(schema, "type"));
	const char *it = bfcl_vstr(bv_get(bv_get(schema, "items"), "type"));
	size_t i;

	if (t != NULL && strcmp(t, "dict") == 0 && v->kind == BV_DICT)
		return (gold_dict(v, out));
	if (t != NULL && strcmp(t, "array") == 0 && it != NULL &&
	    strcmp(it, "dict") == 0 && v->kind == BV_LIST) {
		memset(out, 0, sizeof(*out));
		out->kind = BV_LIST;
		out->items = calloc(v->n + 1, sizeof(*out->items));
		if (out->items == NULL)
			return (-1);
		for (i = 0; i < v->n; i++) {
			if (gold_dict(&v->items[i], &out->items[i]) < 0) {
				out->n = i;
				bv_free(out);
				return (-1);
			}
			out->n = i + 1;
		}
		return (0);
	}
	return (bv_copy(out, v));
}

/* Gold calls: list of {name: {param: value}}. */
static int
gold_calls(const struct item *it, struct bv *out)
{
	size_t c, k, n;

	memset(out, 0, sizeof(*out));
	out->kind = BV_LIST;
	out->items = calloc(it->answer.n + 1, sizeof(*out->items));
	if (out->items == NULL)
		return (-1);
	for (c = 0; c < it->answer.n; c++) {
		const struct bv *gt = &it->answer.items[c];
		const struct bv *fn = find_func(&it->funcs, gt->items[0].s);
		const struct bv *props = bv_get(bv_get(fn, "parameters"),
		    "properties");
		const struct bv *params = &gt->items[1];
		struct bv *call = &out->items[c], *args;

		out->n = c + 1;
		call->kind = BV_DICT;
		call->items = calloc(2, sizeof(*call->items));
		if (call->items == NULL)
			goto fail;
		call->n = 1;
		if (bv_copy(&call->items[0], &gt->items[0]) < 0)
			goto fail;
		args = &call->items[1];
		args->kind = BV_DICT;
		args->items = calloc(params->n * 2 + 1, sizeof(*args->items));
		if (args->items == NULL)
			goto fail;
		for (k = 0, n = 0; k < params->n; k++) {
			const struct bv *key = &params->items[2 * k];
			const struct bv *acc = &params->items[2 * k + 1];
			const struct bv *v = first_ok(acc);

			/*
			 * The first acceptable value, but a required
			 * parameter is always given, and one the function
			 * does not document is left out when it may be
			 * (both occur in BFCL v4's ground truth).
			 */
			if (is_required(fn, key))
				v = first_given(acc);
			else if (bv_get(props, key->s) == NULL &&
			    has_empty(acc))
				v = NULL;
			if (v == NULL)
				continue;
			if (bv_copy(&args->items[2 * n],
			    &params->items[2 * k]) < 0 ||
			    gold_value(bv_get(props, params->items[2 * k].s), v,
			    &args->items[2 * n + 1]) < 0) {
				args->n = n + 1;
				goto fail;
			}
			args->n = ++n;
		}
	}
	return (0);
fail:
	bv_free(out);
	return (-1);
}

static void
emit_calls(struct bfcl *b, const struct bv *calls, struct qeval_gold *out)
{
	size_t i, k;

	qp_buf_reset(&b->gold);
	if (b->mode == MODE_PROMPT) {
		calls_text(&b->gold, calls);
		out->text = qp_buf_str(&b->gold);
		return;
	}
	qp_buf_adds(&b->gold, "[");
	for (i = 0; i < calls->n; i++) {
		const struct bv *nm = &calls->items[i].items[0];
		struct qp_buf args = QP_BUF_INIT;

		if (i > 0)
			qp_buf_adds(&b->gold, ",");
		qp_buf_addf(&b->gold, "{\"id\":\"call_%zu\",\"type\":"
		    "\"function\",\"function\":{\"name\":\"", i);
		for (k = 0; k < nm->len; k++)
			qp_buf_add(&b->gold, nm->s[k] == '.' ? "_" : nm->s + k,
			    1);
		qp_buf_adds(&b->gold, "\",\"arguments\":");
		bv_json(&args, &calls->items[i].items[1]);
		qp_buf_json_str(&b->gold, qp_buf_str(&args) ?
		    qp_buf_str(&args) : "{}");
		qp_buf_adds(&b->gold, "}}");
		if (!qp_buf_ok(&args))
			b->gold.oom = 1;
		qp_buf_free(&args);
	}
	qp_buf_adds(&b->gold, "]");
	out->text = "";
	out->tool_calls = qp_buf_str(&b->gold);
}

static int
bfcl_gold(void *state, struct qeval_ctx *ctx, size_t i,
    const struct qeval_exchange *ex, size_t nex,
    const struct qeval_request *req, int corrupt, struct qeval_gold *out)
{
	struct bfcl *b = state;
	const struct item *it;
	struct bv calls;

	assert(b != NULL && b->magic == BFCL_MAGIC);
	(void)ex;
	(void)nex;
	(void)req;
	if (i >= b->n)
		return (b->host->fail(ctx, QEVAL_EINVAL, "bfcl: no sample %zu",
		    i));
	it = &b->items[i];
	if (it->is_mt)
		return (bfcl_mt_gold(b->mt, ctx, bfcl_mt_entry(b->mt, it->mt),
		    i, ex, nex, corrupt, out));
	memset(out, 0, sizeof(*out));
	if (it->cat == CAT_IRRELEVANCE) {
		if (!corrupt) {
			out->text = "None of the provided functions can answer "
			    "this question.";
			return (QEVAL_OK);
		}
		/* A call of the first function: irrelevance fails. */
		memset(&calls, 0, sizeof(calls));
		calls.kind = BV_LIST;
		calls.items = calloc(1, sizeof(*calls.items));
		if (calls.items == NULL)
			goto oom;
		calls.n = 1;
		calls.items[0].kind = BV_DICT;
		calls.items[0].items = calloc(2, sizeof(struct bv));
		if (calls.items[0].items == NULL)
			goto oom_calls;
		calls.items[0].n = 1;
		if (bv_copy(&calls.items[0].items[0],
		    bv_get(&it->funcs.items[0], "name")) < 0)
			goto oom_calls;
		calls.items[0].items[1].kind = BV_DICT;
	} else if (gold_calls(it, &calls) < 0)
		goto oom;
	else if (corrupt) {
		struct bv *c0 = &calls.items[0];

		if (i % 2 == 0) {
			/* a wrong function name */
			if (str_append(&c0->items[0], "_wrong") < 0)
				goto oom_calls;
		} else {
			/* a parameter the function does not have */
			struct bv *args = &c0->items[1];
			struct bv *nv = realloc(args->items, (args->n + 1) * 2 *
			    sizeof(*nv));

			if (nv == NULL)
				goto oom_calls;
			args->items = nv;
			memset(&nv[2 * args->n], 0, 2 * sizeof(*nv));
			if (bv_set_str(&nv[2 * args->n], "qeval_wrong_param",
			    17) < 0)
				goto oom_calls;
			nv[2 * args->n + 1].kind = BV_INT;
			nv[2 * args->n + 1].i = 1;
			args->n++;
		}
	}
	emit_calls(b, &calls, out);
	bv_free(&calls);
	if (!qp_buf_ok(&b->gold))
		goto oom;
	return (QEVAL_OK);
oom_calls:
	bv_free(&calls);
oom:
	return (b->host->fail(ctx, QEVAL_ENOMEM, "bfcl: out of memory"));
}

/* Task options this plugin reads (ABI 1.1; `qeval list tasks -v`). */
static const struct qeval_option options[] = {
	{ "mode", QEVAL_OPT_ENUM, "fc", "fc: tools in the request; prompt: "
	  "BFCL's system prompt", "fc|prompt", NULL },
	{ "max_tokens", QEVAL_OPT_INT, "2048", "most tokens per answer",
	  NULL, NULL },
	{ "data_subdir", QEVAL_OPT_STRING, "bfcl", "the data dir's BFCL "
	  "directory", NULL, NULL },
	{ "categories", QEVAL_OPT_STRING, "the six AST categories",
	  "comma-separated BFCL categories, multi_turn_* included, or all",
	  NULL, "bfcl" },
	{ NULL, 0, NULL, NULL, NULL, NULL }
};

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.flags = QEVAL_PF_NONE,
	.name = "bfcl",
	.version = PACKAGE_VERSION,
	.summary = "Berkeley Function Calling Leaderboard: AST categories "
	    "(FC and prompt modes), multi-turn tool use (FC)",
	.tasks = tasks,
	.open = bfcl_open,
	.count = bfcl_count,
	.sample_id = bfcl_sample_id,
	.next = bfcl_next,
	.score = bfcl_score,
	.gold = bfcl_gold,
	.close = bfcl_close,
	.options = options,
};
