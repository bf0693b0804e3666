/*
 * qeval plugin ABI.
 *
 * This is the only header qeval installs.  A scorer plugin is a shared
 * object that exports one symbol, `qeval_plugin`, a const descriptor
 * (struct qeval_plugin).  qeval dlopen()s the file, checks the
 * descriptor's ABI version before reading anything else, and then drives
 * the plugin through the lifecycle below.  A plugin needs no symbol of the
 * qeval binary: every service it may use arrives in struct qeval_host.
 *
 * Lifecycle, per task of the plugin that a run selects:
 *
 *   open(host, ctx, task, opts, &state)     read the dataset, build items
 *   count(state)                            number of samples
 *   for each sample i, for each candidate c (pass@k runs n of them):
 *	next(state, ctx, i, ex, nex, &req)   QEVAL_NEXT: one more request
 *	  ... the core performs req (model, judge or code execution) and
 *	  appends { req, response } to ex ...
 *	next(...)                            QEVAL_DONE: the sample is over
 *	score(state, ctx, i, ex, nex, &verdict)
 *   close(state)
 *
 * The core owns every network call, retry, timeout, measurement, code
 * execution and the journal; a plugin never talks to the network and
 * never runs candidate code itself.  `next` must be a pure function of
 * (sample, exchanges so far): --resume and `qeval rescore` replay saved
 * exchanges through it.
 *
 * The reference model (--model reference) and `qeval selftest` use
 * gold(): for a pending request the plugin writes the response a perfect
 * model (corrupt = 0) or a wrong one (corrupt = 1) would give.
 *
 * Memory: see "Ownership" at each type.  The general rule:
 *   - what the core passes in (ctx, exchanges, option strings) is owned by
 *     the core and valid for the duration of the call only;
 *   - what a plugin returns through an out-parameter (request fields,
 *     verdict strings, gold responses) is owned by the plugin and must
 *     stay valid until the plugin's next call with the same state; the
 *     core copies it before then.  A per-state scratch buffer is enough.
 *   - the descriptor and everything it points to is static, const data.
 *
 * Threads: the core calls a plugin from one thread at a time, per state.
 *
 * Return codes: QEVAL_OK (0) or a negative enum qeval_rc; an error is
 * explained through host->fail(ctx, rc, fmt, ...), which returns rc, so a
 * plugin can write `return (h->fail(ctx, QEVAL_EDATA, "..."));`.
 */
#ifndef QEVAL_PLUGIN_H
#define QEVAL_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QEVAL_ABI_MAJOR	1	/* bump on any removal or signature change */
#define QEVAL_ABI_MINOR	1	/* bump on any addition at a struct's end */
/*
 * Changelog
 * 1.0	initial ABI
 * 1.0	(same layout) qeval_response.reserved is now text_len, the
 *	length of text, which may hold NUL bytes; QEVAL_RESP_TEXT_LEN()
 *	reads it and falls back to strlen() with an older core (0 there)
 * 1.1	struct qeval_plugin gains `options` (declared task options); the
 *	core reads it only from plugins whose abi_minor is 1 or more
 *	metric flags QEVAL_MF_POOLED, QEVAL_MF_POOL_PART (no layout change)
 * 1.1	metric flag QEVAL_MF_SELECT, best-of-N (no layout change)
 * 1.1	task flag QEVAL_TF_EXEC_OPT (no layout change); EXEC bodies gain
 *	"session", "modules", "output", "journal" (docs/PLUGIN_API.md)
 */

/* Fills the three identity fields of a descriptor. */
#define QEVAL_ABI_HEADER(type)						\
	.abi_major = QEVAL_ABI_MAJOR, .abi_minor = QEVAL_ABI_MINOR,	\
	.struct_size = sizeof(type)
/* True if a struct of the given (possibly older) size has field f. */
#define QEVAL_HAS_FIELD(p, type, f)					\
	((p)->struct_size >= offsetof(type, f) + sizeof(((type *)0)->f))

#if defined(__GNUC__)
#define QEVAL_EXPORT	__attribute__((visibility("default")))
#define QEVAL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define QEVAL_EXPORT
#define QEVAL_PRINTF(a, b)
#endif

/* The name of the one symbol a plugin exports. */
#define QEVAL_PLUGIN_SYMBOL	"qeval_plugin"

enum qeval_rc {
	QEVAL_OK = 0,
	QEVAL_NEXT = 1,		/* next(): *req holds one more request */
	QEVAL_DONE = 2,		/* next(): the sample needs no more calls */
	QEVAL_ENOMEM = -1,	/* allocation failed */
	QEVAL_EDATA = -2,	/* the dataset is malformed */
	QEVAL_EINVAL = -3,	/* bad option or argument */
	QEVAL_EABI = -4,	/* ABI mismatch */
	QEVAL_ENOENT = -5,	/* file or name not found */
	QEVAL_EIO = -6,		/* read/write error */
	QEVAL_EUNSUP = -7,	/* the server or host cannot do this */
	QEVAL_EINTERNAL = -8	/* a bug: an invariant was broken */
};

/* Opaque to plugins: the core's per-call context (errors, logging). */
struct qeval_ctx;
/* Opaque to plugins: a compiled regular expression (PCRE2). */
struct qeval_regex;

/* ---------------------------------------------------------------- */
/* Requests and responses                                           */

enum qeval_req_kind {
	/*
	 * Chat completion.  body: a JSON object text with at least
	 * "messages"; may carry "tools", "tool_choice", "stop",
	 * "continue_final_message" and other OpenAI/vLLM fields.
	 */
	QEVAL_REQ_CHAT = 1,
	/*
	 * Text completion.  body: a JSON object text with "prompt" and
	 * optionally "stop".  Over a chat-only endpoint the core refuses.
	 */
	QEVAL_REQ_COMPLETION = 2,
	/*
	 * Log-likelihood of k continuations of one context.
	 * body: {"context": "...", "continuations": ["...", ...]}.
	 * The core sends one echo+logprobs completion per continuation and
	 * answers with response.n_choices sums and greedy flags.
	 */
	QEVAL_REQ_LOGLIK = 3,
	/*
	 * Run a program in the sandboxed executor.
	 * body: {"program": "...", "timeout": seconds,
	 *        "memory_mb": optional}.  The response's status is an
	 * enum qeval_exec_status; text holds the failure detail.
	 */
	QEVAL_REQ_EXEC = 4
};

enum qeval_target {
	QEVAL_TARGET_MODEL = 0,	/* the model under evaluation */
	QEVAL_TARGET_JUDGE = 1	/* the judge model (--judge-endpoint) */
};

/*
 * One request a plugin asks the core to perform.
 * Ownership: every pointer is the plugin's (see the general rule).
 * Sampling fields left at their "unset" value take the preset's value;
 * the core always sends every sampling field explicitly, so the server's
 * generation_config never decides.  Judge requests are the exception:
 * they carry what FastChat's judge call sends (model, messages, n,
 * temperature, max_tokens), plus top_p only where the plugin sets it.
 */
struct qeval_request {
	enum qeval_req_kind	 kind;
	enum qeval_target	 target;
	const char		*body;		/* JSON object text, see kind */
	double			 temperature;	/* < 0: preset default */
	double			 top_p;		/* <= 0: preset default */
	int			 max_tokens;	/* <= 0: preset default */
	int			 reserved_int;	/* set to 0 */
	const char		*label;		/* short log tag, or NULL */
};

/* A request with every sampling field unset. */
#define QEVAL_REQUEST_INIT						\
	{ .kind = QEVAL_REQ_CHAT, .target = QEVAL_TARGET_MODEL,		\
	  .body = NULL, .temperature = -1.0, .top_p = -1.0,		\
	  .max_tokens = 0, .reserved_int = 0, .label = NULL }

enum qeval_exec_status {
	QEVAL_EXEC_PASSED = 0,
	QEVAL_EXEC_FAILED = 1,		/* an exception; text names it */
	QEVAL_EXEC_TIMEOUT = 2,		/* wall-clock or CPU limit */
	QEVAL_EXEC_OOM = 3,		/* address-space limit */
	QEVAL_EXEC_CRASHED = 4,		/* killed by a signal, or exited
					 * without reporting */
	QEVAL_EXEC_REFUSED = 5		/* code execution is disabled */
};

/*
 * What came back for one request.
 * Ownership: the core's; valid while the exchange list that holds it is
 * (i.e. during the next()/score() call that receives it).
 * Bytes: text is the model's answer as data.  It may hold NUL bytes (a
 * "\u0000" in the server's JSON), so read its length with
 * QEVAL_RESP_TEXT_LEN(), not strlen(); it is always NUL-terminated
 * after text_len bytes.  It is valid UTF-8: the core replaced every
 * byte sequence that is not (and every lone surrogate escape) by U+FFFD
 * and counted it.
 */
struct qeval_response {
	const char	*text;		/* chat content or completion text
					 * (think blocks stripped if asked);
					 * EXEC: failure detail; never NULL */
	const char	*finish_reason;	/* "stop", "length", "tool_calls" …
					 * or NULL if the server gave none */
	const char	*tool_calls;	/* JSON array text of the message's
					 * tool_calls, or NULL */
	const char	*raw;		/* the raw response body, or NULL */
	int		 status;	/* EXEC: enum qeval_exec_status;
					 * else 0 */
	int		 text_len;	/* bytes of text (NUL bytes
					 * included); 0 from a core that
					 * predates it (was `reserved`) */
	size_t		 n_choices;	/* LOGLIK: number of continuations */
	const double	*logprob;	/* LOGLIK: summed log-probability of
					 * each continuation */
	const uint8_t	*greedy;	/* LOGLIK: 1 if every continuation
					 * token was the top-1 token */
	const size_t	*cont_chars;	/* LOGLIK: code points of each
					 * continuation as sent (plugins that
					 * normalise by length should use
					 * their own text, as lm-eval does) */
	long		 prompt_tokens;	/* usage; -1 if unknown */
	long		 completion_tokens;
};

/* The length of a response's text in bytes, NUL bytes included. */
#define QEVAL_RESP_TEXT_LEN(r)						\
	((r)->text_len > 0 ? (size_t)(r)->text_len : strlen((r)->text))

/* One finished request and its response. */
struct qeval_exchange {
	struct qeval_request	req;
	struct qeval_response	resp;
};

/*
 * What gold() writes: the response a perfect (or deliberately wrong)
 * model would give to the pending request.  Only the fields relevant to
 * the request's kind are read: text (CHAT, COMPLETION), tool_calls
 * (CHAT with tools), logprob/greedy/n_choices (LOGLIK).  EXEC requests
 * are never answered by gold(); the core always runs them.
 * Ownership: the plugin's (general rule).
 */
struct qeval_gold {
	const char	*text;
	const char	*tool_calls;
	size_t		 n_choices;
	const double	*logprob;
	const uint8_t	*greedy;
};

/* ---------------------------------------------------------------- */
/* Verdicts and metrics                                             */

#define QEVAL_MAX_METRICS	16

enum qeval_metric_flags {
	QEVAL_MF_PRIMARY = 1u << 0,	/* the task's headline score */
	QEVAL_MF_PASSK = 1u << 1,	/* 0/1 per candidate: report pass@k */
	QEVAL_MF_RATE = 1u << 2,	/* a diagnostic rate (invalid,
					 * truncated …): shown in Notes */
	QEVAL_MF_LOWER_BETTER = 1u << 3,
	QEVAL_MF_SCALE10 = 1u << 4,	/* ranges 0–10 (judge ratings), not
					 * 0–1 */
	/*
	 * Pooled means (FastChat's MT-Bench overall: the mean of every
	 * rated turn, not of per-sample means).  A QEVAL_MF_POOLED
	 * metric is aggregated, overall and per category, as the mean of
	 * all non-NaN values of the task's QEVAL_MF_POOL_PART metrics
	 * taken together; its own per-sample value is what the samples
	 * file shows.  A core that predates these flags ignores them.
	 */
	QEVAL_MF_POOLED = 1u << 5,
	QEVAL_MF_POOL_PART = 1u << 6,
	/*
	 * Best-of-N (--samples N): a 0/1 metric that selects, per sample,
	 * the first candidate whose value is 1 (the first candidate when
	 * none is), e.g. "the visible examples pass".  The report then
	 * shows best_of_n: the mean over samples of the task's
	 * QEVAL_MF_PASSK metric for the selected candidate, next to pass@1
	 * and pass@N.  A core that predates the flag ignores it.
	 */
	QEVAL_MF_SELECT = 1u << 7
};

/* One metric a task reports; the verdict fills values[] in this order. */
struct qeval_metric_desc {
	const char	*name;		/* "exact_match,strict-match" */
	uint32_t	 flags;		/* enum qeval_metric_flags */
};

enum qeval_verdict_flags {
	QEVAL_VF_INVALID = 1u << 0,	/* no answer could be extracted */
	QEVAL_VF_TRUNCATED = 1u << 1,	/* finish_reason was "length" */
	QEVAL_VF_NAME_FIXED = 1u << 2,	/* entry point name mismatch
					 * resolved */
	QEVAL_VF_TIMEOUT = 1u << 3,	/* code execution timed out */
	QEVAL_VF_UNPARSED = 1u << 4	/* judge rating not parseable */
};

/*
 * A scored sample (one candidate).
 * values[i] belongs to the task's metrics[i]; NaN means "not counted"
 * (e.g. an unparsed judge rating, which the report counts instead).
 * Ownership: the strings are the plugin's (general rule); the core
 * copies them.  The core zeroes the struct and sets every value to NaN
 * before calling score().
 */
struct qeval_verdict {
	double		 values[QEVAL_MAX_METRICS];
	uint32_t	 flags;		/* enum qeval_verdict_flags */
	const char	*extracted;	/* the extracted answer, or NULL */
	const char	*reason;	/* one line: why this verdict */
	const char	*category;	/* per-category breakdown, or NULL */
	const char	*detail;	/* JSON object text with more (per
					 * filter extractions …), or NULL */
};

/* ---------------------------------------------------------------- */
/* Tasks                                                            */

enum qeval_task_flags {
	QEVAL_TF_EXEC = 1u << 0,	/* runs model-written code */
	QEVAL_TF_LOGLIK = 1u << 1,	/* needs prompt log-probabilities */
	QEVAL_TF_JUDGE = 1u << 2,	/* needs a judge model */
	QEVAL_TF_CHAT_ONLY = 1u << 3,	/* only meaningful over chat */
	QEVAL_TF_COMPLETION_ONLY = 1u << 4, /* needs /v1/completions */
	QEVAL_TF_EXEC_OPT = 1u << 5	/* runs code with some options */
};

/* One task a plugin provides ("gsm8k", "gsm8k_cot" …). */
struct qeval_task {
	const char	*name;		/* lm-eval's task name, if any */
	const char	*dataset;	/* display name: "GSM8K" */
	const char	*task_type;	/* display: "Math Reasoning" */
	const char	*recipe;	/* which reference it reproduces */
	const char *const *files;	/* dataset files it reads, relative to
					 * the data dir; NULL-terminated */
	const struct qeval_metric_desc *metrics; /* NULL-name terminated,
					 * at most QEVAL_MAX_METRICS */
	uint32_t	 flags;		/* enum qeval_task_flags */
};

/* ---------------------------------------------------------------- */
/* Options handed to open()                                         */

/* key=value, from --task-opt and the preset; NULL-key terminated. */
struct qeval_kv {
	const char	*key;
	const char	*value;
};

/*
 * Ownership: the core's, valid until close().
 */
struct qeval_opts {
	uint32_t		 struct_size;
	int			 chat;		/* 1: chat endpoint, else
						 * completions */
	int			 num_fewshot;	/* -1: the recipe's default */
	unsigned		 seed;
	size_t			 limit;		/* 0: all samples */
	const struct qeval_kv	*kv;		/* task options */
};

/*
 * Declared task options (ABI 1.1).  A plugin lists every --task-opt key
 * it reads; the core refuses an undeclared key or a value of the wrong
 * type before anything is created (exit 2, with "did you mean"), and
 * `qeval list tasks -v` shows the table.  Values still reach the plugin
 * as text through host->opt(); `def` is only shown, never injected.
 *   BOOL    0, 1, true, false, yes, no
 *   INT     a decimal integer (long)
 *   DOUBLE  a finite decimal number
 *   STRING  anything, the empty string included
 *   ENUM    one of `choices` ("a|b|c"), exactly
 */
enum qeval_opt_type { QEVAL_OPT_BOOL = 1, QEVAL_OPT_INT, QEVAL_OPT_DOUBLE,
	QEVAL_OPT_STRING, QEVAL_OPT_ENUM };

/* One declared option.  Static, const data, like the descriptor. */
struct qeval_option {
	const char *name;     /* NULL ends the table */
	int         type;     /* enum qeval_opt_type */
	const char *def;      /* default, as text (NULL: none) */
	const char *help;     /* one line */
	const char *choices;  /* QEVAL_OPT_ENUM: "a|b|c"; else NULL */
	const char *tasks;    /* NULL: every task of the plugin; else "t1,t2" */
};

/* ---------------------------------------------------------------- */
/* Host services                                                    */

enum qeval_log_level {
	QEVAL_LOG_ERROR = 0,
	QEVAL_LOG_WARN = 1,
	QEVAL_LOG_INFO = 2,
	QEVAL_LOG_DEBUG = 3
};

/* Regex compile flags (map onto PCRE2's). */
enum qeval_rx_flags {
	QEVAL_RX_CASELESS = 1u << 0,
	QEVAL_RX_DOTALL = 1u << 1,
	QEVAL_RX_MULTILINE = 1u << 2
};

#define QEVAL_RX_MAXGROUPS	10
#define QEVAL_RX_UNSET		((size_t)-1)

/* Offsets of a match: group 0 is the whole match; unset groups are
 * QEVAL_RX_UNSET in both start and end. */
struct qeval_match {
	size_t	start[QEVAL_RX_MAXGROUPS];
	size_t	end[QEVAL_RX_MAXGROUPS];
	int	ngroups;	/* groups in the pattern, plus one */
};

/*
 * Called by records() once per record with the record's JSON text.
 * `where` names the record for error messages ("gsm8k/test.jsonl:17").
 * Return QEVAL_OK to go on, anything else to stop (records() returns it).
 */
typedef int (*qeval_record_cb)(void *arg, const char *json, size_t len,
    const char *where);

/*
 * Services the core gives a plugin.  The table is valid from open() to
 * close().  None of these functions talk to the network.
 */
struct qeval_host {
	uint32_t	 abi_major;
	uint32_t	 abi_minor;
	uint32_t	 struct_size;

	/* Logs one line prefixed with the plugin's name. */
	void	(*log)(struct qeval_ctx *, int level, const char *fmt, ...)
		    QEVAL_PRINTF(3, 4);
	/* Records an error (the first one wins) and returns rc. */
	int	(*fail)(struct qeval_ctx *, int rc, const char *fmt, ...)
		    QEVAL_PRINTF(3, 4);

	/*
	 * Reads a dataset file named relative to the data dir (as in
	 * qeval_task.files), verified against its manifest; .jsonl, .json
	 * (an array: one record per element; an object: one record),
	 * optionally compressed (.gz, .bz2, .xz, .zip with one member).
	 * Calls cb per record.  A malformed record is an EDATA error
	 * naming file and line.  Returns QEVAL_OK or an error.
	 */
	int	(*records)(struct qeval_ctx *, const char *file,
		    qeval_record_cb cb, void *arg);
	/*
	 * Reads a whole data file, decompressed, into memory.  *datap is
	 * malloc'd; the plugin frees it with host->free().
	 */
	int	(*read_file)(struct qeval_ctx *, const char *file,
		    char **datap, size_t *lenp);

	/* PCRE2, UTF-8 mode.  compile() returns NULL after fail(). */
	struct qeval_regex *(*rx_compile)(struct qeval_ctx *,
		    const char *pattern, uint32_t flags);
	/* 1 match, 0 no match, < 0 error.  Searches from `offset`. */
	int	(*rx_match)(const struct qeval_regex *, const char *subject,
		    size_t len, size_t offset, struct qeval_match *);
	void	(*rx_free)(struct qeval_regex *);

	/* The value of a task option, or NULL if not given. */
	const char *(*opt)(struct qeval_ctx *, const char *key);

	/* Memory the core hands out (read_file) is freed with this. */
	void	(*free)(void *);
};

/* ---------------------------------------------------------------- */
/* The descriptor                                                   */

enum qeval_plugin_flags {
	QEVAL_PF_NONE = 0
};

struct qeval_plugin {
	uint32_t	 abi_major;	/* these three never move */
	uint32_t	 abi_minor;
	uint32_t	 struct_size;
	uint32_t	 flags;		/* enum qeval_plugin_flags */
	const char	*name;		/* must equal the file's base name */
	const char	*version;
	const char	*summary;
	const struct qeval_task *tasks;	/* NULL-name terminated */

	/*
	 * Opens one task: reads its dataset through host->records() and
	 * prepares the samples.  On error returns < 0 after host->fail();
	 * *statep is then ignored and close() is not called.
	 */
	int	(*open)(const struct qeval_host *, struct qeval_ctx *,
		    const struct qeval_task *, const struct qeval_opts *,
		    void **statep);
	/* Number of samples (after opts->limit). */
	size_t	(*count)(void *state);
	/* A stable id for sample i ("HumanEval/0"); journal key. */
	const char *(*sample_id)(void *state, size_t i);
	/*
	 * Given the exchanges so far of sample i (candidate `cand`),
	 * returns QEVAL_NEXT with *req filled, QEVAL_DONE, or an error.
	 */
	int	(*next)(void *state, struct qeval_ctx *, size_t i,
		    unsigned cand, const struct qeval_exchange *ex,
		    size_t nex, struct qeval_request *req);
	/* Scores a finished sample from its exchanges. */
	int	(*score)(void *state, struct qeval_ctx *, size_t i,
		    unsigned cand, const struct qeval_exchange *ex,
		    size_t nex, struct qeval_verdict *out);
	/*
	 * Gold (corrupt = 0) or corrupted (corrupt = 1) response to the
	 * pending request `req`, which next() just returned.
	 */
	int	(*gold)(void *state, struct qeval_ctx *, size_t i,
		    const struct qeval_exchange *ex, size_t nex,
		    const struct qeval_request *req, int corrupt,
		    struct qeval_gold *out);
	/* Frees the state; must accept NULL. */
	void	(*close)(void *state);
	/*
	 * ABI 1.1: the task options this plugin reads (NULL-name
	 * terminated), or NULL for none.  A 1.0 plugin has no such member:
	 * its options are "undeclared" and any key is passed with a
	 * warning.
	 */
	const struct qeval_option *options;
	/* ABI 1.2+: append here only */
};

#ifdef __cplusplus
}
#endif

#endif /* QEVAL_PLUGIN_H */
