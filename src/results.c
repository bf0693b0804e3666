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
add_summary(cJSON *o, const char *k, const double *v, size_t n)
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

		if (t->ustate[u] != 1)
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

			if (t->ustate[u] != 1)
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
		if (t->ustate[s * t->ncand + c] == 1)
			return (1);
	return (0);
}

static void
build_task(cJSON *arr, const struct results_task *t)
{
	cJSON *o = cJSON_CreateObject(), *ms, *cnt, *ds;
	double *col = xmalloc((t->count + 1) * sizeof(double));
	size_t s, m, u, scored = 0, nunits = t->count * t->ncand;
	long inv = 0, trunc = 0, fixed = 0, tmo = 0, unp = 0;
	const char *const *f;
	int has_cat = 0;

	cJSON_AddStringToObject(o, "name", t->task->name);
	cJSON_AddStringToObject(o, "dataset", t->task->dataset ?
	    t->task->dataset : t->task->name);
	cJSON_AddStringToObject(o, "task_type", t->task->task_type ?
	    t->task->task_type : "");
	cJSON_AddStringToObject(o, "recipe", t->task->recipe ?
	    t->task->recipe : "");
	cJSON_AddStringToObject(o, "plugin", t->plugin->name);
	cJSON_AddStringToObject(o, "plugin_version", t->plugin->version ?
	    t->plugin->version : "");
	for (s = 0; s < t->count; s++)
		if (sample_scored(t, s))
			scored++;
	{
		size_t mine = 0;

		for (s = 0; s < t->count; s++)
			if (t->ustate[s * t->ncand] != 3)
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
		static const unsigned ks[] = { 1, 10, 100 };
		size_t ident = 0, multi = 0;

		for (m = 0; m < t->nmetrics; m++) {
			const struct qeval_metric_desc *d =
			    &t->task->metrics[m];
			size_t ki;

			if (!(d->flags & QEVAL_MF_PASSK))
				continue;
			for (ki = 0; ki < 3; ki++) {
				double sum = 0;
				size_t n = 0;
				int ok = 1;
				cJSON *x;
				char name[64];

				if (ks[ki] > t->ncand)
					break;
				for (s = 0; s < t->count && ok; s++) {
					unsigned c, nn = 0, cc = 0;

					if (!sample_scored(t, s))
						continue;
					for (c = 0; c < t->ncand; c++) {
						u = s * t->ncand + c;
						if (t->ustate[u] != 1)
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
		}
		for (s = 0; s < t->count; s++) {
			unsigned c;
			int same = 1, any = 0;
			uint64_t h0 = 0;

			for (c = 0; c < t->ncand; c++) {
				u = s * t->ncand + c;
				if (t->ustate[u] != 1)
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
		if (t->ustate[u] != 1)
			continue;
		inv += (t->vflags[u] & QEVAL_VF_INVALID) != 0;
		trunc += (t->vflags[u] & QEVAL_VF_TRUNCATED) != 0;
		fixed += (t->vflags[u] & QEVAL_VF_NAME_FIXED) != 0;
		tmo += (t->vflags[u] & QEVAL_VF_TIMEOUT) != 0;
		unp += (t->vflags[u] & QEVAL_VF_UNPARSED) != 0;
	}
	cnt = cJSON_AddObjectToObject(o, "counts");
	cJSON_AddNumberToObject(cnt, "invalid", (double)inv);
	cJSON_AddNumberToObject(cnt, "truncated", (double)trunc);
	cJSON_AddNumberToObject(cnt, "name_fixed", (double)fixed);
	cJSON_AddNumberToObject(cnt, "timeout", (double)tmo);
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

char *
results_build(const struct results_input *in)
{
	const struct run_cfg *c = in->cfg;
	cJSON *o = cJSON_CreateObject(), *a, *sys, *gpu;
	char finished[32], *pj, *txt;
	const char *slash;
	size_t i;
	int partial = in->interrupted;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(finished, sizeof(finished), "%Y-%m-%dT%H:%M:%SZ", &tm);
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
			if (t->ustate[u] == 0)
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
	a = cJSON_AddArrayToObject(o, "tasks");
	for (i = 0; i < in->ntasks; i++)
		build_task(a, &in->tasks[i]);
	sys = cJSON_AddObjectToObject(o, "system");
	add_num_or_null(sys, "wall_s", in->wall_s);
	cJSON_AddNumberToObject(sys, "requests", (double)in->requests);
	cJSON_AddNumberToObject(sys, "retries", (double)in->retries);
	cJSON_AddNumberToObject(sys, "failures", (double)in->failures);
	if (in->ptok >= 0) {
		cJSON_AddNumberToObject(sys, "prompt_tokens", (double)in->ptok);
		cJSON_AddNumberToObject(sys, "completion_tokens",
		    (double)in->ctok);
		add_num_or_null(sys, "output_tokens_per_s", in->wall_s > 0 ?
		    (double)in->ctok / in->wall_s : NAN);
		add_num_or_null(sys, "input_tokens_per_s", in->wall_s > 0 ?
		    (double)in->ptok / in->wall_s : NAN);
	} else {
		cJSON_AddNullToObject(sys, "prompt_tokens");
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
		cJSON_AddNumberToObject(sm, "samples", (double)ps->samples);
		add_num_or_null(sm, "prompt_tokens",
		    ps->delta[PS_PROMPT_TOKENS]);
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
	add_summary(sys, "latency_s", in->lat, in->nlat);
	add_summary(sys, "ttft_s", in->ttft, in->nttft);
	add_summary(sys, "decode_s", in->dec, in->ndec);
	add_summary(sys, "tpot_s", in->tpot, in->ntpot);
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
	if (txt == NULL)
		xalloc_die();
	return (txt);
}
