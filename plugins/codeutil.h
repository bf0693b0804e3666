/*
 * codeutil: what the code-execution plugins (humaneval, mbpp) share:
 * finding code in a model's answer, turning an answer into a candidate
 * solution, Python string literals, raw JSON value spans, the
 * differential-testing harness of the "plus" tasks, the time limits,
 * exec requests and the verdict on what the executor ran.
 *
 * Compiled into each of the two plugins (hidden visibility), so nothing
 * here is part of the ABI.  Every function takes arbitrary model output
 * and never fails on it: the worst case is an empty or unchanged answer.
 * Allocation failure is reported through the qp_buf's oom flag.
 */
#ifndef QEVAL_CODEUTIL_H
#define QEVAL_CODEUTIL_H

#include <stddef.h>

#include "qp.h"

/* How an answer became a candidate solution (codeutil_candidate()). */
enum codeutil_mode {
	CU_EMPTY = 0,	/* nothing that looks like code */
	CU_FUNCTION,	/* a top-level def of the entry point */
	CU_ALIAS,	/* one other top-level def, aliased to the entry
			 * point ("name mismatch resolved") */
	CU_BODY,	/* a function body, re-indented under the prompt */
	CU_OTHER	/* top-level code without the entry point */
};

const char *codeutil_mode_name(enum codeutil_mode);

/*
 * The code of a chat answer: the best fenced block (one that defines
 * `entry` at top level, else one with any top-level def, else the first
 * Python or untagged block, else the first block; an unterminated fence
 * runs to the end), or, without fences, the whole text less leading
 * prose lines.  `if __name__ == "__main__":` blocks are removed.
 * entry may be NULL.
 */
void	 codeutil_extract(const char *text, const char *entry,
	    struct qp_buf *out);

/* Text up to the first "```" (lm-eval's prefill extraction). */
void	 codeutil_until_fence(const char *text, struct qp_buf *out);

/*
 * lm-eval's clean_text(): "\n" followed by U+2581 characters becomes
 * "\n" and as many spaces; with drop_fence, "```python\n" is removed
 * first (lm-eval's humaneval build_predictions).
 */
void	 codeutil_clean(const char *text, int drop_fence, struct qp_buf *out);

/* Cuts text at the first occurrence of any stop string (client side). */
size_t	 codeutil_stop_len(const char *text, const char *const *stops);

/* 1 if code defines `name` at top level (def / async def / class). */
int	 codeutil_defines(const char *code, const char *name);
/* Number of top-level function names; the first is copied to name. */
int	 codeutil_top_defs(const char *code, char *name, size_t namesz);

/*
 * Turns extracted code into what follows the prompt:
 *   defines entry            -> the code (CU_FUNCTION)
 *   exactly one other def    -> code + "\nENTRY = OTHER\n" (CU_ALIAS,
 *                               the other name in fixed[])
 *   no top-level def, body   -> re-indented to four spaces (CU_BODY),
 *                               when allow_body
 *   else                     -> the code (CU_OTHER)
 * A separating newline is added when the prompt does not end in one.
 */
enum codeutil_mode codeutil_candidate(const char *prompt, const char *entry,
	    const char *code, int allow_body, struct qp_buf *out,
	    char *fixed, size_t fixedsz);

/* Appends s as a Python string literal ('...', escapes for the rest). */
void	 codeutil_py_str(struct qp_buf *, const char *s, size_t len);

/*
 * Span of the raw JSON value of `key` in the top-level object `json`
 * (so that numbers keep their exact spelling: 3 vs 3.0).  1 and
 * the offset and length set, or 0.
 */
int	 codeutil_json_span(const char *json, size_t len, const char *key,
	    size_t *off, size_t *vlen);

/*
 * The program that checks a candidate against the reference solution on
 * a list of inputs, evalplus-style (see docs/CODE_TASKS.md).
 * dataset: "humaneval" or "mbpp" (special oracles, input conversion);
 * inputs_json: the raw JSON array; phase: "base" or "plus".
 */
struct codeutil_diff {
	const char	*dataset;
	int		 task_num;	/* the number in "Mbpp/2" */
	const char	*entry;
	const char	*atol;		/* raw JSON number */
	const char	*reference;	/* prompt + canonical solution */
	const char	*candidate;	/* prompt + completion */
	const char	*inputs_json;
	size_t		 inputs_len;
	const char	*phase;
	double		 factor;	/* gt_time_limit_factor */
	double		 min_limit;	/* min_time_limit */
	double		 task_limit;	/* EVALPLUS_TIMEOUT_PER_TASK */
};

void	 codeutil_diff_program(struct qp_buf *, const struct codeutil_diff *);

/* Name of the exception the harness raises on a per-input time limit. */
#define CODEUTIL_TIME_LIMIT	"TimeLimitExceeded"

/* "passed", "failed", "timeout", "oom", "crashed", "refused". */
const char *codeutil_status_name(int status);
/*
 * One-line reason for an exec verdict into out ("failed: AssertionError:
 * ...", at most ~160 bytes of the detail's first line).
 */
void	 codeutil_reason(int status, const char *detail, struct qp_buf *out);

/* Appends "key":value pairs to a JSON object under construction. */
void	 codeutil_json_kv(struct qp_buf *, int *first, const char *key,
	    const char *value);

/* A boolean task option ("1"/"0"/"true"/"false"...): 1, 0, def when v
 * is NULL, -1 when malformed. */
int	 codeutil_opt_bool(const char *v, int def);
/* A positive number option: 0 (and *out set unless v is NULL) or -1. */
int	 codeutil_opt_num(const char *v, double *out);

/* Appends s less leading and trailing blanks (space, tab, CR, LF). */
void	 codeutil_add_stripped(struct qp_buf *, const char *s);

/*
 * The time limits of the tasks, from task options timeout= (per test
 * program, default 3 s), gt_time_limit_factor= (4), min_time_limit=
 * (1 s) and timeout_per_task= (60 s).  codeutil_opt_limits() sets the
 * defaults, then reads the options: QEVAL_OK, or QEVAL_EINVAL after
 * telling the host that an option is not `what` ("a positive number").
 */
struct codeutil_limits {
	double	 timeout;
	double	 factor;	/* gt_time_limit_factor */
	double	 min_limit;	/* min_time_limit */
	double	 task_limit;	/* EVALPLUS_TIMEOUT_PER_TASK */
};

int	 codeutil_opt_limits(const struct qeval_host *, struct qeval_ctx *,
	    const char *task, const char *what, struct codeutil_limits *);
/* The executor's limit for a differential run: the reference's run plus
 * evalplus's cap on the candidate's. */
double	 codeutil_plus_timeout(const struct codeutil_limits *);

/* The body of an exec request: {"program": prog, "timeout": timeout}. */
void	 codeutil_exec_body(struct qp_buf *, const struct qp_buf *prog,
	    double timeout);

/* 1 if an exec response ran out of time (status or harness's limit). */
int	 codeutil_timed_out(const struct qeval_response *);

/* The metrics of both plugins, in this order. */
enum codeutil_metric { CU_M_PASS, CU_M_BASE };

/*
 * What the verdict of a sample depends on beyond its exchanges: ex[0]
 * is the model's answer, ex[1] the run of the tests (for a plus task,
 * of the base inputs), ex[2] the plus run if there was one.
 */
struct codeutil_exec {
	int			 plus;		/* an evalplus task */
	int			 base_only;	/* plus without its plus run */
	enum codeutil_mode	 mode;		/* how the answer became code */
	const char		*fixed;		/* renamed from (CU_ALIAS) */
	const char		*entry;		/* the entry point */
};

/*
 * The shared part of an executed sample's verdict: values[CU_M_PASS]
 * and (plus) [CU_M_BASE] (NaN when the executor refused), the
 * truncated, timeout, invalid and name-fixed flags, and the reason
 * (into reason, pointed to by out->reason).
 */
void	 codeutil_exec_verdict(const struct codeutil_exec *,
	    const struct qeval_exchange *ex, size_t nex,
	    struct qeval_verdict *out, struct qp_buf *reason);
/*
 * Appends the runs' "status" and "exec_detail" (plus: "base",
 * "base_detail" and, after a plus run, "plus", "plus_detail") to a
 * detail object under construction, as codeutil_json_kv() does.
 */
void	 codeutil_exec_detail(struct qp_buf *, int *first, int plus,
	    const struct qeval_exchange *ex, size_t nex);

/*
 * cJSON_ParseWithLength(), also accepting the NaN and Infinity that
 * Python's json module writes (they read as null).
 */
struct cJSON *codeutil_json_parse(const char *json, size_t len);

/*
 * The model's answer for the C-string helpers here.  Its NUL bytes are
 * data (Python refuses a program holding one: "source code string
 * cannot contain null bytes"), so each becomes CODEUTIL_NUL, a byte
 * that valid UTF-8 never holds (the core hands plugins valid UTF-8);
 * codeutil_exec_body() writes it back as a NUL byte.  Returns r->text
 * itself when it holds no NUL byte, else tmp's string; NULL when an
 * allocation failed.
 */
#define CODEUTIL_NUL	'\xff'
const char *codeutil_text(const struct qeval_response *r,
	    struct qp_buf *tmp);

/* Duplicates len bytes of s (NUL-terminated), NULL on failure. */
char	*codeutil_strndup(const char *s, size_t len);

#endif
