/* score() crashes on sample 2 while QEVAL_TEST_CRASH is set. */
#include "config.h"

#define MP_CRASH_IN_SCORE 1
#include "miniplug.h"

static const struct qeval_task mp_tasks[] = {
	{ "crash_task", "Crash", "Test", "none", mp_files, mp_metrics, 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};
#define MP_TASKS mp_tasks

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.name = "crashplug", .version = "1", MP_CALLBACKS,
};
