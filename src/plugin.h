/*
 * plugin: finding, loading and checking scorer plugins.
 *
 * Search path, first hit wins per plugin name: each --plugin-dir (in
 * order), each directory of $QEVAL_PLUGIN_PATH (colon-separated), then
 * the installed $(pkglibdir).  A plugin file is <name>.so.
 *
 * Scanning never loads a plugin into this process: a child process
 * (the probe) loads each file in turn and reports its task names, so a
 * plugin that crashes, exits or hangs while loading is refused with the
 * reason, and the scan goes on with the next file.  A plugin that
 * provides a task name another plugin already provides is refused too
 * (the built-in plugins, those of builtin_dir, claim their names first;
 * the others in search order).  Refusals are kept in the set, for
 * `qeval list plugins`.  plugin_set_load() then loads only the plugins
 * a command needs.
 *
 * The loader checks identity before anything else: the exported symbol,
 * the ABI major (must equal) and minor (must not be newer), the struct
 * size for that minor, (1.2) the element sizes of the arrays, that the
 * descriptor's name equals the file's base name, that the mandatory
 * functions are present, the tasks' metrics and files, and (ABI 1.1)
 * that the options table is well formed.  Each refusal is an error
 * naming the file and what to do.  The core then reads a copy of the
 * descriptor in its own layout (p->desc), its arrays read by the
 * plugin's element sizes, and calls the plugin only through the
 * plugin_open() family below.
 *
 * Crash guard: each plugin_open()-family call names the plugin and the
 * callback while it runs; if the process dies of a fault signal
 * meanwhile, the handler plugin_guard_install() set up says which plugin
 * and callback it was before the process dies.
 *
 * Ownership: struct plugin_set owns the dlopen handles and strings;
 * descriptors point into the loaded objects and die with the set.
 */
#ifndef QEVAL_PLUGIN_LOADER_H
#define QEVAL_PLUGIN_LOADER_H

#include <stddef.h>

#include <qeval/plugin.h>

#include "strbuf.h"

struct plugin_abi;

struct plugin {
	char			*path;
	char			*dir;		/* where it was found */
	void			*dl;		/* NULL until loaded */
	const struct qeval_plugin *desc;	/* NULL until loaded; this
						 * core's layout (a copy) */
	struct plugin_abi	*abi;		/* behind desc (plugin.c) */
	char			*name;		/* the file's base name */
	char			**tasks;	/* task names (the probe's) */
	size_t			 n_tasks;
	int			 builtin;	/* found in builtin_dir */
};

struct plugin_refusal {
	char	*path;
	char	*why;		/* one line */
};

struct plugin_set {
	struct plugin		*v;
	size_t			 n;
	size_t			 alloc;
	char			**dirs;		/* the search path, resolved */
	size_t			 n_dirs;
	struct plugin_refusal	*refused;
	size_t			 n_refused;
	size_t			 refused_alloc;
};

/* Loads one file.  0 or QEVAL_ENOENT / QEVAL_EABI with err set. */
int	 plugin_load(struct plugin *, const char *path, struct strbuf *err);
void	 plugin_unload(struct plugin *);

/*
 * Builds the search path from extra_dirs (NULL-terminated, may be NULL),
 * $QEVAL_PLUGIN_PATH and the installed dir, and probes every *.so found
 * (see above); nothing is loaded here.  builtin_dir (may be NULL) holds
 * the plugins that ship with qeval.  Refused files are kept in the set
 * and reported in warn (one line each).  Returns 0, or < 0 if no
 * directory could be read at all.
 */
int	 plugin_set_scan(struct plugin_set *, const char *const *extra_dirs,
	    const char *builtin_dir, struct strbuf *warn);
/*
 * Loads the plugins that provide the given tasks (NULL-terminated), or
 * every plugin when tasks is NULL.  A selected task's plugin that fails
 * to load is an error (-1, err holds the first; the others are still
 * loaded); with tasks NULL a failure is a refusal (the plugin leaves
 * the set, warn gets a line).
 */
int	 plugin_set_load(struct plugin_set *, const char *const *tasks,
	    struct strbuf *warn, struct strbuf *err);
void	 plugin_set_release(struct plugin_set *);

/* The loaded plugin and task providing task_name, or NULL. */
const struct plugin *plugin_set_find_task(const struct plugin_set *,
	    const char *task_name, const struct qeval_task **taskp);
/*
 * The plugin of the set that was found at path (realpath compared): 0
 * and *pp set; or -1 with *why the refusal's reason if the file was
 * refused, NULL if the scan never reached it.
 */
int	 plugin_set_which_file(const struct plugin_set *, const char *path,
	    const struct plugin **pp, const char **why);
/* The plugin (loaded or not) providing task_name, or NULL. */
const struct plugin *plugin_set_provider(const struct plugin_set *,
	    const char *task_name);

/*
 * The options a loaded plugin declares (NULL-name terminated), or NULL
 * when it declares none; *declared is 0 for an ABI 1.0 plugin, whose
 * options are unknown.
 */
const struct qeval_option *plugin_options(const struct plugin *,
	    int *declared);
/* 1 if option o applies to task task_name. */
int	 plugin_option_applies(const struct qeval_option *,
	    const char *task_name);
/* 0 if value suits o's type; else -1 with what is expected in why. */
int	 plugin_option_check(const struct qeval_option *, const char *value,
	    struct strbuf *why);
/* "bool", "int", "double", "string", "enum" */
const char *plugin_option_type_name(int type);

/* The crash guard (see above). */
void	 plugin_guard_install(void);

/*
 * Calls into a loaded plugin, each under the crash guard.  Every call
 * the core makes goes through these: they read the descriptor in this
 * core's layout, use the 1.2 callbacks (exchanges as pointers) where
 * the plugin has them and the old ones otherwise, and give the
 * defaults of the optional callbacks (count: the records of the task's
 * first file, at most opts->limit; sample_id: "<task>/<i>"; gold:
 * QEVAL_EUNSUP after fail()).
 *
 * plugin_open() takes a task of p->desc->tasks and sets *inst to a
 * state of the core's that the others take (plugin_state() gives the
 * plugin's own); on error it returns < 0 after the plugin's (or the
 * core's) fail() and *inst is NULL.  plugin_close() accepts NULL.
 */
int	 plugin_open(const struct plugin *p, struct qeval_ctx *,
	    const struct qeval_task *, const struct qeval_opts *,
	    void **inst);
size_t	 plugin_count(const struct plugin *p, void *inst);
const char *plugin_sample_id(const struct plugin *p, void *inst,
	    size_t i);
int	 plugin_next(const struct plugin *p, void *inst, struct qeval_ctx *,
	    size_t i, unsigned cand, const struct qeval_exchange *ex,
	    size_t nex, struct qeval_request *req);
int	 plugin_score(const struct plugin *p, void *inst, struct qeval_ctx *,
	    size_t i, unsigned cand, const struct qeval_exchange *ex,
	    size_t nex, struct qeval_verdict *out);
int	 plugin_gold(const struct plugin *p, void *inst, struct qeval_ctx *,
	    size_t i, const struct qeval_exchange *ex, size_t nex,
	    const struct qeval_request *req, int corrupt,
	    struct qeval_gold *out);
void	 plugin_close(const struct plugin *p, void *inst);
/* 1 if p has gold() or gold2(). */
int	 plugin_has_gold(const struct plugin *p);
/* The plugin's own state behind a plugin_open() state. */
void	*plugin_state(void *inst);
/* Tests that reopen a plugin by hand: inst now stands for st. */
void	 plugin_state_set(void *inst, void *st);

#endif
