/*
 * The agent block (issue 14 item 2) from a fixture pair of runs
 * (tests/fixtures/agent: one model, balanced with BFCL, IFEval, MT-Bench
 * and GSM8K; performance with IFEval, MT-Bench and ARC-Challenge only):
 * results_agent()'s lines, sources and n; the report's "Agent Evaluation
 * Results" under each preset and its "Agent Capabilities" table with
 * deltas against the first column; and the breakdown table that per-part
 * metrics ("family,part" beside "family": IFEval's groups) get.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "report.h"
#include "results.h"
#include "strbuf.h"
#include "tap.h"

static cJSON *
load(const char *src, const char *name)
{
	struct strbuf p = STRBUF_INIT;
	char *text;
	cJSON *doc = NULL;

	strbuf_addf(&p, "%s/tests/fixtures/agent/%s", src, name);
	text = tap_slurp(p.buf, NULL);
	if (text != NULL)
		doc = cJSON_Parse(text);
	if (doc == NULL)
		tap_diag("cannot load %s", p.buf);
	free(text);
	strbuf_release(&p);
	return (doc);
}

static const cJSON *
line(const cJSON *agent, const char *name)
{
	const cJSON *x;

	cJSON_ArrayForEach(x, agent) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(x, "name");

		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
			return (x);
	}
	return (NULL);
}

static const char *
str(const cJSON *x, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, k);

	return (cJSON_IsString(v) ? v->valuestring : NULL);
}

static double
num(const cJSON *x, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, k);

	return (cJSON_IsNumber(v) ? v->valuedouble : NAN);
}

static int
is(const char *a, const char *b)
{
	return (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static cJSON *
agent_of(const cJSON *run)
{
	const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(run, "tasks");
	const cJSON *tv[16], *t;
	size_t n = 0;

	cJSON_ArrayForEach(t, tasks)
		if (n < 16)
			tv[n++] = t;
	return (results_agent(tv, n));
}

static void
test_block(const cJSON *bal, const cJSON *perf)
{
	cJSON *a = agent_of(bal), *b = agent_of(perf);
	const cJSON *x;

	is_int(cJSON_GetArraySize(a), 6, "six lines, as the seed tracker");
	x = line(a, "Function Calling Accuracy");
	ok(is(str(x, "task"), "bfcl") && is(str(x, "metric"), "accuracy") &&
	    num(x, "value") == 0.625 && num(x, "n") == 400,
	    "function calling: BFCL accuracy, n 400");
	x = line(a, "Instruction Following");
	ok(is(str(x, "task"), "ifeval") &&
	    is(str(x, "metric"), "prompt_level_strict_acc") &&
	    num(x, "value") == 0.7 && num(x, "stderr") == 0.0228,
	    "instruction following: IFEval prompt-level strict, stderr");
	x = line(a, "Multi-turn Coherence");
	ok(is(str(x, "metric"), "score_turn2") && num(x, "value") == 7.25 &&
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "scale10")),
	    "multi-turn: MT-Bench second turn, 0-10");
	x = line(a, "Reasoning Quality");
	ok(is(str(x, "task"), "gsm8k") &&
	    is(str(x, "metric"), "exact_match,flexible-extract") &&
	    num(x, "value") == 0.8127, "reasoning: GSM8K flexible-extract");
	x = line(b, "Reasoning Quality");
	ok(is(str(x, "task"), "arc_challenge") &&
	    is(str(x, "metric"), "acc_norm") && num(x, "value") == 0.55,
	    "reasoning without GSM8K: ARC-Challenge acc_norm");
	x = line(a, "JSON Output Validity");
	ok(is(str(x, "metric"), "tool_call_validity") &&
	    num(x, "value") == 0.95, "JSON validity: BFCL tool-call validity");
	{
		/* A structured-output task's validity goes before BFCL's. */
		cJSON *so = cJSON_Parse("{\"name\":\"structured_output\","
		    "\"metrics\":[{\"name\":\"json_valid\",\"value\":0.75,"
		    "\"stderr\":0.05,\"n\":32}]}");
		const cJSON *tv[2] = { so, NULL };
		const cJSON *t;
		cJSON *c;

		cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(bal,
		    "tasks"))
			if (is(str(t, "name"), "bfcl"))
				tv[1] = t;
		c = results_agent(tv, tv[1] != NULL ? 2 : 1);
		x = line(c, "JSON Output Validity");
		ok(tv[1] != NULL && is(str(x, "task"), "structured_output") &&
		    is(str(x, "metric"), "json_valid") &&
		    num(x, "value") == 0.75 && num(x, "n") == 32,
		    "JSON validity: the structured-output task before BFCL");
		cJSON_Delete(c);
		cJSON_Delete(so);
	}
	x = line(a, "Tool Use Success");
	ok(str(x, "task") == NULL && isnan(num(x, "value")) &&
	    is(str(x, "note"), "task not run"), "tool use: n/a, and says "
	    "why");
	{
		/* The BFCL multi-turn tasks run: their mean. */
		cJSON *mb = cJSON_Parse("{\"name\":\"bfcl_multi_turn_base\","
		    "\"dataset\":\"BFCL multi_turn_base\",\"metrics\":[{"
		    "\"name\":\"accuracy\",\"value\":0.5,\"stderr\":0.03,"
		    "\"n\":200}]}");
		cJSON *mp = cJSON_Parse("{\"name\":"
		    "\"bfcl_multi_turn_miss_param\",\"metrics\":[{\"name\":"
		    "\"accuracy\",\"value\":0.25,\"stderr\":0.04,"
		    "\"n\":200}]}");
		const cJSON *tv[2] = { mb, mp };
		cJSON *c = results_agent(tv, 2);

		x = line(c, "Tool Use Success");
		ok(num(x, "value") == 0.375 && num(x, "n") == 400 &&
		    fabs(num(x, "stderr") - 0.025) < 1e-12 &&
		    is(str(x, "task"), "bfcl_multi_turn_base,"
		    "bfcl_multi_turn_miss_param") && str(x, "source") != NULL &&
		    strstr(str(x, "source"), "mean of 2 tasks") != NULL,
		    "tool use: the mean of the BFCL multi-turn tasks run "
		    "(%s)", str(x, "source") ? str(x, "source") : "?");
		cJSON_Delete(c);
		c = results_agent(tv, 1);
		x = line(c, "Tool Use Success");
		ok(num(x, "value") == 0.5 && num(x, "n") == 200 &&
		    fabs(num(x, "stderr") - 0.03) < 1e-12,
		    "tool use: one multi-turn task is its own value");
		cJSON_Delete(c);
		cJSON_Delete(mb);
		cJSON_Delete(mp);
	}
	x = line(b, "Function Calling Accuracy");
	ok(str(x, "task") == NULL && is(str(x, "note"), "task not run"),
	    "function calling without BFCL: task not run");
	cJSON_Delete(a);
	cJSON_Delete(b);
}

static void
test_report(const cJSON *bal, const cJSON *perf)
{
	const cJSON *runs[2] = { bal, perf };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	const char *p;
	int rc;

	rc = report_render(runs, 2, &out, &err);
	is_int(rc, 0, "the pair renders (%s)", err.buf);
	p = strstr(out.buf, "##### **Agent Evaluation Results**\n");
	ok(p != NULL && strstr(p, "- **Function Calling Accuracy:** 62.5% "
	    "± 2.0% (BFCL overall accuracy, `bfcl`, n = 400)\n") != NULL,
	    "per preset: a measured line names its benchmark and n");
	ok(strstr(out.buf, "- **Multi-turn Coherence:** 7.25/10 ± 0.15 "
	    "(MT-Bench second-turn score, `mtbench`, n = 80)\n") != NULL,
	    "per preset: MT-Bench on its 0-10 scale");
	ok(strstr(out.buf, "- **Tool Use Success:** n/a (task not "
	    "run)\n") != NULL,
	    "per preset: tool use is n/a with the reason");
	ok(strstr(out.buf, "- **Function Calling Accuracy:** n/a (task not "
	    "run)\n") != NULL, "per preset: a task not run is n/a");
	p = strstr(out.buf, "### Agent Capabilities\n");
	ok(p != NULL, "comparative analysis: Agent Capabilities");
	ok(p != NULL && strstr(p, "| **Instruction Following** | 72.5% | "
	    "70.0% (-2.5 pp) | IFEval prompt-level strict accuracy |\n") !=
	    NULL, "table: one column per preset, delta in pp against the "
	    "first");
	ok(p != NULL && strstr(p, "| **Multi-turn Coherence** | 6.75/10 | "
	    "7.25/10 (+0.50) |") != NULL, "table: 0-10 deltas in points");
	ok(p != NULL && strstr(p, "| **Reasoning Quality** | 55.0% | 81.3% "
	    "(`gsm8k`) | ARC-Challenge acc_norm |\n") != NULL,
	    "table: another benchmark is named, not compared");
	ok(p != NULL && strstr(p, "| **Function Calling Accuracy** | n/a | "
	    "62.5% | BFCL overall accuracy |\n") != NULL,
	    "table: n/a where a run lacks the task");
	p = strstr(out.buf, "##### **Breakdown: IFEval**\n");
	ok(p != NULL && strstr(p, "| inst_level_strict_acc | keywords | "
	    "80.0% ± 3.0% | 150 |\n") != NULL, "a per-group metric goes to "
	    "the breakdown table");
	ok(strstr(out.buf, "inst_level_strict_acc,keywords") == NULL,
	    "and not to the Notes cell");
	ok(strstr(out.buf, "##### **Breakdown: GSM8K**") == NULL,
	    "GSM8K's filters (no plain exact_match) stay in Notes");
	strbuf_release(&out);
	strbuf_release(&err);
}

int
main(void)
{
	const char *src = getenv("QEVAL_SRCDIR");
	cJSON *bal, *perf;

	if (src == NULL)
		return (tap_bail("QEVAL_SRCDIR is not set"));
	bal = load(src, "balanced.json");
	perf = load(src, "performance.json");
	if (bal == NULL || perf == NULL)
		return (tap_bail("fixtures missing"));
	test_block(bal, perf);
	test_report(bal, perf);
	cJSON_Delete(bal);
	cJSON_Delete(perf);
	return (tap_done());
}
