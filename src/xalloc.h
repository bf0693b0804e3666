/*
 * Allocation that cannot fail: on exhaustion the process prints one line
 * and exits with status 1 (qeval's "run error").  The journal is written
 * line by line with write(2), so nothing already finished is lost.
 */
#ifndef QEVAL_XALLOC_H
#define QEVAL_XALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
/* Grows *ptr to hold at least n elements of size sz; *alloc is updated. */
void	*xgrow(void *ptr, size_t n, size_t sz, size_t *alloc);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
void	 xalloc_die(void) __attribute__((noreturn));

#endif
