#include "config.h"
#include "results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "preset.h"
#include "run.h"
#include "stats.h"
#include "xalloc.h"

static void
add_num_or_null(cJSON *o, const char *k, double v)
{
	if (isnan(v) || isinf(v))
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, v);
}

static void
add_summary(cJSON *o, const char *k, const double *v, size_t n, int pct)
{
	struct stats_summary s;
	cJSON *x;

	stats_summarise(v, n, &s);
	if (s.n == 0) {
		cJSON_AddNullToObject(o, k);
		return;
	}
	x = cJSON_AddObjectToObject(o, k);
	cJSON_AddNumberToObject(x, "n", (double)s.n);
	add_num_or_null(x, "mean", s.mean);
	add_num_or_null(x, "median", s.median);
	add_num_or_null(x, "stddev", s.stddev);
	add_num_or_null(x, "min", s.min);
	add_num_or_null(x, "max", s.max);
	/* For the report's distribution charts: 101 numbers, whatever n. */
	if (pct) {
		double p[101];
		cJSON *a = cJSON_AddArrayToObject(x, "percentiles");
		int i;

		stats_percentiles(v, n, p);
		for (i = 0; i <= 100; i++)
			cJSON_AddItemToArray(a, cJSON_CreateNumber(
			    round(p[i] * 1e6) / 1e6));
	}
}

/* The samples over time, rounded: small, and what a chart can show. */
static void
add_gpu_series(cJSON *gpu, const struct gpu_series *gs)
{
	cJSON *o = cJSON_AddObjectToObject(gpu, "series");
	cJSON *t = cJSON_AddArrayToObject(o, "t_s");
	cJSON *m = cJSON_AddArrayToObject(o, "memory_used_gb");
	cJSON *u = cJSON_AddArrayToObject(o, "utilization_pct");
	size_t i;

	for (i = 0; i < gs->n; i++) {
		cJSON_AddItemToArray(t, cJSON_CreateNumber(round(gs->t[i] *
		    10) / 10));
		cJSON_AddItemToArray(m, cJSON_CreateNumber(round(gs->mem[i] *
		    1000) / 1000));
		cJSON_AddItemToArray(u, isnan(gs->util[i]) ?
		    cJSON_CreateNull() : cJSON_CreateNumber(round(gs->util[i] *
		    10) / 10));
	}
}

static void
add_flags(cJSON *m, uint32_t f)
{
	cJSON *a = cJSON_AddArrayToObject(m, "flags");

	if (f & QEVAL_MF_PRIMARY)
		cJSON_AddItemToArray(a, cJSON_CreateString("primary"));
	if (f & QEVAL_MF_PASSK)
		cJSON_AddItemToArray(a, cJSON_CreateString("passk"));
	if (f & QEVAL_MF_RATE)
		cJSON_AddItemToArray(a, cJSON_CreateString("rate"));
	if (f & QEVAL_MF_LOWER_BETTER)
		cJSON_AddItemToArray(a, cJSON_CreateString("lower_better"));
	if (f & QEVAL_MF_SCALE10)
		cJSON_AddItemToArray(a, cJSON_CreateString("scale10"));
	if (f & QEVAL_MF_POOLED)
		cJSON_AddItemToArray(a, cJSON_CreateString("pooled"));
	if (f & QEVAL_MF_POOL_PART)
		cJSON_AddItemToArray(a, cJSON_CreateString("pool_part"));
}

/* Per-sample value of metric m: the mean over its scored candidates. */
static double
sample_value(const struct results_task *t, size_t s, size_t m)
{
	double sum = 0;
	size_t n = 0;
	unsigned c;

	for (c = 0; c < t->ncand; c++) {
		size_t u = s * t->ncand + c;
		double v;

		if (t->ustate[u] != UNIT_SCORED)
			continue;
		v = t->values[u * t->nmetrics + m];
		if (!isnan(v)) {
			sum += v;
			n++;
		}
	}
	return (n ? sum / (double)n : NAN);
}

/*
 * What a QEVAL_MF_POOLED metric averages: every value of the task's
 * QEVAL_MF_POOL_PART metrics over the scored units of the samples in
 * category cat (NULL: all), NaN included (stats_summarise skips it).
 */
static void
pooled_summary(const struct results_task *t, const char *cat,
    struct stats_summary *st)
{
	double *col = xmalloc((t->count * t->ncand * t->nmetrics + 1) *
	    sizeof(double));
	size_t s, m, n = 0;
	unsigned c;

	for (s = 0; s < t->count; s++) {
		if (cat != NULL && (t->category == NULL ||
		    t->category[s] == NULL ||
		    strcmp(t->category[s], cat) != 0))
			continue;
		for (c = 0; c < t->ncand; c++) {
			size_t u = s * t->ncand + c;

			if (t->ustate[u] != UNIT_SCORED)
				continue;
			for (m = 0; m < t->nmetrics; m++)
				if (t->task->metrics[m].flags &
				    QEVAL_MF_POOL_PART)
					col[n++] = t->values[u * t->nmetrics +
					    m];
		}
	}
	stats_summarise(col, n, st);
	free(col);
}

static int
sample_scored(const struct results_task *t, size_t s)
{
	unsigned c;

	for (c = 0; c < t->ncand; c++)
		if (t->ustate[s * t->ncand + c] == UNIT_SCORED)
			return (1);
	return (0);
}

/*
 * A judge task whose primary pools several ratings per answer (its
 * QEVAL_MF_POOL_PART metrics: MT-Bench's two turns) and whose "unparsed"
 * rate metric is the share of an answer's ratings that could not be
 * read: the ratings given, and in *unparsed those not read.  0 for any
 * other task (its unparsed count is per answer).
 */
static long
judge_ratings(const struct results_task *t, long *unparsed)
{
	size_t m, u, parts = 0, um = SIZE_MAX;
	long n = 0;
	double sum = 0;

	*unparsed = 0;
	if (!(t->task->flags & QEVAL_TF_JUDGE))
		return (0);
	for (m = 0; m < t->nmetrics; m++) {
		if (t->task->metrics[m].flags & QEVAL_MF_POOL_PART)
			parts++;
		if (strcmp(t->task->metrics[m].name, "unparsed") == 0 &&
		    (t->task->metrics[m].flags & QEVAL_MF_RATE))
			um = m;
	}
	if (parts == 0 || um == SIZE_MAX)
		return (0);
	for (u = 0; u < t->count * t->ncand; u++) {
		double v;

		if (t->ustate[u] != UNIT_SCORED)
			continue;
		n += (long)parts;
		v = t->values[u * t->nmetrics + um];
		if (!isnan(v))
			sum += v * (double)parts;
	}
	*unparsed = lround(sum);
	return (n);
}

/*
 * best_of_n: per sample, the PASSK metric p of the first scored
 * candidate whose QEVAL_MF_SELECT metric is 1 (the first scored
 * candidate when none is), averaged over samples (docs/RESULTS.md).
 */
static void
best_of_n(const struct results_task *t, size_t p, cJSON *pk)
{
	size_t m, s, n = 0, found = 0;
	double sum = 0;
	cJSON *x;

	for (m = 0; m < t->nmetrics; m++)
		if (t->task->metrics[m].flags & QEVAL_MF_SELECT)
			break;
	if (m == t->nmetrics)
		return;
	for (s = 0; s < t->count; s++) {
		size_t u, pick = (size_t)-1;
		unsigned c;

		if (!sample_scored(t, s))
			continue;
		for (c = 0; c < t->ncand; c++) {
			u = s * t->ncand + c;
			if (t->ustate[u] != UNIT_SCORED)
				continue;
			if (pick == (size_t)-1)
				pick = u;
			if (t->values[u * t->nmetrics + m] >= 0.5) {
				pick = u;
				found++;
				break;
			}
		}
		if (pick == (size_t)-1)
			continue;
		sum += t->values[pick * t->nmetrics + p] >= 0.5 ? 1.0 : 0.0;
		n++;
	}
	if (n == 0)
		return;
	x = cJSON_CreateObject();
	cJSON_AddStringToObject(x, "metric", "best_of_n");
	cJSON_AddStringToObject(x, "of", t->task->metrics[p].name);
	cJSON_AddStringToObject(x, "selected_by", t->task->metrics[m].name);
	cJSON_AddNumberToObject(x, "k", t->ncand);
	cJSON_AddNumberToObject(x, "value", sum / (double)n);
	cJSON_AddNumberToObject(x, "selector_hits", (double)found);
	cJSON_AddItemToArray(pk, x);
}

/*
 * "tests": one row per sample for a small task whose plugin groups its
 * samples (detail.groups: the seeds' per-test table): id, groups, the
 * model's time and its cost at price_h per GPU-hour (gpus), the primary
 * verdict of the first candidate, flags and reason.
 */
static void
build_tests(cJSON *o, const struct results_task *t, double price_h,
    double gpus)
{
	cJSON *arr = NULL;
	size_t s, m, prim = 0;

	for (m = 0; m < t->nmetrics; m++)
		if (t->task->metrics[m].flags & QEVAL_MF_PRIMARY)
			prim = m;
	for (s = 0; t->row != NULL && s < t->count; s++) {
		cJSON *r = t->row[s] != NULL ? cJSON_Parse(t->row[s]) : NULL;
		const cJSON *ts = cJSON_GetObjectItemCaseSensitive(r,
		    "time_s");
		double v;

		if (r == NULL || !cJSON_HasObjectItem(r, "groups")) {
			cJSON_Delete(r);
			continue;
		}
		if (arr == NULL)
			arr = cJSON_AddArrayToObject(o, "tests");
		v = t->values[s * t->ncand * t->nmetrics + prim];
		if (isnan(v))
			cJSON_AddNullToObject(r, "value");
		else
			cJSON_AddNumberToObject(r, "value", v);
		if (price_h > 0 && cJSON_IsNumber(ts))
			cJSON_AddNumberToObject(r, "cost", price_h * gpus *
			    ts->valuedouble / 3600.0);
		else
			cJSON_AddNullToObject(r, "cost");
		cJSON_AddItemToArray(arr, r);
	}
}

static void
build_task(cJSON *arr, const struct results_task *t, double price_h,
    double gpus)
{
	cJSON *o = cJSON_CreateObject(), *ms, *cnt, *ds;
	double *col = xmalloc((t->count + 1) * sizeof(double));
	size_t s, m, u, scored = 0, nunits = t->count * t->ncand;
	long inv = 0, trunc = 0, fixed = 0, tmo = 0, unp = 0, unp_r = 0;
	long answers = 0, ratings;
	const char *const *f;
	int has_cat = 0;

	cJSON_AddStringToObject(o, "name", t->task->name);
	cJSON_AddStringToObject(o, "dataset", t->task->dataset ?
	    t->task->dataset : t->task->name);
	cJSON_AddStringToObject(o, "task_type", t->task->task_type ?
	    t->task->task_type : "");
	cJSON_AddStringToObject(o, "recipe", t->task->recipe ?
	    t->task->recipe : "");
	cJSON_AddStringToObject(o, "api", t->chat ? "chat" : "completions");
	cJSON_AddStringToObject(o, "plugin", t->plugin->name);
	cJSON_AddStringToObject(o, "plugin_version", t->plugin->version ?
	    t->plugin->version : "");
	for (s = 0; s < t->count; s++)
		if (sample_scored(t, s))
			scored++;
	{
		size_t mine = 0;

		for (s = 0; s < t->count; s++)
			if (t->ustate[s * t->ncand] != UNIT_OTHER_SHARD)
				mine++;
		cJSON_AddNumberToObject(o, "samples", (double)mine);
	}
	cJSON_AddNumberToObject(o, "candidates", t->ncand);
	add_num_or_null(o, "sampling_temperature", t->samp_temp);
	cJSON_AddNumberToObject(o, "scored", (double)scored);
	cJSON_AddNumberToObject(o, "errors", (double)t->errors);
	ms = cJSON_AddArrayToObject(o, "metrics");
	for (m = 0; m < t->nmetrics; m++) {
		const struct qeval_metric_desc *d = &t->task->metrics[m];
		struct stats_summary st;
		cJSON *x = cJSON_CreateObject();

		if (d->flags & QEVAL_MF_POOLED)
			pooled_summary(t, NULL, &st);
		else {
			for (s = 0; s < t->count; s++)
				col[s] = sample_value(t, s, m);
			stats_summarise(col, t->count, &st);
		}
		cJSON_AddStringToObject(x, "name", d->name);
		add_num_or_null(x, "value", st.mean);
		add_num_or_null(x, "stderr", st.stderr_);
		cJSON_AddNumberToObject(x, "n", (double)st.n);
		add_flags(x, d->flags);
		cJSON_AddItemToArray(ms, x);
	}
	/* pass@k for 0/1 metrics, where every scored sample has n >= k. */
	if (t->ncand > 1) {
		cJSON *pk = cJSON_AddArrayToObject(o, "passk");
		unsigned ks[4] = { 1, 10, 100, t->ncand };
		size_t ident = 0, multi = 0, nks = 3;

		for (m = 0; m < t->nmetrics; m++) {
			const struct qeval_metric_desc *d =
			    &t->task->metrics[m];
			size_t ki;

			if (!(d->flags & QEVAL_MF_PASSK))
				continue;
			/* pass@N (the oracle over all candidates) too */
			nks = t->ncand != 1 && t->ncand != 10 &&
			    t->ncand != 100 ? 4 : 3;
			for (ki = 0; ki < nks; ki++) {
				double sum = 0;
				size_t n = 0;
				int ok = 1;
				cJSON *x;
				char name[64];

				if (ks[ki] > t->ncand)
					continue;
				for (s = 0; s < t->count && ok; s++) {
					unsigned c, nn = 0, cc = 0;

					if (!sample_scored(t, s))
						continue;
					for (c = 0; c < t->ncand; c++) {
						u = s * t->ncand + c;
						if (t->ustate[u] != UNIT_SCORED)
							continue;
						nn++;
						if (t->values[u * t->nmetrics +
						    m] >= 0.5)
							cc++;
					}
					if (nn < ks[ki]) {
						ok = 0;
						break;
					}
					sum += stats_pass_at_k(nn, cc, ks[ki]);
					n++;
				}
				if (!ok || n == 0)
					continue;
				x = cJSON_CreateObject();
				snprintf(name, sizeof(name), "pass@%u", ks[ki]);
				cJSON_AddStringToObject(x, "metric", name);
				cJSON_AddStringToObject(x, "of", d->name);
				cJSON_AddNumberToObject(x, "k", ks[ki]);
				cJSON_AddNumberToObject(x, "value",
				    sum / (double)n);
				cJSON_AddItemToArray(pk, x);
			}
			best_of_n(t, m, pk);
		}
		for (s = 0; s < t->count; s++) {
			unsigned c;
			int same = 1, any = 0;
			uint64_t h0 = 0;

			for (c = 0; c < t->ncand; c++) {
				u = s * t->ncand + c;
				if (t->ustate[u] != UNIT_SCORED)
					continue;
				if (!any)
					h0 = t->ahash[u];
				else if (t->ahash[u] != h0)
					same = 0;
				any++;
			}
			if (any > 1) {
				multi++;
				if (same)
					ident++;
			}
		}
		add_num_or_null(o, "identical_candidates", multi ?
		    (double)ident / (double)multi : NAN);
	} else
		cJSON_AddNullToObject(o, "identical_candidates");
	for (u = 0; u < nunits; u++) {
		if (t->ustate[u] != UNIT_SCORED)
			continue;
		answers++;
		inv += (t->vflags[u] & QEVAL_VF_INVALID) != 0;
		trunc += (t->vflags[u] & QEVAL_VF_TRUNCATED) != 0;
		fixed += (t->vflags[u] & QEVAL_VF_NAME_FIXED) != 0;
		tmo += (t->vflags[u] & QEVAL_VF_TIMEOUT) != 0;
		unp += (t->vflags[u] & QEVAL_VF_UNPARSED) != 0;
	}
	ratings = judge_ratings(t, &unp_r);
	cnt = cJSON_AddObjectToObject(o, "counts");
	/* the denominator of every count: the scored answers */
	cJSON_AddNumberToObject(cnt, "answers", (double)answers);
	cJSON_AddNumberToObject(cnt, "invalid", (double)inv);
	cJSON_AddNumberToObject(cnt, "truncated", (double)trunc);
	cJSON_AddNumberToObject(cnt, "name_fixed", (double)fixed);
	cJSON_AddNumberToObject(cnt, "timeout", (double)tmo);
	if (ratings > 0) {
		/* per rating, not per answer: MT-Bench rates two turns */
		cJSON_AddNumberToObject(cnt, "unparsed", (double)unp_r);
		cJSON_AddNumberToObject(cnt, "judge_ratings",
		    (double)ratings);
	} else
		cJSON_AddNumberToObject(cnt, "unparsed", (double)unp);
	cJSON_AddNumberToObject(cnt, "request_errors", (double)t->errors);
	cJSON_AddNumberToObject(cnt, "unparseable_retried",
	    (double)t->unparseable);
	cJSON_AddNumberToObject(cnt, "invalid_utf8", (double)t->bad_utf8);
	for (s = 0; t->category != NULL && s < t->count; s++)
		if (t->category[s] != NULL)
			has_cat = 1;
	if (has_cat) {
		cJSON *cats = cJSON_AddArrayToObject(o, "categories");
		char **names = xcalloc(t->count + 1, sizeof(char *));
		size_t nn = 0, k;

		/* categories in order of first appearance */
		for (s = 0; s < t->count; s++) {
			if (t->category[s] == NULL)
				continue;
			for (k = 0; k < nn; k++)
				if (strcmp(names[k], t->category[s]) == 0)
					break;
			if (k == nn)
				names[nn++] = t->category[s];
		}
		for (k = 0; k < nn; k++) {
			cJSON *c = cJSON_CreateObject(), *mv;
			size_t cn = 0;

			for (s = 0; s < t->count; s++)
				if (t->category[s] != NULL &&
				    strcmp(t->category[s], names[k]) == 0 &&
				    sample_scored(t, s))
					cn++;
			cJSON_AddStringToObject(c, "name", names[k]);
			cJSON_AddNumberToObject(c, "n", (double)cn);
			mv = cJSON_AddObjectToObject(c, "metrics");
			for (m = 0; m < t->nmetrics; m++) {
				struct stats_summary st;
				size_t j = 0;

				for (s = 0; s < t->count; s++)
					if (t->category[s] != NULL &&
					    strcmp(t->category[s],
					    names[k]) == 0)
						col[j++] = sample_value(t,
						    s, m);
				if (t->task->metrics[m].flags &
				    QEVAL_MF_POOLED)
					pooled_summary(t, names[k], &st);
				else
					stats_summarise(col, j, &st);
				add_num_or_null(mv, t->task->metrics[m].name,
				    st.mean);
			}
			cJSON_AddItemToArray(cats, c);
		}
		free(names);
	}
	build_tests(o, t, price_h, gpus);
	ds = cJSON_AddArrayToObject(o, "datasets");
	for (f = t->task->files; f != NULL && *f != NULL; f++) {
		cJSON *x = cJSON_CreateObject();
		const struct data_file *df = t->data && t->data->manifests ?
		    data_manifests_find(t->data->manifests, *f) : NULL;

		cJSON_AddStringToObject(x, "path", *f);
		if (df != NULL && df->sha256 != NULL)
			cJSON_AddStringToObject(x, "sha256", df->sha256);
		else
			cJSON_AddNullToObject(x, "sha256");
		cJSON_AddItemToArray(ds, x);
	}
	add_num_or_null(o, "wall_s", t->wall_s);
	cJSON_AddItemToArray(arr, o);
	free(col);
}

char *
results_redact_url(const char *url)
{
	const char *scheme = strstr(url, "://"), *at, *slash;
	char *clean;

	if (scheme == NULL)
		return (xstrdup(url));
	scheme += 3;
	slash = strchr(scheme, '/');
	at = strchr(scheme, '@');
	if (at == NULL || (slash != NULL && at > slash))
		return (xstrdup(url));
	clean = xmalloc(strlen(url) + 1);
	memcpy(clean, url, (size_t)(scheme - url));
	memcpy(clean + (scheme - url), at + 1, strlen(at + 1) + 1);
	return (clean);
}

static void
add_url(cJSON *arr, const char *url)
{
	char *clean = results_redact_url(url);

	cJSON_AddItemToArray(arr, cJSON_CreateString(clean));
	free(clean);
}

/*
 * The seed tracker's "Agent Evaluation Results", each line measured by a
 * public benchmark (docs/RESULTS.md, "agent").  Sources are tried in
 * order; the first task of the run that has the metric with a value
 * wins.  A structured-output task's validity goes ahead of BFCL's for
 * JSON Output Validity once qeval has one.
 */
struct agent_src {
	const char	*task, *metric, *what;
};

static const struct agent_def {
	const char		*name;
	const char		*none;	/* why there is no source yet */
	struct agent_src	 src[4];
	const char		*mean;	/* non-NULL: the mean of every
					 * source run, described so */
} agent_defs[] = {
	{ "Function Calling Accuracy", NULL,
	  { { "bfcl", "accuracy", "BFCL overall accuracy" } } },
	{ "Instruction Following", NULL,
	  { { "ifeval", "prompt_level_strict_acc",
	      "IFEval prompt-level strict accuracy" } } },
	{ "Multi-turn Coherence", NULL,
	  { { "mtbench", "score_turn2", "MT-Bench second-turn score" } } },
	{ "Tool Use Success", NULL,
	  { { "bfcl_multi_turn_base", "accuracy", "BFCL multi_turn_base" },
	    { "bfcl_multi_turn_miss_func", "accuracy",
	      "BFCL multi_turn_miss_func" },
	    { "bfcl_multi_turn_miss_param", "accuracy",
	      "BFCL multi_turn_miss_param" } },
	  "BFCL multi-turn accuracy, mean of" },
	{ "Reasoning Quality", NULL,
	  { { "gsm8k", "exact_match,flexible-extract",
	      "GSM8K flexible-extract" },
	    { "arc_challenge", "acc_norm", "ARC-Challenge acc_norm" },
	    { "arc_challenge_gen", "exact_match",
	      "ARC-Challenge (generative) exact match" } } },
	{ "JSON Output Validity", NULL,
	  { { "structured_output", "json_valid",
	      "structured-output JSON validity (tasks/structured_output.json)" },
	    { "bfcl", "tool_call_validity", "BFCL tool-call validity" } } },
};

static const cJSON *
agent_find(const cJSON *const *tasks, size_t n, const char *task,
    const char *metric, const cJSON **tp)
{
	const cJSON *m;
	size_t i;

	for (i = 0; i < n; i++) {
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(tasks[i],
		    "name");

		if (!cJSON_IsString(nm) || strcmp(nm->valuestring, task) != 0)
			continue;
		*tp = tasks[i];
		cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(
		    tasks[i], "metrics")) {
			const cJSON *mn = cJSON_GetObjectItemCaseSensitive(m,
			    "name");

			if (cJSON_IsString(mn) &&
			    strcmp(mn->valuestring, metric) == 0 &&
			    cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(m,
			    "value")))
				return (m);
		}
	}
	return (NULL);
}

static int
agent_scale10(const cJSON *m)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(m, "flags"))
		if (cJSON_IsString(f) && strcmp(f->valuestring, "scale10") == 0)
			return (1);
	return (0);
}

/*
 * A line that is the mean of its sources' values (Tool Use Success: the
 * BFCL multi-turn categories run): 0 if none was run with a value.
 * stderr: that of a mean of independent estimates.
 */
static int
agent_mean(const struct agent_def *def, const cJSON *const *tasks,
    size_t n, cJSON *x)
{
	char names[256] = "", src[256];
	double sum = 0, var = 0, cnt = 0;
	size_t k, used = 0;
	int have_se = 1;

	for (k = 0; k < 4 && def->src[k].task != NULL; k++) {
		const cJSON *t = NULL, *m, *se, *nn;

		m = agent_find(tasks, n, def->src[k].task, def->src[k].metric,
		    &t);
		if (m == NULL)
			continue;
		se = cJSON_GetObjectItemCaseSensitive(m, "stderr");
		nn = cJSON_GetObjectItemCaseSensitive(m, "n");
		if (!cJSON_IsNumber(nn))
			nn = cJSON_GetObjectItemCaseSensitive(t, "scored");
		sum += cJSON_GetObjectItemCaseSensitive(m,
		    "value")->valuedouble;
		if (cJSON_IsNumber(se))
			var += se->valuedouble * se->valuedouble;
		else
			have_se = 0;
		cnt += cJSON_IsNumber(nn) ? nn->valuedouble : NAN;
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
		    "%s%s", used > 0 ? "," : "", def->src[k].task);
		used++;
	}
	if (used == 0)
		return (0);
	snprintf(src, sizeof(src), "%s %zu task%s", def->mean, used,
	    used == 1 ? "" : "s");
	cJSON_AddStringToObject(x, "task", names);
	cJSON_AddStringToObject(x, "dataset", "BFCL multi-turn");
	cJSON_AddStringToObject(x, "metric", def->src[0].metric);
	cJSON_AddStringToObject(x, "source", src);
	cJSON_AddNumberToObject(x, "value", sum / (double)used);
	add_num_or_null(x, "stderr", have_se ? sqrt(var) / (double)used :
	    NAN);
	add_num_or_null(x, "n", cnt);
	cJSON_AddBoolToObject(x, "scale10", 0);
	cJSON_AddNullToObject(x, "note");
	return (1);
}

cJSON *
results_agent(const cJSON *const *tasks, size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	size_t d, k;

	for (d = 0; d < sizeof(agent_defs) / sizeof(agent_defs[0]); d++) {
		const struct agent_def *def = &agent_defs[d];
		const cJSON *m = NULL, *t = NULL, *seen = NULL;
		const struct agent_src *src = NULL, *seen_src = NULL;
		cJSON *x = cJSON_CreateObject();
		char note[160];

		if (def->mean != NULL) {
			cJSON_AddStringToObject(x, "name", def->name);
			if (agent_mean(def, tasks, n, x)) {
				cJSON_AddItemToArray(arr, x);
				continue;
			}
			cJSON_DeleteItemFromObject(x, "name");
		}
		for (k = 0; k < 4 && def->src[k].task != NULL && m == NULL;
		    k++) {
			t = NULL;
			m = agent_find(tasks, n, def->src[k].task,
			    def->src[k].metric, &t);
			if (t != NULL && seen == NULL) {
				seen = t;
				seen_src = &def->src[k];
			}
			src = &def->src[k];
		}
		cJSON_AddStringToObject(x, "name", def->name);
		if (m != NULL) {
			const cJSON *se = cJSON_GetObjectItemCaseSensitive(m,
			    "stderr"), *nn = cJSON_GetObjectItemCaseSensitive(m,
			    "n"), *ds = cJSON_GetObjectItemCaseSensitive(t,
			    "dataset");

			cJSON_AddStringToObject(x, "task", src->task);
			cJSON_AddStringToObject(x, "dataset",
			    cJSON_IsString(ds) ? ds->valuestring : src->task);
			cJSON_AddStringToObject(x, "metric", src->metric);
			cJSON_AddStringToObject(x, "source", src->what);
			cJSON_AddNumberToObject(x, "value",
			    cJSON_GetObjectItemCaseSensitive(m,
			    "value")->valuedouble);
			add_num_or_null(x, "stderr", cJSON_IsNumber(se) ?
			    se->valuedouble : NAN);
			if (!cJSON_IsNumber(nn))
				nn = cJSON_GetObjectItemCaseSensitive(t,
				    "scored");
			add_num_or_null(x, "n", cJSON_IsNumber(nn) ?
			    nn->valuedouble : NAN);
			cJSON_AddBoolToObject(x, "scale10", agent_scale10(m));
			cJSON_AddNullToObject(x, "note");
		} else {
			if (def->none != NULL)
				snprintf(note, sizeof(note), "%s", def->none);
			else if (seen_src != NULL)
				snprintf(note, sizeof(note), "%s has no value "
				    "for %s", seen_src->task, seen_src->metric);
			else
				snprintf(note, sizeof(note), "task not run");
			cJSON_AddNullToObject(x, "task");
			cJSON_AddNullToObject(x, "dataset");
			cJSON_AddNullToObject(x, "metric");
			cJSON_AddNullToObject(x, "source");
			cJSON_AddNullToObject(x, "value");
			cJSON_AddNullToObject(x, "stderr");
			cJSON_AddNullToObject(x, "n");
			cJSON_AddBoolToObject(x, "scale10", 0);
			cJSON_AddStringToObject(x, "note", note);
		}
		cJSON_AddItemToArray(arr, x);
	}
	return (arr);
}

/* results.json's "agent" block, from its "tasks" array. */
static void
add_agent(cJSON *o, const cJSON *tasks)
{
	const cJSON **tv, *t;
	size_t n = 0;

	tv = xcalloc((size_t)cJSON_GetArraySize(tasks) + 1, sizeof(*tv));
	cJSON_ArrayForEach(t, tasks)
		tv[n++] = t;
	cJSON_AddItemToObject(o, "agent", results_agent(tv, n));
	free(tv);
}

/*
 * Prompt tokens the server had cached: as the responses' usage counted
 * them, else the server's own counter when it cannot hold other
 * traffic (not more than qeval's prompt tokens); NaN when unknown.
 */
static double
cached_tokens(const struct results_input *in)
{
	double h = in->server.delta[PS_PREFIX_HITS];

	if (in->cached >= 0)
		return ((double)in->cached);
	if (in->server.available && !isnan(h) && h >= 0 &&
	    h <= (double)in->ptok)
		return (h);
	return (NAN);
}

/* What the model's server is: its kind and the names it gave. */
static void
add_model_server(cJSON *o, const struct results_input *in)
{
	const struct run_cfg *c = in->cfg;
	cJSON *ms = cJSON_AddObjectToObject(o, "model_server"), *a;
	int pk = in->server.available ? in->server.kind : PS_KIND_UNKNOWN;
	size_t i;

	if (pk != PS_KIND_UNKNOWN) {
		cJSON_AddStringToObject(ms, "kind", promstat_kind_name(pk));
		cJSON_AddStringToObject(ms, "kind_from", "/metrics");
	} else if (c->server_kind != NULL) {
		cJSON_AddStringToObject(ms, "kind", c->server_kind);
		cJSON_AddStringToObject(ms, "kind_from", "/v1/models");
	} else {
		cJSON_AddStringToObject(ms, "kind", "unknown");
		cJSON_AddNullToObject(ms, "kind_from");
	}
	if (c->listed_models != NULL) {
		a = cJSON_AddArrayToObject(ms, "listed_models");
		for (i = 0; i < c->n_listed_models; i++)
			cJSON_AddItemToArray(a,
			    cJSON_CreateString(c->listed_models[i]));
	} else
		cJSON_AddNullToObject(ms, "listed_models");
	a = cJSON_AddArrayToObject(ms, "response_models");
	for (i = 0; i < in->n_resp_models; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(
		    in->resp_models[i]));
}

/* Rescore: a key the run's own results.json had, copied over. */
static void
add_carried(cJSON *o, const cJSON *carried, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(carried, key);

	if (v != NULL)
		cJSON_AddItemToObject(o, key, cJSON_Duplicate(v, 1));
}

char *
results_build(const struct results_input *in)
{
	const struct run_cfg *c = in->cfg;
	cJSON *o = cJSON_CreateObject(), *a, *sys, *gpu, *carried;
	char finished[32], *pj, *txt;
	const char *slash;
	size_t i;
	int partial = in->interrupted;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(finished, sizeof(finished), "%Y-%m-%dT%H:%M:%SZ", &tm);
	carried = c->carried != NULL ? cJSON_Parse(c->carried) : NULL;
	cJSON_AddStringToObject(o, "schema", "qeval-results/1");
	slash = strrchr(in->run_dir, '/');
	cJSON_AddStringToObject(o, "run_id", slash ? slash + 1 : in->run_dir);
	cJSON_AddStringToObject(o, "qeval_version", PACKAGE_VERSION);
	cJSON_AddStringToObject(o, "started", in->started);
	cJSON_AddStringToObject(o, "finished", finished);
	for (i = 0; i < in->ntasks; i++) {
		const struct results_task *t = &in->tasks[i];
		size_t u;

		if (t->errors > 0)
			partial = 1;
		for (u = 0; u < t->count * t->ncand; u++)
			if (t->ustate[u] == UNIT_TODO)
				partial = 1;
	}
	cJSON_AddStringToObject(o, "status", partial ? "partial" : "complete");
	if (c->command_line)
		cJSON_AddStringToObject(o, "command", c->command_line);
	cJSON_AddStringToObject(o, "model", c->model);
	cJSON_AddStringToObject(o, "api", c->chat ? "chat" : "completions");
	a = cJSON_AddArrayToObject(o, "endpoints");
	for (i = 0; i < c->n_endpoints && !c->reference; i++)
		add_url(a, c->endpoints[i]);
	if (!c->reference && !c->replay_only)
		add_model_server(o, in);
	else if (c->replay_only)
		add_carried(o, carried, "model_server");
	if (c->judge_model) {
		cJSON *j = cJSON_AddObjectToObject(o, "judge");

		cJSON_AddStringToObject(j, "model", c->judge_model);
		if (c->judge_endpoint) {
			char *url = results_redact_url(c->judge_endpoint);

			cJSON_AddStringToObject(j, "endpoint", url);
			free(url);
		}
	} else
		cJSON_AddNullToObject(o, "judge");
	pj = preset_to_json(c->preset);
	cJSON_AddItemToObject(o, "preset", cJSON_Parse(pj));
	free(pj);
	/* the preset above is resolved: this says which values the
	 * command line set */
	{
		cJSON *ov = c->overrides ? cJSON_Parse(c->overrides) : NULL;

		cJSON_AddItemToObject(o, "overrides", ov != NULL ? ov :
		    cJSON_CreateObject());
	}
	cJSON_AddNumberToObject(o, "seed", c->seed_set ? c->seed :
	    (double)c->preset->seed);
	if (c->shard_n > 1) {
		cJSON *sh = cJSON_AddObjectToObject(o, "shard");

		cJSON_AddNumberToObject(sh, "index", c->shard_k);
		cJSON_AddNumberToObject(sh, "count", c->shard_n);
	}
	if (c->sched_name != NULL) {
		cJSON *sc = cJSON_AddObjectToObject(o, "scheduler");

		cJSON_AddStringToObject(sc, "name", c->sched_name);
		if (c->sched_job_id != NULL)
			cJSON_AddStringToObject(sc, "job_id", c->sched_job_id);
		else
			cJSON_AddNullToObject(sc, "job_id");
		if (c->sched_index >= 0)
			cJSON_AddNumberToObject(sc, "index",
			    (double)c->sched_index);
		else
			cJSON_AddNullToObject(sc, "index");
	}
	if (c->replay_only)
		add_carried(o, carried, "shards");
	a = cJSON_AddArrayToObject(o, "tasks");
	for (i = 0; i < in->ntasks; i++)
		build_task(a, &in->tasks[i], c->gpu_price,
		    c->gpus > 0 ? c->gpus : 1);
	add_agent(o, a);
	sys = cJSON_AddObjectToObject(o, "system");
	add_num_or_null(sys, "wall_s", in->wall_s);
	cJSON_AddNumberToObject(sys, "requests", (double)in->requests);
	cJSON_AddNumberToObject(sys, "retries", (double)in->retries);
	cJSON_AddNumberToObject(sys, "failures", (double)in->failures);
	if (in->ptok >= 0) {
		double cached = cached_tokens(in);
		double proc = isnan(cached) ? (double)in->ptok :
		    (double)in->ptok - cached;

		cJSON_AddNumberToObject(sys, "prompt_tokens", (double)in->ptok);
		add_num_or_null(sys, "prompt_tokens_cached", cached);
		cJSON_AddNumberToObject(sys, "completion_tokens",
		    (double)in->ctok);
		add_num_or_null(sys, "output_tokens_per_s", in->wall_s > 0 ?
		    (double)in->ctok / in->wall_s : NAN);
		/* what the server processed: the cached part is free */
		add_num_or_null(sys, "input_tokens_per_s", in->wall_s > 0 &&
		    proc >= 0 ? proc / in->wall_s : NAN);
	} else {
		cJSON_AddNullToObject(sys, "prompt_tokens");
		cJSON_AddNullToObject(sys, "prompt_tokens_cached");
		cJSON_AddNullToObject(sys, "completion_tokens");
		cJSON_AddNullToObject(sys, "output_tokens_per_s");
		cJSON_AddNullToObject(sys, "input_tokens_per_s");
	}
	if (c->serve_command != NULL) {
		cJSON *sv = cJSON_AddObjectToObject(sys, "server");

		cJSON_AddBoolToObject(sv, "started_by_qeval", 1);
		cJSON_AddStringToObject(sv, "engine", c->serve_engine ?
		    c->serve_engine : "vllm");
		cJSON_AddStringToObject(sv, "command", c->serve_command);
		add_num_or_null(sv, "cold_start_s", c->serve_cold_start_s);
	}
	if (in->server.available) {
		const struct promstat_summary *ps = &in->server;
		cJSON *sm = cJSON_AddObjectToObject(sys, "server_metrics");
		double q = ps->delta[PS_PREFIX_QUERIES];
		double h = ps->delta[PS_PREFIX_HITS];

		cJSON_AddStringToObject(sm, "source", "/metrics");
		cJSON_AddStringToObject(sm, "server_kind",
		    promstat_kind_name(ps->kind));
		cJSON_AddNumberToObject(sm, "samples", (double)ps->samples);
		add_num_or_null(sm, "prompt_tokens",
		    ps->delta[PS_PROMPT_TOKENS]);
		add_num_or_null(sm, "prompt_tokens_cached",
		    ps->delta[PS_PREFIX_HITS]);
		add_num_or_null(sm, "generation_tokens",
		    ps->delta[PS_GENERATION_TOKENS]);
		add_num_or_null(sm, "preemptions", ps->delta[PS_PREEMPTIONS]);
		add_num_or_null(sm, "prefix_cache_hit_rate", q > 0 ? h / q :
		    NAN);
		add_num_or_null(sm, "requests_running_peak",
		    ps->peak[PS_RUNNING]);
		add_num_or_null(sm, "requests_waiting_peak",
		    ps->peak[PS_WAITING]);
		add_num_or_null(sm, "kv_cache_usage_peak_pct",
		    100.0 * ps->peak[PS_KV_USAGE]);
		add_num_or_null(sm, "kv_cache_usage_mean_pct",
		    100.0 * ps->mean[PS_KV_USAGE]);
	} else
		cJSON_AddNullToObject(sys, "server_metrics");
	if (in->sandbox != NULL)
		cJSON_AddStringToObject(sys, "sandbox_layers", in->sandbox);
	add_summary(sys, "latency_s", in->lat, in->nlat, 1);
	add_summary(sys, "ttft_s", in->ttft, in->nttft, 1);
	add_summary(sys, "decode_s", in->dec, in->ndec, 0);
	add_summary(sys, "tpot_s", in->tpot, in->ntpot, 0);
	gpu = cJSON_AddObjectToObject(sys, "gpu");
	if (in->gpu.available) {
		const struct gpu_summary *g = &in->gpu;

		cJSON_AddStringToObject(gpu, "name", g->name);
		cJSON_AddNumberToObject(gpu, "devices", g->devices);
		cJSON_AddNumberToObject(gpu, "memory_used_gb",
		    g->memory_used_peak_gb);
		cJSON_AddNumberToObject(gpu, "memory_used_start_gb",
		    g->memory_used_start_gb);
		cJSON_AddNumberToObject(gpu, "memory_total_gb",
		    g->memory_total_gb);
		add_num_or_null(gpu, "memory_pct", g->memory_total_gb > 0 ?
		    100.0 * g->memory_used_peak_gb / g->memory_total_gb : NAN);
		cJSON_AddNumberToObject(gpu, "utilization_pct",
		    g->utilization_mean_pct);
		cJSON_AddNumberToObject(gpu, "utilization_peak_pct",
		    g->utilization_peak_pct);
		cJSON_AddNumberToObject(gpu, "samples", (double)g->samples);
		add_gpu_series(gpu, &g->series);
	} else {
		cJSON_AddNullToObject(gpu, "name");
		cJSON_AddNullToObject(gpu, "memory_used_gb");
		cJSON_AddNullToObject(gpu, "memory_total_gb");
		cJSON_AddNullToObject(gpu, "memory_pct");
		cJSON_AddNullToObject(gpu, "utilization_pct");
	}
	if (c->gpu_price > 0 && in->ntasks > 0) {
		cJSON *cost = cJSON_AddObjectToObject(o, "cost");
		double gpus = c->gpus > 0 ? c->gpus : 1;
		double total = c->gpu_price * gpus * in->wall_s / 3600.0;
		double nsamp = 0, ncorrect = 0;

		for (i = 0; i < in->ntasks; i++) {
			const struct results_task *t = &in->tasks[i];
			size_t m, prim = 0, s;

			for (m = 0; m < t->nmetrics; m++)
				if (t->task->metrics[m].flags &
				    QEVAL_MF_PRIMARY)
					prim = m;
			for (s = 0; s < t->count; s++) {
				double v = sample_value(t, s, prim);

				if (!sample_scored(t, s))
					continue;
				nsamp++;
				if (isnan(v))
					continue;
				ncorrect += (t->task->metrics[prim].flags &
				    QEVAL_MF_SCALE10) ? v / 10.0 : v;
			}
		}
		cJSON_AddNumberToObject(cost, "gpu_price_per_hour",
		    c->gpu_price);
		cJSON_AddNumberToObject(cost, "gpus", gpus);
		cJSON_AddNumberToObject(cost, "total", total);
		add_num_or_null(cost, "per_sample", nsamp > 0 ? total / nsamp :
		    NAN);
		add_num_or_null(cost, "per_correct_sample", ncorrect > 0 ?
		    total / ncorrect : NAN);
	} else
		cJSON_AddNullToObject(o, "cost");
	txt = cJSON_Print(o);
	cJSON_Delete(o);
	cJSON_Delete(carried);
	if (txt == NULL)
		xalloc_die();
	return (txt);
}
