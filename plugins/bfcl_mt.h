/*
 * bfcl_mt: BFCL's multi-turn categories (base, miss_func, miss_param),
 * executable tool use, inside the bfcl plugin (plugins/bfcl.c).
 *
 * An entry is a conversation of several user turns over the tools of its
 * involved classes (FC mode).  next() walks the exchanges so far and asks
 * for, in turn:
 *   - a chat request (the history, the tools of the turn);
 *   - after an answer with decodable tool calls, a session EXEC request
 *     that runs them on the entry's instances (plugins/bfcl_mt.py) and
 *     whose results go back as role:tool messages; then a chat again;
 *   - after an answer with no call, the next turn;
 *   - after the last turn, or more than 20 executed steps in a turn, one
 *     one-shot EXEC request ("journal": false) that runs the checker.
 * score() reads the checker's verdict.  All of it is a pure function of
 * the exchanges, so --resume and rescore replay it.
 *
 * Internal to the plugin: hidden symbols only.
 */
#ifndef QEVAL_BFCL_MT_H
#define QEVAL_BFCL_MT_H

#include <stddef.h>

#include <qeval/plugin.h>

#include "bfcl_ast.h"

#define MT_NCAT		3
#define MT_STEP_LIMIT	20	/* BFCL's MAXIMUM_STEP_LIMIT */

/* The metrics bfcl_mt_score() fills (the bfcl plugin's order). */
#define MT_M_ACC	0
#define MT_M_VALID	1
#define MT_M_TRUNC	2

struct bfcl_mt;
struct mt_entry;

/* "multi_turn_base", "multi_turn_miss_func", "multi_turn_miss_param" */
BFCL_HIDDEN extern const char *const bfcl_mt_cats[MT_NCAT];

/*
 * Defined in bfcl.c: a function document as the model sees it (the
 * Python hint when `hint`, and for FC the OpenAI conversion).
 */
BFCL_HIDDEN int	 bfcl_tool_doc(const struct bv *src, int fc, int hint,
		    struct bv *out);

BFCL_HIDDEN struct bfcl_mt *bfcl_mt_new(const struct qeval_host *,
		    int max_tokens);
BFCL_HIDDEN void bfcl_mt_free(struct bfcl_mt *);
/*
 * Loads category cat (0 .. MT_NCAT-1) from the data dir's `dir`
 * (questions, ground truth, the tool documents).  QEVAL_OK, or an error
 * after host->fail().
 */
BFCL_HIDDEN int	 bfcl_mt_load(struct bfcl_mt *, struct qeval_ctx *,
		    const char *dir, int cat);
BFCL_HIDDEN size_t bfcl_mt_count(const struct bfcl_mt *);
BFCL_HIDDEN const struct mt_entry *bfcl_mt_entry(const struct bfcl_mt *,
		    size_t k);
BFCL_HIDDEN const char *bfcl_mt_entry_id(const struct mt_entry *);
BFCL_HIDDEN const char *bfcl_mt_entry_cat(const struct mt_entry *);

BFCL_HIDDEN int	 bfcl_mt_next(struct bfcl_mt *, struct qeval_ctx *,
		    const struct mt_entry *, const struct qeval_exchange *,
		    size_t nex, struct qeval_request *);
BFCL_HIDDEN int	 bfcl_mt_score(struct bfcl_mt *, struct qeval_ctx *,
		    const struct mt_entry *, const struct qeval_exchange *,
		    size_t nex, struct qeval_verdict *);
BFCL_HIDDEN int	 bfcl_mt_gold(struct bfcl_mt *, struct qeval_ctx *,
		    const struct mt_entry *, size_t idx,
		    const struct qeval_exchange *, size_t nex, int corrupt,
		    struct qeval_gold *);

#endif
