/*
 * ifeval_lang: language detection as the `langdetect` package (1.0.9, a
 * port of Shuyo's language-detection) does it, written in C and fed
 * with that package's own data: its 55 n-gram profiles and its
 * messages.properties (CJK classes, Vietnamese normalisation), read at
 * open from the directory Debian's python3-langdetect installs (or
 * task option langdetect_dir=DIR).  Without them the instructions that
 * need it are not scorable (ifeval.c).
 *
 * The reference seeds its generator from the OS on every call, so its
 * answer can differ from run to run on short or mixed texts; qeval seeds
 * it with 0 on every call (Python's random.Random(0): MT19937, gauss(),
 * choice()), which makes it one fixed draw of the reference's
 * behaviour, identical to langdetect with DetectorFactory.seed = 0.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ifeval.h"

#define LD_ALPHA	0.5
#define LD_ALPHA_WIDTH	0.05
#define LD_ITER_LIMIT	1000
#define LD_PROB_MIN	0.1
#define LD_CONV		0.99999
#define LD_BASE_FREQ	10000.0
#define LD_TRIALS	7
#define LD_MAX_TEXT	10000
#define CJK_LO		0x4e00u
#define CJK_HI		0x9fffu

struct ld_entry {
	char		 key[16];	/* an n-gram, UTF-8, NUL-terminated */
	uint32_t	 off, n;	/* its (language, probability) pairs */
};

struct ld_pair {
	uint32_t	 lang;
	double		 p;
};

struct ife_lang {
	char		**langs;	/* in directory order, as os.listdir */
	size_t		 nlangs;
	struct ld_entry	*tab;		/* open addressing */
	size_t		 tabsize, used;
	struct ld_pair	*pairs;
	size_t		 npairs, apairs;
	uint32_t	*cjk;		/* CJK_LO..CJK_HI -> representative */
	uint32_t	 vi_base[64], vi_mark[8], vi_out[8][64];
	size_t		 nvi_base, nvi_mark;
	uint32_t	 latin1_ex[8];
	size_t		 nlatin1_ex;
};

/* ------------------------------------------------------------------ */
/* Python's random module: what detect() draws                         */

struct pyrand {
	struct qp_mt	 mt;
	int		 have_next;
	double		 next;
};

static double
py_random(struct pyrand *r)
{
	uint32_t a = qp_mt_next(&r->mt) >> 5, b = qp_mt_next(&r->mt) >> 6;

	return ((a * 67108864.0 + b) * (1.0 / 9007199254740992.0));
}

static double
py_gauss(struct pyrand *r)
{
	double z, x2pi, g2rad;

	if (r->have_next) {
		r->have_next = 0;
		return (r->next);
	}
	x2pi = py_random(r) * (2.0 * M_PI);
	g2rad = sqrt(-2.0 * log(1.0 - py_random(r)));
	z = cos(x2pi) * g2rad;
	r->next = sin(x2pi) * g2rad;
	r->have_next = 1;
	return (z);
}

/* ------------------------------------------------------------------ */
/* The n-gram table                                                    */

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (h);
}

static struct ld_entry *
lookup(const struct ife_lang *l, const char *key)
{
	size_t i = (size_t)hash(key) & (l->tabsize - 1);

	while (l->tab[i].key[0] != '\0') {
		if (strcmp(l->tab[i].key, key) == 0)
			return (&l->tab[i]);
		i = (i + 1) & (l->tabsize - 1);
	}
	return (&l->tab[i]);
}

static size_t
cp_count(const char *s)
{
	size_t n = 0, i = 0, len = strlen(s);
	uint32_t c;

	while (i < len) {
		i += ife_u8dec(s, len, i, &c);
		n++;
	}
	return (n);
}

void
ife_lang_free(struct ife_lang *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nlangs; i++)
		free(l->langs[i]);
	free(l->langs);
	free(l->tab);
	free(l->pairs);
	free(l->cjk);
	free(l);
}

/* Reads a whole file; NULL if it cannot. */
static char *
slurp(const char *path, size_t *lenp)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (fp == NULL)
		return (NULL);
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, fp) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			*lenp = (size_t)n;
		}
	}
	fclose(fp);
	return (buf);
}

/* Decodes a .properties value (\uXXXX escapes) into code points. */
static size_t
prop_cps(const char *v, uint32_t *out, size_t max)
{
	size_t n = 0;

	while (*v != '\0' && *v != '\n' && *v != '\r' && n < max) {
		if (v[0] == '\\' && v[1] == 'u') {
			char hex[5];

			memcpy(hex, v + 2, 4);
			hex[4] = '\0';
			out[n++] = (uint32_t)strtoul(hex, NULL, 16);
			v += 6;
		} else {
			uint32_t c;
			size_t k = ife_u8dec(v, strlen(v), 0, &c);

			out[n++] = c;
			v += k;
		}
	}
	return (n);
}

static int
load_messages(struct ife_lang *l, const char *path, struct qp_buf *err)
{
	static const char *const vi_keys[5] = { "NORMALIZED_VI_CHARS_0300",
	    "NORMALIZED_VI_CHARS_0301", "NORMALIZED_VI_CHARS_0303",
	    "NORMALIZED_VI_CHARS_0309", "NORMALIZED_VI_CHARS_0323" };
	uint32_t *cls = malloc(4096 * sizeof(*cls));
	size_t len = 0, n, i, k;
	char *text = slurp(path, &len), *line, *save = NULL;
	int nclass = 0;

	l->cjk = calloc(CJK_HI - CJK_LO + 1, sizeof(*l->cjk));
	if (text == NULL || cls == NULL || l->cjk == NULL) {
		qp_buf_addf(err, "cannot read %s", path);
		free(text);
		free(cls);
		return (-1);
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (eq == NULL)
			continue;
		*eq = '\0';
		if (strncmp(line, "NGram.KANJI_", 12) == 0) {
			n = prop_cps(eq + 1, cls, 4096);
			for (i = 0; i < n; i++)
				if (cls[i] >= CJK_LO && cls[i] <= CJK_HI)
					l->cjk[cls[i] - CJK_LO] = cls[0];
			nclass++;
		} else if (strcmp(line, "NGram.LATIN1_EXCLUDE") == 0)
			l->nlatin1_ex = prop_cps(eq + 1, l->latin1_ex, 8);
		else if (strcmp(line, "TO_NORMALIZE_VI_CHARS") == 0)
			l->nvi_base = prop_cps(eq + 1, l->vi_base, 64);
		else if (strcmp(line, "DMARK_CLASS") == 0)
			l->nvi_mark = prop_cps(eq + 1, l->vi_mark, 8);
		else
			for (k = 0; k < 5; k++)
				if (strcmp(line, vi_keys[k]) == 0)
					(void)prop_cps(eq + 1, l->vi_out[k],
					    64);
	}
	free(text);
	free(cls);
	if (nclass != 126 || l->nvi_mark != 5 || l->nvi_base == 0 ||
	    l->nlatin1_ex == 0) {
		qp_buf_addf(err, "%s is not langdetect 1.0.9's "
		    "messages.properties", path);
		return (-1);
	}
	return (0);
}

static int
add_profile(struct ife_lang *l, const char *path, struct qp_buf *err)
{
	size_t len = 0;
	char *text = slurp(path, &len);
	cJSON *doc = text != NULL ? cJSON_ParseWithLength(text, len) : NULL;
	const cJSON *name, *freq, *nw, *f;
	double nwords[3];
	int k, rc = -1;

	free(text);
	name = cJSON_GetObjectItemCaseSensitive(doc, "name");
	freq = cJSON_GetObjectItemCaseSensitive(doc, "freq");
	nw = cJSON_GetObjectItemCaseSensitive(doc, "n_words");
	if (!cJSON_IsString(name) || !cJSON_IsObject(freq) ||
	    cJSON_GetArraySize(nw) != 3) {
		qp_buf_addf(err, "%s is not a langdetect profile", path);
		goto out;
	}
	for (k = 0; k < 3; k++)
		nwords[k] = cJSON_GetArrayItem(nw, k)->valuedouble;
	cJSON_ArrayForEach(f, freq) {
		struct ld_entry *e;
		size_t cl;

		if (f->string == NULL || strlen(f->string) >= 16 ||
		    !cJSON_IsNumber(f))
			continue;
		cl = cp_count(f->string);
		if (cl < 1 || cl > 3)
			continue;
		if (2 * (l->used + 1) > l->tabsize) {
			qp_buf_addf(err, "too many n-grams in %s", path);
			goto out;
		}
		e = lookup(l, f->string);
		if (e->key[0] == '\0') {
			strcpy(e->key, f->string);
			l->used++;
		}
		if (l->npairs == l->apairs) {
			size_t na = l->apairs ? l->apairs * 2 : 65536;
			struct ld_pair *np = realloc(l->pairs,
			    na * sizeof(*np));

			if (np == NULL)
				goto nomem;
			l->pairs = np;
			l->apairs = na;
		}
		/* kept per language, re-grouped per n-gram below */
		l->pairs[l->npairs].lang = (uint32_t)l->nlangs;
		l->pairs[l->npairs].p = 1.0 * f->valuedouble /
		    nwords[cl - 1];
		e->n++;
		/* the n-gram's index travels in off until grouping */
		l->pairs[l->npairs].lang |= (uint32_t)((e - l->tab) << 8);
		l->npairs++;
	}
	l->langs[l->nlangs] = strdup(name->valuestring);
	if (l->langs[l->nlangs] == NULL)
		goto nomem;
	l->nlangs++;
	rc = 0;
	goto out;
nomem:
	qp_buf_adds(err, "out of memory reading langdetect's profiles");
out:
	cJSON_Delete(doc);
	return (rc);
}

static int
cmp_pair(const void *a, const void *b)
{
	const struct ld_pair *x = a, *y = b;
	uint32_t ex = x->lang >> 8, ey = y->lang >> 8;

	if (ex != ey)
		return (ex < ey ? -1 : 1);
	return ((x->lang & 0xff) < (y->lang & 0xff) ? -1 :
	    (x->lang & 0xff) > (y->lang & 0xff));
}

struct ife_lang *
ife_lang_open(const char *dir, struct qp_buf *err)
{
	struct ife_lang *l = calloc(1, sizeof(*l));
	struct qp_buf p = QP_BUF_INIT;
	struct dirent *de;
	DIR *d = NULL;
	size_t i, nfiles = 0;
	uint32_t prev = 0;

	if (l == NULL)
		return (NULL);
	qp_buf_addf(&p, "%s/utils/messages.properties", dir);
	if (!qp_buf_ok(&p) || load_messages(l, qp_buf_str(&p), err) != 0)
		goto fail;
	qp_buf_reset(&p);
	qp_buf_addf(&p, "%s/profiles", dir);
	d = opendir(qp_buf_str(&p) ? qp_buf_str(&p) : "");
	if (d == NULL) {
		qp_buf_addf(err, "cannot open %s", qp_buf_str(&p) ?
		    qp_buf_str(&p) : dir);
		goto fail;
	}
	while ((de = readdir(d)) != NULL)
		nfiles++;
	l->langs = calloc(nfiles + 1, sizeof(*l->langs));
	l->tabsize = 1u << 18;
	l->tab = calloc(l->tabsize, sizeof(*l->tab));
	if (l->langs == NULL || l->tab == NULL)
		goto fail;
	rewinddir(d);
	/* os.listdir order: the order of the languages' probabilities */
	while ((de = readdir(d)) != NULL) {
		struct qp_buf f = QP_BUF_INIT;
		struct stat st;
		int rc;

		if (de->d_name[0] == '.' || l->nlangs >= 255)
			continue;
		qp_buf_addf(&f, "%s/%s", qp_buf_str(&p), de->d_name);
		if (!qp_buf_ok(&f) || stat(qp_buf_str(&f), &st) != 0 ||
		    !S_ISREG(st.st_mode)) {
			qp_buf_free(&f);
			continue;
		}
		rc = add_profile(l, qp_buf_str(&f), err);
		qp_buf_free(&f);
		if (rc != 0)
			goto fail;
	}
	closedir(d);
	d = NULL;
	if (l->nlangs < 2) {
		qp_buf_addf(err, "%s holds fewer than 2 profiles",
		    qp_buf_str(&p));
		goto fail;
	}
	/* group the pairs by n-gram */
	qsort(l->pairs, l->npairs, sizeof(*l->pairs), cmp_pair);
	for (i = 0; i < l->npairs; i++) {
		uint32_t ei = l->pairs[i].lang >> 8;

		if (i == 0 || ei != prev)
			l->tab[ei].off = (uint32_t)i;
		prev = ei;
		l->pairs[i].lang &= 0xff;
	}
	qp_buf_free(&p);
	return (l);
fail:
	if (d != NULL)
		closedir(d);
	qp_buf_free(&p);
	ife_lang_free(l);
	return (NULL);
}

/* ------------------------------------------------------------------ */
/* Detection                                                           */

static int
in_block(uint32_t c, uint32_t lo, uint32_t hi)
{
	return (c >= lo && c <= hi);
}

/* NGram.normalize() */
static uint32_t
ld_normalize(const struct ife_lang *l, uint32_t c)
{
	size_t i;

	if (c <= 0x7f)
		return ((c < 'A' || (c > 'Z' && c < 'a') || c > 'z') ? ' ' :
		    c);
	if (in_block(c, 0x80, 0xff)) {
		for (i = 0; i < l->nlatin1_ex; i++)
			if (l->latin1_ex[i] == c)
				return (' ');
		return (c);
	}
	if (in_block(c, 0x180, 0x24f))
		return (c == 0x219 ? 0x15f : c == 0x21b ? 0x163 : c);
	if (in_block(c, 0x2000, 0x206f))
		return (' ');
	if (in_block(c, 0x600, 0x6ff))
		return (c == 0x6cc ? 0x64a : c);
	if (in_block(c, 0x1e00, 0x1eff))
		return (c >= 0x1ea0 ? 0x1ec3 : c);
	if (in_block(c, 0x3040, 0x309f))
		return (0x3042);
	if (in_block(c, 0x30a0, 0x30ff))
		return (0x30a2);
	if (in_block(c, 0x3100, 0x312f) || in_block(c, 0x31a0, 0x31bf))
		return (0x3105);
	if (in_block(c, CJK_LO, CJK_HI))
		return (l->cjk[c - CJK_LO] ? l->cjk[c - CJK_LO] : c);
	if (in_block(c, 0xac00, 0xd7af))
		return (0xac00);
	return (c);
}

static void
enc_key(char *key, const uint32_t *g, size_t n)
{
	struct qp_buf b = QP_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		ife_u8enc(&b, g[i]);
	if (qp_buf_ok(&b) && b.len < 16)
		memcpy(key, qp_buf_str(&b), b.len + 1);
	else
		key[0] = '\0';
	qp_buf_free(&b);
}

/*
 * detect(text): 1 and out set (a language code), 0 when the text has no
 * features (langdetect raises LangDetectException), -1 on error.
 */
int
ife_lang_detect(const struct ifeval *g, const struct ife_lang *l,
    const char *s, size_t len, char *out, size_t outsz)
{
	uint32_t *cp = NULL, *tx = NULL, gram[3];
	const struct ld_entry **ng = NULL;
	double *prob = NULL, *langprob = NULL, *w = NULL;
	size_t n = 0, i, j, t, ntx = 0, nng = 0, ngrams_len = 0, best;
	long latin = 0, nonlatin = 0;
	struct pyrand r;
	int capital = 0, rc = -1;
	uint32_t c, pre = 0;

	cp = malloc((len + 1) * sizeof(*cp));
	tx = malloc((len + 1) * sizeof(*tx));
	ng = malloc((3 * len + 1) * sizeof(*ng));
	prob = malloc(l->nlangs * sizeof(*prob));
	langprob = calloc(l->nlangs, sizeof(*langprob));
	w = malloc(l->nlangs * sizeof(*w));
	if (cp == NULL || tx == NULL || ng == NULL || prob == NULL ||
	    langprob == NULL || w == NULL)
		goto out;
	/* the text, URLs and e-mail addresses already blanked (caller) */
	for (i = 0; i < len; ) {
		i += ife_u8dec(s, len, i, &c);
		cp[n++] = c;
	}
	/* normalize_vi: letter + combining mark -> precomposed */
	for (i = 0, j = 0; i < n; i++) {
		size_t a, m;

		cp[j] = cp[i];
		if (i + 1 < n) {
			for (a = 0; a < l->nvi_base && l->vi_base[a] != cp[i];
			    a++)
				;
			for (m = 0; m < l->nvi_mark &&
			    l->vi_mark[m] != cp[i + 1]; m++)
				;
			if (a < l->nvi_base && m < l->nvi_mark) {
				cp[j] = l->vi_out[m][a];
				i++;
			}
		}
		j++;
	}
	n = j;
	/* append(): at most 10000 characters, runs of spaces collapsed */
	for (i = 0; i < n && i < LD_MAX_TEXT; i++) {
		if (cp[i] != ' ' || pre != ' ')
			tx[ntx++] = cp[i];
		pre = cp[i];
	}
	/* cleaning_text(): drop Latin when it is a small minority */
	for (i = 0; i < ntx; i++) {
		if (tx[i] >= 'A' && tx[i] <= 'z')
			latin++;
		else if (tx[i] >= 0x300 && !in_block(tx[i], 0x1e00, 0x1eff))
			nonlatin++;
	}
	if (latin * 2 < nonlatin) {
		for (i = 0, j = 0; i < ntx; i++)
			if (tx[i] < 'A' || tx[i] > 'z')
				tx[j++] = tx[i];
		ntx = j;
	}
	/* _extract_ngrams() */
	gram[0] = ' ';
	ngrams_len = 1;
	for (i = 0; i < ntx; i++) {
		uint32_t ch = ld_normalize(l, tx[i]);
		uint32_t last = gram[ngrams_len - 1];
		size_t k;

		if (last == ' ') {
			gram[0] = ' ';
			ngrams_len = 1;
			capital = 0;
			if (ch == ' ')
				continue;
		} else if (ngrams_len >= 3) {
			gram[0] = gram[1];
			gram[1] = gram[2];
			ngrams_len = 2;
		}
		gram[ngrams_len++] = ch;
		if (ife_isupper_cp(g, ch)) {
			if (ife_isupper_cp(g, last))
				capital = 1;
		} else
			capital = 0;
		if (capital)
			continue;
		for (k = 1; k <= 3 && k <= ngrams_len; k++) {
			char key[16];
			const struct ld_entry *e;

			if (k == 1 && gram[ngrams_len - 1] == ' ')
				continue;
			enc_key(key, gram + ngrams_len - k, k);
			if (key[0] == '\0')
				continue;
			e = lookup(l, key);
			if (e->key[0] != '\0')
				ng[nng++] = e;
		}
	}
	if (nng == 0) {
		rc = 0;
		goto out;
	}
	/* _detect_block(), seeded as random.Random(0) */
	memset(&r, 0, sizeof(r));
	qp_mt_seed(&r.mt, 0);
	for (t = 0; t < LD_TRIALS; t++) {
		double alpha = LD_ALPHA + py_gauss(&r) * LD_ALPHA_WIDTH;
		double weight = alpha / LD_BASE_FREQ;
		size_t it;

		for (i = 0; i < l->nlangs; i++)
			prob[i] = 1.0 / (double)l->nlangs;
		for (it = 0;; it++) {
			const struct ld_entry *e =
			    ng[qp_mt_below(&r.mt, (uint32_t)nng)];

			for (i = 0; i < l->nlangs; i++)
				w[i] = weight;
			for (j = 0; j < e->n; j++)
				w[l->pairs[e->off + j].lang] = weight +
				    l->pairs[e->off + j].p;
			for (i = 0; i < l->nlangs; i++)
				prob[i] *= w[i];
			if (it % 5 == 0) {
				double sum = 0.0, maxp = 0.0;

				for (i = 0; i < l->nlangs; i++)
					sum += prob[i];
				for (i = 0; i < l->nlangs; i++) {
					double p = prob[i] / sum;

					if (maxp < p)
						maxp = p;
					prob[i] = p;
				}
				if (maxp > LD_CONV || it >= LD_ITER_LIMIT)
					break;
			}
		}
		for (i = 0; i < l->nlangs; i++)
			langprob[i] += prob[i] / LD_TRIALS;
	}
	/* the most probable language above 0.1; the first on ties */
	best = l->nlangs;
	for (i = 0; i < l->nlangs; i++)
		if (langprob[i] > LD_PROB_MIN && (best == l->nlangs ||
		    langprob[i] > langprob[best]))
			best = i;
	snprintf(out, outsz, "%s", best < l->nlangs ? l->langs[best] :
	    "unknown");
	rc = 1;
out:
	free(cp);
	free(tx);
	free(ng);
	free(prob);
	free(langprob);
	free(w);
	return (rc);
}

/* ------------------------------------------------------------------ */
/* Words for the reference answers                                     */

struct scored {
	const char	*key;
	double		 p;
};

static int
cmp_scored(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	if (x->p != y->p)
		return (x->p > y->p ? -1 : 1);
	return (strcmp(x->key, y->key));
}

/*
 * Appends to out, space-separated, the `want` most probable
 * three-letter n-grams (no space in them) of language `lang`: text that
 * langdetect reads as that language.  0, or -1 if the language is not
 * there or memory ran out.
 */
int
ife_lang_words(const struct ife_lang *l, const char *lang, size_t want,
    struct qp_buf *out)
{
	struct scored *v;
	size_t i, j, n = 0, li;

	for (li = 0; li < l->nlangs && strcmp(l->langs[li], lang) != 0; li++)
		;
	if (li == l->nlangs)
		return (-1);
	v = malloc(l->used * sizeof(*v) + 1);
	if (v == NULL)
		return (-1);
	for (i = 0; i < l->tabsize; i++) {
		const struct ld_entry *e = &l->tab[i];

		if (e->key[0] == '\0' || strchr(e->key, ' ') != NULL ||
		    cp_count(e->key) != 3)
			continue;
		for (j = 0; j < e->n; j++)
			if (l->pairs[e->off + j].lang == li && n < l->used) {
				v[n].key = e->key;
				v[n++].p = l->pairs[e->off + j].p;
			}
	}
	qsort(v, n, sizeof(*v), cmp_scored);
	for (i = 0; i < n && i < want; i++) {
		if (i > 0)
			qp_buf_adds(out, " ");
		qp_buf_adds(out, v[i].key);
	}
	free(v);
	return (n > 0 && qp_buf_ok(out) ? 0 : -1);
}
