/* A shared object that is not a qeval plugin (no qeval_plugin symbol). */
#include "config.h"

int no_symbol_here(void);

int
no_symbol_here(void)
{
	return (42);
}
