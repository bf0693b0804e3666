/*
 * models: what a server says it serves (GET /v1/models), asked once
 * before a run: a server that is not there stops the run at once with
 * the hint, and a --model the server does not list is a usage error
 * that shows the list.  owned_by also tells the server's kind
 * (vLLM says "vllm", llama.cpp "llamacpp", SGLang "sglang").
 *
 * Ownership: struct models holds malloc'd strings; models_release()
 * frees them.
 */
#ifndef QEVAL_MODELS_H
#define QEVAL_MODELS_H

#include <stddef.h>

#include "strbuf.h"

struct models {
	char	**ids;		/* data[].id, NULL-terminated */
	size_t	 n;
	char	*owned_by;	/* data[0].owned_by, or NULL */
	long	 status;	/* HTTP status; 0: no answer */
};

enum models_rc {
	MODELS_OK,		/* ids holds the list */
	MODELS_UNREACHABLE,	/* nothing answered: err says so */
	MODELS_DENIED,		/* 401/403: err says which key */
	MODELS_NO_LIST		/* an answer that is not a list: err */
};

/* endpoint ends in /v1.  Blocks at most about timeout_s. */
int	 models_get(const char *endpoint, const char *api_key,
	    double timeout_s, struct models *, struct strbuf *err);
int	 models_has(const struct models *, const char *id);
/* The list for a message: "a, b, c" (at most 20 names). */
void	 models_list(const struct models *, struct strbuf *out);
/* "vllm", "llama.cpp", "sglang", or NULL when owned_by says nothing. */
const char *models_kind(const struct models *);
void	 models_release(struct models *);

#endif
