/*
 * wire: what qeval sends for a plugin's request.  The plugin's body
 * says what to ask; the fields qeval owns (model, sampling, seed, n,
 * stream) are always the run's.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "preset.h"
#include "run.h"
#include "strbuf.h"
#include "tap.h"
#include "wire.h"

static cJSON *
body_of(const struct run_cfg *c, const struct qeval_request *r, long seed,
    int *stream)
{
	struct strbuf err = STRBUF_INIT;
	char *txt = wire_body(c, r, seed, stream, &err);
	cJSON *j = txt != NULL ? cJSON_Parse(txt) : NULL;

	if (txt == NULL)
		tap_diag("wire_body: %s", err.buf);
	free(txt);
	strbuf_release(&err);
	return (j);
}

static double
num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return (cJSON_IsNumber(v) ? v->valuedouble : -12345);
}

int
main(void)
{
	struct qeval_request r = QEVAL_REQUEST_INIT;
	struct strbuf err = STRBUF_INIT, lb = STRBUF_INIT;
	struct preset p;
	struct run_cfg c;
	cJSON *j;
	char *txt;
	int stream = -1;

	preset_defaults(&p);
	p.temperature = 0.25;
	p.top_p = 0.5;
	p.max_tokens = 77;
	p.seed = 99;
	memset(&c, 0, sizeof(c));
	c.model = "m1";
	c.judge_model = "j1";
	c.preset = &p;

	r.kind = QEVAL_REQ_CHAT;
	r.target = QEVAL_TARGET_MODEL;
	r.body = "{\"messages\":[],\"model\":\"plugin's\",\"n\":5,"
	    "\"stream\":false}";
	j = body_of(&c, &r, -1, &stream);
	ok(j != NULL, "a chat body is JSON");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j,
	    "model")), "m1", "the run's model replaces the plugin's");
	ok(num(j, "temperature") == 0.25 && num(j, "top_p") == 0.5 &&
	    num(j, "max_tokens") == 77, "sampling from the preset");
	ok(num(j, "seed") == 99, "the preset's seed");
	ok(num(j, "n") == 1, "n is always 1");
	ok(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "stream")) &&
	    stream == 1, "a model request streams");
	ok(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(j, "stream_options"),
	    "include_usage")), "and asks for the usage");
	cJSON_Delete(j);

	/* the plugin's own values win where it gives them */
	r.temperature = 0.7;
	r.max_tokens = 5;
	r.body = "{\"prompt\":\"x\",\"seed\":3,\"tools\":[]}";
	c.seed_set = 1;
	c.seed = 11;
	j = body_of(&c, &r, -1, &stream);
	ok(num(j, "temperature") == 0.7 && num(j, "max_tokens") == 5,
	    "the request's temperature and max_tokens");
	ok(num(j, "seed") == 3, "the plugin's seed is kept");
	ok(stream == 0 && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j,
	    "stream")), "tools: not streamed (tool calls come whole)");
	cJSON_Delete(j);
	/* a sampled candidate's seed replaces it */
	j = body_of(&c, &r, 4242, &stream);
	ok(num(j, "seed") == 4242, "a candidate's seed replaces the "
	    "plugin's");
	cJSON_Delete(j);
	r.body = "{\"prompt\":\"x\"}";
	j = body_of(&c, &r, -1, &stream);
	ok(num(j, "seed") == 11, "--seed when the plugin gives none");
	cJSON_Delete(j);
	c.no_stream = 1;
	j = body_of(&c, &r, -1, &stream);
	ok(stream == 0, "--no-stream");
	cJSON_Delete(j);
	c.no_stream = 0;

	/* a judge request is FastChat's judge call */
	r = (struct qeval_request)QEVAL_REQUEST_INIT;
	r.kind = QEVAL_REQ_CHAT;
	r.target = QEVAL_TARGET_JUDGE;
	r.body = "{\"messages\":[]}";
	j = body_of(&c, &r, -1, &stream);
	is_str(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j,
	    "model")), "j1", "a judge request names the judge model");
	ok(!cJSON_HasObjectItem(j, "stream") && stream == 0,
	    "a judge request has no stream field");
	ok(!cJSON_HasObjectItem(j, "seed") && !cJSON_HasObjectItem(j,
	    "top_p"), "nor seed nor top_p (unless the plugin asks)");
	cJSON_Delete(j);

	/* a "\u0000" in an answer carried into a request survives */
	r.target = QEVAL_TARGET_MODEL;
	r.body = "{\"prompt\":\"a\\u0000b\"}";
	txt = wire_body(&c, &r, -1, &stream, &err);
	ok(txt != NULL && strstr(txt, "\"a\\u0000b\"") != NULL,
	    "a NUL in the body crosses as \\u0000 (%s)", txt ? txt : "");
	free(txt);

	r.body = "[1]";
	txt = wire_body(&c, &r, -1, &stream, &err);
	ok(txt == NULL && strstr(err.buf, "not a JSON object") != NULL,
	    "a body that is not an object is refused (%s)", err.buf);

	wire_loglik_body(&lb, &c, "Q:", " a");
	j = cJSON_Parse(lb.buf);
	is_str(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j,
	    "prompt")), "Q: a", "a loglik body asks for context + "
	    "continuation");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j,
	    "model")), "m1", "of the run's model");
	cJSON_Delete(j);

	is_str(wire_path(QEVAL_REQ_CHAT), "/chat/completions", "chat path");
	is_str(wire_path(QEVAL_REQ_COMPLETION), "/completions",
	    "completion path");
	is_str(wire_path(QEVAL_REQ_LOGLIK), "/completions", "loglik path");

	strbuf_release(&err);
	strbuf_release(&lb);
	preset_release(&p);
	return (tap_done());
}
