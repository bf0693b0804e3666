/*
 * A stand-in for NVML (libnvidia-ml.so.1) with the few entry points
 * src/gpu.c uses, so that the GPU sampling path (sampling, the series in
 * results.json, the report's GPU charts) runs on a host without an
 * NVIDIA GPU.  tests/e2e/t-charts.py links it as libnvidia-ml.so.1 into
 * a directory on LD_LIBRARY_PATH.  One device, "Fake NVML GPU", 80 GiB;
 * its used memory grows by 1 GiB per reading up to 60 GiB, and its
 * utilisation cycles 0, 10, ..., 90 %.
 */
#include "config.h"

#include <string.h>

#define EXPORT	__attribute__((visibility("default")))

struct fake_memory {
	unsigned long long	total, free, used;
};

/* nvmlMemory_v2_t: v1's "used" also counts the driver's reserve. */
struct fake_memory_v2 {
	unsigned int		version;
	unsigned long long	total, reserved, free, used;
};

struct fake_utilization {
	unsigned int	gpu, memory;
};

static int	device;		/* its address is the handle */
static unsigned	readings;
static unsigned	util_readings;

EXPORT int	nvmlInit_v2(void);
EXPORT int	nvmlShutdown(void);
EXPORT int	nvmlDeviceGetCount_v2(unsigned int *);
EXPORT int	nvmlDeviceGetHandleByIndex_v2(unsigned int, void **);
EXPORT int	nvmlDeviceGetName(void *, char *, unsigned int);
EXPORT int	nvmlDeviceGetMemoryInfo(void *, struct fake_memory *);
EXPORT int	nvmlDeviceGetMemoryInfo_v2(void *, struct fake_memory_v2 *);
EXPORT int	nvmlDeviceGetUtilizationRates(void *,
		    struct fake_utilization *);

int
nvmlInit_v2(void)
{
	return (0);
}

int
nvmlShutdown(void)
{
	return (0);
}

int
nvmlDeviceGetCount_v2(unsigned int *n)
{
	*n = 1;
	return (0);
}

int
nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **h)
{
	if (i != 0)
		return (2);	/* NVML_ERROR_INVALID_ARGUMENT */
	*h = &device;
	return (0);
}

int
nvmlDeviceGetName(void *h, char *name, unsigned int len)
{
	if (h != &device || len < 14)
		return (2);
	memcpy(name, "Fake NVML GPU", 14);
	return (0);
}

int
nvmlDeviceGetMemoryInfo(void *h, struct fake_memory *m)
{
	const unsigned long long gib = 1024ULL * 1024 * 1024;
	unsigned long long used;

	/* v1, as drivers give it: the reserve (half a GiB) counts as used;
	 * qeval reads v2 where it exists, so the series stays whole GiB */
	if (h != &device)
		return (2);
	used = readings < 60 ? readings : 60;
	readings++;
	m->total = 80 * gib;
	m->used = used * gib + gib / 2;
	m->free = m->total - m->used;
	return (0);
}

int
nvmlDeviceGetMemoryInfo_v2(void *h, struct fake_memory_v2 *m)
{
	const unsigned long long gib = 1024ULL * 1024 * 1024;
	unsigned long long used;

	if (h != &device || m->version != ((unsigned)sizeof(*m) | (2u << 24)))
		return (2);
	used = readings < 60 ? readings : 60;
	readings++;
	m->total = 80 * gib;
	m->reserved = gib / 2;
	m->used = used * gib;
	m->free = m->total - m->reserved - m->used;
	return (0);
}

int
nvmlDeviceGetUtilizationRates(void *h, struct fake_utilization *u)
{
	if (h != &device)
		return (2);
	u->gpu = (util_readings++ % 10) * 10;
	u->memory = 0;
	return (0);
}
