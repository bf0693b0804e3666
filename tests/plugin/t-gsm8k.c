/*
 * gsm8k plugin: lm-eval's filters and normalisation on hand-made answers,
 * the few-shot draws against Python's own random module, the request
 * shapes (completion prompt, chat turns), and with QEVAL_DATA_DIR the
 * whole test set: gold 100% on both filters, corrupted 0%.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugtest.h"
#include "tap.h"

struct canned {
	const char *text;
	const char *finish;
};

static int
answer(void *arg, size_t sample, const struct qeval_request *req,
    struct plugtest_answer *out)
{
	const struct canned *c = arg;

	(void)sample;
	(void)req;
	out->text = c->text;
	out->finish_reason = c->finish ? c->finish : "stop";
	return (0);
}

static void
check(struct plugtest *pt, size_t i, const char *text, double strict,
    double flex, const char *what)
{
	struct canned c = { text, NULL };
	struct qeval_verdict v;

	if (plugtest_run(pt, i, 0, PLUGTEST_CALLBACK, answer, &c, &v) != 0) {
		ok(0, "%s: run failed: %s", what, pt->err.buf);
		return;
	}
	ok(v.values[0] == strict && v.values[1] == flex,
	    "%s: strict %g flexible %g (got %g %g, %.120s)", what, strict, flex,
	    v.values[0], v.values[1], v.detail ? v.detail : "");
}

/* Python's own draws: random.Random(1234).sample(range(n), 5), twice. */
static int
python_draws(size_t n, int out[2][5])
{
	const char *py = getenv("PYTHON3");
	char cmd[512];
	FILE *p;
	int k, rc = -1;

	snprintf(cmd, sizeof(cmd), "%s -c 'import random\nr=random.Random("
	    "1234)\nfor _ in range(2): print(*r.sample(range(%zu), 5))'",
	    py ? py : "python3", n);
	p = popen(cmd, "r");
	if (p == NULL)
		return (-1);
	for (k = 0; k < 10; k++)
		if (fscanf(p, "%d", &out[k / 5][k % 5]) != 1)
			break;
	if (k == 10)
		rc = 0;
	pclose(p);
	return (rc);
}

int
main(void)
{
	const char *src = getenv("QEVAL_SRCDIR");
	const char *data = getenv("QEVAL_DATA_DIR");
	struct strbuf fx = STRBUF_INIT;
	struct plugtest pt;
	struct qeval_verdict v;
	const struct qeval_exchange *ex;
	int draws[2][5], s, k;
	size_t n, i;

	if (src == NULL)
		return (tap_bail("QEVAL_SRCDIR is not set"));
	/* Fixture data: its own manifest-free files, read unverified. */
	setenv("QEVAL_MANIFEST_DIR", "none", 1);
	strbuf_addf(&fx, "%s/tests/fixtures/gsm8k", src);

	if (plugtest_open(&pt, "gsm8k", "gsm8k", fx.buf, NULL, 0, 0) != 0)
		return (tap_bail("open: %s", pt.err.buf));
	is_int((long long)pt.plugin.desc->count(pt.state), 4,
	    "4 fixture items");

	/* Few-shot draws equal Python's random.sample with seed 1234. */
	if (python_draws(25, draws) != 0)
		tap_skip("python3 not available for the few-shot check");
	else
		for (s = 0; s < 2; s++) {
			struct canned c = { "x", NULL };
			const char *p;
			int inorder = 1;

			plugtest_run(&pt, (size_t)s, 0, PLUGTEST_CALLBACK,
			    answer, &c, &v);
			ex = plugtest_exchanges(&n);
			p = ex[0].req.body;
			for (k = 0; k < 5 && p != NULL; k++) {
				char needle[64];

				snprintf(needle, sizeof(needle), "number %d:",
				    draws[s][k]);
				p = strstr(p, needle);
				if (p == NULL)
					inorder = 0;
			}
			ok(inorder, "sample %d: few-shot examples are Python's "
			    "draws %d %d %d %d %d, in order", s, draws[s][0],
			    draws[s][1], draws[s][2], draws[s][3], draws[s][4]);
		}

	/* The completion request: prompt, stops, greedy, 256 tokens. */
	{
		struct canned c = { "x", NULL };

		plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, answer, &c, &v);
		ex = plugtest_exchanges(&n);
		ok(n == 1 && ex[0].req.kind == QEVAL_REQ_COMPLETION,
		    "completion request");
		ok(strstr(ex[0].req.body, "\\n#### 48\\n\\nQuestion: ") !=
		    NULL, "shots: target, then \\n\\n, then the next question");
		ok(strstr(ex[0].req.body, "Question: Tom has 70 apples and "
		    "buys 2 more. How many apples does he have?\\nAnswer:\"") !=
		    NULL, "prompt ends with the question and 'Answer:'");
		ok(strstr(ex[0].req.body, "\"stop\":[\"Question:\",\"</s>\","
		    "\"<|im_end|>\"]") != NULL, "lm-eval's stop sequences");
		ok(ex[0].req.temperature == 0.0 && ex[0].req.max_tokens == 256,
		    "greedy, 256 new tokens");
	}

	/* lm-eval's filters and exact_match normalisation. */
	check(&pt, 0, "He has 72 apples.\n#### 72", 1, 1, "both filters");
	check(&pt, 0, "The answer is 72.", 0, 1,
	    "no ####: strict invalid, flexible strips the final period");
	check(&pt, 1, "Total: $1,234.", 0, 1, "flexible drops $ , and .");
	check(&pt, 1, "#### 1,234", 1, 1, "gold with a comma");
	check(&pt, 0, "#### 72 apples, then 5 more", 1, 0,
	    "strict takes the first match, flexible the last number");
	check(&pt, 0, "#### 7 and later #### 72", 0, 1,
	    "strict takes the first #### match");
	check(&pt, 0, "I cannot say.", 0, 0, "no number: both invalid");
	check(&pt, 3, "So it is -7.\n#### -7", 1, 1, "negative numbers");
	check(&pt, 2, "#### 5.0", 0, 0, "5.0 is not 5 (exact match)");
	{
		struct canned c = { "He has 7", "length" };

		plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, answer, &c, &v);
		ok((v.flags & QEVAL_VF_TRUNCATED) && v.values[4] == 1.0,
		    "finish_reason length counts as truncated");
		ok(v.values[2] == 1.0 && v.values[3] == 0.0,
		    "invalid rates per filter");
	}
	/* Hostile output never breaks the scorer. */
	{
		char *big = malloc(1 << 20);

		memset(big, '9', (1 << 20) - 1);
		big[(1 << 20) - 1] = '\0';
		check(&pt, 0, big, 0, 0, "a 1 MiB number");
		free(big);
		check(&pt, 0, "\xff\xfe #### 72 \xc3", 1, 1,
		    "invalid UTF-8 around the answer");
	}
	plugtest_close(&pt);

	/* Chat: few-shot examples as turns. */
	if (plugtest_open(&pt, "gsm8k", "gsm8k", fx.buf, NULL, 1, 0) != 0)
		return (tap_bail("open chat: %s", pt.err.buf));
	{
		struct canned c = { "#### 72", NULL };

		plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, answer, &c, &v);
		ex = plugtest_exchanges(&n);
		ok(n == 1 && ex[0].req.kind == QEVAL_REQ_CHAT &&
		    strstr(ex[0].req.body, "{\"role\":\"assistant\",\"content\""
		    ":\"48 + 24") == NULL && strstr(ex[0].req.body,
		    "\"role\":\"assistant\"") != NULL,
		    "chat: shots as assistant turns");
		ok(v.values[1] == 1.0, "chat answer scored");
	}
	plugtest_close(&pt);

	/* The CoT recipe. */
	if (plugtest_open(&pt, "gsm8k", "gsm8k_cot", fx.buf, NULL, 0, 0) != 0)
		return (tap_bail("open cot: %s", pt.err.buf));
	check(&pt, 0, "70 + 2 = 72. The answer is 72.", 1, 1,
	    "cot: 'The answer is N.'");
	check(&pt, 0, "#### 72", 0, 1, "cot: #### is not the strict format");
	{
		struct canned c = { "x", NULL };

		plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, answer, &c, &v);
		ex = plugtest_exchanges(&n);
		ok(strstr(ex[0].req.body, "Q: There are 15 trees in the grove."
		    " Grove workers will plant trees in the grove today. After "
		    "they are done, there will be 21 trees. How many trees did "
		    "the grove workers plant today?\\nA: There are 15 trees "
		    "originally.") == ex[0].req.body + strlen("{\"prompt\":\""),
		    "cot: the first Wei et al. exemplar opens the prompt");
		ok(strstr(ex[0].req.body, "Q: Tom has 70 apples and buys 2 "
		    "more. How many apples does he have?\\nA:\"") != NULL,
		    "cot: prompt ends with 'A:'");
	}
	plugtest_close(&pt);
	unsetenv("QEVAL_MANIFEST_DIR");

	/* The real test set: gold 100%, corrupted 0%, on both filters. */
	if (data == NULL) {
		tap_skip("QEVAL_DATA_DIR not set: full GSM8K gold/corrupt");
	} else {
		const char *tasks[2] = { "gsm8k", "gsm8k_cot" };
		int t;

		for (t = 0; t < 2; t++) {
			size_t good = 0, bad = 0, cnt;

			if (plugtest_open(&pt, "gsm8k", tasks[t], data, NULL, 1,
			    0) != 0) {
				ok(0, "%s: open: %s", tasks[t], pt.err.buf);
				plugtest_close(&pt);
				continue;
			}
			cnt = pt.plugin.desc->count(pt.state);
			for (i = 0; i < cnt; i++) {
				if (plugtest_run(&pt, i, 0, PLUGTEST_GOLD, NULL,
				    NULL, &v) == 0 && v.values[0] == 1.0 &&
				    v.values[1] == 1.0)
					good++;
				if (plugtest_run(&pt, i, 0, PLUGTEST_CORRUPT,
				    NULL, NULL, &v) == 0 &&
				    v.values[0] == 0.0 && v.values[1] == 0.0)
					bad++;
			}
			is_int((long long)cnt, 1319, "%s: 1319 test items",
			    tasks[t]);
			is_int((long long)good, (long long)cnt,
			    "%s: gold answers score 100%% on both filters",
			    tasks[t]);
			is_int((long long)bad, (long long)cnt,
			    "%s: corrupted answers score 0%% on both filters",
			    tasks[t]);
			plugtest_close(&pt);
		}
	}
	strbuf_release(&fx);
	return (tap_done());
}
