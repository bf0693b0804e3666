#include "config.h"

#include <math.h>

#include "stats.h"
#include "tap.h"

int
main(void)
{
	const double v[] = { 1.0, NAN, 3.0, 2.0, 10.0 };
	const double one[] = { 0.5 };
	const double none[] = { NAN, NAN };
	struct stats_summary s;

	stats_summarise(v, 5, &s);
	is_int((long long)s.n, 4, "NaN values are not counted");
	is_dbl(s.mean, 4.0, 1e-12, "mean");
	is_dbl(s.median, 2.5, 1e-12, "median of an even count");
	is_dbl(s.min, 1.0, 0, "min");
	is_dbl(s.max, 10.0, 0, "max");
	/* sample variance of 1,2,3,10: ((9+4+1+36)/3) = 50/3 */
	is_dbl(s.stddev, sqrt(50.0 / 3.0), 1e-12, "sample stddev (n-1)");
	is_dbl(s.stderr_, sqrt(50.0 / 3.0) / 2.0, 1e-12, "stderr = sd/sqrt(n)");
	stats_summarise(one, 1, &s);
	is_dbl(s.stddev, 0.0, 0, "one value: stddev 0");
	stats_summarise(none, 2, &s);
	ok(s.n == 0 && isnan(s.mean), "all NaN: nothing to summarise");

	/* pass@k: hand-computed values */
	is_dbl(stats_pass_at_k(10, 0, 1), 0.0, 1e-12, "pass@1, none passed");
	is_dbl(stats_pass_at_k(10, 10, 10), 1.0, 1e-12, "pass@10, all passed");
	is_dbl(stats_pass_at_k(10, 3, 1), 0.3, 1e-12, "pass@1 = c/n");
	/* 1 - C(7,2)/C(10,2) = 1 - 21/45 */
	is_dbl(stats_pass_at_k(10, 3, 2), 1.0 - 21.0 / 45.0, 1e-12,
	    "pass@2 of 3/10");
	is_dbl(stats_pass_at_k(5, 4, 2), 1.0, 1e-12, "n - c < k gives 1");
	ok(isnan(stats_pass_at_k(5, 1, 10)), "k > n is not defined");
	/* large n stays finite: 1 - C(190,100)/C(200,100) */
	ok(stats_pass_at_k(200, 10, 100) > 0.99 &&
	    stats_pass_at_k(200, 10, 100) < 1.0, "large n, no overflow");
	return (tap_done());
}
