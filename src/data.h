/*
 * data: dataset files: manifests, local resolution (data dir or cache),
 * checksums, downloads, and record readers.
 *
 * A manifest (datasets/<name>.json, installed in $(pkgdatadir)/datasets)
 * lists files by their path relative to a data dir laid out like
 * ../shared/datasets ("gsm8k/test.jsonl"), each with its official URL,
 * sha256, size, format and license.
 *
 * Resolution of a relative path: if a data dir is set (--data-dir or
 * QEVAL_DATA_DIR) the file must be there and nothing is downloaded;
 * otherwise $XDG_CACHE_HOME/qeval/<path> (default ~/.cache/qeval), which
 * `qeval fetch` fills.  Every resolved file is checked against the
 * manifest's sha256 once per process; a mismatch names both sums.
 *
 * Ownership: strings returned through out-parameters are malloc'd and
 * the caller frees them; struct data_manifests owns all its strings.
 * Errors: functions return 0 or a negative enum qeval_rc and append a
 * one-line explanation (file, line, what to do) to err.
 */
#ifndef QEVAL_DATA_H
#define QEVAL_DATA_H

#include <stddef.h>

#include "strbuf.h"

struct data_file {
	char	*path;		/* relative: "gsm8k/test.jsonl" */
	char	*url;
	char	*sha256;	/* 64 lowercase hex digits */
	long long size;		/* bytes; -1 if unknown */
	char	*format;	/* "jsonl", "json", "jsonl.gz", "txt.bz2" … */
	char	*license;
	char	*dataset;	/* manifest name it came from */
	long long records;	/* records the manifest counts; -1 if unknown */
};

struct data_manifests {
	struct data_file *files;
	size_t		 n;
	char		**names;	/* manifest names, in load order */
	size_t		 n_names;
};

/* Loads every *.json manifest of dir (sorted by name). */
int	 data_manifests_load(struct data_manifests *, const char *dir,
	    struct strbuf *err);
void	 data_manifests_release(struct data_manifests *);
const struct data_file *data_manifests_find(const struct data_manifests *,
	    const char *relpath);

struct data_cfg {
	const char	*data_dir;	/* offline mirror, or NULL */
	const char	*cache_dir;	/* NULL: $XDG_CACHE_HOME/qeval */
	const struct data_manifests *manifests;
	int		 verify;	/* 1: check sha256 (default) */
};

/*
 * Absolute path of a dataset file, verified.  A file missing from the
 * cache is an error that says to run `qeval fetch TASK` or to set
 * --data-dir.  A file with no manifest entry is read unverified with a
 * warning in err (err is not an error then: the return is 0).
 */
int	 data_resolve(const struct data_cfg *, const char *relpath,
	    char **abspath, struct strbuf *err);
/*
 * The cache root: cfg->cache_dir, else $XDG_CACHE_HOME/qeval, else
 * $HOME/.cache/qeval.  *dirp is malloc'd.  Fails only when none is set.
 */
int	 data_cache_dir(const struct data_cfg *, char **dirp,
	    struct strbuf *err);
/* sha256 of a file as 64 hex digits into out[65]. */
int	 data_sha256_file(const char *path, char out[65], struct strbuf *err);

/*
 * Reads a whole file, decompressing .gz (zlib) and .bz2/.xz/.zip/.tar.*
 * (libarchive, first regular member).  *out is malloc'd, NUL-terminated.
 */
int	 data_read_all(const char *path, char **out, size_t *lenp,
	    struct strbuf *err);

/*
 * Calls cb once per record: jsonl (one JSON value per non-blank line),
 * json (array: each element; object: itself), after decompression.
 * `name` is used in messages and as the `where` prefix ("name:line").
 * Each record is checked to be valid JSON before cb sees it; a bad line
 * is an error naming name:line.  cb returns 0 to go on; anything else
 * stops the walk and is returned as is.
 * The layout is taken from the content, so that JSON Lines files named
 * .json (BFCL) work: a .jsonl name is always JSON Lines; otherwise a
 * file holding exactly one JSON value is a document (an array gives its
 * elements, `where` "name[i]", 0-based; anything else is one record,
 * `where` "name"), and a file of several values is JSON Lines.
 * Records are passed NUL-terminated (json[len] == '\0'), valid only
 * during the call.  The bare words NaN, Infinity and -Infinity that
 * Python's json module writes (MBPP+ test inputs) are accepted and
 * passed on verbatim; a strict JSON parser will refuse such a record.
 */
typedef int (*data_record_cb)(void *arg, const char *json, size_t len,
    const char *where);
int	 data_records(const char *path, const char *name, data_record_cb cb,
	    void *arg, struct strbuf *err);

/*
 * Downloads every file of the given manifests (all if names is NULL)
 * into the cache: libcurl, to a temporary file then rename(2) after
 * the sha256 matches; progress on stderr when it is a terminal; files
 * already present and verified are skipped.  Returns 0 or an error.
 */
int	 data_fetch(const struct data_cfg *, const char *const *names,
	    size_t n_names, struct strbuf *err);

#endif
