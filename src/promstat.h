/*
 * promstat: the model server's own figures, from its Prometheus /metrics
 * endpoint (vLLM exports one; other servers may not), read before the
 * run, every few seconds during it and after it.  Counters are reported
 * as differences over the run, gauges as their peak and mean.
 *
 * Read (summed over label sets, so several models or engines add up):
 *   counters  vllm:prompt_tokens_total, vllm:generation_tokens_total,
 *             vllm:num_preemptions_total, vllm:prefix_cache_queries_total,
 *             vllm:prefix_cache_hits_total
 *   gauges    vllm:num_requests_running, vllm:num_requests_waiting,
 *             vllm:kv_cache_usage_perc (vllm:gpu_cache_usage_perc on
 *             older vLLM), as fractions of 1
 *
 * Ownership: struct promstat is opaque; promstat_free() frees it.
 * Errors: none; a server without /metrics leaves every figure unknown.
 */
#ifndef QEVAL_PROMSTAT_H
#define QEVAL_PROMSTAT_H

#include <stddef.h>

#include "strbuf.h"

struct promstat;

enum promstat_figure {
	PS_PROMPT_TOKENS,
	PS_GENERATION_TOKENS,
	PS_PREEMPTIONS,
	PS_PREFIX_QUERIES,
	PS_PREFIX_HITS,
	PS_RUNNING,
	PS_WAITING,
	PS_KV_USAGE,
	PS_N
};

struct promstat_summary {
	int	 available;		/* 0: no /metrics answered */
	double	 delta[PS_N];		/* counters: after - before; NaN if
					 * unknown */
	double	 peak[PS_N];		/* gauges: peak; NaN if unknown */
	double	 mean[PS_N];		/* gauges: mean over samples */
	size_t	 samples;
};

/* base_url ends in /v1 (the OpenAI base); /metrics is at its root. */
struct promstat *promstat_new(const char *base_url, const char *api_key);
/* Reads /metrics once (blocking, 2 s timeout). */
void	 promstat_sample(struct promstat *);
void	 promstat_summary(const struct promstat *, struct promstat_summary *);
void	 promstat_free(struct promstat *);

/*
 * Parses Prometheus text exposition: the sum over label sets of each
 * figure into v[PS_N] (NaN where absent).  Exposed for tests.
 */
void	 promstat_parse(const char *text, size_t len, double v[PS_N]);

#endif
