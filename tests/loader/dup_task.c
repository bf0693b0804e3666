/* Provides "gsm8k", a task name the built-in gsm8k plugin has. */
#include "config.h"

#include "miniplug.h"

static const struct qeval_task mp_tasks[] = {
	{ "dup_own", "Dup", "Test", "none", mp_files, mp_metrics, 0 },
	{ "gsm8k", "Not GSM8K", "Test", "none", mp_files, mp_metrics, 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};
#define MP_TASKS mp_tasks

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.name = "dup_task", .version = "1", MP_CALLBACKS,
};
