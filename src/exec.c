/*
 * exec: the core's client of the sandboxed Python executor (contract in
 * exec.h, wire in execproto.h, the executor itself in executor.c and
 * executor.h, layers in docs/SANDBOX.md).  exec_start() forks and
 * executes the qeval-executor image with the socket on descriptor 3;
 * the rest frames requests and answers over that socket.  Nothing here
 * runs Python: the qeval binary does not link libpython.
 */
#include "config.h"
#include "exec.h"
#include "execproto.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qeval/plugin.h"
#include "sandbox.h"
#include "xalloc.h"

#define EXEC_MAGIC	0x45584543u

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

/*
 * Which image becomes the executor, in order: $QEVAL_EXECUTOR (tests,
 * benchmarks), a qeval-executor beside the running binary (the build
 * tree), the installed one in $(pkglibexecdir).  qeval itself holds no
 * executor and does not link libpython.  The dedicated image maps
 * libpython and libc and little else, where qeval maps some fifty
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
 * In the forked child of the core, when no image could be executed:
 * the greeting says so (wait_hello() reports it) and the child exits.
 */
static void __attribute__((noreturn))
no_image(char paths[3][PATH_MAX])
{
	char buf[sizeof(struct res_hdr) + 3 * PATH_MAX + 256];
	struct res_hdr h;
	size_t n = 0, i;
	int k;

	k = snprintf(buf + sizeof(h), sizeof(buf) - sizeof(h), "no "
	    EXEC_ARGV0 " could be run (tried");
	n = k > 0 ? (size_t)k : 0;
	for (i = 0; i < 3; i++)
		if (paths[i][0] != '\0' && n < sizeof(buf) - sizeof(h)) {
			k = snprintf(buf + sizeof(h) + n, sizeof(buf) -
			    sizeof(h) - n, " %s", paths[i]);
			n += k > 0 ? (size_t)k : 0;
		}
	if (n < sizeof(buf) - sizeof(h)) {
		k = snprintf(buf + sizeof(h) + n, sizeof(buf) - sizeof(h) - n,
		    "): install it with qeval, or set QEVAL_EXECUTOR");
		n += k > 0 ? (size_t)k : 0;
	}
	if (n > sizeof(buf) - sizeof(h) - 1)
		n = sizeof(buf) - sizeof(h) - 1;
	memset(&h, 0, sizeof(h));
	h.magic = RES_MAGIC;
	h.status = -1;
	h.id = HELLO_ID;
	h.detail_len = (uint32_t)n;
	memcpy(buf, &h, sizeof(h));
	(void)write_all(3, buf, sizeof(h) + n);
	_exit(127);
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
	no_image(paths);
}

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
		/* An interpreter package goes with an empty file name. */
		const char *file = md->src == NULL ? "" : md->file ?
		    md->file : md->name;
		uint32_t l[3];

		l[0] = (uint32_t)strlen(md->name);
		l[1] = (uint32_t)strlen(file);
		l[2] = md->src == NULL ? 0 : (uint32_t)md->len;
		strbuf_add(&m, l, sizeof(l));
		strbuf_add(&m, md->name, l[0]);
		strbuf_add(&m, file, l[1]);
		if (l[2] > 0)
			strbuf_add(&m, md->src, l[2]);
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

