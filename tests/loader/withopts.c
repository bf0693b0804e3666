/* A 1.1 plugin that declares one option of each type. */
#include "config.h"

#include "miniplug.h"

static const struct qeval_task mp_tasks[] = {
	{ "opt_task", "Opt", "Test", "none", mp_files, mp_metrics, 0 },
	{ "opt_task2", "Opt 2", "Test", "none", mp_files, mp_metrics, 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};
#define MP_TASKS mp_tasks

static const struct qeval_option options[] = {
	{ "timeout", QEVAL_OPT_DOUBLE, "3.0", "seconds per program", NULL,
	  NULL },
	{ "count", QEVAL_OPT_INT, "4", "how many", NULL, NULL },
	{ "prefill", QEVAL_OPT_BOOL, "0", "prefill the answer", NULL, NULL },
	{ "mode", QEVAL_OPT_ENUM, "fc", "how to ask", "fc|prompt", NULL },
	{ "label", QEVAL_OPT_STRING, NULL, "a label for opt_task2 only", NULL,
	  "opt_task2" },
	{ NULL, 0, NULL, NULL, NULL, NULL }
};

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.name = "withopts", .version = "1.1", MP_CALLBACKS,
	.options = options,
};
