/*
 * An ABI 1.2 descriptor whose element sizes are not those of any 1.x
 * header (as when a descriptor is filled by hand and they are left 0).
 */
#include "config.h"
#include "fakeplug.h"

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	.abi_major = QEVAL_ABI_MAJOR, .abi_minor = 2,
	.struct_size = sizeof(struct qeval_plugin),
	.task_size = 0, .metric_size = sizeof(struct qeval_metric_desc),
	.option_size = sizeof(struct qeval_option),
	.name = "bad_sizes", .version = "1", FP_CALLBACKS,
};
