#include "config.h"
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "exec.h"
#include "execreq.h"
#include "gpu.h"
#include "host.h"
#include "http.h"
#include "journal.h"
#include "jsonb.h"
#include "promstat.h"
#include "loglik.h"
#include "measure.h"
#include "results.h"
#include "rundir.h"
#include "samples.h"
#include "stats.h"
#include "wire.h"
#include "xalloc.h"

/* ------------------------------------------------------------------ */
/* Per-task and per-sample state                                      */

struct task_run;

struct unit {
	struct task_run		*tr;
	size_t			 sample;
	unsigned		 cand;
	size_t			 uidx;		/* index in the task's units */
	struct qeval_exchange	*ex;		/* views for the plugin */
	struct xown		*own;
	size_t			 nex, alloc;
	/* the pending request */
	struct qeval_request	 req;
	char			*req_body;
	char			*req_label;
	char			*sent;
	int			 streamed;	/* sent with stream: true */
	uint64_t		 hash;
	size_t			 nparts;	/* LOGLIK continuations */
	size_t			 parts_left;
	double			*lp;
	uint8_t			*greedy;
	size_t			*cc;
	char			*lctx;		/* LOGLIK context */
	char		       **conts;
	int			 l_unparseable;	/* LOGLIK: over the parts */
	unsigned		 l_bad_utf8;
	int			 failed;
	char			*error;
	double			 t0;
	int			 slot;
	uint64_t		 sess;		/* its executor session, or 0 */
	int			 exec_output;	/* "output": true pending */
	int			 unjournaled;	/* "journal": false pending */
};

struct task_run {
	const struct plugin	*plugin;
	const struct qeval_task	*task;
	struct qeval_ctx	 ctx;
	struct qeval_opts	 opts;
	void			*state;
	int			 opened;
	size_t			 count;		/* samples */
	unsigned		 ncand;
	double			 samp_temp;	/* candidates' temperature
						 * (--samples > 1); NaN:
						 * the plugin's own */
	size_t			 n_sampled;	/* requests sent with it */
	size_t			 nmetrics;
	size_t			 nunits;	/* count * ncand (this shard) */
	size_t			 next_unit;
	size_t			 done;
	size_t			 errors;
	size_t			 unparseable;	/* samples scored from an
						 * answer that came after
						 * an unparseable reply */
	size_t			 bad_utf8;	/* responses with invalid
						 * UTF-8 (replaced) */
	double			*values;	/* [unit][metric] */
	uint32_t		*vflags;	/* per unit */
	uint8_t			*ustate;	/* enum unit_state */
	uint64_t		*ahash;		/* per unit: answers' hash */
	char		       **category;	/* per sample */
	char		       **row;		/* per sample: the first
						 * candidate's test row */
	FILE			*samples;
	double			 t_first;
	double			 t_last;
	int			 loglik_checked;
	int			 chat;		/* the API this task uses */
};

struct ready {
	int	 slot;
	size_t	 part;
	int	 ok;
	char	*error;
	long	 status;
	char	*text;
	size_t	 text_len;
	int	 unparseable;
	unsigned bad_utf8;
	char	*finish;
	char	*tools;
	char	*raw;
	long	 ptok, ctok;
	double	 latency, ttft;
	int	 attempts;
	int	 exec_status;
	int	 exec_warm;	/* a session's replayed program, re-run */
	double	 lp;
	int	 greedy;
	int	 fatal;		/* the server cannot be reached */
	long	 cached;	/* cached prompt tokens; -1 unknown */
	char	*model;		/* the response's "model" */
};

struct run {
	const struct run_cfg	*cfg;
	struct task_run		*trs;
	size_t			 ntrs;
	struct unit	       **slots;
	size_t			 nslots;
	size_t			 active;
	struct ready		*ready;
	size_t			 nready, ready_alloc;
	struct http		*http;
	struct http		*judge;
	struct exec		*exec;
	struct exec_files	*exec_files;	/* "modules" read so far */
	uint64_t		 exec_sess;	/* sessions opened */
	struct gpu		*gpu;
	double			 last_gpu;
	struct promstat	       **prom;		/* one per endpoint */
	size_t			 nprom;
	double			 last_prom;
	struct journal		*journal;
	char			*run_dir;
	int			 concurrency;
	int			 abort;
	int			 fatal;		/* aborted: unreachable */
	struct strbuf		 abort_msg;
	struct measure		 m;		/* model requests only */
	/* request errors already printed (hashes), and those not */
	uint64_t		 err_seen[64];
	size_t			 nerr_seen;
	size_t			 err_hidden;
	double			 t_start, t_end;
	size_t			 total_units, done_units;
	double			 last_progress;
	int			 progress;
	size_t			 replayed;
	size_t			 stale;
	char			 started[32];
};

static volatile sig_atomic_t run_interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	run_interrupted = 1;
}

static void
utc_now(char *buf, size_t n, int compact)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	if (compact)
		strftime(buf, n, "%Y%m%dT%H%M%SZ", &tm);
	else
		strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static char *
dup_or_null(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

size_t
run_strip_think(char *text, size_t len)
{
	static const char open_tag[] = "<think>", close_tag[] = "</think>";
	char *p, *q, *end, *stop;

	/* memmem, not strstr: the text may hold NUL bytes. */
	text[len] = '\0';
	while ((p = memmem(text, len, open_tag, sizeof(open_tag) - 1)) !=
	    NULL) {
		q = memmem(p, len - (size_t)(p - text), close_tag,
		    sizeof(close_tag) - 1);
		if (q == NULL)
			break;		/* unclosed: the model ran out */
		end = q + sizeof(close_tag) - 1;
		stop = text + len;
		/* also drop the whitespace the block leaves behind */
		while (end < stop && (*end == '\n' || *end == ' ' ||
		    *end == '\r'))
			end++;
		memmove(p, end, (size_t)(stop - end) + 1);
		len -= (size_t)(end - p);
	}
	return (len);
}

/* ------------------------------------------------------------------ */
/* Exchanges                                                          */

static void
unit_free_pending(struct unit *u)
{
	size_t i;

	free(u->req_body);
	free(u->req_label);
	free(u->sent);
	free(u->lp);
	free(u->greedy);
	free(u->cc);
	free(u->lctx);
	for (i = 0; i < u->nparts; i++)
		free(u->conts[i]);
	free(u->conts);
	u->req_body = u->req_label = u->sent = u->lctx = NULL;
	u->lp = NULL;
	u->greedy = NULL;
	u->cc = NULL;
	u->conts = NULL;
	u->nparts = u->parts_left = 0;
	u->l_unparseable = 0;
	u->l_bad_utf8 = 0;
}

static void
unit_free(struct unit *u)
{
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < u->nex; i++) {
		struct xown *o = &u->own[i];

		free(o->body);
		free(o->label);
		free(o->sent);
		free(o->text);
		free(o->finish);
		free(o->tools);
		free(o->raw);
		free(o->logprob);
		free(o->greedy);
		free(o->cont_chars);
	}
	free(u->ex);
	free(u->own);
	unit_free_pending(u);
	free(u->error);
	free(u);
}

/*
 * Appends a finished exchange: the pending request with the response
 * given.  Takes ownership of the strings in *o.
 */
static void
unit_push(struct unit *u, struct xown *o, int status, long ptok, long ctok,
    size_t n_choices)
{
	struct qeval_exchange *e;
	size_t a = u->alloc;

	u->ex = xgrow(u->ex, u->nex + 1, sizeof(*u->ex), &a);
	u->own = xgrow(u->own, u->nex + 1, sizeof(*u->own), &u->alloc);
	o->body = u->req_body;
	o->label = u->req_label;
	u->req_body = u->req_label = NULL;
	if (o->sent == NULL) {
		o->sent = u->sent;
		u->sent = NULL;
	}
	u->own[u->nex] = *o;
	e = &u->ex[u->nex];
	memset(e, 0, sizeof(*e));
	e->req = u->req;
	e->req.body = o->body;
	e->req.label = o->label;
	e->resp.text = o->text != NULL ? o->text : "";
	e->resp.text_len = o->text != NULL ? (int)o->text_len : 0;
	e->resp.finish_reason = o->finish;
	e->resp.tool_calls = o->tools;
	e->resp.raw = o->raw;
	e->resp.status = status;
	e->resp.n_choices = n_choices;
	e->resp.logprob = o->logprob;
	e->resp.greedy = o->greedy;
	e->resp.cont_chars = o->cont_chars;
	e->resp.prompt_tokens = ptok;
	e->resp.completion_tokens = ctok;
	u->nex++;
	/* The views point into u->own, which may have moved: refresh. */
	for (size_t i = 0; i < u->nex; i++) {
		u->ex[i].req.body = u->own[i].body;
		u->ex[i].req.label = u->own[i].label;
		u->ex[i].resp.text = u->own[i].text ? u->own[i].text : "";
		u->ex[i].resp.text_len = u->own[i].text ?
		    (int)u->own[i].text_len : 0;
		u->ex[i].resp.finish_reason = u->own[i].finish;
		u->ex[i].resp.tool_calls = u->own[i].tools;
		u->ex[i].resp.raw = u->own[i].raw;
		u->ex[i].resp.logprob = u->own[i].logprob;
		u->ex[i].resp.greedy = u->own[i].greedy;
		u->ex[i].resp.cont_chars = u->own[i].cont_chars;
	}
}

static uint64_t
request_hash(const struct qeval_request *r)
{
	uint64_t h = JOURNAL_HASH_INIT;
	char num[96];
	int n;

	n = snprintf(num, sizeof(num), "%d|%d|%.6g|%.6g|%d|", (int)r->kind,
	    (int)r->target, r->temperature, r->top_p, r->max_tokens);
	h = journal_hash(h, num, (size_t)n);
	if (r->body != NULL)
		h = journal_hash(h, r->body, strlen(r->body));
	return (h);
}

/* The journal writes bytes as the samples file does. */
static void
add_bytes(cJSON *o, const char *key, const char *s, size_t len)
{
	samples_add_bytes(o, key, s, len);
}

/* Writes the just-pushed exchange to the journal. */
static void
journal_exchange(struct run *R, struct unit *u)
{
	const struct xown *o = &u->own[u->nex - 1];
	const struct qeval_exchange *e = &u->ex[u->nex - 1];
	struct strbuf err = STRBUF_INIT;
	cJSON *rec, *r;
	char hex[17];
	char *txt;
	size_t i;

	if (R->journal == NULL || o->replayed || o->unjournaled)
		return;
	rec = cJSON_CreateObject();
	cJSON_AddStringToObject(rec, "t", u->tr->task->name);
	cJSON_AddStringToObject(rec, "s",
	    plugin_sample_id(u->tr->plugin, u->tr->state, u->sample));
	cJSON_AddNumberToObject(rec, "c", u->cand);
	cJSON_AddNumberToObject(rec, "k", (double)(u->nex - 1));
	snprintf(hex, sizeof(hex), "%016" PRIx64, u->hash);
	cJSON_AddStringToObject(rec, "h", hex);
	r = cJSON_AddObjectToObject(rec, "r");
	add_bytes(r, "text", o->text ? o->text : "", o->text ? o->text_len :
	    0);
	if (o->unparseable > 0)
		cJSON_AddNumberToObject(r, "u", o->unparseable);
	if (o->bad_utf8 > 0)
		cJSON_AddNumberToObject(r, "b", o->bad_utf8);
	if (o->finish)
		cJSON_AddStringToObject(r, "finish_reason", o->finish);
	if (o->tools)
		cJSON_AddStringToObject(r, "tool_calls", o->tools);
	if (e->req.kind == QEVAL_REQ_EXEC)
		cJSON_AddNumberToObject(r, "status", e->resp.status);
	if (e->resp.n_choices > 0) {
		cJSON *lp = cJSON_AddArrayToObject(r, "logprob");
		cJSON *gr = cJSON_AddArrayToObject(r, "greedy");

		for (i = 0; i < e->resp.n_choices; i++) {
			cJSON_AddItemToArray(lp,
			    cJSON_CreateNumber(o->logprob[i]));
			cJSON_AddItemToArray(gr,
			    cJSON_CreateBool(o->greedy[i]));
		}
	}
	if (e->resp.prompt_tokens >= 0)
		cJSON_AddNumberToObject(r, "pt", (double)e->resp.prompt_tokens);
	if (e->resp.completion_tokens >= 0)
		cJSON_AddNumberToObject(r, "ct",
		    (double)e->resp.completion_tokens);
	txt = cJSON_PrintUnformatted(rec);
	if (txt == NULL)
		xalloc_die();
	if (journal_append(R->journal, txt, strlen(txt), &err) != 0 &&
	    !R->abort) {
		R->abort = 1;
		strbuf_addf(&R->abort_msg, "%s", err.buf);
	}
	free(txt);
	cJSON_Delete(rec);
	strbuf_release(&err);
}

/* Fills an exchange from a journal record. */
static void
replay_exchange(struct unit *u, const cJSON *rec, const char *line)
{
	static const char *const p_text[] = { "r", "text", NULL };
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(rec, "r");
	const cJSON *lp = cJSON_GetObjectItemCaseSensitive(r, "logprob");
	const cJSON *gr = cJSON_GetObjectItemCaseSensitive(r, "greedy");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(r, "status");
	const cJSON *pt = cJSON_GetObjectItemCaseSensitive(r, "pt");
	const cJSON *ct = cJSON_GetObjectItemCaseSensitive(r, "ct");
	struct xown o;
	size_t n = 0, i;

	memset(&o, 0, sizeof(o));
	o.text = xstrdup(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(r, "text")) ?
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r,
	    "text")) : "");
	o.text_len = strlen(o.text);
	if (line != NULL) {
		/* The text holds a NUL byte: cJSON cut it; read it whole. */
		struct strbuf t = STRBUF_INIT;

		if (jsonb_str(line, strlen(line), p_text, &t, NULL) == 1) {
			free(o.text);
			o.text_len = t.len;
			o.text = strbuf_detach(&t, NULL);
		}
		strbuf_release(&t);
	}
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r, "u")))
		o.unparseable = cJSON_GetObjectItemCaseSensitive(r,
		    "u")->valueint;
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r, "b")))
		o.bad_utf8 = (unsigned)cJSON_GetObjectItemCaseSensitive(r,
		    "b")->valueint;
	o.finish = dup_or_null(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(r, "finish_reason")));
	o.tools = dup_or_null(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(r, "tool_calls")));
	if (cJSON_IsArray(lp)) {
		n = (size_t)cJSON_GetArraySize(lp);
		o.logprob = xcalloc(n + 1, sizeof(double));
		o.greedy = xcalloc(n + 1, 1);
		o.cont_chars = xcalloc(n + 1, sizeof(size_t));
		for (i = 0; i < n; i++) {
			const cJSON *g = cJSON_GetArrayItem(gr, (int)i);

			o.logprob[i] = cJSON_GetArrayItem(lp,
			    (int)i)->valuedouble;
			o.greedy[i] = cJSON_IsTrue(g) ? 1 : 0;
			if (u->cc != NULL)
				o.cont_chars[i] = u->cc[i];
		}
	}
	o.latency = NAN;
	o.ttft = NAN;
	o.replayed = 1;
	unit_push(u, &o, cJSON_IsNumber(st) ? st->valueint : 0,
	    cJSON_IsNumber(pt) ? (long)pt->valuedouble : -1,
	    cJSON_IsNumber(ct) ? (long)ct->valuedouble : -1, n);
}

/* ------------------------------------------------------------------ */
/* Candidates and request ids                                         */

/*
 * Candidates (--samples N > 1) are independent samples: candidate c of
 * every sample gets the seed S + c (mod 2^32), S being --seed or the
 * preset's, so each candidate differs and a run can be repeated.
 */
static unsigned
cand_seed(const struct run *R, unsigned cand)
{
	unsigned base = R->cfg->seed_set ? R->cfg->seed :
	    (unsigned)R->cfg->preset->seed;

	return (base + cand);
}

/* Whether this request of u is a sampled candidate's (see advance()). */
static int
cand_sampled(const struct unit *u)
{
	return (!isnan(u->tr->samp_temp) &&
	    u->req.target == QEVAL_TARGET_MODEL &&
	    (u->req.kind == QEVAL_REQ_CHAT ||
	    u->req.kind == QEVAL_REQ_COMPLETION));
}

/*
 * A request's id (http_request.id, exec_submit()'s id) names the slot
 * of the unit that sent it and, for the continuations of a LOGLIK
 * request, the part: slot << ID_PART_BITS | part.  Built by make_id()
 * and taken apart by id_slot() and id_part() only.
 */
#define ID_PART_BITS	20
#define ID_PART_MASK	((UINT64_C(1) << ID_PART_BITS) - 1)

static uint64_t
make_id(int slot, size_t part)
{
	return (((uint64_t)slot << ID_PART_BITS) | (uint64_t)part);
}

static int
id_slot(uint64_t id)
{
	return ((int)(id >> ID_PART_BITS));
}

static size_t
id_part(uint64_t id)
{
	return ((size_t)(id & ID_PART_MASK));
}

/* ------------------------------------------------------------------ */
/* Scoring and the samples file                                        */

/* One line of the task's samples file (samples.h). */
static void
write_sample(struct run *R, struct unit *u, const struct qeval_verdict *v,
    const char *error)
{
	struct task_run *tr = u->tr;
	struct samples_unit su;

	if (tr->samples == NULL)
		return;
	memset(&su, 0, sizeof(su));
	su.task = tr->task->name;
	su.id = plugin_sample_id(tr->plugin, tr->state, u->sample);
	su.index = u->sample;
	su.cand = u->cand;
	su.samp_temp = tr->samp_temp;
	su.seed = cand_seed(R, u->cand);
	su.ex = u->ex;
	su.own = u->own;
	su.nex = u->nex;
	su.metrics = tr->task->metrics;
	su.nmetrics = tr->nmetrics;
	samples_write(tr->samples, &su, v, error);
}

static void
unit_release_slot(struct run *R, struct unit *u)
{
	/* The unit is over: so is its executor session. */
	if (u->sess != 0 && R->exec != NULL)
		(void)exec_session_close(R->exec, u->sess);
	R->slots[u->slot] = NULL;
	R->active--;
	unit_free(u);
}

/*
 * Counts what the user must hear about: answers that were not UTF-8,
 * and (scored samples only) answers that came after retried
 * unparseable replies.
 */
static void
count_faults(struct task_run *tr, const struct unit *u, int scored)
{
	size_t i;
	int retried = 0;

	for (i = 0; i < u->nex; i++) {
		retried |= u->own[i].unparseable > 0;
		tr->bad_utf8 += u->own[i].bad_utf8 > 0;
	}
	if (scored)
		tr->unparseable += retried;
}

static void
unit_error(struct run *R, struct unit *u, const char *msg)
{
	struct task_run *tr = u->tr;

	count_faults(tr, u, 0);
	tr->ustate[u->uidx] = UNIT_ERROR;
	tr->errors++;
	tr->done++;
	R->done_units++;
	tr->t_last = clock_now();
	write_sample(R, u, NULL, msg);
	if (!R->cfg->quiet) {
		/* An error is shown once: a server that answers every
		 * sample with the same error says it once. */
		uint64_t x = journal_hash(JOURNAL_HASH_INIT, tr->task->name,
		    strlen(tr->task->name));
		size_t i;

		x = journal_hash(x, msg, strlen(msg));
		for (i = 0; i < R->nerr_seen && R->err_seen[i] != x; i++)
			;
		if (i < R->nerr_seen || tr->errors > 5)
			R->err_hidden++;
		else {
			if (R->nerr_seen < sizeof(R->err_seen) /
			    sizeof(R->err_seen[0]))
				R->err_seen[R->nerr_seen++] = x;
			fprintf(stderr, "%sqeval: %s: sample %s: %s\n",
			    R->progress ? "\r\033[K" : "", tr->task->name,
			    plugin_sample_id(tr->plugin, tr->state,
			    u->sample), msg);
		}
	}
	unit_release_slot(R, u);
}

/*
 * The report's per-test row of a sample (small tasks only): its id,
 * the plugin's groups (detail.groups), the model's time, the verdict's
 * flags and reason (docs/RESULTS.md, "tests").
 */
static void
test_row(struct task_run *tr, const struct unit *u,
    const struct qeval_verdict *v)
{
	cJSON *o = cJSON_CreateObject(), *d;
	double t = 0;
	size_t i;
	int any = 0;
	char *txt;

	if (o == NULL)
		xalloc_die();
	cJSON_AddStringToObject(o, "id", plugin_sample_id(tr->plugin,
	    tr->state, u->sample));
	d = v->detail != NULL ? cJSON_Parse(v->detail) : NULL;
	if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(d, "groups")))
		cJSON_AddItemToObject(o, "groups", cJSON_DetachItemFromObject(
		    d, "groups"));
	cJSON_Delete(d);
	for (i = 0; i < u->nex; i++)
		if (u->ex[i].req.kind != QEVAL_REQ_EXEC &&
		    !isnan(u->own[i].latency)) {
			t += u->own[i].latency;
			any = 1;
		}
	if (any)
		cJSON_AddNumberToObject(o, "time_s", t);
	else
		cJSON_AddNullToObject(o, "time_s");
	cJSON_AddNumberToObject(o, "flags", v->flags);
	if (v->reason != NULL)
		cJSON_AddStringToObject(o, "reason", v->reason);
	txt = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (txt == NULL)
		xalloc_die();
	free(tr->row[u->sample]);
	tr->row[u->sample] = xstrdup(txt);
	cJSON_free(txt);
}

static void
unit_finish(struct run *R, struct unit *u)
{
	struct task_run *tr = u->tr;
	struct qeval_verdict v;
	uint64_t ah = JOURNAL_HASH_INIT;
	size_t i;
	int rc;

	memset(&v, 0, sizeof(v));
	for (i = 0; i < QEVAL_MAX_METRICS; i++)
		v.values[i] = NAN;
	host_ctx_clear(&tr->ctx);
	rc = plugin_score(tr->plugin, tr->state, &tr->ctx, u->sample, u->cand,
	    u->ex, u->nex, &v);
	if (rc != QEVAL_OK) {
		struct strbuf m = STRBUF_INIT;

		strbuf_addf(&m, "scorer failed: %s", host_ctx_msg(&tr->ctx));
		unit_error(R, u, m.buf);
		strbuf_release(&m);
		return;
	}
	count_faults(tr, u, 1);
	memcpy(&tr->values[u->uidx * tr->nmetrics], v.values,
	    tr->nmetrics * sizeof(double));
	tr->vflags[u->uidx] = v.flags;
	tr->ustate[u->uidx] = UNIT_SCORED;
	/* The answers that define "identical candidates": model texts. */
	for (i = 0; i < u->nex; i++)
		if (u->ex[i].req.target == QEVAL_TARGET_MODEL &&
		    u->ex[i].req.kind != QEVAL_REQ_EXEC) {
			ah = journal_hash(ah, u->ex[i].resp.text,
			    QEVAL_RESP_TEXT_LEN(&u->ex[i].resp));
			if (u->ex[i].resp.tool_calls)
				ah = journal_hash(ah, u->ex[i].resp.tool_calls,
				    strlen(u->ex[i].resp.tool_calls));
		}
	tr->ahash[u->uidx] = ah;
	if (v.category != NULL && tr->category[u->sample] == NULL)
		tr->category[u->sample] = xstrdup(v.category);
	if (u->cand == 0 && tr->count <= RESULTS_MAX_TESTS)
		test_row(tr, u, &v);
	write_sample(R, u, &v, NULL);
	tr->done++;
	R->done_units++;
	tr->t_last = clock_now();
	unit_release_slot(R, u);
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                           */

static int dispatch(struct run *, struct unit *);

/*
 * Drives a unit until it waits for an answer, finishes or fails.
 */
static void
advance(struct run *R, struct unit *u)
{
	struct task_run *tr = u->tr;
	int rc;

	for (;;) {
		struct qeval_request req = QEVAL_REQUEST_INIT;

		if (u->nex >= 4096) {
			unit_error(R, u, "plugin asked for more than 4096 "
			    "requests for one sample");
			return;
		}
		host_ctx_clear(&tr->ctx);
		rc = plugin_next(tr->plugin, tr->state, &tr->ctx, u->sample,
		    u->cand, u->ex, u->nex, &req);
		if (rc == QEVAL_DONE) {
			unit_finish(R, u);
			return;
		}
		if (rc != QEVAL_NEXT) {
			struct strbuf m = STRBUF_INIT;

			strbuf_addf(&m, "plugin failed to build a request: %s",
			    host_ctx_msg(&tr->ctx));
			unit_error(R, u, m.buf);
			strbuf_release(&m);
			return;
		}
		unit_free_pending(u);
		u->req = req;
		u->req_body = dup_or_null(req.body);
		u->req_label = dup_or_null(req.label);
		u->req.body = u->req_body;
		u->req.label = u->req_label;
		/* A sampled candidate: the core's temperature and the
		 * preset's top_p win over the plugin's, and its seed is
		 * part of what the journal matches on resume. */
		if (cand_sampled(u)) {
			char sd[32];
			int n;

			u->req.temperature = tr->samp_temp;
			u->req.top_p = R->cfg->preset->top_p;
			tr->n_sampled++;
			u->hash = request_hash(&u->req);
			n = snprintf(sd, sizeof(sd), "seed=%u",
			    cand_seed(R, u->cand));
			u->hash = journal_hash(u->hash, sd, (size_t)n);
		} else
			u->hash = request_hash(&u->req);
		u->t0 = clock_now();
		rc = dispatch(R, u);
		if (rc > 0)
			continue;	/* answered at once */
		if (rc < 0)
			return;		/* failed; unit released */
		return;			/* waiting */
	}
}

/*
 * Parses a LOGLIK body into context and continuations
 * (loglik_req_parse()), which the unit then owns, and counts each
 * continuation's code points.
 */
static int
split_loglik(struct unit *u, struct strbuf *err)
{
	struct loglik_req lr;
	size_t i;

	if (loglik_req_parse(&lr, u->req.body, err) != 0)
		return (-1);
	u->lctx = lr.context;
	u->conts = lr.cont;
	u->nparts = lr.n;
	u->lp = xcalloc(lr.n, sizeof(double));
	u->greedy = xcalloc(lr.n, 1);
	u->cc = xcalloc(lr.n, sizeof(size_t));
	for (i = 0; i < lr.n; i++)
		u->cc[i] = loglik_codepoints(u->conts[i], strlen(u->conts[i]));
	return (0);
}

/*
 * Submits an EXEC request of u (its body: execreq.h).  A session
 * request when u has no session in this process yet opens one; if
 * earlier session requests of u were replayed from the journal, their
 * programs run in it first, in order, their answers dropped (parts 1,
 * 2, ...: on_exec marks them), so that the live one finds the state
 * the run had.  0, or -1 after unit_error().
 */
static int
exec_dispatch(struct run *R, struct unit *u)
{
	struct strbuf err = STRBUF_INIT;
	struct exec_body b;
	struct exec_req q;
	size_t i, part = 1;
	int first = 0, rc = -1;

	if (exec_body_parse(u->req.body, &b, &err) != 0)
		goto fail;
	if (R->exec == NULL) {
		strbuf_addf(&err, "code execution is not available in this "
		    "run");
		goto fail;
	}
	if (b.session && u->sess == 0) {
		u->sess = ++R->exec_sess;
		first = 1;
		for (i = 0; i < u->nex; i++) {
			struct exec_body w;

			if (u->ex[i].req.kind != QEVAL_REQ_EXEC ||
			    !u->own[i].replayed)
				continue;
			if (exec_body_parse(u->ex[i].req.body, &w, &err) != 0 ||
			    !w.session) {
				exec_body_release(&w);
				strbuf_reset(&err);
				continue;
			}
			if (first && exec_body_modules(u->ex[i].req.body, &w,
			    R->cfg->data, &R->exec_files, &err) != 0) {
				exec_body_release(&w);
				goto fail;
			}
			memset(&q, 0, sizeof(q));
			q.id = make_id(u->slot, part++);
			q.program = w.program.buf;
			q.len = w.program.len;
			q.timeout_s = w.timeout_s;
			q.memory_mb = w.memory_mb;
			q.session = u->sess;
			q.session_new = first;
			q.modules = w.mods;
			q.nmodules = w.nmods;
			rc = exec_submit_req(R->exec, &q);
			exec_body_release(&w);
			if (rc != 0)
				goto dead;
			first = 0;
		}
	}
	if ((!b.session || first) && exec_body_modules(u->req.body, &b,
	    R->cfg->data, &R->exec_files, &err) != 0)
		goto fail;
	memset(&q, 0, sizeof(q));
	q.id = make_id(u->slot, 0);
	q.program = b.program.buf;
	q.len = b.program.len;
	q.timeout_s = b.timeout_s;
	q.memory_mb = b.memory_mb;
	q.output_max = b.output ? EXEC_OUTPUT_MAX : 0;
	q.session = b.session ? u->sess : 0;
	q.session_new = first;
	q.modules = b.mods;
	q.nmodules = b.nmods;
	if (exec_submit_req(R->exec, &q) != 0)
		goto dead;
	u->exec_output = b.output;
	u->parts_left = 1;
	exec_body_release(&b);
	strbuf_release(&err);
	return (0);
dead:
	strbuf_reset(&err);
	strbuf_addf(&err, "the code executor is not running");
fail:
	exec_body_release(&b);
	unit_error(R, u, err.buf);
	strbuf_release(&err);
	return (-1);
}

/*
 * Sends the pending request.  Returns 1 if it was answered at once (an
 * exchange was pushed), 0 if an answer will come later, -1 if the unit
 * failed (and was released).
 */
static int
dispatch(struct run *R, struct unit *u)
{
	struct task_run *tr = u->tr;
	const char *sid = plugin_sample_id(tr->plugin, tr->state, u->sample);
	const cJSON *saved;
	struct strbuf err = STRBUF_INIT;
	int stale = 0, rc;
	size_t i;

	if (u->req.kind == QEVAL_REQ_LOGLIK && split_loglik(u, &err) != 0) {
		unit_error(R, u, err.buf);
		strbuf_release(&err);
		return (-1);
	}
	/* "journal": false: performed again on --resume and rescore. */
	u->unjournaled = u->req.kind == QEVAL_REQ_EXEC &&
	    exec_body_unjournaled(u->req.body);
	saved = u->unjournaled ? NULL : journal_find(R->journal,
	    tr->task->name, sid, u->cand, (unsigned)u->nex, u->hash, &stale);
	if (saved != NULL) {
		replay_exchange(u, saved, journal_line(R->journal, saved));
		R->replayed++;
		return (1);
	}
	if (stale)
		R->stale++;
	if (u->req.kind == QEVAL_REQ_EXEC)
		return (exec_dispatch(R, u));
	if (R->cfg->reference) {
		struct qeval_gold g;
		struct xown o;
		size_t n;

		memset(&g, 0, sizeof(g));
		host_ctx_clear(&tr->ctx);
		rc = plugin_gold(tr->plugin, tr->state, &tr->ctx, u->sample,
		    u->ex, u->nex, &u->req, R->cfg->corrupt, &g);
		if (rc != QEVAL_OK) {
			strbuf_addf(&err, "gold answer failed: %s",
			    host_ctx_msg(&tr->ctx));
			unit_error(R, u, err.buf);
			strbuf_release(&err);
			return (-1);
		}
		memset(&o, 0, sizeof(o));
		o.text = xstrdup(g.text ? g.text : "");
		o.text_len = strlen(o.text);
		o.tools = dup_or_null(g.tool_calls);
		o.finish = xstrdup(g.tool_calls ? "tool_calls" : "stop");
		o.latency = o.ttft = NAN;
		n = 0;
		if (u->req.kind == QEVAL_REQ_LOGLIK) {
			n = g.n_choices;
			if (n != u->nparts || g.logprob == NULL ||
			    g.greedy == NULL) {
				free(o.text);
				free(o.tools);
				free(o.finish);
				unit_error(R, u, "gold answer has the wrong "
				    "number of choices");
				return (-1);
			}
			o.logprob = xmalloc(n * sizeof(double));
			o.greedy = xmalloc(n);
			o.cont_chars = xmalloc(n * sizeof(size_t));
			memcpy(o.logprob, g.logprob, n * sizeof(double));
			memcpy(o.greedy, g.greedy, n);
			memcpy(o.cont_chars, u->cc, n * sizeof(size_t));
		}
		unit_push(u, &o, 0, -1, -1, n);
		journal_exchange(R, u);
		return (1);
	}
	if (R->cfg->replay_only) {
		strbuf_addf(&err, "no saved answer for request %zu (%s%s): "
		    "rescore only replays the journal; re-run the task to ask "
		    "the model", u->nex, samples_kind_name(u->req.kind),
		    stale ? ", the request changed since the run" : "");
		unit_error(R, u, err.buf);
		strbuf_release(&err);
		return (-1);
	}
	if (u->req.kind == QEVAL_REQ_LOGLIK) {
		for (i = 0; i < u->nparts; i++) {
			struct strbuf body = STRBUF_INIT;
			struct http_request hr;

			wire_loglik_body(&body, R->cfg, u->lctx, u->conts[i]);
			memset(&hr, 0, sizeof(hr));
			hr.path = wire_path(u->req.kind);
			hr.body = body.buf;
			hr.body_len = body.len;
			hr.stream = 0;
			hr.id = make_id(u->slot, i);
			http_submit(R->http, &hr);
			strbuf_release(&body);
		}
		u->parts_left = u->nparts;
		return (0);
	} else {
		struct http_request hr;
		struct http *h = u->req.target == QEVAL_TARGET_JUDGE ?
		    R->judge : R->http;
		int stream = 0;

		if (h == NULL) {
			unit_error(R, u, u->req.target == QEVAL_TARGET_JUDGE ?
			    "this task needs a judge: pass --judge-endpoint "
			    "and --judge-model" : "no model endpoint");
			return (-1);
		}
		u->sent = wire_body(R->cfg, &u->req, cand_sampled(u) ?
		    (long)cand_seed(R, u->cand) : -1, &stream, &err);
		u->streamed = stream;
		if (u->sent == NULL) {
			unit_error(R, u, err.buf);
			strbuf_release(&err);
			return (-1);
		}
		memset(&hr, 0, sizeof(hr));
		hr.path = wire_path(u->req.kind);
		hr.body = u->sent;
		hr.body_len = strlen(u->sent);
		hr.stream = stream;
		hr.id = make_id(u->slot, 0);
		http_submit(h, &hr);
		u->parts_left = 1;
		return (0);
	}
}

/* ------------------------------------------------------------------ */
/* Completions arrive here (from callbacks, queued, then processed)   */

static struct ready *
ready_push(struct run *R)
{
	struct ready *r;

	R->ready = xgrow(R->ready, R->nready + 1, sizeof(*R->ready),
	    &R->ready_alloc);
	r = &R->ready[R->nready++];
	memset(r, 0, sizeof(*r));
	r->ptok = r->ctok = -1;
	r->latency = r->ttft = NAN;
	return (r);
}

static void
ready_free(struct ready *r)
{
	free(r->error);
	free(r->text);
	free(r->finish);
	free(r->tools);
	free(r->raw);
	free(r->model);
	memset(r, 0, sizeof(*r));
}

static void
on_http(void *arg, const struct http_result *res)
{
	struct run *R = arg;
	struct ready *r = ready_push(R);

	r->slot = id_slot(res->id);
	r->part = id_part(res->id);
	r->ok = res->ok;
	r->status = res->status;
	r->error = dup_or_null(res->error);
	r->fatal = !res->ok && res->unreachable;
	r->attempts = res->attempts;
	r->raw = res->body != NULL ? xstrndup(res->body, res->body_len) :
	    NULL;
	r->unparseable = res->unparseable;
	r->bad_utf8 = res->bad_utf8;
	if (res->ok) {
		/* The text may hold NUL bytes: copied by length. */
		r->text_len = res->text != NULL ? res->text_len : 0;
		r->text = xmalloc(r->text_len + 1);
		if (r->text_len > 0)
			memcpy(r->text, res->text, r->text_len);
		r->text[r->text_len] = '\0';
		r->finish = dup_or_null(res->finish_reason);
		r->tools = dup_or_null(res->tool_calls);
		r->ptok = res->prompt_tokens;
		r->ctok = res->completion_tokens;
		r->cached = res->cached_tokens;
		r->model = dup_or_null(res->model);
		r->latency = res->t_end - res->t_start;
		if (res->t_first > 0)
			r->ttft = res->t_first - res->t_start;
	}
}

static void
on_exec(void *arg, const struct exec_result *res)
{
	struct run *R = arg;
	struct ready *r = ready_push(R);
	const struct unit *u;
	const char *t;

	r->slot = id_slot(res->id);
	r->part = id_part(res->id);
	r->exec_warm = r->part != 0;
	r->ok = 1;
	r->exec_status = res->status;
	u = r->slot >= 0 && (size_t)r->slot < R->nslots ? R->slots[r->slot] :
	    NULL;
	/* "output": true: a program that passed answers with what it
	 * wrote; any other verdict with its detail.  Either may hold NUL
	 * bytes: copied by length. */
	if (u != NULL && u->exec_output && !r->exec_warm &&
	    res->status == QEVAL_EXEC_PASSED) {
		t = res->output;
		r->text_len = res->output != NULL ? res->output_len : 0;
	} else {
		t = res->detail;
		r->text_len = res->detail != NULL ? res->detail_len : 0;
	}
	r->text = xmalloc(r->text_len + 1);
	if (r->text_len > 0)
		memcpy(r->text, t, r->text_len);
	r->text[r->text_len] = '\0';
	r->latency = res->wall_s;
}

static void
record_latency(struct run *R, const struct ready *r, int streamed)
{
	struct measure_answer a;

	a.latency = r->latency;
	a.ttft = r->ttft;
	a.streamed = streamed;
	a.ptok = r->ptok;
	a.ctok = r->ctok;
	a.cached = r->cached;
	a.model = r->model;
	measure_add(&R->m, &a);
}

static void
process_ready(struct run *R)
{
	size_t i;

	for (i = 0; i < R->nready; i++) {
		struct ready *r = &R->ready[i];
		struct unit *u = r->slot >= 0 && (size_t)r->slot < R->nslots ?
		    R->slots[r->slot] : NULL;
		struct strbuf err = STRBUF_INIT;

		/* A session's replayed program run again: its answer was
		 * had from the journal. */
		if (u == NULL || r->exec_warm)
			goto next;
		if (u->req.kind == QEVAL_REQ_LOGLIK) {
			double sum = 0;
			int greedy = 0, prc;

			/* Every part comes back before the unit is released,
			 * so no late answer can reach a reused slot. */
			if (!r->ok) {
				if (r->fatal && !R->abort) {
					R->abort = R->fatal = 1;
					strbuf_addf(&R->abort_msg, "%s",
					    r->error ? r->error :
					    "the server cannot be reached");
				}
				if (!u->failed) {
					u->failed = 1;
					u->error = xstrdup(r->error ? r->error :
					    "request failed");
				}
			} else if (!u->failed && (prc = loglik_parse(r->raw ?
			    r->raw : "", r->raw ? strlen(r->raw) : 0, u->lctx,
			    u->conts[r->part], &sum, &greedy, &err)) != 0) {
				if (prc == QEVAL_EUNSUP)
					loglik_unsupported(&err,
					    u->tr->task->name);
				u->failed = 1;
				u->error = xstrdup(err.buf);
			} else if (!u->failed) {
				u->lp[r->part] = sum;
				u->greedy[r->part] = (uint8_t)greedy;
				u->l_unparseable += r->unparseable;
				u->l_bad_utf8 += r->bad_utf8;
				record_latency(R, r, 0);
			}
			strbuf_release(&err);
			if (--u->parts_left > 0)
				goto next;
			if (u->failed) {
				char *m = u->error;

				u->error = NULL;
				unit_error(R, u, m);
				free(m);
				goto next;
			}
			{
				struct xown o;
				size_t n = u->nparts;

				memset(&o, 0, sizeof(o));
				o.text = xstrdup("");
				o.logprob = xmalloc(n * sizeof(double));
				o.greedy = xmalloc(n);
				o.cont_chars = xmalloc(n * sizeof(size_t));
				memcpy(o.logprob, u->lp, n * sizeof(double));
				memcpy(o.greedy, u->greedy, n);
				memcpy(o.cont_chars, u->cc, n * sizeof(size_t));
				o.latency = clock_now() - u->t0;
				o.ttft = NAN;
				o.unparseable = u->l_unparseable;
				o.bad_utf8 = u->l_bad_utf8;
				unit_push(u, &o, 0, -1, -1, n);
			}
		} else if (!r->ok) {
			if (r->fatal && !R->abort) {
				R->abort = R->fatal = 1;
				strbuf_addf(&R->abort_msg, "%s", r->error ?
				    r->error : "the server cannot be reached");
			}
			strbuf_addf(&err, "%s", r->error ? r->error :
			    "request failed");
			unit_error(R, u, err.buf);
			strbuf_release(&err);
			goto next;
		} else {
			struct xown o;
			int is_model = u->req.target == QEVAL_TARGET_MODEL &&
			    u->req.kind != QEVAL_REQ_EXEC;

			memset(&o, 0, sizeof(o));
			o.text = r->text;
			o.text_len = r->text_len;
			o.unparseable = r->unparseable;
			o.bad_utf8 = r->bad_utf8;
			r->text = NULL;
			if (!R->cfg->keep_think && o.text != NULL &&
			    u->req.kind != QEVAL_REQ_EXEC)
				o.text_len = run_strip_think(o.text,
				    o.text_len);
			o.finish = r->finish;
			o.tools = r->tools;
			r->finish = r->tools = NULL;
			if (u->req.kind != QEVAL_REQ_EXEC && r->raw != NULL &&
			    strlen(r->raw) <= 65536) {
				o.raw = r->raw;
				r->raw = NULL;
			}
			o.latency = r->latency;
			o.ttft = r->ttft;
			o.attempts = r->attempts;
			o.unjournaled = u->req.kind == QEVAL_REQ_EXEC &&
			    u->unjournaled;
			if (is_model)
				record_latency(R, r, u->streamed);
			unit_push(u, &o, u->req.kind == QEVAL_REQ_EXEC ?
			    r->exec_status : 0, r->ptok, r->ctok, 0);
		}
		journal_exchange(R, u);
		advance(R, u);
next:
		ready_free(r);
	}
	R->nready = 0;
}

/* ------------------------------------------------------------------ */
/* Progress                                                           */

static void
progress(struct run *R, int final)
{
	double t = clock_now(), el, rate, rps = 0, eta;
	char etab[32];

	if (!R->progress)
		return;
	if (!final && t - R->last_progress < 0.2)
		return;
	R->last_progress = t;
	el = t - R->t_start;
	rate = el > 0 ? (double)R->done_units / el : 0;
	if (R->http != NULL && el > 0) {
		struct http_stats hs;

		http_get_stats(R->http, &hs);
		rps = (double)hs.requests / el;
	}
	eta = rate > 0 ? (double)(R->total_units - R->done_units) / rate : 0;
	if (rate > 0)
		snprintf(etab, sizeof(etab), "%d:%02d", (int)eta / 60,
		    (int)eta % 60);
	else
		snprintf(etab, sizeof(etab), "--:--");
	fprintf(stderr, "\r\033[K%zu/%zu samples  %.1f samples/s  %.1f "
	    "requests/s  %zu in flight  ETA %s", R->done_units,
	    R->total_units, rate, rps, R->http ? http_pending(R->http) : 0,
	    etab);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

/* ------------------------------------------------------------------ */
/* Set-up                                                             */

/*
 * The API a task uses: a task that can use only one (its flags say so)
 * uses that one, and refuses an --api that names the other; any other
 * task uses --api (chat by default).  0, or -1 with err set.
 */
static int
task_api(struct run *R, struct task_run *tr, struct strbuf *err)
{
	const struct run_cfg *c = R->cfg;
	const struct qeval_task *t = tr->task, *o;
	uint32_t f = t->flags;
	int want = (f & QEVAL_TF_CHAT_ONLY) ? 1 :
	    (f & QEVAL_TF_COMPLETION_ONLY) ? 0 : c->chat;
	int n = 0;

	tr->chat = want;
	if (want == c->chat || c->reference || c->replay_only ||
	    (!c->api_set && want == 0))
		return (0);
	if (want)
		strbuf_addf(err, "task '%s' needs a chat endpoint "
		    "(/v1/chat/completions); drop --api completions",
		    t->name);
	else
		strbuf_addf(err, "task '%s' sends %s to /v1/completions "
		    "and cannot honour --api chat; drop --api chat",
		    t->name, (f & QEVAL_TF_LOGLIK) ? "log-likelihood "
		    "requests" : "text completions");
	/* the same plugin's tasks that can use the API asked for */
	for (o = tr->plugin->desc->tasks; o != NULL && o->name != NULL;
	    o++) {
		if (o->flags & (want ? QEVAL_TF_CHAT_ONLY :
		    QEVAL_TF_COMPLETION_ONLY))
			continue;
		strbuf_addf(err, "%s%s", n++ == 0 ? ", or use a task that "
		    "can: " : ", ", o->name);
	}
	return (-1);
}

/*
 * The temperature of a task's candidates when --samples N > 1
 * (docs/PRESETS.md, "Candidates"): --temperature when given, else the
 * preset's generation.temperature when above 0, else the Codex paper's
 * convention for tasks that report pass@k (0.2 below 10 candidates,
 * where pass@1 is what is estimated; 0.8 from 10 on, for pass@10 and
 * pass@100), and 0.8 for best-of-N on every other task.
 */
static double
sampling_temperature(const struct run_cfg *c, const struct qeval_task *t,
    unsigned n)
{
	const struct qeval_metric_desc *m;
	cJSON *ov = c->overrides ? cJSON_Parse(c->overrides) : NULL;
	int given = cJSON_HasObjectItem(ov, "generation.temperature");

	cJSON_Delete(ov);
	if (given || c->preset->temperature > 0)
		return (c->preset->temperature);
	for (m = t->metrics; m->name != NULL; m++)
		if (m->flags & QEVAL_MF_PASSK)
			return (n >= 10 ? 0.8 : 0.2);
	return (0.8);
}

static int
open_tasks(struct run *R, struct strbuf *err)
{
	const struct run_cfg *c = R->cfg;
	size_t i;

	R->trs = xcalloc(c->n_tasks, sizeof(*R->trs));
	for (i = 0; i < c->n_tasks; i++) {
		struct task_run *tr = &R->trs[i];
		const struct qeval_metric_desc *m;
		int rc;

		tr->plugin = plugin_set_find_task(c->plugins, c->tasks[i],
		    &tr->task);
		if (tr->plugin == NULL) {
			strbuf_addf(err, "unknown task '%s': `qeval list "
			    "tasks` shows what the installed plugins provide",
			    c->tasks[i]);
			return (-1);
		}
		R->ntrs++;
		if ((tr->task->flags & QEVAL_TF_EXEC) && c->no_exec) {
			strbuf_addf(err, "task '%s' runs model-written code, "
			    "and code execution is disabled (--no-exec or "
			    "QEVAL_NO_EXEC); nothing was sent to the model",
			    tr->task->name);
			return (-1);
		}
		if (c->reference && !plugin_has_gold(tr->plugin)) {
			strbuf_addf(err, "task '%s': plugin '%s' has no gold() "
			    "callback, so --model reference cannot answer it",
			    tr->task->name, tr->plugin->desc->name);
			return (-1);
		}
		if (task_api(R, tr, err) != 0)
			return (-1);
		for (m = tr->task->metrics; m->name != NULL; m++)
			tr->nmetrics++;
		host_ctx_init(&tr->ctx, tr->plugin->desc->name, c->data, c->kv);
		tr->opts.struct_size = sizeof(tr->opts);
		tr->opts.chat = tr->chat;
		tr->opts.num_fewshot = c->num_fewshot;
		tr->opts.seed = c->seed_set ? c->seed :
		    (unsigned)c->preset->seed;
		tr->opts.limit = c->limit;
		tr->opts.kv = c->kv;
		rc = plugin_open(tr->plugin, &tr->ctx, tr->task, &tr->opts,
		    &tr->state);
		if (rc != QEVAL_OK) {
			strbuf_addf(err, "%s: %s", tr->task->name,
			    host_ctx_msg(&tr->ctx));
			/* a task file that does not hold together is a
			 * usage error (exit 2), as a bad preset is */
			return (rc == QEVAL_EINVAL && strcmp(tr->plugin->name,
			    "taskfile") == 0 ? -2 : -1);
		}
		tr->opened = 1;
		tr->count = plugin_count(tr->plugin, tr->state);
		tr->ncand = (unsigned)(c->samples > 0 ? c->samples :
		    c->preset->samples);
		if (tr->ncand < 1)
			tr->ncand = 1;
		tr->samp_temp = tr->ncand > 1 && !c->reference ?
		    sampling_temperature(c, tr->task, tr->ncand) : NAN;
		tr->nunits = tr->count * tr->ncand;
		tr->values = xmalloc((tr->nunits ? tr->nunits : 1) *
		    tr->nmetrics * sizeof(double));
		for (size_t k = 0; k < tr->nunits * tr->nmetrics; k++)
			tr->values[k] = NAN;
		tr->vflags = xcalloc(tr->nunits + 1, sizeof(uint32_t));
		tr->ustate = xcalloc(tr->nunits + 1, 1);
		tr->ahash = xcalloc(tr->nunits + 1, sizeof(uint64_t));
		tr->category = xcalloc(tr->count + 1, sizeof(char *));
		tr->row = xcalloc(tr->count + 1, sizeof(char *));
		/* Shards own every shard_n-th sample. */
		if (c->shard_n > 1)
			for (size_t u = 0; u < tr->nunits; u++)
				if ((u / tr->ncand) % c->shard_n != c->shard_k)
					tr->ustate[u] = UNIT_OTHER_SHARD;
		for (size_t u = 0; u < tr->nunits; u++)
			if (tr->ustate[u] == UNIT_TODO)
				R->total_units++;
	}
	return (0);
}

static int
needs(const struct run *R, uint32_t flag)
{
	size_t i;

	for (i = 0; i < R->ntrs; i++)
		if (R->trs[i].task->flags & flag)
			return (1);
	return (0);
}

/* Asks the server once whether it returns prompt log-probabilities. */
static int
probe_loglik(struct run *R, struct strbuf *err)
{
	struct strbuf body = STRBUF_INIT, why = STRBUF_INIT;
	struct http_request hr;
	const char *first = NULL;
	size_t i, nll = 0;
	int rc = -1, crc = 0;

	loglik_probe_body(&body, R->cfg->model);
	memset(&hr, 0, sizeof(hr));
	hr.path = "/completions";
	hr.body = body.buf;
	hr.body_len = body.len;
	hr.id = make_id((int)R->nslots, 0);	/* no unit owns it */
	http_submit(R->http, &hr);
	while (http_pending(R->http) > 0 && !run_interrupted)
		if (http_step(R->http, 100, -1, err) != 0)
			goto out;
	for (i = 0; i < R->nready; i++) {
		struct ready *r = &R->ready[i];

		if (!r->ok) {
			strbuf_addf(err, "log-likelihood probe failed: %s",
			    r->error ? r->error : "no answer");
		} else if ((crc = loglik_probe_check(r->raw ? r->raw : "",
		    r->raw ? strlen(r->raw) : 0, &why)) == 0)
			rc = 0;
		ready_free(r);
	}
	R->nready = 0;
	if (rc != 0) {
		for (i = 0; i < R->ntrs; i++)
			if (R->trs[i].task->flags & QEVAL_TF_LOGLIK) {
				if (first == NULL)
					first = R->trs[i].task->name;
				nll++;
			}
		/* loglik_probe_check() cannot know the task: its message
		 * says "<task>_gen" until the name is put in. */
		if (crc == QEVAL_EUNSUP && first != NULL)
			loglik_unsupported(&why, first);
		if (why.len > 0)
			strbuf_add(err, why.buf, why.len);
		if (crc != QEVAL_EUNSUP || nll > 1) {
			strbuf_addf(err, "\n  tasks needing prompt "
			    "log-probabilities cannot be scored on this "
			    "server:");
			for (i = 0; i < R->ntrs; i++)
				if (R->trs[i].task->flags & QEVAL_TF_LOGLIK)
					strbuf_addf(err, " %s (use %s_gen)",
					    R->trs[i].task->name,
					    R->trs[i].task->name);
		}
	}
out:
	strbuf_release(&why);
	strbuf_release(&body);
	return (rc);
}

static int
setup_dir(struct run *R, struct strbuf *err)
{
	const struct run_cfg *c = R->cfg;
	struct strbuf dir = STRBUF_INIT, p = STRBUF_INIT;
	char *plan;
	int rc = -1, fresh = !c->resume;
	size_t i;

	if (c->out_dir == NULL)
		return (0);
	if (c->resume) {
		int fr = rundir_find_resume(c->out_dir, c->run_id, c->model,
		    c->tasks, c->n_tasks, c->limit, c->replay_only, &dir, err);

		if (fr < 0)
			goto out;
		/* killed before the run directory held a plan: start */
		fresh = fr > 0;
		if (fresh && !c->quiet)
			fprintf(stderr, "qeval: --resume: no earlier run to "
			    "continue; starting it\n");
	}
	if (fresh) {
		char ts[32];

		utc_now(ts, sizeof(ts), 1);
		strbuf_reset(&dir);
		if (rundir_new(c->out_dir, c->run_id, ts, c->preset->name,
		    c->model, c->resume, &dir, err) != 0)
			goto out;
	}
	if (rundir_make(dir.buf, err) != 0)
		goto out;
	if (fresh && !c->replay_only) {
		plan = rundir_plan_text(c, R->ntrs ? R->trs[0].ncand : 1);
		rc = rundir_plan_write(dir.buf, plan, err);
		free(plan);
		if (rc != 0)
			goto out;
		rc = -1;
	}
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/journal", dir.buf);
	{
		char *hdr;
		cJSON *h = cJSON_CreateObject();

		cJSON_AddStringToObject(h, "journal", "qeval/1");
		cJSON_AddStringToObject(h, "model", c->model);
		cJSON_AddStringToObject(h, "started", R->started);
		hdr = cJSON_PrintUnformatted(h);
		cJSON_Delete(h);
		rc = journal_open(&R->journal, p.buf, 1, hdr, err);
		free(hdr);
		if (rc != 0)
			goto out;
	}
	for (i = 0; i < R->ntrs; i++) {
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/samples/%s.jsonl", dir.buf,
		    R->trs[i].task->name);
		R->trs[i].samples = fopen(p.buf, "w");
		if (R->trs[i].samples == NULL) {
			strbuf_addf(err, "cannot write %s: %s", p.buf,
			    strerror(errno));
			rc = -1;
			goto out;
		}
	}
	R->run_dir = strbuf_detach(&dir, NULL);
	rc = 0;
out:
	strbuf_release(&dir);
	strbuf_release(&p);
	return (rc);
}

/* The client's lines for the user (a long Retry-After wait). */
static void
http_log(void *arg, const char *line)
{
	const struct run *R = arg;

	if (!R->cfg->quiet)
		fprintf(stderr, "%sqeval: %s\n", R->progress ? "\r\033[K" : "",
		    line);
}

/*
 * A limit from the environment: QEVAL_MAX_RESPONSE_BYTES (bytes, at
 * most 1 GiB) and QEVAL_RETRY_AFTER_MAX (seconds).  0: the client's
 * default; -1 and err set if the value is not a positive number.
 */
static double
env_limit(const char *name, double max, struct strbuf *err)
{
	const char *v = getenv(name);
	char *end;
	double d;

	if (v == NULL || *v == '\0')
		return (0);
	errno = 0;
	d = strtod(v, &end);
	if (errno != 0 || end == v || *end != '\0' || !(d > 0) || d > max) {
		strbuf_addf(err, "%s=%s: expected a number above 0 and at "
		    "most %.0f", name, v, max);
		return (-1);
	}
	return (d);
}

static int
start_clients(struct run *R, struct strbuf *err)
{
	const struct run_cfg *c = R->cfg;
	struct http_opts o;
	double maxb, ra;

	if (c->reference || c->replay_only)
		return (0);
	memset(&o, 0, sizeof(o));
	o.endpoints = c->endpoints;
	o.n_endpoints = c->n_endpoints;
	o.api_key = c->api_key;
	o.concurrency = R->concurrency;
	o.timeout_s = c->preset->timeout_s;
	o.connect_timeout_s = c->preset->connect_timeout_s;
	o.first_byte_timeout_s = c->preset->first_byte_timeout_s;
	o.stall_timeout_s = c->preset->stall_timeout_s;
	o.retries = c->preset->retries;
	o.backoff_base_s = c->preset->backoff_base_s;
	o.backoff_max_s = c->preset->backoff_max_s;
	if ((maxb = env_limit("QEVAL_MAX_RESPONSE_BYTES", 1 << 30, err)) < 0 ||
	    (ra = env_limit("QEVAL_RETRY_AFTER_MAX", 86400, err)) < 0)
		return (-1);
	o.max_body = (size_t)maxb;
	o.retry_after_max_s = ra;
	o.log = http_log;
	o.log_arg = R;
	R->http = http_new(&o, on_http, R, err);
	if (R->http == NULL)
		return (-1);
	if (c->judge_endpoint != NULL) {
		const char *eps[1] = { c->judge_endpoint };

		o.endpoints = eps;
		o.n_endpoints = 1;
		o.api_key = c->judge_api_key ? c->judge_api_key : c->api_key;
		o.concurrency = c->judge_concurrency > 0 ?
		    c->judge_concurrency : R->concurrency;
		R->judge = http_new(&o, on_http, R, err);
		if (R->judge == NULL)
			return (-1);
	}
	return (0);
}

/* ------------------------------------------------------------------ */
/* The loop                                                           */

static struct unit *
next_unit(struct run *R)
{
	size_t i;

	for (i = 0; i < R->ntrs; i++) {
		struct task_run *tr = &R->trs[i];

		while (tr->next_unit < tr->nunits) {
			size_t k = tr->next_unit++;
			struct unit *u;

			if (tr->ustate[k] != UNIT_TODO)
				continue;
			u = xcalloc(1, sizeof(*u));
			u->tr = tr;
			u->uidx = k;
			u->sample = k / tr->ncand;
			u->cand = (unsigned)(k % tr->ncand);
			if (tr->t_first == 0)
				tr->t_first = clock_now();
			return (u);
		}
	}
	return (NULL);
}

static void
prom_sample(struct run *R)
{
	size_t i;

	for (i = 0; i < R->nprom; i++)
		promstat_sample(R->prom[i]);
}

/* The servers' own figures, summed over the endpoints. */
static void
prom_summary(const struct run *R, struct promstat_summary *out)
{
	struct promstat_summary one;
	size_t i;
	int f;

	promstat_summary(NULL, out);
	for (i = 0; i < R->nprom; i++) {
		promstat_summary(R->prom[i], &one);
		if (!one.available)
			continue;
		out->available = 1;
		if (out->kind == PS_KIND_UNKNOWN)
			out->kind = one.kind;
		out->samples += one.samples;
		for (f = 0; f < PS_N; f++) {
			if (!isnan(one.delta[f]))
				out->delta[f] = isnan(out->delta[f]) ?
				    one.delta[f] : out->delta[f] + one.delta[f];
			if (!isnan(one.peak[f]))
				out->peak[f] = isnan(out->peak[f]) ?
				    one.peak[f] : out->peak[f] + one.peak[f];
			if (!isnan(one.mean[f]))
				out->mean[f] = isnan(out->mean[f]) ?
				    one.mean[f] : out->mean[f] + one.mean[f];
		}
	}
}

static int
loop(struct run *R, struct strbuf *err)
{
	size_t window = R->nslots;

	for (;;) {
		size_t inflight;

		while (!R->abort && !run_interrupted && R->active < window) {
			struct unit *u = next_unit(R);
			size_t s;

			if (u == NULL)
				break;
			for (s = 0; s < R->nslots && R->slots[s] != NULL; s++)
				;
			u->slot = (int)s;
			R->slots[s] = u;
			R->active++;
			advance(R, u);
			process_ready(R);
			progress(R, 0);
		}
		if (R->active == 0)
			break;
		if (run_interrupted && !R->abort) {
			R->abort = 1;
			strbuf_addf(&R->abort_msg, "interrupted");
		}
		inflight = (R->http ? http_pending(R->http) : 0) +
		    (R->judge ? http_pending(R->judge) : 0) +
		    (R->exec ? exec_pending(R->exec) : 0);
		if (R->abort && (inflight == 0 || run_interrupted))
			break;
		if (inflight == 0 && R->nready == 0) {
			strbuf_addf(err, "internal error: %zu samples wait "
			    "for nothing", R->active);
			return (-1);
		}
		if (R->http != NULL && http_pending(R->http) > 0) {
			if (http_step(R->http, R->judge || R->exec ? 10 : 100,
			    R->exec ? exec_fd(R->exec) : -1, err) != 0)
				return (-1);
		}
		if (R->judge != NULL && http_pending(R->judge) > 0) {
			if (http_step(R->judge, 10, -1, err) != 0)
				return (-1);
		}
		if (R->exec != NULL && exec_pending(R->exec) > 0) {
			if ((R->http == NULL || http_pending(R->http) == 0) &&
			    (R->judge == NULL || http_pending(R->judge) == 0)) {
				struct pollfd pfd;

				pfd.fd = exec_fd(R->exec);
				pfd.events = POLLIN;
				pfd.revents = 0;
				(void)poll(&pfd, 1, 100);
			}
			if (exec_collect(R->exec, on_exec, R, err) != 0)
				return (-1);
		}
		process_ready(R);
		/* A server that cannot be reached answers nothing more:
		 * what is not on the wire (queued, or waiting to retry) is
		 * not sent (--resume asks it), so the run ends as soon as
		 * what is running ends. */
		if (R->abort && R->fatal) {
			if (R->http != NULL)
				http_cancel_waiting(R->http, "not sent: the "
				    "run stopped (the server cannot be "
				    "reached)");
			if (R->judge != NULL)
				http_cancel_waiting(R->judge, "not sent: the "
				    "run stopped (the server cannot be "
				    "reached)");
		}
		progress(R, 0);
		if (R->gpu != NULL && clock_now() - R->last_gpu >= 0.5) {
			gpu_sample(R->gpu);
			R->last_gpu = clock_now();
		}
		if (R->nprom > 0 && clock_now() - R->last_prom >= 2.0) {
			prom_sample(R);
			R->last_prom = clock_now();
		}
	}
	return (0);
}

/* ------------------------------------------------------------------ */

static void
fill_outcome(struct run *R, struct run_outcome *out)
{
	size_t i, m, u;

	out->n_tasks = R->ntrs;
	out->tasks = xcalloc(R->ntrs + 1, sizeof(*out->tasks));
	for (i = 0; i < R->ntrs; i++) {
		struct task_run *tr = &R->trs[i];
		struct run_task_outcome *t = &out->tasks[i];
		size_t prim = 0;
		double sum = 0;
		size_t n = 0;
		int pooled;

		for (m = 0; m < tr->nmetrics; m++)
			if (tr->task->metrics[m].flags & QEVAL_MF_PRIMARY)
				prim = m;
		t->name = xstrdup(tr->task->name);
		t->primary = xstrdup(tr->task->metrics[prim].name);
		t->scale = (tr->task->metrics[prim].flags & QEVAL_MF_SCALE10) ?
		    10.0 : 1.0;
		pooled = (tr->task->metrics[prim].flags &
		    QEVAL_MF_POOLED) != 0;
		for (u = 0; u < tr->nunits; u++) {
			if (tr->ustate[u] != UNIT_SCORED)
				continue;
			t->scored++;
			/* As results.c: a pooled primary averages its
			 * parts' values (FastChat's MT-Bench overall). */
			for (m = 0; m < tr->nmetrics; m++) {
				double v = tr->values[u * tr->nmetrics + m];

				if (pooled ? !(tr->task->metrics[m].flags &
				    QEVAL_MF_POOL_PART) : m != prim)
					continue;
				if (!isnan(v)) {
					sum += v;
					n++;
				}
			}
		}
		t->value = n ? sum / (double)n : NAN;
		t->errors = tr->errors;
		t->unparseable = tr->unparseable;
		t->bad_utf8 = tr->bad_utf8;
		if (tr->errors > 0)
			out->partial = 1;
	}
}

/*
 * What results.json is built from (results.h): the run's measurements
 * and every task's values, as views into R; ri->tasks is malloc'd.
 */
static void
results_input_fill(struct run *R, struct results_input *ri)
{
	size_t i;

	memset(ri, 0, sizeof(*ri));
	ri->cfg = R->cfg;
	ri->started = R->started;
	ri->wall_s = R->t_end - R->t_start;
	measure_to_results(&R->m, ri);
	ri->run_dir = R->run_dir;
	ri->interrupted = R->abort;
	gpu_summary(R->gpu, &ri->gpu);
	prom_summary(R, &ri->server);
	ri->sandbox = R->exec != NULL ? exec_layers(R->exec) : NULL;
	if (R->http != NULL) {
		struct http_stats hs;

		http_get_stats(R->http, &hs);
		ri->requests = (long)hs.requests;
		ri->retries = (long)hs.retries;
		ri->failures = (long)hs.failures;
	}
	ri->ntasks = R->ntrs;
	ri->tasks = xcalloc(R->ntrs + 1, sizeof(*ri->tasks));
	for (i = 0; i < R->ntrs; i++) {
		struct task_run *tr = &R->trs[i];
		struct results_task *t = &ri->tasks[i];

		t->plugin = tr->plugin->desc;
		t->task = tr->task;
		t->count = tr->count;
		t->ncand = tr->ncand;
		/* Log-likelihood tasks sample nothing. */
		t->samp_temp = tr->n_sampled > 0 ? tr->samp_temp : NAN;
		t->nmetrics = tr->nmetrics;
		t->values = tr->values;
		t->vflags = tr->vflags;
		t->ustate = tr->ustate;
		t->ahash = tr->ahash;
		t->category = tr->category;
		t->row = tr->row;
		t->errors = tr->errors;
		t->unparseable = tr->unparseable;
		t->bad_utf8 = tr->bad_utf8;
		t->wall_s = tr->t_last > tr->t_first ?
		    tr->t_last - tr->t_first : 0;
		t->data = R->cfg->data;
		t->chat = tr->chat;
	}
}

int
run_execute(const struct run_cfg *c, struct run_outcome *out,
    struct strbuf *err)
{
	struct run R;
	struct sigaction sa, old_int, old_term;
	size_t i;
	int rc = 1, orc;

	memset(out, 0, sizeof(*out));
	memset(&R, 0, sizeof(R));
	R.cfg = c;
	strbuf_init(&R.abort_msg, 0);
	utc_now(R.started, sizeof(R.started), 0);
	R.concurrency = c->concurrency > 0 ? c->concurrency :
	    c->preset->concurrency;
	if (R.concurrency < 1)
		R.concurrency = 1;
	R.progress = c->progress < 0 ? isatty(2) : c->progress;
	run_interrupted = 0;

	if ((orc = open_tasks(&R, err)) != 0) {
		out->usage = orc == -2;
		goto out;
	}
	/* The executor is forked before any connection is opened and
	 * before anything was asked of the model. */
	if (needs(&R, QEVAL_TF_EXEC) ||
	    (needs(&R, QEVAL_TF_EXEC_OPT) && !c->no_exec)) {
		struct exec_opts eo;

		memset(&eo, 0, sizeof(eo));
		eo.workers = c->exec_workers;
		eo.timeout_s = 3.0;
		if (exec_start(&R.exec, &eo, err) != 0)
			goto out;
	}
	if (needs(&R, QEVAL_TF_JUDGE) && !c->reference && !c->replay_only &&
	    (c->judge_endpoint == NULL || c->judge_model == NULL)) {
		strbuf_addf(err, "a task needs a judge model: pass "
		    "--judge-endpoint URL and --judge-model NAME (any "
		    "OpenAI-compatible server)");
		goto out;
	}
	if (start_clients(&R, err) != 0)
		goto out;
	if (R.http != NULL && needs(&R, QEVAL_TF_LOGLIK)) {
		R.nslots = 1;	/* probe_loglik's id must be out of range */
		if (probe_loglik(&R, err) != 0)
			goto out;
	}
	if (setup_dir(&R, err) != 0)
		goto out;
	/* A window of samples in progress keeps every slot of the client
	 * busy even while some samples wait for code execution. */
	R.nslots = (size_t)R.concurrency * 2 + 16;
	if (R.exec != NULL)
		R.nslots += 64;
	if (c->reference || c->replay_only)
		R.nslots = 64;
	R.slots = xcalloc(R.nslots, sizeof(*R.slots));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	/* GPU figures describe a server beside qeval; the reference model
	 * and rescore use none. */
	if (!c->reference && !c->replay_only) {
		R.gpu = gpu_open(NULL);
		gpu_sample(R.gpu);
		R.last_gpu = clock_now();
		R.prom = xcalloc(c->n_endpoints + 1, sizeof(*R.prom));
		for (i = 0; i < c->n_endpoints; i++)
			R.prom[R.nprom++] = promstat_new(c->endpoints[i],
			    c->api_key);
		prom_sample(&R);
		R.last_prom = clock_now();
	}
	R.t_start = clock_now();
	rc = loop(&R, err);
	R.t_end = clock_now();
	gpu_sample(R.gpu);
	prom_sample(&R);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	progress(&R, 1);
	if (rc != 0) {
		rc = 1;
		goto out;
	}
	if (R.abort)
		strbuf_addf(err, "run stopped: %s; what finished is in the "
		    "journal: rerun the same command with --resume to "
		    "continue", R.abort_msg.buf);
	fill_outcome(&R, out);
	for (i = 0; i < R.ntrs; i++)
		if (R.trs[i].samples != NULL) {
			fclose(R.trs[i].samples);
			R.trs[i].samples = NULL;
		}
	if (R.run_dir != NULL) {
		struct results_input ri;
		struct strbuf warn = STRBUF_INIT;
		char *json;

		results_input_fill(&R, &ri);
		json = results_build(&ri);
		free(ri.tasks);
		if (rundir_write_results(R.run_dir, json, err, &warn) != 0)
			rc = 1;
		else
			rc = R.abort || out->partial ? 1 : 0;
		if (warn.len > 0)
			fprintf(stderr, "qeval: warning: report not written: "
			    "%s\n", warn.buf);
		strbuf_release(&warn);
		free(json);
		out->run_dir = xstrdup(R.run_dir);
	} else
		rc = R.abort || out->partial ? 1 : 0;
	if (R.err_hidden > 0 && !c->quiet)
		fprintf(stderr, "qeval: %zu more failed sample%s not shown "
		    "(errors shown above; each one's is in samples/*.jsonl)\n",
		    R.err_hidden, R.err_hidden == 1 ? "" : "s");
	if (R.m.nrmodels > 0 && !c->quiet && c->model != NULL &&
	    (R.m.nrmodels > 1 || strcmp(R.m.rmodels[0], c->model) != 0))
		fprintf(stderr, "qeval: warning: asked for model '%s'; the "
		    "server's responses name '%s'%s\n", c->model,
		    R.m.rmodels[0], R.m.nrmodels > 1 ? " and others" : "");
	if (R.replayed > 0 && !c->quiet)
		fprintf(stderr, "qeval: %zu answers replayed from the journal "
		    "(not asked again)\n", R.replayed);
	if (out->partial && err->len == 0)
		strbuf_addf(err, "some samples failed; see samples/*.jsonl "
		    "(field \"error\")");
out:
	for (i = 0; i < R.nslots; i++)
		if (R.slots != NULL && R.slots[i] != NULL)
			unit_free(R.slots[i]);
	free(R.slots);
	for (i = 0; i < R.nready; i++)
		ready_free(&R.ready[i]);
	free(R.ready);
	if (R.http)
		http_free(R.http);
	if (R.judge)
		http_free(R.judge);
	if (R.exec)
		exec_stop(R.exec);
	exec_files_free(R.exec_files);
	gpu_close(R.gpu);
	for (i = 0; i < R.nprom; i++)
		promstat_free(R.prom[i]);
	free(R.prom);
	journal_close(R.journal);
	for (i = 0; i < R.ntrs; i++) {
		struct task_run *tr = &R.trs[i];

		if (tr->samples)
			fclose(tr->samples);
		if (tr->opened) {
			plugin_close(tr->plugin, tr->state);
		}
		host_ctx_release(&tr->ctx);
		free(tr->values);
		free(tr->vflags);
		free(tr->ustate);
		free(tr->ahash);
		for (size_t k = 0; tr->category && k < tr->count; k++)
			free(tr->category[k]);
		free(tr->category);
		for (size_t k = 0; tr->row && k < tr->count; k++)
			free(tr->row[k]);
		free(tr->row);
	}
	free(R.trs);
	measure_release(&R.m);
	free(R.run_dir);
	strbuf_release(&R.abort_msg);
	return (rc);
}

void
run_outcome_release(struct run_outcome *o)
{
	size_t i;

	for (i = 0; i < o->n_tasks; i++) {
		free(o->tasks[i].name);
		free(o->tasks[i].primary);
	}
	free(o->tasks);
	free(o->run_dir);
	memset(o, 0, sizeof(*o));
}
