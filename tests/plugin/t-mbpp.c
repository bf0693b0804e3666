/*
 * t-mbpp: the mbpp plugin through the real host table.
 *
 * Crafted fixtures (tests/fixtures/mbpp): the lm-eval prompts and the
 * assembled programs byte for byte, extraction from completions and chat
 * answers, MBPP+'s input conversion and oracles, and the verdicts of the
 * programs, really run.  With QEVAL_DATA_DIR: the canonical programs
 * that fail their own tests, listed through the plugin and by running
 * the dataset's code with python3 directly (tests/code/mbpp_canonical.py)
 * must be the same list, with and without the setup code; corrupted
 * solutions all fail; MBPP+'s reference passes its base inputs.
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


static char fixtures[4096];

static const char FUT[] = "from __future__ import annotations\n";
static const char TESTS11[] = "assert square(2) == 4\n"
	"assert square(-3) == 9\nassert square(0) == 0";

struct mcase {
	size_t		 sample;
	const char	*answer;
	const char	*program;	/* expected, or NULL */
	double		 pass;
	double		 base;		/* values[1]: MBPP+'s base, MBPP's
					 * rescuable (NAN: not checked) */
	unsigned	 flags;
	double		 rescued;	/* MBPP's values[2] */
};

/* A table of cases (w->arg) through codetest_sweep(). */
static size_t
mrun_setup(struct codetest_sweep *w, size_t i)
{
	const struct mcase *c = w->arg;

	w->ct.model_arg = (void *)c[i].answer;
	return (c[i].sample);
}

static void
mrun_check(struct codetest_sweep *w, int pass, size_t i, int rc,
    const struct qeval_verdict *v)
{
	const struct mcase *c = (const struct mcase *)w->arg + i;
	char *prog;

	if (rc != 0) {
		ok(0, "%s case %zu: %s", w->task, i, w->pt.err.buf);
		return;
	}
	if (pass == 1)
		return;
	if (pass == 0) {
		if (c->program == NULL)
			return;
		prog = codetest_exec_program(1);
		is_str(prog, c->program, "%s case %zu: program", w->task, i);
		free(prog);
		return;
	}
	is_dbl(v->values[0], c->pass, 0, "%s case %zu: pass@1 (%s)", w->task,
	    i, v->reason);
	if (!isnan(c->base))
		is_dbl(v->values[1], c->base, 0, "%s case %zu: base", w->task,
		    i);
	is_int(v->flags, c->flags, "%s case %zu: flags", w->task, i);
	if (strcmp(w->task, "mbpp_plus") != 0)
		is_dbl(v->values[2], c->rescued, 0, "%s case %zu: rescued",
		    w->task, i);
}

/* collect, run, collect what the verdicts ask for next (the other
 * extraction's program), run, then score */
static void
run_cases(const char *task, int chat, const struct qeval_kv *kv,
    const struct mcase *c, size_t n)
{
	struct codetest_sweep w;

	memset(&w, 0, sizeof(w));
	w.passes = 3;
	w.n = n;
	w.setup = mrun_setup;
	w.check = mrun_check;
	w.arg = (void *)c;
	codetest_sweep(&w, "mbpp", task, fixtures, kv, chat, 0);
}

static const char *
body_str(const char *body, const char *key, char **own)
{
	cJSON *d = cJSON_Parse(body);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, key);

	*own = cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
	cJSON_Delete(d);
	return (*own);
}

static void
test_prompts(void)
{
	static const struct qeval_kv kv[] = {
		{ "file", "mbpp/tiny.jsonl" }, { NULL, NULL } };
	static const char want_prompt[] =
	    "You are an expert Python programmer, and here is your task: "
	    "Write a function to add two numbers. Your code should pass these "
	    "tests:\n\nassert add(1, 2) == 3\nassert add(0, 0) == 0\n"
	    "assert add(-1, 1) == 0\n[BEGIN]\ndef add(a, b):\r\n"
	    "  return a + b\n[DONE]\n\n"
	    "You are an expert Python programmer, and here is your task: "
	    "Write a python function to negate a number. Your code should "
	    "pass these tests:\n\nassert neg(1) == -1\nassert neg(0) == 0\n"
	    "assert neg(-2) == 2 \n[BEGIN]\ndef neg(x):\r\n    return -x\n"
	    "[DONE]\n\n"
	    "You are an expert Python programmer, and here is your task: "
	    "Write a function to find the largest of three numbers. Your code "
	    "should pass these tests:\n\nassert largest(1, 2, 3) == 3\n"
	    "assert largest(3, 2, 1) == 3\nassert largest(1, 1, 1) == 1\n"
	    "[BEGIN]\ndef largest(a, b, c):\r\n  return max(a, b, c)\n"
	    "[DONE]\n\n"
	    "You are an expert Python programmer, and here is your task: "
	    "Write a function to square a number. Your code should pass these "
	    "tests:\n\nassert square(2) == 4\nassert square(-3) == 9\n"
	    "assert square(0) == 0\n[BEGIN]\n";
	static const char want_chat[] = "{\"messages\":["
	    "{\"role\":\"user\",\"content\":\"You are an expert Python "
	    "programmer, and here is your task:\\nWrite a function to add two "
	    "numbers.\\nYour code should pass these tests:\\nassert add(1, 2) "
	    "== 3\\nassert add(0, 0) == 0\\nassert add(-1, 1) == 0\"},"
	    "{\"role\":\"assistant\",\"content\":\"\\n```python\\ndef add(a, "
	    "b):\\r\\n  return a + b\\n```\"},"
	    "{\"role\":\"user\",\"content\":\"You are an expert Python "
	    "programmer, and here is your task:\\nWrite a python function to "
	    "negate a number.\\nYour code should pass these tests:\\nassert "
	    "neg(1) == -1\\nassert neg(0) == 0\\nassert neg(-2) == 2 \"},"
	    "{\"role\":\"assistant\",\"content\":\"\\n```python\\ndef neg(x):"
	    "\\r\\n    return -x\\n```\"},"
	    "{\"role\":\"user\",\"content\":\"You are an expert Python "
	    "programmer, and here is your task:\\nWrite a function to find the "
	    "largest of three numbers.\\nYour code should pass these tests:\\n"
	    "assert largest(1, 2, 3) == 3\\nassert largest(3, 2, 1) == 3\\n"
	    "assert largest(1, 1, 1) == 1\"},"
	    "{\"role\":\"assistant\",\"content\":\"\\n```python\\ndef "
	    "largest(a, b, c):\\r\\n  return max(a, b, c)\\n```\"},"
	    "{\"role\":\"user\",\"content\":\"You are an expert Python "
	    "programmer, and here is your task:\\nWrite a function to square a "
	    "number.\\nYour code should pass these tests:\\nassert square(2) "
	    "== 4\\nassert square(-3) == 9\\nassert square(0) == 0\"},"
	    "{\"role\":\"assistant\",\"content\":\"\\n```python\\n\"}],"
	    "\"continue_final_message\":true,\"add_generation_prompt\":false,"
	    "\"stop\":[]}";
	struct plugtest pt;
	struct qeval_request req = QEVAL_REQUEST_INIT;
	char *own = NULL;
	int rc;

	rc = plugtest_open(&pt, "mbpp", "mbpp", fixtures, kv, 0, 0);
	ok(rc == 0, "mbpp opens the fixture (%s)", pt.err.buf);
	if (rc == 0) {
		/* file= names a user's file: every record is evaluated
		 * but the few-shot examples (ids 2-4), even ids outside
		 * lm-eval's test split (600, 1) */
		is_int(pt.plugin.desc->count(pt.state), 4, "file=: ids 11, "
		    "12, 600 and 1 evaluated, 2-4 are the shots");
		is_str(pt.plugin.desc->sample_id(pt.state, 3), "mbpp/1",
		    "file=: id 1 evaluated");
		ok(strstr(pt.log.buf, "4 records evaluated (task ids 2, 3 "
		    "and 4 are the few-shot examples)") != NULL, "file=: the "
		    "log says what is evaluated: %s", pt.log.buf);
		is_str(pt.plugin.desc->sample_id(pt.state, 1), "mbpp/12",
		    "sample id");
		rc = pt.plugin.desc->next(pt.state, &pt.ctx, 0, 0, NULL, 0,
		    &req);
		is_int(req.kind, QEVAL_REQ_COMPLETION, "mbpp: a completion");
		is_str(body_str(req.body, "prompt", &own), want_prompt,
		    "mbpp: lm-eval's 3-shot prompt, byte for byte");
		free(own);
		ok(strstr(req.body, ",\"stop\":[\"[DONE]\"]") != NULL,
		    "mbpp: stop [DONE]");
		is_int(req.max_tokens, 256, "mbpp: 256 new tokens");
		is_dbl(req.temperature, 0, 0, "mbpp: greedy");
	}
	plugtest_close(&pt);
	rc = plugtest_open(&pt, "mbpp", "mbpp_instruct", fixtures, kv, 1, 0);
	ok(rc == 0, "mbpp_instruct opens");
	if (rc == 0) {
		rc = pt.plugin.desc->next(pt.state, &pt.ctx, 0, 0, NULL, 0,
		    &req);
		is_str(req.body, want_chat, "mbpp_instruct: shots as turns, "
		    "prefill, byte for byte");
	}
	plugtest_close(&pt);
}

/*
 * MBPP's extraction.  By default lm-eval's extract_code_blocks(): in
 * Python (tasks/mbpp/utils.py)
 *   re.findall(r"```(?:\w+)?\n?(.*?)\n?```", "```" + answer, re.DOTALL)
 * gives for "def square(n):\n  return n * n\n```\nThat is all." the
 * match " square(n):\n  return n * n" (the word "def" taken for a
 * language tag), for "```python\ndef square(n): ...```" the match "",
 * and for an answer without a fence nothing, when the whole answer is
 * the code.  rescue=1: qeval's extraction.  values[1] is "rescuable",
 * values[2] "rescued".
 */
static void
test_mbpp_cases(void)
{
	static const struct qeval_kv kv[] = {
		{ "file", "mbpp/tiny.jsonl" }, { NULL, NULL } };
	static const struct qeval_kv nosetup[] = {
		{ "file", "mbpp/tiny.jsonl" }, { "setup_code", "0" },
		{ NULL, NULL } };
	static const struct qeval_kv noprefill[] = {
		{ "file", "mbpp/tiny.jsonl" }, { "prefill", "0" },
		{ NULL, NULL } };
	static const struct qeval_kv rescue[] = {
		{ "file", "mbpp/tiny.jsonl" }, { "rescue", "1" },
		{ NULL, NULL } };
	char p0[512], p1[512], p1n[512], p1s[512], p2[512], p3[1024];
	char p4[1024], p4s[1024], pe[512];
	struct mcase c[6], ci[4], cn[2];

	snprintf(p0, sizeof(p0), "%sdef square(n):\n  return n ** 2\n\n%s",
	    FUT, TESTS11);
	snprintf(p1, sizeof(p1), "%sdef square(n):\n  return n * n\n%s", FUT,
	    TESTS11);
	snprintf(p1n, sizeof(p1n), "%sdef square(n):\n  return n * n\n\n%s",
	    FUT, TESTS11);
	snprintf(p1s, sizeof(p1s), "%s square(n):\n  return n * n\n%s", FUT,
	    TESTS11);
	snprintf(p2, sizeof(p2), "%sdef square(n):\n  return n*n\n%s", FUT,
	    TESTS11);
	snprintf(pe, sizeof(pe), "%s\n%s", FUT, TESTS11);
	snprintf(p3, sizeof(p3), "%sclass Node:\n  def __init__(self, nxt="
	    "None):\n    self.nxt = nxt\ndef count_nodes(h):\n  return 0 if h "
	    "is None else 1 + count_nodes(h.nxt)\n\nchain = "
	    "Node(Node(Node()))\nassert count_nodes(chain) == 3\nassert "
	    "count_nodes(None) == 0\nassert count_nodes(Node()) == 1", FUT);
	snprintf(p4, sizeof(p4), "%simport math\ndef square(n):\n  return "
	    "int(math.pow(n, 2))\n%s", FUT, TESTS11);
	snprintf(p4s, sizeof(p4s), "%s math\ndef square(n):\n  return "
	    "int(math.pow(n, 2))\n%s", FUT, TESTS11);
	/* mbpp: completions; the answer cut at [DONE], kept as it is */
	c[0] = (struct mcase){ 0, "def square(n):\n  return n ** 2\n[DONE]\n"
	    "junk", p0, 1, 0, 0 };
	/* lm-eval's regex takes "def" for a language tag: a syntax error;
	 * the rescue's code (p1) passes */
	c[1] = (struct mcase){ 0, "def square(n):\n  return n * n\n```\nThat "
	    "is all.", p1s, 0, 1, 0 };
	/* the case: an answer that opens with a fence is "" for
	 * lm-eval, no code; the rescue takes the block (p2) */
	c[2] = (struct mcase){ 0, "```python\ndef square(n):\n  return n*n\n"
	    "```", pe, 0, 1, QEVAL_VF_INVALID };
	/* wrong either way: one run (no other code to try) */
	c[3] = (struct mcase){ 0, "def square(n):\n  return n + n", NULL, 0,
	    0, 0 };
	/* the setup code builds `chain` from the answer's class */
	c[4] = (struct mcase){ 1, "class Node:\n  def __init__(self, nxt=None)"
	    ":\n    self.nxt = nxt\ndef count_nodes(h):\n  return 0 if h is "
	    "None else 1 + count_nodes(h.nxt)\n", p3, 1, 0, 0 };
	c[5] = (struct mcase){ 0, "", NULL, 0, 0, QEVAL_VF_INVALID };
	run_cases("mbpp", 0, kv, c, 6);
	/* rescue=1: qeval's extraction; "rescued" where lm-eval's fails */
	c[0].program = NULL;
	c[1].program = p1;
	c[1].pass = 1;
	c[1].base = 0;
	c[1].rescued = 1;
	c[2].program = p2;
	c[2].pass = 1;
	c[2].base = 0;
	c[2].rescued = 1;
	c[2].flags = 0;
	run_cases("mbpp", 0, rescue, c, 4);
	/* without the setup code (lm-eval) task 12 cannot pass */
	c[0] = c[4];
	c[0].program = NULL;
	c[0].pass = 0;
	run_cases("mbpp", 0, nosetup, c, 1);
	/* mbpp_instruct: the answer continues "```python\n"; lm-eval's
	 * regex breaks the usual continuation (a word, then code) */
	ci[0] = (struct mcase){ 0, "def square(n):\n  return n * n\n```\n"
	    "This squares.", p1s, 0, 1, 0 };
	ci[1] = (struct mcase){ 0, "import math\ndef square(n):\n  return "
	    "int(math.pow(n, 2))\n```", p4s, 0, 1, 0 };
	ci[2] = (struct mcase){ 0, "def square(n):\n  return n * n\n", p1n, 1,
	    0, 0 };
	/* a newline first: lm-eval's \n? takes it, the match is the code */
	ci[3] = (struct mcase){ 0, "\ndef square(n):\n  return n * n\n```",
	    p1, 1, 0, 0 };
	run_cases("mbpp_instruct", 1, kv, ci, 4);
	ci[0].program = p1;
	ci[0].pass = 1;
	ci[0].base = 0;
	ci[0].rescued = 1;
	ci[1].program = p4;
	ci[1].pass = 1;
	ci[1].base = 0;
	ci[1].rescued = 1;
	run_cases("mbpp_instruct", 1, rescue, ci, 2);
	/* prefill=0 (no lm-eval counterpart): the fenced block; code then
	 * a lone closing fence (its opening was the prompt's) is code */
	cn[0] = (struct mcase){ 0, "Here:\n```python\ndef square(n):\n  "
	    "return n * n\n```\n", p1, 1, 0, 0 };
	cn[1] = (struct mcase){ 0, "def square(n):\n  return n * n\n```\n",
	    p1, 1, 0, 0 };
	run_cases("mbpp_instruct", 1, noprefill, cn, 2);
}

static void
test_plus_fixture(void)
{
	static const struct qeval_kv kv[] = {
		{ "file", "mbpp/tiny_plus.jsonl" }, { NULL, NULL } };
	struct mcase c[] = {
		/* set comparison, and the inputs are tuples again */
		{ 0, "```python\ndef similar_elements(a, b):\n    assert "
		  "isinstance(a, tuple) and isinstance(b, tuple)\n    return "
		  "sorted(set(a) & set(b))\n```", NULL, 1, 1, 0 },
		{ 0, "```python\ndef similar_elements(a, b):\n    return "
		  "list(a)\n```", NULL, 0, 0, 0 },
		{ 1, "```python\ndef double(n):\n    return n + n\n```", NULL,
		  1, 1, 0 },
		/* right on the base inputs only */
		{ 1, "```python\ndef double(n):\n    return 2 * abs(n)\n```",
		  NULL, 0, 1, 0 },
		/* a lone function of another name is aliased */
		{ 1, "```python\ndef twice(n):\n    return n + n\n```", NULL, 1,
		  1, QEVAL_VF_NAME_FIXED },
	};

	run_cases("mbpp_plus", 1, kv, c, sizeof(c) / sizeof(c[0]));
}

/* Runs tests/code/mbpp_canonical.py; its ids joined by spaces. */
static char *
script_list(const char *data, const char *file, int setup)
{
	struct strbuf cmd = STRBUF_INIT, out = STRBUF_INIT;
	const char *py = getenv("PYTHON3"), *src = getenv("QEVAL_SRCDIR");
	char line[64];
	FILE *f;

	strbuf_addf(&cmd, "'%s' '%s/tests/code/mbpp_canonical.py' '%s/%s' %d "
	    "--timeout=90 %s", py ? py : "python3", src ? src : "..", data,
	    file, CODETEST_WORKERS, setup ? "" : "--no-setup");
	f = popen(cmd.buf, "r");
	strbuf_release(&cmd);
	if (f == NULL)
		return (NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		strbuf_addf(&out, " %s", line);
	}
	if (pclose(f) != 0) {
		strbuf_release(&out);
		return (NULL);
	}
	return (strbuf_detach(&out, NULL));
}

/* What the reference model's sweep found. */
struct srun {
	struct strbuf	*failed;
	size_t		*npass;
	int		 rc;
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
		r->rc = -1;
		return;
	}
	if (pass < 2)
		return;
	a = v->values[0];
	b = v->values[1];
	/* pass@1, or the base metric when base_only */
	if (isnan(a))
		a = b;
	if (mode == 1 && (a == 1.0 || b == 1.0))
		(*r->npass)++;
	if (mode == 0 && a != 1.0) {
		const char *id = w->pt.plugin.desc->sample_id(w->pt.state, i);
		const char *num = strchr(id, '/');

		strbuf_addf(r->failed, " %s", num ? num + 1 : id);
		tap_diag("%s %s: %s", w->task, id, v->reason);
	}
}

/*
 * The reference over a task: the ids whose gold answer fails (into
 * failed, " 11 12"), and the number of corrupted answers that pass.
 * Collect, run, collect what the verdicts ask for next (the other
 * extraction's program), run, then score.
 */
static int
sweep(const char *task, int chat, const struct qeval_kv *kv, size_t limit,
    int corrupt, struct strbuf *failed, size_t *npass)
{
	struct srun r = { failed, npass, 0 };
	struct codetest_sweep w;

	memset(&w, 0, sizeof(w));
	w.passes = 3;
	w.modes = 1 + corrupt;
	w.check = srun_check;
	w.arg = &r;
	*npass = 0;
	if (codetest_sweep(&w, "mbpp", task, NULL, kv, chat, limit) != 0)
		r.rc = -1;
	return (r.rc);
}

/* Plugin list against the script's list for one file and setup mode. */
static void
compare(const char *data, const char *task, const char *file, int setup,
    int corrupt)
{
	/* task 123 takes ~2.6 s of CPU, 15-20 s of wall time on a 2-core
	 * machine at load 10: a wide limit keeps the lists about
	 * correctness, not about this machine's load */
	const struct qeval_kv kv[] = { { "timeout", "90" },
		{ "setup_code", setup ? "1" : "0" }, { NULL, NULL } };
	struct strbuf failed = STRBUF_INIT;
	char *want;
	size_t npass;

	want = script_list(data, file, setup);
	ok(want != NULL, "mbpp_canonical.py ran on %s", file);
	if (sweep(task, 0, kv, 0, corrupt, &failed, &npass) == 0 &&
	    want != NULL) {
		is_str(failed.buf != NULL ? failed.buf : "", want, "%s%s: the "
		    "canonical programs that fail, as python3 lists them",
		    task, setup ? "" : " (setup_code=0)");
		tap_diag("%s%s: failing canonical programs: [%s ]", task,
		    setup ? "" : " without setup code", failed.buf ?
		    failed.buf : "");
		if (corrupt)
			is_int(npass, 0, "%s: every corrupted solution fails",
			    task);
	}
	free(want);
	strbuf_release(&failed);
}

int
main(void)
{
	static const struct qeval_kv base_only[] = {
		{ "base_only", "1" }, { NULL, NULL } };
	/* as compare()'s: task 123 alone takes 10-13 s of wall time at a
	 * load of 7 on two cores, and more beside the sweep's other
	 * programs */
	static const struct qeval_kv wide[] = {
		{ "timeout", "90" }, { NULL, NULL } };
	const char *data = getenv("QEVAL_DATA_DIR");
	const char *src = getenv("QEVAL_SRCDIR");
	struct strbuf failed = STRBUF_INIT;
	size_t npass;

	snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures",
	    src != NULL ? src : "..");
	test_prompts();
	test_mbpp_cases();
	test_plus_fixture();
	if (data == NULL || data[0] == '\0') {
		tap_skip("QEVAL_DATA_DIR is not set: no MBPP data tests");
		return (tap_done());
	}
	compare(data, "mbpp", "mbpp/mbpp.jsonl", 1, 1);
	compare(data, "mbpp", "mbpp/mbpp.jsonl", 0, 0);
	compare(data, "mbpp_sanitized", "mbpp/sanitized-mbpp.json", 1, 0);
	/* the instruct recipe's extraction on every reference solution */
	if (sweep("mbpp_instruct", 1, wide, 0, 0, &failed, &npass) == 0)
		is_str(failed.buf ? failed.buf : "", "", "mbpp_instruct: the "
		    "reference passes every task");
	strbuf_reset(&failed);
	if (sweep("mbpp_plus", 1, base_only, 0, 1, &failed, &npass) == 0) {
		is_str(failed.buf ? failed.buf : "", "", "mbpp_plus: the "
		    "reference passes every task's base inputs");
		is_int(npass, 0, "mbpp_plus: every corrupted solution fails");
	}
	strbuf_reset(&failed);
	/* base and extra inputs on a few tasks */
	if (sweep("mbpp_plus", 0, NULL, 12, 0, &failed, &npass) == 0)
		is_str(failed.buf ? failed.buf : "", "", "mbpp_plus: the "
		    "reference passes base and extra inputs (12 tasks)");
	strbuf_release(&failed);
	return (tap_done());
}
