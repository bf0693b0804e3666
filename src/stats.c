#include "config.h"
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

void
stats_summarise(const double *v, size_t n, struct stats_summary *s)
{
	double *w, sum = 0.0, ss = 0.0;
	size_t i, m = 0;

	s->n = 0;
	s->mean = s->median = s->stddev = s->min = s->max = s->stderr_ = NAN;
	if (n == 0)
		return;
	w = xmalloc(n * sizeof(*w));
	for (i = 0; i < n; i++)
		if (!isnan(v[i]))
			w[m++] = v[i];
	if (m == 0) {
		free(w);
		return;
	}
	qsort(w, m, sizeof(*w), cmp_dbl);
	for (i = 0; i < m; i++)
		sum += w[i];
	s->n = m;
	s->mean = sum / (double)m;
	/* Two-pass variance: stable for values far from zero. */
	for (i = 0; i < m; i++)
		ss += (w[i] - s->mean) * (w[i] - s->mean);
	s->stddev = m > 1 ? sqrt(ss / (double)(m - 1)) : 0.0;
	s->stderr_ = s->stddev / sqrt((double)m);
	s->min = w[0];
	s->max = w[m - 1];
	s->median = (m % 2) ? w[m / 2] : (w[m / 2 - 1] + w[m / 2]) / 2.0;
	free(w);
}

size_t
stats_percentiles(const double *v, size_t n, double out[101])
{
	double *w;
	size_t i, m = 0;
	int p;

	for (p = 0; p <= 100; p++)
		out[p] = NAN;
	if (n == 0)
		return (0);
	w = xmalloc(n * sizeof(*w));
	for (i = 0; i < n; i++)
		if (!isnan(v[i]))
			w[m++] = v[i];
	if (m > 0) {
		qsort(w, m, sizeof(*w), cmp_dbl);
		for (p = 0; p <= 100; p++) {
			double pos = (double)p / 100.0 * (double)(m - 1);
			size_t lo = (size_t)floor(pos);
			double f = pos - (double)lo;

			out[p] = lo + 1 < m ? w[lo] + (w[lo + 1] - w[lo]) * f :
			    w[lo];
		}
	}
	free(w);
	return (m);
}

double
stats_pass_at_k(unsigned n, unsigned c, unsigned k)
{
	double prod = 1.0;
	unsigned i;

	if (k == 0 || k > n || c > n)
		return (NAN);
	if (n - c < k)
		return (1.0);
	/* 1 - prod_{i=n-c+1}^{n} (1 - k / i) */
	for (i = n - c + 1; i <= n; i++)
		prod *= 1.0 - (double)k / (double)i;
	return (1.0 - prod);
}
