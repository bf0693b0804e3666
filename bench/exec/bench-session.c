/*
 * bench-session: the cost of one call in an executor session against a
 * one-shot program (docs/PERFORMANCE.md, "Executor sessions").
 *
 *   bench-session [CALLS] [SESSIONS] [MODULE_DIR]
 *
 * One executor with two workers.  Three measurements, each CALLS
 * trivial programs (`r = 1`):
 *   oneshot   one program at a time, each in a new child;
 *   session   one session, one call at a time (the round trip);
 *   parallel  SESSIONS sessions, one call in flight in each.
 * With MODULE_DIR, also: SESSIONS new sessions whose first request
 * gets every *.py file there as a module of BFCL's dotted path
 * (bfcl_eval.eval_checker.multi_turn_eval.func_source_code.<name>) and
 * imports them all
 * (BFCL's multi_turn_env/func_source_code: the cost of a session's
 * start with its modules).
 * Prints calls/s and microseconds per call.  QEVAL_EXECUTOR names the
 * image (run.sh and make check set it).
 */
#include "config.h"

#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "exec.h"
#include "fileio.h"
#include "qeval/plugin.h"
#include "strbuf.h"

static size_t	 done, bad;
static uint64_t	 ans[4096];	/* ids answered since the last reset */
static size_t	 nans;

static void
on_result(void *arg, const struct exec_result *r)
{
	(void)arg;
	done++;
	if (nans < sizeof(ans) / sizeof(ans[0]))
		ans[nans++] = r->id;
	if (r->status != QEVAL_EXEC_PASSED)
		bad++;
}

static void
wait_for(struct exec *x, size_t want)
{
	struct strbuf err = STRBUF_INIT;

	while (done < want && exec_pending(x) > 0) {
		struct pollfd pfd = { exec_fd(x), POLLIN, 0 };

		(void)poll(&pfd, 1, 1000);
		if (exec_collect(x, on_result, NULL, &err) != 0) {
			fprintf(stderr, "collect: %s\n", err.buf);
			exit(1);
		}
	}
	strbuf_release(&err);
}

static int
submit(struct exec *x, uint64_t id, uint64_t sess, int first)
{
	static const char prog[] = "r = 1\n";
	struct exec_req q;

	memset(&q, 0, sizeof(q));
	q.id = id;
	q.program = prog;
	q.len = sizeof(prog) - 1;
	q.timeout_s = 10;
	q.session = sess;
	q.session_new = first;
	return (exec_submit_req(x, &q));
}

static void report(const char *, size_t, double);

/* BFCL's dotted path: its modules import each other by it. */
#define PREFIX	"bfcl_eval.eval_checker.multi_turn_eval.func_source_code."

/* nsess sessions that each import every module of dir. */
static void
bench_modules(struct exec *x, const char *dir, size_t nsess)
{
	struct exec_module m[64];
	struct strbuf prog = STRBUF_INIT, path = STRBUF_INIT;
	struct exec_req q;
	struct dirent *de;
	size_t nm = 0, i;
	double t0;
	DIR *d = opendir(dir);

	if (d == NULL) {
		perror(dir);
		exit(1);
	}
	/* As the BFCL plugin asks: mpmath imported once, in the executor. */
	memset(&m[0], 0, sizeof(m[0]));
	if ((m[0].name = strdup("mpmath")) == NULL)
		exit(1);
	nm = 1;
	while ((de = readdir(d)) != NULL && nm < 64) {
		size_t l = strlen(de->d_name);
		char *name;

		if (l < 4 || strcmp(de->d_name + l - 3, ".py") != 0 ||
		    strcmp(de->d_name, "__init__.py") == 0)
			continue;
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", dir, de->d_name);
		name = malloc(l + sizeof(PREFIX));
		if (name == NULL)
			exit(1);
		snprintf(name, l + sizeof(PREFIX), PREFIX "%.*s",
		    (int)(l - 3), de->d_name);
		m[nm].name = name;
		m[nm].file = strdup(de->d_name);
		m[nm].src = fileio_read(path.buf, &m[nm].len);
		if (m[nm].src == NULL)
			exit(1);
		strbuf_addf(&prog, "import %s\n", name);
		nm++;
	}
	closedir(d);
	done = 0;
	t0 = clock_now();
	for (i = 0; i < nsess; i++) {
		memset(&q, 0, sizeof(q));
		q.id = i;
		q.program = prog.buf;
		q.len = prog.len;
		q.timeout_s = 30;
		q.session = 1000 + i;
		q.session_new = 1;
		q.modules = m;
		q.nmodules = nm;
		(void)exec_submit_req(x, &q);
		wait_for(x, i + 1);
		(void)exec_session_close(x, 1000 + i);
	}
	report("modules", nsess, clock_now() - t0);
	for (i = 0; i < nm; i++) {
		free((char *)m[i].name);
		free((char *)m[i].file);
		free((char *)m[i].src);
	}
	strbuf_release(&prog);
	strbuf_release(&path);
}

static void
report(const char *what, size_t n, double t)
{
	printf("%-9s %6zu calls  %8.0f calls/s  %8.1f us/call\n", what, n,
	    (double)n / t, t / (double)n * 1e6);
}

int
main(int argc, char **argv)
{
	size_t calls = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000;
	size_t nsess = argc > 2 ? strtoul(argv[2], NULL, 10) : 8;
	struct strbuf err = STRBUF_INIT;
	struct exec_opts o;
	struct exec *x;
	double t0;
	size_t i, s;

	if (calls < 1 || nsess < 1)
		return (2);
	memset(&o, 0, sizeof(o));
	o.workers = 2;
	if (exec_start(&x, &o, &err) != 0) {
		fprintf(stderr, "exec_start: %s\n", err.buf);
		return (1);
	}
	printf("layers: %s\n", exec_layers(x));

	t0 = clock_now();
	for (i = 0; i < calls; i++) {
		(void)submit(x, i, 0, 0);
		wait_for(x, i + 1);
	}
	report("oneshot", calls, clock_now() - t0);

	done = 0;
	(void)submit(x, 0, 1, 1);
	wait_for(x, 1);
	done = 0;
	t0 = clock_now();
	for (i = 0; i < calls; i++) {
		(void)submit(x, i, 1, 0);
		wait_for(x, i + 1);
	}
	report("session", calls, clock_now() - t0);

	done = 0;
	for (s = 0; s < nsess; s++)
		(void)submit(x, s, 100 + s, 1);
	wait_for(x, nsess);
	done = 0;
	t0 = clock_now();
	for (s = 0; s < nsess && s < calls; s++)
		(void)submit(x, s, 100 + s, 0);
	/* every answer frees its session for the next call (same id
	 * modulo nsess, same session) */
	while (done < calls) {
		size_t k, n;

		nans = 0;
		wait_for(x, done + 1);
		n = nans;
		for (k = 0; k < n && s < calls; k++, s++)
			(void)submit(x, ans[k] + nsess,
			    100 + ans[k] % nsess, 0);
	}
	report("parallel", calls, clock_now() - t0);
	if (argc > 3)
		bench_modules(x, argv[3], nsess);
	if (bad > 0)
		printf("%zu calls did not pass\n", bad);
	exec_stop(x);
	strbuf_release(&err);
	return (bad > 0);
}
