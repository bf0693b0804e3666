/*
 * ifeval: the IFEval plugin's own types, shared by its scorer
 * (ifeval.c) and its reference-answer writer (ifeval_gold.c).  Not part
 * of the plugin ABI.
 */
#ifndef QEVAL_IFEVAL_H
#define QEVAL_IFEVAL_H

#include <locale.h>
#include <stddef.h>
#include <stdint.h>

#include <qeval/plugin.h>

#include "qp.h"

/* The 25 instruction types of IFEval, in the order of ife_types[]. */
enum ife_type {
	T_KW_EXIST, T_KW_FREQ, T_KW_FORBID, T_KW_LETTER,
	T_LANG,
	T_NSENT, T_NPARA, T_NWORDS, T_NTHPARA,
	T_PLACEHOLDERS, T_POSTSCRIPT,
	T_BULLETS, T_CONSTRAINED, T_HIGHLIGHT, T_SECTIONS, T_JSON, T_TITLE,
	T_TWO, T_REPEAT,
	T_END, T_QUOTE,
	T_CAPFREQ, T_UPPER, T_LOWER,
	T_NOCOMMA,
	T_NTYPES
};

/* The nine groups (the part of the id before ':'). */
enum ife_group {
	G_KEYWORDS, G_LANGUAGE, G_LENGTH, G_CONTENT, G_FORMAT, G_COMBINATION,
	G_STARTEND, G_CASE, G_PUNCT, G_NGROUPS
};

/* Outside parts a checker needs (bits of ife_type_desc.needs). */
enum ife_need {
	NEED_PUNKT = 1u << 0,		/* NLTK's Punkt English model */
	NEED_LANGDETECT = 1u << 1	/* the langdetect package */
};

struct ife_type_desc {
	const char	*id;		/* "keywords:existence" */
	enum ife_group	 group;
	unsigned	 needs;		/* enum ife_need */
};

extern const struct ife_type_desc ife_types[T_NTYPES];
extern const char *const ife_group_names[G_NGROUPS];

/* One instruction of a prompt, with its keyword arguments. */
struct ife_inst {
	enum ife_type		 type;
	int			 lt;	/* relation: 1 "less than", 0 "at
					 * least" */
	long			 n;	/* the count the type compares with */
	long			 nth;	/* nth_paragraph */
	char			*s;	/* keyword, first word, marker,
					 * splitter, end phrase, language,
					 * prompt to repeat */
	uint32_t		 letter; /* letter_frequency, lower-cased */
	char			**words; /* keywords / forbidden words */
	size_t			 nwords;
	struct qeval_regex	*rx;	/* keyword, postscript or section
					 * pattern */
	struct qeval_regex	**rxs;	/* one per words[] */
};

struct ife_item {
	char		*id;		/* "ifeval/<key>" */
	char		*prompt;
	struct ife_inst	*inst;
	size_t		 ninst;
	int		 scorable;	/* no instruction needs a missing
					 * part */
	int		 conflict;	/* index of an instruction the
					 * request to repeat already breaks,
					 * or -1 */
};

/* Verdict of one instruction on one response. */
enum ife_res { R_NO = 0, R_YES = 1, R_UNSCORABLE = -1, R_ERR = -2 };

struct ife_lang;

struct ifeval {
	unsigned		 magic;
	const struct qeval_host	*host;
	struct qeval_ctx	*ctx;		/* of the current call */
	int			 chat;
	locale_t		 loc;		/* C.UTF-8 ctype, or 0 */
	unsigned		 missing;	/* enum ife_need */
	struct ife_item		*items;
	size_t			 n, alloc, count;
	/* shared patterns */
	struct qeval_regex	*rx_word, *rx_place, *rx_bul1, *rx_bul2;
	struct qeval_regex	*rx_hl1, *rx_hl2, *rx_title, *rx_para;
	struct qeval_regex	**tb;		/* word tokenizer rules */
	struct qeval_regex	*rx_url, *rx_mail;	/* langdetect's */
	struct ife_lang		*lang;		/* NULL: no langdetect data */
	size_t			 ntb;
	/* per-sample weights that turn means over samples into means over
	 * instructions (see docs/IFEVAL.md) */
	double			 w_inst, w_unsc, w_grp[G_NGROUPS];
	struct qp_buf		 body, gold, detail, reason, why, t1, t2;
	struct qp_buf		 var[8];
};

/*
 * Checks one instruction against one response (strict rule, no
 * empty-response rule).  why gets a short explanation.
 */
enum ife_res ife_check(struct ifeval *, const struct ife_item *,
	    const struct ife_inst *, const char *s, size_t len,
	    struct qp_buf *why);
/*
 * Scores a response against every instruction of it, strict and loose:
 * strict[k], loose[k] get enum ife_res values.  0 or R_ERR (no memory).
 */
int	ife_score(struct ifeval *, const struct ife_item *, const char *text,
	    int *strict, int *loose);
/*
 * Writes a response that follows every instruction of it (violate < 0),
 * or one built to break instruction `violate`.  0, or R_ERR.
 */
int	ife_compose(struct ifeval *, const struct ife_item *, int violate,
	    struct qp_buf *out);

/* Text helpers (Python's str semantics, on UTF-8). */
size_t	ife_u8dec(const char *s, size_t len, size_t i, uint32_t *cp);
void	ife_u8enc(struct qp_buf *, uint32_t cp);
void	ife_lower(const struct ifeval *, const char *s, size_t len,
	    struct qp_buf *out);
void	ife_upper(const struct ifeval *, const char *s, size_t len,
	    struct qp_buf *out);
int	ife_isupper(const struct ifeval *, const char *s, size_t len);
int	ife_isupper_cp(const struct ifeval *, uint32_t cp);
int	ife_islower(const struct ifeval *, const char *s, size_t len);
void	ife_strip(const char *s, size_t len, size_t *a, size_t *b);

/*
 * Language detection with langdetect's data (ifeval_lang.c).  open
 * returns NULL with err set when dir lacks it.  detect: 1 and out set,
 * 0 when the text has no features (langdetect raises), -1 on error; the
 * caller blanks URLs and e-mail addresses first.
 */
struct ife_lang *ife_lang_open(const char *dir, struct qp_buf *err);
void	ife_lang_free(struct ife_lang *);
int	ife_lang_detect(const struct ifeval *, const struct ife_lang *,
	    const char *s, size_t len, char *out, size_t outsz);
/* The most telling three-letter n-grams of a language, as words. */
int	ife_lang_words(const struct ife_lang *, const char *lang,
	    size_t want, struct qp_buf *out);

#endif
