/*
 * A plugin built against the frozen ABI 1.1 header beside it (only
 * tests/plugin/abi11 is on its include path), with a declared option:
 * it must load, run and score in every 1.x qeval, and its options table
 * must be read with the 1.1 element size.
 */
#include "config.h"

#include "../../loader/miniplug.h"

#if QEVAL_ABI_MAJOR != 1 || QEVAL_ABI_MINOR != 1
#error "abi11.c must be built against the frozen 1.1 header"
#endif

static const struct qeval_task mp_tasks[] = {
	{ "abi11_task", "ABI 1.1", "Test", "none", mp_files, mp_metrics, 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};
#define MP_TASKS mp_tasks

static const struct qeval_option opts[] = {
	{ "level", QEVAL_OPT_INT, "1", "a test option", NULL, NULL },
	{ "style", QEVAL_OPT_ENUM, "a", "another", "a|b", "abi11_task" },
	{ NULL, 0, NULL, NULL, NULL, NULL }
};

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.name = "abi11", .version = "1.1", MP_CALLBACKS,
	.options = opts,
};
