#include "config.h"
#include "promstat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "xalloc.h"

struct promstat {
	unsigned	 magic;
#define PROMSTAT_MAGIC	 0x50524f4du
	char		*root;		/* base URL without /v1 */
	char		*api_key;
	double		 first[PS_N];
	double		 last[PS_N];
	double		 peak[PS_N];
	double		 sum[PS_N];
	size_t		 n[PS_N];
	size_t		 samples;
	int		 dead;		/* /metrics did not answer at first */
	int		 kind;		/* of the first answer */
};

/* The names of each figure per kind, the preferred one first. */
static const char *const names[PS_KIND_N][PS_N][2] = {
	[PS_KIND_VLLM] = {
		[PS_PROMPT_TOKENS] = { "vllm:prompt_tokens_total", NULL },
		[PS_GENERATION_TOKENS] = { "vllm:generation_tokens_total",
		    NULL },
		[PS_PREEMPTIONS] = { "vllm:num_preemptions_total", NULL },
		[PS_PREFIX_QUERIES] = { "vllm:prefix_cache_queries_total",
		    NULL },
		[PS_PREFIX_HITS] = { "vllm:prefix_cache_hits_total", NULL },
		[PS_RUNNING] = { "vllm:num_requests_running", NULL },
		[PS_WAITING] = { "vllm:num_requests_waiting", NULL },
		[PS_KV_USAGE] = { "vllm:kv_cache_usage_perc",
		    "vllm:gpu_cache_usage_perc" },
	},
	/* PROMPT_TOKENS is read as the processed tokens here and the
	 * cached ones are added after parsing. */
	[PS_KIND_LLAMACPP] = {
		[PS_PROMPT_TOKENS] = { "llamacpp:prompt_tokens_total", NULL },
		[PS_GENERATION_TOKENS] = { "llamacpp:tokens_predicted_total",
		    NULL },
		[PS_PREFIX_HITS] = { "llamacpp:prompt_tokens_cached_total",
		    NULL },
		[PS_RUNNING] = { "llamacpp:requests_processing", NULL },
		[PS_WAITING] = { "llamacpp:requests_deferred", NULL },
		[PS_KV_USAGE] = { "llamacpp:kv_cache_usage_ratio", NULL },
	},
	[PS_KIND_SGLANG] = {
		[PS_PROMPT_TOKENS] = { "sglang:prompt_tokens_total", NULL },
		[PS_GENERATION_TOKENS] = { "sglang:generation_tokens_total",
		    NULL },
		[PS_PREFIX_HITS] = { "sglang:cached_tokens_total", NULL },
		[PS_RUNNING] = { "sglang:num_running_reqs", NULL },
		[PS_WAITING] = { "sglang:num_queue_reqs", NULL },
		[PS_KV_USAGE] = { "sglang:token_usage", NULL },
	},
};

static int
is_gauge(int f)
{
	return (f == PS_RUNNING || f == PS_WAITING || f == PS_KV_USAGE);
}

const char *
promstat_kind_name(int kind)
{
	switch (kind) {
	case PS_KIND_VLLM:
		return ("vllm");
	case PS_KIND_LLAMACPP:
		return ("llama.cpp");
	case PS_KIND_SGLANG:
		return ("sglang");
	default:
		return ("unknown");
	}
}

static void
add_to(double *slot, double d)
{
	*slot = isnan(*slot) ? d : *slot + d;
}

int
promstat_parse(const char *text, size_t len, double v[PS_N])
{
	const char *p = text, *end = text + len;
	double got[PS_KIND_N][PS_N], alt[PS_KIND_N][PS_N];
	int f, k, kind = PS_KIND_UNKNOWN, best = 0;

	for (k = 0; k < PS_KIND_N; k++)
		for (f = 0; f < PS_N; f++)
			got[k][f] = alt[k][f] = NAN;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *ln = p, *name_end, *val;
		size_t nl;

		if (eol == NULL)
			eol = end;
		p = eol + 1;
		if (ln == eol || *ln == '#')
			continue;
		/* name{labels} value [timestamp] */
		for (name_end = ln; name_end < eol && *name_end != '{' &&
		    *name_end != ' ' && *name_end != '\t'; name_end++)
			;
		nl = (size_t)(name_end - ln);
		val = name_end;
		if (val < eol && *val == '{') {
			/* label values may hold spaces or braces in quotes */
			int q = 0;

			for (val++; val < eol; val++) {
				if (*val == '"' && val[-1] != '\\')
					q = !q;
				else if (*val == '}' && !q)
					break;
			}
			if (val < eol)
				val++;
		}
		while (val < eol && (*val == ' ' || *val == '\t'))
			val++;
		if (val >= eol)
			continue;
		for (k = 1; k < PS_KIND_N; k++)
			for (f = 0; f < PS_N; f++) {
				int a;

				for (a = 0; a < 2; a++) {
					const char *w = names[k][f][a];
					char *e;
					double d;

					if (w == NULL || strlen(w) != nl ||
					    memcmp(w, ln, nl) != 0)
						continue;
					d = strtod(val, &e);
					if (e == val || isnan(d) || isinf(d))
						continue;
					add_to(a == 0 ? &got[k][f] :
					    &alt[k][f], d);
				}
			}
	}
	/* The kind whose names gave the most figures. */
	for (k = 1; k < PS_KIND_N; k++) {
		int n = 0;

		for (f = 0; f < PS_N; f++)
			n += !isnan(got[k][f]) || !isnan(alt[k][f]);
		if (n > best) {
			best = n;
			kind = k;
		}
	}
	for (f = 0; f < PS_N; f++)
		v[f] = isnan(got[kind][f]) ? alt[kind][f] : got[kind][f];
	if (kind == PS_KIND_LLAMACPP && !isnan(v[PS_PROMPT_TOKENS]) &&
	    !isnan(v[PS_PREFIX_HITS]))
		v[PS_PROMPT_TOKENS] += v[PS_PREFIX_HITS];
	if (kind == PS_KIND_LLAMACPP || kind == PS_KIND_SGLANG)
		v[PS_PREFIX_QUERIES] = isnan(v[PS_PREFIX_HITS]) ? NAN :
		    v[PS_PROMPT_TOKENS];
	return (kind);
}

struct promstat *
promstat_new(const char *base_url, const char *api_key)
{
	struct promstat *ps = xcalloc(1, sizeof(*ps));
	size_t len = strlen(base_url);
	int f;

	ps->magic = PROMSTAT_MAGIC;
	while (len > 0 && base_url[len - 1] == '/')
		len--;
	if (len >= 3 && memcmp(base_url + len - 3, "/v1", 3) == 0)
		len -= 3;
	ps->root = xstrndup(base_url, len);
	ps->api_key = api_key ? xstrdup(api_key) : NULL;
	for (f = 0; f < PS_N; f++) {
		ps->first[f] = ps->last[f] = ps->peak[f] = NAN;
	}
	return (ps);
}

void
promstat_sample(struct promstat *ps)
{
	struct strbuf body = STRBUF_INIT, err = STRBUF_INIT;
	const char *eps[1];
	struct http_opts o;
	double v[PS_N];
	long st;
	int f;

	if (ps == NULL || ps->dead)
		return;
	memset(&o, 0, sizeof(o));
	eps[0] = ps->root;
	o.endpoints = eps;
	o.n_endpoints = 1;
	o.api_key = ps->api_key;
	o.concurrency = 1;
	o.timeout_s = 2;
	o.connect_timeout_s = 1;
	st = http_get(&o, "/metrics", &body, &err);
	if (st != 200) {
		/* No /metrics at the first try: do not ask again. */
		if (ps->samples == 0)
			ps->dead = 1;
		goto out;
	}
	f = promstat_parse(body.buf, body.len, v);
	if (ps->kind == PS_KIND_UNKNOWN)
		ps->kind = f;
	else if (f != ps->kind && f != PS_KIND_UNKNOWN)
		goto out;	/* not the server it was: ignored */
	for (f = 0; f < PS_N; f++) {
		if (isnan(v[f]))
			continue;
		if (isnan(ps->first[f]))
			ps->first[f] = v[f];
		ps->last[f] = v[f];
		if (isnan(ps->peak[f]) || v[f] > ps->peak[f])
			ps->peak[f] = v[f];
		ps->sum[f] += v[f];
		ps->n[f]++;
	}
	ps->samples++;
out:
	strbuf_release(&body);
	strbuf_release(&err);
}

void
promstat_summary(const struct promstat *ps, struct promstat_summary *s)
{
	int f;

	memset(s, 0, sizeof(*s));
	for (f = 0; f < PS_N; f++)
		s->delta[f] = s->peak[f] = s->mean[f] = NAN;
	if (ps == NULL || ps->samples == 0)
		return;
	s->available = 1;
	s->kind = ps->kind;
	s->samples = ps->samples;
	for (f = 0; f < PS_N; f++) {
		if (ps->n[f] == 0)
			continue;
		if (is_gauge(f)) {
			s->peak[f] = ps->peak[f];
			s->mean[f] = ps->sum[f] / (double)ps->n[f];
		} else
			s->delta[f] = ps->last[f] - ps->first[f];
	}
}

void
promstat_free(struct promstat *ps)
{
	if (ps == NULL)
		return;
	free(ps->root);
	free(ps->api_key);
	ps->magic = 0;
	free(ps);
}
