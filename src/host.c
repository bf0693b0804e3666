#include "config.h"
#include "host.h"

#include <stdarg.h>
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
};

const struct qeval_host *
host_table(void)
{
	return (&host);
}
