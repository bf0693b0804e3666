/*
 * ucase-cli: the helper of tests/unit/t-ucase.py.  Reads lines of hex
 * (the UTF-8 bytes of one string each) on stdin and writes, per line,
 * the hex of ucase_capitalize() of that string.  "-v" prints the
 * Unicode version of the tables instead.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ucase.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

int
main(int argc, char **argv)
{
	char line[4096], bytes[2048], *cap;
	size_t n, i, len, clen;

	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		printf("%s\n", ucase_unicode_version());
		return (0);
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		len = strcspn(line, "\r\n");
		if (len % 2 != 0 || len / 2 > sizeof(bytes)) {
			fprintf(stderr, "ucase-cli: bad line\n");
			return (2);
		}
		for (n = 0, i = 0; i < len; i += 2) {
			int hi = hexval(line[i]), lo = hexval(line[i + 1]);

			if (hi < 0 || lo < 0) {
				fprintf(stderr, "ucase-cli: bad hex\n");
				return (2);
			}
			bytes[n++] = (char)(hi * 16 + lo);
		}
		cap = ucase_capitalize(bytes, n, &clen);
		if (cap == NULL) {
			fprintf(stderr, "ucase-cli: out of memory\n");
			return (1);
		}
		for (i = 0; i < clen; i++)
			printf("%02x", (unsigned char)cap[i]);
		putchar('\n');
		free(cap);
	}
	return (ferror(stdout) || fflush(stdout) != 0);
}
