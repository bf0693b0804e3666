/*
 * rx: the regex service of the host table (PCRE2, 8-bit, UTF mode).
 * A compiled pattern is immutable and may be matched from several
 * threads; each match allocates its own match data.
 * Ownership: rx_compile() returns a struct the caller frees with
 * rx_free().  Errors: rx_compile() returns NULL and appends the PCRE2
 * message with the offset to err.
 */
#ifndef QEVAL_RX_H
#define QEVAL_RX_H

#include <stddef.h>
#include <stdint.h>

#include <qeval/plugin.h>

#include "strbuf.h"

struct qeval_regex *rx_compile(const char *pattern, uint32_t flags,
	    struct strbuf *err);
/* 1 match, 0 none, < 0 error (invalid UTF-8 in the subject never matches). */
int	 rx_match(const struct qeval_regex *, const char *subject, size_t len,
	    size_t offset, struct qeval_match *);
void	 rx_free(struct qeval_regex *);

#endif
