/*
 * bench-exec: runs a file of programs through qeval's executor and
 * writes one verdict per line.  See bench/exec/README.
 *
 *   bench-exec PROGRAMS.jsonl VERDICTS.tsv [WORKERS [TIMEOUT_S]]
 *
 * PROGRAMS.jsonl holds {"id": "...", "program": "..."} per line;
 * VERDICTS.tsv gets "id<TAB>passed|failed|...<TAB>detail" in input
 * order.  The time printed covers submit to last verdict (the
 * executor's start-up is reported apart).
 */
#include "config.h"

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "exec.h"
#include "strbuf.h"
#include "xalloc.h"

struct prog {
	char	*id;
	char	*text;
	int	 status;
	char	*detail;
	double	 cpu;
};

static const char *const names[] = {
	"passed", "failed", "timeout", "oom", "crashed", "refused"
};

static void
on_result(void *arg, const struct exec_result *r)
{
	struct prog *p = (struct prog *)arg + r->id;
	size_t i;

	p->status = r->status;
	p->cpu = r->cpu_s;
	p->detail = xstrdup(r->detail != NULL ? r->detail : "");
	for (i = 0; p->detail[i] != '\0'; i++)
		if (p->detail[i] == '\t' || p->detail[i] == '\n')
			p->detail[i] = ' ';
}

int
main(int argc, char **argv)
{
	struct exec_opts o = { 0, 3.0, 0, 0 };
	struct strbuf err = STRBUF_INIT;
	struct prog *ps = NULL;
	size_t n = 0, a = 0, i, counts[6] = { 0 };
	struct exec *x;
	char *line = NULL;
	size_t cap = 0;
	double t0, t1, t2, cpu_sum = 0, cpu_all;
	struct rusage ru;
	FILE *in, *out;

	if (argc < 3) {
		fprintf(stderr, "usage: bench-exec PROGRAMS.jsonl VERDICTS.tsv"
		    " [WORKERS [TIMEOUT_S]]\n");
		return (2);
	}
	if (argc > 3)
		o.workers = atoi(argv[3]);
	if (argc > 4)
		o.timeout_s = strtod(argv[4], NULL);
	in = fopen(argv[1], "r");
	if (in == NULL) {
		perror(argv[1]);
		return (1);
	}
	while (getline(&line, &cap, in) > 0) {
		cJSON *j = cJSON_Parse(line);
		const char *id, *text;

		id = cJSON_GetStringValue(cJSON_GetObjectItem(j, "id"));
		text = cJSON_GetStringValue(cJSON_GetObjectItem(j, "program"));
		if (id != NULL && text != NULL) {
			ps = xgrow(ps, n + 1, sizeof(*ps), &a);
			ps[n].id = xstrdup(id);
			ps[n].text = xstrdup(text);
			ps[n].status = -1;
			ps[n].detail = NULL;
			n++;
		}
		cJSON_Delete(j);
	}
	free(line);
	fclose(in);

	t0 = clock_now();
	if (exec_start(&x, &o, &err) != 0) {
		fprintf(stderr, "bench-exec: %s\n", err.buf);
		return (1);
	}
	t1 = clock_now();
	for (i = 0; i < n; i++)
		if (exec_submit(x, i, ps[i].text, strlen(ps[i].text), 0,
		    0) != 0) {
			fprintf(stderr, "bench-exec: submit failed\n");
			return (1);
		}
	while (exec_pending(x) > 0) {
		struct pollfd pfd = { exec_fd(x), POLLIN, 0 };

		(void)poll(&pfd, 1, 1000);
		if (exec_collect(x, on_result, ps, &err) != 0) {
			fprintf(stderr, "bench-exec: %s\n", err.buf);
			return (1);
		}
	}
	t2 = clock_now();
	printf("qeval executor: %zu programs in %.3f s (start-up %.3f s; "
	    "layers %s)\n", n, t2 - t1, t1 - t0, exec_layers(x));
	exec_stop(x);
	/* The executor and everything it reaped, plus this process. */
	cpu_all = 0;
	if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
		cpu_all += (double)ru.ru_utime.tv_sec +
		    ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		    ru.ru_stime.tv_usec / 1e6;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu_all += (double)ru.ru_utime.tv_sec +
		    ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		    ru.ru_stime.tv_usec / 1e6;

	out = fopen(argv[2], "w");
	if (out == NULL) {
		perror(argv[2]);
		return (1);
	}
	for (i = 0; i < n; i++) {
		int s = ps[i].status;

		if (s >= 0 && s < 6)
			counts[s]++;
		cpu_sum += ps[i].cpu;
		fprintf(out, "%s\t%s\t%s\t%.4f\n", ps[i].id,
		    s >= 0 && s < 6 ? names[s] : "none",
		    ps[i].detail ? ps[i].detail : "", ps[i].cpu);
		free(ps[i].id);
		free(ps[i].text);
		free(ps[i].detail);
	}
	fclose(out);
	printf("verdicts: %zu passed, %zu failed, %zu timeout, %zu oom, "
	    "%zu crashed\n", counts[0], counts[1], counts[2], counts[3],
	    counts[4]);
	printf("cpu %.3f (all processes; the programs' own: %.3f)\n",
	    cpu_all, cpu_sum);
	printf("wall %.3f\n", t2 - t1);
	free(ps);
	strbuf_release(&err);
	return (0);
}
