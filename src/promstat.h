/*
 * promstat: the model server's own figures, from its Prometheus /metrics
 * endpoint (vLLM, llama.cpp's llama-server with --metrics and SGLang
 * with --enable-metrics export one; other servers may not), read before
 * the run, every few seconds during it and after it.  Counters are
 * reported as differences over the run, gauges as their peak and mean.
 *
 * The server's kind is told by the names it exports; each figure is
 * read under that kind's name (summed over label sets, so several
 * models or engines add up):
 *
 *   figure            vLLM                       llama.cpp (llamacpp:…)
 *   PROMPT_TOKENS     prompt_tokens_total        prompt_tokens_total +
 *                                                prompt_tokens_cached_total
 *   GENERATION_TOKENS generation_tokens_total    tokens_predicted_total
 *   PREEMPTIONS       num_preemptions_total      -
 *   PREFIX_QUERIES    prefix_cache_queries_total (= PROMPT_TOKENS)
 *   PREFIX_HITS       prefix_cache_hits_total    prompt_tokens_cached_total
 *   RUNNING           num_requests_running       requests_processing
 *   WAITING           num_requests_waiting       requests_deferred
 *   KV_USAGE          kv_cache_usage_perc        kv_cache_usage_ratio
 *                     (gpu_cache_usage_perc)
 *
 *   SGLang (sglang:…): prompt_tokens_total, generation_tokens_total,
 *   cached_tokens_total (PREFIX_HITS; PREFIX_QUERIES = PROMPT_TOKENS),
 *   num_running_reqs, num_queue_reqs, token_usage (KV_USAGE); no
 *   preemption counter.
 *
 * PROMPT_TOKENS is every prompt token, the prefix-cached ones included
 * (what the responses' usage counts); PREFIX_HITS the cached ones.
 *
 * Ownership: struct promstat is opaque; promstat_free() frees it.
 * Errors: none; a server without /metrics leaves every figure unknown.
 */
#ifndef QEVAL_PROMSTAT_H
#define QEVAL_PROMSTAT_H

#include <stddef.h>

#include "strbuf.h"

struct promstat;

enum promstat_kind {
	PS_KIND_UNKNOWN,	/* no figure of a known server */
	PS_KIND_VLLM,
	PS_KIND_LLAMACPP,
	PS_KIND_SGLANG,
	PS_KIND_N
};

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
	int	 kind;			/* enum promstat_kind */
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
 * figure into v[PS_N] (NaN where absent).  Returns the server's kind:
 * the one whose names gave the most figures.  Exposed for tests.
 */
int	 promstat_parse(const char *text, size_t len, double v[PS_N]);
/* "vllm", "llama.cpp", "sglang" or "unknown". */
const char *promstat_kind_name(int kind);

#endif
