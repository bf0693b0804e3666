/*
 * bfcl_mt: BFCL v4 multi-turn categories, executable tool use (see
 * bfcl_mt.h for the shape of a conversation).
 *
 * What the reference does (gorilla bfcl_eval, base_handler's
 * inference_multi_turn_FC with the OpenAI-style FC handler) and qeval
 * does the same way:
 *   - tools: the documents of involved_classes in that order, each
 *     description with " Note that the provided function is in Python 3
 *     syntax." (added when the dataset is loaded); miss_func's held-out
 *     functions are taken out and added at their turn, without the hint
 *     (they were set aside before it was added), and that turn's user
 *     message is the fixed "I have updated some more functions ...";
 *   - no system prompt; temperature 0.001;
 *   - each answer goes into the history as the assistant message (its
 *     content and tool_calls), each result as {"role": "tool",
 *     "content": result, "tool_call_id": id};
 *   - a turn ends at an answer whose tool calls do not decode or are
 *     none; more than 20 executed steps end the whole entry.
 * The execution and the checker are plugins/bfcl_mt.py, embedded here
 * at build time (bfcl_mt_py.h) and run by the core's executor: the
 * plugin never runs the calls itself.
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
#include "bfcl_mt_py.h"

#define MT_MAGIC	0x626d7475u
#define NCLS		8
#define HELDOUT_TEXT	"I have updated some more functions you can " \
    "choose from. What about now?"
#define MARK		"\x1eQMT "
#define STEP_TIMEOUT	20	/* seconds per executed step */
#define CHECK_TIMEOUT	120	/* seconds for the checker */
#define PKG		"bfcl_eval.eval_checker.multi_turn_eval." \
    "func_source_code"

const char *const bfcl_mt_cats[MT_NCAT] = {
	"multi_turn_base", "multi_turn_miss_func", "multi_turn_miss_param"
};

/* BFCL's MULTI_TURN_FUNC_DOC_FILE_MAPPING and CLASS_FILE_PATH_MAPPING */
static const char *const cls_name[NCLS] = {
	"GorillaFileSystem", "MathAPI", "MessageAPI", "TwitterAPI",
	"TicketAPI", "TradingBot", "TravelAPI", "VehicleControlAPI"
};
static const char *const cls_file[NCLS] = {
	"gorilla_file_system", "math_api", "message_api", "posting_api",
	"ticket_api", "trading_bot", "travel_booking", "vehicle_control"
};
/* The modules the environment imports: the classes and long_context. */
static const char *const env_files[] = {
	"gorilla_file_system", "long_context", "math_api", "message_api",
	"posting_api", "ticket_api", "trading_bot", "travel_booking",
	"vehicle_control", NULL
};

struct mt_entry {
	char		*id;
	int		 cat;
	struct bv	 question;	/* list of turns (lists of messages) */
	int		 cls[NCLS];	/* involved class indices, in order */
	size_t		 ncls;
	struct bv	 missed;	/* {"turn": [names]} or BV_NONE */
	char		*begin;		/* JSON: id, classes, initial_config */
	char		*truth;		/* JSON: ground_truth */
	size_t		 nturns;
	char	       **gold;		/* per turn: tool_calls text or NULL */
	char	       **bad;		/* the same, corrupted */
};

struct bfcl_mt {
	unsigned		 magic;
	const struct qeval_host	*host;
	int			 max_tokens;
	char			*dir;		/* docs loaded from here */
	struct bv		 docs[NCLS];	/* raw documents per class */
	char		       **tool[NCLS];	/* converted, with the hint */
	char		       **plain[NCLS];	/* converted, without it */
	struct mt_entry		*e;
	size_t			 n, alloc;
	struct qp_buf		 body, modules, out, reason, detail, extra;
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */

/* A Python bytes literal of s: b"..." with only printable ASCII. */
static void
py_bytes(struct qp_buf *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	qp_buf_adds(o, "b\"");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[4];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
			qp_buf_add(o, (const char *)&c, 1);
			continue;
		}
		esc[0] = '\\';
		esc[1] = 'x';
		esc[2] = hex[c >> 4];
		esc[3] = hex[c & 15];
		qp_buf_add(o, esc, 4);
	}
	qp_buf_adds(o, "\"");
}

/* The class index of a name, or -1. */
static int
class_index(const char *name)
{
	int c;

	for (c = 0; name != NULL && c < NCLS; c++)
		if (strcmp(cls_name[c], name) == 0)
			return (c);
	return (-1);
}

/* Is `name` one of the entry's held-out functions (any turn)? */
static int
is_missed(const struct mt_entry *e, const char *name)
{
	size_t i, k;

	for (i = 0; e->missed.kind == BV_DICT && i < e->missed.n; i++) {
		const struct bv *l = &e->missed.items[2 * i + 1];

		for (k = 0; l->kind == BV_LIST && k < l->n; k++)
			if (bv_is_str(&l->items[k], name))
				return (1);
	}
	return (0);
}

/* The document of function `name` among the entry's classes. */
static int
find_doc(const struct bfcl_mt *m, const struct mt_entry *e,
    const char *name, int *cls, size_t *k)
{
	size_t i, j;

	for (i = 0; i < e->ncls; i++) {
		const struct bv *d = &m->docs[e->cls[i]];

		for (j = 0; j < d->n; j++)
			if (bv_is_str(bv_get(&d->items[j], "name"), name)) {
				*cls = e->cls[i];
				*k = j;
				return (1);
			}
	}
	return (0);
}

/* ------------------------------------------------------------------ */
/* State                                                              */

struct bfcl_mt *
bfcl_mt_new(const struct qeval_host *h, int max_tokens)
{
	struct bfcl_mt *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return (NULL);
	m->magic = MT_MAGIC;
	m->host = h;
	m->max_tokens = max_tokens;
	return (m);
}

static void
entry_free(struct mt_entry *e)
{
	size_t t;

	free(e->id);
	bv_free(&e->question);
	bv_free(&e->missed);
	free(e->begin);
	free(e->truth);
	for (t = 0; t < e->nturns; t++) {
		if (e->gold != NULL)
			free(e->gold[t]);
		if (e->bad != NULL)
			free(e->bad[t]);
	}
	free(e->gold);
	free(e->bad);
}

void
bfcl_mt_free(struct bfcl_mt *m)
{
	size_t i, k;
	int c;

	if (m == NULL)
		return;
	assert(m->magic == MT_MAGIC);
	for (i = 0; i < m->n; i++)
		entry_free(&m->e[i]);
	free(m->e);
	for (c = 0; c < NCLS; c++) {
		for (k = 0; k < m->docs[c].n; k++) {
			if (m->tool[c] != NULL)
				free(m->tool[c][k]);
			if (m->plain[c] != NULL)
				free(m->plain[c][k]);
		}
		free(m->tool[c]);
		free(m->plain[c]);
		bv_free(&m->docs[c]);
	}
	free(m->dir);
	qp_buf_free(&m->body);
	qp_buf_free(&m->modules);
	qp_buf_free(&m->out);
	qp_buf_free(&m->reason);
	qp_buf_free(&m->detail);
	qp_buf_free(&m->extra);
	m->magic = 0;
	free(m);
}

size_t
bfcl_mt_count(const struct bfcl_mt *m)
{
	return (m->n);
}

const struct mt_entry *
bfcl_mt_entry(const struct bfcl_mt *m, size_t k)
{
	assert(k < m->n);
	return (&m->e[k]);
}

const char *
bfcl_mt_entry_id(const struct mt_entry *e)
{
	return (e->id);
}

const char *
bfcl_mt_entry_cat(const struct mt_entry *e)
{
	return (bfcl_mt_cats[e->cat]);
}

/* ------------------------------------------------------------------ */
/* Loading                                                            */

static char *
tool_text(const struct bv *doc, int hint)
{
	struct qp_buf o = QP_BUF_INIT;
	struct bv f;

	if (bfcl_tool_doc(doc, 1, hint, &f) < 0)
		return (NULL);
	qp_buf_adds(&o, "{\"type\":\"function\",\"function\":");
	bv_json(&o, &f);
	qp_buf_adds(&o, "}");
	bv_free(&f);
	if (!qp_buf_ok(&o)) {
		qp_buf_free(&o);
		return (NULL);
	}
	return (o.buf);
}

static int
load_docs(struct bfcl_mt *m, struct qeval_ctx *ctx, const char *dir)
{
	const struct qeval_host *h = m->host;
	struct qp_buf path = QP_BUF_INIT, err = QP_BUF_INIT;
	int c, rc = QEVAL_OK;

	if (m->dir != NULL)
		return (QEVAL_OK);
	for (c = 0; c < NCLS && rc == QEVAL_OK; c++) {
		struct bfcl_lines l;
		const char *s;
		size_t n;

		memset(&l, 0, sizeof(l));
		qp_buf_reset(&path);
		qp_buf_addf(&path, "%s/multi_turn_func_doc/%s.json", dir,
		    cls_file[c]);
		if (!qp_buf_ok(&path)) {
			rc = h->fail(ctx, QEVAL_ENOMEM, "bfcl: out of memory");
			break;
		}
		rc = h->read_file(ctx, path.buf, &l.data, &l.len);
		if (rc != QEVAL_OK)
			break;
		m->docs[c].kind = BV_LIST;
		while (bfcl_next_line(&l, &s, &n)) {
			struct bv d, *nv;

			memset(&d, 0, sizeof(d));
			if (bv_json_parse(s, n, &d, &err) < 0 ||
			    bfcl_vstr(bv_get(&d, "name")) == NULL ||
			    bfcl_vstr(bv_get(&d, "description")) == NULL ||
			    bv_get(bv_get(&d, "parameters"), "properties") ==
			    NULL) {
				bv_free(&d);
				rc = h->fail(ctx, QEVAL_EDATA, "%s:%zu: not a "
				    "function document (JSON with 'name', "
				    "'description', 'parameters.properties')"
				    "%s%s: check the file against its manifest",
				    path.buf, l.lineno, err.len ? ": " : "",
				    err.len ? qp_buf_str(&err) : "");
				break;
			}
			nv = realloc(m->docs[c].items, (m->docs[c].n + 1) *
			    sizeof(*nv));
			if (nv == NULL) {
				bv_free(&d);
				rc = h->fail(ctx, QEVAL_ENOMEM, "bfcl: out of "
				    "memory");
				break;
			}
			m->docs[c].items = nv;
			nv[m->docs[c].n++] = d;
		}
		h->free(l.data);
		if (rc != QEVAL_OK)
			break;
		m->tool[c] = calloc(m->docs[c].n + 1, sizeof(char *));
		m->plain[c] = calloc(m->docs[c].n + 1, sizeof(char *));
		if (m->tool[c] == NULL || m->plain[c] == NULL) {
			rc = h->fail(ctx, QEVAL_ENOMEM, "bfcl: out of memory");
			break;
		}
		for (n = 0; n < m->docs[c].n; n++) {
			m->tool[c][n] = tool_text(&m->docs[c].items[n], 1);
			m->plain[c][n] = tool_text(&m->docs[c].items[n], 0);
			if (m->tool[c][n] == NULL || m->plain[c][n] == NULL) {
				rc = h->fail(ctx, QEVAL_ENOMEM, "bfcl: out of "
				    "memory");
				break;
			}
		}
	}
	qp_buf_free(&path);
	qp_buf_free(&err);
	if (rc == QEVAL_OK && (m->dir = qp_strdup(dir)) == NULL)
		rc = h->fail(ctx, QEVAL_ENOMEM, "bfcl: out of memory");
	return (rc);
}

/*
 * One ground-truth call string ("sort('final_report.pdf')", "cd(folder=
 * 'x')") as its name and keyword arguments: positional arguments take
 * the names of the document's parameters in order.  The values are read
 * by bfcl_ast's Python-literal parser.
 */
static int
gt_call(const struct bfcl_mt *m, const struct mt_entry *e, const char *s,
    struct qp_buf *name, struct bv *args, struct qp_buf *err)
{
	const char *open = strchr(s, '('), *p, *end;
	const struct bv *props;
	struct qp_buf t = QP_BUF_INIT;
	struct bv dec;
	size_t pos = 0, k;
	int cls, looks, depth = 0;
	char quote = 0;

	memset(args, 0, sizeof(*args));
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\n'))
		end--;
	if (open == NULL || end == s || end[-1] != ')') {
		qp_buf_addf(err, "'%s' is not a call", s);
		return (-1);
	}
	qp_buf_reset(name);
	for (p = s; p < open; p++)
		if (*p != ' ')
			qp_buf_add(name, p, 1);
	if (!qp_buf_ok(name) || name->len == 0 ||
	    !find_doc(m, e, name->buf, &cls, &k)) {
		qp_buf_addf(err, "'%s' calls a function that no involved "
		    "class documents", s);
		return (-1);
	}
	props = bv_get(bv_get(&m->docs[cls].items[k], "parameters"),
	    "properties");
	qp_buf_adds(&t, "f(");
	/* split the arguments at top-level commas */
	for (p = open + 1; p < end - 1;) {
		const char *a = p, *b, *q;

		for (; p < end - 1; p++) {
			if (quote) {
				if (*p == '\\' && p + 1 < end - 1)
					p++;
				else if (*p == quote)
					quote = 0;
				continue;
			}
			if (*p == '\'' || *p == '"')
				quote = *p;
			else if (*p == '(' || *p == '[' || *p == '{')
				depth++;
			else if (*p == ')' || *p == ']' || *p == '}')
				depth--;
			else if (*p == ',' && depth == 0)
				break;
		}
		b = p;
		if (p < end - 1)
			p++;
		while (a < b && (*a == ' ' || *a == '\n'))
			a++;
		if (a == b)
			continue;
		/* keyword: identifier, spaces, '=' not followed by '=' */
		for (q = a; q < b && (*q == '_' || (*q >= 'a' && *q <= 'z') ||
		    (*q >= 'A' && *q <= 'Z') || (q > a && *q >= '0' &&
		    *q <= '9')); q++)
			;
		if (q > a) {
			const char *r = q;

			while (r < b && *r == ' ')
				r++;
			if (r < b && *r == '=' && (r + 1 >= b || r[1] != '=')) {
				qp_buf_add(&t, a, (size_t)(b - a));
				qp_buf_adds(&t, ",");
				continue;
			}
		}
		if (props == NULL || props->kind != BV_DICT ||
		    pos >= props->n || props->items[2 * pos].kind != BV_STR) {
			qp_buf_free(&t);
			qp_buf_addf(err, "'%s': positional argument %zu has no "
			    "parameter in the function's document", s, pos);
			return (-1);
		}
		qp_buf_add(&t, props->items[2 * pos].s,
		    props->items[2 * pos].len);
		qp_buf_adds(&t, "=");
		qp_buf_add(&t, a, (size_t)(b - a));
		qp_buf_adds(&t, ",");
		pos++;
	}
	qp_buf_adds(&t, ")");
	if (!qp_buf_ok(&t)) {
		qp_buf_free(&t);
		qp_buf_adds(err, "out of memory");
		return (-1);
	}
	if (bfcl_decode_prompt(t.buf, t.len, &dec, err, &looks) < 0) {
		qp_buf_free(&t);
		return (-1);
	}
	qp_buf_free(&t);
	if (dec.n != 1 || dec.items[0].kind != BV_DICT ||
	    dec.items[0].n != 1) {
		bv_free(&dec);
		qp_buf_addf(err, "'%s' is not one call", s);
		return (-1);
	}
	*args = dec.items[0].items[1];
	memset(&dec.items[0].items[1], 0, sizeof(struct bv));
	bv_free(&dec);
	return (0);
}

/* One tool call object of a tool_calls array. */
static void
tool_call(struct qp_buf *o, size_t t, size_t k, const char *name,
    const struct bv *args)
{
	struct qp_buf a = QP_BUF_INIT;

	bv_json(&a, args);
	qp_buf_addf(o, "{\"id\":\"gold_%zu_%zu\",\"type\":\"function\","
	    "\"function\":{\"name\":", t, k);
	qp_buf_json_str(o, name);
	qp_buf_adds(o, ",\"arguments\":");
	qp_buf_json_str(o, qp_buf_ok(&a) ? qp_buf_str(&a) : "{}");
	qp_buf_adds(o, "}}");
	if (!qp_buf_ok(&a))
		o->oom = 1;
	qp_buf_free(&a);
}

/* Makes an argument wrong: a string grows a suffix, a number grows. */
static int
spoil(struct bv *args)
{
	size_t i;

	for (i = 0; args->kind == BV_DICT && i < args->n; i++) {
		struct bv *v = &args->items[2 * i + 1];

		if (v->kind == BV_STR) {
			char *s = realloc(v->s, v->len + 13);

			if (s == NULL)
				return (-1);
			memcpy(s + v->len, "_qeval_wrong", 13);
			v->s = s;
			v->len += 12;
			return (1);
		}
		if (v->kind == BV_INT) {
			v->i += 7;
			return (1);
		}
		if (v->kind == BV_FLOAT) {
			v->f += 7.5;
			return (1);
		}
	}
	return (0);
}

/*
 * The reference model's answers: per turn, every ground-truth call as
 * one tool_calls array; and the corrupted answers: in every turn that
 * has calls, even entries skip the last call, odd ones get a wrong
 * argument in it (or skip it when it has no argument to spoil).
 */
static int
build_gold(const struct bfcl_mt *m, struct mt_entry *e, size_t idx,
    const struct bv *truth, struct qp_buf *err)
{
	struct qp_buf name = QP_BUF_INIT, o = QP_BUF_INIT, bad = QP_BUF_INIT;
	size_t t, k;
	int rc = 0;

	e->gold = calloc(e->nturns + 1, sizeof(char *));
	e->bad = calloc(e->nturns + 1, sizeof(char *));
	if (e->gold == NULL || e->bad == NULL) {
		qp_buf_adds(err, "out of memory");
		return (-1);
	}
	for (t = 0; t < e->nturns && rc == 0; t++) {
		const struct bv *calls = &truth->items[t];
		size_t nbad = 0;

		if (calls->n == 0)
			continue;
		qp_buf_reset(&o);
		qp_buf_reset(&bad);
		qp_buf_adds(&o, "[");
		qp_buf_adds(&bad, "[");
		for (k = 0; k < calls->n; k++) {
			struct bv args;
			int sp = 0;

			if (gt_call(m, e, calls->items[k].s, &name, &args,
			    err) < 0) {
				rc = -1;
				break;
			}
			if (k > 0)
				qp_buf_adds(&o, ",");
			tool_call(&o, t, k, name.buf, &args);
			if (k + 1 == calls->n && idx % 2 == 1)
				sp = spoil(&args);
			if (k + 1 < calls->n || sp == 1) {
				if (nbad++ > 0)
					qp_buf_adds(&bad, ",");
				tool_call(&bad, t, k, name.buf, &args);
			}
			bv_free(&args);
			if (sp < 0) {
				rc = -1;
				qp_buf_adds(err, "out of memory");
				break;
			}
		}
		qp_buf_adds(&o, "]");
		qp_buf_adds(&bad, "]");
		if (!qp_buf_ok(&o) || !qp_buf_ok(&bad)) {
			qp_buf_adds(err, "out of memory");
			rc = -1;
		} else if (rc == 0) {
			e->gold[t] = o.buf;
			o = (struct qp_buf)QP_BUF_INIT;
			/* no call left: the corrupted answer is text */
			if (nbad > 0) {
				e->bad[t] = bad.buf;
				bad = (struct qp_buf)QP_BUF_INIT;
			}
		}
	}
	qp_buf_free(&name);
	qp_buf_free(&o);
	qp_buf_free(&bad);
	return (rc);
}

static int
check_entry(const struct bfcl_mt *m, struct mt_entry *e,
    const struct bv *rec, const struct bv *truth, struct qp_buf *why)
{
	const struct bv *cl = bv_get(rec, "involved_classes");
	size_t i, k;

	if (e->question.kind != BV_LIST || e->question.n == 0)
		return (qp_buf_adds(why, "'question' is not a non-empty list "
		    "of turns"), -1);
	for (i = 0; i < e->question.n; i++) {
		const struct bv *turn = &e->question.items[i];

		if (turn->kind != BV_LIST)
			return (qp_buf_addf(why, "'question[%zu]' is not a "
			    "list of messages", i), -1);
		for (k = 0; k < turn->n; k++)
			if (bfcl_vstr(bv_get(&turn->items[k], "role")) ==
			    NULL || bfcl_vstr(bv_get(&turn->items[k],
			    "content")) == NULL)
				return (qp_buf_addf(why, "'question[%zu][%zu]' "
				    "needs string 'role' and 'content'", i, k),
				    -1);
	}
	if (cl == NULL || cl->kind != BV_LIST || cl->n == 0 || cl->n > NCLS)
		return (qp_buf_adds(why, "'involved_classes' is not a list of "
		    "class names"), -1);
	for (i = 0; i < cl->n; i++) {
		int c = class_index(bfcl_vstr(&cl->items[i]));

		if (c < 0)
			return (qp_buf_addf(why, "involved class '%s' is not "
			    "one of BFCL's eight", bfcl_vstr(&cl->items[i]) ?
			    bfcl_vstr(&cl->items[i]) : "?"), -1);
		e->cls[e->ncls++] = c;
	}
	if (e->missed.kind != BV_NONE) {
		if (e->missed.kind != BV_DICT)
			return (qp_buf_adds(why, "'missed_function' is not an "
			    "object"), -1);
		for (i = 0; i < e->missed.n; i++) {
			const struct bv *l = &e->missed.items[2 * i + 1];
			const char *key = bfcl_vstr(&e->missed.items[2 * i]);
			char *end = NULL;
			long t = key ? strtol(key, &end, 10) : -1;
			size_t j;
			int c;

			if (key == NULL || *key == '\0' || *end != '\0' ||
			    t < 0 || (size_t)t >= e->question.n ||
			    l->kind != BV_LIST)
				return (qp_buf_adds(why, "'missed_function' "
				    "needs turn numbers as keys and lists of "
				    "names"), -1);
			if (e->question.items[t].n != 0)
				return (qp_buf_addf(why, "held-out turn %ld "
				    "has a user message", t), -1);
			for (k = 0; k < l->n; k++)
				if (!find_doc(m, e, bfcl_vstr(&l->items[k]) ?
				    bfcl_vstr(&l->items[k]) : "", &c, &j))
					return (qp_buf_addf(why, "held-out "
					    "function '%s' is not documented",
					    bfcl_vstr(&l->items[k]) ?
					    bfcl_vstr(&l->items[k]) : "?"), -1);
		}
	}
	if (truth->kind != BV_LIST || truth->n != e->question.n)
		return (qp_buf_addf(why, "the ground truth has %zu turns, the "
		    "question %zu", truth->kind == BV_LIST ? truth->n : 0,
		    e->question.n), -1);
	for (i = 0; i < truth->n; i++) {
		const struct bv *l = &truth->items[i];

		if (l->kind != BV_LIST)
			return (qp_buf_adds(why, "a ground-truth turn is not a "
			    "list of call strings"), -1);
		for (k = 0; k < l->n; k++)
			if (l->items[k].kind != BV_STR)
				return (qp_buf_adds(why, "a ground-truth call "
				    "is not a string"), -1);
	}
	return (0);
}

static int
set_begin(struct mt_entry *e, const struct bv *rec)
{
	struct qp_buf o = QP_BUF_INIT;
	const struct bv *cfg = bv_get(rec, "initial_config");

	qp_buf_adds(&o, "{\"id\":");
	qp_buf_json_str(&o, e->id);
	qp_buf_adds(&o, ",\"involved_classes\":");
	bv_json(&o, bv_get(rec, "involved_classes"));
	qp_buf_adds(&o, ",\"initial_config\":");
	if (cfg != NULL && cfg->kind == BV_DICT)
		bv_json(&o, cfg);
	else
		qp_buf_adds(&o, "{}");
	qp_buf_adds(&o, "}");
	if (!qp_buf_ok(&o)) {
		qp_buf_free(&o);
		return (-1);
	}
	e->begin = o.buf;
	return (0);
}

int
bfcl_mt_load(struct bfcl_mt *m, struct qeval_ctx *ctx, const char *dir,
    int cat)
{
	const struct qeval_host *h = m->host;
	struct qp_buf qf = QP_BUF_INIT, af = QP_BUF_INIT, err = QP_BUF_INIT;
	struct qp_buf why = QP_BUF_INIT;
	struct bfcl_lines ql;
	struct bfcl_truths tr;
	size_t first = m->n;
	const char *s;
	size_t n;
	int rc;

	memset(&ql, 0, sizeof(ql));
	memset(&tr, 0, sizeof(tr));
	if ((rc = load_docs(m, ctx, dir)) != QEVAL_OK)
		return (rc);
	qp_buf_addf(&qf, "%s/BFCL_v4_%s.json", dir, bfcl_mt_cats[cat]);
	qp_buf_addf(&af, "%s/possible_answer/BFCL_v4_%s.json", dir,
	    bfcl_mt_cats[cat]);
	if (!qp_buf_ok(&qf) || !qp_buf_ok(&af)) {
		rc = h->fail(ctx, QEVAL_ENOMEM, "bfcl: out of memory");
		goto out;
	}
	if ((rc = bfcl_truths_read(&tr, h, ctx, af.buf, "")) != QEVAL_OK ||
	    (rc = h->read_file(ctx, qf.buf, &ql.data, &ql.len)) != QEVAL_OK)
		goto out;
	while (bfcl_next_line(&ql, &s, &n)) {
		struct bv rec, *q, *mf;
		struct mt_entry *e;
		const char *id;
		size_t ti;

		if (bv_json_parse(s, n, &rec, &err) < 0) {
			rc = h->fail(ctx, QEVAL_EDATA, "%s:%zu: invalid JSON "
			    "(%s): check the file against its manifest", qf.buf,
			    ql.lineno, qp_buf_str(&err));
			goto out;
		}
		id = bfcl_vstr(bv_get(&rec, "id"));
		if (id == NULL) {
			bv_free(&rec);
			rc = h->fail(ctx, QEVAL_EDATA, "%s:%zu: the record needs "
			    "a string 'id'", qf.buf, ql.lineno);
			goto out;
		}
		ti = bfcl_truths_find(&tr, m->n - first, id);
		if (ti >= tr.n) {
			bv_free(&rec);
			rc = h->fail(ctx, QEVAL_EDATA, "%s: no ground truth for "
			    "'%s' (%s:%zu): the two files must come from the "
			    "same BFCL version", af.buf, id, qf.buf, ql.lineno);
			goto out;
		}
		if (m->n == m->alloc) {
			size_t na = m->alloc ? m->alloc * 2 : 256;
			struct mt_entry *ne = realloc(m->e, na * sizeof(*ne));

			if (ne == NULL) {
				bv_free(&rec);
				rc = h->fail(ctx, QEVAL_ENOMEM, "bfcl: out of "
				    "memory");
				goto out;
			}
			m->e = ne;
			m->alloc = na;
		}
		e = &m->e[m->n++];
		memset(e, 0, sizeof(*e));
		e->cat = cat;
		e->id = qp_strdup(id);
		q = (struct bv *)bv_get(&rec, "question");
		if (q != NULL) {
			e->question = *q;
			memset(q, 0, sizeof(*q));
		}
		mf = (struct bv *)bv_get(&rec, "missed_function");
		if (mf != NULL) {
			e->missed = *mf;
			memset(mf, 0, sizeof(*mf));
		}
		e->nturns = e->question.kind == BV_LIST ? e->question.n : 0;
		qp_buf_reset(&why);
		if (e->id == NULL || set_begin(e, &rec) < 0) {
			bv_free(&rec);
			rc = h->fail(ctx, QEVAL_ENOMEM, "bfcl: out of memory");
			goto out;
		}
		if (check_entry(m, e, &rec, &tr.gt[ti], &why) < 0) {
			bv_free(&rec);
			rc = h->fail(ctx, QEVAL_EDATA, "%s:%zu (%s): %s; fix the "
			    "file or use the official one", qf.buf, ql.lineno,
			    id, qp_buf_str(&why) ? qp_buf_str(&why) : "");
			goto out;
		}
		bv_free(&rec);
		{
			struct qp_buf t = QP_BUF_INIT;

			bv_json(&t, &tr.gt[ti]);
			if (!qp_buf_ok(&t)) {
				rc = h->fail(ctx, QEVAL_ENOMEM, "bfcl: out of "
				    "memory");
				goto out;
			}
			e->truth = t.buf;
		}
		qp_buf_reset(&why);
		if (build_gold(m, e, m->n - 1 - first, &tr.gt[ti],
		    &why) < 0) {
			rc = h->fail(ctx, QEVAL_EDATA, "%s (%s): ground truth: "
			    "%s", af.buf, id, qp_buf_str(&why) ?
			    qp_buf_str(&why) : "out of memory");
			goto out;
		}
	}
	if (m->n == first)
		rc = h->fail(ctx, QEVAL_EDATA, "%s holds no records", qf.buf);
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

/* ------------------------------------------------------------------ */
/* Walking the exchanges                                              */

struct walk {
	size_t	 turn;		/* the turn under way */
	size_t	 step;		/* executed steps in it */
	size_t	 pending;	/* 1 + the answer whose calls await
				 * execution; 0: none */
	size_t	 nsess;		/* session requests so far */
	size_t	 steps;		/* executed steps, all turns */
	size_t	 answers;	/* model answers */
	size_t	 undecoded;	/* answers with tool calls that did not
				 * decode */
	int	 force_quit;
	int	 failed;	/* a session request failed */
	size_t	 failed_ex;
	int	 checked;
	size_t	 check_ex;
	int	 truncated;
};

/* The driver's answer in an EXEC output: its last marked line. */
static int
driver_answer(const struct qeval_response *r, struct bv *out)
{
	const char *t = r->text, *last = NULL, *p;
	size_t len = QEVAL_RESP_TEXT_LEN(r), n;
	struct qp_buf err = QP_BUF_INIT;
	int rc;

	memset(out, 0, sizeof(*out));
	for (p = t; p != NULL && p < t + len;) {
		const char *nl = memchr(p, '\n', (size_t)(t + len - p));

		if ((size_t)(t + len - p) >= 5 && memcmp(p, MARK, 5) == 0)
			last = p;
		p = nl != NULL ? nl + 1 : NULL;
	}
	if (last == NULL)
		return (-1);
	last += 5;
	p = memchr(last, '\n', (size_t)(t + len - last));
	n = p != NULL ? (size_t)(p - last) : (size_t)(t + len - last);
	rc = bv_json_parse(last, n, out, &err);
	qp_buf_free(&err);
	if (rc == 0 && out->kind != BV_DICT) {
		bv_free(out);
		rc = -1;
	}
	return (rc);
}

/*
 * The decoded calls of an answer, as BFCL's FC handler decodes them:
 * every arguments text must be a JSON object.  1: calls (in *dec), 0: no
 * call, -1: tool calls that do not decode.
 */
static int
answer_calls(const struct qeval_response *r, struct bv *dec)
{
	struct qp_buf err = QP_BUF_INIT;
	int looks, rc;

	rc = bfcl_decode_fc(r->tool_calls, dec, &err, &looks);
	qp_buf_free(&err);
	if (rc < 0)
		return (-1);
	if (!bfcl_format_ok(dec)) {
		bv_free(dec);
		return (-1);
	}
	if (dec->n == 0) {
		bv_free(dec);
		return (0);
	}
	return (1);
}

/* Appends the user messages that open turn t. */
static void
open_turn(struct qp_buf *o, int *first, const struct mt_entry *e,
    size_t t)
{
	const struct bv *turn = &e->question.items[t];
	char key[32];
	size_t k;

	snprintf(key, sizeof(key), "%zu", t);
	if (bv_get(&e->missed, key) != NULL) {
		qp_buf_chat_message(o, first, "user", HELDOUT_TEXT);
		return;
	}
	for (k = 0; k < turn->n; k++) {
		if (!*first)
			qp_buf_adds(o, ",");
		*first = 0;
		bv_json(o, &turn->items[k]);
	}
}

/* [[name, arguments], ...] of decoded calls. */
static void
step_json(struct qp_buf *o, const struct bv *dec)
{
	size_t i;

	qp_buf_adds(o, "[");
	for (i = 0; i < dec->n; i++) {
		if (i > 0)
			qp_buf_adds(o, ",");
		qp_buf_adds(o, "[");
		bv_json(o, &dec->items[i].items[0]);
		qp_buf_adds(o, ",");
		bv_json(o, &dec->items[i].items[1]);
		qp_buf_adds(o, "]");
	}
	qp_buf_adds(o, "]");
}

/*
 * Walks the exchanges: where the conversation stands (w), and, when
 * asked, the chat messages so far (msgs, without the brackets), the
 * model's steps per turn for the checker (turns) and the executed calls
 * for the samples file (calls).
 */
static void
walk(const struct mt_entry *e, const struct qeval_exchange *ex, size_t nex,
    struct walk *w, struct qp_buf *msgs, struct qp_buf *turns,
    struct qp_buf *calls)
{
	struct bv dec, ans;
	int first = 1, tfirst = 1;
	size_t k, i;

	memset(w, 0, sizeof(*w));
	memset(&dec, 0, sizeof(dec));
	if (msgs != NULL)
		open_turn(msgs, &first, e, 0);
	if (turns != NULL)
		qp_buf_adds(turns, "[[");
	for (k = 0; k < nex && !w->failed && !w->checked; k++) {
		const struct qeval_exchange *x = &ex[k];

		if (w->force_quit) {
			/* only the checker may follow */
			if (x->req.kind == QEVAL_REQ_EXEC) {
				w->checked = 1;
				w->check_ex = k;
			}
			break;
		}
		if (x->req.kind == QEVAL_REQ_EXEC) {
			const struct bv *res, *tc;
			struct bv tcs;
			struct qp_buf err = QP_BUF_INIT;

			if (w->pending == 0) {
				w->checked = 1;
				w->check_ex = k;
				break;
			}
			w->nsess++;
			memset(&tcs, 0, sizeof(tcs));
			if (x->resp.status != QEVAL_EXEC_PASSED ||
			    driver_answer(&x->resp, &ans) < 0) {
				w->failed = 1;
				w->failed_ex = k;
				break;
			}
			res = bv_get(&ans, "results");
			if (res == NULL) {
				/* the driver could not decode the calls:
				 * the turn ends, as in the reference */
				bv_free(&ans);
				w->pending = 0;
				goto end_turn;
			}
			{
				const char *raw =
				    ex[w->pending - 1].resp.tool_calls;

				tc = raw != NULL && bv_json_parse(raw,
				    strlen(raw), &tcs, &err) == 0 ? &tcs : NULL;
			}
			qp_buf_free(&err);
			if (res->kind != BV_LIST || tc == NULL ||
			    tc->kind != BV_LIST || tc->n != res->n) {
				bv_free(&tcs);
				bv_free(&ans);
				w->failed = 1;
				w->failed_ex = k;
				break;
			}
			for (i = 0; msgs != NULL && i < res->n; i++) {
				const char *id = bfcl_vstr(bv_get(&tc->items[i],
				    "id"));

				qp_buf_adds(msgs, ",{\"role\":\"tool\","
				    "\"content\":");
				if (res->items[i].kind == BV_STR)
					bv_json(msgs, &res->items[i]);
				else
					qp_buf_adds(msgs, "\"\"");
				qp_buf_adds(msgs, ",\"tool_call_id\":");
				qp_buf_json_str(msgs, id != NULL ? id : "");
				qp_buf_adds(msgs, "}");
			}
			if (calls != NULL) {
				const struct bv *cs = bv_get(&ans, "calls");

				for (i = 0; cs != NULL && cs->kind == BV_LIST
				    && i < cs->n; i++)
					if (cs->items[i].kind == BV_STR) {
						if (calls->len > 0)
							qp_buf_adds(calls,
							    w->step == 0 &&
							    i == 0 ? " | " :
							    "; ");
						if (w->step == 0 && i == 0)
							qp_buf_addf(calls,
							    "turn %zu: ",
							    w->turn);
						qp_buf_add(calls,
						    cs->items[i].s,
						    cs->items[i].len);
					}
			}
			bv_free(&tcs);
			bv_free(&ans);
			w->pending = 0;
			w->step++;
			w->steps++;
			if (w->step > MT_STEP_LIMIT)
				w->force_quit = 1;
			continue;
		}
		/* a model answer */
		if (x->req.target != QEVAL_TARGET_MODEL)
			continue;
		w->answers++;
		if (x->resp.finish_reason != NULL &&
		    strcmp(x->resp.finish_reason, "length") == 0)
			w->truncated = 1;
		if (msgs != NULL) {
			size_t tl = QEVAL_RESP_TEXT_LEN(&x->resp);
			int has_tc = x->resp.tool_calls != NULL &&
			    strcmp(x->resp.tool_calls, "[]") != 0;

			qp_buf_adds(msgs, ",{\"role\":\"assistant\","
			    "\"content\":");
			if (tl == 0 && has_tc)
				qp_buf_adds(msgs, "null");
			else
				qp_buf_json_strn(msgs, x->resp.text, tl);
			if (has_tc) {
				qp_buf_adds(msgs, ",\"tool_calls\":");
				qp_buf_adds(msgs, x->resp.tool_calls);
			}
			qp_buf_adds(msgs, "}");
		}
		switch (answer_calls(&x->resp, &dec)) {
		case 1:
			if (turns != NULL) {
				if (!tfirst)
					qp_buf_adds(turns, ",");
				tfirst = 0;
				step_json(turns, &dec);
			}
			bv_free(&dec);
			w->pending = k + 1;
			continue;
		case -1:
			w->undecoded++;
			break;
		default:
			break;
		}
end_turn:
		/* no call: the turn is over */
		w->turn++;
		w->step = 0;
		if (w->turn >= e->nturns)
			continue;
		if (msgs != NULL)
			open_turn(msgs, &first, e, w->turn);
		if (turns != NULL) {
			qp_buf_adds(turns, "],[");
			tfirst = 1;
		}
	}
	if (turns != NULL)
		qp_buf_adds(turns, "]]");
}

/* ------------------------------------------------------------------ */
/* Requests                                                           */

static void
add_tools(const struct bfcl_mt *m, const struct mt_entry *e, size_t turn,
    struct qp_buf *o)
{
	size_t i, k, t;
	int first = 1, c;

	qp_buf_adds(o, ",\"tools\":[");
	for (i = 0; i < e->ncls; i++) {
		c = e->cls[i];
		for (k = 0; k < m->docs[c].n; k++) {
			if (is_missed(e, bfcl_vstr(bv_get(&m->docs[c].items[k],
			    "name"))))
				continue;
			if (!first)
				qp_buf_adds(o, ",");
			first = 0;
			qp_buf_adds(o, m->tool[c][k]);
		}
	}
	/* held-out functions join at their turn, in turn order */
	for (t = 0; t <= turn; t++) {
		char key[32];
		const struct bv *l;

		snprintf(key, sizeof(key), "%zu", t);
		l = bv_get(&e->missed, key);
		for (i = 0; l != NULL && l->kind == BV_LIST && i < l->n;
		    i++) {
			if (!find_doc(m, e, bfcl_vstr(&l->items[i]), &c, &k))
				continue;
			if (!first)
				qp_buf_adds(o, ",");
			first = 0;
			qp_buf_adds(o, m->plain[c][k]);
		}
	}
	qp_buf_adds(o, "]");
}

/* The environment's files, and mpmath (math_api imports it), which the
 * executor imports once (null: a package of the interpreter's). */
static void
add_modules(struct bfcl_mt *m, struct qp_buf *o)
{
	size_t i;

	qp_buf_adds(o, ",\"modules\":{\"mpmath\":null,\"" PKG "\":");
	qp_buf_reset(&m->extra);
	qp_buf_addf(&m->extra, "%s/multi_turn_env/func_source_code/"
	    "__init__.py", m->dir);
	qp_buf_json_str(o, qp_buf_str(&m->extra) ? qp_buf_str(&m->extra) :
	    "");
	for (i = 0; env_files[i] != NULL; i++) {
		qp_buf_addf(o, ",\"" PKG ".%s\":", env_files[i]);
		qp_buf_reset(&m->extra);
		qp_buf_addf(&m->extra, "%s/multi_turn_env/func_source_code/"
		    "%s.py", m->dir, env_files[i]);
		qp_buf_json_str(o, qp_buf_str(&m->extra) ?
		    qp_buf_str(&m->extra) : "");
	}
	qp_buf_adds(o, "}");
}

int
bfcl_mt_next(struct bfcl_mt *m, struct qeval_ctx *ctx,
    const struct mt_entry *e, const struct qeval_exchange *ex, size_t nex,
    struct qeval_request *req)
{
	struct qp_buf msgs = QP_BUF_INIT, prog = QP_BUF_INIT;
	struct walk w;

	assert(m != NULL && m->magic == MT_MAGIC);
	qp_buf_reset(&m->body);
	walk(e, ex, nex, &w, NULL, NULL, NULL);
	if (w.checked || w.failed)
		return (QEVAL_DONE);
	req->temperature = -1.0;
	req->top_p = -1.0;
	req->max_tokens = 0;
	if (w.pending > 0) {
		/* execute the answer's calls in the entry's session */
		struct bv dec;

		if (answer_calls(&ex[w.pending - 1].resp, &dec) != 1)
			return (m->host->fail(ctx, QEVAL_EINTERNAL, "bfcl: %s: "
			    "an answer's calls no longer decode", e->id));
		if (w.nsess == 0) {
			qp_buf_add(&prog, bfcl_mt_py, sizeof(bfcl_mt_py) - 1);
			qp_buf_adds(&prog, "\n_qmt_begin(");
			py_bytes(&prog, e->begin, strlen(e->begin));
			qp_buf_adds(&prog, ")\n");
		}
		qp_buf_reset(&m->extra);
		step_json(&m->extra, &dec);
		bv_free(&dec);
		qp_buf_adds(&prog, "_qmt_step(");
		py_bytes(&prog, m->extra.buf, m->extra.len);
		qp_buf_adds(&prog, ")\n");
		qp_buf_addf(&m->body, "{\"session\":true,\"output\":true,"
		    "\"timeout\":%d,\"program\":", STEP_TIMEOUT);
		qp_buf_json_strn(&m->body, prog.buf, prog.len);
		if (w.nsess == 0)
			add_modules(m, &m->body);
		qp_buf_adds(&m->body, "}");
		req->kind = QEVAL_REQ_EXEC;
		req->target = QEVAL_TARGET_MODEL;
		req->label = "mt-exec";
	} else if (w.force_quit || w.turn >= e->nturns) {
		/* the checker: the model's steps and the ground truth,
		 * replayed in fresh instances */
		struct walk w2;

		qp_buf_reset(&m->extra);
		walk(e, ex, nex, &w2, NULL, &m->extra, NULL);
		qp_buf_add(&prog, bfcl_mt_py, sizeof(bfcl_mt_py) - 1);
		qp_buf_adds(&prog, "\n_qmt_check(");
		py_bytes(&prog, e->begin, strlen(e->begin));
		qp_buf_adds(&prog, ", ");
		py_bytes(&prog, e->truth, strlen(e->truth));
		qp_buf_adds(&prog, ", ");
		if (qp_buf_ok(&m->extra))
			py_bytes(&prog, m->extra.buf, m->extra.len);
		qp_buf_adds(&prog, ")\n");
		qp_buf_addf(&m->body, "{\"journal\":false,\"output\":true,"
		    "\"timeout\":%d,\"program\":", CHECK_TIMEOUT);
		qp_buf_json_strn(&m->body, prog.buf, prog.len);
		add_modules(m, &m->body);
		qp_buf_adds(&m->body, "}");
		req->kind = QEVAL_REQ_EXEC;
		req->target = QEVAL_TARGET_MODEL;
		req->label = "mt-check";
	} else {
		walk(e, ex, nex, &w, &msgs, NULL, NULL);
		qp_buf_adds(&m->body, "{\"messages\":[");
		if (qp_buf_ok(&msgs) && msgs.len > 0)
			qp_buf_add(&m->body, msgs.buf, msgs.len);
		qp_buf_adds(&m->body, "]");
		add_tools(m, e, w.turn, &m->body);
		qp_buf_adds(&m->body, "}");
		req->kind = QEVAL_REQ_CHAT;
		req->target = QEVAL_TARGET_MODEL;
		req->temperature = 0.001;	/* BFCL's default */
		req->top_p = 1.0;
		req->max_tokens = m->max_tokens;
		req->label = "mt-tools";
	}
	if (!qp_buf_ok(&msgs) || !qp_buf_ok(&prog) || !qp_buf_ok(&m->extra))
		m->body.oom = 1;
	qp_buf_free(&msgs);
	qp_buf_free(&prog);
	if (!qp_buf_ok(&m->body))
		return (m->host->fail(ctx, QEVAL_ENOMEM, "bfcl: out of memory "
		    "building the request of %s", e->id));
	req->body = m->body.buf;
	return (QEVAL_NEXT);
}

/* ------------------------------------------------------------------ */
/* Scoring                                                            */

/* One line: newlines become spaces; at most max bytes, UTF-8 safe. */
static void
one_line(struct qp_buf *o, size_t max)
{
	size_t i;

	if (o->buf == NULL)
		return;
	for (i = 0; i < o->len; i++)
		if (o->buf[i] == '\n' || o->buf[i] == '\r')
			o->buf[i] = ' ';
	bfcl_clip(o, max);
}

int
bfcl_mt_score(struct bfcl_mt *m, struct qeval_ctx *ctx,
    const struct mt_entry *e, const struct qeval_exchange *ex, size_t nex,
    struct qeval_verdict *out)
{
	struct walk w;
	struct bv v;
	const char *etype = NULL;
	int valid = 0, have = 0;

	assert(m != NULL && m->magic == MT_MAGIC);
	memset(&v, 0, sizeof(v));
	qp_buf_reset(&m->reason);
	qp_buf_reset(&m->detail);
	qp_buf_reset(&m->out);
	walk(e, ex, nex, &w, NULL, NULL, &m->out);
	one_line(&m->out, 4000);
	if (w.failed) {
		const struct qeval_response *r = &ex[w.failed_ex].resp;
		static const char *const st[] = { "passed", "failed",
			"timed out", "out of memory", "crashed", "refused" };

		etype = "multi_turn:inference_error";
		qp_buf_addf(&m->reason, "%s: the tool environment failed "
		    "during inference (%s%s", etype, r->status >= 0 &&
		    r->status <= 5 ? st[r->status] : "?",
		    r->status == QEVAL_EXEC_PASSED ? ", no result line" : "");
		if (r->status != QEVAL_EXEC_PASSED && r->text[0] != '\0') {
			qp_buf_adds(&m->reason, ": ");
			qp_buf_add(&m->reason, r->text, strlen(r->text));
		}
		qp_buf_adds(&m->reason, ")");
		if (r->status == QEVAL_EXEC_TIMEOUT)
			out->flags |= QEVAL_VF_TIMEOUT;
	} else if (!w.checked) {
		return (m->host->fail(ctx, QEVAL_EINTERNAL, "bfcl: %s scored "
		    "before its checker ran", e->id));
	} else if (ex[w.check_ex].resp.status != QEVAL_EXEC_PASSED ||
	    driver_answer(&ex[w.check_ex].resp, &v) < 0) {
		const struct qeval_response *r = &ex[w.check_ex].resp;

		etype = "qeval:checker_failed";
		qp_buf_addf(&m->reason, "%s: the checker did not give a "
		    "verdict (status %d): ", etype, r->status);
		qp_buf_add(&m->reason, r->text, strlen(r->text));
		if (r->status == QEVAL_EXEC_TIMEOUT)
			out->flags |= QEVAL_VF_TIMEOUT;
	} else {
		const struct bv *ok = bv_get(&v, "valid");
		const struct bv *d;

		have = 1;
		valid = ok != NULL && ok->kind == BV_BOOL && ok->i;
		etype = valid ? NULL : bfcl_vstr(bv_get(&v, "error_type"));
		if (valid)
			qp_buf_adds(&m->reason, "correct");
		else {
			const char *msg = bfcl_vstr(bv_get(&v,
			    "error_message"));

			if (etype == NULL)
				etype = "qeval:checker_failed";
			qp_buf_addf(&m->reason, "%s: %s", etype,
			    msg != NULL ? msg : "");
			d = bv_get(&v, "differences");
			if (d != NULL && d->kind == BV_DICT && d->n > 0) {
				const struct bv *a = &d->items[1];

				qp_buf_adds(&m->reason, " Attribute ");
				bv_json(&m->reason, &d->items[0]);
				qp_buf_adds(&m->reason, ": model ");
				if (bfcl_vstr(bv_get(a, "model")))
					qp_buf_adds(&m->reason,
					    bfcl_vstr(bv_get(a, "model")));
				qp_buf_adds(&m->reason, ", ground truth ");
				if (bfcl_vstr(bv_get(a, "ground_truth")))
					qp_buf_adds(&m->reason, bfcl_vstr(
					    bv_get(a, "ground_truth")));
			}
			d = bv_get(&v, "missing_items");
			if (d != NULL) {
				qp_buf_adds(&m->reason, " Missing: ");
				bv_json(&m->reason, d);
			}
		}
	}
	one_line(&m->reason, 2000);
	out->values[MT_M_ACC] = valid ? 1.0 : 0.0;
	out->values[MT_M_VALID] = w.answers == 0 ? NAN : w.undecoded == 0 ?
	    1.0 : 0.0;
	out->values[MT_M_TRUNC] = w.truncated ? 1.0 : 0.0;
	if (w.truncated)
		out->flags |= QEVAL_VF_TRUNCATED;
	if (w.undecoded > 0)
		out->flags |= QEVAL_VF_INVALID;
	out->reason = qp_buf_str(&m->reason);
	out->extracted = m->out.len > 0 ? qp_buf_str(&m->out) : NULL;
	out->category = bfcl_mt_cats[e->cat];
	qp_buf_adds(&m->detail, "{\"id\":");
	qp_buf_json_str(&m->detail, e->id);
	qp_buf_adds(&m->detail, ",\"category\":");
	qp_buf_json_str(&m->detail, bfcl_mt_cats[e->cat]);
	qp_buf_addf(&m->detail, ",\"mode\":\"fc\",\"valid\":%s,"
	    "\"error_type\":", valid ? "true" : "false");
	if (etype != NULL)
		qp_buf_json_str(&m->detail, etype);
	else
		qp_buf_adds(&m->detail, "null");
	qp_buf_addf(&m->detail, ",\"turns\":%zu,\"turns_reached\":%zu,"
	    "\"steps\":%zu,\"answers\":%zu,\"undecoded_answers\":%zu,"
	    "\"force_terminated\":%s", e->nturns, w.turn < e->nturns ?
	    w.turn + 1 : e->nturns, w.steps, w.answers, w.undecoded,
	    w.force_quit ? "true" : "false");
	if (have) {
		qp_buf_adds(&m->detail, ",\"checker\":");
		bv_json(&m->detail, &v);
	}
	qp_buf_adds(&m->detail, "}");
	out->detail = qp_buf_str(&m->detail);
	bv_free(&v);
	if (!qp_buf_ok(&m->reason) || !qp_buf_ok(&m->detail) ||
	    !qp_buf_ok(&m->out))
		return (m->host->fail(ctx, QEVAL_ENOMEM, "bfcl: out of memory "
		    "scoring %s", e->id));
	return (QEVAL_OK);
}

/* ------------------------------------------------------------------ */
/* Reference model                                                    */

int
bfcl_mt_gold(struct bfcl_mt *m, struct qeval_ctx *ctx,
    const struct mt_entry *e, size_t idx, const struct qeval_exchange *ex,
    size_t nex, int corrupt, struct qeval_gold *out)
{
	struct walk w;

	assert(m != NULL && m->magic == MT_MAGIC);
	(void)ctx;
	(void)idx;
	walk(e, ex, nex, &w, NULL, NULL, NULL);
	memset(out, 0, sizeof(*out));
	out->text = "Done.";
	if (w.step != 0 || w.turn >= e->nturns || e->gold[w.turn] == NULL)
		return (QEVAL_OK);
	if (corrupt) {
		if (e->bad[w.turn] != NULL) {
			out->text = "";
			out->tool_calls = e->bad[w.turn];
		}
		return (QEVAL_OK);
	}
	out->text = "";
	out->tool_calls = e->gold[w.turn];
	return (QEVAL_OK);
}
