#include "config.h"
#include "shard.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "xalloc.h"

/* The most shards one run may have (a sanity bound, not a real limit). */
#define SHARD_MAX	1000000UL

/*
 * Reads a non-negative decimal integer from the environment variable
 * name: 0 when it is unset or empty, 1 with *v set, -1 with a message
 * in err when it is not such a number.
 */
static int
env_ulong(const char *name, unsigned long *v, struct strbuf *err)
{
	const char *s = getenv(name);
	char *end;

	if (s == NULL || *s == '\0')
		return (0);
	errno = 0;
	*v = strtoul(s, &end, 10);
	if (*s == '-' || *s == '+' || *end != '\0' || errno != 0 ||
	    *v > SHARD_MAX) {
		strbuf_addf(err, "%s='%s' is not a whole number from 0 to %lu",
		    name, s, SHARD_MAX);
		return (-1);
	}
	return (1);
}

static void
set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src != NULL && *src != '\0' ? xstrdup(src) : NULL;
}

void
shard_sched_release(struct shard_sched *s)
{
	free(s->name);
	free(s->job_id);
	s->name = s->job_id = NULL;
	s->index = -1;
}

void
shard_sched_detect(struct shard_sched *s)
{
	struct strbuf err = STRBUF_INIT;
	unsigned long v;
	const char *j;

	shard_sched_release(s);
	if (getenv("SLURM_JOB_ID") != NULL) {
		set_str(&s->name, "slurm");
		j = getenv("SLURM_ARRAY_JOB_ID");
		set_str(&s->job_id, j != NULL ? j : getenv("SLURM_JOB_ID"));
		if (env_ulong("SLURM_ARRAY_TASK_ID", &v, &err) == 1)
			s->index = (long)v;
	} else if (env_ulong("JOB_COMPLETION_INDEX", &v, &err) == 1) {
		set_str(&s->name, "kubernetes");
		s->index = (long)v;
	}
	if (s->name != NULL && getenv("QEVAL_JOB_ID") != NULL)
		set_str(&s->job_id, getenv("QEVAL_JOB_ID"));
	strbuf_release(&err);
}

/* --shard auto with Slurm's array variables; id is the task's id. */
static int
slurm_index(unsigned long id, unsigned long count, unsigned *k,
    unsigned *n, struct strbuf *err)
{
	unsigned long min = 0, step = 1, acount = 0;
	int r;

	if (count > 0) {
		if (id >= count) {
			strbuf_addf(err, "SLURM_ARRAY_TASK_ID=%lu is not below "
			    "the shard count %lu: with an explicit count the "
			    "array's task ids are the shard indices, so number "
			    "the array from 0 (sbatch --array=0-%lu)", id,
			    count, count - 1);
			return (-1);
		}
		*k = (unsigned)id;
		*n = (unsigned)count;
		return (0);
	}
	r = env_ulong("SLURM_ARRAY_TASK_COUNT", &acount, err);
	if (r < 0)
		return (-1);
	if (r == 0 || acount == 0) {
		strbuf_addf(err, "SLURM_ARRAY_TASK_COUNT is not set: give the "
		    "shard count (--shard auto/N or QEVAL_SHARD_COUNT=N)");
		return (-1);
	}
	if (env_ulong("SLURM_ARRAY_TASK_MIN", &min, err) < 0 ||
	    env_ulong("SLURM_ARRAY_TASK_STEP", &step, err) < 0)
		return (-1);
	if (step == 0)
		step = 1;
	if (acount == 1 && id != 0) {
		/* `sbatch --array=3`: one index submitted again, which
		 * without a count would silently become the whole run. */
		strbuf_addf(err, "this array has the one task %lu: to run one "
		    "shard of a larger array again, give the shard count "
		    "(--shard auto/N or QEVAL_SHARD_COUNT=N)", id);
		return (-1);
	}
	if (id < min || (id - min) % step != 0 ||
	    (id - min) / step >= acount) {
		strbuf_addf(err, "SLURM_ARRAY_TASK_ID=%lu is not in the range "
		    "SLURM_ARRAY_TASK_MIN=%lu, step %lu, count %lu: submit "
		    "the array as a range (sbatch --array=0-%lu)", id, min,
		    step, acount, acount - 1);
		return (-1);
	}
	*k = (unsigned)((id - min) / step);
	*n = (unsigned)acount;
	return (0);
}

int
shard_auto(const char *spec, unsigned *k, unsigned *n,
    struct shard_sched *s, struct strbuf *err)
{
	unsigned long count = 0, ec = 0, id;
	int r;

	if (strcmp(spec, "auto") != 0) {
		char *end;

		if (strncmp(spec, "auto/", 5) != 0 || spec[5] < '1' ||
		    spec[5] > '9') {
			strbuf_addf(err, "expected auto or auto/N with N >= 1");
			return (-1);
		}
		errno = 0;
		count = strtoul(spec + 5, &end, 10);
		if (*end != '\0' || errno != 0 || count > SHARD_MAX) {
			strbuf_addf(err, "expected auto or auto/N with N from "
			    "1 to %lu", SHARD_MAX);
			return (-1);
		}
	}
	r = env_ulong("QEVAL_SHARD_COUNT", &ec, err);
	if (r < 0)
		return (-1);
	if (r == 1) {
		if (ec == 0) {
			strbuf_addf(err, "QEVAL_SHARD_COUNT=0: the count must "
			    "be at least 1");
			return (-1);
		}
		if (count > 0 && count != ec) {
			strbuf_addf(err, "--shard %s and QEVAL_SHARD_COUNT=%lu "
			    "disagree", spec, ec);
			return (-1);
		}
		count = ec;
	}
	shard_sched_release(s);
	r = env_ulong("SLURM_ARRAY_TASK_ID", &id, err);
	if (r < 0)
		return (-1);
	if (r == 1) {
		if (slurm_index(id, count, k, n, err) != 0)
			return (-1);
		shard_sched_detect(s);
		return (0);
	}
	r = env_ulong("JOB_COMPLETION_INDEX", &id, err);
	if (r < 0)
		return (-1);
	if (r == 1) {
		if (count == 0) {
			strbuf_addf(err, "JOB_COMPLETION_INDEX=%lu but no "
			    "shard count: a Kubernetes pod is not told its "
			    "Job's completions, so give them (--shard auto/N "
			    "or QEVAL_SHARD_COUNT=N, N = spec.completions)",
			    id);
			return (-1);
		}
		if (id >= count) {
			strbuf_addf(err, "JOB_COMPLETION_INDEX=%lu is not "
			    "below the shard count %lu: N must equal the "
			    "Job's spec.completions", id, count);
			return (-1);
		}
		*k = (unsigned)id;
		*n = (unsigned)count;
		shard_sched_detect(s);
		return (0);
	}
	if (getenv("SLURM_JOB_ID") != NULL)
		strbuf_addf(err, "Slurm job %s is not an array job: submit "
		    "it with sbatch --array=0-N-1 (one task per shard), or "
		    "use --shard K/N", getenv("SLURM_JOB_ID"));
	else
		strbuf_addf(err, "no scheduler index in the environment: "
		    "auto reads SLURM_ARRAY_TASK_ID (a Slurm array job) or "
		    "JOB_COMPLETION_INDEX (a Kubernetes Indexed Job); "
		    "outside a scheduler use --shard K/N");
	return (-1);
}

/* ------------------------------------------------------------------ */

static cJSON *
read_json(const char *dir, const char *name)
{
	struct strbuf p = STRBUF_INIT;
	cJSON *j;
	char *txt;

	strbuf_addf(&p, "%s/%s", dir, name);
	txt = fileio_read(p.buf, NULL);
	j = txt != NULL ? cJSON_Parse(txt) : NULL;
	free(txt);
	strbuf_release(&p);
	return (j);
}

static long
num(const cJSON *o, const char *key)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);

	return (cJSON_IsNumber(x) ? (long)x->valuedouble : 0);
}

static const cJSON *
generation(const cJSON *plan)
{
	return (cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(plan, "preset"), "generation"));
}

/* Adds a line to err (lines are separated by '\n'). */
static void
line(struct strbuf *err)
{
	if (err->len > 0)
		strbuf_addch(err, '\n');
}

/*
 * Why the shard in dir is not finished, or NULL when it is: a run that
 * was killed wrote no results.json; one whose samples failed for good
 * says "partial".
 */
static const char *
unfinished(const cJSON *res)
{
	const char *st;

	if (res == NULL)
		return ("no results.json: its run did not finish");
	st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res,
	    "status"));
	if (st == NULL)
		return ("its results.json has no status");
	if (strcmp(st, "complete") != 0)
		return ("its status is partial: some samples failed or were "
		    "not done");
	return (NULL);
}

/* The datasets task i of res read, or NULL. */
static const cJSON *
task_data(const cJSON *res, int i)
{
	return (cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(
	    cJSON_GetObjectItemCaseSensitive(res, "tasks"), i), "datasets"));
}

static const char *
task_name(const cJSON *res, int i)
{
	const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "tasks"),
	    i), "name"));

	return (n != NULL ? n : "?");
}

int
shard_merge_check(char *const *dirs, int ndirs, struct strbuf *err)
{
	cJSON **plans, **res;
	unsigned char *seen = NULL;
	long count = 0;
	size_t start = err->len;
	int i, t, nmiss = 0;

	if (ndirs < 1)
		return (0);
	plans = xcalloc((size_t)ndirs, sizeof(*plans));
	res = xcalloc((size_t)ndirs, sizeof(*res));
	for (i = 0; i < ndirs; i++) {
		plans[i] = read_json(dirs[i], "run.json");
		res[i] = read_json(dirs[i], "results.json");
		if (plans[i] == NULL) {
			line(err);
			strbuf_addf(err, "%s is not a qeval run directory (no "
			    "readable run.json)", dirs[i]);
			goto out;
		}
	}
	count = num(plans[0], "shard_n");
	if (count > 1)
		seen = xcalloc((size_t)count, 1);
	for (i = 0; i < ndirs; i++) {
		long k = num(plans[i], "shard_k");
		const char *why = unfinished(res[i]);

		if (num(plans[i], "shard_n") != count) {
			line(err);
			strbuf_addf(err, "%s is one of %ld shards, %s one of "
			    "%ld: not shards of one run", dirs[0], count,
			    dirs[i], num(plans[i], "shard_n"));
			goto out;
		}
		if (seen != NULL && (k < 0 || k >= count)) {
			line(err);
			strbuf_addf(err, "%s: shard index %ld is out of range "
			    "(damaged run.json?)", dirs[i], k + 1);
			goto out;
		}
		if (seen != NULL && seen[k]++) {
			line(err);
			strbuf_addf(err, "shard %ld/%ld is given twice (%s)",
			    k + 1, count, dirs[i]);
			goto out;
		}
		if (!cJSON_Compare(generation(plans[0]), generation(plans[i]),
		    1)) {
			line(err);
			strbuf_addf(err, "%s and %s were generated with "
			    "different settings (preset 'generation' differs)",
			    dirs[0], dirs[i]);
		}
		for (t = 0; res[0] != NULL && res[i] != NULL &&
		    task_data(res[0], t) != NULL; t++)
			if (!cJSON_Compare(task_data(res[0], t),
			    task_data(res[i], t), 1)) {
				line(err);
				strbuf_addf(err, "%s and %s read different "
				    "data files for task '%s' (their sha256 "
				    "differ)", dirs[0], dirs[i], task_name(
				    res[0], t));
					break;
			}
		if (why != NULL) {
			line(err);
			if (seen != NULL)
				strbuf_addf(err, "shard %ld/%ld (%s) is "
				    "incomplete: %s; run it again with "
				    "--resume", k + 1, count, dirs[i], why);
			else
				strbuf_addf(err, "%s is incomplete: %s; run it "
				    "again with --resume", dirs[i], why);
		}
	}
	for (i = 0; seen != NULL && i < count; i++)
		if (!seen[i]) {
			if (nmiss++ == 0) {
				line(err);
				strbuf_addf(err, "missing: shard %d/%ld", i + 1,
				    count);
			} else
				strbuf_addf(err, ", %d/%ld", i + 1, count);
		}
	if (nmiss > 0)
		strbuf_addf(err, " (give every shard's run directory; a lost "
		    "shard must be run again)");
out:
	for (i = 0; i < ndirs; i++) {
		cJSON_Delete(plans[i]);
		cJSON_Delete(res[i]);
	}
	free(plans);
	free(res);
	free(seen);
	return (err->len > start ? -1 : 0);
}

int
shard_resume_check(const char *run_dir, unsigned k, unsigned n,
    struct strbuf *err)
{
	cJSON *plan = read_json(run_dir, "run.json");
	long pk, pn;
	int rc = 0;

	if (plan == NULL)
		return (0);	/* run.c says what is wrong with it */
	pk = num(plan, "shard_k");
	pn = num(plan, "shard_n");
	if (pn <= 1)
		pn = 1, pk = 0;
	if (n <= 1)
		n = 1, k = 0;
	if ((unsigned long)pk != k || (unsigned long)pn != n) {
		strbuf_addf(err, "--resume: %s holds shard %ld/%ld, but this "
		    "is shard %u/%u: resume it with the same --shard", run_dir,
		    pk + 1, pn, k + 1, n);
		rc = -1;
	}
	cJSON_Delete(plan);
	return (rc);
}
