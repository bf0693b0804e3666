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
