#include "config.h"
#include "tap.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static int
report(int cond, const char *file, int line, const char *fmt, va_list ap)
{
	tap_count++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_count);
	vprintf(fmt, ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return (cond);
}

int
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cond, file, line, fmt, ap);
	va_end(ap);
	return (cond);
}

int
tap_is_int(long long got, long long want, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;
	int cond = got == want;

	va_start(ap, fmt);
	report(cond, file, line, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got: %lld\n#   want: %lld\n", got, want);
	return (cond);
}

int
tap_is_str(const char *got, const char *want, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;
	int cond;

	if (got == NULL || want == NULL)
		cond = got == want;
	else
		cond = strcmp(got, want) == 0;
	va_start(ap, fmt);
	report(cond, file, line, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got: '%s'\n#   want: '%s'\n",
		    got ? got : "(null)", want ? want : "(null)");
	return (cond);
}

int
tap_is_dbl(double got, double want, double eps, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;
	int cond = fabs(got - want) <= eps ||
	    (isnan(got) && isnan(want));

	va_start(ap, fmt);
	report(cond, file, line, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got: %.17g\n#   want: %.17g\n", got, want);
	return (cond);
}

void
tap_skip(const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	printf("ok %d # SKIP ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int
tap_bail(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return (1);
}

int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	fflush(stdout);
	return (tap_failed != 0 || tap_count == 0);
}

char *
tap_slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return (NULL);
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return (NULL);
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	if (buf == NULL)
		return (NULL);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return (buf);
}
