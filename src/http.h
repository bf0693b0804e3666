/*
 * http: the OpenAI-compatible client.  One thread, libcurl multi, many
 * requests in flight, connection reuse, retries with exponential backoff
 * that honour Retry-After, per-request timeouts, optional streaming (SSE)
 * to measure time to first token.
 *
 * Usage: http_new() once per server role (model, judge); http_submit()
 * requests; call http_step() in the event loop; each finished request is
 * handed to the completion callback exactly once, after its last retry.
 *
 * Ownership: http_submit() copies path and body.  The struct http_result
 * passed to the callback and every string in it belong to the client and
 * are valid only during the callback.
 * Secrets: the API key is sent in the Authorization header and never
 * written to a result, an error message or a log line.
 * Threads: not thread-safe; one thread drives a client.
 */
#ifndef QEVAL_HTTP_H
#define QEVAL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct http;

struct http_opts {
	const char *const *endpoints;	/* base URLs ending in /v1;
					 * requests are spread round-robin */
	size_t		 n_endpoints;
	const char	*api_key;	/* NULL: no Authorization header */
	int		 concurrency;	/* max requests in flight (>= 1) */
	double		 timeout_s;	/* whole request, per attempt */
	double		 connect_timeout_s;
	int		 retries;	/* extra attempts after the first */
	double		 backoff_base_s; /* first backoff; doubles each time */
	double		 backoff_max_s;	/* cap of the backoff */
	double		 retry_after_max_s; /* a Retry-After header is
					 * honoured up to this; 0: the
					 * default, HTTP_RETRY_AFTER_MAX */
	size_t		 max_body;	/* a larger response is an error;
					 * 0: HTTP_MAX_BODY */
	/* Logs one line (no newline) worth showing the user: a wait that a
	 * server's Retry-After asked for.  NULL: not logged. */
	void		(*log)(void *arg, const char *line);
	void		*log_arg;
	/* Limits that notice a dead server sooner than timeout_s (0: off):
	 * no byte at all (headers included) within first_byte_timeout_s of
	 * an attempt's start; for a stream, no byte for stall_timeout_s
	 * once its body started.  Either ends the attempt as a timeout
	 * does. */
	double		 first_byte_timeout_s;
	double		 stall_timeout_s;
	/* The same non-200 answer (status and body) this many times is
	 * deterministic: later ones are not retried.  0: the default,
	 * HTTP_SAME_ERROR_MAX; < 0: every one is retried. */
	int		 same_error_max;
};

#define HTTP_RETRY_AFTER_MAX	30.0		/* seconds */
#define HTTP_MAX_BODY		((size_t)16 << 20)	/* 16 MiB */
#define HTTP_SAME_ERROR_MAX	3

/* What the caller asks for. */
struct http_request {
	const char	*path;		/* "/chat/completions" or
					 * "/completions" (appended to the
					 * endpoint's base URL) */
	const char	*body;		/* complete JSON request body */
	size_t		 body_len;
	int		 stream;	/* 1: body has "stream": true; parse
					 * SSE and time the first token */
	uint64_t	 id;		/* caller's tag, given back */
};

/* One finished request (after retries). */
struct http_result {
	uint64_t	 id;
	int		 ok;		/* 1: HTTP 200 and a parseable body */
	long		 status;	/* last HTTP status; 0: no response */
	const char	*error;		/* !ok: a one-line explanation that
					 * says what to do (endpoint down,
					 * vLLM error message …); else NULL */
	const char	*body;		/* raw body of the last attempt (for
					 * streams: the events concatenated) */
	size_t		 body_len;
	/* Parsed from the (assembled) response when ok: */
	const char	*text;		/* choices[0].message.content or
					 * choices[0].text; "" if none; may
					 * hold NUL bytes ("\u0000") */
	size_t		 text_len;	/* its length in bytes */
	const char	*reasoning;	/* reasoning_content, or NULL */
	const char	*finish_reason;	/* or NULL */
	const char	*tool_calls;	/* JSON array text, or NULL */
	long		 prompt_tokens;	/* usage; -1 if absent */
	long		 completion_tokens;
	long		 cached_tokens;	/* usage.prompt_tokens_details.
					 * cached_tokens; -1 if absent */
	const char	*model;		/* the response's "model", or NULL */
	int		 attempts;	/* 1 + retries made */
	int		 unparseable;	/* 200s that were not a usable
					 * answer (retried) before this
					 * result */
	unsigned	 bad_utf8;	/* invalid UTF-8 sequences (and
					 * lone surrogate escapes) replaced
					 * by U+FFFD in text, reasoning and
					 * body, which are valid UTF-8 */
	double		 t_submit;	/* monotonic seconds */
	double		 t_start;	/* start of the last attempt */
	double		 t_first;	/* first content byte (streams) or
					 * response headers; 0 if none */
	double		 t_end;
	const char	*endpoint;	/* base URL that answered */
	int		 unreachable;	/* !ok: the last attempt could not
					 * connect at all (endpoint down,
					 * unknown host, connect timeout),
					 * or waited on an endpoint that
					 * then refused connections; 0 for
					 * timeouts and resets */
	int		 repeated;	/* !ok: not retried because the
					 * server gave this same error
					 * same_error_max times */
};

typedef void (*http_done_cb)(void *arg, const struct http_result *);

/* Returns NULL and explains in err on bad options. */
struct http *http_new(const struct http_opts *, http_done_cb, void *arg,
	    struct strbuf *err);
void	 http_free(struct http *);	/* aborts what is in flight */
/* Queues a request; it starts when a slot is free.  Never fails. */
void	 http_submit(struct http *, const struct http_request *);
/*
 * Ends every request that is not on the wire (queued, or waiting to be
 * retried): each is handed to the callback as failed, with why as its
 * error.  For a run that stops: what is running may still finish.
 */
void	 http_cancel_waiting(struct http *, const char *why);
/* Requests queued or in flight. */
size_t	 http_pending(const struct http *);
/*
 * Drives transfers for at most timeout_ms (waiting on sockets and on
 * extra_fd if >= 0), calling the callback for finished requests.
 * Returns 0, or -1 on an internal libcurl error (explained in err).
 */
int	 http_step(struct http *, int timeout_ms, int extra_fd,
	    struct strbuf *err);
/* Counters since http_new(). */
struct http_stats {
	uint64_t	requests;	/* finished requests */
	uint64_t	attempts;	/* HTTP attempts made */
	uint64_t	retries;
	uint64_t	failures;	/* finished with !ok */
};
void	 http_get_stats(const struct http *, struct http_stats *);
/*
 * Blocking GET of base_url + path (e.g. "/models"), for probes.
 * Returns the HTTP status (0 if unreachable) and the body in out.
 */
long	 http_get(const struct http_opts *, const char *path,
	    struct strbuf *out, struct strbuf *err);
/* Seconds on a monotonic clock. */
double	 http_now(void);

#endif
