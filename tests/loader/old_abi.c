/*
 * A plugin as built against the 1.0 header: abi_minor 0 and a struct
 * that ends at close (no options member).  It must still load, and its
 * options are "undeclared": any --task-opt passes with a warning.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "miniplug.h"

static const struct qeval_task mp_tasks[] = {
	{ "old_task", "Old", "Test", "none", mp_files, mp_metrics, 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};
#define MP_TASKS mp_tasks

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	.abi_major = 1, .abi_minor = 0,
	.struct_size = offsetof(struct qeval_plugin, options),
	.name = "old_abi", .version = "1.0", MP_CALLBACKS,
	/* a 1.0 build has no such member: whatever lies here is not read */
	.options = (const struct qeval_option *)(uintptr_t)1,
};
