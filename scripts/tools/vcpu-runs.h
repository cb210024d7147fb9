/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * When a host thread ran, from the host's scheduler events, and how far a
 * time lies from those runs: the arithmetic of the vCPU alignment check
 * (vcpu-align.c), without I/O.
 */
#ifndef VCPU_RUNS_H
#define VCPU_RUNS_H

#include <stdbool.h>
#include <stdint.h>

/* Closed intervals of time, in nanoseconds, appended in any order */
struct run_set {
	uint64_t	*start;
	uint64_t	*end;
	int		count;
	int		alloc;
	bool		sorted;
};

int run_set_add(struct run_set *set, uint64_t start, uint64_t end);
void run_set_free(struct run_set *set);
int64_t run_set_gap(struct run_set *set, uint64_t t);

/*
 * One host CPU's events in time order.  Each event names the task current
 * before it and after it (they differ only for a context switch).  Between
 * two events the CPU ran the task the first left current; where the next
 * event says another task was current, a switch went unrecorded, and the
 * gap counts for both tasks: it may have run either.
 */
struct cpu_timeline {
	uint64_t	last_time;
	int		current;	/* pid after the last event */
	bool		started;
};

/* Called with each gap of a host CPU: pid ran from start to end */
typedef int (*run_cb)(int pid, uint64_t start, uint64_t end, void *data);

int cpu_timeline_event(struct cpu_timeline *cpu, uint64_t t, int before, int after,
		       run_cb cb, void *data);

#endif /* VCPU_RUNS_H */
