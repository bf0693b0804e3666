/*
 * ifeval: IFEval (Zhou et al. 2023, google-research's
 * instruction_following_eval), scored as lm-evaluation-harness's
 * `ifeval` task scores it.
 *
 * Task:
 *   ifeval   the 541 prompts of ifeval/input_data.jsonl, each as the one
 *            user turn (completion endpoints: the bare prompt), no
 *            stop strings, greedy, at most 1280 new tokens.
 * Metrics: prompt_level_strict_acc (primary), inst_level_strict_acc,
 * prompt_level_loose_acc, inst_level_loose_acc, the share of
 * instructions that could not be scored here, and the strict
 * instruction-level accuracy of each of the nine instruction groups.
 *
 * Instruction-level metrics pool the instructions of all prompts, as
 * lm-eval's agg_inst_level_acc does.  The core averages per-sample
 * values, so a sample's instruction-level value is 1 minus its count of
 * failed instructions times (scored samples / scored instructions): the
 * mean of those is the pooled accuracy (docs/IFEVAL.md).
 *
 * Three checkers of the reference need outside help.  Language
 * detection is langdetect's algorithm in C (ifeval_lang.c) over the
 * langdetect package's own profiles, found where Debian installs them.
 * NLTK's Punkt English model (number_sentences) is not carried, nor are
 * the profiles on a machine without them: those instructions are
 * reported as not scorable, counted, and left out of every metric; a
 * prompt that holds one is left out of the prompt-level metrics.
 * open() says so once, naming the missing parts.
 */
#include "config.h"

#include <assert.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <qeval/plugin.h>

#include "ifeval.h"
#include "qp.h"

#define IFEVAL_MAGIC	0x1feba101u
#define MAX_GEN_TOKS	1280

extern const char *const ife_tb_rules[][2];
extern const size_t ife_ntb;

enum metric {
	M_PSTRICT, M_ISTRICT, M_PLOOSE, M_ILOOSE, M_UNSCORABLE, M_TRUNC,
	M_GROUP0
};

static const char *const files[] = { "ifeval/input_data.jsonl", NULL };

static const struct qeval_metric_desc metrics[] = {
	{ "prompt_level_strict_acc", QEVAL_MF_PRIMARY },
	{ "inst_level_strict_acc", 0 },
	{ "prompt_level_loose_acc", 0 },
	{ "inst_level_loose_acc", 0 },
	{ "not_scorable", QEVAL_MF_RATE | QEVAL_MF_LOWER_BETTER },
	{ "truncated", QEVAL_MF_RATE | QEVAL_MF_LOWER_BETTER },
	{ "inst_level_strict_acc,keywords", 0 },
	{ "inst_level_strict_acc,language", 0 },
	{ "inst_level_strict_acc,length_constraints", 0 },
	{ "inst_level_strict_acc,detectable_content", 0 },
	{ "inst_level_strict_acc,detectable_format", 0 },
	{ "inst_level_strict_acc,combination", 0 },
	{ "inst_level_strict_acc,startend", 0 },
	{ "inst_level_strict_acc,change_case", 0 },
	{ "inst_level_strict_acc,punctuation", 0 },
	{ NULL, 0 }
};

static const struct qeval_task tasks[] = {
	{ "ifeval", "IFEval", "Instruction Following",
	  "lm-evaluation-harness ifeval (0-shot, greedy, 1280 tokens)",
	  files, metrics, 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};

/* ------------------------------------------------------------------ */
/* Loading                                                             */

static void
inst_free(const struct qeval_host *h, struct ife_inst *in)
{
	size_t i;

	for (i = 0; i < in->nwords; i++) {
		free(in->words[i]);
		if (in->rxs != NULL)
			h->rx_free(in->rxs[i]);
	}
	free(in->words);
	free(in->rxs);
	free(in->s);
	if (in->rx != NULL)
		h->rx_free(in->rx);
}

static void
ifeval_close(void *state)
{
	struct ifeval *g = state;
	size_t i, k;

	if (g == NULL)
		return;
	assert(g->magic == IFEVAL_MAGIC);
	for (i = 0; i < g->n; i++) {
		for (k = 0; k < g->items[i].ninst; k++)
			inst_free(g->host, &g->items[i].inst[k]);
		free(g->items[i].inst);
		free(g->items[i].id);
		free(g->items[i].prompt);
	}
	free(g->items);
	g->host->rx_free(g->rx_word);
	g->host->rx_free(g->rx_place);
	g->host->rx_free(g->rx_bul1);
	g->host->rx_free(g->rx_bul2);
	g->host->rx_free(g->rx_hl1);
	g->host->rx_free(g->rx_hl2);
	g->host->rx_free(g->rx_title);
	g->host->rx_free(g->rx_para);
	for (i = 0; g->tb != NULL && i < g->ntb; i++)
		g->host->rx_free(g->tb[i]);
	free(g->tb);
	g->host->rx_free(g->rx_url);
	g->host->rx_free(g->rx_mail);
	ife_lang_free(g->lang);
	qp_buf_free(&g->body);
	qp_buf_free(&g->gold);
	qp_buf_free(&g->detail);
	qp_buf_free(&g->reason);
	qp_buf_free(&g->why);
	qp_buf_free(&g->t1);
	qp_buf_free(&g->t2);
	for (i = 0; i < 8; i++)
		qp_buf_free(&g->var[i]);
	if (g->loc != (locale_t)0)
		freelocale(g->loc);
	g->magic = 0;
	free(g);
}

/* Compiles "(*UCP)" + a + b + c. */
static struct qeval_regex *
compile3(struct ifeval *g, const char *a, const char *b, const char *c,
    uint32_t flags)
{
	struct qp_buf p = QP_BUF_INIT;
	struct qeval_regex *rx = NULL;

	qp_buf_adds(&p, "(*UCP)");
	qp_buf_adds(&p, a);
	qp_buf_adds(&p, b);
	qp_buf_adds(&p, c);
	if (qp_buf_ok(&p))
		rx = g->host->rx_compile(g->ctx, qp_buf_str(&p), flags);
	else
		(void)g->host->fail(g->ctx, QEVAL_ENOMEM, "ifeval: out of "
		    "memory");
	qp_buf_free(&p);
	return (rx);
}

struct load {
	struct ifeval	*g;
	struct qeval_ctx *ctx;
};

/* kwargs[key] as an integer >= 0; -1 if absent or null. */
static int
kw_int(struct load *l, const cJSON *kw, const char *key, const char *where,
    const char *id, long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(kw, key);

	if (v == NULL || cJSON_IsNull(v)) {
		*out = -1;
		return (QEVAL_OK);
	}
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble > 1e9)
		return (l->g->host->fail(l->ctx, QEVAL_EDATA, "%s: %s: "
		    "kwargs key '%s' must be a whole number >= 0", where, id,
		    key));
	*out = (long)v->valuedouble;
	return (QEVAL_OK);
}

static const char *
kw_str(const cJSON *kw, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(kw, key);

	return (cJSON_IsString(v) && v->valuestring[0] != '\0' ?
	    v->valuestring : NULL);
}

static int
need(struct load *l, int ok, const char *where, const char *id,
    const char *what)
{
	if (ok)
		return (QEVAL_OK);
	return (l->g->host->fail(l->ctx, QEVAL_EDATA, "%s: %s: kwargs need "
	    "%s (the reference would draw one at random: qeval refuses to "
	    "guess)", where, id, what));
}

static int
kw_relation(struct load *l, const cJSON *kw, const char *key,
    const char *where, const char *id, int *lt)
{
	const char *r = kw_str(kw, key);

	if (r != NULL && strcmp(r, "less than") == 0)
		*lt = 1;
	else if (r != NULL && strcmp(r, "at least") == 0)
		*lt = 0;
	else
		return (l->g->host->fail(l->ctx, QEVAL_EDATA, "%s: %s: kwargs "
		    "key '%s' must be \"less than\" or \"at least\"", where,
		    id, key));
	return (QEVAL_OK);
}

/* A sorted, de-duplicated copy of kwargs[key] (a list of strings). */
static int
kw_words(struct load *l, const cJSON *kw, const char *key,
    const char *where, const char *id, struct ife_inst *in)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(kw, key), *e;
	size_t n = 0, i, j;

	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
		return (need(l, 0, where, id, key));
	in->words = calloc((size_t)cJSON_GetArraySize(arr),
	    sizeof(*in->words));
	if (in->words == NULL)
		return (l->g->host->fail(l->ctx, QEVAL_ENOMEM, "ifeval: out "
		    "of memory"));
	cJSON_ArrayForEach(e, arr) {
		if (!cJSON_IsString(e) || e->valuestring[0] == '\0')
			return (l->g->host->fail(l->ctx, QEVAL_EDATA, "%s: %s: "
			    "kwargs key '%s' must list non-empty strings",
			    where, id, key));
		for (i = 0; i < n; i++)
			if (strcmp(in->words[i], e->valuestring) == 0)
				break;
		if (i < n)
			continue;
		/* insertion into sorted order (Python's sorted() on
		 * code points is byte order on UTF-8) */
		for (i = 0; i < n && strcmp(in->words[i], e->valuestring) <
		    0; i++)
			;
		for (j = n; j > i; j--)
			in->words[j] = in->words[j - 1];
		in->words[i] = qp_strdup(e->valuestring);
		n++;
		in->nwords = n;
		if (in->words[i] == NULL)
			return (l->g->host->fail(l->ctx, QEVAL_ENOMEM,
			    "ifeval: out of memory"));
	}
	in->nwords = n;
	return (QEVAL_OK);
}

static int
set_s(struct load *l, struct ife_inst *in, const char *v)
{
	in->s = qp_strdup(v);
	if (in->s == NULL)
		return (l->g->host->fail(l->ctx, QEVAL_ENOMEM, "ifeval: out "
		    "of memory"));
	return (QEVAL_OK);
}

/* The text of s with Python's str.strip() applied, into in->s. */
static int
set_stripped(struct load *l, struct ife_inst *in, const char *v)
{
	size_t a, b;

	ife_strip(v, strlen(v), &a, &b);
	in->s = malloc(b - a + 1);
	if (in->s == NULL)
		return (l->g->host->fail(l->ctx, QEVAL_ENOMEM, "ifeval: out "
		    "of memory"));
	memcpy(in->s, v + a, b - a);
	in->s[b - a] = '\0';
	return (QEVAL_OK);
}

static int
parse_inst(struct load *l, const char *id, const cJSON *kw,
    const char *where, struct ife_inst *in)
{
	struct ifeval *g = l->g;
	const char *v;
	size_t i;
	int rc = QEVAL_OK, t;

	for (t = 0; t < T_NTYPES; t++)
		if (strcmp(ife_types[t].id, id) == 0)
			break;
	if (t == T_NTYPES)
		return (g->host->fail(l->ctx, QEVAL_EDATA, "%s: unknown "
		    "instruction id '%s' (IFEval has 25; see docs/IFEVAL.md)",
		    where, id));
	in->type = (enum ife_type)t;
	in->n = -1;
	switch (in->type) {
	case T_KW_EXIST:
	case T_KW_FORBID:
		rc = kw_words(l, kw, t == T_KW_EXIST ? "keywords" :
		    "forbidden_words", where, id, in);
		if (rc != QEVAL_OK)
			return (rc);
		in->rxs = calloc(in->nwords, sizeof(*in->rxs));
		if (in->rxs == NULL)
			return (g->host->fail(l->ctx, QEVAL_ENOMEM, "ifeval: "
			    "out of memory"));
		for (i = 0; i < in->nwords; i++) {
			in->rxs[i] = t == T_KW_EXIST ?
			    compile3(g, "", in->words[i], "",
			    QEVAL_RX_CASELESS) :
			    compile3(g, "\\b", in->words[i], "\\b",
			    QEVAL_RX_CASELESS);
			if (in->rxs[i] == NULL)
				return (QEVAL_EDATA);
		}
		break;
	case T_KW_FREQ:
		v = kw_str(kw, "keyword");
		if ((rc = need(l, v != NULL, where, id, "'keyword'")) ||
		    (rc = set_stripped(l, in, v)) ||
		    (rc = kw_int(l, kw, "frequency", where, id, &in->n)) ||
		    (rc = need(l, in->n > 0, where, id, "'frequency'")) ||
		    (rc = kw_relation(l, kw, "relation", where, id, &in->lt)))
			return (rc);
		in->rx = compile3(g, "", in->s, "", QEVAL_RX_CASELESS);
		if (in->rx == NULL)
			return (QEVAL_EDATA);
		break;
	case T_KW_LETTER: {
		size_t a, b;
		uint32_t c;

		v = kw_str(kw, "letter");
		if ((rc = need(l, v != NULL, where, id, "'letter'")))
			return (rc);
		ife_strip(v, strlen(v), &a, &b);
		if (a == b || ife_u8dec(v, b, a, &c) != b - a)
			return (g->host->fail(l->ctx, QEVAL_EDATA, "%s: %s: "
			    "kwargs 'letter' must be one character", where,
			    id));
		ife_lower(g, v + a, b - a, &g->t1);
		if (qp_buf_str(&g->t1) == NULL || (rc = set_s(l, in,
		    qp_buf_str(&g->t1))))
			return (rc ? rc : g->host->fail(l->ctx, QEVAL_ENOMEM,
			    "ifeval: out of memory"));
		(void)ife_u8dec(in->s, strlen(in->s), 0, &in->letter);
		if ((rc = kw_int(l, kw, "let_frequency", where, id,
		    &in->n)) ||
		    (rc = need(l, in->n > 0, where, id, "'let_frequency'")) ||
		    (rc = kw_relation(l, kw, "let_relation", where, id,
		    &in->lt)))
			return (rc);
		break;
	}
	case T_LANG:
		v = kw_str(kw, "language");
		if ((rc = need(l, v != NULL, where, id, "'language'")) ||
		    (rc = set_s(l, in, v)))
			return (rc);
		break;
	case T_NSENT:
		if ((rc = kw_int(l, kw, "num_sentences", where, id,
		    &in->n)) ||
		    (rc = need(l, in->n > 0, where, id, "'num_sentences'")) ||
		    (rc = kw_relation(l, kw, "relation", where, id, &in->lt)))
			return (rc);
		break;
	case T_NWORDS:
		if ((rc = kw_int(l, kw, "num_words", where, id, &in->n)) ||
		    (rc = need(l, in->n > 0, where, id, "'num_words'")) ||
		    (rc = kw_relation(l, kw, "relation", where, id, &in->lt)))
			return (rc);
		break;
	case T_CAPFREQ:
		if ((rc = kw_int(l, kw, "capital_frequency", where, id,
		    &in->n)) ||
		    (rc = need(l, in->n > 0, where, id,
		    "'capital_frequency'")) ||
		    (rc = kw_relation(l, kw, "capital_relation", where, id,
		    &in->lt)))
			return (rc);
		break;
	case T_NPARA:
	case T_NTHPARA:
		if ((rc = kw_int(l, kw, "num_paragraphs", where, id,
		    &in->n)) ||
		    (rc = need(l, in->n > 0, where, id, "'num_paragraphs'")))
			return (rc);
		if (t == T_NPARA)
			break;
		v = kw_str(kw, "first_word");
		if ((rc = kw_int(l, kw, "nth_paragraph", where, id,
		    &in->nth)) ||
		    (rc = need(l, in->nth > 0 && in->nth <= in->n, where, id,
		    "'nth_paragraph' between 1 and num_paragraphs")) ||
		    (rc = need(l, v != NULL, where, id, "'first_word'")))
			return (rc);
		ife_lower(g, v, strlen(v), &g->t1);
		if (qp_buf_str(&g->t1) == NULL)
			return (g->host->fail(l->ctx, QEVAL_ENOMEM, "ifeval: "
			    "out of memory"));
		return (set_s(l, in, qp_buf_str(&g->t1)));
	case T_PLACEHOLDERS:
		if ((rc = kw_int(l, kw, "num_placeholders", where, id,
		    &in->n)) ||
		    (rc = need(l, in->n > 0, where, id,
		    "'num_placeholders'")))
			return (rc);
		break;
	case T_BULLETS:
		if ((rc = kw_int(l, kw, "num_bullets", where, id, &in->n)) ||
		    (rc = need(l, in->n > 0, where, id, "'num_bullets'")))
			return (rc);
		break;
	case T_HIGHLIGHT:
		if ((rc = kw_int(l, kw, "num_highlights", where, id,
		    &in->n)) ||
		    (rc = need(l, in->n > 0, where, id, "'num_highlights'")))
			return (rc);
		break;
	case T_SECTIONS:
		v = kw_str(kw, "section_spliter");
		if ((rc = need(l, v != NULL, where, id,
		    "'section_spliter'")) ||
		    (rc = set_stripped(l, in, v)) ||
		    (rc = kw_int(l, kw, "num_sections", where, id, &in->n)) ||
		    (rc = need(l, in->n > 0, where, id, "'num_sections'")))
			return (rc);
		in->rx = compile3(g, "\\s?", in->s, "\\s?\\d+\\s?", 0);
		if (in->rx == NULL)
			return (QEVAL_EDATA);
		break;
	case T_POSTSCRIPT:
		v = kw_str(kw, "postscript_marker");
		if ((rc = need(l, v != NULL, where, id,
		    "'postscript_marker'")) ||
		    (rc = set_stripped(l, in, v)))
			return (rc);
		if (strcmp(in->s, "P.P.S") == 0)
			in->rx = compile3(g, "\\s*p\\.\\s?p\\.\\s?s.*$", "",
			    "", QEVAL_RX_MULTILINE);
		else if (strcmp(in->s, "P.S.") == 0)
			in->rx = compile3(g, "\\s*p\\.\\s?s\\..*$", "", "",
			    QEVAL_RX_MULTILINE);
		else {
			ife_lower(g, in->s, strlen(in->s), &g->t1);
			if (qp_buf_str(&g->t1) == NULL)
				return (g->host->fail(l->ctx, QEVAL_ENOMEM,
				    "ifeval: out of memory"));
			in->rx = compile3(g, "\\s*", qp_buf_str(&g->t1),
			    ".*$", QEVAL_RX_MULTILINE);
		}
		if (in->rx == NULL)
			return (QEVAL_EDATA);
		break;
	case T_REPEAT:
		v = kw_str(kw, "prompt_to_repeat");
		if ((rc = need(l, v != NULL, where, id,
		    "'prompt_to_repeat'")) ||
		    (rc = set_s(l, in, v)))
			return (rc);
		break;
	case T_END:
		v = kw_str(kw, "end_phrase");
		if ((rc = need(l, v != NULL, where, id, "'end_phrase'")) ||
		    (rc = set_stripped(l, in, v)))
			return (rc);
		break;
	case T_CONSTRAINED:
	case T_JSON:
	case T_TITLE:
	case T_TWO:
	case T_QUOTE:
	case T_UPPER:
	case T_LOWER:
	case T_NOCOMMA:
	case T_NTYPES:
		break;
	}
	return (rc);
}

static int
load_record(void *arg, const char *json, size_t len, const char *where)
{
	struct load *l = arg;
	struct ifeval *g = l->g;
	const struct qeval_host *h = g->host;
	cJSON *doc = cJSON_ParseWithLength(json, len);
	const cJSON *ids, *kws, *key, *e;
	const char *prompt;
	struct ife_item *it;
	char idbuf[48];
	size_t k;
	int rc = QEVAL_OK;

	if (doc == NULL)
		return (h->fail(l->ctx, QEVAL_EDATA, "%s: invalid JSON",
		    where));
	key = cJSON_GetObjectItemCaseSensitive(doc, "key");
	prompt = qp_json_str(doc, "prompt");
	ids = qp_json_arr(doc, "instruction_id_list");
	kws = qp_json_arr(doc, "kwargs");
	if (!cJSON_IsNumber(key) || prompt == NULL || ids == NULL ||
	    kws == NULL || cJSON_GetArraySize(ids) !=
	    cJSON_GetArraySize(kws) || cJSON_GetArraySize(ids) == 0) {
		rc = h->fail(l->ctx, QEVAL_EDATA, "%s: the record needs "
		    "'key' (a number), 'prompt', and 'instruction_id_list' "
		    "and 'kwargs' lists of one length (is this IFEval's "
		    "input_data.jsonl?)", where);
		goto out;
	}
	if (g->n == g->alloc) {
		size_t na = g->alloc ? g->alloc * 2 : 600;
		struct ife_item *nv = realloc(g->items, na * sizeof(*nv));

		if (nv == NULL) {
			rc = h->fail(l->ctx, QEVAL_ENOMEM, "ifeval: out of "
			    "memory");
			goto out;
		}
		g->items = nv;
		g->alloc = na;
	}
	it = &g->items[g->n];
	memset(it, 0, sizeof(*it));
	snprintf(idbuf, sizeof(idbuf), "ifeval/%.0f", key->valuedouble);
	it->id = qp_strdup(idbuf);
	it->prompt = qp_strdup(prompt);
	it->inst = calloc((size_t)cJSON_GetArraySize(ids),
	    sizeof(*it->inst));
	g->n++;
	if (it->id == NULL || it->prompt == NULL || it->inst == NULL) {
		rc = h->fail(l->ctx, QEVAL_ENOMEM, "ifeval: out of memory");
		goto out;
	}
	k = 0;
	cJSON_ArrayForEach(e, ids) {
		const cJSON *kw = cJSON_GetArrayItem(kws, (int)k);

		if (!cJSON_IsString(e) || !cJSON_IsObject(kw)) {
			rc = h->fail(l->ctx, QEVAL_EDATA, "%s: "
			    "instruction_id_list[%zu] must be a string and "
			    "kwargs[%zu] an object", where, k, k);
			goto out;
		}
		it->ninst = k + 1;
		rc = parse_inst(l, e->valuestring, kw, where, &it->inst[k]);
		if (rc != QEVAL_OK)
			goto out;
		k++;
	}
out:
	cJSON_Delete(doc);
	return (rc);
}

/*
 * Prompts no answer can follow strictly: the text that must open the
 * answer (combination:repeat_prompt) already breaks an instruction that
 * more text cannot mend (a comma, a letter or keyword already used too
 * often; a forbidden word not at the very end, where more letters could
 * still turn it into another word).  Returns how many there are.
 */
static size_t
conflicts(struct ifeval *g)
{
	size_t i, k, r, n = 0;

	for (i = 0; i < g->count; i++) {
		struct ife_item *it = &g->items[i];

		it->conflict = -1;
		for (r = 0; r < it->ninst; r++)
			if (it->inst[r].type == T_REPEAT)
				break;
		if (r == it->ninst)
			continue;
		for (k = 0; k < it->ninst && it->conflict < 0; k++) {
			const struct ife_inst *in = &it->inst[k];
			const char *p = it->inst[r].s;
			size_t len = strlen(p);
			size_t a, b;

			ife_strip(p, len, &a, &b);
			if (!((in->type == T_NOCOMMA) ||
			    (in->type == T_KW_FREQ && in->lt) ||
			    (in->type == T_KW_LETTER && in->lt) ||
			    in->type == T_KW_FORBID))
				continue;
			qp_buf_reset(&g->why);
			/* the forbidden word must not end the text */
			if (in->type == T_KW_FORBID)
				b = b > 0 ? b - 1 : b;
			if (ife_check(g, it, in, p + a, b - a, &g->why) ==
			    R_NO)
				it->conflict = (int)k;
		}
		n += it->conflict >= 0;
	}
	return (n);
}

/* Weights: see the comment at the top and docs/IFEVAL.md. */
static void
weights(struct ifeval *g, size_t *unscorable)
{
	size_t s_inst = 0, t_inst = 0, t_all = 0, u = 0;
	size_t s_grp[G_NGROUPS] = { 0 }, t_grp[G_NGROUPS] = { 0 };
	size_t i, k, gr;

	for (i = 0; i < g->count; i++) {
		struct ife_item *it = &g->items[i];
		size_t have = 0, hg[G_NGROUPS] = { 0 };

		it->scorable = 1;
		for (k = 0; k < it->ninst; k++) {
			const struct ife_type_desc *d =
			    &ife_types[it->inst[k].type];

			t_all++;
			if (d->needs & g->missing) {
				it->scorable = 0;
				u++;
				continue;
			}
			have++;
			hg[d->group]++;
		}
		t_inst += have;
		s_inst += have > 0;
		for (gr = 0; gr < G_NGROUPS; gr++) {
			t_grp[gr] += hg[gr];
			s_grp[gr] += hg[gr] > 0;
		}
	}
	g->w_inst = t_inst ? (double)s_inst / (double)t_inst : 0;
	g->w_unsc = t_all ? (double)g->count / (double)t_all : 0;
	for (gr = 0; gr < G_NGROUPS; gr++)
		g->w_grp[gr] = t_grp[gr] ? (double)s_grp[gr] /
		    (double)t_grp[gr] : 0;
	*unscorable = u;
}

/*
 * langdetect's data: task option langdetect_dir=DIR (an error if it is
 * not there), else where Debian's or Fedora's python3-langdetect puts
 * it; langdetect=off does without (the instructions that need it are
 * then not scorable, as when the data is missing).
 */
static int
open_langdetect(struct ifeval *g, const struct qeval_host *h,
    struct qeval_ctx *ctx)
{
	static const char *const defaults[] = {
		"/usr/lib/python3/dist-packages/langdetect",
		"/usr/local/lib/python3/dist-packages/langdetect",
		"/usr/lib/python3*/site-packages/langdetect",
		"/usr/local/lib/python3*/site-packages/langdetect", NULL
	};
	const char *opt = h->opt(ctx, "langdetect_dir");
	const char *off = h->opt(ctx, "langdetect");
	struct qp_buf err = QP_BUF_INIT;
	size_t i, k;

	if (off != NULL && strcmp(off, "off") != 0 && strcmp(off, "on") != 0)
		return (h->fail(ctx, QEVAL_EINVAL, "ifeval: task option "
		    "langdetect=%s: use on or off", off));
	if (off != NULL && strcmp(off, "off") == 0)
		return (QEVAL_OK);
	for (i = 0; opt == NULL && defaults[i] != NULL && g->lang == NULL;
	    i++) {
		glob_t gl;

		if (glob(defaults[i], 0, NULL, &gl) != 0)
			continue;
		for (k = 0; k < gl.gl_pathc && g->lang == NULL; k++) {
			qp_buf_reset(&err);
			g->lang = ife_lang_open(gl.gl_pathv[k], &err);
		}
		globfree(&gl);
	}
	if (opt != NULL && (g->lang = ife_lang_open(opt, &err)) == NULL) {
		int rc = h->fail(ctx, QEVAL_ENOENT, "ifeval: task option "
		    "langdetect_dir=%s: %s (point it at the langdetect "
		    "package's directory, the one holding profiles/ and "
		    "utils/messages.properties)", opt, qp_buf_str(&err) ?
		    qp_buf_str(&err) : "out of memory");

		qp_buf_free(&err);
		return (rc);
	}
	qp_buf_free(&err);
	if (g->lang == NULL)
		return (QEVAL_OK);
	g->rx_url = compile3(g, "https?://[-_.?&~;+=/#0-9A-Za-z]{1,2076}",
	    "", "", 0);
	g->rx_mail = compile3(g, "[-_.0-9A-Za-z]{1,64}@[-_0-9A-Za-z]{1,255}",
	    "[-_.0-9A-Za-z]{1,255}", "", 0);
	if (g->rx_url == NULL || g->rx_mail == NULL)
		return (QEVAL_EINTERNAL);
	g->missing &= ~(unsigned)NEED_LANGDETECT;
	return (QEVAL_OK);
}

static int
ifeval_open(const struct qeval_host *h, struct qeval_ctx *ctx,
    const struct qeval_task *task, const struct qeval_opts *opts,
    void **statep)
{
	struct ifeval *g;
	struct load l;
	size_t i, unscorable, nconf;
	int rc;

	(void)task;
	*statep = NULL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return (h->fail(ctx, QEVAL_ENOMEM, "ifeval: cannot allocate "
		    "state"));
	g->magic = IFEVAL_MAGIC;
	g->host = h;
	g->ctx = ctx;
	g->chat = opts->chat;
	g->loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (g->loc == (locale_t)0)
		h->log(ctx, QEVAL_LOG_WARN, "the C.UTF-8 locale is missing: "
		    "letter case outside ASCII is not recognised");
	g->missing = NEED_PUNKT | NEED_LANGDETECT;
	rc = open_langdetect(g, h, ctx);
	if (rc != QEVAL_OK)
		goto fail;
	g->rx_word = compile3(g, "\\w+", "", "", 0);
	g->rx_place = compile3(g, "\\[.*?\\]", "", "", 0);
	g->rx_bul1 = compile3(g, "^\\s*\\*[^\\*].*$", "", "",
	    QEVAL_RX_MULTILINE);
	g->rx_bul2 = compile3(g, "^\\s*-.*$", "", "", QEVAL_RX_MULTILINE);
	g->rx_hl1 = compile3(g, "\\*[^\\n\\*]*\\*", "", "", 0);
	g->rx_hl2 = compile3(g, "\\*\\*[^\\n\\*]*\\*\\*", "", "", 0);
	g->rx_title = compile3(g, "<<[^\\n]+>>", "", "", 0);
	g->rx_para = compile3(g, "\\s?\\*\\*\\*\\s?", "", "", 0);
	g->tb = calloc(ife_ntb, sizeof(*g->tb));
	if (g->rx_word == NULL || g->rx_place == NULL || g->rx_bul1 == NULL ||
	    g->rx_bul2 == NULL || g->rx_hl1 == NULL || g->rx_hl2 == NULL ||
	    g->rx_title == NULL || g->rx_para == NULL || g->tb == NULL) {
		rc = g->tb == NULL ? h->fail(ctx, QEVAL_ENOMEM, "ifeval: out "
		    "of memory") : QEVAL_EINTERNAL;
		goto fail;
	}
	g->ntb = ife_ntb;
	for (i = 0; i < ife_ntb; i++)
		if ((g->tb[i] = compile3(g, ife_tb_rules[i][0], "", "",
		    0)) == NULL) {
			rc = QEVAL_EINTERNAL;
			goto fail;
		}
	l.g = g;
	l.ctx = ctx;
	rc = h->records(ctx, files[0], load_record, &l);
	if (rc != QEVAL_OK)
		goto fail;
	if (g->n == 0) {
		rc = h->fail(ctx, QEVAL_EDATA, "%s holds no records",
		    files[0]);
		goto fail;
	}
	g->count = opts->limit > 0 && opts->limit < g->n ? opts->limit :
	    g->n;
	weights(g, &unscorable);
	nconf = conflicts(g);
	if (nconf > 0)
		h->log(ctx, QEVAL_LOG_INFO, "%zu prompts cannot be followed "
		    "strictly by any answer: the request to repeat already "
		    "breaks another of their instructions (scored as the "
		    "reference scores them; docs/IFEVAL.md)", nconf);
	if (unscorable > 0)
		h->log(ctx, QEVAL_LOG_WARN, "%zu instructions are not "
		    "scorable here and are left out of every metric (prompts "
		    "holding one are left out of the prompt-level ones): %s%s%s"
		    " (docs/IFEVAL.md)", unscorable, g->missing & NEED_PUNKT ?
		    "length_constraints:number_sentences needs NLTK's Punkt "
		    "English model, which qeval does not carry" : "",
		    (g->missing & NEED_PUNKT) && (g->missing &
		    NEED_LANGDETECT) ? "; " : "", g->missing &
		    NEED_LANGDETECT ? "language:response_language and "
		    "change_case:english_capital/english_lowercase need "
		    "langdetect's data (Debian's python3-langdetect, or task "
		    "option langdetect_dir=DIR)" : "");
	if (g->lang != NULL)
		h->log(ctx, QEVAL_LOG_INFO, "langdetect's profiles found: "
		    "language checks on (seeded with 0)");
	*statep = g;
	return (QEVAL_OK);
fail:
	ifeval_close(g);
	return (rc);
}

static size_t
ifeval_count(void *state)
{
	struct ifeval *g = state;

	assert(g != NULL && g->magic == IFEVAL_MAGIC);
	return (g->count);
}

static const char *
ifeval_sample_id(void *state, size_t i)
{
	struct ifeval *g = state;

	assert(g != NULL && g->magic == IFEVAL_MAGIC && i < g->n);
	return (g->items[i].id);
}

static int
ifeval_next(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_request *req)
{
	struct ifeval *g = state;
	int first = 1;

	assert(g != NULL && g->magic == IFEVAL_MAGIC);
	(void)cand;
	(void)ex;
	if (i >= g->n)
		return (g->host->fail(ctx, QEVAL_EINVAL, "ifeval: no sample "
		    "%zu", i));
	if (nex > 0)
		return (QEVAL_DONE);
	qp_buf_reset(&g->body);
	if (g->chat) {
		req->kind = QEVAL_REQ_CHAT;
		qp_buf_adds(&g->body, "{\"messages\":[");
		qp_buf_chat_message(&g->body, &first, "user",
		    g->items[i].prompt);
		qp_buf_adds(&g->body, "]}");
	} else {
		req->kind = QEVAL_REQ_COMPLETION;
		qp_buf_adds(&g->body, "{\"prompt\":");
		qp_buf_json_str(&g->body, g->items[i].prompt);
		qp_buf_adds(&g->body, "}");
	}
	if (!qp_buf_ok(&g->body))
		return (g->host->fail(ctx, QEVAL_ENOMEM, "ifeval: out of "
		    "memory"));
	req->body = qp_buf_str(&g->body);
	req->temperature = 0.0;
	req->max_tokens = MAX_GEN_TOKS;
	req->label = "answer";
	return (QEVAL_NEXT);
}

static const char *
res_json(int r)
{
	return (r == R_YES ? "true" : r == R_NO ? "false" : "null");
}

static int
ifeval_score(void *state, struct qeval_ctx *ctx, size_t i, unsigned cand,
    const struct qeval_exchange *ex, size_t nex, struct qeval_verdict *out)
{
	struct ifeval *g = state;
	const struct ife_item *it;
	const char *text;
	int strict[64], loose[64];
	size_t k, ns = 0, nl = 0, nsc = 0, nun = 0, gr;
	size_t gy[G_NGROUPS] = { 0 }, gn[G_NGROUPS] = { 0 };
	int first_fail = 1;

	assert(g != NULL && g->magic == IFEVAL_MAGIC);
	(void)cand;
	g->ctx = ctx;
	if (i >= g->n || nex < 1)
		return (g->host->fail(ctx, QEVAL_EINTERNAL, "ifeval: sample "
		    "%zu scored without an answer", i));
	it = &g->items[i];
	if (it->ninst > 64)
		return (g->host->fail(ctx, QEVAL_EDATA, "ifeval: %s has "
		    "more than 64 instructions", it->id));
	text = ex[0].resp.text != NULL ? ex[0].resp.text : "";
	if (ife_score(g, it, text, strict, loose) != 0)
		return (g->host->fail(ctx, QEVAL_ENOMEM, "ifeval: out of "
		    "memory scoring %s", it->id));
	qp_buf_reset(&g->detail);
	qp_buf_reset(&g->reason);
	qp_buf_adds(&g->detail, "{\"instructions\":[");
	for (k = 0; k < it->ninst; k++) {
		const struct ife_inst *in = &it->inst[k];
		const char *id = ife_types[in->type].id;
		size_t a, b;

		/* the strict "why", measured on the response itself */
		qp_buf_reset(&g->why);
		ife_strip(text, strlen(text), &a, &b);
		if (a == b)
			qp_buf_adds(&g->why, "empty response");
		else if (ife_check(g, it, in, text, strlen(text), &g->why)
		    == R_ERR)
			return (g->host->fail(ctx, QEVAL_ENOMEM, "ifeval: "
			    "out of memory scoring %s", it->id));
		if (ife_types[in->type].needs & g->missing) {
			qp_buf_adds(&g->why, ife_types[in->type].needs &
			    NEED_PUNKT ? " (not scorable: needs NLTK's Punkt "
			    "English model)" : " (not scorable: needs "
			    "langdetect)");
			nun++;
		} else {
			nsc++;
			ns += strict[k] == R_YES;
			nl += loose[k] == R_YES;
			gn[ife_types[in->type].group]++;
			gy[ife_types[in->type].group] += strict[k] == R_YES;
			if (strict[k] != R_YES) {
				qp_buf_adds(&g->reason, first_fail ?
				    "; failed: " : "; ");
				qp_buf_addf(&g->reason, "%s (%s)", id,
				    qp_buf_str(&g->why) ?
				    qp_buf_str(&g->why) : "");
				first_fail = 0;
			}
		}
		qp_buf_adds(&g->detail, k ? ",{\"id\":" : "{\"id\":");
		qp_buf_json_str(&g->detail, id);
		qp_buf_addf(&g->detail, ",\"strict\":%s,\"loose\":%s,"
		    "\"why\":", res_json(strict[k]), res_json(loose[k]));
		qp_buf_json_str(&g->detail, qp_buf_str(&g->why) ?
		    qp_buf_str(&g->why) : "");
		qp_buf_adds(&g->detail, "}");
	}
	qp_buf_adds(&g->detail, "]}");
	out->values[M_PSTRICT] = it->scorable ? (ns == nsc ? 1.0 : 0.0) :
	    NAN;
	out->values[M_PLOOSE] = it->scorable ? (nl == nsc ? 1.0 : 0.0) :
	    NAN;
	/* 1 - failed x S/T: the mean over samples is the pooled
	 * accuracy, and a sample that follows everything reads 1 */
	out->values[M_ISTRICT] = nsc ? 1.0 - (double)(nsc - ns) * g->w_inst :
	    NAN;
	out->values[M_ILOOSE] = nsc ? 1.0 - (double)(nsc - nl) * g->w_inst :
	    NAN;
	out->values[M_UNSCORABLE] = (double)nun * g->w_unsc;
	out->values[M_TRUNC] = 0.0;
	for (gr = 0; gr < G_NGROUPS; gr++)
		out->values[M_GROUP0 + gr] = gn[gr] ? 1.0 -
		    (double)(gn[gr] - gy[gr]) * g->w_grp[gr] : NAN;
	if (ex[0].resp.finish_reason != NULL &&
	    strcmp(ex[0].resp.finish_reason, "length") == 0) {
		out->flags |= QEVAL_VF_TRUNCATED;
		out->values[M_TRUNC] = 1.0;
	}
	qp_buf_reset(&g->body);
	qp_buf_addf(&g->body, "%zu/%zu instructions followed (strict), "
	    "%zu/%zu (loose)", ns, nsc, nl, nsc);
	if (nun > 0)
		qp_buf_addf(&g->body, ", %zu not scorable", nun);
	if (it->conflict >= 0)
		qp_buf_addf(&g->body, "; no answer can follow it strictly: "
		    "the request to repeat already breaks %s",
		    ife_types[it->inst[it->conflict].type].id);
	qp_buf_adds(&g->body, qp_buf_str(&g->reason) ?
	    qp_buf_str(&g->reason) : "");
	if (!qp_buf_ok(&g->detail) || !qp_buf_ok(&g->body) ||
	    !qp_buf_ok(&g->reason))
		return (g->host->fail(ctx, QEVAL_ENOMEM, "ifeval: out of "
		    "memory scoring %s", it->id));
	out->reason = qp_buf_str(&g->body);
	out->detail = qp_buf_str(&g->detail);
	out->extracted = NULL;
	out->category = NULL;
	return (QEVAL_OK);
}

/* 1 if text breaks a scorable instruction of it in loose mode (and so
 * in strict mode too). */
static int
breaks_one(struct ifeval *g, const struct ife_item *it, const char *text)
{
	int strict[64], loose[64];
	size_t k;

	if (it->ninst > 64 || ife_score(g, it, text, strict, loose) != 0)
		return (0);
	for (k = 0; k < it->ninst; k++)
		if (loose[k] == R_NO && strict[k] == R_NO)
			return (1);
	return (0);
}

static int
ifeval_gold(void *state, struct qeval_ctx *ctx, size_t i,
    const struct qeval_exchange *ex, size_t nex,
    const struct qeval_request *req, int corrupt, struct qeval_gold *out)
{
	struct ifeval *g = state;
	const struct ife_item *it;
	size_t k;

	assert(g != NULL && g->magic == IFEVAL_MAGIC);
	(void)ex;
	(void)nex;
	(void)req;
	g->ctx = ctx;
	if (i >= g->n)
		return (g->host->fail(ctx, QEVAL_EINVAL, "ifeval: no sample "
		    "%zu", i));
	it = &g->items[i];
	if (!corrupt) {
		if (ife_compose(g, it, -1, &g->gold) != 0)
			return (g->host->fail(ctx, QEVAL_ENOMEM, "ifeval: "
			    "out of memory"));
		out->text = qp_buf_str(&g->gold);
		return (QEVAL_OK);
	}
	/* Break one instruction; the empty answer breaks them all. */
	for (k = 0; k < it->ninst; k++) {
		if (ife_compose(g, it, (int)k, &g->gold) != 0)
			return (g->host->fail(ctx, QEVAL_ENOMEM, "ifeval: "
			    "out of memory"));
		if (breaks_one(g, it, qp_buf_str(&g->gold))) {
			out->text = qp_buf_str(&g->gold);
			return (QEVAL_OK);
		}
	}
	out->text = "";
	return (QEVAL_OK);
}

static const struct qeval_option options[] = {
	{ "langdetect", QEVAL_OPT_ENUM, "on", "language checks with "
	  "langdetect's profiles (off: those instructions are not scorable)",
	  "on|off", NULL },
	{ "langdetect_dir", QEVAL_OPT_STRING, NULL, "the langdetect package "
	  "directory (default: Debian's python3-langdetect)", NULL, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL }
};

QEVAL_EXPORT const struct qeval_plugin qeval_plugin = {
	QEVAL_ABI_HEADER(struct qeval_plugin),
	.flags = QEVAL_PF_NONE,
	.name = "ifeval",
	.version = PACKAGE_VERSION,
	.summary = "IFEval: lm-evaluation-harness ifeval (instruction "
	    "following)",
	.tasks = tasks,
	.open = ifeval_open,
	.count = ifeval_count,
	.sample_id = ifeval_sample_id,
	.next = ifeval_next,
	.score = ifeval_score,
	.gold = ifeval_gold,
	.close = ifeval_close,
	.options = options,
};
