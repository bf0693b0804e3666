/*
 * mctest: shared drivers of t-arc and t-hellaswag (see mctest.h).
 */
#include "config.h"

#include <string.h>

#include "mctest.h"
#include "plugtest.h"
#include "tap.h"

const char *mctest_gen_text;
const char *mctest_gen_finish;

int
mctest_text(void *arg, size_t sample, const struct qeval_request *req,
    struct plugtest_answer *out)
{
	(void)arg;
	(void)sample;
	(void)req;
	out->text = mctest_gen_text;
	out->finish_reason = mctest_gen_finish != NULL ? mctest_gen_finish :
	    "stop";
	return (0);
}

int
mctest_reopen(struct plugtest *pt, int nshot)
{
	int rc;

	if (pt->opened)
		pt->plugin.desc->close(pt->state);
	pt->opened = 0;
	pt->state = NULL;
	pt->opts.num_fewshot = nshot;
	host_ctx_clear(&pt->ctx);
	rc = pt->plugin.desc->open(host_table(), &pt->ctx, pt->task,
	    &pt->opts, &pt->state);
	if (rc == 0)
		pt->opened = 1;
	return (rc);
}

void
mctest_gold_corrupt(struct plugtest *pt, size_t n, const char *what)
{
	struct qeval_verdict v;
	size_t i;

	for (i = 0; i < n; i++) {
		plugtest_run(pt, i, 0, PLUGTEST_GOLD, NULL, NULL, &v);
		ok(v.values[0] == 1 && v.values[1] == 0, "%s gold %zu", what,
		    i);
		plugtest_run(pt, i, 0, PLUGTEST_CORRUPT, NULL, NULL, &v);
		ok(v.values[0] == 0 && v.values[1] == 0, "%s corrupt %zu",
		    what, i);
	}
}

void
mctest_full_set(const char *plugin, const char *task, size_t want_n)
{
	struct qeval_verdict v;
	struct plugtest pt;
	size_t i, n, good = 0, bad = 0;
	int rc, gen = strstr(task, "_gen") != NULL;

	rc = plugtest_open(&pt, plugin, task, NULL, NULL, gen, 0);
	is_int(rc, 0, "%s: open the real set (%s)", task, pt.err.buf);
	if (rc != 0) {
		plugtest_close(&pt);
		return;
	}
	n = pt.plugin.desc->count(pt.state);
	is_int((long long)n, (long long)want_n, "%s: %zu items", task, want_n);
	for (i = 0; i < n; i++) {
		if (plugtest_run(&pt, i, 0, PLUGTEST_GOLD, NULL, NULL,
		    &v) == 0 && v.values[0] == 1 &&
		    v.values[1] == (gen ? 0 : 1))
			good++;
		if (plugtest_run(&pt, i, 0, PLUGTEST_CORRUPT, NULL, NULL,
		    &v) == 0 && v.values[0] == 0 && v.values[1] == 0)
			bad++;
	}
	is_int((long long)good, (long long)n, "%s: reference model 100%%",
	    task);
	is_int((long long)bad, (long long)n, "%s: corrupted reference 0%%",
	    task);
	plugtest_close(&pt);
}
