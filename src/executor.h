/*
 * executor: what the executor's own files share (the qeval-executor
 * image; docs/SANDBOX.md).  Four kinds of process take part:
 *
 *   core      calls exec_* (exec.c); talks to the executor over a
 *             socketpair (execproto.h).
 *   executor  forked by exec_start() and re-executed as the
 *             qeval-executor image (a fresh image: nothing of the core's
 *             memory, no environment but a short whitelist); holds one
 *             initialised interpreter; lives in a minimal root of its own
 *             (sbx_minroot()); runs an event loop over the socket and
 *             its children.
 *   init      one per worker slot, made once: pid 1 of that slot's PID
 *             namespace, holding nothing, waiting for the executor.
 *   child     per program (or per session), forked by the executor into
 *             its slot's PID namespace (not as its init, so that a signal
 *             it sends itself ends it): takes a mount and an IPC
 *             namespace of its own, locks itself down and runs the
 *             program.
 *
 * The child reports its verdict through a pipe (fd 3) as one record
 * shorter than PIPE_BUF, tagged with a nonce that no Python object holds;
 * stdout and stderr share a second pipe that the executor drains and
 * keeps the first output_max bytes of.
 *
 * Files: executor.c (main, the event loop, the job queue, the table of
 * children and sessions, the slots' inits, the probe), execchild.c (what
 * runs in a child and in an init), execpy.c (the interpreter's start).
 */
#ifndef QEVAL_EXECUTOR_H
#define QEVAL_EXECUTOR_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "exec.h"
#include "execproto.h"
#include "strbuf.h"

#if defined(__SANITIZE_ADDRESS__)
#define EXEC_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EXEC_ASAN	1
#endif
#endif

#define REC_MAGIC	0x51585243u
#define SREQ_MAGIC	0x51585353u
#define DETAIL_MAX	1024
#define FSIZE_MAX	(16l << 20)	/* RLIMIT_FSIZE */
#define WORKDIR_MB	64		/* the child's /tmp, its work dir */
#define CHILD_NOFILE	64
#define CHILD_NPROC	64		/* threads, with a uid per worker */
#define SETUP_FAILED	121		/* A's or B's exit status */

/* child -> executor through fd 3, followed by dlen bytes of detail */
struct rec_hdr {
	uint32_t	 magic;
	uint32_t	 layers;
	int32_t		 status;	/* -1: sandbox setup failed */
	uint32_t	 dlen;
	uint64_t	 nonce;
	double		 cpu_s;		/* the child's own, threads included */
};

/*
 * What the core sends (programs) and what goes back (verdicts, output)
 * sit in buffers that no child inherits (MADV_DONTFORK): a program
 * cannot find another's text or output, queued, arriving or leaving, in
 * its own memory.  Together with the jobs' own mappings and the slot
 * copies wiped after each fork (kid_start()), a child's memory holds
 * its own program only.
 */
struct pbuf {
	char	*buf;
	size_t	 len;
	size_t	 alloc;
};

/*
 * A queued program.  Each lives in a mapping of its own that children do
 * not inherit (MADV_DONTFORK): however many programs wait, a fork copies
 * none of them, and a child can neither read nor write the others'.  The
 * one a child runs is copied to its slot first (kid_start()).
 */
struct job {
	uint64_t	 id;
	double		 timeout_s;
	long		 memory_mb;
	long		 output_max;
	uint64_t	 session;	/* 0: a one-shot program */
	unsigned	 flags;		/* REQF_* */
	char		*prog;		/* follows the struct, NUL-terminated */
	size_t		 len;
	char		*mods;		/* follows the program (req_hdr) */
	size_t		 mod_len;
	uint32_t	 nmod;
	size_t		 maplen;
	struct job	*next;
};

/*
 * A session: one child that lives across requests (exec.h).  Idle, it
 * holds no worker slot; running, a slot's kid points at it and uses its
 * process and descriptors.  It lives in the PID namespace of the slot
 * it was started in; seccomp keeps every child from signalling any
 * process but itself, so the programs that run there later cannot
 * reach it.
 */
enum { SS_IDLE, SS_RUN, SS_DEAD };

struct sess {
	uint64_t	 id;
	int		 state;
	int		 closing;	/* the core closed it while it ran */
	int		 slot;		/* where its PID namespace is */
	pid_t		 pid;
	int		 pidfd;
	int		 outfd;
	int		 resfd;
	int		 ctlfd;		/* programs go to the child here */
	int		 pfi;		/* its pidfd's index in poll(), or -1 */
	double		 cpulim;	/* its RLIMIT_CPU, s */
	uint64_t	 nonce;
	double		 cpu_prev;	/* CPU time of its earlier requests */
	long		 memory_mb;	/* its first request's */
	struct pbuf	 ctl;		/* bytes not yet written to ctlfd */
	size_t		 ctl_off;
	char		*why;		/* SS_DEAD: why it ended */
	char		 dir[300];
	struct sess	*next;
};

/* A session's request as its child reads it from fd 5. */
struct sreq_hdr {
	uint32_t	 magic;
	uint32_t	 len;
};

struct kid {
	int		 busy;
	int		 slot;
	struct sess	*sess;		/* the running request's, or NULL */
	int		 sessmode;	/* child_main(): start a session */
	int		 ctlr;		/* child_main(): its read end */
	long		 out_max;	/* output kept for this request */
	double		 cpulim;	/* its RLIMIT_CPU, s */
	long		 memlim;	/* its RLIMIT_AS, MiB */
	pid_t		 pid;
	int		 pidfd;
	int		 outfd;
	int		 resfd;
	int		 timed_out;
	uint64_t	 nonce;		/* tags the child's verdict record */
	uint64_t	 seed;		/* the child allocator's, unrelated */
	/* The init of this slot's PID namespace (see slot_init()). */
	pid_t		 init_pid;
	int		 init_ns;
	int		 init_ctl;
	double		 start;
	double		 deadline;
	struct job	*job;		/* not mapped in the child */
	/* The child's copy of what it needs of the job. */
	char		*prog;
	size_t		 prog_len;
	size_t		 prog_cap;
	double		 timeout_s;
	long		 memory_mb;
	/* The child's copy of the job's modules. */
	char		*mods;
	size_t		 mods_len;
	size_t		 mods_cap;
	uint32_t	 nmod;
	struct pbuf	 out;
	size_t		 out_dropped;
	struct pbuf	 res;
	char		 dir[300];
};

/* A child whose verdict is in, waiting to be reaped. */
struct corpse {
	pid_t		 pid;
	int		 pidfd;
	char		 dir[300];
};

struct xstate {
	int		 sock;
	pid_t		 self;
	int		 devnull;
	int		 workers;
	long		 output_max;
	int		 root;
	unsigned	 base;		/* layers of the executor itself */
	unsigned	 want;		/* layers to try per child */
	int		 strict;	/* missing wanted layer = no run */
	int		 minroot;	/* we live in sbx_minroot()'s root */
	int		 introspect;	/* tests: ctypes and /proc allowed */
	int		 procfd;	/* the host's /proc, O_PATH */
	int		 own_pidns;	/* our own PID namespace */
	int		 life_r;	/* hangs up when we are gone */
	int		 life_w;	/* only we hold it */
	int		 guarded;	/* py_seal() ran the guard */
	int		 kidalloc;	/* children use forkmem_child() */
	char		 basedir[256];
	struct kid	*kids;
	int		 nbusy;
	struct corpse	*corpses;
	size_t		 ncorpses;
	size_t		 acorpses;
	struct job	*head;
	struct job	*tail;
	struct sess	*sessions;
	struct pbuf	 in;		/* from the core; not inherited */
	size_t		 in_off;
	struct pbuf	 out;		/* to the core; not inherited */
	size_t		 out_off;
	struct pbuf	 junk;		/* what idle sessions write */
	int		 eof;
	PyObject	*py_prepare;
	PyObject	*py_compile;	/* builtins.compile */
	PyObject	*py_reseed;	/* _random.Random.seed */
	PyObject	*py_rng;	/* random._inst */
	PyObject	*py_tempfile;	/* the tempfile module */
	PyObject	*py_modules;	/* _install_modules */
	PyObject	*py_precompile;	/* _precompile */
	struct sigaction py_sigint;	/* CPython's SIGINT handler */
	int		 have_sigint;
	char		**expose;	/* sbx_root: what the root shows */
	char		**mask;
};

/* execchild.c: the processes the executor forks; never return. */
void	 child_main(struct xstate *, struct kid *, int outw, int resw)
	    __attribute__((noreturn));
void	 init_main(struct xstate *, int ctl) __attribute__((noreturn));

/* execpy.c: the interpreter, started once, then sealed (the guard). */
int	 py_start(struct xstate *, struct strbuf *err);
int	 py_seal(struct xstate *);
PyObject *py_modules_table(const char *mods, size_t len, uint32_t n);
void	 py_precompile(struct xstate *, const char *mods, size_t len,
	    uint32_t n);

#endif
