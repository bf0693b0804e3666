/*
 * plugin: finding, loading and checking scorer plugins.
 *
 * Search path, first hit wins per plugin name: each --plugin-dir (in
 * order), each directory of $QEVAL_PLUGIN_PATH (colon-separated), then
 * the installed $(pkglibdir).  A plugin file is <name>.so.
 *
 * The loader checks identity before anything else: the exported symbol,
 * the ABI major (must equal) and minor (must not be newer), the struct
 * size, that the descriptor's name equals the file's base name, and that
 * the mandatory functions are present.  Each refusal is an error naming
 * the file and what to do.
 *
 * Ownership: struct plugin_set owns the dlopen handles and strings;
 * descriptors point into the loaded objects and die with the set.
 */
#ifndef QEVAL_PLUGIN_LOADER_H
#define QEVAL_PLUGIN_LOADER_H

#include <stddef.h>

#include <qeval/plugin.h>

#include "strbuf.h"

struct plugin {
	char			*path;
	char			*dir;		/* where it was found */
	void			*dl;
	const struct qeval_plugin *desc;
};

struct plugin_set {
	struct plugin	*v;
	size_t		 n;
	size_t		 alloc;
	char		**dirs;		/* the search path, resolved */
	size_t		 n_dirs;
};

/* Loads one file.  0 or QEVAL_ENOENT / QEVAL_EABI with err set. */
int	 plugin_load(struct plugin *, const char *path, struct strbuf *err);
void	 plugin_unload(struct plugin *);

/*
 * Builds the search path from extra_dirs (NULL-terminated, may be NULL),
 * $QEVAL_PLUGIN_PATH and the installed dir, and loads every *.so found.
 * Files that fail to load are reported in warn (one line each) and
 * skipped.  Returns 0, or < 0 if no directory could be read at all.
 */
int	 plugin_set_scan(struct plugin_set *, const char *const *extra_dirs,
	    struct strbuf *warn);
void	 plugin_set_release(struct plugin_set *);

/* The plugin and task providing task_name, or NULL. */
const struct plugin *plugin_set_find_task(const struct plugin_set *,
	    const char *task_name, const struct qeval_task **taskp);

#endif
