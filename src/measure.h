/*
 * measure: what a run measures of the model's answers, for
 * results.json's "performance" (docs/RESULTS.md): the latency of each
 * answer, and of a streamed one its time to first token, decode phase
 * and time per output token; the token counts the usage blocks gave;
 * and the model names the responses gave.
 *
 * Only model requests are measured (not the judge's, not code
 * execution); the caller decides which answers to add.
 *
 * Ownership: struct measure owns its arrays and names
 * (measure_release()); the results_input views point into them.
 */
#ifndef QEVAL_MEASURE_H
#define QEVAL_MEASURE_H

#include <stddef.h>

#include "results.h"

/* Distinct response model names kept; more are not counted. */
#define MEASURE_MAX_MODELS	8

struct measure {
	double		*lat;		/* s, per answer */
	size_t		 nlat, lat_alloc;
	double		*ttft;		/* s, streamed answers */
	size_t		 nttft, ttft_alloc;
	double		*dec;		/* decode phase, s */
	size_t		 ndec, dec_alloc;
	double		*tpot;		/* s per output token */
	size_t		 ntpot, tpot_alloc;
	long long	 ptok, ctok;
	int		 have_tokens;
	long long	 cached;	/* cached prompt tokens */
	int		 have_cached;
	/* the model names the model's responses gave (distinct) */
	char		*rmodels[MEASURE_MAX_MODELS];
	size_t		 nrmodels;
};

/* One answer: NaN where a time is not known, -1 a count, NULL a name. */
struct measure_answer {
	double		 latency;
	double		 ttft;
	int		 streamed;	/* ttft and the phases count */
	long		 ptok, ctok;
	long		 cached;
	const char	*model;
};

void	 measure_add(struct measure *, const struct measure_answer *);
/* Points ri's latency, token and model fields at m. */
void	 measure_to_results(const struct measure *m,
	    struct results_input *ri);
void	 measure_release(struct measure *);

#endif
