#include "config.h"
#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "http.h"
#include "xalloc.h"

struct serve {
	unsigned	 magic;
#define SERVE_MAGIC	 0x53525645u
	pid_t		 pid;		/* also the process group */
	int		 port;
	char		 url[64];
	char		 root[64];
	char		*log_path;
	struct strbuf	 command;
	double		 cold_start;
	int		 exited;
};

/* A free loopback port (there is a window before the server binds it,
 * as with any such choice; a collision shows up as a failed start). */
static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0)
		return (-1);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return (port);
}

/* The last lines of the server's log, for an error message. */
static void
log_tail(const char *path, struct strbuf *out)
{
	char buf[2048];
	FILE *f = fopen(path, "r");
	long size;
	size_t n;

	if (f == NULL)
		return;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size > (long)sizeof(buf) - 1 ? size -
	    ((long)sizeof(buf) - 1) : 0, SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	if (n > 0)
		strbuf_addf(out, "\n  last lines of %s:\n%s", path, buf);
}

int
serve_engine_parse(const char *name)
{
	if (strcmp(name, "vllm") == 0)
		return (SERVE_VLLM);
	if (strcmp(name, "llama.cpp") == 0 || strcmp(name, "llamacpp") == 0)
		return (SERVE_LLAMACPP);
	return (-1);
}

const char *
serve_engine_name(enum serve_engine e)
{
	return (e == SERVE_LLAMACPP ? "llama.cpp" : "vllm");
}

/* The CPUs this process may run on (a Slurm or container limit), so
 * that llama-server does not start a thread per core of the host. */
static int
usable_cpus(void)
{
	cpu_set_t set;
	long n;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0 &&
	    CPU_COUNT(&set) > 0)
		return (CPU_COUNT(&set));
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return (n > 0 ? (int)n : 1);
}

/* llama-server loads a GGUF file: say so before starting anything. */
int
serve_check_model(enum serve_engine engine, const char *model,
    struct strbuf *err)
{
	char magic[4];
	FILE *f;
	size_t n;

	if (engine != SERVE_LLAMACPP)
		return (0);	/* a name vLLM resolves itself */
	if ((f = fopen(model, "rb")) == NULL) {
		strbuf_addf(err, "--engine llama.cpp: --model must be a GGUF "
		    "file; cannot open '%s': %s", model, strerror(errno));
		return (-1);
	}
	n = fread(magic, 1, sizeof(magic), f);
	fclose(f);
	if (n != sizeof(magic) || memcmp(magic, "GGUF", 4) != 0) {
		strbuf_addf(err, "--engine llama.cpp: '%s' is not a GGUF "
		    "file (it does not start with \"GGUF\"); give the path "
		    "of the model's .gguf file", model);
		return (-1);
	}
	return (0);
}

/* GGUF metadata (little-endian): what llama.cpp's KV-cache types need. */
static int
rd_u(FILE *f, int bytes, uint64_t *v)
{
	unsigned char b[8];
	int i;

	if (fread(b, 1, (size_t)bytes, f) != (size_t)bytes)
		return (-1);
	*v = 0;
	for (i = bytes - 1; i >= 0; i--)
		*v = (*v << 8) | b[i];
	return (0);
}

/* Size of a fixed-width GGUF value type; 0 for string and array. */
static int
gguf_width(uint64_t type)
{
	static const int w[13] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };

	return (type < 13 ? w[type] : -1);
}

/* Skips one value of a type; an integer value is returned in *iv. */
static int
gguf_skip(FILE *f, uint64_t type, int depth, uint64_t *iv)
{
	uint64_t n, et, i, x;
	int w = gguf_width(type);

	*iv = UINT64_MAX;
	if (w > 0) {
		if (rd_u(f, w, &x) != 0)
			return (-1);
		if (type != 6 && type != 12)	/* not a float */
			*iv = x;
		return (0);
	}
	if (w < 0 || depth > 2)
		return (-1);
	if (type == 8)				/* string */
		return (rd_u(f, 8, &n) != 0 || n > (1u << 30) ||
		    fseek(f, (long)n, SEEK_CUR) != 0 ? -1 : 0);
	if (rd_u(f, 4, &et) != 0 || rd_u(f, 8, &n) != 0 ||	/* array */
	    n > (1u << 30))
		return (-1);
	if (gguf_width(et) > 0)
		return (fseek(f, (long)(n * (uint64_t)gguf_width(et)),
		    SEEK_CUR) != 0 ? -1 : 0);
	for (i = 0; i < n; i++)
		if (gguf_skip(f, et, depth + 1, &x) != 0)
			return (-1);
	return (0);
}

/*
 * The attention head sizes of K and V from a GGUF file's metadata
 * (<arch>.attention.key_length / value_length, else embedding_length /
 * head_count).  0, or -1 when they cannot be read.
 */
static int
gguf_head_dims(const char *path, uint64_t *hk, uint64_t *hv)
{
	uint64_t ver, nt, nkv, i, len, type, v;
	uint64_t emb = 0, heads = 0, kl = 0, vl = 0;
	char key[256];
	FILE *f = fopen(path, "rb");
	int rc = -1;

	if (f == NULL)
		return (-1);
	if (fseek(f, 4, SEEK_SET) != 0 || rd_u(f, 4, &ver) != 0 || ver < 2 ||
	    rd_u(f, 8, &nt) != 0 || rd_u(f, 8, &nkv) != 0 || nkv > 100000)
		goto out;
	for (i = 0; i < nkv; i++) {
		const char *dot;

		if (rd_u(f, 8, &len) != 0 || len > (1u << 20))
			goto out;
		if (len < sizeof(key)) {
			if (fread(key, 1, len, f) != len)
				goto out;
			key[len] = '\0';
		} else {
			key[0] = '\0';
			if (fseek(f, (long)len, SEEK_CUR) != 0)
				goto out;
		}
		if (rd_u(f, 4, &type) != 0 || gguf_skip(f, type, 0, &v) != 0)
			goto out;
		if (v == UINT64_MAX || (dot = strchr(key, '.')) == NULL)
			continue;
		if (strcmp(dot, ".embedding_length") == 0)
			emb = v;
		else if (strcmp(dot, ".attention.head_count") == 0)
			heads = v;
		else if (strcmp(dot, ".attention.key_length") == 0)
			kl = v;
		else if (strcmp(dot, ".attention.value_length") == 0)
			vl = v;
	}
	if (kl == 0 && emb > 0 && heads > 0)
		kl = emb / heads;
	if (vl == 0)
		vl = kl;
	if (kl > 0) {
		*hk = kl;
		*hv = vl;
		rc = 0;
	}
out:
	fclose(f);
	return (rc);
}

/*
 * Whether llama.cpp can store this model's KV cache as q8_0, whose
 * blocks are 32 values: the head sizes must be multiples of 32 (the
 * 2-layer test model's 16 are not).  Unknown sizes: assume they are.
 */
static int
llamacpp_q8_kv_ok(const char *model)
{
	uint64_t hk, hv;

	if (gguf_head_dims(model, &hk, &hv) != 0)
		return (1);
	return (hk % 32 == 0 && hv % 32 == 0);
}

struct serve *
serve_start(const struct preset *p, enum serve_engine engine,
    const char *model, const char *log_path, double timeout_s,
    struct strbuf *err)
{
	const char *prog = getenv(engine == SERVE_LLAMACPP ?
	    "QEVAL_LLAMA_SERVER" : "QEVAL_VLLM");
	struct serve *s;
	char **argv;
	double t0;
	size_t i;
	int fd;

	if (serve_check_model(engine, model, err) != 0)
		return (NULL);
	s = xcalloc(1, sizeof(*s));
	s->magic = SERVE_MAGIC;
	strbuf_init(&s->command, 0);
	s->port = free_port();
	if (s->port < 0) {
		strbuf_addf(err, "--serve: no free loopback port: %s",
		    strerror(errno));
		serve_stop(s);
		return (NULL);
	}
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d/v1", s->port);
	snprintf(s->root, sizeof(s->root), "http://127.0.0.1:%d", s->port);
	s->log_path = xstrdup(log_path);
	argv = engine == SERVE_LLAMACPP ? preset_llamacpp_argv(p, model,
	    s->port, usable_cpus(), llamacpp_q8_kv_ok(model)) :
	    preset_serve_argv(p, model, s->port);
	if (prog != NULL && *prog != '\0') {
		free(argv[0]);
		argv[0] = xstrdup(prog);
	}
	for (i = 0; argv[i] != NULL; i++)
		strbuf_addf(&s->command, "%s%s", i ? " " : "", argv[i]);
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		strbuf_addf(err, "--serve: cannot write %s: %s", log_path,
		    strerror(errno));
		preset_argv_free(argv);
		serve_stop(s);
		return (NULL);
	}
	t0 = clock_now();
	s->pid = fork();
	if (s->pid < 0) {
		strbuf_addf(err, "--serve: fork: %s", strerror(errno));
		close(fd);
		preset_argv_free(argv);
		serve_stop(s);
		return (NULL);
	}
	if (s->pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		/* The server gets the caller's environment: it needs
		 * CUDA_VISIBLE_DEVICES, HF_HOME and the like. */
		execvp(argv[0], argv);
		fprintf(stderr, "qeval --serve: cannot run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	setpgid(s->pid, s->pid);
	close(fd);
	preset_argv_free(argv);
	for (;;) {
		struct strbuf body = STRBUF_INIT, herr = STRBUF_INIT;
		struct http_opts o;
		const char *eps[1] = { s->root };
		long st;
		int ws;

		if (waitpid(s->pid, &ws, WNOHANG) == s->pid) {
			s->exited = 1;
			strbuf_addf(err, "--serve: the server exited while "
			    "loading (%s %d): %s", WIFEXITED(ws) ? "status" :
			    "signal", WIFEXITED(ws) ? WEXITSTATUS(ws) :
			    WTERMSIG(ws), s->command.buf);
			if (WIFEXITED(ws) && WEXITSTATUS(ws) == 127)
				strbuf_addf(err, "\n  (put %s on PATH or name "
				    "it with %s)", engine == SERVE_LLAMACPP ?
				    "llama-server" : "vllm", engine ==
				    SERVE_LLAMACPP ? "QEVAL_LLAMA_SERVER" :
				    "QEVAL_VLLM");
			log_tail(log_path, err);
			serve_stop(s);
			return (NULL);
		}
		memset(&o, 0, sizeof(o));
		o.endpoints = eps;
		o.n_endpoints = 1;
		o.concurrency = 1;
		o.timeout_s = 5;
		o.connect_timeout_s = 2;
		st = http_get(&o, "/health", &body, &herr);
		strbuf_release(&body);
		strbuf_release(&herr);
		if (st == 200)
			break;
		if (clock_now() - t0 > timeout_s) {
			strbuf_addf(err, "--serve: the server was not healthy "
			    "after %.0f s (GET /health): %s", timeout_s,
			    s->command.buf);
			log_tail(log_path, err);
			serve_stop(s);
			return (NULL);
		}
		usleep(200000);
	}
	s->cold_start = clock_now() - t0;
	return (s);
}

const char *
serve_url(const struct serve *s)
{
	return (s->url);
}

double
serve_cold_start(const struct serve *s)
{
	return (s->cold_start);
}

const char *
serve_command(const struct serve *s)
{
	return (s->command.buf);
}

void
serve_stop(struct serve *s)
{
	int i, ws;

	if (s == NULL)
		return;
	if (s->pid > 0) {
		/* The whole group: vLLM starts engine processes. */
		kill(-s->pid, SIGTERM);
		for (i = 0; i < 300; i++) {
			if (s->exited || waitpid(s->pid, &ws, WNOHANG) ==
			    s->pid)
				break;
			usleep(100000);
		}
		kill(-s->pid, SIGKILL);
		if (!s->exited && i == 300)
			(void)waitpid(s->pid, &ws, 0);
	}
	free(s->log_path);
	strbuf_release(&s->command);
	s->magic = 0;
	free(s);
}
