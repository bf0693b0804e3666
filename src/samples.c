#include "config.h"
#include "samples.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsonb.h"
#include "strbuf.h"
#include "xalloc.h"

/*
 * Adds bytes as a JSON string: cJSON would cut them at a NUL byte and
 * print invalid UTF-8 raw; the samples and the journal must stay JSON
 * that strict parsers read (jsonb_quote()).
 */
void
samples_add_bytes(cJSON *o, const char *key, const char *s, size_t len)
{
	struct strbuf q = STRBUF_INIT;

	jsonb_quote(&q, s, len);
	if (cJSON_AddRawToObject(o, key, q.buf) == NULL)
		xalloc_die();
	strbuf_release(&q);
}

/* A C string from a plugin or the server, written the same way. */
static void
samples_add_text(cJSON *o, const char *key, const char *s)
{
	samples_add_bytes(o, key, s, strlen(s));
}

const char *
samples_kind_name(enum qeval_req_kind k)
{
	switch (k) {
	case QEVAL_REQ_CHAT:		return ("chat");
	case QEVAL_REQ_COMPLETION:	return ("completion");
	case QEVAL_REQ_LOGLIK:		return ("loglikelihood");
	case QEVAL_REQ_EXEC:		return ("exec");
	}
	return ("?");
}

static const char *const exec_names[] = { "passed", "failed", "timed out",
	"out of memory", "crashed", "refused" };

void
samples_write(FILE *f, const struct samples_unit *u,
    const struct qeval_verdict *v, const char *error)
{
	cJSON *o, *reqs, *vd;
	char *txt;
	size_t i;
	int unparseable = 0;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "task", u->task);
	cJSON_AddStringToObject(o, "id", u->id);
	cJSON_AddNumberToObject(o, "index", (double)u->index);
	cJSON_AddNumberToObject(o, "candidate", u->cand);
	/* a sampled candidate's: its seed and temperature, where it sent
	 * the model a chat or completion request */
	for (i = 0; !isnan(u->samp_temp) && i < u->nex; i++)
		if (u->ex[i].req.target == QEVAL_TARGET_MODEL &&
		    (u->ex[i].req.kind == QEVAL_REQ_CHAT ||
		    u->ex[i].req.kind == QEVAL_REQ_COMPLETION)) {
			cJSON_AddNumberToObject(o, "seed", u->seed);
			cJSON_AddNumberToObject(o, "temperature",
			    u->samp_temp);
			break;
		}
	reqs = cJSON_AddArrayToObject(o, "exchanges");
	for (i = 0; i < u->nex; i++) {
		const struct qeval_exchange *e = &u->ex[i];
		const struct xown *w = &u->own[i];
		cJSON *x = cJSON_CreateObject(), *resp;

		cJSON_AddStringToObject(x, "kind",
		    samples_kind_name(e->req.kind));
		cJSON_AddStringToObject(x, "target", e->req.target ==
		    QEVAL_TARGET_JUDGE ? "judge" : "model");
		if (e->req.label)
			cJSON_AddStringToObject(x, "label", e->req.label);
		if (w->sent != NULL) {
			/* qeval printed it with cJSON: valid JSON as is */
			cJSON_AddRawToObject(x, "request", w->sent);
		} else if (e->req.body != NULL) {
			cJSON *body = cJSON_Parse(e->req.body);

			/* The plugin's own text when it is JSON in UTF-8:
			 * cJSON would cut a "\u0000" in it (a program). */
			if (body != NULL && jsonb_utf8_invalid(e->req.body,
			    strlen(e->req.body)) == 0) {
				cJSON_Delete(body);
				cJSON_AddRawToObject(x, "request",
				    e->req.body);
			} else if (body != NULL)
				cJSON_AddItemToObject(x, "request", body);
		}
		resp = cJSON_AddObjectToObject(x, "response");
		if (e->req.kind == QEVAL_REQ_EXEC) {
			int st = e->resp.status;

			cJSON_AddStringToObject(resp, "verdict", st >= 0 &&
			    st <= 5 ? exec_names[st] : "?");
			samples_add_bytes(resp, "detail", e->resp.text,
			    QEVAL_RESP_TEXT_LEN(&e->resp));
		} else if (e->req.kind == QEVAL_REQ_LOGLIK) {
			cJSON *lp = cJSON_AddArrayToObject(resp, "logprob");
			cJSON *gr = cJSON_AddArrayToObject(resp, "greedy");
			size_t k;

			for (k = 0; k < e->resp.n_choices; k++) {
				cJSON_AddItemToArray(lp, cJSON_CreateNumber(
				    e->resp.logprob[k]));
				cJSON_AddItemToArray(gr, cJSON_CreateBool(
				    e->resp.greedy[k]));
			}
		} else {
			samples_add_bytes(resp, "text", e->resp.text,
			    QEVAL_RESP_TEXT_LEN(&e->resp));
			if (e->resp.finish_reason)
				samples_add_text(resp, "finish_reason",
				    e->resp.finish_reason);
			if (e->resp.tool_calls)
				samples_add_text(resp, "tool_calls",
				    e->resp.tool_calls);
			if (w->raw)
				samples_add_text(resp, "raw", w->raw);
			if (e->resp.prompt_tokens >= 0)
				cJSON_AddNumberToObject(resp, "prompt_tokens",
				    (double)e->resp.prompt_tokens);
			if (e->resp.completion_tokens >= 0)
				cJSON_AddNumberToObject(resp,
				    "completion_tokens",
				    (double)e->resp.completion_tokens);
		}
		if (!isnan(w->latency))
			cJSON_AddNumberToObject(x, "latency_s", w->latency);
		if (w->unparseable > 0)
			cJSON_AddNumberToObject(x, "unparseable_retries",
			    w->unparseable);
		if (w->bad_utf8 > 0)
			cJSON_AddNumberToObject(x, "invalid_utf8",
			    w->bad_utf8);
		unparseable += w->unparseable;
		if (w->replayed)
			cJSON_AddBoolToObject(x, "replayed", 1);
		cJSON_AddItemToArray(reqs, x);
	}
	if (unparseable > 0)
		cJSON_AddNumberToObject(o, "unparseable_retries", unparseable);
	if (error != NULL) {
		samples_add_text(o, "error", error);
	} else {
		const struct qeval_metric_desc *m = u->metrics;

		if (v->extracted)
			samples_add_text(o, "extracted", v->extracted);
		vd = cJSON_AddObjectToObject(o, "verdict");
		for (i = 0; i < u->nmetrics; i++) {
			if (isnan(v->values[i]))
				cJSON_AddNullToObject(vd, m[i].name);
			else
				cJSON_AddNumberToObject(vd, m[i].name,
				    v->values[i]);
		}
		if (v->flags) {
			cJSON *fl = cJSON_AddArrayToObject(o, "flags");

			if (v->flags & QEVAL_VF_INVALID)
				cJSON_AddItemToArray(fl,
				    cJSON_CreateString("invalid"));
			if (v->flags & QEVAL_VF_TRUNCATED)
				cJSON_AddItemToArray(fl,
				    cJSON_CreateString("truncated"));
			if (v->flags & QEVAL_VF_NAME_FIXED)
				cJSON_AddItemToArray(fl,
				    cJSON_CreateString("name_fixed"));
			if (v->flags & QEVAL_VF_TIMEOUT)
				cJSON_AddItemToArray(fl,
				    cJSON_CreateString("timeout"));
			if (v->flags & QEVAL_VF_UNPARSED)
				cJSON_AddItemToArray(fl,
				    cJSON_CreateString("unparsed"));
		}
		if (v->reason)
			samples_add_text(o, "reason", v->reason);
		if (v->category)
			samples_add_text(o, "category", v->category);
		if (v->detail) {
			struct strbuf fx = STRBUF_INIT, hid = STRBUF_INIT;
			cJSON *d;
			int nul;

			/* cJSON would print bytes that are not UTF-8 raw,
			 * and would cut a "\u0000" (a program's exception
			 * message): it crosses the parse and print as a
			 * stand-in noncharacter. */
			jsonb_utf8_fix(&fx, v->detail, strlen(v->detail));
			nul = jsonb_nul_hide(&hid, fx.buf, fx.len);
			d = nul != -2 ? cJSON_Parse(nul >= 0 ? hid.buf :
			    fx.buf) : NULL;
			if (d != NULL && nul >= 0) {
				struct strbuf back = STRBUF_INIT;
				char *t = cJSON_PrintUnformatted(d);

				if (t == NULL)
					xalloc_die();
				jsonb_nul_restore(&back, t, strlen(t), nul);
				free(t);
				cJSON_Delete(d);
				if (cJSON_AddRawToObject(o, "detail",
				    back.buf) == NULL)
					xalloc_die();
				strbuf_release(&back);
			} else if (d != NULL)
				cJSON_AddItemToObject(o, "detail", d);
			else
				samples_add_text(o, "detail", fx.buf);
			strbuf_release(&hid);
			strbuf_release(&fx);
		}
	}
	txt = cJSON_PrintUnformatted(o);
	if (txt == NULL)
		xalloc_die();
	fputs(txt, f);
	fputc('\n', f);
	free(txt);
	cJSON_Delete(o);
}
