#include "config.h"
#include "jsonb.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

static const char replacement[] = "\xef\xbf\xbd";	/* U+FFFD */

/*
 * The sequence at p (n > 0 bytes): its length if it is valid UTF-8,
 * else minus the length of its maximal invalid subpart (Unicode 3.9,
 * "U+FFFD substitution of maximal subparts", as Python decodes).
 */
static long
utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (c < 0x80)
		return (1);
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return (-1);
	for (i = 1; i <= need; i++) {
		if (i >= n || p[i] < lo || p[i] > hi)
			return (-(long)i);
		lo = 0x80;
		hi = 0xbf;
	}
	return ((long)need + 1);
}

size_t
jsonb_utf8_invalid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, bad = 0;
	long k;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_seq(p + i, len - i);
		if (k < 0) {
			bad++;
			k = -k;
		}
		i += (size_t)k;
	}
	return (bad);
}

/*
 * The JSON escape of the ASCII byte c (written into u, 7 bytes, when it
 * has no short form), or NULL if a string literal may hold c raw.
 */
static const char *
json_escape(unsigned char c, char *u)
{
	static const char hex[] = "0123456789abcdef";

	if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
		return (NULL);
	switch (c) {
	case '"':	return ("\\\"");
	case '\\':	return ("\\\\");
	case '\n':	return ("\\n");
	case '\r':	return ("\\r");
	case '\t':	return ("\\t");
	case '\b':	return ("\\b");
	case '\f':	return ("\\f");
	default:
		u[0] = '\\';
		u[1] = 'u';
		u[2] = '0';
		u[3] = '0';
		u[4] = hex[c >> 4];
		u[5] = hex[c & 15];
		u[6] = '\0';
		return (u);
	}
}

/*
 * The one loop of jsonb_utf8_fix() and jsonb_quote(): appends s to out,
 * unchanged runs copied whole, every maximal invalid UTF-8 subpart
 * replaced by U+FFFD and, if quote, every byte that json_escape() names
 * escaped.  Returns the number of replacements.
 */
static size_t
put_text(struct strbuf *out, const char *s, size_t len, int quote)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0, next, bad = 0;
	const char *put;
	char u[7];
	long k;

	while (i < len) {
		if (p[i] >= 0x80) {
			k = utf8_seq(p + i, len - i);
			if (k > 0) {
				i += (size_t)k;
				continue;
			}
			put = replacement;
			next = i + (size_t)-k;
			bad++;
		} else if (quote && (put = json_escape(p[i], u)) != NULL)
			next = i + 1;
		else {
			i++;
			continue;
		}
		strbuf_add(out, s + run, i - run);
		strbuf_adds(out, put);
		i = run = next;
	}
	strbuf_add(out, s + run, len - run);
	return (bad);
}

size_t
jsonb_utf8_fix(struct strbuf *out, const char *s, size_t len)
{
	return (put_text(out, s, len, 0));
}

size_t
jsonb_quote(struct strbuf *out, const char *s, size_t len)
{
	size_t bad;

	strbuf_addch(out, '"');
	bad = put_text(out, s, len, 1);
	strbuf_addch(out, '"');
	return (bad);
}

/* ------------------------------------------------------------------ */
/* Reading                                                            */

static size_t
ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'))
		i++;
	return (i);
}

static void
put_utf8(struct strbuf *out, uint32_t cp)
{
	char b[4];

	if (cp < 0x80) {
		strbuf_addch(out, (int)cp);
		return;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		strbuf_add(out, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		strbuf_add(out, b, 3);
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		strbuf_add(out, b, 4);
	}
}

static int
hex4(const char *s, size_t len, size_t i, uint32_t *v)
{
	size_t k;

	*v = 0;
	if (len < 4 || i > len - 4)
		return (-1);
	for (k = 0; k < 4; k++) {
		char c = s[i + k];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (uint32_t)(c - 'A' + 10);
		else
			return (-1);
	}
	return (0);
}

/*
 * The string literal at s[i] (a '"'): decoded into out if out is not
 * NULL.  Returns the index after the closing quote, or (size_t)-1.
 */
static size_t
string_at(const char *s, size_t len, size_t i, struct strbuf *out,
    size_t *bad)
{
	size_t run;
	uint32_t cp, lo;

	if (i >= len || s[i] != '"')
		return ((size_t)-1);
	run = ++i;
	while (i < len) {
		char c = s[i];

		if (c == '"') {
			if (out != NULL)
				strbuf_add(out, s + run, i - run);
			return (i + 1);
		}
		if (c != '\\') {
			i++;
			continue;
		}
		if (out != NULL)
			strbuf_add(out, s + run, i - run);
		if (++i >= len)
			return ((size_t)-1);
		switch (s[i]) {
		case '"': case '\\': case '/':
			cp = (unsigned char)s[i];
			break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (hex4(s, len, i + 1, &cp) != 0)
				return ((size_t)-1);
			i += 4;
			if (cp >= 0xd800 && cp <= 0xdbff && i + 6 < len &&
			    s[i + 1] == '\\' && s[i + 2] == 'u' &&
			    hex4(s, len, i + 3, &lo) == 0 &&
			    lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 6;
			} else if (cp >= 0xd800 && cp <= 0xdfff) {
				cp = 0xfffd;	/* a lone surrogate */
				if (bad != NULL && out != NULL)
					(*bad)++;
			}
			break;
		default:
			return ((size_t)-1);
		}
		if (out != NULL)
			put_utf8(out, cp);
		run = ++i;
	}
	return ((size_t)-1);
}

/* The index after the value at s[i], or (size_t)-1. */
static size_t
skip_value(const char *s, size_t len, size_t i)
{
	size_t depth = 0;

	i = ws(s, len, i);
	if (i >= len)
		return ((size_t)-1);
	if (s[i] == '"')
		return (string_at(s, len, i, NULL, NULL));
	if (s[i] != '{' && s[i] != '[') {
		size_t st = i;

		while (i < len && ((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'z') || s[i] == '-' ||
		    s[i] == '+' || s[i] == '.' || s[i] == 'E'))
			i++;
		return (i > st ? i : (size_t)-1);
	}
	/* Containers: brackets counted, strings skipped whole. */
	while (i < len) {
		char c = s[i];

		if (c == '"') {
			if ((i = string_at(s, len, i, NULL, NULL)) ==
			    (size_t)-1)
				return (i);
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			if (depth == 0)
				return ((size_t)-1);
			if (--depth == 0)
				return (i + 1);
		}
		i++;
	}
	return ((size_t)-1);
}

/*
 * The index of the next element or member after the value at s[i] (its
 * comma skipped; the closing bracket when it was the last), or
 * (size_t)-1.
 */
static size_t
next_member(const char *s, size_t len, size_t i)
{
	if ((i = skip_value(s, len, i)) == (size_t)-1)
		return (i);
	i = ws(s, len, i);
	if (i < len && s[i] == ',')
		i = ws(s, len, i + 1);
	return (i);
}

/* Parses "#N"; -1 if key is not an index. */
static long
index_key(const char *key)
{
	long v = 0;

	if (key[0] != '#' || key[1] == '\0')
		return (-1);
	for (key++; *key != '\0'; key++) {
		if (*key < '0' || *key > '9' || v > 100000000)
			return (-1);
		v = v * 10 + (*key - '0');
	}
	return (v);
}

int
jsonb_str(const char *s, size_t len, const char *const *path,
    struct strbuf *out, size_t *bad)
{
	struct strbuf key = STRBUF_INIT;
	size_t i = ws(s, len, 0);
	int rc = -1;

	for (; *path != NULL; path++) {
		long want = index_key(*path), n;
		int found = 0;

		if (i >= len)
			goto out;
		if (want >= 0) {
			if (s[i] != '[') {
				rc = 0;
				goto out;
			}
			i = ws(s, len, i + 1);
			for (n = 0; i < len && s[i] != ']'; n++) {
				if (n == want) {
					found = 1;
					break;
				}
				if ((i = next_member(s, len, i)) == (size_t)-1)
					goto out;
			}
		} else {
			if (s[i] != '{') {
				rc = 0;
				goto out;
			}
			i = ws(s, len, i + 1);
			while (i < len && s[i] != '}') {
				strbuf_reset(&key);
				if ((i = string_at(s, len, i, &key, NULL)) ==
				    (size_t)-1)
					goto out;
				i = ws(s, len, i);
				if (i >= len || s[i] != ':')
					goto out;
				i = ws(s, len, i + 1);
				if (key.len == strlen(*path) &&
				    memcmp(key.buf, *path, key.len) == 0) {
					found = 1;
					break;
				}
				if ((i = next_member(s, len, i)) == (size_t)-1)
					goto out;
			}
		}
		if (!found) {
			rc = i < len ? 0 : -1;
			goto out;
		}
	}
	if (i >= len || s[i] != '"') {
		rc = i < len ? 0 : -1;
		goto out;
	}
	rc = string_at(s, len, i, out, bad) == (size_t)-1 ? -1 : 1;
out:
	strbuf_release(&key);
	return (rc);
}

int
jsonb_has_nonfinite(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (s[i] == '"') {
			i = string_at(s, len, i, NULL, NULL);
			if (i == (size_t)-1)
				return (0);
			continue;
		}
		if ((len - i >= 3 && memcmp(s + i, "NaN", 3) == 0) ||
		    (len - i >= 8 && memcmp(s + i, "Infinity", 8) == 0))
			return (1);
		i++;
	}
	return (0);
}

/* Noncharacters that stand in for U+0000 around a cJSON round trip. */
static const struct {
	const char	*esc;		/* its JSON escape, lower case */
	const char	 utf8[5];
} nul_stand[] = {
	{ "\\udbff\\udfff", "\xf4\x8f\xbf\xbf" },
	{ "\\udbff\\udffe", "\xf4\x8f\xbf\xbe" },
	{ "\\udbbf\\udfff", "\xf3\xbf\xbf\xbf" },
	{ "\\udbbf\\udffe", "\xf3\xbf\xbf\xbe" },
};

/* 1 if json holds the code point raw or as an escape (any case). */
static int
holds(const char *json, size_t len, size_t k)
{
	size_t i, j;

	for (i = 0; i + 4 <= len; i++) {
		if (memcmp(json + i, nul_stand[k].utf8, 4) == 0)
			return (1);
		if (i + 12 > len || json[i] != '\\')
			continue;
		for (j = 0; j < 12; j++)
			if (tolower((unsigned char)json[i + j]) !=
			    nul_stand[k].esc[j])
				break;
		if (j == 12)
			return (1);
	}
	return (0);
}

int
jsonb_nul_hide(struct strbuf *out, const char *json, size_t len)
{
	size_t i, k, n = sizeof(nul_stand) / sizeof(nul_stand[0]);
	int any = 0;

	/* Only a backslash that starts an escape counts: "\\u0000" is a
	 * backslash and the text u0000. */
	for (i = 0; i + 1 < len; i++)
		if (json[i] == '\\') {
			if (i + 6 <= len && memcmp(json + i, "\\u0000", 6) == 0)
				any = 1;
			i++;
		}
	if (!any)
		return (-1);
	for (k = 0; k < n; k++)
		if (!holds(json, len, k))
			break;
	if (k == n)
		return (-2);
	for (i = 0; i < len; i++) {
		if (json[i] == '\\' && i + 1 < len) {
			if (i + 6 <= len && memcmp(json + i, "\\u0000", 6) == 0) {
				strbuf_add(out, nul_stand[k].esc, 12);
				i += 5;
			} else {
				strbuf_add(out, json + i, 2);
				i++;
			}
			continue;
		}
		strbuf_add(out, json + i, 1);
	}
	return ((int)k);
}

void
jsonb_nul_restore(struct strbuf *out, const char *s, size_t len, int which)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (which >= 0 && i + 4 <= len &&
		    memcmp(s + i, nul_stand[which].utf8, 4) == 0) {
			strbuf_add(out, "\\u0000", 6);
			i += 3;
			continue;
		}
		strbuf_add(out, s + i, 1);
	}
}
