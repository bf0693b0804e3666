#include "config.h"
#include "plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "xalloc.h"

#ifndef QEVAL_PLUGINDIR
#define QEVAL_PLUGINDIR "/usr/local/lib/qeval"
#endif

/* How long one plugin may take to load in the probe. */
#define PROBE_TIMEOUT_MS	20000

/* "dir/gsm8k.so" -> "gsm8k" (malloc'd). */
static char *
base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	const char *dot;

	b = b != NULL ? b + 1 : path;
	dot = strrchr(b, '.');
	return (dot != NULL && dot != b ? xstrndup(b, (size_t)(dot - b)) :
	    xstrdup(b));
}

const char *
plugin_option_type_name(int type)
{
	switch (type) {
	case QEVAL_OPT_BOOL:	return ("bool");
	case QEVAL_OPT_INT:	return ("int");
	case QEVAL_OPT_DOUBLE:	return ("double");
	case QEVAL_OPT_STRING:	return ("string");
	case QEVAL_OPT_ENUM:	return ("enum");
	default:		return ("?");
	}
}

/* 1 if `name` is one of the comma- or bar-separated words of list. */
static int
in_list(const char *list, const char *name, char sep)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *e = strchr(p, sep);
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);

		if (len == n && strncmp(p, name, n) == 0)
			return (1);
		p = e != NULL ? e + 1 : NULL;
	}
	return (0);
}

int
plugin_option_applies(const struct qeval_option *o, const char *task_name)
{
	return (o->tasks == NULL || in_list(o->tasks, task_name, ','));
}

int
plugin_option_check(const struct qeval_option *o, const char *v,
    struct strbuf *why)
{
	char *end;

	switch (o->type) {
	case QEVAL_OPT_BOOL:
		if (strcmp(v, "0") == 0 || strcmp(v, "1") == 0 ||
		    strcmp(v, "true") == 0 || strcmp(v, "false") == 0 ||
		    strcmp(v, "yes") == 0 || strcmp(v, "no") == 0)
			return (0);
		strbuf_adds(why, "0 or 1 (true/false, yes/no)");
		return (-1);
	case QEVAL_OPT_INT:
		errno = 0;
		(void)strtol(v, &end, 10);
		if (*v != '\0' && *end == '\0' && errno == 0)
			return (0);
		strbuf_adds(why, "an integer");
		return (-1);
	case QEVAL_OPT_DOUBLE: {
		double d;

		errno = 0;
		d = strtod(v, &end);
		if (*v != '\0' && *end == '\0' && errno == 0 && isfinite(d))
			return (0);
		strbuf_adds(why, "a number");
		return (-1);
	}
	case QEVAL_OPT_STRING:
		return (0);
	case QEVAL_OPT_ENUM:
		if (o->choices != NULL && in_list(o->choices, v, '|'))
			return (0);
		strbuf_addf(why, "one of %s", o->choices ? o->choices : "?");
		return (-1);
	default:
		strbuf_adds(why, "a value of a known type");
		return (-1);
	}
}

const struct qeval_option *
plugin_options(const struct plugin *p, int *declared)
{
	const struct qeval_plugin *d = p->desc;

	*declared = 0;
	if (d == NULL || d->abi_minor < 1 ||
	    !QEVAL_HAS_FIELD(d, struct qeval_plugin, options))
		return (NULL);
	*declared = 1;
	return (d->options);
}

/* Checks a 1.1 plugin's options table; 0 or -1 with err set. */
static int
check_options(const struct plugin *p, const char *path, struct strbuf *err)
{
	const struct qeval_option *o, *opts;
	struct strbuf why = STRBUF_INIT;
	int declared;

	opts = plugin_options(p, &declared);
	for (o = opts; o != NULL && o->name != NULL; o++) {
		const char *bad = NULL;

		if (*o->name == '\0' || strchr(o->name, '=') != NULL)
			bad = "its name is empty or has '='";
		else if (o->type < QEVAL_OPT_BOOL || o->type > QEVAL_OPT_ENUM)
			bad = "its type is not an enum qeval_opt_type";
		else if (o->help == NULL)
			bad = "it has no help line";
		else if (o->type == QEVAL_OPT_ENUM && (o->choices == NULL ||
		    *o->choices == '\0'))
			bad = "an enum needs its choices (\"a|b\")";
		else if (o->def != NULL && plugin_option_check(o, o->def,
		    &why) != 0)
			bad = "its default does not suit its type";
		if (bad == NULL && o->tasks != NULL) {
			const char *t = o->tasks;

			while (*t != '\0') {
				const char *e = strchr(t, ',');
				size_t len = e ? (size_t)(e - t) : strlen(t);
				const struct qeval_task *k;
				int found = 0;

				for (k = p->desc->tasks; k->name; k++)
					if (strlen(k->name) == len &&
					    strncmp(k->name, t, len) == 0)
						found = 1;
				if (!found) {
					bad = "it names a task the plugin does "
					    "not provide";
					break;
				}
				t = e ? e + 1 : t + len;
			}
		}
		if (bad != NULL) {
			strbuf_addf(err, "plugin '%s': option '%s' is "
			    "malformed: %s", path, o->name, bad);
			strbuf_release(&why);
			return (-1);
		}
	}
	strbuf_release(&why);
	return (0);
}

/*
 * The layouts plugins of ABI 1.0 and 1.1 were built with, frozen: each
 * struct up to its last 1.1 member, padded to pointer alignment (every
 * one of them holds a pointer).  A plugin of 1.2 or later says its own
 * element sizes (struct qeval_plugin.task_size …).
 */
#define PAD_PTR(n)	(((n) + _Alignof(void *) - 1) /		\
			    _Alignof(void *) * _Alignof(void *))
#define END_OF(type, f)	(offsetof(type, f) + sizeof(((type *)0)->f))
#define TASK_SIZE_11	PAD_PTR(END_OF(struct qeval_task, flags))
#define METRIC_SIZE_11	PAD_PTR(END_OF(struct qeval_metric_desc, flags))
#define OPTION_SIZE_11	PAD_PTR(END_OF(struct qeval_option, tasks))
/* Larger element sizes than this are garbage, not a later header. */
#define ELEM_SIZE_MAX	4096
#define EXCHANGE_SIZE_11 (offsetof(struct qeval_exchange, resp) +	\
			    PAD_PTR(END_OF(struct qeval_response,	\
			    completion_tokens)))

/*
 * next(), score() and gold() of every plugin get the exchanges as one
 * contiguous array in the 1.1 layout.  While struct qeval_exchange is
 * that layout the core's own array is passed; once a header appends to
 * it, plugin_next() and the others must pass a copy in the 1.1 layout
 * (the 1.2 callbacks, taking pointers, are unaffected).
 */
_Static_assert(sizeof(struct qeval_exchange) == EXCHANGE_SIZE_11,
    "struct qeval_exchange grew: hand old callbacks a 1.1-layout copy");
_Static_assert(sizeof(struct qeval_task) >= TASK_SIZE_11 &&
    sizeof(struct qeval_metric_desc) >= METRIC_SIZE_11 &&
    sizeof(struct qeval_option) >= OPTION_SIZE_11, "frozen sizes");

/*
 * What the core reads of a loaded plugin: a copy of its descriptor in
 * this core's layout, whose tasks, metrics and options are copies too,
 * read with the plugin's element sizes.  p->desc points at `desc`.
 */
struct plugin_abi {
	struct qeval_plugin	 desc;
	const struct qeval_plugin *orig;	/* the plugin's own */
	size_t			 task_size;	/* the plugin's strides */
	struct qeval_task	*tasks;		/* NULL-name terminated */
	size_t			 n_tasks;
	struct qeval_metric_desc *metrics;	/* each task's list, each
						 * NULL-name terminated */
	struct qeval_option	*options;	/* NULL if none */
};

static void
abi_free(struct plugin_abi *a)
{
	if (a == NULL)
		return;
	free(a->tasks);
	free(a->metrics);
	free(a->options);
	free(a);
}

/* The end of the descriptor a plugin of ABI 1.minor must have. */
static size_t
desc_needs(uint32_t minor)
{
	if (minor == 0)
		return (END_OF(struct qeval_plugin, close));
	if (minor == 1)
		return (END_OF(struct qeval_plugin, options));
	return (END_OF(struct qeval_plugin, gold2));
}

/*
 * Copies d into the core's layout (see struct plugin_abi).  0, or -1
 * with err set when a task's metrics or files are missing.
 */
static int
normalise(const struct qeval_plugin *d, const char *path,
    struct plugin_abi **ap, struct strbuf *err)
{
	struct plugin_abi *a = xcalloc(1, sizeof(*a));
	size_t ts = TASK_SIZE_11, ms = METRIC_SIZE_11, os = OPTION_SIZE_11;
	size_t i, k, nmet = 0, nopt = 0, mi = 0;
	size_t dsz = d->struct_size < sizeof(a->desc) ? d->struct_size :
	    sizeof(a->desc);
	const char *base;

	*ap = a;
	a->orig = d;
	memcpy(&a->desc, d, dsz);
	if (d->abi_minor < 1)
		a->desc.options = NULL;
	if (d->abi_minor < 2) {
		a->desc.next2 = NULL;
		a->desc.score2 = NULL;
		a->desc.gold2 = NULL;
	} else {
		ts = d->task_size;
		ms = d->metric_size;
		os = d->option_size;
	}
	a->task_size = ts;
	a->desc.struct_size = sizeof(a->desc);
	a->desc.task_size = sizeof(struct qeval_task);
	a->desc.metric_size = sizeof(struct qeval_metric_desc);
	a->desc.option_size = sizeof(struct qeval_option);
#define ELEM(arr, sz, i)	\
	((const void *)((const char *)(arr) + (i) * (sz)))
#define COPY(dst, arr, sz, i)	memcpy((dst), ELEM(arr, sz, i),		\
			    (sz) < sizeof(*(dst)) ? (sz) : sizeof(*(dst)))
	/* pass 1: count tasks and metrics; no struct is read past its
	 * plugin's size */
	for (i = 0;; i++) {
		struct qeval_task t;
		struct qeval_metric_desc m;

		memset(&t, 0, sizeof(t));
		COPY(&t, d->tasks, ts, i);
		if (t.name == NULL)
			break;
		for (k = 0; t.metrics != NULL && k <= QEVAL_MAX_METRICS;
		    k++) {
			memset(&m, 0, sizeof(m));
			COPY(&m, t.metrics, ms, k);
			if (m.name == NULL)
				break;
		}
		if (t.metrics == NULL || k == 0 || k > QEVAL_MAX_METRICS ||
		    t.files == NULL) {
			strbuf_addf(err, "plugin '%s': task '%s' must declare "
			    "1 to %d metrics and its dataset files", path,
			    t.name, QEVAL_MAX_METRICS);
			return (-1);
		}
		nmet += k + 1;
	}
	a->n_tasks = i;
	a->tasks = xcalloc(a->n_tasks + 1, sizeof(*a->tasks));
	a->metrics = xcalloc(nmet + 1, sizeof(*a->metrics));
	for (i = 0; i < a->n_tasks; i++) {
		struct qeval_task *t = &a->tasks[i];

		COPY(t, d->tasks, ts, i);
		base = (const char *)t->metrics;
		t->metrics = &a->metrics[mi];
		for (k = 0;; k++) {
			COPY(&a->metrics[mi], base, ms, k);
			if (a->metrics[mi++].name == NULL)
				break;
		}
	}
	a->desc.tasks = a->tasks;
	if (a->desc.options == NULL)
		return (0);
	for (nopt = 0;; nopt++) {
		struct qeval_option o;

		memset(&o, 0, sizeof(o));
		COPY(&o, d->options, os, nopt);
		if (o.name == NULL)
			break;
	}
	a->options = xcalloc(nopt + 1, sizeof(*a->options));
	for (i = 0; i < nopt; i++)
		COPY(&a->options[i], d->options, os, i);
	a->desc.options = a->options;
#undef COPY
#undef ELEM
	return (0);
}

int
plugin_load(struct plugin *p, const char *path, struct strbuf *err)
{
	const struct qeval_plugin *d;
	const struct qeval_task *t;
	struct plugin_abi *a = NULL;
	char *want;
	int rc = QEVAL_EABI, has_files = 1;

	memset(p, 0, sizeof(*p));
	p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (p->dl == NULL) {
		const char *why = dlerror();

		strbuf_addf(err, "cannot load plugin '%s': %s", path,
		    why ? why : "unknown dlopen error");
		return (QEVAL_ENOENT);
	}
	d = dlsym(p->dl, QEVAL_PLUGIN_SYMBOL);
	if (d == NULL) {
		strbuf_addf(err, "'%s' is not a qeval plugin: it does not "
		    "export the symbol '%s'", path, QEVAL_PLUGIN_SYMBOL);
		goto fail;
	}
	if (d->abi_major != QEVAL_ABI_MAJOR ||
	    d->abi_minor > QEVAL_ABI_MINOR) {
		strbuf_addf(err, "plugin '%s' was built for ABI %u.%u but this "
		    "qeval provides ABI %u.%u: rebuild the plugin against "
		    "this qeval's <qeval/plugin.h>", path,
		    (unsigned)d->abi_major, (unsigned)d->abi_minor,
		    QEVAL_ABI_MAJOR, QEVAL_ABI_MINOR);
		goto fail;
	}
	if (d->struct_size < desc_needs(d->abi_minor)) {
		strbuf_addf(err, "plugin '%s' has a malformed descriptor: "
		    "struct size %u is too small for ABI 1.%u: initialise it "
		    "with QEVAL_ABI_HEADER(struct qeval_plugin)", path,
		    (unsigned)d->struct_size, (unsigned)d->abi_minor);
		goto fail;
	}
	if (d->abi_minor >= 2 && (d->task_size < TASK_SIZE_11 ||
	    d->metric_size < METRIC_SIZE_11 ||
	    d->option_size < OPTION_SIZE_11 ||
	    d->task_size > ELEM_SIZE_MAX || d->metric_size > ELEM_SIZE_MAX ||
	    d->option_size > ELEM_SIZE_MAX)) {
		strbuf_addf(err, "plugin '%s' has a malformed descriptor: "
		    "task_size %u, metric_size %u, option_size %u are not "
		    "element sizes of ABI 1.%u: initialise it with "
		    "QEVAL_ABI_HEADER(struct qeval_plugin)", path,
		    (unsigned)d->task_size, (unsigned)d->metric_size,
		    (unsigned)d->option_size, (unsigned)d->abi_minor);
		goto fail;
	}
	want = base_name(path);
	if (d->name != NULL && strcmp(want, d->name) != 0) {
		strbuf_addf(err, "plugin '%s' calls itself '%s': the file must "
		    "be named '%s.so'", path, d->name, d->name);
		free(want);
		goto fail;
	}
	free(want);
	if (d->name == NULL || d->tasks == NULL || d->open == NULL ||
	    d->close == NULL || (d->next == NULL && (d->abi_minor < 2 ||
	    d->next2 == NULL)) || (d->score == NULL && (d->abi_minor < 2 ||
	    d->score2 == NULL)) || (d->abi_minor < 2 && (d->count == NULL ||
	    d->sample_id == NULL || d->gold == NULL))) {
		strbuf_addf(err, "plugin '%s' has a malformed descriptor "
		    "(a name, tasks and open, next, score, close are "
		    "required%s)", path, d->abi_minor < 2 ? "; before ABI "
		    "1.2 count, sample_id and gold too" : "");
		goto fail;
	}
	if (normalise(d, path, &a, err) != 0)
		goto fail;
	for (t = a->tasks; t->name != NULL; t++)
		if (t->files[0] == NULL)
			has_files = 0;
	if (d->count == NULL && !has_files) {
		strbuf_addf(err, "plugin '%s' has no count() callback and a "
		    "task without data files: the number of samples is the "
		    "records of a task's first file, so give one or add "
		    "count()", path);
		goto fail;
	}
	p->abi = a;
	p->desc = &a->desc;
	if (check_options(p, path, err) != 0) {
		p->desc = NULL;
		p->abi = NULL;
		goto fail;
	}
	p->path = xstrdup(path);
	return (QEVAL_OK);
fail:
	abi_free(a);
	dlclose(p->dl);
	p->dl = NULL;
	return (rc);
}

void
plugin_unload(struct plugin *p)
{
	size_t i;

	if (p->dl != NULL)
		dlclose(p->dl);
	abi_free(p->abi);
	free(p->path);
	free(p->dir);
	free(p->name);
	for (i = 0; i < p->n_tasks; i++)
		free(p->tasks[i]);
	free(p->tasks);
	memset(p, 0, sizeof(*p));
}

static void
add_dir(struct plugin_set *s, const char *dir, size_t *alloc)
{
	if (*dir == '\0')
		return;
	s->dirs = xgrow(s->dirs, s->n_dirs + 1, sizeof(*s->dirs), alloc);
	s->dirs[s->n_dirs++] = xstrdup(dir);
}

static int
cmp_str(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

static void
refuse(struct plugin_set *s, const char *path, const char *why,
    struct strbuf *warn)
{
	s->refused = xgrow(s->refused, s->n_refused + 1, sizeof(*s->refused),
	    &s->refused_alloc);
	s->refused[s->n_refused].path = xstrdup(path);
	s->refused[s->n_refused].why = xstrdup(why);
	s->n_refused++;
	if (warn != NULL)
		strbuf_addf(warn, "%s\n", why);
}

/* A candidate file: the first <name>.so of the search path. */
struct cand {
	char	*path;
	char	*dir;
	char	*name;
	int	 state;		/* 0 untried, 1 ok, 2 refused, 3 claimed
				 * or refused by claim() */
	char	*why;
	char	**tasks;
	size_t	 n_tasks, tasks_alloc;
};

static void
collect_dir(const char *dir, struct cand **cv, size_t *n, size_t *alloc)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t nn = 0, nalloc = 0, i, k;

	if (dp == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len > 3 && strcmp(de->d_name + len - 3, ".so") == 0) {
			names = xgrow(names, nn + 1, sizeof(*names), &nalloc);
			names[nn++] = xstrdup(de->d_name);
		}
	}
	closedir(dp);
	/* Sorted, so that which plugin wins never depends on readdir. */
	if (nn > 1)
		qsort(names, nn, sizeof(*names), cmp_str);
	for (i = 0; i < nn; i++) {
		char *bn = base_name(names[i]);
		int dup = 0;
		struct strbuf path = STRBUF_INIT;

		for (k = 0; k < *n; k++)
			if (strcmp((*cv)[k].name, bn) == 0)
				dup = 1;
		if (dup) {
			free(bn);
			free(names[i]);
			continue;
		}
		strbuf_addf(&path, "%s/%s", dir, names[i]);
		*cv = xgrow(*cv, *n + 1, sizeof(**cv), alloc);
		memset(&(*cv)[*n], 0, sizeof(**cv));
		(*cv)[*n].path = strbuf_detach(&path, NULL);
		(*cv)[*n].dir = xstrdup(dir);
		(*cv)[*n].name = bn;
		(*n)++;
		free(names[i]);
	}
	free(names);
}

/* Writes all of buf to fd (the probe's pipe). */
static void
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(3);
		buf += w;
		len -= (size_t)w;
	}
}

/* Control characters (and tabs) become spaces: one record per line. */
static void
flatten(struct strbuf *sb)
{
	size_t i;

	for (i = 0; i < sb->len; i++)
		if ((unsigned char)sb->buf[i] < 0x20 || sb->buf[i] == 0x7f)
			sb->buf[i] = ' ';
}

/*
 * The probe child: loads candidates from `from` on and writes
 *   B <i>            about to load candidate i
 *   T <i> <task>     one per task
 *   K <i>            loaded
 *   E <i> <why>      refused
 *   Z                done
 * one per line, tab-separated.  Never returns.
 */
static void
probe_child(int fd, struct cand *cv, size_t n, size_t from)
{
	static const int faults[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL,
	    SIGABRT };
	struct strbuf line = STRBUF_INIT, err = STRBUF_INIT;
	size_t i;

	/* a fault kills the child by its signal, whatever handler the
	 * parent had (a sanitizer's would exit instead), so the parent
	 * can name it */
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		signal(faults[i], SIG_DFL);
	for (i = from; i < n; i++) {
		const struct qeval_task *t;
		struct plugin p;

		strbuf_reset(&line);
		strbuf_addf(&line, "B\t%zu\n", i);
		write_all(fd, line.buf, line.len);
		strbuf_reset(&err);
		strbuf_reset(&line);
		if (plugin_load(&p, cv[i].path, &err) != QEVAL_OK) {
			flatten(&err);
			strbuf_addf(&line, "E\t%zu\t%s\n", i, err.buf);
			write_all(fd, line.buf, line.len);
			continue;
		}
		for (t = p.desc->tasks; t->name != NULL; t++) {
			const char *c;
			int bad = *t->name == '\0';

			for (c = t->name; *c; c++)
				if ((unsigned char)*c <= 0x20 || *c == ',' ||
				    *c == 0x7f)
					bad = 1;
			if (bad) {
				strbuf_reset(&line);
				strbuf_addf(&line, "E\t%zu\tplugin '%s': a "
				    "task name must be a non-empty word "
				    "without spaces, commas or control "
				    "characters\n", i, cv[i].path);
				break;
			}
			strbuf_addf(&line, "T\t%zu\t%s\n", i, t->name);
		}
		if (t->name == NULL)
			strbuf_addf(&line, "K\t%zu\n", i);
		write_all(fd, line.buf, line.len);
		/* not unloaded: the child exits without running anything */
	}
	write_all(fd, "Z\n", 2);
	_exit(0);
}

static void
cand_task(struct cand *c, const char *name)
{
	c->tasks = xgrow(c->tasks, c->n_tasks + 1, sizeof(*c->tasks),
	    &c->tasks_alloc);
	c->tasks[c->n_tasks++] = xstrdup(name);
}

/* Handles one line of the probe; returns 1 on "Z". */
static int
probe_line(char *l, struct cand *cv, size_t n, size_t *cur)
{
	char *f1, *f2;
	size_t i;

	if (l[0] == 'Z')
		return (1);
	f1 = strchr(l, '\t');
	if (f1 == NULL)
		return (0);
	i = strtoul(f1 + 1, &f2, 10);
	if (i >= n)
		return (0);
	switch (l[0]) {
	case 'B':
		*cur = i;
		break;
	case 'T':
		if (*f2 == '\t')
			cand_task(&cv[i], f2 + 1);
		break;
	case 'K':
		cv[i].state = 1;
		break;
	case 'E':
		cv[i].state = 2;
		cv[i].why = xstrdup(*f2 == '\t' ? f2 + 1 : "refused");
		break;
	}
	return (0);
}

static const char *
sig_name(int sig)
{
	switch (sig) {
	case SIGSEGV:	return ("SIGSEGV");
	case SIGBUS:	return ("SIGBUS");
	case SIGFPE:	return ("SIGFPE");
	case SIGILL:	return ("SIGILL");
	case SIGABRT:	return ("SIGABRT");
	case SIGKILL:	return ("SIGKILL");
	default:	return ("a signal");
	}
}

/*
 * Loads every candidate in child processes; a child that dies or hangs
 * takes only the plugin it was loading with it.
 */
static void
probe(struct cand *cv, size_t n)
{
	size_t from = 0;

	fflush(stdout);
	fflush(stderr);
	while (from < n) {
		struct strbuf in = STRBUF_INIT;
		size_t cur = (size_t)-1, i;
		int fds[2], done = 0, hung = 0, st = 0;
		pid_t pid;

		if (pipe(fds) != 0 || (pid = fork()) < 0) {
			for (i = from; i < n; i++) {
				cv[i].state = 2;
				cv[i].why = xstrdup("cannot start the plugin "
				    "probe (pipe/fork failed)");
			}
			return;
		}
		if (pid == 0) {
			close(fds[0]);
			probe_child(fds[1], cv, n, from);
		}
		close(fds[1]);
		for (;;) {
			struct pollfd pf = { .fd = fds[0], .events = POLLIN };
			char buf[4096], *nl;
			ssize_t r;
			int pr = poll(&pf, 1, PROBE_TIMEOUT_MS);

			if (pr < 0 && errno == EINTR)
				continue;
			if (pr == 0) {
				hung = 1;
				kill(pid, SIGKILL);
				break;
			}
			r = read(fds[0], buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			strbuf_add(&in, buf, (size_t)r);
			while ((nl = memchr(in.buf, '\n', in.len)) != NULL) {
				size_t len = (size_t)(nl - in.buf) + 1;

				*nl = '\0';
				done |= probe_line(in.buf, cv, n, &cur);
				memmove(in.buf, in.buf + len, in.len - len);
				strbuf_setlen(&in, in.len - len);
			}
		}
		close(fds[0]);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		strbuf_release(&in);
		if (done)
			return;
		if (cur == (size_t)-1 || cur < from) {
			/* died before naming a file: give up on the rest */
			for (i = from; i < n; i++) {
				cv[i].state = 2;
				cv[i].why = xstrdup("the plugin probe failed");
			}
			return;
		}
		if (cv[cur].state == 0) {
			struct strbuf why = STRBUF_INIT;

			if (hung)
				strbuf_addf(&why, "plugin '%s' did not finish "
				    "loading within %d s", cv[cur].path,
				    PROBE_TIMEOUT_MS / 1000);
			else if (WIFSIGNALED(st))
				strbuf_addf(&why, "plugin '%s' crashed while "
				    "loading (%s)", cv[cur].path,
				    sig_name(WTERMSIG(st)));
			else
				strbuf_addf(&why, "plugin '%s' ended the "
				    "process while loading (exit status %d)",
				    cv[cur].path, WIFEXITED(st) ?
				    WEXITSTATUS(st) : -1);
			cv[cur].state = 2;
			cv[cur].why = strbuf_detach(&why, NULL);
			for (i = 0; i < cv[cur].n_tasks; i++)
				free(cv[cur].tasks[i]);
			cv[cur].n_tasks = 0;
		}
		from = cur + 1;
	}
}

/* The plugin of s that claimed task name t, or NULL. */
static const struct plugin *
claimed(const struct plugin_set *s, const char *t)
{
	size_t i, k;

	for (i = 0; i < s->n; i++)
		for (k = 0; k < s->v[i].n_tasks; k++)
			if (strcmp(s->v[i].tasks[k], t) == 0)
				return (&s->v[i]);
	return (NULL);
}

/* Adds an accepted candidate, or refuses it if a task name is taken. */
static void
claim(struct plugin_set *s, struct cand *c, int builtin,
    struct strbuf *warn)
{
	struct plugin *p;
	size_t k, j;

	for (k = 0; k < c->n_tasks; k++) {
		const struct plugin *o = claimed(s, c->tasks[k]);
		struct strbuf why = STRBUF_INIT;
		int twice = 0;

		for (j = 0; j < k; j++)
			if (strcmp(c->tasks[j], c->tasks[k]) == 0)
				twice = 1;
		if (o != NULL)
			strbuf_addf(&why, "plugin '%s' provides task '%s', "
			    "which '%s' already provides: rename the task "
			    "or remove one of the two files", c->path,
			    c->tasks[k], o->path);
		else if (twice)
			strbuf_addf(&why, "plugin '%s' provides task '%s' "
			    "twice", c->path, c->tasks[k]);
		if (why.len > 0) {
			refuse(s, c->path, why.buf, warn);
			strbuf_release(&why);
			c->state = 3;
			return;
		}
	}
	s->v = xgrow(s->v, s->n + 1, sizeof(*s->v), &s->alloc);
	p = &s->v[s->n++];
	memset(p, 0, sizeof(*p));
	p->path = c->path;
	p->dir = c->dir;
	p->name = c->name;
	p->tasks = c->tasks;
	p->n_tasks = c->n_tasks;
	p->builtin = builtin;
	c->path = c->dir = c->name = NULL;
	c->tasks = NULL;
	c->n_tasks = 0;
	c->state = 3;		/* done with */
}

/* 1 if a and b name the same file or directory. */
static int
same_path(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	if (a == NULL || b == NULL || realpath(a, ra) == NULL ||
	    realpath(b, rb) == NULL)
		return (0);
	return (strcmp(ra, rb) == 0);
}

int
plugin_set_scan(struct plugin_set *s, const char *const *extra_dirs,
    const char *builtin_dir, struct strbuf *warn)
{
	struct cand *cv = NULL;
	size_t alloc = 0, calloc_ = 0, n = 0, i, k;
	const char *env;
	int readable = 0, pass;

	memset(s, 0, sizeof(*s));
	for (i = 0; extra_dirs != NULL && extra_dirs[i] != NULL; i++)
		add_dir(s, extra_dirs[i], &alloc);
	env = getenv("QEVAL_PLUGIN_PATH");
	if (env != NULL) {
		char *copy = xstrdup(env), *save = NULL, *tok;

		for (tok = strtok_r(copy, ":", &save); tok != NULL;
		    tok = strtok_r(NULL, ":", &save))
			add_dir(s, tok, &alloc);
		free(copy);
	}
	add_dir(s, QEVAL_PLUGINDIR, &alloc);
	for (i = 0; i < s->n_dirs; i++) {
		DIR *dp = opendir(s->dirs[i]);

		if (dp != NULL) {
			closedir(dp);
			readable++;
			collect_dir(s->dirs[i], &cv, &n, &calloc_);
		}
	}
	probe(cv, n);
	/* Built-in plugins claim their task names first. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			int b = same_path(cv[i].dir, builtin_dir);

			if (cv[i].state == 2 && pass == 0)
				refuse(s, cv[i].path, cv[i].why, warn);
			else if (cv[i].state == 1 && b == (pass == 0))
				claim(s, &cv[i], b, warn);
		}
	for (i = 0; i < n; i++) {
		free(cv[i].path);
		free(cv[i].dir);
		free(cv[i].name);
		free(cv[i].why);
		for (k = 0; k < cv[i].n_tasks; k++)
			free(cv[i].tasks[k]);
		free(cv[i].tasks);
	}
	free(cv);
	return (readable > 0 ? 0 : QEVAL_ENOENT);
}

/* Loads s->v[i]; 0 or -1 (err). */
static int
load_one(struct plugin *p, struct strbuf *err)
{
	struct plugin q;

	if (p->desc != NULL)
		return (0);
	if (plugin_load(&q, p->path, err) != QEVAL_OK)
		return (-1);
	p->dl = q.dl;
	p->desc = q.desc;
	p->abi = q.abi;
	free(q.path);
	return (0);
}

int
plugin_set_load(struct plugin_set *s, const char *const *tasks,
    struct strbuf *warn, struct strbuf *err)
{
	size_t i;

	if (tasks != NULL) {
		int rc = 0;

		/* every one is tried; err keeps the first failure */
		for (i = 0; tasks[i] != NULL; i++) {
			struct plugin *p = (struct plugin *)
			    plugin_set_provider(s, tasks[i]);
			struct strbuf why = STRBUF_INIT;

			if (p != NULL && load_one(p, &why) != 0) {
				if (rc == 0)
					strbuf_adds(err, why.buf);
				rc = -1;
			}
			strbuf_release(&why);
		}
		return (rc);
	}
	for (i = 0; i < s->n; ) {
		struct strbuf why = STRBUF_INIT;

		if (load_one(&s->v[i], &why) == 0) {
			i++;
			strbuf_release(&why);
			continue;
		}
		refuse(s, s->v[i].path, why.buf, warn);
		strbuf_release(&why);
		plugin_unload(&s->v[i]);
		memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) *
		    sizeof(*s->v));
		s->n--;
	}
	return (0);
}

void
plugin_set_release(struct plugin_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		plugin_unload(&s->v[i]);
	for (i = 0; i < s->n_dirs; i++)
		free(s->dirs[i]);
	for (i = 0; i < s->n_refused; i++) {
		free(s->refused[i].path);
		free(s->refused[i].why);
	}
	free(s->refused);
	free(s->v);
	free(s->dirs);
	memset(s, 0, sizeof(*s));
}

int
plugin_set_which_file(const struct plugin_set *s, const char *path,
    const struct plugin **pp, const char **why)
{
	size_t i;

	*pp = NULL;
	*why = NULL;
	for (i = 0; i < s->n; i++)
		if (same_path(s->v[i].path, path)) {
			*pp = &s->v[i];
			return (0);
		}
	for (i = 0; i < s->n_refused; i++)
		if (same_path(s->refused[i].path, path)) {
			*why = s->refused[i].why;
			return (-1);
		}
	return (-1);
}

const struct plugin *
plugin_set_provider(const struct plugin_set *s, const char *task_name)
{
	return (claimed(s, task_name));
}

const struct plugin *
plugin_set_find_task(const struct plugin_set *s, const char *task_name,
    const struct qeval_task **taskp)
{
	const struct qeval_task *t;
	const struct plugin *p = claimed(s, task_name);

	if (p == NULL || p->desc == NULL)
		return (NULL);
	for (t = p->desc->tasks; t->name != NULL; t++)
		if (strcmp(t->name, task_name) == 0) {
			if (taskp != NULL)
				*taskp = t;
			return (p);
		}
	return (NULL);
}

/* ------------------------------------------------------------------ */
/* The crash guard                                                     */

static const char *volatile guard_name;
static const char *volatile guard_path;
static const char *volatile guard_cb;

static void
plugin_enter(const struct plugin *p, const char *callback)
{
	guard_path = p->path;
	guard_cb = callback;
	guard_name = p->desc != NULL ? p->desc->name : p->name;
}

static void
plugin_leave(void)
{
	guard_name = NULL;
}

/* ------------------------------------------------------------------ */
/* Calls into a plugin                                                 */

/* What plugin_open() hands the core in place of the plugin's state. */
struct plugin_inst {
	unsigned		 magic;
#define INST_MAGIC		 0x51696e73u
	void			*st;		/* the plugin's state */
	const char		*task;		/* its name (the core's copy) */
	size_t			 count;		/* the default count() */
	struct strbuf		 id;		/* the default sample_id() */
	const struct qeval_exchange **pv;	/* next2() & co. */
	size_t			 pv_alloc;
};

static struct plugin_inst *
inst_of(void *state)
{
	struct plugin_inst *in = state;

	if (in == NULL || in->magic != INST_MAGIC)
		abort();	/* a core bug: not a plugin_open() state */
	return (in);
}

void *
plugin_state(void *inst)
{
	return (inst_of(inst)->st);
}

void
plugin_state_set(void *inst, void *st)
{
	inst_of(inst)->st = st;
}

/* The exchanges as the array of pointers the 1.2 callbacks take. */
static const struct qeval_exchange *const *
ex_ptrs(struct plugin_inst *in, const struct qeval_exchange *ex, size_t n)
{
	size_t k;

	in->pv = xgrow(in->pv, n + 1, sizeof(*in->pv), &in->pv_alloc);
	for (k = 0; k < n; k++)
		in->pv[k] = &ex[k];
	in->pv[n] = NULL;
	return (in->pv);
}

static int
count_record(void *arg, const char *json, size_t len, const char *where)
{
	(void)json;
	(void)len;
	(void)where;
	(*(size_t *)arg)++;
	return (QEVAL_OK);
}

int
plugin_open(const struct plugin *p, struct qeval_ctx *ctx,
    const struct qeval_task *t, const struct qeval_opts *o, void **instp)
{
	const struct plugin_abi *a = p->abi;
	const struct qeval_task *own;
	struct plugin_inst *in;
	size_t idx;
	int rc;

	*instp = NULL;
	if (t < a->tasks || t >= a->tasks + a->n_tasks)
		return (host_table()->fail(ctx, QEVAL_EINTERNAL, "task '%s' "
		    "is not one of plugin '%s'", t->name, p->desc->name));
	idx = (size_t)(t - a->tasks);
	/* the plugin gets its own task entry, as it declared it */
	own = (const void *)((const char *)a->orig->tasks +
	    idx * a->task_size);
	in = xcalloc(1, sizeof(*in));
	in->magic = INST_MAGIC;
	in->task = t->name;
	strbuf_init(&in->id, 0);
	plugin_enter(p, "open");
	rc = a->desc.open(host_table(), ctx, own, o, &in->st);
	plugin_leave();
	if (rc == QEVAL_OK && a->desc.count == NULL) {
		size_t n = 0;

		rc = host_table()->records(ctx, t->files[0], count_record, &n);
		in->count = o->limit > 0 && o->limit < n ? o->limit : n;
		if (rc != QEVAL_OK) {
			plugin_enter(p, "close");
			a->desc.close(in->st);
			plugin_leave();
		}
	}
	if (rc != QEVAL_OK) {
		strbuf_release(&in->id);
		free(in);
		return (rc < 0 ? rc : QEVAL_EINTERNAL);
	}
	*instp = in;
	return (QEVAL_OK);
}

size_t
plugin_count(const struct plugin *p, void *inst)
{
	struct plugin_inst *in = inst_of(inst);
	size_t n;

	if (p->desc->count == NULL)
		return (in->count);
	plugin_enter(p, "count");
	n = p->desc->count(in->st);
	plugin_leave();
	return (n);
}

const char *
plugin_sample_id(const struct plugin *p, void *inst, size_t i)
{
	struct plugin_inst *in = inst_of(inst);
	const char *id;

	if (p->desc->sample_id == NULL) {
		strbuf_reset(&in->id);
		strbuf_addf(&in->id, "%s/%zu", in->task, i);
		return (in->id.buf);
	}
	plugin_enter(p, "sample_id");
	id = p->desc->sample_id(in->st, i);
	plugin_leave();
	return (id);
}

int
plugin_next(const struct plugin *p, void *inst, struct qeval_ctx *ctx,
    size_t i, unsigned cand, const struct qeval_exchange *ex, size_t nex,
    struct qeval_request *req)
{
	struct plugin_inst *in = inst_of(inst);
	int rc;

	plugin_enter(p, "next");
	if (p->desc->next2 != NULL)
		rc = p->desc->next2(in->st, ctx, i, cand, ex_ptrs(in, ex, nex),
		    nex, req);
	else
		rc = p->desc->next(in->st, ctx, i, cand, ex, nex, req);
	plugin_leave();
	return (rc);
}

int
plugin_score(const struct plugin *p, void *inst, struct qeval_ctx *ctx,
    size_t i, unsigned cand, const struct qeval_exchange *ex, size_t nex,
    struct qeval_verdict *out)
{
	struct plugin_inst *in = inst_of(inst);
	int rc;

	plugin_enter(p, "score");
	if (p->desc->score2 != NULL)
		rc = p->desc->score2(in->st, ctx, i, cand,
		    ex_ptrs(in, ex, nex), nex, out);
	else
		rc = p->desc->score(in->st, ctx, i, cand, ex, nex, out);
	plugin_leave();
	return (rc);
}

int
plugin_has_gold(const struct plugin *p)
{
	return (p->desc != NULL && (p->desc->gold != NULL ||
	    p->desc->gold2 != NULL));
}

int
plugin_gold(const struct plugin *p, void *inst, struct qeval_ctx *ctx,
    size_t i, const struct qeval_exchange *ex, size_t nex,
    const struct qeval_request *req, int corrupt, struct qeval_gold *out)
{
	struct plugin_inst *in = inst_of(inst);
	int rc;

	if (!plugin_has_gold(p))
		return (host_table()->fail(ctx, QEVAL_EUNSUP, "plugin '%s' "
		    "has no gold() callback: there is no reference answer "
		    "to give", p->desc->name));
	plugin_enter(p, "gold");
	if (p->desc->gold2 != NULL)
		rc = p->desc->gold2(in->st, ctx, i, ex_ptrs(in, ex, nex), nex,
		    req, corrupt, out);
	else
		rc = p->desc->gold(in->st, ctx, i, ex, nex, req, corrupt,
		    out);
	plugin_leave();
	return (rc);
}

void
plugin_close(const struct plugin *p, void *inst)
{
	struct plugin_inst *in;

	if (inst == NULL)
		return;
	in = inst_of(inst);
	plugin_enter(p, "close");
	p->desc->close(in->st);
	plugin_leave();
	strbuf_release(&in->id);
	free(in->pv);
	in->magic = 0;
	free(in);
}

static void
say(const char *s)
{
	size_t len = 0;

	if (s == NULL)
		s = "?";
	while (s[len] != '\0')
		len++;
	while (len > 0) {
		ssize_t w = write(2, s, len);

		if (w <= 0)
			return;
		s += w;
		len -= (size_t)w;
	}
}

/* Async-signal-safe: write(2) only, then the default action. */
static void
on_fault(int sig)
{
	const char *name = guard_name;

	if (name != NULL) {
		say("\nqeval: plugin '");
		say(name);
		say("' (");
		say(guard_path);
		say(") crashed in its ");
		say(guard_cb);
		say("() callback (");
		say(sig_name(sig));
		say("); what was finished is in the run's journal: "
		    "`--resume` continues the run\n");
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void
plugin_guard_install(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL,
	    SIGABRT };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)sigaction(sigs[i], &sa, NULL);
}
