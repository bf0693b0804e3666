/*
 * forkmem: cheaper memory for the executor's forked children.  See
 * forkmem.h for the contract and docs/SANDBOX.md ("Memory") for why.
 */
#define PY_SSIZE_T_CLEAN
#include "config.h"
#include <Python.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "forkmem.h"

#define HUGE		FORKMEM_HUGE

/*
 * An anonymous read-write mapping of len bytes starting on a 2 MiB
 * boundary, marked for huge pages; NULL on failure.
 */
static char *
map_huge(size_t len)
{
	char *m, *a;
	size_t head;

	m = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return (NULL);
	a = (char *)(((uintptr_t)m + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
	head = (size_t)(a - m);
	if (head > 0)
		(void)munmap(m, head);
	(void)munmap(a + len, HUGE - head);
	/* Best effort: with THP off it is small pages, still correct. */
	(void)madvise(a, len, MADV_HUGEPAGE);
	return (a);
}

/* ------------------------------------------------------------------ */
/* Huge text                                                          */
/* ------------------------------------------------------------------ */

struct map {
	uintptr_t	lo, hi;
	int		r, w, x, p;
};

/* THP "never" (or no THP at all): anonymous text would only cost more. */
static int
thp_usable(void)
{
	char buf[128];
	FILE *f;
	int ok = 0;

	if ((f = fopen("/sys/kernel/mm/transparent_hugepage/enabled",
	    "re")) == NULL)
		return (0);
	if (fgets(buf, sizeof(buf), f) != NULL)
		ok = strstr(buf, "[never]") == NULL;
	fclose(f);
	return (ok);
}

/*
 * The mappings of the file with this device and inode, in address
 * order (as /proc/self/maps lists them); how many, or -1.
 */
static int
file_maps(dev_t dev, ino_t ino, struct map *v, int max)
{
	char line[PATH_MAX + 128];
	FILE *f;
	int n = 0;

	if ((f = fopen("/proc/self/maps", "re")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi, ma, mi, in;
		char perm[5];

		if (sscanf(line, "%lx-%lx %4s %*x %lx:%lx %lu", &lo, &hi, perm,
		    &ma, &mi, &in) != 6)
			continue;
		if (in != (unsigned long)ino ||
		    makedev((unsigned)ma, (unsigned)mi) != dev)
			continue;
		if (n == max)
			break;
		v[n].lo = lo;
		v[n].hi = hi;
		v[n].r = perm[0] == 'r';
		v[n].w = perm[1] == 'w';
		v[n].x = perm[2] == 'x';
		v[n].p = perm[3] == 'p';
		n++;
	}
	fclose(f);
	return (n);
}

/*
 * Whether [w, w + HUGE) is covered, without a gap, by private mappings
 * in v that are readable and not writable (a PROT_NONE gap between an
 * object's segments stays out); *x tells whether one is executable.
 */
static int
window_ok(const struct map *v, int n, uintptr_t w, int *x)
{
	uintptr_t at = w;
	int i;

	*x = 0;
	for (i = 0; i < n && at < w + HUGE; i++) {
		if (v[i].hi <= at)
			continue;
		if (v[i].lo > at || !v[i].r || v[i].w || !v[i].p)
			return (0);
		*x |= v[i].x;
		at = v[i].hi;
	}
	return (at >= w + HUGE);
}

/*
 * The window's bytes into a fresh huge page, which then replaces the
 * window in one mremap(): the same bytes at the same addresses at every
 * moment, never writable and executable at once.
 */
static int
move_window(uintptr_t w, int x)
{
	char *m;

	if ((m = map_huge(HUGE)) == NULL)
		return (-1);
	memcpy(m, (const void *)w, HUGE);
	if (madvise(m, HUGE, MADV_COLLAPSE) != 0 ||
	    mprotect(m, HUGE, PROT_READ | (x ? PROT_EXEC : 0)) != 0 ||
	    mremap(m, HUGE, HUGE, MREMAP_MAYMOVE | MREMAP_FIXED,
	    (void *)w) == MAP_FAILED) {
		int e = errno;

		(void)munmap(m, HUGE);
		errno = e;
		return (-1);
	}
	return (0);
}

int
forkmem_hugetext(const void *sym)
{
	struct map v[32];
	struct stat st;
	Dl_info di;
	uintptr_t w;
	int n, x, moved = 0;

	if (dladdr(sym, &di) == 0 || di.dli_fname == NULL ||
	    stat(di.dli_fname[0] != '\0' ? di.dli_fname : "/proc/self/exe",
	    &st) != 0 || !thp_usable())
		return (0);
	if ((n = file_maps(st.st_dev, st.st_ino, v, 32)) <= 0)
		return (0);
	for (w = (v[0].lo + HUGE - 1) & ~(uintptr_t)(HUGE - 1);
	    w + HUGE <= v[n - 1].hi; w += HUGE) {
		if (!window_ok(v, n, w, &x))
			continue;
		/* The first failure (MADV_COLLAPSE before Linux 6.1, no
		 * huge page to be had) will be the next one's too. */
		if (move_window(w, x) != 0)
			break;
		moved++;
	}
	return (moved);
}

/* ------------------------------------------------------------------ */
/* The child's allocator                                              */
/* ------------------------------------------------------------------ */

/*
 * Every block has a 16-byte header: its capacity (or, with LARGE, the
 * length of its own mapping) and a tag, the payload's address mixed
 * with the child's seed, which tells this allocator's blocks from those
 * inherited from the executor (pymalloc's and glibc's blocks have a
 * header or a pool header in front of them too, so reading 16 bytes
 * before any block is in bounds).  Small blocks (up to 256 KiB) come in
 * 97 size classes, 16 bytes apart up to 1 KiB and then four to each
 * power of two, bump-allocated from 2 MiB chunks and recycled through
 * one free list per class.  Larger ones are mappings of their own,
 * grown in place with mremap().  Only ever called with the GIL held.
 */
#define HDR		16u
#define SMALL_MAX	(256u << 10)
#define NCLASS		97
#define LARGE		1u

struct hdr {
	uint64_t	size;
	uint64_t	tag;
};

static struct {
	uint64_t		 seed;
	char			*cur, *end;
	void			*free[NCLASS];
	PyMemAllocatorEx	 prev[2];
	size_t			 page;
} fm;

static unsigned
size_class(size_t n, size_t *cap)
{
	unsigned k, sub;

	if (n <= 1024) {
		sub = (unsigned)((n + 15) >> 4);
		*cap = (size_t)sub << 4;
		return (sub);
	}
	k = 63u - (unsigned)__builtin_clzll((unsigned long long)(n - 1));
	sub = (unsigned)((n - 1) >> (k - 2)) & 3u;
	*cap = ((size_t)1 << k) + ((size_t)(sub + 1) << (k - 2));
	return (65u + (k - 10u) * 4u + sub);
}

static uint64_t
tag_of(const void *p)
{
	return ((uint64_t)(uintptr_t)p ^ fm.seed);
}

/* Ours: the header, or NULL for a block inherited from the executor. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_ASAN	__attribute__((no_sanitize_address))
#endif
#endif
#if !defined(NO_ASAN) && defined(__SANITIZE_ADDRESS__)
#define NO_ASAN	__attribute__((no_sanitize_address))
#endif
#ifndef NO_ASAN
#define NO_ASAN
#endif
NO_ASAN static struct hdr *
mine(const void *p)
{
	struct hdr *h;

	if (fm.seed == 0 || p == NULL)
		return (NULL);
	h = (struct hdr *)(uintptr_t)p - 1;
	return (h->tag == tag_of(p) ? h : NULL);
}

static void *
large_alloc(size_t n)
{
	size_t len;
	struct hdr *h;
	char *m;

	if (n > SIZE_MAX - HDR - HUGE)
		return (NULL);
	len = (n + HDR + fm.page - 1) & ~(fm.page - 1);
	if (len >= HUGE)
		m = map_huge(len);
	else {
		m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			m = NULL;
	}
	if (m == NULL)
		return (NULL);
	h = (struct hdr *)(void *)m;
	h->size = len | LARGE;
	h->tag = tag_of(h + 1);
	return (h + 1);
}

static void *
fm_alloc(size_t n)
{
	struct hdr *h;
	size_t cap;
	unsigned c;
	void *p;

	if (n == 0)
		n = 1;
	if (n > SMALL_MAX)
		return (large_alloc(n));
	c = size_class(n, &cap);
	if ((p = fm.free[c]) != NULL) {
		fm.free[c] = *(void **)p;
		return (p);
	}
	if ((size_t)(fm.end - fm.cur) < cap + HDR) {
		/* The rest of the chunk is left unused. */
		if ((fm.cur = map_huge(HUGE)) == NULL) {
			fm.end = NULL;
			return (NULL);
		}
		fm.end = fm.cur + HUGE;
	}
	h = (struct hdr *)(void *)fm.cur;
	fm.cur += cap + HDR;
	h->size = cap;
	h->tag = tag_of(h + 1);
	return (h + 1);
}

static void
fm_release(struct hdr *h)
{
	size_t cap;
	unsigned c;

	if (h->size & LARGE) {
		(void)munmap(h, (size_t)(h->size & ~(uint64_t)LARGE));
		return;
	}
	c = size_class((size_t)h->size, &cap);
	*(void **)(h + 1) = fm.free[c];
	fm.free[c] = h + 1;
}

static void *
fm_malloc(void *ctx, size_t n)
{
	(void)ctx;
	return (fm_alloc(n));
}

static void *
fm_calloc(void *ctx, size_t nelem, size_t elsize)
{
	size_t n;
	void *p;

	(void)ctx;
	if (elsize != 0 && nelem > SIZE_MAX / elsize)
		return (NULL);
	n = nelem * elsize;
	/* A mapping of its own is zero already; leave its pages alone. */
	if ((p = fm_alloc(n)) != NULL && n <= SMALL_MAX)
		memset(p, 0, n);
	return (p);
}

static void *
fm_realloc(void *ctx, void *p, size_t n)
{
	const PyMemAllocatorEx *prev = ctx;
	struct hdr *h;
	size_t old, len;
	void *q;

	if (p == NULL)
		return (fm_alloc(n));
	if ((h = mine(p)) == NULL)
		return (prev->realloc(prev->ctx, p, n));
	if (n == 0)
		n = 1;
	if (h->size & LARGE) {
		old = (size_t)(h->size & ~(uint64_t)LARGE);
		if (n > SMALL_MAX && n <= SIZE_MAX - HDR - HUGE) {
			len = (n + HDR + fm.page - 1) & ~(fm.page - 1);
			q = mremap(h, old, len, MREMAP_MAYMOVE);
			if (q == MAP_FAILED)
				return (NULL);
			h = q;
			h->size = len | LARGE;
			h->tag = tag_of(h + 1);
			return (h + 1);
		}
		old -= HDR;
	} else {
		old = (size_t)h->size;
		if (n <= old && n > old / 4)
			return (p);
	}
	if ((q = fm_alloc(n)) == NULL)
		return (NULL);
	memcpy(q, p, n < old ? n : old);
	fm_release(h);
	return (q);
}

static void
fm_free(void *ctx, void *p)
{
	struct hdr *h;

	(void)ctx;
	/* An inherited block stays as it is: writing to it would copy
	 * its page, and the child ends soon. */
	if ((h = mine(p)) != NULL)
		fm_release(h);
}

void
forkmem_child(uint64_t seed)
{
	static const PyMemAllocatorDomain dom[2] = {
		PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ
	};
	PyMemAllocatorEx a;
	long pg;
	int i;

	memset(&fm, 0, sizeof(fm));
	/* Never 0: mine() reads 0 as "not installed". */
	fm.seed = seed | 1;
	pg = sysconf(_SC_PAGESIZE);
	fm.page = pg > 0 ? (size_t)pg : 4096;
	for (i = 0; i < 2; i++) {
		PyMem_GetAllocator(dom[i], &fm.prev[i]);
		a.ctx = &fm.prev[i];
		a.malloc = fm_malloc;
		a.calloc = fm_calloc;
		a.realloc = fm_realloc;
		a.free = fm_free;
		PyMem_SetAllocator(dom[i], &a);
	}
}

int
forkmem_owns(const void *p)
{
	return (mine(p) != NULL);
}
