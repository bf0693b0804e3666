/*
 * taskfiles: finding the task files of the generic plugin (taskfile.so)
 * and handing them to it.
 *
 * Where from, in this order: each --task-file, every *.json of each
 * --task-dir, of $XDG_CONFIG_HOME/qeval/tasks (default ~/.config) and of
 * the installed $(pkgdatadir)/tasks.  The list reaches the plugin through
 * the environment variable QEVAL_TASK_FILES (absolute paths, one per
 * line), which taskfiles_setup() sets before the plugins are scanned:
 * the plugin builds its task table when it is loaded.
 *
 * Before that, each file is checked to be one JSON object (a syntax
 * error is reported with its line and column) with a "name" that no
 * other file uses; after the scan, taskfiles_check() refuses a name that
 * another plugin provides.  Everything else in a file is the plugin's
 * to check, when a run opens the task.
 */
#ifndef QEVAL_TASKFILES_H
#define QEVAL_TASKFILES_H

#include "plugin.h"
#include "strbuf.h"

/* The variable that carries the list to the plugin. */
#define TASKFILES_ENV	"QEVAL_TASK_FILES"

/*
 * files, dirs: NULL-terminated, may be NULL.  share: the installed (or
 * source-tree) tasks directory, may be NULL.  0, or -1 with err set (a
 * usage error: exit 2).
 */
int	 taskfiles_setup(const char *const *files, const char *const *dirs,
	    const char *share, struct strbuf *err);
/* 0, or -1 with err set when a task file reuses another plugin's task. */
int	 taskfiles_check(const struct plugin_set *, struct strbuf *err);

#endif
