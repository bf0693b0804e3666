#include "config.h"
#include "plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#ifndef QEVAL_PLUGINDIR
#define QEVAL_PLUGINDIR "/usr/local/lib/qeval"
#endif

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

int
plugin_load(struct plugin *p, const char *path, struct strbuf *err)
{
	const struct qeval_plugin *d;
	const struct qeval_task *t;
	char *want;
	int rc = QEVAL_EABI;

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
	if (!QEVAL_HAS_FIELD(d, struct qeval_plugin, close) ||
	    d->name == NULL || d->tasks == NULL || d->open == NULL ||
	    d->count == NULL || d->sample_id == NULL || d->next == NULL ||
	    d->score == NULL || d->gold == NULL || d->close == NULL) {
		strbuf_addf(err, "plugin '%s' has a malformed descriptor "
		    "(struct size %u, a name, tasks and all of open, count, "
		    "sample_id, next, score, gold, close are required)",
		    path, (unsigned)d->struct_size);
		goto fail;
	}
	want = base_name(path);
	if (strcmp(want, d->name) != 0) {
		strbuf_addf(err, "plugin '%s' calls itself '%s': the file must "
		    "be named '%s.so'", path, d->name, d->name);
		free(want);
		goto fail;
	}
	free(want);
	for (t = d->tasks; t->name != NULL; t++) {
		size_t nm = 0;

		while (t->metrics != NULL && t->metrics[nm].name != NULL)
			nm++;
		if (t->metrics == NULL || nm == 0 || nm > QEVAL_MAX_METRICS ||
		    t->files == NULL) {
			strbuf_addf(err, "plugin '%s': task '%s' must declare "
			    "1 to %d metrics and its dataset files", path,
			    t->name, QEVAL_MAX_METRICS);
			goto fail;
		}
	}
	p->desc = d;
	p->path = xstrdup(path);
	return (QEVAL_OK);
fail:
	dlclose(p->dl);
	p->dl = NULL;
	return (rc);
}

void
plugin_unload(struct plugin *p)
{
	if (p->dl != NULL)
		dlclose(p->dl);
	free(p->path);
	free(p->dir);
	memset(p, 0, sizeof(*p));
}

static int
has_plugin(const struct plugin_set *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].desc->name, name) == 0)
			return (1);
	return (0);
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

static int
scan_dir(struct plugin_set *s, const char *dir, struct strbuf *warn)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, alloc = 0, i;

	if (dp == NULL)
		return (-1);
	while ((de = readdir(dp)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len > 3 && strcmp(de->d_name + len - 3, ".so") == 0) {
			names = xgrow(names, n + 1, sizeof(*names), &alloc);
			names[n++] = xstrdup(de->d_name);
		}
	}
	closedir(dp);
	/* Sorted, so that which plugin wins never depends on readdir. */
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
		struct plugin p;
		char *bn = base_name(names[i]);

		strbuf_addf(&path, "%s/%s", dir, names[i]);
		if (!has_plugin(s, bn)) {
			if (plugin_load(&p, path.buf, &err) == QEVAL_OK) {
				p.dir = xstrdup(dir);
				s->v = xgrow(s->v, s->n + 1, sizeof(*s->v),
				    &s->alloc);
				s->v[s->n++] = p;
			} else
				strbuf_addf(warn, "%s\n", err.buf);
		}
		free(bn);
		free(names[i]);
		strbuf_release(&path);
		strbuf_release(&err);
	}
	free(names);
	return (0);
}

int
plugin_set_scan(struct plugin_set *s, const char *const *extra_dirs,
    struct strbuf *warn)
{
	size_t alloc = 0, i;
	const char *env;
	int readable = 0;

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
	for (i = 0; i < s->n_dirs; i++)
		if (scan_dir(s, s->dirs[i], warn) == 0)
			readable++;
	return (readable > 0 ? 0 : QEVAL_ENOENT);
}

void
plugin_set_release(struct plugin_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		plugin_unload(&s->v[i]);
	for (i = 0; i < s->n_dirs; i++)
		free(s->dirs[i]);
	free(s->v);
	free(s->dirs);
	memset(s, 0, sizeof(*s));
}

const struct plugin *
plugin_set_find_task(const struct plugin_set *s, const char *task_name,
    const struct qeval_task **taskp)
{
	const struct qeval_task *t;
	size_t i;

	for (i = 0; i < s->n; i++)
		for (t = s->v[i].desc->tasks; t->name != NULL; t++)
			if (strcmp(t->name, task_name) == 0) {
				if (taskp != NULL)
					*taskp = t;
				return (&s->v[i]);
			}
	return (NULL);
}
