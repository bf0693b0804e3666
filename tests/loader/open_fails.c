/* A well-formed plugin whose open() always fails. */
#include "config.h"
#include "fakeplug.h"

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.name = "open_fails", .version = "1", FP_CALLBACKS,
};
