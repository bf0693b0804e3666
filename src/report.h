/*
 * report: the tracker-style markdown report (../shared/seeds/004_*.txt
 * is the model), written from one or more results.json documents
 * (docs/RESULTS.md) and nothing else.
 *
 * Layout: a title and overview; per model, per preset (runs ordered by
 * start time, the latest run of a (model, preset, task) wins in the
 * tables), a "System Performance" block, a "Dataset Evaluation Results"
 * table (Dataset | Task Type | Samples | Score ± stderr | Status | Notes),
 * per-category breakdowns where tasks have categories, and the
 * "Configuration Used" (the resolved preset as JSON); then a
 * "Comparative Analysis" between presets of a model and between models
 * of a preset; then a "Changelog" listing the runs.  Missing figures are
 * "n/a".  Output is real UTF-8 and byte-for-byte deterministic for the
 * same inputs.
 *
 * Ownership: the cJSON documents stay the caller's.
 * Errors: 0, or < 0 with a one-line explanation naming the run and key.
 */
#ifndef QEVAL_REPORT_H
#define QEVAL_REPORT_H

#include <stddef.h>

#include "strbuf.h"

struct cJSON;

/* Appends the markdown of the given runs to out. */
int	 report_render(const struct cJSON *const *runs, size_t n,
	    struct strbuf *out, struct strbuf *err);

/*
 * Reads each RUN (a run directory holding results.json, or a
 * results.json path), renders them together and writes the report to
 * out_path atomically (temp file + rename), or to stdout if out_path is
 * NULL or "-".
 */
int	 report_write_runs(const char *const *runs, size_t n,
	    const char *out_path, struct strbuf *err);

#endif
