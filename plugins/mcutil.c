#include "config.h"
#include "mcutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct qeval_metric_desc mc_ll_metrics[] = {
	{ "acc", 0 },
	{ "acc_norm", QEVAL_MF_PRIMARY },
	{ NULL, 0 }
};

const struct qeval_metric_desc mc_gen_metrics[] = {
	{ "exact_match", QEVAL_MF_PRIMARY },
	{ "invalid", QEVAL_MF_RATE | QEVAL_MF_LOWER_BETTER },
	{ "truncated", QEVAL_MF_RATE | QEVAL_MF_LOWER_BETTER },
	{ "qeval_extraction", QEVAL_MF_RATE },
	{ NULL, 0 }
};

static const char *const mc_stops[] = { "\n\n", ".", NULL };

/* ------------------------------------------------------------------ */
/* Letter extraction (the rule is in mcutil.h)                        */

int
mc_rules_compile(struct mc_rules *r, const struct qeval_host *h,
    struct qeval_ctx *ctx)
{
	char pat[256], last, lo;
	size_t n;

	for (n = 2; n <= MC_MAX_CHOICES; n++) {
		last = (char)('A' + n - 1);
		lo = (char)('a' + n - 1);
		snprintf(pat, sizeof(pat), "(?i:answer)(?:\\s+(?i:is))?"
		    "[\\s:*_\\-]*(?:(?i:option)\\s*)?[(\\[]?\\s*([A-%c])"
		    "(?![A-Za-z0-9])", last);
		r->phrase[n] = h->rx_compile(ctx, pat, 0);
		snprintf(pat, sizeof(pat), "\\A[\\s*_(\\[]*([A-%ca-%c])"
		    "[\\s*_)\\].:]*\\z", last, lo);
		r->bare[n] = h->rx_compile(ctx, pat, 0);
		snprintf(pat, sizeof(pat), "\\A[\\s*_(\\[]*([A-%c])[).:\\]]",
		    last);
		r->lead[n] = h->rx_compile(ctx, pat, 0);
		if (r->phrase[n] == NULL || r->bare[n] == NULL ||
		    r->lead[n] == NULL)
			return (QEVAL_EINTERNAL);
	}
	return (QEVAL_OK);
}

void
mc_rules_free(struct mc_rules *r, const struct qeval_host *h)
{
	size_t k;

	for (k = 0; k <= MC_MAX_CHOICES; k++) {
		h->rx_free(r->phrase[k]);
		h->rx_free(r->bare[k]);
		h->rx_free(r->lead[k]);
	}
}

int
mc_extract_letter(const struct mc_rules *r, const struct qeval_host *h,
    const char *text, size_t len, size_t n, const char **rule)
{
	struct qeval_match m;
	size_t off = 0;
	int found = -1;
	char c;

	*rule = "none";
	if (n < 2 || n > MC_MAX_CHOICES)
		return (-1);
	while (off <= len &&
	    h->rx_match(r->phrase[n], text, len, off, &m) == 1) {
		found = text[m.start[1]] - 'A';
		off = m.end[0] > m.start[0] ? m.end[0] : m.end[0] + 1;
	}
	if (found >= 0) {
		*rule = "phrase";
		return (found);
	}
	if (h->rx_match(r->bare[n], text, len, 0, &m) == 1) {
		*rule = "bare";
		c = text[m.start[1]];
		return (c >= 'a' ? c - 'a' : c - 'A');
	}
	if (h->rx_match(r->lead[n], text, len, 0, &m) == 1) {
		*rule = "leading";
		return (text[m.start[1]] - 'A');
	}
	return (-1);
}

/* ------------------------------------------------------------------ */
/* Options and few-shot examples                                      */

int
mc_check_shots(const struct qeval_host *h, struct qeval_ctx *ctx,
    const char *task, int nshot, int gen)
{
	if (nshot > MC_MAX_SHOTS)
		return (h->fail(ctx, QEVAL_EINVAL, "%s: --num-fewshot %d is "
		    "more than %d", task, nshot, MC_MAX_SHOTS));
	if (gen && nshot > 0)
		return (h->fail(ctx, QEVAL_EINVAL, "%s: the generative variant "
		    "is 0-shot; drop --num-fewshot %d or use %.*s", task,
		    nshot, (int)(strlen(task) - 4), task));
	return (QEVAL_OK);
}

int
mc_opt_max_tokens(const struct qeval_host *h, struct qeval_ctx *ctx,
    const char *task, int *max_tokens)
{
	const char *v = h->opt(ctx, "max_tokens");
	char *end;
	long n;

	if (v == NULL)
		return (QEVAL_OK);
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n < 1 || n > 1000000)
		return (h->fail(ctx, QEVAL_EINVAL, "%s: task option "
		    "max_tokens=%s is not a positive integer", task, v));
	*max_tokens = (int)n;
	return (QEVAL_OK);
}

int
mc_opt_prefill(const struct qeval_host *h, struct qeval_ctx *ctx,
    const char *task, int *prefill)
{
	static const char *const on[] = { "1", "on", "true", "yes", NULL };
	static const char *const off[] = { "0", "off", "false", "no", NULL };
	const char *v = h->opt(ctx, "prefill");
	size_t i;

	*prefill = 1;
	if (v == NULL)
		return (QEVAL_OK);
	for (i = 0; on[i] != NULL; i++)
		if (strcmp(v, on[i]) == 0)
			return (QEVAL_OK);
	for (i = 0; off[i] != NULL; i++)
		if (strcmp(v, off[i]) == 0) {
			*prefill = 0;
			return (QEVAL_OK);
		}
	if (strcmp(v, "auto") == 0)
		return (h->fail(ctx, QEVAL_EINVAL, "%s: task option "
		    "prefill=auto is not available (a server's refusal of "
		    "the prefilled request does not reach the plugin): use "
		    "prefill=1 (the default, lm-eval's recipe) or prefill=0 "
		    "(qeval's letter extraction, for servers that cannot "
		    "continue an assistant message)", task));
	return (h->fail(ctx, QEVAL_EINVAL, "%s: task option prefill=%s: "
	    "expected 1 (lm-eval's prefilled recipe, the default) or 0 "
	    "(qeval's letter extraction)", task, v));
}

int
mc_draw_shots(struct qp_mt *mt, size_t i, size_t nsrc, int nshot, int same,
    size_t **shots)
{
	size_t tmp[MC_MAX_SHOTS + 1], want, k, j = 0;

	/* lm-eval draws one more from the evaluated split and drops the
	 * document itself. */
	want = (size_t)nshot + (same ? 1 : 0);
	if (qp_mt_sample(mt, nsrc, want, tmp) != 0)
		return (-1);
	*shots = calloc((size_t)nshot, sizeof(**shots));
	if (*shots == NULL)
		return (-1);
	for (k = 0; k < want && j < (size_t)nshot; k++)
		if (!same || tmp[k] != i)
			(*shots)[j++] = tmp[k];
	return (0);
}

/* ------------------------------------------------------------------ */
/* Requests                                                           */

void
mc_ll_request(struct qp_buf *body, struct qp_buf *tmp, char *const *choice,
    size_t n, const char *label, struct qeval_request *req)
{
	size_t k;

	qp_buf_adds(body, "{\"context\":");
	qp_buf_json_str(body, qp_buf_ok(tmp) ? tmp->buf : "");
	qp_buf_adds(body, ",\"continuations\":[");
	for (k = 0; k < n; k++) {
		qp_buf_reset(tmp);
		qp_buf_adds(tmp, " ");	/* target_delimiter */
		qp_buf_adds(tmp, choice[k]);
		if (k > 0)
			qp_buf_adds(body, ",");
		qp_buf_json_str(body, qp_buf_ok(tmp) ? tmp->buf : "");
	}
	qp_buf_adds(body, "]}");
	req->kind = QEVAL_REQ_LOGLIK;
	req->max_tokens = 1;
	req->label = label;
}

void
mc_letter_options(struct qp_buf *b, char *const *choice, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		qp_buf_addf(b, "\n%c. %s", (char)('A' + k), choice[k]);
	qp_buf_adds(b, "\nFinish your response with \"The best answer is "
	    "X\", where X is ");
	for (k = 0; k < n; k++)
		qp_buf_addf(b, "%s%c", k == 0 ? "" : k + 1 == n ? " or " :
		    ", ", (char)('A' + k));
	qp_buf_adds(b, ".");
}

void
mc_gen_request(struct qp_buf *body, struct qp_buf *tmp, int chat,
    int max_tokens, struct qeval_request *req)
{
	int first = 1;

	if (chat) {
		qp_buf_adds(body, "{\"messages\":[");
		qp_buf_chat_message(body, &first, "user", qp_buf_ok(tmp) ?
		    tmp->buf : "");
		qp_buf_adds(body, "]}");
		req->kind = QEVAL_REQ_CHAT;
	} else {
		qp_buf_adds(tmp, "\nAnswer:");
		qp_buf_adds(body, "{\"prompt\":");
		qp_buf_json_str(body, qp_buf_ok(tmp) ? tmp->buf : "");
		qp_buf_adds(body, "}");
		req->kind = QEVAL_REQ_COMPLETION;
	}
	req->max_tokens = max_tokens;
	req->label = "answer";
}

void
mc_prefill_request(struct qp_buf *body, struct qp_buf *tmp, int chat,
    int max_tokens, struct qeval_request *req)
{
	int first = 1;

	if (chat) {
		qp_buf_adds(body, "{\"messages\":[");
		qp_buf_chat_message(body, &first, "user", qp_buf_ok(tmp) ?
		    tmp->buf : "");
		qp_buf_chat_message(body, &first, "assistant", MC_PREFIX);
		qp_buf_adds(body, "],\"continue_final_message\":true,"
		    "\"add_generation_prompt\":false");
		req->kind = QEVAL_REQ_CHAT;
	} else {
		/* target_delimiter " ", then gen_prefix */
		qp_buf_adds(tmp, " " MC_PREFIX);
		qp_buf_adds(body, "{\"prompt\":");
		qp_buf_json_str(body, qp_buf_ok(tmp) ? tmp->buf : "");
		req->kind = QEVAL_REQ_COMPLETION;
	}
	qp_buf_stop_list(body, mc_stops);
	qp_buf_adds(body, "}");
	req->max_tokens = max_tokens;
	req->label = "answer";
}

int
mc_is_prefilled(const struct qeval_request *req)
{
	/* The prefix closes a JSON string only where it was sent as the
	 * assistant's turn or as the prompt's end: inside the instruction
	 * it is followed by " [the_answer_letter]", and a quote that a
	 * dataset's text holds is escaped. */
	return (req->body != NULL &&
	    strstr(req->body, MC_PREFIX "\"") != NULL);
}

/* ------------------------------------------------------------------ */
/* Python's whitespace and lm-eval's exact match                      */

/* One code point of UTF-8 at s (len > 0 bytes); *n its length.  A byte
 * that starts no valid sequence reads as itself (never a space). */
static uint32_t
utf8_next(const unsigned char *s, size_t len, size_t *n)
{
	uint32_t c = s[0];
	size_t k, need;

	*n = 1;
	if (c < 0x80)
		return (c);
	need = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
	if (need == 0 || need >= len)
		return (0xfffd);
	c &= 0x3fu >> need;
	for (k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return (0xfffd);
		c = (c << 6) | (s[k] & 0x3f);
	}
	*n = need + 1;
	return (c);
}

/* str.isspace() of one code point (Python 3). */
static int
py_space(uint32_t c)
{
	return ((c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) ||
	    c == 0x85 || c == 0xa0 || c == 0x1680 ||
	    (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	    c == 0x202f || c == 0x205f || c == 0x3000);
}

void
mc_py_strip(const char *s, size_t len, size_t *start, size_t *end)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, last = 0;

	while (i < len && py_space(utf8_next(u + i, len - i, &n)))
		i += n;
	*start = i;
	last = i;
	while (i < len) {
		uint32_t c = utf8_next(u + i, len - i, &n);

		i += n;
		if (!py_space(c))
			last = i;
	}
	*end = last;
}

/*
 * lower() with string.punctuation deleted, the comparison form of
 * exact_match(ignore_case, ignore_punctuation).  ASCII is lowered here;
 * the only other code point whose lower() is ASCII is U+212A KELVIN
 * SIGN ("k").  Other code points are kept as they are: a target is an
 * ASCII letter or digit, which no remaining one can equal.  Trailing
 * NULs go, as numpy's string arrays drop them.
 */
static void
em_norm(const char *s, size_t len, struct qp_buf *out)
{
	/* Python's string.punctuation */
	static const char punct[] = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;

	qp_buf_reset(out);
	qp_buf_add(out, "", 0);
	while (i < len) {
		uint32_t c = utf8_next(u + i, len - i, &n);

		if (c != 0 && c < 0x80 && strchr(punct, (int)c) != NULL) {
			i += n;		/* deleted */
			continue;
		}
		if (c >= 'A' && c <= 'Z') {
			char lc = (char)(c - 'A' + 'a');

			qp_buf_add(out, &lc, 1);
		} else if (c == 0x212a)
			qp_buf_add(out, "k", 1);
		else
			qp_buf_add(out, s + i, n);
		i += n;
	}
	while (out->buf != NULL && out->len > 0 &&
	    out->buf[out->len - 1] == '\0')
		out->len--;
}

int
mc_score_em(const struct qeval_response *r, size_t n, const char *target,
    struct qp_buf *reason, struct qp_buf *ext, struct qeval_verdict *out)
{
	const char *text = r->text != NULL ? r->text : "";
	struct qp_buf np = QP_BUF_INIT, nt = QP_BUF_INIT;
	size_t len = r->text != NULL ? QEVAL_RESP_TEXT_LEN(r) : 0, k, a, b;
	size_t f, sl;
	int hit, letter;

	/* The answer is data: it may hold NUL, so search by length. */
	for (k = 0; mc_stops[k] != NULL; k++) {
		sl = strlen(mc_stops[k]);
		for (f = 0; f + sl <= len; f++)
			if (memcmp(text + f, mc_stops[k], sl) == 0) {
				len = f;
				break;
			}
	}
	mc_py_strip(text, len, &a, &b);
	qp_buf_reset(ext);
	qp_buf_add(ext, text + a, b - a);
	qp_buf_add(ext, "", 0);
	em_norm(text + a, b - a, &np);
	em_norm(target, strlen(target), &nt);
	hit = qp_buf_ok(&np) && qp_buf_ok(&nt) && np.len == nt.len &&
	    memcmp(np.buf, nt.buf, np.len) == 0;
	letter = qp_buf_ok(&np) && np.len == 1 && np.buf[0] >= 'a' &&
	    (size_t)(np.buf[0] - 'a') < n;
	out->values[MC_EM] = hit ? 1.0 : 0.0;
	out->values[MC_INVALID] = letter ? 0.0 : 1.0;
	out->values[MC_TRUNC] = 0.0;
	out->values[MC_QEXT] = 0.0;
	if (r->finish_reason != NULL &&
	    strcmp(r->finish_reason, "length") == 0) {
		out->flags |= QEVAL_VF_TRUNCATED;
		out->values[MC_TRUNC] = 1.0;
	}
	if (!letter)
		out->flags |= QEVAL_VF_INVALID;
	out->extracted = qp_buf_str(ext);
	qp_buf_addf(reason, "lm-eval exact match (prefill \"%s\"): "
	    "prediction '%.40s' %s target '%s'%s", MC_PREFIX,
	    qp_buf_ok(ext) ? ext->buf : "", hit ? "equals" : "is not",
	    target, letter ? "" : "; not an option letter");
	qp_buf_free(&np);
	qp_buf_free(&nt);
	return (hit);
}

/* ------------------------------------------------------------------ */
/* Scoring                                                            */

/* Code points of a UTF-8 string: Python's len(). */
static size_t
codepoints(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return (n);
}

/* numpy.argmax: the first maximum; NaN, if any, wins (numpy's rule). */
static size_t
argmax(const double *v, size_t n)
{
	size_t k, best = 0;

	for (k = 0; k < n; k++) {
		if (isnan(v[k]))
			return (k);
		if (v[k] > v[best])
			best = k;
	}
	return (best);
}

static void
json_num(struct qp_buf *b, double v)
{
	if (isfinite(v))
		qp_buf_addf(b, "%.17g", v);
	else
		qp_buf_adds(b, "null");
}

int
mc_score_ll(const struct qeval_response *r, char *const *choice, size_t n,
    size_t gold, const char *what, struct qp_buf *reason,
    struct qeval_verdict *out, size_t *pick, size_t *pick_n)
{
	double norm[MC_MAX_CHOICES];
	size_t k;

	if (r->n_choices != n || r->logprob == NULL) {
		out->values[MC_ACC] = 0.0;
		out->values[MC_ACC_NORM] = 0.0;
		out->flags |= QEVAL_VF_INVALID;
		qp_buf_addf(reason, "the response holds %zu "
		    "log-likelihoods for %zu %s", r->n_choices, n, what);
		out->reason = qp_buf_str(reason);
		out->extracted = "[invalid]";
		return (-1);
	}
	for (k = 0; k < n; k++) {
		/* completion_len = len(choice), the text without the
		 * target delimiter; an empty choice divides by zero as
		 * numpy does (-inf, or NaN for 0/0). */
		double len = (double)codepoints(choice[k]);

		norm[k] = len > 0 ? r->logprob[k] / len :
		    (r->logprob[k] < 0 ? -INFINITY : r->logprob[k] > 0 ?
		    INFINITY : NAN);
	}
	*pick = argmax(r->logprob, n);
	*pick_n = argmax(norm, n);
	out->values[MC_ACC] = *pick == gold ? 1.0 : 0.0;
	out->values[MC_ACC_NORM] = *pick_n == gold ? 1.0 : 0.0;
	return (0);
}

void
mc_ll_detail(struct qp_buf *d, const struct qeval_response *r,
    char *const *choice, size_t n)
{
	size_t k;

	qp_buf_adds(d, "\"logprobs\":[");
	for (k = 0; k < n; k++) {
		if (k > 0)
			qp_buf_adds(d, ",");
		json_num(d, r->logprob[k]);
	}
	qp_buf_adds(d, "],\"chars\":[");
	for (k = 0; k < n; k++)
		qp_buf_addf(d, "%s%zu", k ? "," : "", codepoints(choice[k]));
	qp_buf_adds(d, "],\"greedy\":[");
	for (k = 0; k < n; k++)
		qp_buf_addf(d, "%s%d", k ? "," : "",
		    r->greedy != NULL ? r->greedy[k] != 0 : 0);
	qp_buf_adds(d, "]");
}

int
mc_score_letter(const struct mc_rules *rules, const struct qeval_host *h,
    const struct qeval_response *r, size_t n, size_t gold,
    struct qp_buf *reason, char *ext, size_t extsz,
    struct qeval_verdict *out, const char **rule)
{
	const char *text = r->text != NULL ? r->text : "";
	int got;

	got = mc_extract_letter(rules, h, text,
	    r->text != NULL ? QEVAL_RESP_TEXT_LEN(r) : 0, n, rule);
	out->values[MC_EM] = got == (int)gold ? 1.0 : 0.0;
	out->values[MC_INVALID] = got < 0 ? 1.0 : 0.0;
	out->values[MC_TRUNC] = 0.0;
	out->values[MC_QEXT] = 1.0;
	if (r->finish_reason != NULL &&
	    strcmp(r->finish_reason, "length") == 0) {
		out->flags |= QEVAL_VF_TRUNCATED;
		out->values[MC_TRUNC] = 1.0;
	}
	if (got < 0) {
		out->flags |= QEVAL_VF_INVALID;
		out->extracted = "[invalid]";
		qp_buf_addf(reason, "qeval letter extraction: no option "
		    "letter found (gold %c)%s",
		    (char)('A' + gold), out->values[MC_TRUNC] > 0 ?
		    "; the answer was cut at max_tokens" : "");
	} else {
		snprintf(ext, extsz, "%c", (char)('A' + got));
		out->extracted = ext;
		qp_buf_addf(reason, "qeval letter extraction: answered %c "
		    "(%s rule), gold %c",
		    (char)('A' + got), *rule, (char)('A' + gold));
	}
	return (got);
}

/* ------------------------------------------------------------------ */
/* Gold answers                                                       */

int
mc_gold(const struct qeval_request *req, size_t n, size_t win,
    const char *answer, double *lp, uint8_t *greedy, struct qp_buf *text,
    struct qeval_gold *out)
{
	size_t k;

	if (req->kind == QEVAL_REQ_LOGLIK) {
		for (k = 0; k < n; k++) {
			lp[k] = k == win ? 0.0 : -1000.0;
			greedy[k] = k == win;
		}
		out->n_choices = n;
		out->logprob = lp;
		out->greedy = greedy;
		return (0);
	}
	qp_buf_reset(text);
	if (mc_is_prefilled(req)) {
		/* what the server sends back: the continuation, cut
		 * before the stop "." */
		if (answer != NULL)
			qp_buf_addf(text, " %s", answer);
		else
			qp_buf_addf(text, " %c", (char)('A' + win));
	} else
		qp_buf_addf(text, "The best answer is %c.",
		    (char)('A' + win));
	if (!qp_buf_ok(text))
		return (-1);
	out->text = text->buf;
	return (0);
}
