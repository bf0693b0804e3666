/*
 * clock: seconds on the monotonic clock, for durations (latency, wall
 * time, deadlines).  Never goes backwards; its origin is arbitrary.
 * Async-signal-safe (clock_gettime(2) is).
 */
#ifndef QEVAL_CLOCK_H
#define QEVAL_CLOCK_H

double	clock_now(void);

#endif
