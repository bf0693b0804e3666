/*
 * A plugin that kills the process that loads it (a constructor with a
 * fault), to show that scanning cannot take a run down with it.
 */
#include "config.h"

#include <signal.h>

#include "fakeplug.h"

static void __attribute__((constructor))
crash_on_load(void)
{
	raise(SIGSEGV);
}

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.name = "loadcrash", .version = "1", FP_CALLBACKS,
};
