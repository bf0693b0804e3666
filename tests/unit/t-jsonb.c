#include "config.h"

#include <string.h>

#include "jsonb.h"
#include "run.h"
#include "strbuf.h"
#include "tap.h"

/* A string literal and its length. */
#define L(s)	(s), sizeof(s) - 1

static int
same(const struct strbuf *sb, const char *want, size_t wlen)
{
	return (sb->len == wlen && memcmp(sb->buf, want, wlen) == 0);
}

int
main(void)
{
	/* Python: the bytes below .decode("utf-8", "replace") gives
	 * 'a\ufffdb\ufffdc\ufffd\ufffd\ufffdd\U0001f600e\ufffd\ufffd'
	 * '\ufffd\ufffdf\ufffd\ufffdg\ufffd\ufffdh\ufffd' */
	static const char bad[] = "a\xff" "b\xe2\x82" "c\xed\xa0\x80"
	    "d\xf0\x9f\x98\x80" "e\xf4\x90\x80\x80" "f\xc0\xaf" "g\xe0\x80"
	    "h\xf1\x80\x80";
	static const char fixed[] = "a\xef\xbf\xbd" "b\xef\xbf\xbd"
	    "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "d\xf0\x9f\x98\x80"
	    "e\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "f\xef\xbf\xbd\xef\xbf\xbd" "g\xef\xbf\xbd\xef\xbf\xbd"
	    "h\xef\xbf\xbd";
	static const char *const p_content[] = { "choices", "#0", "message",
	    "content", NULL };
	static const char *const p_second[] = { "a", "#1", NULL };
	struct strbuf sb = STRBUF_INIT;
	size_t n, nbad;
	int rc;

	is_int((long long)jsonb_utf8_invalid("plain \xc3\xa9 \0 ok", 12), 0,
	    "valid UTF-8 with a NUL byte: nothing invalid");
	is_int((long long)jsonb_utf8_invalid(bad, sizeof(bad) - 1), 14,
	    "14 maximal invalid subparts, as Python counts them");
	n = jsonb_utf8_fix(&sb, bad, sizeof(bad) - 1);
	is_int((long long)n, 14, "fix: 14 replacements");
	ok(same(&sb, fixed, sizeof(fixed) - 1), "fix: U+FFFD per maximal "
	    "subpart, as bytes.decode('utf-8', 'replace')");

	strbuf_reset(&sb);
	n = jsonb_quote(&sb, "a\0b\"c\\\x01\x7f\n\xff", 10);
	is_int((long long)n, 1, "quote: one byte replaced");
	is_str(sb.buf, "\"a\\u0000b\\\"c\\\\\\u0001\\u007f\\n\xef\xbf\xbd\"",
	    "quote: NUL and controls escaped, 0xff as U+FFFD");

	nbad = 0;
	strbuf_reset(&sb);
	rc = jsonb_str(L("{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":"
	    "{\"role\":\"assistant\",\"content\":\"A\\u0000B \\ud83d\\ude00"
	    " \\ud800!\\n\"}}]}"), p_content, &sb, &nbad);
	ok(rc == 1 && same(&sb, "A\0B \xf0\x9f\x98\x80 \xef\xbf\xbd!\n", 14),
	    "\\u0000 is a NUL byte inside the text; a surrogate pair is one "
	    "character; a lone surrogate is U+FFFD");
	is_int((long long)nbad, 1, "the lone surrogate is counted");

	strbuf_reset(&sb);
	rc = jsonb_str(L("{\"a\": [ {\"x\": [1, \"]\"]}, \"two\" ]}"),
	    p_second, &sb, NULL);
	ok(rc == 1 && strcmp(sb.buf, "two") == 0, "array index after a "
	    "nested value holding a bracket in a string");
	strbuf_reset(&sb);
	rc = jsonb_str(L("{\"choices\":[{\"message\":{\"content\":null}}]}"),
	    p_content, &sb, NULL);
	is_int(rc, 0, "null content: not a string");
	rc = jsonb_str(L("{\"choices\":[]}"), p_content, &sb, NULL);
	is_int(rc, 0, "empty array: absent");
	rc = jsonb_str(L("{\"choices\":[{\"message\":{\"content\":\"ab"),
	    p_content, &sb, NULL);
	is_int(rc, -1, "cut text: not JSON");
	rc = jsonb_str(L("{\"a\\u0062\":\"v\"}"),
	    (const char *const[]){ "ab", NULL }, &sb, NULL);
	ok(rc == 1, "escaped keys are compared decoded");

	ok(jsonb_has_nonfinite(L("{\"lp\":[-1.5,NaN]}")), "NaN found");
	ok(jsonb_has_nonfinite(L("{\"lp\":[-Infinity]}")),
	    "-Infinity found");
	ok(!jsonb_has_nonfinite(L("{\"t\":\"NaN and Infinity\"}")),
	    "not inside strings");

	/* run_strip_think() works on bytes too. */
	{
		char t1[] = "a\0<think>x\0y</think>\n b\0c";
		char t2[] = "\0<think>open";

		n = run_strip_think(t1, sizeof(t1) - 1);
		ok(n == 5 && memcmp(t1, "a\0b\0c", 6) == 0, "think block "
		    "between NUL bytes removed, the bytes after it kept");
		n = run_strip_think(t2, sizeof(t2) - 1);
		ok(n == sizeof(t2) - 1, "unclosed block after a NUL kept");
	}
	strbuf_release(&sb);
	/* The NUL stand-in around a cJSON round trip. */
	{
		static const char j1[] = "{\"a\":\"x\\u0000y\",\"b\":\"\\\\u0000\"}";
		static const char j2[] = "{\"a\":\"\\u0000 \xf4\x8f\xbf\xbf "
		    "\\uDBFF\\uDFFE\"}";
		static const char j3[] = "{\"a\":\"\\\\u0000\"}";
		struct strbuf h = STRBUF_INIT, r = STRBUF_INIT;

		rc = jsonb_nul_hide(&h, j1, sizeof(j1) - 1);
		is_int(rc, 0, "nul_hide: U+10FFFF stands in");
		is_str(h.buf, "{\"a\":\"x\\udbff\\udfffy\",\"b\":\"\\\\u0000\"}",
		    "only the real escape is replaced, not \\\\u0000");
		jsonb_nul_restore(&r, "x\xf4\x8f\xbf\xbfy", 6, rc);
		is_str(r.buf, "x\\u0000y", "nul_restore writes \\u0000 back");
		strbuf_reset(&h);
		rc = jsonb_nul_hide(&h, j2, sizeof(j2) - 1);
		is_int(rc, 2, "a text holding U+10FFFF (raw) and U+10FFFE "
		    "(escaped) gets U+FFFFF");
		strbuf_reset(&h);
		is_int(jsonb_nul_hide(&h, j3, sizeof(j3) - 1), -1,
		    "no \\u0000 escape: nothing to hide");
		is_int((long long)h.len, 0, "and nothing written");
		strbuf_release(&h);
		strbuf_release(&r);
	}
	return (tap_done());
}
