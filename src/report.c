#include "config.h"
#include "report.h"

#include "charts.h"
#include "fileio.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <qeval/plugin.h>

#include "results.h"
#include "xalloc.h"

/*
 * The report is built in two passes: every run is validated first (so
 * that rendering can trust every type it reads and a bad file gives
 * one precise error instead of a half-written report), then the runs
 * are grouped by (model, preset) and rendered.  docs/REPORT.md
 * describes the layout and the status rules.
 */

#define RESULTS_SCHEMA	"qeval-results/1"
#define CHECK_RATE	0.10	/* invalid/unparsed/truncated share */
#define WARN_SLOWER	0.30	/* regression thresholds (seed 002) */
#define FAIL_SLOWER	0.50

enum {
	J_NULL = 1u << 0,
	J_NUM = 1u << 1,
	J_STR = 1u << 2,
	J_OBJ = 1u << 3,
	J_ARR = 1u << 4,
	J_BOOL = 1u << 5
};

struct run {
	const cJSON	*doc;
	const char	*label;		/* names the run in errors */
	size_t		 idx;		/* input position: last tie-break */
	const char	*run_id;
	const char	*started;
	const char	*finished;	/* NULL if absent */
	const char	*status;
	const char	*model;
	const char	*preset;
	const char	*version;	/* NULL if absent */
	const cJSON	*preset_obj;
	const cJSON	*tasks;
	const cJSON	*system;
	const cJSON	*cost;		/* NULL if absent or null */
};

/* The winning task of a (model, preset, task name). */
struct entry {
	const cJSON		*task;
	const struct run	*run;
};

struct group {
	size_t			 model;		/* index in report.models */
	const char		*preset;
	const struct run	**runs;		/* by start time */
	size_t			 nruns, aruns;
	struct entry		*tasks;		/* first-appearance order */
	size_t			 ntasks, atasks;
};

struct report {
	struct run	*runs;		/* sorted by start time */
	size_t		 nruns;
	const char	**models;	/* by first run */
	size_t		 nmodels, amodels;
	struct group	*groups;	/* by model, then preset order */
	size_t		 ngroups, agroups;
};

struct vctx {
	const char	*label;
	char		 path[96];	/* key prefix, e.g. "tasks[0]." */
	struct strbuf	*err;
};

/* Validation. */

static unsigned
jtype(const cJSON *it)
{
	if (cJSON_IsNull(it))
		return (J_NULL);
	if (cJSON_IsNumber(it))
		return (J_NUM);
	if (cJSON_IsString(it))
		return (J_STR);
	if (cJSON_IsObject(it))
		return (J_OBJ);
	if (cJSON_IsArray(it))
		return (J_ARR);
	if (cJSON_IsBool(it))
		return (J_BOOL);
	return (0);
}

static void
add_type_name(struct strbuf *sb, unsigned t)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} names[] = {
		{ J_NUM, "a number" }, { J_STR, "a string" },
		{ J_OBJ, "an object" }, { J_ARR, "an array" },
		{ J_BOOL, "a boolean" }, { J_NULL, "null" },
	};
	size_t i;
	int first = 1;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(t & names[i].bit))
			continue;
		if (!first)
			strbuf_adds(sb, " or ");
		strbuf_adds(sb, names[i].name);
		first = 0;
	}
	if (first)
		strbuf_adds(sb, "invalid");
}

/*
 * Looks key up in obj and checks its type against mask.  A missing
 * optional key gives 0 and *out NULL; a JSON null gives *out NULL too,
 * so callers need test only *out.
 */
static int
get(struct vctx *v, const cJSON *obj, const char *key, unsigned mask,
    int required, const cJSON **out)
{
	const cJSON *it;

	*out = NULL;
	it = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (it == NULL) {
		if (!required)
			return (0);
		strbuf_addf(v->err, "%s: missing key '%s%s'", v->label,
		    v->path, key);
		return (-1);
	}
	if (!(jtype(it) & mask)) {
		strbuf_addf(v->err, "%s: key '%s%s' is ", v->label, v->path,
		    key);
		add_type_name(v->err, jtype(it));
		strbuf_adds(v->err, ", expected ");
		add_type_name(v->err, mask);
		return (-1);
	}
	if (!cJSON_IsNull(it))
		*out = it;
	return (0);
}

static int
need_nums(struct vctx *v, const cJSON *obj, const char *const *keys,
    int required)
{
	const cJSON *it;

	for (; *keys != NULL; keys++)
		if (get(v, obj, *keys, J_NUM | J_NULL, required, &it) < 0)
			return (-1);
	return (0);
}

/* Keys that must hold a number, never null. */
static int
need_counts(struct vctx *v, const cJSON *obj, const char *const *keys)
{
	const cJSON *it;

	for (; *keys != NULL; keys++)
		if (get(v, obj, *keys, J_NUM, 1, &it) < 0)
			return (-1);
	return (0);
}

static int
elem_is_obj(struct vctx *v, const cJSON *it, const char *what, int i)
{
	if (cJSON_IsObject(it))
		return (0);
	strbuf_addf(v->err, "%s: key '%s%s[%d]' is ", v->label, v->path,
	    what, i);
	add_type_name(v->err, jtype(it));
	strbuf_adds(v->err, ", expected an object");
	return (-1);
}

static int
check_metric(struct vctx *v, const cJSON *m)
{
	const cJSON *it, *fl;
	int i = 0;

	if (get(v, m, "name", J_STR, 1, &it) < 0 ||
	    get(v, m, "value", J_NUM | J_NULL, 1, &it) < 0 ||
	    get(v, m, "stderr", J_NUM | J_NULL, 0, &it) < 0 ||
	    get(v, m, "n", J_NUM | J_NULL, 0, &it) < 0 ||
	    get(v, m, "flags", J_ARR | J_NULL, 0, &fl) < 0)
		return (-1);
	cJSON_ArrayForEach(it, fl) {
		if (!cJSON_IsString(it)) {
			strbuf_addf(v->err, "%s: key '%sflags[%d]' is ",
			    v->label, v->path, i);
			add_type_name(v->err, jtype(it));
			strbuf_adds(v->err, ", expected a string");
			return (-1);
		}
		i++;
	}
	return (0);
}

static int
check_task(struct vctx *v, const cJSON *t, int ti)
{
	static const char *const nums[] = { "samples", "scored", "errors",
	    NULL };
	static const char *const counts[] = { "invalid", "truncated",
	    "name_fixed", "timeout", "unparsed", "request_errors", NULL };
	const cJSON *it, *arr, *c, *e;
	size_t plen;
	int i;

	snprintf(v->path, sizeof(v->path), "tasks[%d].", ti);
	plen = strlen(v->path);
	if (get(v, t, "name", J_STR, 1, &it) < 0 ||
	    get(v, t, "dataset", J_STR | J_NULL, 0, &it) < 0 ||
	    get(v, t, "task_type", J_STR | J_NULL, 0, &it) < 0 ||
	    need_counts(v, t, nums) < 0 ||
	    get(v, t, "candidates", J_NUM | J_NULL, 0, &it) < 0 ||
	    get(v, t, "identical_candidates", J_NUM | J_NULL, 0, &it) < 0 ||
	    get(v, t, "sampling_temperature", J_NUM | J_NULL, 0, &it) < 0 ||
	    get(v, t, "wall_s", J_NUM | J_NULL, 0, &it) < 0 ||
	    get(v, t, "counts", J_OBJ | J_NULL, 1, &c) < 0 ||
	    get(v, t, "metrics", J_ARR, 1, &arr) < 0)
		return (-1);
	if (c != NULL) {
		snprintf(v->path + plen, sizeof(v->path) - plen, "counts.");
		if (need_nums(v, c, counts, 0) < 0)
			return (-1);
	}
	i = 0;
	cJSON_ArrayForEach(e, arr) {
		v->path[plen] = '\0';
		if (elem_is_obj(v, e, "metrics", i) < 0)
			return (-1);
		snprintf(v->path + plen, sizeof(v->path) - plen,
		    "metrics[%d].", i);
		if (check_metric(v, e) < 0)
			return (-1);
		i++;
	}
	v->path[plen] = '\0';
	if (get(v, t, "passk", J_ARR | J_NULL, 0, &arr) < 0)
		return (-1);
	i = 0;
	cJSON_ArrayForEach(e, arr) {
		v->path[plen] = '\0';
		if (elem_is_obj(v, e, "passk", i) < 0)
			return (-1);
		snprintf(v->path + plen, sizeof(v->path) - plen,
		    "passk[%d].", i);
		if (get(v, e, "metric", J_STR | J_NULL, 0, &it) < 0 ||
		    get(v, e, "k", J_NUM, 1, &it) < 0 ||
		    get(v, e, "value", J_NUM | J_NULL, 1, &it) < 0)
			return (-1);
		i++;
	}
	v->path[plen] = '\0';
	if (get(v, t, "categories", J_ARR | J_NULL, 0, &arr) < 0)
		return (-1);
	i = 0;
	cJSON_ArrayForEach(e, arr) {
		const cJSON *ms, *m;

		v->path[plen] = '\0';
		if (elem_is_obj(v, e, "categories", i) < 0)
			return (-1);
		snprintf(v->path + plen, sizeof(v->path) - plen,
		    "categories[%d].", i);
		if (get(v, e, "name", J_STR, 1, &it) < 0 ||
		    get(v, e, "n", J_NUM | J_NULL, 0, &it) < 0 ||
		    get(v, e, "metrics", J_OBJ, 1, &ms) < 0)
			return (-1);
		snprintf(v->path + plen, sizeof(v->path) - plen,
		    "categories[%d].metrics.", i);
		cJSON_ArrayForEach(m, ms)
			if (get(v, ms, m->string, J_NUM | J_NULL, 1, &it) < 0)
				return (-1);
		i++;
	}
	return (0);
}

/* An optional array of numbers (for the charts); nulls if allowed. */
static int
check_num_array(struct vctx *v, const cJSON *obj, const char *key,
    int nulls)
{
	const cJSON *arr, *e;
	int i = 0;

	if (get(v, obj, key, J_ARR | J_NULL, 0, &arr) < 0)
		return (-1);
	cJSON_ArrayForEach(e, arr) {
		if (!cJSON_IsNumber(e) && !(nulls && cJSON_IsNull(e))) {
			strbuf_addf(v->err, "%s: key '%s%s[%d]' is ", v->label,
			    v->path, key, i);
			add_type_name(v->err, jtype(e));
			strbuf_adds(v->err, nulls ? ", expected a number or "
			    "null" : ", expected a number");
			return (-1);
		}
		i++;
	}
	return (0);
}

static int
check_system(struct vctx *v, const cJSON *s)
{
	static const char *const req[] = { "wall_s", "requests", "retries",
	    "failures", "output_tokens_per_s", "input_tokens_per_s", NULL };
	static const char *const opt[] = { "prompt_tokens",
	    "completion_tokens", NULL };
	static const char *const dist[] = { "n", "mean", "median", "stddev",
	    "min", "max", NULL };
	static const char *const gpu[] = { "memory_used_gb",
	    "memory_total_gb", "memory_pct", "utilization_pct", NULL };
	static const char *const dists[] = { "latency_s", "ttft_s", NULL };
	const char *const *k;
	const cJSON *it;

	snprintf(v->path, sizeof(v->path), "system.");
	if (need_nums(v, s, req, 1) < 0 || need_nums(v, s, opt, 0) < 0)
		return (-1);
	for (k = dists; *k != NULL; k++) {
		snprintf(v->path, sizeof(v->path), "system.");
		if (get(v, s, *k, J_OBJ | J_NULL, 1, &it) < 0)
			return (-1);
		snprintf(v->path, sizeof(v->path), "system.%s.", *k);
		if (it != NULL && (need_nums(v, it, dist, 0) < 0 ||
		    check_num_array(v, it, "percentiles", 0) < 0))
			return (-1);
	}
	snprintf(v->path, sizeof(v->path), "system.");
	if (get(v, s, "gpu", J_OBJ | J_NULL, 1, &it) < 0)
		return (-1);
	if (it != NULL) {
		const cJSON *name;

		snprintf(v->path, sizeof(v->path), "system.gpu.");
		if (get(v, it, "name", J_STR | J_NULL, 0, &name) < 0 ||
		    need_nums(v, it, gpu, 0) < 0 ||
		    get(v, it, "series", J_OBJ | J_NULL, 0, &it) < 0)
			return (-1);
		snprintf(v->path, sizeof(v->path), "system.gpu.series.");
		if (it != NULL && (check_num_array(v, it, "t_s", 0) < 0 ||
		    check_num_array(v, it, "memory_used_gb", 0) < 0 ||
		    check_num_array(v, it, "utilization_pct", 1) < 0))
			return (-1);
	}
	return (0);
}

static const char *
sval(const cJSON *obj, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	return (cJSON_IsString(it) ? it->valuestring : NULL);
}

static double
nval(const cJSON *obj, const char *key)
{
	const cJSON *it;

	if (obj == NULL)
		return (NAN);
	it = cJSON_GetObjectItemCaseSensitive(obj, key);
	return (cJSON_IsNumber(it) ? it->valuedouble : NAN);
}

static const cJSON *
oval(const cJSON *obj, const char *key)
{
	const cJSON *it;

	if (obj == NULL)
		return (NULL);
	it = cJSON_GetObjectItemCaseSensitive(obj, key);
	return ((cJSON_IsObject(it) || cJSON_IsArray(it)) ? it : NULL);
}

static int
check_run(struct run *r, const cJSON *doc, const char *label, size_t idx,
    struct strbuf *err)
{
	static const char *const cost[] = { "gpu_price_per_hour", "gpus",
	    "per_sample", "per_correct_sample", NULL };
	struct vctx v = { .label = label, .err = err };
	const cJSON *it, *t;
	int i;

	memset(r, 0, sizeof(*r));
	r->doc = doc;
	r->label = label;
	r->idx = idx;
	if (!cJSON_IsObject(doc)) {
		strbuf_addf(err, "%s: results document is not a JSON object",
		    label);
		return (-1);
	}
	if (get(&v, doc, "schema", J_STR, 1, &it) < 0)
		return (-1);
	if (strcmp(it->valuestring, RESULTS_SCHEMA) != 0) {
		strbuf_addf(err, "%s: key 'schema' is '%s', expected '%s'",
		    label, it->valuestring, RESULTS_SCHEMA);
		return (-1);
	}
	if (get(&v, doc, "run_id", J_STR, 1, &it) < 0 ||
	    get(&v, doc, "started", J_STR, 1, &it) < 0 ||
	    get(&v, doc, "finished", J_STR | J_NULL, 0, &it) < 0 ||
	    get(&v, doc, "status", J_STR, 1, &it) < 0 ||
	    get(&v, doc, "model", J_STR, 1, &it) < 0 ||
	    get(&v, doc, "qeval_version", J_STR | J_NULL, 0, &it) < 0 ||
	    get(&v, doc, "preset", J_OBJ, 1, &r->preset_obj) < 0 ||
	    get(&v, doc, "tasks", J_ARR, 1, &r->tasks) < 0 ||
	    get(&v, doc, "system", J_OBJ, 1, &r->system) < 0 ||
	    get(&v, doc, "cost", J_OBJ | J_NULL, 0, &r->cost) < 0)
		return (-1);
	snprintf(v.path, sizeof(v.path), "preset.");
	if (get(&v, r->preset_obj, "name", J_STR, 1, &it) < 0)
		return (-1);
	if (r->cost != NULL) {
		snprintf(v.path, sizeof(v.path), "cost.");
		if (need_nums(&v, r->cost, cost, 0) < 0)
			return (-1);
	}
	i = 0;
	cJSON_ArrayForEach(t, r->tasks) {
		v.path[0] = '\0';
		if (elem_is_obj(&v, t, "tasks", i) < 0 ||
		    check_task(&v, t, i) < 0)
			return (-1);
		i++;
	}
	if (check_system(&v, r->system) < 0)
		return (-1);
	r->run_id = sval(doc, "run_id");
	r->started = sval(doc, "started");
	r->finished = sval(doc, "finished");
	r->status = sval(doc, "status");
	r->model = sval(doc, "model");
	r->version = sval(doc, "qeval_version");
	r->preset = sval(r->preset_obj, "name");
	return (0);
}

/* Grouping. */

static int
cmp_run(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	int c;

	if ((c = strcmp(x->started, y->started)) != 0)
		return (c);
	if ((c = strcmp(x->run_id, y->run_id)) != 0)
		return (c);
	return ((x->idx > y->idx) - (x->idx < y->idx));
}

static int
preset_rank(const char *p)
{
	if (strcmp(p, "performance") == 0)
		return (0);
	if (strcmp(p, "balanced") == 0)
		return (1);
	if (strcmp(p, "memory") == 0)
		return (2);
	return (3);
}

static int
cmp_preset(const char *a, const char *b)
{
	int ra = preset_rank(a), rb = preset_rank(b);

	if (ra != rb)
		return (ra - rb);
	return (strcmp(a, b));
}

static int
cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->model != y->model)
		return (x->model < y->model ? -1 : 1);
	return (cmp_preset(x->preset, y->preset));
}

static void
group_add_run(struct group *g, const struct run *r)
{
	const cJSON *t;
	size_t i;

	g->runs = xgrow(g->runs, g->nruns + 1, sizeof(*g->runs), &g->aruns);
	g->runs[g->nruns++] = r;
	cJSON_ArrayForEach(t, r->tasks) {
		const char *name = sval(t, "name");

		for (i = 0; i < g->ntasks; i++)
			if (strcmp(sval(g->tasks[i].task, "name"), name) == 0)
				break;
		if (i == g->ntasks) {
			g->tasks = xgrow(g->tasks, g->ntasks + 1,
			    sizeof(*g->tasks), &g->atasks);
			g->ntasks++;
		}
		/* Runs come in start order: the latest one wins. */
		g->tasks[i].task = t;
		g->tasks[i].run = r;
	}
}

static void
report_build(struct report *rp)
{
	size_t i, m, k;

	qsort(rp->runs, rp->nruns, sizeof(*rp->runs), cmp_run);
	for (i = 0; i < rp->nruns; i++) {
		const struct run *r = &rp->runs[i];

		for (m = 0; m < rp->nmodels; m++)
			if (strcmp(rp->models[m], r->model) == 0)
				break;
		if (m == rp->nmodels) {
			rp->models = xgrow(rp->models, m + 1,
			    sizeof(*rp->models), &rp->amodels);
			rp->models[rp->nmodels++] = r->model;
		}
		for (k = 0; k < rp->ngroups; k++)
			if (rp->groups[k].model == m &&
			    strcmp(rp->groups[k].preset, r->preset) == 0)
				break;
		if (k == rp->ngroups) {
			rp->groups = xgrow(rp->groups, k + 1,
			    sizeof(*rp->groups), &rp->agroups);
			memset(&rp->groups[k], 0, sizeof(rp->groups[k]));
			rp->groups[k].model = m;
			rp->groups[k].preset = r->preset;
			rp->ngroups++;
		}
		group_add_run(&rp->groups[k], r);
	}
	qsort(rp->groups, rp->ngroups, sizeof(*rp->groups), cmp_group);
}

static void
report_free(struct report *rp)
{
	size_t i;

	for (i = 0; i < rp->ngroups; i++) {
		free(rp->groups[i].runs);
		free(rp->groups[i].tasks);
	}
	free(rp->groups);
	free(rp->models);
	free(rp->runs);
}

/* The latest run of a group, whose system figures stand for it. */
static const struct run *
group_latest(const struct group *g)
{
	return (g->runs[g->nruns - 1]);
}

static int
group_contributes(const struct group *g, const struct run *r)
{
	size_t i;

	for (i = 0; i < g->ntasks; i++)
		if (g->tasks[i].run == r)
			return (1);
	return (g->ntasks == 0 && r == group_latest(g));
}

/* Text helpers. */

/* Inline text outside tables: control characters become spaces. */
static void
add_inline(struct strbuf *sb, const char *s)
{
	for (; *s != '\0'; s++)
		strbuf_addch(sb, (unsigned char)*s < 0x20 ? ' ' : *s);
}

/* A table cell: '|' and '\' escaped, line breaks as <br>. */
static void
add_cell(struct strbuf *sb, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '|' || *s == '\\') {
			strbuf_addch(sb, '\\');
			strbuf_addch(sb, *s);
		} else if (*s == '\r' && s[1] == '\n') {
			strbuf_adds(sb, "<br>");
			s++;
		} else if (*s == '\n' || *s == '\r')
			strbuf_adds(sb, "<br>");
		else if ((unsigned char)*s < 0x20)
			strbuf_addch(sb, ' ');
		else
			strbuf_addch(sb, *s);
	}
}

/* An inline code span: backticks cannot be escaped inside one. */
static void
add_code(struct strbuf *sb, const char *s, int in_cell)
{
	strbuf_addch(sb, '`');
	for (; *s != '\0'; s++) {
		if (*s == '`')
			strbuf_addch(sb, '\'');
		else if (in_cell && *s == '|')
			strbuf_adds(sb, "\\|");
		else
			strbuf_addch(sb, (unsigned char)*s < 0x20 ? ' ' : *s);
	}
	strbuf_addch(sb, '`');
}

static const char *const month_names[] = { "January", "February", "March",
    "April", "May", "June", "July", "August", "September", "October",
    "November", "December" };

/* "2026-11-22T03:30:00Z" -> "November 22, 2026"; else the text. */
static void
add_date_long(struct strbuf *sb, const char *iso)
{
	int y, mo, d;

	if (sscanf(iso, "%4d-%2d-%2d", &y, &mo, &d) == 3 && mo >= 1 &&
	    mo <= 12 && d >= 1 && d <= 31)
		strbuf_addf(sb, "%s %d, %d", month_names[mo - 1], d, y);
	else
		add_inline(sb, iso);
}

/* The date part of an ISO timestamp, or the text. */
static void
add_date_short(struct strbuf *sb, const char *iso)
{
	int y, mo, d;

	if (sscanf(iso, "%4d-%2d-%2d", &y, &mo, &d) == 3)
		strbuf_addf(sb, "%04d-%02d-%02d", y, mo, d);
	else
		add_cell(sb, iso);
}

static void
add_preset_title(struct strbuf *sb, const char *p)
{
	if (strcmp(p, "memory") == 0) {
		strbuf_adds(sb, "Memory Optimized");
		return;
	}
	if (*p >= 'a' && *p <= 'z') {
		strbuf_addch(sb, *p - 'a' + 'A');
		p++;
	}
	add_inline(sb, p);
}

/* Rounds to the given decimals and folds -0 into +0. */
static double
tidy(double v, int decimals)
{
	double f = pow(10.0, decimals);

	return (round(v * f) / f + 0.0);
}

static void
add_num(struct strbuf *sb, double v, int decimals, const char *unit)
{
	if (isnan(v)) {
		strbuf_adds(sb, "n/a");
		return;
	}
	strbuf_addf(sb, "%.*f%s", decimals, tidy(v, decimals), unit);
}

static void
add_count(struct strbuf *sb, double v)
{
	if (isnan(v))
		strbuf_adds(sb, "n/a");
	else
		strbuf_addf(sb, "%.0f", tidy(v, 0));
}

static void
add_money(struct strbuf *sb, double v)
{
	int dec;

	if (isnan(v)) {
		strbuf_adds(sb, "n/a");
		return;
	}
	/* Three significant digits, at least cents. */
	dec = 2;
	if (v > 0.0 && v < 1.0)
		dec = 2 - (int)floor(log10(v));
	if (dec > 9)
		dec = 9;
	strbuf_addf(sb, "$%.*f", dec, tidy(v, dec));
}

static void
add_duration(struct strbuf *sb, double s)
{
	long t;

	add_num(sb, s, 1, " s");
	if (isnan(s) || s < 60.0)
		return;
	t = lround(s);
	if (t >= 3600)
		strbuf_addf(sb, " (%ldh %02ldm %02lds)", t / 3600,
		    t / 60 % 60, t % 60);
	else
		strbuf_addf(sb, " (%ldm %02lds)", t / 60, t % 60);
}

static int
has_flag(const cJSON *m, const char *flag)
{
	const cJSON *f, *flags = oval(m, "flags");

	cJSON_ArrayForEach(f, flags)
		if (cJSON_IsString(f) && strcmp(f->valuestring, flag) == 0)
			return (1);
	return (0);
}

/* The metric flagged primary, else the first one; NULL if none. */
static const cJSON *
primary_metric(const cJSON *task)
{
	const cJSON *m, *ms = oval(task, "metrics");

	cJSON_ArrayForEach(m, ms)
		if (has_flag(m, "primary"))
			return (m);
	return (ms != NULL ? ms->child : NULL);
}

/* A metric value with its stderr: 75.0% ± 1.2%, or 7.50/10 ± 0.12. */
static void
add_score(struct strbuf *sb, double v, double se, int scale10, int bold)
{
	const char *b = bold ? "**" : "";

	if (isnan(v)) {
		strbuf_adds(sb, "n/a");
		return;
	}
	if (scale10)
		strbuf_addf(sb, "%s%.2f/10%s", b, tidy(v, 2), b);
	else
		strbuf_addf(sb, "%s%.1f%%%s", b, tidy(v * 100.0, 1), b);
	if (isnan(se))
		return;
	if (scale10)
		strbuf_addf(sb, " ± %.2f", tidy(se, 2));
	else
		strbuf_addf(sb, " ± %.1f%%", tidy(se * 100.0, 1));
}

static void
add_metric(struct strbuf *sb, const cJSON *m, int bold)
{
	add_score(sb, nval(m, "value"), nval(m, "stderr"),
	    has_flag(m, "scale10"), bold);
}

/* Task figures. */

struct taskinfo {
	double		 samples, scored, errors, candidates, answers;
	double		 ratings;	/* denominator of unparsed */
	double		 invalid, truncated, unparsed;
	const cJSON	*primary;
	const char	*status;	/* with its emoji */
	char		 why[96];	/* reason for a non-success status */
};

static void
task_info(const cJSON *t, struct taskinfo *ti)
{
	const cJSON *counts = oval(t, "counts"), *m, *ms = oval(t, "metrics");
	double pv, rate;

	memset(ti, 0, sizeof(*ti));
	ti->samples = nval(t, "samples");
	ti->scored = nval(t, "scored");
	ti->errors = nval(t, "errors");
	ti->candidates = nval(t, "candidates");
	if (isnan(ti->candidates) || ti->candidates < 1.0)
		ti->candidates = 1.0;
	/* The counts are per scored answer (one per candidate of each
	 * scored sample): the denominator of the plugin's rate metrics
	 * too.  Results written before counts.answers existed: every
	 * answer of the samples. */
	ti->answers = nval(counts, "answers");
	if (isnan(ti->answers))
		ti->answers = ti->samples * ti->candidates;
	/* MT-Bench counts unparsed ratings, two per answer */
	ti->ratings = nval(counts, "judge_ratings");
	if (isnan(ti->ratings))
		ti->ratings = ti->answers;
	ti->invalid = nval(counts, "invalid");
	ti->truncated = nval(counts, "truncated");
	ti->unparsed = nval(counts, "unparsed");
	ti->primary = primary_metric(t);
	pv = nval(ti->primary, "value");

	ti->status = "✅ SUCCESS";
	if (ti->errors > 0.0) {
		ti->status = "❌ FAILED";
		snprintf(ti->why, sizeof(ti->why), "%.0f of %.0f samples "
		    "failed", ti->errors, ti->samples);
		return;
	}
	if (ti->samples > 0.0 && ti->scored == 0.0) {
		ti->status = "❌ FAILED";
		snprintf(ti->why, sizeof(ti->why), "no sample was scored");
		return;
	}
	ti->status = "⚠️ CHECK";
	if (ti->primary == NULL || isnan(pv)) {
		snprintf(ti->why, sizeof(ti->why), "no primary score");
		return;
	}
	if (ti->answers > 0.0) {
		if ((rate = ti->invalid / ti->answers) > CHECK_RATE) {
			snprintf(ti->why, sizeof(ti->why), "invalid answers "
			    "%.1f%% > %.0f%%", tidy(rate * 100.0, 1),
			    CHECK_RATE * 100.0);
			return;
		}
		if (ti->ratings > 0.0 &&
		    (rate = ti->unparsed / ti->ratings) > CHECK_RATE) {
			snprintf(ti->why, sizeof(ti->why), "unparsed judge "
			    "ratings %.1f%% > %.0f%%", tidy(rate * 100.0, 1),
			    CHECK_RATE * 100.0);
			return;
		}
		if ((rate = ti->truncated / ti->answers) > CHECK_RATE) {
			snprintf(ti->why, sizeof(ti->why), "truncated answers "
			    "%.1f%% > %.0f%%", tidy(rate * 100.0, 1),
			    CHECK_RATE * 100.0);
			return;
		}
	}
	/* A plugin's own invalid-rate metric (e.g. invalid,strict-match). */
	cJSON_ArrayForEach(m, ms) {
		const char *n = sval(m, "name");

		if (has_flag(m, "rate") && strncmp(n, "invalid", 7) == 0 &&
		    nval(m, "value") > CHECK_RATE) {
			snprintf(ti->why, sizeof(ti->why), "%.40s %.1f%% > "
			    "%.0f%%", n, tidy(nval(m, "value") * 100.0, 1),
			    CHECK_RATE * 100.0);
			return;
		}
	}
	/* Candidates sampled above temperature 0 that mostly came back
	 * the same: pass@k and best-of-N measured nothing more than one
	 * answer (the server ignores seed or temperature, or the model is
	 * that sure). */
	rate = nval(t, "identical_candidates");
	if (ti->candidates > 1.0 && rate > 0.5 &&
	    nval(t, "sampling_temperature") > 0.0) {
		snprintf(ti->why, sizeof(ti->why), "most candidates "
		    "identical at temperature %g",
		    nval(t, "sampling_temperature"));
		return;
	}
	if (pv == 0.0 && !has_flag(ti->primary, "lower_better")) {
		snprintf(ti->why, sizeof(ti->why), "score is 0: check the "
		    "scorer on the saved answers");
		return;
	}
	ti->status = "✅ SUCCESS";
}

static int
find_metric_exact(const cJSON *t, const char *name)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, oval(t, "metrics"))
		if (strcmp(sval(m, "name"), name) == 0)
			return (1);
	return (0);
}

static void
sep(struct strbuf *sb, int *first)
{
	if (!*first)
		strbuf_adds(sb, "; ");
	*first = 0;
}

static void
add_count_rate(struct strbuf *sb, const char *what, double c, double of)
{
	strbuf_addf(sb, "%s %.0f", what, c);
	if (of > 0.0)
		strbuf_addf(sb, " (%.1f%%)", tidy(c / of * 100.0, 1));
}

/*
 * A breakdown metric: "family,part" where the task also reports the
 * plain "family" (IFEval's per-group accuracies); shown in a table of
 * its own rather than in Notes.
 */
static int
is_breakdown(const cJSON *t, const cJSON *m)
{
	const char *n = sval(m, "name"), *comma;
	const cJSON *x;

	if (n == NULL || (comma = strchr(n, ',')) == NULL)
		return (0);
	cJSON_ArrayForEach(x, oval(t, "metrics")) {
		const char *xn = sval(x, "name");

		if (xn != NULL && strlen(xn) == (size_t)(comma - n) &&
		    strncmp(xn, n, (size_t)(comma - n)) == 0)
			return (1);
	}
	return (0);
}

/* The Notes cell, built unescaped; the caller escapes it. */
static void
task_notes(struct strbuf *sb, const cJSON *t, const struct taskinfo *ti)
{
	static const struct {
		const char	*key, *label;
	} extra[] = {
		{ "timeout", "timeouts" },
		{ "name_fixed", "name mismatch resolved" },
		{ "request_errors", "request errors" },
		{ "unparseable_retried", "samples retried after an "
		    "unparseable reply" },
		{ "invalid_utf8", "responses with invalid UTF-8 (stored as "
		    "U+FFFD)" },
	};
	const cJSON *m, *counts = oval(t, "counts");
	double v;
	size_t i;
	int first = 1;

	if (ti->why[0] != '\0') {
		sep(sb, &first);
		strbuf_adds(sb, ti->why);
	}
	if (ti->primary != NULL) {
		sep(sb, &first);
		strbuf_addf(sb, "primary: %s", sval(ti->primary, "name"));
		if (has_flag(ti->primary, "lower_better"))
			strbuf_adds(sb, " (lower is better)");
	}
	cJSON_ArrayForEach(m, oval(t, "metrics")) {
		if (m == ti->primary || is_breakdown(t, m))
			continue;
		/* A rate no sample reported (an option's count while the
		 * option is off): nothing to say. */
		if (has_flag(m, "rate") && isnan(nval(m, "value")))
			continue;
		sep(sb, &first);
		strbuf_addf(sb, "%s ", sval(m, "name"));
		add_metric(sb, m, 0);
		if (has_flag(m, "lower_better"))
			strbuf_adds(sb, " (lower is better)");
	}
	cJSON_ArrayForEach(m, oval(t, "passk")) {
		const char *n = sval(m, "metric");

		/* Already shown when it is also a metric (often pass@1). */
		if (n != NULL && find_metric_exact(t, n))
			continue;
		sep(sb, &first);
		if (n != NULL)
			strbuf_addf(sb, "%s ", n);
		else
			strbuf_addf(sb, "pass@%.0f ", nval(m, "k"));
		add_score(sb, nval(m, "value"), NAN, 0, 0);
	}
	if (!isnan(v = nval(t, "identical_candidates"))) {
		sep(sb, &first);
		strbuf_adds(sb, "identical candidates ");
		add_score(sb, v, NAN, 0, 0);
		/* shown even when the status gives another reason */
		if (v > 0.5 && nval(t, "sampling_temperature") > 0.0)
			strbuf_addf(sb, " ⚠️ (sampled at temperature %g)",
			    nval(t, "sampling_temperature"));
	}
	if (ti->candidates > 1.0) {
		sep(sb, &first);
		strbuf_addf(sb, "%.0f candidates per sample", ti->candidates);
	}
	if (!isnan(ti->scored) && ti->scored != ti->samples) {
		sep(sb, &first);
		strbuf_addf(sb, "scored %.0f", ti->scored);
	}
	if (!isnan(ti->invalid)) {
		sep(sb, &first);
		add_count_rate(sb, "invalid", ti->invalid, ti->answers);
	}
	if (!isnan(ti->truncated)) {
		sep(sb, &first);
		add_count_rate(sb, "truncated", ti->truncated, ti->answers);
	}
	if (!isnan(ti->unparsed) && ti->unparsed > 0.0) {
		sep(sb, &first);
		add_count_rate(sb, "unparsed judge ratings", ti->unparsed,
		    ti->ratings);
	}
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		v = nval(counts, extra[i].key);
		if (isnan(v) || v == 0.0)
			continue;
		sep(sb, &first);
		strbuf_addf(sb, "%s %.0f", extra[i].label, v);
	}
}

static const char *
task_dataset(const cJSON *t)
{
	const char *d = sval(t, "dataset");

	return (d != NULL ? d : sval(t, "name"));
}

/* Sections. */

/* Whether task j of group k appeared in an earlier group of its model. */
static int
model_task_seen(const struct report *rp, size_t k, size_t j)
{
	const char *tn = sval(rp->groups[k].tasks[j].task, "name");
	size_t i, x;

	for (i = 0; i < k; i++) {
		if (rp->groups[i].model != rp->groups[k].model)
			continue;
		for (x = 0; x < rp->groups[i].ntasks; x++)
			if (strcmp(sval(rp->groups[i].tasks[x].task, "name"),
			    tn) == 0)
				return (1);
	}
	return (0);
}

static void
render_overview(struct strbuf *sb, const struct report *rp)
{
	const struct run *last = &rp->runs[rp->nruns - 1];
	const char *gpu = NULL;
	size_t i, j, k;
	int first;

	strbuf_adds(sb, "# qeval Evaluation Tracker\n\n## Overview\n");
	strbuf_addf(sb, "This report covers %zu run%s of %zu model%s, "
	    "generated by qeval from the runs' results.json files alone.\n\n",
	    rp->nruns, rp->nruns == 1 ? "" : "s", rp->nmodels,
	    rp->nmodels == 1 ? "" : "s");
	strbuf_adds(sb, "**Last Updated:** ");
	add_date_long(sb, last->started);
	strbuf_adds(sb, " (run ");
	add_code(sb, last->run_id, 0);
	strbuf_adds(sb, ")  \n**Runs Covered:** ");
	add_date_long(sb, rp->runs[0].started);
	if (strncmp(rp->runs[0].started, last->started, 10) != 0) {
		strbuf_adds(sb, " – ");
		add_date_long(sb, last->started);
	}
	strbuf_adds(sb, "  \n**Framework Version:** ");
	first = 1;
	for (i = 0; i < rp->nruns; i++) {
		const char *v = rp->runs[i].version;

		if (v == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (rp->runs[j].version != NULL &&
			    strcmp(rp->runs[j].version, v) == 0)
				break;
		if (j < i)
			continue;
		if (!first)
			strbuf_adds(sb, ", ");
		strbuf_addf(sb, "qeval ");
		add_inline(sb, v);
		first = 0;
	}
	if (first)
		strbuf_adds(sb, "n/a");
	strbuf_adds(sb, "  \n**GPU Environment:** ");
	first = 1;
	for (i = 0; i < rp->nruns; i++) {
		const char *g = sval(oval(rp->runs[i].system, "gpu"), "name");

		if (g == NULL || (gpu != NULL && strcmp(gpu, g) == 0))
			continue;
		for (j = 0; j < i; j++) {
			const char *h = sval(oval(rp->runs[j].system, "gpu"),
			    "name");

			if (h != NULL && strcmp(h, g) == 0)
				break;
		}
		if (j < i)
			continue;
		if (!first)
			strbuf_adds(sb, ", ");
		add_inline(sb, g);
		gpu = g;
		first = 0;
	}
	if (first)
		strbuf_adds(sb, "n/a");
	strbuf_adds(sb, "  \n\n---\n\n## Models Evaluated\n\n"
	    "| Model | Presets | Tasks | Runs | Status |\n"
	    "|-------|---------|-------|------|--------|\n");
	for (i = 0; i < rp->nmodels; i++) {
		size_t nruns = 0, ntasks = 0;
		int partial = 0;

		strbuf_adds(sb, "| ");
		add_code(sb, rp->models[i], 1);
		strbuf_adds(sb, " | ");
		first = 1;
		for (k = 0; k < rp->ngroups; k++) {
			const struct group *g = &rp->groups[k];

			if (g->model != i)
				continue;
			if (!first)
				strbuf_adds(sb, ", ");
			add_cell(sb, g->preset);
			first = 0;
			nruns += g->nruns;
			for (j = 0; j < g->ntasks; j++)
				if (!model_task_seen(rp, k, j))
					ntasks++;
			for (j = 0; j < g->nruns; j++)
				if (group_contributes(g, g->runs[j]) &&
				    strcmp(g->runs[j]->status,
				    "complete") != 0)
					partial = 1;
		}
		strbuf_addf(sb, " | %zu | %zu | %s |\n", ntasks, nruns,
		    partial ? "⚠️ PARTIAL" : "✅ COMPLETED");
	}
	strbuf_adds(sb, "\n---\n\n");
}

static void
render_system(struct strbuf *sb, const struct run *r)
{
	const cJSON *s = r->system, *gpu = oval(s, "gpu");
	const cJSON *lat = oval(s, "latency_s"), *tt = oval(s, "ttft_s");
	const char *gname = sval(gpu, "name");
	double used = nval(gpu, "memory_used_gb");
	double total = nval(gpu, "memory_total_gb");
	double pct = nval(gpu, "memory_pct");
	double pt, ct;

	strbuf_adds(sb, "- **GPU Memory:** ");
	add_num(sb, used, 2, " GB");
	if (!isnan(used) && (!isnan(pct) || !isnan(total))) {
		strbuf_adds(sb, " (");
		if (!isnan(pct)) {
			add_num(sb, pct, 1, "% of ");
			add_inline(sb, gname != NULL ? gname : "the GPU");
			if (!isnan(total))
				strbuf_adds(sb, ", ");
		}
		if (!isnan(total))
			add_num(sb, total, 2, " GB total");
		strbuf_adds(sb, ")");
	}
	strbuf_adds(sb, "\n- **Output Throughput:** ");
	add_num(sb, nval(s, "output_tokens_per_s"), 2, " tokens/s");
	strbuf_adds(sb, "\n- **Input Throughput:** ");
	add_num(sb, nval(s, "input_tokens_per_s"), 2, " tokens/s");
	/* the prompt tokens the server had cached cost it nothing: they
	 * are not in the throughput, and shown apart */
	if (nval(s, "prompt_tokens_cached") > 0) {
		strbuf_adds(sb, " (processed prompt tokens; ");
		add_count(sb, nval(s, "prompt_tokens_cached"));
		strbuf_adds(sb, " more were served from the prefix cache)");
	}
	strbuf_adds(sb, "\n- **GPU Utilization:** ");
	add_num(sb, nval(gpu, "utilization_pct"), 1, "%");
	strbuf_adds(sb, "\n- **Time to First Token:** ");
	if (tt == NULL)
		strbuf_adds(sb, "n/a");
	else {
		strbuf_adds(sb, "mean ");
		add_num(sb, nval(tt, "mean"), 3, " s");
		strbuf_adds(sb, ", median ");
		add_num(sb, nval(tt, "median"), 3, " s");
	}
	{
		const cJSON *dec = oval(s, "decode_s");
		const cJSON *tp = oval(s, "tpot_s");

		/* Per phase, for streamed runs: shown when measured. */
		if (dec != NULL && nval(dec, "n") > 0) {
			strbuf_adds(sb, "\n- **Decode Time:** mean ");
			add_num(sb, nval(dec, "mean"), 3, " s");
			strbuf_adds(sb, ", median ");
			add_num(sb, nval(dec, "median"), 3, " s");
		}
		if (tp != NULL && nval(tp, "n") > 0) {
			strbuf_adds(sb, "\n- **Time per Output Token:** mean ");
			add_num(sb, 1000 * nval(tp, "mean"), 1, " ms");
			strbuf_adds(sb, ", median ");
			add_num(sb, 1000 * nval(tp, "median"), 1, " ms");
		}
	}
	strbuf_adds(sb, "\n- **Request Latency:** ");
	if (lat == NULL || nval(lat, "n") == 0.0)
		strbuf_adds(sb, "n/a");
	else {
		strbuf_adds(sb, "mean ");
		add_num(sb, nval(lat, "mean"), 2, " s");
		strbuf_adds(sb, ", median ");
		add_num(sb, nval(lat, "median"), 2, " s");
		strbuf_adds(sb, ", stddev ");
		add_num(sb, nval(lat, "stddev"), 2, " s");
		strbuf_adds(sb, ", range ");
		if (isnan(nval(lat, "min")) || isnan(nval(lat, "max")))
			strbuf_adds(sb, "n/a");
		else {
			add_num(sb, nval(lat, "min"), 2, "");
			strbuf_adds(sb, "–");
			add_num(sb, nval(lat, "max"), 2, " s");
		}
		if (!isnan(nval(lat, "n")))
			strbuf_addf(sb, " (n=%.0f)", nval(lat, "n"));
	}
	strbuf_adds(sb, "\n- **Wall Time:** ");
	add_duration(sb, nval(s, "wall_s"));
	strbuf_adds(sb, "\n- **Requests:** ");
	add_count(sb, nval(s, "requests"));
	strbuf_adds(sb, " (retries ");
	add_count(sb, nval(s, "retries"));
	strbuf_adds(sb, ", failures ");
	add_count(sb, nval(s, "failures"));
	strbuf_adds(sb, ")");
	pt = nval(s, "prompt_tokens");
	ct = nval(s, "completion_tokens");
	if (!isnan(pt) || !isnan(ct)) {
		strbuf_adds(sb, "\n- **Tokens:** ");
		add_count(sb, pt);
		strbuf_adds(sb, " prompt");
		if (!isnan(nval(s, "prompt_tokens_cached"))) {
			strbuf_adds(sb, " (");
			add_count(sb, nval(s, "prompt_tokens_cached"));
			strbuf_adds(sb, " cached)");
		}
		strbuf_adds(sb, ", ");
		add_count(sb, ct);
		strbuf_adds(sb, " completion");
	}
	/* Figures only some runs have: shown when present. */
	{
		const cJSON *sv = oval(s, "server");
		const char *layers = sval(s, "sandbox_layers");

		const cJSON *sm = oval(s, "server_metrics");
		const cJSON *ms = oval(r->doc, "model_server");

		if (ms != NULL) {
			const char *kind = sval(ms, "kind");
			const cJSON *rm = oval(ms, "response_models"), *x;

			strbuf_adds(sb, "\n- **Model Server:** ");
			add_inline(sb, kind != NULL ? kind : "unknown");
			if (sval(ms, "kind_from") != NULL) {
				strbuf_adds(sb, " (from ");
				add_inline(sb, sval(ms, "kind_from"));
				strbuf_adds(sb, ")");
			}
			cJSON_ArrayForEach(x, rm) {
				if (!cJSON_IsString(x) || r->model == NULL ||
				    strcmp(x->valuestring, r->model) == 0)
					continue;
				strbuf_adds(sb, "\n- ⚠️ **Model Name:** "
				    "asked for ");
				add_code(sb, r->model, 0);
				strbuf_adds(sb, "; the server's responses "
				    "name ");
				add_code(sb, x->valuestring, 0);
				strbuf_adds(sb, " (a server that ignores the "
				    "request's model, e.g. llama.cpp: check "
				    "what was evaluated)");
				break;
			}
		}
		if (sm != NULL) {
			strbuf_adds(sb, "\n- **Server Metrics (/metrics):** "
			    "prefix-cache hit rate ");
			add_num(sb, 100 * nval(sm, "prefix_cache_hit_rate"), 1,
			    "%");
			strbuf_adds(sb, ", KV cache peak ");
			add_num(sb, nval(sm, "kv_cache_usage_peak_pct"), 1,
			    "%");
			strbuf_adds(sb, ", requests running peak ");
			add_count(sb, nval(sm, "requests_running_peak"));
			strbuf_adds(sb, ", requests waiting peak ");
			add_count(sb, nval(sm, "requests_waiting_peak"));
			strbuf_adds(sb, ", preemptions ");
			add_count(sb, nval(sm, "preemptions"));
		}
		if (sv != NULL && !isnan(nval(sv, "cold_start_s"))) {
			strbuf_adds(sb, "\n- **Server Cold Start:** ");
			add_duration(sb, nval(sv, "cold_start_s"));
			strbuf_adds(sb, " (started by qeval)");
		}
		if (layers != NULL && *layers != '\0') {
			strbuf_adds(sb, "\n- **Code Sandbox:** ");
			add_inline(sb, layers);
		}
	}
	strbuf_adds(sb, "\n");
}

/* The task metric a category key refers to, for its scale. */
static const cJSON *
find_metric(const cJSON *task, const char *key)
{
	const cJSON *m, *ms = oval(task, "metrics");
	size_t kl = strlen(key);

	cJSON_ArrayForEach(m, ms)
		if (strcmp(sval(m, "name"), key) == 0)
			return (m);
	/* "exact_match" names the family "exact_match,<filter>". */
	cJSON_ArrayForEach(m, ms) {
		const char *n = sval(m, "name");

		if (strncmp(n, key, kl) == 0 && n[kl] == ',')
			return (m);
	}
	return (NULL);
}

static void
render_categories(struct strbuf *sb, const cJSON *t)
{
	const cJSON *cats = oval(t, "categories"), *c, *m;
	const char **keys = NULL;
	size_t nkeys = 0, akeys = 0, i;

	if (cats == NULL || cats->child == NULL)
		return;
	/* Columns: every metric key, in order of first appearance. */
	cJSON_ArrayForEach(c, cats)
		cJSON_ArrayForEach(m, oval(c, "metrics")) {
			const cJSON *tm = find_metric(t, m->string);

			/* As in the Notes: a rate nobody reported. */
			if (tm != NULL && has_flag(tm, "rate") &&
			    isnan(nval(tm, "value")))
				continue;
			for (i = 0; i < nkeys; i++)
				if (strcmp(keys[i], m->string) == 0)
					break;
			if (i == nkeys) {
				keys = xgrow(keys, nkeys + 1, sizeof(*keys),
				    &akeys);
				keys[nkeys++] = m->string;
			}
		}
	strbuf_adds(sb, "##### **Category Breakdown: ");
	add_inline(sb, task_dataset(t));
	strbuf_adds(sb, "**\n\n| Category | Samples |");
	for (i = 0; i < nkeys; i++) {
		strbuf_adds(sb, " ");
		add_cell(sb, keys[i]);
		strbuf_adds(sb, " |");
	}
	strbuf_adds(sb, "\n|----------|---------|");
	for (i = 0; i < nkeys; i++)
		strbuf_adds(sb, "------|");
	strbuf_adds(sb, "\n");
	cJSON_ArrayForEach(c, cats) {
		const cJSON *ms = oval(c, "metrics");

		strbuf_adds(sb, "| ");
		add_cell(sb, sval(c, "name"));
		strbuf_adds(sb, " | ");
		add_count(sb, nval(c, "n"));
		strbuf_adds(sb, " |");
		for (i = 0; i < nkeys; i++) {
			const cJSON *tm = find_metric(t, keys[i]);
			double v = nval(ms, keys[i]);

			strbuf_adds(sb, " ");
			if (tm != NULL)
				add_score(sb, v, NAN, has_flag(tm, "scale10"),
				    0);
			else
				add_num(sb, v, 2, "");
			strbuf_adds(sb, " |");
		}
		strbuf_adds(sb, "\n");
	}
	strbuf_adds(sb, "\n");
	free(keys);
}

/*
 * The seeds' per-test table, from a task's "tests" (small tasks whose
 * plugin groups its samples): Test, each group, Time (s), Cost ($),
 * Result, Notes; then the cost per test and per passing test.
 */
static void
render_tests(struct strbuf *sb, const cJSON *t)
{
	const cJSON *tests = oval(t, "tests"), *r, *g, *first;
	double cost = 0, npass = 0, ntest = 0;
	int have_cost = 0;

	if (tests == NULL || (first = tests->child) == NULL)
		return;
	strbuf_adds(sb, "##### **Per Test: ");
	add_inline(sb, task_dataset(t));
	strbuf_adds(sb, "**\n\n| Test |");
	cJSON_ArrayForEach(g, oval(first, "groups")) {
		strbuf_adds(sb, " ");
		add_cell(sb, g->string);
		strbuf_adds(sb, " |");
	}
	strbuf_adds(sb, " Time (s) | Cost ($) | Result | Notes |\n|------|");
	cJSON_ArrayForEach(g, oval(first, "groups"))
		strbuf_adds(sb, "------|");
	strbuf_adds(sb, "------|------|------|------|\n");
	cJSON_ArrayForEach(r, tests) {
		double v = nval(r, "value"), c = nval(r, "cost");
		double fl = nval(r, "flags");
		unsigned f = isnan(fl) ? 0 : (unsigned)fl;
		struct strbuf notes = STRBUF_INIT;

		strbuf_adds(sb, "| ");
		add_cell(sb, sval(r, "id"));
		strbuf_adds(sb, " |");
		cJSON_ArrayForEach(g, oval(first, "groups")) {
			strbuf_adds(sb, " ");
			add_cell(sb, sval(oval(r, "groups"), g->string));
			strbuf_adds(sb, " |");
		}
		strbuf_adds(sb, " ");
		add_num(sb, nval(r, "time_s"), 2, "");
		strbuf_adds(sb, " | ");
		add_money(sb, c);
		strbuf_adds(sb, isnan(v) ? " | n/a | " : v >= 0.5 ?
		    " | ✅ pass | " : " | ❌ fail | ");
		if (f & QEVAL_VF_NAME_FIXED)
			strbuf_adds(&notes, "function name mismatch "
			    "(auto-resolved); ");
		if (f & QEVAL_VF_TIMEOUT)
			strbuf_adds(&notes, "timed out; ");
		if (f & QEVAL_VF_TRUNCATED)
			strbuf_adds(&notes, "truncated; ");
		if (!(v >= 0.5) && sval(r, "reason") != NULL)
			strbuf_addf(&notes, "%.100s; ", sval(r, "reason"));
		if (notes.len >= 2)
			strbuf_setlen(&notes, notes.len - 2);
		add_cell(sb, notes.len > 0 ? notes.buf : "-");
		strbuf_release(&notes);
		strbuf_adds(sb, " |\n");
		ntest++;
		if (v >= 0.5)
			npass++;
		if (!isnan(c)) {
			cost += c;
			have_cost = 1;
		}
	}
	strbuf_adds(sb, "\n");
	if (have_cost) {
		strbuf_adds(sb, "Cost per test: ");
		add_money(sb, cost / ntest);
		strbuf_adds(sb, "; per passing test: ");
		add_money(sb, npass > 0 ? cost / npass : NAN);
		strbuf_adds(sb, " (model time at the GPU price)\n\n");
	}
}

static void
json_num(struct strbuf *sb, double v)
{
	char buf[64];

	if (!isfinite(v)) {
		strbuf_adds(sb, "null");
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		strbuf_addf(sb, "%.0f", v + 0.0);
		return;
	}
	/* The shortest of %.15g/%.17g that reads back the same. */
	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	strbuf_adds(sb, buf);
}

static void
json_str(struct strbuf *sb, const char *s)
{
	struct strbuf tmp = STRBUF_INIT;
	size_t i;

	strbuf_add_json_str(&tmp, s, strlen(s));
	/* A backtick run could close the code fence around the JSON. */
	for (i = 0; i < tmp.len; i++)
		if (tmp.buf[i] == '`')
			strbuf_adds(sb, "\\u0060");
		else
			strbuf_addch(sb, tmp.buf[i]);
	strbuf_release(&tmp);
}

static void
indent(struct strbuf *sb, int depth)
{
	int i;

	for (i = 0; i < depth; i++)
		strbuf_adds(sb, "  ");
}

/* Pretty JSON, two-space indent, keys in document order. */
static void
json_pretty(struct strbuf *sb, const cJSON *it, int depth)
{
	const cJSON *c;
	int obj;

	if (cJSON_IsNumber(it))
		json_num(sb, it->valuedouble);
	else if (cJSON_IsString(it))
		json_str(sb, it->valuestring);
	else if (cJSON_IsTrue(it))
		strbuf_adds(sb, "true");
	else if (cJSON_IsFalse(it))
		strbuf_adds(sb, "false");
	else if (cJSON_IsObject(it) || cJSON_IsArray(it)) {
		obj = cJSON_IsObject(it);
		if (it->child == NULL) {
			strbuf_adds(sb, obj ? "{}" : "[]");
			return;
		}
		strbuf_adds(sb, obj ? "{\n" : "[\n");
		for (c = it->child; c != NULL; c = c->next) {
			indent(sb, depth + 1);
			if (obj) {
				json_str(sb, c->string);
				strbuf_adds(sb, ": ");
			}
			json_pretty(sb, c, depth + 1);
			strbuf_adds(sb, c->next != NULL ? ",\n" : "\n");
		}
		indent(sb, depth);
		strbuf_adds(sb, obj ? "}" : "]");
	} else
		strbuf_adds(sb, "null");
}


/*
 * The values the command line set over the preset (results.json's
 * "overrides"): the JSON above is the resolved configuration, this line
 * says which of its values did not come from the preset.  Nothing is
 * printed when every value is the preset's.
 */
static void
add_overrides(struct strbuf *sb, const cJSON *ov)
{
	const cJSON *it;
	int n = 0;

	/* none (or a results.json older than the key): the preset's */
	if (!cJSON_IsObject(ov) || ov->child == NULL)
		return;
	strbuf_adds(sb, "\nSet on the command line, over the preset: ");
	cJSON_ArrayForEach(it, ov) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "value");
		const cJSON *was = cJSON_GetObjectItemCaseSensitive(it,
		    "preset");

		if (it->string == NULL || !cJSON_IsNumber(v))
			continue;
		if (n++ > 0)
			strbuf_adds(sb, ", ");
		add_code(sb, it->string, 0);
		strbuf_addf(sb, " = %.10g", v->valuedouble);
		if (cJSON_IsNumber(was))
			strbuf_addf(sb, " (preset: %.10g)", was->valuedouble);
	}
	strbuf_adds(sb, n ? ".\n" : "none.\n");
}

static void	render_agent(struct strbuf *, const struct group *);
static void	render_breakdown(struct strbuf *, const cJSON *);

static void
render_group(struct strbuf *sb, const struct group *g)
{
	struct strbuf notes = STRBUF_INIT;
	const struct run *latest = group_latest(g), *r;
	size_t i, ncontrib = 0;
	int partial = 0;

	for (i = 0; i < g->nruns; i++)
		if (group_contributes(g, g->runs[i])) {
			ncontrib++;
			if (strcmp(g->runs[i]->status, "complete") != 0)
				partial = 1;
		}
	for (i = 0; i < g->ntasks; i++)
		if (nval(g->tasks[i].task, "errors") > 0.0)
			partial = 1;

	strbuf_adds(sb, "#### **");
	add_preset_title(sb, g->preset);
	strbuf_adds(sb, " Preset Evaluation (");
	add_date_long(sb, latest->started);
	strbuf_adds(sb, ")**\n\n");
	strbuf_addf(sb, "**%s** - %zu task%s from ",
	    partial ? "⚠️ PARTIAL" : "✅ COMPLETED", g->ntasks,
	    g->ntasks == 1 ? "" : "s");
	strbuf_addf(sb, "%s ", ncontrib == 1 ? "run" : "runs");
	ncontrib = 0;
	for (i = 0; i < g->nruns; i++) {
		if (!group_contributes(g, g->runs[i]))
			continue;
		if (ncontrib++ > 0)
			strbuf_adds(sb, ", ");
		add_code(sb, g->runs[i]->run_id, 0);
	}
	if (g->nruns > ncontrib)
		strbuf_addf(sb, " (%zu earlier run%s superseded)",
		    g->nruns - ncontrib, g->nruns - ncontrib == 1 ? "" : "s");
	strbuf_adds(sb, "\n\n##### **System Performance**\n");
	for (i = 0; i < g->nruns; i++) {
		r = g->runs[i];
		if (!group_contributes(g, r))
			continue;
		if (ncontrib > 1) {
			strbuf_adds(sb, "\nRun ");
			add_code(sb, r->run_id, 0);
			strbuf_adds(sb, ":\n\n");
		}
		render_system(sb, r);
	}

	strbuf_adds(sb, "\n##### **Dataset Evaluation Results**\n\n");
	if (g->ntasks == 0)
		strbuf_adds(sb, "No tasks were run.\n\n");
	else
		strbuf_adds(sb, "| Dataset | Task Type | Samples | Score | "
		    "Status | Notes |\n|---------|-----------|---------|"
		    "-------|--------|-------|\n");
	for (i = 0; i < g->ntasks; i++) {
		const cJSON *t = g->tasks[i].task;
		const char *tt = sval(t, "task_type");
		struct taskinfo ti;

		task_info(t, &ti);
		strbuf_adds(sb, "| **");
		add_cell(sb, task_dataset(t));
		strbuf_adds(sb, "** | ");
		add_cell(sb, tt != NULL ? tt : "n/a");
		strbuf_adds(sb, " | ");
		add_count(sb, ti.samples);
		if (ti.candidates > 1.0)
			strbuf_addf(sb, " × %.0f", ti.candidates);
		strbuf_adds(sb, " | ");
		if (ti.primary != NULL)
			add_metric(sb, ti.primary, 1);
		else
			strbuf_adds(sb, "n/a");
		strbuf_addf(sb, " | %s | ", ti.status);
		strbuf_reset(&notes);
		task_notes(&notes, t, &ti);
		add_cell(sb, notes.len > 0 ? notes.buf : "-");
		strbuf_adds(sb, " |\n");
	}
	if (g->ntasks > 0)
		strbuf_adds(sb, "\n");
	for (i = 0; i < g->ntasks; i++) {
		render_categories(sb, g->tasks[i].task);
		render_breakdown(sb, g->tasks[i].task);
		render_tests(sb, g->tasks[i].task);
	}
	render_agent(sb, g);

	for (i = 0; i < g->nruns; i++) {
		const cJSON *c;

		r = g->runs[i];
		if (!group_contributes(g, r) || (c = r->cost) == NULL)
			continue;
		strbuf_adds(sb, "##### **Cost**");
		if (ncontrib > 1) {
			strbuf_adds(sb, " (run ");
			add_code(sb, r->run_id, 0);
			strbuf_adds(sb, ")");
		}
		strbuf_adds(sb, "\n- **GPU Price:** ");
		add_money(sb, nval(c, "gpu_price_per_hour"));
		strbuf_adds(sb, "/hour × ");
		add_count(sb, nval(c, "gpus"));
		strbuf_adds(sb, " GPU");
		if (nval(c, "gpus") != 1.0)
			strbuf_adds(sb, "s");
		strbuf_adds(sb, "\n- **Cost per Sample:** ");
		add_money(sb, nval(c, "per_sample"));
		strbuf_adds(sb, "\n- **Cost per Correct Sample:** ");
		add_money(sb, nval(c, "per_correct_sample"));
		strbuf_adds(sb, "\n\n");
	}

	strbuf_adds(sb, "##### **Configuration Used**\n```json\n");
	json_pretty(sb, latest->preset_obj, 0);
	strbuf_adds(sb, "\n```\n");
	add_overrides(sb, cJSON_GetObjectItemCaseSensitive(latest->doc,
	    "overrides"));
	strbuf_adds(sb, "\n---\n\n");
	strbuf_release(&notes);
}

/* The breakdown metrics of a task (is_breakdown), as a table. */
static void
render_breakdown(struct strbuf *sb, const cJSON *t)
{
	const cJSON *m;
	int any = 0;

	cJSON_ArrayForEach(m, oval(t, "metrics")) {
		const char *n = sval(m, "name");
		char fam[128];
		size_t fl;

		if (!is_breakdown(t, m))
			continue;
		if (!any) {
			strbuf_adds(sb, "##### **Breakdown: ");
			add_inline(sb, task_dataset(t));
			strbuf_adds(sb, "**\n\n| Metric | Part | Score | "
			    "Samples |\n|--------|------|-------|---------|"
			    "\n");
			any = 1;
		}
		/* the family, then the part after the comma */
		fl = (size_t)(strchr(n, ',') - n);
		if (fl >= sizeof(fam))
			fl = sizeof(fam) - 1;
		memcpy(fam, n, fl);
		fam[fl] = '\0';
		strbuf_adds(sb, "| ");
		add_cell(sb, fam);
		strbuf_adds(sb, " | ");
		add_cell(sb, strchr(n, ',') + 1);
		strbuf_adds(sb, " | ");
		add_metric(sb, m, 0);
		strbuf_adds(sb, " | ");
		add_count(sb, nval(m, "n"));
		strbuf_adds(sb, " |\n");
	}
	if (any)
		strbuf_adds(sb, "\n");
}

/* Agent block (issue 14): one line per seed metric, from public tasks. */

static cJSON *
group_agent(const struct group *g)
{
	const cJSON **tv = xcalloc(g->ntasks + 1, sizeof(*tv));
	cJSON *a;
	size_t i;

	for (i = 0; i < g->ntasks; i++)
		tv[i] = g->tasks[i].task;
	a = results_agent(tv, g->ntasks);
	free(tv);
	return (a);
}

static void
render_agent(struct strbuf *sb, const struct group *g)
{
	cJSON *a = group_agent(g);
	const cJSON *x;

	strbuf_adds(sb, "##### **Agent Evaluation Results**\n");
	cJSON_ArrayForEach(x, a) {
		strbuf_adds(sb, "- **");
		add_inline(sb, sval(x, "name"));
		strbuf_adds(sb, ":** ");
		if (sval(x, "task") == NULL) {
			strbuf_adds(sb, "n/a (");
			add_inline(sb, sval(x, "note"));
			strbuf_adds(sb, ")\n");
			continue;
		}
		add_score(sb, nval(x, "value"), nval(x, "stderr"),
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x,
		    "scale10")), 0);
		strbuf_adds(sb, " (");
		add_inline(sb, sval(x, "source"));
		strbuf_adds(sb, ", ");
		add_code(sb, sval(x, "task"), 0);
		strbuf_adds(sb, ", n = ");
		add_count(sb, nval(x, "n"));
		strbuf_adds(sb, ")\n");
	}
	strbuf_adds(sb, "\n");
	cJSON_Delete(a);
}

/* "Agent Capabilities": one column per (model, preset), deltas against
 * the first. */
static void
render_agent_cmp(struct strbuf *sb, const struct report *rp)
{
	cJSON **a = xcalloc(rp->ngroups + 1, sizeof(*a));
	const cJSON *row;
	size_t i, r;

	for (i = 0; i < rp->ngroups; i++)
		a[i] = group_agent(&rp->groups[i]);
	strbuf_adds(sb, "### Agent Capabilities\n\n");
	if (rp->ngroups > 1)
		strbuf_adds(sb, "Deltas are against the first column, where "
		    "it measured the same task (scores in percentage "
		    "points).\n\n");
	strbuf_adds(sb, "| Capability |");
	for (i = 0; i < rp->ngroups; i++) {
		struct strbuf t = STRBUF_INIT;

		strbuf_adds(sb, " ");
		add_code(sb, rp->models[rp->groups[i].model], 1);
		strbuf_adds(sb, " · ");
		add_preset_title(&t, rp->groups[i].preset);
		add_cell(sb, t.buf);
		strbuf_release(&t);
		strbuf_adds(sb, " |");
	}
	strbuf_adds(sb, " Measured by |\n|------------|");
	for (i = 0; i < rp->ngroups; i++)
		strbuf_adds(sb, "------|");
	strbuf_adds(sb, "-------------|\n");
	r = 0;
	cJSON_ArrayForEach(row, a[0]) {
		const cJSON *b = NULL, *x;
		const char *src = NULL, *task = NULL, *note = NULL;

		/* the row's source: the first column that measured it */
		for (i = 0; i < rp->ngroups && task == NULL; i++) {
			x = cJSON_GetArrayItem(a[i], (int)r);
			if (sval(x, "task") != NULL) {
				b = x;
				task = sval(x, "task");
				src = sval(x, "source");
			} else if (note == NULL)
				note = sval(x, "note");
		}
		strbuf_adds(sb, "| **");
		add_cell(sb, sval(row, "name"));
		strbuf_adds(sb, "** |");
		for (i = 0; i < rp->ngroups; i++) {
			double v, bv = nval(b, "value");
			int s10;

			x = cJSON_GetArrayItem(a[i], (int)r);
			strbuf_adds(sb, " ");
			if (sval(x, "task") == NULL) {
				strbuf_adds(sb, "n/a |");
				continue;
			}
			v = nval(x, "value");
			s10 = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x,
			    "scale10"));
			add_score(sb, v, NAN, s10, 0);
			if (strcmp(sval(x, "task"), task) != 0) {
				strbuf_adds(sb, " (");
				add_code(sb, sval(x, "task"), 1);
				strbuf_adds(sb, ")");
			} else if (x != b && i > 0 && !isnan(v) && !isnan(bv) &&
			    sval(cJSON_GetArrayItem(a[0], (int)r), "task") !=
			    NULL) {
				if (s10)
					strbuf_addf(sb, " (%+.2f)",
					    tidy(v - bv, 2));
				else
					strbuf_addf(sb, " (%+.1f pp)",
					    tidy((v - bv) * 100.0, 1));
			}
			strbuf_adds(sb, " |");
		}
		strbuf_adds(sb, " ");
		add_cell(sb, src != NULL ? src : note != NULL ? note : "-");
		strbuf_adds(sb, " |\n");
		r++;
	}
	strbuf_adds(sb, "\n");
	for (i = 0; i < rp->ngroups; i++)
		cJSON_Delete(a[i]);
	free(a);
}

/* Comparative analysis. */

enum delta { D_NONE, D_REL, D_PP, D_PT };

/* One table cell: value, then its delta against the baseline. */
static void
cmp_cell(struct strbuf *sb, double v, double base, int is_base, int dec,
    const char *unit, enum delta kind)
{
	double d;

	add_num(sb, v, dec, unit);
	if (is_base || isnan(v) || isnan(base) || kind == D_NONE)
		return;
	switch (kind) {
	case D_REL:
		if (base == 0.0)
			return;
		d = (v - base) / base * 100.0;
		strbuf_addf(sb, " (%+.1f%%)", tidy(d, 1));
		break;
	case D_PP:
		strbuf_addf(sb, " (%+.1f pp)", tidy(v - base, 1));
		break;
	default:
		strbuf_addf(sb, " (%+.2f)", tidy(v - base, 2));
		break;
	}
}

struct sysrow {
	const char	*label;
	const char	*obj;		/* sub-object of system, or NULL */
	const char	*key;
	int		 dec;
	const char	*unit;
	enum delta	 kind;
};

static const struct sysrow sysrows[] = {
	{ "Output Throughput", NULL, "output_tokens_per_s", 2, " tok/s",
	    D_REL },
	{ "Input Throughput", NULL, "input_tokens_per_s", 2, " tok/s", D_REL },
	{ "GPU Memory", "gpu", "memory_used_gb", 2, " GB", D_REL },
	{ "GPU Utilization", "gpu", "utilization_pct", 1, "%", D_PP },
	{ "Latency (mean)", "latency_s", "mean", 2, " s", D_REL },
	{ "Latency (median)", "latency_s", "median", 2, " s", D_REL },
	{ "First Token (mean)", "ttft_s", "mean", 3, " s", D_REL },
	{ "Wall Time", NULL, "wall_s", 1, " s", D_REL },
};

static double
sys_value(const struct run *r, const struct sysrow *row)
{
	const cJSON *o = r->system;

	if (row->obj != NULL)
		o = oval(o, row->obj);
	return (nval(o, row->key));
}

static const cJSON *
group_task(const struct group *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->ntasks; i++)
		if (strcmp(sval(g->tasks[i].task, "name"), name) == 0)
			return (g->tasks[i].task);
	return (NULL);
}

/* Appends g's task names that names does not hold yet: the tasks of
 * several columns in order of first appearance. */
static void
add_task_names(const struct group *g, const char ***names, size_t *nnames,
    size_t *anames)
{
	size_t j, k;

	for (j = 0; j < g->ntasks; j++) {
		const char *tn = sval(g->tasks[j].task, "name");

		for (k = 0; k < *nnames; k++)
			if (strcmp((*names)[k], tn) == 0)
				break;
		if (k == *nnames) {
			*names = xgrow(*names, *nnames + 1, sizeof(**names),
			    anames);
			(*names)[(*nnames)++] = tn;
		}
	}
}

/* A side-by-side table of the groups cols[0..n), base = baseline. */
static void
cmp_table(struct strbuf *sb, const struct report *rp,
    const struct group *const *cols, size_t n, size_t base, int by_model)
{
	const char **names = NULL;
	size_t nnames = 0, anames = 0, i, k;
	int any_cost = 0;

	strbuf_adds(sb, "| Metric |");
	for (i = 0; i < n; i++) {
		strbuf_adds(sb, " ");
		if (by_model)
			add_code(sb, rp->models[cols[i]->model], 1);
		else {
			struct strbuf t = STRBUF_INIT;

			add_preset_title(&t, cols[i]->preset);
			add_cell(sb, t.buf);
			strbuf_release(&t);
		}
		strbuf_adds(sb, i == base ? " (baseline) |" : " |");
	}
	strbuf_adds(sb, "\n|--------|");
	for (i = 0; i < n; i++)
		strbuf_adds(sb, "------|");
	strbuf_adds(sb, "\n");
	for (k = 0; k < sizeof(sysrows) / sizeof(sysrows[0]); k++) {
		const struct sysrow *row = &sysrows[k];
		double bv = sys_value(group_latest(cols[base]), row);

		strbuf_addf(sb, "| **%s** |", row->label);
		for (i = 0; i < n; i++) {
			strbuf_adds(sb, " ");
			cmp_cell(sb, sys_value(group_latest(cols[i]), row), bv,
			    i == base, row->dec, row->unit, row->kind);
			strbuf_adds(sb, " |");
		}
		strbuf_adds(sb, "\n");
	}
	/* Runs whose server qeval started (--serve): the presets' engine
	 * flags change how long it takes to load (llama.cpp allocates the
	 * whole KV cache for its -c at start). */
	{
		static const struct sysrow cold = { "Server Cold Start",
		    "server", "cold_start_s", 1, " s", D_REL };
		int any = 0;

		for (i = 0; i < n; i++)
			if (!isnan(sys_value(group_latest(cols[i]), &cold)))
				any = 1;
		if (any) {
			double bv = sys_value(group_latest(cols[base]), &cold);

			strbuf_addf(sb, "| **%s** |", cold.label);
			for (i = 0; i < n; i++) {
				strbuf_adds(sb, " ");
				cmp_cell(sb, sys_value(group_latest(cols[i]),
				    &cold), bv, i == base, cold.dec, cold.unit,
				    cold.kind);
				strbuf_adds(sb, " |");
			}
			strbuf_adds(sb, "\n");
		}
	}
	for (i = 0; i < n; i++)
		if (group_latest(cols[i])->cost != NULL)
			any_cost = 1;
	if (any_cost) {
		double bv = nval(group_latest(cols[base])->cost, "per_sample");

		strbuf_adds(sb, "| **Cost per Sample** |");
		for (i = 0; i < n; i++) {
			double v = nval(group_latest(cols[i])->cost,
			    "per_sample");

			strbuf_adds(sb, " ");
			add_money(sb, v);
			if (i != base && !isnan(v) && !isnan(bv) && bv != 0.0)
				strbuf_addf(sb, " (%+.1f%%)",
				    tidy((v - bv) / bv * 100.0, 1));
			strbuf_adds(sb, " |");
		}
		strbuf_adds(sb, "\n");
	}
	/* One row per task, in order of first appearance. */
	for (i = 0; i < n; i++)
		add_task_names(cols[i], &names, &nnames, &anames);
	for (k = 0; k < nnames; k++) {
		const cJSON *bt = group_task(cols[base], names[k]), *lab;
		const cJSON *bm = bt != NULL ? primary_metric(bt) : NULL;

		lab = NULL;
		for (i = 0; i < n && lab == NULL; i++)
			lab = group_task(cols[i], names[k]);
		strbuf_adds(sb, "| **");
		add_cell(sb, task_dataset(lab));
		strbuf_adds(sb, "** |");
		for (i = 0; i < n; i++) {
			const cJSON *t = group_task(cols[i], names[k]);
			const cJSON *m = t != NULL ? primary_metric(t) : NULL;
			int s10 = m != NULL && has_flag(m, "scale10");
			double v = nval(m, "value"), bv = nval(bm, "value");

			strbuf_adds(sb, " ");
			if (t == NULL) {
				strbuf_adds(sb, "not run |");
				continue;
			}
			add_score(sb, v, NAN, s10, 0);
			if (i != base && bm != NULL && !isnan(v) &&
			    !isnan(bv) && s10 == has_flag(bm, "scale10")) {
				if (s10)
					strbuf_addf(sb, " (%+.2f)",
					    tidy(v - bv, 2));
				else
					strbuf_addf(sb, " (%+.1f pp)",
					    tidy((v - bv) * 100.0, 1));
			}
			strbuf_adds(sb, " |");
		}
		strbuf_adds(sb, "\n");
	}
	strbuf_adds(sb, "\n");
	free(names);
}

/* The note for one figure that moved between two runs. */
static void
regress_line(struct strbuf *sb, const struct group *g, const char *model,
    const char *what, const struct run *old, const struct run *cur)
{
	strbuf_adds(sb, what);
	strbuf_adds(sb, " (");
	add_code(sb, model, 0);
	strbuf_adds(sb, ", ");
	add_inline(sb, g->preset);
	strbuf_adds(sb, "), ");
	add_code(sb, old->run_id, 0);
	strbuf_adds(sb, " → ");
	add_code(sb, cur->run_id, 0);
	strbuf_adds(sb, ": ");
}

static int
render_regressions(struct strbuf *sb, const struct report *rp,
    const struct group *g)
{
	const struct run *cur = group_latest(g), *old;
	const char *model = rp->models[g->model];
	struct strbuf what = STRBUF_INIT;
	size_t i, j;
	int lines = 0;

	if (g->nruns < 2)
		return (0);
	/* Speed: the latest run against the one before it. */
	old = g->runs[g->nruns - 2];
	for (i = 0; i < 2; i++) {
		const char *key = i == 0 ? "median" : "output_tokens_per_s";
		const cJSON *a = i == 0 ? oval(old->system, "latency_s") :
		    old->system;
		const cJSON *b = i == 0 ? oval(cur->system, "latency_s") :
		    cur->system;
		double va = nval(a, key), vb = nval(b, key), worse;

		if (isnan(va) || isnan(vb) || va <= 0.0)
			continue;
		/* How much worse, as a share: slower or less throughput. */
		worse = i == 0 ? (vb - va) / va : (va - vb) / va;
		strbuf_adds(sb, worse > FAIL_SLOWER ? "- ❌ " :
		    worse > WARN_SLOWER ? "- ⚠️ " : "- ✅ ");
		regress_line(sb, g, model, i == 0 ? "**Median latency**" :
		    "**Output throughput**", old, cur);
		if (i == 0)
			strbuf_addf(sb, "%.2f s → %.2f s", tidy(va, 2),
			    tidy(vb, 2));
		else
			strbuf_addf(sb, "%.2f → %.2f tok/s", tidy(va, 2),
			    tidy(vb, 2));
		strbuf_addf(sb, " (%+.1f%%)\n", tidy((vb - va) / va * 100.0,
		    1));
		lines++;
	}
	/* Scores: each winning task against its previous run. */
	for (i = 0; i < g->ntasks; i++) {
		const cJSON *t = g->tasks[i].task, *pt = NULL, *m, *pm;
		const char *tn = sval(t, "name");
		double v, pv, se, d;
		int s10;

		old = NULL;
		for (j = g->nruns; j-- > 0 && old == NULL;) {
			const cJSON *x;

			if (g->runs[j] == g->tasks[i].run ||
			    cmp_run(g->runs[j], g->tasks[i].run) > 0)
				continue;
			cJSON_ArrayForEach(x, g->runs[j]->tasks)
				if (strcmp(sval(x, "name"), tn) == 0) {
					pt = x;
					old = g->runs[j];
				}
		}
		if (old == NULL)
			continue;
		m = primary_metric(t);
		pm = primary_metric(pt);
		if (m == NULL || pm == NULL ||
		    strcmp(sval(m, "name"), sval(pm, "name")) != 0)
			continue;
		v = nval(m, "value");
		pv = nval(pm, "value");
		if (isnan(v) || isnan(pv))
			continue;
		s10 = has_flag(m, "scale10");
		se = sqrt(pow(nval(m, "stderr"), 2) +
		    pow(nval(pm, "stderr"), 2));
		d = v - pv;
		if (has_flag(m, "lower_better"))
			d = -d;
		if (d < 0.0 && !isnan(se) && -d > 2.0 * se)
			strbuf_adds(sb, "- ❌ REGRESSION ");
		else if (d < 0.0)
			strbuf_adds(sb, "- ⚠️ LOWER ");
		else
			strbuf_adds(sb, "- ✅ ");
		strbuf_reset(&what);
		strbuf_adds(&what, "**");
		add_inline(&what, task_dataset(t));
		strbuf_adds(&what, "**");
		regress_line(sb, g, model, what.buf, old, g->tasks[i].run);
		add_score(sb, pv, NAN, s10, 0);
		strbuf_adds(sb, " → ");
		add_score(sb, v, NAN, s10, 0);
		if (s10)
			strbuf_addf(sb, " (%+.2f", tidy(v - pv, 2));
		else
			strbuf_addf(sb, " (%+.1f pp", tidy((v - pv) * 100.0,
			    1));
		if (!isnan(se)) {
			strbuf_adds(sb, "; 2σ ");
			if (s10)
				strbuf_addf(sb, "%.2f", tidy(2.0 * se, 2));
			else
				strbuf_addf(sb, "%.1f pp",
				    tidy(200.0 * se, 1));
		}
		strbuf_adds(sb, ")\n");
		lines++;
	}
	strbuf_release(&what);
	return (lines);
}

/*
 * Runs side by side (issue 14 item 3): one column per model × preset
 * (its latest run, as the sections above), the primary score of every
 * task, and each column's change against the first.
 */
static void
side_cell(struct strbuf *sb, const cJSON *t, const cJSON *bt, int is_base)
{
	const cJSON *m = t != NULL ? primary_metric(t) : NULL;
	const cJSON *bm = bt != NULL ? primary_metric(bt) : NULL;
	int s10 = m != NULL && has_flag(m, "scale10");
	double v = nval(m, "value"), bv = nval(bm, "value");

	if (t == NULL) {
		strbuf_adds(sb, "not run");
		return;
	}
	add_score(sb, v, NAN, s10, 0);
	if (is_base || bm == NULL || isnan(v) || isnan(bv) ||
	    s10 != has_flag(bm, "scale10") ||
	    strcmp(sval(m, "name"), sval(bm, "name")) != 0)
		return;
	if (s10)
		strbuf_addf(sb, " (%+.2f)", tidy(v - bv, 2));
	else
		strbuf_addf(sb, " (%+.1f pp)", tidy((v - bv) * 100.0, 1));
}

static void
render_side_by_side(struct strbuf *sb, const struct report *rp)
{
	const struct group **cols;
	const char **names = NULL;
	size_t nnames = 0, anames = 0, n = rp->ngroups, i, k;

	if (n < 2)
		return;
	cols = xcalloc(n, sizeof(*cols));
	for (i = 0; i < n; i++)
		cols[i] = &rp->groups[i];
	strbuf_adds(sb, "### Runs Side by Side\n\nOne column per model and "
	    "preset (its latest run); changes are against the first column "
	    "(percentage points; points for 0–10 scores).\n\n| Task |");
	for (i = 0; i < n; i++) {
		struct strbuf t = STRBUF_INIT;

		strbuf_adds(sb, " ");
		add_code(sb, rp->models[cols[i]->model], 1);
		strbuf_adds(sb, " · ");
		add_preset_title(&t, cols[i]->preset);
		add_cell(sb, t.buf);
		strbuf_release(&t);
		strbuf_adds(sb, i == 0 ? " (baseline) |" : " |");
	}
	strbuf_adds(sb, "\n|------|");
	for (i = 0; i < n; i++)
		strbuf_adds(sb, "------|");
	strbuf_adds(sb, "\n");
	for (i = 0; i < n; i++)
		add_task_names(cols[i], &names, &nnames, &anames);
	for (k = 0; k < nnames; k++) {
		const cJSON *bt = group_task(cols[0], names[k]), *lab = NULL;

		for (i = 0; i < n && lab == NULL; i++)
			lab = group_task(cols[i], names[k]);
		strbuf_adds(sb, "| **");
		add_cell(sb, task_dataset(lab));
		strbuf_adds(sb, "** |");
		for (i = 0; i < n; i++) {
			strbuf_adds(sb, " ");
			side_cell(sb, group_task(cols[i], names[k]), bt,
			    i == 0);
			strbuf_adds(sb, " |");
		}
		strbuf_adds(sb, "\n");
	}
	strbuf_adds(sb, "\n");
	free(names);
	free(cols);
}

static void
render_comparisons(struct strbuf *sb, const struct report *rp)
{
	const struct group **cols;
	const char **presets;
	size_t i, j, k, n, npresets = 0, base;
	int any = 0, lines = 0;

	cols = xcalloc(rp->ngroups, sizeof(*cols));
	presets = xcalloc(rp->ngroups, sizeof(*presets));
	strbuf_adds(sb, "## Comparative Analysis\n\n");
	/* Presets of each model; groups are sorted by model, preset. */
	for (i = 0; i < rp->ngroups; i = j) {
		n = 0;
		base = 0;
		for (j = i; j < rp->ngroups &&
		    rp->groups[j].model == rp->groups[i].model; j++) {
			if (strcmp(rp->groups[j].preset, "balanced") == 0)
				base = n;
			cols[n++] = &rp->groups[j];
		}
		if (n < 2)
			continue;
		strbuf_adds(sb, "### Preset Comparison: ");
		add_code(sb, rp->models[rp->groups[i].model], 0);
		strbuf_adds(sb, "\n\nDeltas are against the ");
		add_preset_title(sb, cols[base]->preset);
		strbuf_adds(sb, " preset (scores in percentage points).\n\n");
		cmp_table(sb, rp, cols, n, base, 0);
		any = 1;
	}
	/* Models of each preset, the first model as baseline. */
	for (i = 0; i < rp->ngroups; i++) {
		for (k = 0; k < npresets; k++)
			if (strcmp(presets[k], rp->groups[i].preset) == 0)
				break;
		if (k == npresets)
			presets[npresets++] = rp->groups[i].preset;
	}
	for (k = 1; k < npresets; k++) {
		const char *p = presets[k];

		for (j = k; j > 0 && cmp_preset(presets[j - 1], p) > 0; j--)
			presets[j] = presets[j - 1];
		presets[j] = p;
	}
	for (k = 0; k < npresets; k++) {
		n = 0;
		for (i = 0; i < rp->ngroups; i++)
			if (strcmp(rp->groups[i].preset, presets[k]) == 0)
				cols[n++] = &rp->groups[i];
		if (n < 2)
			continue;
		strbuf_adds(sb, "### Model Comparison: ");
		add_preset_title(sb, presets[k]);
		strbuf_adds(sb, " Preset\n\nDeltas are against ");
		add_code(sb, rp->models[cols[0]->model], 0);
		strbuf_adds(sb, " (scores in percentage points).\n\n");
		cmp_table(sb, rp, cols, n, 0, 1);
		any = 1;
	}
	if (!any)
		strbuf_adds(sb, "No comparison: each model was run with one "
		    "preset and each preset with one model.\n\n");
	render_side_by_side(sb, rp);
	render_agent_cmp(sb, rp);
	strbuf_adds(sb, "### Regression Notes\n\n");
	for (i = 0; i < rp->ngroups; i++)
		lines += render_regressions(sb, rp, &rp->groups[i]);
	if (lines == 0)
		strbuf_adds(sb, "No earlier run of the same model and preset "
		    "to compare with.\n");
	else
		strbuf_addf(sb, "\nScores: ❌ when the drop exceeds twice the "
		    "combined stderr. Speed: ⚠️ when %.0f%% worse, "
		    "❌ when %.0f%% worse.\n", WARN_SLOWER * 100.0,
		    FAIL_SLOWER * 100.0);
	strbuf_adds(sb, "\n---\n\n");
	free(cols);
	free(presets);
}

static void
render_changelog(struct strbuf *sb, const struct report *rp)
{
	const cJSON *t;
	size_t i;
	int first;

	strbuf_adds(sb, "## Changelog\n\n");
	for (i = rp->nruns; i-- > 0;) {
		const struct run *r = &rp->runs[i];

		strbuf_adds(sb, "- ");
		add_date_short(sb, r->started);
		strbuf_adds(sb, " ");
		add_code(sb, r->run_id, 0);
		strbuf_adds(sb, " — ");
		add_code(sb, r->model, 0);
		strbuf_adds(sb, ", ");
		add_inline(sb, r->preset);
		strbuf_adds(sb, ": ");
		first = 1;
		cJSON_ArrayForEach(t, r->tasks) {
			if (!first)
				strbuf_adds(sb, ", ");
			add_inline(sb, sval(t, "name"));
			first = 0;
		}
		if (first)
			strbuf_adds(sb, "no tasks");
		strbuf_adds(sb, " — ");
		if (strcmp(r->status, "complete") == 0)
			strbuf_adds(sb, "✅ complete");
		else {
			strbuf_adds(sb, "⚠️ ");
			add_inline(sb, r->status);
		}
		strbuf_adds(sb, "\n");
	}
}

/*
 * The agent block of the first model × preset as one chart, when it has
 * a measured line at all.  MT-Bench's 0-10 is drawn on the 0-1 scale.
 */
static void
agent_chart(const struct report *rp, struct chart_set *set)
{
	struct chart_row rows[16];
	struct strbuf svg = STRBUF_INIT, title = STRBUF_INIT, lab[16];
	const struct group *g;
	const cJSON *x;
	cJSON *a;
	size_t n = 0, i;
	int any = 0;

	for (i = 0; i < 16; i++)
		strbuf_init(&lab[i], 0);

	if (rp->ngroups == 0)
		return;
	g = &rp->groups[0];
	a = group_agent(g);
	cJSON_ArrayForEach(x, a) {
		double v = nval(x, "value");

		if (n == sizeof(rows) / sizeof(rows[0]))
			break;
		rows[n].label = sval(x, "name") ? sval(x, "name") : "?";
		if (!isnan(v) && cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(x, "scale10"))) {
			v /= 10.0;
			/* a 0-10 score: say so where it reads as a share */
			strbuf_reset(&lab[n]);
			strbuf_addf(&lab[n], "%s (0-10 score / 10)",
			    rows[n].label);
			rows[n].label = lab[n].buf;
		}
		any |= !isnan(v);
		rows[n].value = v;
		rows[n].n = nval(x, "n");
		n++;
	}
	if (any) {
		strbuf_adds(&title, "Agent Evaluation Results: ");
		strbuf_adds(&title, rp->models[g->model]);
		strbuf_adds(&title, " · ");
		add_preset_title(&title, g->preset);
		charts_agent(&svg, title.buf, rows, n);
		charts_add(set, "agent", title.buf, &svg);
	}
	strbuf_release(&svg);
	strbuf_release(&title);
	for (i = 0; i < 16; i++)
		strbuf_release(&lab[i]);
	cJSON_Delete(a);
}

/*
 * Charts (docs/REPORT.md): one series per model × preset (its latest
 * run), one row per task, drawn by charts.c; the section links each
 * chart as prefix + name + ".svg" (the writer puts the files there).
 */
static void
render_charts(struct strbuf *sb, const struct report *rp,
    const char *prefix, struct chart_set *set)
{
	struct chart_series *series;
	struct chart_score *scores;
	const char **names = NULL, **labels;
	struct chart_input in;
	struct strbuf lab = STRBUF_INIT;
	char **own;
	size_t nnames = 0, anames = 0, n = rp->ngroups, i, k;

	series = xcalloc(n + 1, sizeof(*series));
	own = xcalloc(n + 1, sizeof(*own));
	for (i = 0; i < n; i++) {
		const struct group *g = &rp->groups[i];

		strbuf_reset(&lab);
		add_inline(&lab, rp->models[g->model]);
		strbuf_adds(&lab, " · ");
		add_preset_title(&lab, g->preset);
		own[i] = xstrdup(lab.buf);
		series[i].label = own[i];
		series[i].system = group_latest(g)->system;
		add_task_names(g, &names, &nnames, &anames);
	}
	labels = xcalloc(nnames + 1, sizeof(*labels));
	scores = xcalloc(nnames * n + 1, sizeof(*scores));
	for (k = 0; k < nnames; k++)
		for (i = 0; i < n; i++) {
			const cJSON *t = group_task(&rp->groups[i], names[k]);
			const cJSON *m = t != NULL ? primary_metric(t) : NULL;
			struct chart_score *sc = &scores[k * n + i];

			if (t != NULL && labels[k] == NULL)
				labels[k] = task_dataset(t);
			sc->value = nval(m, "value");
			sc->stderr_ = nval(m, "stderr");
			sc->n = nval(m, "n");
			if (isnan(sc->n))
				sc->n = nval(t, "scored");
			sc->scale10 = m != NULL && has_flag(m, "scale10");
		}
	memset(&in, 0, sizeof(in));
	in.series = series;
	in.nseries = n;
	in.tasks = labels;
	in.ntasks = nnames;
	in.scores = scores;
	charts_build(&in, set);
	agent_chart(rp, set);
	if (set->n > 0) {
		strbuf_adds(sb, "## Charts\n\n");
		for (i = 0; i < set->n; i++) {
			const char *p;

			strbuf_adds(sb, "![");
			add_inline(sb, set->v[i].alt);
			strbuf_adds(sb, "](");
			/* a path in a link: nothing that ends or splits it */
			for (p = prefix; *p != '\0'; p++)
				if (strchr("()<> []\\\"'`", *p) != NULL ||
				    (unsigned char)*p < 0x21 ||
				    (unsigned char)*p >= 0x7f)
					strbuf_addf(sb, "%%%02X",
					    (unsigned char)*p);
				else
					strbuf_addch(sb, *p);
			strbuf_addf(sb, "%s.svg)\n\n", set->v[i].name);
		}
		strbuf_adds(sb, "---\n\n");
	}
	for (i = 0; i < n; i++)
		free(own[i]);
	free(own);
	free(series);
	free(labels);
	free(scores);
	free(names);
	strbuf_release(&lab);
}

/*
 * labels[i] names run i in errors (a path); NULL: "run N (run_id)".
 * With a chart prefix, the charts are drawn into *charts and linked
 * from a Charts section.
 */
static int
render_runs(const struct cJSON *const *runs, const char *const *labels,
    size_t n, const char *chart_prefix, struct chart_set *charts,
    struct strbuf *out, struct strbuf *err)
{
	struct report rp;
	char **own;
	size_t i, m;
	int rc = 0;

	memset(&rp, 0, sizeof(rp));
	if (n == 0) {
		strbuf_adds(err, "no runs to report");
		return (-1);
	}
	rp.runs = xcalloc(n, sizeof(*rp.runs));
	own = xcalloc(n, sizeof(*own));
	for (i = 0; i < n && rc == 0; i++) {
		const char *label = labels != NULL ? labels[i] : NULL;

		if (label == NULL) {
			const cJSON *id = cJSON_IsObject(runs[i]) ?
			    cJSON_GetObjectItemCaseSensitive(runs[i],
			    "run_id") : NULL;
			struct strbuf lb = STRBUF_INIT;

			strbuf_addf(&lb, "run %zu", i + 1);
			if (cJSON_IsString(id))
				strbuf_addf(&lb, " (%s)", id->valuestring);
			own[i] = strbuf_detach(&lb, NULL);
			label = own[i];
		}
		if (check_run(&rp.runs[i], runs[i], label, i, err) < 0)
			rc = -1;
	}
	if (rc == 0) {
		rp.nruns = n;
		report_build(&rp);
		render_overview(out, &rp);
		strbuf_adds(out, "## Evaluation Results\n\n");
		for (m = 0; m < rp.nmodels; m++) {
			strbuf_adds(out, "### ");
			add_inline(out, rp.models[m]);
			strbuf_adds(out, "\n\n");
			for (i = 0; i < rp.ngroups; i++)
				if (rp.groups[i].model == m)
					render_group(out, &rp.groups[i]);
		}
		render_comparisons(out, &rp);
		if (chart_prefix != NULL && charts != NULL)
			render_charts(out, &rp, chart_prefix, charts);
		render_changelog(out, &rp);
	}
	report_free(&rp);
	for (i = 0; i < n; i++)
		free(own[i]);
	free(own);
	return (rc);
}

int
report_render(const struct cJSON *const *runs, size_t n, struct strbuf *out,
    struct strbuf *err)
{
	return (render_runs(runs, NULL, n, NULL, NULL, out, err));
}

/* Writing. */

static cJSON *
load_run(const char *arg, char **pathp, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	struct stat st;
	const char *end = NULL;
	cJSON *doc;
	char *text;
	size_t len;

	strbuf_adds(&path, arg);
	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (path.len > 0 && path.buf[path.len - 1] != '/')
			strbuf_addch(&path, '/');
		strbuf_adds(&path, "results.json");
	}
	*pathp = strbuf_detach(&path, NULL);
	errno = 0;
	text = fileio_read(*pathp, &len);
	if (text == NULL) {
		strbuf_addf(err, "%s: cannot read: %s", *pathp,
		    errno != 0 ? strerror(errno) : "read error");
		return (NULL);
	}
	doc = cJSON_ParseWithOpts(text, &end, 1);
	if (doc == NULL)
		strbuf_addf(err, "%s: not valid JSON (at byte %zu)", *pathp,
		    end != NULL && end >= text ? (size_t)(end - text) : 0);
	free(text);
	return (doc);
}

/*
 * Where the charts of the report at out_path go: DIR/charts/STEM-NAME.svg
 * beside DIR/STEM.md, so that two reports in one directory keep their
 * own charts; the report links them as charts/STEM-NAME.svg.
 */
static void
chart_paths(const char *out_path, struct strbuf *dir, struct strbuf *stem,
    struct strbuf *prefix)
{
	const char *slash = strrchr(out_path, '/');
	const char *base = slash != NULL ? slash + 1 : out_path;
	size_t bl = strlen(base);

	if (slash == NULL)
		strbuf_adds(dir, ".");
	else if (slash == out_path)
		strbuf_adds(dir, "/");
	else
		strbuf_add(dir, out_path, (size_t)(slash - out_path));
	strbuf_adds(dir, dir->buf[dir->len - 1] == '/' ? "charts" :
	    "/charts");
	if (bl > 3 && strcmp(base + bl - 3, ".md") == 0)
		bl -= 3;
	if (bl == 0)
		strbuf_adds(stem, "report");
	else
		strbuf_add(stem, base, bl);
	strbuf_addf(prefix, "charts/%s-", stem->buf);
}

static int
write_charts(const char *dir, const char *stem, const struct chart_set *set,
    struct strbuf *err)
{
	struct strbuf p = STRBUF_INIT;
	const char *const *name;
	struct stat st;
	size_t i;
	int rc = 0;

	if (set->n > 0 && mkdir(dir, 0777) != 0 && (errno != EEXIST ||
	    stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
		strbuf_addf(err, "cannot create the chart directory %s: %s",
		    dir, strerror(errno != EEXIST ? errno : ENOTDIR));
		return (-1);
	}
	for (i = 0; i < set->n && rc == 0; i++) {
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/%s-%s.svg", dir, stem, set->v[i].name);
		rc = fileio_write_atomic(p.buf, set->v[i].svg, set->v[i].len,
		    err);
	}
	/* A chart this report no longer has (no GPU this time, say) must
	 * not be left for a reader to take as this run's. */
	for (name = charts_names; rc == 0 && *name != NULL; name++) {
		for (i = 0; i < set->n; i++)
			if (strcmp(set->v[i].name, *name) == 0)
				break;
		if (i < set->n)
			continue;
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/%s-%s.svg", dir, stem, *name);
		if (unlink(p.buf) != 0 && errno != ENOENT) {
			strbuf_addf(err, "cannot remove the old chart %s: %s",
			    p.buf, strerror(errno));
			rc = -1;
		}
	}
	strbuf_release(&p);
	return (rc);
}

int
report_write_runs(const char *const *runs, size_t n, const char *out_path,
    struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT, chart_dir = STRBUF_INIT;
	struct strbuf chart_stem = STRBUF_INIT, prefix = STRBUF_INIT;
	struct chart_set charts = { NULL, 0, 0 };
	cJSON **docs;
	char **paths;
	size_t i;
	int rc = 0, to_file;

	if (n == 0) {
		strbuf_adds(err, "no runs to report");
		return (-1);
	}
	docs = xcalloc(n, sizeof(*docs));
	paths = xcalloc(n, sizeof(*paths));
	for (i = 0; i < n && rc == 0; i++)
		if ((docs[i] = load_run(runs[i], &paths[i], err)) == NULL)
			rc = -1;
	to_file = out_path != NULL && strcmp(out_path, "-") != 0;
	if (to_file)
		chart_paths(out_path, &chart_dir, &chart_stem, &prefix);
	if (rc == 0)
		rc = render_runs((const cJSON *const *)docs,
		    (const char *const *)paths, n, to_file ? prefix.buf : NULL,
		    &charts, &text, err);
	/* The charts first: the report links them. */
	if (rc == 0 && to_file)
		rc = write_charts(chart_dir.buf, chart_stem.buf, &charts, err);
	if (rc == 0) {
		if (!to_file) {
			if (fwrite(text.buf, 1, text.len, stdout) != text.len ||
			    fflush(stdout) != 0) {
				strbuf_addf(err, "cannot write the report to "
				    "standard output: %s", strerror(errno));
				rc = -1;
			}
		} else
			rc = fileio_write_atomic(out_path, text.buf, text.len,
			    err);
	}
	for (i = 0; i < n; i++) {
		cJSON_Delete(docs[i]);
		free(paths[i]);
	}
	free(docs);
	free(paths);
	charts_release(&charts);
	strbuf_release(&text);
	strbuf_release(&chart_dir);
	strbuf_release(&chart_stem);
	strbuf_release(&prefix);
	return (rc);
}
