#include "config.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *
fileio_read(const char *path, size_t *lenp)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[8192];
	size_t got;
	FILE *fp;
	int e;

	if ((fp = fopen(path, "rb")) == NULL)
		return (NULL);
	while ((got = fread(buf, 1, sizeof(buf), fp)) > 0)
		strbuf_add(&sb, buf, got);
	if (ferror(fp)) {
		/* reading a directory lands here too (EISDIR) */
		e = errno != 0 ? errno : EIO;
		fclose(fp);
		strbuf_release(&sb);
		errno = e;
		return (NULL);
	}
	fclose(fp);
	return (strbuf_detach(&sb, lenp));
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += w;
		n -= (size_t)w;
	}
	return (0);
}

int
fileio_write_atomic(const char *path, const char *data, size_t len,
    struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT;
	const char *slash = strrchr(path, '/');
	int fd, dfd, e;

	if (slash != NULL)
		strbuf_add(&tmp, path, (size_t)(slash - path) + 1);
	strbuf_addf(&tmp, ".%s.XXXXXX", slash != NULL ? slash + 1 : path);
	if ((fd = mkstemp(tmp.buf)) < 0) {
		strbuf_addf(err, "%s: cannot create a temporary file: %s",
		    tmp.buf, strerror(errno));
		strbuf_release(&tmp);
		return (-1);
	}
	if (fchmod(fd, 0644) < 0 || write_all(fd, data, len) < 0 ||
	    fsync(fd) < 0) {
		e = errno;
		close(fd);
		unlink(tmp.buf);
		strbuf_addf(err, "%s: cannot write: %s", tmp.buf,
		    strerror(e));
		strbuf_release(&tmp);
		return (-1);
	}
	if (close(fd) < 0 || rename(tmp.buf, path) < 0) {
		e = errno;
		unlink(tmp.buf);
		strbuf_addf(err, "%s: cannot write: %s", path, strerror(e));
		strbuf_release(&tmp);
		return (-1);
	}
	/* Make the rename itself durable; failure here loses nothing. */
	strbuf_reset(&tmp);
	if (slash != NULL)
		strbuf_add(&tmp, path, (size_t)(slash - path) + 1);
	else
		strbuf_adds(&tmp, ".");
	if ((dfd = open(tmp.buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	strbuf_release(&tmp);
	return (0);
}
