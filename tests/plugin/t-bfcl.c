/*
 * t-bfcl: the BFCL plugin.
 *
 * 1. The Python-call decoder on ordinary, odd and hostile input, and
 *    constant arithmetic read as BFCL reads it (resolve_ast_by_type:
 *    a BinOp is eval()ed, a UnaryOp is -operand.value): each expected
 *    value is what BFCL's decoder gives for the same text under
 *    Python 3.11, never by evaluating anything here.
 * 2. The FC decoder (tool_calls, cut-off and invalid arguments).
 * 3. Every AST checker rule and error type, on crafted functions, and
 *    the messages byte for byte as BFCL's ast_checker.py writes them
 *    (each expected string is the f-string of ast_checker.py evaluated
 *    by hand on the same input; values never shortened).
 * 4. Printers: Python's float repr, json.dumps(indent=4).
 * 5. The built plugin through plugtest on tests/fixtures/bfcl: request
 *    bodies (BFCL's system prompt byte for byte, the FC tool schema),
 *    gold/corrupt in both modes, decoder failures, irrelevance with a
 *    malformed call.
 * 6. With QEVAL_DATA_DIR: the reference model scores 100% on every
 *    category and the corrupted one 0%, in FC and prompt modes.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bfcl_ast.h"
#include "plugtest.h"
#include "tap.h"

/* ------------------------------------------------------------------ */
/* Decoder                                                            */

static int
decode(const char *text, struct bv *out, struct qp_buf *err)
{
	int looks;

	return (bfcl_decode_prompt(text, strlen(text), out, err, &looks));
}

/* Decodes and returns the repr of the first call's arguments. */
static const char *
args_repr(const char *text, struct qp_buf *o)
{
	struct qp_buf err = QP_BUF_INIT;
	struct bv d;

	qp_buf_reset(o);
	if (decode(text, &d, &err) < 0) {
		qp_buf_adds(o, "ERROR");
		qp_buf_free(&err);
		return (qp_buf_str(o));
	}
	if (d.n > 0)
		bv_py_repr(o, &d.items[0].items[1]);
	else
		qp_buf_adds(o, "NOCALL");
	bv_free(&d);
	qp_buf_free(&err);
	return (qp_buf_str(o));
}

static int
decode_fails(const char *text)
{
	struct qp_buf err = QP_BUF_INIT;
	struct bv d;
	int rc = decode(text, &d, &err);

	if (rc == 0)
		bv_free(&d);
	else if (err.len == 0)
		rc = 0;		/* an error must say why */
	qp_buf_free(&err);
	return (rc < 0);
}

static void
test_decoder(void)
{
	struct qp_buf o = QP_BUF_INIT, err = QP_BUF_INIT;
	struct bv d;
	char *big;
	size_t i;
	int looks;

	is_str(args_repr("[f(a=1, b='x')]", &o), "{'a': 1, 'b': 'x'}",
	    "plain call");
	is_str(args_repr("f(a=1)", &o), "{'a': 1}", "brackets added");
	is_str(args_repr("`[f(a=1)]`\n", &o), "{'a': 1}", "backticks "
	    "stripped");
	is_str(args_repr("'[f(a=1)]'", &o), "ERROR", "quotes: BFCL wraps "
	    "first, so a quoted list stays a string");
	is_str(args_repr("[f(s='a\\'b\\n\\x41\\u00e9\\t')]", &o),
	    "{'s': \"a'b\\nA\xc3\xa9\\t\"}", "string escapes");
	is_str(args_repr("[f(s=r'a\\d', t=\"\"\"x\"y\"\"\", u='p' \"q\")]",
	    &o), "{'s': 'a\\\\d', 't': 'x\"y', 'u': 'pq'}", "raw, triple "
	    "quoted and concatenated strings");
	is_str(args_repr("[f(a=1_000, b=0x10, c=1e3, d=.5, e=5., g=-3, "
	    "h=-2.5, i=0o17, j=0b11)]", &o), "{'a': 1000, 'b': 16, "
	    "'c': 1000.0, 'd': 0.5, 'e': 5.0, 'g': -3, 'h': -2.5, 'i': 15, "
	    "'j': 3}", "numbers");
	is_str(args_repr("[f(a=True, b=False, c=None, d=meters, e=...)]", &o),
	    "{'a': True, 'b': False, 'c': None, 'd': 'meters', 'e': '...'}",
	    "constants and names (a bare name is its string)");
	is_str(args_repr("[f(t=(1,), u=(), v=(2), w=[1, [2, 3]], "
	    "x={'k': [1], 2: 'two'})]", &o),
	    "{'t': (1,), 'u': (), 'v': 2, 'w': [1, [2, 3]], "
	    "'x': {'k': [1], 2: 'two'}}", "containers");
	is_str(args_repr("[f(1, 'pos', a=2)]", &o), "{'a': 2}",
	    "positional arguments are dropped, as BFCL does");
	is_str(args_repr("[f(a=1,)]", &o), "{'a': 1}", "trailing comma");
	is_str(args_repr("[f(\n  a = 1,  # comment\n  b=2\n)]", &o),
	    "{'a': 1, 'b': 2}", "newlines and comments inside brackets");
	is_str(args_repr("[f(d={'a': 1, 'a': 2})]", &o), "{'d': {'a': 2}}",
	    "a repeated dict key keeps the last value");
	is_str(args_repr("[]", &o), "NOCALL", "[] decodes to no call");
	is_str(args_repr("[math.sqrt(x=4)]", &o), "{'x': 4}",
	    "dotted name");

	ok(decode("[f(a=1), g.h(b=2)]", &d, &err) == 0 && d.n == 2 &&
	    bv_is_str(&d.items[1].items[0], "g.h"), "two calls, dotted name");
	bv_free(&d);
	ok(decode("f(a=1), g(b=2)", &d, &err) == 0 && d.n == 2,
	    "a bare tuple of calls");
	bv_free(&d);

	ok(decode_fails("I cannot help with that."), "prose fails");
	ok(decode_fails("```python\n[f(a=1)]\n```"), "a fenced block fails, "
	    "as in BFCL (the word python stays)");
	ok(decode_fails("[f(a=g(1))]"), "nested call refused");
	ok(decode_fails("[f(a=__import__('os').system('x') + 1)]"),
	    "a call inside arithmetic is refused, never run");
	ok(decode_fails("[f(a=__import__('os').system('x'))]"),
	    "code is refused");
	ok(decode_fails("[f(a=lambda: 1)]"), "lambda refused");
	ok(decode_fails("[f(a=[1, 2)]"), "unbalanced brackets");
	ok(decode_fails("[f(a='abc)]"), "unterminated string");
	ok(decode_fails("[f(a=1, a=2)]"), "repeated keyword");
	ok(decode_fails("[f(a=1, 2)]"), "positional after keyword");
	ok(decode_fails("[f(a=01)]"), "leading zero");
	ok(decode_fails("[f(a=1j)]"), "complex");
	ok(decode_fails("[f(a=b'x')]"), "bytes");
	ok(decode_fails("[f(a={1, 2})]"), "set");
	ok(decode_fails("[f(a={[1]: 2})]"), "unhashable key");
	ok(decode_fails("[f(a=99999999999999999999999)]"), "huge integer");
	ok(decode_fails("[1, f(a=1)]"), "a non-call element");
	ok(decode_fails("[f(a=1)] [g(b=2)]"), "junk after the calls");
	ok(decode_fails("[f(**kw)]"), "** arguments");
	ok(decode_fails("\x01\x02\xff\xfe[(((("), "binary garbage");
	is_str(args_repr("", &o), "NOCALL", "empty text reads as [] (BFCL "
	    "adds both brackets)");
	/* Deep nesting must fail cleanly, not overflow the stack. */
	big = malloc(200011);
	strcpy(big, "[f(a=");
	for (i = 5; i < 200005; i++)
		big[i] = '[';
	strcpy(big + 200005, "1)]");
	ok(decode_fails(big), "200000 nested lists refused");
	/* A long flat list is fine. */
	strcpy(big, "[f(a=[");
	for (i = 6; i + 2 < 200000; i += 2) {
		big[i] = '1';
		big[i + 1] = ',';
	}
	strcpy(big + i, "1])]");
	ok(decode(big, &d, &err) == 0 && d.n == 1 &&
	    d.items[0].items[1].items[1].n > 90000, "100000 list items");
	bv_free(&d);
	free(big);

	ok(bfcl_decode_prompt("[get_weather(city='x'", 21, &d, &err,
	    &looks) < 0 && looks == 1, "a cut-off call looks like a call");
	ok(bfcl_decode_prompt("Sorry, I cannot.", 16, &d, &err, &looks) < 0
	    && looks == 0, "prose does not look like a call");
	qp_buf_free(&o);
	qp_buf_free(&err);
}

/*
 * Constant arithmetic.  BFCL (model_handler/utils.py) turns a BinOp
 * into eval(ast.unparse(node)) and a UnaryOp into -node.operand.value;
 * the expected column is BFCL's decoded value (Python 3.11), "ERROR"
 * where BFCL's decoder raises.
 */
static void
test_arithmetic(void)
{
	static const struct {
		const char	*in;
		const char	*want;
	} c[] = {
		{ "[f(radius=9 + 1)]", "{'radius': 10}" },
		{ "[f(a=+5, b=-5, c=-True, d=~5)]",
		    "{'a': -5, 'b': -5, 'c': -1, 'd': -5}" },
		{ "[f(a=1 + +5, b=2**-1)]", "{'a': 6, 'b': 0.5}" },
		{ "[f(c=-2**2)]", "ERROR" },
		{ "[f(a=-(1+2))]", "ERROR" },
		{ "[f(a=-(1+2)*3)]", "{'a': -9}" },
		{ "[f(a=7//2, b=-7//2, c=-7%3, d=7.5//2, e=-7.5%2, f=7/2)]",
		    "{'a': 3, 'b': -4, 'c': 2, 'd': 3.0, 'e': 0.5, 'f': 3.5}" },
		{ "[f(a=-7.5//-2, b=7%-3, c=-0.0%5)]",
		    "{'a': 3.0, 'b': -2, 'c': 0.0}" },
		{ "[f(a='ab' + 'c', b='x'*3, c=[1]+[2], d=(1,)*2, e=[+5]*2)]",
		    "{'a': 'abc', 'b': 'xxx', 'c': [1, 2], 'd': (1, 1), "
		    "'e': [5, 5]}" },
		{ "[f(a=(1+2, 3), b={'k': 1+1, 2*3: 'v'})]",
		    "{'a': (3, 3), 'b': {'k': 2, 6: 'v'}}" },
		{ "[f(a=0.1+0.2)]", "{'a': 0.30000000000000004}" },
		{ "[f(a=True+True, b=3*True)]", "{'a': 2, 'b': 3}" },
		{ "[f(a=1 - - 1)]", "{'a': 2}" },
		{ "[f(a=10 - 2 - 3, b=2**3**2, c=100/10/5)]",
		    "{'a': 5, 'b': 512, 'c': 2.0}" },
		{ "[f(a=-9223372036854775807-1)]",
		    "{'a': -9223372036854775808}" },
		{ "[f(a=2**0.5, b=10**-2, c=0**0, d=1e308*10)]",
		    "{'a': 1.4142135623730951, 'b': 0.01, 'c': 1, 'd': inf}" },
		{ "[f(a=(-5))]", "{'a': -5}" },
		{ "[f(a=x+1)]", "ERROR" },		/* NameError */
		{ "[f(a=1/0)]", "ERROR" },		/* ZeroDivisionError */
		{ "[f(a=None+1)]", "ERROR" },		/* TypeError */
		{ "[f(a='a'+1)]", "ERROR" },
		{ "[f(a=--5)]", "ERROR" },		/* UnaryOp.value */
		{ "[f(a=-x)]", "ERROR" },		/* Name.value */
		{ "[f(a=-'s')]", "ERROR" },		/* bad operand */
		{ "[f(a=[1, 2+3, -x])]", "ERROR" },
		{ "[f(a=...+1)]", "ERROR" },
	};
	struct qp_buf o = QP_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		is_str(args_repr(c[i].in, &o), c[i].want, "%s", c[i].in);
	ok(decode_fails("[f(a='x' * 100000000)]"), "a huge repetition is "
	    "refused, not built");
	ok(decode_fails("[f(a=2**64)]"), "integers past 64 bits: a decoder "
	    "error (BFCL would go on with a big int)");
	/* Hostile arithmetic fails cleanly, without deep recursion or
	 * unbounded building. */
	{
		struct qp_buf h = QP_BUF_INIT;
		size_t k;

		qp_buf_adds(&h, "[f(a=");
		for (k = 0; k < 200000; k++)
			qp_buf_adds(&h, "2**");
		qp_buf_adds(&h, "2)]");
		ok(decode_fails(qp_buf_str(&h)), "200000 chained ** refused");
		qp_buf_reset(&h);
		qp_buf_adds(&h, "[f(a='x'*1000000");
		for (k = 0; k < 300000; k++)
			qp_buf_adds(&h, "+''");
		qp_buf_adds(&h, ")]");
		ok(decode_fails(qp_buf_str(&h)), "300000 concatenations of a "
		    "1 MB string refused (work is bounded)");
		qp_buf_reset(&h);
		qp_buf_adds(&h, "[f(a=");
		for (k = 0; k < 49; k++)
			qp_buf_adds(&h, "[(");
		qp_buf_adds(&h, "1+1");
		for (k = 0; k < 49; k++)
			qp_buf_adds(&h, ")]*2");
		qp_buf_adds(&h, ")]");
		ok(decode_fails(qp_buf_str(&h)), "nested doubling repetitions "
		    "refused");
		qp_buf_free(&h);
	}
	is_str(args_repr("[f(a='x'*3+'y')]", &o), "{'a': 'xxxy'}",
	    "repetition then concatenation");
	qp_buf_free(&o);
}

static void
test_fc_decoder(void)
{
	struct qp_buf err = QP_BUF_INIT, o = QP_BUF_INIT;
	struct bv d;
	int looks;

	ok(bfcl_decode_fc("[{\"id\":\"c\",\"type\":\"function\",\"function\":"
	    "{\"name\":\"f_g\",\"arguments\":\"{\\\"a\\\": 1, \\\"b\\\": 2.0, "
	    "\\\"c\\\": [1e2]}\"}}]", &d, &err, &looks) == 0 && d.n == 1,
	    "tool call decoded");
	bv_py_repr(&o, &d);
	is_str(qp_buf_str(&o), "[{'f_g': {'a': 1, 'b': 2.0, 'c': [100.0]}}]",
	    "JSON int and float stay apart");
	bv_free(&d);
	ok(bfcl_decode_fc("[{\"function\":{\"name\":\"f\",\"arguments\":"
	    "\"{\\\"a\\\": 1\"}}]", &d, &err, &looks) < 0 && looks == 1,
	    "cut-off arguments: decoder error, but it looked like a call");
	ok(bfcl_decode_fc("[{\"function\":{\"name\":\"f\",\"arguments\":"
	    "\"not json\"}}]", &d, &err, &looks) < 0, "invalid arguments");
	/* BFCL's FC handler keeps vLLM's empty tool_calls list: [] */
	ok(bfcl_decode_fc(NULL, &d, &err, &looks) == 0 && looks == 0 &&
	    d.kind == BV_LIST && d.n == 0 && bfcl_format_ok(&d),
	    "no tool_calls (a text answer) decodes to []");
	bv_free(&d);
	ok(bfcl_decode_fc("[]", &d, &err, &looks) == 0 && looks == 0 &&
	    d.kind == BV_LIST && d.n == 0, "empty tool_calls decode to []");
	bv_free(&d);
	ok(bfcl_decode_fc("{", &d, &err, &looks) < 0, "broken tool_calls");
	ok(bfcl_decode_fc("[{\"name\":\"f\",\"arguments\":{\"a\":1}}]", &d,
	    &err, &looks) == 0 && bfcl_format_ok(&d), "flattened call with "
	    "object arguments accepted");
	bv_free(&d);
	ok(bfcl_decode_fc("[{\"function\":{\"name\":\"f\",\"arguments\":"
	    "\"5\"}}]", &d, &err, &looks) == 0 && !bfcl_format_ok(&d),
	    "arguments that are not an object: wrong output format");
	bv_free(&d);
	ok(decode("[]", &d, &err) == 0 && bfcl_empty_output(&d),
	    "[] is empty output");
	bv_free(&d);
	ok(decode("[f()]", &d, &err) == 0 && !bfcl_empty_output(&d),
	    "[f()] is a call");
	bv_free(&d);
	qp_buf_free(&err);
	qp_buf_free(&o);
}

/* ------------------------------------------------------------------ */
/* Checker                                                            */

static const char *FUNCS =
    "[{\"name\": \"f\", \"description\": \"d\", \"parameters\": {"
    "\"type\": \"dict\", \"properties\": {"
    "\"a\": {\"type\": \"integer\"}, \"u\": {\"type\": \"string\"},"
    "\"x\": {\"type\": \"float\"}, \"b\": {\"type\": \"boolean\"},"
    "\"t\": {\"type\": \"tuple\", \"items\": {\"type\": \"integer\"}},"
    "\"q\": {\"type\": \"array\", \"items\": {\"type\": \"integer\"}},"
    "\"s\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}},"
    "\"o\": {\"type\": \"dict\", \"properties\": {}},"
    "\"l\": {\"type\": \"array\", \"items\": {\"type\": \"dict\"}},"
    "\"y\": {\"type\": \"any\"}},"
    "\"required\": [\"a\"]}},"
    "{\"name\": \"math.g\", \"description\": \"d\", \"parameters\": {"
    "\"type\": \"dict\", \"properties\": {\"n\": {\"type\": \"integer\"}},"
    "\"required\": [\"n\"]}}]";

static const char *ANSWER =
    "[{\"f\": {\"a\": [10], \"u\": [\"New York, NY\", \"\"],"
    "\"x\": [5.0, \"\"], \"b\": [true, \"\"], \"t\": [[1, 2], \"\"],"
    "\"q\": [[1, 2], \"\"], \"s\": [[\"Los Angeles\", \"SF\"], \"\"],"
    "\"o\": [{\"k\": [\"v\"], \"n\": [1, \"\"]}, \"\"],"
    "\"l\": [[{\"k\": [\"a\"]}, {\"k\": [\"b\"]}], \"\"],"
    "\"y\": [\"any\", \"\"]}}]";

/* Runs the checker on a prompt-mode output; NULL if valid. */
static const char *
check(const char *funcs, const char *answer, enum bfcl_cat cat, int fc,
    const char *output)
{
	static char type[128];
	struct qp_buf err = QP_BUF_INIT;
	struct bfcl_result r;
	struct bv f, a, d;
	int rc;

	r.msg = (struct qp_buf)QP_BUF_INIT;
	if (bv_json_parse(funcs, strlen(funcs), &f, &err) < 0 ||
	    bv_json_parse(answer, strlen(answer), &a, &err) < 0) {
		qp_buf_free(&err);
		return ("BAD-FIXTURE");
	}
	if (fc)
		rc = bv_json_parse(output, strlen(output), &d, &err);
	else
		rc = decode(output, &d, &err);
	if (rc < 0) {
		snprintf(type, sizeof(type), "decoder:%s", qp_buf_str(&err));
		bv_free(&f);
		bv_free(&a);
		qp_buf_free(&err);
		return (type);
	}
	bfcl_check(&f, &d, &a, cat, fc, &r);
	snprintf(type, sizeof(type), "%s", r.valid ? "" : r.error_type);
	if (!r.valid && r.msg.len == 0)
		snprintf(type, sizeof(type), "NO-MESSAGE");
	bv_free(&f);
	bv_free(&a);
	bv_free(&d);
	qp_buf_free(&err);
	qp_buf_free(&r.msg);
	return (type[0] != '\0' ? type : NULL);
}

/* "error_type: message" of a failed check, or "valid". */
static const char *
check_msg(const char *funcs, const char *answer, enum bfcl_cat cat,
    const char *output)
{
	static struct qp_buf o = QP_BUF_INIT;
	struct qp_buf err = QP_BUF_INIT;
	struct bfcl_result r;
	struct bv f, a, d;

	r.msg = (struct qp_buf)QP_BUF_INIT;
	qp_buf_reset(&o);
	if (bv_json_parse(funcs, strlen(funcs), &f, &err) < 0 ||
	    bv_json_parse(answer, strlen(answer), &a, &err) < 0 ||
	    decode(output, &d, &err) < 0) {
		qp_buf_addf(&o, "BAD: %s", qp_buf_str(&err));
		qp_buf_free(&err);
		return (qp_buf_str(&o));
	}
	bfcl_check(&f, &d, &a, cat, 0, &r);
	if (r.valid)
		qp_buf_adds(&o, "valid");
	else
		qp_buf_addf(&o, "%s: %s", r.error_type, qp_buf_str(&r.msg) ?
		    qp_buf_str(&r.msg) : "");
	bv_free(&f);
	bv_free(&a);
	bv_free(&d);
	qp_buf_free(&err);
	qp_buf_free(&r.msg);
	return (qp_buf_str(&o));
}

#define MSG(out, want)							\
	is_str(check_msg(FUNCS, ANSWER, CAT_SIMPLE_PYTHON, out), want,	\
	    "message: %s", out)

#define VALID(out, what)						\
	ok(check(FUNCS, ANSWER, CAT_SIMPLE_PYTHON, 0, out) == NULL, what)
#define ERR(out, et, what)						\
	is_str(check(FUNCS, ANSWER, CAT_SIMPLE_PYTHON, 0, out), et, what)

static void
test_checker(void)
{
	static const char *par_f = "[{\"name\": \"w.get\", \"parameters\": "
	    "{\"type\": \"dict\", \"properties\": {\"c\": {\"type\": "
	    "\"string\"}}, \"required\": [\"c\"]}}]";
	static const char *par_a = "[{\"w.get\": {\"c\": [\"Paris\"]}}, "
	    "{\"w.get\": {\"c\": [\"Rome\"]}}]";
	static const char *mul_a = "[{\"math.g\": {\"n\": [3]}}]";

	VALID("[f(a=10)]", "required only; optional ones omitted");
	VALID("[f(a=10, u='new york ny')]", "string normalisation: case, "
	    "spaces and punctuation");
	VALID("[f(a=10, u='New-York_NY.')]", "string normalisation: "
	    "-_. removed");
	ERR("[f(a=10, u='Boston')]", "value_error:string", "wrong string");
	ERR("[f(u='x')]", "simple_function_checker:missing_required",
	    "missing required");
	ERR("[f(a=10, zz=1)]", "simple_function_checker:unexpected_param",
	    "unexpected parameter");
	ERR("[g(a=10)]", "simple_function_checker:wrong_func_name",
	    "wrong function name");
	ERR("[f(a=10), f(a=10)]", "simple_function_checker:wrong_count",
	    "two calls where one is expected");
	ERR("[]", "simple_function_checker:wrong_count", "no call");
	ERR("[f(a='10')]", "type_error:simple", "str for int");
	ERR("[f(a=True)]", "type_error:simple", "bool is not int");
	ERR("[f(a=10.0)]", "type_error:simple", "float for int");
	VALID("[f(a=10, x=5)]", "int accepted for float");
	VALID("[f(a=10, x=5.0)]", "float for float");
	ERR("[f(a=10, x=6)]", "value_error:others", "wrong number");
	ERR("[f(a=11)]", "value_error:others", "wrong int");
	ERR("[f(a=10, b=False)]", "value_error:others", "wrong bool");
	VALID("[f(a=10, t=(1, 2))]", "tuple accepted for tuple type");
	VALID("[f(a=10, t=[1, 2])]", "list accepted for tuple type");
	ERR("[f(a=10, q=(1, 2))]", "type_error:simple", "tuple is not a "
	    "list for an array");
	is_str(check(FUNCS, "[{\"f\": {\"a\": [10], \"q\": [[1, 2]]}}]",
	    CAT_SIMPLE_PYTHON, 0, "[f(a=10, q=[1, '2'])]"), "type_error:nested",
	    "nested item type");
	ERR("[f(a=10, q=[1, '2'])]", "value_error:list/tuple", "BFCL quirk: "
	    "an optional \"\" answer skips the nested type check");
	ERR("[f(a=10, q=[2, 1])]", "value_error:list/tuple", "list order "
	    "matters");
	VALID("[f(a=10, s=['los angeles', 's.f.'])]", "list elements "
	    "normalised");
	VALID("[f(a=10, o={'k': 'V'})]", "dict: optional key omitted, value "
	    "normalised");
	VALID("[f(a=10, o={'k': 'v', 'n': 1})]", "dict with optional key");
	ERR("[f(a=10, o={'k': 'v', 'z': 1})]", "value_error:dict_key",
	    "dict unexpected key");
	ERR("[f(a=10, o={'k': 'w'})]", "value_error:dict_value",
	    "dict wrong value");
	ERR("[f(a=10, o={'n': 1})]", "value_error:dict_key", "dict missing "
	    "key");
	VALID("[f(a=10, l=[{'k': 'a'}, {'k': 'B'}])]", "list of dicts");
	ERR("[f(a=10, l=[{'k': 'a'}])]", "value_error:list_dict_count",
	    "list of dicts: count");
	ERR("[f(a=10, l=[{'k': 'b'}, {'k': 'a'}])]",
	    "value_error:list_dict_count", "list of dicts: order (BFCL "
	    "reports the last acceptable answer tried, here \"\")");
	is_str(check(FUNCS, "[{\"f\": {\"a\": [10], \"l\": [[{\"k\": "
	    "[\"a\"]}, {\"k\": [\"b\"]}]]}}]", CAT_SIMPLE_PYTHON, 0,
	    "[f(a=10, l=[{'k': 'b'}, {'k': 'a'}])]"), "value_error:dict_value",
	    "list of dicts: order");
	VALID("[f(a=10, y='ANY')]", "any is checked as a string");
	is_str(check(FUNCS, "[{\"f\": {\"a\": [10], \"u\": [\"x\"]}}]",
	    CAT_SIMPLE_PYTHON, 0, "[f(a=10)]"),
	    "simple_function_checker:missing_optional", "a parameter without "
	    "\"\" must be given");
	/* A "variable": the answer's type differs from the schema's. */
	ok(check(FUNCS, "[{\"f\": {\"a\": [\"n\"]}}]", CAT_SIMPLE_PYTHON, 0,
	    "[f(a=n)]") == NULL, "variable name in place of an int (BFCL's "
	    "is_variable)");

	/* parallel: order-free matching */
	ok(check(par_f, par_a, CAT_PARALLEL, 0,
	    "[w.get(c='Rome'), w.get(c='Paris')]") == NULL,
	    "parallel in any order");
	is_str(check(par_f, par_a, CAT_PARALLEL, 0,
	    "[w.get(c='Rome'), w.get(c='Oslo')]"),
	    "parallel_function_checker_no_order:cannot_find_match",
	    "parallel: no match");
	is_str(check(par_f, par_a, CAT_PARALLEL, 0,
	    "[w.get(c='Rome'), w.get(c='Rome')]"),
	    "parallel_function_checker_no_order:cannot_find_match",
	    "parallel: a call matches once only");
	is_str(check(par_f, par_a, CAT_PARALLEL_MULTIPLE, 0,
	    "[w.get(c='Rome')]"),
	    "parallel_function_checker_no_order:wrong_count",
	    "parallel: count");
	/* multiple: exactly one call, of the expected function */
	ok(check(FUNCS, mul_a, CAT_MULTIPLE, 0, "[math.g(n=3)]") == NULL,
	    "multiple: right function");
	is_str(check(FUNCS, mul_a, CAT_MULTIPLE, 0, "[f(a=10)]"),
	    "simple_function_checker:wrong_func_name",
	    "multiple: wrong function");
	is_str(check(FUNCS, mul_a, CAT_MULTIPLE, 0,
	    "[math.g(n=3), math.g(n=3)]"),
	    "multiple_function_checker:wrong_count", "multiple: count");
	/* FC names: "." is "_" on the wire */
	ok(check(FUNCS, mul_a, CAT_MULTIPLE, 1,
	    "[{\"math_g\": {\"n\": 3}}]") == NULL, "FC: underscore name");
	is_str(check(FUNCS, mul_a, CAT_MULTIPLE, 1,
	    "[{\"math.g\": {\"n\": 3}}]"),
	    "simple_function_checker:wrong_func_name",
	    "FC: the dotted name is not what was sent");
	ok(check(FUNCS, ANSWER, CAT_SIMPLE_PYTHON, 1,
	    "[{\"f\": {\"a\": 10, \"x\": 5}}]") == NULL,
	    "FC: JSON int accepted for float");
	is_str(check(FUNCS, ANSWER, CAT_SIMPLE_PYTHON, 1,
	    "[{\"f\": {\"a\": 10.0}}]"), "type_error:simple",
	    "FC: JSON 10.0 is a float, not an int");
}

/*
 * The messages, byte for byte.  Each expected string is what
 * ast_checker.py's f-string gives for the same input: repr() of
 * parameter names and values, str() of the acceptable-value list,
 * str(nested_type_converted) for the inner type, "'{key}'" for dict
 * keys, dict_checker's standardised answers.
 */
static void
test_checker_messages(void)
{
	static const char *par_f = "[{\"name\": \"w.get\", \"parameters\": "
	    "{\"type\": \"dict\", \"properties\": {\"c\": {\"type\": "
	    "\"string\"}}, \"required\": [\"c\"]}}]";
	static const char *par_a = "[{\"w.get\": {\"c\": [\"Paris\"]}}, "
	    "{\"w.get\": {\"c\": [\"Rome\"]}}]";
	static const char *flt_f = "[{\"name\": \"f\", \"parameters\": "
	    "{\"type\": \"dict\", \"properties\": {\"v\": {\"type\": "
	    "\"array\", \"items\": {\"type\": \"float\"}}, \"o\": "
	    "{\"type\": \"dict\"}}, \"required\": []}}]";
	struct qp_buf big = QP_BUF_INIT, want = QP_BUF_INIT;
	int i;

	MSG("[]", "simple_function_checker:wrong_count: Wrong number of "
	    "functions.");
	MSG("[g(a=10)]", "simple_function_checker:wrong_func_name: Function "
	    "name 'f' not found in model output.");
	MSG("[f(u='x')]", "simple_function_checker:missing_required: Missing "
	    "required parameter: 'a'.");
	MSG("[f(a=10, zz=1)]", "simple_function_checker:unexpected_param: "
	    "Unexpected parameter: 'zz'.");
	MSG("[f(a='10')]", "type_error:simple: Incorrect type for parameter "
	    "'a'. Expected type integer, got str. Parameter value: '10'.");
	MSG("[f(a=10, x='5')]", "type_error:simple: Incorrect type for "
	    "parameter 'x'. Expected type float, got str. Parameter value: "
	    "'5'.");
	MSG("[f(a=11)]", "value_error:others: Invalid value for parameter "
	    "'a': 11. Expected one of [10].");
	MSG("[f(a=10, x=6)]", "value_error:others: Invalid value for "
	    "parameter 'x': 6.0. Expected one of [5.0, ''].");
	MSG("[f(a=10, u='Boston')]", "value_error:string: Invalid value for "
	    "parameter 'u': 'Boston'. Expected one of ['New York, NY', '']. "
	    "Case insensitive.");
	MSG("[f(a=10, q=[2, 1])]", "value_error:list/tuple: Invalid value for "
	    "parameter 'q': [2, 1]. Expected one of [[1, 2], ''].");
	MSG("[f(a=10, o={'k': 'v', 'z': 1})]", "value_error:dict_key: "
	    "Unexpected dict key parameter: 'z'.");
	MSG("[f(a=10, o={'k': 'w'})]", "value_error:dict_value: Invalid "
	    "value for parameter 'k': 'w'. Expected one of ['v'].");
	MSG("[f(a=10, o={'n': 1})]", "value_error:dict_key: Missing dict key "
	    "parameter: 'k'.");
	MSG("[f(a=10, l=[{'k': 'a'}])]", "value_error:list_dict_count: Wrong "
	    "number of dictionaries in the list.");
	is_str(check_msg(FUNCS, "[{\"f\": {\"a\": [10], \"u\": [\"x\"]}}]",
	    CAT_SIMPLE_PYTHON, "[f(a=10)]"), "simple_function_checker:"
	    "missing_optional: Optional parameter 'u' not provided and not "
	    "marked as optional.", "message: missing optional");
	/* inner types print as Python's type repr */
	is_str(check_msg(FUNCS, "[{\"f\": {\"a\": [10], \"q\": [[1, 2]]}}]",
	    CAT_SIMPLE_PYTHON, "[f(a=10, q=[1, '2'])]"), "type_error:nested: "
	    "Nested type checking failed for parameter 'q'. Expected outer "
	    "type array with inner type <class 'int'>. Parameter value: "
	    "[1, '2'].", "message: nested int");
	is_str(check_msg(flt_f, "[{\"f\": {\"v\": [[1.5, 2.0]]}}]",
	    CAT_SIMPLE_PYTHON, "[f(v=[1.5, 'x'])]"), "type_error:nested: "
	    "Nested type checking failed for parameter 'v'. Expected outer "
	    "type array with inner type <class 'float'>. Parameter value: "
	    "[1.5, 'x'].", "message: nested float");
	/* no acceptable value at all: BFCL's list gets both messages */
	is_str(check_msg(flt_f, "[{\"f\": {\"v\": []}}]",
	    CAT_SIMPLE_PYTHON, "[f(v=[1])]"), "type_error:simple: Nested type "
	    "checking failed for parameter 'v'. Expected outer type array "
	    "with inner type <class 'float'>. Parameter value: [1]. "
	    "Incorrect type for parameter 'v'. Expected type array, got "
	    "list. Parameter value: [1].", "message: nested then simple");
	/* dict_checker shows the standardised answers */
	is_str(check_msg(flt_f, "[{\"f\": {\"o\": [{\"city\": "
	    "[\"New York, NY\", 5]}]}}]", CAT_SIMPLE_PYTHON,
	    "[f(o={'city': 'Boston'})]"), "value_error:dict_value: Invalid "
	    "value for parameter 'city': 'Boston'. Expected one of "
	    "['newyorkny', 5].", "message: dict value, standardised");
	is_str(check_msg(flt_f, "[{\"f\": {\"o\": [\"\"]}}]",
	    CAT_SIMPLE_PYTHON, "[f(o={'k': 1})]"), "dict_checker:unclear: ",
	    "message: no acceptable dict (BFCL's error list is empty)");
	/* parallel */
	is_str(check_msg(par_f, par_a, CAT_PARALLEL, "[w.get(c='Rome')]"),
	    "parallel_function_checker_no_order:wrong_count: Wrong number of "
	    "functions.", "message: parallel count");
	is_str(check_msg(par_f, par_a, CAT_PARALLEL,
	    "[w.get(c='Paris'), w.get(c='Oslo')]"),
	    "parallel_function_checker_no_order:cannot_find_match: Could not "
	    "find a matching function among index [1] of model output for "
	    "index 1 of possible answers. Model Result Index 1: "
	    "value_error:string: Invalid value for parameter 'c': 'Oslo'. "
	    "Expected one of ['Rome']. Case insensitive.",
	    "message: parallel, no match for the second answer");
	ok(strncmp(check_msg(par_f, par_a, CAT_PARALLEL,
	    "[w.get(c='Rome'), w.get(c='Oslo')]"),
	    "parallel_function_checker_no_order:cannot_find_match: Could not "
	    "find a matching function among index [0, 1] of model output for "
	    "index 0 of possible answers. Model Result Index 0: ", 163) == 0,
	    "message: parallel, no match for the first answer");
	is_str(check_msg(FUNCS, "[{\"math.g\": {\"n\": [3]}}]",
	    CAT_MULTIPLE, "[math.g(n=3), math.g(n=3)]"),
	    "multiple_function_checker:wrong_count: Wrong number of "
	    "functions.", "message: multiple count");
	/* values are never shortened */
	qp_buf_adds(&big, "[f(a=10, u='");
	for (i = 0; i < 300; i++)
		qp_buf_adds(&big, "x");
	qp_buf_adds(&big, "')]");
	qp_buf_adds(&want, "value_error:string: Invalid value for parameter "
	    "'u': '");
	for (i = 0; i < 300; i++)
		qp_buf_adds(&want, "x");
	qp_buf_adds(&want, "'. Expected one of ['New York, NY', '']. Case "
	    "insensitive.");
	is_str(check_msg(FUNCS, ANSWER, CAT_SIMPLE_PYTHON, qp_buf_str(&big)),
	    qp_buf_str(&want), "a 300-character value is quoted whole");
	qp_buf_free(&big);
	qp_buf_free(&want);
}

static void
test_printers(void)
{
	static const struct {
		double		 x;
		const char	*want;
	} fl[] = {
		{ 1e-05, "1e-05" }, { 100.0, "100.0" }, { 0.1, "0.1" },
		{ 1e16, "1e+16" }, { 1.5, "1.5" }, { -0.0, "-0.0" },
		{ 0.0001, "0.0001" }, { 123456789.125, "123456789.125" },
		{ 1.5e300, "1.5e+300" }, { 2.5e-7, "2.5e-07" },
	};
	struct qp_buf o = QP_BUF_INIT, err = QP_BUF_INIT;
	struct bv v;
	size_t i;

	for (i = 0; i < sizeof(fl) / sizeof(fl[0]); i++) {
		qp_buf_reset(&o);
		bv_float_repr(&o, fl[i].x);
		is_str(qp_buf_str(&o), fl[i].want, "float repr %s", fl[i].want);
	}
	{
		const char *js = "{\"a\": [1, 2.0, \"\\u00e9\\ud83d\\ude00\"], "
		    "\"b\": {}, \"c\": []}";

		ok(bv_json_parse(js, strlen(js), &v, &err) == 0, "json parse");
	}
	qp_buf_reset(&o);
	bv_json_indent(&o, &v, 0);
	is_str(qp_buf_str(&o), "{\n    \"a\": [\n        1,\n        2.0,\n"
	    "        \"\\u00e9\\ud83d\\ude00\"\n    ],\n    \"b\": {},\n"
	    "    \"c\": []\n}", "json.dumps(indent=4, ensure_ascii) layout");
	bv_free(&v);
	qp_buf_reset(&o);
	bfcl_standardize(&o, "It's New-York, NY_*^/.", 22);
	is_str(qp_buf_str(&o), "it\"snewyorkny", "standardize_string");
	qp_buf_free(&o);
	qp_buf_free(&err);
}

/* ------------------------------------------------------------------ */
/* The plugin through plugtest                                        */

struct canned {
	const char	*text;
	const char	*tool_calls;
	const char	*body;		/* the last request body, copied */
};

static int
answer_canned(void *arg, size_t sample, const struct qeval_request *req,
    struct plugtest_answer *out)
{
	struct canned *c = arg;

	(void)sample;
	free((char *)c->body);
	c->body = strdup(req->body);
	out->text = c->text;
	out->tool_calls = c->tool_calls;
	out->finish_reason = c->tool_calls ? "tool_calls" : "stop";
	return (0);
}

static char *
fixture_dir(void)
{
	const char *src = getenv("QEVAL_SRCDIR");
	char *d = malloc(4096);

	snprintf(d, 4096, "%s/tests/fixtures", src ? src : "..");
	return (d);
}

static void
test_plugin_fixture(void)
{
	struct qeval_kv fc_kv[] = { { "data_subdir", "bfcl/fx" },
	    { NULL, NULL } };
	struct qeval_kv pr_kv[] = { { "data_subdir", "bfcl/fx" },
	    { "mode", "prompt" }, { NULL, NULL } };
	struct canned c = { NULL, NULL, NULL };
	struct plugtest pt;
	struct qeval_verdict v;
	char *dir = fixture_dir(), path[4200];
	char *want;
	cJSON *body;
	const cJSON *msgs, *tools;
	const char *s;

	/* prompt mode: the system prompt, byte for byte */
	if (plugtest_open(&pt, "bfcl", "bfcl_simple_python", dir, pr_kv, 1,
	    0) != 0) {
		ok(0, "open bfcl_simple_python (prompt): %s", pt.err.buf);
		plugtest_close(&pt);
		free(dir);
		return;
	}
	is_int((long long)pt.plugin.desc->count(pt.state), 2, "2 samples");
	c.text = "[math.add(a=2, b=3.5)]";
	ok(plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, answer_canned, &c,
	    &v) == 0 && v.values[0] == 1.0, "prompt-mode answer correct");
	is_str(v.category, "simple_python", "category");
	snprintf(path, sizeof(path), "%s/bfcl/fx/"
	    "system_prompt_simple_python_0.txt", dir);
	want = tap_slurp(path, NULL);
	body = cJSON_Parse(c.body);
	msgs = cJSON_GetObjectItem(body, "messages");
	s = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs,
	    0), "content"));
	ok(want != NULL && s != NULL && strcmp(s, want) == 0,
	    "BFCL system prompt byte for byte (json.dumps indent=4)");
	ok(cJSON_GetObjectItem(body, "tools") == NULL, "no tools in prompt "
	    "mode");
	cJSON_Delete(body);
	free(want);
	c.text = "[find(city='NYC')]";
	ok(plugtest_run(&pt, 1, 0, PLUGTEST_CALLBACK, answer_canned, &c,
	    &v) == 0 && v.values[0] == 1.0, "second acceptable value");
	body = cJSON_Parse(c.body);
	msgs = cJSON_GetObjectItem(body, "messages");
	s = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs,
	    0), "content"));
	ok(cJSON_GetArraySize(msgs) == 2 && s != NULL &&
	    strstr(s, "\n\nBe brief.") != NULL &&
	    strstr(s, "Find a caf\\u00e9. Note that") != NULL,
	    "the dataset's system message is appended to BFCL's");
	cJSON_Delete(body);
	c.text = "[find(city=g(1))]";
	ok(plugtest_run(&pt, 1, 0, PLUGTEST_CALLBACK, answer_canned, &c,
	    &v) == 0 && v.values[0] == 0.0 && v.values[1] == 0.0 &&
	    strstr(v.reason, "ast_decoder:decoder_failed") != NULL &&
	    (v.flags & QEVAL_VF_INVALID), "decoder failure: reason, "
	    "validity 0, invalid flag");
	ok(plugtest_run(&pt, 0, 0, PLUGTEST_GOLD, NULL, NULL, &v) == 0 &&
	    v.values[0] == 1.0 && v.values[1] == 1.0, "prompt gold");
	ok(plugtest_run(&pt, 1, 0, PLUGTEST_GOLD, NULL, NULL, &v) == 0 &&
	    v.values[0] == 1.0, "prompt gold with a dict parameter");
	ok(plugtest_run(&pt, 0, 0, PLUGTEST_CORRUPT, NULL, NULL, &v) == 0 &&
	    v.values[0] == 0.0 && strstr(v.detail, "wrong_func_name") != NULL,
	    "prompt corrupt: wrong name");
	ok(plugtest_run(&pt, 1, 0, PLUGTEST_CORRUPT, NULL, NULL, &v) == 0 &&
	    v.values[0] == 0.0 && strstr(v.detail, "unexpected_param") != NULL,
	    "prompt corrupt: wrong parameter");
	plugtest_close(&pt);

	/* FC mode: the tool schema */
	if (plugtest_open(&pt, "bfcl", "bfcl_simple_python", dir, fc_kv, 1,
	    0) != 0) {
		ok(0, "open (fc): %s", pt.err.buf);
		plugtest_close(&pt);
		free(dir);
		return;
	}
	c.text = "";
	c.tool_calls = "[{\"id\":\"1\",\"type\":\"function\",\"function\":"
	    "{\"name\":\"math_add\",\"arguments\":\"{\\\"a\\\":2,"
	    "\\\"b\\\":3.5}\"}}]";
	ok(plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, answer_canned, &c,
	    &v) == 0 && v.values[0] == 1.0 && v.values[1] == 1.0,
	    "FC answer correct");
	body = cJSON_Parse(c.body);
	tools = cJSON_GetObjectItem(body, "tools");
	{
		const cJSON *fn = cJSON_GetObjectItem(cJSON_GetArrayItem(tools,
		    0), "function");
		const cJSON *params = cJSON_GetObjectItem(fn, "parameters");
		const cJSON *props = cJSON_GetObjectItem(params, "properties");
		const cJSON *b = cJSON_GetObjectItem(props, "b");

		is_str(cJSON_GetStringValue(cJSON_GetObjectItem(fn, "name")),
		    "math_add", "FC: '.' becomes '_'");
		is_str(cJSON_GetStringValue(cJSON_GetObjectItem(params,
		    "type")), "object", "FC: dict becomes object");
		is_str(cJSON_GetStringValue(cJSON_GetObjectItem(b, "type")),
		    "number", "FC: float becomes number");
		is_str(cJSON_GetStringValue(cJSON_GetObjectItem(b, "format")),
		    "float", "FC: float format");
		is_str(cJSON_GetStringValue(cJSON_GetObjectItem(b,
		    "description")), "Second. This is a float type value.",
		    "FC: float note");
		is_str(cJSON_GetStringValue(cJSON_GetObjectItem(fn,
		    "description")), "Add two numbers. Note that the provided "
		    "function is in Python 3 syntax.", "FC: Python note");
	}
	cJSON_Delete(body);
	c.tool_calls = NULL;
	c.text = "[math.add(a=2, b=3.5)]";
	ok(plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, answer_canned, &c,
	    &v) == 0 && v.values[0] == 0.0 && v.values[1] == 0.0 &&
	    (v.flags & QEVAL_VF_INVALID), "FC: a text answer scores 0, no "
	    "valid call, invalid");
	is_str(v.reason, "simple_function_checker:wrong_count: Wrong number "
	    "of functions.", "FC: a text answer is BFCL's wrong_count, not "
	    "a decoder failure");
	c.tool_calls = "[{\"id\":\"1\",\"type\":\"function\",\"function\":"
	    "{\"name\":\"math_add\",\"arguments\":\"{\\\"a\\\":2,\"}}]";
	ok(plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, answer_canned, &c,
	    &v) == 0 && v.values[0] == 0.0, "FC: cut-off arguments");
	ok(plugtest_run(&pt, 1, 0, PLUGTEST_GOLD, NULL, NULL, &v) == 0 &&
	    v.values[0] == 1.0, "FC gold");
	ok(plugtest_run(&pt, 1, 0, PLUGTEST_CORRUPT, NULL, NULL, &v) == 0 &&
	    v.values[0] == 0.0, "FC corrupt");
	plugtest_close(&pt);

	/* parallel and irrelevance */
	if (plugtest_open(&pt, "bfcl", "bfcl_parallel", dir, pr_kv, 1, 0) ==
	    0) {
		c.tool_calls = NULL;
		c.text = "[weather.get(city='rome'), "
		    "weather.get(city='paris')]";
		ok(plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, answer_canned,
		    &c, &v) == 0 && v.values[0] == 1.0, "parallel any order");
		ok(plugtest_run(&pt, 0, 0, PLUGTEST_GOLD, NULL, NULL, &v) == 0
		    && v.values[0] == 1.0, "parallel gold");
		ok(plugtest_run(&pt, 0, 0, PLUGTEST_CORRUPT, NULL, NULL, &v) ==
		    0 && v.values[0] == 0.0 && strstr(v.detail,
		    "cannot_find_match") != NULL, "parallel corrupt");
	} else
		ok(0, "open bfcl_parallel: %s", pt.err.buf);
	plugtest_close(&pt);
	if (plugtest_open(&pt, "bfcl", "bfcl_irrelevance", dir, fc_kv, 1, 0) ==
	    0) {
		c.tool_calls = NULL;
		c.text = "I can only tell the weather.";
		ok(plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, answer_canned,
		    &c, &v) == 0 && v.values[0] == 1.0 && isnan(v.values[1]),
		    "irrelevance: text answer correct, validity not counted");
		c.tool_calls = "[{\"function\":{\"name\":\"weather_get\","
		    "\"arguments\":\"{\\\"city\\\": \"}}]";
		ok(plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, answer_canned,
		    &c, &v) == 0 && v.values[0] == 1.0 && v.values[1] == 0.0 &&
		    strstr(v.detail, "\"malformed_call\":true") != NULL,
		    "irrelevance: a malformed call abstains but is flagged");
		c.tool_calls = "[{\"function\":{\"name\":\"weather_get\","
		    "\"arguments\":\"{}\"}}]";
		ok(plugtest_run(&pt, 0, 0, PLUGTEST_CALLBACK, answer_canned,
		    &c, &v) == 0 && v.values[0] == 0.0 && v.values[1] == 1.0,
		    "irrelevance: a call fails");
		is_str(v.reason, "irrelevance_error:decoder_success: Valid "
		    "syntax. Successfully decode AST when it should not.",
		    "irrelevance: BFCL's error type and message");
		ok(strstr(v.detail, "\"error_type\":\"irrelevance_error:"
		    "decoder_success\"") != NULL, "... in detail too");
		ok(plugtest_run(&pt, 0, 0, PLUGTEST_GOLD, NULL, NULL, &v) == 0
		    && v.values[0] == 1.0, "irrelevance gold");
		ok(plugtest_run(&pt, 0, 0, PLUGTEST_CORRUPT, NULL, NULL, &v) ==
		    0 && v.values[0] == 0.0, "irrelevance corrupt");
	} else
		ok(0, "open bfcl_irrelevance: %s", pt.err.buf);
	plugtest_close(&pt);
	{
		struct qeval_kv bad[] = { { "mode", "json" }, { NULL, NULL } };

		ok(plugtest_open(&pt, "bfcl", "bfcl_irrelevance", dir, bad, 1,
		    0) == QEVAL_EINVAL && strstr(pt.err.buf, "mode=") != NULL,
		    "a bad mode is refused with a hint");
		plugtest_close(&pt);
	}
	free((char *)c.body);
	free(dir);
}

static void
test_real_data(void)
{
	static const char *const tasks[] = { "bfcl_simple_python",
	    "bfcl_multiple", "bfcl_parallel", "bfcl_parallel_multiple",
	    "bfcl_irrelevance", "bfcl_live_simple", NULL };
	static const char *const modes[] = { "fc", "prompt" };
	int t, mo, corrupt;

	if (getenv("QEVAL_DATA_DIR") == NULL) {
		tap_skip("QEVAL_DATA_DIR is not set: no real BFCL data");
		return;
	}
	for (t = 0; tasks[t] != NULL; t++)
		for (mo = 0; mo < 2; mo++) {
			struct qeval_kv kv[] = { { "mode", modes[mo] },
			    { NULL, NULL } };
			struct plugtest pt;
			size_t n, i, good[2] = { 0, 0 }, bad = 0, errata = 0;

			if (plugtest_open(&pt, "bfcl", tasks[t], NULL, kv, 1,
			    0) != 0) {
				ok(0, "open %s: %s", tasks[t], pt.err.buf);
				plugtest_close(&pt);
				continue;
			}
			n = pt.plugin.desc->count(pt.state);
			for (corrupt = 0; corrupt < 2; corrupt++)
				for (i = 0; i < n; i++) {
					struct qeval_verdict v;

					if (plugtest_run(&pt, i, 0, corrupt ?
					    PLUGTEST_CORRUPT : PLUGTEST_GOLD,
					    NULL, NULL, &v) != 0) {
						bad++;
						continue;
					}
					if (v.values[0] == 1.0)
						good[corrupt]++;
					else if (!corrupt && strstr(v.detail,
					    "ground_truth_unsatisfiable") !=
					    NULL)
						errata++;
					else if (!corrupt && good[0] + 3 > i)
						tap_diag("%s %s: %s",
						    tasks[t], pt.plugin.desc->
						    sample_id(pt.state, i),
						    v.reason);
				}
			/*
			 * live_simple_106-63-0 and live_simple_112-68-0 give
			 * required parameters an empty list of acceptable
			 * values: no answer passes them, in BFCL either.
			 */
			is_int((long long)(good[0] + errata), (long long)n,
			    "%s %s: gold 100%% of the answerable samples",
			    tasks[t], modes[mo]);
			is_int((long long)errata, strcmp(tasks[t],
			    "bfcl_live_simple") == 0 ? 2 : 0, "%s %s: known "
			    "ground-truth errata", tasks[t], modes[mo]);
			is_int((long long)good[1], 0, "%s %s: corrupted 0%%",
			    tasks[t], modes[mo]);
			is_int((long long)bad, 0, "%s %s: no run error",
			    tasks[t], modes[mo]);
			plugtest_close(&pt);
		}
	{
		struct plugtest pt;

		ok(plugtest_open(&pt, "bfcl", "bfcl", NULL, NULL, 1, 0) == 0 &&
		    pt.plugin.desc->count(pt.state) == 1498,
		    "bfcl: all six categories, 1498 samples");
		plugtest_close(&pt);
	}
}

/*
 * The possible_answer reader (bfcl_util.c): an answer file in another
 * order than the questions still pairs each question with its own
 * ground truth; a record without 'ground_truth' stops the load naming
 * file and line.
 */
static void
test_answer_files(void)
{
	struct qeval_kv ord_kv[] = { { "data_subdir", "bfcl/order" },
	    { NULL, NULL } };
	struct qeval_kv bad_kv[] = { { "data_subdir", "bfcl/badans" },
	    { NULL, NULL } };
	struct plugtest pt;
	struct qeval_verdict v;
	char *dir = fixture_dir();

	if (plugtest_open(&pt, "bfcl", "bfcl_simple_python", dir, ord_kv, 1,
	    0) != 0)
		ok(0, "open bfcl/order: %s", pt.err.buf);
	else {
		ok(plugtest_run(&pt, 0, 0, PLUGTEST_GOLD, NULL, NULL, &v) ==
		    0 && v.values[0] == 1.0 && plugtest_run(&pt, 1, 0,
		    PLUGTEST_GOLD, NULL, NULL, &v) == 0 && v.values[0] == 1.0,
		    "answers in reverse order: both gold answers pass");
		ok(plugtest_run(&pt, 0, 0, PLUGTEST_CORRUPT, NULL, NULL, &v) ==
		    0 && v.values[0] == 0.0, "and a corrupted one fails");
	}
	plugtest_close(&pt);
	ok(plugtest_open(&pt, "bfcl", "bfcl_simple_python", dir, bad_kv, 1,
	    0) != 0 && pt.err.buf != NULL && strstr(pt.err.buf,
	    "possible_answer/BFCL_v4_simple_python.json:2: the record needs "
	    "'id' and 'ground_truth': is this a BFCL possible_answer "
	    "file?") != NULL, "a record without ground_truth: file, line, "
	    "what to check");
	plugtest_close(&pt);
	free(dir);
}

int
main(void)
{
	test_decoder();
	test_arithmetic();
	test_fc_decoder();
	test_checker();
	test_checker_messages();
	test_printers();
	test_plugin_fixture();
	test_answer_files();
	test_real_data();
	return (tap_done());
}
