/*
 * A plugin built against the frozen ABI 1.0 header beside it (only
 * tests/plugin/abi10 is on its include path): it must load, run and
 * score in every 1.x qeval.
 */
#include "config.h"

#include "../../loader/miniplug.h"

#if QEVAL_ABI_MAJOR != 1 || QEVAL_ABI_MINOR != 0
#error "abi10.c must be built against the frozen 1.0 header"
#endif

static const struct qeval_task mp_tasks[] = {
	{ "abi10_task", "ABI 1.0", "Test", "none", mp_files, mp_metrics, 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};
#define MP_TASKS mp_tasks

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.name = "abi10", .version = "1.0", MP_CALLBACKS,
};
