#include "config.h"
#include "measure.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void
measure_add(struct measure *m, const struct measure_answer *a)
{
	if (!isnan(a->latency)) {
		m->lat = xgrow(m->lat, m->nlat + 1, sizeof(double),
		    &m->lat_alloc);
		m->lat[m->nlat++] = a->latency;
	}
	if (a->streamed && !isnan(a->ttft)) {
		m->ttft = xgrow(m->ttft, m->nttft + 1, sizeof(double),
		    &m->ttft_alloc);
		m->ttft[m->nttft++] = a->ttft;
		/* The two phases of a streamed answer: prefill up to the
		 * first token, decode after it. */
		if (!isnan(a->latency) && a->latency >= a->ttft) {
			double dec = a->latency - a->ttft;

			m->dec = xgrow(m->dec, m->ndec + 1, sizeof(double),
			    &m->dec_alloc);
			m->dec[m->ndec++] = dec;
			if (a->ctok > 1) {
				m->tpot = xgrow(m->tpot, m->ntpot + 1,
				    sizeof(double), &m->tpot_alloc);
				m->tpot[m->ntpot++] = dec /
				    (double)(a->ctok - 1);
			}
		}
	}
	if (a->ptok >= 0) {
		m->ptok += a->ptok;
		m->have_tokens = 1;
	}
	if (a->ctok >= 0) {
		m->ctok += a->ctok;
		m->have_tokens = 1;
	}
	if (a->cached >= 0) {
		m->cached += a->cached;
		m->have_cached = 1;
	}
	if (a->model != NULL) {
		size_t i;

		for (i = 0; i < m->nrmodels; i++)
			if (strcmp(m->rmodels[i], a->model) == 0)
				break;
		if (i == m->nrmodels && i < MEASURE_MAX_MODELS)
			m->rmodels[m->nrmodels++] = xstrdup(a->model);
	}
}

void
measure_to_results(const struct measure *m, struct results_input *ri)
{
	ri->lat = m->lat;
	ri->nlat = m->nlat;
	ri->ttft = m->ttft;
	ri->nttft = m->nttft;
	ri->dec = m->dec;
	ri->ndec = m->ndec;
	ri->tpot = m->tpot;
	ri->ntpot = m->ntpot;
	ri->ptok = m->have_tokens ? m->ptok : -1;
	ri->ctok = m->have_tokens ? m->ctok : -1;
	ri->cached = m->have_cached ? m->cached : -1;
	ri->resp_models = m->rmodels;
	ri->n_resp_models = m->nrmodels;
}

void
measure_release(struct measure *m)
{
	size_t i;

	free(m->lat);
	free(m->ttft);
	free(m->dec);
	free(m->tpot);
	for (i = 0; i < m->nrmodels; i++)
		free(m->rmodels[i]);
	memset(m, 0, sizeof(*m));
}
