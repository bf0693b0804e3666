/*
 * ifeval_gold: the reference model's answers for IFEval.  IFEval ships
 * no reference responses, so one is written per prompt from its
 * instructions' keyword arguments: filler sentences plus whatever each
 * instruction asks for (a title, n bullet points, a postscript, ...),
 * shaped so that every instruction holds at once.  The corrupted answer
 * is the same plan with one instruction turned around (the keyword left
 * out, one bullet too many, commas added ...), placed in the middle
 * lines so that loose mode cannot rescue it either.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ifeval.h"

static const char *const vocab[] = {
	"calm", "river", "stone", "bright", "quiet", "garden", "morning",
	"light", "path", "open", "field", "blue", "warm", "wind", "old",
	"town", "simple", "plan", "good", "day", "lucky", "bird", "song",
	"hill", "fog", "mud", "jump", "fun", "dog", "sun", "box", "ivy",
	"owl", "kid", "hut", "wax", "sky", "gym", "dry", "fly", "shy",
	"myth", "lynx", "hymn", "crypt", "rhythm", "pop", "zoo", "bonbon",
	"kiwi", "tutu", "puppy", "vivid", "cocoa", "radar", NULL
};

static const char *const vocab_en[] = {
	"the", "that", "this", "with", "which", "there", "their", "would",
	"about", "these", "other", "should", "through", "where", "when",
	"what", "have", "from", "they", "will", "been", "into", "more",
	"some", "than", "them", "then", "very", "just", "only", NULL
};

#define MAXW	64
#define MAXV	64

struct plan {
	const char	*repeat;
	int		 quote, json, two, upper, lower, title, constrained;
	int		 commas;		/* break no_comma */
	long		 sections;
	const char	*splitter;
	long		 paras;			/* paragraphs */
	int		 star;			/* separated by *** */
	long		 nth;
	const char	*first_word;
	long		 bullets, highlights, placeholders;
	const char	*ps;
	const char	*end;
	const char	*kw[MAXW];		/* words to include ... */
	long		 kw_times[MAXW];	/* ... this many times */
	size_t		 nkw;
	const char	*avoid[MAXW];		/* no filler word may hold */
	size_t		 navoid;
	uint32_t	 letter_add, letter_avoid;
	const char	*letter_s;
	long		 letter_times;
	long		 caps, words_min, words_max, sent_min;
	int		 cap_avoid;
	int		 lean;		/* one-word sentences */
	const char	*vocab[MAXV];		/* filler words, or vocab[] */
	size_t		 nvocab;
	const char	*lang;			/* response_language */
	int		 english;		/* english_capital/lowercase */
	/* violations that go in the middle lines */
	const char	*mid_kw;
	long		 mid_kw_times;
	long		 mid_caps;
	const char	*mid_letter;
	long		 mid_letter_times;
};

static int
has_ci(const char *hay, const char *needle)
{
	size_t i, j, hl = strlen(hay), nl = strlen(needle);

	for (i = 0; nl > 0 && i + nl <= hl; i++) {
		for (j = 0; j < nl; j++) {
			char a = hay[i + j], b = needle[j];

			if (a >= 'A' && a <= 'Z')
				a = (char)(a + 32);
			if (b >= 'A' && b <= 'Z')
				b = (char)(b + 32);
			if (a != b)
				break;
		}
		if (j == nl)
			return (1);
	}
	return (0);
}

static int
word_ok(const struct plan *p, const char *w)
{
	size_t i;

	for (i = 0; i < p->navoid; i++)
		if (has_ci(w, p->avoid[i]) || has_ci(p->avoid[i], w))
			return (0);
	if (p->letter_avoid != 0 && p->letter_avoid < 0x80 &&
	    strchr(w, (int)p->letter_avoid) != NULL)
		return (0);
	return (1);
}

/* The k-th filler word allowed by the plan. */
static const char *
filler(const struct plan *p, size_t k)
{
	size_t n = 0, i;
	const char *ok[64];

	for (i = 0; i < p->nvocab && n < 64; i++)
		if (word_ok(p, p->vocab[i]))
			ok[n++] = p->vocab[i];
	for (i = 0; p->nvocab == 0 && vocab[i] != NULL && n < 64; i++)
		if (word_ok(p, vocab[i]))
			ok[n++] = vocab[i];
	if (n == 0)
		return ("zzz");
	return (ok[k % n]);
}

/* One filler sentence of `nw` words, the first one capitalised. */
static void
sentence(struct qp_buf *b, const struct plan *p, size_t *k, size_t nw)
{
	size_t i;

	if (p->lean)
		nw = 1;
	for (i = 0; i < nw; i++) {
		const char *w = filler(p, (*k)++);

		if (i > 0)
			qp_buf_adds(b, p->commas && i == 1 ? ", " : " ");
		if (i == 0 && w[0] >= 'a' && w[0] <= 'z') {
			qp_buf_addf(b, "%c", w[0] - 32);
			qp_buf_adds(b, w + 1);
		} else
			qp_buf_adds(b, w);
	}
	qp_buf_adds(b, ".");
}

static void
add_avoid(struct plan *p, const char *w)
{
	if (p->navoid < MAXW)
		p->avoid[p->navoid++] = w;
}

static void
add_kw(struct plan *p, const char *w, long times)
{
	if (p->nkw < MAXW) {
		p->kw[p->nkw] = w;
		p->kw_times[p->nkw++] = times;
	}
}

/* The plan for item it, instruction v turned around (v < 0: none). */
static void
make_plan(const struct ife_item *it, int v, struct plan *p)
{
	size_t k, w;

	memset(p, 0, sizeof(*p));
	p->paras = 2;
	p->bullets = -1;
	for (k = 0; k < it->ninst; k++) {
		const struct ife_inst *in = &it->inst[k];
		int bad = (int)k == v;

		switch (in->type) {
		case T_KW_EXIST:
			for (w = 0; w < in->nwords; w++) {
				if (bad)
					add_avoid(p, in->words[w]);
				else
					add_kw(p, in->words[w], 1);
			}
			break;
		case T_KW_FREQ:
			add_avoid(p, in->s);
			if (in->lt == bad) {
				if (bad) {
					p->mid_kw = in->s;
					p->mid_kw_times = in->n + 2;
				} else
					add_kw(p, in->s, in->n);
			}
			break;
		case T_KW_FORBID:
			for (w = 0; w < in->nwords; w++)
				add_avoid(p, in->words[w]);
			if (bad) {
				p->mid_kw = in->words[0];
				p->mid_kw_times = 2;
			}
			break;
		case T_KW_LETTER:
			if (in->lt == bad) {
				if (bad) {
					p->mid_letter = in->s;
					p->mid_letter_times = in->n + 2;
				} else {
					p->letter_s = in->s;
					p->letter_times = in->n;
				}
			}
			if (in->lt || bad)
				p->letter_avoid = in->letter;
			break;
		case T_NSENT:
			if (!in->lt)
				p->sent_min = in->n;
			break;
		case T_NPARA:
			p->paras = bad ? in->n + 3 : in->n;
			p->star = 1;
			break;
		case T_NWORDS:
			if (in->lt != bad)
				p->words_max = in->n;
			else
				p->words_min = bad ? in->n + 20 : in->n;
			break;
		case T_NTHPARA:
			p->paras = in->n;
			p->nth = in->nth;
			p->first_word = bad ? "xyzzy" : in->s;
			break;
		case T_PLACEHOLDERS:
			p->placeholders = bad ? 0 : in->n;
			break;
		case T_POSTSCRIPT:
			p->ps = bad ? NULL : in->s;
			break;
		case T_BULLETS:
			p->bullets = bad ? in->n + 2 : in->n;
			break;
		case T_CONSTRAINED:
			p->constrained = !bad;
			break;
		case T_HIGHLIGHT:
			p->highlights = bad ? 0 : in->n;
			break;
		case T_SECTIONS:
			p->sections = bad ? 0 : in->n;
			p->splitter = in->s;
			break;
		case T_JSON:
			p->json = !bad;
			break;
		case T_TITLE:
			p->title = !bad;
			break;
		case T_TWO:
			p->two = !bad;
			break;
		case T_REPEAT:
			p->repeat = bad ? NULL : in->s;
			break;
		case T_END:
			p->end = bad ? NULL : in->s;
			break;
		case T_QUOTE:
			p->quote = !bad;
			break;
		case T_CAPFREQ:
			if (in->lt == bad) {
				if (bad)
					p->mid_caps = in->n + 3;
				else
					p->caps = in->n;
			} else
				p->cap_avoid = 1;
			break;
		case T_UPPER:
			p->upper = 1;
			p->english = 1;
			break;
		case T_LOWER:
			p->lower = 1;
			p->english = 1;
			break;
		case T_NOCOMMA:
			p->commas = bad;
			break;
		case T_LANG:
			p->lang = in->s;
			break;
		case T_NTYPES:
			break;
		}
	}
}

/* Filler words in the answer's language: English words, or the
 * language's own n-grams when response_language asks for another. */
static void
plan_vocab(struct ifeval *g, struct plan *p, struct qp_buf *words)
{
	size_t i;
	char *w, *save = NULL;

	if (p->lang != NULL && strcmp(p->lang, "en") != 0 &&
	    g->lang != NULL && ife_lang_words(g->lang, p->lang, 40,
	    words) == 0 && words->buf != NULL) {
		for (w = strtok_r(words->buf, " ", &save); w != NULL &&
		    p->nvocab < MAXV; w = strtok_r(NULL, " ", &save))
			p->vocab[p->nvocab++] = w;
	} else if (p->english || (p->lang != NULL &&
	    strcmp(p->lang, "en") == 0))
		for (i = 0; vocab_en[i] != NULL && p->nvocab < MAXV; i++)
			p->vocab[p->nvocab++] = vocab_en[i];
}

/* The lines that carry the instructions' items, for paragraph 0. */
static void
items(struct qp_buf *b, const struct plan *p, size_t *wk)
{
	long i;
	size_t k;

	if (p->title) {
		qp_buf_addf(b, "<<%s %s>>\n", filler(p, *wk),
		    filler(p, *wk + 1));
		*wk += 2;
	}
	if (p->constrained)
		qp_buf_adds(b, "My answer is yes.\n");
	for (i = 0; i < p->sections; i++) {
		qp_buf_addf(b, "%s %ld\n", p->splitter, i + 1);
		sentence(b, p, wk, 4);
		qp_buf_adds(b, "\n");
	}
	if (p->bullets > 0) {
		for (i = 0; i < p->bullets; i++) {
			qp_buf_addf(b, "* %s %s\n", filler(p, *wk),
			    filler(p, *wk + 1));
			*wk += 2;
		}
	}
	if (p->highlights > 0) {
		qp_buf_adds(b, filler(p, (*wk)++));
		for (i = 0; i < p->highlights; i++) {
			qp_buf_addf(b, " *%s %s*", filler(p, *wk),
			    filler(p, *wk + 1));
			*wk += 2;
		}
		qp_buf_adds(b, "\n");
	}
	if (p->placeholders > 0) {
		qp_buf_adds(b, filler(p, (*wk)++));
		for (i = 0; i < p->placeholders; i++)
			qp_buf_addf(b, " [%s]", filler(p, (*wk)++));
		qp_buf_adds(b, "\n");
	}
	for (k = 0; k < p->nkw; k++) {
		qp_buf_adds(b, filler(p, (*wk)++));
		for (i = 0; i < p->kw_times[k]; i++)
			qp_buf_addf(b, " %s", p->kw[k]);
		qp_buf_adds(b, ".\n");
	}
	if (p->letter_s != NULL) {
		qp_buf_adds(b, filler(p, (*wk)++));
		qp_buf_adds(b, " ");
		for (i = 0; i < p->letter_times; i++)
			qp_buf_adds(b, p->letter_s);
		qp_buf_adds(b, ".\n");
	}
	if (p->caps > 0) {
		for (i = 0; i < p->caps; i++) {
			const char *w = filler(p, (*wk)++);
			size_t c;

			if (i > 0)
				qp_buf_adds(b, " ");
			for (c = 0; w[c] != '\0'; c++)
				qp_buf_addf(b, "%c", w[c] >= 'a' &&
				    w[c] <= 'z' ? w[c] - 32 : w[c]);
		}
		qp_buf_adds(b, ".\n");
	}
}

/* The violating lines, between filler lines. */
static void
middle(struct qp_buf *b, const struct plan *p, size_t *wk)
{
	long i;
	int any = p->mid_kw != NULL || p->mid_caps > 0 ||
	    p->mid_letter != NULL;

	if (!any)
		return;
	for (i = 0; p->mid_kw != NULL && i < p->mid_kw_times; i++)
		qp_buf_addf(b, "%s %s.\n", filler(p, (*wk)++), p->mid_kw);
	if (p->mid_caps > 0) {
		for (i = 0; i < p->mid_caps; i++)
			qp_buf_addf(b, "%sWORD%ld", i ? " " : "", i);
		qp_buf_adds(b, ".\n");
	}
	if (p->mid_letter != NULL) {
		for (i = 0; i < p->mid_letter_times; i++)
			qp_buf_adds(b, p->mid_letter);
		qp_buf_adds(b, ".\n");
	}
	sentence(b, p, wk, 3);
	qp_buf_adds(b, "\n");
}

static void
body(struct qp_buf *b, const struct plan *p, long extra)
{
	size_t wk = 0;
	long j, s, nsent;

	if (p->repeat != NULL) {
		qp_buf_adds(b, p->repeat);
		qp_buf_adds(b, "\n");
	}
	for (j = 0; j < p->paras; j++) {
		if (j > 0)
			qp_buf_adds(b, p->star ? "\n***\n" : "\n\n");
		if (p->nth == j + 1 && p->first_word != NULL)
			qp_buf_addf(b, "%s ", p->first_word);
		sentence(b, p, &wk, 3);
		qp_buf_adds(b, "\n");
		if (j == 0) {
			items(b, p, &wk);
			middle(b, p, &wk);
		}
		nsent = j == p->paras - 1 ? extra : 0;
		for (s = 0; s < nsent; s++) {
			sentence(b, p, &wk, 5);
			qp_buf_adds(b, s % 4 == 3 ? "\n" : " ");
		}
		if (j == p->paras - 1) {
			sentence(b, p, &wk, 3);
			if (p->ps != NULL) {
				qp_buf_addf(b, "\n%s ", p->ps);
				sentence(b, p, &wk, 3);
			}
			if (p->end != NULL)
				qp_buf_addf(b, "\n%s", p->end);
		}
	}
}

static void
compose_once(struct ifeval *g, const struct plan *p, long extra,
    struct qp_buf *out)
{
	struct qp_buf a = QP_BUF_INIT, c = QP_BUF_INIT;

	body(&a, p, extra);
	if (p->two) {
		qp_buf_adds(&c, qp_buf_str(&a) ? qp_buf_str(&a) : "");
		qp_buf_adds(&c, "\n******\nAnother take.\n");
		qp_buf_adds(&c, qp_buf_str(&a) ? qp_buf_str(&a) : "");
		qp_buf_reset(&a);
		qp_buf_adds(&a, qp_buf_str(&c) ? qp_buf_str(&c) : "");
	}
	qp_buf_reset(&c);
	if (p->json) {
		qp_buf_adds(&c, "{\"answer\": ");
		qp_buf_json_str(&c, qp_buf_str(&a) ? qp_buf_str(&a) : "");
		qp_buf_adds(&c, "}");
	} else
		qp_buf_adds(&c, qp_buf_str(&a) ? qp_buf_str(&a) : "");
	qp_buf_reset(&a);
	if (p->quote)
		qp_buf_adds(&a, "\"");
	qp_buf_adds(&a, qp_buf_str(&c) ? qp_buf_str(&c) : "");
	if (p->quote)
		qp_buf_adds(&a, "\"");
	qp_buf_reset(out);
	if (!qp_buf_ok(&a))
		out->oom = 1;
	else if (p->upper)
		ife_upper(g, qp_buf_str(&a), a.len, out);
	else if (p->lower)
		ife_lower(g, qp_buf_str(&a), a.len, out);
	else
		qp_buf_adds(out, qp_buf_str(&a));
	qp_buf_free(&a);
	qp_buf_free(&c);
}

static long
count_words(struct ifeval *g, const struct qp_buf *b)
{
	struct qeval_match m;
	const char *s = qp_buf_str(b);
	size_t off = 0;
	long n = 0;

	while (s != NULL && off < b->len &&
	    g->host->rx_match(g->rx_word, s, b->len, off, &m) == 1) {
		n++;
		off = m.end[0] > m.start[0] ? m.end[0] : m.end[0] + 1;
	}
	return (n);
}

/* 1 if text follows every scorable instruction of it strictly. */
static int
follows(struct ifeval *g, const struct ife_item *it, const char *text)
{
	int strict[64], loose[64];
	size_t k;

	if (it->ninst > 64 || ife_score(g, it, text, strict, loose) != 0)
		return (0);
	for (k = 0; k < it->ninst; k++)
		if (strict[k] == R_NO)
			return (0);
	return (1);
}

int
ife_compose(struct ifeval *g, const struct ife_item *it, int violate,
    struct qp_buf *out)
{
	static const long more[] = { 0, 3, 8, 16, 32 };
	struct plan p;
	struct qp_buf words = QP_BUF_INIT;
	long extra = 0, want, have, rounds, base;
	size_t m;
	int rc = 0;

	make_plan(it, violate, &p);
	plan_vocab(g, &p, &words);
	want = p.words_min;
	if (p.words_max > 0) {
		compose_once(g, &p, 0, out);
		if (!qp_buf_ok(out)) {
			rc = R_ERR;
			goto done;
		}
		if (count_words(g, out) >= p.words_max)
			p.lean = 1;
	}
	/* Punkt counts about one sentence per filler sentence */
	if (p.sent_min > 0)
		extra = p.sent_min;
	for (rounds = 0; rounds < 64; rounds++) {
		compose_once(g, &p, extra, out);
		if (!qp_buf_ok(out)) {
			rc = R_ERR;
			goto done;
		}
		have = count_words(g, out);
		if (have >= want)
			break;
		extra += (want - have) / 5 + 1;
	}
	/* language detection may want more text: try a little more */
	base = extra;
	for (m = 0; violate < 0 && m < sizeof(more) / sizeof(more[0]) &&
	    !follows(g, it, qp_buf_str(out) ? qp_buf_str(out) : ""); m++) {
		compose_once(g, &p, base + more[m], out);
		if (!qp_buf_ok(out)) {
			rc = R_ERR;
			goto done;
		}
	}
	if (violate < 0 && !follows(g, it, qp_buf_str(out) ?
	    qp_buf_str(out) : ""))
		compose_once(g, &p, base, out);
done:
	qp_buf_free(&words);
	return (rc);
}
