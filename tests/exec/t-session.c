/*
 * Executor sessions (exec.h, struct exec_req) and request modules,
 * through the real executor image: state persists across a session's
 * requests; sessions on the same worker slot see nothing of each other
 * (globals, module attributes, process-wide settings, /tmp files) and
 * cannot signal each other; a request that overruns its limit ends its
 * session and later ones hear "session ended"; many idle sessions do
 * not hold the two worker slots; a closed session is gone; modules
 * from memory import under dotted names; output is kept up to the
 * request's limit.
 *
 * Never asserts timing.
 */
#include "config.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"
#include "execreq.h"
#include "qeval/plugin.h"
#include "strbuf.h"
#include "tap.h"
#include "xalloc.h"

struct res {
	int	 done;
	int	 status;
	char	*detail;
	char	*output;
	size_t	 output_len;
};

#define NRES	256
static struct res	 res[NRES];

static void
on_result(void *arg, const struct exec_result *r)
{
	struct res *x;

	(void)arg;
	if (r->id >= NRES)
		return;
	x = &res[r->id];
	x->done = 1;
	x->status = r->status;
	free(x->detail);
	free(x->output);
	x->detail = xstrndup(r->detail, r->detail_len);
	x->output = xmalloc(r->output_len + 1);
	if (r->output_len > 0)
		memcpy(x->output, r->output, r->output_len);
	x->output[r->output_len] = '\0';
	x->output_len = r->output_len;
}

static int
drain(struct exec *x)
{
	struct strbuf err = STRBUF_INIT;
	time_t t0 = time(NULL);

	while (exec_pending(x) > 0 && time(NULL) - t0 < 120) {
		struct pollfd pfd = { exec_fd(x), POLLIN, 0 };

		(void)poll(&pfd, 1, 200);
		if (exec_collect(x, on_result, NULL, &err) != 0) {
			tap_diag("collect: %s", err.buf);
			break;
		}
	}
	strbuf_release(&err);
	return (exec_pending(x) == 0 ? 0 : -1);
}

static uint64_t next_id;

/* Submits one request and waits for its answer. */
static struct res *
call_mod(struct exec *x, uint64_t sess, int first, const char *prog,
    double timeout, long output_max, const struct exec_module *m,
    size_t nm)
{
	struct exec_req q;
	uint64_t id = next_id++ % NRES;

	memset(&q, 0, sizeof(q));
	q.id = id;
	q.program = prog;
	q.len = strlen(prog);
	q.timeout_s = timeout;
	q.memory_mb = 1024;
	q.output_max = output_max;
	q.session = sess;
	q.session_new = first;
	q.modules = m;
	q.nmodules = nm;
	res[id].done = 0;
	if (exec_submit_req(x, &q) != 0 || drain(x) != 0 || !res[id].done) {
		static struct res none = { 0, -1, NULL, NULL, 0 };

		return (&none);
	}
	return (&res[id]);
}

static struct res *
call(struct exec *x, uint64_t sess, int first, const char *prog)
{
	return (call_mod(x, sess, first, prog, 10, 0, NULL, 0));
}

static const char *
out(const struct res *r)
{
	return (r->output != NULL ? r->output : "(none)");
}

static const char state_prog[] =
    "x = 41\n"
    "import decimal, math, random, sys\n"
    "decimal.getcontext().prec = 7\n"
    "math.qeval_mark = 'one'\n"
    "sys.qeval_mark = 'one'\n"
    "random.seed(5)\n"
    "open('/tmp/left-by-one', 'w').write('one')\n"
    "class Counter:\n"
    "    n = 0\n"
    "    def bump(self):\n"
    "        self.n += 1\n"
    "        return self.n\n"
    "c = Counter()\n";

static const char probe_prog[] =
    "import decimal, math, os, sys\n"
    "print('x' in globals(), hasattr(math, 'qeval_mark'),\n"
    "      hasattr(sys, 'qeval_mark'), decimal.getcontext().prec,\n"
    "      os.path.exists('/tmp/left-by-one'))\n";

static void
t_persist_and_isolate(void)
{
	struct strbuf err = STRBUF_INIT;
	struct exec_opts o;
	struct exec *x;
	struct res *r;
	char want[64];

	memset(&o, 0, sizeof(o));
	o.workers = 1;		/* every session on the same slot */
	if (exec_start(&x, &o, &err) != 0) {
		tap_bail("exec_start: %s", err.buf);
		exit(1);
	}
	r = call(x, 1, 1, state_prog);
	is_int(r->status, QEVAL_EXEC_PASSED, "a session's first request "
	    "(%s)", r->detail ? r->detail : "");
	r = call(x, 1, 0, "x += 1\nprint(x, c.bump(), c.bump())\n");
	is_str(out(r), "42 1 2\n", "globals and objects persist");
	r = call(x, 1, 0, "import decimal, math, sys\n"
	    "print(decimal.getcontext().prec, math.qeval_mark, "
	    "sys.qeval_mark, open('/tmp/left-by-one').read(), c.bump())\n");
	is_str(out(r), "7 one one one 3\n", "module attributes, decimal "
	    "context and /tmp persist");
	/* random's state: the draw after seed(5), as a fresh process
	 * makes it. */
	r = call(x, 0, 0, "import random\nrandom.seed(5)\n"
	    "print(random.random())\n");
	snprintf(want, sizeof(want), "%s", out(r));
	r = call(x, 1, 0, "import random\nprint(random.random())\n");
	is_str(out(r), want, "random's state persists");

	/* Session 2, same slot, while session 1 waits. */
	r = call(x, 2, 1, probe_prog);
	is_str(out(r), "False False False 28 False\n", "another session "
	    "on the same slot sees none of it");
	r = call(x, 0, 0, probe_prog);
	is_str(out(r), "False False False 28 False\n", "nor does a "
	    "one-shot program");
	r = call(x, 2, 0, "print(x)\n");
	is_int(r->status, QEVAL_EXEC_FAILED, "session 2 has no x");

	/* Session 2 goes for session 1's process: its pid, -1, the
	 * group.  Only its own process may be signalled. */
	r = call(x, 1, 0, "import posix\nprint(posix.getpid())\n");
	{
		char prog[512];
		long pid = strtol(out(r), NULL, 10);

		snprintf(prog, sizeof(prog),
		    "import posix, signal\n"
		    "n = 0\n"
		    "for p in (%ld, -1, -%ld, 1):\n"
		    "    try:\n"
		    "        posix.kill(p, signal.SIGKILL)\n"
		    "    except PermissionError:\n"
		    "        n += 1\n"
		    "print(n)\n", pid, pid);
		ok(pid > 0, "session 1's pid (%ld)", pid);
		r = call(x, 2, 0, prog);
		is_str(out(r), "4\n", "every signal to another process is "
		    "refused (%s)", r->detail ? r->detail : "");
	}
	/* A forged record on fd 3 without the nonce counts for nothing,
	 * and reaches no other session. */
	r = call(x, 2, 0, "import os, struct\n"
	    "os.write(3, struct.pack('<IIiIQd', 0x51585243, 0, 0, 0, 0, 0))"
	    "\nraise ValueError('real')\n");
	is_int(r->status, QEVAL_EXEC_FAILED, "a forged record is ignored");
	r = call(x, 1, 0, "print(c.bump())\n");
	is_str(out(r), "4\n", "session 1 is intact after session 2's "
	    "attempts");

	/* Closing. */
	ok(exec_session_close(x, 1) == 0, "close session 1");
	r = call(x, 1, 0, "print(1)\n");
	is_int(r->status, QEVAL_EXEC_CRASHED, "a closed session's request "
	    "is crashed");
	ok(r->detail != NULL && strncmp(r->detail, "session ended:", 14) ==
	    0, "with \"session ended\" (%s)", r->detail ? r->detail : "");
	r = call(x, 3, 1, probe_prog);
	is_str(out(r), "False False False 28 False\n", "a new session on "
	    "the slot starts clean");
	exec_stop(x);
	strbuf_release(&err);
}

static void
t_limits(void)
{
	struct strbuf err = STRBUF_INIT;
	struct exec_opts o;
	struct exec *x;
	struct res *r;

	memset(&o, 0, sizeof(o));
	o.workers = 2;
	if (exec_start(&x, &o, &err) != 0) {
		tap_bail("exec_start: %s", err.buf);
		exit(1);
	}
	r = call(x, 10, 1, "import time\ny = 1\n");
	is_int(r->status, QEVAL_EXEC_PASSED, "session for the timeout");
	r = call_mod(x, 10, 0, "time.sleep(30)\n", 0.5, 0, NULL, 0);
	is_int(r->status, QEVAL_EXEC_TIMEOUT, "a request over its wall "
	    "limit times out");
	r = call(x, 10, 0, "print(y)\n");
	is_int(r->status, QEVAL_EXEC_CRASHED, "the next request of that "
	    "session is crashed");
	ok(r->detail != NULL && strstr(r->detail, "session ended: timed "
	    "out") == r->detail, "session ended: timed out (%s)",
	    r->detail ? r->detail : "");
	r = call(x, 11, 1, "import posix, signal\n"
	    "posix.kill(posix.getpid(), signal.SIGSEGV)\n");
	is_int(r->status, QEVAL_EXEC_CRASHED, "a session that kills itself "
	    "is crashed");
	r = call(x, 11, 0, "pass\n");
	ok(r->status == QEVAL_EXEC_CRASHED && r->detail != NULL &&
	    strstr(r->detail, "session ended: killed by signal 11") ==
	    r->detail, "and stays ended (%s)", r->detail ? r->detail : "");
	r = call(x, 12, 0, "pass\n");
	ok(r->status == QEVAL_EXEC_CRASHED && r->detail != NULL &&
	    strncmp(r->detail, "session ended:", 14) == 0, "a session that "
	    "never began is refused (%s)", r->detail ? r->detail : "");

	/* Sixty idle sessions, two worker slots: all answer. */
	{
		struct exec_req q;
		size_t i, good = 0;

		for (i = 0; i < 60; i++) {
			char prog[64];

			snprintf(prog, sizeof(prog), "k = %zu\n", i);
			memset(&q, 0, sizeof(q));
			q.id = 100 + i;
			q.program = prog;
			q.len = strlen(prog);
			q.timeout_s = 20;
			q.session = 100 + i;
			q.session_new = 1;
			res[q.id].done = 0;
			(void)exec_submit_req(x, &q);
		}
		(void)drain(x);
		for (i = 0; i < 60; i++) {
			memset(&q, 0, sizeof(q));
			q.id = 180 + i % 60;
			q.program = "print(k)\n";
			q.len = strlen(q.program);
			q.timeout_s = 20;
			q.session = 100 + i;
			res[q.id].done = 0;
			(void)exec_submit_req(x, &q);
		}
		ok(drain(x) == 0, "sixty open sessions with two workers: "
		    "no deadlock");
		for (i = 0; i < 60; i++) {
			char want[32];

			snprintf(want, sizeof(want), "%zu\n", i);
			good += res[180 + i].done &&
			    strcmp(out(&res[180 + i]), want) == 0;
		}
		is_int((long long)good, 60, "each kept its own state");
		for (i = 0; i < 60; i++)
			(void)exec_session_close(x, 100 + i);
	}

	/* Requests of one session queued at once run in order. */
	{
		struct exec_req q;
		static const char *const p[] = { "s = []\n", "s.append(1)\n",
		    "s.append(2)\n", "print(s)\n" };
		size_t i;

		for (i = 0; i < 4; i++) {
			memset(&q, 0, sizeof(q));
			q.id = 250 + i;
			q.program = p[i];
			q.len = strlen(p[i]);
			q.timeout_s = 20;
			q.session = 20;
			q.session_new = i == 0;
			res[q.id].done = 0;
			(void)exec_submit_req(x, &q);
		}
		(void)drain(x);
		is_str(out(&res[253]), "[1, 2]\n", "queued requests of a "
		    "session run in order");
	}

	/* A session closed while its requests wait (both slots busy):
	 * they are answered, and none starts a session. */
	{
		struct exec_req q;
		static const char *const p[] = {
			"import time\ntime.sleep(1.5)\n",
			"import time\ntime.sleep(1.5)\n",
			"x = 1\n", "print(x)\n" };
		size_t i;

		for (i = 0; i < 4; i++) {
			memset(&q, 0, sizeof(q));
			q.id = 240 + i;
			q.program = p[i];
			q.len = strlen(p[i]);
			q.timeout_s = 20;
			q.session = i < 2 ? 0 : 40;
			q.session_new = i == 2;
			res[q.id].done = 0;
			(void)exec_submit_req(x, &q);
		}
		(void)exec_session_close(x, 40);
		(void)drain(x);
		ok(res[242].done && res[243].done &&
		    res[242].status == QEVAL_EXEC_CRASHED &&
		    res[243].status == QEVAL_EXEC_CRASHED &&
		    strcmp(res[243].detail, "session ended: closed") == 0,
		    "a session closed while its requests wait: they are "
		    "answered \"session ended: closed\" (%s)",
		    res[243].detail ? res[243].detail : "");
		r = call(x, 40, 0, "print(1)\n");
		ok(r->status == QEVAL_EXEC_CRASHED, "and it never began");
	}

	/* Modules and output. */
	{
		static const char a[] = "def f():\n    return 'hi from a'\n";
		static const char b[] = "from pkg.sub.a import f\ny = f()\n";
		struct exec_module m[2] = {
			{ "pkg.sub.a", "env/a.py", a, sizeof(a) - 1 },
			{ "pkg.b", "env/b.py", b, sizeof(b) - 1 },
		};

		r = call_mod(x, 0, 0, "import pkg.b, pkg.sub.a\n"
		    "print(pkg.b.y, pkg.sub.a.__file__)\n", 10, 0, m, 2);
		is_str(out(r), "hi from a env/a.py\n", "modules import by "
		    "dotted name, parents made (%s)",
		    r->detail ? r->detail : "");
		r = call_mod(x, 30, 1, "import pkg.b\n", 10, 0, m, 2);
		r = call(x, 30, 0, "import pkg.sub.a\nprint(pkg.b.y)\n");
		is_str(out(r), "hi from a\n", "a session's modules stay "
		    "importable");
		r = call(x, 0, 0, "import pkg\n");
		is_int(r->status, QEVAL_EXEC_FAILED, "and are gone for the "
		    "next program");
		/* Compiled once in the executor, inherited by the child
		 * (bootstrap's _CODE), which runs the code itself. */
		r = call_mod(x, 0, 0, "import sys\n"
		    "c = sys.modules['_qeval_executor']._CODE\n"
		    "print(sorted(f for f, s in c), "
		    "'pkg.sub.a' in sys.modules)\n", 10, 0, m, 2);
		is_str(out(r), "['env/a.py', 'env/b.py'] False\n",
		    "the modules' code comes compiled from the executor");
		r = call(x, 0, 0, "import mpmath\n"
		    "print(mpmath.mpf(1) / 4)\n");
		is_str(out(r), "0.25\n", "mpmath imports in the sandbox (%s)",
		    r->detail ? r->detail : "");
		/* A module with no source: a package of the interpreter's
		 * that the executor imports once, before the fork. */
		r = call(x, 0, 0, "import sys\nprint('mpmath' in "
		    "sys.modules)\n");
		is_str(out(r), "False\n", "the executor imports no package "
		    "it was not asked for");
		{
			struct exec_module pm[1] = {
				{ "mpmath", NULL, NULL, 0 },
			};

			r = call_mod(x, 0, 0, "import sys\n"
			    "print('mpmath' in sys.modules)\n"
			    "import mpmath\nprint(mpmath.mpf(1) / 4)\n", 10,
			    0, pm, 1);
			is_str(out(r), "True\n0.25\n", "a module with no "
			    "source comes imported from the executor, "
			    "itself (%s)", r->detail ? r->detail : "");
		}
		r = call_mod(x, 0, 0, "import sys\n"
		    "sys.stdout.write('a' * 3000000)\n", 10,
		    EXEC_OUTPUT_MAX, NULL, 0);
		is_int((long long)r->output_len, EXEC_OUTPUT_MAX,
		    "output kept up to the request's limit");
	}
	exec_stop(x);
	strbuf_release(&err);
}

/*
 * Live (not zombie) processes named "qsbx-<xpid>": the executor's
 * children, sessions and slot inits.
 */
static int
count_qsbx(pid_t xpid)
{
	char want[32];
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return (-1);
	snprintf(want, sizeof(want), "qsbx-%ld", (long)xpid);
	want[15] = '\0';
	while ((e = readdir(d)) != NULL) {
		char path[300], buf[512], *p;
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL && p[1] == ' ' &&
		    p[2] != 'Z' && strncmp(strchr(buf, '(') + 1, want,
		    strlen(want)) == 0 && strchr(buf, '(')[1 + strlen(want)] ==
		    ')')
			n++;
		fclose(f);
	}
	closedir(d);
	return (n);
}

/* Polls until count_qsbx(xpid) == want, 10 s at most. */
static int
qsbx_reaches(pid_t xpid, int want)
{
	int i, n = -1;

	for (i = 0; i < 500; i++) {
		if ((n = count_qsbx(xpid)) == want)
			return (n);
		usleep(20000);
	}
	return (n);
}

/* A closed session's process goes; the executor's death takes all. */
static void
t_processes(void)
{
	struct strbuf err = STRBUF_INIT;
	struct exec_opts o;
	struct exec *x;
	struct res *r;
	pid_t xpid;
	int base, i;

	memset(&o, 0, sizeof(o));
	o.workers = 2;
	if (exec_start(&x, &o, &err) != 0) {
		tap_bail("exec_start: %s", err.buf);
		exit(1);
	}
	xpid = exec_pid(x);
	base = count_qsbx(xpid);	/* the slots' inits */
	for (i = 0; i < 3; i++)
		r = call(x, 50 + (uint64_t)i, 1, "x = 1\n");
	is_int(qsbx_reaches(xpid, base + 3), base + 3, "three idle "
	    "sessions: three processes beside the %d inits", base);
	ok(exec_session_close(x, 50) == 0, "close one");
	is_int(qsbx_reaches(xpid, base + 2), base + 2, "its process is "
	    "gone");
	(void)kill(xpid, SIGKILL);
	r = call(x, 51, 0, "print(x)\n");
	ok(r->status == QEVAL_EXEC_CRASHED || r->status == -1, "a killed "
	    "executor: the session's request is crashed (%s)",
	    r->detail ? r->detail : "not submitted");
	is_int(qsbx_reaches(xpid, 0), 0, "and every session died with the "
	    "executor");
	exec_stop(x);
	strbuf_release(&err);
}

/* The core's reading of EXEC bodies (execreq.h). */
static void
t_bodies(void)
{
	static const struct {
		const char	*body;
		int		 rc;
		const char	*err;
	} t[] = {
		{ "{\"program\": \"a\\u0000b\", \"session\": true, "
		  "\"output\": true, \"timeout\": 2}", 0, NULL },
		{ "{\"program\": \"p\", \"journal\": false}", 0, NULL },
		{ "{\"program\": \"p\", \"session\": true, "
		  "\"journal\": false}", -1, "cannot be combined" },
		{ "{\"program\": \"p\", \"session\": 1}", -1,
		  "must be true or false" },
		{ "{\"program\": \"p\", \"modules\": [\"a\"]}", -1,
		  "\"modules\" must be an object" },
		{ "{\"program\": 3}", -1, "needs a \"program\" string" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct strbuf err = STRBUF_INIT;
		struct exec_body b;
		int rc = exec_body_parse(t[i].body, &b, &err);

		ok(rc == t[i].rc && (t[i].err == NULL ||
		    strstr(err.buf, t[i].err) != NULL), "body %zu: %s", i,
		    rc == 0 ? "accepted" : err.buf);
		if (i == 0)
			ok(b.program.len == 3 && b.program.buf[1] == '\0' &&
			    b.session && b.output && b.journal &&
			    b.timeout_s == 2, "its fields, NUL byte kept");
		if (i == 1)
			ok(!b.journal && exec_body_unjournaled(t[i].body),
			    "\"journal\": false read");
		exec_body_release(&b);
		strbuf_release(&err);
	}
}

int
main(void)
{
	t_bodies();
	t_persist_and_isolate();
	t_limits();
	t_processes();
	return (tap_done());
}
