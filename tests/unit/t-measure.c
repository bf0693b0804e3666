/*
 * measure: what results.json's performance block is computed from.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "measure.h"
#include "results.h"
#include "tap.h"

static struct measure_answer
answer(double lat, double ttft, int streamed, long ptok, long ctok,
    long cached, const char *model)
{
	struct measure_answer a;

	a.latency = lat;
	a.ttft = ttft;
	a.streamed = streamed;
	a.ptok = ptok;
	a.ctok = ctok;
	a.cached = cached;
	a.model = model;
	return (a);
}

int
main(void)
{
	struct measure m;
	struct measure_answer a;
	struct results_input ri;
	char name[16];
	int i;

	memset(&m, 0, sizeof(m));
	memset(&ri, 0, sizeof(ri));
	measure_to_results(&m, &ri);
	ok(ri.nlat == 0 && ri.ptok == -1 && ri.ctok == -1 && ri.cached == -1,
	    "nothing measured: no latency, counts unknown");

	a = answer(2.0, 0.5, 1, 10, 4, -1, "m");
	measure_add(&m, &a);
	ok(m.nlat == 1 && m.lat[0] == 2.0, "a latency");
	ok(m.nttft == 1 && m.ttft[0] == 0.5, "a streamed answer's ttft");
	ok(m.ndec == 1 && m.dec[0] == 1.5, "its decode phase");
	ok(m.ntpot == 1 && m.tpot[0] == 0.5,
	    "time per output token over the tokens after the first");
	a = answer(1.0, 0.25, 0, 5, 1, 3, "m");
	measure_add(&m, &a);
	ok(m.nlat == 2 && m.nttft == 1 && m.ndec == 1,
	    "not streamed: a latency only");
	a = answer(NAN, NAN, 1, -1, -1, -1, NULL);
	measure_add(&m, &a);
	ok(m.nlat == 2 && m.nttft == 1, "unknown times are not counted");
	a = answer(0.5, 0.75, 1, -1, 1, -1, "m2");
	measure_add(&m, &a);
	ok(m.nttft == 2 && m.ndec == 1,
	    "a first token after the end: no phases");
	measure_to_results(&m, &ri);
	ok(ri.ptok == 15 && ri.ctok == 6, "token counts summed");
	ok(ri.cached == 3, "cached prompt tokens where given");
	ok(ri.n_resp_models == 2 && strcmp(ri.resp_models[0], "m") == 0 &&
	    strcmp(ri.resp_models[1], "m2") == 0, "distinct model names");
	ok(ri.lat == m.lat && ri.nlat == 3, "views into the measurements");
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "x%d", i);
		a = answer(NAN, NAN, 0, -1, -1, -1, name);
		measure_add(&m, &a);
	}
	is_int((long long)m.nrmodels, MEASURE_MAX_MODELS,
	    "at most MEASURE_MAX_MODELS names");
	measure_release(&m);
	ok(m.lat == NULL && m.nrmodels == 0, "released");
	return (tap_done());
}
