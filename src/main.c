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
#include "fileio.h"
#include "host.h"
#include "plugin.h"
#include "preset.h"
#include "report.h"
#include "results.h"
#include "run.h"
#include "serve.h"
#include "shard.h"
#include "strbuf.h"
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
	const char	*baseline;	/* results.json or run dir */
	double		 reg_warn;	/* percentage points */
	double		 reg_fail;
	double		 serve_timeout;
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
"       qeval selftest [--tasks LIST] [--limit N]\n"
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
"  --samples N           candidates per sample (pass@k)\n"
"  --seed N              generation and few-shot seed\n"
"  --num-fewshot N       few-shot examples (default: the recipe's)\n"
"  --task-opt KEY=VALUE  option for the task plugins (repeatable)\n"
"  --concurrency N       requests in flight (default: the preset's)\n"
"  --judge-endpoint URL  --judge-model M   judge for MT-Bench\n"
"  --out DIR             where runs go (default ./out)\n"
"  --run-id ID           name of the run directory\n"
"  --resume              continue the newest matching run in --out\n"
"  --data-dir D          offline dataset mirror (or QEVAL_DATA_DIR)\n"
"  --plugin-dir D        extra plugin directory (repeatable)\n"
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
"  --serve-timeout S     how long the server may take to load (1200)\n"
"  --baseline RUN        compare primary scores with an earlier run's\n"
"                        results.json; exit 3 past --regression-fail\n"
"                        (default 3.0 points; warning past\n"
"                        --regression-warn, default 1.0)\n"
"  --no-progress, -q, -v, --help, --version\n"
"\n"
"API keys come from QEVAL_API_KEY or OPENAI_API_KEY (judge:\n"
"QEVAL_JUDGE_API_KEY) and are never written to any file.\n", f);
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
	O_REG_FAIL, O_SERVE_TIMEOUT, O_CHAT
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
	{ "baseline", required_argument, NULL, O_BASELINE },
	{ "serve-timeout", required_argument, NULL, O_SERVE_TIMEOUT },
	{ "regression-warn", required_argument, NULL, O_REG_WARN },
	{ "regression-fail", required_argument, NULL, O_REG_FAIL },
	{ "output", required_argument, NULL, 'o' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 }
};

static int
bad(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "qeval: %s '%s': expected %s\n", opt, val, want);
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
		case O_PLUGIN_DIR:
			o->plugin_dirs = xgrow(o->plugin_dirs,
			    o->n_plugin_dirs + 2, sizeof(char *),
			    &o->plugin_dirs_alloc);
			o->plugin_dirs[o->n_plugin_dirs++] = optarg;
			o->plugin_dirs[o->n_plugin_dirs] = NULL;
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
	shard_sched_release(&o->sched);
}

/* ------------------------------------------------------------------ */

struct env {
	struct plugin_set	 plugins;
	struct data_manifests	 man;
	struct data_cfg		 data;
	struct preset		 preset;
	int			 have_preset;
	char			*manifest_dir;
};

static int
env_init(struct env *e, const struct opts *o, int need_preset,
    struct strbuf *err)
{
	struct strbuf warn = STRBUF_INIT, dir = STRBUF_INIT;
	int rc;

	memset(e, 0, sizeof(*e));
#ifdef QEVAL_BUILDDIR
	if (in_build_tree() && getenv("QEVAL_PLUGIN_PATH") == NULL)
		setenv("QEVAL_PLUGIN_PATH", QEVAL_BUILDDIR "/plugins/.libs", 1);
#endif
	rc = plugin_set_scan(&e->plugins, (const char *const *)o->plugin_dirs,
	    &warn);
	if (warn.len > 0 && o->verbose)
		fprintf(stderr, "qeval: warning: %s", warn.buf);
	else if (warn.len > 0)
		fprintf(stderr, "qeval: warning: some plugins were not "
		    "loaded:\n%s", warn.buf);
	strbuf_release(&warn);
	(void)rc;
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
		if (o->preset_file != NULL)
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
			return (-1);
		}
		e->have_preset = 1;
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
			const struct qeval_task *t;

			for (t = e->plugins.v[i].desc->tasks; t->name; t++) {
				if (defaults_only || spec == NULL) {
					size_t k;
					int dflt = 0;

					for (k = 0; default_tasks[k]; k++)
						if (strcmp(default_tasks[k],
						    t->name) == 0)
							dflt = 1;
					if (!dflt)
						continue;
				}
				v = xgrow(v, n + 2, sizeof(*v), &alloc);
				v[n++] = xstrdup(t->name);
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
		if (plugin_set_find_task(&e->plugins, tok, NULL) == NULL) {
			strbuf_addf(err, "unknown task '%s': `qeval list "
			    "tasks` shows what the installed plugins provide",
			    tok);
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

		if (t->scale > 1)
			printf("%-20s %-32s %6.2f/10  (%zu scored, %zu "
			    "errors)\n", t->name, t->primary, t->value,
			    t->scored, t->errors);
		else
			printf("%-20s %-32s %6.1f%%  (%zu scored, %zu "
			    "errors)\n", t->name, t->primary, 100 * t->value,
			    t->scored, t->errors);
	}
	if (oc->run_dir)
		printf("results: %s/results.json\nreport:  %s/report.md\n",
		    oc->run_dir, oc->run_dir);
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
	c->tasks = (const char *const *)tasks;
	c->n_tasks = list_len(tasks);
	c->limit = (size_t)o->limit;
	c->samples = o->samples;
	c->seed_set = o->seed_set;
	c->seed = (unsigned)o->seed;
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
	c->concurrency = o->concurrency;
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
	char *txt;
	size_t i;
	int rc = 0, compared = 0;

	strbuf_adds(&path, o->baseline);
	{
		struct stat st;

		if (stat(path.buf, &st) == 0 && S_ISDIR(st.st_mode))
			strbuf_adds(&path, "/results.json");
	}
	txt = fileio_read(path.buf, NULL);
	base = txt ? cJSON_Parse(txt) : NULL;
	free(txt);
	tasks = cJSON_GetObjectItemCaseSensitive(base, "tasks");
	if (!cJSON_IsArray(tasks)) {
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
	srv = serve_start(&e->preset, o->model, log.buf, o->serve_timeout,
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
	c->serve_cold_start_s = serve_cold_start(srv);
	*srvp = srv;
	*logp = strbuf_detach(&log, NULL);
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
	int rc = EXIT_RUN;

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
	if (env_init(&e, o, 1, &err) != 0)
		goto out;
	tasks = task_list(&e, o->tasks, 0, &err);
	if (tasks == NULL) {
		rc = EXIT_USAGE;
		goto out;
	}
	fill_cfg(&c, o, &e, tasks);
	cmd = command_line(argc, argv);
	c.command_line = cmd;
	if (o->serve && start_server(o, &e, &c, serve_ep, &srv, &srv_log,
	    &err) != 0)
		goto out;
	rc = run_execute(&c, &oc, &err) == 0 ? 0 : EXIT_RUN;
	if (srv != NULL) {
		serve_stop(srv);
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
	if (err.len > 0)
		fprintf(stderr, "qeval: %s\n", err.buf);
	run_outcome_release(&oc);
	free(srv_log);
	free(cmd);
	free_list(tasks);
	env_release(&e);
	strbuf_release(&err);
	return (rc);
}

static int
cmd_list(const struct opts *o, const char *what)
{
	struct strbuf err = STRBUF_INIT;
	struct env e;
	size_t i;

	if (env_init(&e, o, 0, &err) != 0) {
		fprintf(stderr, "qeval: %s\n", err.buf);
		env_release(&e);
		strbuf_release(&err);
		return (EXIT_RUN);
	}
	if (what == NULL || strcmp(what, "tasks") == 0) {
		printf("%-22s %-12s %-26s %s\n", "TASK", "PLUGIN", "DATASET",
		    "RECIPE");
		for (i = 0; i < e.plugins.n; i++) {
			const struct qeval_task *t;

			for (t = e.plugins.v[i].desc->tasks; t->name; t++)
				printf("%-22s %-12s %-26s %s\n", t->name,
				    e.plugins.v[i].desc->name,
				    t->dataset ? t->dataset : "",
				    t->recipe ? t->recipe : "");
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

	if (env_init(&e, o, 0, &err) != 0) {
		fprintf(stderr, "qeval: %s\n", err.buf);
		env_release(&e);
		strbuf_release(&err);
		return (EXIT_RUN);
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
		fprintf(stderr, "qeval: fetch: %s\n", err.buf);
	free(want);
	env_release(&e);
	strbuf_release(&err);
	return (rc == 0 ? 0 : EXIT_RUN);
}

/*
 * Gold answers must score ~100% and corrupted ones ~0% on the primary
 * metric of every task: a scorer that reads 0% on good answers is the
 * failure users lost days to.
 */
static int
cmd_selftest(const struct opts *o)
{
	struct strbuf err = STRBUF_INIT;
	struct env e;
	char **tasks;
	size_t i;
	int failed = 0, ran = 0;

	if (env_init(&e, o, 1, &err) != 0) {
		fprintf(stderr, "qeval: %s\n", err.buf);
		env_release(&e);
		strbuf_release(&err);
		return (EXIT_RUN);
	}
	tasks = task_list(&e, o->tasks ? o->tasks : "all", 0, &err);
	if (tasks == NULL) {
		fprintf(stderr, "qeval: %s\n", err.buf);
		env_release(&e);
		strbuf_release(&err);
		return (EXIT_USAGE);
	}
	printf("%-22s %-32s %9s %9s  %s\n", "TASK", "PRIMARY METRIC", "GOLD",
	    "CORRUPT", "VERDICT");
	for (i = 0; tasks[i] != NULL; i++) {
		struct run_outcome g, b;
		struct run_cfg c;
		char *one[2] = { tasks[i], NULL };
		struct strbuf e1 = STRBUF_INIT, e2 = STRBUF_INIT;
		int r1, r2;

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
			int ok = gv >= 0.99 && bv <= 0.10 + 1e-9;

			printf("%-22s %-32s %8.1f%% %8.1f%%  %s\n", tasks[i],
			    tg->primary, 100 * gv, 100 * bv, ok ? "ok" :
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
	return (failed ? EXIT_RUN : (ran ? 0 : EXIT_RUN));
}

/* Scores a run's saved answers again: no model is asked anything. */
static int
cmd_rescore(const struct opts *o0, const char *run_dir, int argc,
    char **argv)
{
	struct strbuf err = STRBUF_INIT, p = STRBUF_INIT;
	struct opts o = *o0;
	struct run_outcome oc;
	struct run_cfg c;
	struct env e;
	cJSON *plan = NULL;
	const cJSON *t, *x;
	char **tasks = NULL, *txt, *dir, *slash, *cmd, tmpl[] =
	    "/tmp/qeval-preset-XXXXXX";
	struct qeval_kv *kv = NULL;
	size_t i, n, alloc = 0;
	int rc = EXIT_RUN, fd;

	memset(&e, 0, sizeof(e));
	strbuf_addf(&p, "%s/run.json", run_dir);
	txt = fileio_read(p.buf, NULL);
	plan = txt ? cJSON_Parse(txt) : NULL;
	free(txt);
	if (plan == NULL || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(
	    plan, "model"))) {
		fprintf(stderr, "qeval: rescore: %s is missing or damaged: is "
		    "%s a qeval run directory?\n", p.buf, run_dir);
		goto out;
	}
	/* The plan's preset, as it was resolved for the run. */
	fd = mkstemp(tmpl);
	if (fd < 0) {
		fprintf(stderr, "qeval: rescore: cannot create a temporary "
		    "file\n");
		goto out;
	}
	txt = cJSON_Print(cJSON_GetObjectItemCaseSensitive(plan, "preset"));
	if (txt == NULL || write(fd, txt, strlen(txt)) < 0) {
		close(fd);
		free(txt);
		unlink(tmpl);
		goto out;
	}
	free(txt);
	close(fd);
	o.preset_file = tmpl;
	o.model = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(plan,
	    "model"));
	x = cJSON_GetObjectItemCaseSensitive(plan, "api");
	o.api = cJSON_IsString(x) ? x->valuestring : "chat";
	x = cJSON_GetObjectItemCaseSensitive(plan, "limit");
	o.limit = cJSON_IsNumber(x) ? (long)x->valuedouble : 0;
	x = cJSON_GetObjectItemCaseSensitive(plan, "samples");
	o.samples = cJSON_IsNumber(x) ? x->valueint : 1;
	x = cJSON_GetObjectItemCaseSensitive(plan, "seed");
	o.seed_set = cJSON_IsNumber(x);
	o.seed = cJSON_IsNumber(x) ? (unsigned long)x->valuedouble : 0;
	x = cJSON_GetObjectItemCaseSensitive(plan, "num_fewshot");
	o.num_fewshot = cJSON_IsNumber(x) ? x->valueint : -1;
	x = cJSON_GetObjectItemCaseSensitive(plan, "keep_think");
	o.keep_think = cJSON_IsTrue(x);
	x = cJSON_GetObjectItemCaseSensitive(plan, "shard_n");
	o.shard_n = cJSON_IsNumber(x) ? (unsigned)x->valuedouble : 0;
	x = cJSON_GetObjectItemCaseSensitive(plan, "shard_k");
	o.shard_k = cJSON_IsNumber(x) ? (unsigned)x->valuedouble : 0;
	o.judge_model = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
	    plan, "judge_model"));
	o.judge_endpoint = NULL;
	x = cJSON_GetObjectItemCaseSensitive(plan, "task_options");
	n = cJSON_IsArray(x) ? (size_t)cJSON_GetArraySize(x) : 0;
	for (i = 0; i < n; i++) {
		const cJSON *kvj = cJSON_GetArrayItem(x, (int)i);

		kv = xgrow(kv, i + 2, sizeof(*kv), &alloc);
		kv[i].key = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(kvj, "key"));
		kv[i].value = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(kvj, "value"));
		kv[i + 1].key = NULL;
	}
	o.kv = kv;
	rc = env_init(&e, &o, 1, &err);
	unlink(tmpl);
	if (rc != 0) {
		fprintf(stderr, "qeval: rescore: %s\n", err.buf);
		rc = EXIT_RUN;
		goto out;
	}
	t = cJSON_GetObjectItemCaseSensitive(plan, "tasks");
	n = cJSON_IsArray(t) ? (size_t)cJSON_GetArraySize(t) : 0;
	tasks = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		tasks[i] = xstrdup(cJSON_GetStringValue(cJSON_GetArrayItem(t,
		    (int)i)) ? cJSON_GetStringValue(cJSON_GetArrayItem(t,
		    (int)i)) : "");
	fill_cfg(&c, &o, &e, tasks);
	x = cJSON_GetObjectItemCaseSensitive(plan, "reference");
	c.reference = cJSON_IsTrue(x);
	x = cJSON_GetObjectItemCaseSensitive(plan, "corrupt");
	c.corrupt = cJSON_IsTrue(x);
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
	rc = run_execute(&c, &oc, &err) == 0 ? 0 : EXIT_RUN;
	if (!o.quiet)
		print_outcome(&oc, 0);
	if (err.len > 0)
		fprintf(stderr, "qeval: %s\n", err.buf);
	run_outcome_release(&oc);
	free(cmd);
	free(dir);
out:
	free_list(tasks);
	free(kv);
	cJSON_Delete(plan);
	if (e.manifest_dir != NULL)
		env_release(&e);
	strbuf_release(&err);
	strbuf_release(&p);
	return (rc);
}


/* Keys of run.json that must agree between the shards of one run. */
static const char *const merge_keys[] = { "model", "api", "tasks", "limit",
	"samples", "seed", "num_fewshot", "task_options", "reference",
	"corrupt", "keep_think", "shard_n", NULL };

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
	cJSON *first = NULL;
	unsigned char seen[4096];
	FILE *jout = NULL;
	int i, rc = EXIT_RUN;

	if (n < 1) {
		fprintf(stderr, "qeval: merge needs the shards' run "
		    "directories\n");
		return (EXIT_USAGE);
	}
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++) {
		cJSON *plan;
		const cJSON *k;
		char *txt;
		size_t j;

		strbuf_reset(&p);
		strbuf_addf(&p, "%s/run.json", shards[i]);
		txt = fileio_read(p.buf, NULL);
		plan = txt ? cJSON_Parse(txt) : NULL;
		free(txt);
		if (plan == NULL) {
			fprintf(stderr, "qeval: merge: %s is not a qeval run "
			    "directory (no readable run.json)\n", shards[i]);
			goto out;
		}
		if (first == NULL)
			first = plan;
		else {
			for (j = 0; merge_keys[j] != NULL; j++)
				if (!cJSON_Compare(cJSON_GetObjectItem(first,
				    merge_keys[j]), cJSON_GetObjectItem(plan,
				    merge_keys[j]), 1)) {
					fprintf(stderr, "qeval: merge: %s and "
					    "%s are not shards of one run: "
					    "their '%s' differ\n", shards[0],
					    shards[i], merge_keys[j]);
					cJSON_Delete(plan);
					goto out;
				}
		}
		k = cJSON_GetObjectItemCaseSensitive(plan, "shard_k");
		if (cJSON_IsNumber(k) && k->valuedouble >= 0 &&
		    k->valuedouble < (double)sizeof(seen) &&
		    seen[(size_t)k->valuedouble]++) {
			fprintf(stderr, "qeval: merge: shard %u (%s) is given "
			    "twice\n", (unsigned)k->valuedouble + 1,
			    shards[i]);
			if (plan != first)
				cJSON_Delete(plan);
			goto out;
		}
		if (plan != first)
			cJSON_Delete(plan);
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
	cJSON_ReplaceItemInObject(first, "shard_k", cJSON_CreateNumber(0));
	cJSON_ReplaceItemInObject(first, "shard_n", cJSON_CreateNumber(0));
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
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/run.json", dir.buf);
	{
		struct strbuf werr = STRBUF_INIT;
		char *txt = cJSON_Print(first);
		int wrc = txt == NULL ? -1 :
		    fileio_write_atomic(p.buf, txt, strlen(txt), &werr);

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
	rc = cmd_rescore(o, dir.buf, argc, argv);
out:
	if (jout != NULL)
		fclose(jout);
	cJSON_Delete(first);
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
		fprintf(stderr, "qeval: report: %s\n", err.buf);
	strbuf_release(&err);
	return (rc == 0 ? 0 : EXIT_RUN);
}

int
main(int argc, char **argv)
{
	struct opts o;
	const char *cmd = "run";
	int rc, first = 1;

	remember_command(argc, argv);
	if (argc > 1 && argv[1][0] != '-') {
		cmd = argv[1];
		first = 2;
	}
	/* getopt sees the subcommand's arguments with argv[0] in front. */
	argv[first - 1] = argv[0];
	rc = parse_opts(argc - first + 1, argv + first - 1, &o);
	if (rc >= 0) {
		opts_release(&o);
		free(the_command);
		return (rc);
	}
	if (o.verbose)
		host_set_verbosity(QEVAL_LOG_DEBUG);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	{
		int nargs = argc - first + 1 - optind;
		char **args = argv + first - 1 + optind;

		if (strcmp(cmd, "run") == 0) {
			if (nargs > 0) {
				fprintf(stderr, "qeval: unexpected argument "
				    "'%s'\n", args[0]);
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
				rc = cmd_rescore(&o, args[0], argc, argv);
		} else if (strcmp(cmd, "report") == 0)
			rc = cmd_report(&o, nargs, args);
		else if (strcmp(cmd, "merge") == 0)
			rc = cmd_merge(&o, nargs, args, argc, argv);
		else if (strcmp(cmd, "help") == 0) {
			usage(stdout);
			rc = 0;
		} else {
			fprintf(stderr, "qeval: unknown command '%s'; see "
			    "`qeval --help`\n", cmd);
			rc = EXIT_USAGE;
		}
	}
	curl_global_cleanup();
	opts_release(&o);
	free(the_command);
	return (rc);
}
