/*
 * mcskel: the plugin skeleton of the multiple-choice tasks (arc,
 * hellaswag).  Both run one log-likelihood task family and one
 * generative family over a set of items with 2 to MC_MAX_CHOICES
 * options, with the same lifecycle: options, test and few-shot sets,
 * lm-eval's few-shot draw, the three request recipes (log-likelihood,
 * lm-eval's prefilled chat recipe, qeval's lettered recipe), scoring
 * through mcutil, and the reference model's answers.  That lifecycle is
 * written once here; a plugin gives an mc_recipe that holds what is its
 * own: the record readers, the prompt texts and the words of its
 * reasons.
 *
 * Compiled into each plugin beside mcutil.c (hidden visibility), so
 * nothing here is part of the ABI.  A plugin defines mc_recipe and
 * lists MCSKEL_CALLBACKS in its descriptor.
 */
#ifndef QEVAL_MCSKEL_H
#define QEVAL_MCSKEL_H

#include <stddef.h>
#include <stdint.h>

#include <qeval/plugin.h>

#include "mcutil.h"
#include "qp.h"

/* One item of a multiple-choice set. */
struct mc_item {
	char	*id;		/* sample id; NULL: "<plugin>/<index>" */
	char	*text;		/* what the recipe's prompts show */
	char	*choice[MC_MAX_CHOICES];
	char	*label[MC_MAX_CHOICES];	/* the data's option labels, or
					 * NULL: options are numbered */
	char	*category;	/* the verdict's category, or NULL */
	size_t	 nchoices;
	size_t	 gold;
	size_t	*shots;		/* nshot indices into the few-shot set */
};

struct mc_set {
	struct mc_item	*v;
	size_t		 n, alloc;
};

void	 mc_item_free(struct mc_item *);
void	 mc_set_free(struct mc_set *);
/* Moves *it to the end of set (and zeroes *it): 0, or -1 out of memory
 * (*it is left as it was). */
int	 mc_set_push(struct mc_set *, struct mc_item *it);

struct mcskel;

/*
 * What a multiple-choice plugin is made of.  The hooks receive the
 * skeleton's state; a plugin that keeps more state (size larger than
 * struct mcskel) embeds struct mcskel as the first member of its own.
 */
struct mc_recipe {
	const char	*name;		/* plugin name, for messages */
	size_t		 size;		/* of the state (>= sizeof(mcskel)) */
	const char	*unit;		/* "records", "items": open()'s
					 * messages */
	const char	*what;		/* the options' name in a request's
					 * label and in reasons ("choices") */
	const char	*noun;		/* one option in a reason ("choice") */
	/* few-shot file when the task names none and fewshot_file= is
	 * not given; NULL: the test file */
	const char	*shot_file;
	/* the head of qeval's own lettered prompt (prefill=0); the item's
	 * text and its lettered options follow */
	const char	*gen_head;
	/*
	 * Task options of the plugin's own, read after the shared ones:
	 * QEVAL_OK, or the error the host was told of.  May be NULL.
	 */
	int	(*options)(struct mcskel *, struct qeval_ctx *,
		    const struct qeval_task *);
	/* Reads file into set: QEVAL_OK, or the error the host was told
	 * of. */
	int	(*load)(struct mcskel *, struct qeval_ctx *, const char *file,
		    struct mc_set *set);
	/* Logs that the few-shot examples come from the test file. */
	void	(*same_file)(struct mcskel *, struct qeval_ctx *,
		    const struct qeval_task *, const char *file);
	/* lm-eval's doc_to_text: the item as the log-likelihood context
	 * ends (a few-shot example adds " " + its gold option + "\n\n"). */
	void	(*doc_text)(const struct mc_item *, struct qp_buf *);
	/* The prompt of lm-eval's prefilled chat recipe. */
	void	(*chat_prompt)(const struct mc_item *, struct qp_buf *);
	/* That recipe's target (doc_to_target), written into buf (bufsz
	 * bytes); NULL: the gold option's letter, and the detail names no
	 * target. */
	const char *(*target)(const struct mc_item *, char *buf,
		    size_t bufsz);
};

/* The state of an open task. */
struct mcskel {
	unsigned		 magic;
	const struct qeval_host	*host;
	const struct mc_recipe	*r;
	int			 gen;		/* a generative task */
	int			 chat;
	int			 nshot;
	int			 max_tokens;	/* 0: the recipe's */
	int			 prefill;	/* gen: lm-eval's recipe */
	struct mc_set		 test;
	struct mc_set		 train;
	size_t			 count;
	char			 idbuf[32];
	struct mc_rules		 rules;
	struct qp_buf		 body;		/* next() */
	struct qp_buf		 tmp;
	struct qp_buf		 gold;		/* gold() */
	double			 gold_lp[MC_MAX_CHOICES];
	uint8_t			 gold_greedy[MC_MAX_CHOICES];
	struct qp_buf		 detail;	/* score() */
	struct qp_buf		 reason;
	struct qp_buf		 ext;
	char			 extracted[16];
	char			 target[16];
};

/* The plugin's recipe: each plugin defines it. */
extern const struct mc_recipe mc_recipe;

/* The plugin's callbacks (open() opens a task of mc_recipe). */
int	 mcskel_open(const struct qeval_host *, struct qeval_ctx *,
	    const struct qeval_task *, const struct qeval_opts *,
	    void **statep);
size_t	 mcskel_count(void *state);
const char *mcskel_sample_id(void *state, size_t i);
int	 mcskel_next(void *state, struct qeval_ctx *, size_t i, unsigned cand,
	    const struct qeval_exchange *, size_t nex, struct qeval_request *);
int	 mcskel_score(void *state, struct qeval_ctx *, size_t i,
	    unsigned cand, const struct qeval_exchange *, size_t nex,
	    struct qeval_verdict *);
int	 mcskel_gold(void *state, struct qeval_ctx *, size_t i,
	    const struct qeval_exchange *, size_t nex,
	    const struct qeval_request *, int corrupt, struct qeval_gold *);
void	 mcskel_close(void *state);

/* The callbacks of a multiple-choice plugin's descriptor. */
#define MCSKEL_CALLBACKS \
	.open = mcskel_open, .count = mcskel_count, \
	.sample_id = mcskel_sample_id, .next = mcskel_next, \
	.score = mcskel_score, .gold = mcskel_gold, .close = mcskel_close

/* Rows of the options table that both plugins declare alike. */
#define MC_OPTION_TEST_FILE \
	{ "test_file", QEVAL_OPT_STRING, NULL, "another test file, relative " \
	  "to the data dir", NULL, NULL }
#define MC_OPTION_MAX_TOKENS(tasks) \
	{ "max_tokens", QEVAL_OPT_INT, "100", "most tokens of a " \
	  "generative answer (default 256 with prefill=0)", NULL, tasks }

#endif
