#include "config.h"
#include "rundir.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "report.h"
#include "results.h"
#include "xalloc.h"

/* ------------------------------------------------------------------ */
/* The plan                                                           */

char *
rundir_plan_text(const struct run_cfg *c, unsigned samples)
{
	cJSON *o = cJSON_CreateObject(), *a;
	char *pj, *txt;
	size_t i;

	cJSON_AddStringToObject(o, "plan", "qeval/1");
	cJSON_AddStringToObject(o, "model", c->model);
	a = cJSON_AddArrayToObject(o, "endpoints");
	for (i = 0; i < c->n_endpoints; i++) {
		char *url = results_redact_url(c->endpoints[i]);

		cJSON_AddItemToArray(a, cJSON_CreateString(url));
		free(url);
	}
	cJSON_AddStringToObject(o, "api", c->chat ? "chat" : "completions");
	cJSON_AddBoolToObject(o, "reference", c->reference);
	cJSON_AddBoolToObject(o, "corrupt", c->corrupt);
	a = cJSON_AddArrayToObject(o, "tasks");
	for (i = 0; i < c->n_tasks; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(c->tasks[i]));
	cJSON_AddNumberToObject(o, "limit", (double)c->limit);
	cJSON_AddNumberToObject(o, "samples", samples);
	cJSON_AddNumberToObject(o, "seed", c->seed_set ? c->seed :
	    (double)c->preset->seed);
	cJSON_AddNumberToObject(o, "num_fewshot", c->num_fewshot);
	a = cJSON_AddArrayToObject(o, "task_options");
	for (i = 0; c->kv != NULL && c->kv[i].key != NULL; i++) {
		cJSON *kv = cJSON_CreateObject();

		cJSON_AddStringToObject(kv, "key", c->kv[i].key);
		cJSON_AddStringToObject(kv, "value", c->kv[i].value);
		cJSON_AddItemToArray(a, kv);
	}
	cJSON_AddBoolToObject(o, "keep_think", c->keep_think);
	if (c->judge_model)
		cJSON_AddStringToObject(o, "judge_model", c->judge_model);
	if (c->judge_endpoint) {
		char *url = results_redact_url(c->judge_endpoint);

		cJSON_AddStringToObject(o, "judge_endpoint", url);
		free(url);
	}
	cJSON_AddNumberToObject(o, "shard_k", c->shard_k);
	cJSON_AddNumberToObject(o, "shard_n", c->shard_n);
	pj = preset_to_json(c->preset);
	cJSON_AddItemToObject(o, "preset", cJSON_Parse(pj));
	free(pj);
	if (c->overrides != NULL)
		cJSON_AddItemToObject(o, "overrides",
		    cJSON_Parse(c->overrides));
	txt = cJSON_Print(o);
	cJSON_Delete(o);
	if (txt == NULL)
		xalloc_die();
	return (txt);
}

int
rundir_plan_write(const char *run_dir, const char *text, struct strbuf *err)
{
	struct strbuf p = STRBUF_INIT;
	int rc;

	strbuf_addf(&p, "%s/run.json", run_dir);
	rc = fileio_write_atomic(p.buf, text, strlen(text), err);
	strbuf_release(&p);
	return (rc != 0 ? -1 : 0);
}

static const cJSON *
item(const struct rundir_plan *pl, const char *key)
{
	return (cJSON_GetObjectItemCaseSensitive(pl->json, key));
}

/* A count the plan records: a number in [0, UINT_MAX], or def. */
static unsigned
plan_unsigned(const struct rundir_plan *pl, const char *key, unsigned def,
    int *set)
{
	const cJSON *x = item(pl, key);

	if (set != NULL)
		*set = 0;
	if (!cJSON_IsNumber(x) || !(x->valuedouble >= 0) ||
	    x->valuedouble > (double)UINT_MAX)
		return (def);
	if (set != NULL)
		*set = 1;
	return ((unsigned)x->valuedouble);
}

int
rundir_plan_read(struct rundir_plan *pl, const char *run_dir,
    struct strbuf *err)
{
	struct strbuf p = STRBUF_INIT;
	const cJSON *x, *t;
	char *txt;
	size_t i, n;

	memset(pl, 0, sizeof(*pl));
	strbuf_addf(&p, "%s/run.json", run_dir);
	txt = fileio_read(p.buf, NULL);
	pl->json = txt != NULL ? cJSON_Parse(txt) : NULL;
	free(txt);
	if (!cJSON_IsObject(pl->json) ||
	    !cJSON_IsString(item(pl, "model"))) {
		strbuf_addf(err, "%s is %s", p.buf, pl->json == NULL &&
		    access(p.buf, F_OK) != 0 ? "missing" : "not a qeval "
		    "plan");
		strbuf_release(&p);
		rundir_plan_release(pl);
		return (-1);
	}
	strbuf_release(&p);
	pl->model = item(pl, "model")->valuestring;
	x = item(pl, "api");
	pl->api = cJSON_IsString(x) ? x->valuestring : "chat";
	x = item(pl, "limit");
	pl->limit = cJSON_IsNumber(x) ? (long)x->valuedouble : 0;
	x = item(pl, "samples");
	pl->samples = cJSON_IsNumber(x) ? x->valueint : 1;
	x = item(pl, "seed");
	pl->seed_set = cJSON_IsNumber(x);
	pl->seed = cJSON_IsNumber(x) ? (unsigned long)x->valuedouble : 0;
	x = item(pl, "num_fewshot");
	pl->num_fewshot = cJSON_IsNumber(x) ? x->valueint : -1;
	pl->keep_think = cJSON_IsTrue(item(pl, "keep_think"));
	pl->reference = cJSON_IsTrue(item(pl, "reference"));
	pl->corrupt = cJSON_IsTrue(item(pl, "corrupt"));
	pl->shard_k = plan_unsigned(pl, "shard_k", 0, &pl->shard_set);
	pl->shard_n = plan_unsigned(pl, "shard_n", 0, NULL);
	pl->judge_model = cJSON_GetStringValue(item(pl, "judge_model"));
	t = item(pl, "tasks");
	n = cJSON_IsArray(t) ? (size_t)cJSON_GetArraySize(t) : 0;
	pl->tasks = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		const char *s = cJSON_GetStringValue(cJSON_GetArrayItem(t,
		    (int)i));

		pl->tasks[i] = xstrdup(s != NULL ? s : "");
	}
	pl->n_tasks = n;
	x = item(pl, "task_options");
	n = cJSON_IsArray(x) ? (size_t)cJSON_GetArraySize(x) : 0;
	if (n > 0)
		pl->kv = xcalloc(n + 1, sizeof(*pl->kv));
	for (i = 0; i < n; i++) {
		const cJSON *kv = cJSON_GetArrayItem(x, (int)i);

		/* strings of the tree: they live as long as the plan */
		pl->kv[i].key = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(kv, "key"));
		pl->kv[i].value = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(kv, "value"));
	}
	x = item(pl, "overrides");
	pl->overrides = cJSON_IsObject(x) ? cJSON_PrintUnformatted(x) : NULL;
	return (0);
}

void
rundir_plan_release(struct rundir_plan *pl)
{
	size_t i;

	for (i = 0; pl->tasks != NULL && i < pl->n_tasks; i++)
		free(pl->tasks[i]);
	free(pl->tasks);
	free(pl->kv);
	free(pl->overrides);
	cJSON_Delete(pl->json);
	memset(pl, 0, sizeof(*pl));
}

int
rundir_plan_preset(const struct rundir_plan *pl, const char *run_dir,
    struct preset *p, struct strbuf *err)
{
	const cJSON *pj = item(pl, "preset");
	const char *src = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(pj, "source"));
	struct strbuf name = STRBUF_INIT;
	char *txt;
	int rc;

	strbuf_addf(&name, "%s/run.json: \"preset\"", run_dir);
	txt = pj != NULL ? cJSON_Print(pj) : NULL;
	if (txt == NULL) {
		preset_defaults(p);
		strbuf_addf(err, "%s is missing", name.buf);
		strbuf_release(&name);
		return (QEVAL_EINVAL);
	}
	rc = preset_load_text(p, txt, name.buf, err);
	free(txt);
	strbuf_release(&name);
	/* where the run's preset came from, as the run recorded it */
	if (rc == QEVAL_OK && src != NULL) {
		free(p->source);
		p->source = xstrdup(src);
	}
	return (rc);
}

/* Keys of run.json that must agree between the shards of one run. */
static const char *const same_keys[] = { "model", "api", "tasks", "limit",
	"samples", "seed", "num_fewshot", "task_options", "reference",
	"corrupt", "keep_think", "shard_n", NULL };

const char *
rundir_plan_differs(const struct rundir_plan *a, const struct rundir_plan *b)
{
	size_t i;

	for (i = 0; same_keys[i] != NULL; i++)
		if (!cJSON_Compare(cJSON_GetObjectItem(a->json, same_keys[i]),
		    cJSON_GetObjectItem(b->json, same_keys[i]), 1))
			return (same_keys[i]);
	return (NULL);
}

/* ------------------------------------------------------------------ */
/* The directory                                                      */

static int
mkdir_p(const char *path, struct strbuf *err)
{
	char *p = xstrdup(path), *s;

	for (s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0755) != 0 && errno != EEXIST) {
				strbuf_addf(err, "cannot create %s: %s", p,
				    strerror(errno));
				free(p);
				return (-1);
			}
			*s = '/';
		}
	if (mkdir(p, 0755) != 0 && errno != EEXIST) {
		strbuf_addf(err, "cannot create %s: %s", p, strerror(errno));
		free(p);
		return (-1);
	}
	free(p);
	return (0);
}

static void
sanitize(struct strbuf *out, const char *s)
{
	for (; *s; s++)
		strbuf_addch(out, (*s >= 'a' && *s <= 'z') ||
		    (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    *s == '.' || *s == '-' || *s == '_' ? *s : '_');
}

int
rundir_new(const char *out_dir, const char *run_id, const char *stamp,
    const char *preset, const char *model, int resume, struct strbuf *dir,
    struct strbuf *err)
{
	size_t i;

	strbuf_addf(dir, "%s/", out_dir);
	if (run_id != NULL)
		strbuf_adds(dir, run_id);
	else {
		strbuf_addf(dir, "%s-%s-", stamp, preset);
		sanitize(dir, model);
	}
	if (access(dir->buf, F_OK) == 0 && run_id != NULL && !resume) {
		strbuf_addf(err, "%s exists: add --resume to continue it, or "
		    "choose another --run-id", dir->buf);
		return (-1);
	}
	for (i = 2; run_id == NULL && access(dir->buf, F_OK) == 0; i++) {
		/* two runs in the same second */
		strbuf_addf(dir, "-%zu", i);
	}
	return (0);
}

int
rundir_make(const char *run_dir, struct strbuf *err)
{
	struct strbuf p = STRBUF_INIT;
	int rc;

	strbuf_addf(&p, "%s/samples", run_dir);
	rc = mkdir_p(p.buf, err);
	strbuf_release(&p);
	return (rc);
}

/* ------------------------------------------------------------------ */
/* --resume                                                           */

/* Whether a plan is that of the run to continue. */
static int
plan_matches(const struct rundir_plan *pl, const char *model,
    const char *const *tasks, size_t n_tasks, size_t limit)
{
	size_t i;

	if (strcmp(pl->model, model) != 0 || (size_t)pl->limit != limit ||
	    pl->n_tasks != n_tasks)
		return (0);
	for (i = 0; i < n_tasks; i++)
		if (strcmp(pl->tasks[i], tasks[i]) != 0)
			return (0);
	return (1);
}

int
rundir_find_resume(const char *out_dir, const char *run_id,
    const char *model, const char *const *tasks, size_t n_tasks,
    size_t limit, int must_exist, struct strbuf *dir, struct strbuf *err)
{
	struct strbuf best = STRBUF_INIT;
	struct dirent *de;
	DIR *dp;

	if (run_id != NULL) {
		strbuf_addf(dir, "%s/%s/run.json", out_dir, run_id);
		if (access(dir->buf, F_OK) != 0) {
			if (must_exist) {
				strbuf_addf(err, "%s does not exist",
				    dir->buf);
				return (-1);
			}
			return (1);
		}
		strbuf_setlen(dir, dir->len - strlen("/run.json"));
		return (0);
	}
	dp = opendir(out_dir);
	if (dp == NULL && errno == ENOENT && !must_exist)
		return (1);
	if (dp == NULL) {
		strbuf_addf(err, "--resume: cannot read %s: %s", out_dir,
		    strerror(errno));
		return (-1);
	}
	while ((de = readdir(dp)) != NULL) {
		struct strbuf p = STRBUF_INIT, why = STRBUF_INIT;
		struct rundir_plan pl;

		if (de->d_name[0] == '.')
			continue;
		strbuf_addf(&p, "%s/%s", out_dir, de->d_name);
		/* names start with a UTC timestamp: the greatest is the
		 * newest */
		if (rundir_plan_read(&pl, p.buf, &why) == 0 &&
		    plan_matches(&pl, model, tasks, n_tasks, limit) &&
		    (best.len == 0 || strcmp(de->d_name, best.buf) > 0)) {
			strbuf_reset(&best);
			strbuf_adds(&best, de->d_name);
		}
		rundir_plan_release(&pl);
		strbuf_release(&why);
		strbuf_release(&p);
	}
	closedir(dp);
	if (best.len == 0) {
		strbuf_release(&best);
		if (!must_exist)
			return (1);
		strbuf_addf(err, "--resume: no run of model '%s' with these "
		    "tasks and --limit in %s; start without --resume",
		    model, out_dir);
		return (-1);
	}
	strbuf_addf(dir, "%s/%s", out_dir, best.buf);
	strbuf_release(&best);
	return (0);
}

/* ------------------------------------------------------------------ */
/* results.json                                                       */

int
rundir_write_results(const char *run_dir, const char *json,
    struct strbuf *err, struct strbuf *warn)
{
	const char *runs[1] = { run_dir };
	struct strbuf p = STRBUF_INIT;

	strbuf_addf(&p, "%s/results.json", run_dir);
	if (fileio_write_atomic(p.buf, json, strlen(json), err) != 0) {
		strbuf_release(&p);
		return (-1);
	}
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/report.md", run_dir);
	if (report_write_runs(runs, 1, p.buf, warn) != 0 && warn->len == 0)
		strbuf_addf(warn, "cannot write %s", p.buf);
	strbuf_release(&p);
	return (0);
}

cJSON *
rundir_results_read(const char *where, struct strbuf *path)
{
	struct strbuf own = STRBUF_INIT, *p = path != NULL ? path : &own;
	struct stat st;
	cJSON *r;
	char *txt;

	strbuf_reset(p);
	strbuf_adds(p, where);
	if (stat(p->buf, &st) == 0 && S_ISDIR(st.st_mode))
		strbuf_adds(p, "/results.json");
	txt = fileio_read(p->buf, NULL);
	r = txt != NULL ? cJSON_Parse(txt) : NULL;
	free(txt);
	strbuf_release(&own);
	return (r);
}

int
rundir_is_results(const cJSON *r)
{
	return (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(r, "tasks")));
}
