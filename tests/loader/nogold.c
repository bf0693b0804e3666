/*
 * An ABI 1.2 plugin without gold(): it loads and runs against a model,
 * but --model reference refuses its task and selftest skips it.
 */
#include "config.h"

#define MP_NO_GOLD
#include "miniplug.h"

static const struct qeval_task mp_tasks[] = {
	{ "nogold_task", "No gold", "Test", "none", mp_files, mp_metrics, 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.name = "nogold", .version = "1", .tasks = mp_tasks,
	.open = mp_open, .count = mp_count, .sample_id = mp_id,
	.next = mp_next, .score = mp_score, .close = mp_close,
};
