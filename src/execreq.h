/*
 * execreq: the body of a QEVAL_REQ_EXEC request, as the core reads it
 * (docs/PLUGIN_API.md, "Code execution"): the program and its limits,
 * and the optional fields "session", "modules", "output" and "journal".
 *
 * Ownership: struct exec_body owns its strings; exec_body_release()
 * frees them.  A struct exec_files caches the module files read for a
 * run (one read and one manifest check per file).
 */
#ifndef QEVAL_EXECREQ_H
#define QEVAL_EXECREQ_H

#include <stddef.h>

#include "exec.h"
#include "strbuf.h"

struct data_cfg;
struct exec_files;

struct exec_body {
	struct strbuf		 program;	/* bytes: may hold NUL */
	double			 timeout_s;	/* 0: the default */
	long			 memory_mb;	/* 0: the default */
	int			 session;	/* "session": true */
	int			 output;	/* "output": true */
	int			 journal;	/* "journal": false gives 0 */
	struct exec_module	*mods;		/* "modules", read */
	size_t			 nmods;
};

/*
 * Parses body into *b (released by the caller either way).  -1 with
 * err set when a field has the wrong type or "program" is missing.
 */
int	 exec_body_parse(const char *body, struct exec_body *b,
	    struct strbuf *err);
/* 1 if body says "journal": false (the core neither journals nor
 * replays the exchange). */
int	 exec_body_unjournaled(const char *body);
/*
 * Reads the files "modules" names (relative to the data dir, checked
 * against the manifests as every dataset file is) through the cache.
 * -1 with err naming the module and the file.
 */
int	 exec_body_modules(const char *body, struct exec_body *b,
	    const struct data_cfg *, struct exec_files **cache,
	    struct strbuf *err);
void	 exec_body_release(struct exec_body *b);
void	 exec_files_free(struct exec_files *);

#endif
