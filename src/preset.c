/*
 * preset: named run configurations.  The file format, the lookup order
 * and the rules are in preset.h and docs/PRESETS.md.
 *
 * The parser is table driven: every key a preset may hold is one row of
 * a table (its section, its type, its range, where it goes in struct
 * preset), so the loader, the error messages, the list of valid keys
 * and preset_to_json() cannot drift apart.
 *
 * preset_load_file() and preset_find() initialise *p themselves (the
 * built-in defaults, then the file): *p need not be initialised before,
 * and whatever they return, *p is a valid preset to preset_release().
 */
#include "config.h"
#include "preset.h"

#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "qeval/plugin.h"
#include "xalloc.h"

/* A preset file is a few hundred bytes; anything huge is a mistake. */
#define MAX_FILE	(1024 * 1024)
#define MAX_NAME	64

enum kind {
	K_STR,		/* a string (check() may refuse it) */
	K_OPTSTR,	/* a string or null (check() may refuse it) */
	K_DBL,		/* a number in [lo, hi], or (lo, hi] if lo_open */
	K_INT,		/* an integer in [lo, hi] (int) */
	K_LONG,		/* an integer in [lo, hi] (long) */
	K_BOOL,
	K_ARGV,		/* an array of non-empty strings */
	K_SECTION,	/* an object of the keys of section sub */
	K_IGNORED	/* a string written by preset_to_json(), not read */
};

enum section {
	S_TOP,
	S_SERVER,
	S_CLIENT,
	S_GENERATION,
	S_COUNT
};

struct key {
	enum section	 sect;
	const char	*name;
	enum kind	 kind;
	size_t		 off;
	double		 lo, hi;
	int		 lo_open;
	enum section	 sub;
	/* For strings: NULL if s is acceptable, else what was expected. */
	const char	*(*check)(const char *s);
};

static const char *check_name(const char *);
static const char *check_dtype(const char *);
static const char *check_quant(const char *);
static const char *check_description(const char *);

#define OFF(f)	offsetof(struct preset, f)

/* The order of this table is the order of preset_to_json(). */
static const struct key keys[] = {
	{ S_TOP, "name", K_STR, OFF(name), 0, 0, 0, 0, check_name },
	{ S_TOP, "description", K_STR, OFF(description), 0, 0, 0, 0,
	  check_description },
	{ S_TOP, "source", K_IGNORED, 0, 0, 0, 0, 0, NULL },
	{ S_TOP, "server", K_SECTION, 0, 0, 0, 0, S_SERVER, NULL },
	{ S_TOP, "client", K_SECTION, 0, 0, 0, 0, S_CLIENT, NULL },
	{ S_TOP, "generation", K_SECTION, 0, 0, 0, 0, S_GENERATION, NULL },
	{ S_TOP, "samples", K_INT, OFF(samples), 1, 1000, 0, 0, NULL },

	{ S_SERVER, "gpu_memory_utilization", K_DBL,
	  OFF(gpu_memory_utilization), 0, 1, 1, 0, NULL },
	{ S_SERVER, "max_num_seqs", K_INT, OFF(max_num_seqs), 1, 65536, 0, 0,
	  NULL },
	{ S_SERVER, "max_model_len", K_INT, OFF(max_model_len), 0, 16777216,
	  0, 0, NULL },
	{ S_SERVER, "enable_prefix_caching", K_BOOL,
	  OFF(enable_prefix_caching), 0, 0, 0, 0, NULL },
	{ S_SERVER, "quantization", K_OPTSTR, OFF(quantization), 0, 0, 0, 0,
	  check_quant },
	{ S_SERVER, "dtype", K_STR, OFF(dtype), 0, 0, 0, 0, check_dtype },
	{ S_SERVER, "tensor_parallel_size", K_INT, OFF(tensor_parallel_size),
	  1, 1024, 0, 0, NULL },
	{ S_SERVER, "extra_args", K_ARGV, OFF(extra_args), 0, 0, 0, 0, NULL },

	{ S_CLIENT, "concurrency", K_INT, OFF(concurrency), 1, 4096, 0, 0,
	  NULL },
	{ S_CLIENT, "timeout_s", K_DBL, OFF(timeout_s), 0, 86400, 1, 0, NULL },
	{ S_CLIENT, "retries", K_INT, OFF(retries), 0, 100, 0, 0, NULL },
	{ S_CLIENT, "backoff_base_s", K_DBL, OFF(backoff_base_s), 0, 3600, 0,
	  0, NULL },
	{ S_CLIENT, "backoff_max_s", K_DBL, OFF(backoff_max_s), 0, 3600, 0, 0,
	  NULL },
	{ S_CLIENT, "connect_timeout_s", K_DBL, OFF(connect_timeout_s), 0,
	  3600, 1, 0, NULL },
	{ S_CLIENT, "first_byte_timeout_s", K_DBL, OFF(first_byte_timeout_s),
	  0, 86400, 0, 0, NULL },
	{ S_CLIENT, "stall_timeout_s", K_DBL, OFF(stall_timeout_s), 0, 86400,
	  0, 0, NULL },

	{ S_GENERATION, "temperature", K_DBL, OFF(temperature), 0, 10, 0, 0,
	  NULL },
	{ S_GENERATION, "top_p", K_DBL, OFF(top_p), 0, 1, 1, 0, NULL },
	{ S_GENERATION, "max_tokens", K_INT, OFF(max_tokens), 1, 1048576, 0,
	  0, NULL },
	{ S_GENERATION, "seed", K_LONG, OFF(seed), 0, 4294967295.0, 0, 0,
	  NULL },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

static const char *const sect_names[S_COUNT] = {
	"", "server", "client", "generation"
};

/* vLLM's --dtype choices. */
static const char *const dtypes[] = {
	"auto", "half", "float16", "bfloat16", "float", "float32", NULL
};

static const char *
check_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > MAX_NAME || s[0] == '.' || s[0] == '-')
		goto bad;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    c == '.'))
			goto bad;
	}
	return (NULL);
bad:
	return ("a name of 1 to 64 letters, digits, '_', '-' or '.', "
	    "not starting with '.' or '-'");
}

static const char *
check_description(const char *s)
{
	if (strlen(s) > 1000)
		return ("a string of at most 1000 characters");
	return (NULL);
}

static const char *
check_dtype(const char *s)
{
	size_t i;

	for (i = 0; dtypes[i] != NULL; i++)
		if (strcmp(s, dtypes[i]) == 0)
			return (NULL);
	return ("one of \"auto\", \"half\", \"float16\", \"bfloat16\", "
	    "\"float\", \"float32\"");
}

static const char *
check_quant(const char *s)
{
	size_t i, n = strlen(s);

	/*
	 * The seed's finding: an explicit "awq" makes vLLM use its slow AWQ
	 * kernel (13.68 against 126.70 tokens/s with awq_marlin).  null lets
	 * vLLM pick the kernel itself (awq_marlin where the GPU has it).
	 */
	if (strcmp(s, "awq") == 0)
		return ("\"awq_marlin\" or null instead of \"awq\", which "
		    "forces vLLM's slow AWQ kernel (13.68 against 126.70 "
		    "tokens/s in the seed's runs; null lets vLLM choose)");
	if (n == 0 || n > 64)
		goto bad;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-'))
			goto bad;
	}
	return (NULL);
bad:
	return ("null or a vLLM quantization method such as \"awq_marlin\" "
	    "(lower-case letters, digits, '_' or '-')");
}

/* The shortest %g form that reads back as the same double. */
static void
add_double(struct strbuf *sb, double v)
{
	char buf[64];
	int prec;

	/* Whole numbers as such: %g would write 10 as 1e+01. */
	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(buf, sizeof(buf), "%.0f", v);
		strbuf_adds(sb, buf);
		return;
	}
	for (prec = 1; prec <= DBL_DECIMAL_DIG; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	strbuf_adds(sb, buf);
}

static void
add_key_path(struct strbuf *sb, enum section s, const char *name)
{
	if (s != S_TOP)
		strbuf_addf(sb, "%s.", sect_names[s]);
	strbuf_adds(sb, name);
}

/* What was found, for "got ..." in an error. */
static void
add_found(struct strbuf *sb, const cJSON *v)
{
	if (cJSON_IsString(v)) {
		const char *s = v->valuestring;
		size_t n = strlen(s);

		if (n > 40) {
			/* Cut on a UTF-8 character boundary. */
			n = 37;
			while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
				n--;
			strbuf_add_json_str(sb, s, n);
			strbuf_setlen(sb, sb->len - 1);
			strbuf_adds(sb, "...\"");
		} else
			strbuf_add_json_str(sb, s, n);
	} else if (cJSON_IsNumber(v)) {
		if (isfinite(v->valuedouble))
			add_double(sb, v->valuedouble);
		else
			strbuf_adds(sb, "a number too large to represent");
	} else if (cJSON_IsTrue(v))
		strbuf_adds(sb, "true");
	else if (cJSON_IsFalse(v))
		strbuf_adds(sb, "false");
	else if (cJSON_IsNull(v))
		strbuf_adds(sb, "null");
	else if (cJSON_IsArray(v))
		strbuf_adds(sb, "an array");
	else if (cJSON_IsObject(v))
		strbuf_adds(sb, "an object");
	else
		strbuf_adds(sb, "an unknown JSON value");
}

static void
add_expected(struct strbuf *sb, const struct key *k)
{
	switch (k->kind) {
	case K_STR:
		strbuf_adds(sb, "a string");
		break;
	case K_OPTSTR:
		strbuf_adds(sb, "a string or null");
		break;
	case K_INT:
	case K_LONG:
		strbuf_adds(sb, "an integer from ");
		add_double(sb, k->lo);
		strbuf_adds(sb, " to ");
		add_double(sb, k->hi);
		break;
	case K_DBL:
		if (k->lo_open) {
			strbuf_adds(sb, "a number greater than ");
			add_double(sb, k->lo);
			strbuf_adds(sb, " and at most ");
		} else {
			strbuf_adds(sb, "a number from ");
			add_double(sb, k->lo);
			strbuf_adds(sb, " to ");
		}
		add_double(sb, k->hi);
		break;
	case K_BOOL:
		strbuf_adds(sb, "true or false");
		break;
	case K_ARGV:
		strbuf_adds(sb, "an array of non-empty strings");
		break;
	case K_SECTION:
		strbuf_adds(sb, "an object");
		break;
	case K_IGNORED:
		strbuf_adds(sb, "a string");
		break;
	}
}

static int
bad_value(struct strbuf *err, const char *path, const struct key *k,
    const char *expected, const cJSON *v)
{
	strbuf_addf(err, "%s: key '", path);
	add_key_path(err, k->sect, k->name);
	strbuf_adds(err, "': expected ");
	if (expected != NULL)
		strbuf_adds(err, expected);
	else
		add_expected(err, k);
	strbuf_adds(err, ", got ");
	add_found(err, v);
	return (QEVAL_EINVAL);
}

/* Levenshtein distance, for "did you mean".  Keys are short. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[64], prev, tmp;

	if (la >= 64 || lb >= 64)
		return (SIZE_MAX);
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best;

			tmp = row[j];
			best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return (row[lb]);
}

static int
unknown_key(struct strbuf *err, const char *path, enum section s,
    const char *name)
{
	const struct key *best = NULL;
	size_t i, d, bestd = SIZE_MAX;
	const char *sep = "";

	for (i = 0; i < NKEYS; i++) {
		if (keys[i].sect != s)
			continue;
		d = distance(name, keys[i].name);
		if (d < bestd) {
			bestd = d;
			best = &keys[i];
		}
	}
	strbuf_addf(err, "%s: key '", path);
	add_key_path(err, s, name);
	strbuf_adds(err, "': unknown key");
	if (best != NULL && bestd <= 2)
		strbuf_addf(err, " (did you mean '%s'?)", best->name);
	if (s == S_TOP)
		strbuf_adds(err, "; the top-level keys are: ");
	else
		strbuf_addf(err, "; the keys of '%s' are: ", sect_names[s]);
	for (i = 0; i < NKEYS; i++) {
		if (keys[i].sect != s)
			continue;
		strbuf_addf(err, "%s%s", sep, keys[i].name);
		sep = ", ";
	}
	return (QEVAL_EINVAL);
}

static void
free_argv(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int apply_object(struct preset *, const cJSON *, enum section,
    const char *path, struct strbuf *err);

static int
apply_key(struct preset *p, const struct key *k, const cJSON *v,
    const char *path, struct strbuf *err)
{
	char *base = (char *)p;
	const char *why;
	double d;

	switch (k->kind) {
	case K_IGNORED:
		if (!cJSON_IsString(v))
			return (bad_value(err, path, k, NULL, v));
		return (QEVAL_OK);
	case K_SECTION:
		if (!cJSON_IsObject(v))
			return (bad_value(err, path, k, NULL, v));
		return (apply_object(p, v, k->sub, path, err));
	case K_STR:
	case K_OPTSTR: {
		char **dst = (char **)(void *)(base + k->off);

		if (k->kind == K_OPTSTR && cJSON_IsNull(v)) {
			free(*dst);
			*dst = NULL;
			return (QEVAL_OK);
		}
		if (!cJSON_IsString(v))
			return (bad_value(err, path, k, NULL, v));
		if (k->check != NULL &&
		    (why = k->check(v->valuestring)) != NULL)
			return (bad_value(err, path, k, why, v));
		free(*dst);
		/* "none", as the seed's configs write it, is no method. */
		if (k->kind == K_OPTSTR && strcmp(v->valuestring, "none") == 0)
			*dst = NULL;
		else
			*dst = xstrdup(v->valuestring);
		return (QEVAL_OK);
	}
	case K_BOOL:
		if (!cJSON_IsBool(v))
			return (bad_value(err, path, k, NULL, v));
		*(int *)(void *)(base + k->off) = cJSON_IsTrue(v) ? 1 : 0;
		return (QEVAL_OK);
	case K_DBL:
		if (!cJSON_IsNumber(v))
			return (bad_value(err, path, k, NULL, v));
		d = v->valuedouble;
		if (!isfinite(d) || d > k->hi || d < k->lo ||
		    (k->lo_open && d == k->lo))
			return (bad_value(err, path, k, NULL, v));
		*(double *)(void *)(base + k->off) = d;
		return (QEVAL_OK);
	case K_INT:
	case K_LONG:
		if (!cJSON_IsNumber(v))
			return (bad_value(err, path, k, NULL, v));
		d = v->valuedouble;
		if (!isfinite(d) || d != floor(d) || d > k->hi || d < k->lo)
			return (bad_value(err, path, k, NULL, v));
		if (k->kind == K_INT)
			*(int *)(void *)(base + k->off) = (int)d;
		else
			*(long *)(void *)(base + k->off) = (long)d;
		return (QEVAL_OK);
	case K_ARGV: {
		const cJSON *e;
		char **argv;
		size_t n = 0, i = 0;

		if (!cJSON_IsArray(v))
			return (bad_value(err, path, k, NULL, v));
		cJSON_ArrayForEach(e, v) {
			if (!cJSON_IsString(e) || e->valuestring[0] == '\0') {
				bad_value(err, path, k, NULL, e);
				strbuf_addf(err, " (element %zu)", n);
				return (QEVAL_EINVAL);
			}
			n++;
		}
		argv = n > 0 ? xcalloc(n, sizeof(*argv)) : NULL;
		cJSON_ArrayForEach(e, v)
			argv[i++] = xstrdup(e->valuestring);
		free_argv(p->extra_args, p->n_extra_args);
		p->extra_args = argv;
		p->n_extra_args = n;
		return (QEVAL_OK);
	}
	}
	return (QEVAL_EINTERNAL);
}

static int
apply_object(struct preset *p, const cJSON *obj, enum section s,
    const char *path, struct strbuf *err)
{
	const cJSON *v, *w;
	size_t i;
	int rc;

	cJSON_ArrayForEach(v, obj) {
		const struct key *k = NULL;

		for (i = 0; i < NKEYS; i++)
			if (keys[i].sect == s &&
			    strcmp(keys[i].name, v->string) == 0) {
				k = &keys[i];
				break;
			}
		if (k == NULL)
			return (unknown_key(err, path, s, v->string));
		/* cJSON keeps duplicates; a second value is a mistake. */
		for (w = obj->child; w != v; w = w->next)
			if (strcmp(w->string, v->string) == 0) {
				strbuf_addf(err, "%s: key '", path);
				add_key_path(err, s, v->string);
				strbuf_adds(err, "': appears more than once");
				return (QEVAL_EINVAL);
			}
		if ((rc = apply_key(p, k, v, path, err)) != QEVAL_OK)
			return (rc);
	}
	return (QEVAL_OK);
}

void
preset_defaults(struct preset *p)
{
	memset(p, 0, sizeof(*p));
	p->name = xstrdup("balanced");
	p->description = xstrdup("Built-in defaults (the balanced preset's "
	    "values)");
	p->source = xstrdup("built-in");
	p->gpu_memory_utilization = 0.85;
	p->max_num_seqs = 64;
	p->max_model_len = 32768;
	p->enable_prefix_caching = 1;
	p->quantization = NULL;
	p->dtype = xstrdup("auto");
	p->tensor_parallel_size = 1;
	p->extra_args = NULL;
	p->n_extra_args = 0;
	p->concurrency = 8;
	p->timeout_s = 600;
	p->retries = 5;
	p->backoff_base_s = 0.5;
	p->backoff_max_s = 30;
	p->connect_timeout_s = 10;
	p->first_byte_timeout_s = 0;
	p->stall_timeout_s = 300;
	p->temperature = 0;
	p->top_p = 1;
	p->max_tokens = 1024;
	p->seed = 1234;
	p->samples = 1;
}

void
preset_release(struct preset *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->description);
	free(p->source);
	free(p->quantization);
	free(p->dtype);
	free_argv(p->extra_args, p->n_extra_args);
	memset(p, 0, sizeof(*p));
}

/*
 * Reads path whole.  QEVAL_ENOENT if it does not exist, QEVAL_EIO if it
 * cannot be read, QEVAL_EINVAL if it is not a small regular file.
 */
static int
slurp(const char *path, char **bufp, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	char chunk[4096];
	size_t n;
	FILE *f;
	int e;

	*bufp = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		e = errno;
		if (e == ENOENT || e == ENOTDIR) {
			strbuf_addf(err, "%s: no such preset file", path);
			return (QEVAL_ENOENT);
		}
		strbuf_addf(err, "%s: cannot open: %s", path, strerror(e));
		return (QEVAL_EIO);
	}
	if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
		fclose(f);
		strbuf_addf(err, "%s: not a regular file; a preset is a "
		    "JSON file", path);
		return (QEVAL_EINVAL);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		strbuf_add(&sb, chunk, n);
		if (sb.len > MAX_FILE)
			break;
	}
	e = ferror(f) ? errno : 0;
	fclose(f);
	if (e != 0) {
		strbuf_release(&sb);
		strbuf_addf(err, "%s: read error: %s", path, strerror(e));
		return (QEVAL_EIO);
	}
	if (sb.len > MAX_FILE) {
		strbuf_release(&sb);
		strbuf_addf(err, "%s: larger than %d bytes; this is not a "
		    "preset file", path, MAX_FILE);
		return (QEVAL_EINVAL);
	}
	if (memchr(sb.buf, '\0', sb.len) != NULL) {
		strbuf_release(&sb);
		strbuf_addf(err, "%s: contains a NUL byte; a preset is a "
		    "JSON text file", path);
		return (QEVAL_EINVAL);
	}
	*bufp = strbuf_detach(&sb, NULL);
	return (QEVAL_OK);
}

static int
json_error(const char *path, const char *buf, const char *at,
    struct strbuf *err)
{
	const char *c, *bol = buf;
	unsigned line = 1;
	size_t n;

	if (at == NULL || at < buf || at > buf + strlen(buf))
		at = buf;
	for (c = buf; c < at; c++)
		if (*c == '\n') {
			line++;
			bol = c + 1;
		}
	strbuf_addf(err, "%s: line %u, column %zu: invalid JSON", path, line,
	    (size_t)(at - bol) + 1);
	/* Show a little of what is there. */
	for (n = 0; at[n] != '\0' && at[n] != '\n' && n < 20; n++)
		;
	if (n > 0) {
		strbuf_adds(err, " near ");
		strbuf_add_json_str(err, at, n);
	} else if (*at == '\0')
		strbuf_adds(err, " (unexpected end of file)");
	return (QEVAL_EINVAL);
}

int
preset_load_file(struct preset *p, const char *path, struct strbuf *err)
{
	char *buf;
	int rc;

	if ((rc = slurp(path, &buf, err)) != QEVAL_OK) {
		preset_defaults(p);
		return (rc);
	}
	rc = preset_load_text(p, buf, path, err);
	free(buf);
	return (rc);
}

int
preset_load_text(struct preset *p, const char *buf, const char *path,
    struct strbuf *err)
{
	const char *end = NULL;
	cJSON *root;
	int rc;

	preset_defaults(p);
	root = cJSON_ParseWithOpts(buf, &end, 1);
	if (root == NULL)
		return (json_error(path, buf, end, err));
	if (!cJSON_IsObject(root)) {
		strbuf_addf(err, "%s: expected a JSON object "
		    "({ \"name\": ... }) at the top level, got ", path);
		add_found(err, root);
		cJSON_Delete(root);
		return (QEVAL_EINVAL);
	}
	rc = apply_object(p, root, S_TOP, path, err);
	if (rc == QEVAL_OK &&
	    cJSON_GetObjectItemCaseSensitive(root, "name") == NULL) {
		strbuf_addf(err, "%s: key 'name' is missing: every preset "
		    "needs a \"name\" (the file's name without .json)", path);
		rc = QEVAL_EINVAL;
	}
	cJSON_Delete(root);
	if (rc == QEVAL_OK && p->backoff_base_s > p->backoff_max_s) {
		strbuf_addf(err, "%s: key 'client.backoff_base_s': expected at "
		    "most client.backoff_max_s (", path);
		add_double(err, p->backoff_max_s);
		strbuf_adds(err, "), got ");
		add_double(err, p->backoff_base_s);
		rc = QEVAL_EINVAL;
	}
	if (rc != QEVAL_OK) {
		preset_release(p);
		preset_defaults(p);
		return (rc);
	}
	free(p->source);
	p->source = xstrdup(path);
	return (QEVAL_OK);
}

/*
 * The user's directory: $XDG_CONFIG_HOME/qeval/presets, or
 * ~/.config/qeval/presets.  The XDG spec says to ignore a relative
 * XDG_CONFIG_HOME.  0 if there is none (no HOME either).
 */
static int
user_dir(struct strbuf *sb)
{
	const char *x = getenv("XDG_CONFIG_HOME");

	if (x != NULL && x[0] == '/') {
		strbuf_addf(sb, "%s/qeval/presets", x);
		return (1);
	}
	x = getenv("HOME");
	if (x != NULL && x[0] != '\0') {
		strbuf_addf(sb, "%s/.config/qeval/presets", x);
		return (1);
	}
	return (0);
}

/* The lookup directories, in order: a NULL-terminated malloc'd array. */
static char **
lookup_dirs(const char *const *dirs)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0, i = 0;
	char **v;

	while (dirs != NULL && dirs[n] != NULL)
		n++;
	v = xcalloc(n + 2, sizeof(*v));
	if (user_dir(&sb))
		v[i++] = strbuf_detach(&sb, NULL);
	strbuf_release(&sb);
	for (n = 0; dirs != NULL && dirs[n] != NULL; n++)
		if (dirs[n][0] != '\0')
			v[i++] = xstrdup(dirs[n]);
	return (v);
}

struct entry {
	char	*name;
	char	*path;
};

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return (strcmp(x->name, y->name));
}

/* Every preset in dirs, the first of each name, sorted by name. */
static struct entry *
collect(char **dv, size_t *np)
{
	struct entry *v = NULL;
	size_t n = 0, alloc = 0, i, j;

	for (i = 0; dv[i] != NULL; i++) {
		struct dirent *de;
		DIR *d;

		if ((d = opendir(dv[i])) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			size_t len = strlen(de->d_name);
			char *name;
			int seen = 0;

			if (len <= 5 ||
			    strcmp(de->d_name + len - 5, ".json") != 0)
				continue;
			name = xstrndup(de->d_name, len - 5);
			if (check_name(name) != NULL) {
				free(name);
				continue;
			}
			for (j = 0; j < n && !seen; j++)
				seen = strcmp(v[j].name, name) == 0;
			if (seen) {
				free(name);
				continue;
			}
			v = xgrow(v, n + 1, sizeof(*v), &alloc);
			v[n].name = name;
			v[n].path = xmalloc(strlen(dv[i]) + len + 2);
			snprintf(v[n].path, strlen(dv[i]) + len + 2, "%s/%s",
			    dv[i], de->d_name);
			n++;
		}
		closedir(d);
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), entry_cmp);
	*np = n;
	return (v);
}

static void
free_entries(struct entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].path);
	}
	free(v);
}

static void
free_dirs(char **dv)
{
	size_t i;

	for (i = 0; dv[i] != NULL; i++)
		free(dv[i]);
	free(dv);
}

int
preset_find(struct preset *p, const char *name, const char *const *dirs,
    struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	struct entry *ev;
	struct stat st;
	char **dv;
	size_t i, n;
	int rc;

	if (name == NULL || check_name(name) != NULL) {
		preset_defaults(p);
		strbuf_addf(err, "'%s' is not a preset name (expected %s); "
		    "to use a preset file give its path with --preset-file",
		    name != NULL ? name : "", check_name(""));
		return (QEVAL_EINVAL);
	}
	dv = lookup_dirs(dirs);
	for (i = 0; dv[i] != NULL; i++) {
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s.json", dv[i], name);
		if (stat(path.buf, &st) != 0)
			continue;
		rc = preset_load_file(p, path.buf, err);
		if (rc == QEVAL_OK && strcmp(p->name, name) != 0) {
			strbuf_addf(err, "%s: key 'name': expected \"%s\" (the "
			    "file's name without .json), got ", path.buf,
			    name);
			strbuf_add_json_str(err, p->name, strlen(p->name));
			preset_release(p);
			preset_defaults(p);
			rc = QEVAL_EINVAL;
		}
		strbuf_release(&path);
		free_dirs(dv);
		return (rc);
	}
	strbuf_release(&path);
	preset_defaults(p);
	strbuf_addf(err, "no preset named '%s'; looked for %s.json in ", name,
	    name);
	if (dv[0] == NULL)
		strbuf_adds(err, "no directory (set XDG_CONFIG_HOME or HOME)");
	for (i = 0; dv[i] != NULL; i++)
		strbuf_addf(err, "%s%s", i > 0 ? ", " : "", dv[i]);
	ev = collect(dv, &n);
	if (n == 0)
		strbuf_adds(err, "; no presets were found there");
	else {
		strbuf_adds(err, "; available presets: ");
		for (i = 0; i < n; i++)
			strbuf_addf(err, "%s%s", i > 0 ? ", " : "",
			    ev[i].name);
	}
	free_entries(ev, n);
	free_dirs(dv);
	return (QEVAL_ENOENT);
}

void
preset_list(const char *const *dirs, struct strbuf *out)
{
	char **dv = lookup_dirs(dirs);
	struct entry *ev;
	size_t i, n;

	ev = collect(dv, &n);
	for (i = 0; i < n; i++)
		strbuf_addf(out, "%s\t%s\n", ev[i].name, ev[i].path);
	free_entries(ev, n);
	free_dirs(dv);
}

static void
json_value(struct strbuf *sb, const struct preset *p, const struct key *k)
{
	const char *base = (const char *)p;
	const char *s;
	size_t i;

	switch (k->kind) {
	case K_STR:
	case K_OPTSTR:
		s = *(char *const *)(const void *)(base + k->off);
		if (s == NULL)
			strbuf_adds(sb, "null");
		else
			strbuf_add_json_str(sb, s, strlen(s));
		break;
	case K_IGNORED:
		/* "source": where the values came from. */
		s = p->source != NULL ? p->source : "built-in";
		strbuf_add_json_str(sb, s, strlen(s));
		break;
	case K_DBL:
		add_double(sb, *(const double *)(const void *)(base + k->off));
		break;
	case K_INT:
		strbuf_addf(sb, "%d",
		    *(const int *)(const void *)(base + k->off));
		break;
	case K_LONG:
		strbuf_addf(sb, "%ld",
		    *(const long *)(const void *)(base + k->off));
		break;
	case K_BOOL:
		strbuf_adds(sb, *(const int *)(const void *)(base + k->off) ?
		    "true" : "false");
		break;
	case K_ARGV:
		strbuf_addch(sb, '[');
		for (i = 0; i < p->n_extra_args; i++) {
			if (i > 0)
				strbuf_adds(sb, ", ");
			strbuf_add_json_str(sb, p->extra_args[i],
			    strlen(p->extra_args[i]));
		}
		strbuf_addch(sb, ']');
		break;
	case K_SECTION:
		break;
	}
}

static void
json_object(struct strbuf *sb, const struct preset *p, enum section s,
    int depth)
{
	const char *sep = "";
	size_t i;

	strbuf_adds(sb, "{");
	for (i = 0; i < NKEYS; i++) {
		if (keys[i].sect != s)
			continue;
		strbuf_addf(sb, "%s\n%*s", sep, 2 * (depth + 1), "");
		strbuf_add_json_str(sb, keys[i].name, strlen(keys[i].name));
		strbuf_adds(sb, ": ");
		if (keys[i].kind == K_SECTION)
			json_object(sb, p, keys[i].sub, depth + 1);
		else
			json_value(sb, p, &keys[i]);
		sep = ",";
	}
	strbuf_addf(sb, "\n%*s}", 2 * depth, "");
}

char *
preset_to_json(const struct preset *p)
{
	struct strbuf sb = STRBUF_INIT;

	json_object(&sb, p, S_TOP, 0);
	strbuf_addch(&sb, '\n');
	return (strbuf_detach(&sb, NULL));
}

char **
preset_serve_argv(const struct preset *p, const char *model, int port)
{
	char **v;
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0, i;

	/* 18 fixed slots at most, the extra args, the NULL. */
	v = xcalloc(18 + p->n_extra_args + 1, sizeof(*v));
	v[n++] = xstrdup("vllm");
	v[n++] = xstrdup("serve");
	v[n++] = xstrdup(model != NULL ? model : "");
	v[n++] = xstrdup("--port");
	strbuf_addf(&sb, "%d", port);
	v[n++] = strbuf_detach(&sb, NULL);
	v[n++] = xstrdup("--gpu-memory-utilization");
	add_double(&sb, p->gpu_memory_utilization);
	v[n++] = strbuf_detach(&sb, NULL);
	v[n++] = xstrdup("--max-num-seqs");
	strbuf_addf(&sb, "%d", p->max_num_seqs);
	v[n++] = strbuf_detach(&sb, NULL);
	if (p->max_model_len > 0) {
		v[n++] = xstrdup("--max-model-len");
		strbuf_addf(&sb, "%d", p->max_model_len);
		v[n++] = strbuf_detach(&sb, NULL);
	}
	/* Always explicit: vLLM's default has changed between versions. */
	v[n++] = xstrdup(p->enable_prefix_caching ?
	    "--enable-prefix-caching" : "--no-enable-prefix-caching");
	if (p->quantization != NULL) {
		v[n++] = xstrdup("--quantization");
		v[n++] = xstrdup(p->quantization);
	}
	if (p->dtype != NULL && strcmp(p->dtype, "auto") != 0) {
		v[n++] = xstrdup("--dtype");
		v[n++] = xstrdup(p->dtype);
	}
	if (p->tensor_parallel_size > 1) {
		v[n++] = xstrdup("--tensor-parallel-size");
		strbuf_addf(&sb, "%d", p->tensor_parallel_size);
		v[n++] = strbuf_detach(&sb, NULL);
	}
	for (i = 0; i < p->n_extra_args; i++)
		v[n++] = xstrdup(p->extra_args[i]);
	v[n] = NULL;
	strbuf_release(&sb);
	return (v);
}

/* Below this share of GPU memory a preset asks for a small footprint,
 * which llama.cpp (no memory budget) gets from an 8-bit KV cache. */
#define LLAMACPP_Q8_KV_BELOW	0.80
/* --cache-reuse's chunk: the least tokens worth reusing by KV shift. */
#define LLAMACPP_CACHE_REUSE	"256"

char **
preset_llamacpp_argv(const struct preset *p, const char *model, int port,
    int threads, int q8_kv)
{
	struct strbuf sb = STRBUF_INIT;
	char **v;
	size_t n = 0;

	/* 24 fixed slots at most and the NULL; extra_args are vLLM's. */
	v = xcalloc(24 + 1, sizeof(*v));
	v[n++] = xstrdup("llama-server");
	v[n++] = xstrdup("-m");
	v[n++] = xstrdup(model != NULL ? model : "");
	v[n++] = xstrdup("--host");
	v[n++] = xstrdup("127.0.0.1");
	v[n++] = xstrdup("--port");
	strbuf_addf(&sb, "%d", port);
	v[n++] = strbuf_detach(&sb, NULL);
	/* qeval reads the server's counters; there is no browser. */
	v[n++] = xstrdup("--metrics");
	v[n++] = xstrdup("--no-webui");
	/* Slots are llama.cpp's sequences batched at once. */
	v[n++] = xstrdup("-np");
	strbuf_addf(&sb, "%d", p->max_num_seqs);
	v[n++] = strbuf_detach(&sb, NULL);
	/* -c is the context of all slots together: each gets
	 * max_model_len.  0 leaves it out: the model's context, shared. */
	if (p->max_model_len > 0) {
		v[n++] = xstrdup("-c");
		strbuf_addf(&sb, "%lld", (long long)p->max_model_len *
		    (long long)p->max_num_seqs);
		v[n++] = strbuf_detach(&sb, NULL);
	}
	if (threads > 0) {
		v[n++] = xstrdup("-t");
		strbuf_addf(&sb, "%d", threads);
		v[n++] = strbuf_detach(&sb, NULL);
	}
	/* Prompt caching is on by default in llama-server; prefix caching
	 * adds reuse of cached chunks by KV shifting, and off turns the
	 * prompt cache off as vLLM's flag does. */
	if (p->enable_prefix_caching) {
		v[n++] = xstrdup("--cache-reuse");
		v[n++] = xstrdup(LLAMACPP_CACHE_REUSE);
	} else
		v[n++] = xstrdup("--no-cache-prompt");
	/* A quantized V cache needs flash attention. */
	if (p->gpu_memory_utilization < LLAMACPP_Q8_KV_BELOW && q8_kv) {
		v[n++] = xstrdup("-ctk");
		v[n++] = xstrdup("q8_0");
		v[n++] = xstrdup("-ctv");
		v[n++] = xstrdup("q8_0");
		v[n++] = xstrdup("-fa");
		v[n++] = xstrdup("on");
	}
	v[n] = NULL;
	strbuf_release(&sb);
	return (v);
}

void
preset_argv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}
