#include "config.h"
#include "host.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rx.h"
#include "xalloc.h"

static int host_verbosity = QEVAL_LOG_INFO;

void
host_set_verbosity(int level)
{
	host_verbosity = level;
}

void
host_ctx_init(struct qeval_ctx *ctx, const char *name,
    const struct data_cfg *data, const struct qeval_kv *kv)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->magic = QEVAL_CTX_MAGIC;
	ctx->name = name;
	ctx->data = data;
	ctx->kv = kv;
	ctx->rc = QEVAL_OK;
	ctx->verbosity = host_verbosity;
	strbuf_init(&ctx->msg, 0);
	strbuf_init(&ctx->where, 0);
}

void
host_ctx_release(struct qeval_ctx *ctx)
{
	strbuf_release(&ctx->msg);
	strbuf_release(&ctx->where);
	ctx->magic = 0;
}

void
host_ctx_clear(struct qeval_ctx *ctx)
{
	ctx->rc = QEVAL_OK;
	strbuf_reset(&ctx->msg);
}

const char *
host_ctx_msg(const struct qeval_ctx *ctx)
{
	if (ctx->msg.len > 0)
		return (ctx->msg.buf);
	return ("plugin reported an error without a message");
}

static void
h_log(struct qeval_ctx *ctx, int level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info",
	    "debug" };
	struct strbuf line = STRBUF_INIT;
	va_list ap;

	if (ctx == NULL || ctx->magic != QEVAL_CTX_MAGIC)
		return;
	if (level < QEVAL_LOG_ERROR)
		level = QEVAL_LOG_ERROR;
	if (level > QEVAL_LOG_DEBUG)
		level = QEVAL_LOG_DEBUG;
	strbuf_addf(&line, "qeval: %s: %s: ", ctx->name ? ctx->name : "?",
	    names[level]);
	va_start(ap, fmt);
	strbuf_vaddf(&line, fmt, ap);
	va_end(ap);
	strbuf_addch(&line, '\n');
	if (ctx->log_capture != NULL)
		strbuf_add(ctx->log_capture, line.buf, line.len);
	if (level <= ctx->verbosity)
		fputs(line.buf, stderr);
	strbuf_release(&line);
}

static int
h_fail(struct qeval_ctx *ctx, int rc, const char *fmt, ...)
{
	va_list ap;

	if (ctx == NULL || ctx->magic != QEVAL_CTX_MAGIC)
		return (rc);
	if (rc >= 0)		/* a failure must carry an error code */
		rc = QEVAL_EINTERNAL;
	if (ctx->rc == QEVAL_OK) {	/* keep the first cause */
		ctx->rc = rc;
		va_start(ap, fmt);
		strbuf_vaddf(&ctx->msg, fmt, ap);
		va_end(ap);
	}
	return (rc);
}

struct rec_thunk {
	qeval_record_cb	 cb;
	void		*arg;
};

static int
rec_trampoline(void *arg, const char *json, size_t len, const char *where)
{
	struct rec_thunk *t = arg;

	return (t->cb(t->arg, json, len, where));
}

static int
h_records(struct qeval_ctx *ctx, const char *file, qeval_record_cb cb,
    void *arg)
{
	struct strbuf err = STRBUF_INIT;
	struct rec_thunk t = { cb, arg };
	char *path = NULL;
	int rc;

	if (ctx == NULL || ctx->magic != QEVAL_CTX_MAGIC || ctx->data == NULL)
		return (QEVAL_EINTERNAL);
	rc = data_resolve(ctx->data, file, &path, &err);
	if (rc < 0) {
		h_fail(ctx, rc, "%s", err.buf);
		strbuf_release(&err);
		return (rc);
	}
	if (err.len > 0)
		h_log(ctx, QEVAL_LOG_WARN, "%s", err.buf);
	strbuf_reset(&err);
	rc = data_records(path, file, rec_trampoline, &t, &err);
	if (rc < 0 && ctx->rc == QEVAL_OK)
		h_fail(ctx, rc, "%s", err.len ? err.buf :
		    "cannot read records");
	free(path);
	strbuf_release(&err);
	return (rc);
}

static int
h_read_file(struct qeval_ctx *ctx, const char *file, char **datap,
    size_t *lenp)
{
	struct strbuf err = STRBUF_INIT;
	char *path = NULL;
	int rc;

	*datap = NULL;
	if (ctx == NULL || ctx->magic != QEVAL_CTX_MAGIC || ctx->data == NULL)
		return (QEVAL_EINTERNAL);
	rc = data_resolve(ctx->data, file, &path, &err);
	if (rc == 0) {
		if (err.len > 0)
			h_log(ctx, QEVAL_LOG_WARN, "%s", err.buf);
		strbuf_reset(&err);
		rc = data_read_all(path, datap, lenp, &err);
	}
	if (rc < 0)
		h_fail(ctx, rc, "%s", err.len ? err.buf : "cannot read file");
	free(path);
	strbuf_release(&err);
	return (rc);
}

static struct qeval_regex *
h_rx_compile(struct qeval_ctx *ctx, const char *pattern, uint32_t flags)
{
	struct strbuf err = STRBUF_INIT;
	struct qeval_regex *rx;

	rx = rx_compile(pattern, flags, &err);
	if (rx == NULL)
		h_fail(ctx, QEVAL_EINVAL, "%s", err.buf);
	strbuf_release(&err);
	return (rx);
}

static const char *
h_opt(struct qeval_ctx *ctx, const char *key)
{
	const struct qeval_kv *kv;
	const char *found = NULL;

	if (ctx == NULL || ctx->magic != QEVAL_CTX_MAGIC || ctx->kv == NULL)
		return (NULL);
	/* The last occurrence wins, as on a command line. */
	for (kv = ctx->kv; kv->key != NULL; kv++)
		if (strcmp(kv->key, key) == 0)
			found = kv->value;
	return (found);
}

static void
h_free(void *p)
{
	free(p);
}

/* ------------------------------------------------------------------ */
/* ABI 1.2: buffers, JSON strings, request bodies                      */

static void
b_grow(struct qeval_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1, a;

	if (need < b->len)
		xalloc_die();
	if (b->data != NULL && need <= b->alloc)
		return;
	a = b->alloc > 0 ? b->alloc : 64;
	while (a < need) {
		if (a > SIZE_MAX / 2)
			xalloc_die();
		a *= 2;
	}
	b->data = xrealloc(b->data, a);
	b->alloc = a;
}

static void
h_buf_add(struct qeval_buf *b, const char *s, size_t len)
{
	if (len == QEVAL_NTS)
		len = strlen(s);
	b_grow(b, len);
	if (len > 0)
		memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';
}

static void
h_buf_addf(struct qeval_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;		/* a bad format: nothing is appended */
	b_grow(b, (size_t)n);
	va_start(ap, fmt);
	(void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void
h_buf_reset(struct qeval_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static void
h_buf_free(struct qeval_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->alloc = 0;
}

static void
h_json_str(struct qeval_buf *b, const char *s, size_t len)
{
	struct strbuf sb = STRBUF_INIT;

	if (s == NULL)
		s = "";
	if (len == QEVAL_NTS)
		len = strlen(s);
	strbuf_add_json_str(&sb, s, len);
	h_buf_add(b, sb.buf, sb.len);
	strbuf_release(&sb);
}

static void
h_chat_begin(struct qeval_buf *b)
{
	h_buf_add(b, "{\"messages\":[", QEVAL_NTS);
}

static void
h_chat_message(struct qeval_buf *b, const char *role, const char *content,
    size_t len)
{
	if (b->len > 0 && b->data[b->len - 1] != '[')
		h_buf_add(b, ",", 1);
	h_buf_add(b, "{\"role\":", QEVAL_NTS);
	h_json_str(b, role, QEVAL_NTS);
	h_buf_add(b, ",\"content\":", QEVAL_NTS);
	if (content == NULL)
		h_json_str(b, "", 0);
	else
		h_json_str(b, content, len);
	h_buf_add(b, "}", 1);
}

static void
stop_list(struct qeval_buf *b, const char *const *stop)
{
	size_t i;

	if (stop == NULL)
		return;
	h_buf_add(b, ",\"stop\":[", QEVAL_NTS);
	for (i = 0; stop[i] != NULL; i++) {
		if (i > 0)
			h_buf_add(b, ",", 1);
		h_json_str(b, stop[i], QEVAL_NTS);
	}
	h_buf_add(b, "]", 1);
}

static void
h_chat_end(struct qeval_buf *b, const char *const *stop)
{
	h_buf_add(b, "]", 1);
	stop_list(b, stop);
	h_buf_add(b, "}", 1);
}

static void
h_completion_body(struct qeval_buf *b, const char *prompt, size_t len,
    const char *const *stop)
{
	h_buf_add(b, "{\"prompt\":", QEVAL_NTS);
	h_json_str(b, prompt, prompt != NULL ? len : 0);
	stop_list(b, stop);
	h_buf_add(b, "}", 1);
}

/* ------------------------------------------------------------------ */
/* ABI 1.2: Python's random.Random                                     */

#define MT_N	624

static void
mt_init(struct qeval_rng *r, uint32_t seed)
{
	int i;

	r->mt[0] = seed;
	for (i = 1; i < MT_N; i++)
		r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) +
		    (uint32_t)i;
	r->pos = MT_N;
}

/* random.seed(n) for 0 <= n < 2^32: init_by_array with one key word. */
static void
h_rng_seed(struct qeval_rng *r, uint32_t key)
{
	int i = 1, k;

	mt_init(r, 19650218u);
	for (k = MT_N; k > 0; k--) {
		r->mt[i] = (r->mt[i] ^ ((r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) *
		    1664525u)) + key;
		if (++i >= MT_N) {
			r->mt[0] = r->mt[MT_N - 1];
			i = 1;
		}
	}
	for (k = MT_N - 1; k > 0; k--) {
		r->mt[i] = (r->mt[i] ^ ((r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) *
		    1566083941u)) - (uint32_t)i;
		if (++i >= MT_N) {
			r->mt[0] = r->mt[MT_N - 1];
			i = 1;
		}
	}
	r->mt[0] = 0x80000000u;
	r->pos = MT_N;
}

static uint32_t
rng_next(struct qeval_rng *r)
{
	uint32_t y;
	int k;

	if (r->pos >= MT_N) {
		for (k = 0; k < MT_N; k++) {
			y = (r->mt[k] & 0x80000000u) |
			    (r->mt[(k + 1) % MT_N] & 0x7fffffffu);
			r->mt[k] = r->mt[(k + 397) % MT_N] ^ (y >> 1) ^
			    ((y & 1u) ? 0x9908b0dfu : 0u);
		}
		r->pos = 0;
	}
	y = r->mt[r->pos++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680u;
	y ^= (y << 15) & 0xefc60000u;
	y ^= y >> 18;
	return (y);
}

/* _randbelow(n): getrandbits(n.bit_length()) until below n. */
static uint32_t
h_rng_below(struct qeval_rng *r, uint32_t n)
{
	int bits = 0;
	uint32_t v;

	if (n == 0)
		return (0);
	while (bits < 32 && (n >> bits) != 0)
		bits++;
	do
		v = rng_next(r) >> (32 - bits);
	while (v >= n);
	return (v);
}

/* random.sample(range(n), k): the pool branch or the set branch. */
static int
h_rng_sample(struct qeval_rng *r, size_t n, size_t k, size_t *out)
{
	size_t setsize = 21, i, j;

	if (k > n || n > UINT32_MAX)
		return (QEVAL_EINVAL);
	if (k > 5) {
		size_t p = 1;	/* 4 ** ceil(log(3k, 4)) */

		while (p < 3 * k)
			p *= 4;
		setsize += p;
	}
	if (n <= setsize) {
		size_t *pool = xmalloc((n ? n : 1) * sizeof(*pool));

		for (i = 0; i < n; i++)
			pool[i] = i;
		for (i = 0; i < k; i++) {
			j = h_rng_below(r, (uint32_t)(n - i));
			out[i] = pool[j];
			pool[j] = pool[n - i - 1];
		}
		free(pool);
		return (QEVAL_OK);
	}
	for (i = 0; i < k; i++) {
		int again;

		do {
			out[i] = h_rng_below(r, (uint32_t)n);
			again = 0;
			for (j = 0; j < i; j++)
				if (out[j] == out[i])
					again = 1;
		} while (again);
	}
	return (QEVAL_OK);
}

/* random.random(): 53 bits from two draws. */
static double
h_rng_random(struct qeval_rng *r)
{
	uint32_t a = rng_next(r) >> 5, b = rng_next(r) >> 6;

	return ((a * 67108864.0 + b) * (1.0 / 9007199254740992.0));
}

static const struct qeval_host host = {
	.abi_major = QEVAL_ABI_MAJOR,
	.abi_minor = QEVAL_ABI_MINOR,
	.struct_size = sizeof(struct qeval_host),
	.log = h_log,
	.fail = h_fail,
	.records = h_records,
	.read_file = h_read_file,
	.rx_compile = h_rx_compile,
	.rx_match = rx_match,
	.rx_free = rx_free,
	.opt = h_opt,
	.free = h_free,
	.buf_add = h_buf_add,
	.buf_addf = h_buf_addf,
	.buf_reset = h_buf_reset,
	.buf_free = h_buf_free,
	.json_str = h_json_str,
	.chat_begin = h_chat_begin,
	.chat_message = h_chat_message,
	.chat_end = h_chat_end,
	.completion_body = h_completion_body,
	.rng_seed = h_rng_seed,
	.rng_below = h_rng_below,
	.rng_sample = h_rng_sample,
	.rng_random = h_rng_random,
};

const struct qeval_host *
host_table(void)
{
	return (&host);
}
