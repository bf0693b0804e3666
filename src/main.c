/*
 * qeval's command line: subcommands and options (see qeval.1).
 *
 *   qeval [run] [options]     evaluate (the default command)
 *   qeval list [tasks|plugins|presets]
 *   qeval fetch [DATASET|TASK ...]
 *   qeval selftest [options]
 *   qeval rescore RUN
 *   qeval report RUN... [-o FILE]
 *
 * Exit status: 0 success, 1 run error, 2 usage error, 3 a --baseline
 * failure threshold was crossed.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "data.h"
#include "host.h"
#include "models.h"
#include "plugin.h"
#include "preset.h"
#include "report.h"
#include "results.h"
#include "run.h"
#include "rundir.h"
#include "serve.h"
#include "shard.h"
#include "strbuf.h"
#include "taskfiles.h"
#include "xalloc.h"

#ifndef QEVAL_PLUGINDIR
#define QEVAL_PLUGINDIR "/usr/local/lib/qeval"
#endif
#ifndef QEVAL_DATADIR
#define QEVAL_DATADIR "/usr/local/share/qeval"
#endif

#define EXIT_RUN	1
#define EXIT_USAGE	2
#define EXIT_BASELINE	3

/* The headline tasks run when --tasks is not given. */
static const char *const default_tasks[] = {
	"gsm8k", "arc_challenge", "hellaswag", "humaneval", "mbpp",
	"mtbench", "bfcl", NULL
};

struct opts {
	const char	*preset_name;
	const char	*preset_file;
	/* rescore: the preset is the run's, from its plan */
	const struct rundir_plan *plan;
	const char	*plan_dir;
	const char	*model;
	char		**endpoints;
	size_t		 n_endpoints, endpoints_alloc;
	const char	*api;
	const char	*judge_endpoint;
	const char	*judge_model;
	int		 judge_concurrency;
	const char	*tasks;
	long		 limit;
	int		 samples;
	int		 seed_set;
	unsigned long	 seed;
	int		 num_fewshot;
	const char	*out;
	const char	*run_id;
	int		 resume;
	const char	*data_dir;
	char		**plugin_dirs;
	size_t		 n_plugin_dirs, plugin_dirs_alloc;
	char		**task_files;	/* --task-file */
	size_t		 n_task_files, task_files_alloc;
	char		**task_dirs;	/* --task-dir */
	size_t		 n_task_dirs, task_dirs_alloc;
	struct qeval_kv	*kv;
	size_t		 n_kv, kv_alloc;
	int		 concurrency;
	int		 no_exec;
	int		 keep_think;
	int		 no_stream;
	int		 progress;
	double		 gpu_price;
	int		 gpus;
	int		 workers;
	unsigned	 shard_k, shard_n;
	struct shard_sched sched;	/* --shard auto, or detected */
	int		 quiet;
	int		 verbose;
	const char	*output;	/* report -o */
	int		 serve;
	int		 engine;	/* enum serve_engine; -1: none
					 * given (vllm) */
	const char	*baseline;	/* results.json or run dir */
	double		 reg_warn;	/* percentage points */
	double		 reg_fail;
	double		 serve_timeout;
	/* generation and client values over the preset's (item: the
	 * resolved configuration) */
	int		 temperature_set;
	double		 temperature;
	int		 top_p_set;
	double		 top_p;
	int		 max_tokens;	/* 0: the preset's */
	double		 timeout;	/* 0: the preset's */
	int		 retries;	/* -1: the preset's */
	const char	*plugin_file;	/* selftest --plugin */
};

/* Paths of a qeval run from its build tree (uninstalled). */
static int
in_build_tree(void)
{
#ifdef QEVAL_BUILDDIR
	char exe[PATH_MAX], want[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return (0);
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return (0);
	*slash = '\0';
	if (realpath(QEVAL_BUILDDIR, want) == NULL)
		return (0);
	return (strcmp(exe, want) == 0);
#else
	return (0);
#endif
}

static void
share_dir(struct strbuf *out, const char *sub)
{
	strbuf_reset(out);
#ifdef QEVAL_SRCDIR
	if (in_build_tree()) {
		strbuf_addf(out, "%s/%s", QEVAL_SRCDIR, sub);
		return;
	}
#endif
	strbuf_addf(out, "%s/%s", QEVAL_DATADIR, sub);
}

static void
usage(FILE *f)
{
	fputs(
"usage: qeval [run] --model M [--preset NAME] [--endpoint URL] [options]\n"
"       qeval list [tasks|plugins|presets]\n"
"       qeval fetch [DATASET|TASK ...]\n"
"       qeval selftest [--tasks LIST] [--limit N] [--plugin FILE]\n"
"       qeval rescore RUN\n"
"       qeval report RUN... [-o FILE]\n"
"       qeval merge SHARD... [--out DIR] [--run-id ID]\n"
"\n"
"  --model M             model name on the server; 'reference' answers\n"
"                        every sample with the gold answer, in process\n"
"  --endpoint URL        OpenAI-compatible base URL (repeatable;\n"
"                        default http://127.0.0.1:8000/v1)\n"
"  --api chat|completions  request style (default chat; --chat is\n"
"                        the same as --api chat)\n"
"  --preset NAME         performance, balanced (default) or memory\n"
"  --preset-file F       a preset of your own (JSON)\n"
"  --tasks a,b|all       tasks (default: gsm8k,arc_challenge,hellaswag,\n"
"                        humaneval,mbpp,mtbench,bfcl that are installed)\n"
"  --limit N             first N samples of each task\n"
"  --samples N           candidates per sample, sampled (pass@k)\n"
"  --seed N              generation and few-shot seed\n"
"  --num-fewshot N       few-shot examples (default: the recipe's)\n"
"  --task-opt KEY=VALUE  option for the task plugins (repeatable)\n"
"  --concurrency N       requests in flight (default: the preset's)\n"
"  --temperature T  --top-p P  --max-tokens N  --timeout S  --retries N\n"
"                        client values and generation defaults over the\n"
"                        preset's (a recipe may fix its own max_tokens);\n"
"                        results.json and the report record which\n"
"  --judge-endpoint URL  --judge-model M   judge for MT-Bench\n"
"  --out DIR             where runs go (default ./out)\n"
"  --run-id ID           name of the run directory\n"
"  --resume              continue the newest matching run in --out\n"
"  --data-dir D          offline dataset mirror (or QEVAL_DATA_DIR)\n"
"  --plugin-dir D        extra plugin directory (repeatable)\n"
"  --plugin FILE         selftest: check the tasks of this plugin file\n"
"  --task-file F         a task file (docs/TASK_FILES.md; repeatable)\n"
"  --task-dir D          every *.json task file of D (repeatable)\n"
"  --shard K/N           evaluate every N-th sample starting at K (1..N)\n"
"  --shard auto[/N]      K/N from a Slurm array or a Kubernetes Indexed Job\n"
"  --no-exec             refuse tasks that run model-written code\n"
"  --keep-think          do not strip <think>...</think> before scoring\n"
"  --no-stream           do not stream (no time-to-first-token)\n"
"  --gpu-price P --gpus N  cost per sample from a GPU-hour price\n"
"  --workers N           code-execution workers (default: cores)\n"
"  --serve               start `vllm serve MODEL` with the preset's engine\n"
"                        flags, wait for /health, stop it afterwards\n"
"                        (QEVAL_VLLM names another program)\n"
"  --engine E            --serve with vllm (default) or llama.cpp:\n"
"                        llama-server -m MODEL.gguf, the preset mapped\n"
"                        (QEVAL_LLAMA_SERVER names the program)\n"
"  --serve-timeout S     how long the server may take to load (1200)\n"
"  --baseline RUN        compare primary scores with an earlier run's\n"
"                        results.json; exit 3 past --regression-fail\n"
"                        (default 3.0 points; warning past\n"
"                        --regression-warn, default 1.0)\n"
"  --no-progress, -q, -v, --help, --version  (before or after the\n"
"                        command: `qeval -v list tasks` shows options)\n"
"\n"
"API keys come from QEVAL_API_KEY or OPENAI_API_KEY (judge:\n"
"QEVAL_JUDGE_API_KEY) and are never written to any file.\n", f);
}

/*
 * The length of the UTF-8 sequence at p (1..4), or 0 if it is not
 * valid UTF-8 (overlong forms, surrogates and values past U+10FFFF
 * included).
 */
static size_t
utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n, i;
	unsigned long cp;

	if (c < 0x80)
		return (1);
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return (0);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return (0);
	return (n);
}

/* 1 if s is valid UTF-8 with no control character. */
static int
clean_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		size_t n = utf8_len(p);

		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f)))
			return (0);
		p += n;
	}
	return (1);
}

static int
parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return (-1);
	*out = v;
	return (0);
}

enum {
	O_PRESET = 256, O_PRESET_FILE, O_MODEL, O_ENDPOINT, O_API,
	O_JUDGE_ENDPOINT, O_JUDGE_MODEL, O_JUDGE_CONC, O_TASKS, O_LIMIT,
	O_SAMPLES, O_SEED, O_FEWSHOT, O_OUT, O_RUN_ID, O_RESUME, O_DATA_DIR,
	O_PLUGIN_DIR, O_TASK_OPT, O_CONC, O_NO_EXEC, O_KEEP_THINK,
	O_NO_STREAM, O_PROGRESS, O_NO_PROGRESS, O_GPU_PRICE, O_GPUS,
	O_WORKERS, O_SHARD, O_VERSION, O_SERVE, O_BASELINE, O_REG_WARN,
	O_REG_FAIL, O_SERVE_TIMEOUT, O_CHAT, O_TEMPERATURE, O_TOP_P,
	O_MAX_TOKENS, O_TIMEOUT, O_RETRIES, O_TASK_FILE, O_TASK_DIR, O_ENGINE,
	O_PLUGIN
};

static const struct option longopts[] = {
	{ "preset", required_argument, NULL, O_PRESET },
	{ "preset-file", required_argument, NULL, O_PRESET_FILE },
	{ "model", required_argument, NULL, O_MODEL },
	{ "endpoint", required_argument, NULL, O_ENDPOINT },
	{ "api", required_argument, NULL, O_API },
	{ "chat", no_argument, NULL, O_CHAT },
	{ "judge-endpoint", required_argument, NULL, O_JUDGE_ENDPOINT },
	{ "judge-model", required_argument, NULL, O_JUDGE_MODEL },
	{ "judge-concurrency", required_argument, NULL, O_JUDGE_CONC },
	{ "tasks", required_argument, NULL, O_TASKS },
	{ "limit", required_argument, NULL, O_LIMIT },
	{ "samples", required_argument, NULL, O_SAMPLES },
	{ "seed", required_argument, NULL, O_SEED },
	{ "num-fewshot", required_argument, NULL, O_FEWSHOT },
	{ "out", required_argument, NULL, O_OUT },
	{ "run-id", required_argument, NULL, O_RUN_ID },
	{ "resume", no_argument, NULL, O_RESUME },
	{ "data-dir", required_argument, NULL, O_DATA_DIR },
	{ "plugin-dir", required_argument, NULL, O_PLUGIN_DIR },
	{ "task-file", required_argument, NULL, O_TASK_FILE },
	{ "task-dir", required_argument, NULL, O_TASK_DIR },
	{ "task-opt", required_argument, NULL, O_TASK_OPT },
	{ "concurrency", required_argument, NULL, O_CONC },
	{ "no-exec", no_argument, NULL, O_NO_EXEC },
	{ "keep-think", no_argument, NULL, O_KEEP_THINK },
	{ "no-stream", no_argument, NULL, O_NO_STREAM },
	{ "progress", no_argument, NULL, O_PROGRESS },
	{ "no-progress", no_argument, NULL, O_NO_PROGRESS },
	{ "gpu-price", required_argument, NULL, O_GPU_PRICE },
	{ "gpus", required_argument, NULL, O_GPUS },
	{ "workers", required_argument, NULL, O_WORKERS },
	{ "shard", required_argument, NULL, O_SHARD },
	{ "serve", no_argument, NULL, O_SERVE },
	{ "engine", required_argument, NULL, O_ENGINE },
	{ "plugin", required_argument, NULL, O_PLUGIN },
	{ "baseline", required_argument, NULL, O_BASELINE },
	{ "serve-timeout", required_argument, NULL, O_SERVE_TIMEOUT },
	{ "regression-warn", required_argument, NULL, O_REG_WARN },
	{ "regression-fail", required_argument, NULL, O_REG_FAIL },
	{ "temperature", required_argument, NULL, O_TEMPERATURE },
	{ "top-p", required_argument, NULL, O_TOP_P },
	{ "max-tokens", required_argument, NULL, O_MAX_TOKENS },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "retries", required_argument, NULL, O_RETRIES },
	{ "output", required_argument, NULL, 'o' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 }
};

/*
 * s with every control character, and every byte that is not part of
 * valid UTF-8, written as \xNN: user input is never echoed raw (a CR
 * or an escape sequence would rewrite the terminal).  Static buffers,
 * used in turn: up to four results may be live at once (one message).
 */
static const char *
esc(const char *s)
{
	static struct strbuf bufs[4] = { STRBUF_INIT, STRBUF_INIT,
	    STRBUF_INIT, STRBUF_INIT };
	static unsigned turn;
	struct strbuf *sbp = &bufs[turn++ % 4];
	const unsigned char *p = (const unsigned char *)s;

	strbuf_reset(sbp);
	while (p != NULL && *p != '\0') {
		size_t n = utf8_len(p);

		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
			strbuf_addf(sbp, "\\x%02x", *p);
			p++;
		} else {
			strbuf_add(sbp, p, n);
			p += n;
		}
	}
	return (sbp->buf);
}

static int
bad(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "qeval: %s '%s': expected %s\n", opt, esc(val),
	    want);
	return (EXIT_USAGE);
}

/* Returns -1 to go on, or an exit status. */
static int
parse_opts(int argc, char **argv, struct opts *o)
{
	long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->num_fewshot = -1;
	o->progress = -1;
	o->out = "out";
	o->reg_warn = 1.0;
	o->reg_fail = 3.0;
	o->serve_timeout = 1200;
	o->engine = -1;
	o->retries = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qvh", longopts, NULL)) != -1) {
		switch (c) {
		case O_PRESET: o->preset_name = optarg; break;
		case O_PRESET_FILE: o->preset_file = optarg; break;
		case O_MODEL: o->model = optarg; break;
		case O_ENDPOINT:
			o->endpoints = xgrow(o->endpoints, o->n_endpoints + 2,
			    sizeof(char *), &o->endpoints_alloc);
			o->endpoints[o->n_endpoints++] = optarg;
			o->endpoints[o->n_endpoints] = NULL;
			break;
		case O_API:
			if (strcmp(optarg, "chat") != 0 &&
			    strcmp(optarg, "completions") != 0)
				return (bad("--api", optarg,
				    "chat or completions"));
			o->api = optarg;
			break;
		case O_CHAT: o->api = "chat"; break;
		case O_JUDGE_ENDPOINT: o->judge_endpoint = optarg; break;
		case O_JUDGE_MODEL: o->judge_model = optarg; break;
		case O_JUDGE_CONC:
			if (parse_long(optarg, 1, 4096, &v) != 0)
				return (bad("--judge-concurrency", optarg,
				    "an integer from 1 to 4096"));
			o->judge_concurrency = (int)v;
			break;
		case O_TASKS: o->tasks = optarg; break;
		case O_LIMIT:
			if (parse_long(optarg, 1, LONG_MAX, &v) != 0)
				return (bad("--limit", optarg,
				    "a positive integer"));
			o->limit = v;
			break;
		case O_SAMPLES:
			if (parse_long(optarg, 1, 1000, &v) != 0)
				return (bad("--samples", optarg,
				    "an integer from 1 to 1000"));
			o->samples = (int)v;
			break;
		case O_SEED:
			if (parse_long(optarg, 0, 4294967295L, &v) != 0)
				return (bad("--seed", optarg,
				    "an integer from 0 to 4294967295"));
			o->seed = (unsigned long)v;
			o->seed_set = 1;
			break;
		case O_FEWSHOT:
			if (parse_long(optarg, 0, 100, &v) != 0)
				return (bad("--num-fewshot", optarg,
				    "an integer from 0 to 100"));
			o->num_fewshot = (int)v;
			break;
		case O_OUT: o->out = optarg; break;
		case O_RUN_ID:
			if (strchr(optarg, '/') != NULL || optarg[0] == '.' ||
			    optarg[0] == '\0')
				return (bad("--run-id", optarg, "a name "
				    "without '/' that does not start with "
				    "'.'"));
			o->run_id = optarg;
			break;
		case O_RESUME: o->resume = 1; break;
		case O_DATA_DIR: o->data_dir = optarg; break;
		case O_PLUGIN: o->plugin_file = optarg; break;
		case O_PLUGIN_DIR:
			o->plugin_dirs = xgrow(o->plugin_dirs,
			    o->n_plugin_dirs + 2, sizeof(char *),
			    &o->plugin_dirs_alloc);
			o->plugin_dirs[o->n_plugin_dirs++] = optarg;
			o->plugin_dirs[o->n_plugin_dirs] = NULL;
			break;
		case O_TASK_FILE:
			o->task_files = xgrow(o->task_files,
			    o->n_task_files + 2, sizeof(char *),
			    &o->task_files_alloc);
			o->task_files[o->n_task_files++] = optarg;
			o->task_files[o->n_task_files] = NULL;
			break;
		case O_TASK_DIR:
			o->task_dirs = xgrow(o->task_dirs,
			    o->n_task_dirs + 2, sizeof(char *),
			    &o->task_dirs_alloc);
			o->task_dirs[o->n_task_dirs++] = optarg;
			o->task_dirs[o->n_task_dirs] = NULL;
			break;
		case O_TASK_OPT: {
			char *eq = strchr(optarg, '=');

			if (eq == NULL || eq == optarg)
				return (bad("--task-opt", optarg,
				    "KEY=VALUE"));
			o->kv = xgrow(o->kv, o->n_kv + 2, sizeof(*o->kv),
			    &o->kv_alloc);
			o->kv[o->n_kv].key = xstrndup(optarg,
			    (size_t)(eq - optarg));
			o->kv[o->n_kv].value = eq + 1;
			o->n_kv++;
			o->kv[o->n_kv].key = NULL;
			o->kv[o->n_kv].value = NULL;
			break;
		}
		case O_CONC:
			if (parse_long(optarg, 1, 4096, &v) != 0)
				return (bad("--concurrency", optarg,
				    "an integer from 1 to 4096"));
			o->concurrency = (int)v;
			break;
		case O_NO_EXEC: o->no_exec = 1; break;
		case O_KEEP_THINK: o->keep_think = 1; break;
		case O_NO_STREAM: o->no_stream = 1; break;
		case O_PROGRESS: o->progress = 1; break;
		case O_NO_PROGRESS: o->progress = 0; break;
		case O_GPU_PRICE: {
			char *end;

			o->gpu_price = strtod(optarg, &end);
			if (end == optarg || *end != '\0' ||
			    !(o->gpu_price > 0) || isinf(o->gpu_price))
				return (bad("--gpu-price", optarg,
				    "a positive price per GPU-hour"));
			break;
		}
		case O_GPUS:
			if (parse_long(optarg, 1, 1024, &v) != 0)
				return (bad("--gpus", optarg,
				    "an integer from 1 to 1024"));
			o->gpus = (int)v;
			break;
		case O_WORKERS:
			if (parse_long(optarg, 1, 1024, &v) != 0)
				return (bad("--workers", optarg,
				    "an integer from 1 to 1024"));
			o->workers = (int)v;
			break;
		case O_SHARD: {
			unsigned k, n;
			char tail;

			if (strncmp(optarg, "auto", 4) == 0) {
				struct strbuf err = STRBUF_INIT;

				if (shard_auto(optarg, &o->shard_k, &o->shard_n,
				    &o->sched, &err) != 0) {
					fprintf(stderr, "qeval: --shard %s: "
					    "%s\n", optarg, err.buf);
					strbuf_release(&err);
					return (EXIT_USAGE);
				}
				strbuf_release(&err);
				break;
			}
			if (sscanf(optarg, "%u/%u%c", &k, &n, &tail) != 2 ||
			    n < 1 || k < 1 || k > n)
				return (bad("--shard", optarg,
				    "K/N with 1 <= K <= N, or auto"));
			o->shard_k = k - 1;
			o->shard_n = n;
			break;
		}
		case O_SERVE: o->serve = 1; break;
		case O_ENGINE:
			if ((o->engine = serve_engine_parse(optarg)) < 0)
				return (bad("--engine", optarg,
				    "vllm or llama.cpp"));
			break;
		case O_BASELINE: o->baseline = optarg; break;
		case O_SERVE_TIMEOUT:
			if (parse_long(optarg, 1, 86400, &v) != 0)
				return (bad("--serve-timeout", optarg,
				    "seconds from 1 to 86400"));
			o->serve_timeout = (double)v;
			break;
		case O_REG_WARN:
		case O_REG_FAIL: {
			char *end;
			double d = strtod(optarg, &end);

			if (end == optarg || *end != '\0' || !(d >= 0) ||
			    d > 100)
				return (bad(c == O_REG_WARN ?
				    "--regression-warn" : "--regression-fail",
				    optarg, "percentage points from 0 to 100"));
			if (c == O_REG_WARN)
				o->reg_warn = d;
			else
				o->reg_fail = d;
			break;
		}
		case O_TEMPERATURE:
		case O_TOP_P:
		case O_TIMEOUT: {
			char *end;
			double d = strtod(optarg, &end);
			int okv = end != optarg && *end == '\0' &&
			    isfinite(d);

			if (c == O_TEMPERATURE) {
				if (!okv || d < 0 || d > 100)
					return (bad("--temperature", optarg,
					    "a number from 0 to 100"));
				o->temperature = d;
				o->temperature_set = 1;
			} else if (c == O_TOP_P) {
				if (!okv || !(d > 0) || d > 1)
					return (bad("--top-p", optarg,
					    "a number in (0, 1]"));
				o->top_p = d;
				o->top_p_set = 1;
			} else {
				if (!okv || !(d > 0) || d > 86400)
					return (bad("--timeout", optarg,
					    "seconds in (0, 86400]"));
				o->timeout = d;
			}
			break;
		}
		case O_MAX_TOKENS:
			if (parse_long(optarg, 1, 1048576, &v) != 0)
				return (bad("--max-tokens", optarg,
				    "an integer from 1 to 1048576"));
			o->max_tokens = (int)v;
			break;
		case O_RETRIES:
			if (parse_long(optarg, 0, 100, &v) != 0)
				return (bad("--retries", optarg,
				    "an integer from 0 to 100"));
			o->retries = (int)v;
			break;
		case 'o': o->output = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'v': o->verbose++; break;
		case 'h':
			usage(stdout);
			return (0);
		case O_VERSION:
			printf("qeval %s (plugin ABI %d.%d)\n", PACKAGE_VERSION,
			    QEVAL_ABI_MAJOR, QEVAL_ABI_MINOR);
			return (0);
		default:
			fprintf(stderr, "qeval: see `qeval --help`\n");
			return (EXIT_USAGE);
		}
	}
	if (o->sched.name == NULL)
		shard_sched_detect(&o->sched);
	return (-1);
}

static void
opts_release(struct opts *o)
{
	size_t i;

	for (i = 0; i < o->n_kv; i++)
		free((char *)o->kv[i].key);
	free(o->kv);
	free(o->endpoints);
	free(o->plugin_dirs);
	free(o->task_files);
	free(o->task_dirs);
	shard_sched_release(&o->sched);
}

/* ------------------------------------------------------------------ */

struct env {
	struct plugin_set	 plugins;
	struct data_manifests	 man;
	struct data_cfg		 data;
	struct preset		 preset;	/* resolved: the command
						 * line's values over the
						 * preset's */
	int			 have_preset;
	char			*overrides;	/* JSON: what the command
						 * line set */
	char			*manifest_dir;
};

/*
 * Prints each line of text as its own "qeval: " message, with control
 * characters and bytes that are not UTF-8 escaped: messages quote user
 * input (names, paths, URLs) and files.
 */
static void
print_lines(const char *kind, const char *text)
{
	const char *p = text;

	while (p != NULL && *p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len > 0) {
			char *line = xstrndup(p, len);

			fprintf(stderr, "qeval: %s%s\n", kind, esc(line));
			free(line);
		}
		p = nl ? nl + 1 : NULL;
	}
}

static void
override(cJSON *ov, const char *key, double preset_value, double value)
{
	cJSON *o = cJSON_AddObjectToObject(ov, key);

	cJSON_AddNumberToObject(o, "value", value);
	cJSON_AddNumberToObject(o, "preset", preset_value);
}

/*
 * The effective configuration, resolved once: every value given on the
 * command line replaces the preset's in p, which the whole run then
 * uses (requests, scheduler, run.json, results.json, the report).
 * Returns what was replaced, as JSON object text (malloc'd):
 * {"client.concurrency": {"value": 32, "preset": 8}, ...}.
 */
static char *
resolve_config(const struct opts *o, struct preset *p)
{
	cJSON *ov = cJSON_CreateObject();
	char *txt;

	if (o->concurrency > 0) {
		override(ov, "client.concurrency", p->concurrency,
		    o->concurrency);
		p->concurrency = o->concurrency;
	}
	if (o->timeout > 0) {
		override(ov, "client.timeout_s", p->timeout_s, o->timeout);
		p->timeout_s = o->timeout;
	}
	if (o->retries >= 0) {
		override(ov, "client.retries", p->retries, o->retries);
		p->retries = o->retries;
	}
	if (o->temperature_set) {
		override(ov, "generation.temperature", p->temperature,
		    o->temperature);
		p->temperature = o->temperature;
	}
	if (o->top_p_set) {
		override(ov, "generation.top_p", p->top_p, o->top_p);
		p->top_p = o->top_p;
	}
	if (o->max_tokens > 0) {
		override(ov, "generation.max_tokens", p->max_tokens,
		    o->max_tokens);
		p->max_tokens = o->max_tokens;
	}
	if (o->seed_set) {
		override(ov, "generation.seed", (double)p->seed,
		    (double)o->seed);
		p->seed = (long)o->seed;
	}
	if (o->samples > 0) {
		override(ov, "samples", p->samples, o->samples);
		p->samples = o->samples;
	}
	txt = cJSON_PrintUnformatted(ov);
	cJSON_Delete(ov);
	if (txt == NULL)
		xalloc_die();
	return (txt);
}

static int
env_init(struct env *e, const struct opts *o, int need_preset,
    struct strbuf *err)
{
	struct strbuf warn = STRBUF_INIT, dir = STRBUF_INIT;
	const char *builtin = QEVAL_PLUGINDIR;
	int rc;

	memset(e, 0, sizeof(*e));
#ifdef QEVAL_BUILDDIR
	if (in_build_tree()) {
		builtin = QEVAL_BUILDDIR "/plugins/.libs";
		if (getenv("QEVAL_PLUGIN_PATH") == NULL)
			setenv("QEVAL_PLUGIN_PATH", builtin, 1);
	}
#endif
	/* task files first: the generic plugin reads the list as it
	 * loads (a bad file is a usage error) */
	share_dir(&dir, "tasks");
	if (taskfiles_setup((const char *const *)o->task_files,
	    (const char *const *)o->task_dirs, dir.buf, err) != 0) {
		strbuf_release(&dir);
		strbuf_release(&warn);
		return (EXIT_USAGE);
	}
	rc = plugin_set_scan(&e->plugins, (const char *const *)o->plugin_dirs,
	    builtin, &warn);
	print_lines("warning: ", warn.buf);
	strbuf_release(&warn);
	(void)rc;
	if (taskfiles_check(&e->plugins, err) != 0) {
		strbuf_release(&dir);
		return (EXIT_USAGE);
	}
	share_dir(&dir, "datasets");
	e->manifest_dir = xstrdup(getenv("QEVAL_MANIFEST_DIR") ?
	    getenv("QEVAL_MANIFEST_DIR") : dir.buf);
	/* QEVAL_MANIFEST_DIR=none (tests on fixtures): nothing verified. */
	if (strcmp(e->manifest_dir, "none") != 0 &&
	    data_manifests_load(&e->man, e->manifest_dir, err) != 0) {
		strbuf_release(&dir);
		return (-1);
	}
	e->data.data_dir = o->data_dir ? o->data_dir :
	    getenv("QEVAL_DATA_DIR");
	if (e->data.data_dir != NULL && *e->data.data_dir == '\0')
		e->data.data_dir = NULL;
	e->data.manifests = &e->man;
	e->data.verify = 1;
	if (need_preset) {
		if (o->plan != NULL)
			rc = rundir_plan_preset(o->plan, o->plan_dir,
			    &e->preset, err);
		else if (o->preset_file != NULL)
			rc = preset_load_file(&e->preset, o->preset_file, err);
		else {
			const char *dirs[2];

			share_dir(&dir, "presets");
			dirs[0] = dir.buf;
			dirs[1] = NULL;
			rc = preset_find(&e->preset, o->preset_name ?
			    o->preset_name : "balanced", dirs, err);
		}
		if (rc != 0) {
			strbuf_release(&dir);
			/* the loaders leave the defaults in it on failure */
			preset_release(&e->preset);
			/* a preset is configuration: a usage error */
			return (EXIT_USAGE);
		}
		e->have_preset = 1;
		e->overrides = resolve_config(o, &e->preset);
	}
	strbuf_release(&dir);
	return (0);
}

static void
env_release(struct env *e)
{
	plugin_set_release(&e->plugins);
	data_manifests_release(&e->man);
	if (e->have_preset)
		preset_release(&e->preset);
	free(e->overrides);
	free(e->manifest_dir);
}

/* Splits "a,b" (or "all") into task names; NULL-terminated, malloc'd. */
static char **
task_list(const struct env *e, const char *spec, int defaults_only,
    struct strbuf *err)
{
	char **v = NULL, *copy, *tok, *save = NULL;
	size_t n = 0, alloc = 0, i;

	if (spec == NULL || strcmp(spec, "all") == 0) {
		for (i = 0; i < e->plugins.n; i++) {
			const struct plugin *pl = &e->plugins.v[i];
			size_t j;

			for (j = 0; j < pl->n_tasks; j++) {
				const char *name = pl->tasks[j];

				if (defaults_only || spec == NULL) {
					size_t k;
					int dflt = 0;

					for (k = 0; default_tasks[k]; k++)
						if (strcmp(default_tasks[k],
						    name) == 0)
							dflt = 1;
					if (!dflt)
						continue;
				}
				v = xgrow(v, n + 2, sizeof(*v), &alloc);
				v[n++] = xstrdup(name);
			}
		}
		if (n == 0) {
			strbuf_addf(err, "no task plugin is installed (looked "
			    "in --plugin-dir, QEVAL_PLUGIN_PATH and %s)",
			    QEVAL_PLUGINDIR);
			free(v);
			return (NULL);
		}
		v[n] = NULL;
		return (v);
	}
	copy = xstrdup(spec);
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (*tok == '\0')
			continue;
		if (plugin_set_provider(&e->plugins, tok) == NULL) {
			strbuf_addf(err, "unknown task '%s': `qeval list "
			    "tasks` shows what the installed plugins provide",
			    esc(tok));
			for (i = 0; i < n; i++)
				free(v[i]);
			free(v);
			free(copy);
			return (NULL);
		}
		v = xgrow(v, n + 2, sizeof(*v), &alloc);
		v[n++] = xstrdup(tok);
	}
	free(copy);
	if (n == 0) {
		strbuf_addf(err, "--tasks is empty");
		free(v);
		return (NULL);
	}
	v[n] = NULL;
	return (v);
}

static void
free_list(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static size_t
list_len(char **v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return (n);
}

/* The command as typed, for results.json (set once in main()). */
static char *the_command;

static char *
command_line(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return (xstrdup(the_command ? the_command : "qeval"));
}

static void
remember_command(int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	for (i = 0; i < argc; i++) {
		/* a password in a URL argument is never written */
		char *arg = results_redact_url(argv[i]);

		if (i > 0)
			strbuf_addch(&sb, ' ');
		strbuf_adds(&sb, arg);
		free(arg);
	}
	the_command = strbuf_detach(&sb, NULL);
}

static void
print_outcome(const struct run_outcome *oc, int corrupt_hint)
{
	size_t i;

	(void)corrupt_hint;
	for (i = 0; i < oc->n_tasks; i++) {
		const struct run_task_outcome *t = &oc->tasks[i];

		if (isnan(t->value))
			printf("%-20s %-32s %9s  (0 scored, %zu errors)\n",
			    t->name, t->primary, "n/a", t->errors);
		else if (t->scale > 1)
			printf("%-20s %-32s %6.2f/10  (%zu scored, %zu "
			    "errors)\n", t->name, t->primary, t->value,
			    t->scored, t->errors);
		else
			printf("%-20s %-32s %6.1f%%  (%zu scored, %zu "
			    "errors)\n", t->name, t->primary, 100 * t->value,
			    t->scored, t->errors);
		if (t->unparseable > 0)
			printf("%-20s %zu sample%s needed a retry after an "
			    "unparseable reply\n", "", t->unparseable,
			    t->unparseable == 1 ? "" : "s");
		if (t->bad_utf8 > 0)
			printf("%-20s %zu response%s had invalid UTF-8 "
			    "(stored as U+FFFD)\n", "", t->bad_utf8,
			    t->bad_utf8 == 1 ? "" : "s");
	}
	/* only what was written */
	for (i = 0; oc->run_dir != NULL && i < 2; i++) {
		struct strbuf p = STRBUF_INIT;

		strbuf_addf(&p, "%s/%s", oc->run_dir, i == 0 ?
		    "results.json" : "report.md");
		if (access(p.buf, F_OK) == 0)
			printf("%s %s\n", i == 0 ? "results:" : "report: ",
			    p.buf);
		strbuf_release(&p);
	}
}

static void
fill_cfg(struct run_cfg *c, const struct opts *o, struct env *e,
    char **tasks)
{
	static const char *const dflt_ep[] = { "http://127.0.0.1:8000/v1",
	    NULL };

	memset(c, 0, sizeof(*c));
	c->model = o->model;
	c->reference = o->model != NULL && (strcmp(o->model, "reference") ==
	    0 || strcmp(o->model, "reference:corrupt") == 0);
	c->corrupt = o->model != NULL &&
	    strcmp(o->model, "reference:corrupt") == 0;
	c->endpoints = o->n_endpoints ? (const char *const *)o->endpoints :
	    dflt_ep;
	c->n_endpoints = o->n_endpoints ? o->n_endpoints : 1;
	c->api_key = getenv("QEVAL_API_KEY") ? getenv("QEVAL_API_KEY") :
	    getenv("OPENAI_API_KEY");
	c->judge_endpoint = o->judge_endpoint;
	c->judge_model = o->judge_model;
	c->judge_api_key = getenv("QEVAL_JUDGE_API_KEY");
	c->judge_concurrency = o->judge_concurrency;
	c->chat = o->api == NULL || strcmp(o->api, "chat") == 0;
	c->api_set = o->api != NULL;
	c->tasks = (const char *const *)tasks;
	c->n_tasks = list_len(tasks);
	c->limit = (size_t)o->limit;
	c->num_fewshot = o->num_fewshot;
	c->kv = o->kv;
	c->preset = &e->preset;
	c->data = &e->data;
	c->plugins = &e->plugins;
	c->out_dir = o->out;
	c->run_id = o->run_id;
	c->resume = o->resume;
	c->keep_think = o->keep_think;
	c->progress = o->quiet ? 0 : o->progress;
	c->no_exec = o->no_exec || (getenv("QEVAL_NO_EXEC") != NULL &&
	    strcmp(getenv("QEVAL_NO_EXEC"), "0") != 0);
	c->no_stream = o->no_stream;
	c->exec_workers = o->workers;
	/* the resolved preset holds what the command line set */
	c->concurrency = 0;
	c->samples = 0;
	c->seed_set = 0;
	c->seed = (unsigned)e->preset.seed;
	c->overrides = e->overrides;
	c->gpu_price = o->gpu_price;
	c->gpus = o->gpus;
	c->shard_k = o->shard_k;
	c->shard_n = o->shard_n;
	c->sched_name = o->sched.name;
	c->sched_job_id = o->sched.job_id;
	c->sched_index = o->sched.name != NULL ? o->sched.index : -1;
	c->quiet = o->quiet;
}

/*
 * Compares each task's primary score with the same task in a baseline
 * run: a drop of more than reg_warn percentage points is a warning, more
 * than reg_fail a failure.  Returns 0, EXIT_BASELINE, or EXIT_RUN when
 * the baseline cannot be read.
 */
static int
check_baseline(const struct opts *o, const struct run_outcome *oc)
{
	struct strbuf path = STRBUF_INIT;
	const cJSON *tasks;
	cJSON *base = NULL;
	size_t i;
	int rc = 0, compared = 0;

	base = rundir_results_read(o->baseline, &path);
	tasks = cJSON_GetObjectItemCaseSensitive(base, "tasks");
	if (!rundir_is_results(base)) {
		fprintf(stderr, "qeval: --baseline %s: not a qeval "
		    "results.json (or a run directory holding one)\n",
		    o->baseline);
		cJSON_Delete(base);
		strbuf_release(&path);
		return (EXIT_RUN);
	}
	printf("\nregression check against %s (warn > %.1f, fail > %.1f "
	    "points):\n", path.buf, o->reg_warn, o->reg_fail);
	for (i = 0; i < oc->n_tasks; i++) {
		const struct run_task_outcome *t = &oc->tasks[i];
		const cJSON *bt, *m, *v = NULL;
		double now, was, drop;
		const char *verdict;

		cJSON_ArrayForEach(bt, tasks) {
			const char *name = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(bt, "name"));

			if (name != NULL && strcmp(name, t->name) == 0)
				break;
		}
		if (bt == NULL) {
			printf("  %-20s not in the baseline\n", t->name);
			continue;
		}
		cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(bt,
		    "metrics")) {
			const char *name = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(m, "name"));

			if (name != NULL && strcmp(name, t->primary) == 0)
				v = cJSON_GetObjectItemCaseSensitive(m,
				    "value");
		}
		if (!cJSON_IsNumber(v) || isnan(t->value)) {
			printf("  %-20s no comparable %s score\n", t->name,
			    t->primary);
			continue;
		}
		now = 100.0 * t->value / t->scale;
		was = 100.0 * v->valuedouble / t->scale;
		drop = was - now;
		verdict = drop > o->reg_fail ? "FAIL" : drop > o->reg_warn ?
		    "warning" : "ok";
		printf("  %-20s %-30s %6.1f%% -> %6.1f%%  (%+.1f)  %s\n",
		    t->name, t->primary, was, now, now - was + 0.0, verdict);
		compared++;
		if (drop > o->reg_fail)
			rc = EXIT_BASELINE;
	}
	if (compared == 0)
		printf("  no task in common with the baseline\n");
	cJSON_Delete(base);
	strbuf_release(&path);
	return (rc);
}

/*
 * --serve: starts the model server and points the run at it.  The
 * server's log path (malloc'd) is returned in *logp.  0 or -1 (err).
 */
static int
start_server(const struct opts *o, struct env *e, struct run_cfg *c,
    const char **ep, struct serve **srvp, char **logp, struct strbuf *err)
{
	struct strbuf log = STRBUF_INIT;
	struct serve *srv;

	if (mkdir(o->out, 0755) != 0 && errno != EEXIST) {
		strbuf_addf(err, "cannot create %s: %s", o->out,
		    strerror(errno));
		return (-1);
	}
	strbuf_addf(&log, "%s/server-%ld.log", o->out, (long)getpid());
	if (!o->quiet)
		fprintf(stderr, "qeval: starting the model server (log: %s)\n",
		    log.buf);
	srv = serve_start(&e->preset, o->engine == SERVE_LLAMACPP ?
	    SERVE_LLAMACPP : SERVE_VLLM, o->model, log.buf, o->serve_timeout,
	    err);
	if (srv == NULL) {
		strbuf_release(&log);
		return (-1);
	}
	if (!o->quiet)
		fprintf(stderr, "qeval: server healthy after %.1f s at %s\n",
		    serve_cold_start(srv), serve_url(srv));
	ep[0] = serve_url(srv);
	c->endpoints = ep;
	c->n_endpoints = 1;
	c->serve_command = serve_command(srv);
	c->serve_engine = serve_engine_name(o->engine == SERVE_LLAMACPP ?
	    SERVE_LLAMACPP : SERVE_VLLM);
	c->serve_cold_start_s = serve_cold_start(srv);
	*srvp = srv;
	*logp = strbuf_detach(&log, NULL);
	return (0);
}

/*
 * Asks each endpoint (and the judge's) once what it serves: nothing
 * listening stops the run now, with the hint; a model it does not list
 * is a usage error that shows the list.  A server without the list is
 * not checked.  The model endpoint's first answer is kept in *m.
 * 0, EXIT_USAGE or EXIT_RUN (message printed).
 */
static int
check_models(const struct opts *o, struct run_cfg *c, struct models *m)
{
	size_t i, n = c->n_endpoints + (c->judge_endpoint != NULL);
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		int judge = i == c->n_endpoints;
		const char *ep = judge ? c->judge_endpoint : c->endpoints[i];
		const char *model = judge ? c->judge_model : c->model;
		struct strbuf err = STRBUF_INIT, list = STRBUF_INIT;
		struct models one, *mm = i == 0 ? m : &one;
		char *shown = results_redact_url(ep);
		int mrc;

		if (model == NULL) {
			free(shown);
			continue;
		}
		mrc = models_get(ep, judge && c->judge_api_key ?
		    c->judge_api_key : c->api_key, 10, mm, &err);
		if (mrc == MODELS_UNREACHABLE || mrc == MODELS_DENIED) {
			fprintf(stderr, "qeval: %s%s\n", judge ? "judge: " :
			    "", err.buf);
			rc = EXIT_RUN;
		} else if (mrc == MODELS_NO_LIST) {
			if (!o->quiet)
				fprintf(stderr, "qeval: warning: %s (%s): the "
				    "model name %s is not checked\n", err.buf,
				    shown, model);
		} else if (!models_has(mm, model)) {
			models_list(mm, &list);
			fprintf(stderr, "qeval: %s '%s' is not served at %s; "
			    "it serves: %s (pass one of these to %s)\n",
			    judge ? "--judge-model" : "--model", esc(model),
			    esc(shown), esc(list.buf), judge ? "--judge-model" :
			    "--model");
			rc = EXIT_USAGE;
		}
		if (mm != m)
			models_release(mm);
		free(shown);
		strbuf_release(&err);
		strbuf_release(&list);
	}
	if (rc == 0 && m->ids != NULL) {
		c->listed_models = (const char *const *)m->ids;
		c->n_listed_models = m->n;
	}
	if (rc == 0)
		c->server_kind = models_kind(m);
	return (rc);
}

/* Edit distance (Levenshtein) between two short keys. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, *row, r;

	if (la > 64 || lb > 64)
		return (SIZE_MAX);
	row = xcalloc(lb + 1, sizeof(*row));
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag +
			    (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	r = row[lb];
	free(row);
	return (r);
}

/*
 * Checks every --task-opt against the options the selected tasks'
 * plugins declare (ABI 1.1): an unknown key or a value of the wrong type
 * is a usage error, with the nearest declared key as a suggestion.  A
 * key meant for a 1.0 plugin, which declares nothing, passes with a
 * warning.  The plugins must be loaded.  0 or EXIT_USAGE.
 */
static int
check_task_opts(const struct env *e, const struct qeval_kv *kv,
    char **tasks)
{
	size_t i, t;
	int any = 0;

	for (t = 0; tasks[t] != NULL; t++)
		any |= plugin_set_find_task(&e->plugins, tasks[t], NULL) !=
		    NULL;
	for (i = 0; any && kv != NULL && kv[i].key != NULL; i++) {
		const char *key = kv[i].key, *best = NULL, *undecl = NULL;
		size_t bestd = SIZE_MAX, limit;
		int known = 0;

		for (t = 0; tasks[t] != NULL; t++) {
			const struct plugin *pl = plugin_set_find_task(
			    &e->plugins, tasks[t], NULL);
			const struct qeval_option *op;
			int declared;

			if (pl == NULL)
				continue;
			op = plugin_options(pl, &declared);
			if (!declared) {
				undecl = pl->name;
				continue;
			}
			for (; op != NULL && op->name != NULL; op++) {
				struct strbuf why = STRBUF_INIT;
				size_t d;

				if (!plugin_option_applies(op, tasks[t]))
					continue;
				if (strcmp(op->name, key) != 0) {
					d = edit_distance(key, op->name);
					if (d < bestd) {
						bestd = d;
						best = op->name;
					}
					continue;
				}
				known = 1;
				if (plugin_option_check(op, kv[i].value,
				    &why) == 0) {
					strbuf_release(&why);
					continue;
				}
				fprintf(stderr, "qeval: --task-opt %s=%s: "
				    "option '%s' of task %s takes %s\n",
				    esc(key), esc(kv[i].value) , op->name,
				    tasks[t], why.buf);
				strbuf_release(&why);
				return (EXIT_USAGE);
			}
		}
		if (known)
			continue;
		if (undecl != NULL) {
			fprintf(stderr, "qeval: warning: --task-opt %s: plugin "
			    "'%s' declares no options (ABI 1.0): the key is "
			    "passed to it unchecked\n", esc(key), undecl);
			continue;
		}
		limit = strlen(key) / 3 > 2 ? strlen(key) / 3 : 2;
		fprintf(stderr, "qeval: --task-opt %s: no selected task has "
		    "an option '%s'", esc(key), esc(key));
		if (best != NULL && bestd <= limit)
			fprintf(stderr, "; did you mean '%s'?", best);
		fprintf(stderr, " (`qeval list tasks -v` shows each task's "
		    "options)\n");
		return (EXIT_USAGE);
	}
	return (0);
}

/*
 * An endpoint URL must be http:// or https://, name a host, have a
 * port from 1 to 65535 if it has one, and hold no control character or
 * space.  0 or EXIT_USAGE (message printed; the URL escaped).
 */
static int
check_url(const char *opt, const char *url)
{
	const char *p, *end, *host, *at, *colon = NULL, *why = NULL;

	if (!clean_text(url) || strchr(url, ' ') != NULL)
		why = "a URL cannot hold control characters or spaces";
	else if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		why = "the scheme must be http:// or https://";
	if (why == NULL) {
		end = p + strcspn(p, "/?#");
		host = p;
		for (at = p; at < end; at++)
			if (*at == '@')
				host = at + 1;
		if (*host == '[') {
			const char *close = memchr(host, ']',
			    (size_t)(end - host));

			if (close == NULL || close == host + 1)
				why = "the IPv6 host has no closing ']'";
			else if (close + 1 < end && close[1] != ':')
				why = "junk after the IPv6 host";
			else if (close + 1 < end)
				colon = close + 1;
		} else {
			colon = memchr(host, ':', (size_t)(end - host));
			if ((colon ? colon : end) == host)
				why = "the URL names no host";
		}
		if (why == NULL && colon != NULL) {
			long port = 0;
			const char *d;

			for (d = colon + 1; d < end && port <= 65535; d++) {
				if (*d < '0' || *d > '9') {
					port = -1;
					break;
				}
				port = port * 10 + (*d - '0');
			}
			if (port < 1 || port > 65535)
				why = "the port must be a number from 1 to "
				    "65535";
		}
	}
	if (why == NULL)
		return (0);
	fprintf(stderr, "qeval: %s '%s': %s\n", opt, esc(url), why);
	return (EXIT_USAGE);
}

/*
 * What can be checked before anything is created: model names, URLs,
 * the baseline.  0 or EXIT_USAGE.
 */
static int
check_run_args(const struct opts *o)
{
	size_t i;

	if (!clean_text(o->model)) {
		fprintf(stderr, "qeval: --model '%s': a model name must be "
		    "UTF-8 text without control characters\n",
		    esc(o->model));
		return (EXIT_USAGE);
	}
	if (o->judge_model != NULL && !clean_text(o->judge_model)) {
		fprintf(stderr, "qeval: --judge-model '%s': a model name must "
		    "be UTF-8 text without control characters\n",
		    esc(o->judge_model));
		return (EXIT_USAGE);
	}
	for (i = 0; i < o->n_endpoints; i++)
		if (check_url("--endpoint", o->endpoints[i]) != 0)
			return (EXIT_USAGE);
	if (o->judge_endpoint != NULL &&
	    check_url("--judge-endpoint", o->judge_endpoint) != 0)
		return (EXIT_USAGE);
	if (o->baseline != NULL) {
		struct strbuf path = STRBUF_INIT;
		cJSON *base = rundir_results_read(o->baseline, &path);
		int good = rundir_is_results(base);

		cJSON_Delete(base);
		if (!good) {
			fprintf(stderr, "qeval: --baseline %s: %s; give an "
			    "earlier run's directory or its results.json\n",
			    esc(o->baseline), access(path.buf, F_OK) != 0 ?
			    "no such file or run directory" :
			    "not a qeval results.json");
			strbuf_release(&path);
			return (EXIT_USAGE);
		}
		strbuf_release(&path);
	}
	return (0);
}

static int
cmd_run(const struct opts *o, int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	struct run_outcome oc;
	struct run_cfg c;
	struct env e;
	char **tasks = NULL, *cmd = NULL, *srv_log = NULL;
	const char *serve_ep[1];
	struct serve *srv = NULL;
	struct models served;
	int rc = EXIT_RUN;

	memset(&served, 0, sizeof(served));
	if (o->model == NULL) {
		fprintf(stderr, "qeval: --model is required (a model name on "
		    "the server, or 'reference' for the built-in gold-answer "
		    "model)\n");
		return (EXIT_USAGE);
	}
	if (o->serve && (o->n_endpoints > 0 || strncmp(o->model, "reference",
	    9) == 0)) {
		fprintf(stderr, "qeval: --serve starts the model's server "
		    "itself: it takes neither --endpoint nor the reference "
		    "model\n");
		return (EXIT_USAGE);
	}
	if (o->engine >= 0 && !o->serve) {
		fprintf(stderr, "qeval: --engine names the server --serve "
		    "starts: add --serve, or drop --engine to use a running "
		    "server at --endpoint\n");
		return (EXIT_USAGE);
	}
	if (o->serve && serve_check_model(o->engine == SERVE_LLAMACPP ?
	    SERVE_LLAMACPP : SERVE_VLLM, o->model, &err) != 0) {
		print_lines("", err.buf);
		strbuf_release(&err);
		return (EXIT_USAGE);
	}
	if (check_run_args(o) != 0)
		return (EXIT_USAGE);
	memset(&oc, 0, sizeof(oc));
	if (o->resume && o->run_id != NULL) {
		struct strbuf d = STRBUF_INIT;
		int bad_shard;

		strbuf_addf(&d, "%s/%s", o->out, o->run_id);
		bad_shard = shard_resume_check(d.buf, o->shard_k, o->shard_n,
		    &err);
		strbuf_release(&d);
		if (bad_shard) {
			fprintf(stderr, "qeval: %s\n", err.buf);
			strbuf_release(&err);
			return (EXIT_USAGE);
		}
	}
	if ((rc = env_init(&e, o, 1, &err)) != 0) {
		rc = rc == EXIT_USAGE ? EXIT_USAGE : EXIT_RUN;
		goto out;
	}
	rc = EXIT_RUN;
	tasks = task_list(&e, o->tasks, 0, &err);
	if (tasks == NULL) {
		rc = EXIT_USAGE;
		goto out;
	}
	/* only the selected tasks' plugins are loaded */
	if (plugin_set_load(&e.plugins, (const char *const *)tasks, NULL,
	    &err) != 0)
		goto out;
	if (check_task_opts(&e, o->kv, tasks) != 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	fill_cfg(&c, o, &e, tasks);
	cmd = command_line(argc, argv);
	c.command_line = cmd;
	if (o->serve && start_server(o, &e, &c, serve_ep, &srv, &srv_log,
	    &err) != 0)
		goto out;
	if (!c.reference && (rc = check_models(o, &c, &served)) != 0)
		goto out;
	rc = run_execute(&c, &oc, &err) == 0 ? 0 : oc.usage ? EXIT_USAGE :
	    EXIT_RUN;
	if (srv != NULL) {
		serve_stop(srv);
		srv = NULL;
		/* The server's log goes with the run it served. */
		if (oc.run_dir != NULL) {
			struct strbuf to = STRBUF_INIT;

			strbuf_addf(&to, "%s/server.log", oc.run_dir);
			(void)rename(srv_log, to.buf);
			strbuf_release(&to);
		}
	}
	if (!o->quiet)
		print_outcome(&oc, 0);
	/* A crossed threshold is the answer CI asks for; a run error still
	 * wins over it. */
	if (o->baseline != NULL && oc.n_tasks > 0) {
		int brc = check_baseline(o, &oc);

		if (rc == 0)
			rc = brc;
	}
out:
	if (srv != NULL)
		serve_stop(srv);	/* the run did not start */
	print_lines("", err.buf);
	run_outcome_release(&oc);
	models_release(&served);
	free(srv_log);
	free(cmd);
	free_list(tasks);
	env_release(&e);
	strbuf_release(&err);
	return (rc);
}

/* `list tasks -v`: the options of one task, one per line. */
static void
list_options(const struct plugin *pl, const char *task)
{
	const struct qeval_option *op;
	int declared, n = 0;

	op = plugin_options(pl, &declared);
	if (!declared) {
		printf("    options: not declared (ABI 1.0 plugin): any "
		    "--task-opt is passed unchecked\n");
		return;
	}
	for (; op != NULL && op->name != NULL; op++) {
		if (!plugin_option_applies(op, task))
			continue;
		printf("    %-22s %-7s default %-8s %s", op->name,
		    plugin_option_type_name(op->type),
		    op->def != NULL ? (*op->def ? op->def : "''") : "-",
		    op->help);
		if (op->type == QEVAL_OPT_ENUM)
			printf(" (%s)", op->choices);
		printf("\n");
		n++;
	}
	if (n == 0)
		printf("    (no options)\n");
}

static int
cmd_list(const struct opts *o, const char *what)
{
	struct strbuf err = STRBUF_INIT;
	struct env e;
	size_t i;
	int rc;

	if ((rc = env_init(&e, o, 0, &err)) != 0) {
		print_lines("", err.buf);
		env_release(&e);
		strbuf_release(&err);
		return (rc == EXIT_USAGE ? EXIT_USAGE : EXIT_RUN);
	}
	{
		struct strbuf warn = STRBUF_INIT;

		(void)plugin_set_load(&e.plugins, NULL, &warn, &err);
		print_lines("warning: ", warn.buf);
		strbuf_release(&warn);
	}
	if (what == NULL || strcmp(what, "tasks") == 0) {
		printf("%-22s %-12s %-26s %s\n", "TASK", "PLUGIN", "DATASET",
		    "RECIPE");
		for (i = 0; i < e.plugins.n; i++) {
			const struct qeval_task *t;

			for (t = e.plugins.v[i].desc->tasks; t->name; t++) {
				printf("%-22s %-12s %-26s %s\n", t->name,
				    e.plugins.v[i].desc->name,
				    t->dataset ? t->dataset : "",
				    t->recipe ? t->recipe : "");
				if (o->verbose)
					list_options(&e.plugins.v[i], t->name);
			}
		}
	} else if (strcmp(what, "plugins") == 0) {
		for (i = 0; i < e.plugins.n; i++)
			printf("%-12s %-8s %s\n", e.plugins.v[i].desc->name,
			    e.plugins.v[i].desc->version ?
			    e.plugins.v[i].desc->version : "?",
			    e.plugins.v[i].path);
		printf("search path:");
		for (i = 0; i < e.plugins.n_dirs; i++)
			printf(" %s", e.plugins.dirs[i]);
		printf("\n");
		if (e.plugins.n_refused > 0)
			printf("refused:\n");
		for (i = 0; i < e.plugins.n_refused; i++)
			printf("  %s\n", e.plugins.refused[i].why);
	} else if (strcmp(what, "presets") == 0) {
		struct strbuf dir = STRBUF_INIT, out = STRBUF_INIT;
		const char *dirs[2];

		share_dir(&dir, "presets");
		dirs[0] = dir.buf;
		dirs[1] = NULL;
		preset_list(dirs, &out);
		fputs(out.buf, stdout);
		strbuf_release(&dir);
		strbuf_release(&out);
	} else {
		fprintf(stderr, "qeval: list what? tasks, plugins or "
		    "presets\n");
		env_release(&e);
		return (EXIT_USAGE);
	}
	env_release(&e);
	strbuf_release(&err);
	return (0);
}

static int
cmd_fetch(const struct opts *o, int n, char **names)
{
	struct strbuf err = STRBUF_INIT;
	const char **want = NULL;
	size_t nw = 0, alloc = 0;
	struct env e;
	int i, rc;

	if ((rc = env_init(&e, o, 0, &err)) != 0) {
		print_lines("", err.buf);
		env_release(&e);
		strbuf_release(&err);
		return (rc == EXIT_USAGE ? EXIT_USAGE : EXIT_RUN);
	}
	{
		struct strbuf warn = STRBUF_INIT;

		(void)plugin_set_load(&e.plugins, NULL, &warn, &err);
		print_lines("warning: ", warn.buf);
		strbuf_release(&warn);
	}
	if (e.data.data_dir != NULL) {
		fprintf(stderr, "qeval: a data dir is set (%s): nothing to "
		    "download; unset QEVAL_DATA_DIR / --data-dir to fill the "
		    "cache\n", e.data.data_dir);
		env_release(&e);
		return (0);
	}
	/* Names may be manifests or tasks (their datasets). */
	for (i = 0; i < n; i++) {
		const struct qeval_task *t;
		size_t k;
		int found = 0;

		for (k = 0; k < e.man.n_names; k++)
			if (strcmp(e.man.names[k], names[i]) == 0) {
				want = xgrow(want, nw + 1, sizeof(*want),
				    &alloc);
				want[nw++] = e.man.names[k];
				found = 1;
			}
		if (!found && plugin_set_find_task(&e.plugins, names[i], &t)) {
			const char *const *f;

			for (f = t->files; *f; f++) {
				const struct data_file *df =
				    data_manifests_find(&e.man, *f);

				if (df != NULL) {
					want = xgrow(want, nw + 1,
					    sizeof(*want), &alloc);
					want[nw++] = df->dataset;
					found = 1;
				}
			}
		}
		if (!found) {
			fprintf(stderr, "qeval: fetch: '%s' is neither a "
			    "dataset manifest (%s) nor a task\n", names[i],
			    e.manifest_dir);
			free(want);
			env_release(&e);
			return (EXIT_USAGE);
		}
	}
	rc = data_fetch(&e.data, n > 0 ? want : NULL, nw, &err);
	if (rc != 0)
		print_lines("fetch: ", err.buf);
	free(want);
	env_release(&e);
	strbuf_release(&err);
	return (rc == 0 ? 0 : EXIT_RUN);
}

/*
 * selftest --plugin FILE: FILE's directory goes first in the search
 * path (so FILE wins its name), and its tasks are the default list.
 * Returns o itself, or po: o with that directory first (*dirs, and
 * (*dirs)[0], are then the caller's to free).
 */
static const struct opts *
selftest_plugin_opts(const struct opts *o, struct opts *po, char ***dirs)
{
	char *dir, *slash;
	size_t k;

	*dirs = NULL;
	if (o->plugin_file == NULL)
		return (o);
	*po = *o;
	dir = xstrdup(o->plugin_file);
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else
		slash[slash == dir] = '\0';
	*dirs = xcalloc(o->n_plugin_dirs + 2, sizeof(**dirs));
	(*dirs)[0] = dir;
	for (k = 0; k < o->n_plugin_dirs; k++)
		(*dirs)[k + 1] = o->plugin_dirs[k];
	po->plugin_dirs = *dirs;
	po->n_plugin_dirs++;
	return (po);
}

static int
selftest_plugin_tasks(const struct env *e, const char *file,
    struct strbuf *names, struct strbuf *err)
{
	const struct plugin *p;
	const char *why;
	size_t k;

	if (plugin_set_which_file(&e->plugins, file, &p, &why) != 0) {
		if (why != NULL)
			strbuf_adds(err, why);
		else
			strbuf_addf(err, "--plugin %s: no plugin there (a "
			    "plugin is a readable NAME.so exporting "
			    "qeval_plugin)", file);
		return (-1);
	}
	for (k = 0; k < p->n_tasks; k++)
		strbuf_addf(names, "%s%s", k > 0 ? "," : "", p->tasks[k]);
	return (0);
}

/*
 * Gold answers must score ~100% and corrupted ones ~0% on the primary
 * metric of every task: a scorer that reads 0% on good answers is the
 * failure users lost days to.
 */
static int
cmd_selftest(const struct opts *o)
{
	struct strbuf err = STRBUF_INIT, names = STRBUF_INIT;
	struct opts po;
	struct env e;
	char **tasks, **dirs;
	size_t i;
	int failed = 0, ran = 0, rc;

	o = selftest_plugin_opts(o, &po, &dirs);
	if ((rc = env_init(&e, o, 1, &err)) != 0 ||
	    (o->plugin_file != NULL && selftest_plugin_tasks(&e,
	    o->plugin_file, &names, &err) != 0)) {
		print_lines("", err.buf);
		env_release(&e);
		strbuf_release(&err);
		strbuf_release(&names);
		if (dirs != NULL)
			free(dirs[0]);
		free(dirs);
		return (rc == EXIT_USAGE ? EXIT_USAGE : EXIT_RUN);
	}
	tasks = task_list(&e, o->tasks ? o->tasks : o->plugin_file ?
	    names.buf : "all", 0, &err);
	/* a plugin that fails to load fails its own rows only */
	if (tasks != NULL)
		(void)plugin_set_load(&e.plugins, (const char *const *)tasks,
		    NULL, &err);
	strbuf_reset(&err);
	if (tasks == NULL || check_task_opts(&e, o->kv, tasks) != 0) {
		print_lines("", err.buf);
		free_list(tasks);
		env_release(&e);
		strbuf_release(&err);
		strbuf_release(&names);
		if (dirs != NULL)
			free(dirs[0]);
		free(dirs);
		return (EXIT_USAGE);
	}
	printf("%-22s %-32s %9s %9s  %s\n", "TASK", "PRIMARY METRIC", "GOLD",
	    "CORRUPT", "VERDICT");
	for (i = 0; tasks[i] != NULL; i++) {
		struct run_outcome g, b;
		struct run_cfg c;
		char *one[2] = { tasks[i], NULL };
		struct strbuf e1 = STRBUF_INIT, e2 = STRBUF_INIT;
		const struct plugin *pl = plugin_set_provider(&e.plugins,
		    tasks[i]);
		int r1, r2;

		if (pl != NULL && pl->desc != NULL && !plugin_has_gold(pl)) {
			printf("%-22s %-32s %9s %9s  SKIP (plugin '%s' has no "
			    "gold() callback)\n", tasks[i], "-", "-", "-",
			    pl->desc->name);
			continue;
		}
		fill_cfg(&c, o, &e, one);
		c.model = "reference";
		c.reference = 1;
		c.out_dir = NULL;
		c.progress = 0;
		c.quiet = 1;
		r1 = run_execute(&c, &g, &e1);
		c.corrupt = 1;
		r2 = run_execute(&c, &b, &e2);
		if (r1 != 0 || r2 != 0 || g.n_tasks != 1 || b.n_tasks != 1) {
			const char *why = e1.len ? e1.buf : e2.buf;

			if (strstr(why, "qeval fetch") != NULL) {
				printf("%-22s %-32s %9s %9s  SKIP (%s)\n",
				    tasks[i], "-", "-", "-", why);
			} else {
				printf("%-22s %-32s %9s %9s  FAIL (%s)\n",
				    tasks[i], "-", "-", "-", why);
				failed++;
			}
		} else {
			const struct run_task_outcome *tg = &g.tasks[0];
			const struct run_task_outcome *tb = &b.tasks[0];
			double gv = tg->value / tg->scale;
			double bv = tb->value / tb->scale;
			/* gold at 98% or more: IFEval's five prompts that no
			 * answer can follow strictly cap it at 98.8-99.0% */
			int ok = gv >= 0.98 && bv <= 0.10 + 1e-9;

			char gs[16], bs[16];

			/* never "nan%": no scored sample is "n/a" */
			snprintf(gs, sizeof(gs), isnan(gv) ? "n/a" : "%.1f%%",
			    100 * gv);
			snprintf(bs, sizeof(bs), isnan(bv) ? "n/a" : "%.1f%%",
			    100 * bv);
			printf("%-22s %-32s %9s %9s  %s\n", tasks[i],
			    tg->primary, gs, bs, ok ? "ok" :
			    "FAIL: the scorer does not separate gold from "
			    "corrupted answers");
			failed += !ok;
			ran++;
		}
		run_outcome_release(&g);
		run_outcome_release(&b);
		strbuf_release(&e1);
		strbuf_release(&e2);
	}
	printf("selftest: %d task(s) checked, %d failed\n", ran, failed);
	free_list(tasks);
	env_release(&e);
	strbuf_release(&err);
	strbuf_release(&names);
	if (dirs != NULL)
		free(dirs[0]);
	free(dirs);
	return (failed ? EXIT_RUN : (ran ? 0 : EXIT_RUN));
}

/*
 * What a rescore keeps of the run's own results.json: what only the
 * run could see (model_server) and, for a merged run, its shards.
 * JSON object text, or NULL when there is nothing to keep.
 */
static char *
rescore_carried(const char *run_dir)
{
	static const char *const keys[] = { "model_server", "shards", NULL };
	cJSON *res = rundir_results_read(run_dir, NULL), *keep;
	char *txt;
	size_t i;

	if (res == NULL)
		return (NULL);
	keep = cJSON_CreateObject();
	for (i = 0; keys[i] != NULL; i++) {
		cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(res,
		    keys[i]);

		if (v != NULL)
			cJSON_AddItemToObject(keep, keys[i], v);
	}
	txt = cJSON_PrintUnformatted(keep);
	cJSON_Delete(keep);
	cJSON_Delete(res);
	return (txt);
}

/*
 * Scores a run's saved answers again: no model is asked anything.
 * carried: what results.json keeps from before (rescore_carried());
 * NULL: the run directory's own.
 */
static int
cmd_rescore(const struct opts *o0, const char *run_dir, int argc,
    char **argv, const char *carried)
{
	struct strbuf err = STRBUF_INIT;
	struct opts o = *o0;
	struct run_outcome oc;
	struct rundir_plan plan;
	struct run_cfg c;
	struct env e;
	char *dir, *slash, *cmd, *own;
	int rc = EXIT_RUN;

	memset(&e, 0, sizeof(e));
	if (rundir_plan_read(&plan, run_dir, &err) != 0) {
		fprintf(stderr, "qeval: rescore: %s/run.json is missing or "
		    "damaged: is %s a qeval run directory?\n", run_dir,
		    run_dir);
		goto out;
	}
	/* The plan's preset, as it was resolved for the run. */
	o.plan = &plan;
	o.plan_dir = run_dir;
	o.preset_file = NULL;
	o.model = plan.model;
	o.api = plan.api;
	o.limit = plan.limit;
	o.samples = plan.samples;
	o.seed_set = plan.seed_set;
	o.seed = plan.seed;
	o.num_fewshot = plan.num_fewshot;
	o.keep_think = plan.keep_think;
	o.shard_n = plan.shard_n;
	o.shard_k = plan.shard_k;
	o.judge_model = plan.judge_model;
	o.judge_endpoint = NULL;
	o.kv = plan.kv;
	rc = env_init(&e, &o, 1, &err);
	if (rc != 0) {
		print_lines("rescore: ", err.buf);
		rc = EXIT_RUN;
		goto out;
	}
	if (plugin_set_load(&e.plugins, (const char *const *)plan.tasks,
	    NULL, &err) != 0) {
		print_lines("rescore: ", err.buf);
		rc = EXIT_RUN;
		goto out;
	}
	/* what the run's command line set, as the run recorded it */
	free(e.overrides);
	e.overrides = plan.overrides != NULL ? xstrdup(plan.overrides) :
	    NULL;
	fill_cfg(&c, &o, &e, plan.tasks);
	c.reference = plan.reference;
	c.corrupt = plan.corrupt;
	c.replay_only = 1;
	c.resume = 1;
	dir = xstrdup(run_dir);
	while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = '\0';
	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*slash = '\0';
		c.out_dir = *dir ? dir : "/";
		c.run_id = slash + 1;
	} else {
		c.out_dir = ".";
		c.run_id = dir;
	}
	cmd = command_line(argc, argv);
	c.command_line = cmd;
	own = carried == NULL ? rescore_carried(run_dir) : NULL;
	c.carried = carried != NULL ? carried : own;
	rc = run_execute(&c, &oc, &err) == 0 ? 0 : oc.usage ? EXIT_USAGE :
	    EXIT_RUN;
	if (!o.quiet)
		print_outcome(&oc, 0);
	if (err.len > 0)
		print_lines("", err.buf);
	run_outcome_release(&oc);
	free(cmd);
	free(own);
	free(dir);
out:
	rundir_plan_release(&plan);
	if (e.manifest_dir != NULL)
		env_release(&e);
	strbuf_release(&err);
	return (rc);
}


static cJSON *
num_or_null(const cJSON *o, const char *key)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);

	return (cJSON_IsNumber(x) ? cJSON_CreateNumber(x->valuedouble) :
	    cJSON_CreateNull());
}

static double
shard_index_of(const cJSON *r)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(r, "shard"), "index");

	return (cJSON_IsNumber(x) ? x->valuedouble : -1);
}

/*
 * What the merged results.json keeps of the shards' own (docs/RESULTS.md):
 * "shards", one row per shard in index order with the scheduler job
 * that ran it, and "model_server": the first shard's kind and listed
 * models with every shard's response models (a warning when the kinds
 * differ).  JSON object text; the shards' results.json were checked.
 */
static char *
merge_carried(int n, char **shards)
{
	cJSON **res = xcalloc((size_t)n, sizeof(*res)), *keep, *rows, *ms;
	cJSON *rm = NULL;
	const char *kind0 = NULL;
	char *txt;
	int i, j;

	for (i = 0; i < n; i++) {
		cJSON *r = rundir_results_read(shards[i], NULL);

		/* insertion by shard index: the rows' order */
		for (j = i; j > 0 && shard_index_of(res[j - 1]) >
		    shard_index_of(r); j--)
			res[j] = res[j - 1];
		res[j] = r;
	}
	keep = cJSON_CreateObject();
	rows = cJSON_AddArrayToObject(keep, "shards");
	ms = NULL;
	for (i = 0; i < n; i++) {
		const cJSON *r = res[i], *sh, *sc, *id, *m, *k, *a;
		cJSON *row = cJSON_CreateObject();

		sh = cJSON_GetObjectItemCaseSensitive(r, "shard");
		cJSON_AddItemToObject(row, "index", num_or_null(sh,
		    "index"));
		cJSON_AddItemToObject(row, "count", num_or_null(sh,
		    "count"));
		sc = cJSON_GetObjectItemCaseSensitive(r, "scheduler");
		cJSON_AddItemToObject(row, "scheduler", cJSON_IsObject(sc) ?
		    cJSON_Duplicate(sc, 1) : cJSON_CreateNull());
		id = cJSON_GetObjectItemCaseSensitive(r, "run_id");
		cJSON_AddItemToObject(row, "run_id", cJSON_IsString(id) ?
		    cJSON_CreateString(id->valuestring) : cJSON_CreateNull());
		cJSON_AddItemToArray(rows, row);
		m = cJSON_GetObjectItemCaseSensitive(r, "model_server");
		if (!cJSON_IsObject(m))
			continue;
		k = cJSON_GetObjectItemCaseSensitive(m, "kind");
		if (ms == NULL) {
			ms = cJSON_Duplicate(m, 1);
			cJSON_DeleteItemFromObjectCaseSensitive(ms,
			    "response_models");
			rm = cJSON_AddArrayToObject(ms, "response_models");
			kind0 = cJSON_GetStringValue(k);
		} else if (cJSON_IsString(k) && kind0 != NULL &&
		    strcmp(k->valuestring, kind0) != 0)
			fprintf(stderr, "qeval: merge: warning: shard %s ran "
			    "against a %s server, the first one against %s: "
			    "results.json records %s\n", cJSON_IsString(id) ?
			    id->valuestring : "?", k->valuestring, kind0,
			    kind0);
		a = cJSON_GetObjectItemCaseSensitive(m, "response_models");
		for (j = 0; j < cJSON_GetArraySize(a); j++) {
			const cJSON *name = cJSON_GetArrayItem(a, j), *e;
			int have = 0;

			cJSON_ArrayForEach(e, rm)
				have |= cJSON_Compare(e, name, 1);
			if (!have && cJSON_IsString(name))
				cJSON_AddItemToArray(rm, cJSON_Duplicate(name,
				    0));
		}
	}
	if (ms != NULL)
		cJSON_AddItemToObject(keep, "model_server", ms);
	txt = cJSON_PrintUnformatted(keep);
	cJSON_Delete(keep);
	for (i = 0; i < n; i++)
		cJSON_Delete(res[i]);
	free(res);
	return (txt);
}

/*
 * Joins the shards of a run (--shard K/N) into one run directory: the
 * plans must agree, the journals are concatenated, and the union is
 * scored as `rescore` does, with no model call.
 */
#define JHDR	"{\"journal\""

static int
cmd_merge(const struct opts *o, int n, char **shards, int argc, char **argv)
{
	struct strbuf dir = STRBUF_INIT, p = STRBUF_INIT;
	struct rundir_plan first;
	char *carried = NULL;
	unsigned char seen[4096];
	FILE *jout = NULL;
	int i, rc = EXIT_RUN;

	memset(&first, 0, sizeof(first));
	if (n < 1) {
		fprintf(stderr, "qeval: merge needs the shards' run "
		    "directories\n");
		return (EXIT_USAGE);
	}
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++) {
		struct rundir_plan plan;
		const char *key;

		strbuf_reset(&p);
		if (rundir_plan_read(&plan, shards[i], &p) != 0) {
			fprintf(stderr, "qeval: merge: %s is not a qeval run "
			    "directory (no readable run.json)\n", shards[i]);
			goto out;
		}
		if (i > 0 && (key = rundir_plan_differs(&first, &plan)) !=
		    NULL) {
			fprintf(stderr, "qeval: merge: %s and %s are not "
			    "shards of one run: their '%s' differ\n",
			    shards[0], shards[i], key);
			rundir_plan_release(&plan);
			goto out;
		}
		if (plan.shard_set && plan.shard_k < sizeof(seen) &&
		    seen[plan.shard_k]++) {
			fprintf(stderr, "qeval: merge: shard %u (%s) is given "
			    "twice\n", plan.shard_k + 1, shards[i]);
			rundir_plan_release(&plan);
			goto out;
		}
		if (i == 0)
			first = plan;
		else
			rundir_plan_release(&plan);
	}
	/* Every shard there, each one finished, the same data: else the
	 * merged run would quietly count samples as not done. */
	strbuf_reset(&p);
	if (shard_merge_check(shards, n, &p) != 0) {
		char *l = p.buf, *nl;

		for (; (nl = strchr(l, '\n')) != NULL; l = nl + 1)
			fprintf(stderr, "qeval: merge: %.*s\n",
			    (int)(nl - l), l);
		fprintf(stderr, "qeval: merge: %s\n", l);
		goto out;
	}
	/* The merged plan: every sample is ours again. */
	cJSON_ReplaceItemInObject(first.json, "shard_k",
	    cJSON_CreateNumber(0));
	cJSON_ReplaceItemInObject(first.json, "shard_n",
	    cJSON_CreateNumber(0));
	strbuf_addf(&dir, "%s/", o->out);
	if (o->run_id != NULL)
		strbuf_adds(&dir, o->run_id);
	else {
		const char *b = strrchr(shards[0], '/');

		strbuf_addf(&dir, "merged-%s", b && b[1] ? b + 1 : shards[0]);
	}
	if (mkdir(o->out, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "qeval: merge: cannot create %s: %s\n", o->out,
		    strerror(errno));
		goto out;
	}
	if (mkdir(dir.buf, 0755) != 0) {
		fprintf(stderr, "qeval: merge: cannot create %s: %s\n",
		    dir.buf, strerror(errno));
		goto out;
	}
	{
		struct strbuf werr = STRBUF_INIT;
		char *txt = cJSON_Print(first.json);
		int wrc = txt == NULL ? -1 :
		    rundir_plan_write(dir.buf, txt, &werr);

		free(txt);
		if (wrc != 0) {
			fprintf(stderr, "qeval: merge: %s\n", werr.len ?
			    werr.buf : "cannot write run.json");
			strbuf_release(&werr);
			goto out;
		}
		strbuf_release(&werr);
	}
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/journal", dir.buf);
	jout = fopen(p.buf, "w");
	if (jout == NULL) {
		fprintf(stderr, "qeval: merge: cannot write %s\n", p.buf);
		goto out;
	}
	fputs("{\"journal\":\"qeval/1\",\"merged\":true}\n", jout);
	for (i = 0; i < n; i++) {
		struct strbuf jp = STRBUF_INIT;
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;
		FILE *f;

		strbuf_addf(&jp, "%s/journal", shards[i]);
		f = fopen(jp.buf, "r");
		if (f == NULL) {
			fprintf(stderr, "qeval: merge: %s: %s\n", jp.buf,
			    strerror(errno));
			strbuf_release(&jp);
			goto out;
		}
		/* Exchange records only, whole lines only: a torn last
		 * line of a killed shard is left out. */
		while ((len = getline(&line, &cap, f)) > 0)
			if (line[len - 1] == '\n' &&
			    strncmp(line, JHDR, sizeof(JHDR) - 1) != 0)
				fputs(line, jout);
		free(line);
		fclose(f);
		strbuf_release(&jp);
	}
	if (fclose(jout) != 0) {
		jout = NULL;
		fprintf(stderr, "qeval: merge: cannot write the journal\n");
		goto out;
	}
	jout = NULL;
	carried = merge_carried(n, shards);
	rc = cmd_rescore(o, dir.buf, argc, argv, carried);
out:
	if (jout != NULL)
		fclose(jout);
	free(carried);
	rundir_plan_release(&first);
	strbuf_release(&dir);
	strbuf_release(&p);
	return (rc);
}

static int
cmd_report(const struct opts *o, int n, char **runs)
{
	struct strbuf err = STRBUF_INIT;
	int rc;

	if (n < 1) {
		fprintf(stderr, "qeval: report needs at least one run "
		    "directory (or results.json)\n");
		return (EXIT_USAGE);
	}
	rc = report_write_runs((const char *const *)runs, (size_t)n,
	    o->output, &err);
	if (rc != 0)
		print_lines("report: ", err.buf);
	strbuf_release(&err);
	return (rc == 0 ? 0 : EXIT_RUN);
}

int
main(int argc, char **argv)
{
	static const char *const cmds[] = { "run", "list", "fetch",
	    "selftest", "rescore", "report", "merge", "help", NULL };
	struct opts o;
	const char *cmd = "run";
	int rc, k;

	remember_command(argc, argv);
	plugin_guard_install();
	/*
	 * Options may come before or after the subcommand (`qeval -v list
	 * plugins`): getopt moves every operand to the end, and the first
	 * operand names the command when it is one.
	 */
	rc = parse_opts(argc, argv, &o);
	if (rc >= 0) {
		opts_release(&o);
		free(the_command);
		return (rc);
	}
	if (o.verbose)
		host_set_verbosity(QEVAL_LOG_DEBUG);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	{
		int nargs = argc - optind;
		char **args = argv + optind;

		for (k = 0; nargs > 0 && cmds[k] != NULL; k++)
			if (strcmp(args[0], cmds[k]) == 0) {
				cmd = cmds[k];
				args++;
				nargs--;
				break;
			}

		if (o.plugin_file != NULL && strcmp(cmd, "selftest") != 0) {
			fprintf(stderr, "qeval: --plugin FILE is for `qeval "
			    "selftest`; to use a plugin, give its directory "
			    "with --plugin-dir\n");
			rc = EXIT_USAGE;
		} else if (strcmp(cmd, "run") == 0) {
			if (nargs > 0) {
				fprintf(stderr, "qeval: unknown command or "
				    "unexpected argument '%s'; see `qeval "
				    "--help`\n", esc(args[0]));
				rc = EXIT_USAGE;
			} else
				rc = cmd_run(&o, argc, argv);
		} else if (strcmp(cmd, "list") == 0)
			rc = cmd_list(&o, nargs > 0 ? args[0] : NULL);
		else if (strcmp(cmd, "fetch") == 0)
			rc = cmd_fetch(&o, nargs, args);
		else if (strcmp(cmd, "selftest") == 0)
			rc = cmd_selftest(&o);
		else if (strcmp(cmd, "rescore") == 0) {
			if (nargs != 1) {
				fprintf(stderr, "qeval: usage: qeval rescore "
				    "RUN\n");
				rc = EXIT_USAGE;
			} else
				rc = cmd_rescore(&o, args[0], argc, argv, NULL);
		} else if (strcmp(cmd, "report") == 0)
			rc = cmd_report(&o, nargs, args);
		else if (strcmp(cmd, "merge") == 0)
			rc = cmd_merge(&o, nargs, args, argc, argv);
		else {
			usage(stdout);
			rc = 0;
		}
	}
	curl_global_cleanup();
	opts_release(&o);
	free(the_command);
	return (rc);
}
