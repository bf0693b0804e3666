/*
 * t-hellaswag: the hellaswag plugin through plugtest: lm-eval's
 * preprocess and query, both readers (official jsonl, llama.cpp text),
 * acc vs acc_norm on hand-computed values, the generative variant,
 * dataset errors, and (with QEVAL_DATA_DIR) the reference model on all
 * 10042 validation items.
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

/* Roof shingle removal, gold 3 ("starts pulling up roofing on a roof.",
 * 36 characters): ending 2 (26 characters) has the best total, -14,
 * but per character -14/26 = -0.5385 < -19/36 = -0.5278. */
static const double roof_lp[4] = { -20.0, -15.0, -14.0, -19.0 };

static int
answer_roof(void *arg, size_t sample, const struct qeval_request *req,
    struct plugtest_answer *out)
{
	(void)arg;
	(void)sample;
	(void)req;
	out->n_choices = 4;
	out->logprob = roof_lp;
	return (0);
}

/* The body of sample i's request, copied (free it). */
static char *
body_of(struct plugtest *pt, size_t i)
{
	const struct qeval_exchange *ex;
	struct qeval_verdict v;
	size_t n;

	if (plugtest_run(pt, i, 0, PLUGTEST_GOLD, NULL, NULL, &v) != 0)
		return (NULL);
	ex = plugtest_exchanges(&n);
	return (n == 1 ? strdup(ex[0].req.body) : NULL);
}

static const char roof_body[] = "{\"context\":\"Roof shingle removal: A "
    "man is sitting on a roof. He\",\"continuations\":[\" is using wrap "
    "to wrap a pair of skis.\",\" is ripping level tiles off.\",\" is "
    "holding a rubik's cube.\",\" starts pulling up roofing on a "
    "roof.\"]}";
/* lm-eval's preprocess: " [title]" -> ". ", "[header]" deleted after the
 * strip (so the ending keeps a leading space), "   " -> "  " (one pass
 * of replace("  ", " ")), an unclosed "[" kept. */
static const char wall_body[] = "{\"context\":\"Home and Garden: How to "
    "paint a wall. Prepare the room. Move the furniture.\","
    "\"continuations\":[\"  Use a roller.\",\" Paint it a  lot.\",\" Call "
    "a painter [now.\",\" Leave.\"]}";

/*
 * ctx_b.capitalize() with Python's Unicode case mappings.  Each want is
 * lm-eval's query as Python 3.11 computes it: preprocess(activity_label
 * + ": " + ctx_a + " " + ctx_b.capitalize()) for the records of
 * tests/fixtures/hellaswag/unicode.jsonl.
 */
static void
test_unicode(void)
{
	static const char *const want[] = {
		"\"Skiing: A woman skis down a slope. \u00c9lan vital carries "
		"her down.\"",
		"\"Street names: The sign reads. Sstra\u00dfe names are "
		"long.\"",
		"\"Greek: The letters spell \u039f\u03b4\u03bf\u03c2 "
		"\u03ba\u03b1\u03b9 \u03c3\u03bf\u03c6\u03b9\u03b1 on the "
		"wall.\"",
		"\"Ligatures: He writes Ffix \u01c6 \u0149 i\u0307.\"",
	};
	const struct qeval_kv kv[] = { { "test_file",
	    "hellaswag/unicode.jsonl" }, { NULL, NULL } };
	struct plugtest pt;
	size_t i;
	char *b;
	int rc;

	rc = plugtest_open(&pt, "hellaswag", "hellaswag", fixtures, kv, 0, 0);
	is_int(rc, 0, "open unicode.jsonl (%s)", pt.err.buf);
	for (i = 0; rc == 0 && i < sizeof(want) / sizeof(want[0]); i++) {
		b = body_of(&pt, i);
		ok(b != NULL && strstr(b, want[i]) != NULL, "capitalize() as "
		    "Python's: %s in %s", want[i], b ? b : "(null)");
		free(b);
	}
	plugtest_close(&pt);
}

static void
test_readers(void)
{
	const struct qeval_kv txt[] = { { "test_file", "hellaswag/val.txt" },
	    { NULL, NULL } };
	const struct qeval_kv txt0[] = { { "test_file", "hellaswag/val.txt" },
	    { "capitalize", "0" }, { NULL, NULL } };
	const struct qeval_kv js[] = { { "test_file", "hellaswag/val.jsonl" },
	    { NULL, NULL } };
	struct qeval_verdict v;
	struct plugtest pt;
	char *b;
	int rc;

	rc = plugtest_open(&pt, "hellaswag", "hellaswag", fixtures, js, 0, 0);
	is_int(rc, 0, "open the jsonl fixture (%s)", pt.err.buf);
	if (rc == 0) {
		is_int((long long)pt.plugin.desc->count(pt.state), 3,
		    "jsonl: 3 items");
		b = body_of(&pt, 0);
		is_str(b, roof_body, "jsonl: ctx_b.capitalize()");
		free(b);
		b = body_of(&pt, 1);
		ok(b != NULL && strstr(b, "\"Clean and jerk: A lady walks to a "
	    "barbell. The lady in red\"") != NULL, "jsonl: capitalize() "
		    "lower-cases the rest of ctx_b: %s", b ? b : "(null)");
		free(b);
		b = body_of(&pt, 2);
		is_str(b, wall_body, "jsonl: preprocess, empty ctx_b");
		free(b);
		rc = plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, answer_roof,
		    NULL, &v);
		is_int(rc, 0, "roof scored");
		is_dbl(v.values[0], 0, 0, "acc: ending 2 has the best total");
		is_dbl(v.values[1], 1, 0, "acc_norm: gold ending 3 per char");
		is_str(v.extracted, "3", "extracted: acc_norm's ending");
		is_str(v.category, "Roof shingle removal", "category");
		is_str(pt.plugin.desc->sample_id(pt.state, 2), "hellaswag/2",
		    "sample id");
	}
	plugtest_close(&pt);

	rc = plugtest_open(&pt, "hellaswag", "hellaswag", fixtures, txt, 0, 0);
	is_int(rc, 0, "open the text fixture (%s)", pt.err.buf);
	if (rc == 0) {
		is_int((long long)pt.plugin.desc->count(pt.state), 3,
		    "text: 3 items, trailing blank line ignored");
		b = body_of(&pt, 0);
		is_str(b, roof_body, "text: the same request as the jsonl");
		free(b);
		b = body_of(&pt, 1);
		is_str(b, wall_body, "text: preprocess");
		free(b);
		b = body_of(&pt, 2);
		ok(b != NULL && strstr(b, "\"Dog walking: Someone runs! The "
		    "dog\"") != NULL, "text: fragment after '! ' capitalised");
		free(b);
		rc = plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, answer_roof,
		    NULL, &v);
		ok(rc == 0 && v.values[0] == 0 && v.values[1] == 1,
		    "text: acc 0, acc_norm 1");
	}
	plugtest_close(&pt);

	test_unicode();

	rc = plugtest_open(&pt, "hellaswag", "hellaswag", fixtures, txt0, 0,
	    0);
	is_int(rc, 0, "open the text fixture, capitalize=0");
	if (rc == 0) {
		b = body_of(&pt, 0);
		ok(b != NULL && strstr(b, "on a roof. he\"") != NULL,
		    "capitalize=0 keeps llama.cpp's text");
		free(b);
	}
	plugtest_close(&pt);
}

static void
test_gen(void)
{
	const struct qeval_kv kv[] = { { "test_file", "hellaswag/val.jsonl" },
	    { "prefill", "0" }, { NULL, NULL } };
	const struct qeval_exchange *ex;
	struct qeval_verdict v;
	struct plugtest pt;
	size_t n;
	int rc;

	rc = plugtest_open(&pt, "hellaswag", "hellaswag_gen", fixtures, kv, 1,
	    0);
	is_int(rc, 0, "open hellaswag_gen (%s)", pt.err.buf);
	if (rc != 0) {
		plugtest_close(&pt);
		return;
	}
	mctest_gen_text = "The best answer is D.";
	plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, mctest_text, NULL, &v);
	ok(v.values[0] == 1 && v.values[1] == 0, "gen: D is gold 3");
	mctest_gen_text = "d";
	plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, mctest_text, NULL, &v);
	ok(v.values[0] == 1, "gen: bare lower-case letter");
	mctest_gen_text = "Hmm.";
	plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, mctest_text, NULL, &v);
	ok(v.values[0] == 0 && v.values[1] == 1 &&
	    (v.flags & QEVAL_VF_INVALID), "gen: no letter is invalid");
	ex = plugtest_exchanges(&n);
	is_str(ex[0].req.body, "{\"messages\":[{\"role\":\"user\",\"content\":"
	    "\"Choose the most plausible continuation of the text below.\\n"
	    "Text: Roof shingle removal: A man is sitting on a roof. He\\nA. "
	    "is using wrap to wrap a pair of skis.\\nB. is ripping level tiles "
	    "off.\\nC. is holding a rubik's cube.\\nD. starts pulling up "
	    "roofing on a roof.\\nFinish your response with \\\"The best "
	    "answer is X\\\", where X is A, B, C or D.\"}]}", "gen prompt");
	mctest_gold_corrupt(&pt, 3, "gen");
	plugtest_close(&pt);
}

/* The default: hellaswag_llama's prompt scored as arc_challenge_chat. */
static void
test_chat(void)
{
	const struct qeval_kv kv[] = { { "test_file", "hellaswag/val.jsonl" },
	    { NULL, NULL } };
	const struct qeval_exchange *ex;
	struct qeval_verdict v;
	struct plugtest pt;
	size_t n;
	int rc;

	rc = plugtest_open(&pt, "hellaswag", "hellaswag_gen", fixtures, kv, 1,
	    0);
	is_int(rc, 0, "open hellaswag_gen (%s)", pt.err.buf);
	if (rc != 0) {
		plugtest_close(&pt);
		return;
	}
	/* " d".strip().lower().translate(no punctuation) == "d" */
	mctest_gen_text = " d";
	plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, mctest_text, NULL, &v);
	ok(v.values[0] == 1 && v.values[1] == 0 && v.values[3] == 0,
	    "chat: ' d' is gold 3 (%s)", v.reason);
	mctest_gen_text = " D, because he starts pulling";
	plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, mctest_text, NULL, &v);
	ok(v.values[0] == 0 && v.values[1] == 1, "chat: 'D because he "
	    "starts pulling' is not 'd'");
	ex = plugtest_exchanges(&n);
	is_str(ex[0].req.body, "{\"messages\":[{\"role\":\"user\",\"content\":"
	    "\"Given the following context and four candidate endings, choose "
	    "the best ending.\\nContext: Roof shingle removal: A man is "
	    "sitting on a roof. He\\nA. is using wrap to wrap a pair of skis."
	    "\\nB. is ripping level tiles off.\\nC. is holding a rubik's "
	    "cube.\\nD. starts pulling up roofing on a roof.\\nYour response "
	    "should end with \\\"The best answer is [the_answer_letter]\\\" "
	    "where the [the_answer_letter] is one of A, B, C or D.\"},"
	    "{\"role\":\"assistant\",\"content\":\"The best answer is\"}],"
	    "\"continue_final_message\":true,\"add_generation_prompt\":"
	    "false,\"stop\":[\"\\n\\n\",\".\"]}", "hellaswag_llama prompt, "
	    "prefilled");
	ok(ex[0].req.max_tokens == 100, "chat: 100 tokens");
	mctest_gold_corrupt(&pt, 3, "chat");
	plugtest_close(&pt);
}

static void
test_errors(void)
{
	static const struct {
		const char	*file;
		const char	*want[2];
	} cases[] = {
		{ "hellaswag/bad-label.txt", { "bad-label.txt:8", "0, 1, 2 or "
		  "3" } },
		{ "hellaswag/truncated.txt", { "truncated.txt:",
		  "truncated" } },
		{ "hellaswag/bad-label.jsonl", { "bad-label.jsonl:1",
		  "label" } },
		{ "hellaswag/bad-field.jsonl", { "bad-field.jsonl:1",
		  "ctx_b" } },
	};
	struct plugtest pt;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct qeval_kv kv[] = { { "test_file", cases[i].file },
		    { NULL, NULL } };

		rc = plugtest_open(&pt, "hellaswag", "hellaswag", fixtures, kv,
		    0, 0);
		ok(rc == QEVAL_EDATA && strstr(pt.err.buf, cases[i].want[0]) &&
		    strstr(pt.err.buf, cases[i].want[1]), "%s: %s",
		    cases[i].file, pt.err.buf);
		plugtest_close(&pt);
	}
}

static void
test_real(void)
{
	struct plugtest pt;
	char *b;
	int rc;

	mctest_full_set("hellaswag", "hellaswag", 10042);
	mctest_full_set("hellaswag", "hellaswag_gen", 10042);

	rc = plugtest_open(&pt, "hellaswag", "hellaswag", NULL, NULL, 0, 0);
	if (rc == 0) {
		b = body_of(&pt, 0);
		is_str(b, roof_body, "real item 0: lm-eval's query");
		free(b);
	} else
		ok(0, "open hellaswag: %s", pt.err.buf);
	/*
	 * 10-shot from the validation file itself: Python's
	 * random.Random(1234).sample(range(10042), 11) is [7220, 1914, ...]
	 * for item 0; item 7220 is "Finance and Business: How to apply for
	 * a marriage license in florida ...", gold 3.
	 */
	rc = rc == 0 ? mctest_reopen(&pt, 10) : rc;
	is_int(rc, 0, "10-shot opens (%s)", host_ctx_msg(&pt.ctx));
	if (rc == 0) {
		b = body_of(&pt, 0);
		ok(b != NULL && strncmp(b, "{\"context\":\"Finance and "
		    "Business: How to apply for a marriage license in florida.",
		    69) == 0 && strstr(b, "\\n\\nRoof shingle removal: A man "
		    "is sitting on a roof. He\",") != NULL,
		    "10-shot: first example is item 7220, the item last");
		ok(b != NULL && strstr(pt.log.buf, "fewshot_file") != NULL,
		    "10-shot without a train file warns");
		free(b);
	}
	plugtest_close(&pt);
}

int
main(void)
{
	const char *src = getenv("QEVAL_SRCDIR");

	snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures",
	    src ? src : ".");
	test_readers();
	test_gen();
	test_chat();
	test_errors();
	if (getenv("QEVAL_DATA_DIR") == NULL || *getenv("QEVAL_DATA_DIR") ==
	    '\0')
		tap_skip("QEVAL_DATA_DIR is not set: the full HellaSwag "
		    "validation set is not checked");
	else
		test_real();
	return (tap_done());
}
