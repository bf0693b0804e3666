/*
 * t-data: manifests, resolution (data dir and cache), checksums, the
 * whole-file readers, the record walker and data_fetch.
 *
 * Run by tests/unit/t-data.sh, which sets QEVAL_T_TMP (a scratch dir),
 * QEVAL_T_FIX (compressed fixtures made by mkfixtures.py), QEVAL_T_WWW
 * and QEVAL_T_URL (a loopback HTTP server serving that dir).  With
 * QEVAL_DATA_DIR set, every manifest file is also checked against the
 * real dataset files.
 */
#include "config.h"

#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <qeval/plugin.h>

#include "data.h"
#include "tap.h"

#define SHA_ABC	"ba7816bf8f01cfea414140de5dae2223" \
		"b00361a396177a9cb410ff61f20015ad"
#define SHA_NIL	"e3b0c44298fc1c149afbf4c8996fb924" \
		"27ae41e4649b934ca495991b7852b855"

static char	*tmp;		/* scratch dir */

struct got {
	struct strbuf	 recs;	/* records joined by '|' */
	struct strbuf	 where;	/* where strings joined by '|' */
	size_t		 n;
	int		 nul_ok;	/* every json[len] was NUL */
	size_t		 stop_at;	/* return 7 on this record (1-based) */
	long		 lo, hi;	/* task_id range counted in n_range */
	size_t		 n_range;
};

static void
got_init(struct got *g)
{
	memset(g, 0, sizeof(*g));
	strbuf_init(&g->recs, 0);
	strbuf_init(&g->where, 0);
	g->nul_ok = 1;
}

static void
got_release(struct got *g)
{
	strbuf_release(&g->recs);
	strbuf_release(&g->where);
}

static int
collect(void *arg, const char *json, size_t len, const char *where)
{
	struct got *g = arg;

	g->n++;
	if (json[len] != '\0' || strlen(json) != len)
		g->nul_ok = 0;
	if (g->recs.len < 4096) {
		if (g->n > 1) {
			strbuf_addch(&g->recs, '|');
			strbuf_addch(&g->where, '|');
		}
		strbuf_add(&g->recs, json, len);
		strbuf_adds(&g->where, where);
	}
	if (g->hi > 0) {
		cJSON *j = cJSON_Parse(json);
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(j,
		    "task_id");

		if (cJSON_IsNumber(id) && id->valuedouble >= g->lo &&
		    id->valuedouble <= g->hi)
			g->n_range++;
		cJSON_Delete(j);
	}
	return (g->stop_at == g->n ? 7 : 0);
}

static char *
path_of(const char *a, const char *b)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s/%s", a, b);
	return (strbuf_detach(&sb, NULL));
}

static void
mkdirs(const char *path)
{
	char *p = strdup(path), *s;

	for (s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(p, 0777);
		*s = '/';
	}
	mkdir(p, 0777);
	free(p);
}

/* Writes text to dir/name, making the parent dirs. */
static char *
put(const char *dir, const char *name, const char *text)
{
	char *p = path_of(dir, name), *slash;
	FILE *f;

	slash = strrchr(p, '/');
	*slash = '\0';
	mkdirs(p);
	*slash = '/';
	if ((f = fopen(p, "wb")) == NULL) {
		tap_diag("cannot write %s: %s", p, strerror(errno));
		return (p);
	}
	fputs(text, f);
	fclose(f);
	return (p);
}

static int
has(const struct strbuf *err, const char *needle)
{
	if (strstr(err->buf, needle) != NULL)
		return (1);
	tap_diag("\"%s\" not in: %s", needle, err->buf);
	return (0);
}

static int
exists(const char *path)
{
	return (access(path, F_OK) == 0);
}

/* Number of "*.part.*" files left in dir. */
static int
parts_in(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return (0);
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".part.") != NULL)
			n++;
	closedir(d);
	return (n);
}

static int
records(const char *path, const char *name, struct got *g,
    struct strbuf *err)
{
	strbuf_reset(err);
	return (data_records(path, name, collect, g, err));
}

/* ---------------------------------------------------------------- */

static void
t_jsonl(void)
{
	struct strbuf err = STRBUF_INIT;
	struct got g;
	char *p;
	int rc;

	p = put(tmp, "rec/a.jsonl", "{\"a\":1}\r\n\r\n   \n{\"a\": \"x\\ny\"}"
	    "\n\n\t{\"a\":3}  \r\n[]");
	got_init(&g);
	rc = records(p, "rec/a.jsonl", &g, &err);
	is_int(rc, 0, "jsonl with blank lines and CRLF");
	is_int((long long)g.n, 4, "four records");
	is_str(g.recs.buf, "{\"a\":1}|{\"a\": \"x\\ny\"}|{\"a\":3}|[]",
	    "records without CR, blanks or padding");
	is_str(g.where.buf, "rec/a.jsonl:1|rec/a.jsonl:4|rec/a.jsonl:6|"
	    "rec/a.jsonl:7", "where counts physical lines");
	ok(g.nul_ok, "records are NUL-terminated at len");
	got_release(&g);
	free(p);

	p = put(tmp, "rec/b.jsonl", "{\"a\":1}\n{\"a\":2}\n{\"a\": tru}\n"
	    "{\"a\":4}\n");
	got_init(&g);
	rc = records(p, "rec/b.jsonl", &g, &err);
	is_int(rc, QEVAL_EDATA, "a bad line is an error");
	ok(has(&err, "rec/b.jsonl:3: invalid JSON ("), "error names file:line");
	ok(has(&err, "column"), "error gives the column");
	is_int((long long)g.n, 2, "records before the bad line were seen");
	got_release(&g);
	free(p);

	p = put(tmp, "rec/c.jsonl", "{\"a\":1}\n{\"a\":2}\n{\"a\":1} x\n");
	got_init(&g);
	rc = records(p, "rec/c.jsonl", &g, &err);
	is_int(rc, QEVAL_EDATA, "trailing garbage on a line is an error");
	ok(has(&err, "rec/c.jsonl:3:"), "it names line 3");
	got_release(&g);
	free(p);

	p = put(tmp, "rec/d.jsonl", "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");
	got_init(&g);
	g.stop_at = 2;
	rc = records(p, NULL, &g, &err);
	is_int(rc, 7, "the callback's return stops the walk and is returned");
	is_int((long long)g.n, 2, "no record after the stop");
	ok(strstr(g.where.buf, p) == g.where.buf, "NULL name: path is used");
	got_release(&g);
	free(p);

	p = put(tmp, "rec/py.jsonl", "{\"a\": [NaN, -Infinity, Infinity, "
	    "\"NaN\"]}\n{\"b\": Nan}\n");
	got_init(&g);
	rc = records(p, "py.jsonl", &g, &err);
	is_str(g.recs.buf, "{\"a\": [NaN, -Infinity, Infinity, \"NaN\"]}",
	    "Python's NaN/Infinity accepted, passed verbatim");
	ok(rc == QEVAL_EDATA && has(&err, "py.jsonl:2: invalid JSON"),
	    "other bare words are still refused");
	got_release(&g);
	free(p);

	p = put(tmp, "rec/bom.jsonl", "\xef\xbb\xbf{\"a\":1}\n");
	got_init(&g);
	is_int(records(p, "bom", &g, &err), 0, "UTF-8 BOM is skipped");
	is_str(g.recs.buf, "{\"a\":1}", "record after BOM");
	got_release(&g);
	free(p);

	p = put(tmp, "rec/empty.jsonl", "\n\n");
	got_init(&g);
	is_int(records(p, "e", &g, &err), 0, "blank file: no error");
	is_int((long long)g.n, 0, "blank file: no record");
	got_release(&g);
	free(p);	strbuf_release(&err);
}

static void
t_json(void)
{
	struct strbuf err = STRBUF_INIT;
	struct got g;
	char *p;
	int rc;

	p = put(tmp, "rec/arr.json", "[\n {\"x\": [1, 2, {\"y\": \"]}\"}]},"
	    "\n \"s\\\"],\" ,\n3\n, {}\n]\n");
	got_init(&g);
	rc = records(p, "arr.json", &g, &err);
	is_int(rc, 0, "json array");
	is_str(g.recs.buf, "{\"x\": [1, 2, {\"y\": \"]}\"}]}|\"s\\\"],\"|3|{}",
	    "array elements sliced exactly");
	is_str(g.where.buf, "arr.json[0]|arr.json[1]|arr.json[2]|arr.json[3]",
	    "where of array elements");
	ok(g.nul_ok, "elements NUL-terminated");
	got_release(&g);
	free(p);

	p = put(tmp, "rec/empty.json", " [ ] ");
	got_init(&g);
	is_int(records(p, "e.json", &g, &err), 0, "empty array");
	is_int((long long)g.n, 0, "empty array: no record");
	got_release(&g);
	free(p);

	p = put(tmp, "rec/obj.json", "\n{\"k\": [1, 2],\n \"s\": \"v\"}\n");
	got_init(&g);
	is_int(records(p, "obj.json", &g, &err), 0, "json object");
	is_str(g.recs.buf, "{\"k\": [1, 2],\n \"s\": \"v\"}", "object itself");
	is_str(g.where.buf, "obj.json", "where of an object");
	got_release(&g);
	free(p);

	p = put(tmp, "rec/lines.json", "{\"id\":\"a\"}\n{\"id\":\"b\"}\n");
	got_init(&g);
	is_int(records(p, "lines.json", &g, &err), 0,
	    "JSON Lines named .json (BFCL)");
	is_str(g.where.buf, "lines.json:1|lines.json:2", "read as lines");
	got_release(&g);
	free(p);

	p = put(tmp, "rec/bad.json", "[{\"a\":1},\n{\"a\":}]");
	got_init(&g);
	rc = records(p, "bad.json", &g, &err);
	is_int(rc, QEVAL_EDATA, "bad array element");
	ok(has(&err, "bad.json:2: invalid JSON (item 1"),
	    "error names the line and item");
	got_release(&g);
	free(p);

	p = put(tmp, "rec/nocomma.json", "[1 2]");
	got_init(&g);
	rc = records(p, "nocomma.json", &g, &err);
	ok(rc < 0, "array without a comma is an error");
	ok(has(&err, "nocomma.json:1: invalid JSON"), "it is named");
	got_release(&g);
	free(p);

	p = put(tmp, "rec/open.json", "[{\"a\":1}, {\"a\":[2");
	got_init(&g);
	rc = records(p, "open.json", &g, &err);
	ok(rc < 0, "unterminated array is an error");
	ok(has(&err, "open.json:1: invalid JSON"), "it is named");
	got_release(&g);
	free(p);	strbuf_release(&err);
}

static void
t_large(void)
{
	struct strbuf sb = STRBUF_INIT, err = STRBUF_INIT;
	struct got g;
	char *p;
	int i;

	/* HellaSwag size: 40k records, as lines and as a pretty array. */
	for (i = 0; i < 40000; i++)
		strbuf_addf(&sb, "{\"ind\": %d, \"ctx\": \"A man [title] is "
		    "sitting on a roof, \\\"quoted\\\" {braces}.\", "
		    "\"endings\": [\"a\", \"b\", \"c\", \"d\"], \"label\": "
		    "%d}\n", i, i % 4);
	p = put(tmp, "rec/big.jsonl", sb.buf);
	got_init(&g);
	is_int(records(p, "big.jsonl", &g, &err), 0, "40k-line jsonl");
	is_int((long long)g.n, 40000, "40000 records");
	got_release(&g);
	free(p);

	strbuf_reset(&sb);
	strbuf_adds(&sb, "[\n");
	for (i = 0; i < 40000; i++)
		strbuf_addf(&sb, "%s  {\n    \"ind\": %d,\n    \"e\": [\n"
		    "      \"x]\"\n    ]\n  }", i ? ",\n" : "", i);
	strbuf_adds(&sb, "\n]\n");
	p = put(tmp, "rec/big.json", sb.buf);
	got_init(&g);
	is_int(records(p, "big.json", &g, &err), 0, "40k-element array");
	is_int((long long)g.n, 40000, "40000 elements");
	got_release(&g);
	free(p);
	strbuf_release(&sb);
	strbuf_release(&err);
}

static void
t_readers(const char *fx)
{
	static const char *const same[] = { "small.jsonl.gz",
	    "small.jsonl.bz2", "small.jsonl.xz", "small.zip", "small.tar.gz",
	    "small.tar.bz2", "small.tar.xz", NULL };
	static const char *const bad[] = { "corrupt.jsonl.gz",
	    "trunc.jsonl.gz", "notgz.jsonl.gz", "corrupt.txt.bz2",
	    "corrupt.zip", NULL };
	struct strbuf err = STRBUF_INIT, want2 = STRBUF_INIT;
	const char *const *s;
	char *p, *want, *gotp, *txt;
	size_t wlen, len;
	struct got g;
	int rc;

	if (fx == NULL) {
		tap_skip("no fixtures (run through tests/unit/t-data.sh)");
		return;
	}
	p = path_of(fx, "small.jsonl");
	want = tap_slurp(p, &wlen);
	free(p);
	if (want == NULL) {
		ok(0, "small.jsonl fixture readable");
		return;
	}
	for (s = same; *s != NULL; s++) {
		p = path_of(fx, *s);
		strbuf_reset(&err);
		gotp = NULL;
		rc = data_read_all(p, &gotp, &len, &err);
		if (rc != 0)
			tap_diag("%s", err.buf);
		ok(rc == 0 && len == wlen && memcmp(gotp, want, len) == 0 &&
		    gotp[len] == '\0', "%s decompresses to small.jsonl", *s);
		free(gotp);
		free(p);
	}
	p = path_of(fx, "multi.jsonl.gz");
	strbuf_add(&want2, want, wlen);
	strbuf_add(&want2, want, wlen);
	rc = data_read_all(p, &gotp, &len, &err);
	ok(rc == 0 && len == want2.len && memcmp(gotp, want2.buf, len) == 0,
	    "a multi-member gzip reads whole");
	free(gotp);
	free(p);

	for (s = bad; *s != NULL; s++) {
		p = path_of(fx, *s);
		strbuf_reset(&err);
		gotp = (char *)1;
		rc = data_read_all(p, &gotp, &len, &err);
		ok(rc == QEVAL_EDATA && gotp == NULL, "%s is refused", *s);
		ok(has(&err, p), "the error names %s", *s);
		free(p);
	}

	p = path_of(fx, "small.jsonl.gz");
	got_init(&g);
	is_int(records(p, "small.jsonl.gz", &g, &err), 0,
	    "records of a .jsonl.gz");
	is_int((long long)g.n, 3, "three records");
	is_str(g.where.buf, "small.jsonl.gz:1|small.jsonl.gz:2|"
	    "small.jsonl.gz:3", "where of gzip records");
	got_release(&g);
	free(p);

	p = path_of(fx, "small.tar.gz");
	got_init(&g);
	is_int(records(p, "small.tar.gz", &g, &err), 0,
	    "records of a .tar.gz member");
	is_int((long long)g.n, 3, "three records");
	got_release(&g);
	free(p);

	p = path_of(fx, "corrupt.jsonl.gz");
	got_init(&g);
	ok(records(p, "corrupt.jsonl.gz", &g, &err) < 0 && g.n == 0,
	    "records of a corrupt gzip: error, no record");
	got_release(&g);
	free(p);

	p = path_of(fx, "tasks.txt");
	txt = tap_slurp(p, &wlen);
	free(p);
	p = path_of(fx, "tasks.txt.bz2");
	rc = data_read_all(p, &gotp, &len, &err);
	ok(rc == 0 && txt != NULL && len == wlen &&
	    memcmp(gotp, txt, len) == 0, "txt.bz2 (HellaSwag layout) reads");
	free(gotp);
	free(txt);
	free(p);

	p = path_of(fx, "nonexistent.jsonl.gz");
	strbuf_reset(&err);
	rc = data_read_all(p, &gotp, &len, &err);
	is_int(rc, QEVAL_ENOENT, "a missing .gz is ENOENT");
	free(p);
	p = path_of(fx, "nonexistent.jsonl");
	rc = data_read_all(p, &gotp, &len, &err);
	is_int(rc, QEVAL_ENOENT, "a missing plain file is ENOENT");
	free(p);

	free(want);
	strbuf_release(&want2);
	strbuf_release(&err);
}

static void
t_sha(void)
{
	struct strbuf err = STRBUF_INIT;
	char sum[65], *p;

	p = put(tmp, "sha/abc", "abc");
	is_int(data_sha256_file(p, sum, &err), 0, "sha256 of a file");
	is_str(sum, SHA_ABC, "sha256(\"abc\")");
	free(p);
	p = put(tmp, "sha/empty", "");
	data_sha256_file(p, sum, &err);
	is_str(sum, SHA_NIL, "sha256 of an empty file");
	free(p);
	is_int(data_sha256_file("/nonexistent/qeval", sum, &err),
	    QEVAL_ENOENT, "sha256 of a missing file");
	strbuf_release(&err);
}

/* ---------------------------------------------------------------- */
/* Manifests                                                        */

static char *
manifest(const char *name, const char *path, const char *url,
    const char *sha, long long size)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "{\"name\": \"%s\", \"description\": \"d\", "
	    "\"license\": \"MIT\", \"files\": [{\"path\": \"%s\", "
	    "\"url\": \"%s\", \"sha256\": \"%s\", \"size\": %lld, "
	    "\"format\": \"jsonl\"}]}\n", name, path, url, sha, size);
	return (strbuf_detach(&sb, NULL));
}

/* Loads a dir holding one manifest bad.json; returns rc, err filled. */
static int
load_bad(const char *text, struct strbuf *err)
{
	static int k;
	struct data_manifests m;
	struct strbuf dir = STRBUF_INIT;
	int rc;

	strbuf_addf(&dir, "%s/mbad%d", tmp, k++);
	free(put(dir.buf, "bad.json", text));
	strbuf_reset(err);
	rc = data_manifests_load(&m, dir.buf, err);
	if (rc == 0)
		data_manifests_release(&m);
	ok(m.n == 0 && m.files == NULL, "nothing kept after an error");
	strbuf_release(&dir);
	return (rc);
}

static void
t_manifests(void)
{
	struct strbuf err = STRBUF_INIT, dir = STRBUF_INIT;
	struct data_manifests m;
	const struct data_file *f;
	char *t;

	strbuf_addf(&dir, "%s/mgood", tmp);
	free(put(dir.buf, "beta.json", "{\"name\": \"beta\", \"description\": "
	    "\"b\", \"license\": \"Apache-2.0\", \"files\": [{\"path\": "
	    "\"beta/x.jsonl.gz\", \"url\": \"https://example.org/x\", "
	    "\"sha256\": \"" SHA_ABC "\", \"size\": 3, \"format\": "
	    "\"jsonl.gz\", \"records\": 12, \"license\": \"MIT\", \"note\": "
	    "\"n\"}, {\"path\": \"beta/sub/y.json\", \"url\": \"u\", "
	    "\"sha256\": \"" SHA_NIL "\", \"size\": 0, \"format\": "
	    "\"json\"}]}"));
	free(put(dir.buf, "alpha.json", "{\"name\": \"alpha\", \"description\":"
	    " \"a\", \"license\": \"MIT\", \"files\": []}"));
	free(put(dir.buf, "README.txt", "not a manifest"));
	is_int(data_manifests_load(&m, dir.buf, &err), 0, "load manifests");
	is_int((long long)m.n_names, 2, "two manifests");
	is_str(m.n_names > 1 ? m.names[0] : "", "alpha", "sorted by name");
	is_int((long long)m.n, 2, "two files");
	f = data_manifests_find(&m, "beta/x.jsonl.gz");
	ok(f != NULL, "find by relative path");
	if (f != NULL) {
		is_str(f->dataset, "beta", "dataset of the file");
		is_str(f->license, "MIT", "file license");
		is_int(f->size, 3, "size");
		is_int(f->records, 12, "records");
		is_str(f->format, "jsonl.gz", "format");
		is_str(f->url, "https://example.org/x", "url");
	}
	f = data_manifests_find(&m, "beta/sub/y.json");
	if (f != NULL) {
		is_str(f->license, "Apache-2.0", "license inherited");
		is_int(f->records, -1, "records unknown");
	} else
		ok(0, "second file found");
	ok(data_manifests_find(&m, "beta/none") == NULL, "unknown path");
	data_manifests_release(&m);
	is_int((long long)m.n, 0, "release clears");

	ok(load_bad("{\"name\": \"bad\", \"nmae\": 1}", &err) == QEVAL_EDATA &&
	    has(&err, "bad.json") && has(&err, "unknown key \"nmae\""),
	    "unknown top key named with the file");
	t = manifest("bad", "bad/a.jsonl", "u", SHA_ABC, 3);
	strstr(t, "\"url\"")[1] = 'X';
	ok(load_bad(t, &err) == QEVAL_EDATA && has(&err, "bad.json") &&
	    has(&err, "files[0]") && has(&err, "unknown key \"Xrl\""),
	    "unknown file key named");
	free(t);
	ok(load_bad("{\"name\": \"bad\", \"description\": \"d\", \"license\": "
	    "\"MIT\", \"files\": [{\"path\": \"bad/a\", \"sha256\": \""
	    SHA_ABC "\", \"size\": 1, \"format\": \"jsonl\"}]}", &err) ==
	    QEVAL_EDATA && has(&err, "bad.json: files[0]: missing key \"url\""),
	    "missing file key named");
	ok(load_bad("{\"name\": \"bad\", \"license\": \"MIT\", \"files\": []}",
	    &err) == QEVAL_EDATA && has(&err, "missing key \"description\""),
	    "missing top key named");
	t = manifest("bad", "bad/a.jsonl", "u", "ABC", 3);
	ok(load_bad(t, &err) == QEVAL_EDATA && has(&err, "\"sha256\""),
	    "bad sha256 refused");
	free(t);
	t = manifest("bad", "../a.jsonl", "u", SHA_ABC, 3);
	ok(load_bad(t, &err) == QEVAL_EDATA && has(&err, "../a.jsonl"),
	    "path with .. refused");
	free(t);
	t = manifest("bad", "bad/a.jsonl", "u", SHA_ABC, -4);
	ok(load_bad(t, &err) == QEVAL_EDATA && has(&err, "\"size\""),
	    "negative size refused");
	free(t);
	t = manifest("other", "bad/a.jsonl", "u", SHA_ABC, 3);
	ok(load_bad(t, &err) == QEVAL_EDATA && has(&err, "\"other\""),
	    "name differing from the file name refused");
	free(t);
	ok(load_bad("{\"name\": \"bad\",\n\"files\": [\n  {,}]}", &err) ==
	    QEVAL_EDATA && has(&err, "bad.json:3:"),
	    "invalid JSON named with file:line");
	ok(load_bad("{\"name\": \"bad\", \"description\": \"d\", \"license\": "
	    "\"MIT\", \"files\": {}}", &err) == QEVAL_EDATA &&
	    has(&err, "\"files\" must be an array"), "files not an array");

	strbuf_reset(&dir);
	strbuf_addf(&dir, "%s/mdup", tmp);
	t = manifest("one", "same/a.jsonl", "u", SHA_ABC, 3);
	free(put(dir.buf, "one.json", t));
	free(t);
	t = manifest("two", "same/a.jsonl", "u", SHA_ABC, 3);
	free(put(dir.buf, "two.json", t));
	free(t);
	strbuf_reset(&err);
	ok(data_manifests_load(&m, dir.buf, &err) == QEVAL_EDATA &&
	    has(&err, "two.json") && has(&err, "\"one\""),
	    "a path listed twice names both manifests");
	strbuf_reset(&err);
	is_int(data_manifests_load(&m, "/nonexistent/qeval", &err),
	    QEVAL_ENOENT, "missing manifest dir");
	strbuf_release(&dir);
	strbuf_release(&err);
}

/* ---------------------------------------------------------------- */
/* Resolution                                                       */

static void
t_resolve(void)
{
	struct strbuf err = STRBUF_INIT, dir = STRBUF_INIT;
	struct data_manifests m;
	struct data_cfg cfg = { NULL, NULL, NULL, 1 };
	char *t, *p, *abs = NULL, *mirror, *bad, *xdg, *want;
	char sum[65];
	int rc;

	strbuf_addf(&dir, "%s/mres", tmp);
	mirror = path_of(tmp, "mirror");
	bad = path_of(tmp, "badmirror");
	p = put(mirror, "ds/f.jsonl", "{\"a\":1}\n");
	data_sha256_file(p, sum, &err);
	free(p);
	free(put(bad, "ds/f.jsonl", "{\"a\":2}\n"));
	t = manifest("ds", "ds/f.jsonl", "http://x/f", sum, 8);
	free(put(dir.buf, "ds.json", t));
	free(t);
	if (data_manifests_load(&m, dir.buf, &err) != 0) {
		ok(0, "load the resolve manifest: %s", err.buf);
		return;
	}
	cfg.manifests = &m;

	cfg.data_dir = mirror;
	rc = data_resolve(&cfg, "ds/f.jsonl", &abs, &err);
	is_int(rc, 0, "resolve in the data dir");
	want = path_of(mirror, "ds/f.jsonl");
	is_str(abs, want, "absolute path in the data dir");
	is_int((long long)err.len, 0, "no warning");
	free(want);
	free(abs);

	cfg.data_dir = bad;
	strbuf_reset(&err);
	rc = data_resolve(&cfg, "ds/f.jsonl", &abs, &err);
	is_int(rc, QEVAL_EDATA, "sha256 mismatch is an error");
	ok(abs == NULL, "no path on error");
	ok(has(&err, sum), "message has the expected sum");
	p = path_of(bad, "ds/f.jsonl");
	data_sha256_file(p, sum, &err);
	ok(has(&err, sum), "message has the actual sum");
	ok(has(&err, p), "message names the file");
	ok(has(&err, "replace it"), "message says what to do");
	free(p);

	/* Verified once per process: a later change is not re-hashed. */
	cfg.data_dir = mirror;
	p = path_of(mirror, "ds/f.jsonl");
	free(put(mirror, "ds/f.jsonl", "{\"a\":3}\n"));
	strbuf_reset(&err);
	is_int(data_resolve(&cfg, "ds/f.jsonl", &abs, &err), 0,
	    "a verified path is not hashed again");
	free(abs);
	free(p);

	cfg.verify = 0;
	cfg.data_dir = bad;
	is_int(data_resolve(&cfg, "ds/f.jsonl", &abs, &err), 0,
	    "verify = 0 skips the check");
	free(abs);
	cfg.verify = 1;

	strbuf_reset(&err);
	cfg.data_dir = mirror;
	rc = data_resolve(&cfg, "ds/missing.jsonl", &abs, &err);
	is_int(rc, QEVAL_ENOENT, "missing from the data dir");
	ok(has(&err, "not in the data dir") && has(&err, mirror),
	    "message names the data dir");

	strbuf_reset(&err);
	free(put(mirror, "ds/extra.jsonl", "{}\n"));
	rc = data_resolve(&cfg, "ds/extra.jsonl", &abs, &err);
	is_int(rc, 0, "a file no manifest lists is read");
	ok(abs != NULL && has(&err, "no manifest lists"), "with a warning");
	free(abs);

	strbuf_reset(&err);
	rc = data_resolve(&cfg, "../etc/passwd", &abs, &err);
	is_int(rc, QEVAL_EINVAL, "a path with .. is refused");

	/* The cache: $XDG_CACHE_HOME/qeval, else $HOME/.cache/qeval. */
	cfg.data_dir = NULL;
	xdg = path_of(tmp, "xdg");
	setenv("XDG_CACHE_HOME", xdg, 1);
	strbuf_reset(&err);
	rc = data_resolve(&cfg, "ds/f.jsonl", &abs, &err);
	is_int(rc, QEVAL_ENOENT, "missing from the cache");
	ok(has(&err, "qeval fetch ds") && has(&err, "--data-dir") &&
	    has(&err, "QEVAL_DATA_DIR") && has(&err, xdg),
	    "message says to fetch or set a data dir");
	p = path_of(xdg, "qeval");
	free(put(p, "ds/f.jsonl", "{\"a\":1}\n"));
	strbuf_reset(&err);
	rc = data_resolve(&cfg, "ds/f.jsonl", &abs, &err);
	is_int(rc, 0, "resolve in the cache");
	want = path_of(p, "ds/f.jsonl");
	is_str(abs, want, "path under $XDG_CACHE_HOME/qeval");
	free(want);
	free(abs);
	free(put(p, "ds/f.jsonl", "{\"a\":9}\n"));
	free(p);
	/* A different cache root is a different path: hashed again. */
	p = path_of(tmp, "cache2");
	free(put(p, "ds/f.jsonl", "{\"a\":9}\n"));
	cfg.cache_dir = p;
	strbuf_reset(&err);
	rc = data_resolve(&cfg, "ds/f.jsonl", &abs, &err);
	is_int(rc, QEVAL_EDATA, "a damaged cached file is refused");
	ok(has(&err, "qeval fetch ds"), "message says to fetch again");
	cfg.cache_dir = NULL;
	free(p);

	unsetenv("XDG_CACHE_HOME");
	setenv("HOME", "/home/qeval-test", 1);
	is_int(data_cache_dir(&cfg, &p, &err), 0, "cache dir from HOME");
	is_str(p, "/home/qeval-test/.cache/qeval", "$HOME/.cache/qeval");
	free(p);
	cfg.cache_dir = "/c/";
	data_cache_dir(&cfg, &p, &err);
	is_str(p, "/c", "cache_dir wins");
	free(p);
	cfg.cache_dir = NULL;
	setenv("XDG_CACHE_HOME", xdg, 1);

	data_manifests_release(&m);
	free(xdg);
	free(mirror);
	free(bad);
	strbuf_release(&dir);
	strbuf_release(&err);
}

/* ---------------------------------------------------------------- */
/* data_fetch against the loopback server                           */

static void
t_fetch(const char *www, const char *url)
{
	struct strbuf err = STRBUF_INIT, dir = STRBUF_INIT, u = STRBUF_INIT;
	struct data_manifests m;
	struct data_cfg cfg = { NULL, NULL, NULL, 1 };
	const char *ok_names[] = { "netok" }, *bad_names[] = { "netbad" };
	const char *nf_names[] = { "net404" }, *big_names[] = { "netbig" };
	const char *unk_names[] = { "nosuch" };
	char sum[65], *p, *t, *cache, *dest, *body;
	size_t len;
	int rc;

	if (www == NULL || url == NULL) {
		tap_skip("no loopback HTTP server (run through t-data.sh)");
		return;
	}
	p = put(www, "good.jsonl", "{\"q\":\"good\"}\n");
	data_sha256_file(p, sum, &err);
	free(p);
	free(put(www, "bad.jsonl", "{\"q\":\"evil\"}\n"));
	strbuf_addf(&dir, "%s/mnet", tmp);
	strbuf_addf(&u, "%s/good.jsonl", url);
	t = manifest("netok", "netok/good.jsonl", u.buf, sum, 13);
	free(put(dir.buf, "netok.json", t));
	free(t);
	strbuf_reset(&u);
	strbuf_addf(&u, "%s/bad.jsonl", url);
	t = manifest("netbad", "netbad/bad.jsonl", u.buf, sum, 13);
	free(put(dir.buf, "netbad.json", t));
	free(t);
	strbuf_reset(&u);
	strbuf_addf(&u, "%s/nope.jsonl", url);
	t = manifest("net404", "net404/nope.jsonl", u.buf, sum, 13);
	free(put(dir.buf, "net404.json", t));
	free(t);
	strbuf_reset(&u);
	strbuf_addf(&u, "%s/bad.jsonl", url);
	t = manifest("netbig", "netbig/bad.jsonl", u.buf, sum, 5);
	free(put(dir.buf, "netbig.json", t));
	free(t);
	if (data_manifests_load(&m, dir.buf, &err) != 0) {
		ok(0, "load the fetch manifests: %s", err.buf);
		return;
	}
	cache = path_of(tmp, "fetchcache");
	cfg.cache_dir = cache;
	cfg.manifests = &m;

	strbuf_reset(&err);
	rc = data_fetch(&cfg, ok_names, 1, &err);
	is_int(rc, 0, "fetch a file");
	if (rc != 0)
		tap_diag("%s", err.buf);
	dest = path_of(cache, "netok/good.jsonl");
	body = tap_slurp(dest, &len);
	is_str(body, "{\"q\":\"good\"}\n", "downloaded bytes are the file");
	free(body);
	p = path_of(cache, "netok");
	is_int(parts_in(p), 0, "no temporary file left");
	free(p);
	strbuf_reset(&err);
	is_int(data_resolve(&cfg, "netok/good.jsonl", &p, &err), 0,
	    "the fetched file resolves");
	free(p);

	/* Present and valid: not downloaded again (the server now serves
	 * other bytes, which would fail the check). */
	free(put(www, "good.jsonl", "{\"q\":\"changed\"}\n"));
	strbuf_reset(&err);
	is_int(data_fetch(&cfg, ok_names, 1, &err), 0,
	    "a present, valid file is skipped");
	body = tap_slurp(dest, &len);
	is_str(body, "{\"q\":\"good\"}\n", "the cached file is untouched");
	free(body);

	/* A damaged cached copy is fetched again. */
	free(put(www, "good.jsonl", "{\"q\":\"good\"}\n"));
	free(put(cache, "netok/good.jsonl", "{\"q\":\"gooX\"}\n"));
	strbuf_reset(&err);
	is_int(data_fetch(&cfg, ok_names, 1, &err), 0,
	    "a damaged cached file is replaced");
	body = tap_slurp(dest, &len);
	is_str(body, "{\"q\":\"good\"}\n", "with the right bytes");
	free(body);
	free(dest);

	strbuf_reset(&err);
	rc = data_fetch(&cfg, bad_names, 1, &err);
	is_int(rc, QEVAL_EDATA, "checksum mismatch is an error");
	dest = path_of(cache, "netbad/bad.jsonl");
	ok(!exists(dest), "no file under the final name");
	p = path_of(cache, "netbad");
	is_int(parts_in(p), 0, "no temporary file left");
	free(p);
	ok(has(&err, sum), "message has the expected sum");
	p = path_of(www, "bad.jsonl");
	data_sha256_file(p, sum, &u);
	free(p);
	ok(has(&err, sum), "message has the downloaded sum");
	strbuf_reset(&u);
	strbuf_addf(&u, "%s/bad.jsonl", url);
	ok(has(&err, u.buf), "message names the URL");
	ok(has(&err, "netbad/bad.jsonl"), "message names the file");
	free(dest);

	strbuf_reset(&err);
	rc = data_fetch(&cfg, big_names, 1, &err);
	is_int(rc, QEVAL_EDATA, "a body larger than the manifest size fails");
	dest = path_of(cache, "netbig/bad.jsonl");
	ok(!exists(dest), "and leaves no file");
	free(dest);

	strbuf_reset(&err);
	rc = data_fetch(&cfg, nf_names, 1, &err);
	ok(rc < 0, "HTTP 404 is an error");
	ok(has(&err, "HTTP 404"), "message has the status");
	strbuf_reset(&u);
	strbuf_addf(&u, "%s/nope.jsonl", url);
	ok(has(&err, u.buf) && has(&err, "net404/nope.jsonl"),
	    "message names URL and file");
	dest = path_of(cache, "net404/nope.jsonl");
	ok(!exists(dest), "no file after a 404");
	free(dest);
	p = path_of(cache, "net404");
	is_int(parts_in(p), 0, "no temporary file after a 404");
	free(p);

	strbuf_reset(&err);
	rc = data_fetch(&cfg, unk_names, 1, &err);
	is_int(rc, QEVAL_ENOENT, "unknown dataset name");
	ok(has(&err, "nosuch") && has(&err, "netok"), "known names listed");

	/* All datasets: the good one passes, the others are all reported. */
	strbuf_reset(&err);
	rc = data_fetch(&cfg, NULL, 0, &err);
	ok(rc < 0, "fetch all reports failures");
	ok(has(&err, "netbad/bad.jsonl") && has(&err, "net404/nope.jsonl") &&
	    has(&err, "netbig/bad.jsonl"), "every failure is reported");

	/* With a data dir nothing is downloaded: the mirror is checked. */
	cfg.data_dir = cache;
	strbuf_reset(&err);
	rc = data_fetch(&cfg, ok_names, 1, &err);
	is_int(rc, 0, "fetch with a data dir checks the mirror");
	p = path_of(tmp, "emptymirror");
	mkdirs(p);
	cfg.data_dir = p;
	strbuf_reset(&err);
	rc = data_fetch(&cfg, ok_names, 1, &err);
	is_int(rc, QEVAL_ENOENT, "a data dir without the file is an error");
	ok(has(&err, "not in the data dir"), "and says so");
	free(p);

	data_manifests_release(&m);
	free(cache);
	strbuf_release(&u);
	strbuf_release(&dir);
	strbuf_release(&err);
}

/* ---------------------------------------------------------------- */
/* The project's manifests, and the real files when QEVAL_DATA_DIR  */

static void
walk_listed(const struct data_manifests *m, const char *root,
    const char *rel, size_t *unlisted)
{
	struct strbuf sb = STRBUF_INIT, r = STRBUF_INIT;
	struct dirent *de;
	struct stat st;
	DIR *d;

	strbuf_addf(&sb, "%s%s%s", root, *rel ? "/" : "", rel);
	if ((d = opendir(sb.buf)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		strbuf_reset(&r);
		strbuf_addf(&r, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		strbuf_reset(&sb);
		strbuf_addf(&sb, "%s/%s", root, r.buf);
		if (stat(sb.buf, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			walk_listed(m, root, r.buf, unlisted);
		else if (strcmp(r.buf, "SOURCES.md") != 0 &&
		    data_manifests_find(m, r.buf) == NULL) {
			tap_diag("%s is in the data dir but in no manifest",
			    r.buf);
			(*unlisted)++;
		}
	}
	closedir(d);
	strbuf_release(&sb);
	strbuf_release(&r);
}

static long long
count_of(const char *abs, const struct data_file *f, struct got *g,
    struct strbuf *err)
{
	char *text;
	size_t len, i, lines = 0;

	if (strcmp(f->format, "py") == 0) {	/* source: records = lines */
		if (data_read_all(abs, &text, &len, err) < 0)
			return (-1);
		for (i = 0; i < len; i++)
			lines += text[i] == '\n';
		free(text);
		return ((long long)lines);
	}
	if (strncmp(f->format, "txt", 3) == 0) {
		if (data_read_all(abs, &text, &len, err) < 0)
			return (-1);
		for (i = 0; i < len; i++)
			lines += text[i] == '\n';
		free(text);
		return (lines % 6 == 0 ? (long long)(lines / 6) : -1);
	}
	if (data_records(abs, f->path, collect, g, err) < 0)
		return (-1);
	return ((long long)g->n);
}

static void
t_real(const char *srcdir)
{
	static const struct {
		const char	*path;
		long long	 n;
	} known[] = {
		{ "gsm8k/test.jsonl", 1319 },
		{ "arc/ARC-Challenge-Test.jsonl", 1172 },
		{ "arc/ARC-Easy-Test.jsonl", 2376 },
		{ "hellaswag/hellaswag_val_full.txt.bz2", 10042 },
		{ "humaneval/HumanEval.jsonl.gz", 164 },
		{ "humaneval_plus/HumanEvalPlus.jsonl.gz", 164 },
		{ "mbpp/sanitized-mbpp.json", 427 },
		{ "mbpp_plus/MbppPlus.jsonl.gz", 378 },
		{ "mt_bench/question.jsonl", 80 },
		{ "bfcl/BFCL_v4_simple_python.json", 400 },
		{ "bfcl/BFCL_v4_live_simple.json", 258 },
		{ "bfcl_v3/BFCL_v3_simple.json", 400 },
	};
	struct strbuf err = STRBUF_INIT, mdir = STRBUF_INIT;
	struct data_manifests m;
	struct data_cfg cfg = { NULL, NULL, NULL, 1 };
	const char *dd = getenv("QEVAL_DATA_DIR");
	const struct data_file *f;
	size_t i, bad = 0, unlisted = 0;
	struct got g;
	char *abs;
	long long n;

	if (srcdir == NULL) {
		tap_skip("QEVAL_SRCDIR unset: project manifests not checked");
		return;
	}
	strbuf_addf(&mdir, "%s/datasets", srcdir);
	if (data_manifests_load(&m, mdir.buf, &err) != 0) {
		ok(0, "the project's manifests load: %s", err.buf);
		strbuf_release(&mdir);
		strbuf_release(&err);
		return;
	}
	ok(1, "the project's manifests load");
	is_int((long long)m.n_names, 12, "twelve dataset manifests");
	for (i = 0; i < m.n; i++)
		if (m.files[i].records < 0 || m.files[i].size < 0 ||
		    strncmp(m.files[i].url, "https://", 8) != 0) {
			tap_diag("%s: records, size or https url missing",
			    m.files[i].path);
			bad++;
		}
	is_int((long long)bad, 0, "every file has records, size, https url");

	if (dd == NULL || *dd == '\0') {
		tap_skip("QEVAL_DATA_DIR unset: real dataset files not "
		    "checked");
		data_manifests_release(&m);
		strbuf_release(&mdir);
		strbuf_release(&err);
		return;
	}
	cfg.data_dir = dd;
	cfg.manifests = &m;
	bad = 0;
	for (i = 0; i < m.n; i++) {
		f = &m.files[i];
		strbuf_reset(&err);
		if (data_resolve(&cfg, f->path, &abs, &err) != 0) {
			tap_diag("%s", err.buf);
			bad++;
			continue;
		}
		got_init(&g);
		n = count_of(abs, f, &g, &err);
		if (n != f->records) {
			tap_diag("%s: %lld records, manifest says %lld %s",
			    f->path, n, f->records, err.buf);
			bad++;
		}
		got_release(&g);
		free(abs);
	}
	is_int((long long)bad, 0, "%zu files resolve, verify and have the "
	    "manifest's record counts", m.n);
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		f = data_manifests_find(&m, known[i].path);
		is_int(f != NULL ? f->records : -2, known[i].n, "%s: %lld",
		    known[i].path, known[i].n);
	}
	walk_listed(&m, dd, "", &unlisted);
	is_int((long long)unlisted, 0, "every file of the data dir is listed");

	/* MBPP's test split is task_ids 11-510 of the full file. */
	strbuf_reset(&err);
	if (data_resolve(&cfg, "mbpp/mbpp.jsonl", &abs, &err) == 0) {
		got_init(&g);
		g.lo = 11;
		g.hi = 510;
		data_records(abs, "mbpp/mbpp.jsonl", collect, &g, &err);
		is_int((long long)g.n_range, 500, "MBPP test: 500 tasks");
		is_int((long long)g.n, 974, "MBPP full: 974 tasks");
		got_release(&g);
		free(abs);
	} else
		ok(0, "mbpp/mbpp.jsonl resolves: %s", err.buf);
	data_manifests_release(&m);
	strbuf_release(&mdir);
	strbuf_release(&err);
}

int
main(void)
{
	char own[] = "/tmp/qeval-t-data-XXXXXX";
	const char *t = getenv("QEVAL_T_TMP");
	struct strbuf sb = STRBUF_INIT;

	if (t == NULL) {
		if (mkdtemp(own) == NULL)
			return (tap_bail("mkdtemp failed"));
		t = own;
	}
	strbuf_addf(&sb, "%s/work", t);
	tmp = sb.buf;
	mkdirs(tmp);
	unsetenv("XDG_CACHE_HOME");

	t_jsonl();
	t_json();
	t_large();
	t_sha();
	t_readers(getenv("QEVAL_T_FIX"));
	t_manifests();
	t_resolve();
	t_fetch(getenv("QEVAL_T_WWW"), getenv("QEVAL_T_URL"));
	t_real(getenv("QEVAL_SRCDIR"));
	if (t == own) {
		strbuf_reset(&sb);
		strbuf_addf(&sb, "rm -rf '%s'", own);
		if (system(sb.buf) != 0)
			tap_diag("cannot remove %s", own);
	}
	strbuf_release(&sb);
	return (tap_done());
}
