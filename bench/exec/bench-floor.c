/*
 * bench-floor: what running the bench's programs costs with nothing of
 * qeval's around them, to put the executor's time in proportion.  See
 * bench/exec/README.
 *
 *   bench-floor PROGRAMS.jsonl fork [WORKERS]
 *	The executor's model at its barest: one warm interpreter (the
 *	executor's pre-imports, gc.freeze()) forks one child per program,
 *	WORKERS at a time (default: cores); the child runs
 *	exec(compile(program), {}) and exits 0 if it raised nothing.  No
 *	sandbox, no pipes, no limits, no verdict transport, no output
 *	capture, none of the executor's memory layout.
 *
 *   bench-floor PROGRAMS.jsonl inproc
 *	Every program in this one process, one after another, each with
 *	fresh globals: the programs' own CPU time, with no process at all.
 *	Trusted input only (the bench's own programs): nothing isolates
 *	them from each other.
 *
 * Prints "passed N", "cpu S" (this process and its children) and
 * "wall S".  Exit status 0 when every program was run.
 */
#define PY_SSIZE_T_CLEAN
#include "config.h"
#include <Python.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "exec.h"
#include "fileio.h"
#include "xalloc.h"

static const char boot_py[] =
"import gc\n"
"for _m in '" EXEC_PREIMPORTS "'.split():\n"
"    try:\n"
"        __import__(_m)\n"
"    except Exception:\n"
"        pass\n"
"def run(src):\n"
"    try:\n"
"        exec(compile(src, '<candidate>', 'exec'), {})\n"
"    except BaseException:\n"
"        return 1\n"
"    return 0\n";

static double
cpu_all(void)
{
	struct rusage a, b;

	getrusage(RUSAGE_SELF, &a);
	getrusage(RUSAGE_CHILDREN, &b);
	return ((double)(a.ru_utime.tv_sec + a.ru_stime.tv_sec +
	    b.ru_utime.tv_sec + b.ru_stime.tv_sec) +
	    (double)(a.ru_utime.tv_usec + a.ru_stime.tv_usec +
	    b.ru_utime.tv_usec + b.ru_stime.tv_usec) / 1e6);
}

/* The programs, as Python str objects. */
static PyObject **
load(const char *path, size_t *np)
{
	PyObject **v = NULL;
	size_t n = 0, a = 0, line = 0, len;
	char *buf, *p, *nl;

	if ((buf = fileio_read(path, &len)) == NULL) {
		fprintf(stderr, "bench-floor: %s: %s\n", path,
		    strerror(errno));
		exit(2);
	}
	for (p = buf; p < buf + len; p = nl + 1) {
		cJSON *j, *t;

		line++;
		nl = memchr(p, '\n', (size_t)(buf + len - p));
		if (nl == NULL)
			nl = buf + len;
		*nl = '\0';
		if (*p == '\0')
			continue;
		j = cJSON_Parse(p);
		t = cJSON_GetObjectItemCaseSensitive(j, "program");
		if (!cJSON_IsString(t)) {
			fprintf(stderr, "bench-floor: %s:%zu: no \"program\" "
			    "string\n", path, line);
			exit(2);
		}
		v = xgrow(v, n + 1, sizeof(*v), &a);
		v[n] = PyUnicode_FromString(t->valuestring);
		if (v[n] == NULL) {
			fprintf(stderr, "bench-floor: %s:%zu: not UTF-8\n",
			    path, line);
			exit(2);
		}
		n++;
		cJSON_Delete(j);
	}
	free(buf);
	*np = n;
	return (v);
}

static int
call_run(PyObject *run, PyObject *src)
{
	PyObject *r = PyObject_CallOneArg(run, src);
	long v = r != NULL ? PyLong_AsLong(r) : 1;

	Py_XDECREF(r);
	PyErr_Clear();
	return ((int)v);
}

int
main(int argc, char **argv)
{
	PyObject *mod, *d, *r, *run, **progs;
	size_t n, i, next = 0, done = 0, passed = 0;
	int fork_mode, workers, running = 0;
	double c0, t0;

	if (argc < 3 || (strcmp(argv[2], "fork") != 0 &&
	    strcmp(argv[2], "inproc") != 0)) {
		fprintf(stderr, "usage: bench-floor PROGRAMS.jsonl "
		    "fork|inproc [WORKERS]\n");
		return (2);
	}
	fork_mode = strcmp(argv[2], "fork") == 0;
	workers = argc > 3 ? (int)strtol(argv[3], NULL, 10) :
	    (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (workers < 1)
		workers = 1;
	Py_InitializeEx(0);
	mod = PyImport_AddModule("_qeval_floor");
	d = PyModule_GetDict(mod);
	(void)PyDict_SetItemString(d, "__builtins__", PyEval_GetBuiltins());
	r = PyRun_String(boot_py, Py_file_input, d, d);
	if (r == NULL) {
		PyErr_Print();
		return (1);
	}
	Py_DECREF(r);
	run = PyDict_GetItemString(d, "run");
	progs = load(argv[1], &n);
	PyGC_Collect();
	r = PyRun_String("gc.freeze()", Py_single_input, d, d);
	Py_XDECREF(r);

	c0 = cpu_all();
	t0 = clock_now();
	if (!fork_mode) {
		for (i = 0; i < n; i++)
			passed += call_run(run, progs[i]) == 0;
		done = n;
	}
	while (fork_mode && done < n) {
		int st;
		pid_t pid;

		while (running < workers && next < n) {
			pid = fork();
			if (pid < 0) {
				perror("bench-floor: fork");
				return (1);
			}
			if (pid == 0) {
				alarm(30);
				_exit(call_run(run, progs[next]));
			}
			running++;
			next++;
		}
		pid = wait(&st);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			perror("bench-floor: wait");
			return (1);
		}
		running--;
		done++;
		passed += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	printf("bench-floor (%s%s): %zu programs\n", argv[2],
	    fork_mode ? ", no sandbox" : ", one process", n);
	printf("passed %zu\n", passed);
	printf("cpu %.3f\n", cpu_all() - c0);
	printf("wall %.3f\n", clock_now() - t0);
	return (0);
}
