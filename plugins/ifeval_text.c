/*
 * ifeval_text: the few pieces of Python's str that IFEval's checkers
 * lean on (strip, lower, upper, isupper, islower), on UTF-8, with the
 * Unicode tables of the C library's C.UTF-8 locale.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <wctype.h>

#include "ifeval.h"

/* Decodes the code point at s[i]; returns its length (1 for a bad
 * byte, which decodes to U+FFFD). */
size_t
ife_u8dec(const char *s, size_t len, size_t i, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s + i;
	size_t left = len - i, n, k;
	uint32_t c;

	if (u[0] < 0x80) {
		*cp = u[0];
		return (1);
	}
	if ((u[0] & 0xe0) == 0xc0) {
		n = 2;
		c = u[0] & 0x1f;
	} else if ((u[0] & 0xf0) == 0xe0) {
		n = 3;
		c = u[0] & 0x0f;
	} else if ((u[0] & 0xf8) == 0xf0) {
		n = 4;
		c = u[0] & 0x07;
	} else {
		*cp = 0xfffd;
		return (1);
	}
	if (n > left) {
		*cp = 0xfffd;
		return (1);
	}
	for (k = 1; k < n; k++) {
		if ((u[k] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return (1);
		}
		c = (c << 6) | (u[k] & 0x3f);
	}
	*cp = c;
	return (n);
}

void
ife_u8enc(struct qp_buf *b, uint32_t c)
{
	char t[4];

	if (c < 0x80) {
		t[0] = (char)c;
		qp_buf_add(b, t, 1);
	} else if (c < 0x800) {
		t[0] = (char)(0xc0 | (c >> 6));
		t[1] = (char)(0x80 | (c & 0x3f));
		qp_buf_add(b, t, 2);
	} else if (c < 0x10000) {
		t[0] = (char)(0xe0 | (c >> 12));
		t[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		t[2] = (char)(0x80 | (c & 0x3f));
		qp_buf_add(b, t, 3);
	} else {
		t[0] = (char)(0xf0 | (c >> 18));
		t[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		t[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		t[3] = (char)(0x80 | (c & 0x3f));
		qp_buf_add(b, t, 4);
	}
}

/* Python's str.isspace(). */
static int
py_space(uint32_t c)
{
	return ((c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) ||
	    c == 0x85 || c == 0xa0 || c == 0x1680 ||
	    (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	    c == 0x202f || c == 0x205f || c == 0x3000);
}

/* str.strip(): [*a, *b) is s without leading and trailing whitespace. */
void
ife_strip(const char *s, size_t len, size_t *a, size_t *b)
{
	size_t i = 0, j = len, k;
	uint32_t c;

	while (i < len) {
		k = ife_u8dec(s, len, i, &c);
		if (!py_space(c))
			break;
		i += k;
	}
	while (j > i) {
		size_t p = j - 1;

		while (p > i && ((unsigned char)s[p] & 0xc0) == 0x80)
			p--;
		(void)ife_u8dec(s, len, p, &c);
		if (!py_space(c))
			break;
		j = p;
	}
	*a = i;
	*b = j;
}

static uint32_t
cp_lower(const struct ifeval *g, uint32_t c)
{
	if (c < 0x80)
		return (c >= 'A' && c <= 'Z' ? c + 32 : c);
	if (g->loc == (locale_t)0)
		return (c);
	return ((uint32_t)towlower_l((wint_t)c, g->loc));
}

static uint32_t
cp_upper(const struct ifeval *g, uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z' ? c - 32 : c);
	if (g->loc == (locale_t)0)
		return (c);
	return ((uint32_t)towupper_l((wint_t)c, g->loc));
}

static int
cp_isupper(const struct ifeval *g, uint32_t c)
{
	if (c < 0x80)
		return (c >= 'A' && c <= 'Z');
	return (g->loc != (locale_t)0 && iswupper_l((wint_t)c, g->loc));
}

static int
cp_islower(const struct ifeval *g, uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z');
	return (g->loc != (locale_t)0 && iswlower_l((wint_t)c, g->loc));
}

/* Python's str.isupper() on one character. */
int
ife_isupper_cp(const struct ifeval *g, uint32_t c)
{
	return (cp_isupper(g, c));
}

/* s with each code point mapped by f; what is not UTF-8 kept as is. */
static void
map_case(const struct ifeval *g, const char *s, size_t len,
    struct qp_buf *out, uint32_t (*f)(const struct ifeval *, uint32_t))
{
	size_t i = 0;
	uint32_t c;

	qp_buf_reset(out);
	qp_buf_add(out, "", 0);
	while (i < len) {
		size_t k = ife_u8dec(s, len, i, &c);

		if (c == 0xfffd)
			qp_buf_add(out, s + i, k);
		else
			ife_u8enc(out, f(g, c));
		i += k;
	}
}

void
ife_lower(const struct ifeval *g, const char *s, size_t len,
    struct qp_buf *out)
{
	map_case(g, s, len, out, cp_lower);
}

void
ife_upper(const struct ifeval *g, const char *s, size_t len,
    struct qp_buf *out)
{
	map_case(g, s, len, out, cp_upper);
}

/* str.isupper(): some cased character and no lower-case one. */
int
ife_isupper(const struct ifeval *g, const char *s, size_t len)
{
	size_t i = 0;
	uint32_t c;
	int cased = 0;

	while (i < len) {
		i += ife_u8dec(s, len, i, &c);
		if (cp_islower(g, c))
			return (0);
		if (cp_isupper(g, c))
			cased = 1;
	}
	return (cased);
}

/* str.islower(): some cased character and no upper-case one. */
int
ife_islower(const struct ifeval *g, const char *s, size_t len)
{
	size_t i = 0;
	uint32_t c;
	int cased = 0;

	while (i < len) {
		i += ife_u8dec(s, len, i, &c);
		if (cp_isupper(g, c))
			return (0);
		if (cp_islower(g, c))
			cased = 1;
	}
	return (cased);
}
