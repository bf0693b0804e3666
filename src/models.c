#include "config.h"
#include "models.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "http.h"
#include "xalloc.h"

int
models_get(const char *endpoint, const char *api_key, double timeout_s,
    struct models *m, struct strbuf *err)
{
	struct strbuf body = STRBUF_INIT;
	const char *eps[1];
	struct http_opts o;
	const cJSON *data, *e, *id;
	cJSON *j;
	int rc;

	memset(m, 0, sizeof(*m));
	memset(&o, 0, sizeof(o));
	eps[0] = endpoint;
	o.endpoints = eps;
	o.n_endpoints = 1;
	o.api_key = api_key;
	o.concurrency = 1;
	o.timeout_s = timeout_s;
	o.connect_timeout_s = timeout_s < 2 ? timeout_s : 2;
	m->status = http_get(&o, "/models", &body, err);
	if (m->status == 0) {
		strbuf_release(&body);
		return (MODELS_UNREACHABLE);
	}
	if (m->status == 401 || m->status == 403) {
		strbuf_addf(err, "HTTP %ld for GET /models: the server wants "
		    "an API key (QEVAL_API_KEY or OPENAI_API_KEY%s)",
		    m->status, api_key != NULL ? "; the one given was "
		    "refused" : "");
		strbuf_release(&body);
		return (MODELS_DENIED);
	}
	j = m->status == 200 ? cJSON_ParseWithLength(body.buf, body.len) :
	    NULL;
	strbuf_release(&body);
	data = cJSON_GetObjectItemCaseSensitive(j, "data");
	if (!cJSON_IsArray(data)) {
		if (m->status == 200)
			strbuf_adds(err, "GET /models gave no \"data\" list");
		else
			strbuf_addf(err, "GET /models gave HTTP %ld",
			    m->status);
		cJSON_Delete(j);
		return (MODELS_NO_LIST);
	}
	m->ids = xcalloc((size_t)cJSON_GetArraySize(data) + 1,
	    sizeof(*m->ids));
	cJSON_ArrayForEach(e, data) {
		id = cJSON_GetObjectItemCaseSensitive(e, "id");
		if (cJSON_IsString(id))
			m->ids[m->n++] = xstrdup(id->valuestring);
		id = cJSON_GetObjectItemCaseSensitive(e, "owned_by");
		if (m->owned_by == NULL && cJSON_IsString(id))
			m->owned_by = xstrdup(id->valuestring);
	}
	rc = MODELS_OK;
	cJSON_Delete(j);
	return (rc);
}

int
models_has(const struct models *m, const char *id)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->ids[i], id) == 0)
			return (1);
	return (0);
}

void
models_list(const struct models *m, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < m->n && i < 20; i++)
		strbuf_addf(out, "%s%s", i ? ", " : "", m->ids[i]);
	if (m->n > 20)
		strbuf_addf(out, " and %zu more", m->n - 20);
	if (m->n == 0)
		strbuf_adds(out, "(none)");
}

const char *
models_kind(const struct models *m)
{
	const char *o = m->owned_by;

	if (o == NULL)
		return (NULL);
	if (strcmp(o, "vllm") == 0)
		return ("vllm");
	if (strcmp(o, "llamacpp") == 0)
		return ("llama.cpp");
	if (strcmp(o, "sglang") == 0)
		return ("sglang");
	return (NULL);
}

void
models_release(struct models *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->ids[i]);
	free(m->ids);
	free(m->owned_by);
	memset(m, 0, sizeof(*m));
}
