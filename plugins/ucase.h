/*
 * ucase: Python's str.capitalize() on UTF-8 text, for lm-eval's
 * HellaSwag preprocessing (ctx_b.capitalize()).
 *
 * Python 3.8 and later: the first code point becomes its full title case
 * mapping ("ß" -> "Ss", "ǆ" -> "ǅ", "ŉ" -> "ʼN"), every other one its
 * full lower case mapping ("İ" -> "i̇"), a capital sigma becoming "ς" in
 * the Final_Sigma context (after a cased letter, not before one, case-
 * ignorable code points skipped) and "σ" elsewhere.  The tables
 * (ucase_tab.h) are generated from Python itself by
 * scripts/gen-ucase.py and cover every code point.
 *
 * Bytes that are not valid UTF-8 are copied as they are.  Compiled into
 * the plugin that uses it; nothing here is part of the ABI.
 */
#ifndef QEVAL_UCASE_H
#define QEVAL_UCASE_H

#include <stddef.h>

/* The capitalized copy of s (len bytes), malloc'd and NUL-terminated,
 * its length in *outlen unless outlen is NULL; NULL out of memory. */
char	*ucase_capitalize(const char *s, size_t len, size_t *outlen);
/* The Unicode version of the tables ("14.0.0"). */
const char *ucase_unicode_version(void);

#endif
