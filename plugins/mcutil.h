/*
 * mcutil: what the multiple-choice plugins (arc, hellaswag) share: the
 * metric tables, lm-evaluation-harness's log-likelihood request and its
 * acc / acc_norm scoring, the few-shot draw, lm-eval's
 * arc_challenge_chat mechanics (prefilled request, exact match), qeval's
 * own lettered recipe (prompt tail, request, letter extraction,
 * scoring) and the gold answers of all three.
 *
 * Compiled into each of the two plugins, so nothing here is part of the
 * ABI (the link exports qeval_plugin only).  What a plugin does
 * differently (the prompt's head, the words of a reason, the detail's
 * fields) stays in the plugin.  The qp_buf writers report allocation
 * failure through the buffer's oom flag; the functions that return an
 * int say what it means.
 */
#ifndef QEVAL_MCUTIL_H
#define QEVAL_MCUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <qeval/plugin.h>

#include "qp.h"

#define MC_MAX_CHOICES	8	/* options of one item */
#define MC_MAX_SHOTS	100	/* --num-fewshot */
#define MC_GEN_TOKENS	256	/* max_tokens of qeval's letter recipe */
#define MC_CHAT_TOKENS	100	/* max_gen_toks of arc_challenge_chat */
/* arc_challenge_chat's gen_prefix, the start of the assistant's turn */
#define MC_PREFIX	"The best answer is"

/* Metrics of the log-likelihood tasks (mc_ll_metrics) ... */
enum mc_ll_metric { MC_ACC, MC_ACC_NORM };
/*
 * ... and of the generative ones (mc_gen_metrics).  MC_QEXT is 1 for an
 * answer scored by qeval's letter extraction (prefill=0), 0 for one
 * scored as lm-eval's arc_challenge_chat scores it: the report's Notes
 * show which of the two ran.
 */
enum mc_gen_metric { MC_EM, MC_INVALID, MC_TRUNC, MC_QEXT };

extern const struct qeval_metric_desc mc_ll_metrics[];
extern const struct qeval_metric_desc mc_gen_metrics[];

/*
 * The letter-extraction rule of the generative variants, for items of
 * n options (letters A to A+n-1), tried in this order:
 *   1. phrase: the last "answer" followed by an optional "is", then
 *	spaces, ':', '-', '*' or '_', an optional "option", an optional
 *	'(' or '[', and a capital option letter that is not followed by a
 *	letter or digit ("The best answer is C", "The answer is (B).",
 *	"**Answer:** D", "Answer: D) ...");
 *   2. bare: the whole response is one option letter, either case, with
 *	only markup around it ("b", "**C**", "(B).");
 *   3. leading: the response starts with a capital option letter
 *	followed by ')', '.', ':' or ']' ("C. Because ...");
 *   otherwise the answer is invalid.
 * Compiled once per n (2 to MC_MAX_CHOICES) by mc_rules_compile().
 */
struct mc_rules {
	struct qeval_regex	*phrase[MC_MAX_CHOICES + 1];
	struct qeval_regex	*bare[MC_MAX_CHOICES + 1];
	struct qeval_regex	*lead[MC_MAX_CHOICES + 1];
};

/*
 * QEVAL_OK, or QEVAL_EINTERNAL when a pattern did not compile (the host
 * has said why).  What compiled stays in the rules either way:
 * mc_rules_free() releases it, and is a no-op on zeroed rules.
 */
int	 mc_rules_compile(struct mc_rules *, const struct qeval_host *,
	    struct qeval_ctx *);
void	 mc_rules_free(struct mc_rules *, const struct qeval_host *);
/* The option index (0 to n-1) in the len bytes of text (which may hold
 * NUL), or -1; *rule names the rule that hit ("phrase", "bare",
 * "leading" or "none"). */
int	 mc_extract_letter(const struct mc_rules *, const struct qeval_host *,
	    const char *text, size_t len, size_t n, const char **rule);

/*
 * Task option prefill= of the generative variants: 1 (default; also
 * "on", "true", "yes") sends lm-eval's prefilled request, 0 ("off",
 * "false", "no") qeval's letter recipe.  QEVAL_OK with *prefill set, or
 * QEVAL_EINVAL after telling the host.
 */
int	 mc_opt_prefill(const struct qeval_host *, struct qeval_ctx *,
	    const char *task, int *prefill);

/*
 * The shared option checks of open(): --num-fewshot at most
 * MC_MAX_SHOTS and none for a generative task (gen), and task option
 * max_tokens= (left as it is when absent).  QEVAL_OK, or the error the
 * host was told of.
 */
int	 mc_check_shots(const struct qeval_host *, struct qeval_ctx *,
	    const char *task, int nshot, int gen);
int	 mc_opt_max_tokens(const struct qeval_host *, struct qeval_ctx *,
	    const char *task, int *max_tokens);

/*
 * The few-shot examples of test item i, as lm-eval draws them: one
 * random.sample of the nsrc-item pool per test item, in order, from
 * one generator.  When same (the pool is the evaluated set) one more is
 * drawn and the item itself dropped.  *shots gets a calloc'd array of
 * nshot indices into the pool (nshot >= 1, at most MC_MAX_SHOTS; nsrc
 * at least nshot, or nshot + 1 when same): 0, or -1 out of memory.
 */
int	 mc_draw_shots(struct qp_mt *, size_t i, size_t nsrc, int nshot,
	    int same, size_t **shots);

/*
 * The body of a log-likelihood request: {"context": <ctx>,
 * "continuations": [" " + choice, ...]} (lm-eval's target_delimiter
 * " "), where ctx is what tmp holds on entry (tmp is reused).  Sets
 * req's kind, max_tokens (1) and label.
 */
void	 mc_ll_request(struct qp_buf *body, struct qp_buf *tmp,
	    char *const *choice, size_t n, const char *label,
	    struct qeval_request *req);

/*
 * The options of a lettered prompt: "\nA. {choice}" for each, then the
 * instruction to finish with "The best answer is X", X being A, B or C
 * (as many letters as choices).
 */
void	 mc_letter_options(struct qp_buf *, char *const *choice, size_t n);
/*
 * The body of a generative request for the prompt that tmp holds: one
 * user message if chat, else the prompt plus "\nAnswer:" (appended to
 * tmp).  Sets req's kind, max_tokens and label ("answer").
 */
void	 mc_gen_request(struct qp_buf *body, struct qp_buf *tmp, int chat,
	    int max_tokens, struct qeval_request *req);

/*
 * lm-eval's arc_challenge_chat request for the prompt that tmp holds.
 * Chat: the user turn, then an assistant turn holding MC_PREFIX that
 * the server continues ("continue_final_message": true,
 * "add_generation_prompt": false, vLLM's fields; llama.cpp continues a
 * final assistant turn by itself).  Completions: the prompt + " " +
 * MC_PREFIX (lm-eval's target_delimiter, then gen_prefix).  Both stop
 * at "\n\n" and "."; max_tokens new tokens (MC_CHAT_TOKENS is the
 * recipe's).  Sets req's kind, max_tokens and label ("answer").
 */
void	 mc_prefill_request(struct qp_buf *body, struct qp_buf *tmp,
	    int chat, int max_tokens, struct qeval_request *req);
/* 1 if req is such a prefilled request (read from its body, so that a
 * rescore judges the request that was sent, whatever the options). */
int	 mc_is_prefilled(const struct qeval_request *req);

/*
 * Python's str.strip() on UTF-8 text: the span [*start, *end) of s
 * (len bytes) less leading and trailing str.isspace() code points.
 */
void	 mc_py_strip(const char *s, size_t len, size_t *start, size_t *end);

/*
 * Scores the continuation of a prefilled request as arc_challenge_chat
 * does: the text up to the first stop ("\n\n", "."; the server has
 * usually cut it there already), filter remove_whitespace (str.strip())
 * and take_first, then exact_match with ignore_case and
 * ignore_punctuation against target (lower(), string.punctuation
 * deleted from both, then equality).  Sets exact_match, invalid (the
 * prediction is not one option letter A to the n-th), truncated and
 * MC_QEXT (0), the extracted prediction (into ext) and the reason.
 * Returns 1 on a match, else 0.
 */
int	 mc_score_em(const struct qeval_response *, size_t n,
	    const char *target, struct qp_buf *reason, struct qp_buf *ext,
	    struct qeval_verdict *out);

/*
 * acc and acc_norm of a log-likelihood response over the n choices
 * (acc_norm divides by the choice's length in code points; ties go to
 * the first, as numpy.argmax): sets out->values[MC_ACC] and
 * [MC_ACC_NORM], *pick and *pick_n, and returns 0.  When the response
 * does not hold n log-likelihoods: scores 0, marks the verdict invalid
 * with extracted "[invalid]", writes reason ("... for n <what>") and
 * returns -1.
 */
int	 mc_score_ll(const struct qeval_response *, char *const *choice,
	    size_t n, size_t gold, const char *what, struct qp_buf *reason,
	    struct qeval_verdict *out, size_t *pick, size_t *pick_n);
/* Appends "logprobs":[...],"chars":[...],"greedy":[...] (a detail's). */
void	 mc_ll_detail(struct qp_buf *, const struct qeval_response *,
	    char *const *choice, size_t n);

/*
 * Scores a generative answer of qeval's letter recipe (prefill=0) over
 * n options: exact_match, invalid, truncated and MC_QEXT (1) values and
 * flags, the extracted letter (into ext, extsz
 * bytes) and the reason.  Returns the option index or -1; *rule as
 * mc_extract_letter() sets it.
 */
int	 mc_score_letter(const struct mc_rules *, const struct qeval_host *,
	    const struct qeval_response *, size_t n, size_t gold,
	    struct qp_buf *reason, char *ext, size_t extsz,
	    struct qeval_verdict *out, const char **rule);

/*
 * The answer of a model that picks option win: for a log-likelihood
 * request, lp and greedy (n entries, owned by the caller) favour it;
 * for a prefilled request the continuation " " + answer (answer: the
 * target string, or the letter when NULL); else "The best answer is X."
 * into text.  0, or -1 out of memory.
 */
int	 mc_gold(const struct qeval_request *, size_t n, size_t win,
	    const char *answer, double *lp, uint8_t *greedy,
	    struct qp_buf *text, struct qeval_gold *out);

#endif
