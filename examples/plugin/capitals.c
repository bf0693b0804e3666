/*
 * capitals: a complete out-of-tree qeval plugin, small enough to read in
 * one sitting.  It asks for the capital of a country and scores an exact
 * match (case-insensitive, surrounding whitespace and a final period
 * ignored).  Its data file is capitals/test.jsonl under the data dir,
 * one {"country": "...", "capital": "..."} per line.
 *
 * Build it against an installed qeval:
 *
 *   cc -shared -fPIC -fvisibility=hidden $(pkg-config --cflags qeval) \
 *       -o capitals.so capitals.c -lcjson
 *   QEVAL_DATA_DIR=. QEVAL_MANIFEST_DIR=none \
 *       qeval --plugin-dir . --tasks capitals --model reference
 *
 * Only <qeval/plugin.h> is needed from qeval; every service (reading
 * records, logging, errors) comes through the host table.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <qeval/plugin.h>

struct item {
	char	*country;
	char	*capital;
};

struct state {
	const struct qeval_host	*host;
	struct item		*items;
	size_t			 n;
	char			 id[32];
	char			 body[512];
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
	struct item *v;

	if (!cJSON_IsString(c) || !cJSON_IsString(k)) {
		cJSON_Delete(o);
		return (QEVAL_EDATA);	/* the host names file and line */
	}
	(void)where;
	v = realloc(s->items, (s->n + 1) * sizeof(*v));
	if (v == NULL) {
		cJSON_Delete(o);
		return (QEVAL_ENOMEM);
	}
	s->items = v;
	v[s->n].country = strdup(c->valuestring);
	v[s->n].capital = strdup(k->valuestring);
	s->n++;
	cJSON_Delete(o);
	return (QEVAL_OK);
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
	*statep = NULL;
	if (s == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "capitals: out of memory"));
	s->host = h;
	rc = h->records(ctx, files[0], on_record, s);
	if (rc != QEVAL_OK) {
		capitals_close(s);
		return (rc < 0 ? h->fail(ctx, rc, "capitals: cannot read %s",
		    files[0]) : QEVAL_EDATA);
	}
	if (opts->limit > 0 && opts->limit < s->n)
		s->n = opts->limit;
	*statep = s;
	return (QEVAL_OK);
}

static size_t
capitals_count(void *state)
{
	return (((struct state *)state)->n);
}

static const char *
capitals_id(void *state, size_t i)
{
	struct state *s = state;

	snprintf(s->id, sizeof(s->id), "capitals/%zu", i);
	return (s->id);
}

static int
capitals_next(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_request *req)
{
	struct state *s = state;
	const char *c = s->items[i].country;

	(void)cand;
	(void)ex;
	if (nex > 0)
		return (QEVAL_DONE);
	/* Country names in the data contain no quote or backslash; a
	 * real plugin escapes (see plugins/qp.c in qeval's tree). */
	if (strpbrk(c, "\"\\") != NULL)
		return (s->host->fail(ctx, QEVAL_EDATA, "capitals: item %zu: "
		    "quotes are not supported", i));
	snprintf(s->body, sizeof(s->body), "{\"messages\":[{\"role\":"
	    "\"user\",\"content\":\"What is the capital of %s? Answer with "
	    "the city only.\"}]}", c);
	req->kind = QEVAL_REQ_CHAT;
	req->target = QEVAL_TARGET_MODEL;
	req->body = s->body;
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
    const struct qeval_exchange *ex, size_t nex, struct qeval_verdict *v)
{
	struct state *s = state;

	(void)ctx;
	(void)cand;
	(void)nex;
	v->values[0] = same_city(ex[0].resp.text, s->items[i].capital);
	v->extracted = ex[0].resp.text;
	v->reason = v->values[0] > 0 ? "right city" : "wrong city";
	return (QEVAL_OK);
}

static int
capitals_gold(void *state, struct qeval_ctx *ctx, size_t i,
    const struct qeval_exchange *ex, size_t nex,
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
	.version = "1.0",
	.summary = "example: capitals of countries, exact match",
	.tasks = tasks,
	.open = capitals_open,
	.count = capitals_count,
	.sample_id = capitals_id,
	.next = capitals_next,
	.score = capitals_score,
	.gold = capitals_gold,
	.close = capitals_close,
};
