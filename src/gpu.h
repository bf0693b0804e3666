/*
 * gpu: GPU memory and utilisation of this host, sampled through NVML
 * while a run is in progress, for the report's System Performance block.
 *
 * NVML (libnvidia-ml.so.1, shipped with the NVIDIA driver) is loaded
 * with dlopen() at gpu_open(): qeval neither links nor needs it, and on a
 * host without it every figure stays unknown ("n/a" in the report).  The
 * figures describe the GPUs of the host qeval runs on, which is the
 * serving host when vLLM runs beside qeval (--serve, or a local server);
 * QEVAL_NO_GPU=1 turns sampling off for a remote server.
 *
 * Which GPUs: those NVML lists, restricted to CUDA_VISIBLE_DEVICES when
 * it holds plain indices.
 *
 * Ownership: struct gpu is opaque; gpu_close() frees it (NULL is fine).
 * Threads: one thread; gpu_sample() takes well under a millisecond per
 * device and is called from the run loop.
 */
#ifndef QEVAL_GPU_H
#define QEVAL_GPU_H

#include <stddef.h>

#include "strbuf.h"

struct gpu;

/*
 * The samples over time, for the report's charts, bounded: at most
 * GPU_SERIES_MAX points.  When full, neighbouring points are merged in
 * pairs (memory: the larger, so no peak is lost; utilisation: the mean;
 * time: the first) and each later point stands for twice as many
 * samples as before.
 */
#define GPU_SERIES_MAX	240

struct gpu_series {
	double	 t[GPU_SERIES_MAX];	/* seconds since the first sample */
	double	 mem[GPU_SERIES_MAX];	/* summed used memory, GiB */
	double	 util[GPU_SERIES_MAX];	/* mean over devices, % */
	size_t	 n;
	size_t	 stride;		/* samples per point (0 means 1) */
	double	 bt, bmem, butil;	/* the point being filled */
	size_t	 bn;
};

/* Adds one sample; util may be NaN (not measured). */
void	 gpu_series_add(struct gpu_series *, double t, double mem_gb,
	    double util_pct);
/* Ends the point being filled, so that the last samples show. */
void	 gpu_series_flush(struct gpu_series *);

struct gpu_summary {
	int	 available;		/* 0: nothing could be measured */
	int	 devices;
	char	 name[96];		/* first device's name */
	double	 memory_total_gb;	/* summed over devices (GiB) */
	double	 memory_used_peak_gb;	/* peak of the summed used memory */
	double	 memory_used_start_gb;	/* at the first sample */
	double	 utilization_mean_pct;	/* mean over samples and devices */
	double	 utilization_peak_pct;
	size_t	 samples;
	struct gpu_series series;	/* flushed */
};

/*
 * Loads NVML and finds the devices.  Returns NULL (and explains in why,
 * which may be NULL) when NVML or a GPU is not there: not an error.
 */
struct gpu *gpu_open(struct strbuf *why);
/* Takes one sample of every device. */
void	 gpu_sample(struct gpu *);
/* Summary of the samples so far (available = 0 if none). */
void	 gpu_summary(const struct gpu *, struct gpu_summary *);
void	 gpu_close(struct gpu *);

#endif
