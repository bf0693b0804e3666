/*
 * shard: the parts of sharding that face a batch scheduler.
 *
 * shard_auto() resolves `--shard auto` and `--shard auto/N` from the
 * environment a scheduler gives each task:
 *
 *   Slurm array job   SLURM_ARRAY_TASK_ID, _MIN, _STEP, _COUNT,
 *                     SLURM_ARRAY_JOB_ID
 *   Kubernetes        JOB_COMPLETION_INDEX (an Indexed Job); the count
 *                     is not in the pod's environment
 *
 * Without an explicit count (`auto`) the Slurm array itself is the
 * shard set: index (ID - MIN) / STEP of COUNT.  With one (`auto/N`, or
 * QEVAL_SHARD_COUNT=N in the environment) the task id is the 0-based
 * shard index itself, which is what lets one index of an array be
 * submitted again alone (`sbatch --array=3`) and still be shard 4/N.
 *
 * shard_sched_detect() records the scheduler a process runs under even
 * without `--shard auto` (a plain Slurm job: its job id).  QEVAL_JOB_ID
 * overrides the job id (Kubernetes has none in the environment: the
 * example Job sets it from the pod's job-name label).
 *
 * shard_merge_check() is what `qeval merge` checks beyond the plans'
 * agreement: every shard 1..N present, each one finished (results.json
 * with status "complete"), the same dataset files and generation
 * settings everywhere.  The message names the shards at fault, one
 * problem a line.  shard_resume_check() keeps `--resume` from
 * continuing a run directory that holds another shard.
 *
 * Errors: -1 with a message in err (no "qeval:" prefix), 0 on success.
 * Strings in struct shard_sched are owned by it; shard_sched_release()
 * frees them and may be called on a zeroed struct.
 */
#ifndef QEVAL_SHARD_H
#define QEVAL_SHARD_H

#include "strbuf.h"

struct shard_sched {
	char	*name;		/* "slurm" or "kubernetes"; NULL: none */
	char	*job_id;	/* the array's or Job's id; NULL: unknown */
	long	 index;		/* the scheduler's task index; -1: none */
};

int	 shard_auto(const char *spec, unsigned *k, unsigned *n,
	    struct shard_sched *s, struct strbuf *err);
void	 shard_sched_detect(struct shard_sched *s);
void	 shard_sched_release(struct shard_sched *s);
int	 shard_merge_check(char *const *dirs, int ndirs, struct strbuf *err);
/* -1 when run_dir's plan is another shard than k of n (0-based). */
int	 shard_resume_check(const char *run_dir, unsigned k, unsigned n,
	    struct strbuf *err);

#endif
