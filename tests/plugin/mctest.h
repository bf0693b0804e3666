/*
 * mctest: what the tests of the multiple-choice plugins (t-arc,
 * t-hellaswag) share: a fixed generative answer, reopening a task with
 * another --num-fewshot, and the reference model over a whole real set.
 */
#ifndef QEVAL_MCTEST_H
#define QEVAL_MCTEST_H

#include <stddef.h>

#include "plugtest.h"

/* The answer mctest_text() gives, and its finish_reason (NULL: "stop"). */
extern const char *mctest_gen_text;
extern const char *mctest_gen_finish;

/* plugtest_answer_fn: mctest_gen_text, whatever the request. */
int	 mctest_text(void *arg, size_t sample, const struct qeval_request *req,
	    struct plugtest_answer *out);
/* Closes pt's task and opens it again with --num-fewshot nshot: 0 or the
 * plugin's error (host_ctx_msg(&pt->ctx) says why). */
int	 mctest_reopen(struct plugtest *pt, int nshot);
/*
 * The gold and the corrupted answers to samples 0 to n-1 of an open
 * generative task: "<what> gold <i>" checks exact_match 1 and invalid 0,
 * "<what> corrupt <i>" exact_match 0 and invalid 0.
 */
void	 mctest_gold_corrupt(struct plugtest *pt, size_t n, const char *what);
/*
 * The reference model on plugin's task over the real set (want_n items):
 * every item right with the gold answer (acc and acc_norm 1, or
 * exact_match 1 and invalid 0), every one wrong with the corrupted one.
 */
void	 mctest_full_set(const char *plugin, const char *task, size_t want_n);

#endif
