/*
 * sessplug: a test plugin for executor sessions end to end
 * (tests/exec/t-session.py).  Each sample is a conversation of TURNS
 * turns: the model answers with Python code, which runs in the sample's
 * session ("session": true, "output": true; the data dir's
 * sessplug/tools.py as module sesslib.tools on the first), and what it
 * printed goes back in the next user message.  Then a checker re-runs
 * every answer from scratch in one program ("journal": false), and the
 * sample is right when the session's last output and the checker's
 * last line agree.  The reference model answers turn k with GOLD[k].
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qeval/plugin.h>

#define NSAMPLES	3
#define TURNS		3

static const char *const gold_code[TURNS] = {
	"import sesslib.tools\nacc = sesslib.tools.start()\nprint(acc)\n",
	"acc += 10\nprint(acc)\n",
	"acc *= 2\nprint(acc)\n",
};

static const char *const sp_files[] = { "sessplug/tools.py", NULL };
static const struct qeval_metric_desc sp_metrics[] = {
	{ "acc", QEVAL_MF_PRIMARY }, { NULL, 0 }
};
static const struct qeval_task sp_tasks[] = {
	{ "sessplug", "Sessions", "Test", "none", sp_files, sp_metrics,
	  QEVAL_TF_EXEC_OPT },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};

struct sp {
	char	 id[32];
	char	*body;
	size_t	 len, cap;
	char	 reason[256];
};

static void
add(struct sp *m, const char *s, size_t n)
{
	if (m->len + n + 1 > m->cap) {
		m->cap = (m->len + n + 1) * 2;
		m->body = realloc(m->body, m->cap);
		if (m->body == NULL)
			abort();
	}
	memcpy(m->body + m->len, s, n);
	m->len += n;
	m->body[m->len] = '\0';
}

static void
adds(struct sp *m, const char *s)
{
	add(m, s, strlen(s));
}

/* s (n bytes) as a JSON string. */
static void
addj(struct sp *m, const char *s, size_t n)
{
	size_t i;

	adds(m, "\"");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[8];

		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			add(m, e, 2);
		} else if (c < 0x20) {
			snprintf(e, sizeof(e), "\\u%04x", c);
			adds(m, e);
		} else
			add(m, (const char *)&c, 1);
	}
	adds(m, "\"");
}

static size_t
tlen(const struct qeval_response *r)
{
	return (QEVAL_RESP_TEXT_LEN(r));
}

static int
sp_open(const struct qeval_host *h, struct qeval_ctx *ctx,
    const struct qeval_task *t, const struct qeval_opts *o, void **sp)
{
	struct sp *m = calloc(1, sizeof(*m));

	(void)t;
	(void)o;
	if (m == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "out of memory"));
	*sp = m;
	return (QEVAL_OK);
}

static size_t
sp_count(void *s)
{
	(void)s;
	return (NSAMPLES);
}

static const char *
sp_id(void *s, size_t i)
{
	struct sp *m = s;

	snprintf(m->id, sizeof(m->id), "e%zu", i);
	return (m->id);
}

static int
sp_next(void *s, struct qeval_ctx *c, size_t i, unsigned cand,
    const struct qeval_exchange *e, size_t n, struct qeval_request *r)
{
	struct sp *m = s;
	char head[128];
	size_t k;

	(void)c;
	(void)cand;
	m->len = 0;
	adds(m, "");
	if (n > 2 * TURNS)
		return (QEVAL_DONE);
	if (n == 2 * TURNS) {
		/* The checker: every answer again, from scratch. */
		struct sp prog;

		memset(&prog, 0, sizeof(prog));
		adds(&prog, "");
		for (k = 0; k < n; k += 2) {
			add(&prog, e[k].resp.text, tlen(&e[k].resp));
			adds(&prog, "\n");
		}
		adds(m, "{\"journal\": false, \"output\": true, "
		    "\"timeout\": 10, \"modules\": {\"sesslib.tools\": "
		    "\"sessplug/tools.py\"}, \"program\": ");
		addj(m, prog.body, prog.len);
		adds(m, "}");
		free(prog.body);
		r->kind = QEVAL_REQ_EXEC;
	} else if (n % 2 == 0) {
		snprintf(head, sizeof(head), "entry e%zu turn %zu: ", i, n / 2);
		adds(m, "{\"messages\": [{\"role\": \"user\", \"content\": ");
		{
			struct sp t;

			memset(&t, 0, sizeof(t));
			adds(&t, head);
			if (n > 0)
				add(&t, e[n - 1].resp.text,
				    tlen(&e[n - 1].resp));
			addj(m, t.body, t.len);
			free(t.body);
		}
		adds(m, "}]}");
		r->kind = QEVAL_REQ_CHAT;
	} else {
		adds(m, "{\"session\": true, \"output\": true, "
		    "\"timeout\": 10, ");
		if (n == 1)
			adds(m, "\"modules\": {\"sesslib.tools\": "
			    "\"sessplug/tools.py\"}, ");
		adds(m, "\"program\": ");
		addj(m, e[n - 1].resp.text, tlen(&e[n - 1].resp));
		adds(m, "}");
		r->kind = QEVAL_REQ_EXEC;
	}
	r->target = QEVAL_TARGET_MODEL;
	r->body = m->body;
	return (QEVAL_NEXT);
}

/* The last non-empty line of t (n bytes) into out. */
static void
last_line(const char *t, size_t n, char *out, size_t cap)
{
	size_t end = n, start;

	while (end > 0 && (t[end - 1] == '\n' || t[end - 1] == '\r'))
		end--;
	start = end;
	while (start > 0 && t[start - 1] != '\n')
		start--;
	if (end - start >= cap)
		end = start + cap - 1;
	memcpy(out, t + start, end - start);
	out[end - start] = '\0';
}

static int
sp_score(void *s, struct qeval_ctx *c, size_t i, unsigned cand,
    const struct qeval_exchange *e, size_t n, struct qeval_verdict *v)
{
	struct sp *m = s;
	char got[64], want[64];

	(void)c;
	(void)i;
	(void)cand;
	if (n != 2 * TURNS + 1) {
		v->values[0] = 0;
		return (QEVAL_OK);
	}
	last_line(e[2 * TURNS - 1].resp.text, tlen(&e[2 * TURNS - 1].resp),
	    got, sizeof(got));
	last_line(e[2 * TURNS].resp.text, tlen(&e[2 * TURNS].resp), want,
	    sizeof(want));
	v->values[0] = e[2 * TURNS - 1].resp.status == QEVAL_EXEC_PASSED &&
	    e[2 * TURNS].resp.status == QEVAL_EXEC_PASSED &&
	    strcmp(got, want) == 0;
	snprintf(m->reason, sizeof(m->reason), "session %s, checker %s",
	    got, want);
	v->reason = m->reason;
	return (QEVAL_OK);
}

static int
sp_gold(void *s, struct qeval_ctx *c, size_t i,
    const struct qeval_exchange *e, size_t n, const struct qeval_request *r,
    int corrupt, struct qeval_gold *g)
{
	(void)s;
	(void)c;
	(void)i;
	(void)e;
	(void)r;
	g->text = corrupt ? "acc = -1\nprint(acc)\n" :
	    gold_code[(n / 2) % TURNS];
	return (QEVAL_OK);
}

static void
sp_close(void *s)
{
	struct sp *m = s;

	if (m != NULL)
		free(m->body);
	free(m);
}

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.name = "sessplug", .version = "1",
	.tasks = sp_tasks, .open = sp_open, .count = sp_count,
	.sample_id = sp_id, .next = sp_next, .score = sp_score,
	.gold = sp_gold, .close = sp_close,
};
