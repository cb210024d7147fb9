// SPDX-License-Identifier: LGPL-2.1
/*
 * What one unit of a trace file's clock is in nanoseconds, for inspect's
 * picture.  ftrace's clocks count ns, but for x86-tsc (cycles), counter
 * and uptime (jiffies).  A file does not say its TSC's rate: the rate of
 * this machine's TSC stands in for it, as a guest's TSC runs at its host's
 * and files are inspected where they were recorded; inspect says so.
 */
#include <string.h>
#include <time.h>
#ifdef __x86_64__
#include <x86intrin.h>
#endif

#include "tsync/offline.h"

/* Long enough that the reads' own cost (tens of ns) is below 1 ppm */
#define TSC_MEASURE_NS	50000000LL

static const char *const ns_clocks[] = {
	"local", "global", "perf", "mono", "mono_raw", "boot", "tai",
};

static long long mono_raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ns per cycle of this machine's TSC; 0 where it has none */
static double tsc_ns(void)
{
#ifdef __x86_64__
	long long t0, t1;
	unsigned long long c0, c1;

	t0 = mono_raw_ns();
	c0 = __rdtsc();
	do {
		t1 = mono_raw_ns();
	} while (t1 - t0 < TSC_MEASURE_NS);
	c1 = __rdtsc();
	return c1 > c0 ? (double)(t1 - t0) / (double)(c1 - c0) : 0;
#else
	return 0;
#endif
}

/**
 * tsync_clock_unit - one unit of trace clock @clock in ns
 * @clock: the file's trace clock, NULL when it names none
 * @name: returns tsync's own spelling of the clock ("unknown" for others),
 *	  safe to print whatever the file holds
 * @measured: returns true when the unit is this machine's TSC's
 *
 * Returns the unit, or 0 when it is not known.
 */
double tsync_clock_unit(const char *clock, const char **name, bool *measured)
{
	size_t i;

	*measured = false;
	*name = "unknown";
	if (!clock)
		return 0;
	for (i = 0; i < sizeof(ns_clocks) / sizeof(ns_clocks[0]); i++) {
		if (!strcmp(clock, ns_clocks[i])) {
			*name = ns_clocks[i];
			return 1;
		}
	}
	if (strcmp(clock, "x86-tsc"))
		return 0;
	*name = "x86-tsc";
	*measured = true;
	return tsc_ns();
}
