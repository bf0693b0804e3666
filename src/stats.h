/*
 * stats: the small statistics a report needs.  All functions are pure
 * and ignore NaN inputs (they count as absent).
 */
#ifndef QEVAL_STATS_H
#define QEVAL_STATS_H

#include <stddef.h>

struct stats_summary {
	size_t	n;		/* non-NaN values */
	double	mean;
	double	median;
	double	stddev;		/* sample standard deviation (n - 1) */
	double	min;
	double	max;
	double	stderr_;	/* stddev / sqrt(n), as lm-eval reports */
};

/* Summarises v[0..n); NaNs skipped; all fields NaN when none is left.
 * Sorts a private copy (v is not modified). */
void	 stats_summarise(const double *v, size_t n, struct stats_summary *);

/*
 * The 0th to 100th percentiles of v (NaNs skipped) into out, by linear
 * interpolation between the closest ranks (numpy's default); returns the
 * number of values used (out all NaN when 0).
 */
size_t	 stats_percentiles(const double *v, size_t n, double out[101]);

/*
 * The unbiased pass@k estimator of Chen et al. (2021) for one problem
 * with n candidates of which c passed: 1 - C(n-c, k) / C(n, k),
 * computed as a product so it never overflows; 1.0 when n - c < k.
 * Returns NaN if k > n or k == 0.
 */
double	 stats_pass_at_k(unsigned n, unsigned c, unsigned k);

#endif
