// SPDX-License-Identifier: LGPL-2.1
/*
 * When a host thread ran, and how far a time lies from its runs.
 */
#include <stdlib.h>

#include "vcpu-runs.h"

int run_set_add(struct run_set *set, uint64_t start, uint64_t end)
{
	uint64_t *s, *e;
	int alloc;

	if (start > end)
		return -1;
	if (set->count == set->alloc) {
		alloc = set->alloc ? set->alloc * 2 : 64;
		s = realloc(set->start, alloc * sizeof(*s));
		if (!s)
			return -1;
		set->start = s;
		e = realloc(set->end, alloc * sizeof(*e));
		if (!e)
			return -1;
		set->end = e;
		set->alloc = alloc;
	}
	set->start[set->count] = start;
	set->end[set->count] = end;
	set->count++;
	set->sorted = false;
	return 0;
}

void run_set_free(struct run_set *set)
{
	free(set->start);
	free(set->end);
	*set = (struct run_set){ 0 };
}

struct run {
	uint64_t	start;
	uint64_t	end;
};

static int cmp_run(const void *a, const void *b)
{
	const struct run *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sorted by start and merged where they touch: disjoint and ascending */
static void normalize(struct run_set *set)
{
	struct run *runs;
	int i, n = 0;

	if (set->sorted)
		return;
	runs = malloc(set->count * sizeof(*runs) + 1);
	if (!runs)
		abort();
	for (i = 0; i < set->count; i++)
		runs[i] = (struct run){ set->start[i], set->end[i] };
	qsort(runs, set->count, sizeof(*runs), cmp_run);
	for (i = 0; i < set->count; i++) {
		if (n && runs[i].start <= set->end[n - 1]) {
			if (runs[i].end > set->end[n - 1])
				set->end[n - 1] = runs[i].end;
			continue;
		}
		set->start[n] = runs[i].start;
		set->end[n] = runs[i].end;
		n++;
	}
	free(runs);
	set->count = n;
	set->sorted = true;
}

/*
 * 0 if t lies in a run; else how far the nearest run is: negative if it
 * starts after t, positive if it ended before t.  INT64_MAX if no run.
 */
int64_t run_set_gap(struct run_set *set, uint64_t t)
{
	uint64_t before, after;
	int lo = 0, hi, mid;

	normalize(set);
	hi = set->count;
	/* the first run starting after t */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (set->start[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && t <= set->end[lo - 1])
		return 0;
	if (!set->count)
		return INT64_MAX;
	before = lo > 0 ? t - set->end[lo - 1] : 0;
	after = lo < set->count ? set->start[lo] - t : 0;
	if (lo > 0 && (lo == set->count || before <= after))
		return before > INT64_MAX ? INT64_MAX : (int64_t)before;
	return after > INT64_MAX ? -INT64_MAX : -(int64_t)after;
}

int cpu_timeline_event(struct cpu_timeline *cpu, uint64_t t, int before, int after,
		       run_cb cb, void *data)
{
	int ret = 0;

	if (cpu->started && t >= cpu->last_time) {
		ret = cb(cpu->current, cpu->last_time, t, data);
		/* a switch the host's trace lost: either task may have run */
		if (!ret && before != cpu->current)
			ret = cb(before, cpu->last_time, t, data);
	}
	cpu->current = after;
	cpu->last_time = t;
	cpu->started = true;
	return ret;
}
