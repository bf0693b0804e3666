#include "config.h"
#include "gpu.h"

#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "xalloc.h"

/*
 * The few NVML entry points qeval uses, declared here from NVML's
 * documented, stable C API so that no NVIDIA header is needed to build.
 */
typedef int nvml_return;			/* nvmlReturn_t; 0 = success */
typedef struct nvml_device_st *nvml_device;	/* nvmlDevice_t */
struct nvml_memory {				/* nvmlMemory_t */
	unsigned long long	total;
	unsigned long long	free;
	unsigned long long	used;
};
/*
 * nvmlMemory_v2_t: "used" leaves out the memory the driver reserves,
 * which the v1 call counts as used; nvidia-smi shows the v2 figure (on
 * an H200 the two differ by about 0.6 GiB).
 */
struct nvml_memory_v2 {
	unsigned int		version;
	unsigned long long	total;
	unsigned long long	reserved;
	unsigned long long	free;
	unsigned long long	used;
};
#define NVML_MEMORY_V2	((unsigned int)sizeof(struct nvml_memory_v2) | \
			    (2u << 24))

struct nvml_utilization {			/* nvmlUtilization_t */
	unsigned int	gpu;
	unsigned int	memory;
};

#define GPU_MAX_DEVICES	16

struct gpu {
	unsigned		 magic;
#define GPU_MAGIC		 0x47505531u
	void			*dl;
	nvml_return		(*shutdown)(void);
	nvml_return		(*mem)(nvml_device, struct nvml_memory *);
	nvml_return		(*mem2)(nvml_device, struct nvml_memory_v2 *);
	nvml_return		(*util)(nvml_device, struct nvml_utilization *);
	nvml_device		 dev[GPU_MAX_DEVICES];
	int			 ndev;
	char			 name[96];
	double			 total_gb;
	double			 peak_gb;
	double			 start_gb;
	double			 util_sum;
	size_t			 util_n;
	double			 util_peak;
	size_t			 samples;
	double			 t0;
	struct gpu_series	 series;
};

static const double GIB = 1024.0 * 1024.0 * 1024.0;

static void
series_push(struct gpu_series *s)
{
	size_t i;

	if (s->bn == 0)
		return;
	if (s->n == GPU_SERIES_MAX) {
		for (i = 0; i < GPU_SERIES_MAX / 2; i++) {
			double u1 = s->util[2 * i], u2 = s->util[2 * i + 1];

			s->t[i] = s->t[2 * i];
			s->mem[i] = fmax(s->mem[2 * i], s->mem[2 * i + 1]);
			s->util[i] = isnan(u1) ? u2 : isnan(u2) ? u1 :
			    (u1 + u2) / 2;
		}
		s->n = GPU_SERIES_MAX / 2;
		s->stride = (s->stride ? s->stride : 1) * 2;
	}
	s->t[s->n] = s->bt;
	s->mem[s->n] = s->bmem;
	s->util[s->n] = s->butil;
	s->n++;
	s->bn = 0;
}

void
gpu_series_add(struct gpu_series *s, double t, double mem_gb,
    double util_pct)
{
	if (s->bn == 0) {
		s->bt = t;
		s->bmem = mem_gb;
		s->butil = util_pct;
	} else {
		s->bmem = fmax(s->bmem, mem_gb);
		/* a running mean over the point's samples */
		if (isnan(s->butil))
			s->butil = util_pct;
		else if (!isnan(util_pct))
			s->butil += (util_pct - s->butil) /
			    (double)(s->bn + 1);
	}
	s->bn++;
	if (s->bn >= (s->stride ? s->stride : 1))
		series_push(s);
}

void
gpu_series_flush(struct gpu_series *s)
{
	series_push(s);
}

/* CUDA_VISIBLE_DEVICES as a list of indices; -1 if it is not one. */
static int
visible(int idx)
{
	const char *v = getenv("CUDA_VISIBLE_DEVICES");
	char *copy, *tok, *save = NULL, *end;
	int found = 0;

	if (v == NULL)
		return (1);
	copy = xstrdup(v);
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		long n = strtol(tok, &end, 10);

		if (end == tok || *end != '\0') {
			found = 1;	/* UUIDs: do not filter */
			break;
		}
		if (n == idx)
			found = 1;
	}
	free(copy);
	return (found);
}

struct gpu *
gpu_open(struct strbuf *why)
{
	nvml_return (*init)(void);
	nvml_return (*count)(unsigned int *);
	nvml_return (*handle)(unsigned int, nvml_device *);
	nvml_return (*name)(nvml_device, char *, unsigned int);
	const char *off = getenv("QEVAL_NO_GPU");
	struct gpu *g;
	unsigned int n = 0, i;
	void *dl;

	if (off != NULL && *off != '\0' && strcmp(off, "0") != 0) {
		if (why)
			strbuf_addf(why, "GPU sampling off (QEVAL_NO_GPU)");
		return (NULL);
	}
	dl = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		if (why)
			strbuf_addf(why, "no NVML on this host "
			    "(libnvidia-ml.so.1 not found)");
		return (NULL);
	}
	*(void **)&init = dlsym(dl, "nvmlInit_v2");
	*(void **)&count = dlsym(dl, "nvmlDeviceGetCount_v2");
	*(void **)&handle = dlsym(dl, "nvmlDeviceGetHandleByIndex_v2");
	*(void **)&name = dlsym(dl, "nvmlDeviceGetName");
	g = xcalloc(1, sizeof(*g));
	g->magic = GPU_MAGIC;
	g->dl = dl;
	*(void **)&g->shutdown = dlsym(dl, "nvmlShutdown");
	*(void **)&g->mem = dlsym(dl, "nvmlDeviceGetMemoryInfo");
	*(void **)&g->mem2 = dlsym(dl, "nvmlDeviceGetMemoryInfo_v2");
	*(void **)&g->util = dlsym(dl, "nvmlDeviceGetUtilizationRates");
	if (init == NULL || count == NULL || handle == NULL ||
	    g->shutdown == NULL || g->mem == NULL || g->util == NULL) {
		if (why)
			strbuf_addf(why, "NVML lacks the functions qeval uses");
		dlclose(dl);
		free(g);
		return (NULL);
	}
	if (init() != 0 || count(&n) != 0 || n == 0) {
		if (why)
			strbuf_addf(why, "NVML found no GPU");
		g->shutdown();
		dlclose(dl);
		free(g);
		return (NULL);
	}
	for (i = 0; i < n && g->ndev < GPU_MAX_DEVICES; i++) {
		nvml_device d;
		struct nvml_memory m;

		if (!visible((int)i) || handle(i, &d) != 0)
			continue;
		if (g->ndev == 0 && name != NULL &&
		    name(d, g->name, sizeof(g->name)) != 0)
			g->name[0] = '\0';
		if (g->mem(d, &m) == 0)
			g->total_gb += (double)m.total / GIB;
		g->dev[g->ndev++] = d;
	}
	g->name[sizeof(g->name) - 1] = '\0';
	if (g->ndev == 0) {
		if (why)
			strbuf_addf(why, "no visible GPU");
		g->shutdown();
		dlclose(dl);
		free(g);
		return (NULL);
	}
	return (g);
}

/* The v2 figures where the driver has them, else v1's. */
static int
mem_used(const struct gpu *g, nvml_device d, struct nvml_memory *m)
{
	struct nvml_memory_v2 m2;

	if (g->mem2 != NULL) {
		memset(&m2, 0, sizeof(m2));
		m2.version = NVML_MEMORY_V2;
		if (g->mem2(d, &m2) == 0) {
			m->total = m2.total;
			m->free = m2.free;
			m->used = m2.used;
			return (0);
		}
	}
	return (g->mem(d, m));
}

void
gpu_sample(struct gpu *g)
{
	double used = 0, usum = 0, now = clock_now();
	int i, ok = 0, un = 0;

	if (g == NULL || g->magic != GPU_MAGIC)
		return;
	for (i = 0; i < g->ndev; i++) {
		struct nvml_memory m;
		struct nvml_utilization u;

		if (mem_used(g, g->dev[i], &m) == 0) {
			used += (double)m.used / GIB;
			ok = 1;
		}
		if (g->util(g->dev[i], &u) == 0) {
			g->util_sum += u.gpu;
			g->util_n++;
			usum += u.gpu;
			un++;
			if (u.gpu > g->util_peak)
				g->util_peak = u.gpu;
		}
	}
	if (!ok)
		return;
	if (g->samples == 0) {
		g->start_gb = used;
		g->t0 = now;
	}
	gpu_series_add(&g->series, now - g->t0, used, un > 0 ?
	    usum / un : NAN);
	if (used > g->peak_gb)
		g->peak_gb = used;
	g->samples++;
}

void
gpu_summary(const struct gpu *g, struct gpu_summary *s)
{
	memset(s, 0, sizeof(*s));
	if (g == NULL || g->magic != GPU_MAGIC || g->samples == 0)
		return;
	s->available = 1;
	s->devices = g->ndev;
	memcpy(s->name, g->name, sizeof(s->name));
	s->memory_total_gb = g->total_gb;
	s->memory_used_peak_gb = g->peak_gb;
	s->memory_used_start_gb = g->start_gb;
	s->utilization_mean_pct = g->util_n ? g->util_sum / (double)g->util_n :
	    0;
	s->utilization_peak_pct = g->util_peak;
	s->samples = g->samples;
	s->series = g->series;
	gpu_series_flush(&s->series);
}

void
gpu_close(struct gpu *g)
{
	if (g == NULL)
		return;
	g->shutdown();
	dlclose(g->dl);
	g->magic = 0;
	free(g);
}
