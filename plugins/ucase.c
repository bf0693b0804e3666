/*
 * ucase: Python's str.capitalize() (see ucase.h).
 */
#include "config.h"
#include "ucase.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ucase_range {
	uint32_t	 first, last;
	int32_t		 delta;
	uint32_t	 step;
};

struct ucase_multi {
	uint32_t	 cp;
	int		 n;
	uint32_t	 to[3];
};

struct ucase_span {
	uint32_t	 first, last;
};

#include "ucase_tab.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Index of the range that may hold c (the last one with first <= c). */
static const struct ucase_range *
find_range(const struct ucase_range *r, size_t n, uint32_t c)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r[mid].first <= c)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return (NULL);
	r += lo - 1;
	if (c > r->last || (c - r->first) % r->step != 0)
		return (NULL);
	return (r);
}

static int
in_spans(const struct ucase_span *s, size_t n, uint32_t c)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c < s[mid].first)
			hi = mid;
		else if (c > s[mid].last)
			lo = mid + 1;
		else
			return (1);
	}
	return (0);
}

/* The full mapping of c into to[] (1 to 3 code points): n. */
static int
map(const struct ucase_range *r, size_t nr, const struct ucase_multi *m,
    size_t nm, uint32_t c, uint32_t *to)
{
	const struct ucase_range *x;
	size_t i;

	for (i = 0; i < nm; i++)
		if (m[i].cp == c) {
			memcpy(to, m[i].to, sizeof(m[i].to));
			return (m[i].n);
		}
	x = find_range(r, nr, c);
	to[0] = x != NULL ? (uint32_t)((int64_t)c + x->delta) : c;
	return (1);
}

/* One code point at s[0..len) (len > 0): its value, or (uint32_t)-1
 * for a byte that starts no valid sequence; *n bytes read. */
static uint32_t
decode(const unsigned char *s, size_t len, size_t *n)
{
	uint32_t c = s[0], min;
	size_t k, need;

	*n = 1;
	if (c < 0x80)
		return (c);
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		min = 0x10000;
	} else
		return ((uint32_t)-1);
	if (need >= len)
		return ((uint32_t)-1);
	c &= 0x3fu >> need;
	for (k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return ((uint32_t)-1);
		c = (c << 6) | (s[k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
		return ((uint32_t)-1);
	*n = need + 1;
	return (c);
}

static size_t
encode(uint32_t c, char *o)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return (1);
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3f));
		return (2);
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return (3);
	}
	o[0] = (char)(0xf0 | (c >> 18));
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return (4);
}

/* 0 other, 1 cased, 2 case-ignorable (skipped by the sigma rule). */
static int
sigma_class(uint32_t c)
{
	if (c == (uint32_t)-1)
		return (0);
	if (in_spans(ignorable_spans, NELEM(ignorable_spans), c))
		return (2);
	return (in_spans(cased_spans, NELEM(cased_spans), c));
}

/*
 * CPython's handle_capital_sigma(): the capital sigma at byte offset i
 * of s is final when a cased code point precedes it and none follows,
 * case-ignorable ones skipped on both sides.
 */
static int
final_sigma(const unsigned char *s, size_t len, size_t i, size_t n)
{
	size_t j = i, k, m;
	uint32_t c;
	int cls = 0;

	while (j > 0) {
		/* the code point that ends at j, or the one byte before j */
		k = j - 1;
		while (k > 0 && j - k < 4 && (s[k] & 0xc0) == 0x80)
			k--;
		c = decode(s + k, len - k, &m);
		if (c == (uint32_t)-1 || k + m != j) {
			c = (uint32_t)-1;
			k = j - 1;
		}
		cls = sigma_class(c);
		j = k;
		if (cls != 2)
			break;
	}
	if (cls != 1)
		return (0);
	for (j = i + n; j < len; j += m) {
		cls = sigma_class(decode(s + j, len - j, &m));
		if (cls != 2)
			return (cls != 1);
	}
	return (1);
}

const char *
ucase_unicode_version(void)
{
	return (UCASE_UNICODE);
}

char *
ucase_capitalize(const char *str, size_t len, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)str;
	/* a code point of n bytes maps to at most 3 of at most 4 bytes */
	char *out = malloc(len * 6 + 1), *o = out;
	uint32_t c, to[3];
	size_t i = 0, n;
	int k, nto;

	if (out == NULL)
		return (NULL);
	while (i < len) {
		c = decode(s + i, len - i, &n);
		if (c == (uint32_t)-1) {
			*o++ = (char)s[i];
		} else if (i == 0) {
			nto = map(title_ranges, NELEM(title_ranges),
			    title_multi, NELEM(title_multi), c, to);
			for (k = 0; k < nto; k++)
				o += encode(to[k], o);
		} else if (c == 0x3a3) {
			o += encode(final_sigma(s, len, i, n) ? 0x3c2 : 0x3c3,
			    o);
		} else {
			nto = map(lower_ranges, NELEM(lower_ranges),
			    lower_multi, NELEM(lower_multi), c, to);
			for (k = 0; k < nto; k++)
				o += encode(to[k], o);
		}
		i += n;
	}
	*o = '\0';
	if (outlen != NULL)
		*outlen = (size_t)(o - out);
	return (out);
}
