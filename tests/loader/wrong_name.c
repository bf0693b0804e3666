/* A plugin whose descriptor name differs from its file name. */
#include "config.h"
#include "fakeplug.h"

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.name = "somebody_else", .version = "1", FP_CALLBACKS,
};
