/*
 * t-preset: the shipped presets, the errors for bad preset files, the
 * lookup order, preset_to_json() round trips and `vllm serve` argv.
 * Needs QEVAL_SRCDIR (presets/ and tests/fixtures/presets/ are there).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "preset.h"
#include "qeval/plugin.h"
#include "strbuf.h"
#include "tap.h"
#include "xalloc.h"

static const char *srcdir;
static char tmpdir[4096];

/* What the test creates under tmpdir, removed in reverse order. */
static char *made[32];
static size_t nmade;

static char *
tmp_path(const char *rel)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s/%s", tmpdir, rel);
	return (strbuf_detach(&sb, NULL));
}

static void
tmp_mkdir(const char *rel)
{
	char *p = tmp_path(rel);

	if (mkdir(p, 0700) != 0) {
		perror(p);
		exit(99);
	}
	made[nmade++] = p;
}

static char *
tmp_write(const char *rel, const char *text)
{
	char *p = tmp_path(rel);
	FILE *f;

	if ((f = fopen(p, "w")) == NULL || fputs(text, f) < 0 ||
	    fclose(f) != 0) {
		perror(p);
		exit(99);
	}
	made[nmade++] = p;
	return (p);
}

static void
tmp_cleanup(void)
{
	while (nmade > 0) {
		char *p = made[--nmade];

		if (unlink(p) != 0)
			rmdir(p);
		free(p);
	}
	rmdir(tmpdir);
}

static char *
src_path(const char *rel)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s/%s", srcdir, rel);
	return (strbuf_detach(&sb, NULL));
}

static int
same_preset(const struct preset *a, const struct preset *b, const char *what)
{
	int ok = 1;
	size_t i;

#define SAME(cond, field) do {						\
	if (!(cond)) {							\
		tap_diag("%s: %s differs", what, field);		\
		ok = 0;							\
	}								\
} while (0)
#define SAMESTR(x, y) ((x) == NULL ? (y) == NULL :			\
	((y) != NULL && strcmp((x), (y)) == 0))
	SAME(SAMESTR(a->name, b->name), "name");
	SAME(SAMESTR(a->description, b->description), "description");
	SAME(a->gpu_memory_utilization == b->gpu_memory_utilization,
	    "gpu_memory_utilization");
	SAME(a->max_num_seqs == b->max_num_seqs, "max_num_seqs");
	SAME(a->max_model_len == b->max_model_len, "max_model_len");
	SAME(a->enable_prefix_caching == b->enable_prefix_caching,
	    "enable_prefix_caching");
	SAME(SAMESTR(a->quantization, b->quantization), "quantization");
	SAME(SAMESTR(a->dtype, b->dtype), "dtype");
	SAME(a->tensor_parallel_size == b->tensor_parallel_size,
	    "tensor_parallel_size");
	SAME(a->n_extra_args == b->n_extra_args, "n_extra_args");
	for (i = 0; i < a->n_extra_args && i < b->n_extra_args; i++)
		SAME(SAMESTR(a->extra_args[i], b->extra_args[i]),
		    "extra_args[i]");
	SAME(a->concurrency == b->concurrency, "concurrency");
	SAME(a->timeout_s == b->timeout_s, "timeout_s");
	SAME(a->retries == b->retries, "retries");
	SAME(a->backoff_base_s == b->backoff_base_s, "backoff_base_s");
	SAME(a->backoff_max_s == b->backoff_max_s, "backoff_max_s");
	SAME(a->temperature == b->temperature, "temperature");
	SAME(a->top_p == b->top_p, "top_p");
	SAME(a->max_tokens == b->max_tokens, "max_tokens");
	SAME(a->seed == b->seed, "seed");
	SAME(a->samples == b->samples, "samples");
#undef SAME
#undef SAMESTR
	return (ok);
}

struct want {
	const char	*name;
	double		 gpu;
	int		 seqs, conc, cache;
};

static void
test_shipped(void)
{
	static const struct want w[] = {
		{ "performance", 0.90, 128, 16, 1 },
		{ "balanced", 0.85, 64, 8, 1 },
		{ "memory", 0.70, 32, 4, 0 },
	};
	struct preset p, d;
	size_t i;

	for (i = 0; i < 3; i++) {
		struct strbuf err = STRBUF_INIT, rel = STRBUF_INIT;
		char *path;
		int rc;

		strbuf_addf(&rel, "presets/%s.json", w[i].name);
		path = src_path(rel.buf);
		rc = preset_load_file(&p, path, &err);
		is_int(rc, QEVAL_OK, "%s loads", w[i].name);
		if (rc != QEVAL_OK)
			tap_diag("%s", err.buf);
		is_str(p.name, w[i].name, "%s: name", w[i].name);
		ok(p.description != NULL && strlen(p.description) > 10,
		    "%s: has a description", w[i].name);
		is_str(p.source, path, "%s: source is the file", w[i].name);
		is_dbl(p.gpu_memory_utilization, w[i].gpu, 0,
		    "%s: gpu_memory_utilization", w[i].name);
		is_int(p.max_num_seqs, w[i].seqs, "%s: max_num_seqs",
		    w[i].name);
		is_int(p.concurrency, w[i].conc,
		    "%s: concurrency (the seed's batch size)", w[i].name);
		is_int(p.enable_prefix_caching, w[i].cache,
		    "%s: enable_prefix_caching", w[i].name);
		is_int(p.max_model_len, 32768, "%s: max_model_len",
		    w[i].name);
		ok(p.quantization == NULL, "%s: no quantization", w[i].name);
		is_str(p.dtype, "auto", "%s: dtype", w[i].name);
		is_int(p.tensor_parallel_size, 1, "%s: tensor_parallel_size",
		    w[i].name);
		is_int((long long)p.n_extra_args, 0, "%s: no extra args",
		    w[i].name);
		ok(p.temperature == 0 && p.top_p == 1 &&
		    p.max_tokens == 1024 && p.seed == 1234,
		    "%s: generation defaults 0 / 1 / 1024 / 1234", w[i].name);
		is_int(p.samples, 1, "%s: samples", w[i].name);
		ok(p.timeout_s > 0 && p.retries > 0 &&
		    p.backoff_base_s <= p.backoff_max_s,
		    "%s: timeouts and retries set", w[i].name);
		if (strcmp(w[i].name, "balanced") == 0) {
			/* The built-in defaults are balanced's values. */
			preset_defaults(&d);
			free(d.description);
			d.description = xstrdup(p.description);
			ok(same_preset(&p, &d, "defaults"),
			    "preset_defaults() equals presets/balanced.json");
			is_str(d.source, "built-in", "defaults: source");
			preset_release(&d);
		}
		preset_release(&p);
		free(path);
		strbuf_release(&rel);
		strbuf_release(&err);
	}
}

struct bad {
	const char	*file;
	const char	*key;		/* the key path the error names */
	const char	*also;		/* what else it must say */
};

static void
test_bad_fixtures(void)
{
	static const struct bad b[] = {
		{ "unknown-top.json", "key 'sampels'",
		  "unknown key (did you mean 'samples'?)" },
		{ "unknown-nested.json", "key 'client.concurency'",
		  "the keys of 'client' are: concurrency, timeout_s" },
		{ "wrong-type.json", "key 'client.concurrency'",
		  "expected an integer from 1 to 4096, got \"eight\"" },
		{ "out-of-range.json", "key 'server.gpu_memory_utilization'",
		  "expected a number greater than 0 and at most 1, got 1.5" },
		{ "invalid-json.json", "line 5",
		  "invalid JSON near \"\\\"max_model_len\\\"" },
		{ "missing-name.json", "key 'name' is missing", "needs" },
		{ "not-integer.json", "key 'generation.max_tokens'",
		  "expected an integer from 1 to 1048576, got 512.5" },
		{ "bad-bool.json", "key 'server.enable_prefix_caching'",
		  "expected true or false, got \"yes\"" },
		{ "duplicate-key.json", "key 'client.retries'",
		  "appears more than once" },
		{ "awq.json", "key 'server.quantization'",
		  "expected \"awq_marlin\" or null instead of \"awq\"" },
		{ "backoff-order.json", "key 'client.backoff_base_s'",
		  "expected at most client.backoff_max_s (2), got 10" },
		{ "not-object.json", "expected a JSON object",
		  "got an array" },
	};
	struct preset p;
	size_t i;

	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		struct strbuf err = STRBUF_INIT, rel = STRBUF_INIT;
		char *path;
		int rc;

		strbuf_addf(&rel, "tests/fixtures/presets/%s", b[i].file);
		path = src_path(rel.buf);
		rc = preset_load_file(&p, path, &err);
		is_int(rc, QEVAL_EINVAL, "%s: QEVAL_EINVAL", b[i].file);
		ok(strncmp(err.buf, path, strlen(path)) == 0 &&
		    err.buf[strlen(path)] == ':',
		    "%s: the error starts with the file", b[i].file);
		ok(strstr(err.buf, b[i].key) != NULL,
		    "%s: the error names %s", b[i].file, b[i].key);
		ok(strstr(err.buf, b[i].also) != NULL,
		    "%s: the error says %s", b[i].file, b[i].also);
		tap_diag("%s", err.buf);
		/* After an error *p holds the defaults and can be used. */
		is_int(p.concurrency, 8, "%s: defaults after an error",
		    b[i].file);
		preset_release(&p);
		free(path);
		strbuf_release(&rel);
		strbuf_release(&err);
	}
}

static void
test_exact_message(void)
{
	struct strbuf err = STRBUF_INIT, want = STRBUF_INIT;
	struct preset p;
	char *path = src_path("tests/fixtures/presets/wrong-type.json");

	preset_load_file(&p, path, &err);
	strbuf_addf(&want, "%s: key 'client.concurrency': expected an integer "
	    "from 1 to 4096, got \"eight\"", path);
	is_str(err.buf, want.buf, "wrong type: the whole message");
	preset_release(&p);
	free(path);
	strbuf_release(&err);
	strbuf_release(&want);
}

static void
test_missing_file(void)
{
	struct strbuf err = STRBUF_INIT;
	struct preset p;
	char *path = src_path("presets/no-such-preset.json");

	is_int(preset_load_file(&p, path, &err), QEVAL_ENOENT,
	    "missing file: QEVAL_ENOENT");
	ok(strstr(err.buf, path) != NULL, "missing file: names the path");
	preset_release(&p);
	free(path);
	strbuf_release(&err);
}

static const char user_balanced[] =
    "{ \"name\": \"balanced\", \"description\": \"mine\",\n"
    "  \"client\": { \"concurrency\": 3 } }\n";

static void
test_lookup(void)
{
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT, want = STRBUF_INIT;
	char *dir = src_path("presets");
	const char *dirs[] = { "/nonexistent/qeval/presets", dir, NULL };
	char *xdg = tmp_path("xdg"), *home = tmp_path("home");
	char *user, *mine, *expect;
	struct preset p;
	int rc;

	tmp_mkdir("xdg");
	tmp_mkdir("xdg/qeval");
	tmp_mkdir("xdg/qeval/presets");
	tmp_mkdir("home");
	tmp_mkdir("home/.config");
	tmp_mkdir("home/.config/qeval");
	tmp_mkdir("home/.config/qeval/presets");
	setenv("HOME", home, 1);

	/* Nothing in the user's directory: the built-in dirs serve. */
	setenv("XDG_CONFIG_HOME", xdg, 1);
	rc = preset_find(&p, "performance", dirs, &err);
	is_int(rc, QEVAL_OK, "find performance");
	expect = src_path("presets/performance.json");
	is_str(p.source, expect, "performance comes from the source tree");
	free(expect);
	is_int(p.max_num_seqs, 128, "performance: max_num_seqs");
	preset_release(&p);

	/* $XDG_CONFIG_HOME/qeval/presets wins over the built-in dirs. */
	user = tmp_write("xdg/qeval/presets/balanced.json", user_balanced);
	rc = preset_find(&p, "balanced", dirs, &err);
	is_int(rc, QEVAL_OK, "find balanced with a user copy");
	is_str(p.source, user, "the user's balanced wins");
	is_int(p.concurrency, 3, "user balanced: concurrency 3");
	is_int(p.max_num_seqs, 64, "user balanced: other keys default");
	preset_release(&p);

	/* A relative XDG_CONFIG_HOME is ignored (XDG spec): ~/.config. */
	mine = tmp_write("home/.config/qeval/presets/balanced.json",
	    "{ \"name\": \"balanced\", \"samples\": 7 }\n");
	setenv("XDG_CONFIG_HOME", "relative/dir", 1);
	rc = preset_find(&p, "balanced", dirs, &err);
	is_int(rc, QEVAL_OK, "find balanced via HOME");
	is_str(p.source, mine, "relative XDG_CONFIG_HOME: ~/.config used");
	is_int(p.samples, 7, "HOME balanced: samples 7");
	preset_release(&p);
	setenv("XDG_CONFIG_HOME", xdg, 1);

	/* preset_list: sorted, unique, the first directory wins. */
	preset_list(dirs, &out);
	strbuf_addf(&want, "balanced\t%s\nmemory\t%s/memory.json\n"
	    "performance\t%s/performance.json\n", user, dir, dir);
	is_str(out.buf, want.buf, "preset_list: sorted, user copy first");

	/* Not found: names every directory and what is available. */
	strbuf_reset(&err);
	rc = preset_find(&p, "fast", dirs, &err);
	is_int(rc, QEVAL_ENOENT, "unknown preset: QEVAL_ENOENT");
	ok(strstr(err.buf, "'fast'") != NULL, "names the preset");
	ok(strstr(err.buf, xdg) != NULL, "lists the user directory");
	ok(strstr(err.buf, dir) != NULL, "lists the source directory");
	ok(strstr(err.buf, "/nonexistent/qeval/presets") != NULL,
	    "lists a missing directory too");
	ok(strstr(err.buf, "available presets: balanced, memory, "
	    "performance") != NULL, "lists the available presets");
	tap_diag("%s", err.buf);
	is_int(p.concurrency, 8, "not found: *p holds the defaults");
	preset_release(&p);

	/* A file whose name key disagrees with its file name. */
	strbuf_reset(&err);
	tmp_write("xdg/qeval/presets/fast.json", "{ \"name\": \"turbo\" }");
	rc = preset_find(&p, "fast", dirs, &err);
	is_int(rc, QEVAL_EINVAL, "name mismatch: QEVAL_EINVAL");
	ok(strstr(err.buf, "fast.json: key 'name': expected \"fast\"") !=
	    NULL && strstr(err.buf, "got \"turbo\"") != NULL,
	    "name mismatch: names file, key, both names");
	preset_release(&p);

	/* A path is not a name. */
	strbuf_reset(&err);
	rc = preset_find(&p, "../balanced", dirs, &err);
	is_int(rc, QEVAL_EINVAL, "a path as a name: QEVAL_EINVAL");
	ok(strstr(err.buf, "--preset-file") != NULL,
	    "a path as a name: points at --preset-file");
	preset_release(&p);

	free(dir);
	free(xdg);
	free(home);
	strbuf_release(&err);
	strbuf_release(&out);
	strbuf_release(&want);
}

static void
test_round_trip(void)
{
	static const char *const files[] = {
		"presets/performance.json", "presets/balanced.json",
		"presets/memory.json", "tests/fixtures/presets/awq-marlin.json",
	};
	size_t i;

	for (i = 0; i < 4; i++) {
		struct strbuf err = STRBUF_INIT, rel = STRBUF_INIT;
		char *path = src_path(files[i]), *js, *js2, *copy;
		struct preset a, b;
		const char *order[] = { "\"name\"", "\"description\"",
		    "\"source\"", "\"server\"", "\"client\"",
		    "\"generation\"", "\"samples\"" };
		const char *prev;
		cJSON *root;
		size_t k;
		int inorder = 1;

		is_int(preset_load_file(&a, path, &err), QEVAL_OK,
		    "%s loads", files[i]);
		js = preset_to_json(&a);
		root = cJSON_Parse(js);
		ok(root != NULL && cJSON_IsObject(root),
		    "%s: to_json is a JSON object", files[i]);
		ok(root != NULL && cJSON_IsString(cJSON_GetObjectItem(root,
		    "source")) && strcmp(cJSON_GetObjectItem(root,
		    "source")->valuestring, path) == 0,
		    "%s: to_json has the source", files[i]);
		cJSON_Delete(root);
		prev = js;
		for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
			const char *at = strstr(js, order[k]);

			if (at == NULL || at < prev)
				inorder = 0;
			else
				prev = at;
		}
		ok(inorder, "%s: to_json key order name..samples", files[i]);
		ok(strstr(js, "\n  \"server\": {\n    "
		    "\"gpu_memory_utilization\": ") != NULL,
		    "%s: to_json is pretty-printed", files[i]);

		strbuf_addf(&rel, "copy%zu.json", i);
		copy = tmp_write(rel.buf, js);
		is_int(preset_load_file(&b, copy, &err), QEVAL_OK,
		    "%s: its to_json loads as a preset", files[i]);
		if (err.len > 0)
			tap_diag("%s", err.buf);
		ok(same_preset(&a, &b, files[i]),
		    "%s: round trip keeps every value", files[i]);
		is_str(b.source, copy, "%s: source is the new file", files[i]);
		free(b.source);
		b.source = xstrdup(a.source);
		js2 = preset_to_json(&b);
		is_str(js2, js, "%s: to_json of the copy is identical",
		    files[i]);
		free(js);
		free(js2);
		preset_release(&a);
		preset_release(&b);
		free(path);
		strbuf_release(&rel);
		strbuf_release(&err);
	}
}

static void
check_argv(char **got, const char *const *want, const char *what)
{
	size_t i;
	int same = 1;

	for (i = 0; want[i] != NULL && got[i] != NULL; i++)
		if (strcmp(got[i], want[i]) != 0) {
			tap_diag("%s: argv[%zu] is '%s', want '%s'", what, i,
			    got[i], want[i]);
			same = 0;
		}
	if (want[i] != NULL || got[i] != NULL) {
		tap_diag("%s: argv has %s elements", what,
		    want[i] != NULL ? "too few" : "too many");
		same = 0;
	}
	ok(same, "%s", what);
}

static void
test_argv(void)
{
	static const char *const perf[] = {
		"vllm", "serve", "Qwen/Qwen2.5-7B-Instruct", "--port", "8000",
		"--gpu-memory-utilization", "0.9", "--max-num-seqs", "128",
		"--max-model-len", "32768", "--enable-prefix-caching", NULL
	};
	static const char *const mem[] = {
		"vllm", "serve", "m", "--port", "1",
		"--gpu-memory-utilization", "0.7", "--max-num-seqs", "32",
		"--max-model-len", "32768", "--no-enable-prefix-caching", NULL
	};
	static const char *const awq[] = {
		"vllm", "serve", "Qwen/Qwen2.5-14B-Instruct-AWQ", "--port",
		"8001", "--gpu-memory-utilization", "0.8", "--max-num-seqs",
		"64", "--max-model-len", "24576", "--enable-prefix-caching",
		"--quantization", "awq_marlin", "--dtype", "float16",
		"--tensor-parallel-size", "2", "--enforce-eager",
		"--max-num-batched-tokens", "8192", NULL
	};
	struct strbuf err = STRBUF_INIT;
	struct preset p;
	char *path;
	char **v;

	path = src_path("presets/performance.json");
	preset_load_file(&p, path, &err);
	v = preset_serve_argv(&p, "Qwen/Qwen2.5-7B-Instruct", 8000);
	check_argv(v, perf, "serve argv: performance");
	preset_argv_free(v);
	preset_release(&p);
	free(path);

	path = src_path("presets/memory.json");
	preset_load_file(&p, path, &err);
	v = preset_serve_argv(&p, "m", 1);
	check_argv(v, mem, "serve argv: memory (prefix caching off)");
	preset_argv_free(v);
	preset_release(&p);
	free(path);

	path = src_path("tests/fixtures/presets/awq-marlin.json");
	is_int(preset_load_file(&p, path, &err), QEVAL_OK,
	    "awq-marlin fixture loads");
	is_str(p.quantization, "awq_marlin", "awq-marlin: quantization");
	is_int(p.concurrency, 6, "awq-marlin: concurrency");
	v = preset_serve_argv(&p, "Qwen/Qwen2.5-14B-Instruct-AWQ", 8001);
	check_argv(v, awq, "serve argv: awq_marlin, dtype, tp, extra args");
	preset_argv_free(v);
	preset_release(&p);
	free(path);

	/* max_model_len 0 (the model's own) leaves the flag out. */
	preset_defaults(&p);
	p.max_model_len = 0;
	v = preset_serve_argv(&p, "m", 2);
	ok(v[7] != NULL && strcmp(v[8], "64") == 0 &&
	    strcmp(v[9], "--enable-prefix-caching") == 0 && v[10] == NULL,
	    "max_model_len 0: no --max-model-len");
	preset_argv_free(v);
	preset_argv_free(NULL);
	preset_release(&p);
	preset_release(&p);
	strbuf_release(&err);
}

/* --serve --engine llama.cpp: each shipped preset's llama-server flags
 * (docs/PRESETS.md's mapping table). */
static void
test_llamacpp_argv(void)
{
	static const char *const perf[] = {
		"llama-server", "-m", "/m/tiny.gguf", "--host", "127.0.0.1",
		"--port", "8091", "--metrics", "--no-webui", "-np", "128",
		"-c", "4194304", "-t", "8", "--cache-reuse", "256", NULL
	};
	static const char *const bal[] = {
		"llama-server", "-m", "m.gguf", "--host", "127.0.0.1",
		"--port", "1", "--metrics", "--no-webui", "-np", "64",
		"-c", "2097152", "-t", "2", "--cache-reuse", "256", NULL
	};
	static const char *const mem[] = {
		"llama-server", "-m", "m.gguf", "--host", "127.0.0.1",
		"--port", "2", "--metrics", "--no-webui", "-np", "32",
		"-c", "1048576", "-t", "2", "--no-cache-prompt",
		"-ctk", "q8_0", "-ctv", "q8_0", "-fa", "on", NULL
	};
	static const char *const own[] = {
		"llama-server", "-m", "m.gguf", "--host", "127.0.0.1",
		"--port", "3", "--metrics", "--no-webui", "-np", "4",
		"--cache-reuse", "256", NULL
	};
	struct strbuf err = STRBUF_INIT;
	struct preset p;
	char *path;
	char **v;

	path = src_path("presets/performance.json");
	is_int(preset_load_file(&p, path, &err), QEVAL_OK,
	    "performance loads");
	v = preset_llamacpp_argv(&p, "/m/tiny.gguf", 8091, 8, 1);
	check_argv(v, perf, "llama.cpp argv: performance (128 slots of "
	    "32768, cache reuse)");
	preset_argv_free(v);
	preset_release(&p);
	free(path);

	path = src_path("presets/balanced.json");
	is_int(preset_load_file(&p, path, &err), QEVAL_OK, "balanced loads");
	v = preset_llamacpp_argv(&p, "m.gguf", 1, 2, 1);
	check_argv(v, bal, "llama.cpp argv: balanced");
	preset_argv_free(v);
	preset_release(&p);
	free(path);

	path = src_path("presets/memory.json");
	is_int(preset_load_file(&p, path, &err), QEVAL_OK, "memory loads");
	v = preset_llamacpp_argv(&p, "m.gguf", 2, 2, 1);
	check_argv(v, mem, "llama.cpp argv: memory (q8_0 KV cache, no "
	    "prompt cache)");
	preset_argv_free(v);
	/* A head size q8_0's 32-value blocks do not divide: f16 KV. */
	v = preset_llamacpp_argv(&p, "m.gguf", 2, 2, 0);
	ok(v[15] != NULL && strcmp(v[15], "--no-cache-prompt") == 0 &&
	    v[16] == NULL, "llama.cpp argv: memory without q8_0 when the "
	    "model's heads do not allow it");
	preset_argv_free(v);
	preset_release(&p);
	free(path);

	/* The model's own context (no -c), threads left to llama.cpp. */
	preset_defaults(&p);
	p.max_model_len = 0;
	p.max_num_seqs = 4;
	p.n_extra_args = 0;
	v = preset_llamacpp_argv(&p, "m.gguf", 3, 0, 1);
	check_argv(v, own, "llama.cpp argv: max_model_len 0, threads 0");
	preset_argv_free(v);
	preset_release(&p);
	strbuf_release(&err);
}

static void
test_quantization_none(void)
{
	struct strbuf err = STRBUF_INIT;
	struct preset p;
	char *path;

	path = tmp_write("none.json", "{ \"name\": \"none\", \"server\": "
	    "{ \"quantization\": \"none\", \"max_model_len\": 0 } }");
	is_int(preset_load_file(&p, path, &err), QEVAL_OK,
	    "quantization \"none\" loads");
	ok(p.quantization == NULL, "quantization \"none\" means none");
	is_int(p.max_model_len, 0, "max_model_len 0 is allowed");
	preset_release(&p);

	strbuf_reset(&err);
	path = tmp_write("empty.json", "");
	is_int(preset_load_file(&p, path, &err), QEVAL_EINVAL,
	    "empty file: QEVAL_EINVAL");
	ok(strstr(err.buf, "line 1") != NULL &&
	    strstr(err.buf, "end of file") != NULL,
	    "empty file: line 1, end of file");
	preset_release(&p);

	strbuf_reset(&err);
	path = tmp_write("trailing.json", "{ \"name\": \"trailing\" }\n}\n");
	is_int(preset_load_file(&p, path, &err), QEVAL_EINVAL,
	    "trailing garbage: QEVAL_EINVAL");
	ok(strstr(err.buf, "line 2") != NULL, "trailing garbage: line 2");
	preset_release(&p);

	strbuf_reset(&err);
	path = tmp_write("bigint.json", "{ \"name\": \"bigint\", "
	    "\"generation\": { \"seed\": 1e400 } }");
	is_int(preset_load_file(&p, path, &err), QEVAL_EINVAL,
	    "seed 1e400: QEVAL_EINVAL");
	ok(strstr(err.buf, "key 'generation.seed'") != NULL,
	    "seed 1e400: names the key");
	preset_release(&p);
	strbuf_release(&err);
}

int
main(void)
{
	char cwd[2048];

	srcdir = getenv("QEVAL_SRCDIR");
	if (srcdir == NULL || srcdir[0] == '\0')
		srcdir = ".";
	/* Absolute: a relative XDG_CONFIG_HOME would be ignored. */
	if (getcwd(cwd, sizeof(cwd)) == NULL ||
	    (size_t)snprintf(tmpdir, sizeof(tmpdir), "%s/t-preset.XXXXXX",
	    cwd) >= sizeof(tmpdir))
		return (tap_bail("cannot name a temporary directory"));
	if (mkdtemp(tmpdir) == NULL)
		return (tap_bail("mkdtemp failed"));
	test_shipped();
	test_bad_fixtures();
	test_exact_message();
	test_missing_file();
	test_lookup();
	test_round_trip();
	test_argv();
	test_llamacpp_argv();
	test_quantization_none();
	tmp_cleanup();
	return (tap_done());
}
