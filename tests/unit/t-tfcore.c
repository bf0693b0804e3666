/*
 * t-tfcore: the task-file plugin's templates, filters, metrics and JSON
 * Schema subset (plugins/tfcore.c), table-driven, against the semantics
 * of lm-evaluation-harness (RegexFilter, exact_match's options) and of
 * JSON Schema, with the odd cases: empty matches, tuples of empty
 * groups, fallback, the order of exact_match's normalisations.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "host.h"
#include "tap.h"
#include "tfcore.h"

static const struct qeval_host *H;

static void
test_render(void)
{
	static const struct { const char *tmpl, *want; int rc; } t[] = {
		{ "Q: {{q}}", "Q: what?", 0 },
		{ "{{ q }}|{{q}}", "what?|what?", 0 },
		{ "{{a.b}} {{arr.1}}", "inner 20", 0 },
		{ "{{n}} {{f}} {{t}} {{z}}", "3 2.5 true null", 0 },
		{ "{{obj}}", "{\"k\":[1,2]}", 0 },
		{ "{{}} and {{q", "{{}} and {{q", 0 },
		{ "x {{nope}} y", "x  y", -1 },
	};
	cJSON *o = cJSON_Parse("{\"q\":\"what?\",\"a\":{\"b\":\"inner\"},"
	    "\"arr\":[10,20],\"n\":3,\"f\":2.5,\"t\":true,\"z\":null,"
	    "\"obj\":{\"k\":[1,2]}}");
	struct qp_buf b = QP_BUF_INIT;
	char miss[64];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = tf_render(t[i].tmpl, o, &b, miss, sizeof(miss));

		ok(rc == t[i].rc && strcmp(qp_buf_str(&b), t[i].want) == 0,
		    "render %s -> %s", t[i].tmpl, qp_buf_str(&b));
	}
	(void)tf_render("a {{x.y}} {{q}} {{w}}", o, &b, miss, sizeof(miss));
	ok(strcmp(miss, "x.y") == 0, "render names the first missing "
	    "field (%s)", miss);
	qp_buf_free(&b);
	cJSON_Delete(o);
}

struct fcase {
	const char	*label;
	enum tf_op	 op;
	const char	*pattern;
	int		 group, select;
	const char	*text, *want;
	int		 fell;
};

static void
test_filters(void)
{
	static const struct fcase t[] = {
		{ "strict: first match's group", TF_REGEX,
		  "#### (\\-?[0-9\\.\\,]+)", -1, 0,
		  "a #### 12 b #### 13", "12", 0 },
		{ "no match: the fallback", TF_REGEX,
		  "#### (\\-?[0-9\\.\\,]+)", -1, 0, "no number", "[invalid]",
		  1 },
		{ "flexible: last match, tuple's non-empty group", TF_REGEX,
		  "(-?[$0-9.,]{2,})|(-?[0-9]+)", -1, -1,
		  "1 and $22 and 3", "3", 0 },
		{ "flexible: last is the first group", TF_REGEX,
		  "(-?[$0-9.,]{2,})|(-?[0-9]+)", -1, -1,
		  "3 then $1,000.", "$1,000.", 0 },
		{ "no group: the whole match", TF_REGEX, "[0-9]+", -1, 0,
		  "ab 42 7", "42", 0 },
		{ "one group, empty: '' (no fallback)", TF_REGEX, "a(b*)c",
		  -1, 0, "xac", "", 0 },
		{ "tuple of empty groups: the fallback", TF_REGEX,
		  "(x*)|(y*)", -1, 0, "z", "[invalid]", 1 },
		{ "explicit group", TF_REGEX, "(\\w+)=(\\w+)", 2, 0,
		  "k=v", "v", 0 },
		{ "select index 1", TF_REGEX, "[0-9]+", -1, 1, "1 22 333",
		  "22", 0 },
		{ "select past the end: the fallback", TF_REGEX, "[0-9]+",
		  -1, 5, "1 2", "[invalid]", 1 },
		{ "the match is stripped", TF_REGEX, "A:(.*)", -1, 0,
		  "A:  x y  \n", "x y", 0 },
		{ "strip", TF_STRIP, NULL, 0, 0, " \t x y \n", "x y", 0 },
		{ "lowercase", TF_LOWERCASE, NULL, 0, 0, "AbC", "abc", 0 },
		{ "uppercase", TF_UPPERCASE, NULL, 0, 0, "AbC", "ABC", 0 },
		{ "first line", TF_TAKE_FIRST_LINE, NULL, 0, 0, "a\nb", "a",
		  0 },
		{ "think block dropped", TF_THINK, NULL, 0, 0,
		  "<think>hmm</think> 42", " 42", 0 },
		{ "unclosed think: nothing answered", TF_THINK, NULL, 0, 0,
		  "<think>still going", "", 0 },
		{ "code fence: the first block's body", TF_CODE_FENCE, NULL,
		  0, 0, "x\n```python\nprint(1)\n```\n```\n2\n```",
		  "print(1)\n", 0 },
		{ "no fence: unchanged", TF_CODE_FENCE, NULL, 0, 0,
		  "plain", "plain", 0 },
	};
	struct qp_buf out = QP_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tf_step st;
		int fell = -1;

		memset(&st, 0, sizeof(st));
		st.op = t[i].op;
		st.group = t[i].group;
		st.select = t[i].select;
		st.fallback = (char *)"[invalid]";
		if (t[i].pattern != NULL)
			st.rx = H->rx_compile(NULL, t[i].pattern, 0);
		tf_filter(H, &st, 1, t[i].text, strlen(t[i].text), &out,
		    &fell);
		ok(strcmp(qp_buf_str(&out), t[i].want) == 0 &&
		    fell == t[i].fell, "filter: %s (got \"%s\", fell %d)",
		    t[i].label, qp_buf_str(&out), fell);
		if (st.rx != NULL)
			H->rx_free(st.rx);
	}
	{
		/* a pipeline: think, regex, lowercase */
		struct tf_step p[3];
		int fell;

		memset(p, 0, sizeof(p));
		p[0].op = TF_THINK;
		p[1].op = TF_REGEX;
		p[1].rx = H->rx_compile(NULL, "answer: (\\w+)", 0);
		p[1].group = -1;
		p[1].fallback = (char *)"[invalid]";
		p[2].op = TF_LOWERCASE;
		tf_filter(H, p, 3, "<think>answer: no</think>answer: YES",
		    36, &out, &fell);
		ok(strcmp(qp_buf_str(&out), "yes") == 0, "filter: steps "
		    "apply in order (%s)", qp_buf_str(&out));
		H->rx_free(p[1].rx);
	}
	qp_buf_free(&out);
}

static void
test_metrics(void)
{
	struct qeval_regex *rx[3];
	struct tf_em_opts o;

	memset(&o, 0, sizeof(o));
	ok(tf_exact_match(H, &o, "Paris", "Paris") == 1, "em: equal");
	ok(tf_exact_match(H, &o, "paris", "Paris") == 0, "em: case "
	    "counts by default");
	ok(tf_exact_match(H, &o, " Paris", "Paris") == 0, "em: blanks "
	    "count (no strip in exact_match)");
	o.ignore_case = 1;
	ok(tf_exact_match(H, &o, "paris", "PARIS") == 1, "em: "
	    "ignore_case");
	o.ignore_punctuation = 1;
	ok(tf_exact_match(H, &o, "Hello, world!", "hello world") == 1,
	    "em: ignore_punctuation (ASCII string.punctuation)");
	ok(tf_exact_match(H, &o, "caf\xc3\xa9!", "caf\xc3\xa9") == 1 &&
	    tf_exact_match(H, &o, "\xc2\xbfs\xc3\xad", "s\xc3\xad") == 0,
	    "em: only ASCII punctuation goes ('\xc2\xbf' stays)");
	memset(&o, 0, sizeof(o));
	rx[0] = H->rx_compile(NULL, ",", 0);
	rx[1] = H->rx_compile(NULL, "\\$", 0);
	rx[2] = H->rx_compile(NULL, "A", 0);
	o.ignore = rx;
	o.n_ignore = 2;
	ok(tf_exact_match(H, &o, "$1,000", "1000") == 1,
	    "em: regexes_to_ignore remove every match");
	o.ignore = &rx[2];
	o.n_ignore = 1;
	o.ignore_case = 1;
	ok(tf_exact_match(H, &o, "Aa", "a") == 1, "em: regexes go "
	    "before lower-casing (lm-eval's order)");
	memset(&o, 0, sizeof(o));
	o.ignore_numbers = 1;
	ok(tf_exact_match(H, &o, "v1.2", "v.") == 1, "em: "
	    "ignore_numbers");
	ok(tf_exact_match(H, &o, "", "") == 1, "em: empty equals empty");
	ok(tf_numeric_match("1,000", "1000", 0) == 1, "numeric: "
	    "thousands separators");
	ok(tf_numeric_match("$7.0", "7", 0) == 1, "numeric: 7.0 is 7");
	ok(tf_numeric_match("12.", "12", 0) == 1, "numeric: a final "
	    "period");
	ok(tf_numeric_match("3.14", "3.1416", 0.01) == 1 &&
	    tf_numeric_match("3.14", "3.1416", 0.001) == 0,
	    "numeric: tolerance");
	ok(tf_numeric_match("[invalid]", "3", 1e9) == 0 &&
	    tf_numeric_match("", "0", 1) == 0, "numeric: not a number is "
	    "wrong");
	ok(tf_contains("The capital is Paris.", "Paris", 0) == 1 &&
	    tf_contains("the capital is paris", "Paris", 0) == 0 &&
	    tf_contains("the capital is paris", "Paris", 1) == 1,
	    "contains, with and without case");
	H->rx_free(rx[0]);
	H->rx_free(rx[1]);
	H->rx_free(rx[2]);
}

static void
test_schema(void)
{
	static const struct { const char *schema, *value, *why; } t[] = {
		{ "{\"type\":\"string\"}", "\"x\"", NULL },
		{ "{\"type\":\"string\"}", "1", "$: not of type string" },
		{ "{\"type\":\"integer\"}", "2.0", NULL },
		{ "{\"type\":\"integer\"}", "2.5", "not of type integer" },
		{ "{\"type\":[\"string\",\"null\"]}", "null", NULL },
		{ "{\"type\":[\"string\",\"null\"]}", "3", "any allowed type" },
		{ "{\"type\":\"object\",\"required\":[\"a\"]}", "{}",
		  "\"a\" is missing" },
		{ "{\"properties\":{\"a\":{\"type\":\"number\"}},"
		  "\"additionalProperties\":false}", "{\"a\":1,\"b\":2}",
		  "$.b: a property the schema does not allow" },
		{ "{\"additionalProperties\":{\"type\":\"number\"}}",
		  "{\"b\":\"x\"}", "$.b: not of type number" },
		{ "{\"enum\":[\"x\",1]}", "1", NULL },
		{ "{\"enum\":[\"x\",1]}", "\"y\"", "enum" },
		{ "{\"const\":{\"k\":1}}", "{\"k\":1}", NULL },
		{ "{\"minimum\":0,\"maximum\":10}", "-1", "minimum" },
		{ "{\"exclusiveMaximum\":10}", "10", "exclusiveMaximum" },
		{ "{\"maxLength\":4}", "\"caf\xc3\xa9\"", NULL },
		{ "{\"minLength\":5}", "\"caf\xc3\xa9\"", "minLength" },
		{ "{\"type\":\"array\",\"items\":{\"type\":\"integer\"},"
		  "\"minItems\":1}", "[1,\"2\"]", "$[1]: not of type integer" },
		{ "{\"maxItems\":1}", "[1,2]", "maxItems" },
		{ "{\"properties\":{\"p\":{\"properties\":{\"q\":{\"type\":"
		  "\"string\"}}}}}", "{\"p\":{\"q\":5}}",
		  "$.p.q: not of type string" },
		{ "false", "1", "no value" },
		{ "true", "1", NULL },
	};
	struct qp_buf why = QP_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cJSON *s = cJSON_Parse(t[i].schema);
		cJSON *v = cJSON_Parse(t[i].value);
		int okv;

		qp_buf_reset(&why);
		okv = tf_schema_valid(s, v, &why);
		ok(t[i].why == NULL ? okv == 1 : okv == 0 &&
		    strstr(qp_buf_str(&why), t[i].why) != NULL,
		    "schema %s on %s: %s", t[i].schema, t[i].value,
		    okv ? "valid" : qp_buf_str(&why));
		cJSON_Delete(s);
		cJSON_Delete(v);
	}
	{
		cJSON *s = cJSON_Parse("{\"type\":\"object\",\"properties\":"
		    "{\"a\":{\"pattern\":\"x\"}}}");

		qp_buf_reset(&why);
		ok(tf_schema_check(s, "schema", &why) == -1 &&
		    strstr(qp_buf_str(&why), "schema.properties.a.pattern") !=
		    NULL, "schema check names an unsupported keyword (%s)",
		    qp_buf_str(&why));
		cJSON_Delete(s);
	}
	qp_buf_free(&why);
	ok(tf_edit_distance("max_token", "max_tokens") == 1 &&
	    tf_edit_distance("tempreature", "temperature") == 2,
	    "edit distance for \"did you mean\"");
}

static void
test_sha256(void)
{
	static const struct { size_t n; const char *want; } t[] = {
		{ 0, "e3b0c44298fc1c149afbf4c8996fb924"
		  "27ae41e4649b934ca495991b7852b855" },
		{ 3, "ba7816bf8f01cfea414140de5dae2223"
		  "b00361a396177a9cb410ff61f20015ad" },
		{ 1000, "41edece42d63e8d9bf515a9ba6932e1c"
		  "20cbc9f5a5d134645adb5db1b9737ea3" },
		{ 76800, "f8b0585eb91f58c007a5634362c9f90d"
		  "8543822c113f702523bc7b73408a9392" },
	};
	char path[] = "/tmp/t-tfcore.XXXXXX", got[65];
	size_t i, k;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int fd = mkstemp(path);
		FILE *fp = fd >= 0 ? fdopen(fd, "wb") : NULL;

		if (fp == NULL) {
			ok(0, "sha256: temporary file");
			continue;
		}
		for (k = 0; k < t[i].n; k++)
			fputc(t[i].n == 3 ? "abc"[k] : t[i].n == 1000 ? 'a' :
			    (int)(k % 256), fp);
		fclose(fp);
		ok(tf_sha256_file(path, got) == 0 && strcmp(got,
		    t[i].want) == 0, "sha256 of %zu bytes (%s)", t[i].n, got);
		unlink(path);
		strcpy(path, "/tmp/t-tfcore.XXXXXX");
	}
	ok(tf_sha256_file("/nonexistent/x", got) == -1, "sha256: a missing "
	    "file is an error");
}

int
main(void)
{
	H = host_table();
	test_render();
	test_filters();
	test_metrics();
	test_schema();
	test_sha256();
	return (tap_done());
}
