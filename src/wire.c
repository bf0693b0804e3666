#include "config.h"
#include "wire.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsonb.h"
#include "loglik.h"
#include "preset.h"
#include "xalloc.h"

char *
wire_body(const struct run_cfg *c, const struct qeval_request *req,
    long seed, int *streamp, struct strbuf *err)
{
	const struct preset *p = c->preset;
	const char *model = req->target == QEVAL_TARGET_JUDGE ?
	    c->judge_model : c->model;
	const char *body = req->body ? req->body : "{}";
	struct strbuf hid = STRBUF_INIT, back = STRBUF_INIT;
	cJSON *b;
	int stream, nul;
	char *txt;

	/* A model's answer carried into a request (a second turn, a judge
	 * prompt) may hold "\u0000", which cJSON would cut: it crosses the
	 * round trip as a stand-in noncharacter. */
	nul = jsonb_nul_hide(&hid, body, strlen(body));
	if (nul == -2) {
		strbuf_release(&hid);
		strbuf_addf(err, "plugin produced a request body with NUL "
		    "bytes and every stand-in noncharacter: not sent");
		return (NULL);
	}
	b = cJSON_Parse(nul >= 0 ? hid.buf : body);
	strbuf_release(&hid);
	if (b == NULL || !cJSON_IsObject(b)) {
		cJSON_Delete(b);
		strbuf_addf(err, "plugin produced a request body that is not "
		    "a JSON object");
		return (NULL);
	}
	/* The plugin says what to ask; qeval says how: these fields are
	 * always ours, so a server's generation_config never decides. */
	cJSON_DeleteItemFromObjectCaseSensitive(b, "model");
	cJSON_DeleteItemFromObjectCaseSensitive(b, "stream");
	cJSON_DeleteItemFromObjectCaseSensitive(b, "stream_options");
	cJSON_DeleteItemFromObjectCaseSensitive(b, "n");
	cJSON_AddStringToObject(b, "model", model ? model : "");
	cJSON_AddNumberToObject(b, "temperature", req->temperature >= 0 ?
	    req->temperature : p->temperature);
	/* A judge request is FastChat's judge call: model, messages, n,
	 * temperature, max_tokens; top_p only where the plugin asks. */
	if (req->target != QEVAL_TARGET_JUDGE || req->top_p > 0)
		cJSON_AddNumberToObject(b, "top_p", req->top_p > 0 ?
		    req->top_p : p->top_p);
	cJSON_AddNumberToObject(b, "max_tokens", req->max_tokens > 0 ?
	    req->max_tokens : p->max_tokens);
	if (seed >= 0) {
		cJSON_DeleteItemFromObjectCaseSensitive(b, "seed");
		cJSON_AddNumberToObject(b, "seed", (double)seed);
	} else if (!cJSON_HasObjectItem(b, "seed") &&
	    req->target != QEVAL_TARGET_JUDGE)
		cJSON_AddNumberToObject(b, "seed", c->seed_set ?
		    (double)c->seed : (double)p->seed);
	cJSON_AddNumberToObject(b, "n", 1);
	/* Tool calls arrive in pieces when streamed; ask for them whole. */
	stream = !c->no_stream && !cJSON_HasObjectItem(b, "tools") &&
	    req->target == QEVAL_TARGET_MODEL;
	if (req->target != QEVAL_TARGET_JUDGE)
		cJSON_AddBoolToObject(b, "stream", stream);
	if (stream) {
		cJSON *so = cJSON_AddObjectToObject(b, "stream_options");

		cJSON_AddBoolToObject(so, "include_usage", 1);
	}
	txt = cJSON_PrintUnformatted(b);
	cJSON_Delete(b);
	if (txt == NULL)
		xalloc_die();
	if (nul >= 0) {
		jsonb_nul_restore(&back, txt, strlen(txt), nul);
		free(txt);
		txt = strbuf_detach(&back, NULL);
	}
	*streamp = stream;
	return (txt);
}

void
wire_loglik_body(struct strbuf *out, const struct run_cfg *c,
    const char *context, const char *continuation)
{
	loglik_body(out, c->model, context, continuation);
}

const char *
wire_path(enum qeval_req_kind kind)
{
	return (kind == QEVAL_REQ_CHAT ? "/chat/completions" :
	    "/completions");
}
