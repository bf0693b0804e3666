/* promstat: Prometheus text as vLLM, llama.cpp and SGLang write it. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "promstat.h"
#include "tap.h"

static const char text[] =
"# HELP vllm:prompt_tokens_total Number of prefill tokens processed.\n"
"# TYPE vllm:prompt_tokens_total counter\n"
"vllm:prompt_tokens_total{engine=\"0\",model_name=\"Qwen/Qwen2.5-7B\"} "
"1200.0\n"
"vllm:prompt_tokens_total{engine=\"1\",model_name=\"Qwen/Qwen2.5-7B\"} 34\n"
"vllm:prompt_tokens_created{engine=\"0\"} 1.7e9\n"
"vllm:generation_tokens_total{model_name=\"a \\\"quoted\\\" } name\"} "
"500 1700000000000\n"
"vllm:num_preemptions_total 3\n"
"vllm:gpu_cache_usage_perc{model_name=\"m\"} 0.25\n"
"vllm:num_requests_running{model_name=\"m\"} 7\n"
"vllm:num_requests_waiting{model_name=\"m\"} NaN\n"
"vllm:time_to_first_token_seconds_bucket{le=\"0.1\"} 9\n"
"garbage line without a value\n"
"vllm:prefix_cache_hits_total{model_name=\"m\"} 40";	/* no newline */

int
main(void)
{
	double v[PS_N];
	struct promstat_summary s;

	promstat_parse(text, strlen(text), v);
	is_dbl(v[PS_PROMPT_TOKENS], 1234.0, 1e-9,
	    "a counter is summed over its label sets");
	is_dbl(v[PS_GENERATION_TOKENS], 500.0, 1e-9,
	    "quoted braces in labels; a timestamp after the value");
	is_dbl(v[PS_PREEMPTIONS], 3.0, 1e-9, "no labels");
	is_dbl(v[PS_KV_USAGE], 0.25, 1e-9,
	    "older vLLM's gpu_cache_usage_perc stands in for kv_cache");
	is_dbl(v[PS_RUNNING], 7.0, 1e-9, "a gauge");
	ok(isnan(v[PS_WAITING]), "a NaN sample is no value");
	ok(isnan(v[PS_PREFIX_QUERIES]), "an absent figure is NaN");
	is_dbl(v[PS_PREFIX_HITS], 40.0, 1e-9, "last line without newline");
	promstat_parse("", 0, v);
	ok(isnan(v[PS_PROMPT_TOKENS]), "empty text: nothing");
	promstat_parse("vllm:kv_cache_usage_perc 0.5\n"
	    "vllm:gpu_cache_usage_perc 0.9\n", 59, v);
	is_dbl(v[PS_KV_USAGE], 0.5, 1e-9, "the current name wins");

	is_int(promstat_parse(text, strlen(text), v), PS_KIND_VLLM,
	    "vllm: names tell the kind");

	/* llama-server --metrics (names as it writes them) */
	{
		static const char ll[] =
		"# HELP llamacpp:prompt_tokens_total Number of prompt tokens "
		"processed.\n"
		"# TYPE llamacpp:prompt_tokens_total counter\n"
		"llamacpp:prompt_tokens_total 10\n"
		"llamacpp:prompt_tokens_cached_total 90\n"
		"llamacpp:prompt_seconds_total 0.5\n"
		"llamacpp:tokens_predicted_total 77\n"
		"llamacpp:tokens_predicted_seconds_total 2\n"
		"llamacpp:n_decode_total 40\n"
		"llamacpp:requests_processing 3\n"
		"llamacpp:requests_deferred 2\n"
		"llamacpp:n_busy_slots_per_decode 1.5\n";

		is_int(promstat_parse(ll, strlen(ll), v), PS_KIND_LLAMACPP,
		    "llama.cpp: names tell the kind");
		is_dbl(v[PS_PROMPT_TOKENS], 100.0, 1e-9, "llama.cpp: prompt "
		    "tokens are the processed ones plus the cached ones");
		is_dbl(v[PS_PREFIX_HITS], 90.0, 1e-9,
		    "llama.cpp: cached prompt tokens are the prefix hits");
		is_dbl(v[PS_PREFIX_QUERIES], 100.0, 1e-9,
		    "llama.cpp: every prompt token was a cache query");
		is_dbl(v[PS_GENERATION_TOKENS], 77.0, 1e-9,
		    "llama.cpp: tokens_predicted_total");
		is_dbl(v[PS_RUNNING], 3.0, 1e-9,
		    "llama.cpp: requests_processing");
		is_dbl(v[PS_WAITING], 2.0, 1e-9,
		    "llama.cpp: requests_deferred");
		ok(isnan(v[PS_PREEMPTIONS]) && isnan(v[PS_KV_USAGE]),
		    "llama.cpp: what it does not export stays unknown");
		is_str(promstat_kind_name(PS_KIND_LLAMACPP), "llama.cpp",
		    "kind name");
	}
	/* SGLang --enable-metrics */
	{
		static const char sg[] =
		"sglang:prompt_tokens_total{model_name=\"m\"} 500.0\n"
		"sglang:generation_tokens_total{model_name=\"m\"} 60.0\n"
		"sglang:cached_tokens_total{model_name=\"m\"} 125.0\n"
		"sglang:num_running_reqs{model_name=\"m\"} 4.0\n"
		"sglang:num_queue_reqs{model_name=\"m\"} 1.0\n"
		"sglang:token_usage{model_name=\"m\"} 0.28\n"
		"sglang:cache_hit_rate{model_name=\"m\"} 0.9\n";

		is_int(promstat_parse(sg, strlen(sg), v), PS_KIND_SGLANG,
		    "sglang: names tell the kind");
		ok(v[PS_PROMPT_TOKENS] == 500 && v[PS_GENERATION_TOKENS] ==
		    60 && v[PS_PREFIX_HITS] == 125 &&
		    v[PS_PREFIX_QUERIES] == 500,
		    "sglang: token counters (cached_tokens_total as hits)");
		ok(v[PS_RUNNING] == 4 && v[PS_WAITING] == 1 &&
		    fabs(v[PS_KV_USAGE] - 0.28) < 1e-9,
		    "sglang: running, queued and token_usage gauges");
	}
	is_int(promstat_parse("process_cpu_seconds_total 3\n", 28, v),
	    PS_KIND_UNKNOWN, "no known name: kind unknown");

	/* An endpoint that is not there: every figure stays unknown. */
	{
		struct promstat *ps = promstat_new("http://127.0.0.1:9/v1",
		    NULL);

		promstat_sample(ps);
		promstat_sample(ps);
		promstat_summary(ps, &s);
		ok(!s.available && isnan(s.delta[PS_PROMPT_TOKENS]),
		    "no /metrics: not available");
		promstat_free(ps);
	}
	return (tap_done());
}
