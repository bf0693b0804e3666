/*
 * taskfile: the generic plugin.  Each task is a JSON task file
 * (docs/TASK_FILES.md); the core hands the list over in the environment
 * variable QEVAL_TASK_FILES (absolute paths, one per line, see
 * src/taskfiles.h), which this plugin reads when it is loaded, so that
 * its descriptor lists one task per file.
 *
 * Kinds: generate (a text answer, lm-eval style filters and metrics),
 * code (a Python program from the answer, run against the item's tests
 * in the sandbox), json (the answer parsed and checked against a JSON
 * Schema subset) and multiple_choice (log-likelihood acc/acc_norm, or
 * the lettered generative variant).
 *
 * A file's errors are found in two places: at load time everything that
 * needs no data (JSON layout, unknown keys with "did you mean"), when a
 * run opens the task everything else (regexes, data files, templates
 * against the first item, gold fields).  Either way open() fails with
 * QEVAL_EINVAL and a message that names the file and where, and the
 * core exits 2 before any request.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <qeval/plugin.h>

#include "codeutil.h"
#include "mcutil.h"
#include "qp.h"
#include "tfcore.h"

#define TF_MAX_TASKS	256
#define TF_MAX_FILTERS	8
#define TF_MAX_STEPS	16
#define TF_MAX_GMETRICS	8
#define TF_ENV		"QEVAL_TASK_FILES"

enum tf_kind { K_GENERATE = 1, K_CODE, K_JSON, K_MC };

/* One task file, as the constructor read it. */
struct tf_file {
	char			*path;
	char			*dir;		/* its directory */
	char			*name;
	char			*dataset;
	char			*task_type;
	char			*recipe;	/* "task file PATH" */
	char			*err;		/* why it cannot run */
	enum tf_kind		 kind;
	int			 letter;	/* MC: lettered variant */
	struct qeval_metric_desc *metrics;
	char			**metric_names;
	const char		*files[2];
	char			*data_file;	/* data-dir relative */
};

static struct qeval_task tf_tasks[TF_MAX_TASKS + 1];
static struct tf_file tf_files[TF_MAX_TASKS];
static size_t tf_nfiles;

/* ------------------------------------------------------------------ */
/* Reading a task file (no host needed)                               */

/* Where a key may appear, and what it may hold. */
static const char *const k_top[] = { "name", "dataset", "task_type",
	"description", "version", "kind", "data", "fields", "prompt",
	"fewshot", "generation", "filters", "metrics", "code", "json",
	"multiple_choice", "gold_filter", "corrupt", "$schema", NULL };
static const char *const k_data[] = { "file", "path", "items", "sha256",
	NULL };
static const char *const k_fields[] = { "id", "gold", "category",
	"entry_point", "tests", "visible_tests", "solution", "schema",
	"choices", "label", "choice_text", "choice_label", NULL };
static const char *const k_prompt[] = { "system", "user", "completion",
	NULL };
static const char *const k_fewshot[] = { "n", "file", "path", "items",
	"sha256",
	"sampler", "seed", "target", "target_delimiter",
	"fewshot_delimiter", NULL };
static const char *const k_gen[] = { "max_tokens", "temperature",
	"top_p", "stop", NULL };
static const char *const k_filter[] = { "name", "steps", NULL };
static const char *const k_step[] = { "op", "pattern", "group", "select",
	"fallback", "ignore_case", NULL };
static const char *const k_metric[] = { "type", "filter", "ignore_case",
	"ignore_punctuation", "ignore_numbers", "regexes_to_ignore",
	"tolerance", "primary", NULL };
static const char *const k_code[] = { "timeout", NULL };
static const char *const k_json[] = { "schema", "constrained", NULL };
static const char *const k_mc[] = { "mode", NULL };

/* Appends a "did you mean" for key among words. */
static void
suggest(struct qp_buf *b, const char *key, const char *const *words)
{
	const char *best = NULL;
	size_t bd = (size_t)-1, i;

	for (i = 0; words[i] != NULL; i++) {
		size_t d = tf_edit_distance(key, words[i]);

		if (d < bd) {
			bd = d;
			best = words[i];
		}
	}
	if (best != NULL && bd <= 3)
		qp_buf_addf(b, "; did you mean \"%s\"?", best);
	else {
		qp_buf_adds(b, "; known keys:");
		for (i = 0; words[i] != NULL; i++)
			qp_buf_addf(b, " %s", words[i]);
	}
}

/* 0, or -1 with the first unknown key of obj (at path) in err. */
static int
check_keys(const cJSON *obj, const char *path, const char *const *words,
    struct qp_buf *err)
{
	const cJSON *e;
	size_t i;

	if (!cJSON_IsObject(obj)) {
		qp_buf_addf(err, "%s: an object is expected", path);
		return (-1);
	}
	cJSON_ArrayForEach(e, obj) {
		for (i = 0; words[i] != NULL; i++)
			if (strcmp(words[i], e->string) == 0)
				break;
		if (words[i] == NULL) {
			qp_buf_addf(err, "%s.%s: unknown key", path, e->string);
			suggest(err, e->string, words);
			return (-1);
		}
	}
	return (0);
}

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return (cJSON_IsString(v) ? v->valuestring : NULL);
}

/* The kinds' fixed metrics. */
static const char *const m_code[] = { "pass@1", "visible", NULL };
static const char *const m_json[] = { "json_schema_valid", "json_valid",
	NULL };

static int
kind_of(const char *s, enum tf_kind *k)
{
	if (s == NULL)
		return (-1);
	if (strcmp(s, "generate") == 0)
		*k = K_GENERATE;
	else if (strcmp(s, "code") == 0)
		*k = K_CODE;
	else if (strcmp(s, "json") == 0)
		*k = K_JSON;
	else if (strcmp(s, "multiple_choice") == 0)
		*k = K_MC;
	else
		return (-1);
	return (0);
}

/*
 * Checks the layout of a whole task file (keys, types of the parts the
 * descriptor needs) and fills the descriptor part of f.  0 or -1 with
 * err set ("$.path: what").
 */
static int
check_layout(const cJSON *doc, struct tf_file *f, struct qp_buf *err)
{
	static const struct { const char *key; const char *const *words; }
	    subs[] = {
		{ "data", k_data }, { "fields", k_fields },
		{ "prompt", k_prompt }, { "fewshot", k_fewshot },
		{ "generation", k_gen }, { "code", k_code },
		{ "json", k_json }, { "multiple_choice", k_mc },
		{ NULL, NULL } };
	const cJSON *x, *e, *s;
	char path[128];
	size_t i, nm = 0;
	int primary = -1, j;

	if (check_keys(doc, "$", k_top, err) != 0)
		return (-1);
	for (i = 0; subs[i].key != NULL; i++) {
		x = cJSON_GetObjectItemCaseSensitive(doc, subs[i].key);
		snprintf(path, sizeof(path), "$.%s", subs[i].key);
		if (x != NULL && check_keys(x, path, subs[i].words, err) != 0)
			return (-1);
	}
	if (kind_of(jstr(doc, "kind"), &f->kind) != 0) {
		qp_buf_adds(err, "$.kind: one of \"generate\", \"code\", "
		    "\"json\", \"multiple_choice\" is required");
		return (-1);
	}
	x = cJSON_GetObjectItemCaseSensitive(doc, "data");
	if (x == NULL || (jstr(x, "file") == NULL && jstr(x, "path") ==
	    NULL && !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(x,
	    "items")))) {
		qp_buf_adds(err, "$.data: give \"file\" (relative to the "
		    "data dir), \"path\" (relative to the task file) or "
		    "\"items\" (a list)");
		return (-1);
	}
	if (jstr(x, "file") != NULL)
		f->data_file = qp_strdup(jstr(x, "file"));
	x = cJSON_GetObjectItemCaseSensitive(doc, "filters");
	if (x != NULL && !cJSON_IsArray(x)) {
		qp_buf_adds(err, "$.filters: a list is expected");
		return (-1);
	}
	j = 0;
	cJSON_ArrayForEach(e, x) {
		snprintf(path, sizeof(path), "$.filters[%d]", j);
		if (check_keys(e, path, k_filter, err) != 0)
			return (-1);
		if (jstr(e, "name") == NULL) {
			qp_buf_addf(err, "%s.name: a string is required",
			    path);
			return (-1);
		}
		s = cJSON_GetObjectItemCaseSensitive(e, "steps");
		if (!cJSON_IsArray(s)) {
			qp_buf_addf(err, "%s.steps: a list is required", path);
			return (-1);
		}
		{
			const cJSON *st;
			int k = 0;
			char sp[160];

			cJSON_ArrayForEach(st, s) {
				snprintf(sp, sizeof(sp), "%s.steps[%d]", path,
				    k++);
				if (check_keys(st, sp, k_step, err) != 0)
					return (-1);
			}
		}
		j++;
	}
	if (j > TF_MAX_FILTERS) {
		qp_buf_addf(err, "$.filters: at most %d", TF_MAX_FILTERS);
		return (-1);
	}
	/* metrics: the kind's own, or (generate) the file's list */
	f->metrics = calloc(QEVAL_MAX_METRICS + 1, sizeof(*f->metrics));
	f->metric_names = calloc(QEVAL_MAX_METRICS + 1, sizeof(char *));
	if (f->metrics == NULL || f->metric_names == NULL) {
		qp_buf_adds(err, "out of memory");
		return (-1);
	}
	x = cJSON_GetObjectItemCaseSensitive(doc, "metrics");
	if (f->kind == K_GENERATE) {
		if (!cJSON_IsArray(x) || cJSON_GetArraySize(x) == 0) {
			qp_buf_adds(err, "$.metrics: a generate task lists "
			    "its metrics (e.g. [{\"type\": "
			    "\"exact_match\"}])");
			return (-1);
		}
		j = 0;
		cJSON_ArrayForEach(e, x) {
			const char *t, *fl;
			struct qp_buf nb = QP_BUF_INIT;

			snprintf(path, sizeof(path), "$.metrics[%d]", j++);
			if (check_keys(e, path, k_metric, err) != 0)
				return (-1);
			t = jstr(e, "type");
			if (t == NULL || (strcmp(t, "exact_match") != 0 &&
			    strcmp(t, "numeric") != 0 &&
			    strcmp(t, "contains") != 0 &&
			    strcmp(t, "regex_match") != 0)) {
				qp_buf_addf(err, "%s.type: one of "
				    "\"exact_match\", \"numeric\", "
				    "\"contains\", \"regex_match\"", path);
				return (-1);
			}
			if (nm >= TF_MAX_GMETRICS) {
				qp_buf_addf(err, "$.metrics: at most %d",
				    TF_MAX_GMETRICS);
				return (-1);
			}
			fl = jstr(e, "filter");
			qp_buf_adds(&nb, t);
			if (fl != NULL)
				qp_buf_addf(&nb, ",%s", fl);
			if (!qp_buf_ok(&nb)) {
				qp_buf_adds(err, "out of memory");
				return (-1);
			}
			f->metric_names[nm] = nb.buf;
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e,
			    "primary")))
				primary = (int)nm;
			nm++;
		}
		f->metric_names[nm] = qp_strdup("invalid");
		f->metrics[nm].flags = QEVAL_MF_RATE | QEVAL_MF_LOWER_BETTER;
		nm++;
		for (i = 0; i < nm; i++)
			f->metrics[i].name = f->metric_names[i];
		f->metrics[primary >= 0 ? primary : 0].flags |=
		    QEVAL_MF_PRIMARY;
		return (0);
	}
	if (x != NULL) {
		qp_buf_adds(err, "$.metrics: only a generate task lists its "
		    "metrics; the other kinds have fixed ones (see "
		    "docs/TASK_FILES.md)");
		return (-1);
	}
	if (f->kind == K_MC) {
		const char *m = jstr(cJSON_GetObjectItemCaseSensitive(doc,
		    "multiple_choice"), "mode");

		f->letter = m != NULL && strcmp(m, "letter") == 0;
		if (m != NULL && !f->letter && strcmp(m, "loglik") != 0) {
			qp_buf_adds(err, "$.multiple_choice.mode: \"loglik\" "
			    "or \"letter\"");
			return (-1);
		}
		free(f->metrics);
		f->metrics = NULL;
		return (0);
	}
	{
		const char *const *names = f->kind == K_CODE ? m_code : m_json;

		for (i = 0; names[i] != NULL; i++) {
			f->metrics[i].name = names[i];
			f->metrics[i].flags = i == 0 ? QEVAL_MF_PRIMARY : 0;
		}
		if (f->kind == K_CODE) {
			f->metrics[0].flags |= QEVAL_MF_PASSK;
			/* best-of-N picks the first candidate that
			 * passes the visible examples */
			f->metrics[1].flags = QEVAL_MF_RATE | QEVAL_MF_SELECT;
		}
	}
	return (0);
}

static char *
read_text(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, alloc = 0, r;

	if (fp == NULL)
		return (NULL);
	for (;;) {
		if (len + 4096 + 1 > alloc) {
			char *nb;

			alloc = alloc ? alloc * 2 : 16384;
			if ((nb = realloc(buf, alloc)) == NULL) {
				free(buf);
				fclose(fp);
				return (NULL);
			}
			buf = nb;
		}
		r = fread(buf + len, 1, alloc - len - 1, fp);
		len += r;
		if (r == 0)
			break;
	}
	fclose(fp);
	buf[len] = '\0';
	return (buf);
}

static void
load_file(const char *path)
{
	struct tf_file *f = &tf_files[tf_nfiles];
	struct qeval_task *t = &tf_tasks[tf_nfiles];
	struct qp_buf err = QP_BUF_INIT, rb = QP_BUF_INIT;
	char *text, *slash;
	cJSON *doc = NULL;
	const char *name = NULL;

	memset(f, 0, sizeof(*f));
	f->path = qp_strdup(path);
	f->dir = qp_strdup(path);
	if (f->path == NULL || f->dir == NULL)
		return;
	if ((slash = strrchr(f->dir, '/')) != NULL)
		*slash = '\0';
	text = read_text(path);
	if (text != NULL)
		doc = cJSON_Parse(text);
	free(text);
	if (doc != NULL)
		name = jstr(doc, "name");
	if (name == NULL) {
		/* the core checked it before: it changed meanwhile */
		cJSON_Delete(doc);
		free(f->path);
		free(f->dir);
		memset(f, 0, sizeof(*f));
		return;
	}
	f->name = qp_strdup(name);
	f->dataset = qp_strdup(jstr(doc, "dataset") ? jstr(doc, "dataset") :
	    name);
	f->task_type = qp_strdup(jstr(doc, "task_type") ?
	    jstr(doc, "task_type") : "Task file");
	if (check_layout(doc, f, &err) != 0 || !qp_buf_ok(&err)) {
		f->err = err.buf != NULL ? err.buf : qp_strdup("out of memory");
		err.buf = NULL;
	}
	/* `qeval list tasks` shows where a task came from, and why it
	 * cannot run (a run that selects it stops with the same words) */
	qp_buf_addf(&rb, "task file %s%s%s", path, f->err ? ": BROKEN: " :
	    "", f->err ? f->err : "");
	f->recipe = rb.buf;
	qp_buf_free(&err);
	cJSON_Delete(doc);
	if (f->name == NULL || f->dataset == NULL || f->task_type == NULL ||
	    f->recipe == NULL)
		return;
	f->files[0] = f->data_file;
	f->files[1] = NULL;
	t->name = f->name;
	t->dataset = f->dataset;
	t->task_type = f->task_type;
	t->recipe = f->recipe;
	t->files = f->files;
	if (f->kind == K_MC && f->err == NULL)
		t->metrics = f->letter ? mc_gen_metrics : mc_ll_metrics;
	else if (f->metrics != NULL && f->metrics[0].name != NULL)
		t->metrics = f->metrics;
	else
		t->metrics = mc_gen_metrics;	/* broken: never run */
	t->flags = f->kind == K_CODE ? QEVAL_TF_EXEC :
	    f->kind == K_MC && !f->letter ? QEVAL_TF_LOGLIK : 0;
	tf_nfiles++;
}

/* What tf_init() built, freed when the plugin is unloaded. */
__attribute__((destructor)) static void
tf_fini(void)
{
	size_t i, k;

	for (i = 0; i < TF_MAX_TASKS; i++) {
		struct tf_file *f = &tf_files[i];

		free(f->path);
		free(f->dir);
		free(f->name);
		free(f->dataset);
		free(f->task_type);
		free(f->recipe);
		free(f->err);
		free(f->data_file);
		free(f->metrics);
		for (k = 0; f->metric_names != NULL &&
		    f->metric_names[k] != NULL; k++)
			free(f->metric_names[k]);
		free(f->metric_names);
		memset(f, 0, sizeof(*f));
	}
	memset(tf_tasks, 0, sizeof(tf_tasks));
	tf_nfiles = 0;
}

__attribute__((constructor)) static void
tf_init(void)
{
	const char *env = getenv(TF_ENV);
	char *copy, *save = NULL, *tok;

	if (env == NULL || (copy = qp_strdup(env)) == NULL)
		return;
	for (tok = strtok_r(copy, "\n", &save); tok != NULL &&
	    tf_nfiles < TF_MAX_TASKS; tok = strtok_r(NULL, "\n", &save))
		if (*tok != '\0')
			load_file(tok);
	free(copy);
}

/* ------------------------------------------------------------------ */
/* A task, opened                                                     */

struct filt {
	char		*name;
	struct tf_step	 steps[TF_MAX_STEPS];
	size_t		 n;
};

struct gmetric {
	enum tf_metric		 type;
	int			 filter;	/* -1: the raw answer */
	struct tf_em_opts	 em;
	double			 tol;
};

struct item {
	cJSON		*rec;
	char		*where;		/* "file:line" */
	char		*id;
	char		*category;
	char		**golds;	/* generate: the references */
	size_t		 n_golds;
	struct qeval_regex **gold_rx;	/* regex_match: compiled golds */
	size_t		*shots;
	char		**choices;	/* MC */
	size_t		 n_choices;
	size_t		 label;
};

struct tf {
	const struct qeval_host	*h;
	const struct tf_file	*f;
	cJSON			*doc;
	enum tf_kind		 kind;
	int			 chat;
	struct item		*items;
	size_t			 n, alloc;
	cJSON			**pool;		/* few-shot pool */
	size_t			 npool, pool_alloc;
	int			 nshot;
	int			 random_shots;
	const char		*where_ctx;	/* records(): which list */
	/* the file's parts */
	const char		*f_id, *f_gold, *f_entry, *f_tests,
				*f_visible, *f_solution, *f_schema,
				*f_choices, *f_label, *f_ctext,
				*f_clabel;
	const cJSON		*f_category;	/* string or list */
	const char		*system, *user, *completion;
	const char		*target, *target_delim, *shot_delim;
	const char		*corrupt;
	const cJSON		*stop;
	const cJSON		*schema;	/* task-wide */
	int			 constrained;
	int			 max_tokens;
	double			 temperature, top_p;
	double			 timeout;
	struct filt		 filters[TF_MAX_FILTERS];
	size_t			 nfilters;
	struct tf_step		 gold_steps[TF_MAX_STEPS];
	size_t			 n_gold_steps;
	struct gmetric		 gm[TF_MAX_GMETRICS];
	size_t			 ngm;
	struct mc_rules		 rules;
	/* scratch */
	struct qp_buf		 body, tmp, tmp2, text, out, reason,
				 detail, gold, prog, code;
	char			 fixed[128];
	char			 ext[8];	/* a verdict's extracted letter:
						 * it must outlive score() */
	double			 lp[MC_MAX_CHOICES];
	uint8_t			 greedy[MC_MAX_CHOICES];
};

static void
free_steps(const struct qeval_host *h, struct tf_step *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i].rx != NULL)
			h->rx_free(s[i].rx);
		free(s[i].fallback);
	}
}

static void
free_item(struct tf *s, struct item *it)
{
	size_t k;

	cJSON_Delete(it->rec);
	free(it->where);
	free(it->id);
	free(it->category);
	for (k = 0; k < it->n_golds; k++) {
		free(it->golds[k]);
		if (it->gold_rx != NULL && it->gold_rx[k] != NULL)
			s->h->rx_free(it->gold_rx[k]);
	}
	free(it->golds);
	free(it->gold_rx);
	free(it->shots);
	for (k = 0; k < it->n_choices; k++)
		free(it->choices[k]);
	free(it->choices);
}

static void
tf_close(void *state)
{
	struct tf *s = state;
	size_t i, k;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		free_item(s, &s->items[i]);
	free(s->items);
	for (i = 0; i < s->npool; i++)
		cJSON_Delete(s->pool[i]);
	free(s->pool);
	for (i = 0; i < s->nfilters; i++) {
		free_steps(s->h, s->filters[i].steps, s->filters[i].n);
		free(s->filters[i].name);
	}
	free_steps(s->h, s->gold_steps, s->n_gold_steps);
	for (i = 0; i < s->ngm; i++) {
		for (k = 0; k < s->gm[i].em.n_ignore; k++)
			s->h->rx_free(s->gm[i].em.ignore[k]);
		free(s->gm[i].em.ignore);
	}
	mc_rules_free(&s->rules, s->h);
	cJSON_Delete(s->doc);
	qp_buf_free(&s->body);
	qp_buf_free(&s->tmp);
	qp_buf_free(&s->tmp2);
	qp_buf_free(&s->text);
	qp_buf_free(&s->out);
	qp_buf_free(&s->reason);
	qp_buf_free(&s->detail);
	qp_buf_free(&s->gold);
	qp_buf_free(&s->prog);
	qp_buf_free(&s->code);
	free(s);
}

/* An error in the task file: exit 2 through QEVAL_EINVAL. */
static int
ferr(struct tf *s, struct qeval_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
ferr(struct tf *s, struct qeval_ctx *ctx, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return (s->h->fail(ctx, QEVAL_EINVAL, "task file %s: %s", s->f->path,
	    msg));
}

/* The regex of a step, or a metric's: compiled, or an error naming
 * where (the host's message, PCRE2's words and offset, is logged). */
static struct qeval_regex *
compile(struct tf *s, struct qeval_ctx *ctx, const char *pat,
    uint32_t flags, const char *where)
{
	struct qeval_regex *rx;

	s->h->log(ctx, QEVAL_LOG_DEBUG, "compiling %s", where);
	rx = s->h->rx_compile(ctx, pat, flags);
	if (rx == NULL)
		s->h->log(ctx, QEVAL_LOG_ERROR, "task file %s: %s: the regex "
		    "does not compile (the error below says where)",
		    s->f->path, where);
	return (rx);
}

static int
parse_steps(struct tf *s, struct qeval_ctx *ctx, const cJSON *arr,
    const char *path, struct tf_step *out, size_t *np)
{
	const cJSON *st;
	char where[256];
	size_t n = 0;

	cJSON_ArrayForEach(st, arr) {
		const char *op = jstr(st, "op");
		struct tf_step *p = &out[n];
		const cJSON *g, *sel;

		snprintf(where, sizeof(where), "%s[%zu]", path, n);
		if (n >= TF_MAX_STEPS)
			return (ferr(s, ctx, "%s: at most %d steps", path,
			    TF_MAX_STEPS));
		memset(p, 0, sizeof(*p));
		if (op == NULL)
			return (ferr(s, ctx, "%s.op: a string is required",
			    where));
		if (strcmp(op, "regex") == 0) {
			const char *pat = jstr(st, "pattern");
			char wp[300];

			p->op = TF_REGEX;
			if (pat == NULL)
				return (ferr(s, ctx, "%s.pattern: a regex is "
				    "required", where));
			snprintf(wp, sizeof(wp), "%s.pattern", where);
			p->rx = compile(s, ctx, pat, cJSON_IsTrue(
			    cJSON_GetObjectItemCaseSensitive(st,
			    "ignore_case")) ? QEVAL_RX_CASELESS : 0, wp);
			if (p->rx == NULL)
				return (QEVAL_EINVAL);
			g = cJSON_GetObjectItemCaseSensitive(st, "group");
			p->group = cJSON_IsNumber(g) ? g->valueint : -1;
			sel = cJSON_GetObjectItemCaseSensitive(st, "select");
			if (sel == NULL || (cJSON_IsString(sel) &&
			    strcmp(sel->valuestring, "first") == 0))
				p->select = 0;
			else if (cJSON_IsString(sel) &&
			    strcmp(sel->valuestring, "last") == 0)
				p->select = -1;
			else if (cJSON_IsNumber(sel))
				p->select = sel->valueint;
			else
				return (ferr(s, ctx, "%s.select: \"first\", "
				    "\"last\" or a match index", where));
			p->fallback = qp_strdup(jstr(st, "fallback") ?
			    jstr(st, "fallback") : "[invalid]");
			if (p->fallback == NULL)
				return (s->h->fail(ctx, QEVAL_ENOMEM, "out of "
				    "memory"));
			if (p->group >= QEVAL_RX_MAXGROUPS)
				return (ferr(s, ctx, "%s.group: at most %d",
				    where, QEVAL_RX_MAXGROUPS - 1));
		} else if (strcmp(op, "strip") == 0)
			p->op = TF_STRIP;
		else if (strcmp(op, "lowercase") == 0)
			p->op = TF_LOWERCASE;
		else if (strcmp(op, "uppercase") == 0)
			p->op = TF_UPPERCASE;
		else if (strcmp(op, "remove_code_fences") == 0)
			p->op = TF_CODE_FENCE;
		else if (strcmp(op, "strip_think") == 0)
			p->op = TF_THINK;
		else if (strcmp(op, "first_line") == 0)
			p->op = TF_TAKE_FIRST_LINE;
		else
			return (ferr(s, ctx, "%s.op: \"%s\" is not one of "
			    "regex, strip, lowercase, uppercase, "
			    "remove_code_fences, strip_think, first_line",
			    where, op));
		n++;
		*np = n;
	}
	return (QEVAL_OK);
}

/* The few-shot and data records. */
struct rd {
	struct tf		*s;
	struct qeval_ctx	*ctx;
	int			 pool;
};

static int
add_record(struct tf *s, cJSON *rec, const char *where, int pool)
{
	if (pool) {
		if (s->npool == s->pool_alloc) {
			cJSON **v;

			s->pool_alloc = s->pool_alloc ? s->pool_alloc * 2 : 16;
			v = realloc(s->pool, s->pool_alloc * sizeof(*v));
			if (v == NULL)
				return (QEVAL_ENOMEM);
			s->pool = v;
		}
		s->pool[s->npool++] = rec;
		return (QEVAL_OK);
	}
	if (s->n == s->alloc) {
		struct item *v;

		s->alloc = s->alloc ? s->alloc * 2 : 64;
		v = realloc(s->items, s->alloc * sizeof(*v));
		if (v == NULL)
			return (QEVAL_ENOMEM);
		s->items = v;
	}
	memset(&s->items[s->n], 0, sizeof(s->items[0]));
	s->items[s->n].rec = rec;
	s->items[s->n].where = qp_strdup(where);
	s->n++;
	return (s->items[s->n - 1].where ? QEVAL_OK : QEVAL_ENOMEM);
}

static int
on_record(void *arg, const char *json, size_t len, const char *where)
{
	struct rd *r = arg;
	cJSON *rec = cJSON_ParseWithLength(json, len);
	int rc;

	if (!cJSON_IsObject(rec)) {
		cJSON_Delete(rec);
		return (ferr(r->s, r->ctx, "%s: a record must be a JSON "
		    "object", where));
	}
	if ((rc = add_record(r->s, rec, where, r->pool)) != QEVAL_OK) {
		cJSON_Delete(rec);
		return (r->s->h->fail(r->ctx, rc, "out of memory"));
	}
	return (QEVAL_OK);
}

/* Reads the records of a data or few-shot spec. */
static int
read_spec(struct tf *s, struct qeval_ctx *ctx, const cJSON *spec,
    const char *path, int pool)
{
	struct rd r = { s, ctx, pool };
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(spec, "items");
	const char *file = jstr(spec, "file"), *rel = jstr(spec, "path");
	int rc;

	if (cJSON_IsArray(items)) {
		const cJSON *e;
		char where[300];
		int k = 0;

		cJSON_ArrayForEach(e, items) {
			cJSON *dup;

			snprintf(where, sizeof(where), "%s %s.items[%d]",
			    s->f->path, path, k++);
			if (!cJSON_IsObject(e))
				return (ferr(s, ctx, "%s.items[%d]: an object "
				    "is expected", path, k - 1));
			if ((dup = cJSON_Duplicate(e, 1)) == NULL ||
			    add_record(s, dup, where, pool) != QEVAL_OK) {
				cJSON_Delete(dup);
				return (s->h->fail(ctx, QEVAL_ENOMEM, "out of "
				    "memory"));
			}
		}
		return (QEVAL_OK);
	}
	if (jstr(spec, "sha256") != NULL && rel == NULL)
		return (ferr(s, ctx, "%s.sha256: only a \"path\" is checked "
		    "this way; a data-dir \"file\" is verified through its "
		    "manifest (datasets/*.json)", path));
	if (file != NULL) {
		rc = s->h->records(ctx, file, on_record, &r);
	} else if (rel != NULL) {
		struct qp_buf p = QP_BUF_INIT;
		const char *want = jstr(spec, "sha256");
		char got[65];

		if (rel[0] == '/')
			qp_buf_adds(&p, rel);
		else
			qp_buf_addf(&p, "%s/%s", s->f->dir, rel);
		if (!qp_buf_ok(&p))
			return (s->h->fail(ctx, QEVAL_ENOMEM, "out of memory"));
		if (want != NULL && tf_sha256_file(p.buf, got) != 0) {
			rc = ferr(s, ctx, "%s: %s: %s", path, p.buf,
			    strerror(errno));
			qp_buf_free(&p);
			return (rc);
		}
		if (want != NULL && strcasecmp(want, got) != 0) {
			rc = ferr(s, ctx, "%s: %s has sha256 %s, the file says "
			    "%s: the data changed (or the sum is wrong)", path,
			    p.buf, got, want);
			qp_buf_free(&p);
			return (rc);
		}
		rc = s->h->records(ctx, p.buf, on_record, &r);
		qp_buf_free(&p);
	} else
		return (ferr(s, ctx, "%s: give \"file\", \"path\" or "
		    "\"items\"", path));
	if (rc != QEVAL_OK) {
		/* the host said which file and why; this says whose */
		s->h->log(ctx, QEVAL_LOG_ERROR, "task file %s: %s: the data "
		    "cannot be read (see the error)", s->f->path, path);
		return (QEVAL_EINVAL);
	}
	return (QEVAL_OK);
}

static const char *
field_name(const cJSON *fields, const char *key, const char *def)
{
	const char *v = jstr(fields, key);

	return (v != NULL ? v : def);
}

/* A field's value as text into b (reset first); -1 if absent. */
static int
field_text(const cJSON *rec, const char *path, struct qp_buf *b)
{
	const cJSON *v = tf_path(rec, path);

	qp_buf_reset(b);
	qp_buf_add(b, "", 0);
	if (v == NULL || cJSON_IsNull(v))
		return (-1);
	tf_value_text(b, v);
	return (0);
}

static int
check_template(struct tf *s, struct qeval_ctx *ctx, const char *tmpl,
    const char *what, const struct item *it, const cJSON *rec)
{
	char miss[256];

	if (tmpl == NULL)
		return (QEVAL_OK);
	if (tf_render(tmpl, rec, &s->tmp, miss, sizeof(miss)) != 0)
		return (ferr(s, ctx, "%s names {{%s}}, which %s lacks: fix "
		    "the template or the data", what, miss, it != NULL ?
		    it->where : "a few-shot example"));
	return (QEVAL_OK);
}

/* Derives an item's id, category, references and choices. */
static int
prepare_item(struct tf *s, struct qeval_ctx *ctx, size_t i)
{
	struct item *it = &s->items[i];
	const cJSON *v;

	if (s->f_id != NULL && field_text(it->rec, s->f_id, &s->tmp) == 0)
		it->id = qp_strdup(qp_buf_str(&s->tmp));
	else {
		qp_buf_reset(&s->tmp);
		qp_buf_addf(&s->tmp, "%s/%zu", s->f->name, i);
		it->id = qp_strdup(qp_buf_str(&s->tmp));
	}
	if (it->id == NULL)
		return (s->h->fail(ctx, QEVAL_ENOMEM, "out of memory"));
	if (s->f_category != NULL) {
		const char *c = cJSON_IsString(s->f_category) ?
		    s->f_category->valuestring : cJSON_IsArray(s->f_category) ?
		    cJSON_GetStringValue(cJSON_GetArrayItem(s->f_category, 0)) :
		    NULL;

		if (c != NULL && field_text(it->rec, c, &s->tmp) == 0)
			it->category = qp_strdup(qp_buf_str(&s->tmp));
	}
	switch (s->kind) {
	case K_GENERATE:
		v = tf_path(it->rec, s->f_gold);
		if (v == NULL || cJSON_IsNull(v))
			return (ferr(s, ctx, "%s: the item has no gold field "
			    "\"%s\" ($.fields.gold)", it->where, s->f_gold));
		{
			size_t n = cJSON_IsArray(v) ?
			    (size_t)cJSON_GetArraySize(v) : 1, k;

			if (n == 0)
				return (ferr(s, ctx, "%s: the gold list \"%s\" "
				    "is empty", it->where, s->f_gold));
			it->golds = calloc(n, sizeof(char *));
			it->gold_rx = calloc(n, sizeof(*it->gold_rx));
			if (it->golds == NULL || it->gold_rx == NULL)
				return (s->h->fail(ctx, QEVAL_ENOMEM,
				    "out of memory"));
			for (k = 0; k < n; k++) {
				const cJSON *g = cJSON_IsArray(v) ?
				    cJSON_GetArrayItem(v, (int)k) : v;
				int fell;

				qp_buf_reset(&s->tmp);
				tf_value_text(&s->tmp, g);
				qp_buf_add(&s->tmp, "", 0);
				tf_filter(s->h, s->gold_steps,
				    s->n_gold_steps, qp_buf_str(&s->tmp) ?
				    qp_buf_str(&s->tmp) : "", s->tmp.len,
				    &s->tmp2, &fell);
				it->golds[k] = qp_strdup(qp_buf_str(&s->tmp2) ?
				    qp_buf_str(&s->tmp2) : "");
				if (it->golds[k] == NULL)
					return (s->h->fail(ctx, QEVAL_ENOMEM,
					    "out of memory"));
				it->n_golds = k + 1;
			}
		}
		break;
	case K_CODE:
		if (field_text(it->rec, s->f_solution, &s->tmp) != 0)
			return (ferr(s, ctx, "%s: the item has no solution "
			    "field \"%s\" ($.fields.solution): the reference "
			    "model needs it", it->where, s->f_solution));
		if (tf_path(it->rec, s->f_tests) == NULL)
			return (ferr(s, ctx, "%s: the item has no tests field "
			    "\"%s\" ($.fields.tests)", it->where, s->f_tests));
		if (field_text(it->rec, s->f_entry, &s->tmp) != 0)
			return (ferr(s, ctx, "%s: the item has no entry point "
			    "field \"%s\" ($.fields.entry_point)", it->where,
			    s->f_entry));
		break;
	case K_JSON:
		if (tf_path(it->rec, s->f_gold) == NULL)
			return (ferr(s, ctx, "%s: the item has no gold field "
			    "\"%s\" ($.fields.gold): the reference model "
			    "needs a valid answer", it->where, s->f_gold));
		v = tf_path(it->rec, s->f_schema);
		if (v == NULL)
			v = s->schema;
		if (v != NULL) {
			struct qp_buf why = QP_BUF_INIT;
			int bad = tf_schema_check(v, "schema", &why) != 0;

			if (bad) {
				int rc = ferr(s, ctx, "%s: %s", it->where,
				    qp_buf_str(&why) ? qp_buf_str(&why) : "");

				qp_buf_free(&why);
				return (rc);
			}
			qp_buf_free(&why);
		}
		break;
	case K_MC: {
		const cJSON *ch = tf_path(it->rec, s->f_choices), *e;
		size_t n, k = 0;

		v = tf_path(it->rec, s->f_label);
		if (!cJSON_IsArray(ch) || (n = (size_t)cJSON_GetArraySize(ch))
		    < 2 || n > MC_MAX_CHOICES)
			return (ferr(s, ctx, "%s: \"%s\" must be a list of 2 "
			    "to %d choices ($.fields.choices)", it->where,
			    s->f_choices, MC_MAX_CHOICES));
		if (v == NULL)
			return (ferr(s, ctx, "%s: the item has no label field "
			    "\"%s\" ($.fields.label)", it->where, s->f_label));
		if (s->f_clabel != NULL && cJSON_IsString(v)) {
			/* the label is one of the choices' own labels */
			k = 0;
			cJSON_ArrayForEach(e, ch) {
				const cJSON *l = tf_path(e, s->f_clabel);

				if (cJSON_IsString(l) && strcmp(l->valuestring,
				    v->valuestring) == 0)
					break;
				k++;
			}
			if (k == n)
				return (ferr(s, ctx, "%s: the label \"%s\" is "
				    "not among the choices' labels (\"%s\")",
				    it->where, v->valuestring, s->f_clabel));
			it->label = k;
			k = 0;
		} else if (cJSON_IsNumber(v) && v->valuedouble >= 0 &&
		    v->valuedouble < (double)n)
			it->label = (size_t)v->valuedouble;
		else if (cJSON_IsString(v) && strlen(v->valuestring) == 1 &&
		    isupper((unsigned char)v->valuestring[0]) &&
		    (size_t)(v->valuestring[0] - 'A') < n)
			it->label = (size_t)(v->valuestring[0] - 'A');
		else if (cJSON_IsString(v) && strlen(v->valuestring) == 1 &&
		    isdigit((unsigned char)v->valuestring[0]) &&
		    (size_t)(v->valuestring[0] - '1') < n)
			it->label = (size_t)(v->valuestring[0] - '1');
		else
			return (ferr(s, ctx, "%s: the label must be a 0-based "
			    "index, a letter A.. or a digit 1.. of a choice",
			    it->where));
		it->choices = calloc(n, sizeof(char *));
		if (it->choices == NULL)
			return (s->h->fail(ctx, QEVAL_ENOMEM, "out of memory"));
		cJSON_ArrayForEach(e, ch) {
			const cJSON *t = s->f_ctext != NULL ?
			    tf_path(e, s->f_ctext) : e;

			if (t == NULL)
				return (ferr(s, ctx, "%s: a choice has no "
				    "\"%s\" ($.fields.choice_text)",
				    it->where, s->f_ctext));
			qp_buf_reset(&s->tmp);
			tf_value_text(&s->tmp, t);
			qp_buf_add(&s->tmp, "", 0);
			if ((it->choices[k++] = qp_strdup(qp_buf_str(&s->tmp) ?
			    qp_buf_str(&s->tmp) : "")) == NULL)
				return (s->h->fail(ctx, QEVAL_ENOMEM,
				    "out of memory"));
			it->n_choices = k;
		}
		break;
	}
	}
	if (s->kind == K_GENERATE && s->ngm > 0) {
		size_t m, k;

		for (m = 0; m < s->ngm; m++)
			if (s->gm[m].type == TFM_REGEX)
				break;
		for (k = 0; m < s->ngm && k < it->n_golds; k++) {
			it->gold_rx[k] = compile(s, ctx, it->golds[k], 0,
			    it->where);
			if (it->gold_rx[k] == NULL)
				return (QEVAL_EINVAL);
		}
	}
	return (QEVAL_OK);
}

static int
parse_metrics(struct tf *s, struct qeval_ctx *ctx)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(s->doc, "metrics");
	const cJSON *e;
	size_t j = 0;

	cJSON_ArrayForEach(e, x) {
		struct gmetric *g = &s->gm[j];
		const char *t = jstr(e, "type"), *fl = jstr(e, "filter");
		const cJSON *tol = cJSON_GetObjectItemCaseSensitive(e,
		    "tolerance");
		const cJSON *ri = cJSON_GetObjectItemCaseSensitive(e,
		    "regexes_to_ignore"), *r;
		char where[128];
		size_t k;

		memset(g, 0, sizeof(*g));
		g->filter = -1;
		g->type = strcmp(t, "exact_match") == 0 ? TFM_EXACT :
		    strcmp(t, "numeric") == 0 ? TFM_NUMERIC :
		    strcmp(t, "contains") == 0 ? TFM_CONTAINS : TFM_REGEX;
		if (fl != NULL) {
			for (k = 0; k < s->nfilters; k++)
				if (strcmp(s->filters[k].name, fl) == 0)
					g->filter = (int)k;
			if (g->filter < 0)
				return (ferr(s, ctx, "$.metrics[%zu].filter: "
				    "no filter is named \"%s\"", j, fl));
		} else if (s->nfilters > 0)
			g->filter = 0;
		g->em.ignore_case = cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(e, "ignore_case"));
		g->em.ignore_punctuation = cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(e, "ignore_punctuation"));
		g->em.ignore_numbers = cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(e, "ignore_numbers"));
		g->tol = cJSON_IsNumber(tol) ? tol->valuedouble : 1e-6;
		if (ri != NULL && !cJSON_IsArray(ri))
			return (ferr(s, ctx, "$.metrics[%zu]."
			    "regexes_to_ignore: a list of regexes", j));
		if (cJSON_GetArraySize(ri) > 0) {
			g->em.ignore = calloc((size_t)cJSON_GetArraySize(ri),
			    sizeof(*g->em.ignore));
			if (g->em.ignore == NULL)
				return (s->h->fail(ctx, QEVAL_ENOMEM, "out of "
				    "memory"));
		}
		k = 0;
		s->ngm = j + 1;
		cJSON_ArrayForEach(r, ri) {
			snprintf(where, sizeof(where), "$.metrics[%zu]."
			    "regexes_to_ignore[%zu]", j, k);
			if (!cJSON_IsString(r))
				return (ferr(s, ctx, "%s: a regex (string)",
				    where));
			g->em.ignore[k] = compile(s, ctx, r->valuestring, 0,
			    where);
			if (g->em.ignore[k] == NULL)
				return (QEVAL_EINVAL);
			g->em.n_ignore = ++k;
		}
		j++;
	}
	return (QEVAL_OK);
}

static int
tf_open(const struct qeval_host *h, struct qeval_ctx *ctx,
    const struct qeval_task *task, const struct qeval_opts *opts,
    void **statep)
{
	const struct tf_file *f = NULL;
	struct tf *s;
	const cJSON *x, *fields, *prompt, *fs, *gen, *e;
	char *text;
	size_t i;
	int rc;

	*statep = NULL;
	for (i = 0; i < tf_nfiles; i++)
		if (strcmp(tf_files[i].name, task->name) == 0)
			f = &tf_files[i];
	if (f == NULL)
		return (h->fail(ctx, QEVAL_EINTERNAL, "taskfile: no file for "
		    "task %s", task->name));
	if (f->err != NULL)
		return (h->fail(ctx, QEVAL_EINVAL, "task file %s: %s", f->path,
		    f->err));
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "out of memory"));
	s->h = h;
	s->f = f;
	s->kind = f->kind;
	s->chat = opts->chat;
	text = read_text(f->path);
	s->doc = text != NULL ? cJSON_Parse(text) : NULL;
	free(text);
	if (s->doc == NULL) {
		rc = h->fail(ctx, QEVAL_EINVAL, "task file %s: cannot be read "
		    "again (%s)", f->path, strerror(errno));
		goto fail;
	}
	fields = cJSON_GetObjectItemCaseSensitive(s->doc, "fields");
	s->f_id = field_name(fields, "id", NULL);
	s->f_gold = field_name(fields, "gold", "answer");
	s->f_entry = field_name(fields, "entry_point", "entry_point");
	s->f_tests = field_name(fields, "tests", "tests");
	s->f_visible = field_name(fields, "visible_tests", "visible_tests");
	s->f_solution = field_name(fields, "solution", "solution");
	s->f_schema = field_name(fields, "schema", "schema");
	s->f_choices = field_name(fields, "choices", "choices");
	s->f_label = field_name(fields, "label", "label");
	s->f_ctext = field_name(fields, "choice_text", NULL);
	s->f_clabel = field_name(fields, "choice_label", NULL);
	s->f_category = cJSON_GetObjectItemCaseSensitive(fields, "category");
	prompt = cJSON_GetObjectItemCaseSensitive(s->doc, "prompt");
	s->system = jstr(prompt, "system");
	s->user = jstr(prompt, "user");
	s->completion = jstr(prompt, "completion");
	if (s->user == NULL && s->completion == NULL) {
		rc = ferr(s, ctx, "$.prompt: give \"user\" (the chat "
		    "message) and/or \"completion\" (the text prompt)");
		goto fail;
	}
	if (s->completion == NULL)
		s->completion = s->user;
	if (s->user == NULL)
		s->user = s->completion;
	s->corrupt = jstr(s->doc, "corrupt");
	gen = cJSON_GetObjectItemCaseSensitive(s->doc, "generation");
	x = cJSON_GetObjectItemCaseSensitive(gen, "max_tokens");
	s->max_tokens = cJSON_IsNumber(x) ? x->valueint : 0;
	x = cJSON_GetObjectItemCaseSensitive(gen, "temperature");
	s->temperature = cJSON_IsNumber(x) ? x->valuedouble : -1.0;
	x = cJSON_GetObjectItemCaseSensitive(gen, "top_p");
	s->top_p = cJSON_IsNumber(x) ? x->valuedouble : -1.0;
	s->stop = cJSON_GetObjectItemCaseSensitive(gen, "stop");
	if (s->stop != NULL && !cJSON_IsArray(s->stop)) {
		rc = ferr(s, ctx, "$.generation.stop: a list of strings");
		goto fail;
	}
	cJSON_ArrayForEach(e, s->stop)
		if (!cJSON_IsString(e)) {
			rc = ferr(s, ctx, "$.generation.stop: a list of "
			    "strings");
			goto fail;
		}
	x = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    s->doc, "code"), "timeout");
	s->timeout = cJSON_IsNumber(x) && x->valuedouble > 0 ?
	    x->valuedouble : 3.0;
	x = cJSON_GetObjectItemCaseSensitive(s->doc, "json");
	s->schema = cJSON_GetObjectItemCaseSensitive(x, "schema");
	s->constrained = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x,
	    "constrained"));
	/* filters */
	x = cJSON_GetObjectItemCaseSensitive(s->doc, "filters");
	cJSON_ArrayForEach(e, x) {
		char path[64];

		snprintf(path, sizeof(path), "$.filters[%zu].steps",
		    s->nfilters);
		s->filters[s->nfilters].name = qp_strdup(jstr(e, "name"));
		s->nfilters++;
		if ((rc = parse_steps(s, ctx, cJSON_GetObjectItemCaseSensitive(
		    e, "steps"), path, s->filters[s->nfilters - 1].steps,
		    &s->filters[s->nfilters - 1].n)) != QEVAL_OK)
			goto fail;
	}
	x = cJSON_GetObjectItemCaseSensitive(s->doc, "gold_filter");
	if (x != NULL && !cJSON_IsArray(x)) {
		rc = ferr(s, ctx, "$.gold_filter: a list of steps");
		goto fail;
	}
	if ((rc = parse_steps(s, ctx, x, "$.gold_filter", s->gold_steps,
	    &s->n_gold_steps)) != QEVAL_OK)
		goto fail;
	if (s->kind == K_GENERATE && (rc = parse_metrics(s, ctx)) != QEVAL_OK)
		goto fail;
	if (s->kind == K_MC && f->letter &&
	    (rc = mc_rules_compile(&s->rules, h, ctx)) != QEVAL_OK)
		goto fail;
	/* few-shot */
	fs = cJSON_GetObjectItemCaseSensitive(s->doc, "fewshot");
	x = cJSON_GetObjectItemCaseSensitive(fs, "n");
	s->nshot = cJSON_IsNumber(x) ? x->valueint : 0;
	if (opts->num_fewshot >= 0)
		s->nshot = opts->num_fewshot;
	s->target = jstr(fs, "target");
	s->target_delim = jstr(fs, "target_delimiter") ?
	    jstr(fs, "target_delimiter") : " ";
	s->shot_delim = jstr(fs, "fewshot_delimiter") ?
	    jstr(fs, "fewshot_delimiter") : "\n\n";
	if (s->nshot < 0 || s->nshot > MC_MAX_SHOTS) {
		rc = ferr(s, ctx, "few-shot n=%d: 0 to %d", s->nshot,
		    MC_MAX_SHOTS);
		goto fail;
	}
	if (s->nshot > 0 && fs == NULL) {
		rc = ferr(s, ctx, "--num-fewshot %d: the file has no "
		    "\"fewshot\" part to draw from", s->nshot);
		goto fail;
	}
	if (s->nshot > 0 && s->target == NULL && s->kind != K_MC) {
		rc = ferr(s, ctx, "$.fewshot.target: the template of a "
		    "shot's answer is required");
		goto fail;
	}
	x = cJSON_GetObjectItemCaseSensitive(fs, "sampler");
	s->random_shots = cJSON_IsString(x) &&
	    strcmp(x->valuestring, "random") == 0;
	if (x != NULL && !s->random_shots && !(cJSON_IsString(x) &&
	    strcmp(x->valuestring, "first") == 0)) {
		rc = ferr(s, ctx, "$.fewshot.sampler: \"first\" or "
		    "\"random\"");
		goto fail;
	}
	/* data */
	if ((rc = read_spec(s, ctx, cJSON_GetObjectItemCaseSensitive(s->doc,
	    "data"), "$.data", 0)) != QEVAL_OK)
		goto fail;
	if (s->n == 0) {
		rc = ferr(s, ctx, "$.data: no items");
		goto fail;
	}
	if (s->nshot > 0) {
		if ((rc = read_spec(s, ctx, fs, "$.fewshot", 1)) != QEVAL_OK)
			goto fail;
		if (s->npool < (size_t)s->nshot) {
			rc = ferr(s, ctx, "$.fewshot: %d shots asked, %zu "
			    "examples given", s->nshot, s->npool);
			goto fail;
		}
	}
	/* templates against the first item, every item prepared */
	if ((rc = check_template(s, ctx, s->user, "$.prompt.user",
	    &s->items[0], s->items[0].rec)) != QEVAL_OK ||
	    (rc = check_template(s, ctx, s->completion, "$.prompt.completion",
	    &s->items[0], s->items[0].rec)) != QEVAL_OK ||
	    (rc = check_template(s, ctx, s->system, "$.prompt.system",
	    &s->items[0], s->items[0].rec)) != QEVAL_OK)
		goto fail;
	if (s->nshot > 0 && ((rc = check_template(s, ctx, s->target,
	    "$.fewshot.target", NULL, s->pool[0])) != QEVAL_OK ||
	    (rc = check_template(s, ctx, s->user, "$.prompt.user", NULL,
	    s->pool[0])) != QEVAL_OK))
		goto fail;
	for (i = 0; i < s->n; i++)
		if ((rc = prepare_item(s, ctx, i)) != QEVAL_OK)
			goto fail;
	if (s->nshot > 0) {
		struct qp_mt mt;
		const cJSON *sd = cJSON_GetObjectItemCaseSensitive(fs, "seed");

		/* the run's --seed (the preset's, 1234) unless the file
		 * fixes one */
		qp_mt_seed(&mt, cJSON_IsNumber(sd) ? (uint32_t)sd->valuedouble :
		    (uint32_t)opts->seed);
		for (i = 0; i < s->n; i++) {
			struct item *it = &s->items[i];

			if (s->random_shots) {
				if (mc_draw_shots(&mt, i, s->npool, s->nshot, 0,
				    &it->shots) != 0) {
					rc = h->fail(ctx, QEVAL_ENOMEM, "out "
					    "of memory");
					goto fail;
				}
				continue;
			}
			it->shots = calloc((size_t)s->nshot,
			    sizeof(*it->shots));
			if (it->shots == NULL) {
				rc = h->fail(ctx, QEVAL_ENOMEM, "out of "
				    "memory");
				goto fail;
			}
			for (size_t k = 0; k < (size_t)s->nshot; k++)
				it->shots[k] = k;
		}
	}
	/* every item was checked; --limit keeps the first ones */
	if (opts->limit > 0 && opts->limit < s->n) {
		for (i = opts->limit; i < s->n; i++)
			free_item(s, &s->items[i]);
		s->n = opts->limit;
	}
	*statep = s;
	return (QEVAL_OK);
fail:
	tf_close(s);
	return (rc < 0 ? rc : QEVAL_EINVAL);
}

static size_t
tf_count(void *state)
{
	return (((struct tf *)state)->n);
}

static const char *
tf_sample_id(void *state, size_t i)
{
	struct tf *s = state;

	return (i < s->n ? s->items[i].id : "?");
}

/* ------------------------------------------------------------------ */
/* Requests                                                           */

/* Renders tmpl for rec into out (a missing field renders as nothing:
 * open() checked the first item, prepare the rest). */
static void
render(const char *tmpl, const cJSON *rec, struct qp_buf *out)
{
	(void)tf_render(tmpl != NULL ? tmpl : "", rec, out, NULL, 0);
}

/* The correct choice of a pool record, as a shot's target (MC). */
static void
mc_shot_target(struct tf *s, const cJSON *rec, struct qp_buf *out)
{
	const cJSON *ch = tf_path(rec, s->f_choices), *e, *c = NULL;
	const cJSON *lb = tf_path(rec, s->f_label);
	int k = cJSON_IsNumber(lb) ? lb->valueint : cJSON_IsString(lb) &&
	    isupper((unsigned char)lb->valuestring[0]) ?
	    lb->valuestring[0] - 'A' : cJSON_IsString(lb) &&
	    isdigit((unsigned char)lb->valuestring[0]) ?
	    lb->valuestring[0] - '1' : 0;

	if (s->f_clabel != NULL && cJSON_IsString(lb))
		cJSON_ArrayForEach(e, ch) {
			const cJSON *l = tf_path(e, s->f_clabel);

			if (cJSON_IsString(l) && strcmp(l->valuestring,
			    lb->valuestring) == 0)
				c = e;
		}
	if (c == NULL)
		c = cJSON_GetArrayItem(ch, k);
	if (c != NULL && s->f_ctext != NULL)
		c = tf_path(c, s->f_ctext);
	qp_buf_reset(out);
	qp_buf_add(out, "", 0);
	if (c != NULL)
		tf_value_text(out, c);
}

/* The text prompt (completions, and MC contexts) into s->text. */
static void
text_prompt(struct tf *s, const struct item *it)
{
	int k;

	qp_buf_reset(&s->text);
	qp_buf_add(&s->text, "", 0);
	if (s->system != NULL) {
		render(s->system, it->rec, &s->tmp);
		qp_buf_adds(&s->text, qp_buf_str(&s->tmp));
		qp_buf_adds(&s->text, s->shot_delim);
	}
	for (k = 0; k < s->nshot && it->shots != NULL; k++) {
		const cJSON *shot = s->pool[it->shots[k]];

		render(s->completion, shot, &s->tmp);
		qp_buf_adds(&s->text, qp_buf_str(&s->tmp));
		qp_buf_adds(&s->text, s->target_delim);
		if (s->kind == K_MC && s->target == NULL)
			mc_shot_target(s, shot, &s->tmp);
		else
			render(s->target, shot, &s->tmp);
		qp_buf_adds(&s->text, qp_buf_str(&s->tmp));
		qp_buf_adds(&s->text, s->shot_delim);
	}
	render(s->completion, it->rec, &s->tmp);
	qp_buf_adds(&s->text, qp_buf_str(&s->tmp));
}

/* The chat messages into s->body (an open object gets them). */
static void
chat_messages(struct tf *s, const struct item *it, const char *extra)
{
	int first = 1, k;

	qp_buf_adds(&s->body, "\"messages\":[");
	if (s->system != NULL) {
		render(s->system, it->rec, &s->tmp);
		qp_buf_chat_message(&s->body, &first, "system",
		    qp_buf_str(&s->tmp));
	}
	for (k = 0; k < s->nshot && it->shots != NULL; k++) {
		const cJSON *shot = s->pool[it->shots[k]];

		render(s->user, shot, &s->tmp);
		qp_buf_chat_message(&s->body, &first, "user",
		    qp_buf_str(&s->tmp));
		render(s->target, shot, &s->tmp);
		qp_buf_chat_message(&s->body, &first, "assistant",
		    qp_buf_str(&s->tmp));
	}
	render(s->user, it->rec, &s->tmp);
	if (extra != NULL)
		qp_buf_adds(&s->tmp, extra);
	qp_buf_chat_message(&s->body, &first, "user", qp_buf_str(&s->tmp));
	qp_buf_adds(&s->body, "]");
}

static const cJSON *
item_schema(const struct tf *s, const struct item *it)
{
	const cJSON *v = tf_path(it->rec, s->f_schema);

	return (v != NULL ? v : s->schema);
}

static int
model_request(struct tf *s, struct qeval_ctx *ctx, const struct item *it,
    struct qeval_request *req)
{
	const cJSON *e;
	int first = 1;

	qp_buf_reset(&s->body);
	if (s->kind == K_MC && !s->f->letter) {
		text_prompt(s, it);
		qp_buf_reset(&s->tmp);
		qp_buf_adds(&s->tmp, qp_buf_str(&s->text));
		mc_ll_request(&s->body, &s->tmp, it->choices, it->n_choices,
		    "choices", req);
		goto done;
	}
	if (s->kind == K_MC) {
		qp_buf_reset(&s->tmp2);
		mc_letter_options(&s->tmp2, it->choices, it->n_choices);
	}
	qp_buf_adds(&s->body, "{");
	if (s->chat)
		chat_messages(s, it, s->kind == K_MC ? qp_buf_str(&s->tmp2) :
		    NULL);
	else {
		text_prompt(s, it);
		if (s->kind == K_MC) {
			qp_buf_adds(&s->text, qp_buf_str(&s->tmp2));
			qp_buf_adds(&s->text, "\nAnswer:");
		}
		qp_buf_adds(&s->body, "\"prompt\":");
		qp_buf_json_str(&s->body, qp_buf_str(&s->text));
	}
	if (cJSON_GetArraySize(s->stop) > 0) {
		qp_buf_adds(&s->body, ",\"stop\":[");
		cJSON_ArrayForEach(e, s->stop) {
			if (!first)
				qp_buf_adds(&s->body, ",");
			first = 0;
			qp_buf_json_str(&s->body, e->valuestring);
		}
		qp_buf_adds(&s->body, "]");
	}
	if (s->kind == K_JSON && s->constrained) {
		const cJSON *sc = item_schema(s, it);
		char *txt = sc != NULL ? cJSON_PrintUnformatted(sc) : NULL;

		if (txt != NULL) {
			qp_buf_addf(&s->body, ",\"response_format\":{\"type\":"
			    "\"json_schema\",\"json_schema\":{\"name\":"
			    "\"answer\",\"schema\":%s}}", txt);
			cJSON_free(txt);
		} else
			qp_buf_adds(&s->body, ",\"response_format\":"
			    "{\"type\":\"json_object\"}");
	}
	qp_buf_adds(&s->body, "}");
	req->kind = s->chat ? QEVAL_REQ_CHAT : QEVAL_REQ_COMPLETION;
	req->label = "answer";
	req->max_tokens = s->max_tokens > 0 ? s->max_tokens :
	    s->kind == K_MC ? MC_GEN_TOKENS : 0;
	req->temperature = s->temperature;
	req->top_p = s->top_p;
done:
	req->target = QEVAL_TARGET_MODEL;
	if (!qp_buf_ok(&s->body) || !qp_buf_ok(&s->tmp) ||
	    !qp_buf_ok(&s->text) || !qp_buf_ok(&s->tmp2))
		return (s->h->fail(ctx, QEVAL_ENOMEM, "out of memory building "
		    "a request"));
	req->body = qp_buf_str(&s->body);
	return (QEVAL_NEXT);
}

/* The candidate program (code kind) into s->prog, tests appended. */
static enum codeutil_mode
build_program(struct tf *s, const struct item *it, const char *answer,
    const char *tests_field)
{
	const cJSON *t = tf_path(it->rec, tests_field), *e;
	enum codeutil_mode mode;
	char entry[128];

	field_text(it->rec, s->f_entry, &s->tmp);
	snprintf(entry, sizeof(entry), "%s", qp_buf_str(&s->tmp) ?
	    qp_buf_str(&s->tmp) : "");
	qp_buf_reset(&s->code);
	codeutil_extract(answer, entry, &s->code);
	qp_buf_reset(&s->prog);
	s->fixed[0] = '\0';
	mode = codeutil_candidate("", entry, qp_buf_str(&s->code) ?
	    qp_buf_str(&s->code) : "", 0, &s->prog, s->fixed,
	    sizeof(s->fixed));
	qp_buf_adds(&s->prog, "\n\n");
	if (cJSON_IsArray(t))
		cJSON_ArrayForEach(e, t) {
			qp_buf_reset(&s->tmp);
			tf_value_text(&s->tmp, e);
			qp_buf_add(&s->tmp, "", 0);
			qp_buf_adds(&s->prog, qp_buf_str(&s->tmp));
			qp_buf_adds(&s->prog, "\n");
		}
	else if (cJSON_IsString(t)) {
		qp_buf_adds(&s->prog, t->valuestring);
		qp_buf_adds(&s->prog, "\n");
		if (strstr(t->valuestring, "def check(") != NULL)
			qp_buf_addf(&s->prog, "\ncheck(%s)\n", entry);
	}
	return (mode);
}

static int
exec_request(struct tf *s, struct qeval_ctx *ctx, const char *label,
    struct qeval_request *req)
{
	qp_buf_reset(&s->body);
	codeutil_exec_body(&s->body, &s->prog, s->timeout);
	if (!qp_buf_ok(&s->body) || !qp_buf_ok(&s->prog) ||
	    !qp_buf_ok(&s->code) || !qp_buf_ok(&s->tmp))
		return (s->h->fail(ctx, QEVAL_ENOMEM, "out of memory building "
		    "a program"));
	req->kind = QEVAL_REQ_EXEC;
	req->target = QEVAL_TARGET_MODEL;
	req->body = qp_buf_str(&s->body);
	req->label = label;
	return (QEVAL_NEXT);
}

static int
tf_next(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_request *req)
{
	struct tf *s = state;
	const struct item *it;
	const char *text;

	(void)cand;
	if (i >= s->n)
		return (s->h->fail(ctx, QEVAL_EINVAL, "taskfile: no sample "
		    "%zu", i));
	it = &s->items[i];
	if (nex == 0)
		return (model_request(s, ctx, it, req));
	if (s->kind != K_CODE || nex > 2)
		return (QEVAL_DONE);
	if ((text = codeutil_text(&ex[0].resp, &s->out)) == NULL)
		return (s->h->fail(ctx, QEVAL_ENOMEM, "out of memory"));
	if (nex == 1) {
		(void)build_program(s, it, text, s->f_tests);
		return (exec_request(s, ctx, "tests", req));
	}
	if (tf_path(it->rec, s->f_visible) == NULL)
		return (QEVAL_DONE);
	(void)build_program(s, it, text, s->f_visible);
	return (exec_request(s, ctx, "visible", req));
}

/* ------------------------------------------------------------------ */
/* Scoring                                                            */

static void
detail_open(struct tf *s, const struct item *it, int *first)
{
	const cJSON *e;

	int gfirst = 1;

	qp_buf_reset(&s->detail);
	qp_buf_adds(&s->detail, "{");
	*first = 1;
	if (s->f_category == NULL)
		return;
	/* the groupings, also as "groups": the report's per-test table */
	qp_buf_adds(&s->detail, "\"groups\":{");
	*first = 0;
	if (cJSON_IsString(s->f_category) && field_text(it->rec,
	    s->f_category->valuestring, &s->tmp) == 0)
		codeutil_json_kv(&s->detail, &gfirst,
		    s->f_category->valuestring, qp_buf_str(&s->tmp));
	cJSON_ArrayForEach(e, s->f_category) {
		if (!cJSON_IsString(e) || field_text(it->rec, e->valuestring,
		    &s->tmp) != 0)
			continue;
		codeutil_json_kv(&s->detail, &gfirst, e->valuestring,
		    qp_buf_str(&s->tmp));
	}
	qp_buf_adds(&s->detail, "}");
	cJSON_ArrayForEach(e, s->f_category) {
		if (!cJSON_IsString(e) || field_text(it->rec, e->valuestring,
		    &s->tmp) != 0)
			continue;
		codeutil_json_kv(&s->detail, first, e->valuestring,
		    qp_buf_str(&s->tmp));
	}
}

static int
score_generate(struct tf *s, const struct item *it,
    const struct qeval_response *r, struct qeval_verdict *out)
{
	struct qp_buf ext[TF_MAX_FILTERS + 1];
	int fell[TF_MAX_FILTERS + 1], first, any_fell = 0, rc = 0;
	size_t f, m, g, len = QEVAL_RESP_TEXT_LEN(r);

	memset(ext, 0, sizeof(ext));
	memset(fell, 0, sizeof(fell));
	/* ext[0]: the raw answer; ext[f + 1]: filter f's */
	qp_buf_add(&ext[0], r->text, len);
	qp_buf_add(&ext[0], "", 0);
	for (f = 0; f < s->nfilters; f++) {
		tf_filter(s->h, s->filters[f].steps, s->filters[f].n, r->text,
		    len, &ext[f + 1], &fell[f + 1]);
		any_fell |= fell[f + 1];
	}
	for (m = 0; m < s->ngm; m++) {
		const struct gmetric *gm = &s->gm[m];
		const char *p = qp_buf_str(&ext[gm->filter + 1]);
		double v = 0.0;

		if (p == NULL) {
			rc = -1;
			break;
		}
		for (g = 0; g < it->n_golds && v == 0.0; g++) {
			switch (gm->type) {
			case TFM_EXACT:
				v = tf_exact_match(s->h, &gm->em, p,
				    it->golds[g]);
				break;
			case TFM_NUMERIC:
				v = tf_numeric_match(p, it->golds[g], gm->tol);
				break;
			case TFM_CONTAINS:
				v = tf_contains(p, it->golds[g],
				    gm->em.ignore_case);
				break;
			case TFM_REGEX: {
				struct qeval_match mm;

				v = it->gold_rx[g] != NULL && s->h->rx_match(
				    it->gold_rx[g], p, strlen(p), 0, &mm) > 0;
				break;
			}
			}
		}
		out->values[m] = v;
	}
	out->values[s->ngm] = fell[s->nfilters > 0 ? 1 : 0] ? 1.0 : 0.0;
	if (fell[s->nfilters > 0 ? 1 : 0])
		out->flags |= QEVAL_VF_INVALID;
	if (r->finish_reason != NULL && strcmp(r->finish_reason, "length") ==
	    0)
		out->flags |= QEVAL_VF_TRUNCATED;
	(void)any_fell;
	qp_buf_reset(&s->out);
	qp_buf_adds(&s->out, qp_buf_str(&ext[s->gm[0].filter + 1]) ?
	    qp_buf_str(&ext[s->gm[0].filter + 1]) : "");
	detail_open(s, it, &first);
	for (f = 0; f < s->nfilters; f++)
		codeutil_json_kv(&s->detail, &first, s->filters[f].name,
		    qp_buf_str(&ext[f + 1]) ? qp_buf_str(&ext[f + 1]) : "");
	codeutil_json_kv(&s->detail, &first, "gold", it->golds[0]);
	qp_buf_adds(&s->detail, "}");
	qp_buf_reset(&s->reason);
	qp_buf_addf(&s->reason, "%s: extracted \"%.80s\", gold \"%.80s\"",
	    out->values[0] > 0 ? "right" : "wrong", qp_buf_str(&s->out) ?
	    qp_buf_str(&s->out) : "", it->golds[0]);
	for (f = 0; f <= s->nfilters; f++)
		qp_buf_free(&ext[f]);
	out->extracted = qp_buf_str(&s->out);
	return (rc);
}

static void
score_json(struct tf *s, const struct item *it,
    const struct qeval_response *r, struct qeval_verdict *out)
{
	struct qp_buf why = QP_BUF_INIT;
	const cJSON *sc = item_schema(s, it);
	cJSON *v;
	int fell, first, ok = 0;
	static const struct tf_step fence[] = { { TF_THINK, NULL, -1, 0,
	    NULL }, { TF_CODE_FENCE, NULL, -1, 0, NULL }, { TF_STRIP, NULL,
	    -1, 0, NULL } };

	tf_filter(s->h, fence, 3, r->text, QEVAL_RESP_TEXT_LEN(r), &s->out,
	    &fell);
	v = cJSON_Parse(qp_buf_str(&s->out) ? qp_buf_str(&s->out) : "");
	out->values[1] = v != NULL;
	qp_buf_reset(&s->reason);
	if (v == NULL) {
		out->flags |= QEVAL_VF_INVALID;
		qp_buf_adds(&s->reason, "not valid JSON");
	} else if (sc == NULL) {
		ok = 1;
		qp_buf_adds(&s->reason, "valid JSON (no schema)");
	} else if ((ok = tf_schema_valid(sc, v, &why)) != 0)
		qp_buf_adds(&s->reason, "valid JSON, satisfies the schema");
	else
		qp_buf_addf(&s->reason, "valid JSON, against the schema: %s",
		    qp_buf_str(&why) ? qp_buf_str(&why) : "?");
	out->values[0] = ok;
	if (r->finish_reason != NULL && strcmp(r->finish_reason, "length") ==
	    0)
		out->flags |= QEVAL_VF_TRUNCATED;
	cJSON_Delete(v);
	qp_buf_free(&why);
	detail_open(s, it, &first);
	qp_buf_adds(&s->detail, "}");
	out->extracted = qp_buf_str(&s->out);
}

static void
score_code(struct tf *s, const struct item *it,
    const struct qeval_exchange *ex, size_t nex, struct qeval_verdict *out)
{
	struct codeutil_exec e;
	const char *text = codeutil_text(&ex[0].resp, &s->tmp2);
	int first;

	memset(&e, 0, sizeof(e));
	field_text(it->rec, s->f_entry, &s->tmp);
	e.mode = build_program(s, it, text != NULL ? text : "", s->f_tests);
	e.fixed = s->fixed;
	qp_buf_reset(&s->gold);
	qp_buf_adds(&s->gold, qp_buf_str(&s->tmp) ? qp_buf_str(&s->tmp) :
	    "");
	e.entry = qp_buf_str(&s->gold);
	codeutil_exec_verdict(&e, ex, nex < 2 ? nex : 2, out, &s->reason);
	out->values[1] = nex > 2 ? (ex[2].resp.status == QEVAL_EXEC_PASSED ?
	    1.0 : 0.0) : NAN;
	out->extracted = qp_buf_str(&s->prog);
	detail_open(s, it, &first);
	codeutil_json_kv(&s->detail, &first, "mode",
	    codeutil_mode_name(e.mode));
	if (e.mode == CU_ALIAS)
		codeutil_json_kv(&s->detail, &first, "renamed_from", s->fixed);
	codeutil_exec_detail(&s->detail, &first, 0, ex, nex < 2 ? nex : 2);
	if (nex > 2)
		codeutil_json_kv(&s->detail, &first, "visible",
		    codeutil_status_name(ex[2].resp.status));
	qp_buf_adds(&s->detail, "}");
}

static int
tf_score(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_verdict *out)
{
	struct tf *s = state;
	const struct item *it;
	int first;

	(void)cand;
	if (i >= s->n || nex < 1 || (s->kind == K_CODE && nex < 2))
		return (s->h->fail(ctx, QEVAL_EINTERNAL, "taskfile: sample "
		    "%zu scored before its exchanges", i));
	it = &s->items[i];
	switch (s->kind) {
	case K_GENERATE:
		if (score_generate(s, it, &ex[0].resp, out) != 0)
			return (s->h->fail(ctx, QEVAL_ENOMEM, "out of memory"));
		break;
	case K_JSON:
		score_json(s, it, &ex[0].resp, out);
		break;
	case K_CODE:
		score_code(s, it, ex, nex, out);
		break;
	case K_MC: {
		size_t pick, pick_n;
		const char *rule;

		qp_buf_reset(&s->reason);
		if (s->f->letter)
			(void)mc_score_letter(&s->rules, s->h, &ex[0].resp,
			    it->n_choices, it->label, &s->reason, s->ext,
			    sizeof(s->ext), out, &rule);
		else if (mc_score_ll(&ex[0].resp, it->choices, it->n_choices,
		    it->label, "choices", &s->reason, out, &pick,
		    &pick_n) == 0)
			qp_buf_addf(&s->reason, "picked %c (normalised %c), "
			    "gold %c", (char)('A' + pick), (char)('A' +
			    pick_n), (char)('A' + it->label));
		detail_open(s, it, &first);
		if (!s->f->letter)
			mc_ll_detail(&s->detail, &ex[0].resp, it->choices,
			    it->n_choices);
		qp_buf_adds(&s->detail, "}");
		break;
	}
	}
	out->reason = qp_buf_str(&s->reason);
	out->detail = qp_buf_str(&s->detail);
	out->category = it->category;
	if (!qp_buf_ok(&s->reason) || !qp_buf_ok(&s->detail) ||
	    !qp_buf_ok(&s->out) || !qp_buf_ok(&s->prog))
		return (s->h->fail(ctx, QEVAL_ENOMEM, "out of memory scoring "
		    "sample %zu", i));
	return (QEVAL_OK);
}

/* ------------------------------------------------------------------ */
/* The reference model                                                */

static int
tf_gold(void *state, struct qeval_ctx *ctx, size_t i,
    const struct qeval_exchange *ex, size_t nex,
    const struct qeval_request *req, int corrupt, struct qeval_gold *out)
{
	struct tf *s = state;
	const struct item *it;
	struct qp_buf *g = &s->gold;

	(void)ex;
	(void)nex;
	if (i >= s->n || req->kind == QEVAL_REQ_EXEC)
		return (s->h->fail(ctx, QEVAL_EINVAL, "taskfile: gold() has "
		    "no answer for sample %zu's %s", i,
		    req->kind == QEVAL_REQ_EXEC ? "program" : "request"));
	it = &s->items[i];
	qp_buf_reset(g);
	qp_buf_add(g, "", 0);
	switch (s->kind) {
	case K_GENERATE:
		if (corrupt)
			qp_buf_adds(g, s->corrupt != NULL ? s->corrupt :
			    "I do not know.");
		else {
			/* the gold field as it is (a gsm8k solution keeps
			 * its "#### 42" for the filters to find) */
			const cJSON *v = tf_path(it->rec, s->f_gold);

			tf_value_text(g, cJSON_IsArray(v) ?
			    cJSON_GetArrayItem(v, 0) : v);
		}
		break;
	case K_CODE:
		field_text(it->rec, s->f_entry, &s->tmp);
		qp_buf_adds(g, "```python\n");
		if (corrupt)
			qp_buf_addf(g, "def %s(*args, **kwargs):\n    return "
			    "None\n", qp_buf_str(&s->tmp) ?
			    qp_buf_str(&s->tmp) : "f");
		else {
			field_text(it->rec, s->f_solution, &s->tmp);
			qp_buf_adds(g, qp_buf_str(&s->tmp));
			qp_buf_adds(g, "\n");
		}
		qp_buf_adds(g, "```\n");
		break;
	case K_JSON:
		if (corrupt)
			qp_buf_adds(g, "{\"answer\": ");
		else {
			char *txt = cJSON_PrintUnformatted(tf_path(it->rec,
			    s->f_gold));

			if (txt == NULL)
				return (s->h->fail(ctx, QEVAL_ENOMEM,
				    "out of memory"));
			qp_buf_adds(g, txt);
			cJSON_free(txt);
		}
		break;
	case K_MC: {
		size_t win = corrupt ? (it->label + 1) % it->n_choices :
		    it->label;

		if (mc_gold(req, it->n_choices, win, NULL, s->lp, s->greedy, g,
		    out) != 0)
			return (s->h->fail(ctx, QEVAL_ENOMEM, "out of memory"));
		return (QEVAL_OK);
	}
	}
	if (!qp_buf_ok(g))
		return (s->h->fail(ctx, QEVAL_ENOMEM, "out of memory"));
	out->text = qp_buf_str(g);
	return (QEVAL_OK);
}

static const struct qeval_option options[] = {
	{ NULL, 0, NULL, NULL, NULL, NULL }
};

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.flags = QEVAL_PF_NONE,
	.name = "taskfile",
	.version = PACKAGE_VERSION,
	.summary = "the generic plugin: tasks from JSON task files "
	    "(docs/TASK_FILES.md)",
	.tasks = tf_tasks,
	.open = tf_open,
	.count = tf_count,
	.sample_id = tf_sample_id,
	.next = tf_next,
	.score = tf_score,
	.gold = tf_gold,
	.close = tf_close,
	.options = options,
};
