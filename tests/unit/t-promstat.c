/* promstat: Prometheus text as vLLM writes it. */
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
