/*
 * samples: one line of RUN/samples/<task>.jsonl per unit, strict JSON
 * whatever the bytes of the answers are.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "samples.h"
#include "tap.h"

/* The line samples_write() writes, read back. */
static char *
line_of(const struct samples_unit *u, const struct qeval_verdict *v,
    const char *error)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return (NULL);
	samples_write(f, u, v, error);
	fclose(f);
	return (buf);
}

static const cJSON *
get(const cJSON *o, const char *k)
{
	return (cJSON_GetObjectItemCaseSensitive(o, k));
}

int
main(void)
{
	static const struct qeval_metric_desc metrics[] = {
		{ .name = "acc", .flags = QEVAL_MF_PRIMARY },
		{ .name = "other" },
		{ .name = NULL }
	};
	struct qeval_exchange ex[2];
	struct xown own[2];
	struct samples_unit u;
	struct qeval_verdict v;
	const cJSON *x;
	cJSON *j;
	char *line, sent[] = "{\"model\":\"m\"}";

	memset(ex, 0, sizeof(ex));
	memset(own, 0, sizeof(own));
	ex[0].req.kind = QEVAL_REQ_CHAT;
	ex[0].req.target = QEVAL_TARGET_MODEL;
	ex[0].req.label = "answer";
	ex[0].resp.text = "a\0b\xff";
	ex[0].resp.text_len = 4;
	ex[0].resp.finish_reason = "stop";
	ex[0].resp.prompt_tokens = 12;
	ex[0].resp.completion_tokens = -1;
	own[0].sent = sent;
	own[0].latency = 0.5;
	own[0].unparseable = 2;
	ex[1].req.kind = QEVAL_REQ_EXEC;
	ex[1].req.target = QEVAL_TARGET_MODEL;
	ex[1].req.body = "{\"program\":\"pass\"}";
	ex[1].resp.text = "";
	ex[1].resp.status = 2;
	own[1].latency = NAN;
	own[1].replayed = 1;

	memset(&u, 0, sizeof(u));
	u.task = "t";
	u.id = "t/7";
	u.index = 7;
	u.cand = 1;
	u.samp_temp = 0.8;
	u.seed = 1235;
	u.ex = ex;
	u.own = own;
	u.nex = 2;
	u.metrics = metrics;
	u.nmetrics = 2;
	memset(&v, 0, sizeof(v));
	v.values[0] = 1;
	v.values[1] = NAN;
	v.flags = QEVAL_VF_TRUNCATED;
	v.extracted = "42";
	v.detail = "{\"why\":\"x\\u0000y\"}";

	line = line_of(&u, &v, NULL);
	ok(line != NULL && strchr(line, '\n') == line + strlen(line) - 1,
	    "one line");
	j = line != NULL ? cJSON_Parse(line) : NULL;
	ok(j != NULL, "the line is JSON");
	is_str(cJSON_GetStringValue(get(j, "id")), "t/7", "id");
	ok(cJSON_GetNumberValue(get(j, "index")) == 7 &&
	    cJSON_GetNumberValue(get(j, "candidate")) == 1, "index, candidate");
	ok(cJSON_GetNumberValue(get(j, "seed")) == 1235 &&
	    cJSON_GetNumberValue(get(j, "temperature")) == 0.8,
	    "a sampled candidate's seed and temperature");
	x = cJSON_GetArrayItem(get(j, "exchanges"), 0);
	is_str(cJSON_GetStringValue(get(x, "kind")), "chat", "kind");
	is_str(cJSON_GetStringValue(get(get(x, "request"), "model")), "m",
	    "the request as sent");
	ok(strstr(line, "\"text\":\"a\\u0000b") != NULL,
	    "a NUL byte in the answer is kept as \\u0000");
	ok(strchr(line, '\xff') == NULL,
	    "a byte that is not UTF-8 is not written raw");
	ok(cJSON_GetNumberValue(get(get(x, "response"), "prompt_tokens")) ==
	    12 && get(get(x, "response"), "completion_tokens") == NULL,
	    "token counts only where known");
	ok(cJSON_GetNumberValue(get(x, "unparseable_retries")) == 2 &&
	    cJSON_GetNumberValue(get(j, "unparseable_retries")) == 2,
	    "unparseable retries, per exchange and in all");
	x = cJSON_GetArrayItem(get(j, "exchanges"), 1);
	is_str(cJSON_GetStringValue(get(get(x, "response"), "verdict")),
	    "timed out", "an exec exchange's verdict");
	ok(cJSON_IsTrue(get(x, "replayed")) && get(x, "latency_s") == NULL,
	    "replayed, no latency");
	ok(cJSON_GetNumberValue(get(get(j, "verdict"), "acc")) == 1 &&
	    cJSON_IsNull(get(get(j, "verdict"), "other")),
	    "the verdict, NaN as null");
	is_str(cJSON_GetStringValue(cJSON_GetArrayItem(get(j, "flags"), 0)),
	    "truncated", "flags by name");
	is_str(cJSON_GetStringValue(get(j, "extracted")), "42", "extracted");
	ok(strstr(line, "\"detail\":{\"why\":\"x\\u0000y\"}") != NULL,
	    "a JSON detail is kept as JSON, its NUL too");
	cJSON_Delete(j);
	free(line);

	/* not sampled, failed */
	u.samp_temp = NAN;
	line = line_of(&u, NULL, "server said no");
	j = line != NULL ? cJSON_Parse(line) : NULL;
	is_str(cJSON_GetStringValue(get(j, "error")), "server said no",
	    "the error instead of a verdict");
	ok(get(j, "verdict") == NULL && get(j, "seed") == NULL,
	    "no verdict, no seed");
	cJSON_Delete(j);
	free(line);

	is_str(samples_kind_name(QEVAL_REQ_LOGLIK), "loglikelihood",
	    "kind names");
	return (tap_done());
}
