#include "config.h"
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
xalloc_die(void)
{
	static const char msg[] = "qeval: out of memory\n";

	/* write(2) rather than stdio: stdio may itself need memory. */
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		xalloc_die();
	return (p);
}

void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (p == NULL)
		xalloc_die();
	return (p);
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		xalloc_die();
	return (q);
}

void *
xgrow(void *p, size_t n, size_t sz, size_t *alloc)
{
	size_t a = *alloc;

	if (n <= a)
		return (p);
	if (a < 8)
		a = 8;
	while (a < n) {
		if (a > SIZE_MAX / 2)
			xalloc_die();
		a *= 2;
	}
	if (sz != 0 && a > SIZE_MAX / sz)
		xalloc_die();
	*alloc = a;
	return (xrealloc(p, a * sz));
}

char *
xstrdup(const char *s)
{
	return (xstrndup(s, strlen(s)));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return (p);
}
