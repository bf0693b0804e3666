/*
 * ABI 1.2: the host's services (buffers, JSON strings, bodies, Python's
 * seeded draws) give what a plugin needs byte for byte; plugins built
 * against the frozen 1.0 and 1.1 headers load, run and score; a 1.2
 * plugin whose arrays have larger elements is read by its own sizes,
 * gets its exchanges as pointers and the default count and sample ids;
 * a plugin without gold() is refused a reference answer with a reason.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "plugin.h"
#include "plugtest.h"
#include "tap.h"

static void
host_services(void)
{
	const struct qeval_host *h = host_table();
	static const char *const stops[] = { "\n", "Q\"", NULL };
	static const char want_json[] = "\"a\\\"b\\\\c\\n\\t\\u0001"
	    "\\u0000z\xc3\xa9\"";
	struct qeval_buf b = QEVAL_BUF_INIT;
	struct qeval_rng r;
	size_t out[10];
	cJSON *j;

	ok(h->abi_minor >= 2 && QEVAL_HAS_FIELD(h, struct qeval_host,
	    rng_random), "the host table has the 1.2 services");
	h->json_str(&b, "a\"b\\c\n\t\x01" "\0z" "\xc3\xa9", 12);
	ok(b.len == sizeof(want_json) - 1 && memcmp(b.data, want_json,
	    b.len) == 0, "json_str escapes quotes, backslashes, "
	    "control bytes and NUL, keeps UTF-8 (%s)", b.data);
	h->buf_reset(&b);
	ok(b.len == 0 && b.data != NULL && *b.data == '\0', "buf_reset");
	h->buf_addf(&b, "%d-%s", 42, "x");
	h->buf_add(&b, "yz", 1);
	is_str(b.data, "42-xy", "buf_addf, buf_add with a length");
	h->buf_free(&b);
	ok(b.data == NULL && b.len == 0, "buf_free");

	h->chat_begin(&b);
	h->chat_message(&b, "system", "be \"brief\"", QEVAL_NTS);
	h->chat_message(&b, "user", "x\0y", 3);
	h->chat_message(&b, "assistant", NULL, 0);
	h->chat_end(&b, stops);
	j = cJSON_ParseWithLength(b.data, b.len);
	ok(j != NULL, "the chat body is JSON (%s)", b.data);
	is_str(b.data, "{\"messages\":[{\"role\":\"system\",\"content\":"
	    "\"be \\\"brief\\\"\"},{\"role\":\"user\",\"content\":"
	    "\"x\\u0000y\"},{\"role\":\"assistant\",\"content\":\"\"}],"
	    "\"stop\":[\"\\n\",\"Q\\\"\"]}", "chat body, byte for byte");
	cJSON_Delete(j);
	h->buf_reset(&b);
	h->completion_body(&b, "2+2=", QEVAL_NTS, NULL);
	is_str(b.data, "{\"prompt\":\"2+2=\"}", "completion body, no stop");
	h->buf_free(&b);

	/* CPython 3: random.Random(1234).sample(range(100), 5), then
	 * .sample(range(10), 10)[:4], then .random() */
	h->rng_seed(&r, 1234);
	is_int(h->rng_sample(&r, 100, 5, out), 0, "sample(range(100), 5)");
	ok(out[0] == 99 && out[1] == 56 && out[2] == 14 && out[3] == 0 &&
	    out[4] == 11, "as CPython: [99, 56, 14, 0, 11] (got %zu %zu %zu "
	    "%zu %zu)", out[0], out[1], out[2], out[3], out[4]);
	is_int(h->rng_sample(&r, 10, 10, out), 0, "sample(range(10), 10)");
	ok(out[0] == 9 && out[1] == 0 && out[2] == 1 && out[3] == 8,
	    "as CPython: [9, 0, 1, 8, ...]");
	is_dbl(h->rng_random(&r), 0.6483160303777565, 1e-16,
	    "random() as CPython");
	h->rng_seed(&r, 7);
	ok(h->rng_below(&r, 1000) == 331 && h->rng_below(&r, 1000) == 970 &&
	    h->rng_below(&r, 1000) == 154, "randrange(1000) x3 as CPython");
	/* the set branch: n far above the pool size */
	h->rng_seed(&r, 0);
	is_int(h->rng_sample(&r, 3000, 7, out), 0, "sample(range(3000), 7)");
	ok(out[0] == 1577 && out[1] == 1722 && out[2] == 165 &&
	    out[3] == 1060 && out[4] == 2094 && out[5] == 1990 &&
	    out[6] == 1658, "as CPython (the set branch)");
	is_int(h->rng_sample(&r, 3, 4, out), QEVAL_EINVAL, "k > n refused");
}

/* Gold scores 1, corrupted 0, on every sample of a task. */
static void
gold_and_corrupt(const char *plugin, const char *task, const char *data,
    size_t want_n)
{
	struct plugtest pt;
	struct qeval_verdict v;
	size_t i, n, good = 0, bad = 0;
	int rc;

	rc = plugtest_open(&pt, plugin, task, data, NULL, 1, 0);
	is_int(rc, 0, "%s: loads and opens (%s)", plugin, pt.err.buf);
	if (rc != 0) {
		plugtest_close(&pt);
		return;
	}
	n = plugtest_count(&pt);
	is_int((long long)n, (long long)want_n, "%s: %zu samples", plugin,
	    want_n);
	for (i = 0; i < n; i++) {
		if (plugtest_run(&pt, i, 0, PLUGTEST_GOLD, NULL, NULL,
		    &v) == 0 && v.values[0] == 1.0)
			good++;
		if (plugtest_run(&pt, i, 0, PLUGTEST_CORRUPT, NULL, NULL,
		    &v) == 0 && v.values[0] == 0.0)
			bad++;
	}
	ok(good == n && bad == n, "%s: gold scores 1 and corrupted 0 on "
	    "every sample (%zu, %zu of %zu)", plugin, good, bad, n);
	plugtest_close(&pt);
}

static void
abi12_plugin(const char *fixtures)
{
	struct strbuf err = STRBUF_INIT, path = STRBUF_INIT;
	const char *dir = getenv("QEVAL_TEST_DIR");
	const struct qeval_exchange *ex;
	const struct qeval_option *op;
	struct qeval_verdict v;
	struct plugtest pt;
	struct plugin p;
	cJSON *j, *msgs;
	size_t n;
	int declared, rc;

	strbuf_addf(&path, "%s/bad_sizes.so", dir);
	is_int(plugin_load(&p, path.buf, &err), QEVAL_EABI,
	    "a 1.2 descriptor with task_size 0 is refused");
	ok(strstr(err.buf, "task_size 0") != NULL && strstr(err.buf,
	    "QEVAL_ABI_HEADER") != NULL && p.desc == NULL,
	    "the message says which size and what to do (%s)", err.buf);
	strbuf_reset(&err);
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/abi12.so", dir);
	is_int(plugin_load(&p, path.buf, &err), 0, "abi12 loads (%s)",
	    err.buf);
	if (p.desc != NULL) {
		const struct qeval_task *t = p.desc->tasks;

		ok(t[0].name != NULL && strcmp(t[0].name, "abi12") == 0 &&
		    t[1].name != NULL && strcmp(t[1].name, "abi12_b") == 0 &&
		    t[2].name == NULL, "both tasks are read by task_size");
		ok(t[1].flags == QEVAL_TF_CHAT_ONLY, "the second task's flags");
		ok(t[0].metrics[0].name != NULL && t[0].metrics[1].name !=
		    NULL && strcmp(t[0].metrics[1].name, "invalid") == 0 &&
		    t[0].metrics[1].flags == (QEVAL_MF_RATE |
		    QEVAL_MF_LOWER_BETTER) && t[0].metrics[2].name == NULL,
		    "both metrics are read by metric_size");
		op = plugin_options(&p, &declared);
		ok(op != NULL && strcmp(op[1].name, "second") == 0 &&
		    strcmp(op[1].tasks, "abi12_b") == 0 && op[2].name == NULL,
		    "both options are read by option_size");
		ok(plugin_has_gold(&p), "gold2 counts as gold");
	}
	plugin_unload(&p);

	rc = plugtest_open(&pt, "abi12", "abi12", fixtures, NULL, 1, 0);
	is_int(rc, 0, "abi12 opens (%s)", pt.err.buf);
	if (rc != 0) {
		plugtest_close(&pt);
		return;
	}
	is_int((long long)plugtest_count(&pt), 3, "no count(): the records "
	    "of the task's first file");
	is_str(plugtest_sample_id(&pt, 2), "abi12/2",
	    "no sample_id(): <task>/<i>");
	is_int(plugtest_run(&pt, 1, 0, PLUGTEST_GOLD, NULL, NULL, &v), 0,
	    "gold run through next2/gold2/score2 (%s)", pt.err.buf);
	ex = plugtest_exchanges(&n);
	is_int((long long)n, 2, "two exchanges");
	is_dbl(v.values[0], 1.0, 0, "gold: acc 1 (score2 read ex[1])");
	is_dbl(v.values[1], 0.0, 0, "gold: invalid 0");
	j = n == 2 ? cJSON_Parse(ex[1].req.body) : NULL;
	msgs = cJSON_GetObjectItemCaseSensitive(j, "messages");
	ok(cJSON_GetArraySize(msgs) == 4, "the second body is JSON with "
	    "four messages (%s)", n == 2 ? ex[1].req.body : "-");
	if (cJSON_GetArraySize(msgs) == 4) {
		const cJSON *u = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetArrayItem(msgs, 1), "content");
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetArrayItem(msgs, 2), "content");
		static const char want[] = "{\"q\": \"a tab\\there, a NUL "
		    "\\u0000 inside, a bell \\u0007\"}";

		ok(cJSON_IsString(u) && strcmp(u->valuestring, want) == 0,
		    "the record's text arrives verbatim after escaping (%s)",
		    cJSON_IsString(u) ? u->valuestring : "-");
		ok(cJSON_IsString(a) && strcmp(a->valuestring, "A1") == 0,
		    "next2 read the first answer through ex[0]");
	}
	cJSON_Delete(j);
	is_int(plugtest_run(&pt, 1, 0, PLUGTEST_CORRUPT, NULL, NULL, &v), 0,
	    "corrupted run");
	is_dbl(v.values[0], 0.0, 0, "corrupted: acc 0");
	plugtest_close(&pt);

	/* opts->limit caps the default count */
	rc = plugtest_open(&pt, "abi12", "abi12_b", fixtures, NULL, 1, 2);
	is_int(rc, 0, "abi12_b opens with --limit 2");
	if (rc != 0) {
		plugtest_close(&pt);
		return;
	}
	is_int((long long)plugtest_count(&pt), 2, "the default count "
	    "honours the limit");
	is_str(plugtest_sample_id(&pt, 0), "abi12_b/0", "ids name the task");
	plugtest_close(&pt);
	strbuf_release(&err);
	strbuf_release(&path);
}

int
main(void)
{
	const char *dir = getenv("QEVAL_TEST_DIR");
	const char *sdir = getenv("QEVAL_SRCDIR");
	struct strbuf fx = STRBUF_INIT;
	struct qeval_verdict v;
	struct plugtest pt;
	int rc;

	if (dir == NULL || sdir == NULL)
		return (tap_bail("run through make check"));
	setenv("QEVAL_PLUGIN_PATH", dir, 1);
	strbuf_addf(&fx, "%s/tests/fixtures", sdir);

	host_services();
	gold_and_corrupt("abi10", "abi10_task", NULL, 4);
	gold_and_corrupt("abi11", "abi11_task", NULL, 4);
	{
		struct strbuf err = STRBUF_INIT, path = STRBUF_INIT;
		const struct qeval_option *op;
		struct plugin p;
		int declared = 0;

		strbuf_addf(&path, "%s/abi11.so", dir);
		(void)plugin_load(&p, path.buf, &err);
		op = p.desc ? plugin_options(&p, &declared) : NULL;
		ok(op != NULL && declared && strcmp(op[1].name, "style") ==
		    0 && strcmp(op[1].choices, "a|b") == 0 &&
		    op[2].name == NULL, "a 1.1 plugin's options are read by "
		    "the 1.1 size");
		plugin_unload(&p);
		strbuf_release(&err);
		strbuf_release(&path);
	}
	abi12_plugin(fx.buf);

	rc = plugtest_open(&pt, "nogold", "nogold_task", NULL, NULL, 1, 0);
	is_int(rc, 0, "a plugin without gold() loads (%s)", pt.err.buf);
	ok(rc == 0 && plugtest_run(&pt, 0, 0, PLUGTEST_GOLD, NULL, NULL, &v) ==
	    QEVAL_EUNSUP && strstr(pt.err.buf, "has no gold() callback") !=
	    NULL, "asking it for gold says why (%s)", pt.err.buf);
	plugtest_close(&pt);
	strbuf_release(&fx);
	return (tap_done());
}
