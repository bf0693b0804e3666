/*
 * A small TAP producer for check programs (automake's tap-driver reads
 * it).  Modeled on git's test-lib: every assertion prints one "ok" or
 * "not ok" line with a description, and tap_done() prints the plan and
 * returns the exit status for main().
 * Not thread-safe; call from the main thread only.
 */
#ifndef QEVAL_TAP_H
#define QEVAL_TAP_H

#include <stddef.h>

int	tap_ok(int cond, const char *file, int line, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
int	tap_is_int(long long got, long long want, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int	tap_is_str(const char *got, const char *want, const char *file,
	    int line, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
int	tap_is_dbl(double got, double want, double eps, const char *file,
	    int line, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
void	tap_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "Bail out!" and returns 1; use as: return (tap_bail(...)); */
int	tap_bail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the plan; returns 0 if every test passed, else 1. */
int	tap_done(void);
/* Reads a whole file into a malloc'd NUL-terminated buffer, or NULL. */
char	*tap_slurp(const char *path, size_t *lenp);

#define ok(c, ...)		tap_ok(!!(c), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(g, w, ...)	tap_is_int((g), (w), __FILE__, __LINE__, \
				    __VA_ARGS__)
#define is_str(g, w, ...)	tap_is_str((g), (w), __FILE__, __LINE__, \
				    __VA_ARGS__)
#define is_dbl(g, w, e, ...)	tap_is_dbl((g), (w), (e), __FILE__, __LINE__, \
				    __VA_ARGS__)

#endif
