/* A plugin built for a future, incompatible ABI. */
#include "config.h"
#include "fakeplug.h"

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	.abi_major = QEVAL_ABI_MAJOR + 1, .abi_minor = 0,
	.struct_size = sizeof(struct qeval_plugin),
	.name = "bad_major", .version = "1", FP_CALLBACKS,
};
