/*
 * t-arc: the arc plugin through plugtest: lm-eval's request shape,
 * acc and acc_norm on hand-computed log-likelihoods, labels 1-4, the
 * few-shot draw, the generative variant's letter rule, dataset errors,
 * and (with QEVAL_DATA_DIR) the reference model on the full sets.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mctest.h"
#include "plugtest.h"
#include "tap.h"

static char fixtures[4096];

/* Log-likelihoods per sample of tests/fixtures/arc/mini.jsonl. */
static const double mini_lp[4][5] = {
	/* gold B "a much longer answer text" (25 chars) loses on the total
	 * to "Yes" (-6 > -10) but wins per character (-0.4 > -2). */
	{ -6.0, -10.0, -7.0, -12.0 },
	/* gold "2" = "cafe!": "café" wins the total; per code point
	 * -4.2/4 = -1.05 < -5.1/5 = -1.02, so "cafe!" wins acc_norm
	 * (per byte "café" would: -4.2/5 = -0.84). */
	{ -4.2, -5.1, -9.0, -9.0 },
	/* gold B: a tie on the total goes to the first choice (numpy). */
	{ -3.0, -3.0, -5.0 },
	/* gold E, five choices: both right. */
	{ -9.0, -9.0, -9.0, -9.0, -1.0 },
};
static const double mini_acc[4] = { 0, 0, 0, 1 };
static const double mini_norm[4] = { 1, 1, 1, 1 };

static int
answer_mini(void *arg, size_t sample, const struct qeval_request *req,
    struct plugtest_answer *out)
{
	cJSON *j = cJSON_Parse(req->body);
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "continuations");

	(void)arg;
	out->n_choices = (size_t)cJSON_GetArraySize(c);
	out->logprob = mini_lp[sample];
	cJSON_Delete(j);
	return (0);
}

static const char *
body_of_run(struct plugtest *pt, size_t i, struct qeval_verdict *v)
{
	const struct qeval_exchange *ex;
	size_t n;

	if (plugtest_run(pt, i, 0, PLUGTEST_GOLD, NULL, NULL, v) != 0)
		return (NULL);
	ex = plugtest_exchanges(&n);
	return (n == 1 ? ex[0].req.body : NULL);
}

static void
test_requests(void)
{
	const struct qeval_kv kv[] = { { "test_file", "arc/mini.jsonl" },
	    { NULL, NULL } };
	const struct qeval_exchange *ex;
	struct qeval_verdict v;
	struct plugtest pt;
	cJSON *j;
	size_t i, n;
	int rc;

	rc = plugtest_open(&pt, "arc", "arc_challenge", fixtures, kv, 0, 0);
	is_int(rc, 0, "open arc_challenge on the fixture (%s)", pt.err.buf);
	if (rc != 0) {
		plugtest_close(&pt);
		return;
	}
	is_int((long long)pt.plugin.desc->count(pt.state), 4, "4 samples");
	is_str(pt.plugin.desc->sample_id(pt.state, 1), "mini-1", "sample id");
	is_str(body_of_run(&pt, 0, &v), "{\"context\":\"Question: Is the "
	    "answer short?\\nAnswer:\",\"continuations\":[\" Yes\",\" a much "
	    "longer answer text\",\" No\",\" Maybe\"]}", "lm-eval context "
	    "and continuations");
	ex = plugtest_exchanges(&n);
	ok(ex[0].req.kind == QEVAL_REQ_LOGLIK && ex[0].req.temperature == 0.0,
	    "a LOGLIK request at temperature 0");
	is_str(body_of_run(&pt, 2, &v), "{\"context\":\"Question: Which is a "
	    "gas?\\nAnswer:\",\"continuations\":[\" ice\",\" steam\","
	    "\" rock\"]}", "Hugging Face layout read too");

	for (i = 0; i < 4; i++) {
		rc = plugtest_run(&pt, i, 0, PLUGTEST_CALLBACK, answer_mini,
		    NULL, &v);
		is_int(rc, 0, "mini %zu scored", i);
		is_dbl(v.values[0], mini_acc[i], 0, "mini %zu: acc", i);
		is_dbl(v.values[1], mini_norm[i], 0, "mini %zu: acc_norm", i);
	}
	plugtest_run(&pt, 1, 0, PLUGTEST_CALLBACK, answer_mini, NULL, &v);
	is_str(v.extracted, "2", "label 1-4 item: extracted = acc_norm's "
	    "label");
	ok(v.reason != NULL && strstr(v.reason, "gold 2") != NULL &&
	    strstr(v.reason, "highest log-likelihood 1") != NULL,
	    "reason: %s", v.reason ? v.reason : "(null)");
	j = v.detail != NULL ? cJSON_Parse(v.detail) : NULL;
	ok(j != NULL, "detail is JSON: %s", v.detail ? v.detail : "(null)");
	cJSON_Delete(j);

	for (i = 0; i < 4; i++) {
		plugtest_run(&pt, i, 0, PLUGTEST_GOLD, NULL, NULL, &v);
		ok(v.values[0] == 1 && v.values[1] == 1, "gold %zu: 1/1", i);
		plugtest_run(&pt, i, 0, PLUGTEST_CORRUPT, NULL, NULL, &v);
		ok(v.values[0] == 0 && v.values[1] == 0, "corrupt %zu: 0/0", i);
	}
	plugtest_close(&pt);
}

static void
test_fewshot(void)
{
	const struct qeval_kv kv30[] = { { "test_file", "arc/mini.jsonl" },
	    { "fewshot_file", "arc/train30.jsonl" }, { NULL, NULL } };
	const struct qeval_kv kv10[] = { { "test_file", "arc/mini.jsonl" },
	    { "fewshot_file", "arc/train10.jsonl" }, { NULL, NULL } };
	struct qeval_verdict v;
	struct plugtest pt;
	const char *b;
	int rc;

	/* Python: r = random.Random(1234); [r.sample(range(30), 3) for
	 * _ in range(3)] == [[24, 14, 3], [0, 2, 29], [25, 18, 1]] (the
	 * set branch of random.sample). */
	rc = plugtest_open(&pt, "arc", "arc_challenge", fixtures, kv30, 0, 0);
	rc = rc == 0 ? mctest_reopen(&pt, 3) : rc;
	is_int(rc, 0, "3-shot from train30 (%s)", host_ctx_msg(&pt.ctx));
	if (rc == 0) {
		is_str(body_of_run(&pt, 0, &v), "{\"context\":\"Question: "
	    "Train question 24?\\nAnswer: right 24\\n\\nQuestion: Train "
		    "question 14?\\nAnswer: right 14\\n\\nQuestion: Train "
	    "question 3?\\nAnswer: right 3\\n\\nQuestion: Is the answer "
		    "short?\\nAnswer:\",\"continuations\":[\" Yes\",\" a much "
		    "longer answer text\",\" No\",\" Maybe\"]}",
		    "3-shot context, document 0");
		b = body_of_run(&pt, 2, &v);
		ok(b != NULL && strncmp(b, "{\"context\":\"Question: Train "
		    "question 25?\\nAnswer: right 25\\n\\nQuestion: Train "
		    "question 18?\\n", 71) == 0, "3-shot, document 2 draws "
		    "25, 18, 1: %s", b ? b : "(null)");
	}
	plugtest_close(&pt);

	/* [[7, 1, 0], [1, 0, 9], [1, 5, 3]]: the pool branch (n <= 21);
	 * gold is label "2", the second text. */
	rc = plugtest_open(&pt, "arc", "arc_challenge", fixtures, kv10, 0, 0);
	rc = rc == 0 ? mctest_reopen(&pt, 3) : rc;
	is_int(rc, 0, "3-shot from train10");
	if (rc == 0) {
		b = body_of_run(&pt, 1, &v);
		ok(b != NULL && strncmp(b, "{\"context\":\"Question: Small "
		    "question 1?\\nAnswer: right 1\\n\\nQuestion: Small "
		    "question 0?\\nAnswer: right 0\\n\\nQuestion: Small "
		    "question 9?\\nAnswer: right 9\\n\\nQuestion: Which word",
		    158) == 0, "pool-branch draw for document 1: %s",
		    b ? b : "(null)");
	}
	plugtest_close(&pt);
}

/*
 * prefill=0: qeval's letter extraction (docs/LOGLIK.md lists these
 * cases, the among them).
 */
static void
test_gen(void)
{
	static const struct {
		const char	*text;
		const char	*finish;
		double		 em, invalid;
		const char	*extracted;
	} cases[] = {
		/* the examples (sample 0: four options, gold B) */
		{ "The answer is (E).", "stop", 0, 1, "[invalid]" },
		{ "Choice: (B)", "stop", 0, 1, "[invalid]" },
		{ "a much longer answer text", "stop", 0, 1, "[invalid]" },
		{ "(D) is tempting but the answer is C", "stop", 0, 0, "C" },
		/* sample 0: gold B */
		{ "The answer is (B).", "stop", 1, 0, "B" },
		{ "b", "stop", 1, 0, "B" },
		{ "**C**", "stop", 0, 0, "C" },
		{ "Answer: D) Maybe, because...", "stop", 0, 0, "D" },
		{ "**Answer:** B", "stop", 1, 0, "B" },
		{ "The answer is A bit unclear, but the best answer is B.",
		  "stop", 1, 0, "B" },
		{ "B. Because it is longer.", "stop", 1, 0, "B" },
		{ "The best answer is E.", "stop", 0, 1, "[invalid]" },
		{ "I am not sure.", "stop", 0, 1, "[invalid]" },
		{ "", "stop", 0, 1, "[invalid]" },
		{ "Let me think about a", "length", 0, 1, "[invalid]" },
	};
	const struct qeval_kv kv[] = { { "test_file", "arc/mini.jsonl" },
	    { "prefill", "0" }, { NULL, NULL } };
	const struct qeval_exchange *ex;
	struct qeval_verdict v;
	struct plugtest pt;
	size_t i, n;
	int rc;

	rc = plugtest_open(&pt, "arc", "arc_challenge_gen", fixtures, kv, 1,
	    0);
	is_int(rc, 0, "open arc_challenge_gen prefill=0 (%s)", pt.err.buf);
	if (rc != 0) {
		plugtest_close(&pt);
		return;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mctest_gen_text = cases[i].text;
		mctest_gen_finish = cases[i].finish;
		rc = plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, mctest_text,
		    NULL, &v);
		is_int(rc, 0, "gen '%s' scored", cases[i].text);
		ok(v.values[0] == cases[i].em && v.values[1] ==
		    cases[i].invalid && strcmp(v.extracted, cases[i].extracted)
		    == 0 && ((v.flags & QEVAL_VF_INVALID) != 0) ==
		    (cases[i].invalid > 0) && v.values[3] == 1 &&
		    strstr(v.reason, "qeval letter extraction") != NULL,
		    "gen '%s': em %g invalid %g extracted %s (%s)",
		    cases[i].text, v.values[0], v.values[1], v.extracted,
		    v.reason);
	}
	ok((v.flags & QEVAL_VF_TRUNCATED) && v.values[2] == 1,
	    "finish_reason length: truncated");
	ex = plugtest_exchanges(&n);
	ok(ex[0].req.kind == QEVAL_REQ_CHAT && ex[0].req.temperature == 0 &&
	    ex[0].req.max_tokens == 256, "gen: chat, greedy, 256 tokens");
	is_str(ex[0].req.body, "{\"messages\":[{\"role\":\"user\",\"content\":"
	    "\"Given the following question and candidate answers, choose the "
	    "best answer.\\nQuestion: Is the answer short?\\nA. Yes\\nB. a "
	    "much longer answer text\\nC. No\\nD. Maybe\\nFinish your response "
	    "with \\\"The best answer is X\\\", where X is A, B, C or D.\"}]}",
	    "gen prompt");

	/* Labels 1-4 are shown as letters: gold "2" is B. */
	mctest_gen_text = "The best answer is B";
	plugtest_run(&pt, 1, 0, PLUGTEST_CALLBACK, mctest_text, NULL, &v);
	is_dbl(v.values[0], 1, 0, "gen: label 2 shown as B");
	/* Five options: E is valid there. */
	mctest_gen_text = "The best answer is E";
	plugtest_run(&pt, 3, 0, PLUGTEST_CALLBACK, mctest_text, NULL, &v);
	is_dbl(v.values[0], 1, 0, "gen: E on a five-choice item");
	mctest_gold_corrupt(&pt, 4, "gen");
	plugtest_close(&pt);
}

/*
 * The default: lm-eval's arc_challenge_chat.  Expected verdicts are what
 * lm-eval computes: strip() (filter remove_whitespace), then
 * exact_match(ignore_case=True, ignore_punctuation=True) against
 * doc_to_target; e.g. in Python
 *   p = " **b**".strip().lower().translate(str.maketrans("", "",
 *       string.punctuation))   ->  "b" == "b"
 */
static void
test_chat(void)
{
	static const struct {
		size_t		 sample;
		const char	*text;
		double		 em, invalid;
		const char	*extracted;
	} cases[] = {
		/* sample 0: gold B */
		{ 0, " B", 1, 0, "B" },
		{ 0, " b", 1, 0, "b" },
		{ 0, " (B)", 1, 0, "(B)" },
		{ 0, " **B**", 1, 0, "**B**" },
		/* NO-BREAK SPACE, EM SPACE: str.isspace() */
		{ 0, "\xc2\xa0" "B" "\xe2\x80\x83", 1, 0, "B" },
		{ 0, " B\n\nBecause it is longer", 1, 0, "B" },
		{ 0, " B. Because it is longer", 1, 0, "B" },	/* stop "." */
		{ 0, " B: a much longer answer text", 0, 1,
		  "B: a much longer answer text" },
		{ 0, " B)", 1, 0, "B)" },
		{ 0, " C", 0, 0, "C" },
		{ 0, " E", 0, 1, "E" },		/* not one of A-D */
		{ 0, "", 0, 1, "" },
		{ 0, " option B", 0, 1, "option B" },
		/* sample 1: labels 1-4, answerKey "2": target 'ABCD'[1] */
		{ 1, " B", 1, 0, "B" },
		{ 1, " 2", 0, 1, "2" },
		/* sample 3: five choices, answerKey E (the prompt shows A-D) */
		{ 3, " E", 1, 0, "E" },
	};
	const struct qeval_kv kv[] = { { "test_file", "arc/mini.jsonl" },
	    { NULL, NULL } };
	const struct qeval_kv kv1[] = { { "test_file", "arc/mini.jsonl" },
	    { "prefill", "on" }, { "max_tokens", "50" }, { NULL, NULL } };
	const struct qeval_kv bad[] = { { "test_file", "arc/mini.jsonl" },
	    { "prefill", "auto" }, { NULL, NULL } };
	const struct qeval_exchange *ex;
	struct qeval_verdict v;
	struct plugtest pt;
	size_t i, n;
	int rc;

	rc = plugtest_open(&pt, "arc", "arc_challenge_gen", fixtures, kv, 1,
	    0);
	is_int(rc, 0, "open arc_challenge_gen (%s)", pt.err.buf);
	if (rc != 0) {
		plugtest_close(&pt);
		return;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mctest_gen_text = cases[i].text;
		mctest_gen_finish = "stop";
		rc = plugtest_run(&pt, cases[i].sample, 0, PLUGTEST_CALLBACK,
		    mctest_text, NULL, &v);
		ok(rc == 0 && v.values[0] == cases[i].em && v.values[1] ==
		    cases[i].invalid && v.values[3] == 0 &&
		    strcmp(v.extracted, cases[i].extracted) == 0,
		    "chat %zu '%s': em %g invalid %g extracted '%s' (%s)",
		    cases[i].sample, cases[i].text, v.values[0], v.values[1],
		    v.extracted, v.reason);
	}
	ex = plugtest_exchanges(&n);
	ok(ex[0].req.kind == QEVAL_REQ_CHAT && ex[0].req.temperature == 0 &&
	    ex[0].req.max_tokens == 100, "chat: greedy, 100 tokens");
	plugtest_run(&pt, 0, 0, PLUGTEST_GOLD, NULL, NULL, &v);
	ex = plugtest_exchanges(&n);
	/* lm-eval's prompt: "\\n" is a backslash and an n (a YAML
	 * single-quoted string), the question stripped. */
	is_str(ex[0].req.body, "{\"messages\":[{\"role\":\"user\","
	    "\"content\":\"Given the following question and four candidate "
	    "answers (A, B, C and D), choose the best answer.\\\\nQuestion: "
	    "Is the answer short?\\\\nA. Yes\\\\nB. a much longer answer "
	    "text\\\\nC. No\\\\nD. Maybe\\\\nYour response should end "
	    "with \\\"The best answer is [the_answer_letter]\\\" where the "
	    "[the_answer_letter] is one of A, B, C or D.\"},{\"role\":"
	    "\"assistant\",\"content\":\"The best answer is\"}],"
	    "\"continue_final_message\":true,\"add_generation_prompt\":"
	    "false,\"stop\":[\"\\n\\n\",\".\"]}",
	    "arc_challenge_chat request, byte for byte");
	ok(v.values[0] == 1 && strcmp(v.extracted, "B") == 0,
	    "gold answers the continuation ' B'");
	plugtest_run(&pt, 2, 0, PLUGTEST_GOLD, NULL, NULL, &v);
	ex = plugtest_exchanges(&n);
	ok(strstr(ex[0].req.body, "\\\\nC. rock\\\\nYour response") != NULL,
	    "three choices: no D line (lm-eval's {%% if %%})");
	plugtest_run(&pt, 3, 0, PLUGTEST_GOLD, NULL, NULL, &v);
	ex = plugtest_exchanges(&n);
	ok(strstr(ex[0].req.body, "\\\\nD. four\\\\nYour") != NULL &&
	    strstr(ex[0].req.body, "five") == NULL && v.values[0] == 1,
	    "five choices: A-D shown, gold E still scores");
	mctest_gold_corrupt(&pt, 4, "chat");
	plugtest_close(&pt);

	/* over completions: the prompt + " " + gen_prefix */
	rc = plugtest_open(&pt, "arc", "arc_easy_gen", fixtures, kv1, 0, 0);
	is_int(rc, 0, "open arc_easy_gen prefill=on, completions (%s)",
	    pt.err.buf);
	if (rc == 0) {
		plugtest_run(&pt, 0, 0, PLUGTEST_GOLD, NULL, NULL, &v);
		ex = plugtest_exchanges(&n);
		ok(ex[0].req.kind == QEVAL_REQ_COMPLETION && strstr(
		    ex[0].req.body, "one of A, B, C or D. The best answer "
		    "is\",\"stop\":[\"\\n\\n\",\".\"]}") != NULL &&
		    v.values[0] == 1, "completions: prompt ends \" The best "
		    "answer is\": %s", ex[0].req.body);
		is_int(ex[0].req.max_tokens, 50, "max_tokens=50 overrides "
		    "the recipe's 100");
	}
	plugtest_close(&pt);
	rc = plugtest_open(&pt, "arc", "arc_easy_gen", fixtures, bad, 1, 0);
	ok(rc == QEVAL_EINVAL && strstr(pt.err.buf, "prefill=auto") != NULL,
	    "prefill=auto is refused with a reason: %s", pt.err.buf);
	plugtest_close(&pt);
}

static void
test_errors(void)
{
	const struct qeval_kv key[] = { { "test_file", "arc/bad-key.jsonl" },
	    { NULL, NULL } };
	const struct qeval_kv stem[] = { { "test_file", "arc/bad-stem.jsonl" },
	    { NULL, NULL } };
	const struct qeval_kv tok[] = { { "test_file", "arc/mini.jsonl" },
	    { "max_tokens", "lots" }, { NULL, NULL } };
	struct plugtest pt;
	int rc;

	rc = plugtest_open(&pt, "arc", "arc_challenge", fixtures, key, 0, 0);
	ok(rc == QEVAL_EDATA && strstr(pt.err.buf, "bad-key.jsonl:1") &&
	    strstr(pt.err.buf, "answerKey"), "unknown answerKey: %s",
	    pt.err.buf);
	plugtest_close(&pt);
	rc = plugtest_open(&pt, "arc", "arc_easy", fixtures, stem, 0, 0);
	ok(rc == QEVAL_EDATA && strstr(pt.err.buf, "bad-stem.jsonl:1") &&
	    strstr(pt.err.buf, "question.stem"), "missing stem: %s",
	    pt.err.buf);
	plugtest_close(&pt);
	rc = plugtest_open(&pt, "arc", "arc_easy_gen", fixtures, tok, 1, 0);
	ok(rc == QEVAL_EINVAL && strstr(pt.err.buf, "max_tokens"),
	    "bad max_tokens: %s", pt.err.buf);
	plugtest_close(&pt);
}

static void
test_real(void)
{
	struct qeval_verdict v;
	struct plugtest pt;
	const char *b;
	int rc;

	mctest_full_set("arc", "arc_challenge", 1172);
	mctest_full_set("arc", "arc_easy", 2376);
	mctest_full_set("arc", "arc_challenge_gen", 1172);

	/* 25-shot, the leaderboard convention: Python's
	 * random.Random(1234).sample(range(1119), 25) starts with 902 for
	 * document 0 and 954 for document 1. */
	rc = plugtest_open(&pt, "arc", "arc_challenge", NULL, NULL, 0, 2);
	rc = rc == 0 ? mctest_reopen(&pt, 25) : rc;
	is_int(rc, 0, "25-shot arc_challenge opens (%s)",
	    host_ctx_msg(&pt.ctx));
	if (rc == 0) {
		b = body_of_run(&pt, 0, &v);
		ok(b != NULL && strncmp(b, "{\"context\":\"Question: What is "
		    "the first step of the process in the formation of se",
		    72) == 0 && strstr(b, "\\nAnswer: erosion\\n\\nQuestion: "
		    "How do moose use a learned behavior") != NULL &&
		    strstr(b, "\\n\\nQuestion: An astronomer observes") !=
		    NULL, "25-shot: train 902 then 239, then the question");
		b = body_of_run(&pt, 1, &v);
		ok(b != NULL && strncmp(b,
		    "{\"context\":\"Question: The Sahara "
		    "Desert", 37) == 0, "25-shot: document 1 starts with train "
		    "954");
		is_int((long long)pt.plugin.desc->count(pt.state), 2,
		    "--limit 2");
	}
	plugtest_close(&pt);
}

int
main(void)
{
	const char *src = getenv("QEVAL_SRCDIR");

	snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures",
	    src ? src : ".");
	test_requests();
	test_fewshot();
	test_gen();
	test_chat();
	test_errors();
	if (getenv("QEVAL_DATA_DIR") == NULL || *getenv("QEVAL_DATA_DIR") ==
	    '\0')
		tap_skip("QEVAL_DATA_DIR is not set: the full ARC sets are not "
		    "checked");
	else
		test_real();
	return (tap_done());
}
