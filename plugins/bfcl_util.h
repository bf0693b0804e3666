/*
 * bfcl_util: small helpers that the bfcl plugin's two halves share
 * (plugins/bfcl.c, the AST categories; plugins/bfcl_mt.c, the
 * multi-turn ones): the line reader of the JSON-lines data files, the
 * table of a possible_answer file and a UTF-8-safe clip of a text
 * field.  Internal to the plugin: hidden
 * symbols only.
 */
#ifndef QEVAL_BFCL_UTIL_H
#define QEVAL_BFCL_UTIL_H

#include <stddef.h>

#include <qeval/plugin.h>

#include "bfcl_ast.h"
#include "qp.h"

/* A data file in memory, read line by line. */
struct bfcl_lines {
	char	*data;
	size_t	 len, pos;
	size_t	 lineno;	/* of the line last returned, from 1 */
};

/* Next non-blank line into *s, *n (no '\n'); 0 at the end. */
BFCL_HIDDEN int	 bfcl_next_line(struct bfcl_lines *, const char **s,
		    size_t *n);

/* The string of v, or NULL when v is NULL or not a string. */
BFCL_HIDDEN const char *bfcl_vstr(const struct bv *v);

/*
 * Keeps a buffer to at most max bytes, cut on a UTF-8 boundary and
 * marked by "..." (then max + 3 bytes at most); nothing when it fits.
 */
BFCL_HIDDEN void bfcl_clip(struct qp_buf *, size_t max);

/* The records of a possible_answer file, in file order. */
struct bfcl_truths {
	char		**id;
	struct bv	 *gt;	/* ground_truth of id[k]; owned */
	size_t		  n;
};

/*
 * Reads the possible_answer file `path` into t (zeroed by the caller).
 * A record without 'id' or 'ground_truth' fails naming file and line,
 * the message ending in `hint` ("" for none).  QEVAL_OK, or an error
 * after h->fail(); either way bfcl_truths_free() releases t.
 */
BFCL_HIDDEN int	 bfcl_truths_read(struct bfcl_truths *t,
		    const struct qeval_host *h, struct qeval_ctx *ctx,
		    const char *path, const char *hint);
/*
 * The index of id, tried first at `guess` (the files keep the question
 * order), or t->n when it is not there.
 */
BFCL_HIDDEN size_t bfcl_truths_find(const struct bfcl_truths *t,
		    size_t guess, const char *id);
BFCL_HIDDEN void bfcl_truths_free(struct bfcl_truths *t);

#endif
