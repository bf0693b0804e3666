/*
 * jsonb: JSON strings as bytes with a length.
 *
 * cJSON keeps strings NUL-terminated, so a "\u0000" in a server's answer
 * cuts the text there, and it prints whatever bytes it holds, so invalid
 * UTF-8 in an answer would make invalid JSON in the samples and the
 * journal.  These helpers carry model text as data instead:
 *
 *   - jsonb_str() decodes one string value of a JSON text, found by a
 *     path, into bytes with a length ("\u0000" becomes a NUL byte);
 *   - jsonb_quote() writes bytes as a JSON string literal that strict
 *     parsers (Python's json.loads) accept: NUL and every control
 *     character escaped, never a raw byte that is not UTF-8;
 *   - jsonb_utf8_fix() replaces what is not UTF-8 by U+FFFD, one per
 *     maximal invalid subpart: what Python's bytes.decode("utf-8",
 *     "replace") gives.
 *
 * Every function that replaces something returns how many replacements
 * it made, so that callers can count them.
 * Ownership: output goes to the caller's strbuf.  No allocation other
 * than the strbuf's; no global state; thread-safe.
 */
#ifndef QEVAL_JSONB_H
#define QEVAL_JSONB_H

#include <stddef.h>

#include "strbuf.h"

/* Invalid UTF-8 sequences in s (0: all valid; a NUL byte is valid). */
size_t	 jsonb_utf8_invalid(const char *s, size_t len);
/*
 * Appends s to out with every maximal invalid subpart replaced by U+FFFD.
 * Returns the number of replacements.
 */
size_t	 jsonb_utf8_fix(struct strbuf *out, const char *s, size_t len);
/*
 * Appends s as a JSON string literal, quotes included: '"', '\\' and
 * the control characters U+0000-U+001F and U+007F escaped, what is not
 * UTF-8 replaced by U+FFFD.  Returns the number of replacements.
 */
size_t	 jsonb_quote(struct strbuf *out, const char *s, size_t len);
/*
 * Finds the value at `path` in the JSON text json (len bytes): a
 * NULL-terminated list of object keys, where "#N" selects element N of
 * an array.  If it is a string, appends its decoded bytes to out and
 * returns 1; a lone UTF-16 surrogate escape becomes U+FFFD, counted in
 * *bad (if bad is not NULL).  Returns 0 if the path leads nowhere or to
 * something else than a string, -1 if the text is not JSON on the way.
 * The first of duplicate keys wins, as with cJSON.
 */
int	 jsonb_str(const char *json, size_t len, const char *const *path,
	    struct strbuf *out, size_t *bad);
/*
 * 1 if json holds NaN, Infinity or -Infinity outside strings: what
 * Python's json module writes for non-finite floats, and what JSON
 * does not allow.
 */
int	 jsonb_has_nonfinite(const char *json, size_t len);
/*
 * cJSON ends a string at a decoded U+0000, so a JSON text whose strings
 * hold "\u0000" loses bytes in a parse and print round trip.  Around
 * such a round trip: jsonb_nul_hide() copies json to out with every
 * "\u0000" escape replaced by the escape of a noncharacter that the
 * text does not hold (U+10FFFF, else U+10FFFE, U+FFFFF, U+FFFFE) and
 * returns its index (0-3), or -1 when the text holds no "\u0000" (out
 * is then untouched), or -2 when it holds every candidate.  After the
 * parse and print (cJSON prints that code point as raw UTF-8),
 * jsonb_nul_restore() rewrites its UTF-8 bytes in s back to "\u0000"
 * into out.
 */
int	 jsonb_nul_hide(struct strbuf *out, const char *json, size_t len);
void	 jsonb_nul_restore(struct strbuf *out, const char *s, size_t len,
	    int which);

#endif
