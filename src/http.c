#include "config.h"
#include "http.h"
#include "clock.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <cjson/cJSON.h>

#include "jsonb.h"
#include "xalloc.h"

/* GET bodies (probes) larger than this are refused. */
#define BODY_CAP	HTTP_MAX_BODY
/* Retry-After waits logged per client before going quiet. */
#define WAIT_LOGS	5
/* Longest server message quoted in an error line. */
#define MSG_CAP		400

static const char hint_start[] = "start a server with `vllm serve MODEL` "
    "or use `--model reference`";

/* One tool call assembled from stream deltas. */
struct stool {
	struct strbuf	 id;
	struct strbuf	 name;
	struct strbuf	 args;
};

struct req {
	struct req	*next;		/* queue or wait list */
	struct req	*rprev;		/* running list */
	struct req	*rnext;
	CURL		*easy;		/* while running */
	uint64_t	 id;
	int		 stream;
	const char	*path;		/* in store[] */
	const char	*body;		/* in store[] */
	size_t		 body_len;
	int		 attempts;
	int		 malformed;	/* malformed 200s seen */
	size_t		 ep;		/* endpoint of the current attempt */
	double		 t_submit;
	double		 t_start;
	double		 t_first;
	double		 t_wake;
	long		 code;		/* status seen by the write callback */
	double		 retry_after;	/* < 0: no Retry-After header */
	int		 too_big;
	size_t		 max_body;
	int		 unreachable;	/* the last attempt did not connect */
	int		 cancel;	/* enum cancel: why qeval ended the
					 * attempt itself */
	int		 repeated;	/* a deterministic error */
	double		 t_byte;	/* last byte (header or body) */
	double		 t_body;	/* last body byte */
	struct strbuf	 raw;
	struct strbuf	 err;
	/* Stream state (SSE). */
	size_t		 sse_pos;	/* next unparsed byte of raw */
	size_t		 sse_scan;	/* raw has no '\n' from sse_pos to
					 * here: a long event is scanned
					 * once, not once per write */
	int		 events;	/* JSON data events */
	int		 done;		/* "data: [DONE]" seen */
	int		 bad_events;
	int		 choice_events;	/* events with a choices[0] */
	int		 nonfinite;	/* NaN/Infinity made one unparseable */
	unsigned	 bad_utf8;
	struct strbuf	 text;
	struct strbuf	 reasoning;
	int		 has_reasoning;
	char		*finish;
	char		*stream_err;	/* an error event's message */
	struct stool	*tools;
	size_t		 ntools;
	char		*tools_json;	/* the result's tool_calls */
	long		 ptok;
	long		 ctok;
	long		 cached;
	char		*model;
	/* Non-stream parse. */
	cJSON		*doc;
	char		 errbuf[CURL_ERROR_SIZE];
	char		 store[];
};

/* Why qeval ended an attempt itself. */
enum cancel {
	C_NONE,
	C_FIRST_BYTE,		/* no byte within first_byte_timeout_s */
	C_STALL,		/* a stream stopped for stall_timeout_s */
	C_REFUSED		/* its endpoint refuses new connections */
};

/* A non-200 answer seen before: its status and body's hash. */
struct seen_error {
	long		 code;
	uint64_t	 hash;
	int		 n;
};
#define SEEN_MAX	16

struct http {
	unsigned		 magic;
#define HTTP_MAGIC		 0x48545450u
	struct http_opts	 o;
	char			**eps;		/* base URLs, no trailing '/' */
	char			**shown;	/* the same, no user:pass@ */
	char			*key;
	http_done_cb		 cb;
	void			*arg;
	CURLM			*multi;
	struct curl_slist	*headers;
	CURL			**pool;		/* idle easy handles */
	size_t			 npool;
	size_t			 pool_alloc;
	struct req		*qhead;		/* FIFO, not started */
	struct req		*qtail;
	size_t			 nqueued;
	struct req		*waiting;	/* backoff, by t_wake */
	struct req		*running;
	size_t			 active;	/* running + waiting */
	size_t			 rr;		/* round-robin cursor */
	int			 wait_logs;	/* Retry-After lines logged */
	uint64_t		 delivered;
	struct http_stats	 st;
	struct strbuf		 url;		/* scratch */
	struct seen_error	 seen[SEEN_MAX];
	size_t			 nseen;
	double			 last_check;	/* of the byte limits */
};

double
http_now(void)
{
	return (clock_now());
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */

/* Copies url without a "user:pass@" part, for messages. */
static char *
url_shown(const char *url)
{
	const char *s = strstr(url, "://"), *at, *end;
	struct strbuf sb = STRBUF_INIT;

	if (s == NULL)
		return (xstrdup(url));
	s += 3;
	end = s + strcspn(s, "/?#");
	at = memchr(s, '@', (size_t)(end - s));
	if (at == NULL)
		return (xstrdup(url));
	strbuf_add(&sb, url, (size_t)(s - url));
	strbuf_adds(&sb, at + 1);
	return (strbuf_detach(&sb, NULL));
}

/* Replaces every occurrence of the API key in sb with "***". */
static void
scrub(struct strbuf *sb, const char *key)
{
	size_t klen = key ? strlen(key) : 0;
	struct strbuf out = STRBUF_INIT;
	const char *p, *hit;

	if (klen == 0 || sb->len < klen ||
	    memmem(sb->buf, sb->len, key, klen) == NULL)
		return;
	p = sb->buf;
	while ((hit = memmem(p, sb->len - (size_t)(p - sb->buf), key,
	    klen)) != NULL) {
		strbuf_add(&out, p, (size_t)(hit - p));
		strbuf_adds(&out, "***");
		p = hit + klen;
	}
	strbuf_add(&out, p, sb->len - (size_t)(p - sb->buf));
	strbuf_release(sb);
	*sb = out;
}

/* Appends s (len bytes) as one printable line of at most cap bytes. */
static void
add_oneline(struct strbuf *sb, const char *s, size_t len, size_t cap)
{
	size_t i;

	while (len > 0 && (*s == ' ' || *s == '\n' || *s == '\r' ||
	    *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\n' ||
	    s[len - 1] == '\r' || s[len - 1] == '\t'))
		len--;
	for (i = 0; i < len && i < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		strbuf_addch(sb, c < 0x20 || c == 0x7f ? ' ' : c);
	}
	if (len > cap)
		strbuf_adds(sb, "...");
}

static const char *
jstr(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return (cJSON_IsString(v) ? v->valuestring : NULL);
}

static long
jlong(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return (cJSON_IsNumber(v) ? (long)v->valuedouble : -1);
}

/*
 * The server's own explanation in an error body: vLLM's {"message"},
 * OpenAI's and llama.cpp's {"error": {"message"}}, FastAPI's {"detail"},
 * else the body's first bytes.
 */
static void
server_message(struct strbuf *sb, const char *body, size_t len)
{
	cJSON *j = cJSON_ParseWithLength(body, len);
	const cJSON *e;
	const char *m = NULL;

	if (cJSON_IsObject(j)) {
		e = cJSON_GetObjectItemCaseSensitive(j, "error");
		if ((m = jstr(j, "message")) == NULL &&
		    (m = jstr(j, "error")) == NULL &&
		    (m = jstr(e, "message")) == NULL)
			m = jstr(j, "detail");
	}
	if (m != NULL)
		add_oneline(sb, m, strlen(m), MSG_CAP);
	else if (len > 0)
		add_oneline(sb, body, len, MSG_CAP);
	else
		strbuf_adds(sb, "(empty body)");
	cJSON_Delete(j);
}

/* ------------------------------------------------------------------ */
/* Request life                                                       */

static void
tools_free(struct req *r)
{
	size_t i;

	for (i = 0; i < r->ntools; i++) {
		strbuf_release(&r->tools[i].id);
		strbuf_release(&r->tools[i].name);
		strbuf_release(&r->tools[i].args);
	}
	free(r->tools);
	r->tools = NULL;
	r->ntools = 0;
}

/* Forgets everything an attempt produced. */
static void
attempt_reset(struct req *r)
{
	strbuf_reset(&r->raw);
	strbuf_reset(&r->text);
	strbuf_reset(&r->reasoning);
	r->has_reasoning = 0;
	free(r->finish);
	r->finish = NULL;
	free(r->stream_err);
	r->stream_err = NULL;
	tools_free(r);
	free(r->tools_json);
	r->tools_json = NULL;
	cJSON_Delete(r->doc);
	r->doc = NULL;
	r->code = 0;
	r->retry_after = -1;
	r->too_big = 0;
	r->unreachable = 0;
	r->cancel = C_NONE;
	r->t_byte = r->t_body = 0;
	free(r->model);
	r->model = NULL;
	r->cached = -1;
	r->sse_pos = r->sse_scan = 0;
	r->events = r->done = r->bad_events = 0;
	r->choice_events = r->nonfinite = 0;
	r->bad_utf8 = 0;
	r->ptok = r->ctok = -1;
	r->t_first = 0;
	r->errbuf[0] = '\0';
}

static void
req_free(struct req *r)
{
	attempt_reset(r);
	strbuf_release(&r->raw);
	strbuf_release(&r->err);
	strbuf_release(&r->text);
	strbuf_release(&r->reasoning);
	free(r);
}

/* ------------------------------------------------------------------ */
/* Server-sent events                                                 */

static void
sse_tools(struct req *r, const cJSON *arr)
{
	const cJSON *tc;

	cJSON_ArrayForEach(tc, arr) {
		long idx = jlong(tc, "index");
		const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc,
		    "function");
		const char *s;
		struct stool *t;

		if (idx < 0 || idx > 1024)
			idx = 0;
		while (r->ntools <= (size_t)idx) {
			r->tools = xrealloc(r->tools, (r->ntools + 1) *
			    sizeof(*r->tools));
			t = &r->tools[r->ntools++];
			strbuf_init(&t->id, 0);
			strbuf_init(&t->name, 0);
			strbuf_init(&t->args, 0);
		}
		t = &r->tools[idx];
		if ((s = jstr(tc, "id")) != NULL && t->id.len == 0)
			strbuf_adds(&t->id, s);
		if ((s = jstr(fn, "name")) != NULL)
			strbuf_adds(&t->name, s);
		if ((s = jstr(fn, "arguments")) != NULL)
			strbuf_adds(&t->args, s);
	}
}

/*
 * Appends the string at choices[k].obj.key (choices[k].key if obj is
 * NULL) of the JSON text p to out, as bytes: a "\u0000" in it stays.
 * Returns the number of bytes appended.
 */
static size_t
choice_str(struct req *r, const char *p, size_t len, int k,
    const char *obj, const char *key, struct strbuf *out)
{
	const char *path[5];
	char idx[16];
	size_t before = out->len, bad = 0;
	int n = 0;

	snprintf(idx, sizeof(idx), "#%d", k);
	path[n++] = "choices";
	path[n++] = idx;
	if (obj != NULL)
		path[n++] = obj;
	path[n++] = key;
	path[n] = NULL;
	if (jsonb_str(p, len, path, out, &bad) != 1)
		strbuf_setlen(out, before);
	r->bad_utf8 += (unsigned)bad;
	return (out->len - before);
}

/* One "data:" payload. */
static void
sse_event(struct req *r, const char *p, size_t len)
{
	const cJSON *choices, *c, *d, *u, *e;
	struct strbuf fixed = STRBUF_INIT;
	const char *s;
	cJSON *j;
	int got = 0, k = 0;

	if (len == 6 && memcmp(p, "[DONE]", 6) == 0) {
		r->done = 1;
		return;
	}
	/* Bytes that are not UTF-8 become U+FFFD before anything reads
	 * them: the answer is kept valid UTF-8 everywhere. */
	if (jsonb_utf8_invalid(p, len) > 0) {
		r->bad_utf8 += (unsigned)jsonb_utf8_fix(&fixed, p, len);
		p = fixed.buf;
		len = fixed.len;
	}
	if ((j = cJSON_ParseWithLength(p, len)) == NULL ||
	    !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		r->bad_events++;
		if (jsonb_has_nonfinite(p, len))
			r->nonfinite = 1;
		strbuf_release(&fixed);
		return;
	}
	r->events++;
	e = cJSON_GetObjectItemCaseSensitive(j, "error");
	if (e != NULL || ((s = jstr(j, "object")) != NULL &&
	    strcmp(s, "error") == 0)) {
		struct strbuf m = STRBUF_INIT;

		if ((s = jstr(j, "message")) == NULL &&
		    (s = jstr(e, "message")) == NULL)
			s = cJSON_IsString(e) ? e->valuestring : "error event";
		add_oneline(&m, s, strlen(s), MSG_CAP);
		if (r->stream_err == NULL)
			r->stream_err = strbuf_detach(&m, NULL);
		else
			strbuf_release(&m);
		cJSON_Delete(j);
		strbuf_release(&fixed);
		return;
	}
	choices = cJSON_GetObjectItemCaseSensitive(j, "choices");
	cJSON_ArrayForEach(c, choices) {
		if (jlong(c, "index") > 0) {
			k++;
			continue;
		}
		if (cJSON_IsObject(c))
			r->choice_events++;
		d = cJSON_GetObjectItemCaseSensitive(c, "delta");
		if (cJSON_IsObject(d)) {
			/* Text is read as bytes: cJSON would cut it at a
			 * "\u0000". */
			if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(d,
			    "content")) && choice_str(r, p, len, k, "delta",
			    "content", &r->text) > 0)
				got = 1;
			if (jstr(d, "reasoning_content") != NULL &&
			    choice_str(r, p, len, k, "delta",
			    "reasoning_content", &r->reasoning) > 0) {
				r->has_reasoning = 1;
				got = 1;
			} else if (jstr(d, "reasoning_content") == NULL &&
			    jstr(d, "reasoning") != NULL &&
			    choice_str(r, p, len, k, "delta", "reasoning",
			    &r->reasoning) > 0) {
				r->has_reasoning = 1;
				got = 1;
			}
			u = cJSON_GetObjectItemCaseSensitive(d, "tool_calls");
			if (cJSON_GetArraySize(u) > 0) {
				sse_tools(r, u);
				got = 1;
			}
		} else if (jstr(c, "text") != NULL && choice_str(r, p, len,
		    k, NULL, "text", &r->text) > 0)
			got = 1;
		if ((s = jstr(c, "finish_reason")) != NULL) {
			free(r->finish);
			r->finish = xstrdup(s);
		}
		break;
	}
	if (got && r->t_first == 0)
		r->t_first = http_now();
	u = cJSON_GetObjectItemCaseSensitive(j, "usage");
	if (cJSON_IsObject(u)) {
		r->ptok = jlong(u, "prompt_tokens");
		r->ctok = jlong(u, "completion_tokens");
		r->cached = jlong(cJSON_GetObjectItemCaseSensitive(u,
		    "prompt_tokens_details"), "cached_tokens");
	}
	if (r->model == NULL && (s = jstr(j, "model")) != NULL)
		r->model = xstrdup(s);
	cJSON_Delete(j);
	strbuf_release(&fixed);
}

/* Parses the complete lines of raw not parsed yet (all if at_end). */
static void
sse_feed(struct req *r, int at_end)
{
	const char *b = r->raw.buf, *nl, *line;
	size_t len;

	while (r->sse_pos < r->raw.len) {
		size_t from = r->sse_scan > r->sse_pos ? r->sse_scan :
		    r->sse_pos;

		line = b + r->sse_pos;
		nl = memchr(b + from, '\n', r->raw.len - from);
		if (nl == NULL) {
			if (!at_end) {
				r->sse_scan = r->raw.len;
				return;
			}
			nl = b + r->raw.len;
		}
		len = (size_t)(nl - line);
		r->sse_pos += len + (nl < b + r->raw.len);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len < 5 || memcmp(line, "data:", 5) != 0)
			continue;	/* blank, comment, event:, id: */
		line += 5;
		len -= 5;
		if (len > 0 && *line == ' ') {
			line++;
			len--;
		}
		sse_event(r, line, len);
	}
}

/* ------------------------------------------------------------------ */
/* libcurl callbacks                                                  */

static size_t
on_write(char *p, size_t sz, size_t n, void *arg)
{
	struct req *r = arg;
	size_t len = sz * n;

	if (len > r->max_body - r->raw.len) {
		r->too_big = 1;
		return (0);
	}
	r->t_byte = r->t_body = http_now();
	strbuf_add(&r->raw, p, len);
	if (r->stream) {
		if (r->code == 0)
			curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE,
			    &r->code);
		if (r->code == 200)
			sse_feed(r, 0);
	}
	return (len);
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct req *r = arg;
	size_t len = sz * n;
	char num[32], *end;
	double v;

	r->t_byte = http_now();
	if (len > 12 && (p[0] == 'R' || p[0] == 'r') &&
	    strncasecmp(p, "retry-after:", 12) == 0) {
		p += 12;
		len -= 12;
		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		if (len >= sizeof(num))
			len = sizeof(num) - 1;
		memcpy(num, p, len);
		num[len] = '\0';
		/* Only delta-seconds; an HTTP date falls back to backoff. */
		errno = 0;
		v = strtod(num, &end);
		if (end != num && errno == 0 && v >= 0 && isfinite(v) &&
		    strspn(end, " \t\r\n") == strlen(end))
			r->retry_after = v;
	}
	return (sz * n);
}

/* ------------------------------------------------------------------ */
/* Parsing a finished response                                        */

/* A whole JSON answer (non-stream).  0, or -1 with why set. */
static int
parse_json(struct req *r, const char *p, size_t len, struct strbuf *why)
{
	const cJSON *choices, *c, *m, *tc, *u;
	const char *s;

	r->doc = cJSON_ParseWithLength(p, len);
	if (r->doc == NULL || !cJSON_IsObject(r->doc)) {
		if (jsonb_has_nonfinite(p, len))
			strbuf_adds(why, "the answer holds NaN or Infinity "
			    "(in logprobs?), which JSON does not allow: ");
		else
			strbuf_adds(why, "not a JSON object: ");
		add_oneline(why, p, len, 80);
		return (-1);
	}
	choices = cJSON_GetObjectItemCaseSensitive(r->doc, "choices");
	c = cJSON_GetArrayItem(choices, 0);
	if (!cJSON_IsObject(c)) {
		strbuf_adds(why, "no \"choices\": ");
		add_oneline(why, p, len, 80);
		return (-1);
	}
	m = cJSON_GetObjectItemCaseSensitive(c, "message");
	/* Texts are read as bytes: cJSON would cut them at a "\u0000". */
	if (cJSON_IsObject(m)) {
		if (jstr(m, "content") != NULL)
			choice_str(r, p, len, 0, "message", "content",
			    &r->text);
		if (jstr(m, "reasoning_content") != NULL) {
			choice_str(r, p, len, 0, "message",
			    "reasoning_content", &r->reasoning);
			r->has_reasoning = 1;
		} else if (jstr(m, "reasoning") != NULL) {
			choice_str(r, p, len, 0, "message", "reasoning",
			    &r->reasoning);
			r->has_reasoning = 1;
		}
		tc = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");
		if (cJSON_IsArray(tc) && cJSON_GetArraySize(tc) > 0) {
			r->tools_json = cJSON_PrintUnformatted(tc);
			if (r->tools_json == NULL)
				xalloc_die();
		}
	} else if (jstr(c, "text") != NULL)
		choice_str(r, p, len, 0, NULL, "text", &r->text);
	else {
		strbuf_adds(why, "choices[0] has neither message nor text: ");
		add_oneline(why, p, len, 80);
		return (-1);
	}
	if ((s = jstr(c, "finish_reason")) != NULL)
		r->finish = xstrdup(s);
	u = cJSON_GetObjectItemCaseSensitive(r->doc, "usage");
	r->ptok = jlong(u, "prompt_tokens");
	r->ctok = jlong(u, "completion_tokens");
	r->cached = jlong(cJSON_GetObjectItemCaseSensitive(u,
	    "prompt_tokens_details"), "cached_tokens");
	free(r->model);
	r->model = (s = jstr(r->doc, "model")) != NULL ? xstrdup(s) : NULL;
	return (0);
}

/* Serialises the tool calls assembled from stream deltas. */
static void
tools_build(struct req *r)
{
	cJSON *arr, *o, *fn;
	size_t i;

	if (r->ntools == 0 || r->tools_json != NULL)
		return;
	arr = cJSON_CreateArray();
	for (i = 0; i < r->ntools; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", r->tools[i].id.buf);
		cJSON_AddStringToObject(o, "type", "function");
		fn = cJSON_AddObjectToObject(o, "function");
		cJSON_AddStringToObject(fn, "name", r->tools[i].name.buf);
		cJSON_AddStringToObject(fn, "arguments", r->tools[i].args.buf);
		cJSON_AddItemToArray(arr, o);
	}
	r->tools_json = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	if (r->tools_json == NULL)
		xalloc_die();
}

/*
 * Replaces what is not UTF-8 in the body by U+FFFD, so that everything
 * read from it, and the body kept for the samples, is valid UTF-8.
 * Returns the number of replacements.
 */
static size_t
fix_raw(struct req *r)
{
	struct strbuf fixed = STRBUF_INIT;
	size_t n;

	if (jsonb_utf8_invalid(r->raw.buf, r->raw.len) == 0)
		return (0);
	n = jsonb_utf8_fix(&fixed, r->raw.buf, r->raw.len);
	strbuf_release(&r->raw);
	r->raw = fixed;
	return (n);
}

/*
 * Judges a 200.  Returns 0 (ok), 1 (unparseable: retried as a 5xx is)
 * or 2 (the server reported an error in the stream: final), with r->err
 * set.
 */
static int
judge_200(struct http *h, struct req *r)
{
	struct strbuf why = STRBUF_INIT;
	size_t nbad;
	int rc = 0;

	if (r->stream)
		sse_feed(r, 1);
	/* Stream events counted theirs as they were parsed. */
	nbad = fix_raw(r);
	if (!r->stream || r->events + r->bad_events == 0)
		r->bad_utf8 += (unsigned)nbad;
	if (r->stream) {
		if (r->stream_err != NULL) {
			strbuf_addf(&r->err, "error from %s during the "
			    "stream: %s", h->shown[r->ep], r->stream_err);
			return (2);
		}
		if (r->events == 0 && r->bad_events == 0 && !r->done &&
		    r->raw.len > 0) {
			/* The server ignored "stream": a whole answer. */
			const char *p = r->raw.buf;

			while (*p == ' ' || *p == '\n' || *p == '\r')
				p++;
			if (*p == '{') {
				strbuf_reset(&r->text);
				if (parse_json(r, r->raw.buf, r->raw.len,
				    &why) != 0)
					rc = 1;
				goto out;
			}
		}
		if (r->bad_events > 0) {
			strbuf_addf(&why, "%d stream event(s) are not JSON%s",
			    r->bad_events, r->nonfinite ? " (they hold NaN or "
			    "Infinity, which JSON does not allow)" : "");
			rc = 1;
		} else if (r->events > 0 && r->choice_events == 0) {
			/* Not an empty answer: no event was an answer. */
			strbuf_addf(&why, "none of the %d stream event(s) has "
			    "a \"choices\" entry: ", r->events);
			add_oneline(&why, r->raw.buf, r->raw.len, 80);
			rc = 1;
		} else if (r->events == 0) {
			strbuf_adds(&why, "no stream events: ");
			add_oneline(&why, r->raw.buf, r->raw.len, 80);
			rc = 1;
		} else if (!r->done && r->finish == NULL) {
			strbuf_adds(&why, "the stream ended before "
			    "finish_reason or [DONE]");
			rc = 1;
		}
	} else if (parse_json(r, r->raw.buf, r->raw.len, &why) != 0)
		rc = 1;
out:
	if (rc != 0) {
		strbuf_reset(&r->err);
		strbuf_adds(&r->err, "malformed response from server: ");
		strbuf_add(&r->err, why.buf, why.len);
		strbuf_addf(&r->err, " (%s)", h->shown[r->ep]);
	}
	strbuf_release(&why);
	return (rc);
}

/* ------------------------------------------------------------------ */
/* Scheduling                                                         */

static void
deliver(struct http *h, struct req *r, int ok)
{
	struct http_result res;

	if (ok) {
		tools_build(r);
		strbuf_reset(&r->err);
	} else
		scrub(&r->err, h->key);
	if (!ok && r->code != 200)
		scrub(&r->raw, h->key);
	memset(&res, 0, sizeof(res));
	res.id = r->id;
	res.ok = ok;
	res.status = r->code;
	res.error = ok ? NULL : r->err.buf;
	res.body = r->raw.buf;
	res.body_len = r->raw.len;
	res.unparseable = r->malformed;
	res.bad_utf8 = r->bad_utf8;
	if (ok) {
		res.text = r->text.buf;
		res.text_len = r->text.len;
		res.reasoning = r->has_reasoning ? r->reasoning.buf : NULL;
		res.finish_reason = r->finish;
		res.tool_calls = r->tools_json;
		res.prompt_tokens = r->ptok;
		res.completion_tokens = r->ctok;
		res.cached_tokens = r->cached;
		res.model = r->model;
	} else
		res.prompt_tokens = res.completion_tokens =
		    res.cached_tokens = -1;
	res.repeated = !ok && r->repeated;
	res.attempts = r->attempts;
	res.t_submit = r->t_submit;
	res.t_start = r->t_start;
	res.t_first = r->t_first;
	res.t_end = http_now();
	res.endpoint = r->attempts > 0 ? h->shown[r->ep] : NULL;
	res.unreachable = !ok && r->unreachable;
	h->st.requests++;
	if (!ok)
		h->st.failures++;
	h->delivered++;
	h->active--;
	h->cb(h->arg, &res);
	req_free(r);
}

static void
wait_insert(struct http *h, struct req *r)
{
	struct req **pp = &h->waiting;

	while (*pp != NULL && (*pp)->t_wake <= r->t_wake)
		pp = &(*pp)->next;
	r->next = *pp;
	*pp = r;
}

static void
running_unlink(struct http *h, struct req *r)
{
	if (r->rprev != NULL)
		r->rprev->rnext = r->rnext;
	else
		h->running = r->rnext;
	if (r->rnext != NULL)
		r->rnext->rprev = r->rprev;
	r->rprev = r->rnext = NULL;
}

static CURL *
easy_get(struct http *h)
{
	CURL *e;

	if (h->npool > 0)
		return (h->pool[--h->npool]);
	if ((e = curl_easy_init()) == NULL)
		xalloc_die();
	/* What every attempt shares; the rest is set per attempt. */
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	    (long)(h->o.timeout_s * 1000.0 + 0.5));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(h->o.connect_timeout_s * 1000.0 + 0.5));
	return (e);
}

static void
easy_put(struct http *h, CURL *e)
{
	h->pool = xgrow(h->pool, h->npool + 1, sizeof(*h->pool),
	    &h->pool_alloc);
	h->pool[h->npool++] = e;
}

static void
attempt_start(struct http *h, struct req *r)
{
	CURL *e = easy_get(h);
	CURLMcode mc;

	attempt_reset(r);
	r->ep = h->rr++ % h->o.n_endpoints;
	r->attempts++;
	h->st.attempts++;
	r->t_start = http_now();
	strbuf_reset(&h->url);
	strbuf_adds(&h->url, h->eps[r->ep]);
	strbuf_adds(&h->url, r->path);
	curl_easy_setopt(e, CURLOPT_URL, h->url.buf);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)r->body_len);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	r->easy = e;
	if ((mc = curl_multi_add_handle(h->multi, e)) != CURLM_OK) {
		r->easy = NULL;
		easy_put(h, e);
		strbuf_reset(&r->err);
		strbuf_addf(&r->err, "libcurl cannot start a request: %s",
		    curl_multi_strerror(mc));
		deliver(h, r, 0);
		return;
	}
	r->rprev = NULL;
	r->rnext = h->running;
	if (h->running != NULL)
		h->running->rprev = r;
	h->running = r;
}

/* Starts due retries, then queued requests while slots are free. */
static void
start_ready(struct http *h)
{
	struct req *r;
	double now;

	if (h->waiting != NULL) {
		now = http_now();
		while ((r = h->waiting) != NULL && r->t_wake <= now) {
			h->waiting = r->next;
			r->next = NULL;
			attempt_start(h, r);
		}
	}
	while (h->qhead != NULL && h->active < (size_t)h->o.concurrency) {
		r = h->qhead;
		if ((h->qhead = r->next) == NULL)
			h->qtail = NULL;
		r->next = NULL;
		h->nqueued--;
		h->active++;
		attempt_start(h, r);
	}
}

/* Is a transfer error worth another attempt? */
static int
transient(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_AGAIN:
		return (1);
	default:
		return (0);
	}
}

/* Explains a failed transfer in r->err. */
static void
transfer_error(struct http *h, struct req *r, CURLcode cc, CURL *e)
{
	const char *url = h->shown[r->ep];
	long oserr = 0;
	double tconn = 0;

	strbuf_reset(&r->err);
	curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &oserr);
	/* 0 until the request could be sent; CONNECT_TIME is 0 on a reused
	 * connection, so it cannot tell "never connected" apart. */
	curl_easy_getinfo(e, CURLINFO_PRETRANSFER_TIME, &tconn);
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
		r->unreachable = 1;
		strbuf_addf(&r->err, "cannot reach %s (%s): %s", url,
		    oserr != 0 ? strerror((int)oserr) : "connection failed",
		    hint_start);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		r->unreachable = 1;
		strbuf_addf(&r->err, "cannot reach %s (unknown host): check "
		    "the endpoint URL or %s", url, hint_start);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		if (r->cancel == C_REFUSED) {
			r->unreachable = 1;
			strbuf_addf(&r->err, "cannot reach %s (it refuses new "
			    "connections: stopped?) while this request waited "
			    "for an answer: %s", url, hint_start);
		} else if (r->cancel == C_FIRST_BYTE)
			strbuf_addf(&r->err, "no byte from %s within %g s of "
			    "sending (client.first_byte_timeout_s): the server "
			    "is stuck, or queues more requests than it runs; "
			    "lower --concurrency or raise the limit", url,
			    h->o.first_byte_timeout_s);
		else if (r->cancel == C_STALL)
			strbuf_addf(&r->err, "the answer from %s stalled: no "
			    "byte for %g s (client.stall_timeout_s); check the "
			    "server's log", url, h->o.stall_timeout_s);
		else if (tconn <= 0) {
			r->unreachable = 1;
			strbuf_addf(&r->err, "cannot reach %s (connection "
			    "timed out): %s", url, hint_start);
		} else
			strbuf_addf(&r->err, "no answer from %s within %g s "
			    "(the per-request timeout): the server is "
			    "overloaded or the answer is long; raise the "
			    "preset's timeout or lower --concurrency", url,
			    h->o.timeout_s);
		break;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		strbuf_addf(&r->err, "connection to %s lost (%s): the "
		    "server closed it; check the server's log", url,
		    r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc));
		break;
	case CURLE_WRITE_ERROR:
		if (r->too_big) {
			strbuf_addf(&r->err, "response from %s is larger than "
			    "the limit of ", url);
			if (r->max_body % ((size_t)1 << 20) == 0)
				strbuf_addf(&r->err, "%zu MiB", r->max_body >>
				    20);
			else
				strbuf_addf(&r->err, "%zu bytes",
				    r->max_body);
			strbuf_adds(&r->err, ": refused (a runaway answer? "
			    "lower max_tokens, or raise the limit with "
			    "QEVAL_MAX_RESPONSE_BYTES)");
			break;
		}
		/* FALLTHROUGH */
	default:
		strbuf_addf(&r->err, "request to %s failed: %s", url,
		    r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc));
		break;
	}
}

/* Explains a non-200 answer in r->err. */
static void
status_error(struct http *h, struct req *r)
{
	strbuf_reset(&r->err);
	strbuf_addf(&r->err, "HTTP %ld from %s%s: ", r->code, h->shown[r->ep],
	    r->path);
	server_message(&r->err, r->raw.buf, r->raw.len);
	if (r->code == 401 || r->code == 403)
		strbuf_adds(&r->err, " (check the API key: QEVAL_API_KEY or "
		    "OPENAI_API_KEY)");
	else if (r->code == 404)
		strbuf_adds(&r->err, " (check that the endpoint ends in /v1 "
		    "and the model name; GET /v1/models lists the models)");
}

/*
 * The wait a server's Retry-After asks for, capped at retry_after_max_s;
 * logged (the first WAIT_LOGS times), so that a long pause is explained.
 */
static double
retry_after_wait(struct http *h, struct req *r)
{
	double cap = h->o.retry_after_max_s, wait = r->retry_after;
	struct strbuf line = STRBUF_INIT;

	if (wait > cap)
		wait = cap;
	if (h->o.log == NULL || wait <= 0 || h->wait_logs > WAIT_LOGS)
		return (wait);
	if (h->wait_logs++ == WAIT_LOGS)
		strbuf_adds(&line, "further Retry-After waits are not logged");
	else if (r->retry_after > cap)
		strbuf_addf(&line, "HTTP %ld from %s: Retry-After asks for "
		    "%g s; waiting %g s, the cap (QEVAL_RETRY_AFTER_MAX), "
		    "before attempt %d of %d", r->code, h->shown[r->ep],
		    r->retry_after, wait, r->attempts + 1, h->o.retries + 1);
	else
		strbuf_addf(&line, "HTTP %ld from %s: waiting %g s as its "
		    "Retry-After asks (cap %g s) before attempt %d of %d",
		    r->code, h->shown[r->ep], wait, cap, r->attempts + 1,
		    h->o.retries + 1);
	h->o.log(h->o.log_arg, line.buf);
	strbuf_release(&line);
	return (wait);
}

/* FNV-1a over a byte string. */
static uint64_t
hash_bytes(const char *p, size_t len)
{
	uint64_t x = 0xcbf29ce484222325ULL;

	while (len-- > 0) {
		x ^= (unsigned char)*p++;
		x *= 0x100000001b3ULL;
	}
	return (x);
}

/*
 * Counts a non-200 answer by status and body.  Returns 1 when the same
 * answer was seen same_error_max times: retrying it is pointless.
 */
static int
same_error(struct http *h, const struct req *r)
{
	uint64_t x = hash_bytes(r->raw.buf, r->raw.len);
	size_t i;

	if (h->o.same_error_max < 0)
		return (0);
	for (i = 0; i < h->nseen; i++)
		if (h->seen[i].code == r->code && h->seen[i].hash == x)
			break;
	if (i == h->nseen) {
		if (h->nseen == SEEN_MAX)
			return (0);
		h->nseen++;
		h->seen[i].code = r->code;
		h->seen[i].hash = x;
		h->seen[i].n = 0;
	}
	return (++h->seen[i].n >= h->o.same_error_max);
}

static void attempt_done(struct http *, struct req *, CURLcode);

/* Ends a running attempt as a timeout, for the reason given. */
static void
cancel_attempt(struct http *h, struct req *r, int why)
{
	r->cancel = why;
	attempt_done(h, r, CURLE_OPERATION_TIMEDOUT);
}

/*
 * The endpoint of r refused a connection: a server that stopped.  What
 * still waits on it without a byte will not be answered (llama.cpp
 * keeps queued requests open and silent after SIGTERM), so those
 * attempts end now and go through the retry budget.
 */
static void
endpoint_refused(struct http *h, size_t ep)
{
	struct req *r, **v = NULL;
	size_t n = 0, alloc = 0, i;

	for (r = h->running; r != NULL; r = r->rnext)
		if (r->ep == ep && r->t_byte == 0) {
			v = xgrow(v, n + 1, sizeof(*v), &alloc);
			v[n++] = r;
		}
	for (i = 0; i < n; i++)
		cancel_attempt(h, v[i], C_REFUSED);
	free(v);
}

/* Ends attempts that passed the first-byte or stall limit. */
static void
check_limits(struct http *h)
{
	double now = http_now(), fb = h->o.first_byte_timeout_s,
	    st = h->o.stall_timeout_s;
	struct req *r, *next;

	if ((fb <= 0 && st <= 0) || now - h->last_check < 0.2)
		return;
	h->last_check = now;
	for (r = h->running; r != NULL; r = next) {
		next = r->rnext;
		if (r->t_byte == 0 && fb > 0 && now - r->t_start > fb)
			cancel_attempt(h, r, C_FIRST_BYTE);
		/* A stream stalls once its body started: headers alone
		 * come before a queued request runs (vLLM). */
		else if (r->t_body > 0 && r->stream && st > 0 &&
		    now - r->t_body > st)
			cancel_attempt(h, r, C_STALL);
		else
			continue;
		/* the list changed under us: start again */
		next = h->running;
	}
}

/* One attempt is over: deliver, or schedule another attempt. */
static void
attempt_done(struct http *h, struct req *r, CURLcode cc)
{
	CURL *e = r->easy;
	double delay, tst = 0;
	int retry = 0, rc;

	running_unlink(h, r);
	curl_multi_remove_handle(h->multi, e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->code);
	if (!r->stream && cc == CURLE_OK &&
	    curl_easy_getinfo(e, CURLINFO_STARTTRANSFER_TIME, &tst) ==
	    CURLE_OK && tst > 0)
		r->t_first = r->t_start + tst;
	if (cc != CURLE_OK) {
		transfer_error(h, r, cc, e);
		retry = transient(cc);
		if (cc == CURLE_COULDNT_CONNECT) {
			r->easy = NULL;
			easy_put(h, e);
			e = NULL;
			endpoint_refused(h, r->ep);
		}
	} else if (r->code == 200) {
		rc = judge_200(h, r);
		if (rc == 0) {
			r->easy = NULL;
			easy_put(h, e);
			deliver(h, r, 1);
			return;
		}
		/* An unparseable 200 is retried like a 5xx, and counted:
		 * the answer scored later came from another attempt. */
		if (rc == 1)
			r->malformed++;
		retry = rc == 1;
	} else {
		status_error(h, r);
		retry = r->code == 429 || r->code == 408 || r->code >= 500;
		/* 502-504 are a gateway's or a loading server's: they
		 * change by themselves.  A repeated 500 does not. */
		if ((r->code == 500 || r->code == 501) && same_error(h, r)) {
			retry = 0;
			r->repeated = 1;
			strbuf_adds(&r->err, " (the server gave this same "
			    "answer every time: not retried)");
		}
	}
	if (e != NULL) {
		r->easy = NULL;
		easy_put(h, e);
	}
	if (!retry || r->attempts > h->o.retries) {
		if (r->attempts > 1 && strncmp(r->err.buf, "cannot reach", 12))
			strbuf_addf(&r->err, " (after %d attempts)",
			    r->attempts);
		deliver(h, r, 0);
		return;
	}
	h->st.retries++;
	delay = h->o.backoff_base_s * ldexp(1.0, r->attempts - 1);
	if (delay > h->o.backoff_max_s)
		delay = h->o.backoff_max_s;
	if (r->retry_after >= 0 && r->code != 200)
		delay = retry_after_wait(h, r);
	r->t_wake = http_now() + delay;
	wait_insert(h, r);
}

static void
drain(struct http *h)
{
	CURLMsg *m;
	char *p;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		p = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
		if (p != NULL)
			attempt_done(h, (struct req *)(void *)p,
			    m->data.result);
	}
}

/* ------------------------------------------------------------------ */
/* The contract                                                       */

struct http *
http_new(const struct http_opts *o, http_done_cb cb, void *arg,
    struct strbuf *err)
{
	struct http *h;
	struct strbuf hdr = STRBUF_INIT;
	size_t i, n;

	if (o == NULL || cb == NULL) {
		strbuf_adds(err, "http_new: no options or no callback");
		return (NULL);
	}
	if (o->n_endpoints == 0 || o->endpoints == NULL) {
		strbuf_adds(err, "no endpoint: pass --endpoint URL (e.g. "
		    "http://127.0.0.1:8000/v1)");
		return (NULL);
	}
	for (i = 0; i < o->n_endpoints; i++) {
		const char *u = o->endpoints[i];

		if (u == NULL || (strncmp(u, "http://", 7) != 0 &&
		    strncmp(u, "https://", 8) != 0)) {
			strbuf_addf(err, "endpoint '%s' is not an http:// or "
			    "https:// URL (e.g. http://127.0.0.1:8000/v1)",
			    u ? u : "(null)");
			return (NULL);
		}
	}
	if (o->concurrency < 1 || o->retries < 0 || !(o->timeout_s >= 0) ||
	    !(o->connect_timeout_s >= 0) || !(o->backoff_base_s >= 0) ||
	    !(o->backoff_max_s >= 0)) {
		strbuf_addf(err, "bad client options: concurrency %d (>= 1), "
		    "retries %d (>= 0), timeouts and backoff must be >= 0",
		    o->concurrency, o->retries);
		return (NULL);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		strbuf_adds(err, "libcurl failed to initialise");
		return (NULL);
	}
	h = xcalloc(1, sizeof(*h));
	h->magic = HTTP_MAGIC;
	h->o = *o;
	if (h->o.retry_after_max_s <= 0)
		h->o.retry_after_max_s = HTTP_RETRY_AFTER_MAX;
	if (h->o.max_body == 0)
		h->o.max_body = HTTP_MAX_BODY;
	if (h->o.same_error_max == 0)
		h->o.same_error_max = HTTP_SAME_ERROR_MAX;
	h->o.endpoints = NULL;
	h->o.api_key = NULL;
	h->cb = cb;
	h->arg = arg;
	n = o->n_endpoints;
	h->eps = xcalloc(n, sizeof(*h->eps));
	h->shown = xcalloc(n, sizeof(*h->shown));
	for (i = 0; i < n; i++) {
		size_t len = strlen(o->endpoints[i]);

		while (len > 0 && o->endpoints[i][len - 1] == '/')
			len--;
		h->eps[i] = xstrndup(o->endpoints[i], len);
		h->shown[i] = url_shown(h->eps[i]);
	}
	strbuf_init(&h->url, 0);
	h->headers = curl_slist_append(NULL, "Content-Type: application/json");
	/* No "Expect: 100-continue" round trip for large bodies. */
	h->headers = curl_slist_append(h->headers, "Expect:");
	if (o->api_key != NULL && *o->api_key != '\0') {
		h->key = xstrdup(o->api_key);
		strbuf_addf(&hdr, "Authorization: Bearer %s", o->api_key);
		h->headers = curl_slist_append(h->headers, hdr.buf);
		/* The slist has its own copy; wipe ours. */
		memset(hdr.buf, 0, hdr.len);
		strbuf_release(&hdr);
	}
	if (h->headers == NULL || (h->multi = curl_multi_init()) == NULL)
		xalloc_die();
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING,
	    (long)CURLPIPE_NOTHING);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)o->concurrency);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS,
	    (long)(o->concurrency + (int)n));
	return (h);
}

void
http_free(struct http *h)
{
	struct req *r, *next;
	size_t i;

	if (h == NULL)
		return;
	if (h->magic != HTTP_MAGIC)
		abort();
	for (r = h->running; r != NULL; r = next) {
		next = r->rnext;
		curl_multi_remove_handle(h->multi, r->easy);
		curl_easy_cleanup(r->easy);
		req_free(r);
	}
	for (r = h->waiting; r != NULL; r = next) {
		next = r->next;
		req_free(r);
	}
	for (r = h->qhead; r != NULL; r = next) {
		next = r->next;
		req_free(r);
	}
	for (i = 0; i < h->npool; i++)
		curl_easy_cleanup(h->pool[i]);
	free(h->pool);
	curl_multi_cleanup(h->multi);
	if (h->headers != NULL) {
		struct curl_slist *s;

		/* Wipe the copy of the key the Authorization line holds. */
		for (s = h->headers; s != NULL; s = s->next)
			memset(s->data, 0, strlen(s->data));
		curl_slist_free_all(h->headers);
	}
	for (i = 0; i < h->o.n_endpoints; i++) {
		free(h->eps[i]);
		free(h->shown[i]);
	}
	free(h->eps);
	free(h->shown);
	if (h->key != NULL) {
		memset(h->key, 0, strlen(h->key));
		free(h->key);
	}
	strbuf_release(&h->url);
	h->magic = 0;
	free(h);
	curl_global_cleanup();
}

void
http_submit(struct http *h, const struct http_request *q)
{
	size_t plen = q->path ? strlen(q->path) : 0;
	struct req *r = xmalloc(sizeof(*r) + plen + 1 + q->body_len + 1);

	memset(r, 0, sizeof(*r));
	memcpy(r->store, q->path ? q->path : "", plen + 1);
	if (q->body_len > 0)
		memcpy(r->store + plen + 1, q->body, q->body_len);
	r->store[plen + 1 + q->body_len] = '\0';
	r->path = r->store;
	r->body = r->store + plen + 1;
	r->body_len = q->body_len;
	r->stream = q->stream != 0;
	r->id = q->id;
	r->max_body = h->o.max_body;
	r->t_submit = http_now();
	r->retry_after = -1;
	r->ptok = r->ctok = -1;
	strbuf_init(&r->raw, 0);
	strbuf_init(&r->err, 0);
	strbuf_init(&r->text, 0);
	strbuf_init(&r->reasoning, 0);
	if (h->qtail != NULL)
		h->qtail->next = r;
	else
		h->qhead = r;
	h->qtail = r;
	h->nqueued++;
}

void
http_cancel_waiting(struct http *h, const char *why)
{
	struct req *r;

	while ((r = h->qhead) != NULL) {
		if ((h->qhead = r->next) == NULL)
			h->qtail = NULL;
		r->next = NULL;
		h->nqueued--;
		h->active++;		/* deliver() counts it out */
		strbuf_reset(&r->err);
		strbuf_adds(&r->err, why);
		deliver(h, r, 0);
	}
	while ((r = h->waiting) != NULL) {
		h->waiting = r->next;
		r->next = NULL;
		strbuf_reset(&r->err);
		strbuf_adds(&r->err, why);
		r->unreachable = 0;
		deliver(h, r, 0);
	}
}

size_t
http_pending(const struct http *h)
{
	return (h->nqueued + h->active);
}

int
http_step(struct http *h, int timeout_ms, int extra_fd, struct strbuf *err)
{
	double deadline = http_now() + (timeout_ms > 0 ? timeout_ms : 0) /
	    1000.0;
	uint64_t before = h->delivered;
	struct curl_waitfd wfd;
	CURLMcode mc;
	double now;
	int running, nfds, wait_ms;

	for (;;) {
		start_ready(h);
		if ((mc = curl_multi_perform(h->multi, &running)) !=
		    CURLM_OK) {
			strbuf_addf(err, "libcurl: %s",
			    curl_multi_strerror(mc));
			return (-1);
		}
		drain(h);
		check_limits(h);
		if (h->delivered != before)
			return (0);
		now = http_now();
		if (now >= deadline)
			return (0);
		wait_ms = (int)ceil((deadline - now) * 1000.0);
		if (h->waiting != NULL) {
			double w = (h->waiting->t_wake - now) * 1000.0;

			if (w < wait_ms)
				wait_ms = w > 0 ? (int)ceil(w) : 0;
		}
		memset(&wfd, 0, sizeof(wfd));
		wfd.fd = extra_fd;
		wfd.events = CURL_WAIT_POLLIN;
		nfds = 0;
		mc = curl_multi_poll(h->multi, extra_fd >= 0 ? &wfd : NULL,
		    extra_fd >= 0 ? 1 : 0, wait_ms, &nfds);
		if (mc != CURLM_OK) {
			strbuf_addf(err, "libcurl: %s",
			    curl_multi_strerror(mc));
			return (-1);
		}
		if (extra_fd >= 0 && wfd.revents != 0)
			return (0);
	}
}

void
http_get_stats(const struct http *h, struct http_stats *st)
{
	*st = h->st;
}

static size_t
get_write(char *p, size_t sz, size_t n, void *arg)
{
	struct strbuf *out = arg;
	size_t len = sz * n;

	if (len > BODY_CAP - out->len)
		return (0);
	strbuf_add(out, p, len);
	return (len);
}

long
http_get(const struct http_opts *o, const char *path, struct strbuf *out,
    struct strbuf *err)
{
	struct curl_slist *hdrs = NULL;
	struct strbuf url = STRBUF_INIT, tmp = STRBUF_INIT;
	char ebuf[CURL_ERROR_SIZE] = "";
	const char *base;
	char *shown;
	long code = 0, oserr = 0;
	size_t len;
	CURLcode cc;
	CURL *e;

	if (o == NULL || o->n_endpoints == 0 || o->endpoints == NULL ||
	    o->endpoints[0] == NULL) {
		strbuf_adds(err, "no endpoint: pass --endpoint URL");
		return (0);
	}
	base = o->endpoints[0];
	len = strlen(base);
	while (len > 0 && base[len - 1] == '/')
		len--;
	strbuf_add(&url, base, len);
	shown = url_shown(url.buf);
	strbuf_adds(&url, path ? path : "");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (e = curl_easy_init()) == NULL) {
		strbuf_adds(err, "libcurl failed to initialise");
		strbuf_release(&url);
		free(shown);
		return (0);
	}
	if (o->api_key != NULL && *o->api_key != '\0') {
		strbuf_addf(&tmp, "Authorization: Bearer %s", o->api_key);
		hdrs = curl_slist_append(hdrs, tmp.buf);
		memset(tmp.buf, 0, tmp.len);
		strbuf_release(&tmp);
	}
	curl_easy_setopt(e, CURLOPT_URL, url.buf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, get_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	    (long)(o->timeout_s * 1000.0 + 0.5));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(o->connect_timeout_s * 1000.0 + 0.5));
	cc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &oserr);
	if (cc != CURLE_OK) {
		code = 0;
		if (cc == CURLE_COULDNT_CONNECT)
			strbuf_addf(&tmp, "cannot reach %s (%s): %s", shown,
			    oserr ? strerror((int)oserr) :
			    "connection failed", hint_start);
		else if (cc == CURLE_COULDNT_RESOLVE_HOST)
			strbuf_addf(&tmp, "cannot reach %s (unknown host): "
			    "check the endpoint URL or %s", shown, hint_start);
		else
			strbuf_addf(&tmp, "GET %s%s failed: %s", shown,
			    path ? path : "", ebuf[0] ? ebuf :
			    curl_easy_strerror(cc));
		scrub(&tmp, o->api_key);
		strbuf_add(err, tmp.buf, tmp.len);
		strbuf_release(&tmp);
	}
	curl_easy_cleanup(e);
	if (hdrs != NULL) {
		memset(hdrs->data, 0, strlen(hdrs->data));
		curl_slist_free_all(hdrs);
	}
	curl_global_cleanup();
	strbuf_release(&url);
	free(shown);
	return (code);
}
