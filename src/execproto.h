/*
 * execproto: the wire between the core's client (exec.c) and the
 * executor (executor.c), over the socketpair exec_start() makes.
 * Requests go one way (struct req_hdr, then the program, then the
 * modules), answers the other (struct res_hdr, then the detail, then the
 * output).  The executor's first answer, id HELLO_ID, is its greeting:
 * status 0 with "layers\nbase directory", or -1 with why it cannot
 * start.  Both ends are built together; an executor of another version
 * refuses to start.
 *
 * The executor image is started as
 *	qeval-executor 3 <core pid> <workers> <output_max> <version>
 * with the socket on descriptor 3 (EXEC_ARGC arguments, argv[0]
 * included).
 */
#ifndef QEVAL_EXECPROTO_H
#define QEVAL_EXECPROTO_H

#include <stdint.h>

#define REQ_MAGIC	0x51585251u
#define RES_MAGIC	0x51585253u
#define HELLO_ID	UINT64_MAX
#define PROGRAM_MAX	(64u << 20)	/* bytes per program */
#define EXEC_ARGV0	"qeval-executor"
#define EXEC_ARGC	6

#define REQ_RUN		0	/* run a program */
#define REQ_CLOSE	1	/* end a session */
#define REQF_NEW	1u	/* a session's first request */

/*
 * core -> executor, followed by len bytes of program and mod_len bytes
 * of modules: nmod times { u32 name, u32 file, u32 src; the three }.
 */
struct req_hdr {
	uint32_t	 magic;
	uint32_t	 len;
	uint64_t	 id;
	double		 timeout_s;
	int64_t		 memory_mb;
	int64_t		 output_max;	/* 0: the executor's default */
	uint64_t	 session;	/* 0: none */
	uint32_t	 op;		/* REQ_* */
	uint32_t	 flags;		/* REQF_* */
	uint32_t	 mod_len;
	uint32_t	 nmod;
};

/* executor -> core, followed by the detail and the output */
struct res_hdr {
	uint32_t	 magic;
	int32_t		 status;
	uint64_t	 id;
	double		 wall_s;
	double		 cpu_s;
	uint32_t	 detail_len;
	uint32_t	 output_len;
};

#endif
