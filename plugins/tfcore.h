/*
 * tfcore: the parts of the generic task-file plugin (taskfile.c) that
 * are pure functions of their input, kept apart so that a unit test can
 * check them against lm-evaluation-harness's semantics: `{{field}}`
 * templates, the answer filters, the metrics and the JSON Schema subset.
 *
 * Compiled into taskfile.so (hidden visibility); nothing here is ABI.
 * The qp_buf writers report allocation failure through the buffer's
 * oom flag.  Regexes come from the host (PCRE2), compiled by the caller.
 */
#ifndef QEVAL_TFCORE_H
#define QEVAL_TFCORE_H

#include <stddef.h>

#include <qeval/plugin.h>

#include "qp.h"

struct cJSON;

/*
 * Renders tmpl, replacing each {{ path }} (spaces allowed; path is a
 * field name, or names joined by '.', into obj) by the field's value:
 * a string as is, a number as Python's str() prints an int or a float
 * that is whole, true/false, else the value's JSON text.  Returns 0, or
 * -1 with the first missing path copied into miss (misssz bytes).
 */
int	 tf_render(const char *tmpl, const struct cJSON *obj,
	    struct qp_buf *out, char *miss, size_t misssz);
/* The value at a dotted path of obj, or NULL. */
const struct cJSON *tf_path(const struct cJSON *obj, const char *path);
/* A scalar value as tf_render() writes it (appended). */
void	 tf_value_text(struct qp_buf *, const struct cJSON *v);

/* One step of a filter pipeline. */
enum tf_op {
	TF_REGEX = 1,		/* lm-eval's RegexFilter */
	TF_STRIP,		/* leading and trailing whitespace */
	TF_LOWERCASE,
	TF_UPPERCASE,
	TF_CODE_FENCE,		/* the first fenced block's body */
	TF_THINK,		/* drop <think>...</think> */
	TF_TAKE_FIRST_LINE	/* up to the first newline */
};

struct tf_step {
	enum tf_op		 op;
	struct qeval_regex	*rx;		/* TF_REGEX */
	int			 group;		/* -1: lm-eval's */
	int			 select;	/* match index; < 0 from
						 * the end */
	char			*fallback;	/* "[invalid]" */
};

/*
 * Applies steps to text (len bytes) into out.  *fell is set when a
 * regex step found nothing and gave its fallback.
 */
void	 tf_filter(const struct qeval_host *, const struct tf_step *steps,
	    size_t n, const char *text, size_t len, struct qp_buf *out,
	    int *fell);

/* Metric kinds of the generate kind. */
enum tf_metric {
	TFM_EXACT = 1,		/* exact_match, lm-eval's options */
	TFM_NUMERIC,		/* |a - b| <= tolerance */
	TFM_CONTAINS,		/* the gold is a substring */
	TFM_REGEX		/* the gold, a regex, matches */
};

struct tf_em_opts {
	int			 ignore_case;
	int			 ignore_punctuation;
	int			 ignore_numbers;
	struct qeval_regex	**ignore;	/* regexes_to_ignore */
	size_t			 n_ignore;
};

/*
 * HF evaluate's exact_match as lm-eval calls it: each regex of ignore
 * removed (all matches) from both, then lower-cased, then ASCII
 * punctuation removed, then digits removed; 1 if equal.
 */
int	 tf_exact_match(const struct qeval_host *, const struct tf_em_opts *,
	    const char *pred, const char *gold);
/*
 * Both parsed as numbers once ',', '$' and surrounding blanks are
 * removed (a trailing '.' too); 1 if |a - b| <= tol, 0 otherwise or if
 * either is not a number.
 */
int	 tf_numeric_match(const char *pred, const char *gold, double tol);
/* 1 if gold occurs in pred (ignoring case when asked). */
int	 tf_contains(const char *pred, const char *gold, int ignore_case);

/*
 * The JSON Schema subset: type (string, number, integer, boolean,
 * object, array, null, or a list of them), properties, required, enum,
 * const, items, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
 * minLength, maxLength, minItems, maxItems, additionalProperties
 * (false or a schema).  Returns 1 if v satisfies schema, else 0 with
 * the first violation (its JSON path and why) in why.
 */
int	 tf_schema_valid(const struct cJSON *schema, const struct cJSON *v,
	    struct qp_buf *why);
/*
 * 0 if schema uses only the subset's keywords (plus the annotations
 * title, description, $schema, $id, default, examples), else -1 with
 * the JSON path of the first unknown keyword in why.
 */
int	 tf_schema_check(const struct cJSON *schema, const char *path,
	    struct qp_buf *why);

/*
 * SHA-256 of a file's bytes as 64 lowercase hex digits into out[65]
 * (FIPS 180-4).  0, or -1 with errno set when the file cannot be read.
 */
int	 tf_sha256_file(const char *path, char out[65]);

/* Damerau-free edit distance, for "did you mean". */
size_t	 tf_edit_distance(const char *a, const char *b);

#endif
