/*
 * http-bench: requests/s of the http client (src/http.c) against one
 * endpoint.  bench/http-bench.sh runs it against tests/fake/fakeserver.py.
 *
 *   http-bench URL N CONCURRENCY [stream]
 *
 * Submits N small chat requests at once (the client queues what does not
 * fit in CONCURRENCY), drives them to the end and prints one line:
 *   qeval-c <concurrency> <n> <ok> <seconds> <req/s> <client CPU us/req>
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "http.h"
#include "strbuf.h"

static unsigned long nok, nfail;

static void
on_done(void *arg, const struct http_result *r)
{
	(void)arg;
	if (r->ok && r->text != NULL && r->text[0] != '\0')
		nok++;
	else {
		if (nfail++ == 0)
			fprintf(stderr, "http-bench: %s\n", r->error ?
			    r->error : "empty answer");
	}
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

int
main(int argc, char **argv)
{
	static const char body[] = "{\"model\":\"m\",\"messages\":[{\"role\":"
	    "\"user\",\"content\":\"What is 2+2?\"}],\"max_tokens\":16,"
	    "\"temperature\":0}";
	static const char sbody[] = "{\"model\":\"m\",\"messages\":[{\"role\":"
	    "\"user\",\"content\":\"What is 2+2?\"}],\"max_tokens\":16,"
	    "\"temperature\":0,\"stream\":true,\"stream_options\":"
	    "{\"include_usage\":true}}";
	struct strbuf err = STRBUF_INIT;
	struct http_opts o;
	struct http_request q;
	struct http *h;
	const char *eps[1];
	double t0, c0, dt, dc;
	long i, n;
	int conc, stream;

	if (argc < 4) {
		fprintf(stderr, "usage: http-bench URL N CONCURRENCY "
		    "[stream]\n");
		return (2);
	}
	eps[0] = argv[1];
	n = strtol(argv[2], NULL, 10);
	conc = (int)strtol(argv[3], NULL, 10);
	stream = argc > 4 && strcmp(argv[4], "stream") == 0;
	memset(&o, 0, sizeof(o));
	o.endpoints = eps;
	o.n_endpoints = 1;
	o.concurrency = conc;
	o.timeout_s = 60;
	o.connect_timeout_s = 10;
	o.retries = 2;
	o.backoff_base_s = 0.05;
	o.backoff_max_s = 1;
	if ((h = http_new(&o, on_done, NULL, &err)) == NULL) {
		fprintf(stderr, "http-bench: %s\n", err.buf);
		return (1);
	}
	memset(&q, 0, sizeof(q));
	q.path = "/chat/completions";
	q.body = stream ? sbody : body;
	q.body_len = strlen(q.body);
	q.stream = stream;
	t0 = http_now();
	c0 = cpu_s();
	for (i = 0; i < n; i++) {
		q.id = (uint64_t)i;
		http_submit(h, &q);
	}
	while (http_pending(h) > 0)
		if (http_step(h, 100, -1, &err) != 0) {
			fprintf(stderr, "http-bench: %s\n", err.buf);
			return (1);
		}
	dt = http_now() - t0;
	dc = cpu_s() - c0;
	printf("qeval-c %d %ld %lu %.3f %.0f %.1f\n", conc, n, nok, dt,
	    (double)n / dt, dc / (double)n * 1e6);
	http_free(h);
	strbuf_release(&err);
	return (nfail > 0);
}
