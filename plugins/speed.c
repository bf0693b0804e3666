/*
 * speed: a pure speed probe.  Every sample sends the same long prompt
 * and asks for exactly max_tokens new tokens (vLLM's ignore_eos and
 * min_tokens; other servers ignore them and may stop early), so a run
 * measures the server, not the model's answers: output and input
 * tokens/s, time to first token, decode time and time per output token,
 * GPU memory, in the report's System Performance block.
 *
 * Task options:
 *   samples=N     requests (default 16)
 *   prompt_words=N  length of the prompt in words (default 1500)
 *   max_tokens=N  new tokens per request (default 512)
 *
 * The score is only a check that each request produced text
 * ("completed"); a model cannot do well or badly here.
 */
#include "config.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qeval/plugin.h>

#include "qp.h"

#define SPEED_MAGIC	0x53504431u

struct speed {
	unsigned		 magic;
	const struct qeval_host	*host;
	size_t			 n;
	int			 max_tokens;
	struct qp_buf		 prompt;
	struct qp_buf		 body;
	struct qp_buf		 gold;
	char			 id[32];
	char			 detail[96];
};

static const char *const no_files[] = { NULL };
static const struct qeval_metric_desc metrics[] = {
	{ "completed", QEVAL_MF_PRIMARY },
	{ "full_length", QEVAL_MF_RATE },
	{ NULL, 0 }
};
static const struct qeval_task tasks[] = {
	{ "speed", "Speed probe", "Throughput",
	  "qeval speed probe: one long prompt, fixed-length generation",
	  no_files, metrics, QEVAL_TF_CHAT_ONLY },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};

/* Words for the synthetic prompt: ordinary English, so the prompt's
 * token count is close to what real prompts of that length have. */
static const char *const words[] = {
	"the", "report", "describes", "how", "a", "small", "team", "measured",
	"their", "language", "model", "server", "under", "steady", "load",
	"over", "several", "days", "and", "what", "they", "learned", "about",
	"memory", "batching", "latency", "from", "each", "configuration",
	"they", "tried", "while", "keeping", "careful", "notes", "on", "every",
	"change"
};

static int
opt_int(const struct qeval_host *h, struct qeval_ctx *ctx, const char *key,
    long dflt, long lo, long hi, long *out)
{
	const char *v = h->opt(ctx, key);
	char *end;
	long n;

	*out = dflt;
	if (v == NULL)
		return (QEVAL_OK);
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n < lo || n > hi)
		return (h->fail(ctx, QEVAL_EINVAL, "speed: option %s=%s: give "
		    "an integer from %ld to %ld", key, v, lo, hi));
	*out = n;
	return (QEVAL_OK);
}

static void
speed_close(void *state)
{
	struct speed *s = state;

	if (s == NULL)
		return;
	assert(s->magic == SPEED_MAGIC);
	qp_buf_free(&s->prompt);
	qp_buf_free(&s->body);
	qp_buf_free(&s->gold);
	s->magic = 0;
	free(s);
}

static int
speed_open(const struct qeval_host *h, struct qeval_ctx *ctx,
    const struct qeval_task *task, const struct qeval_opts *opts,
    void **statep)
{
	struct speed *s;
	long n, w, mt, i;
	int rc;

	(void)task;
	*statep = NULL;
	if ((rc = opt_int(h, ctx, "samples", 16, 1, 100000, &n)) != 0 ||
	    (rc = opt_int(h, ctx, "prompt_words", 1500, 1, 200000, &w)) != 0 ||
	    (rc = opt_int(h, ctx, "max_tokens", 512, 1, 1000000, &mt)) != 0)
		return (rc);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "speed: out of memory"));
	s->magic = SPEED_MAGIC;
	s->host = h;
	s->n = opts->limit > 0 && opts->limit < (size_t)n ? opts->limit :
	    (size_t)n;
	s->max_tokens = (int)mt;
	qp_buf_adds(&s->prompt, "Read the following notes, then continue "
	    "them in the same style for as long as you can.\n\n");
	for (i = 0; i < w; i++) {
		qp_buf_adds(&s->prompt, words[i % (long)(sizeof(words) /
		    sizeof(words[0]))]);
		qp_buf_adds(&s->prompt, (i + 1) % 17 == 0 ? ".\n" : " ");
	}
	if (!qp_buf_ok(&s->prompt)) {
		speed_close(s);
		return (h->fail(ctx, QEVAL_ENOMEM, "speed: out of memory"));
	}
	*statep = s;
	return (QEVAL_OK);
}

static size_t
speed_count(void *state)
{
	return (((struct speed *)state)->n);
}

static const char *
speed_id(void *state, size_t i)
{
	struct speed *s = state;

	snprintf(s->id, sizeof(s->id), "speed/%zu", i);
	return (s->id);
}

static int
speed_next(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_request *req)
{
	struct speed *s = state;
	int first = 1;

	assert(s->magic == SPEED_MAGIC);
	(void)i;
	(void)cand;
	(void)ex;
	if (nex > 0)
		return (QEVAL_DONE);
	qp_buf_reset(&s->body);
	qp_buf_adds(&s->body, "{\"messages\":[");
	qp_buf_chat_message(&s->body, &first, "user", qp_buf_str(&s->prompt));
	/* Generate exactly max_tokens (vLLM's sampling extensions). */
	qp_buf_addf(&s->body, "],\"ignore_eos\":true,\"min_tokens\":%d}",
	    s->max_tokens);
	if (!qp_buf_ok(&s->body))
		return (s->host->fail(ctx, QEVAL_ENOMEM, "speed: out of "
		    "memory"));
	req->kind = QEVAL_REQ_CHAT;
	req->target = QEVAL_TARGET_MODEL;
	req->body = qp_buf_str(&s->body);
	req->temperature = 0.0;
	req->top_p = 1.0;
	req->max_tokens = s->max_tokens;
	req->label = "probe";
	return (QEVAL_NEXT);
}

static int
speed_score(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_verdict *v)
{
	struct speed *s = state;
	long ct;

	(void)i;
	(void)cand;
	if (nex < 1)
		return (s->host->fail(ctx, QEVAL_EINTERNAL, "speed: scored "
		    "without an answer"));
	ct = ex[0].resp.completion_tokens;
	v->values[0] = ex[0].resp.text[0] != '\0' ? 1.0 : 0.0;
	v->values[1] = ct >= s->max_tokens ? 1.0 : 0.0;
	if (ct >= 0)
		snprintf(s->detail, sizeof(s->detail), "{\"completion_tokens\":"
		    "%ld,\"max_tokens\":%d}", ct, s->max_tokens);
	else
		snprintf(s->detail, sizeof(s->detail), "{\"completion_tokens\":"
		    "null,\"max_tokens\":%d}", s->max_tokens);
	v->detail = s->detail;
	v->reason = v->values[0] > 0 ? (v->values[1] > 0 ? "generated the "
	    "full length" : "generated text, stopped early") :
	    "no text generated";
	return (QEVAL_OK);
}

static int
speed_gold(void *state, struct qeval_ctx *ctx, size_t i,
    const struct qeval_exchange *ex, size_t nex,
    const struct qeval_request *req, int corrupt, struct qeval_gold *out)
{
	struct speed *s = state;

	(void)ctx;
	(void)i;
	(void)ex;
	(void)nex;
	(void)req;
	/* The reference model writes something, the corrupted one
	 * nothing: the only thing this task can tell apart. */
	qp_buf_reset(&s->gold);
	qp_buf_adds(&s->gold, corrupt ? "" : "the notes continue");
	out->text = qp_buf_str(&s->gold);
	return (QEVAL_OK);
}

/* Task options this plugin reads (ABI 1.1; `qeval list tasks -v`). */
static const struct qeval_option options[] = {
	{ "samples", QEVAL_OPT_INT, "16", "requests (1 to 100000)", NULL,
	  NULL },
	{ "prompt_words", QEVAL_OPT_INT, "1500", "words in the prompt (1 to "
	  "200000)", NULL, NULL },
	{ "max_tokens", QEVAL_OPT_INT, "512", "tokens generated per request",
	  NULL, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL }
};

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.name = "speed",
	.version = PACKAGE_VERSION,
	.summary = "speed probe: fixed-length generation on one long prompt",
	.tasks = tasks,
	.open = speed_open,
	.count = speed_count,
	.sample_id = speed_id,
	.next = speed_next,
	.score = speed_score,
	.gold = speed_gold,
	.close = speed_close,
	.options = options,
};
