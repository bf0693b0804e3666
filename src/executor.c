/*
 * qeval-executor: the image the code executor runs as (see exec.c and
 * docs/SANDBOX.md).  It links the executor's own modules and libpython,
 * nothing of the rest of qeval, so that the process every program's
 * child is forked from maps as little as it can.
 */
#include "config.h"

#include "exec.h"

int
main(int argc, char **argv)
{
	return (exec_executor_main(argc, argv));
}
