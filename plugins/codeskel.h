/*
 * codeskel: the plugin skeleton of the code-execution tasks (humaneval,
 * mbpp).  Both ask the model for code, then the core for one run of a
 * test program (for an evalplus "plus" task, a run over the base
 * inputs and, when that passes, one over the plus inputs), and score
 * what the executor said.  That flow is written once here: the
 * problem set and its options, the model request's frame, the exec
 * requests, the evalplus differential program, the verdict and the
 * detail's run fields, the reference model's checks.  A plugin gives
 * a code_recipe with what is its own: its record reader, its prompts,
 * how an answer becomes code, its test program and its gold answers.
 *
 * Compiled into each plugin beside codeutil.c (hidden visibility), so
 * nothing here is part of the ABI.  A plugin defines code_recipe and
 * lists CODESKEL_CALLBACKS in its descriptor.
 */
#ifndef QEVAL_CODESKEL_H
#define QEVAL_CODESKEL_H

#include <stddef.h>

#include <qeval/plugin.h>

#include "codeutil.h"
#include "qp.h"

/* One problem.  Fields a dataset lacks stay NULL (or 0). */
struct code_item {
	char	*id;		/* sample id */
	int	 num;		/* the number in the id: evalplus's oracles */
	char	*prompt;	/* what the code continues (HumanEval,
				 * MBPP+) */
	char	*text;		/* the task in words (MBPP) */
	char	*solution;	/* the reference solution */
	char	*tests;		/* the test code of the program */
	char	*tests3;	/* the tests the prompt shows (MBPP) */
	char	*setup;		/* test setup code (MBPP), or "" */
	char	*entry;		/* the entry point */
	char	*atol;		/* raw JSON number (plus) */
	char	*base_in;	/* raw JSON arrays (plus) */
	char	*plus_in;
};

void	 code_item_free(struct code_item *);

struct codeskel;

/*
 * What a code plugin is made of.  The hooks receive the skeleton's
 * state; a plugin that keeps more state (size larger than struct
 * codeskel) embeds struct codeskel as the first member of its own.
 */
struct code_recipe {
	const char	*name;		/* plugin name, for messages */
	size_t		 size;		/* of the state */
	/* the plugin's task names, in the order of its variant numbers
	 * (a task not listed is variant 0) */
	const char *const *tasks;
	int		 instruct;	/* the chat task's variant */
	int		 plus;		/* the evalplus task's variant */
	const char	*dataset;	/* "humaneval", "mbpp": evalplus's
					 * special cases */
	int		 max_tokens;	/* but plus, whose are evalplus's */
	/* codeutil_opt_limits()'s word for a bad limit */
	const char	*limit_what;

	/* The plugin's task options (prefill, base_only and its own):
	 * QEVAL_OK, or the error the host was told of. */
	int	(*options)(struct codeskel *, struct qeval_ctx *,
		    const struct qeval_task *, const struct qeval_opts *);
	/* One record (doc: it parsed; json: its text) into the set, with
	 * codeskel_push(): QEVAL_OK or the error the host was told of. */
	int	(*record)(struct codeskel *, struct qeval_ctx *,
		    const struct cJSON *doc, const char *json, size_t len,
		    const char *where);
	/* Checks of the loaded set; NULL: "FILE holds no records" when it
	 * is empty. */
	int	(*loaded)(struct codeskel *, struct qeval_ctx *,
		    const struct qeval_task *);
	/* The model request's body into s->body, less its closing "}"
	 * (s->tmp is free to use); sets req->kind. */
	void	(*request)(struct codeskel *, const struct code_item *,
		    struct qeval_request *);
	/*
	 * Turns the model's answer into code: a plus task's completion
	 * into s->comp (what follows the prompt), another task's into
	 * the buffer its program() reads.
	 */
	enum codeutil_mode (*code)(struct codeskel *, const struct code_item *,
		    const char *text);
	/* The test program of a task but plus, into s->prog. */
	void	(*program)(struct codeskel *, const struct code_item *);
	/* After the runs above: another run (codeskel_exec()), or
	 * QEVAL_DONE.  May be NULL. */
	int	(*more)(struct codeskel *, struct qeval_ctx *,
		    const struct code_item *, const char *text,
		    const struct qeval_exchange *, size_t nex,
		    struct qeval_request *);
	/* Adds to a verdict that codeutil_exec_verdict() made.  May be
	 * NULL. */
	void	(*verdict)(struct codeskel *, struct qeval_ctx *,
		    const struct code_item *, const struct qeval_exchange *,
		    size_t nex, struct qeval_verdict *);
	/* The detail's fields, codeutil_exec_detail()'s among them. */
	void	(*detail)(struct codeskel *, const struct codeutil_exec *,
		    const struct qeval_exchange *, size_t nex, int *first);
	/* The reference model's answer (corrupt: one that must fail) into
	 * s->gold; s->tmp is free to use. */
	void	(*gold)(struct codeskel *, const struct code_item *,
		    int corrupt);
	/* Frees what the plugin added to the state.  May be NULL. */
	void	(*fini)(struct codeskel *);
};

/* The state of an open task. */
struct codeskel {
	unsigned		 magic;
	const struct qeval_host	*host;
	const struct code_recipe *r;
	int			 variant;	/* index into r->tasks */
	int			 plus;		/* the evalplus task */
	int			 chat;
	int			 prefill;
	int			 base_only;
	int			 custom;	/* file= names another file */
	struct codeutil_limits	 lim;
	char			*file;
	struct code_item	*items;
	size_t			 n, alloc, count;
	/* scratch, valid until the next call */
	struct qp_buf		 body, prog, code, comp, sol, ref, gold;
	struct qp_buf		 reason, detail, tmp;
	struct qp_buf		 answer;	/* codeutil_text() */
	char			 fixed[256];
};

/* The metrics of a plus task: pass@1 over base+extra inputs (primary),
 * then over the base inputs. */
extern const struct qeval_metric_desc code_plus_metrics[];

/* The plugin's recipe: each plugin defines it. */
extern const struct code_recipe code_recipe;

/* The plugin's callbacks (open() opens a task of code_recipe). */
int	 codeskel_open(const struct qeval_host *, struct qeval_ctx *,
	    const struct qeval_task *, const struct qeval_opts *,
	    void **statep);
size_t	 codeskel_count(void *state);
const char *codeskel_sample_id(void *state, size_t i);
int	 codeskel_next(void *state, struct qeval_ctx *, size_t i,
	    unsigned cand, const struct qeval_exchange *, size_t nex,
	    struct qeval_request *);
int	 codeskel_score(void *state, struct qeval_ctx *, size_t i,
	    unsigned cand, const struct qeval_exchange *, size_t nex,
	    struct qeval_verdict *);
int	 codeskel_gold(void *state, struct qeval_ctx *, size_t i,
	    const struct qeval_exchange *, size_t nex,
	    const struct qeval_request *, int corrupt, struct qeval_gold *);
void	 codeskel_close(void *state);

/* The callbacks of a code plugin's descriptor. */
#define CODESKEL_CALLBACKS \
	.open = codeskel_open, .count = codeskel_count, \
	.sample_id = codeskel_sample_id, .next = codeskel_next, \
	.score = codeskel_score, .gold = codeskel_gold, \
	.close = codeskel_close

/* Moves *it to the end of the set (and zeroes it): QEVAL_OK, or
 * QEVAL_ENOMEM after telling the host. */
int	 codeskel_push(struct codeskel *, struct qeval_ctx *,
	    struct code_item *it);
/* 1 if the task talks to a chat endpoint. */
int	 codeskel_uses_chat(const struct codeskel *);
/* 1 if s is a non-empty run of [A-Za-z0-9_] (an entry point). */
int	 codeskel_identifier(const char *s);
/*
 * An evalplus record's atol (default "0"), base_input and plus_input,
 * kept as raw JSON ("plus_input": {} becomes []): 0, or -1 when the
 * inputs are not arrays.  it->atol is NULL only when out of memory.
 */
int	 codeskel_plus_inputs(const char *json, size_t len,
	    struct code_item *it);
/* The chat request of a plus task: evalplus's instruction and the
 * stripped prompt in a fence, one user turn, into s->body. */
void	 codeskel_plus_chat(struct codeskel *, const struct code_item *);
/* An exec request for s->prog: QEVAL_NEXT, or the error the host was
 * told of. */
int	 codeskel_exec(struct codeskel *, struct qeval_ctx *, double timeout,
	    const char *label, struct qeval_request *);

/* Rows of the options table that both plugins declare alike. */
#define CODE_OPTION_TIMEOUT \
	{ "timeout", QEVAL_OPT_DOUBLE, "3.0", "seconds per program (the " \
	  "executor's limit)", NULL, NULL }
#define CODE_OPTIONS_PLUS(task) \
	{ "gt_time_limit_factor", QEVAL_OPT_DOUBLE, "4.0", "evalplus's " \
	  "factor over the reference's time", NULL, task }, \
	{ "min_time_limit", QEVAL_OPT_DOUBLE, "1.0", "evalplus's floor per " \
	  "input, seconds", NULL, task }, \
	{ "timeout_per_task", QEVAL_OPT_DOUBLE, "60", "evalplus's cap for " \
	  "all inputs, seconds", NULL, task }
#define CODE_OPTION_PREFILL(def, task) \
	{ "prefill", QEVAL_OPT_BOOL, def, "lm-eval's assistant prefill", \
	  NULL, task }
#define CODE_OPTION_BASE_ONLY(task) \
	{ "base_only", QEVAL_OPT_BOOL, "0", "skip the plus inputs", NULL, \
	  task }

#endif
