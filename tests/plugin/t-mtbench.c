/*
 * t-mtbench: the MT-Bench plugin.
 *
 * 1. On tests/fixtures/mtbench (4 questions, crafted judge templates):
 *    the four requests of a question (turn 2 carries the model's turn-1
 *    answer, category temperatures, judge target and sampling, the
 *    templates filled as str.format fills them, the math prompts with
 *    reference answers, judge requests without top_p), the rating
 *    parser's odd cases read as FastChat's regexes and ast.literal_eval
 *    read them, and per-turn, pooled overall and per-category averages
 *    checked against hand-computed values, unparsed ratings counted;
 *    option rating_range=1-10 excludes and counts out-of-range ones.
 * 2. Reference model and judge: gold 10, corrupted 1.
 * 3. With QEVAL_DATA_DIR: the 80 real questions, FastChat's judge
 *    prompts filled as FastChat fills them, gold and corrupt runs.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "plugtest.h"
#include "tap.h"

enum { M_T1, M_T2, M_SCORE, M_UNPARSED, M_TRUNC, M_EXCLUDED };

struct script {
	const char	*judge[8][2];	/* by question index, turn */
	char		*bodies[4];	/* the bodies of the last sample */
	struct qeval_request reqs[4];
	int		 nreq;
	char		 answer[64];
};

static int
scripted(void *arg, size_t sample, const struct qeval_request *req,
    struct plugtest_answer *out)
{
	struct script *s = arg;
	int k = s->nreq;

	if (k < 4) {
		free(s->bodies[k]);
		s->bodies[k] = strdup(req->body);
		s->reqs[k] = *req;
	}
	s->nreq++;
	if (req->target == QEVAL_TARGET_MODEL) {
		snprintf(s->answer, sizeof(s->answer), "answer-%zu-%d",
		    sample + 1, k + 1);
		out->text = s->answer;
	} else
		out->text = s->judge[sample][k - 2];
	out->finish_reason = "stop";
	return (0);
}

static char *
fixtures(void)
{
	const char *src = getenv("QEVAL_SRCDIR");
	char *d = malloc(4096);

	snprintf(d, 4096, "%s/tests/fixtures", src ? src : "..");
	return (d);
}

/* messages[i].content and .role of a body */
static int
msg_is(const char *body, int i, const char *role, const char *content)
{
	cJSON *b = cJSON_Parse(body);
	const cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(b,
	    "messages"), i);
	const char *r = cJSON_GetStringValue(cJSON_GetObjectItem(m, "role"));
	const char *c = cJSON_GetStringValue(cJSON_GetObjectItem(m,
	    "content"));
	int okk = r != NULL && c != NULL && strcmp(r, role) == 0 &&
	    strcmp(c, content) == 0;

	if (!okk)
		tap_diag("message %d: %s: %s", i, r ? r : "(none)",
		    c ? c : "(none)");
	cJSON_Delete(b);
	return (okk);
}

static int
n_msgs(const char *body)
{
	cJSON *b = cJSON_Parse(body);
	int n = cJSON_GetArraySize(cJSON_GetObjectItem(b, "messages"));

	cJSON_Delete(b);
	return (n);
}

/* Means of the non-NaN values, per metric. */
struct agg {
	double	 sum[6];
	size_t	 n[6];
};

static void
agg_add(struct agg *a, const struct qeval_verdict *v)
{
	int k;

	for (k = 0; k < 6; k++)
		if (!isnan(v->values[k])) {
			a->sum[k] += v->values[k];
			a->n[k]++;
		}
}

static double
agg_mean(const struct agg *a, int k)
{
	return (a->n[k] ? a->sum[k] / (double)a->n[k] : NAN);
}

/* show_result.py's overall: the mean of every rated turn. */
static double
agg_pooled(const struct agg *a)
{
	return ((a->sum[M_T1] + a->sum[M_T2]) / (double)(a->n[M_T1] +
	    a->n[M_T2]));
}

static void
test_fixture(void)
{
	struct qeval_kv kv[] = { { "data_subdir", "mtbench/fx" },
	    { NULL, NULL } };
	struct script s;
	struct plugtest pt;
	struct qeval_verdict v;
	struct agg all, writing, math, stem;
	char *dir = fixtures();
	size_t i;

	memset(&s, 0, sizeof(s));
	memset(&all, 0, sizeof(all));
	memset(&writing, 0, sizeof(writing));
	memset(&math, 0, sizeof(math));
	memset(&stem, 0, sizeof(stem));
	s.judge[0][0] = "Good.\n\nRating: [[8]]";
	s.judge[0][1] = "Rating: [[6.5]]";
	s.judge[1][0] = "As noted in [1], fine. Rating: [[9]]";
	s.judge[1][1] = "I cannot rate this.";
	s.judge[2][0] = "Correct, see step [3].";
	s.judge[2][1] = "Rating: [[15]]";
	s.judge[3][0] = "[[10]]";
	s.judge[3][1] = "Rating: [[2]] (was [[9]])";
	if (plugtest_open(&pt, "mtbench", "mtbench", dir, kv, 1, 0) != 0) {
		ok(0, "open mtbench on the fixture: %s", pt.err.buf);
		plugtest_close(&pt);
		free(dir);
		return;
	}
	is_int((long long)pt.plugin.desc->count(pt.state), 4, "4 questions");
	is_str(pt.plugin.desc->sample_id(pt.state, 2), "mt_bench/3",
	    "sample id");
	for (i = 0; i < 4; i++) {
		s.nreq = 0;
		if (plugtest_run(&pt, i, 0, PLUGTEST_CALLBACK, scripted, &s,
		    &v) != 0) {
			ok(0, "run %zu: %s", i, pt.err.buf);
			continue;
		}
		is_int(s.nreq, 4, "question %zu: four requests", i + 1);
		agg_add(&all, &v);
		agg_add(i < 2 ? &writing : i == 2 ? &math : &stem, &v);
		if (i == 0) {
			ok(s.reqs[0].target == QEVAL_TARGET_MODEL &&
			    s.reqs[1].target == QEVAL_TARGET_MODEL &&
			    s.reqs[2].target == QEVAL_TARGET_JUDGE &&
			    s.reqs[3].target == QEVAL_TARGET_JUDGE,
			    "model, model, judge, judge");
			is_dbl(s.reqs[0].temperature, 0.7, 1e-12, "writing "
			    "temperature 0.7");
			is_int(s.reqs[0].max_tokens, 1024, "answers: 1024 "
			    "tokens");
			is_dbl(s.reqs[2].temperature, 0.0, 0, "judge: "
			    "temperature 0");
			ok(s.reqs[0].top_p == 1.0 && s.reqs[2].top_p <= 0 &&
			    s.reqs[3].top_p <= 0, "answers top_p 1; judge "
			    "requests leave top_p unset (FastChat sends none)");
			is_int(s.reqs[3].max_tokens, 2048, "judge: 2048 "
			    "tokens");
			ok(n_msgs(s.bodies[0]) == 2 && msg_is(s.bodies[0], 0,
			    "system", "You are a helpful assistant.") &&
			    msg_is(s.bodies[0], 1, "user", "Write a haiku."),
			    "turn 1 messages");
			ok(n_msgs(s.bodies[1]) == 4 && msg_is(s.bodies[1], 2,
			    "assistant", "answer-1-1") && msg_is(s.bodies[1], 3,
			    "user", "Now make it rhyme."),
			    "turn 2 carries the model's own turn-1 answer");
			ok(msg_is(s.bodies[2], 0, "system", "SYS general") &&
			    msg_is(s.bodies[2], 1, "user", "[Q]\nWrite a "
			    "haiku.\n[A]\nanswer-1-1\n{braces}"),
			    "single-v1 filled as str.format fills it");
			ok(msg_is(s.bodies[3], 0, "system", "SYS general 2\n\n")
			    && msg_is(s.bodies[3], 1, "user", "[Q1]\nWrite a "
			    "haiku.\n[A1]\nanswer-1-1\n[Q2]\nNow make it "
			    "rhyme.\n[A2]\nanswer-1-2"),
			    "single-v1-multi-turn");
			is_dbl(v.values[M_T1], 8, 0, "[[8]]");
			is_dbl(v.values[M_T2], 6.5, 0, "[[6.5]]");
			is_str(v.category, "writing", "category");
			ok(v.detail != NULL && strstr(v.detail,
			    "\"judge_prompts\":[\"single-v1\","
			    "\"single-v1-multi-turn\"]") != NULL,
			    "detail names the judge prompts");
		}
		if (i == 1) {
			is_dbl(v.values[M_T1], 9, 0, "[[9]] wins over an "
			    "earlier [1] citation");
			ok(isnan(v.values[M_T2]) &&
			    (v.flags & QEVAL_VF_UNPARSED), "no brackets: "
			    "unparsed, NaN, flagged");
			is_dbl(v.values[M_UNPARSED], 0.5, 0, "one of two "
			    "ratings unparsed");
			ok(strstr(v.reason, "unparsed") != NULL, "reason says "
			    "unparsed");
		}
		if (i == 2) {
			is_dbl(s.reqs[0].temperature, 0.0, 0, "math "
			    "temperature 0");
			ok(msg_is(s.bodies[2], 0, "system", "SYS math") &&
			    msg_is(s.bodies[2], 1, "user", "[Q]\nWhat is 2+2?"
			    "\n[R]\n2+2 = 4\n[A]\nanswer-3-1"),
			    "single-math-v1 with the reference answer");
			ok(msg_is(s.bodies[3], 1, "user", "[Q1]\nWhat is 2+2?"
			    "\n[R1]\n2+2 = 4\n[A1]\nanswer-3-1\n[Q2]\nAnd "
			    "times 3?\n[R2]\n4*3 = 12\n[A2]\nanswer-3-2"),
			    "single-math-v1-multi-turn with both references");
			is_dbl(v.values[M_T1], 3, 0, "fallback [3]");
			is_dbl(v.values[M_T2], 15, 0, "[[15]] is a rating, as "
			    "in FastChat");
			ok(isnan(v.values[M_EXCLUDED]), "no rating_range "
			    "option: nothing excluded (NaN)");
		}
		if (i == 3) {
			is_dbl(s.reqs[0].temperature, 0.1, 1e-12, "stem "
			    "temperature 0.1");
			is_dbl(v.values[M_T2], 2, 0, "the first [[x]] counts");
			is_dbl(v.values[M_SCORE], 6, 0,
			    "sample score (10+2)/2");
		}
	}
	/*
	 * Hand-computed, as FastChat's show_result.py computes it (the
	 * rows with score -1 dropped, then the mean per turn and over all
	 * rows): turn 1 = (8+9+3+10)/4 = 7.5; turn 2 = (6.5+15+2)/3 =
	 * 7.8333; overall = 53.5/7 = 7.642857, where the mean of the
	 * per-question means (7.25, 9, 9, 6) would read 7.8125: the core
	 * pools because score is QEVAL_MF_POOLED over the two turn
	 * metrics (QEVAL_MF_POOL_PART).  Unparsed: 1 of 8 ratings.
	 */
	{
		const struct qeval_metric_desc *md =
		    pt.plugin.desc->tasks[0].metrics;

		ok((md[M_SCORE].flags & QEVAL_MF_POOLED) &&
		    (md[M_T1].flags & QEVAL_MF_POOL_PART) &&
		    (md[M_T2].flags & QEVAL_MF_POOL_PART) &&
		    !(md[M_UNPARSED].flags & QEVAL_MF_POOL_PART),
		    "score is pooled over the two turn ratings");
	}
	is_dbl(agg_mean(&all, M_T1), 7.5, 1e-12, "turn 1 average");
	is_dbl(agg_mean(&all, M_T2), 23.5 / 3, 1e-12, "turn 2 average");
	is_dbl(agg_pooled(&all), 53.5 / 7, 1e-12, "overall: FastChat's mean "
	    "of all rated turns");
	is_dbl(agg_mean(&all, M_SCORE), 7.8125, 1e-12, "(not the mean of "
	    "per-question means)");
	is_dbl(agg_mean(&all, M_UNPARSED), 0.125, 1e-12, "unparsed share");
	is_dbl(agg_pooled(&writing), 23.5 / 3, 1e-12, "writing: pooled");
	is_dbl(agg_mean(&writing, M_T1), 8.5, 1e-12, "writing turn 1");
	is_dbl(agg_mean(&writing, M_T2), 6.5, 1e-12, "writing turn 2");
	is_dbl(agg_pooled(&math), 9, 1e-12, "math: pooled");
	is_dbl(agg_pooled(&stem), 6, 1e-12, "stem: pooled");

	/* More odd judgments, on question 4. */
	{
		/*
		 * FastChat: re.search(r"\[\[(\d+\.?\d*)\]\]"), else
		 * r"\[(\d+\.?\d*)\]", then ast.literal_eval of group 1
		 * (Python 3.11): "0" -> 0, "11" -> 11, "0.0" -> 0.0,
		 * "000.5" -> 0.5, "8." -> 8.0, "00" -> 0; "08" raises
		 * "SyntaxError: leading zeros in decimal integer literals
		 * are not permitted; use an 0o prefix for octal integers";
		 * "\u0665" (Arabic-Indic 5, matched by Python's \d)
		 * raises "SyntaxError: invalid character '\u0665'
		 * (U+0665)".  No match: -1, dropped by show_result.
		 */
		static const struct {
			const char	*text;
			double		 want;	/* NaN: unparsed */
			const char	*why;	/* in the reason, or NULL */
		} cases[] = {
			{ "[[10]]", 10, NULL }, { "Rating: [[1]]", 1, NULL },
			{ "[[0]]", 0, NULL }, { "[[11]]", 11, NULL },
			{ "[[0.0]]", 0, NULL }, { "[[000.5]]", 0.5, NULL },
			{ "[[00]]", 0, NULL }, { "[[10.5]]", 10.5, NULL },
			{ "[[08]]", NAN, "'08' (ast.literal_eval raises "
			    "SyntaxError: leading zeros in decimal integer "
			    "literals are not permitted; use an 0o prefix for "
			    "octal integers)" },
			{ "[[08]] or [7]", NAN, "leading zeros" },
			{ "[08] then [[7]]", 7, NULL },
			{ "[[ 8 ]]", NAN, "no [[rating]]" },
			{ "Rating: 8/10", NAN, "no [[rating]]" },
			{ "[[8.]]", 8, NULL }, { "[[7.25]]", 7.25, NULL },
			{ "[5] and [[6]]", 6, NULL },
			{ "[5] and [6]", 5, NULL },
			{ "[[-3]]", NAN, "no [[rating]]" },
			{ "", NAN, "no [[rating]]" },
			{ "[[\xd9\xa5]]", NAN, "invalid character "
			    "'\xd9\xa5' (U+0665)" },
			{ "[\xd9\xa5] [4]", NAN, "invalid character" },
		};
		size_t k;

		for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			s.judge[3][0] = cases[k].text;
			s.nreq = 0;
			if (plugtest_run(&pt, 3, 0, PLUGTEST_CALLBACK, scripted,
			    &s, &v) != 0) {
				ok(0, "run: %s", pt.err.buf);
				continue;
			}
			if (isnan(cases[k].want)) {
				ok(isnan(v.values[M_T1]) &&
				    (v.flags & QEVAL_VF_UNPARSED),
				    "'%s' is unparsed", cases[k].text);
				ok(v.reason != NULL && strstr(v.reason,
				    cases[k].why) != NULL, "... reason: %s",
				    v.reason ? v.reason : "(none)");
			} else
				is_dbl(v.values[M_T1], cases[k].want, 0,
				    "'%s' reads %g", cases[k].text,
				    cases[k].want);
		}
		/* Hostile judge output: huge, no rating. */
		{
			char *big = malloc(1 << 20);

			memset(big, '[', (1 << 20) - 1);
			big[(1 << 20) - 1] = '\0';
			s.judge[3][0] = big;
			s.nreq = 0;
			ok(plugtest_run(&pt, 3, 0, PLUGTEST_CALLBACK, scripted,
			    &s, &v) == 0 && isnan(v.values[M_T1]),
			    "1 MiB of brackets: unparsed, no crash");
			free(big);
		}
		s.judge[3][0] = "[[4]]";
		s.judge[3][1] = "[[x]]";
		s.nreq = 0;
		ok(plugtest_run(&pt, 3, 0, PLUGTEST_CALLBACK, scripted, &s,
		    &v) == 0 && v.values[M_SCORE] == 4 && isnan(v.values[M_T2]),
		    "one rating unparsed: the score is the other");
		s.judge[3][0] = "none";
		s.nreq = 0;
		ok(plugtest_run(&pt, 3, 0, PLUGTEST_CALLBACK, scripted, &s,
		    &v) == 0 && isnan(v.values[M_SCORE]) &&
		    v.values[M_UNPARSED] == 1.0, "both unparsed: score NaN, "
		    "unparsed 1");
	}

	/* Reference model and judge. */
	for (i = 0; i < 4; i++) {
		ok(plugtest_run(&pt, i, 0, PLUGTEST_GOLD, NULL, NULL, &v) == 0
		    && v.values[M_T1] == 10 && v.values[M_T2] == 10 &&
		    v.values[M_SCORE] == 10, "gold %zu: 10", i + 1);
		ok(plugtest_run(&pt, i, 0, PLUGTEST_CORRUPT, NULL, NULL, &v) ==
		    0 && v.values[M_T1] == 1 && v.values[M_T2] == 1,
		    "corrupt %zu: 1", i + 1);
	}
	plugtest_run(&pt, 2, 0, PLUGTEST_GOLD, NULL, NULL, &v);
	{
		size_t n;
		const struct qeval_exchange *ex = plugtest_exchanges(&n);

		ok(n == 4 && strcmp(ex[0].resp.text, "2+2 = 4") == 0 &&
		    strcmp(ex[1].resp.text, "4*3 = 12") == 0,
		    "the reference model gives the reference answers");
	}
	plugtest_close(&pt);

	{
		struct qeval_kv rr[] = { { "data_subdir", "mtbench/fx" },
		    { "rating_range", "1-10" }, { "system_prompt", "" },
		    { NULL, NULL } };

		if (plugtest_open(&pt, "mtbench", "mtbench", dir, rr, 1,
		    0) == 0) {
			s.judge[2][1] = "Rating: [[15]]";
			s.nreq = 0;
			ok(plugtest_run(&pt, 2, 0, PLUGTEST_CALLBACK, scripted,
			    &s, &v) == 0 && isnan(v.values[M_T2]) &&
			    v.values[M_SCORE] == 3 &&
			    v.values[M_EXCLUDED] == 0.5 &&
			    v.values[M_UNPARSED] == 0 &&
			    !(v.flags & QEVAL_VF_UNPARSED),
			    "rating_range=1-10 excludes 15 and counts it in "
			    "excluded_by_rating_range, not as unparsed");
			ok(v.reason != NULL && strstr(v.reason,
			    "excluded by rating_range=1-10") != NULL,
			    "the reason names the option");
			ok(n_msgs(s.bodies[0]) == 1, "system_prompt= sends no "
			    "system message");
		} else
			ok(0, "open with options: %s", pt.err.buf);
		plugtest_close(&pt);
	}
	for (i = 0; i < 4; i++)
		free(s.bodies[i]);
	free(dir);
}

static void
test_real(void)
{
	struct plugtest pt;
	struct qeval_verdict v;
	size_t n, i, gold = 0, bad = 0, nex;
	const struct qeval_exchange *ex;
	cJSON *b;
	const char *u;

	if (getenv("QEVAL_DATA_DIR") == NULL) {
		tap_skip("QEVAL_DATA_DIR is not set: no real MT-Bench data");
		return;
	}
	if (plugtest_open(&pt, "mtbench", "mtbench", NULL, NULL, 1, 0) != 0) {
		ok(0, "open mtbench: %s", pt.err.buf);
		plugtest_close(&pt);
		return;
	}
	n = pt.plugin.desc->count(pt.state);
	is_int((long long)n, 80, "80 questions");
	for (i = 0; i < n; i++) {
		if (plugtest_run(&pt, i, 0, PLUGTEST_GOLD, NULL, NULL, &v) == 0
		    && v.values[M_SCORE] == 10)
			gold++;
		if (plugtest_run(&pt, i, 0, PLUGTEST_CORRUPT, NULL, NULL,
		    &v) != 0 || v.values[M_SCORE] != 1)
			bad++;
	}
	is_int((long long)gold, 80, "reference model and judge: 10 on all");
	is_int((long long)bad, 0, "corrupted answers: 1 on all");

	/* Question 81 (writing): single-v1 as FastChat fills it. */
	plugtest_run(&pt, 0, 0, PLUGTEST_GOLD, NULL, NULL, &v);
	ex = plugtest_exchanges(&nex);
	b = cJSON_Parse(ex[2].req.body);
	u = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(b, "messages"), 1), "content"));
	ok(msg_is(ex[2].req.body, 0, "system", "You are a helpful "
	    "assistant.") && u != NULL && strncmp(u, "[Instruction]\nPlease "
	    "act as an impartial judge", 46) == 0 && strstr(u, "[[rating]]") &&
	    strstr(u, "\n\n[Question]\nCompose an engaging travel blog post "
	    "about a recent trip to Hawaii, highlighting cultural experiences "
	    "and must-see attractions.\n\n[The Start of Assistant's Answer]\n"
	    "This is the reference answer to turn 1 of MT-Bench question 81."
	    "\n[The End of Assistant's Answer]") != NULL &&
	    u[strlen(u) - 1] == ']', "q81 judge prompt: single-v1");
	cJSON_Delete(b);
	is_dbl(ex[0].req.temperature, 0.7, 1e-12, "q81 writing: 0.7");
	/* Question 111 (math): the reference answer goes in. */
	for (i = 0; i < n; i++)
		if (strcmp(pt.plugin.desc->sample_id(pt.state, i),
		    "mt_bench/111") == 0)
			break;
	plugtest_run(&pt, i, 0, PLUGTEST_GOLD, NULL, NULL, &v);
	ex = plugtest_exchanges(&nex);
	ok(strstr(ex[2].req.body, "[The Start of Reference Answer]") !=
	    NULL && strstr(v.detail, "single-math-v1") != NULL &&
	    strstr(ex[3].req.body, "### Reference answer:") != NULL,
	    "q111 uses the math prompts with reference answers");
	is_dbl(ex[0].req.temperature, 0.0, 0, "q111 math: 0.0");
	plugtest_close(&pt);
}

int
main(void)
{
	test_fixture();
	test_real();
	return (tap_done());
}
