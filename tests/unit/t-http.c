/*
 * t-http: the HTTP client against tests/fake/fakeserver.py.
 *
 * tests/unit/t-http.sh starts the fake servers and sets
 *   QEVAL_FAKE_URL   vLLM flavor, scripted (t-http.sh holds the script)
 *   QEVAL_FAKE_URL2  llama.cpp flavor, --api-key sk-SECRET-123
 *   QEVAL_FAKE_LOG   the first server's request log
 * Without them the test skips.
 */
#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "http.h"
#include "strbuf.h"
#include "tap.h"
#include "xalloc.h"

#define KEY	"sk-SECRET-123"
#define MAXRES	256

/* A copy of one result, taken in the callback. */
struct res {
	int	 done;
	int	 ok;
	long	 status;
	char	*error;
	char	*body;
	char	*text;
	size_t	 text_len;
	int	 unparseable;
	unsigned bad_utf8;
	char	*reasoning;
	char	*finish;
	char	*tools;
	char	*endpoint;
	long	 ptok;
	long	 ctok;
	int	 attempts;
	int	 unreachable;
	int	 repeated;
	char	*model;
	double	 t_submit;
	double	 t_start;
	double	 t_first;
	double	 t_end;
};

static struct res R[MAXRES];
static int ncalls;
static const char *url1, *url2, *logpath;

static char *
dup0(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

static void
clear(void)
{
	int i;

	for (i = 0; i < MAXRES; i++) {
		free(R[i].error);
		free(R[i].body);
		free(R[i].text);
		free(R[i].reasoning);
		free(R[i].finish);
		free(R[i].tools);
		free(R[i].endpoint);
		free(R[i].model);
	}
	memset(R, 0, sizeof(R));
	ncalls = 0;
}

static void
on_done(void *arg, const struct http_result *r)
{
	struct res *o;

	(void)arg;
	ncalls++;
	if (r->id >= MAXRES)
		return;
	o = &R[r->id];
	o->done++;
	o->ok = r->ok;
	o->status = r->status;
	o->error = dup0(r->error);
	o->body = r->body ? xstrndup(r->body, r->body_len) : NULL;
	o->text = r->text != NULL ? xstrndup(r->text, r->text_len) : NULL;
	o->text_len = r->text_len;
	o->unparseable = r->unparseable;
	o->bad_utf8 = r->bad_utf8;
	o->reasoning = dup0(r->reasoning);
	o->finish = dup0(r->finish_reason);
	o->tools = dup0(r->tool_calls);
	o->endpoint = dup0(r->endpoint);
	o->ptok = r->prompt_tokens;
	o->ctok = r->completion_tokens;
	o->attempts = r->attempts;
	o->unreachable = r->unreachable;
	o->repeated = r->repeated;
	o->model = dup0(r->model);
	o->t_submit = r->t_submit;
	o->t_start = r->t_start;
	o->t_first = r->t_first;
	o->t_end = r->t_end;
}

static struct http_opts
opts(const char *const *eps, size_t n, int conc, int retries)
{
	struct http_opts o;

	memset(&o, 0, sizeof(o));
	o.endpoints = eps;
	o.n_endpoints = n;
	o.concurrency = conc;
	o.timeout_s = 20;
	o.connect_timeout_s = 5;
	o.retries = retries;
	o.backoff_base_s = 0.01;
	o.backoff_max_s = 2;
	return (o);
}

static struct http *
client(const struct http_opts *o)
{
	struct strbuf err = STRBUF_INIT;
	struct http *h = http_new(o, on_done, NULL, &err);

	if (h == NULL) {
		tap_diag("http_new: %s", err.buf);
		exit(tap_bail("cannot make a client"));
	}
	strbuf_release(&err);
	return (h);
}

static void
chat(struct http *h, uint64_t id, const char *msg, int stream)
{
	struct strbuf b = STRBUF_INIT;
	struct http_request q;

	strbuf_adds(&b, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
	    "\"content\":");
	strbuf_add_json_str(&b, msg, strlen(msg));
	strbuf_addf(&b, "}],\"stream\":%s%s}", stream ? "true" : "false",
	    stream ? ",\"stream_options\":{\"include_usage\":true}" : "");
	memset(&q, 0, sizeof(q));
	q.path = "/chat/completions";
	q.body = b.buf;
	q.body_len = b.len;
	q.stream = stream;
	q.id = id;
	http_submit(h, &q);
	strbuf_release(&b);	/* http_submit copies */
}

static void
complete(struct http *h, uint64_t id, const char *prompt, int stream)
{
	struct strbuf b = STRBUF_INIT;
	struct http_request q;

	strbuf_adds(&b, "{\"model\":\"m\",\"prompt\":");
	strbuf_add_json_str(&b, prompt, strlen(prompt));
	strbuf_addf(&b, ",\"stream\":%s%s}", stream ? "true" : "false",
	    stream ? ",\"stream_options\":{\"include_usage\":true}" : "");
	memset(&q, 0, sizeof(q));
	q.path = "/completions";
	q.body = b.buf;
	q.body_len = b.len;
	q.stream = stream;
	q.id = id;
	http_submit(h, &q);
	strbuf_release(&b);
}

static void
raw(struct http *h, uint64_t id, const char *path, const char *body)
{
	struct http_request q;

	memset(&q, 0, sizeof(q));
	q.path = path;
	q.body = body;
	q.body_len = strlen(body);
	q.id = id;
	http_submit(h, &q);
}

/* Drives h until nothing is pending (a watchdog stops a hung client). */
static void
run(struct http *h)
{
	struct strbuf err = STRBUF_INIT;
	int i;

	for (i = 0; i < 1200 && http_pending(h) > 0; i++)
		if (http_step(h, 100, -1, &err) != 0) {
			tap_diag("http_step: %s", err.buf);
			break;
		}
	ok(http_pending(h) == 0, "client finished its requests");
	strbuf_release(&err);
}

static int
has(const char *s, const char *needle)
{
	return (s != NULL && strstr(s, needle) != NULL);
}

/* Lines of the server log that contain every one of a and b. */
static int
log_count(const char *a, const char *b)
{
	char *all = tap_slurp(logpath, NULL), *line, *nl;
	int n = 0;

	if (all == NULL)
		return (-1);
	for (line = all; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line);
		if (memmem(line, (size_t)(nl - line), a, strlen(a)) &&
		    (b == NULL || memmem(line, (size_t)(nl - line), b,
		    strlen(b))))
			n++;
		if (*nl == '\0')
			break;
	}
	free(all);
	return (n);
}

/* A number from the fake server's GET /stats (url ends in "/v1"). */
static int
stats_field(const char *url, const char *query, const char *field)
{
	char base[256];
	const char *b = base;
	struct http_opts o = opts(&b, 1, 1, 0);
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	const cJSON *f;
	cJSON *j;
	int v = -1;

	snprintf(base, sizeof(base), "%.*s", (int)(strlen(url) - 3), url);
	if (http_get(&o, query, &out, &err) == 200 &&
	    (j = cJSON_Parse(out.buf)) != NULL) {
		f = cJSON_GetObjectItem(j, field);
		if (cJSON_IsNumber(f))
			v = f->valueint;
		cJSON_Delete(j);
	}
	strbuf_release(&out);
	strbuf_release(&err);
	return (v);
}

static int
closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		exit(tap_bail("cannot find a free port"));
	port = ntohs(a.sin_port);
	close(fd);
	return (port);
}

static void
test_options(void)
{
	const char *bad[] = { "ftp://x/v1" };
	const char *good[] = { "http://127.0.0.1:1/v1" };
	struct strbuf err = STRBUF_INIT;
	struct http_opts o = opts(good, 0, 1, 0);

	ok(http_new(&o, on_done, NULL, &err) == NULL &&
	    has(err.buf, "--endpoint"), "no endpoint is refused");
	strbuf_reset(&err);
	o = opts(bad, 1, 1, 0);
	ok(http_new(&o, on_done, NULL, &err) == NULL &&
	    has(err.buf, "ftp://x/v1"), "a non-http URL is refused");
	strbuf_reset(&err);
	o = opts(good, 1, 0, 0);
	ok(http_new(&o, on_done, NULL, &err) == NULL &&
	    has(err.buf, "concurrency"), "concurrency 0 is refused");
	strbuf_release(&err);
}

static void
test_basic(void)
{
	const char *eps[] = { url1 };
	struct http_opts o = opts(eps, 1, 4, 0);
	struct http *h = client(&o);
	struct http_stats st;
	cJSON *tc;

	clear();
	chat(h, 1, "PLAIN hello there", 0);
	complete(h, 2, "COMPLETE me", 0);
	chat(h, 3, "ECHOME please", 0);
	chat(h, 4, "THINK hard", 0);
	chat(h, 5, "TOOLCALL now", 0);
	ok(http_pending(h) == 5, "5 requests pending after submit");
	run(h);
	is_int(ncalls, 5, "every request finished exactly once");
	ok(R[1].ok && R[1].status == 200, "chat ok");
	is_str(R[1].text, "fake answer", "chat text");
	is_str(R[1].finish, "stop", "chat finish_reason");
	ok(R[1].ptok > 0 && R[1].ctok == 2, "chat usage (%ld, %ld)",
	    R[1].ptok, R[1].ctok);
	is_int(R[1].attempts, 1, "one attempt");
	ok(R[1].error == NULL && R[1].tools == NULL && R[1].reasoning == NULL &&
	    !R[1].unreachable, "no error, no tool calls, no reasoning");
	is_str(R[1].endpoint, url1, "endpoint is the base URL");
	ok(R[1].t_submit > 0 && R[1].t_submit <= R[1].t_start &&
	    R[1].t_start <= R[1].t_first && R[1].t_first <= R[1].t_end,
	    "times are ordered");
	ok(has(R[1].body, "\"chat.completion\""), "raw body kept");
	ok(R[2].ok, "completion ok");
	is_str(R[2].text, "fake answer", "completion text");
	is_int(R[2].ptok, 2, "completion prompt_tokens");
	is_str(R[3].text, "you said: ECHOME please", "{echo} answer");
	is_str(R[4].text, "42", "text beside reasoning");
	is_str(R[4].reasoning, "let me think", "reasoning_content");
	ok(R[5].ok, "tool call ok");
	is_str(R[5].finish, "tool_calls", "tool call finish_reason");
	is_str(R[5].text, "", "no content beside the tool call");
	tc = R[5].tools ? cJSON_Parse(R[5].tools) : NULL;
	ok(cJSON_GetArraySize(tc) == 1 && has(R[5].tools,
	    "\"name\":\"get_weather\"") && has(R[5].tools,
	    "\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\""),
	    "tool_calls re-serialised: %s", R[5].tools ? R[5].tools : "NULL");
	cJSON_Delete(tc);
	http_get_stats(h, &st);
	ok(st.requests == 5 && st.attempts == 5 && st.retries == 0 &&
	    st.failures == 0, "stats count 5 requests, no retry");
	http_free(h);
}

static void
test_stream(void)
{
	const char *eps[] = { url1 };
	struct http_opts o = opts(eps, 1, 4, 1);
	struct http *h = client(&o);

	clear();
	chat(h, 1, "PLAIN stream", 1);
	complete(h, 2, "COMPLETE stream", 1);
	chat(h, 3, "THINK stream", 1);
	chat(h, 4, "TOOLCALL stream", 1);
	chat(h, 5, "STREAMBAD stream", 1);
	chat(h, 6, "S429 stream", 1);
	run(h);
	ok(R[1].ok, "stream ok");
	is_str(R[1].text, "fake answer", "stream text assembled");
	is_str(R[1].finish, "stop", "stream finish_reason");
	ok(R[1].ptok > 0 && R[1].ctok == 2, "stream usage from the last "
	    "chunk (%ld, %ld)", R[1].ptok, R[1].ctok);
	ok(R[1].t_first > 0 && R[1].t_first >= R[1].t_start &&
	    R[1].t_first <= R[1].t_end, "t_first set by the first delta");
	ok(has(R[1].body, "data: [DONE]"), "body holds the events");
	ok(R[2].ok, "completion stream ok");
	is_str(R[2].text, "fake answer", "completion stream text");
	is_int(R[2].ctok, 2, "completion stream usage");
	is_str(R[3].text, "42", "stream content");
	is_str(R[3].reasoning, "let me think", "stream reasoning_content");
	is_str(R[4].finish, "tool_calls", "stream tool call finish");
	ok(has(R[4].tools, "\"name\":\"get_weather\"") && has(R[4].tools,
	    "\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\""),
	    "stream tool call assembled: %s", R[4].tools ? R[4].tools :
	    "NULL");
	ok(!R[5].ok && has(R[5].error, "malformed response from server"),
	    "broken stream event: %s", R[5].error ? R[5].error : "NULL");
	is_int(R[5].attempts, 2, "a broken stream is retried once");
	ok(R[6].ok && R[6].attempts == 2, "stream after a 429");
	is_str(R[6].text, "fake answer", "stream text after a 429");
	http_free(h);
}

static void
test_concurrency(void)
{
	const char *eps[] = { url1 };
	struct http_opts o = opts(eps, 1, 8, 0);
	struct http *h = client(&o);
	int i, allok = 1, max;

	clear();
	stats_field(url1, "/stats?reset=1", "max_inflight");
	for (i = 0; i < 64; i++)
		chat(h, (uint64_t)i, "SLOW work", 0);
	is_int((long long)http_pending(h), 64, "64 pending");
	run(h);
	for (i = 0; i < 64; i++)
		allok &= R[i].ok && R[i].done == 1;
	ok(allok, "64 requests done once each");
	max = stats_field(url1, "/stats", "max_inflight");
	/* The /stats request itself is counted: 8 + 1. */
	ok(max >= 2 && max <= 9, "server saw at most 8 in flight (max %d)",
	    max);
	http_free(h);
}

static void
test_retries(void)
{
	const char *eps[] = { url1 };
	struct http_opts o = opts(eps, 1, 8, 2);
	struct http *h = client(&o);
	struct http_stats st;

	clear();
	chat(h, 1, "R429 once", 0);
	chat(h, 2, "E500 once", 0);
	chat(h, 3, "E503 always", 0);
	chat(h, 4, "MALFORM1 once", 0);
	chat(h, 5, "ALWAYSBAD json", 0);
	chat(h, 6, "RESET1 once", 0);
	chat(h, 7, "BADREQ long", 0);
	raw(h, 8, "/chat/completions", "{\"model\":\"m\"}");
	raw(h, 9, "/chat/completions", "{\"model\":");
	run(h);
	ok(R[1].ok && R[1].status == 200, "429 then success");
	is_int(R[1].attempts, 2, "429: two attempts");
	/* Retry-After: 1 overrides the 10 ms backoff: a lower bound only. */
	ok(R[1].t_start - R[1].t_submit >= 0.9, "Retry-After honoured "
	    "(waited %.3f s)", R[1].t_start - R[1].t_submit);
	ok(R[2].ok && R[2].attempts == 2, "500 then success");
	ok(!R[3].ok && R[3].status == 503, "503 every time fails");
	is_int(R[3].attempts, 3, "503: 1 + 2 retries");
	ok(has(R[3].error, "HTTP 503") && has(R[3].error,
	    "engine overloaded") && has(R[3].error, "after 3 attempts"),
	    "503 error: %s", R[3].error ? R[3].error : "NULL");
	ok(R[4].ok && R[4].attempts == 2, "malformed once, then success");
	is_int(R[4].unparseable, 1, "the unparseable reply before the "
	    "answer is counted");
	ok(!R[5].ok && R[5].status == 200, "malformed every time fails");
	is_int(R[5].attempts, 3, "malformed: retried as often as retries "
	    "says (1 + 2)");
	ok(R[5].error != NULL && strncmp(R[5].error, "malformed response "
	    "from server: ", 32) == 0, "malformed error: %s",
	    R[5].error ? R[5].error : "NULL");
	ok(R[6].ok, "connection reset, then success");
	is_int(log_count("RESET1", NULL), 2, "the server saw the reset "
	    "request twice");
	ok(!R[7].ok && R[7].status == 400 && R[7].attempts == 1,
	    "400 is not retried");
	ok(has(R[7].error, "This model's maximum context length is 4096 "
	    "tokens."), "vLLM's message surfaced: %s",
	    R[7].error ? R[7].error : "NULL");
	ok(!R[8].ok && R[8].status == 400 && has(R[8].error,
	    "Field required"), "missing messages: %s",
	    R[8].error ? R[8].error : "NULL");
	ok(!R[9].ok && R[9].status == 400 && has(R[9].error, "JSON"),
	    "broken request JSON: %s", R[9].error ? R[9].error : "NULL");
	http_get_stats(h, &st);
	ok(st.requests == 9 && st.failures == 5, "stats: 9 finished, 5 "
	    "failed (%llu, %llu)", (unsigned long long)st.requests,
	    (unsigned long long)st.failures);
	ok(st.retries >= 6 && st.attempts == st.requests + st.retries,
	    "stats: attempts = requests + retries");
	http_free(h);
}

static void
test_timeout(void)
{
	const char *eps[] = { url1 };
	struct http_opts o = opts(eps, 1, 4, 0);
	struct http *h;

	o.timeout_s = 0.3;
	o.concurrency = 1;
	h = client(&o);
	clear();
	chat(h, 2, "PLAIN first, so that the connection is reused", 0);
	chat(h, 1, "HANGS forever", 0);
	run(h);
	ok(R[2].ok, "a request before the hang");
	ok(!R[1].ok && R[1].status == 0 && !R[1].unreachable,
	    "a hung request fails (not unreachable)");
	ok(has(R[1].error, "no answer from") && has(R[1].error, "timeout"),
	    "timeout error: %s", R[1].error ? R[1].error : "NULL");
	http_free(h);

	o.retries = 1;
	h = client(&o);
	clear();
	chat(h, 1, "HANG1 once", 0);
	run(h);
	ok(R[1].ok && R[1].attempts == 2, "a timeout is retried");
	http_free(h);
}

static void
test_down(void)
{
	char url[64], want[256];
	const char *eps[] = { url };
	struct http_opts o;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct http *h;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1", closed_port());
	snprintf(want, sizeof(want), "cannot reach %s (Connection refused): "
	    "start a server with `vllm serve MODEL` or use "
	    "`--model reference`", url);
	o = opts(eps, 1, 2, 2);
	h = client(&o);
	clear();
	chat(h, 1, "nobody listens", 0);
	run(h);
	ok(!R[1].ok && R[1].status == 0 && R[1].unreachable,
	    "endpoint down fails, unreachable");
	is_int(R[1].attempts, 3, "endpoint down: retried");
	is_str(R[1].error, want, "endpoint down: says what to do");
	http_free(h);
	is_int(http_get(&o, "/models", &out, &err), 0, "http_get: 0 when "
	    "down");
	is_str(err.buf, want, "http_get: the same advice");
	strbuf_release(&out);
	strbuf_release(&err);
}

/*
 * The limits that notice a dead server: no first byte, a stalled
 * stream, an endpoint that starts refusing connections while requests
 * wait on it, and a 500 that says the same every time.
 */
static void
test_limits(void)
{
	const char *eps[] = { url1 };
	struct http_opts o = opts(eps, 1, 2, 0);
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	struct strbuf err = STRBUF_INIT;
	char url[64];
	const char *deps[] = { url };
	struct http *h;
	int lfd, cfd, i, n1;

	o.first_byte_timeout_s = 0.3;
	h = client(&o);
	clear();
	chat(h, 1, "HANGS without a byte", 0);
	chat(h, 2, "PLAIN answered", 0);
	run(h);
	ok(R[2].ok, "first-byte limit: a prompt answer is not cut");
	ok(!R[1].ok && has(R[1].error, "no byte from") &&
	    has(R[1].error, "first_byte_timeout_s") && !R[1].unreachable,
	    "first-byte limit ends a silent request: %s",
	    R[1].error ? R[1].error : "NULL");
	http_free(h);

	o = opts(eps, 1, 1, 0);
	o.stall_timeout_s = 0.5;
	h = client(&o);
	clear();
	chat(h, 1, "STALLS between tokens", 1);
	run(h);
	ok(!R[1].ok && has(R[1].error, "stalled") &&
	    has(R[1].error, "stall_timeout_s"),
	    "stall limit ends a stream that stops: %s",
	    R[1].error ? R[1].error : "NULL");
	http_free(h);

	/* A server that accepted a request, will never answer it, and
	 * refuses new connections (llama-server after SIGTERM). */
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(lfd, 8) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) != 0)
		exit(tap_bail("cannot listen on loopback"));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1",
	    ntohs(a.sin_port));
	o = opts(deps, 1, 2, 0);
	o.timeout_s = 60;
	h = client(&o);
	clear();
	chat(h, 1, "waits forever", 0);
	for (i = 0; i < 5; i++)
		(void)http_step(h, 50, -1, &err);
	cfd = accept(lfd, NULL, NULL);
	close(lfd);
	chat(h, 2, "refused", 0);
	run(h);
	ok(cfd >= 0 && !R[2].ok && R[2].unreachable, "a new request to the "
	    "stopped server is refused");
	ok(!R[1].ok && R[1].unreachable && R[1].attempts == 1 &&
	    has(R[1].error, "refuses new connections"),
	    "the request it held fails at once, as unreachable, instead of "
	    "waiting 60 s: %s",
	    R[1].error ? R[1].error : "NULL");
	if (cfd >= 0)
		close(cfd);
	http_free(h);
	strbuf_release(&err);

	/* the same 500 every time: retried until seen 3 times, then not */
	o = opts(eps, 1, 1, 5);
	h = client(&o);
	clear();
	n1 = log_count("SAME500", NULL);
	for (i = 1; i <= 4; i++)
		chat(h, (uint64_t)i, "SAME500 tools", 0);
	run(h);
	ok(!R[1].ok && R[1].attempts == 3 && R[1].status == 500,
	    "a 500 is retried until it was the same 3 times (%d attempts)",
	    R[1].attempts);
	ok(!R[4].ok && R[4].attempts == 1 && R[4].repeated &&
	    has(R[4].error, "tools param requires --jinja flag") &&
	    has(R[4].error, "not retried"),
	    "later requests are not retried: %s",
	    R[4].error ? R[4].error : "NULL");
	/* the server logs a request after answering it: let it catch up */
	for (i = 0; i < 50 && log_count("SAME500", NULL) - n1 < 6; i++)
		usleep(100000);
	is_int(log_count("SAME500", NULL) - n1, 6, "6 requests reached "
	    "the server, not 24");
	http_free(h);

	/* the response's model name: llama.cpp names its alias */
	{
		const char *e2[] = { url2 };

		o = opts(e2, 1, 1, 0);
		o.api_key = KEY;
		h = client(&o);
		clear();
		chat(h, 1, "PLAIN", 0);
		chat(h, 2, "PLAIN", 1);
		run(h);
		ok(R[1].ok && R[1].model != NULL &&
		    strcmp(R[1].model, "fake-model") == 0 && R[2].ok &&
		    R[2].model != NULL &&
		    strcmp(R[2].model, "fake-model") == 0,
		    "the response's model is read (asked 'm', got "
		    "'fake-model'), streamed or not");
		http_free(h);
	}
}

static void
test_key_and_rr(void)
{
	const char *eps[] = { url1, url2 };
	const char *one[] = { url2 };
	struct http_opts o = opts(eps, 2, 1, 0);
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct http *h;
	char *log;
	int i, n1 = 0, n2 = 0, allok = 1, leak = 0;

	o.api_key = KEY;
	h = client(&o);
	clear();
	for (i = 0; i < 10; i++)
		chat(h, (uint64_t)i, i % 3 ? "KEYTEST rr" : "KEYTEST stream",
		    i % 3 == 0);
	chat(h, 10, "LEAK please", 0);
	chat(h, 11, "LEAK please", 0);
	run(h);
	for (i = 0; i < 10; i++) {
		allok &= R[i].ok;
		n1 += R[i].endpoint && strcmp(R[i].endpoint, url1) == 0;
		n2 += R[i].endpoint && strcmp(R[i].endpoint, url2) == 0;
	}
	ok(allok, "vLLM and llama.cpp flavors both answer (streams too)");
	ok(n1 == 5 && n2 == 5, "round-robin: %d and %d", n1, n2);
	ok(log_count("KEYTEST", "\"auth\": true") >= 5, "the server saw an "
	    "Authorization header");
	log = tap_slurp(logpath, NULL);
	ok(log != NULL && strstr(log, KEY) == NULL, "the key is not in the "
	    "server log");
	free(log);
	for (i = 0; i < 12; i++)
		leak |= has(R[i].error, KEY) || has(R[i].body, KEY) ||
		    has(R[i].text, KEY);
	ok(!R[10].ok && !R[11].ok, "a 401 fails on both flavors");
	ok(has(R[10].error, "invalid key ***") &&
	    has(R[11].error, "invalid key ***"),
	    "the key is masked in a server message");
	ok(!leak, "the key appears in no result");
	http_free(h);

	/* The llama.cpp server wants the key. */
	o = opts(one, 1, 1, 0);
	h = client(&o);
	clear();
	chat(h, 1, "no key", 0);
	run(h);
	ok(!R[1].ok && R[1].status == 401 && has(R[1].error, "API key"),
	    "401 says to check the key: %s", R[1].error ? R[1].error : "NULL");
	http_free(h);
	o.api_key = KEY;
	ok(http_get(&o, "/models", &out, &err) == 200 &&
	    has(out.buf, "\"max_model_len\""), "http_get /models");
	strbuf_release(&out);
	strbuf_release(&err);
}

static void
test_extra_fd(void)
{
	const char *eps[] = { url1 };
	struct http_opts o = opts(eps, 1, 2, 0);
	struct strbuf err = STRBUF_INIT;
	struct http *h = client(&o);
	int fds[2];
	double t0;

	clear();
	if (pipe(fds) != 0)
		exit(tap_bail("pipe"));
	chat(h, 1, "HANGS until freed", 0);
	if (write(fds[1], "x", 1) != 1)
		exit(tap_bail("write"));
	t0 = http_now();
	is_int(http_step(h, 30000, fds[0], &err), 0, "http_step with an "
	    "extra fd");
	/* A watchdog, not a speed test: 30 s would mean the fd was ignored */
	ok(http_now() - t0 < 20, "http_step returns when extra_fd is "
	    "readable");
	is_int((long long)http_pending(h), 1, "the request is still pending");
	http_free(h);	/* aborts it: no callback, no leak */
	is_int(ncalls, 0, "http_free calls no callback");
	close(fds[0]);
	close(fds[1]);
	strbuf_release(&err);
}

static struct strbuf logged = STRBUF_INIT;

static void
on_log(void *arg, const char *line)
{
	(void)arg;
	strbuf_adds(&logged, line);
	strbuf_addch(&logged, '\n');
}

/* NUL bytes, invalid UTF-8 and server faults (issue 10, issue 11). */
static void
test_bytes(void)
{
	const char *eps[] = { url1 };
	struct http_opts o = opts(eps, 1, 8, 2);
	struct http *h;
	int s;

	o.max_body = 4096;
	o.retry_after_max_s = 0.2;
	o.log = on_log;
	h = client(&o);
	clear();
	for (s = 0; s < 2; s++) {
		chat(h, 1 + (uint64_t)s, "NULBYTE", s);
		chat(h, 3 + (uint64_t)s, "BADUTF", s);
		chat(h, 5 + (uint64_t)s, "NOCHOICE", s);
		chat(h, 7 + (uint64_t)s, "BIGONE", s);
	}
	chat(h, 9, "R429LONG", 0);
	raw(h, 10, "/completions", "{\"model\":\"m\",\"prompt\":\"NANLP "
	    "x\",\"max_tokens\":2,\"logprobs\":1}");
	run(h);
	for (s = 0; s < 2; s++) {
		const char *how = s ? "streamed" : "whole";

		ok(R[1 + s].ok && R[1 + s].text_len == 11 &&
		    memcmp(R[1 + s].text, "a\0b #### 42", 11) == 0,
		    "%s: \\u0000 is a NUL byte inside the text, not its end",
		    how);
		ok(R[3 + s].ok && R[3 + s].text_len == 5 &&
		    memcmp(R[3 + s].text, "x\xef\xbf\xbdy", 5) == 0,
		    "%s: a byte that is not UTF-8 becomes U+FFFD", how);
		is_int(R[3 + s].bad_utf8, 1, "%s: and is counted", how);
		ok(R[3 + s].body != NULL && memchr(R[3 + s].body, 0xff,
		    strlen(R[3 + s].body)) == NULL, "%s: the body kept is "
		    "valid UTF-8 too", how);
		ok(!R[5 + s].ok && has(R[5 + s].error, "choices") &&
		    R[5 + s].attempts == 3, "%s: an answer without "
		    "\"choices\" is an error after 3 attempts: %s", how,
		    R[5 + s].error ? R[5 + s].error : "NULL");
		ok(!R[7 + s].ok && R[7 + s].attempts == 1 &&
		    has(R[7 + s].error, "larger than the limit of 4096 "
		    "bytes") && has(R[7 + s].error,
		    "QEVAL_MAX_RESPONSE_BYTES"), "%s: a response over the "
		    "limit is refused at once: %s", how,
		    R[7 + s].error ? R[7 + s].error : "NULL");
	}
	ok(R[9].ok && R[9].attempts == 2, "429 with Retry-After: 120, then "
	    "an answer");
	ok(has(logged.buf, "HTTP 429 from ") && has(logged.buf,
	    "Retry-After asks for 120 s; waiting 0.2 s, the cap"),
	    "the capped wait is logged: %s", logged.buf);
	ok(!R[10].ok && has(R[10].error, "NaN or Infinity"), "NaN in "
	    "logprobs is named: %s", R[10].error ? R[10].error : "NULL");
	http_free(h);
	strbuf_release(&logged);
}

int
main(void)
{
	url1 = getenv("QEVAL_FAKE_URL");
	url2 = getenv("QEVAL_FAKE_URL2");
	logpath = getenv("QEVAL_FAKE_LOG");
	if (url1 == NULL || url2 == NULL || logpath == NULL) {
		printf("1..0 # SKIP QEVAL_FAKE_URL, QEVAL_FAKE_URL2 and "
		    "QEVAL_FAKE_LOG are not set "
		    "(tests/unit/t-http.sh sets them)\n");
		return (0);
	}
	test_options();
	test_basic();
	test_stream();
	test_concurrency();
	test_retries();
	test_timeout();
	test_down();
	test_limits();
	test_key_and_rr();
	test_extra_fd();
	test_bytes();
	clear();
	return (tap_done());
}
