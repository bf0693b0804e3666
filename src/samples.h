/*
 * samples: the samples file, RUN/samples/<task>.jsonl (docs/RESULTS.md,
 * "samples/<task>.jsonl and the journal: bytes"): one JSON line per
 * finished unit (a sample's candidate) with every exchange (what was
 * sent, what came back) and the verdict, or the error that stopped
 * the unit.
 *
 * Every string is written so that strict JSON parsers read it: bytes
 * that are not UTF-8 are escaped, NUL bytes are kept as "\u0000"
 * (samples_add_bytes(), jsonb_quote()); the journal writes its texts
 * the same way.
 *
 * Ownership: nothing given is kept or freed.  Errors writing the file
 * are the caller's to find (ferror() / fclose()).
 */
#ifndef QEVAL_SAMPLES_H
#define QEVAL_SAMPLES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <qeval/plugin.h>

/*
 * One finished exchange as the run keeps it: every string owned (the
 * run frees them), and what the plugin's struct qeval_exchange view
 * does not carry (what was sent, the raw answer, timings, faults).
 */
struct xown {
	char	*body;		/* plugin's request body */
	char	*label;
	char	*sent;		/* the HTTP body sent (or NULL) */
	char	*text;
	size_t	 text_len;	/* may hold NUL bytes */
	char	*finish;
	char	*tools;
	char	*raw;
	double	*logprob;
	uint8_t	*greedy;
	size_t	*cont_chars;
	double	 latency;	/* seconds; NaN if none */
	double	 ttft;
	int	 attempts;
	int	 unparseable;	/* unparseable replies retried first */
	unsigned bad_utf8;	/* invalid UTF-8 replaced by U+FFFD */
	int	 replayed;	/* came from the journal */
	int	 unjournaled;	/* EXEC with "journal": false */
};

/* What a line says of one unit; the arrays are the run's. */
struct samples_unit {
	const char			*task;
	const char			*id;		/* the sample's */
	size_t				 index;		/* the sample's */
	unsigned			 cand;
	double				 samp_temp;	/* NaN: not sampled */
	unsigned			 seed;		/* the candidate's, when
							 * sampled */
	const struct qeval_exchange	*ex;		/* [nex] */
	const struct xown		*own;		/* [nex] */
	size_t				 nex;
	const struct qeval_metric_desc	*metrics;	/* [nmetrics] */
	size_t				 nmetrics;
};

/*
 * Writes the unit's line to f: with its verdict v, or (error not NULL)
 * with the error instead.
 */
void	 samples_write(FILE *f, const struct samples_unit *,
	    const struct qeval_verdict *v, const char *error);

/* A request kind as the samples file names it ("chat", "exec"...). */
const char *samples_kind_name(enum qeval_req_kind);

/*
 * Adds len bytes to o as the JSON string key: cJSON would cut them at a
 * NUL byte and print invalid UTF-8 raw.
 */
struct cJSON;
void	 samples_add_bytes(struct cJSON *o, const char *key, const char *s,
	    size_t len);

#endif
