#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "journal.h"
#include "tap.h"

static void
rec(struct journal *j, const char *task, const char *s, int k,
    const char *h, const char *text)
{
	struct strbuf sb = STRBUF_INIT, err = STRBUF_INIT;

	strbuf_addf(&sb, "{\"t\":\"%s\",\"s\":\"%s\",\"c\":0,\"k\":%d,"
	    "\"h\":\"%s\",\"r\":{\"text\":\"%s\"}}", task, s, k, h, text);
	if (journal_append(j, sb.buf, sb.len, &err) != 0)
		printf("# append failed: %s\n", err.buf);
	strbuf_release(&sb);
	strbuf_release(&err);
}

static const char *
text_of(const cJSON *r)
{
	const cJSON *resp = cJSON_GetObjectItemCaseSensitive(r, "r");

	return (cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(resp,
	    "text")));
}

int
main(void)
{
	char dir[] = "/tmp/qeval-t-journal-XXXXXX";
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	struct journal *j;
	const cJSON *r;
	FILE *f;
	int stale;

	if (mkdtemp(dir) == NULL)
		return (tap_bail("mkdtemp failed"));
	strbuf_addf(&path, "%s/journal", dir);
	is_int(journal_open(&j, path.buf, 1, "{\"journal\":\"qeval/1\"}",
	    &err), 0, "create a journal");
	rec(j, "gsm8k", "gsm8k/0", 0, "00000000000000aa", "first");
	rec(j, "gsm8k", "gsm8k/1", 0, "00000000000000bb", "second");
	rec(j, "gsm8k", "gsm8k/0", 0, "00000000000000cc", "replaced");
	rec(j, "gsm8k", "gsm8k/5", 0, "00000000000000ee", "a\\u0000b");
	journal_close(j);

	is_int(journal_open(&j, path.buf, 1, NULL, &err), 0, "reopen, load");
	is_int((long long)journal_loaded(j), 3, "three keys indexed");
	ok(journal_header(j) != NULL, "header kept");
	r = journal_find(j, "gsm8k", "gsm8k/1", 0, 0, 0xbb, &stale);
	is_str(r ? text_of(r) : NULL, "second", "find by key and hash");
	r = journal_find(j, "gsm8k", "gsm8k/0", 0, 0, 0xcc, &stale);
	is_str(r ? text_of(r) : NULL, "replaced", "later record wins");
	r = journal_find(j, "gsm8k", "gsm8k/0", 0, 0, 0xaa, &stale);
	ok(r == NULL && stale == 1, "old hash is stale, not found");
	r = journal_find(j, "gsm8k", "gsm8k/2", 0, 0, 0xaa, &stale);
	ok(r == NULL && stale == 0, "unknown key not found, not stale");
	r = journal_find(j, "other", "gsm8k/1", 0, 0, 0xbb, &stale);
	ok(r == NULL, "task is part of the key");
	/* cJSON cuts "a\u0000b" to "a": the line is kept to read it whole */
	r = journal_find(j, "gsm8k", "gsm8k/5", 0, 0, 0xee, &stale);
	is_str(r ? text_of(r) : NULL, "a", "cJSON cuts a text at \\u0000");
	ok(r != NULL && journal_line(j, r) != NULL && strstr(journal_line(j,
	    r), "\"a\\u0000b\"") != NULL, "... so its line is kept");
	r = journal_find(j, "gsm8k", "gsm8k/1", 0, 0, 0xbb, &stale);
	ok(r != NULL && journal_line(j, r) == NULL, "other lines are not "
	    "kept");
	journal_close(j);

	/* A crash mid-write leaves a torn last line: ignored on load, and
	 * the next record does not glue onto it. */
	f = fopen(path.buf, "a");
	fputs("{\"t\":\"gsm8k\",\"s\":\"gsm8k/9\",\"c\":0,\"k\":0,"
	    "\"h\":\"0", f);
	fclose(f);
	is_int(journal_open(&j, path.buf, 1, NULL, &err), 0,
	    "torn last line tolerated");
	rec(j, "gsm8k", "gsm8k/3", 0, "00000000000000dd", "after");
	journal_close(j);
	is_int(journal_open(&j, path.buf, 1, NULL, &err), 0,
	    "reload after torn line");
	r = journal_find(j, "gsm8k", "gsm8k/3", 0, 0, 0xdd, NULL);
	is_str(r ? text_of(r) : NULL, "after", "record after a torn line");
	journal_close(j);

	/* Damage in the middle is an error that names the line. */
	f = fopen(path.buf, "a");
	fputs("garbage\n", f);
	fclose(f);
	j = NULL;
	is_int(journal_open(&j, path.buf, 1, NULL, &err), -1,
	    "damaged line is an error");
	ok(strstr(err.buf, "journal:7:") != NULL, "error names file:line (%s)",
	    err.buf);
	unlink(path.buf);
	rmdir(dir);
	strbuf_release(&path);
	strbuf_release(&err);
	return (tap_done());
}
