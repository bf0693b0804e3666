/*
 * sandbox: the operating-system side of the executor's isolation (see
 * docs/SANDBOX.md).  Only the executor process (src/exec.c) uses these;
 * none of them is meant for the core process.
 *
 * Layers are bits: the executor probes which ones the kernel grants once
 * at start-up, then requires exactly those for every child ("fail
 * closed": a child whose layer fails where the probe succeeded does not
 * run its program).
 *
 * Errors: functions returning int give 0 or -1 with errno set; the step
 * that failed is named through *what where there is one.
 */
#ifndef QEVAL_SANDBOX_H
#define QEVAL_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

enum sbx_layer {
	/* CPU, AS, FSIZE, NOFILE, CORE, NPROC */
	SBX_RLIMITS	= 1 << 0,
	SBX_NETNS	= 1 << 1,	/* the executor's own empty net ns */
	SBX_USERNS	= 1 << 2,	/* not root: a user ns for the others */
	SBX_PIDNS	= 1 << 3,	/* one PID namespace per child */
	SBX_MOUNTNS	= 1 << 4,	/* private /proc and tmpfs per child */
	SBX_UID		= 1 << 5,	/* an unprivileged uid per worker */
	SBX_SECCOMP	= 1 << 6,	/* the syscall filter */
	SBX_NONEWPRIVS	= 1 << 7,
	SBX_REEXEC	= 1 << 8,	/* executor is a fresh process image */
	SBX_GUARD	= 1 << 9,	/* the Python reliability guard */
	SBX_ROFS	= 1 << 10,	/* the file system read-only */
	SBX_MINROOT	= 1 << 11,	/* a root of the executor's own */
	SBX_IPCNS	= 1 << 12	/* one IPC namespace per child */
};

/* Base of the per-worker uids/gids used when the executor runs as root. */
#define SBX_UID_BASE	1590000000u

/* Writes the names of the layers in mask, comma separated. */
void	 sbx_layer_names(unsigned mask, char *buf, size_t len);

/*
 * Once, in the executor: an empty network namespace (plus IPC and UTS),
 * through a user namespace when not root.  Returns the layers obtained.
 */
unsigned sbx_executor_ns(void);

/*
 * Hides the environment and arguments the process image was started with
 * from /proc/<pid>/environ and /proc/<pid>/cmdline by overwriting them in
 * place; title replaces the arguments.
 */
void	 sbx_scrub_image(const char *title);

/* Closes every descriptor >= lowfd except keep (-1: none). */
void	 sbx_close_from(int lowfd, int keep);

/*
 * Base directories: "qeval-exec-<pid>-XXXXXX" in /dev/shm or $TMPDIR.
 * sbx_base_dir() makes one for this process (mode 0711) in dir;
 * sbx_clean_stale() removes, in dir, those of ours (same owner) whose
 * process is gone (kill(pid, 0) says ESRCH, or it is a zombie): what an
 * executor killed with SIGKILL could not remove.  Returns how many it
 * removed.
 */
int	 sbx_base_dir(const char *dir, char *buf, size_t len);
int	 sbx_clean_stale(const char *dir);

/*
 * What the minimal root shows of the host, read-only: directories and
 * files (the interpreter's library paths, its shared libraries'
 * directories), and files hidden behind an empty one (modules that
 * read raw memory, such as _ctypes).  Absolute paths; NULL-terminated.
 */
struct sbx_root {
	const char *const *expose;
	const char *const *mask;
	const char	*passwd;	/* /etc/passwd and /etc/group of */
	const char	*group;		/* the root's own, or NULL */
};

/*
 * Once, in the executor: a mount namespace of its own whose root is a
 * small read-only tmpfs (mounted on base, which must be an empty
 * directory of ours) holding only what r lists (and r's own passwd and
 * group files, which name only the sandbox's users), the shared library
 * directories this process maps, /etc/ld.so.cache, the time zone
 * files, the symbolic links of /, the device nodes null, zero, urandom
 * and random, /dev/shm linked to /tmp, and an empty mount point /tmp;
 * then pivot_root (chroot where the
 * old root is not a mount point).  Everything else of the host is gone
 * from this process and every child it forks.  *what names the step
 * that failed; the process may then be left in a half-built namespace
 * and should go on without SBX_MINROOT only if it can live with that.
 */
int	 sbx_minroot(const char *base, const struct sbx_root *r,
	    const char **what);

/* The child's working directory in the minimal root (in its /tmp). */
#define SBX_WORKDIR	"/tmp/work"

/*
 * In a child, in a mount namespace of its own copied from the minimal
 * root: a size-capped tmpfs on /tmp holding SBX_WORKDIR, owned by
 * uid/gid, which becomes the current directory; with proc (tests
 * only), a /proc of its PID namespace where the kernel allows.
 */
int	 sbx_child_mounts(uid_t uid, gid_t gid, long size_mb, int proc,
	    const char **what);

struct sbx_limits {
	double	 cpu_s;		/* RLIMIT_CPU (rounded up) */
	long	 as_mb;		/* RLIMIT_AS; <= 0: none */
	long	 fsize;		/* RLIMIT_FSIZE, bytes */
	long	 nofile;
	long	 nproc;		/* <= 0: left as it is */
};
int	 sbx_rlimits(const struct sbx_limits *, const char **what);

/* Drops every privilege to uid/gid (no supplementary groups). */
int	 sbx_drop_uid(uid_t uid, gid_t gid);

/*
 * The seccomp filter (x86_64, aarch64): no new processes (clone without
 * CLONE_THREAD, fork, vfork; clone3 answers ENOSYS so threads fall back
 * to clone), no execve, no socket() of any family (socketpair() only
 * for connected AF_UNIX stream or seqpacket pairs), no SysV IPC or
 * POSIX message queues, no ptrace or
 * process_vm_*, no namespaces, mounts, io_uring, bpf, keyrings, perf,
 * userfaultfd, kernel modules; signals only to itself (kill(), tgkill(),
 * rt_sigqueueinfo(), rt_tgsigqueueinfo() and pidfd_open() name `self`,
 * kill() may also name 0 or -self; tkill() never): a program cannot
 * reach a session that waits in the same PID namespace.  Sets
 * PR_SET_NO_NEW_PRIVS first.  -1 with errno ENOSYS on other
 * architectures.
 */
int	 sbx_seccomp(pid_t self);

/* rm -rf that never follows symbolic links nor crosses mount points. */
int	 sbx_remove_tree(const char *path);

#endif
