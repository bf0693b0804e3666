/*
 * run: one evaluation run — the scheduler that drives every sample of
 * every selected task through its plugin, performs the requests the
 * plugin asks for (model and judge over HTTP, log-likelihood fan-out,
 * code execution in the sandbox, or gold answers for the reference
 * model), journals each finished exchange, scores, aggregates and
 * writes the outputs:
 *
 *   RUN/run.json              the plan (what --resume and rescore reuse)
 *   RUN/journal               finished exchanges, durable (journal.h)
 *   RUN/samples/<task>.jsonl  per sample: requests, responses, verdict
 *   RUN/results.json          docs/RESULTS.md
 *   RUN/report.md             report.h
 *
 * One thread: libcurl multi for HTTP, the executor's socket polled in
 * the same loop.  A window of samples is kept active so that the
 * preset's concurrency stays saturated.
 *
 * run.c holds the loop, the dispatch of each request and the unit
 * state machine (a unit is one candidate of one sample: UNIT_TODO, then
 * UNIT_SCORED or UNIT_ERROR; results.h); what it writes and sends is
 * built elsewhere:
 *
 *   rundir.h   the run directory: its name, run.json (written here,
 *              read by --resume, rescore, merge), results.json and
 *              report.md
 *   samples.h  the samples files
 *   wire.h     the HTTP bodies of model, judge and loglik requests
 *   measure.h  latencies, token counts, response model names
 *   journal.h  the journal; results.h  what results.json says
 *
 * Ownership: everything in struct run_cfg stays the caller's and must
 * outlive run_execute().  struct run_outcome is filled by run_execute()
 * and freed with run_outcome_release().
 */
#ifndef QEVAL_RUN_H
#define QEVAL_RUN_H

#include <stddef.h>

#include <qeval/plugin.h>

#include "data.h"
#include "plugin.h"
#include "preset.h"
#include "strbuf.h"

struct run_cfg {
	const char		*model;
	const char *const	*endpoints;
	size_t			 n_endpoints;
	const char		*api_key;	/* never written anywhere */
	const char		*judge_endpoint;
	const char		*judge_model;
	const char		*judge_api_key;
	int			 judge_concurrency; /* 0: the preset's */
	int			 chat;		/* 1: chat API, 0: text
						 * completions */
	int			 api_set;	/* --api was given: a task
						 * that cannot honour it is
						 * refused */
	int			 reference;	/* answer with gold() */
	int			 corrupt;	/* reference answers are
						 * corrupted */
	int			 replay_only;	/* rescore: no model calls */
	const char *const	*tasks;
	size_t			 n_tasks;
	size_t			 limit;		/* 0: all samples */
	int			 samples;	/* candidates; 0: preset's */
	int			 seed_set;
	unsigned		 seed;
	int			 num_fewshot;	/* -1: recipe default */
	const struct qeval_kv	*kv;		/* task options */
	const struct preset	*preset;
	const struct data_cfg	*data;
	const struct plugin_set	*plugins;
	const char		*out_dir;	/* NULL: write nothing */
	const char		*run_id;	/* NULL: generated */
	int			 resume;
	int			 keep_think;	/* do not strip <think> */
	int			 progress;	/* -1 auto (tty), 0, 1 */
	int			 no_exec;	/* refuse code execution */
	int			 no_stream;
	int			 exec_workers;	/* 0: cores */
	int			 concurrency;	/* 0: the preset's */
	double			 gpu_price;	/* per GPU-hour; 0: none */
	int			 gpus;
	unsigned		 shard_k;	/* 0-based shard index */
	unsigned		 shard_n;	/* 0 or 1: no sharding */
	const char		*command_line;
	const char		*overrides;	/* JSON object text: what the
						 * command line set over the
						 * preset (results.json), or
						 * NULL */
	int			 quiet;		/* no summary on stdout */
	const char		*serve_command;	/* --serve: what qeval ran */
	const char		*serve_engine;	/* "vllm", "llama.cpp" */
	double			 serve_cold_start_s;	/* spawn to healthy */
	const char		*sched_name;	/* batch scheduler ("slurm",
						 * "kubernetes"); NULL none */
	const char		*sched_job_id;	/* its job id; NULL unknown */
	long			 sched_index;	/* its task index; -1 none */
	/* What GET /v1/models said (main.c asks once before the run): */
	const char *const	*listed_models;	/* NULL: not known */
	size_t			 n_listed_models;
	const char		*server_kind;	/* from its owned_by; NULL:
						 * unknown */
	const char		*carried;	/* rescore, merge: JSON object
						 * text of what the run had
						 * recorded (model_server,
						 * shards); NULL none */
};

struct run_task_outcome {
	char	*name;
	char	*primary;	/* name of the primary metric */
	double	 value;		/* its mean (NaN if none) */
	double	 scale;		/* 1 or 10 */
	size_t	 scored;	/* samples with a verdict */
	size_t	 errors;
	size_t	 unparseable;	/* samples retried after an unparseable
				 * reply */
	size_t	 bad_utf8;	/* responses with invalid UTF-8 */
};

struct run_outcome {
	char			*run_dir;	/* NULL if nothing written */
	struct run_task_outcome	*tasks;
	size_t			 n_tasks;
	int			 partial;	/* some samples failed */
	/* a task could not open for a usage error (a task file): exit 2 */
	int			 usage;
};

/*
 * Runs the plan.  Returns 0 if every sample was scored, 1 if the run
 * completed with errors or was stopped (what was finished is journaled
 * and written), and explains in err.
 */
int	 run_execute(const struct run_cfg *, struct run_outcome *,
	    struct strbuf *err);
void	 run_outcome_release(struct run_outcome *);

/* Removes <think>…</think> blocks (in place); returns the new length. */
size_t	 run_strip_think(char *text, size_t len);

#endif
