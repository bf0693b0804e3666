#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "tap.h"

int
main(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *p;
	size_t len;
	int i;

	is_str(sb.buf, "", "fresh buffer is an empty string");
	strbuf_addf(&sb, "%d-%s", 42, "x");
	is_str(sb.buf, "42-x", "addf formats");
	for (i = 0; i < 1000; i++)
		strbuf_adds(&sb, "abcdefghij");
	is_int((long long)sb.len, 4 + 10000, "adds grows past many reallocs");
	ok(sb.buf[sb.len] == '\0', "always NUL-terminated");
	strbuf_reset(&sb);
	is_int((long long)sb.len, 0, "reset empties");
	strbuf_add_json_str(&sb, "a\"b\\c\n\x01", 7);
	is_str(sb.buf, "\"a\\\"b\\\\c\\n\\u0001\"", "json escaping");
	strbuf_reset(&sb);
	strbuf_add(&sb, "a\0b", 3);
	is_int((long long)sb.len, 3, "embedded NUL kept");
	p = strbuf_detach(&sb, &len);
	ok(p != NULL && len == 3 && memcmp(p, "a\0b", 3) == 0, "detach");
	is_str(sb.buf, "", "detached buffer is reset");
	strbuf_release(&sb);
	free(p);
	return (tap_done());
}
