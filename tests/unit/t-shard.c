/*
 * shard.c: --shard auto from Slurm's and Kubernetes' environments, the
 * scheduler record, and the checks `qeval merge` makes on its shards.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shard.h"
#include "tap.h"

static const char *const vars[] = { "SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID",
	"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX",
	"SLURM_ARRAY_TASK_STEP", "SLURM_ARRAY_TASK_COUNT",
	"JOB_COMPLETION_INDEX", "QEVAL_SHARD_COUNT", "QEVAL_JOB_ID", NULL };

static void
clear_env(void)
{
	int i;

	for (i = 0; vars[i] != NULL; i++)
		unsetenv(vars[i]);
}

/* A Slurm array task: id of the array min..min+step*(count-1). */
static void
slurm(const char *job, const char *id, const char *min, const char *step,
    const char *count)
{
	clear_env();
	setenv("SLURM_JOB_ID", "9999", 1);
	setenv("SLURM_ARRAY_JOB_ID", job, 1);
	setenv("SLURM_ARRAY_TASK_ID", id, 1);
	setenv("SLURM_ARRAY_TASK_MIN", min, 1);
	setenv("SLURM_ARRAY_TASK_STEP", step, 1);
	setenv("SLURM_ARRAY_TASK_COUNT", count, 1);
}

/* shard_auto(): rc, and k (1-based)/n in *kn or the message in *msg. */
static int
resolve(const char *spec, char *kn, size_t kn_size, struct shard_sched *s,
    struct strbuf *msg)
{
	unsigned k = 99, n = 99;
	int rc;

	strbuf_reset(msg);
	rc = shard_auto(spec, &k, &n, s, msg);
	snprintf(kn, kn_size, "%u/%u", k + 1, n);
	return (rc);
}

static void
put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

/* A shard's run directory: its plan, and results.json unless status is
 * NULL (a run that was killed writes none). */
static void
mkshard(const char *root, const char *name, int k, int n, const char *sha,
    const char *status, double temp)
{
	char dir[512], buf[1024];

	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	mkdir(dir, 0755);
	snprintf(buf, sizeof(buf), "{\"model\":\"m\",\"shard_k\":%d,"
	    "\"shard_n\":%d,\"preset\":{\"name\":\"p%d\",\"generation\":"
	    "{\"temperature\":%g}}}", k, n, k, temp);
	put(dir, "run.json", buf);
	if (status != NULL) {
		snprintf(buf, sizeof(buf), "{\"status\":\"%s\",\"tasks\":"
		    "[{\"name\":\"gsm8k\",\"datasets\":[{\"path\":"
		    "\"gsm8k/test.jsonl\",\"sha256\":\"%s\"}]}]}", status,
		    sha);
		put(dir, "results.json", buf);
	}
}

static int
merge_check(const char *root, const char *const *names, struct strbuf *msg)
{
	char *dirs[8];
	int i, rc;

	for (i = 0; names[i] != NULL; i++) {
		size_t len = strlen(root) + strlen(names[i]) + 2;

		dirs[i] = malloc(len);
		if (dirs[i] == NULL)
			return (tap_bail("out of memory"));
		snprintf(dirs[i], len, "%s/%s", root, names[i]);
	}
	strbuf_reset(msg);
	rc = shard_merge_check(dirs, i, msg);
	while (i-- > 0)
		free(dirs[i]);
	return (rc);
}

int
main(void)
{
	struct shard_sched s = { NULL, NULL, -1 };
	struct strbuf msg = STRBUF_INIT;
	char kn[64], root[] = "/tmp/qeval-t-shard-XXXXXX", cmd[600];

	/* -- no scheduler ---------------------------------------------- */
	clear_env();
	is_int(resolve("auto", kn, sizeof(kn), &s, &msg), -1,
	    "auto outside a scheduler is an error");
	ok(strstr(msg.buf, "SLURM_ARRAY_TASK_ID") != NULL &&
	    strstr(msg.buf, "JOB_COMPLETION_INDEX") != NULL &&
	    strstr(msg.buf, "--shard K/N") != NULL,
	    "it names both schedulers' variables and --shard K/N: %s",
	    msg.buf);
	setenv("SLURM_JOB_ID", "12", 1);
	is_int(resolve("auto", kn, sizeof(kn), &s, &msg), -1,
	    "a Slurm job that is not an array is an error");
	ok(strstr(msg.buf, "not an array job") != NULL &&
	    strstr(msg.buf, "--array") != NULL, "it says to use --array");
	is_int(resolve("auto/", kn, sizeof(kn), &s, &msg), -1, "auto/");
	is_int(resolve("auto/0", kn, sizeof(kn), &s, &msg), -1, "auto/0");
	is_int(resolve("auto/3x", kn, sizeof(kn), &s, &msg), -1, "auto/3x");
	is_int(resolve("autox", kn, sizeof(kn), &s, &msg), -1, "autox");

	/* -- Slurm arrays ---------------------------------------------- */
	slurm("77", "2", "0", "1", "4");
	is_int(resolve("auto", kn, sizeof(kn), &s, &msg), 0,
	    "--array=0-3, task 2");
	is_str(kn, "3/4", "is shard 3/4");
	is_str(s.name, "slurm", "scheduler slurm");
	is_str(s.job_id, "77", "job id: the array's (SLURM_ARRAY_JOB_ID)");
	is_int(s.index, 2, "index: the array task id");
	slurm("77", "4", "1", "1", "4");
	resolve("auto", kn, sizeof(kn), &s, &msg);
	is_str(kn, "4/4", "--array=1-4: task 4 is shard 4/4 (MIN counts)");
	slurm("77", "6", "0", "2", "4");
	resolve("auto", kn, sizeof(kn), &s, &msg);
	is_str(kn, "4/4", "--array=0-6:2: task 6 is shard 4/4 (STEP counts)");
	slurm("77", "5", "0", "2", "4");
	is_int(resolve("auto", kn, sizeof(kn), &s, &msg), -1,
	    "a task id off the step is an error");
	slurm("77", "3", "3", "1", "1");
	is_int(resolve("auto", kn, sizeof(kn), &s, &msg), -1,
	    "one index submitted again without a count is an error");
	ok(strstr(msg.buf, "QEVAL_SHARD_COUNT") != NULL,
	    "it says how to give the count: %s", msg.buf);
	is_int(resolve("auto/8", kn, sizeof(kn), &s, &msg), 0,
	    "with auto/8 the same task is fine");
	is_str(kn, "4/8", "task id 3 of auto/8 is shard 4/8");
	setenv("QEVAL_SHARD_COUNT", "8", 1);
	resolve("auto", kn, sizeof(kn), &s, &msg);
	is_str(kn, "4/8", "QEVAL_SHARD_COUNT=8 is auto/8");
	is_int(resolve("auto/4", kn, sizeof(kn), &s, &msg), -1,
	    "auto/4 with QEVAL_SHARD_COUNT=8 is an error");
	setenv("QEVAL_SHARD_COUNT", "eight", 1);
	is_int(resolve("auto", kn, sizeof(kn), &s, &msg), -1,
	    "a QEVAL_SHARD_COUNT that is not a number is an error");
	ok(strstr(msg.buf, "QEVAL_SHARD_COUNT='eight'") != NULL,
	    "it names the variable and its value");
	slurm("77", "8", "1", "1", "8");
	is_int(resolve("auto/8", kn, sizeof(kn), &s, &msg), -1,
	    "auto/8 on a 1-based array: task 8 is an error");
	ok(strstr(msg.buf, "--array=0-7") != NULL,
	    "it says to number the array from 0: %s", msg.buf);
	slurm("77", "x1", "0", "1", "4");
	is_int(resolve("auto", kn, sizeof(kn), &s, &msg), -1,
	    "a task id that is not a number is an error");
	ok(strstr(msg.buf, "SLURM_ARRAY_TASK_ID='x1'") != NULL,
	    "it names the variable");
	slurm("77", "1", "0", "1", "4");
	setenv("QEVAL_JOB_ID", "eval-2026", 1);
	resolve("auto", kn, sizeof(kn), &s, &msg);
	is_str(s.job_id, "eval-2026", "QEVAL_JOB_ID overrides the job id");

	/* -- Kubernetes ------------------------------------------------ */
	clear_env();
	setenv("JOB_COMPLETION_INDEX", "5", 1);
	is_int(resolve("auto", kn, sizeof(kn), &s, &msg), -1,
	    "an Indexed Job without a count is an error");
	ok(strstr(msg.buf, "spec.completions") != NULL,
	    "it says the count is the Job's completions");
	setenv("QEVAL_JOB_ID", "qeval-eval", 1);
	is_int(resolve("auto/6", kn, sizeof(kn), &s, &msg), 0,
	    "index 5 of auto/6");
	is_str(kn, "6/6", "is shard 6/6");
	is_str(s.name, "kubernetes", "scheduler kubernetes");
	is_str(s.job_id, "qeval-eval", "job id from QEVAL_JOB_ID");
	is_int(s.index, 5, "index: the completion index");
	is_int(resolve("auto/5", kn, sizeof(kn), &s, &msg), -1,
	    "index 5 of auto/5 is an error");

	/* -- a record without --shard auto ----------------------------- */
	clear_env();
	setenv("SLURM_JOB_ID", "31", 1);
	shard_sched_detect(&s);
	ok(s.name != NULL && strcmp(s.name, "slurm") == 0 &&
	    s.job_id != NULL && strcmp(s.job_id, "31") == 0 && s.index == -1,
	    "a plain Slurm job is recorded: slurm, job 31, no index");
	clear_env();
	shard_sched_detect(&s);
	ok(s.name == NULL && s.job_id == NULL, "no scheduler: no record");
	shard_sched_release(&s);

	/* -- merge checks ---------------------------------------------- */
	if (mkdtemp(root) == NULL)
		return (tap_bail("mkdtemp failed"));
	mkshard(root, "s1", 0, 4, "aa", "complete", 0);
	mkshard(root, "s2", 1, 4, "aa", "complete", 0);
	mkshard(root, "s3", 2, 4, "aa", "complete", 0);
	mkshard(root, "s4", 3, 4, "aa", "complete", 0);
	mkshard(root, "k2", 1, 4, "aa", NULL, 0);	/* killed */
	mkshard(root, "p3", 2, 4, "aa", "partial", 0);
	mkshard(root, "d4", 3, 4, "bb", "complete", 0);
	mkshard(root, "t4", 3, 4, "aa", "complete", 0.7);
	mkshard(root, "n2", 1, 2, "aa", "complete", 0);
	{
		const char *all[] = { "s1", "s2", "s3", "s4", NULL };
		const char *three[] = { "s1", "s3", "s4", NULL };
		const char *two[] = { "s4", "s1", NULL };
		const char *killed[] = { "s1", "k2", "s3", "s4", NULL };
		const char *partial[] = { "s1", "s2", "p3", "s4", NULL };
		const char *data[] = { "s1", "s2", "s3", "d4", NULL };
		const char *temp[] = { "s1", "s2", "s3", "t4", NULL };
		const char *twice[] = { "s1", "s2", "s2", "s4", NULL };
		const char *count[] = { "s1", "n2", NULL };

		is_int(merge_check(root, all, &msg), 0,
		    "four complete shards of one run merge");
		is_int(merge_check(root, three, &msg), -1,
		    "shard 2/4 missing: refused");
		ok(strstr(msg.buf, "missing: shard 2/4") != NULL,
		    "it names shard 2/4: %s", msg.buf);
		merge_check(root, two, &msg);
		ok(strstr(msg.buf, "missing: shard 2/4, 3/4") != NULL,
		    "it names every missing shard: %s", msg.buf);
		is_int(merge_check(root, killed, &msg), -1,
		    "a shard without results.json: refused");
		ok(strstr(msg.buf, "shard 2/4") != NULL &&
		    strstr(msg.buf, "/k2") != NULL &&
		    strstr(msg.buf, "did not finish") != NULL &&
		    strstr(msg.buf, "--resume") != NULL,
		    "it names the shard and its directory, says --resume: %s",
		    msg.buf);
		is_int(merge_check(root, partial, &msg), -1,
		    "a partial shard: refused");
		ok(strstr(msg.buf, "shard 3/4") != NULL &&
		    strstr(msg.buf, "/p3") != NULL &&
		    strstr(msg.buf, "partial") != NULL,
		    "it names the partial shard: %s", msg.buf);
		is_int(merge_check(root, data, &msg), -1,
		    "a shard that read other data files: refused");
		ok(strstr(msg.buf, "/d4") != NULL &&
		    strstr(msg.buf, "sha256") != NULL &&
		    strstr(msg.buf, "'gsm8k'") != NULL,
		    "it names the shard and the sha256: %s", msg.buf);
		is_int(merge_check(root, temp, &msg), -1,
		    "a shard generated with another temperature: refused");
		ok(strstr(msg.buf, "/t4") != NULL &&
		    strstr(msg.buf, "generation") != NULL,
		    "it names the shard and the preset's generation: %s",
		    msg.buf);
		is_int(merge_check(root, twice, &msg), -1,
		    "a shard given twice: refused");
		ok(strstr(msg.buf, "2/4 is given twice") != NULL,
		    "it says which: %s", msg.buf);
		is_int(merge_check(root, count, &msg), -1,
		    "shards of 4 and of 2: refused");
		ok(strstr(msg.buf, "/n2") != NULL, "it names them: %s",
		    msg.buf);
	}

	/* -- --resume of another shard's directory --------------------- */
	snprintf(cmd, sizeof(cmd), "%s/s2", root);
	strbuf_reset(&msg);
	is_int(shard_resume_check(cmd, 1, 4, &msg), 0,
	    "resuming shard 2/4 in shard 2/4's directory");
	is_int(shard_resume_check(cmd, 0, 1, &msg), -1,
	    "resuming an unsharded run in shard 2/4's directory: refused");
	ok(strstr(msg.buf, "holds shard 2/4") != NULL &&
	    strstr(msg.buf, "shard 1/1") != NULL, "it says both: %s",
	    msg.buf);
	snprintf(cmd, sizeof(cmd), "%s/none", root);
	is_int(shard_resume_check(cmd, 0, 4, &msg), 0,
	    "no run.json: left to the run to report");

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", root);
	strbuf_release(&msg);
	return (tap_done());
}
