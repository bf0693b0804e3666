/*
 * bfcl_ast: the value model, decoders, printers and AST checker of the
 * bfcl plugin (plugins/bfcl.c).  Internal to that module: every symbol
 * here has hidden visibility and only the plugin and its unit test see
 * them.
 *
 * Values (struct bv) model the Python objects BFCL's checker compares:
 * None, bool, int, float, str, list, tuple and dict, with Python's
 * equality (1 == 1.0 == True, (1,) != [1]).  Two parsers build them:
 *
 *   bv_json_parse()   JSON text, keeping int and float apart as
 *                     Python's json.loads does (possible answers,
 *                     function documents, tool-call arguments);
 *   bfcl_decode_prompt()  the model's "[f(a=1), g(b='x')]" text, read
 *                     by a parser of the Python literal subset (numbers,
 *                     strings with escapes, True/False/None, names,
 *                     lists, tuples, dicts) plus constant arithmetic
 *                     (+ - * / // % ** and unary + - ~ over literals,
 *                     computed as Python's eval() would, with BFCL's
 *                     reading of a lone unary operator): the model's
 *                     text is never run.
 *
 * Both refuse input nested deeper than BV_MAX_DEPTH or a dict of more
 * than BV_MAX_DICT keys, so hostile text costs linear time.
 *
 * Ownership: a struct bv owns everything it points to; bv_free()
 * releases the contents (not the struct itself).  Strings are
 * NUL-terminated and may hold NUL bytes (len is authoritative).
 */
#ifndef QEVAL_BFCL_AST_H
#define QEVAL_BFCL_AST_H

#include <stddef.h>

#include "qp.h"

#define BV_MAX_DEPTH	100
#define BV_MAX_DICT	4096

#if defined(__GNUC__)
#define BFCL_HIDDEN	__attribute__((visibility("hidden")))
#else
#define BFCL_HIDDEN
#endif

enum bv_kind {
	BV_NONE = 0, BV_BOOL, BV_INT, BV_FLOAT, BV_STR, BV_LIST, BV_TUPLE,
	BV_DICT
};

struct bv {
	enum bv_kind	 kind;
	long long	 i;	/* BOOL (0/1), INT */
	double		 f;	/* FLOAT */
	char		*s;	/* STR */
	size_t		 len;	/* STR: bytes */
	struct bv	*items;	/* LIST, TUPLE: n; DICT: 2n, key, value … */
	size_t		 n;
};

/* BFCL's test categories this plugin reads. */
enum bfcl_cat {
	CAT_SIMPLE_PYTHON = 0, CAT_MULTIPLE, CAT_PARALLEL,
	CAT_PARALLEL_MULTIPLE, CAT_IRRELEVANCE, CAT_LIVE_SIMPLE, CAT_N
};

/* The outcome of one check, BFCL's names. */
struct bfcl_result {
	int		 valid;
	const char	*error_type;	/* static; NULL when valid */
	struct qp_buf	 msg;		/* one line; caller frees */
};

BFCL_HIDDEN void	 bv_free(struct bv *);
BFCL_HIDDEN int		 bv_py_eq(const struct bv *, const struct bv *);
/* dict[key] for a str key, or NULL. */
BFCL_HIDDEN const struct bv *bv_get(const struct bv *dict, const char *key);
BFCL_HIDDEN int		 bv_is_str(const struct bv *, const char *s);

/*
 * Parses one JSON value (Python's json.loads: NaN and Infinity
 * accepted, duplicate keys keep the last value).  Returns 0, or -1 with
 * a reason in err.
 */
BFCL_HIDDEN int	 bv_json_parse(const char *s, size_t len, struct bv *out,
		    struct qp_buf *err);

/* Python repr() of a value (the reference model's prompt-mode text). */
BFCL_HIDDEN void bv_py_repr(struct qp_buf *, const struct bv *);
/* Compact JSON (json.dumps with separators (", ", ": ")). */
BFCL_HIDDEN void bv_json(struct qp_buf *, const struct bv *);
/* json.dumps(v, indent=4) with ensure_ascii, byte for byte. */
BFCL_HIDDEN void bv_json_indent(struct qp_buf *, const struct bv *, int lvl);
/* Python's repr of a float ("1e-05", "100.0"). */
BFCL_HIDDEN void bv_float_repr(struct qp_buf *, double);

/*
 * BFCL's prompt-mode decoder (default_decode_ast_prompting + ast_parse):
 * strips "`\n " around the text, adds the brackets it lacks, strips
 * whitespace and quotes, then reads a call or a list/tuple of calls.
 * On success *out is a list of one-key dicts {name: {param: value}}.
 * Returns 0, or -1 with the reason in err.  looks_like_call is set to 1
 * when the text starts like a call (name followed by "("), whatever
 * the outcome: the irrelevance category flags malformed calls with it.
 */
BFCL_HIDDEN int	 bfcl_decode_prompt(const char *text, size_t len,
		    struct bv *out, struct qp_buf *err, int *looks_like_call);
/*
 * FC mode: decodes the response's tool_calls JSON array text into the
 * same shape ({name: json.loads(arguments)}).  NULL or "[]" tool_calls
 * (the model answered with text) decode to an empty list, as BFCL's
 * handlers decode vLLM's empty tool_calls list.
 */
BFCL_HIDDEN int	 bfcl_decode_fc(const char *tool_calls, struct bv *out,
		    struct qp_buf *err, int *looks_like_call);
/* BFCL's is_function_calling_format_output(). */
BFCL_HIDDEN int	 bfcl_format_ok(const struct bv *decoded);
/* BFCL's is_empty_output() (irrelevance). */
BFCL_HIDDEN int	 bfcl_empty_output(const struct bv *decoded);

/*
 * BFCL's ast_checker(): funcs is the list of function documents as in
 * the dataset (dotted names, BFCL types), decoded the model's calls,
 * answer the ground_truth list.  fc_names: compare against names with
 * "." turned into "_" (as sent in FC mode).  res->msg must be
 * initialised (QP_BUF_INIT) by the caller.
 */
BFCL_HIDDEN void bfcl_check(const struct bv *funcs, const struct bv *decoded,
		    const struct bv *answer, enum bfcl_cat cat, int fc_names,
		    struct bfcl_result *res);

/* The standardised form of a string (BFCL's standardize_string). */
BFCL_HIDDEN void bfcl_standardize(struct qp_buf *, const char *s, size_t len);

/* Python type name of a value ("int", "str" …). */
BFCL_HIDDEN const char *bv_type_name(const struct bv *);
/* 1 if BFCL's PYTHON_TYPE_MAPPING knows the schema type name. */
BFCL_HIDDEN int	 bfcl_type_known(const char *);

#endif
