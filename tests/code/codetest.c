#include "config.h"
#include "codetest.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "exec.h"
#include "tap.h"
#include "xalloc.h"

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (h);
}

static void
rehash(struct codetest *ct)
{
	size_t i, k;

	free(ct->slots);
	ct->nslots = ct->n * 4 + 64;
	ct->slots = xcalloc(ct->nslots, sizeof(size_t));
	for (i = 0; i < ct->n; i++) {
		k = ct->jobs[i].hash % ct->nslots;
		while (ct->slots[k] != 0)
			k = (k + 1) % ct->nslots;
		ct->slots[k] = i + 1;
	}
}

static struct codetest_job *
find(struct codetest *ct, const char *program, uint64_t h)
{
	size_t k;

	if (ct->nslots == 0)
		return (NULL);
	k = h % ct->nslots;
	while (ct->slots[k] != 0) {
		struct codetest_job *j = &ct->jobs[ct->slots[k] - 1];

		if (j->hash == h && strcmp(j->program, program) == 0)
			return (j);
		k = (k + 1) % ct->nslots;
	}
	return (NULL);
}

char *
codetest_program(const char *body, double *timeout)
{
	cJSON *doc = cJSON_Parse(body);
	const cJSON *p, *t;
	char *s = NULL;

	if (doc == NULL)
		return (NULL);
	p = cJSON_GetObjectItemCaseSensitive(doc, "program");
	t = cJSON_GetObjectItemCaseSensitive(doc, "timeout");
	if (cJSON_IsString(p))
		s = xstrdup(p->valuestring);
	if (timeout != NULL)
		*timeout = cJSON_IsNumber(t) ? t->valuedouble : 3.0;
	cJSON_Delete(doc);
	return (s);
}

int
codetest_cb(void *arg, size_t sample, const struct qeval_request *req,
    struct plugtest_answer *out)
{
	struct codetest *ct = arg;
	struct codetest_job *j;
	double timeout;
	uint64_t h;
	char *prog;

	if (req->kind != QEVAL_REQ_EXEC) {
		if (ct->model == NULL)
			return (-1);
		out->text = ct->model(ct->model_arg, sample, req);
		out->finish_reason = ct->finish_reason != NULL ?
		    ct->finish_reason : "stop";
		return (out->text != NULL ? 0 : -1);
	}
	ct->last = req;
	prog = codetest_program(req->body, &timeout);
	if (prog == NULL)
		return (-1);
	h = hash(prog);
	if (ct->collect) {
		if ((j = find(ct, prog, h)) != NULL && j->status >= 0) {
			/* run in an earlier sweep: its real verdict, so that
			 * a sweep again collects what is asked after it */
			free(prog);
			out->status = j->status;
			out->text = j->detail != NULL ? j->detail : "";
			return (0);
		}
		if (j == NULL) {
			if (ct->n == ct->alloc) {
				ct->alloc = ct->alloc ? ct->alloc * 2 : 256;
				ct->jobs = xrealloc(ct->jobs, ct->alloc *
				    sizeof(*ct->jobs));
			}
			j = &ct->jobs[ct->n++];
			j->program = prog;
			j->timeout = timeout;
			j->status = -1;
			j->detail = NULL;
			j->hash = h;
			if (ct->n * 2 > ct->nslots)
				rehash(ct);
			else {
				size_t k = h % ct->nslots;

				while (ct->slots[k] != 0)
					k = (k + 1) % ct->nslots;
				ct->slots[k] = ct->n;
			}
		} else
			free(prog);
		out->status = QEVAL_EXEC_PASSED;
		out->text = "";
		return (0);
	}
	j = find(ct, prog, h);
	free(prog);
	if (j == NULL || j->status < 0)
		return (-1);
	out->status = j->status;
	out->text = j->detail != NULL ? j->detail : "";
	return (0);
}

static int
status_of(const char *word)
{
	static const char *const names[] = { "passed", "failed", "timeout",
	    "oom", "crashed", "refused" };
	int i;

	for (i = 0; i < 6; i++)
		if (strcmp(word, names[i]) == 0)
			return (i);
	return (QEVAL_EXEC_CRASHED);
}

static int
execute_python(struct codetest *ct, int workers, struct strbuf *err)
{
	char dir[] = "/tmp/qeval-codetest-XXXXXX";
	struct strbuf path = STRBUF_INIT, cmd = STRBUF_INIT;
	const char *py = getenv("PYTHON3"), *src = getenv("QEVAL_SRCDIR");
	char line[4096];
	FILE *f;
	size_t i;
	int rc = -1;

	if (mkdtemp(dir) == NULL) {
		strbuf_addf(err, "mkdtemp failed");
		return (-1);
	}
	strbuf_addf(&path, "%s/jobs", dir);
	f = fopen(path.buf, "wb");
	if (f == NULL)
		goto out;
	for (i = 0; i < ct->n; i++)
		if (ct->jobs[i].status < 0)
			fprintf(f, "%zu %.3f %zu\n%s", i, ct->jobs[i].timeout,
			    strlen(ct->jobs[i].program), ct->jobs[i].program);
	fclose(f);
	strbuf_addf(&cmd, "'%s' '%s/tests/code/pyexec.py' '%s/jobs' "
	    "'%s/results' %d", py ? py : "python3", src ? src : ".", dir, dir,
	    workers);
	if (system(cmd.buf) != 0) {
		strbuf_addf(err, "%s failed", cmd.buf);
		goto out;
	}
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/results", dir);
	f = fopen(path.buf, "r");
	if (f == NULL)
		goto out;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *t1 = strchr(line, '\t'), *t2, *nl;
		size_t id;

		if (t1 == NULL)
			continue;
		*t1++ = '\0';
		t2 = strchr(t1, '\t');
		if (t2 != NULL)
			*t2++ = '\0';
		if ((nl = strchr(t2 != NULL ? t2 : t1, '\n')) != NULL)
			*nl = '\0';
		id = (size_t)strtoul(line, NULL, 10);
		if (id >= ct->n)
			continue;
		ct->jobs[id].status = status_of(t1);
		free(ct->jobs[id].detail);
		ct->jobs[id].detail = xstrdup(t2 != NULL ? t2 : "");
	}
	fclose(f);
	rc = 0;
	for (i = 0; i < ct->n; i++)
		if (ct->jobs[i].status < 0) {
			strbuf_addf(err, "program %zu got no verdict", i);
			rc = -1;
			break;
		}
out:
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/jobs", dir);
	unlink(path.buf);
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/results", dir);
	unlink(path.buf);
	rmdir(dir);
	strbuf_release(&path);
	strbuf_release(&cmd);
	return (rc);
}

static void
done(void *arg, const struct exec_result *r)
{
	struct codetest *ct = arg;

	if (r->id >= ct->n)
		return;
	ct->jobs[r->id].status = r->status;
	free(ct->jobs[r->id].detail);
	ct->jobs[r->id].detail = xstrdup(r->detail != NULL ? r->detail : "");
}

/* Through qeval's executor (src/exec.c), as `qeval` runs them. */
static int
execute_qeval(struct codetest *ct, int workers, struct strbuf *err)
{
	struct exec_opts o;
	struct exec *x = NULL;
	size_t i;
	int rc = 0;

	memset(&o, 0, sizeof(o));
	o.workers = workers;
	o.timeout_s = 3.0;
	if (exec_start(&x, &o, err) != 0)
		return (-1);
	for (i = 0; i < ct->n && rc == 0; i++)
		if (ct->jobs[i].status < 0)
			rc = exec_submit(x, i, ct->jobs[i].program,
			    strlen(ct->jobs[i].program), ct->jobs[i].timeout,
			    0);
	while (rc == 0 && exec_pending(x) > 0) {
		struct pollfd p = { .fd = exec_fd(x), .events = POLLIN };

		(void)poll(&p, 1, 1000);
		rc = exec_collect(x, done, ct, err);
	}
	exec_stop(x);
	for (i = 0; rc == 0 && i < ct->n; i++)
		if (ct->jobs[i].status < 0) {
			strbuf_addf(err, "program %zu got no verdict", i);
			rc = -1;
		}
	return (rc);
}

int
codetest_execute(struct codetest *ct, int workers, struct strbuf *err)
{
	const char *v = getenv("QEVAL_CODETEST_PYEXEC");

	if (v != NULL && strcmp(v, "1") == 0)
		return (execute_python(ct, workers, err));
	return (execute_qeval(ct, workers, err));
}

void
codetest_release(struct codetest *ct)
{
	size_t i;

	for (i = 0; i < ct->n; i++) {
		free(ct->jobs[i].program);
		free(ct->jobs[i].detail);
	}
	free(ct->jobs);
	free(ct->slots);
	memset(ct, 0, sizeof(*ct));
}

const char *
codetest_answer(void *arg, size_t sample, const struct qeval_request *req)
{
	(void)sample;
	(void)req;
	return (arg);
}

char *
codetest_exec_program(size_t k)
{
	const struct qeval_exchange *ex;
	size_t n;

	ex = plugtest_exchanges(&n);
	if (n <= k || ex[k].req.kind != QEVAL_REQ_EXEC)
		return (NULL);
	return (codetest_program(ex[k].req.body, NULL));
}

int
codetest_sweep(struct codetest_sweep *w, const char *plugin,
    const char *task, const char *data_dir, const struct qeval_kv *kv,
    int chat, size_t limit)
{
	struct strbuf err = STRBUF_INIT;
	struct qeval_verdict v;
	enum plugtest_mode mode;
	size_t i, n, sample;
	int pass, rc = 0;

	w->task = task;
	memset(&w->ct, 0, sizeof(w->ct));
	w->ct.model = codetest_answer;
	if (plugtest_open(&w->pt, plugin, task, data_dir, kv, chat,
	    limit) != 0) {
		ok(0, "%s: open: %s", task, w->pt.err.buf);
		plugtest_close(&w->pt);
		return (-1);
	}
	w->count = w->pt.plugin.desc->count(w->pt.state);
	n = w->n > 0 ? w->n : w->count * (size_t)w->modes;
	for (pass = 0; pass < w->passes; pass++) {
		w->ct.collect = pass < w->passes - 1;
		for (i = 0; i < n; i++) {
			if (w->n > 0) {
				mode = PLUGTEST_CALLBACK;
				sample = w->setup(w, i);
			} else {
				mode = i < w->count ? PLUGTEST_GOLD :
				    PLUGTEST_CORRUPT;
				sample = i % w->count;
			}
			w->check(w, pass, i, plugtest_run(&w->pt, sample, 0,
			    mode, codetest_cb, &w->ct, &v), &v);
		}
		if (w->ct.collect && codetest_execute(&w->ct, CODETEST_WORKERS,
		    &err) != 0) {
			ok(0, "execute: %s", err.buf);
			rc = -1;
		}
	}
	strbuf_release(&err);
	codetest_release(&w->ct);
	plugtest_close(&w->pt);
	return (rc);
}
