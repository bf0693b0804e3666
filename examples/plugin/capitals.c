/*
 * capitals: a complete out-of-tree qeval plugin.  It asks for the
 * capital of a country and scores an exact match (case-insensitive,
 * surrounding whitespace and a final period ignored).  Its data file is
 * capitals/test.jsonl under the data dir, one {"country": "...",
 * "capital": "..."} per line.
 *
 * Build it with autotools (configure.ac and Makefile.am beside this
 * file: autoreconf -i && ./configure && make), or by hand:
 *
 *   cc -shared -fPIC -fvisibility=hidden \
 *       $(pkg-config --cflags qeval libcjson) -o capitals.so capitals.c \
 *       $(pkg-config --libs libcjson)
 *
 * and check it (gold answers must score 100%, wrong ones about 0%):
 *
 *   QEVAL_DATA_DIR=. QEVAL_MANIFEST_DIR=none \
 *       qeval selftest --plugin ./capitals.so
 *
 * Everything but the capitals is qeval's: the samples are the records
 * of the task's first file, their ids "capitals/<i>" (no count() or
 * sample_id() here), and the request body is built and escaped by the
 * host (ABI 1.2, which every qeval that loads this plugin has).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <qeval/plugin.h>

struct item {
	char	*country;
	char	*capital;
};

struct state {
	const struct qeval_host	*h;
	struct item		*items;
	size_t			 n;
	struct qeval_buf	 body;
	struct qeval_buf	 question;
};

static const char *const files[] = { "capitals/test.jsonl", NULL };
static const struct qeval_metric_desc metrics[] = {
	{ "exact_match", QEVAL_MF_PRIMARY },
	{ NULL, 0 }
};
static const struct qeval_task tasks[] = {
	{ "capitals", "Capitals", "World Knowledge",
	  "example plugin: exact match on a capital city", files, metrics, 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};

static int
on_record(void *arg, const char *json, size_t len, const char *where)
{
	struct state *s = arg;
	cJSON *o = cJSON_ParseWithLength(json, len);
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "country");
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "capital");
	struct item *v = NULL;
	int rc = QEVAL_OK;

	(void)where;		/* the host names file and line */
	if (!cJSON_IsString(c) || !cJSON_IsString(k))
		rc = QEVAL_EDATA;
	else if ((v = realloc(s->items, (s->n + 1) * sizeof(*v))) == NULL)
		rc = QEVAL_ENOMEM;
	else {
		s->items = v;
		v[s->n].country = strdup(c->valuestring);
		v[s->n].capital = strdup(k->valuestring);
		if (v[s->n].country == NULL || v[s->n].capital == NULL)
			rc = QEVAL_ENOMEM;
		s->n++;
	}
	cJSON_Delete(o);
	return (rc);
}

static void
capitals_close(void *state)
{
	struct state *s = state;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->items[i].country);
		free(s->items[i].capital);
	}
	free(s->items);
	s->h->buf_free(&s->body);
	s->h->buf_free(&s->question);
	free(s);
}

static int
capitals_open(const struct qeval_host *h, struct qeval_ctx *ctx,
    const struct qeval_task *task, const struct qeval_opts *opts,
    void **statep)
{
	struct state *s = calloc(1, sizeof(*s));
	int rc;

	(void)task;
	(void)opts;		/* qeval applies --limit to the default count */
	if (s == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "out of memory"));
	s->h = h;
	rc = h->records(ctx, files[0], on_record, s);
	if (rc != QEVAL_OK) {
		capitals_close(s);
		return (rc < 0 ? h->fail(ctx, rc, "cannot read %s", files[0]) :
		    QEVAL_EDATA);
	}
	*statep = s;
	return (QEVAL_OK);
}

static int
capitals_next(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *const *ex, size_t nex,
    struct qeval_request *req)
{
	struct state *s = state;
	const struct qeval_host *h = s->h;

	(void)ctx;
	(void)cand;
	(void)ex;
	if (nex > 0)
		return (QEVAL_DONE);
	h->buf_reset(&s->question);
	h->buf_addf(&s->question, "What is the capital of %s? Answer with "
	    "the city only, as in \"Paris\".", s->items[i].country);
	h->buf_reset(&s->body);
	h->chat_begin(&s->body);
	h->chat_message(&s->body, "user", s->question.data, s->question.len);
	h->chat_end(&s->body, NULL);
	req->kind = QEVAL_REQ_CHAT;
	req->body = s->body.data;
	req->temperature = 0.0;
	req->max_tokens = 16;
	return (QEVAL_NEXT);
}

/* Case-insensitive equality, ignoring whitespace around and a final '.' */
static int
same_city(const char *a, const char *b)
{
	size_t la, lb;

	while (isspace((unsigned char)*a))
		a++;
	la = strlen(a);
	while (la > 0 && (isspace((unsigned char)a[la - 1]) ||
	    a[la - 1] == '.'))
		la--;
	lb = strlen(b);
	return (la == lb && strncasecmp(a, b, la) == 0);
}

static int
capitals_score(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *const *ex, size_t nex,
    struct qeval_verdict *v)
{
	struct state *s = state;

	(void)ctx;
	(void)cand;
	(void)nex;
	v->values[0] = same_city(ex[0]->resp.text, s->items[i].capital);
	v->extracted = ex[0]->resp.text;
	v->reason = v->values[0] > 0 ? "right city" : "wrong city";
	return (QEVAL_OK);
}

static int
capitals_gold(void *state, struct qeval_ctx *ctx, size_t i,
    const struct qeval_exchange *const *ex, size_t nex,
    const struct qeval_request *req, int corrupt, struct qeval_gold *out)
{
	struct state *s = state;

	(void)ctx;
	(void)ex;
	(void)nex;
	(void)req;
	out->text = corrupt ? "Atlantis" : s->items[i].capital;
	return (QEVAL_OK);
}

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.name = "capitals",
	.version = "1.1",
	.summary = "example: capitals of countries, exact match",
	.tasks = tasks,
	.open = capitals_open,
	.next2 = capitals_next,
	.score2 = capitals_score,
	.gold2 = capitals_gold,
	.close = capitals_close,
};
