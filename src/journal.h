/*
 * journal: the durable, append-only record of finished exchanges of a
 * run (RUN/journal), so that --resume and `qeval rescore` replay what the
 * model already answered instead of asking again.
 *
 * Format: one JSON object per line.  The first line is a header
 * {"journal": "qeval/1", ...}; every other line is one exchange:
 *   {"t": task, "s": sample id, "c": candidate, "k": step,
 *    "h": "<16 hex digits: hash of the request>", "r": {response}, ...}
 * Lines are written whole with one write(2) on an O_APPEND descriptor,
 * so a killed process (even by SIGKILL) loses at most the exchange in
 * flight; fdatasync(2) runs at most once a second and at close, which
 * bounds what a power loss can take.  A torn last line is ignored on
 * load (with a warning); a bad line elsewhere is an error naming it.
 *
 * Ownership: objects returned by journal_find() belong to the journal
 * and live until journal_close().
 * Threads: one thread.
 */
#ifndef QEVAL_JOURNAL_H
#define QEVAL_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct cJSON;
struct journal;

/*
 * Opens path for appending, creating it with header_json as its first
 * line if it does not exist.  With load = 1 the existing lines are
 * indexed for journal_find().  0 or < 0 (err names file and line).
 */
int	 journal_open(struct journal **, const char *path, int load,
	    const char *header_json, struct strbuf *err);
/* The header object of an existing journal, or NULL. */
const struct cJSON *journal_header(const struct journal *);
/*
 * The saved record of (task, sample, cand, step) if its request hash
 * equals `hash`; NULL otherwise.  *stale is set to 1 if a record exists
 * with another hash (the request changed since it was saved).
 */
const struct cJSON *journal_find(struct journal *, const char *task,
	    const char *sample, unsigned cand, unsigned step, uint64_t hash,
	    int *stale);
/*
 * The text of a record returned by journal_find() when one of its
 * strings holds "\u0000" (which cJSON cuts: read such strings from the
 * line with jsonb_str()); NULL otherwise.
 */
const char *journal_line(struct journal *, const struct cJSON *rec);
/* Appends one record (JSON object text, no newline).  0 or < 0. */
int	 journal_append(struct journal *, const char *json, size_t len,
	    struct strbuf *err);
/* Records indexed at open. */
size_t	 journal_loaded(const struct journal *);
/* Syncs and closes; accepts NULL. */
void	 journal_close(struct journal *);

/* 64-bit FNV-1a, for request hashes. */
uint64_t journal_hash(uint64_t h, const void *p, size_t n);
#define JOURNAL_HASH_INIT	UINT64_C(0xcbf29ce484222325)

#endif
