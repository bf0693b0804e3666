/*
 * bfcl_util: small helpers that the bfcl plugin's two halves share
 * (plugins/bfcl.c, the AST categories; plugins/bfcl_mt.c, the
 * multi-turn ones): the line reader of the JSON-lines data files and a
 * UTF-8-safe clip of a text field.  Internal to the plugin: hidden
 * symbols only.
 */
#ifndef QEVAL_BFCL_UTIL_H
#define QEVAL_BFCL_UTIL_H

#include <stddef.h>

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

#endif
