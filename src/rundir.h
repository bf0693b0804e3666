/*
 * rundir: a run directory's own files, written and read back by one set
 * of rules (docs/RESULTS.md):
 *
 *   RUN/run.json      the plan: what the run was asked to do.  The run
 *                     writes it once; --resume finds a run by it,
 *                     rescore runs it again from the journal, merge
 *                     checks that shards share it.
 *   RUN/results.json  written with RUN/report.md at the end of a run;
 *                     read back by rescore and merge (what only the
 *                     run saw: model_server, shards) and by --baseline.
 *
 * A plan is read whole into struct rundir_plan; a value the plan does
 * not record takes the default named beside its field (what the run
 * would have used).  A plan that is not a JSON object with a "model"
 * string is not a plan.
 *
 * Ownership: struct rundir_plan owns everything it points to
 * (rundir_plan_release()); returned strings and cJSON trees are the
 * caller's.
 */
#ifndef QEVAL_RUNDIR_H
#define QEVAL_RUNDIR_H

#include <stddef.h>

#include <qeval/plugin.h>

#include "preset.h"
#include "run.h"
#include "strbuf.h"

struct cJSON;

struct rundir_plan {
	struct cJSON	 *json;		/* run.json as read */
	const char	 *model;
	const char	 *api;		/* "chat" */
	long		  limit;	/* 0: all samples */
	int		  samples;	/* 1 */
	int		  seed_set;	/* 0: no "seed" */
	unsigned long	  seed;
	int		  num_fewshot;	/* -1: the recipe's */
	int		  keep_think;	/* 0 */
	int		  reference;	/* 0 */
	int		  corrupt;	/* 0 */
	int		  shard_set;	/* "shard_k" recorded */
	unsigned	  shard_k;	/* 0 */
	unsigned	  shard_n;	/* 0: not sharded */
	const char	 *judge_model;	/* NULL */
	char		**tasks;	/* NULL-terminated; a name that is
					 * not a string reads "" */
	size_t		  n_tasks;
	struct qeval_kv	 *kv;		/* NULL-terminated; NULL: none */
	char		 *overrides;	/* JSON object text, or NULL */
};

/*
 * The plan of a run about to start (c, with `samples` candidates per
 * sample): pretty JSON text, malloc'd.
 */
char	*rundir_plan_text(const struct run_cfg *c, unsigned samples);
/* Writes text as RUN/run.json, atomically.  0, or -1 (err). */
int	 rundir_plan_write(const char *run_dir, const char *text,
	    struct strbuf *err);
/*
 * Reads RUN/run.json.  0, or -1 when it is missing, unreadable or not
 * a plan (err names the file).  *plan is released either way first.
 */
int	 rundir_plan_read(struct rundir_plan *, const char *run_dir,
	    struct strbuf *err);
void	 rundir_plan_release(struct rundir_plan *);
/*
 * The preset the run used, as its plan recorded it: parsed by the
 * preset module (no file), with the source the run had.  0, or
 * QEVAL_EINVAL with err naming RUN/run.json.
 */
int	 rundir_plan_preset(const struct rundir_plan *, const char *run_dir,
	    struct preset *, struct strbuf *err);
/*
 * Whether two plans are shards of one run: NULL, or the first key they
 * differ on ("model", "tasks", "limit", ...; not the shard index).
 */
const char *rundir_plan_differs(const struct rundir_plan *,
	    const struct rundir_plan *);

/*
 * A new run's directory name, appended to dir: OUT/RUN_ID, or
 * OUT/<stamp>-<preset>-<model> (the model's characters other than
 * [A-Za-z0-9._-] written '_'), with "-2", "-3"... when it is taken.
 * An existing RUN_ID is an error unless resume.  0, or -1 (err).
 */
int	 rundir_new(const char *out_dir, const char *run_id, const char *stamp,
	    const char *preset, const char *model, int resume,
	    struct strbuf *dir, struct strbuf *err);
/* Creates RUN and RUN/samples (and the folders above).  0, or -1. */
int	 rundir_make(const char *run_dir, struct strbuf *err);

/*
 * The run that --resume continues in out_dir: run_id when given, or
 * the newest run (run ids start with a UTC timestamp) whose plan has
 * this model, these tasks in this order, and this limit.  Returns 0
 * with the run's directory in dir, 1 when there is none (a run killed
 * before it wrote its plan: start it), or -1 with err set; with
 * must_exist (rescore), none is an error.
 */
int	 rundir_find_resume(const char *out_dir, const char *run_id,
	    const char *model, const char *const *tasks, size_t n_tasks,
	    size_t limit, int must_exist, struct strbuf *dir,
	    struct strbuf *err);

/*
 * Writes json as RUN/results.json (atomically), then RUN/report.md
 * from it (report.h).  0, or -1 when results.json could not be written
 * (err).  A report that cannot be written is no failure: warn says why.
 */
int	 rundir_write_results(const char *run_dir, const char *json,
	    struct strbuf *err, struct strbuf *warn);

/*
 * results.json, from a run directory or the file itself (where).  The
 * path read goes in path (reset first; may be NULL).  NULL when it is
 * missing or not JSON; rundir_is_results() says whether a JSON value is
 * a qeval results.json (a "tasks" array).
 */
struct cJSON *rundir_results_read(const char *where, struct strbuf *path);
int	 rundir_is_results(const struct cJSON *);

#endif
