/*
 * loglik: log-likelihood of a continuation over an OpenAI-compatible
 * /v1/completions endpoint, with no tokenizer on the client side.
 *
 * For each continuation of a QEVAL_REQ_LOGLIK request the core sends
 *
 *   {"model": M, "prompt": context + continuation, "max_tokens": 1,
 *    "echo": true, "logprobs": 1, "temperature": 0}
 *
 * and vLLM answers with the prompt's tokens echoed in the legacy
 * completions logprobs format (choices[0].logprobs: tokens,
 * token_logprobs, top_logprobs, text_offset) followed by one generated
 * token.  loglik_parse() sums the log-probabilities of the tokens that
 * spell the continuation and says whether each of them was the top-1
 * token of its position (lm-eval's "is_greedy").
 *
 * The boundary rule (docs/LOGLIK.md has the long form):
 *   - offsets are code points (vLLM counts Python str lengths of the
 *     decoded tokens), and a token spans [text_offset[i], end_i) where
 *     end_i is the next token's offset;
 *   - the prompt's last token ends at E; the continuation starts at
 *     B = E - codepoints(continuation), counted from the end so that a
 *     BOS token the server prepends ("<s>", "<|begin_of_text|>") and
 *     echoes as text does not move it;
 *   - as in lm-eval's _encode_pair, whitespace at the end of the context
 *     belongs to the continuation: B moves left by its length;
 *   - a token belongs to the continuation iff end_i > B, so a token that
 *     straddles B (holds the context's last characters and the
 *     continuation's first ones) is counted with the continuation.
 *     lm-eval tokenizes context and continuation separately, so its
 *     boundary is always a token boundary; the two rules agree whenever
 *     the server's joint tokenization has a boundary at B, which is the
 *     usual case for " {choice}" continuations after a context that ends
 *     in a non-space character;
 *   - generated tokens are excluded: tokens at index >= usage.
 *     prompt_tokens, or the last token when usage is absent.
 *
 * A server that returns no prompt log-probabilities (llama.cpp's
 * llama-server ignores echo; Ollama and TGI's OpenAI route return at
 * most the generated token's; chat-format logprobs.content) makes the
 * functions return QEVAL_EUNSUP; any other malformed response is
 * QEVAL_EDATA.  Errors append one line to err.
 *
 * Ownership: nothing returned here points into the response body.
 * Threads: every function is reentrant.
 */
#ifndef QEVAL_LOGLIK_H
#define QEVAL_LOGLIK_H

#include <stddef.h>

#include "strbuf.h"

/* Everything loglik_parse_ex() finds out about one response. */
struct loglik_result {
	double	 sum;		/* summed continuation log-probability */
	int	 greedy;	/* 1: every continuation token was top-1
				 * (0 also when top_logprobs is absent) */
	int	 straddle;	/* 1: the first continuation token also
				 * holds context characters */
	size_t	 n_tokens;	/* continuation tokens summed */
	long	 prompt_tokens;	/* prompt tokens the server counted */
};

/*
 * Appends to out (after resetting it) the /v1/completions body for one
 * continuation.  model may be NULL (the field is then left out).
 */
void	 loglik_body(struct strbuf *out, const char *model,
	    const char *context, const char *continuation);

/*
 * Parses one response.  Returns 0 with *sum and *greedy set, or
 * QEVAL_EUNSUP (no prompt log-probabilities: see loglik_unsupported())
 * or QEVAL_EDATA (malformed) with err explaining.
 */
int	 loglik_parse(const char *body, size_t len, const char *context,
	    const char *continuation, double *sum, int *greedy,
	    struct strbuf *err);
/* The same, with more detail. */
int	 loglik_parse_ex(const char *body, size_t len, const char *context,
	    const char *continuation, struct loglik_result *res,
	    struct strbuf *err);

/*
 * The capability probe: one request, sent before the first
 * log-likelihood request of a run, whose response loglik_probe_check()
 * judges.  Returns 0 if the server gives prompt log-probabilities,
 * QEVAL_EUNSUP if not, QEVAL_EDATA on a malformed answer.
 */
void	 loglik_probe_body(struct strbuf *out, const char *model);
int	 loglik_probe_check(const char *body, size_t len, struct strbuf *err);
/* The probe's context and continuation (for tests and logs). */
extern const char loglik_probe_context[];
extern const char loglik_probe_continuation[];

/*
 * Replaces err with the message a run stops with when the server cannot
 * score `task` ("arc_challenge"): it names the generative variant
 * <task>_gen.
 */
void	 loglik_unsupported(struct strbuf *err, const char *task);

/*
 * A QEVAL_REQ_LOGLIK request body, {"context": "...", "continuations":
 * ["...", ...]}, parsed.  Strings are malloc'd and owned by the struct.
 */
struct loglik_req {
	char	*context;
	char	**cont;
	size_t	 n;
};

/*
 * The one parser of these bodies: the run's dispatch (run.c) uses it
 * and its message becomes the sample's "error".  body NULL is refused
 * like any other bad body.  0, or QEVAL_EINVAL with err explaining (a
 * plugin bug); on failure *r holds nothing to release.
 */
int	 loglik_req_parse(struct loglik_req *, const char *body,
	    struct strbuf *err);
void	 loglik_req_release(struct loglik_req *);

/* Code points of a UTF-8 string (bytes that are not continuations). */
size_t	 loglik_codepoints(const char *s, size_t len);

#endif
