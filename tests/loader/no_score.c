/* A descriptor missing a mandatory callback. */
#include "config.h"
#include "fakeplug.h"

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.name = "no_score", .version = "1",
	.tasks = fp_tasks, .open = fp_open, .count = fp_count,
	.sample_id = fp_id, .next = fp_next, .score = NULL,
	.gold = fp_gold, .close = fp_close,
};
