/* A plugin that needs host features this qeval does not have yet. */
#include "config.h"
#include "fakeplug.h"

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	.abi_major = QEVAL_ABI_MAJOR, .abi_minor = QEVAL_ABI_MINOR + 1,
	.struct_size = sizeof(struct qeval_plugin),
	.name = "newer_minor", .version = "1", FP_CALLBACKS,
};
