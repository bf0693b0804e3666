/*
 * qeval-executor: the image the code executor runs as (executor.h,
 * docs/SANDBOX.md): main, the event loop over the core's socket, the
 * job queue, the table of children and sessions, the inits of the
 * worker slots, the probe.  It links the executor's own modules and
 * libpython, nothing of the rest of qeval, so that the process every
 * program's child is forked from maps as little as it can.
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
	if (j->nmod > 0)
		py_precompile(X, j->mods, j->mod_len, j->nmod);
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

/*
 * A closed session's requests still queued (its unit failed while they
 * waited) are answered now: none of them starts a session nobody would
 * close.
 */
static void
drop_queued(struct xstate *X, uint64_t session)
{
	static const char why[] = "session ended: closed";
	struct job **pp = &X->head, *j;

	X->tail = NULL;
	while ((j = *pp) != NULL) {
		if (j->session != session) {
			X->tail = j;
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		send_frame(X, j->id, QEVAL_EXEC_CRASHED, 0, 0, why,
		    sizeof(why) - 1, "", 0);
		job_free(j);
	}
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
			drop_queued(X, h.session);
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
    const char *version)
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
	X.base = SBX_REEXEC;	/* always a fresh image now */
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

/* argv as spawn_executor() (exec.c) makes it. */
static int
executor_argv(int argc, char **argv)
{
	struct stat st;

	return (argc == EXEC_ARGC && argv != NULL && argv[0] != NULL &&
	    strcmp(argv[0], EXEC_ARGV0) == 0 && strcmp(argv[1], "3") == 0 &&
	    fstat(3, &st) == 0 && S_ISSOCK(st.st_mode));
}

int
main(int argc, char **argv)
{
	if (!executor_argv(argc, argv)) {
		fprintf(stderr, "%s: qeval starts this program itself; it is "
		    "not meant to be run by hand\n", EXEC_ARGV0);
		return (2);
	}
	return (executor_main(3, (pid_t)strtol(argv[2], NULL, 10),
	    (int)strtol(argv[3], NULL, 10), strtol(argv[4], NULL, 10),
	    argv[5]));
}
