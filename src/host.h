/*
 * host: the services table handed to plugins (struct qeval_host) and the
 * per-call context (struct qeval_ctx) through which a plugin reports
 * errors and logs.
 *
 * A context belongs to one plugin state; the core creates it before
 * open() and releases it after close().  Errors: the first fail() wins
 * (its rc and message are kept); host_ctx_clear() forgets them.
 * Ownership: the context keeps pointers to the data config and options
 * it was given; they must outlive it.
 */
#ifndef QEVAL_HOST_H
#define QEVAL_HOST_H

#include <qeval/plugin.h>

#include "data.h"
#include "strbuf.h"

struct qeval_ctx {
	unsigned		 magic;
#define QEVAL_CTX_MAGIC		 0x51637478u
	const char		*name;		/* plugin name, for messages */
	const struct data_cfg	*data;
	const struct qeval_kv	*kv;
	int			 rc;		/* first error, or QEVAL_OK */
	struct strbuf		 msg;
	struct strbuf		*log_capture;	/* tests: also log here */
	int			 verbosity;	/* max level printed */
	struct strbuf		 where;		/* scratch for records() */
};

/* The process-wide table (filled once; immutable afterwards). */
const struct qeval_host *host_table(void);

void	 host_ctx_init(struct qeval_ctx *, const char *name,
	    const struct data_cfg *, const struct qeval_kv *kv);
void	 host_ctx_release(struct qeval_ctx *);
void	 host_ctx_clear(struct qeval_ctx *);
/* The recorded error message, or a generic one (it does not name rc). */
const char *host_ctx_msg(const struct qeval_ctx *);

/* Global log verbosity for contexts created afterwards (default INFO). */
void	 host_set_verbosity(int level);

#endif
