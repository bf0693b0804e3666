/*
 * plugtest: drives one real plugin .so through its lifecycle inside a
 * test, with the real host table (src/host.c), the real dataset readers
 * and no network: every request is answered either by the plugin's own
 * gold() (gold or corrupted) or by a callback of the test.
 *
 * Plugins are loaded from $QEVAL_PLUGIN_PATH (set by make check).  Data
 * come from the data_dir given to plugtest_open(), or $QEVAL_DATA_DIR if
 * that is NULL; manifests from $QEVAL_SRCDIR/datasets.
 */
#ifndef QEVAL_PLUGTEST_H
#define QEVAL_PLUGTEST_H

#include <qeval/plugin.h>

#include "data.h"
#include "host.h"
#include "plugin.h"
#include "strbuf.h"

struct plugtest {
	struct plugin		 plugin;
	const struct qeval_task	*task;
	struct data_manifests	 man;
	struct data_cfg		 data;
	struct qeval_ctx	 ctx;
	struct qeval_opts	 opts;
	struct strbuf		 log;	/* everything the plugin logged */
	struct strbuf		 err;	/* why something failed */
	void			*inst;	/* plugin_open()'s */
	void			*state;	/* the plugin's own */
	int			 opened;
};

/* What a test's answer callback fills (strings copied by plugtest). */
struct plugtest_answer {
	const char	*text;
	const char	*finish_reason;
	const char	*tool_calls;
	int		 status;		/* EXEC verdict */
	size_t		 n_choices;
	const double	*logprob;
	const uint8_t	*greedy;
};

enum plugtest_mode {
	PLUGTEST_GOLD = 0,
	PLUGTEST_CORRUPT = 1,
	PLUGTEST_CALLBACK = 2
};

/*
 * Answers one request; return 0, or < 0 to abort the sample.  In GOLD
 * and CORRUPT modes the callback is still called for EXEC requests
 * (gold() never answers those); pass NULL to fail on them.
 */
typedef int (*plugtest_answer_fn)(void *arg, size_t sample,
    const struct qeval_request *req, struct plugtest_answer *out);

/* Loads plugin `name` and opens `task`.  kv may be NULL.  0 or < 0. */
int	 plugtest_open(struct plugtest *, const char *name, const char *task,
	    const char *data_dir, const struct qeval_kv *kv, int chat,
	    size_t limit);
/*
 * Runs sample i, candidate cand, to the end and scores it.  The
 * exchanges are kept until the next call (plugtest_exchanges()).
 * Returns 0 or < 0 (err says why).
 */
int	 plugtest_run(struct plugtest *, size_t i, unsigned cand,
	    enum plugtest_mode, plugtest_answer_fn, void *arg,
	    struct qeval_verdict *out);
/* plugin_count() and plugin_sample_id() of the open task. */
size_t	 plugtest_count(struct plugtest *);
const char *plugtest_sample_id(struct plugtest *, size_t i);
/* The exchanges of the last plugtest_run(). */
const struct qeval_exchange *plugtest_exchanges(size_t *n);
void	 plugtest_close(struct plugtest *);

#endif
