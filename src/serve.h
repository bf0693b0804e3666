/*
 * serve: `qeval --serve` starts the model server itself with the
 * preset's engine flags (`vllm serve MODEL --port N
 * --gpu-memory-utilization ...`, from preset_serve_argv()), waits until
 * it answers GET /health with 200, lets the run use it, and stops it.
 *
 * The server runs in its own process group with its output in a log
 * file; serve_stop() sends SIGTERM to the group, waits up to 30 s, then
 * SIGKILL, so nothing it started outlives qeval.  The program is `vllm`
 * from PATH unless QEVAL_VLLM names another.
 *
 * SERVE_LLAMACPP (--engine llama.cpp) starts llama.cpp's `llama-server`
 * instead (QEVAL_LLAMA_SERVER, else from PATH) on a GGUF file, with the
 * preset mapped by preset_llamacpp_argv() and -t the CPUs qeval may use.
 *
 * Ownership: struct serve is opaque; serve_stop() frees it.
 * Errors: serve_start() returns NULL and explains in err, with the last
 * lines of the server's log when it died while loading.
 */
#ifndef QEVAL_SERVE_H
#define QEVAL_SERVE_H

#include "preset.h"
#include "strbuf.h"

struct serve;

enum serve_engine {
	SERVE_VLLM = 0,
	SERVE_LLAMACPP
};

/* "vllm" or "llama.cpp" ("llamacpp" too); -1 for any other name. */
int	 serve_engine_parse(const char *name);
const char *serve_engine_name(enum serve_engine);

/* Whether the engine can load model: llama.cpp needs a readable GGUF
 * file.  0, or -1 with the reason (naming the file) in err. */
int	 serve_check_model(enum serve_engine, const char *model,
	    struct strbuf *err);

/*
 * Starts the server on a free loopback port and waits for it to be
 * healthy, at most timeout_s seconds.  log_path receives its output.
 */
struct serve *serve_start(const struct preset *, enum serve_engine,
	    const char *model, const char *log_path, double timeout_s,
	    struct strbuf *err);
/* The base URL to send requests to ("http://127.0.0.1:PORT/v1"). */
const char *serve_url(const struct serve *);
/* Seconds from spawn to the first healthy answer (the cold start). */
double	 serve_cold_start(const struct serve *);
/* The command line it was started with (for results.json). */
const char *serve_command(const struct serve *);
/* Stops the server (whole process group) and frees; NULL is fine. */
void	 serve_stop(struct serve *);

#endif
