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
	SBX_ROFS	= 1 << 10	/* the file system read-only */
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

/* In the child's parent (pid ns creator): new PID and mount namespaces. */
int	 sbx_unshare_child(void);

/*
 * In the child (pid 1 of its namespace): every existing mount read-only
 * where the kernel can (adds SBX_ROFS to *got), a private /proc, a
 * size-capped tmpfs on dir (the working directory, which becomes the
 * current directory) and over the world-writable directories.  *what
 * names the failing step.
 */
int	 sbx_mounts(const char *dir, uid_t uid, gid_t gid, long size_mb,
	    unsigned *got, const char **what);

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
 * to clone), no execve, sockets only AF_UNIX, no ptrace or
 * process_vm_*, no namespaces, mounts, io_uring, bpf, keyrings, perf,
 * userfaultfd, kernel modules.  Sets PR_SET_NO_NEW_PRIVS first.
 * -1 with errno ENOSYS on other architectures.
 */
int	 sbx_seccomp(void);

/* rm -rf that never follows symbolic links nor crosses mount points. */
int	 sbx_remove_tree(const char *path);

#endif
