#include "config.h"
#include "rx.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct qeval_regex {
	unsigned	 magic;
#define RX_MAGIC	 0x52580a11u
	pcre2_code	*code;
	int		 ngroups;
};

struct qeval_regex *
rx_compile(const char *pattern, uint32_t flags, struct strbuf *err)
{
	struct qeval_regex *rx;
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	int ecode;
	PCRE2_SIZE eoff;
	uint32_t cap = 0;

	if (flags & QEVAL_RX_CASELESS)
		opts |= PCRE2_CASELESS;
	if (flags & QEVAL_RX_DOTALL)
		opts |= PCRE2_DOTALL;
	if (flags & QEVAL_RX_MULTILINE)
		opts |= PCRE2_MULTILINE;
	rx = xcalloc(1, sizeof(*rx));
	rx->magic = RX_MAGIC;
	rx->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    opts, &ecode, &eoff, NULL);
	if (rx->code == NULL) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(ecode, msg, sizeof(msg));
		strbuf_addf(err, "bad regex '%s' at offset %zu: %s", pattern,
		    (size_t)eoff, (const char *)msg);
		free(rx);
		return (NULL);
	}
	/* JIT is an optimisation; its absence is not an error. */
	(void)pcre2_jit_compile(rx->code, PCRE2_JIT_COMPLETE);
	pcre2_pattern_info(rx->code, PCRE2_INFO_CAPTURECOUNT, &cap);
	rx->ngroups = (int)cap + 1;
	return (rx);
}

int
rx_match(const struct qeval_regex *rx, const char *subject, size_t len,
    size_t offset, struct qeval_match *m)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	int rc, i, n;

	if (rx == NULL || rx->magic != RX_MAGIC)
		return (-1);
	if (offset > len)
		return (0);
	md = pcre2_match_data_create_from_pattern(rx->code, NULL);
	if (md == NULL)
		return (-1);
	rc = pcre2_match(rx->code, (PCRE2_SPTR)subject, len, offset, 0, md,
	    NULL);
	if (rc < 0) {
		pcre2_match_data_free(md);
		/* PCRE2_MATCH_INVALID_UTF makes bad UTF-8 a non-match. */
		return (rc == PCRE2_ERROR_NOMATCH ? 0 : -1);
	}
	if (m != NULL) {
		ov = pcre2_get_ovector_pointer(md);
		n = rx->ngroups < QEVAL_RX_MAXGROUPS ? rx->ngroups :
		    QEVAL_RX_MAXGROUPS;
		m->ngroups = n;
		for (i = 0; i < QEVAL_RX_MAXGROUPS; i++) {
			if (i < n && i < rc && ov[2 * i] != PCRE2_UNSET) {
				m->start[i] = ov[2 * i];
				m->end[i] = ov[2 * i + 1];
			} else {
				m->start[i] = QEVAL_RX_UNSET;
				m->end[i] = QEVAL_RX_UNSET;
			}
		}
	}
	pcre2_match_data_free(md);
	return (1);
}

void
rx_free(struct qeval_regex *rx)
{
	if (rx == NULL)
		return;
	pcre2_code_free(rx->code);
	rx->magic = 0;
	free(rx);
}
