/*
 * forkmem: what a forked child of the executor costs in memory faults.
 *
 * Every program runs in a fresh fork of one warm interpreter, and on a
 * virtual machine the child's first touch of each 4 KiB page it
 * inherited is the main cost of a program: a fault, or a miss the
 * hypervisor fills.  Two remedies, both invisible to the program:
 *
 *  - forkmem_hugetext(): in the executor, once, before the interpreter
 *    starts: the interpreter library's code and read-only data move to
 *    anonymous transparent huge pages, so that fork() hands them to a
 *    child as a few 2 MiB entries instead of hundreds of small pages
 *    faulted in one by one.
 *
 *  - forkmem_child(): in each child, before its program: the objects
 *    the program creates come from fresh memory of the child's own in
 *    2 MiB huge pages, instead of from free space in pages the child
 *    shares with the executor (each first write to which is a
 *    copy-on-write fault).
 *
 * See docs/SANDBOX.md ("Memory") and bench/exec/README.
 */
#ifndef QEVAL_FORKMEM_H
#define QEVAL_FORKMEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25	/* Linux 6.1; glibc 2.36 headers lack it */
#endif
#define FORKMEM_HUGE	(2ul << 20)	/* one PMD-mapped huge page */

/*
 * Moves every 2 MiB-aligned window that lies wholly in non-writable
 * mappings of the object holding `sym` (libpython: Py_Initialize) into
 * one anonymous huge page with the same bytes at the same address,
 * executable when any part of the window was.  Call it with one thread,
 * before other code runs from the object.  Returns the number of
 * windows moved; 0 when none could be (THP off, a kernel before 6.1, no
 * whole window), and then nothing was changed.
 */
int	 forkmem_hugetext(const void *sym);

/*
 * In a forked child, with the GIL held, before any other Python code:
 * hooks the PYMEM_DOMAIN_MEM and PYMEM_DOMAIN_OBJ allocators.  New
 * blocks come from the child's own 2 MiB chunks (huge pages where the
 * kernel has them) and larger blocks from mappings of their own; a
 * block inherited from the executor is never written by free() (it is
 * left where it is; the child is short-lived), and realloc() of one
 * goes to the allocator that made it.  `seed` tells this child's
 * blocks from inherited ones; any value not used by the parent.
 */
void	 forkmem_child(uint64_t seed);

/* Whether p is a block forkmem_child()'s allocator handed out (tests). */
int	 forkmem_owns(const void *p);

#endif
