/*
 * qp: small helpers shared by the in-tree plugins, linked statically into
 * each plugin (a libtool convenience library), so a plugin still needs
 * nothing from the qeval binary.  Out-of-tree plugins may copy the idea,
 * not depend on this file.
 *
 * struct qp_buf is a growable NUL-terminated string.  Allocation failure
 * sets buf->oom and turns further appends into no-ops; callers check
 * qp_buf_ok() once at the end of a build and report QEVAL_ENOMEM.
 */
#ifndef QEVAL_QP_H
#define QEVAL_QP_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <qeval/plugin.h>

struct cJSON;

struct qp_buf {
	char	*buf;		/* NULL until the first append */
	size_t	 len;
	size_t	 alloc;
	int	 oom;
};

#define QP_BUF_INIT	{ NULL, 0, 0, 0 }

void	 qp_buf_reset(struct qp_buf *);
void	 qp_buf_free(struct qp_buf *);
void	 qp_buf_add(struct qp_buf *, const char *, size_t);
void	 qp_buf_adds(struct qp_buf *, const char *);
void	 qp_buf_addf(struct qp_buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal (quotes included). */
void	 qp_buf_json_str(struct qp_buf *, const char *s);
/* The same for n bytes that may hold NUL (written as \u0000). */
void	 qp_buf_json_strn(struct qp_buf *, const char *s, size_t n);
/*
 * Appends one chat message, {"role":role,"content":content}, to a JSON
 * array under construction: a ',' first unless *first, which is then
 * cleared.  A NULL content is written as "".
 */
void	 qp_buf_chat_message(struct qp_buf *, int *first, const char *role,
	    const char *content);
/* The same with a content of len bytes (a model's answer may hold NUL). */
void	 qp_buf_chat_message_n(struct qp_buf *, int *first, const char *role,
	    const char *content, size_t len);
/*
 * Appends ,"stop":[...] (the NULL-terminated stops, as JSON strings) to
 * a request object under construction.
 */
void	 qp_buf_stop_list(struct qp_buf *, const char *const *stops);
/* The string so far ("" if empty); NULL if an allocation failed. */
const char *qp_buf_str(const struct qp_buf *);
int	 qp_buf_ok(const struct qp_buf *);

/* cJSON conveniences: NULL when absent or of the wrong type. */
const char *qp_json_str(const struct cJSON *obj, const char *key);
const struct cJSON *qp_json_arr(const struct cJSON *obj, const char *key);
/* 1 and *out set if obj[key] is a number, else 0. */
int	 qp_json_num(const struct cJSON *obj, const char *key, double *out);

/*
 * Python's random module, for few-shot draws identical to
 * lm-evaluation-harness's: MT19937 seeded as random.Random(seed) is for
 * 0 <= seed < 2^32, and random.sample(range(n), k) with both of CPython's
 * branches.  qp_mt_sample() returns 0, or -1 if it could not allocate its
 * scratch (n > 0 required, k <= n).
 */
struct qp_mt {
	uint32_t	 s[624];
	int		 i;
};

void	 qp_mt_seed(struct qp_mt *, uint32_t seed);
uint32_t qp_mt_next(struct qp_mt *);
uint32_t qp_mt_below(struct qp_mt *, uint32_t n);	/* _randbelow */
int	 qp_mt_sample(struct qp_mt *, size_t n, size_t k, size_t *out);

/* strdup that returns NULL on failure. */
char	*qp_strdup(const char *);

#endif
