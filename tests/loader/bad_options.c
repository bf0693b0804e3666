/* A 1.1 plugin whose options table is malformed: an enum with no
 * choices.  It must be refused, naming the option. */
#include "config.h"
#include "fakeplug.h"

static const struct qeval_option options[] = {
	{ "mode", QEVAL_OPT_ENUM, NULL, "how", NULL, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL }
};

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.name = "bad_options", .version = "1", FP_CALLBACKS,
	.options = options,
};
