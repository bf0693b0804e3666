/*
 * t-loglik: the echo+logprobs parser (src/loglik.c) against hand-written
 * vLLM completions responses and the shapes of servers that give no
 * prompt log-probabilities.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <qeval/plugin.h>

#include "loglik.h"
#include "strbuf.h"
#include "tap.h"

/* A verbatim-shaped vLLM answer to {"prompt": "Question: Is the sky
 * blue?\nAnswer: yes", "echo": true, "logprobs": 1, "max_tokens": 1}
 * (Llama tokenizer: a BOS token echoed as "<s>", which shifts every
 * offset by three). */
static const char vllm_bos[] =
"{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,"
"\"model\":\"m\",\"choices\":[{\"index\":0,"
"\"text\":\"Question: Is the sky blue?\\nAnswer: yes.\","
"\"logprobs\":{"
"\"text_offset\":[0,3,11,12,15,19,23,28,29,30,36,37,41],"
"\"token_logprobs\":[null,-9.5,-0.5,-3.25,-2.0,-1.5,-0.75,-0.5,-4.0,"
"-0.125,-1.25,-0.0625,-0.5],"
"\"tokens\":[\"<s>\",\"Question\",\":\",\" Is\",\" the\",\" sky\","
"\" blue\",\"?\",\"\\n\",\"Answer\",\":\",\" yes\",\".\"],"
"\"top_logprobs\":[null,{\"Question\":-9.5},{\":\":-0.5},"
"{\" What\":-1.0,\" Is\":-3.25},{\" the\":-2.0},{\" sky\":-1.5},"
"{\" blue\":-0.75},{\"?\":-0.5},{\"\\n\":-4.0},{\"Answer\":-0.125},"
"{\":\":-1.25},{\" yes\":-0.0625,\" no\":-3.0},{\".\":-0.5}]},"
"\"finish_reason\":\"length\",\"stop_reason\":null}],"
"\"usage\":{\"prompt_tokens\":12,\"total_tokens\":13,"
"\"completion_tokens\":1}}";

struct tok {
	const char	*t;
	double		 lp;	/* NAN: null */
	double		 alt;	/* another candidate's logprob; NAN: none */
};

static size_t
cp(const char *s)
{
	return (loglik_codepoints(s, strlen(s)));
}

/*
 * A vLLM-style body: text = the tokens joined (minus a leading "<s>"),
 * offsets in code points, top_logprobs holding the token and, when alt
 * is set, a rival " ALT".  prompt_tokens < 0 leaves usage out.
 */
static void
mkresp(struct strbuf *out, const struct tok *t, size_t n, long prompt_tokens,
    int offsets, int tokens)
{
	struct strbuf text = STRBUF_INIT;
	size_t i, off = 0;

	for (i = 0; i < n; i++)
		if (i > 0 || strcmp(t[i].t, "<s>") != 0)
			strbuf_adds(&text, t[i].t);
	strbuf_reset(out);
	strbuf_adds(out, "{\"choices\":[{\"index\":0,\"text\":");
	strbuf_add_json_str(out, text.buf, text.len);
	strbuf_adds(out, ",\"logprobs\":{");
	if (offsets) {
		strbuf_adds(out, "\"text_offset\":[");
		for (i = 0; i < n; i++) {
			strbuf_addf(out, "%s%zu", i ? "," : "", off);
			off += cp(t[i].t);
		}
		strbuf_adds(out, "],");
	}
	strbuf_adds(out, "\"token_logprobs\":[");
	for (i = 0; i < n; i++) {
		if (isnan(t[i].lp))
			strbuf_addf(out, "%snull", i ? "," : "");
		else
			strbuf_addf(out, "%s%.17g", i ? "," : "", t[i].lp);
	}
	strbuf_adds(out, "]");
	if (tokens) {
		strbuf_adds(out, ",\"tokens\":[");
		for (i = 0; i < n; i++) {
			if (i)
				strbuf_addch(out, ',');
			strbuf_add_json_str(out, t[i].t, strlen(t[i].t));
		}
		strbuf_adds(out, "]");
	}
	strbuf_adds(out, ",\"top_logprobs\":[");
	for (i = 0; i < n; i++) {
		if (i)
			strbuf_addch(out, ',');
		if (isnan(t[i].lp)) {
			strbuf_adds(out, "null");
			continue;
		}
		strbuf_addch(out, '{');
		strbuf_add_json_str(out, t[i].t, strlen(t[i].t));
		strbuf_addf(out, ":%.17g", t[i].lp);
		if (!isnan(t[i].alt))
			strbuf_addf(out, ",\" ALT\":%.17g", t[i].alt);
		strbuf_addch(out, '}');
	}
	strbuf_adds(out, "]},\"finish_reason\":\"length\"}]");
	if (prompt_tokens >= 0)
		strbuf_addf(out, ",\"usage\":{\"prompt_tokens\":%ld,"
		    "\"completion_tokens\":%ld}", prompt_tokens,
		    (long)n - prompt_tokens);
	strbuf_adds(out, "}");
	strbuf_release(&text);
}

static int
parse(const struct strbuf *b, const char *ctx, const char *cont,
    struct loglik_result *r, struct strbuf *err)
{
	strbuf_reset(err);
	return (loglik_parse_ex(b->buf, b->len, ctx, cont, r, err));
}

static void
test_vllm_literal(void)
{
	struct strbuf err = STRBUF_INIT;
	struct loglik_result r;
	double sum;
	int greedy, rc;

	rc = loglik_parse_ex(vllm_bos, strlen(vllm_bos),
	    "Question: Is the sky blue?\nAnswer:", " yes", &r, &err);
	is_int(rc, 0, "vLLM response with an echoed BOS parses (%s)", err.buf);
	is_dbl(r.sum, -0.0625, 1e-12, "BOS: only ' yes' is summed");
	is_int(r.greedy, 1, "BOS: ' yes' was the top-1 token");
	is_int((long long)r.n_tokens, 1, "BOS: one continuation token");
	is_int(r.straddle, 0, "BOS: no straddling token");
	is_int(r.prompt_tokens, 12, "BOS: prompt_tokens from usage");

	/* Two continuation tokens, the first not greedy (" What" > " Is"). */
	rc = loglik_parse(vllm_bos, strlen(vllm_bos), "Question:",
	    " Is the sky blue?\nAnswer: yes", &sum, &greedy, &err);
	is_int(rc, 0, "long continuation parses");
	is_dbl(sum, -3.25 - 2.0 - 1.5 - 0.75 - 0.5 - 4.0 - 0.125 - 1.25 -
	    0.0625, 1e-12, "long continuation: sum of tokens 3..11, the "
	    "generated '.' left out");
	is_int(greedy, 0, "long continuation: ' Is' was not top-1");
	strbuf_release(&err);
}

/* A logprob that reads as Infinity (1e999) is named, not summed. */
static void
test_nonfinite(void)
{
	struct strbuf b = STRBUF_INIT, c = STRBUF_INIT, err = STRBUF_INIT;
	struct loglik_result r;
	const struct tok t[] = {
		{ "Question", NAN, NAN }, { ":", -1, NAN }, { " hi", -2, NAN },
		{ "\n", -0.5, NAN }, { "Answer", -0.25, NAN },
		{ ":", -0.125, NAN }, { " Par", -3.0, -1.0 },
		{ "is", -0.5, -2.0 }, { "!", -0.1, NAN },
	};
	const char *hit;

	mkresp(&b, t, 9, 8, 1, 1);
	hit = strstr(b.buf, ",-3,");
	ok(hit != NULL, "the ' Par' logprob is in the response");
	if (hit == NULL)
		return;
	strbuf_add(&c, b.buf, (size_t)(hit - b.buf));
	strbuf_adds(&c, ",-1e999,");
	strbuf_adds(&c, hit + 4);
	is_int(parse(&c, "Question: hi\nAnswer:", " Paris", &r, &err),
	    QEVAL_EDATA, "-1e999: EDATA");
	ok(strstr(err.buf, "-Infinity") != NULL, "... the message says "
	    "-Infinity: %s", err.buf);
	strbuf_release(&b);
	strbuf_release(&c);
	strbuf_release(&err);
}

static void
test_basic(void)
{
	struct strbuf b = STRBUF_INIT, err = STRBUF_INIT;
	struct loglik_result r;
	const struct tok t[] = {
		{ "Question", NAN, NAN }, { ":", -1, NAN }, { " hi", -2, NAN },
		{ "\n", -0.5, NAN }, { "Answer", -0.25, NAN },
		{ ":", -0.125, NAN }, { " Par", -3.0, -1.0 },
		{ "is", -0.5, -2.0 }, { "!", -0.1, NAN },
	};
	int rc;

	mkresp(&b, t, 9, 8, 1, 1);
	rc = parse(&b, "Question: hi\nAnswer:", " Paris", &r, &err);
	is_int(rc, 0, "basic: parses");
	is_dbl(r.sum, -3.5, 1e-12, "basic: ' Par' + 'is'");
	is_int(r.greedy, 0, "basic: ' Par' lost to a rival at -1.0");
	is_int((long long)r.n_tokens, 2, "basic: two tokens");

	/* usage absent: the last token is the generated one. */
	mkresp(&b, t, 9, -1, 1, 1);
	rc = parse(&b, "Question: hi\nAnswer:", " Paris", &r, &err);
	is_int(rc, 0, "no usage: parses");
	is_dbl(r.sum, -3.5, 1e-12, "no usage: same sum");
	is_int(r.prompt_tokens, 8, "no usage: prompt = all but the last");

	/* More than one generated token, counted by usage. */
	mkresp(&b, t, 9, 7, 1, 1);
	rc = parse(&b, "Question: hi\nAnswer:", " Par", &r, &err);
	is_int(rc, 0, "two generated tokens: parses");
	is_dbl(r.sum, -3.0, 1e-12, "two generated tokens: 'is' and '!' "
	    "excluded");

	/* text_offset absent: offsets from the tokens. */
	mkresp(&b, t, 9, 8, 0, 1);
	rc = parse(&b, "Question: hi\nAnswer:", " Paris", &r, &err);
	is_int(rc, 0, "tokens without text_offset: parses");
	is_dbl(r.sum, -3.5, 1e-12, "tokens without text_offset: same sum");

	/* tokens absent: offsets only. */
	mkresp(&b, t, 9, 8, 1, 0);
	rc = parse(&b, "Question: hi\nAnswer:", " Paris", &r, &err);
	is_int(rc, 0, "text_offset without tokens: parses");
	is_dbl(r.sum, -3.5, 1e-12, "text_offset without tokens: same sum");

	/* Neither. */
	mkresp(&b, t, 9, 8, 0, 0);
	rc = parse(&b, "Question: hi\nAnswer:", " Paris", &r, &err);
	is_int(rc, QEVAL_EDATA, "neither text_offset nor tokens: EDATA");
	ok(strstr(err.buf, "text_offset") != NULL, "... and says so: %s",
	    err.buf);
	strbuf_release(&b);
	strbuf_release(&err);
}

static void
test_greedy(void)
{
	struct strbuf b = STRBUF_INIT, err = STRBUF_INIT;
	struct loglik_result r;
	const struct tok t[] = {
		{ "A", NAN, NAN }, { ":", -1, -3 }, { " b", -0.5, -0.75 },
		{ "c", -0.25, NAN }, { "?", -1, NAN },
	};

	mkresp(&b, t, 5, 4, 1, 1);
	is_int(parse(&b, "A:", " bc", &r, &err), 0, "greedy: parses");
	is_int(r.greedy, 1, "greedy: every continuation token top-1");
	is_dbl(r.sum, -0.75, 1e-12, "greedy: sum");
	/* The context's tokens do not count towards greedy. */
	is_int(parse(&b, "A: b", "c", &r, &err), 0, "greedy tail: parses");
	is_int(r.greedy, 1, "greedy tail");
	strbuf_release(&b);
	strbuf_release(&err);
}

static void
test_unicode(void)
{
	struct strbuf b = STRBUF_INIT, err = STRBUF_INIT;
	struct loglik_result r;
	/* Offsets count code points: "é", "ü", "ï", "東", "京" are one
	 * each though two or three bytes long. */
	const struct tok t[] = {
		{ "Caf", NAN, NAN }, { "é", -1, NAN }, { " ün", -2, NAN },
		{ "ïcode", -4, NAN }, { ":", -8, NAN }, { " 東", -16, NAN },
		{ "京", -32, NAN }, { "\n", -64, NAN },
	};
	const struct tok u[] = {
		{ "Q", NAN, NAN }, { ":", -1, NAN }, { " naïve", -2, NAN },
		{ " café", -4, NAN }, { ".", -8, NAN },
	};

	mkresp(&b, t, 8, 7, 1, 1);
	is_int(parse(&b, "Café ünïcode:", " 東京", &r, &err), 0,
	    "unicode: parses (%s)", err.buf);
	is_dbl(r.sum, -48, 1e-12, "unicode: ' 東' + '京' only (a byte count "
	    "would take more)");
	is_int((long long)r.n_tokens, 2, "unicode: two tokens");
	is_int(parse(&b, "Café", " ünïcode: 東京", &r, &err), 0,
	    "unicode, long continuation: parses");
	is_dbl(r.sum, -62, 1e-12, "unicode, long continuation: tokens 2..6");

	mkresp(&b, u, 5, 4, 1, 1);
	is_int(parse(&b, "Q: naïve", " café", &r, &err), 0,
	    "unicode continuation: parses");
	is_dbl(r.sum, -4, 1e-12, "unicode continuation: ' café' only");
	strbuf_release(&b);
	strbuf_release(&err);
}

static void
test_boundary(void)
{
	struct strbuf b = STRBUF_INIT, err = STRBUF_INIT;
	struct loglik_result r;
	/* " 123" holds the context's "1" and the continuation's "23". */
	const struct tok t[] = {
		{ "Total", NAN, NAN }, { ":", -1, NAN }, { " 123", -2, NAN },
		{ "\n", -4, NAN },
	};
	/* A context that ends in a space: lm-eval moves the space to the
	 * continuation, so the " " token counts. */
	const struct tok w[] = {
		{ "A", NAN, NAN }, { ":", -1, NAN }, { " ", -2, NAN },
		{ "B", -4, NAN }, { ".", -8, NAN },
	};

	mkresp(&b, t, 4, 3, 1, 1);
	is_int(parse(&b, "Total: 1", "23", &r, &err), 0, "straddle: parses");
	is_int(r.straddle, 1, "straddle: flagged");
	is_dbl(r.sum, -2, 1e-12, "straddle: the straddling token counts with "
	    "the continuation");
	is_int(parse(&b, "Total:", " 123", &r, &err), 0, "clean boundary");
	is_int(r.straddle, 0, "clean boundary: not flagged");

	mkresp(&b, w, 5, 4, 1, 1);
	is_int(parse(&b, "A: ", "B", &r, &err), 0, "trailing space: parses");
	is_dbl(r.sum, -6, 1e-12, "trailing space: ' ' and 'B' summed");
	is_int(parse(&b, "A:", " B", &r, &err), 0, "no trailing space");
	is_dbl(r.sum, -6, 1e-12, "no trailing space: the same tokens");
	is_int(parse(&b, "A: B", "", &r, &err), 0, "empty continuation");
	is_dbl(r.sum, 0, 0, "empty continuation: 0");
	is_int(r.greedy, 1, "empty continuation: greedy");
	strbuf_release(&b);
	strbuf_release(&err);
}

static void
test_malformed(void)
{
	struct strbuf b = STRBUF_INIT, err = STRBUF_INIT;
	struct loglik_result r;
	const struct tok t[] = {
		{ "Hello", NAN, NAN }, { "!", -1, NAN },
	};
	static const char *const bad[] = {
		"",
		"[1,2]",
		"{\"choices\":[]}",
		"{\"choices\":[{\"text\":\"ab\",\"logprobs\":"
		    "{\"token_logprobs\":"
		    "[null,-1,-2],\"text_offset\":[0,1]}}]}",
		"{\"choices\":[{\"text\":\"ab\",\"logprobs\":"
		    "{\"token_logprobs\":"
		    "[null,-1,-2],\"text_offset\":[0,2,1]}}]}",
		"{\"choices\":[{\"text\":\"ab\",\"logprobs\":"
		    "{\"token_logprobs\":"
		    "[null,-1,-2],\"text_offset\":[0,1,\"2\"]}}]}",
		"{\"choices\":[{\"text\":\"ab\",\"logprobs\":"
		    "{\"token_logprobs\":"
		    "[null,\"x\",-2],\"text_offset\":[0,1,2]}}]}",
		"{\"choices\":[{\"text\":\"ab\",\"logprobs\":"
		    "{\"token_logprobs\":"
		    "[null,-1,-2],\"text_offset\":[0,1,2]}}],"
		    "\"usage\":{\"prompt_tokens\":-3}}",
		"{\"choices\":[{\"text\":\"ab\",\"logprobs\":"
		    "{\"token_logprobs\":"
		    "[null,-1,-2],\"tokens\":[\"a\",\"b\"]}}]}",
	};
	size_t i;

	/* An empty context: the continuation's first token has no
	 * log-probability. */
	mkresp(&b, t, 2, 1, 1, 1);
	is_int(parse(&b, "", "Hello", &r, &err), QEVAL_EDATA,
	    "null first logprob: EDATA");
	ok(strstr(err.buf, "empty") != NULL, "... names the empty context: "
	    "%s", err.buf);
	ok(isnan(r.sum), "... and the sum is NaN");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;

		strbuf_reset(&err);
		rc = loglik_parse_ex(bad[i], strlen(bad[i]), "a", "b", &r,
		    &err);
		is_int(rc, QEVAL_EDATA, "malformed response %zu: EDATA (%s)",
		    i, err.buf);
		ok(err.len > 0, "malformed response %zu: explained", i);
	}
	strbuf_release(&b);
	strbuf_release(&err);
}

static void
test_unsupported(void)
{
	static const char *const shapes[] = {
		/* llama.cpp: echo ignored, chat-format logprobs */
		"{\"choices\":[{\"text\":\" Paris\",\"index\":0,\"logprobs\":"
		    "{\"content\":[{\"id\":3681,\"token\":\" Paris\","
		    "\"bytes\":[32,80,97,114,105,115],\"logprob\":-0.1,"
		    "\"top_logprobs\":[{\"id\":3681,\"token\":\" Paris\","
		    "\"logprob\":-0.1}]}]},\"finish_reason\":\"length\"}],"
		    "\"usage\":{\"completion_tokens\":1,\"prompt_tokens\":6,"
		    "\"total_tokens\":7}}",
		/* Ollama: no logprobs at all */
		"{\"id\":\"cmpl-1\",\"object\":\"text_completion\","
		    "\"choices\":[{\"text\":\" Paris\",\"index\":0,"
		    "\"finish_reason\":\"length\"}]}",
		/* logprobs: null */
		"{\"choices\":[{\"text\":\"The capital of France is Paris.\","
		    "\"logprobs\":null}]}",
		/* legacy format, generated token only, no usage */
		"{\"choices\":[{\"text\":\".\","
		    "\"logprobs\":{\"tokens\":[\".\"],"
		    "\"token_logprobs\":[-0.5],\"text_offset\":[0],"
		    "\"top_logprobs\":[{\".\":-0.5}]}}]}",
		/* legacy format, generated token only, with usage */
		"{\"choices\":[{\"logprobs\":{\"tokens\":[\".\"],"
		    "\"token_logprobs\":[-0.5],\"text_offset\":[30],"
		    "\"top_logprobs\":[{\".\":-0.5}]}}],"
		    "\"usage\":{\"prompt_tokens\":6}}",
		/* echoed text present but the tokens do not cover it */
		"{\"choices\":[{\"text\":\"The capital of France is Paris.\","
		    "\"logprobs\":{\"tokens\":[\" Paris\",\".\"],"
		    "\"token_logprobs\":[-0.5,-0.1],\"text_offset\":[0,6]}}]}",
	};
	struct strbuf err = STRBUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		int rc;

		strbuf_reset(&err);
		rc = loglik_probe_check(shapes[i], strlen(shapes[i]), &err);
		is_int(rc, QEVAL_EUNSUP,
		    "no prompt logprobs, shape %zu: EUNSUP", i);
		ok(strstr(err.buf, "server returned no prompt "
		    "log-probabilities (llama.cpp's server and Ollama do "
		    "not): use the generative variant") == err.buf,
		    "shape %zu: the message (%s)", i, err.buf);
	}
	loglik_unsupported(&err, "arc_challenge");
	ok(strncmp(err.buf, "server returned no prompt log-probabilities "
	    "(llama.cpp's server and Ollama do not): use the generative "
	    "variant arc_challenge_gen", 117) == 0 && strstr(err.buf,
	    "<task>") == NULL, "loglik_unsupported names the task: %s",
	    err.buf);
	strbuf_reset(&err);
	strbuf_adds(&err, "something else");
	loglik_unsupported(&err, "hellaswag");
	is_str(err.buf, "server returned no prompt log-probabilities "
	    "(llama.cpp's server and Ollama do not): use the generative "
	    "variant hellaswag_gen", "loglik_unsupported on another message");
	strbuf_release(&err);
}

static void
test_bodies(void)
{
	struct strbuf b = STRBUF_INIT, err = STRBUF_INIT;
	struct loglik_req req;
	const cJSON *v;
	cJSON *j;
	const struct tok t[] = {
		{ "The", NAN, NAN }, { " capital", -1, NAN },
		{ " of", -0.5, NAN }, { " France", -2, NAN },
		{ " is", -0.25, NAN }, { " Paris", -0.125, NAN },
		{ ".", -1, NAN },
	};

	loglik_body(&b, "qwen/\"q\"", "Ctx \"x\"\n", " cont\u00e9");
	j = cJSON_Parse(b.buf);
	ok(j != NULL, "loglik_body is JSON: %s", b.buf);
	v = cJSON_GetObjectItemCaseSensitive(j, "model");
	is_str(cJSON_IsString(v) ? v->valuestring : NULL, "qwen/\"q\"",
	    "body: model");
	v = cJSON_GetObjectItemCaseSensitive(j, "prompt");
	is_str(cJSON_IsString(v) ? v->valuestring : NULL,
	    "Ctx \"x\"\n cont\u00e9", "body: prompt = context + continuation");
	v = cJSON_GetObjectItemCaseSensitive(j, "max_tokens");
	ok(cJSON_IsNumber(v) && v->valuedouble == 1, "body: max_tokens 1");
	ok(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "echo")),
	    "body: echo true");
	v = cJSON_GetObjectItemCaseSensitive(j, "logprobs");
	ok(cJSON_IsNumber(v) && v->valuedouble == 1, "body: logprobs 1");
	v = cJSON_GetObjectItemCaseSensitive(j, "temperature");
	ok(cJSON_IsNumber(v) && v->valuedouble == 0, "body: temperature 0");
	cJSON_Delete(j);

	loglik_probe_body(&b, "m");
	j = cJSON_Parse(b.buf);
	v = cJSON_GetObjectItemCaseSensitive(j, "prompt");
	is_str(cJSON_IsString(v) ? v->valuestring : NULL,
	    "The capital of France is Paris", "probe prompt");
	cJSON_Delete(j);
	mkresp(&b, t, 7, 6, 1, 1);
	is_int(loglik_probe_check(b.buf, b.len, &err), 0, "probe accepts a "
	    "vLLM answer (%s)", err.buf);

	is_int(loglik_req_parse(&req, "{\"context\":\"Q\",\"continuations\":"
	    "[\" a\",\" b\"]}", &err), 0, "loglik_req_parse");
	ok(req.n == 2 && strcmp(req.context, "Q") == 0 &&
	    strcmp(req.cont[1], " b") == 0, "loglik_req_parse fields");
	loglik_req_release(&req);
	is_int(loglik_req_parse(&req, "{\"context\":\"Q\",\"continuations\":"
	    "[]}", &err), QEVAL_EINVAL, "loglik_req_parse: no continuation");
	strbuf_reset(&err);
	is_int(loglik_req_parse(&req, "{\"context\":\"Q\",\"continuations\":"
	    "[\" a\",1]}", &err), QEVAL_EINVAL,
	    "loglik_req_parse: not a string");
	/* the samples file's "error" of the sample: names the part */
	is_str(err.buf, "continuation 1 is not a string",
	    "loglik_req_parse: the message names the continuation");
	ok(req.cont == NULL && req.context == NULL && req.n == 0,
	    "loglik_req_parse: nothing left to free on failure");
	strbuf_reset(&err);
	is_int(loglik_req_parse(&req, NULL, &err), QEVAL_EINVAL,
	    "loglik_req_parse: no body (the plugin gave none)");
	ok(strstr(err.buf, "\"context\"") != NULL,
	    "loglik_req_parse: the message names \"context\"");
	is_int(loglik_req_parse(&req, "nope", &err), QEVAL_EINVAL,
	    "loglik_req_parse: not JSON");
	is_int((long long)loglik_codepoints("a\u00e9\u6771", 6), 3,
	    "loglik_codepoints");
	strbuf_release(&b);
	strbuf_release(&err);
}

int
main(void)
{
	test_vllm_literal();
	test_basic();
	test_nonfinite();
	test_greedy();
	test_unicode();
	test_boundary();
	test_malformed();
	test_unsupported();
	test_bodies();
	return (tap_done());
}
