#include "config.h"
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "xalloc.h"

struct jent {
	char		*key;
	uint64_t	 hash;
	cJSON		*rec;
	char		*line;		/* the record's text, kept only when
					 * a string in it holds "\u0000" */
	struct jent	*next;
};

struct journal {
	unsigned	 magic;
#define JOURNAL_MAGIC	 0x4a524e4cu
	int		 fd;
	char		*path;
	struct jent	**tab;
	size_t		 nbuckets;
	size_t		 n;
	cJSON		*header;
	double		 last_sync;
	int		 dirty;
};

uint64_t
journal_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= c[i];
		h *= UINT64_C(0x100000001b3);
	}
	return (h);
}

static void
make_key(struct strbuf *k, const char *task, const char *sample,
    unsigned cand, unsigned step)
{
	strbuf_reset(k);
	strbuf_addf(k, "%s\x1f%s\x1f%u\x1f%u", task, sample, cand, step);
}

static size_t
bucket(const struct journal *j, const char *key)
{
	return ((size_t)(journal_hash(JOURNAL_HASH_INIT, key, strlen(key)) %
	    j->nbuckets));
}

static void
grow_table(struct journal *j)
{
	struct jent **old = j->tab, *e, *next;
	size_t oldn = j->nbuckets, i;

	j->nbuckets = oldn ? oldn * 2 : 1024;
	j->tab = xcalloc(j->nbuckets, sizeof(*j->tab));
	for (i = 0; i < oldn; i++)
		for (e = old[i]; e != NULL; e = next) {
			size_t b = bucket(j, e->key);

			next = e->next;
			e->next = j->tab[b];
			j->tab[b] = e;
		}
	free(old);
}

/* The line, if cJSON would have cut a string of it at a NUL byte. */
static char *
keep_line(const char *line, size_t len)
{
	if (memmem(line, len, "\\u0000", 6) == NULL)
		return (NULL);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	return (xstrndup(line, len));
}

static int
index_record(struct journal *j, cJSON *rec, char *line,
    struct strbuf *key)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "t");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(rec, "s");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(rec, "c");
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(rec, "k");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(rec, "h");
	struct jent *e;
	size_t b;

	if (!cJSON_IsString(t) || !cJSON_IsString(s) || !cJSON_IsNumber(c) ||
	    !cJSON_IsNumber(k) || !cJSON_IsString(h)) {
		free(line);
		return (-1);
	}
	make_key(key, t->valuestring, s->valuestring, (unsigned)c->valueint,
	    (unsigned)k->valueint);
	if (j->n + 1 > j->nbuckets)
		grow_table(j);
	b = bucket(j, key->buf);
	/* A later record for the same key replaces the earlier one. */
	for (e = j->tab[b]; e != NULL; e = e->next)
		if (strcmp(e->key, key->buf) == 0) {
			cJSON_Delete(e->rec);
			free(e->line);
			e->rec = rec;
			e->line = line;
			e->hash = strtoull(h->valuestring, NULL, 16);
			return (0);
		}
	e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key->buf);
	e->hash = strtoull(h->valuestring, NULL, 16);
	e->rec = rec;
	e->line = line;
	e->next = j->tab[b];
	j->tab[b] = e;
	j->n++;
	return (0);
}

static int
load(struct journal *j, struct strbuf *err)
{
	struct strbuf key = STRBUF_INIT;
	FILE *f = fopen(j->path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int rc = 0;

	if (f == NULL) {
		strbuf_addf(err, "%s: %s", j->path, strerror(errno));
		return (-1);
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		int complete = line[len - 1] == '\n';
		cJSON *rec;

		lineno++;
		rec = cJSON_ParseWithLength(line, (size_t)len);
		if (rec == NULL || !cJSON_IsObject(rec)) {
			cJSON_Delete(rec);
			if (!complete && feof(f)) {
				/* Torn by a crash mid-write: the exchange
				 * is simply asked again. */
				fprintf(stderr, "qeval: warning: %s:%zu: "
				    "ignoring a truncated last line\n",
				    j->path, lineno);
				break;
			}
			strbuf_addf(err, "%s:%zu: not a JSON object: the "
			    "journal is damaged; move the run away or fix "
			    "the line", j->path, lineno);
			rc = -1;
			break;
		}
		if (lineno == 1 && cJSON_GetObjectItemCaseSensitive(rec,
		    "journal") != NULL) {
			j->header = rec;
			continue;
		}
		if (index_record(j, rec, keep_line(line, (size_t)len),
		    &key) != 0) {
			cJSON_Delete(rec);
			strbuf_addf(err, "%s:%zu: record lacks t/s/c/k/h: the "
			    "journal is damaged", j->path, lineno);
			rc = -1;
			break;
		}
	}
	free(line);
	fclose(f);
	strbuf_release(&key);
	return (rc);
}

/*
 * A crash mid-write can leave a last line without its newline: cut it
 * off, so that the next record starts on a line of its own and the torn
 * exchange is simply asked again.
 */
static int
cut_torn_tail(struct journal *j, off_t size, struct strbuf *err)
{
	char buf[4096];
	off_t end = size, keep = 0;
	int rfd = open(j->path, O_RDONLY | O_CLOEXEC);

	if (rfd < 0)
		return (0);
	if (pread(rfd, buf, 1, size - 1) == 1 && buf[0] == '\n') {
		close(rfd);
		return (0);
	}
	while (end > 0 && keep == 0) {
		size_t chunk = end > (off_t)sizeof(buf) ? sizeof(buf) :
		    (size_t)end;
		ssize_t r = pread(rfd, buf, chunk, end - (off_t)chunk);
		ssize_t i;

		if (r <= 0)
			break;
		for (i = r - 1; i >= 0; i--)
			if (buf[i] == '\n') {
				keep = end - (off_t)chunk + i + 1;
				break;
			}
		end -= (off_t)chunk;
	}
	close(rfd);
	if (ftruncate(j->fd, keep) != 0) {
		strbuf_addf(err, "cannot repair journal %s: %s", j->path,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

int
journal_open(struct journal **jp, const char *path, int do_load,
    const char *header_json, struct strbuf *err)
{
	struct journal *j;
	struct stat st;
	int exists;

	*jp = NULL;
	j = xcalloc(1, sizeof(*j));
	j->magic = JOURNAL_MAGIC;
	j->fd = -1;
	j->path = xstrdup(path);
	exists = stat(path, &st) == 0 && st.st_size > 0;
	if (exists && do_load && load(j, err) != 0) {
		journal_close(j);
		return (-1);
	}
	j->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (j->fd < 0) {
		strbuf_addf(err, "cannot open journal %s: %s", path,
		    strerror(errno));
		journal_close(j);
		return (-1);
	}
	if (exists && st.st_size > 0 &&
	    cut_torn_tail(j, st.st_size, err) != 0) {
		journal_close(j);
		return (-1);
	}
	if (!exists && header_json != NULL &&
	    journal_append(j, header_json, strlen(header_json), err) != 0) {
		journal_close(j);
		return (-1);
	}
	j->last_sync = clock_now();
	*jp = j;
	return (0);
}

const struct cJSON *
journal_header(const struct journal *j)
{
	return (j->header);
}

const struct cJSON *
journal_find(struct journal *j, const char *task, const char *sample,
    unsigned cand, unsigned step, uint64_t hash, int *stale)
{
	struct strbuf key = STRBUF_INIT;
	const struct jent *e;
	const cJSON *found = NULL;

	if (stale != NULL)
		*stale = 0;
	if (j == NULL || j->n == 0)
		return (NULL);
	make_key(&key, task, sample, cand, step);
	for (e = j->tab[bucket(j, key.buf)]; e != NULL; e = e->next)
		if (strcmp(e->key, key.buf) == 0) {
			if (e->hash == hash)
				found = e->rec;
			else if (stale != NULL)
				*stale = 1;
			break;
		}
	strbuf_release(&key);
	return (found);
}

const char *
journal_line(struct journal *j, const struct cJSON *rec)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "t");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(rec, "s");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(rec, "c");
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(rec, "k");
	struct strbuf key = STRBUF_INIT;
	const struct jent *e;
	const char *line = NULL;

	if (j == NULL || j->n == 0 || !cJSON_IsString(t) ||
	    !cJSON_IsString(s) || !cJSON_IsNumber(c) || !cJSON_IsNumber(k))
		return (NULL);
	make_key(&key, t->valuestring, s->valuestring, (unsigned)c->valueint,
	    (unsigned)k->valueint);
	for (e = j->tab[bucket(j, key.buf)]; e != NULL; e = e->next)
		if (e->rec == rec) {
			line = e->line;
			break;
		}
	strbuf_release(&key);
	return (line);
}

int
journal_append(struct journal *j, const char *json, size_t len,
    struct strbuf *err)
{
	struct strbuf line = STRBUF_INIT;
	size_t off = 0;
	double t;

	strbuf_grow(&line, len + 1);
	strbuf_add(&line, json, len);
	strbuf_addch(&line, '\n');
	/* One write(2) per record: with O_APPEND the line is either all
	 * there or (after a crash mid-call) torn at the end only. */
	while (off < line.len) {
		ssize_t w = write(j->fd, line.buf + off, line.len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			strbuf_addf(err, "cannot write journal %s: %s",
			    j->path, strerror(errno));
			strbuf_release(&line);
			return (-1);
		}
		off += (size_t)w;
	}
	strbuf_release(&line);
	j->dirty = 1;
	t = clock_now();
	if (t - j->last_sync >= 1.0) {
		(void)fdatasync(j->fd);
		j->last_sync = t;
		j->dirty = 0;
	}
	return (0);
}

size_t
journal_loaded(const struct journal *j)
{
	return (j != NULL ? j->n : 0);
}

void
journal_close(struct journal *j)
{
	struct jent *e, *next;
	size_t i;

	if (j == NULL)
		return;
	if (j->fd >= 0) {
		if (j->dirty)
			(void)fdatasync(j->fd);
		close(j->fd);
	}
	for (i = 0; i < j->nbuckets; i++)
		for (e = j->tab[i]; e != NULL; e = next) {
			next = e->next;
			free(e->key);
			free(e->line);
			cJSON_Delete(e->rec);
			free(e);
		}
	free(j->tab);
	cJSON_Delete(j->header);
	free(j->path);
	j->magic = 0;
	free(j);
}
