#include "config.h"
#include "taskfiles.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "xalloc.h"

/* The task names of the files (for taskfiles_check()). */
static char **tf_names;
static char **tf_paths;
static size_t tf_n, tf_alloc, tf_palloc;

static int
cmp_str(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Line and column (1-based) of byte offset off in text. */
static void
line_col(const char *text, size_t off, size_t *line, size_t *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && text[i] != '\0'; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80)
			(*col)++;
	}
}

/* Reads, parses and registers one file.  0 or -1 with err set. */
static int
add_file(const char *path, struct strbuf *err)
{
	char abs[PATH_MAX];
	char *text;
	size_t len = 0, i;
	const char *end = NULL;
	cJSON *doc;
	const cJSON *name;
	if (realpath(path, abs) == NULL) {
		strbuf_addf(err, "task file %s: %s", path, strerror(errno));
		return (-1);
	}
	for (i = 0; i < tf_n; i++)
		if (strcmp(tf_paths[i], abs) == 0)
			return (0);	/* named twice: once is enough */
	if ((text = fileio_read(abs, &len)) == NULL) {
		strbuf_addf(err, "task file %s: %s", path, strerror(errno));
		return (-1);
	}
	doc = strlen(text) == len ? cJSON_ParseWithOpts(text, &end, 1) : NULL;
	if (doc == NULL) {
		size_t line, col, off = end != NULL && end >= text ?
		    (size_t)(end - text) : 0, k = 0;
		char near[24];

		while (off + k < len && k < 20 && text[off + k] != '\n' &&
		    text[off + k] != '\0') {
			near[k] = text[off + k];
			k++;
		}
		near[k] = '\0';
		line_col(text, off, &line, &col);
		strbuf_addf(err, "task file %s:%zu:%zu: JSON syntax error "
		    "%s%s%s: fix the file there", path, line, col,
		    k > 0 ? "near \"" : "at the end of a line or the file",
		    near, k > 0 ? "\"" : "");
		free(text);
		return (-1);
	}
	free(text);
	name = cJSON_GetObjectItemCaseSensitive(doc, "name");
	if (!cJSON_IsObject(doc) || !cJSON_IsString(name) ||
	    name->valuestring[0] == '\0') {
		strbuf_addf(err, "task file %s: the top level must be an "
		    "object with a non-empty string \"name\" (the task's "
		    "name)", path);
		cJSON_Delete(doc);
		return (-1);
	}
	for (i = 0; i < tf_n; i++)
		if (strcmp(tf_names[i], name->valuestring) == 0) {
			strbuf_addf(err, "task file %s: task \"%s\" is "
			    "already defined by %s: rename one of them", path,
			    name->valuestring, tf_paths[i]);
			cJSON_Delete(doc);
			return (-1);
		}
	tf_names = xgrow(tf_names, tf_n + 1, sizeof(*tf_names), &tf_alloc);
	tf_paths = xgrow(tf_paths, tf_n + 1, sizeof(*tf_paths), &tf_palloc);
	tf_names[tf_n] = xstrdup(name->valuestring);
	tf_paths[tf_n] = xstrdup(abs);
	tf_n++;
	cJSON_Delete(doc);
	return (0);
}

/* Every *.json of dir, sorted; a missing dir is fine unless `must`. */
static int
add_dir(const char *dir, int must, struct strbuf *err)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, alloc = 0, i;
	int rc = 0;

	if (dp == NULL) {
		if (!must)
			return (0);
		strbuf_addf(err, "--task-dir %s: %s", dir, strerror(errno));
		return (-1);
	}
	while ((de = readdir(dp)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len > 5 && de->d_name[0] != '.' &&
		    strcmp(de->d_name + len - 5, ".json") == 0) {
			names = xgrow(names, n + 1, sizeof(*names), &alloc);
			names[n++] = xstrdup(de->d_name);
		}
	}
	closedir(dp);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		struct strbuf p = STRBUF_INIT;

		if (rc == 0) {
			strbuf_addf(&p, "%s/%s", dir, names[i]);
			rc = add_file(p.buf, err);
		}
		strbuf_release(&p);
		free(names[i]);
	}
	free(names);
	return (rc);
}

int
taskfiles_setup(const char *const *files, const char *const *dirs,
    const char *share, struct strbuf *err)
{
	struct strbuf list = STRBUF_INIT, xdg = STRBUF_INIT;
	const char *x;
	size_t i;

	for (; files != NULL && *files != NULL; files++)
		if (add_file(*files, err) != 0)
			return (-1);
	for (; dirs != NULL && *dirs != NULL; dirs++)
		if (add_dir(*dirs, 1, err) != 0)
			return (-1);
	if ((x = getenv("XDG_CONFIG_HOME")) != NULL && x[0] == '/')
		strbuf_addf(&xdg, "%s/qeval/tasks", x);
	else if ((x = getenv("HOME")) != NULL && x[0] == '/')
		strbuf_addf(&xdg, "%s/.config/qeval/tasks", x);
	if (xdg.len > 0 && add_dir(xdg.buf, 0, err) != 0) {
		strbuf_release(&xdg);
		return (-1);
	}
	strbuf_release(&xdg);
	if (share != NULL && add_dir(share, 0, err) != 0)
		return (-1);
	for (i = 0; i < tf_n; i++)
		strbuf_addf(&list, "%s\n", tf_paths[i]);
	if (setenv(TASKFILES_ENV, list.buf ? list.buf : "", 1) != 0) {
		strbuf_addf(err, "cannot set %s: %s", TASKFILES_ENV,
		    strerror(errno));
		strbuf_release(&list);
		return (-1);
	}
	strbuf_release(&list);
	return (0);
}

int
taskfiles_check(const struct plugin_set *set, struct strbuf *err)
{
	size_t i;

	for (i = 0; i < tf_n; i++) {
		const struct plugin *p = plugin_set_provider(set,
		    tf_names[i]);

		if (p != NULL && strcmp(p->name, "taskfile") != 0) {
			strbuf_addf(err, "task file %s: task \"%s\" is "
			    "already provided by the plugin %s: give the "
			    "task file's \"name\" another value (e.g. "
			    "\"%s_file\")", tf_paths[i], tf_names[i],
			    p->path != NULL ? p->path : p->name,
			    tf_names[i]);
			return (-1);
		}
	}
	return (0);
}
