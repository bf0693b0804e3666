#include "config.h"
#include "loglik.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <qeval/plugin.h>

#include "xalloc.h"

const char loglik_probe_context[] = "The capital of France is";
const char loglik_probe_continuation[] = " Paris";

/* The fixed part of every "no prompt log-probabilities" message; what
 * follows "; " is the detail of what was missing. */
#define UNSUP_HEAD	"server returned no prompt log-probabilities " \
	"(llama.cpp's server and Ollama do not): use the generative variant "

size_t
loglik_codepoints(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return (n);
}

static void
add_prompt(struct strbuf *out, const char *context,
    const char *continuation)
{
	struct strbuf p = STRBUF_INIT;

	strbuf_adds(&p, context);
	strbuf_adds(&p, continuation);
	strbuf_add_json_str(out, p.buf, p.len);
	strbuf_release(&p);
}

void
loglik_body(struct strbuf *out, const char *model, const char *context,
    const char *continuation)
{
	strbuf_reset(out);
	strbuf_addch(out, '{');
	if (model != NULL) {
		strbuf_adds(out, "\"model\":");
		strbuf_add_json_str(out, model, strlen(model));
		strbuf_addch(out, ',');
	}
	strbuf_adds(out, "\"prompt\":");
	add_prompt(out, context, continuation);
	strbuf_adds(out, ",\"max_tokens\":1,\"echo\":true,\"logprobs\":1,"
	    "\"temperature\":0}");
}

void
loglik_probe_body(struct strbuf *out, const char *model)
{
	loglik_body(out, model, loglik_probe_context,
	    loglik_probe_continuation);
}

static int
unsup(struct strbuf *err, const char *why)
{
	strbuf_adds(err, UNSUP_HEAD "<task>_gen; ");
	strbuf_adds(err, why);
	return (QEVAL_EUNSUP);
}

void
loglik_unsupported(struct strbuf *err, const char *task)
{
	struct strbuf m = STRBUF_INIT;
	const char *why = NULL;

	if (strncmp(err->buf, UNSUP_HEAD, sizeof(UNSUP_HEAD) - 1) == 0)
		why = strstr(err->buf + sizeof(UNSUP_HEAD) - 1, "; ");
	strbuf_adds(&m, UNSUP_HEAD);
	strbuf_adds(&m, task);
	strbuf_adds(&m, "_gen");
	if (why != NULL)
		strbuf_adds(&m, why);
	strbuf_reset(err);
	strbuf_add(err, m.buf, m.len);
	strbuf_release(&m);
}

/* A JSON number that is a whole, non-negative count. */
static int
get_offset(const cJSON *v, long long *out)
{
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) ||
	    v->valuedouble > 1e15 || v->valuedouble != floor(v->valuedouble))
		return (0);
	*out = (long long)v->valuedouble;
	return (1);
}

/* Whitespace at the end of s, in code points (Python's str.rstrip()
 * for the ASCII whitespace that occurs in prompts). */
static size_t
trailing_ws(const char *s)
{
	size_t len = strlen(s), n = 0;

	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\n' ||
	    s[len - 1] == '\t' || s[len - 1] == '\r' || s[len - 1] == '\f' ||
	    s[len - 1] == '\v')) {
		len--;
		n++;
	}
	return (n);
}

/* Is lp the largest value of the top_logprobs entry `top`? */
static int
is_top1(const cJSON *top, double lp)
{
	const cJSON *v;
	double best = -INFINITY;
	int any = 0;

	if (!cJSON_IsObject(top))
		return (0);
	cJSON_ArrayForEach(v, top) {
		if (!cJSON_IsNumber(v))
			continue;
		any = 1;
		if (v->valuedouble > best)
			best = v->valuedouble;
	}
	/* The chosen token's value is the very number of token_logprobs
	 * (both printed from one float): equality is exact, the margin
	 * only absorbs a server that rounds its output. */
	return (any && lp + 1e-9 * (1.0 + fabs(lp)) >= best);
}

int
loglik_parse_ex(const char *body, size_t len, const char *context,
    const char *continuation, struct loglik_result *res, struct strbuf *err)
{
	const cJSON *choices, *c0, *lp, *tlp, *toks, *offs, *tops, *usage;
	const cJSON *pt, *text;
	struct strbuf why = STRBUF_INIT;
	cJSON *root;
	long long *off = NULL, start, end, b, e_prompt, ptoks;
	size_t ctx_len = strlen(context), cont_len = strlen(continuation);
	size_t n, i, cont_cp, prompt_cp;
	int rc = QEVAL_EDATA, first = 1;

	memset(res, 0, sizeof(*res));
	res->prompt_tokens = -1;
	root = cJSON_ParseWithLength(body, len);
	if (root == NULL || !cJSON_IsObject(root)) {
		strbuf_adds(err, "the log-likelihood response is not a JSON "
		    "object");
		goto out;
	}
	choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
	if (!cJSON_IsArray(choices) || cJSON_GetArraySize(choices) < 1 ||
	    !cJSON_IsObject(c0 = cJSON_GetArrayItem(choices, 0))) {
		strbuf_adds(err, "the log-likelihood response has no "
		    "choices[0] (is the endpoint OpenAI-compatible?)");
		goto out;
	}
	lp = cJSON_GetObjectItemCaseSensitive(c0, "logprobs");
	if (lp == NULL || cJSON_IsNull(lp)) {
		rc = unsup(err, "choices[0].logprobs is missing");
		goto out;
	}
	if (cJSON_IsObject(lp) &&
	    cJSON_GetObjectItemCaseSensitive(lp, "token_logprobs") == NULL &&
	    cJSON_GetObjectItemCaseSensitive(lp, "content") != NULL) {
		rc = unsup(err, "choices[0].logprobs is in the chat format "
		    "(content[]), which covers generated tokens only");
		goto out;
	}
	tlp = cJSON_IsObject(lp) ?
	    cJSON_GetObjectItemCaseSensitive(lp, "token_logprobs") : NULL;
	if (!cJSON_IsArray(tlp)) {
		rc = unsup(err, "choices[0].logprobs has no token_logprobs "
		    "array");
		goto out;
	}
	/* With echo, the text begins with the prompt; a server that
	 * ignores echo returns only what it generated. */
	text = cJSON_GetObjectItemCaseSensitive(c0, "text");
	if (cJSON_IsString(text) && (strncmp(text->valuestring, context,
	    ctx_len) != 0 || strncmp(text->valuestring + ctx_len,
	    continuation, cont_len) != 0)) {
		rc = unsup(err, "the response text does not begin with the "
		    "prompt: echo was ignored");
		goto out;
	}
	n = (size_t)cJSON_GetArraySize(tlp);
	toks = cJSON_GetObjectItemCaseSensitive(lp, "tokens");
	offs = cJSON_GetObjectItemCaseSensitive(lp, "text_offset");
	tops = cJSON_GetObjectItemCaseSensitive(lp, "top_logprobs");
	if (toks != NULL && !cJSON_IsNull(toks) && (!cJSON_IsArray(toks) ||
	    (size_t)cJSON_GetArraySize(toks) != n)) {
		strbuf_addf(err, "choices[0].logprobs.tokens does not have "
		    "one entry per token_logprobs entry (%zu)", n);
		goto out;
	}
	if (!cJSON_IsArray(toks))
		toks = NULL;
	if (offs != NULL && !cJSON_IsNull(offs) && (!cJSON_IsArray(offs) ||
	    (size_t)cJSON_GetArraySize(offs) != n)) {
		strbuf_addf(err, "choices[0].logprobs.text_offset does not "
		    "have one entry per token_logprobs entry (%zu)", n);
		goto out;
	}
	if (!cJSON_IsArray(offs))
		offs = NULL;
	if (offs == NULL && toks == NULL) {
		strbuf_adds(err, "choices[0].logprobs has neither text_offset "
		    "nor tokens: the continuation cannot be located");
		goto out;
	}
	if (!cJSON_IsArray(tops) || (size_t)cJSON_GetArraySize(tops) != n)
		tops = NULL;

	/* How many of the tokens are the prompt's. */
	usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
	pt = cJSON_IsObject(usage) ?
	    cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens") : NULL;
	if (pt != NULL && cJSON_IsNumber(pt)) {
		if (!get_offset(pt, &ptoks) || ptoks < 1) {
			strbuf_adds(err, "usage.prompt_tokens is not a "
			    "positive integer");
			goto out;
		}
		if ((unsigned long long)ptoks > n) {
			strbuf_addf(&why, "the response has %zu "
			    "log-probabilities for a prompt of %lld tokens",
			    n, ptoks);
			rc = unsup(err, why.buf);
			goto out;
		}
	} else {
		/* max_tokens is 1: the last token is the generated one. */
		if (n < 2) {
			rc = unsup(err, "only the generated token has a "
			    "log-probability");
			goto out;
		}
		ptoks = (long long)n - 1;
	}
	res->prompt_tokens = (long)ptoks;

	/* Token offsets, code points from the start of the echoed text. */
	off = xcalloc(n + 1, sizeof(*off));
	start = 0;
	for (i = 0; i < n; i++) {
		if (offs != NULL) {
			if (!get_offset(cJSON_GetArrayItem(offs, (int)i),
			    &off[i])) {
				strbuf_addf(err, "text_offset[%zu] is not a "
				    "non-negative integer", i);
				goto out;
			}
		} else {
			const cJSON *t = cJSON_GetArrayItem(toks, (int)i);

			off[i] = start;
			if (cJSON_IsString(t))
				start += (long long)loglik_codepoints(
				    t->valuestring, strlen(t->valuestring));
		}
		if (i > 0 && off[i] < off[i - 1]) {
			strbuf_addf(err, "text_offset decreases at token %zu",
			    i);
			goto out;
		}
	}
	prompt_cp = loglik_codepoints(context, ctx_len) +
	    loglik_codepoints(continuation, cont_len);
	/* Where the prompt's last token ends. */
	if ((size_t)ptoks < n)
		e_prompt = off[ptoks];
	else if (toks != NULL &&
	    cJSON_IsString(cJSON_GetArrayItem(toks, (int)(n - 1)))) {
		const char *lt = cJSON_GetArrayItem(toks,
		    (int)(n - 1))->valuestring;

		e_prompt = off[n - 1] + (long long)loglik_codepoints(lt,
		    strlen(lt));
	}
	else
		e_prompt = off[0] + (long long)prompt_cp;
	if (e_prompt - off[0] < (long long)prompt_cp) {
		strbuf_addf(&why, "the echoed tokens span %lld characters, "
		    "fewer than the prompt's %zu", e_prompt - off[0],
		    prompt_cp);
		rc = unsup(err, why.buf);
		goto out;
	}
	cont_cp = loglik_codepoints(continuation, cont_len);
	b = e_prompt - (long long)cont_cp - (long long)trailing_ws(context);

	res->sum = 0.0;
	res->greedy = 1;
	for (i = 0; i < (size_t)ptoks; i++) {
		const cJSON *v;

		end = i + 1 < n ? off[i + 1] : e_prompt;
		if (end <= b)
			continue;
		if (first && off[i] < b)
			res->straddle = 1;
		first = 0;
		v = cJSON_GetArrayItem(tlp, (int)i);
		if (!cJSON_IsNumber(v)) {
			strbuf_addf(err, "token %zu of the continuation has no "
			    "log-probability (%s)", i, i == 0 ? "it is the "
			    "prompt's first token: is the context empty?" :
			    "token_logprobs holds no number there");
			goto out;
		}
		if (!isfinite(v->valuedouble)) {
			/* 1e999 reads as Infinity: a broken server. */
			strbuf_addf(err, "token %zu of the continuation has a "
			    "log-probability of %s, which is not a number a "
			    "model can give: check the server (dtype, "
			    "quantization)", i, isnan(v->valuedouble) ? "NaN" :
			    v->valuedouble > 0 ? "Infinity" : "-Infinity");
			goto out;
		}
		res->sum += v->valuedouble;
		res->n_tokens++;
		if (tops == NULL ||
		    !is_top1(cJSON_GetArrayItem(tops, (int)i), v->valuedouble))
			res->greedy = 0;
	}
	if (res->n_tokens == 0 && cont_cp + trailing_ws(context) > 0) {
		strbuf_adds(err, "no token of the response covers the "
		    "continuation");
		goto out;
	}
	rc = 0;
out:
	strbuf_release(&why);
	free(off);
	cJSON_Delete(root);
	if (rc != 0) {
		res->sum = NAN;
		res->greedy = 0;
	}
	return (rc);
}

int
loglik_parse(const char *body, size_t len, const char *context,
    const char *continuation, double *sum, int *greedy, struct strbuf *err)
{
	struct loglik_result r;
	int rc;

	rc = loglik_parse_ex(body, len, context, continuation, &r, err);
	*sum = r.sum;
	*greedy = r.greedy;
	return (rc);
}

int
loglik_probe_check(const char *body, size_t len, struct strbuf *err)
{
	struct loglik_result r;

	return (loglik_parse_ex(body, len, loglik_probe_context,
	    loglik_probe_continuation, &r, err));
}

int
loglik_req_parse(struct loglik_req *r, const char *body,
    struct strbuf *err)
{
	const cJSON *ctx, *conts, *c;
	cJSON *root;
	size_t i;

	memset(r, 0, sizeof(*r));
	root = cJSON_Parse(body != NULL ? body : "");
	ctx = cJSON_IsObject(root) ?
	    cJSON_GetObjectItemCaseSensitive(root, "context") : NULL;
	conts = cJSON_IsObject(root) ?
	    cJSON_GetObjectItemCaseSensitive(root, "continuations") : NULL;
	if (!cJSON_IsString(ctx) || !cJSON_IsArray(conts) ||
	    cJSON_GetArraySize(conts) < 1) {
		strbuf_adds(err, "log-likelihood request needs \"context\" "
		    "and a non-empty \"continuations\" array");
		cJSON_Delete(root);
		return (QEVAL_EINVAL);
	}
	r->n = (size_t)cJSON_GetArraySize(conts);
	r->cont = xcalloc(r->n, sizeof(*r->cont));
	i = 0;
	cJSON_ArrayForEach(c, conts) {
		if (!cJSON_IsString(c)) {
			strbuf_addf(err, "continuation %zu is not a string",
			    i);
			cJSON_Delete(root);
			loglik_req_release(r);
			return (QEVAL_EINVAL);
		}
		r->cont[i++] = xstrdup(c->valuestring);
	}
	r->context = xstrdup(ctx->valuestring);
	cJSON_Delete(root);
	return (0);
}

void
loglik_req_release(struct loglik_req *r)
{
	size_t i;

	for (i = 0; i < r->n && r->cont != NULL; i++)
		free(r->cont[i]);
	free(r->cont);
	free(r->context);
	memset(r, 0, sizeof(*r));
}
