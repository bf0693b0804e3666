/*
 * results: builds results.json (docs/RESULTS.md) from what a run
 * measured.  Pure: no I/O except reading nothing; the caller writes the
 * text.  Aggregation rules (per-sample mean over candidates, then mean
 * and stderr over samples; pass@k; identical candidates; categories)
 * live here so `qeval rescore` and a run agree by construction.
 *
 * Ownership: results_build() returns a malloc'd string; the input stays
 * the caller's.
 */
#ifndef QEVAL_RESULTS_H
#define QEVAL_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include <qeval/plugin.h>

#include "data.h"
#include "gpu.h"
#include "promstat.h"

struct run_cfg;

/*
 * What became of a unit (one candidate of one sample): run.c moves each
 * unit from UNIT_TODO to UNIT_SCORED or UNIT_ERROR; UNIT_OTHER_SHARD
 * marks the samples another shard (--shard K/N) owns.  Stored one byte
 * per unit (uint8_t).
 */
enum unit_state {
	UNIT_TODO = 0,		/* not done (yet) */
	UNIT_SCORED = 1,	/* has a verdict */
	UNIT_ERROR = 2,		/* failed: no verdict */
	UNIT_OTHER_SHARD = 3	/* another shard's sample */
};

struct results_task {
	const struct qeval_plugin *plugin;
	const struct qeval_task	*task;
	size_t			 count;		/* samples */
	unsigned		 ncand;
	double			 samp_temp;	/* candidates' temperature;
						 * NaN: not sampled */
	size_t			 nmetrics;
	const double		*values;	/* [count*ncand][nmetrics] */
	const uint32_t		*vflags;	/* per unit */
	const uint8_t		*ustate;	/* per unit: enum
						 * unit_state */
	const uint64_t		*ahash;		/* per unit */
	char *const		*category;	/* per sample, or NULL */
	char *const		*row;		/* per sample: a test row's
						 * JSON, or NULL */
	size_t			 errors;
	size_t			 unparseable;	/* samples answered after a
						 * retried unparseable
						 * reply */
	size_t			 bad_utf8;	/* responses with invalid
						 * UTF-8 */
	double			 wall_s;
	const struct data_cfg	*data;
	int			 chat;		/* the API it used */
};

struct results_input {
	const struct run_cfg	*cfg;
	const char		*started;	/* ISO 8601 UTC */
	const char		*run_dir;
	double			 wall_s;
	const double		*lat;
	size_t			 nlat;
	const double		*ttft;
	size_t			 nttft;
	const double		*dec;		/* decode phase (streamed) */
	size_t			 ndec;
	const double		*tpot;		/* time per output token */
	size_t			 ntpot;
	long long		 ptok;		/* -1: unknown */
	long long		 ctok;
	long long		 cached;	/* cached prompt tokens the
						 * usage named; -1: none */
	char *const		*resp_models;	/* "model" of the model's
						 * responses, distinct */
	size_t			 n_resp_models;
	long			 requests;
	long			 retries;
	long			 failures;
	int			 interrupted;
	struct gpu_summary	 gpu;		/* available = 0: n/a */
	struct promstat_summary	 server;	/* from the servers' /metrics */
	const char		*sandbox;	/* exec_layers(), or NULL */
	struct results_task	*tasks;
	size_t			 ntasks;
};

/* Tasks of at most this many samples get results.json's "tests". */
#define RESULTS_MAX_TESTS	100

char	*results_build(const struct results_input *);
/*
 * The "agent" block (docs/RESULTS.md) from n results.json task objects:
 * a cJSON array the caller owns (cJSON_Delete).
 */
struct cJSON;
struct cJSON *results_agent(const struct cJSON *const *tasks, size_t n);
/* url without a user:password@ part (malloc'd): what may be written. */
char	*results_redact_url(const char *url);

#endif
