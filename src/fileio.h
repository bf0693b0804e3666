/*
 * fileio: whole-file reads and atomic whole-file writes, for the small
 * files qeval keeps per run (run.json, results.json, report.md).
 *
 * fileio_read() returns a malloc'd, NUL-terminated copy of the file (its
 * length in *lenp if not NULL), or NULL with errno set.
 * fileio_write_atomic() writes to a temporary file in the target's
 * directory, fsyncs it, renames it over the target and fsyncs the
 * directory: readers see the old file or the new one, never a part.
 * It returns 0, or -1 with a line naming the file in err.
 */
#ifndef QEVAL_FILEIO_H
#define QEVAL_FILEIO_H

#include <stddef.h>

#include "strbuf.h"

char	*fileio_read(const char *path, size_t *lenp);
int	 fileio_write_atomic(const char *path, const char *data, size_t len,
	    struct strbuf *err);

#endif
