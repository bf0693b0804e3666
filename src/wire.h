/*
 * wire: the request bodies qeval sends over HTTP for a plugin's
 * request.  The plugin says what to ask; qeval says how: the fields
 * below are always the run's, so a server's generation_config never
 * decides.
 *
 *   wire_body()         QEVAL_REQ_CHAT and QEVAL_REQ_COMPLETION, to the
 *                       model or the judge: the plugin's body with
 *                       model, sampling, seed, n and stream set by qeval
 *   wire_loglik_body()  one continuation of a QEVAL_REQ_LOGLIK request
 *                       (the format is loglik.h's, with its parser)
 *   wire_path()         the endpoint path a request kind goes to
 *
 * Pure: no I/O, no state; the caller sends the text (http.h).
 * Ownership: wire_body() returns a malloc'd string; everything given
 * stays the caller's.
 */
#ifndef QEVAL_WIRE_H
#define QEVAL_WIRE_H

#include <qeval/plugin.h>

#include "run.h"
#include "strbuf.h"

/*
 * The HTTP body for a chat or completion request: the plugin's body
 * (a JSON object) with "model" (the judge's for a judge request),
 * "temperature", "top_p", "max_tokens", "seed", "n" and "stream" as
 * the run's configuration and the request say.  seed >= 0 replaces any
 * seed of the plugin's (a sampled candidate's).  *streamp says whether
 * it asks for a stream.  NULL with err set when the plugin's body is
 * not a JSON object.
 */
char	*wire_body(const struct run_cfg *, const struct qeval_request *,
	    long seed, int *streamp, struct strbuf *err);

/* out (reset first): the body that scores one continuation. */
void	 wire_loglik_body(struct strbuf *out, const struct run_cfg *,
	    const char *context, const char *continuation);

/* "/chat/completions" for QEVAL_REQ_CHAT, else "/completions". */
const char *wire_path(enum qeval_req_kind);

#endif
