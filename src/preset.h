/*
 * preset: named run configurations (presets/NAME.json; docs/PRESETS.md).
 *
 * A preset file is a JSON object:
 *   { "name": "balanced", "description": "...",
 *     "server": { "gpu_memory_utilization": 0.85, "max_num_seqs": 64,
 *                 "max_model_len": 32768, "enable_prefix_caching": true,
 *                 "quantization": null, "dtype": "auto",
 *                 "tensor_parallel_size": 1, "extra_args": [] },
 *     "client": { "concurrency": 8, "timeout_s": 600, "retries": 5,
 *                 "backoff_base_s": 0.5, "backoff_max_s": 30 },
 *     "generation": { "temperature": 0.0, "top_p": 1.0,
 *                     "max_tokens": 1024, "seed": 1234 },
 *     "samples": 1 }
 * Every key is optional except "name"; missing keys take the built-in
 * defaults (those of "balanced").  An unknown key, a wrong type or a
 * value out of range is an error naming the file, the key path
 * ("client.concurrency") and what is expected.
 *
 * Lookup of a name: --preset-file wins; else $XDG_CONFIG_HOME/qeval/
 * presets/<name>.json (default ~/.config), then each directory given
 * (the installed $(pkgdatadir)/presets, the source tree's presets/).
 *
 * Ownership: struct preset owns its strings; preset_release() frees.
 */
#ifndef QEVAL_PRESET_H
#define QEVAL_PRESET_H

#include <stddef.h>

#include "strbuf.h"

struct preset {
	char	*name;
	char	*description;
	char	*source;		/* file it came from, or "built-in" */
	/* server (vllm serve flags, used by --serve) */
	double	 gpu_memory_utilization;	/* (0, 1] */
	int	 max_num_seqs;			/* >= 1 */
	int	 max_model_len;			/* 0: the model's */
	int	 enable_prefix_caching;
	char	*quantization;			/* NULL: none */
	char	*dtype;				/* "auto" */
	int	 tensor_parallel_size;		/* >= 1 */
	char	**extra_args;
	size_t	 n_extra_args;
	/* client */
	int	 concurrency;			/* 1..4096 */
	double	 timeout_s;			/* > 0 */
	int	 retries;			/* 0..100 */
	double	 backoff_base_s;
	double	 backoff_max_s;
	double	 connect_timeout_s;		/* > 0 */
	double	 first_byte_timeout_s;		/* 0: none */
	double	 stall_timeout_s;		/* streams; 0: none */
	/* generation defaults */
	double	 temperature;			/* >= 0 */
	double	 top_p;				/* (0, 1] */
	int	 max_tokens;			/* >= 1 */
	long	 seed;				/* >= 0 */
	/* candidates per sample (pass@k) */
	int	 samples;			/* >= 1 */
};

/* Fills the built-in defaults (balanced). */
void	 preset_defaults(struct preset *);
/* Loads a file over the defaults.  0 or QEVAL_EINVAL/ENOENT (err). */
int	 preset_load_file(struct preset *, const char *path,
	    struct strbuf *err);
/*
 * The same from text in memory (a run's plan holds its preset): name
 * says where it came from, in messages and in p->source.  0 or
 * QEVAL_EINVAL (err).
 */
int	 preset_load_text(struct preset *, const char *text, const char *name,
	    struct strbuf *err);
/* Finds and loads a preset by name (see lookup above). */
int	 preset_find(struct preset *, const char *name,
	    const char *const *dirs, struct strbuf *err);
/* Lists the names found in the lookup dirs (sorted, unique), one per
 * line, "name<TAB>path". */
void	 preset_list(const char *const *dirs, struct strbuf *out);
/* The resolved preset as a pretty JSON object (malloc'd). */
char	*preset_to_json(const struct preset *);
/* `vllm serve` arguments for this preset (NULL-terminated, malloc'd
 * array of malloc'd strings; free with preset_argv_free). */
char	**preset_serve_argv(const struct preset *, const char *model,
	    int port);
/*
 * `llama-server` arguments for this preset (--serve --engine llama.cpp;
 * the mapping is docs/PRESETS.md's table): model is a GGUF path,
 * threads <= 0 leaves -t out, q8_kv 0 keeps the KV cache f16 (a model
 * whose head size q8_0's blocks do not divide).  Same ownership as
 * preset_serve_argv().
 */
char	**preset_llamacpp_argv(const struct preset *, const char *model,
	    int port, int threads, int q8_kv);
void	 preset_argv_free(char **);
void	 preset_release(struct preset *);

#endif
