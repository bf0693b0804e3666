/*
 * data_fetch: downloads manifest files into the cache with libcurl.
 * A file is written to "<dest>.part.XXXXXX" beside its final name,
 * hashed while it arrives, checked for size and sha256, fsync'd and
 * only then renamed over the final name, so a reader never sees a
 * partial or unverified file there.
 */
#include "config.h"
#include "data.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <qeval/plugin.h>

#include "xalloc.h"

struct dl {
	const struct data_file	*f;
	int			 fd;
	EVP_MD_CTX		*md;
	long long		 got;
	int			 oversize;	/* longer than the manifest */
	int			 werrno;	/* write(2) failure */
	int			 tty;
	curl_off_t		 shown;
};

static void
human(char *buf, size_t n, long long v)
{
	if (v < 1024)
		snprintf(buf, n, "%lld B", v);
	else if (v < 1024 * 1024)
		snprintf(buf, n, "%.1f KiB", (double)v / 1024);
	else if (v < 1024LL * 1024 * 1024)
		snprintf(buf, n, "%.1f MiB", (double)v / (1024 * 1024));
	else
		snprintf(buf, n, "%.1f GiB", (double)v / (1024 * 1024 * 1024));
}

static void
progress_line(const struct dl *d, long long now, const char *tail)
{
	char a[32], b[32];

	human(a, sizeof(a), now);
	if (d->f->size >= 0) {
		human(b, sizeof(b), d->f->size);
		fprintf(stderr, "\r%s  %s / %s%s\033[K", d->f->path, a, b,
		    tail);
	} else
		fprintf(stderr, "\r%s  %s%s\033[K", d->f->path, a, tail);
	fflush(stderr);
}

static size_t
on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct dl *d = arg;
	size_t n = size * nmemb, off = 0;
	ssize_t w;

	d->got += (long long)n;
	if (d->f->size >= 0 && d->got > d->f->size) {
		d->oversize = 1;
		return (0);
	}
	EVP_DigestUpdate(d->md, p, n);
	while (off < n) {
		w = write(d->fd, p + off, n - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			d->werrno = errno;
			return (0);
		}
		off += (size_t)w;
	}
	return (n);
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct dl *d = arg;

	(void)dltotal;
	(void)ultotal;
	(void)ulnow;
	if (d->tty && dlnow != d->shown) {
		d->shown = dlnow;
		progress_line(d, (long long)dlnow, "");
	}
	return (0);
}

/* mkdir -p of the directory part of path. */
static int
mkdirs(const char *path, struct strbuf *err)
{
	char *p = xstrdup(path), *s;
	int rc = 0;

	for (s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			strbuf_addf(err, "cannot create %s: %s", p,
			    strerror(errno));
			rc = QEVAL_EIO;
			break;
		}
		*s = '/';
	}
	free(p);
	return (rc);
}

static void
sync_dir(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd;

	if (slash != NULL && slash != dir)
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

static int
hex_final(EVP_MD_CTX *md, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (EVP_DigestFinal_ex(md, b, &n) != 1 || n != 32)
		return (-1);
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[64] = '\0';
	return (0);
}

static void
set_common(CURL *c, struct dl *d, char *ebuf)
{
	curl_easy_setopt(c, CURLOPT_URL, d->f->url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, d);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* Give up on a transfer stalled below 1 byte/s for a minute. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "/"
	    PACKAGE_VERSION);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, d->tty ? 0L : 1L);
	if (d->tty) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, d);
	}
}

/* Downloads one file to dest; 0 or an error appended to err. */
static int
fetch_one(CURL *c, const struct data_file *f, const char *dest, int tty,
    struct strbuf *err)
{
	struct dl d = { f, -1, NULL, 0, 0, 0, tty, -1 };
	struct strbuf tmp = STRBUF_INIT;
	char ebuf[CURL_ERROR_SIZE] = "", sum[65] = "";
	char a[32], b[32];
	long status = 0;
	CURLcode cc;
	int rc = QEVAL_EIO;

	if ((rc = mkdirs(dest, err)) < 0)
		return (rc);
	strbuf_addf(&tmp, "%s.part.XXXXXX", dest);
	if ((d.fd = mkstemp(tmp.buf)) < 0) {
		strbuf_addf(err, "cannot create %s: %s", tmp.buf,
		    strerror(errno));
		strbuf_release(&tmp);
		return (QEVAL_EIO);
	}
	rc = QEVAL_EIO;
	if ((d.md = EVP_MD_CTX_new()) == NULL)
		xalloc_die();
	EVP_DigestInit_ex(d.md, EVP_sha256(), NULL);
	curl_easy_reset(c);
	set_common(c, &d, ebuf);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (tty) {
		progress_line(&d, d.got, "");
		fputc('\n', stderr);
	}
	if (d.oversize) {
		strbuf_addf(err, "%s: %s: sent more than the %lld bytes that "
		    "manifest \"%s\" gives (sha256 %s); the file was not "
		    "kept: upstream changed, update the manifest or use "
		    "--data-dir", f->path, f->url, f->size, f->dataset,
		    f->sha256);
		rc = QEVAL_EDATA;
		goto fail;
	}
	if (d.werrno != 0) {
		strbuf_addf(err, "%s: cannot write %s: %s", f->path, tmp.buf,
		    strerror(d.werrno));
		goto fail;
	}
	if (cc != CURLE_OK) {
		strbuf_addf(err, "%s: cannot download %s: ", f->path, f->url);
		if (cc == CURLE_HTTP_RETURNED_ERROR)
			strbuf_addf(err, "HTTP %ld", status);
		else
			strbuf_adds(err, ebuf[0] != '\0' ? ebuf :
			    curl_easy_strerror(cc));
		strbuf_adds(err, "; check the network or the URL, or pass "
		    "--data-dir DIR to a mirror of the dataset files");
		goto fail;
	}
	if (hex_final(d.md, sum) != 0) {
		strbuf_addf(err, "%s: sha256 is not available", f->path);
		rc = QEVAL_EINTERNAL;
		goto fail;
	}
	if ((f->size >= 0 && d.got != f->size) ||
	    strcmp(sum, f->sha256) != 0) {
		human(a, sizeof(a), d.got);
		human(b, sizeof(b), f->size);
		strbuf_addf(err, "%s: %s: sha256 mismatch: downloaded %s, "
		    "manifest \"%s\" expects %s", f->path, f->url, sum,
		    f->dataset, f->sha256);
		if (f->size >= 0 && d.got != f->size)
			strbuf_addf(err, " (size %lld bytes, expected %lld)",
			    d.got, f->size);
		strbuf_adds(err, "; the file was not kept: upstream changed "
		    "or the download was damaged; retry, or update the "
		    "manifest, or use --data-dir");
		rc = QEVAL_EDATA;
		goto fail;
	}
	if (fsync(d.fd) != 0 || fchmod(d.fd, 0644) != 0) {
		strbuf_addf(err, "%s: cannot sync %s: %s", f->path, tmp.buf,
		    strerror(errno));
		goto fail;
	}
	if (close(d.fd) != 0) {
		d.fd = -1;
		strbuf_addf(err, "%s: cannot write %s: %s", f->path, tmp.buf,
		    strerror(errno));
		goto fail;
	}
	d.fd = -1;
	if (rename(tmp.buf, dest) != 0) {
		strbuf_addf(err, "%s: cannot rename %s to %s: %s", f->path,
		    tmp.buf, dest, strerror(errno));
		goto fail;
	}
	sync_dir(dest);
	EVP_MD_CTX_free(d.md);
	strbuf_release(&tmp);
	return (0);
fail:
	if (d.fd >= 0)
		close(d.fd);
	unlink(tmp.buf);
	EVP_MD_CTX_free(d.md);
	strbuf_release(&tmp);
	return (rc);
}

static int
selected(const struct data_file *f, const char *const *names, size_t n)
{
	size_t i;

	if (names == NULL)
		return (1);
	for (i = 0; i < n; i++)
		if (strcmp(names[i], f->dataset) == 0)
			return (1);
	return (0);
}

static void
add_error(struct strbuf *err, struct strbuf *one)
{
	if (err->len > 0 && err->buf[err->len - 1] != '\n')
		strbuf_addch(err, '\n');
	strbuf_add(err, one->buf, one->len);
	strbuf_reset(one);
}

int
data_fetch(const struct data_cfg *cfg, const char *const *names,
    size_t n_names, struct strbuf *err)
{
	const struct data_manifests *m = cfg->manifests;
	struct strbuf dest = STRBUF_INIT, one = STRBUF_INIT;
	char *root = NULL, *path = NULL, sum[65];
	CURL *c = NULL;
	size_t i, j;
	int rc = 0, r, tty = isatty(2);

	if (m == NULL) {
		strbuf_adds(err, "no dataset manifests loaded");
		return (QEVAL_EINVAL);
	}
	for (i = 0; names != NULL && i < n_names; i++) {
		for (j = 0; j < m->n_names; j++)
			if (strcmp(names[i], m->names[j]) == 0)
				break;
		if (j == m->n_names) {
			strbuf_addf(err, "unknown dataset \"%s\" (known:",
			    names[i]);
			for (j = 0; j < m->n_names; j++)
				strbuf_addf(err, " %s", m->names[j]);
			strbuf_adds(err, ")");
			return (QEVAL_ENOENT);
		}
	}
	/* With a data dir nothing is downloaded: check the mirror. */
	if (cfg->data_dir != NULL && cfg->data_dir[0] != '\0') {
		for (i = 0; i < m->n; i++) {
			if (!selected(&m->files[i], names, n_names))
				continue;
			r = data_resolve(cfg, m->files[i].path, &path, &one);
			free(path);
			path = NULL;
			if (r < 0) {
				add_error(err, &one);
				if (rc == 0)
					rc = r;
			}
			strbuf_reset(&one);
		}
		strbuf_release(&one);
		return (rc);
	}
	if ((rc = data_cache_dir(cfg, &root, err)) < 0)
		return (rc);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		strbuf_adds(err, "cannot initialise libcurl");
		free(root);
		return (QEVAL_EINTERNAL);
	}
	if ((c = curl_easy_init()) == NULL)
		xalloc_die();
	for (i = 0; i < m->n; i++) {
		const struct data_file *f = &m->files[i];

		if (!selected(f, names, n_names))
			continue;
		strbuf_reset(&dest);
		strbuf_addf(&dest, "%s/%s", root, f->path);
		if (access(dest.buf, F_OK) == 0 &&
		    data_sha256_file(dest.buf, sum, &one) == 0 &&
		    strcmp(sum, f->sha256) == 0) {
			if (tty)
				fprintf(stderr, "%s  present, verified\n",
				    f->path);
			continue;
		}
		strbuf_reset(&one);
		r = fetch_one(c, f, dest.buf, tty, &one);
		if (r < 0) {
			add_error(err, &one);
			if (rc == 0)
				rc = r;
		}
	}
	curl_easy_cleanup(c);
	curl_global_cleanup();
	strbuf_release(&dest);
	strbuf_release(&one);
	free(root);
	return (rc);
}
