#include "config.h"

#include <string.h>

#include "rx.h"
#include "tap.h"

int
main(void)
{
	struct strbuf err = STRBUF_INIT;
	struct qeval_regex *rx;
	struct qeval_match m;
	const char *s;

	rx = rx_compile("(-?[$0-9.,]{2,})|(-?[0-9]+)", 0, &err);
	ok(rx != NULL, "compile lm-eval's flexible-extract regex");
	s = "it costs $1,234 or 7";
	is_int(rx_match(rx, s, strlen(s), 0, &m), 1, "match");
	is_int(m.ngroups, 3, "two groups plus the whole match");
	ok(m.start[1] == 9 && m.end[1] == 15, "group 1 offsets");
	ok(m.start[2] == QEVAL_RX_UNSET && m.end[2] == QEVAL_RX_UNSET,
	    "an unset group is QEVAL_RX_UNSET");
	is_int(rx_match(rx, s, strlen(s), 15, &m), 1, "search from an offset");
	ok(m.start[2] == 19 && m.start[1] == QEVAL_RX_UNSET,
	    "the other alternative matched");
	is_int(rx_match(rx, s, strlen(s), strlen(s) + 5, &m), 0,
	    "an offset past the end never matches");
	rx_free(rx);

	rx = rx_compile("answer is ([a-d])", QEVAL_RX_CASELESS, &err);
	s = "The ANSWER IS C.";
	is_int(rx_match(rx, s, strlen(s), 0, &m), 1, "caseless flag");
	rx_free(rx);
	rx = rx_compile("a.b", QEVAL_RX_DOTALL, &err);
	is_int(rx_match(rx, "a\nb", 3, 0, NULL), 1, "dotall flag");
	rx_free(rx);
	rx = rx_compile("^x$", QEVAL_RX_MULTILINE, &err);
	is_int(rx_match(rx, "a\nx\nb", 5, 0, NULL), 1, "multiline flag");
	rx_free(rx);

	/* Hostile subjects: invalid UTF-8 and NUL bytes are data. */
	rx = rx_compile("[0-9]+", 0, &err);
	is_int(rx_match(rx, "\xff\xfe 42", 5, 0, &m), 1,
	    "invalid UTF-8 before a match still finds it");
	is_int(rx_match(rx, "ab\0cd 7", 7, 0, &m), 1, "NUL in the subject");
	ok(m.start[0] == 6, "offset past the NUL");
	rx_free(rx);

	strbuf_reset(&err);
	rx = rx_compile("(unclosed", 0, &err);
	ok(rx == NULL && strstr(err.buf, "(unclosed") != NULL &&
	    strstr(err.buf, "offset") != NULL,
	    "a bad pattern is an error naming it and the offset (%s)",
	    err.buf);
	ok(rx_match(NULL, "x", 1, 0, NULL) < 0, "NULL regex is an error");
	rx_free(NULL);
	strbuf_release(&err);
	return (tap_done());
}
