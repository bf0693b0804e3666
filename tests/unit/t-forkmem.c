/*
 * forkmem (src/forkmem.c) in this process: libpython's text moved into
 * huge pages and run from there, then the child allocator installed
 * under a live interpreter, with blocks this process allocated before
 * standing in for the ones a child inherits from the executor.
 */
#define PY_SSIZE_T_CLEAN
#include "config.h"
#include <Python.h>

#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "forkmem.h"
#include "tap.h"

#define MIB		((size_t)1 << 20)
#define HUGE_2M		(2 * MIB)

static char *
slurp(const char *path)
{
	size_t len;

	return (tap_slurp(path, &len));
}

/*
 * /proc/self/maps without its anonymous lines: what a move of file
 * mappings would change (ASan maps and unmaps anonymous memory of its
 * own between two reads).
 */
static char *
file_maps(void)
{
	char *t = slurp("/proc/self/maps"), *line, *save = NULL, *out;
	size_t n = 0;

	if (t == NULL || (out = malloc(strlen(t) + 1)) == NULL) {
		free(t);
		return (NULL);
	}
	for (line = strtok_r(t, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strchr(line, '/') != NULL)
			n += (size_t)sprintf(out + n, "%s\n", line);
	out[n] = '\0';
	free(t);
	return (out);
}

/* KiB of huge pages in anonymous, non-writable mappings. */
static long
huge_anon_ro(void)
{
	char *t = slurp("/proc/self/smaps"), *line, *save = NULL;
	long n = 0;
	int cand = 0;

	if (t == NULL)
		return (-1);
	for (line = strtok_r(t, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		unsigned long lo, hi;
		char perm[5], path[256] = "";
		long kb;

		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %255s", &lo, &hi,
		    perm, path) >= 3)
			cand = perm[1] != 'w' && path[0] == '\0';
		else if (cand && sscanf(line, "AnonHugePages: %ld", &kb) == 1)
			n += kb;
	}
	free(t);
	return (n);
}

/* The permissions and range of the mapping holding addr, or "". */
static void
perms_at(const void *addr, char out[5], uintptr_t *lop, uintptr_t *hip)
{
	char *t = slurp("/proc/self/maps"), *line, *save = NULL;

	out[0] = '\0';
	*lop = *hip = 0;
	if (t == NULL)
		return;
	for (line = strtok_r(t, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		unsigned long lo, hi;
		char perm[5];

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perm) == 3 &&
		    (uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
			memcpy(out, perm, 5);
			*lop = lo;
			*hip = hi;
			break;
		}
	}
	free(t);
}

/*
 * The bytes of the 2 MiB window around addr that its mapping covers:
 * they must be the same after the window moved.
 */
static unsigned char *
window_copy(const void *addr, uintptr_t *lop, size_t *lenp)
{
	uintptr_t w = (uintptr_t)addr & ~(uintptr_t)(HUGE_2M - 1);
	uintptr_t lo, hi;
	unsigned char *c;
	char perm[5];

	perms_at(addr, perm, &lo, &hi);
	if (lo < w)
		lo = w;
	if (hi > w + HUGE_2M)
		hi = w + HUGE_2M;
	*lop = lo;
	*lenp = hi > lo ? hi - lo : 0;
	if (*lenp == 0 || (c = malloc(*lenp)) == NULL)
		return (NULL);
	memcpy(c, (const void *)lo, *lenp);
	return (c);
}

static void
hugetext_tests(void)
{
	char *before, *after, perm[5];
	unsigned char *snap;
	const void *py = (const void *)(uintptr_t)Py_Initialize;
	uintptr_t at, lo, hi;
	size_t len;
	long kb;
	int n;

	/* libc's read-only mappings hold no whole 2 MiB window. */
	before = file_maps();
	n = forkmem_hugetext((const void *)(uintptr_t)strlen);
	after = file_maps();
	if (n == 0)
		ok(before != NULL && after != NULL &&
		    strcmp(before, after) == 0,
		    "an object with nothing to move is left as it was");
	else
		tap_skip("libc has a whole 2 MiB read-only window here (%d)",
		    n);
	free(before);
	free(after);

	/* The 2 MiB around Py_Initialize: the copy is taken before the
	 * move, compared after it (only where the window moved). */
	snap = window_copy(py, &at, &len);
	before = file_maps();
	n = forkmem_hugetext(py);
	after = file_maps();
	if (n == 0) {
		tap_skip("no window of libpython moved here (THP off, a "
		    "kernel before 6.1, or no whole window)");
		ok(before != NULL && after != NULL &&
		    strcmp(before, after) == 0,
		    "nothing moved, nothing changed");
	} else {
		ok(n >= 1, "%d windows of libpython moved", n);
		kb = huge_anon_ro();
		ok(kb >= 2048L * n, "they are anonymous huge pages, not "
		    "writable (%ld KiB)", kb);
		perms_at(py, perm, &lo, &hi);
		is_str(perm, "r-xp", "Py_Initialize is still executable");
		ok(snap != NULL && memcmp(snap, (const void *)at, len) == 0,
		    "the %zu bytes around it are as they were", len);
		/* Only libpython's windows moved: the count again is 0. */
		is_int(forkmem_hugetext(py), 0, "a second call moves "
		    "nothing more");
	}
	free(snap);
	free(before);
	free(after);
}

/* Mappings of the object at path that are PROT_NONE ("---p"). */
static int
gaps_of(const char *path)
{
	char *t = slurp("/proc/self/maps"), *line, *save = NULL;
	int n = 0;

	if (t == NULL)
		return (-1);
	for (line = strtok_r(t, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strstr(line, " ---p ") != NULL && strstr(line, path))
			n++;
	free(t);
	return (n);
}

/*
 * tests/loader/bigro.so: segments on 2 MiB boundaries, so whole windows
 * of read-only data, and PROT_NONE gaps between segments that a window
 * must never include (copying one would fault).
 */
static void
gap_test(void)
{
	const char *dir = getenv("QEVAL_TEST_DIR");
	char path[PATH_MAX];
	const unsigned char *data;
	unsigned char *snap;
	int (*fn)(unsigned);
	size_t len = (4u << 20) + (64u << 10);
	void *h;
	int n, gaps;

	if (dir == NULL) {
		tap_skip("QEVAL_TEST_DIR is not set (run through make check)");
		return;
	}
	snprintf(path, sizeof(path), "%s/bigro.so", dir);
	if ((h = dlopen(path, RTLD_NOW)) == NULL) {
		ok(0, "dlopen %s: %s", path, dlerror());
		return;
	}
	*(void **)&fn = dlsym(h, "bigro_fn");
	data = dlsym(h, "bigro_data");
	if (fn == NULL || data == NULL || (snap = malloc(len)) == NULL) {
		ok(0, "bigro.so's symbols");
		return;
	}
	memcpy(snap, data, len);
	gaps = gaps_of("bigro.so");
	n = forkmem_hugetext((const void *)(uintptr_t)fn);
	if (n == 0)
		tap_skip("nothing of bigro.so moved here (THP off or a kernel "
		    "before 6.1)");
	else
		ok(n >= 1, "bigro.so: %d whole read-only windows moved", n);
	ok(gaps > 0 && gaps_of("bigro.so") == gaps, "its %d PROT_NONE gaps "
	    "were left where they were", gaps);
	ok(memcmp(snap, data, len) == 0 && fn(2) == 3, "its data reads the "
	    "same and its code runs");
	free(snap);
}

static int
pattern_ok(const unsigned char *p, size_t len, unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed + i * 7))
			return (0);
	return (1);
}

static void
pattern(unsigned char *p, size_t len, unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

/* Random sizes, patterns, frees and reallocs; then every byte checked. */
static int
stress(void)
{
	enum { N = 20000 };
	static unsigned char *p[N];
	static size_t len[N];
	unsigned r = 12345;
	size_t i, round;

	for (round = 0; round < 4; round++)
		for (i = 0; i < N; i++) {
			r = r * 1103515245u + 12345u;
			if (p[i] != NULL && (r >> 16) % 3 == 0) {
				PyObject_Free(p[i]);
				p[i] = NULL;
				continue;
			}
			if (p[i] != NULL) {
				if (!pattern_ok(p[i], len[i], (unsigned)i))
					return (0);
			}
			len[i] = (r >> 8) % 5 == 0 ? (r >> 4) % 70000 :
			    (r >> 8) % 600;
			p[i] = p[i] == NULL ? PyObject_Malloc(len[i]) :
			    PyObject_Realloc(p[i], len[i]);
			if (p[i] == NULL)
				return (0);
			pattern(p[i], len[i], (unsigned)i);
		}
	for (i = 0; i < N; i++) {
		if (p[i] != NULL && (!pattern_ok(p[i], len[i], (unsigned)i) ||
		    !forkmem_owns(p[i])))
			return (0);
		PyObject_Free(p[i]);
	}
	return (1);
}

static void
allocator_tests(void)
{
	unsigned char *inh, *inh_big, *p, *q, *r;
	size_t sizes[] = { 10, 100, 1000, 5000, 300000, 5 * MIB, 50 };
	size_t i, prev;
	int good;

	/* Blocks from before, as a child inherits them. */
	inh = PyMem_Malloc(100);
	inh_big = PyMem_Malloc(10000);
	if (inh == NULL || inh_big == NULL) {
		ok(0, "allocations before the hook");
		return;
	}
	pattern(inh, 100, 1);
	pattern(inh_big, 10000, 2);
	ok(!forkmem_owns(inh), "nothing is the child allocator's before it "
	    "is installed");

	forkmem_child(0x5eed5eed12345678ull);
	p = PyObject_Malloc(24);
	ok(p != NULL && forkmem_owns(p), "a new block is the child "
	    "allocator's");
	ok(p != NULL && (uintptr_t)p % 16 == 0, "16-byte aligned");
	ok(p != NULL && ((uintptr_t)p - 16) % HUGE_2M == 0,
	    "the first block opens a chunk on a 2 MiB boundary");
	ok(!forkmem_owns(inh) && !forkmem_owns(inh_big),
	    "inherited blocks are told apart");
	PyMem_Free(inh);
	ok(pattern_ok(inh, 100, 1), "free() leaves an inherited block's "
	    "bytes untouched");
	q = PyMem_Realloc(inh_big, 20000);
	ok(q != NULL && pattern_ok(q, 10000, 2) && !forkmem_owns(q),
	    "realloc() of an inherited block keeps its bytes, through the "
	    "allocator that made it");
	PyMem_Free(q);

	/* A freed block is the next one of its class. */
	q = PyObject_Malloc(48);
	PyObject_Free(q);
	r = PyObject_Malloc(40);
	ok(q != NULL && r == q, "a freed block is reused for its size "
	    "class");
	memset(r, 0xab, 48);
	PyObject_Free(r);
	q = PyObject_Calloc(3, 16);
	for (i = 0, good = q == r; good && i < 48; i++)
		good = q[i] == 0;
	ok(good, "calloc() zeroes a reused block");
	PyObject_Free(q);
	ok(PyObject_Calloc(SIZE_MAX / 2, 4) == NULL, "calloc() refuses an "
	    "overflowing size");

	/* Grown from small to mapped and back, bytes kept. */
	p = PyMem_Malloc(sizes[0]);
	good = p != NULL;
	if (good)
		pattern(p, sizes[0], 9);
	for (i = 1, prev = sizes[0]; good && i < sizeof(sizes) /
	    sizeof(sizes[0]); i++) {
		size_t keep = prev < sizes[i] ? prev : sizes[i];

		p = PyMem_Realloc(p, sizes[i]);
		good = p != NULL && forkmem_owns(p) && pattern_ok(p, keep, 9);
		if (good)
			pattern(p, sizes[i], 9);
		prev = sizes[i];
	}
	ok(good, "realloc() through 10 B .. 5 MiB and back keeps the "
	    "bytes (step %zu)", i);
	PyMem_Free(p);
	p = PyMem_Malloc(3 * MIB);
	ok(p != NULL && ((uintptr_t)p - 16) % HUGE_2M == 0 &&
	    forkmem_owns(p), "a 3 MiB block is a mapping of its own on a "
	    "2 MiB boundary");
	PyMem_Free(p);
	ok(PyMem_Malloc(0) != NULL, "malloc(0) is a block");
	ok(stress(), "20000 blocks of random sizes, freed and reallocated: "
	    "every byte as written");
	ok(PyRun_SimpleString(
	    "import json, random\n"
	    "d = {str(i): [i] * (i % 7) for i in range(100000)}\n"
	    "s = json.dumps(d)\n"
	    "assert json.loads(s) == d\n"
	    "v = sorted(random.random() for _ in range(100000))\n"
	    "assert all(a <= b for a, b in zip(v, v[1:]))\n"
	    "t = ''.join(chr(65 + i % 26) for i in range(1 << 20))\n"
	    "assert t.count('A') == (1 << 20) // 26 + 1\n"
	    "del d, s, v, t\n") == 0,
	    "Python builds, checks and frees 100000 dicts' worth");
}

/* In a child with a small address space: MemoryError, no crash.  (Not
 * under ASan, whose shadow memory needs more address space.) */
#if !defined(__SANITIZE_ADDRESS__)
static void
limit_test(void)
{
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct rlimit rl = { 0, 0 };
		FILE *f = fopen("/proc/self/statm", "r");
		unsigned long pages = 0;

		if (f != NULL) {
			if (fscanf(f, "%lu", &pages) != 1)
				pages = 0;
			fclose(f);
		}
		rl.rlim_cur = rl.rlim_max = pages * 4096 + 256 * MIB;
		if (pages == 0 || setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(3);
		if (PyMem_Malloc(1024 * MIB) != NULL)
			_exit(4);
		_exit(PyRun_SimpleString(
		    "try:\n"
		    "    x = bytearray(1 << 30)\n"
		    "except MemoryError:\n"
		    "    pass\n"
		    "else:\n"
		    "    raise SystemExit(5)\n"
		    "y = [0] * 1000\n") == 0 ? 0 : 6);
	}
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "past the address-space limit: NULL and "
	    "MemoryError, then on as before (status %d)",
	    pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}
#endif

int
main(void)
{
	int n;

	hugetext_tests();
	gap_test();
	Py_Initialize();
	ok(PyRun_SimpleString("import math\nassert math.gcd(12, 18) == 6\n")
	    == 0, "the interpreter runs (from the moved text, where it "
	    "moved)");
	allocator_tests();
#if defined(__SANITIZE_ADDRESS__)
	tap_skip("the address-space limit: not under ASan");
#else
	limit_test();
#endif
	/* Out without finalizing: blocks of the hooked interpreter live in
	 * the allocator's own mappings, which LeakSanitizer does not scan,
	 * so everything they point to would read as leaked. */
	n = tap_done();
	fflush(stdout);
	_exit(n);
}
