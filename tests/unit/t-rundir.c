/*
 * rundir: a run directory's plan written and read back by one set of
 * rules (run, --resume, rescore, merge), and its results.json found
 * from a directory or a file (--baseline, rescore, merge).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "preset.h"
#include "run.h"
#include "rundir.h"
#include "strbuf.h"
#include "tap.h"

static void
put(const char *dir, const char *sub, const char *name, const char *text)
{
	struct strbuf p = STRBUF_INIT;
	FILE *f;

	strbuf_addf(&p, "%s/%s", dir, sub);
	(void)mkdir(p.buf, 0755);
	strbuf_addf(&p, "/%s", name);
	f = fopen(p.buf, "w");
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
	strbuf_release(&p);
}

int
main(void)
{
	static const char *const tasks[] = { "gsm8k", "arc_challenge" };
	static const char *const eps[] = { "http://u:secret@h:8000/v1" };
	static const struct qeval_kv kv[] = { { "a", "1" }, { "b", "x y" },
		{ NULL, NULL } };
	char dir[] = "/tmp/qeval-t-rundir-XXXXXX";
	struct strbuf err = STRBUF_INIT, p = STRBUF_INIT, rd = STRBUF_INIT;
	struct rundir_plan pl, p2;
	struct preset pre, got;
	struct run_cfg c;
	char *text;
	cJSON *r;

	if (mkdtemp(dir) == NULL)
		return (tap_bail("mkdtemp failed"));
	preset_defaults(&pre);
	free(pre.source);
	pre.source = strdup("/somewhere/presets/balanced.json");
	pre.concurrency = 17;
	memset(&c, 0, sizeof(c));
	c.model = "m";
	c.endpoints = eps;
	c.n_endpoints = 1;
	c.chat = 0;
	c.tasks = tasks;
	c.n_tasks = 2;
	c.limit = 30;
	c.seed_set = 1;
	c.seed = 7;
	c.num_fewshot = 3;
	c.kv = kv;
	c.keep_think = 1;
	c.judge_model = "j";
	c.shard_k = 1;
	c.shard_n = 4;
	c.preset = &pre;
	c.overrides = "{\"samples\":{\"value\":5,\"preset\":1}}";

	/* written and read back */
	text = rundir_plan_text(&c, 5);
	ok(strstr(text, "secret") == NULL, "the plan holds no password");
	strbuf_addf(&rd, "%s/run1", dir);
	(void)mkdir(rd.buf, 0755);
	is_int(rundir_plan_write(rd.buf, text, &err), 0, "plan written");
	free(text);
	is_int(rundir_plan_read(&pl, rd.buf, &err), 0, "plan read (%s)",
	    err.buf);
	is_str(pl.model, "m", "model");
	is_str(pl.api, "completions", "api");
	ok(pl.limit == 30 && pl.samples == 5 && pl.seed_set &&
	    pl.seed == 7 && pl.num_fewshot == 3, "limit, samples, seed, "
	    "few-shot");
	ok(pl.keep_think && !pl.reference && !pl.corrupt, "flags");
	ok(pl.shard_set && pl.shard_k == 1 && pl.shard_n == 4, "shard");
	is_str(pl.judge_model, "j", "judge model");
	ok(pl.n_tasks == 2 && strcmp(pl.tasks[1], "arc_challenge") == 0 &&
	    pl.tasks[2] == NULL, "tasks, NULL-terminated");
	ok(pl.kv != NULL && strcmp(pl.kv[1].value, "x y") == 0 &&
	    pl.kv[2].key == NULL, "task options");
	ok(pl.overrides != NULL && strstr(pl.overrides, "\"samples\"") !=
	    NULL, "overrides");

	/* the preset from memory, with the run's source */
	is_int(rundir_plan_preset(&pl, rd.buf, &got, &err), 0,
	    "the plan's preset parses (%s)", err.buf);
	ok(got.concurrency == 17, "with the run's values");
	is_str(got.source, "/somewhere/presets/balanced.json",
	    "and the source the run had, not a temporary file");
	preset_release(&got);

	/* a plan that differs from its shard only in the index agrees */
	c.shard_k = 2;
	text = rundir_plan_text(&c, 5);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/run2", dir);
	(void)mkdir(p.buf, 0755);
	rundir_plan_write(p.buf, text, &err);
	free(text);
	is_int(rundir_plan_read(&p2, p.buf, &err), 0, "second plan");
	ok(rundir_plan_differs(&pl, &p2) == NULL, "shards of one run agree");
	rundir_plan_release(&p2);
	c.limit = 31;
	text = rundir_plan_text(&c, 5);
	rundir_plan_write(p.buf, text, &err);
	free(text);
	rundir_plan_read(&p2, p.buf, &err);
	is_str(rundir_plan_differs(&pl, &p2), "limit",
	    "a different limit is named");
	rundir_plan_release(&p2);
	rundir_plan_release(&pl);
	c.limit = 30;

	/* defaults where the plan records nothing; what is not a plan */
	put(dir, "min", "run.json", "{\"model\":\"m\"}");
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/min", dir);
	is_int(rundir_plan_read(&pl, p.buf, &err), 0, "a minimal plan");
	ok(strcmp(pl.api, "chat") == 0 && pl.limit == 0 && pl.samples == 1 &&
	    !pl.seed_set && pl.num_fewshot == -1 && !pl.shard_set &&
	    pl.shard_n == 0 && pl.judge_model == NULL && pl.n_tasks == 0 &&
	    pl.kv == NULL && pl.overrides == NULL, "takes the defaults");
	strbuf_reset(&err);
	is_int(rundir_plan_preset(&pl, p.buf, &got, &err), QEVAL_EINVAL,
	    "no preset in the plan: an error");
	ok(strstr(err.buf, "min/run.json") != NULL, "naming the file (%s)",
	    err.buf);
	preset_release(&got);
	rundir_plan_release(&pl);
	put(dir, "arr", "run.json", "[1]");
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/arr", dir);
	strbuf_reset(&err);
	is_int(rundir_plan_read(&pl, p.buf, &err), -1, "an array is no plan");
	ok(strstr(err.buf, "not a qeval plan") != NULL, "says so (%s)",
	    err.buf);
	strbuf_reset(&err);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/none", dir);
	is_int(rundir_plan_read(&pl, p.buf, &err), -1, "no run.json");
	ok(strstr(err.buf, "missing") != NULL, "says so (%s)", err.buf);

	/* --resume: the newest run of the same model, tasks and limit */
	strbuf_reset(&rd);
	strbuf_addf(&rd, "%s/out", dir);
	(void)mkdir(rd.buf, 0755);
	put(rd.buf, "20260101T000000Z-a", "run.json", "{\"model\":\"m\","
	    "\"tasks\":[\"gsm8k\",\"arc_challenge\"],\"limit\":30}");
	put(rd.buf, "20260102T000000Z-b", "run.json", "{\"model\":\"m\","
	    "\"tasks\":[\"gsm8k\",\"arc_challenge\"],\"limit\":30}");
	put(rd.buf, "20260103T000000Z-c", "run.json", "{\"model\":\"m\","
	    "\"tasks\":[\"arc_challenge\",\"gsm8k\"],\"limit\":30}");
	put(rd.buf, "20260104T000000Z-d", "run.json", "{\"model\":\"m2\","
	    "\"tasks\":[\"gsm8k\",\"arc_challenge\"],\"limit\":30}");
	strbuf_reset(&p);
	is_int(rundir_find_resume(rd.buf, NULL, "m", tasks, 2, 30, 0, &p, &err),
	    0, "a run to continue");
	ok(strstr(p.buf, "out/20260102T000000Z-b") != NULL,
	    "the newest that matches (%s)", p.buf);
	strbuf_reset(&p);
	is_int(rundir_find_resume(rd.buf, NULL, "m", tasks, 2, 99, 0, &p, &err),
	    1, "none with another limit: start");
	strbuf_reset(&err);
	is_int(rundir_find_resume(rd.buf, NULL, "m", tasks, 2, 99, 1, &p, &err),
	    -1, "rescore: none is an error");
	ok(strstr(err.buf, "no run of model 'm'") != NULL, "explained");
	strbuf_reset(&p);
	is_int(rundir_find_resume(dir, "min", "x", tasks, 2, 1, 0, &p, &err),
	    0, "--run-id names it, whatever its plan");
	strbuf_reset(&p);
	is_int(rundir_find_resume(dir, "nope", "x", tasks, 2, 1, 0, &p, &err),
	    1, "--run-id of no run: start it");

	/* a new run's name */
	strbuf_reset(&p);
	is_int(rundir_new(rd.buf, NULL, "20260105T000000Z", "fast",
	    "org/M 1", 0, &p, &err), 0, "a new run's name");
	ok(strstr(p.buf, "out/20260105T000000Z-fast-org_M_1") != NULL,
	    "stamp, preset, the model made safe (%s)", p.buf);
	is_int(rundir_make(p.buf, &err), 0, "created");
	strbuf_adds(&p, "/samples");
	ok(access(p.buf, F_OK) == 0, "with its samples folder");
	strbuf_reset(&p);
	rundir_new(rd.buf, NULL, "20260105T000000Z", "fast", "org/M 1", 0,
	    &p, &err);
	ok(strstr(p.buf, "org_M_1-2") != NULL, "the same second: -2 (%s)",
	    p.buf);
	strbuf_reset(&p);
	strbuf_reset(&err);
	is_int(rundir_new(dir, "min", "x", "p", "m", 0, &p, &err), -1,
	    "an existing --run-id without --resume");
	ok(strstr(err.buf, "add --resume") != NULL, "says what to do");
	strbuf_reset(&p);
	is_int(rundir_new(dir, "min", "x", "p", "m", 1, &p, &err), 0,
	    "... with --resume: fine");

	/* results.json from a directory or the file */
	put(dir, "res", "results.json", "{\"tasks\":[]}");
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/res", dir);
	r = rundir_results_read(p.buf, &rd);
	ok(rundir_is_results(r) && strstr(rd.buf, "res/results.json") !=
	    NULL, "from the run directory (%s)", rd.buf);
	cJSON_Delete(r);
	strbuf_adds(&p, "/results.json");
	r = rundir_results_read(p.buf, NULL);
	ok(rundir_is_results(r), "from the file");
	cJSON_Delete(r);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/min/run.json", dir);
	r = rundir_results_read(p.buf, NULL);
	ok(r != NULL && !rundir_is_results(r),
	    "JSON without \"tasks\" is not a results.json");
	cJSON_Delete(r);
	ok(rundir_results_read("/nonexistent/qeval", NULL) == NULL,
	    "nothing there: NULL");

	/* the end of a run: results.json, then the report from it */
	{
		struct strbuf warn = STRBUF_INIT;
		char *back;

		strbuf_reset(&p);
		strbuf_addf(&p, "%s/nodir/x", dir);
		strbuf_reset(&err);
		is_int(rundir_write_results(p.buf, "{\"tasks\":[]}", &err,
		    &warn), -1, "results.json that cannot be written fails");
		ok(err.len > 0, "with a reason (%s)", err.buf);
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/res", dir);
		is_int(rundir_write_results(p.buf, "{\"tasks\":[1]}", &err,
		    &warn), 0, "results.json written");
		strbuf_adds(&p, "/results.json");
		back = fileio_read(p.buf, NULL);
		is_str(back, "{\"tasks\":[1]}", "as given");
		free(back);
		strbuf_setlen(&p, p.len - strlen("results.json"));
		strbuf_adds(&p, "report.md");
		ok(access(p.buf, F_OK) == 0 || warn.len > 0,
		    "a report, or a warning saying why not (%s)", warn.buf);
		strbuf_release(&warn);
	}

	preset_release(&pre);
	strbuf_release(&err);
	strbuf_release(&p);
	strbuf_release(&rd);
	{
		struct strbuf cmd = STRBUF_INIT;

		strbuf_addf(&cmd, "rm -rf '%s'", dir);
		if (system(cmd.buf) != 0)
			tap_diag("could not remove %s", dir);
		strbuf_release(&cmd);
	}
	return (tap_done());
}
