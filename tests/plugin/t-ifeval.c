/*
 * ifeval plugin: every instruction type against hand-written responses
 * that follow and break it, strict and loose, with the reference's edge
 * cases (counting relations, case rules, JSON in fences, highlighted
 * sections with '*', the loose-mode line and '*' variants); the request
 * shape; the not-scorable instructions; and with QEVAL_DATA_DIR all 541
 * prompts: the reference answers follow every instruction that can be
 * followed, the corrupted ones break one in strict and loose mode.
 */
#include "config.h"

#include <sys/stat.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugtest.h"
#include "tap.h"

/* metric indices (plugins/ifeval.c) */
#define P_STRICT	0
#define I_STRICT	1
#define P_LOOSE		2
#define I_LOOSE		3
#define NOT_SCORABLE	4
#define TRUNC		5

#define NAN_	(-1.0)		/* expected: not counted */

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

static int
same(double got, double want)
{
	return (want == NAN_ ? isnan(got) : got == want);
}

static void
check(struct plugtest *pt, size_t i, const char *text, double strict,
    double loose, const char *what)
{
	struct canned c = { text, NULL };
	struct qeval_verdict v;

	if (plugtest_run(pt, i, 0, PLUGTEST_CALLBACK, answer, &c, &v) != 0) {
		ok(0, "%s: run failed: %s", what, pt->err.buf);
		return;
	}
	ok(same(v.values[P_STRICT], strict) && same(v.values[P_LOOSE], loose),
	    "%s: strict %g loose %g (got %g %g; %s)", what, strict, loose,
	    v.values[P_STRICT], v.values[P_LOOSE], v.reason ? v.reason : "");
}

/* One row: fixture sample, response, prompt-level strict and loose. */
struct row {
	size_t		 i;
	const char	*text;
	double		 strict, loose;
	const char	*what;
};

static const struct row rows[] = {
	/* keywords:existence ["banana", "Kiwi"]: re.search, any case */
	{ 0, "I like BANANA and kiwis.", 1, 1, "existence: any case, inside "
	  "a longer word" },
	{ 0, "Only banana.", 0, 0, "existence: one keyword missing" },
	/* keywords:frequency cat >= 3: re.findall counts substrings */
	{ 1, "cat Cat CAT", 1, 1, "frequency at least 3: 3 in any case" },
	{ 1, "concatenate cat cat", 1, 1, "frequency: 'concatenate' counts "
	  "(the reference matches substrings)" },
	{ 1, "cat cat", 0, 0, "frequency at least 3: 2" },
	/* cat < 2 */
	{ 2, "one cat", 1, 1, "frequency less than 2: 1" },
	{ 2, "cat and cat", 0, 0, "frequency less than 2: exactly 2 fails" },
	{ 2, "cat\ncat cat\nno", 0, 0, "frequency less than 2: loose cannot "
	  "drop a middle line" },
	{ 2, "cat cat\nfine\nend", 0, 1, "frequency less than 2: loose drops "
	  "the first line" },
	/* forbidden ["bad", "ugly"]: \b word \b, any case */
	{ 3, "a good day", 1, 1, "forbidden: none used" },
	{ 3, "Bad idea", 0, 0, "forbidden: any case" },
	{ 3, "a badge is fine", 1, 1, "forbidden: word boundaries" },
	/* letter z >= 3, counted after lower() */
	{ 4, "Zz z", 1, 1, "letter at least 3: upper case counts" },
	{ 4, "zz", 0, 0, "letter at least 3: 2" },
	/* '#' < 2: qeval counts the character given */
	{ 5, "#", 1, 1, "letter '#' less than 2: 1" },
	{ 5, "##", 0, 0, "letter '#' less than 2: 2" },
	/* not scorable here: left out of every metric */
	{ 6, "Bonjour tout le monde.", NAN_, NAN_, "response_language: not "
	  "scorable (langdetect)" },
	{ 7, "One. Two.", NAN_, NAN_, "number_sentences: not scorable "
	  "(Punkt)" },
	/* number_paragraphs 3, *** dividers */
	{ 8, "a\n***\nb\n***\nc", 1, 1, "paragraphs: 3" },
	{ 8, "a *** b", 0, 0, "paragraphs: 2" },
	{ 8, "***\na\n***\nb\n***\nc\n***", 1, 1, "paragraphs: empty first "
	  "and last pieces do not count" },
	{ 8, "a\n***\n***\nb\n***\nc", 0, 0, "paragraphs: an empty one "
	  "inside fails" },
	/* number_words < 5, at least 5: \w+ tokens */
	{ 9, "one two three four", 1, 1, "words less than 5: 4" },
	{ 9, "one two three four five", 0, 0, "words less than 5: exactly 5 "
	  "fails" },
	{ 9, "it's a b", 1, 1, "words: it's is two \\w+ tokens (4 in all)" },
	{ 9, "it's a b c", 0, 0, "words: it's a b c is 5 tokens" },
	{ 10, "one two three four five", 1, 1, "words at least 5: 5" },
	{ 10, "x", 0, 0, "words at least 5: 1" },
	{ 10, "caf\xc3\xa9 na\xc3\xafve \xd0\xbc\xd0\xb8\xd1\x80 a b", 1, 1,
	  "words: \\w is Unicode (5 words)" },
	/* nth_paragraph_first_word: 2 paragraphs, the 2nd starts "then" */
	{ 11, "First para.\n\nThen second.", 1, 1, "nth paragraph: 'Then'" },
	{ 11, "First.\n\n\"Then, second\"", 1, 1, "nth paragraph: quotes and "
	  "punctuation around the word" },
	{ 11, "First.\n\nThenceforth x", 0, 0, "nth paragraph: another "
	  "word" },
	{ 11, "A\n\nB\n\nThen", 0, 1, "nth paragraph: 3 paragraphs; loose "
	  "drops the first line" },
	{ 11, "A\n\nB\n\nC\n\nThen", 0, 0, "nth paragraph: 4 "
	  "paragraphs" },
	/* placeholders >= 2 */
	{ 12, "[a] and [b]", 1, 1, "placeholders: 2" },
	{ 12, "[a] and [\nb]", 0, 0, "placeholders: no newline inside" },
	/* postscript */
	{ 13, "Hi.\nP.S. bye", 1, 1, "postscript P.S." },
	{ 13, "Hi.\np.s bye", 0, 0, "postscript P.S. needs its final dot" },
	{ 14, "Hi.\nP.P.S bye", 1, 1, "postscript P.P.S" },
	{ 14, "Hi.\nP.S. bye", 0, 0, "postscript P.P.S: P.S. is not it" },
	/* bullets: exactly 2, '*' or '-' lines */
	{ 15, "* one\n* two", 1, 1, "bullets: 2" },
	{ 15, "**bold**\n* one\n- two", 1, 1, "bullets: '**' does not start "
	  "one, '-' does" },
	{ 15, "* one\n* two\n* three", 0, 1, "bullets: 3, loose drops a "
	  "line" },
	{ 15, "* one", 0, 0, "bullets: 1" },
	/* constrained response, case-sensitive */
	{ 16, "Well. My answer is maybe.", 1, 1, "constrained: maybe" },
	{ 16, "my answer is yes.", 0, 0, "constrained: case matters" },
	/* highlighted sections >= 2 */
	{ 17, "*a* and *b*", 1, 1, "highlights: 2" },
	{ 17, "**a** only", 0, 0, "highlights: **a** counts once" },
	{ 17, "**a** and **b**", 1, 1, "highlights: two bold ones" },
	{ 17, "* * and *b*", 0, 0, "highlights: an empty one does not "
	  "count" },
	/* sections: "Section X", case-sensitive */
	{ 18, "Section 1\nx\nSection 2\ny", 1, 1, "sections: 2" },
	{ 18, "SECTION 1 x SECTION 2", 0, 0, "sections: the splitter's case "
	  "matters" },
	/* JSON */
	{ 19, "```json\n{\"a\": 1}\n```", 1, 1, "json: in a ```json fence" },
	{ 19, "```\n[1, 2]\n```", 1, 1, "json: in a bare fence" },
	{ 19, "{\"a\": 1,}", 0, 0, "json: trailing comma" },
	{ 19, "```JSON\n{\"a\": [1, {\"b\": null}], \"c\": -1.5e3}\n```",
	  1, 1, "json: nested, in a ```JSON fence" },
	{ 19, "NaN", 1, 1, "json: Python's json takes NaN" },
	{ 19, "[-Infinity]", 1, 1, "json: and -Infinity" },
	{ 19, "01", 0, 0, "json: no leading zero" },
	{ 19, "[1.]", 0, 0, "json: no bare decimal point" },
	{ 19, "\"a\tb\"", 0, 0, "json: no raw tab inside a string" },
	{ 19, "\"\\u00e9\\n\"", 1, 1, "json: escapes" },
	{ 19, "{\"a\" 1}", 0, 0, "json: a missing colon" },
	{ 19, "Here: {\"a\": 1}", 0, 0, "json: text before it" },
	{ 19, "Here it is:\n{\"a\": 1}", 0, 1, "json: loose drops the first "
	  "line" },
	/* title */
	{ 20, "<<My Title>>\ntext", 1, 1, "title" },
	{ 20, "<< >> text", 0, 0, "title: blank" },
	{ 20, "<<a\nb>>", 0, 0, "title: no newline inside" },
	/* two responses */
	{ 21, "A\n******\nB", 1, 1, "two responses" },
	{ 21, "A\n******\nA", 0, 0, "two responses: the same twice" },
	{ 21, "A\n******\n\n******\nB", 0, 0, "two responses: an empty one "
	  "between" },
	{ 21, "******\nA\n******\nB", 1, 1, "two responses: a leading "
	  "separator" },
	/* repeat the prompt */
	{ 22, "say HI, twice. Hello", 1, 1, "repeat: any case" },
	{ 22, "Sure.\nSay hi, twice.", 0, 1, "repeat: loose drops the first "
	  "line" },
	/* end phrase */
	{ 23, "Text. Any other questions?", 1, 1, "end phrase" },
	{ 23, "\"Text. any other questions?\"", 1, 1, "end phrase: inside "
	  "quotes, any case" },
	{ 23, "Text. Any other questions?\nP.S. hi", 0, 1, "end phrase: loose "
	  "drops the last line" },
	/* quotation */
	{ 24, "  \"hello\"\n", 1, 1, "quotation" },
	{ 24, "\"hello", 0, 0, "quotation: open only" },
	{ 24, "\"", 0, 0, "quotation: one quote is not two" },
	/* capital words >= 2, < 2 (NLTK word_tokenize) */
	{ 25, "NASA and the USA.", 1, 1, "capital words at least 2" },
	{ 25, "DON'T", 1, 1, "capital words: DON'T is DO + N'T" },
	{ 25, "Nasa OK", 0, 0, "capital words at least 2: 1" },
	{ 25, "R&D", 1, 1, "capital words: R & D" },
	{ 26, "I am OK", 0, 0, "capital words less than 2: I and OK" },
	{ 26, "I am fine.", 1, 1, "capital words less than 2: 1" },
	/* case + language: the English part needs langdetect */
	{ 27, "HELLO THERE", NAN_, NAN_, "english_capital: not scorable" },
	{ 28, "hello there", NAN_, NAN_, "english_lowercase: not scorable" },
	/* no comma */
	{ 29, "a b", 1, 1, "no comma" },
	{ 29, "a, b", 0, 0, "no comma: one" },
	{ 29, "x, y\nz", 0, 1, "no comma: loose drops the first line" },
	{ 29, "  \n ", 0, 0, "an empty response follows nothing" },
	/* two instructions */
	{ 30, "<<T>> a b", 1, 1, "prompt level: both followed" },
	{ 30, "<<T>> a, b", 0, 0, "prompt level: one broken" },
	{ 31, "a b", NAN_, NAN_, "prompt level: a not-scorable instruction "
	  "leaves the prompt out" },
	{ 32, "Say hi, twice.\nHello", 0, 1, "repeat + no comma: the request "
	  "holds a comma, loose drops it" },
};

static const struct qeval_kv ld_off[] = { { "langdetect", "off" },
	{ NULL, NULL } };

/* With langdetect's data (Debian's python3-langdetect): expectations
 * checked against langdetect 1.0.9 with DetectorFactory.seed = 0. */
static const struct row ld_rows[] = {
	{ 6, "Bonjour tout le monde, je suis tr\xc3\xa8s content de vous voir "
	  "aujourd'hui.", 1, 1, "response_language fr: French" },
	{ 6, "Hello everyone, I am very happy to see you today.", 0, 0,
	  "response_language fr: English" },
	{ 6, "12345 !!!", 1, 1, "response_language: no features, counted as "
	  "followed (the reference catches langdetect's exception)" },
	{ 27, "HELLO THERE MY FRIEND, HOW ARE YOU TODAY?", 1, 1,
	  "english_capital" },
	{ 27, "BONJOUR TOUT LE MONDE ET MERCI BEAUCOUP", 1, 1,
	  "english_capital: capitals hide most n-grams, so French passes "
	  "(as in the reference)" },
	{ 27, "Hello there", 0, 0, "english_capital: not all capitals" },
	{ 28, "hello there my friend, how are you today?", 1, 1,
	  "english_lowercase" },
	{ 28, "hola amigo, que tal estas hoy en la ciudad", 0, 0,
	  "english_lowercase: Spanish" },
	{ 31, "a b", NAN_, NAN_, "number_sentences stays not scorable" },
};

static void
table(struct plugtest *pt)
{
	size_t r;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
		check(pt, rows[r].i, rows[r].text, rows[r].strict,
		    rows[r].loose, rows[r].what);
}

static void
requests(struct plugtest *pt, int chat)
{
	struct canned c = { "x", "length" };
	struct qeval_verdict v;
	const struct qeval_exchange *ex;
	size_t n;

	plugtest_run(pt, 0, 0, PLUGTEST_CALLBACK, answer, &c, &v);
	ex = plugtest_exchanges(&n);
	ok(n == 1 && ex[0].req.kind == (chat ? QEVAL_REQ_CHAT :
	    QEVAL_REQ_COMPLETION), "%s: one request of the right kind",
	    chat ? "chat" : "completion");
	ok(n == 1 && strstr(ex[0].req.body, chat ? "{\"messages\":[{\"role\":"
	    "\"user\",\"content\":\"Fixture prompt 0: follow "
	    "keywords:existence.\"}]}" : "{\"prompt\":\"Fixture prompt 0: "
	    "follow keywords:existence.\"}") != NULL, "%s: the prompt alone, "
	    "no stop strings", chat ? "chat" : "completion");
	ok(n == 1 && ex[0].req.temperature == 0.0 &&
	    ex[0].req.max_tokens == 1280, "greedy, 1280 new tokens");
	ok((v.flags & QEVAL_VF_TRUNCATED) && v.values[TRUNC] == 1.0,
	    "finish_reason length: truncated");
}

static void
details(struct plugtest *pt)
{
	struct canned c = { "<<T>> a, b", NULL };
	struct qeval_verdict v;
	size_t cnt = pt->plugin.desc->count(pt->state);

	plugtest_run(pt, 30, 0, PLUGTEST_CALLBACK, answer, &c, &v);
	ok(v.detail != NULL && strstr(v.detail, "{\"id\":"
	    "\"punctuation:no_comma\",\"strict\":false,\"loose\":false,"
	    "\"why\":\"1 commas\"}") != NULL && strstr(v.detail,
	    "\"id\":\"detectable_format:title\",\"strict\":true") != NULL,
	    "detail: each instruction's verdict and why (%s)",
	    v.detail ? v.detail : "");
	ok(v.reason != NULL && strstr(v.reason, "1/2 instructions followed "
	    "(strict)") != NULL && strstr(v.reason, "failed: "
	    "punctuation:no_comma (1 commas)") != NULL,
	    "reason names the failed instruction (%s)",
	    v.reason ? v.reason : "");
	/*
	 * Instruction-level values are 1 - failed x S/T, so that their
	 * mean over samples is the pooled mean over instructions: 36
	 * instructions, 31 scorable, in 29 samples that hold one.
	 */

	is_int((long long)cnt, 33, "33 fixture prompts");
	ok(fabs(v.values[I_STRICT] - (1.0 - 1.0 * 29.0 / 31.0)) < 1e-12,
	    "inst-level strict: 1 - 1 failed x 29/31 (got %.15g)",
	    v.values[I_STRICT]);
	ok(fabs(v.values[NOT_SCORABLE]) < 1e-12, "no instruction of it "
	    "is unscorable");
	c.text = "a b";
	plugtest_run(pt, 31, 0, PLUGTEST_CALLBACK, answer, &c, &v);
	ok(fabs(v.values[NOT_SCORABLE] - 33.0 / 36.0) < 1e-12 &&
	    v.values[I_STRICT] == 1.0,
	    "not-scorable share 1 x 33/36, inst-level counts the other "
	    "(got %.15g %.15g)", v.values[NOT_SCORABLE], v.values[I_STRICT]);
	ok(strstr(pt->log.buf ? pt->log.buf : "", "5 instructions are not "
	    "scorable") != NULL && strstr(pt->log.buf, "Punkt") != NULL &&
	    strstr(pt->log.buf, "langdetect") != NULL,
	    "open() warns, naming the missing parts");
	c.text = "Say hi, twice.\nHello";
	plugtest_run(pt, 32, 0, PLUGTEST_CALLBACK, answer, &c, &v);
	ok(v.reason != NULL && strstr(v.reason, "no answer can follow it "
	    "strictly: the request to repeat already breaks "
	    "punctuation:no_comma") != NULL, "a prompt no answer can follow "
	    "strictly says so (%s)", v.reason ? v.reason : "");
	ok(strstr(pt->log.buf, "1 prompts cannot be followed strictly") !=
	    NULL, "open() counts such prompts");
}

/* A data dir holding one bad input_data.jsonl; open() must refuse it
 * with the file, the line and what is wrong. */
static void
bad_data(const char *record, const char *want, const char *what)
{
	char dir[] = "/tmp/t-ifeval-XXXXXX";
	struct strbuf p = STRBUF_INIT;
	struct plugtest pt;
	FILE *fp;
	int rc;

	if (mkdtemp(dir) == NULL) {
		ok(0, "%s: mkdtemp", what);
		return;
	}
	strbuf_addf(&p, "%s/ifeval", dir);
	(void)mkdir(p.buf, 0700);
	strbuf_adds(&p, "/input_data.jsonl");
	fp = fopen(p.buf, "w");
	if (fp != NULL) {
		fprintf(fp, "%s\n", record);
		fclose(fp);
	}
	rc = plugtest_open(&pt, "ifeval", "ifeval", dir, NULL, 1, 0);
	ok(rc != 0 && strstr(pt.err.buf, "input_data.jsonl") != NULL &&
	    strstr(pt.err.buf, want) != NULL, "%s (%s)", what, pt.err.buf);
	plugtest_close(&pt);
	(void)unlink(p.buf);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/ifeval", dir);
	(void)rmdir(p.buf);
	(void)rmdir(dir);
	strbuf_release(&p);
}

/*
 * All 541 prompts: gold follows every prompt but the 5 no answer can
 * follow strictly, and loosely all; corrupted breaks all.  `scorable`
 * is 405 without langdetect, 495 with it (Punkt stays missing).
 */
static void
full(const char *data, const struct qeval_kv *kv, size_t scorable)
{
	static const char *const unsat[] = { "ifeval/374", "ifeval/1627",
	    "ifeval/3369", "ifeval/3371", "ifeval/3718", NULL };
	struct plugtest pt;
	struct qeval_verdict v;
	size_t cnt, i, k, gold = 0, loose = 0, bad = 0, scored = 0, miss = 0;
	const char *mode = kv != NULL ? "without langdetect" :
	    "with langdetect";

	if (plugtest_open(&pt, "ifeval", "ifeval", data, kv, 1, 0) != 0) {
		ok(0, "open: %s", pt.err.buf);
		return;
	}
	if (kv == NULL && strstr(pt.log.buf ? pt.log.buf : "",
	    "langdetect's profiles found") == NULL) {
		tap_skip("no langdetect data: the 541 prompts with it");
		plugtest_close(&pt);
		return;
	}
	cnt = pt.plugin.desc->count(pt.state);
	for (i = 0; i < cnt; i++) {
		const char *id = pt.plugin.desc->sample_id(pt.state, i);
		int u = 0;

		for (k = 0; unsat[k] != NULL; k++)
			u |= strcmp(id, unsat[k]) == 0;
		plugtest_run(&pt, i, 0, PLUGTEST_GOLD, NULL, NULL, &v);
		if (isnan(v.values[P_STRICT]))
			continue;
		scored++;
		if (v.values[P_STRICT] == (u ? 0.0 : 1.0))
			gold++;
		else if (miss++ < 5)
			tap_diag("gold %s: %s", id, v.reason);
		loose += v.values[P_LOOSE] == 1.0;
		plugtest_run(&pt, i, 0, PLUGTEST_CORRUPT, NULL, NULL, &v);
		bad += v.values[P_STRICT] == 0.0 && v.values[P_LOOSE] == 0.0;
	}
	is_int((long long)cnt, 541, "%s: 541 prompts", mode);
	is_int((long long)scored, (long long)scorable, "%s: %zu prompts hold "
	    "no instruction that needs a missing part", mode, scorable);
	is_int((long long)gold, (long long)scored, "%s: gold follows every "
	    "prompt strictly but the 5 that cannot be", mode);
	is_int((long long)loose, (long long)scored, "%s: gold follows every "
	    "prompt loosely", mode);
	is_int((long long)bad, (long long)scored, "%s: corrupted breaks "
	    "every prompt, strict and loose", mode);
	plugtest_close(&pt);
}

int
main(void)
{
	const char *src = getenv("QEVAL_SRCDIR");
	const char *data = getenv("QEVAL_DATA_DIR");
	struct strbuf fx = STRBUF_INIT;
	struct plugtest pt;
	struct qeval_verdict v;
	size_t i;

	if (src == NULL)
		return (tap_bail("QEVAL_SRCDIR is not set"));
	setenv("QEVAL_MANIFEST_DIR", "none", 1);
	strbuf_addf(&fx, "%s/tests/fixtures/ifeval", src);
	if (plugtest_open(&pt, "ifeval", "ifeval", fx.buf, ld_off, 1, 0) != 0)
		return (tap_bail("open: %s", pt.err.buf));
	table(&pt);
	requests(&pt, 1);
	details(&pt);
	plugtest_close(&pt);
	if (plugtest_open(&pt, "ifeval", "ifeval", fx.buf, ld_off, 0, 0) != 0)
		return (tap_bail("open: %s", pt.err.buf));
	requests(&pt, 0);
	/* gold and corrupt on the fixture too (32 cannot be followed
	 * strictly) */
	for (i = 0; i < pt.plugin.desc->count(pt.state); i++) {
		double gs, gl;

		plugtest_run(&pt, i, 0, PLUGTEST_GOLD, NULL, NULL, &v);
		gs = v.values[P_STRICT] + (i == 32);
		gl = v.values[P_LOOSE];
		plugtest_run(&pt, i, 0, PLUGTEST_CORRUPT, NULL, NULL, &v);
		ok((isnan(gs) && isnan(v.values[P_STRICT])) || (gs == 1.0 &&
		    gl == 1.0 && v.values[P_STRICT] == 0.0 &&
		    v.values[P_LOOSE] == 0.0), "fixture %zu: gold follows, "
		    "corrupted breaks (%g %g / %g %g)", i, gs, gl,
		    v.values[P_STRICT], v.values[P_LOOSE]);
	}
	plugtest_close(&pt);
	/* langdetect on, where its data is */
	if (plugtest_open(&pt, "ifeval", "ifeval", fx.buf, NULL, 1, 0) != 0)
		return (tap_bail("open: %s", pt.err.buf));
	if (strstr(pt.log.buf ? pt.log.buf : "", "langdetect's profiles "
	    "found") == NULL)
		tap_skip("no langdetect data (python3-langdetect): language "
		    "checks");
	else {
		size_t r;

		for (r = 0; r < sizeof(ld_rows) / sizeof(ld_rows[0]); r++)
			check(&pt, ld_rows[r].i, ld_rows[r].text,
			    ld_rows[r].strict, ld_rows[r].loose,
			    ld_rows[r].what);
		for (i = 0; i < pt.plugin.desc->count(pt.state); i++) {
			double gs;

			plugtest_run(&pt, i, 0, PLUGTEST_GOLD, NULL, NULL, &v);
			gs = v.values[P_STRICT] + (i == 32);
			plugtest_run(&pt, i, 0, PLUGTEST_CORRUPT, NULL, NULL,
			    &v);
			if (!((isnan(gs) && isnan(v.values[P_STRICT])) ||
			    (gs == 1.0 && v.values[P_STRICT] == 0.0 &&
			    v.values[P_LOOSE] == 0.0)))
				break;
		}
		ok(i == pt.plugin.desc->count(pt.state), "with langdetect: "
		    "gold follows and corrupted breaks every fixture prompt "
		    "(stopped at %zu)", i);
	}
	plugtest_close(&pt);
	{
		static const struct qeval_kv bad_dir[] = {
			{ "langdetect_dir", "/nonexistent/langdetect" },
			{ NULL, NULL } };
		static const struct qeval_kv bad_on[] = {
			{ "langdetect", "maybe" }, { NULL, NULL } };
		int rc;

		rc = plugtest_open(&pt, "ifeval", "ifeval", fx.buf, bad_dir,
		    1, 0);
		ok(rc != 0 && strstr(pt.err.buf, "langdetect_dir="
		    "/nonexistent/langdetect") != NULL && strstr(pt.err.buf,
		    "messages.properties") != NULL, "langdetect_dir without "
		    "the data is an error that says what to point it at (%s)",
		    pt.err.buf);
		plugtest_close(&pt);
		rc = plugtest_open(&pt, "ifeval", "ifeval", fx.buf, bad_on, 1,
		    0);
		ok(rc != 0 && strstr(pt.err.buf, "use on or off") != NULL,
		    "langdetect=maybe is refused (%s)", pt.err.buf);
		plugtest_close(&pt);
	}
	bad_data("{\"key\": 1, \"prompt\": \"p\", \"instruction_id_list\": "
	    "[\"keywords:sparkle\"], \"kwargs\": [{}]}",
	    "unknown instruction id 'keywords:sparkle'", "an unknown "
	    "instruction is refused, naming file and id");
	bad_data("{\"key\": 1, \"prompt\": \"p\", \"instruction_id_list\": "
	    "[\"length_constraints:number_words\"], \"kwargs\": "
	    "[{\"num_words\": 5}]}", "'relation' must be \"less than\" or "
	    "\"at least\"", "a missing relation is refused, naming the key");
	bad_data("{\"key\": 1, \"prompt\": \"p\", \"instruction_id_list\": "
	    "[\"detectable_format:title\"], \"kwargs\": []}",
	    "lists of one length", "kwargs of another length are refused");
	unsetenv("QEVAL_MANIFEST_DIR");

	if (data == NULL)
		tap_skip("QEVAL_DATA_DIR not set: IFEval's 541 prompts");
	else {
		full(data, ld_off, 405);
		full(data, NULL, 495);
	}
	strbuf_release(&fx);
	return (tap_done());
}
