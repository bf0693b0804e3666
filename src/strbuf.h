/*
 * A growable, always NUL-terminated byte buffer.
 *
 * Invariant: sb->buf is never NULL once initialised (STRBUF_INIT or
 * strbuf_init()), so it may be passed to any C string function.  The
 * buffer may hold NUL bytes; sb->len is authoritative.
 * Ownership: the memory belongs to the strbuf until strbuf_detach(),
 * which hands the caller a malloc'd string to free().
 * Errors: allocation failure exits through xalloc_die(); no function
 * here returns an error.
 */
#ifndef QEVAL_STRBUF_H
#define QEVAL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	size_t	 len;
	size_t	 alloc;
	char	*buf;
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT { 0, 0, strbuf_slopbuf }

void	 strbuf_init(struct strbuf *, size_t hint);
void	 strbuf_release(struct strbuf *);	/* frees; re-initialises */
void	 strbuf_reset(struct strbuf *);		/* len = 0; keeps memory */
char	*strbuf_detach(struct strbuf *, size_t *lenp);
void	 strbuf_grow(struct strbuf *, size_t extra);
void	 strbuf_add(struct strbuf *, const void *, size_t);
void	 strbuf_adds(struct strbuf *, const char *);
void	 strbuf_addch(struct strbuf *, int);
void	 strbuf_addf(struct strbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 strbuf_vaddf(struct strbuf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
void	 strbuf_setlen(struct strbuf *, size_t);
/* Appends s as a JSON string literal, quotes included. */
void	 strbuf_add_json_str(struct strbuf *, const char *s, size_t len);

#endif
