/*
 * gpu: NVML sampling.  On a host with an NVIDIA driver the figures are
 * checked for sanity; without one, gpu_open() must say why and every
 * figure stays unknown.  (The GPU path was run on a borrowed H100: see
 * docs/PERFORMANCE.md.)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gpu.h"
#include "tap.h"

int
main(void)
{
	struct strbuf why = STRBUF_INIT;
	struct gpu_summary s;
	struct gpu *g;
	int i;

	setenv("QEVAL_NO_GPU", "1", 1);
	g = gpu_open(&why);
	ok(g == NULL && strstr(why.buf, "QEVAL_NO_GPU") != NULL,
	    "QEVAL_NO_GPU=1 turns sampling off (%s)", why.buf);
	unsetenv("QEVAL_NO_GPU");
	gpu_summary(NULL, &s);
	ok(s.available == 0, "no GPU object: nothing available");
	gpu_sample(NULL);
	gpu_close(NULL);
	ok(1, "NULL is accepted everywhere");

	strbuf_reset(&why);
	g = gpu_open(&why);
	if (g == NULL) {
		ok(why.len > 0, "without NVML gpu_open says why (%s)", why.buf);
		tap_skip("no GPU here: %s", why.buf);
	} else {
		for (i = 0; i < 3; i++)
			gpu_sample(g);
		gpu_summary(g, &s);
		ok(s.available && s.samples == 3 && s.devices >= 1,
		    "three samples of %d device(s)", s.devices);
		ok(s.name[0] != '\0', "device name: %s", s.name);
		ok(s.memory_total_gb > 0 && s.memory_used_peak_gb >= 0 &&
		    s.memory_used_peak_gb <= s.memory_total_gb,
		    "memory: peak %.2f of %.2f GiB", s.memory_used_peak_gb,
		    s.memory_total_gb);
		ok(s.utilization_mean_pct >= 0 &&
		    s.utilization_peak_pct <= 100,
		    "utilisation %.0f%% (peak %.0f%%)", s.utilization_mean_pct,
		    s.utilization_peak_pct);
		gpu_close(g);
	}
	strbuf_release(&why);
	return (tap_done());
}
