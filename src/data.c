/*
 * data: manifests, resolution in the data dir or the cache, sha256
 * checks, whole-file readers (plain, zlib, libarchive) and the record
 * walker.  Downloads live in fetch.c.
 */
#include "config.h"
#include "data.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <qeval/plugin.h>
#include <zlib.h>

#include "xalloc.h"

/* Largest decompressed file we accept: a guard against archive bombs. */
#define DATA_MAX_BYTES	((size_t)1 << 30)
#define READ_CHUNK	((size_t)1 << 16)

/* ---------------------------------------------------------------- */
/* Manifests                                                        */

static const char *const top_keys[] = {
	"name", "description", "license", "files", NULL
};
static const char *const file_keys[] = {
	"path", "url", "sha256", "size", "format", "records", "license",
	"note", NULL
};

static int
known_key(const char *const *keys, const char *k)
{
	for (; *keys != NULL; keys++)
		if (strcmp(*keys, k) == 0)
			return (1);
	return (0);
}

static void
list_keys(struct strbuf *sb, const char *const *keys)
{
	for (; *keys != NULL; keys++)
		strbuf_addf(sb, "%s%s", *keys, keys[1] != NULL ? ", " : "");
}

static int
valid_relpath(const char *p)
{
	size_t n;

	if (*p == '/' || strchr(p, '\\') != NULL)
		return (0);
	for (;;) {
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return (0);
		if (p[n] == '\0')
			return (1);
		p += n + 1;
	}
}

static int
valid_sha(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]) ||
		    isupper((unsigned char)s[i]))
			return (0);
	return (s[64] == '\0');
}

static int
is_count(const cJSON *v)
{
	return (cJSON_IsNumber(v) && v->valuedouble >= 0 &&
	    v->valuedouble <= 9007199254740992.0 &&
	    v->valuedouble == (double)(long long)v->valuedouble);
}

/* Line and column of position p in text, for parse errors. */
static void
text_pos(const char *text, const char *p, size_t *line, size_t *col)
{
	const char *c, *bol = text;

	*line = 1;
	for (c = text; c < p && *c != '\0'; c++)
		if (*c == '\n') {
			(*line)++;
			bol = c + 1;
		}
	*col = (size_t)(p - bol) + 1;
}

static int
str_field(const char *file, const char *where, const cJSON *obj,
    const char *key, int required, char **out, struct strbuf *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if (v == NULL) {
		if (!required)
			return (0);
		strbuf_addf(err, "%s: %smissing key \"%s\"", file, where, key);
		return (QEVAL_EDATA);
	}
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
		strbuf_addf(err, "%s: %skey \"%s\" must be a non-empty string",
		    file, where, key);
		return (QEVAL_EDATA);
	}
	*out = xstrdup(v->valuestring);
	return (0);
}

static void
file_release(struct data_file *f)
{
	free(f->path);
	free(f->url);
	free(f->sha256);
	free(f->format);
	free(f->license);
	free(f->dataset);
	memset(f, 0, sizeof(*f));
}

static int
parse_file(const char *file, const char *mname, const char *mlicense,
    const cJSON *o, size_t idx, struct data_file *f, struct strbuf *err)
{
	char where[48];
	const cJSON *v;
	char *note = NULL;
	int rc;

	memset(f, 0, sizeof(*f));
	snprintf(where, sizeof(where), "files[%zu]: ", idx);
	if (!cJSON_IsObject(o)) {
		strbuf_addf(err, "%s: %smust be an object with keys ", file,
		    where);
		list_keys(err, file_keys);
		return (QEVAL_EDATA);
	}
	for (v = o->child; v != NULL; v = v->next)
		if (!known_key(file_keys, v->string)) {
			strbuf_addf(err, "%s: %sunknown key \"%s\" (known: ",
			    file, where, v->string);
			list_keys(err, file_keys);
			strbuf_adds(err, ")");
			return (QEVAL_EDATA);
		}
	if ((rc = str_field(file, where, o, "path", 1, &f->path, err)) < 0 ||
	    (rc = str_field(file, where, o, "url", 1, &f->url, err)) < 0 ||
	    (rc = str_field(file, where, o, "sha256", 1, &f->sha256,
	    err)) < 0 ||
	    (rc = str_field(file, where, o, "format", 1, &f->format,
	    err)) < 0 ||
	    (rc = str_field(file, where, o, "license", 0, &f->license,
	    err)) < 0 ||
	    (rc = str_field(file, where, o, "note", 0, &note, err)) < 0)
		goto fail;
	free(note);
	rc = QEVAL_EDATA;
	if (!valid_relpath(f->path)) {
		strbuf_addf(err, "%s: %spath \"%s\" must be relative to the "
		    "data dir, without \".\" or \"..\" parts", file, where,
		    f->path);
		goto fail;
	}
	if (!valid_sha(f->sha256)) {
		strbuf_addf(err, "%s: %skey \"sha256\" must be 64 lowercase "
		    "hex digits (as sha256sum prints them)", file, where);
		goto fail;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "size");
	if (v == NULL) {
		strbuf_addf(err, "%s: %smissing key \"size\"", file, where);
		goto fail;
	}
	if (!is_count(v)) {
		strbuf_addf(err, "%s: %skey \"size\" must be a whole number "
		    "of bytes", file, where);
		goto fail;
	}
	f->size = (long long)v->valuedouble;
	f->records = -1;
	v = cJSON_GetObjectItemCaseSensitive(o, "records");
	if (v != NULL) {
		if (!is_count(v)) {
			strbuf_addf(err, "%s: %skey \"records\" must be a "
			    "whole number", file, where);
			goto fail;
		}
		f->records = (long long)v->valuedouble;
	}
	if (f->license == NULL)
		f->license = xstrdup(mlicense);
	f->dataset = xstrdup(mname);
	return (0);
fail:
	file_release(f);
	return (rc);
}

static char *
slurp_plain(const char *path, struct strbuf *err)
{
	char *buf = NULL;

	if (data_read_all(path, &buf, NULL, err) < 0)
		return (NULL);
	return (buf);
}

static int
load_one(struct data_manifests *m, const char *dir, const char *ent,
    struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	const cJSON *v, *files;
	cJSON *root = NULL;
	const char *end = NULL;
	char *text, *name = NULL, *desc = NULL, *lic = NULL;
	size_t stem = strlen(ent) - 5, i, line, col, first;
	size_t alloc = m->n;
	int rc = QEVAL_EDATA;

	strbuf_addf(&path, "%s/%s", dir, ent);
	if ((text = slurp_plain(path.buf, err)) == NULL) {
		strbuf_release(&path);
		return (QEVAL_EIO);
	}
	root = cJSON_ParseWithOpts(text, &end, 1);
	if (root == NULL) {
		text_pos(text, end != NULL ? end : text, &line, &col);
		strbuf_addf(err, "%s:%zu:%zu: invalid JSON; fix the manifest",
		    path.buf, line, col);
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		strbuf_addf(err, "%s: must be a JSON object with keys ",
		    path.buf);
		list_keys(err, top_keys);
		goto out;
	}
	for (v = root->child; v != NULL; v = v->next)
		if (!known_key(top_keys, v->string)) {
			strbuf_addf(err, "%s: unknown key \"%s\" (known: ",
			    path.buf, v->string);
			list_keys(err, top_keys);
			strbuf_adds(err, ")");
			goto out;
		}
	if ((rc = str_field(path.buf, "", root, "name", 1, &name, err)) < 0 ||
	    (rc = str_field(path.buf, "", root, "description", 1, &desc,
	    err)) < 0 ||
	    (rc = str_field(path.buf, "", root, "license", 1, &lic, err)) < 0)
		goto out;
	rc = QEVAL_EDATA;
	if (strlen(name) != stem || strncmp(name, ent, stem) != 0) {
		strbuf_addf(err, "%s: key \"name\" is \"%s\" but the file is "
		    "%s: a manifest is named after its dataset", path.buf,
		    name, ent);
		goto out;
	}
	files = cJSON_GetObjectItemCaseSensitive(root, "files");
	if (files == NULL) {
		strbuf_addf(err, "%s: missing key \"files\"", path.buf);
		goto out;
	}
	if (!cJSON_IsArray(files)) {
		strbuf_addf(err, "%s: key \"files\" must be an array",
		    path.buf);
		goto out;
	}
	first = m->n;
	i = 0;
	for (v = files->child; v != NULL; v = v->next, i++) {
		const struct data_file *dup;
		struct data_file f;

		if ((rc = parse_file(path.buf, name, lic, v, i, &f, err)) < 0)
			goto undo;
		if ((dup = data_manifests_find(m, f.path)) != NULL) {
			strbuf_addf(err, "%s: files[%zu]: path \"%s\" is "
			    "already listed by manifest \"%s\"", path.buf, i,
			    f.path, dup->dataset);
			file_release(&f);
			rc = QEVAL_EDATA;
			goto undo;
		}
		m->files = xgrow(m->files, m->n + 1, sizeof(*m->files),
		    &alloc);
		m->files[m->n++] = f;
	}
	m->names = xrealloc(m->names, (m->n_names + 1) * sizeof(*m->names));
	m->names[m->n_names++] = name;
	name = NULL;
	rc = 0;
	goto out;
undo:
	while (m->n > first)
		file_release(&m->files[--m->n]);
out:
	cJSON_Delete(root);
	free(text);
	free(name);
	free(desc);
	free(lic);
	strbuf_release(&path);
	return (rc);
}

static int
cmp_str(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

int
data_manifests_load(struct data_manifests *m, const char *dir,
    struct strbuf *err)
{
	char **ents = NULL;
	size_t n = 0, alloc = 0, i, len;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	if ((d = opendir(dir)) == NULL) {
		strbuf_addf(err, "cannot open the manifest dir %s: %s", dir,
		    strerror(errno));
		return (errno == ENOENT ? QEVAL_ENOENT : QEVAL_EIO);
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 5 || de->d_name[0] == '.' ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		ents = xgrow(ents, n + 1, sizeof(*ents), &alloc);
		ents[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(ents, n, sizeof(*ents), cmp_str);
	for (i = 0; i < n && rc == 0; i++)
		rc = load_one(m, dir, ents[i], err);
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	if (rc < 0)
		data_manifests_release(m);
	return (rc);
}

void
data_manifests_release(struct data_manifests *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		file_release(&m->files[i]);
	for (i = 0; i < m->n_names; i++)
		free(m->names[i]);
	free(m->files);
	free(m->names);
	memset(m, 0, sizeof(*m));
}

const struct data_file *
data_manifests_find(const struct data_manifests *m, const char *relpath)
{
	size_t i;

	if (m == NULL || relpath == NULL)
		return (NULL);
	for (i = 0; i < m->n; i++)
		if (strcmp(m->files[i].path, relpath) == 0)
			return (&m->files[i]);
	return (NULL);
}

/* ---------------------------------------------------------------- */
/* Resolution and checksums                                         */

int
data_cache_dir(const struct data_cfg *cfg, char **dirp, struct strbuf *err)
{
	const char *x;
	struct strbuf sb = STRBUF_INIT;

	*dirp = NULL;
	if (cfg != NULL && cfg->cache_dir != NULL && cfg->cache_dir[0] != '\0')
		strbuf_adds(&sb, cfg->cache_dir);
	else if ((x = getenv("XDG_CACHE_HOME")) != NULL && x[0] == '/')
		strbuf_addf(&sb, "%s/qeval", x);
	else if ((x = getenv("HOME")) != NULL && x[0] != '\0')
		strbuf_addf(&sb, "%s/.cache/qeval", x);
	else {
		strbuf_adds(err, "no cache dir: neither XDG_CACHE_HOME nor "
		    "HOME is set; set one, or pass --data-dir");
		return (QEVAL_EINVAL);
	}
	while (sb.len > 1 && sb.buf[sb.len - 1] == '/')
		strbuf_setlen(&sb, sb.len - 1);
	*dirp = strbuf_detach(&sb, NULL);
	return (0);
}

int
data_sha256_file(const char *path, char out[65], struct strbuf *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE], *buf;
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx;
	ssize_t r;
	int fd, rc = 0;

	out[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		strbuf_addf(err, "cannot open %s: %s", path, strerror(errno));
		return (errno == ENOENT ? QEVAL_ENOENT : QEVAL_EIO);
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		xalloc_die();
	buf = xmalloc(READ_CHUNK);
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		strbuf_addf(err, "%s: sha256 is not available", path);
		rc = QEVAL_EINTERNAL;
	}
	while (rc == 0 && (r = read(fd, buf, READ_CHUNK)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			strbuf_addf(err, "cannot read %s: %s", path,
			    strerror(errno));
			rc = QEVAL_EIO;
		} else
			EVP_DigestUpdate(ctx, buf, (size_t)r);
	}
	if (rc == 0 && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1) {
		for (i = 0; i < mdlen && i < 32; i++) {
			out[2 * i] = hex[md[i] >> 4];
			out[2 * i + 1] = hex[md[i] & 15];
		}
		out[2 * i] = '\0';
	}
	EVP_MD_CTX_free(ctx);
	free(buf);
	close(fd);
	return (rc);
}

/*
 * Paths verified in this process, keyed by path and expected sum, so
 * that a file read by several tasks is hashed once.
 */
static pthread_mutex_t verified_mu = PTHREAD_MUTEX_INITIALIZER;
static char **verified;
static size_t n_verified, verified_alloc;

static int
is_verified(const char *key)
{
	size_t i;
	int found = 0;

	pthread_mutex_lock(&verified_mu);
	for (i = 0; i < n_verified && !found; i++)
		found = strcmp(verified[i], key) == 0;
	pthread_mutex_unlock(&verified_mu);
	return (found);
}

static void
set_verified(const char *key)
{
	pthread_mutex_lock(&verified_mu);
	verified = xgrow(verified, n_verified + 1, sizeof(*verified),
	    &verified_alloc);
	verified[n_verified++] = xstrdup(key);
	pthread_mutex_unlock(&verified_mu);
}

/* Hashes path against f once per process; 0 or an error in err. */
static int
verify(const char *path, const struct data_file *f, int in_data_dir,
    struct strbuf *err)
{
	struct strbuf key = STRBUF_INIT;
	char sum[65];
	struct stat st;
	int rc;

	strbuf_addf(&key, "%s %s", f->sha256, path);
	if (is_verified(key.buf)) {
		strbuf_release(&key);
		return (0);
	}
	if ((rc = data_sha256_file(path, sum, err)) < 0)
		goto out;
	if (strcmp(sum, f->sha256) != 0) {
		strbuf_addf(err, "%s: sha256 mismatch: the file has %s, "
		    "manifest \"%s\" expects %s", path, sum, f->dataset,
		    f->sha256);
		if (stat(path, &st) == 0 && f->size >= 0 &&
		    (long long)st.st_size != f->size)
			strbuf_addf(err, " (size %lld bytes, expected %lld)",
			    (long long)st.st_size, f->size);
		if (in_data_dir)
			strbuf_addf(err, "; the data dir holds another version"
			    " or a damaged copy: replace it with the official "
			    "file from %s", f->url);
		else
			strbuf_addf(err, "; the cached copy is damaged or "
			    "stale: delete it and run `qeval fetch %s`",
			    f->dataset);
		rc = QEVAL_EDATA;
		goto out;
	}
	set_verified(key.buf);
out:
	strbuf_release(&key);
	return (rc);
}

int
data_resolve(const struct data_cfg *cfg, const char *relpath,
    char **abspath, struct strbuf *err)
{
	const struct data_file *f;
	struct strbuf path = STRBUF_INIT;
	char *root = NULL;
	struct stat st;
	int rc;

	*abspath = NULL;
	memset(&st, 0, sizeof(st));
	errno = 0;
	if (relpath == NULL || *relpath == '\0') {
		strbuf_adds(err, "no dataset file named");
		return (QEVAL_EINVAL);
	}
	f = data_manifests_find(cfg->manifests, relpath);
	if (relpath[0] == '/')
		strbuf_adds(&path, relpath);
	else if (!valid_relpath(relpath)) {
		strbuf_addf(err, "dataset file \"%s\": a path relative to "
		    "the data dir is expected, without \".\" or \"..\"",
		    relpath);
		return (QEVAL_EINVAL);
	} else if (cfg->data_dir != NULL && cfg->data_dir[0] != '\0')
		strbuf_addf(&path, "%s/%s", cfg->data_dir, relpath);
	else {
		if ((rc = data_cache_dir(cfg, &root, err)) < 0)
			return (rc);
		strbuf_addf(&path, "%s/%s", root, relpath);
	}
	if (stat(path.buf, &st) != 0 || !S_ISREG(st.st_mode)) {
		const char *why = S_ISDIR(st.st_mode) ? "a directory" :
		    "not a regular file";

		rc = QEVAL_ENOENT;
		if (errno != 0 && errno != ENOENT && errno != ENOTDIR)
			rc = QEVAL_EIO;
		if (errno != 0)
			why = strerror(errno);
		if (relpath[0] == '/')
			strbuf_addf(err, "%s: %s", relpath, why);
		else if (root == NULL)
			strbuf_addf(err, "%s: not in the data dir %s (%s): "
			    "add the file there (see docs/DATASETS.md), or "
			    "unset --data-dir/QEVAL_DATA_DIR to use the cache",
			    relpath, cfg->data_dir, why);
		else
			strbuf_addf(err, "%s: not in the cache %s: run "
			    "`qeval fetch %s`, or pass --data-dir DIR (or set "
			    "QEVAL_DATA_DIR) to a mirror of the dataset files",
			    relpath, root, f != NULL ? f->dataset : "TASK");
		goto out;
	}
	rc = 0;
	if (f == NULL)
		strbuf_addf(err, "%s: no manifest lists this file; it is read "
		    "unverified", relpath);
	else if (cfg->verify)
		rc = verify(path.buf, f, root == NULL, err);
out:
	if (rc == 0)
		*abspath = strbuf_detach(&path, NULL);
	strbuf_release(&path);
	free(root);
	return (rc);
}

/* ---------------------------------------------------------------- */
/* Whole-file readers                                               */

enum kind { K_PLAIN, K_GZIP, K_RAW, K_TAR, K_ZIP };

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return (n >= m && strcasecmp(s + n - m, suffix) == 0);
}

static enum kind
kind_of(const char *path)
{
	static const char *const tar[] = { ".tar", ".tar.gz", ".tgz",
	    ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar.zst",
	    ".tar.lz", ".tar.lzma", NULL };
	static const char *const raw[] = { ".bz2", ".xz", ".lzma", ".zst",
	    ".lz", ".lz4", ".Z", NULL };
	const char *const *s;

	for (s = tar; *s != NULL; s++)
		if (ends_with(path, *s))
			return (K_TAR);
	if (ends_with(path, ".zip"))
		return (K_ZIP);
	if (ends_with(path, ".gz"))
		return (K_GZIP);
	for (s = raw; *s != NULL; s++)
		if (ends_with(path, *s))
			return (K_RAW);
	return (K_PLAIN);
}

static int
too_big(const char *path, struct strbuf *err)
{
	strbuf_addf(err, "%s: more than %zu MiB once decompressed; "
	    "refusing to read it", path, DATA_MAX_BYTES >> 20);
	return (QEVAL_EDATA);
}

static int
read_plain(const char *path, struct strbuf *sb, struct strbuf *err)
{
	struct stat st;
	ssize_t r;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		strbuf_addf(err, "cannot open %s: %s", path, strerror(errno));
		return (errno == ENOENT ? QEVAL_ENOENT : QEVAL_EIO);
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if ((unsigned long long)st.st_size > DATA_MAX_BYTES) {
			close(fd);
			return (too_big(path, err));
		}
		strbuf_grow(sb, (size_t)st.st_size + 1);
	}
	for (;;) {
		if (sb->len >= DATA_MAX_BYTES) {
			rc = too_big(path, err);
			break;
		}
		strbuf_grow(sb, READ_CHUNK);
		r = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			strbuf_addf(err, "cannot read %s: %s", path,
			    strerror(errno));
			rc = QEVAL_EIO;
			break;
		}
		strbuf_setlen(sb, sb->len + (size_t)r);
	}
	close(fd);
	return (rc);
}

static int
read_gzip(const char *path, struct strbuf *sb, struct strbuf *err)
{
	const char *msg;
	gzFile gz;
	int r, zerr, rc = 0;

	if ((gz = gzopen(path, "rb")) == NULL) {
		strbuf_addf(err, "cannot open %s: %s", path,
		    errno != 0 ? strerror(errno) : "out of memory");
		return (errno == ENOENT ? QEVAL_ENOENT : QEVAL_EIO);
	}
	gzbuffer(gz, 128 * 1024);
	for (;;) {
		if (sb->len >= DATA_MAX_BYTES) {
			rc = too_big(path, err);
			break;
		}
		strbuf_grow(sb, READ_CHUNK);
		r = gzread(gz, sb->buf + sb->len, (unsigned)READ_CHUNK);
		if (r < 0) {
			msg = gzerror(gz, &zerr);
			strbuf_addf(err, "%s: corrupt gzip data (%s); the file "
			    "is damaged: fetch it again", path, msg);
			rc = QEVAL_EDATA;
			break;
		}
		if (r == 0)
			break;
		strbuf_setlen(sb, sb->len + (size_t)r);
	}
	/* gzread() treats a cut stream as a short read: ask gzerror(). */
	if (rc == 0 && (msg = gzerror(gz, &zerr)) != NULL && zerr != Z_OK) {
		strbuf_addf(err, "%s: corrupt gzip data (%s); the file is "
		    "damaged: fetch it again", path, msg);
		rc = QEVAL_EDATA;
	}
	if (rc == 0 && gzdirect(gz) && sb->len > 0) {
		strbuf_addf(err, "%s: not gzip data, although the name ends "
		    "in .gz", path);
		rc = QEVAL_EDATA;
	}
	gzclose_r(gz);
	return (rc);
}

static int
read_archive(const char *path, enum kind k, struct strbuf *sb,
    struct strbuf *err)
{
	struct archive *a;
	struct archive_entry *e;
	la_ssize_t r;
	int rc = 0, h;

	if ((a = archive_read_new()) == NULL)
		xalloc_die();
	archive_read_support_filter_all(a);
	if (k == K_TAR)
		archive_read_support_format_tar(a);
	else if (k == K_ZIP)
		archive_read_support_format_zip(a);
	else
		archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, 64 * 1024) != ARCHIVE_OK) {
		strbuf_addf(err, "cannot open %s: %s", path,
		    archive_error_string(a));
		rc = access(path, F_OK) != 0 ? QEVAL_ENOENT : QEVAL_EDATA;
		goto out;
	}
	for (;;) {
		h = archive_read_next_header(a, &e);
		if (h == ARCHIVE_EOF) {
			strbuf_addf(err, "%s: the archive holds no regular "
			    "file", path);
			rc = QEVAL_EDATA;
			goto out;
		}
		if (h < ARCHIVE_WARN) {
			strbuf_addf(err, "%s: corrupt archive (%s); the file "
			    "is damaged: fetch it again", path,
			    archive_error_string(a));
			rc = QEVAL_EDATA;
			goto out;
		}
		if (archive_entry_filetype(e) == AE_IFREG)
			break;
		archive_read_data_skip(a);
	}
	for (;;) {
		if (sb->len >= DATA_MAX_BYTES) {
			rc = too_big(path, err);
			break;
		}
		strbuf_grow(sb, READ_CHUNK);
		r = archive_read_data(a, sb->buf + sb->len, READ_CHUNK);
		if (r == 0)
			break;
		if (r < 0 && r != ARCHIVE_WARN) {
			strbuf_addf(err, "%s: corrupt compressed data (%s); "
			    "the file is damaged: fetch it again", path,
			    archive_error_string(a));
			rc = QEVAL_EDATA;
			break;
		}
		if (r > 0)
			strbuf_setlen(sb, sb->len + (size_t)r);
	}
out:
	archive_read_free(a);
	return (rc);
}

int
data_read_all(const char *path, char **out, size_t *lenp,
    struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	enum kind k = kind_of(path);
	int rc;

	*out = NULL;
	if (lenp != NULL)
		*lenp = 0;
	errno = 0;
	if (k == K_PLAIN)
		rc = read_plain(path, &sb, err);
	else if (k == K_GZIP)
		rc = read_gzip(path, &sb, err);
	else
		rc = read_archive(path, k, &sb, err);
	if (rc < 0) {
		strbuf_release(&sb);
		return (rc);
	}
	*out = strbuf_detach(&sb, lenp);
	return (0);
}

/* ---------------------------------------------------------------- */
/* Records                                                          */

struct walk {
	const char	*name;
	data_record_cb	 cb;
	void		*arg;
	struct strbuf	 where;
	struct strbuf	*err;
};

static int
is_ws(char c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

/* Past the closing quote of the string at p, or NULL. */
static const char *
skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return (p + 1);
	}
	return (NULL);
}

/*
 * Past the JSON value starting at p, found by nesting alone: cJSON
 * checks the slice afterwards.  NULL if it never ends.
 */
static const char *
skip_value(const char *p, const char *end)
{
	size_t depth = 0;

	if (p < end && *p != '"' && *p != '[' && *p != '{') {
		while (p < end && !is_ws(*p) && *p != ',' && *p != ']' &&
		    *p != '}')
			p++;
		return (p);
	}
	while (p < end) {
		switch (*p) {
		case '"':
			if ((p = skip_string(p, end)) == NULL)
				return (NULL);
			break;
		case '[':
		case '{':
			depth++;
			p++;
			break;
		case ']':
		case '}':
			p++;
			if (depth-- <= 1)
				return (p);
			break;
		default:
			p++;
			if (depth == 0)
				return (p);
		}
		if (depth == 0)
			return (p);
	}
	return (NULL);
}

static size_t
count_lines(const char *from, const char *to)
{
	size_t n = 0;

	for (; from < to; from++)
		if (*from == '\n')
			n++;
	return (n);
}

static void
bad_json(struct walk *w, size_t line, const char *rec, const char *epos,
    const char *what)
{
	const char *bol = rec;
	size_t i, col;

	if (epos == NULL)
		epos = rec;
	line += count_lines(rec, epos);
	for (bol = epos; bol > rec && bol[-1] != '\n'; bol--)
		;
	col = (size_t)(epos - bol) + 1;
	strbuf_addf(w->err, "%s:%zu: invalid JSON (%s", w->name, line, what);
	if (*epos == '\0')
		strbuf_addf(w->err, "ends early, column %zu", col);
	else {
		strbuf_addf(w->err, "column %zu, near '", col);
		for (i = 0; i < 16 && epos[i] != '\0' && epos[i] != '\n'; i++)
			strbuf_addch(w->err, isprint((unsigned char)epos[i]) ?
			    epos[i] : '?');
		strbuf_adds(w->err, "'");
	}
	strbuf_adds(w->err, "); fix or replace the file");
}

/*
 * Python's json module writes NaN, Infinity and -Infinity, which JSON
 * does not allow; MBPP+ has them in test inputs.  A record that fails
 * only on those is accepted and passed on verbatim: this checks a copy
 * in which each such bare word is overwritten by a number of the same
 * length, so error positions stay those of the original.
 */
static int
python_json_ok(const char *s, size_t len)
{
	char *c = xstrndup(s, len), *p, *end = c + len;
	cJSON *j;
	int changed = 0;

	for (p = c; p < end; p++) {
		if (*p == '"') {
			const char *q = skip_string(p, end);

			if (q == NULL)
				break;
			p = (char *)q - 1;
		} else if ((p == c || !isalnum((unsigned char)p[-1])) &&
		    (size_t)(end - p) >= 3 && memcmp(p, "NaN", 3) == 0 &&
		    (p + 3 == end || !isalnum((unsigned char)p[3]))) {
			memcpy(p, "0.0", 3);
			changed = 1;
		} else if ((p == c || !isalnum((unsigned char)p[-1])) &&
		    (size_t)(end - p) >= 8 && memcmp(p, "Infinity", 8) == 0 &&
		    (p + 8 == end || !isalnum((unsigned char)p[8]))) {
			memcpy(p, "1.0e+308", 8);
			changed = 1;
		}
	}
	j = changed ? cJSON_Parse(c) : NULL;
	changed = j != NULL;
	cJSON_Delete(j);
	free(c);
	return (changed);
}

/*
 * Checks the record [s, e) with cJSON and hands it to the callback,
 * NUL-terminated in place (the byte at e is restored afterwards).
 */
static int
emit(struct walk *w, char *s, char *e, size_t line, const char *what)
{
	const char *pend = NULL;
	cJSON *j;
	char saved = *e;
	int rc;

	*e = '\0';
	j = cJSON_ParseWithOpts(s, &pend, 1);
	if (j == NULL && !python_json_ok(s, (size_t)(e - s))) {
		bad_json(w, line, s, pend, what);
		*e = saved;
		return (QEVAL_EDATA);
	}
	cJSON_Delete(j);
	rc = w->cb(w->arg, s, (size_t)(e - s), w->where.buf);
	*e = saved;
	return (rc);
}

static int
walk_lines(struct walk *w, char *p, char *end)
{
	char *nl, *e;
	size_t line = 0;
	int rc;

	for (; p < end; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		e = nl;
		while (e > p && is_ws(e[-1]))
			e--;
		while (p < e && is_ws(*p))
			p++;
		if (p == e)
			continue;
		strbuf_reset(&w->where);
		strbuf_addf(&w->where, "%s:%zu", w->name, line);
		if ((rc = emit(w, p, e, line, "")) != 0)
			return (rc);
	}
	return (0);
}

static int
walk_array(struct walk *w, char *text, char *p, char *end)
{
	char what[48];
	char *e, *lp = text;
	size_t i = 0, line = 1;
	int rc;

	for (p++;; i++) {
		while (p < end && is_ws(*p))
			p++;
		if (p < end && *p == ']' && i == 0)
			return (0);
		line += count_lines(lp, p);
		lp = p;
		snprintf(what, sizeof(what), "item %zu, ", i);
		if (p >= end || (e = (char *)skip_value(p, end)) == NULL) {
			bad_json(w, line, p, end, what);
			return (QEVAL_EDATA);
		}
		strbuf_reset(&w->where);
		strbuf_addf(&w->where, "%s[%zu]", w->name, i);
		if ((rc = emit(w, p, e, line, what)) != 0)
			return (rc);
		for (p = e; p < end && is_ws(*p); p++)
			;
		if (p < end && *p == ']')
			return (0);
		if (p >= end || *p != ',') {
			bad_json(w, line, lp, p, "expected ',' or ']', ");
			return (QEVAL_EDATA);
		}
		p++;
	}
}

int
data_records(const char *path, const char *name, data_record_cb cb,
    void *arg, struct strbuf *err)
{
	struct walk w = { name != NULL ? name : path, cb, arg, STRBUF_INIT,
	    err };
	static const char *const jsonl_suffix[] = { ".jsonl", ".jsonl.gz",
	    ".jsonl.bz2", ".jsonl.xz", ".jsonl.zst", ".jsonl.zip", NULL };
	char *text, *p, *end, *e, *start;
	const char *v;
	size_t len, i;
	int rc, lines;

	if ((rc = data_read_all(path, &text, &len, err)) < 0)
		return (rc);
	p = text;
	end = text + len;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	lines = 0;
	for (i = 0; jsonl_suffix[i] != NULL; i++)
		lines |= ends_with(path, jsonl_suffix[i]);
	start = p;
	while (p < end && is_ws(*p))
		p++;
	if (!lines && p < end && (v = skip_value(p, end)) != NULL) {
		for (e = (char *)v; e < end && is_ws(*e); e++)
			;
		if (e == end) {
			if (*p == '[')
				rc = walk_array(&w, start, p, end);
			else {
				strbuf_adds(&w.where, w.name);
				rc = emit(&w, p, (char *)v, 1 +
				    count_lines(start, p), "");
			}
			goto out;
		}
	}
	rc = walk_lines(&w, start, end);
out:
	strbuf_release(&w.where);
	free(text);
	return (rc);
}
