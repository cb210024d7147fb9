// SPDX-License-Identifier: LGPL-2.1
/*
 * Trace clocks that user space reads directly.  A direct read costs tens of
 * nanoseconds where a trace marker and a read-back of the buffer cost
 * microseconds, and it adds no asymmetry to a probe.
 */
#include <string.h>
#include <time.h>
#ifdef __x86_64__
#include <x86intrin.h>
#endif

#include "tsync/plugin.h"

/* ftrace's fast clocks follow the same timekeeper as these POSIX clocks */
static const struct tsync_clock clocks[] = {
#ifdef __x86_64__
	{ "x86-tsc",	0,			true,	TRACECMD_CLOCK_X86_TSC },
#endif
	{ "mono",	CLOCK_MONOTONIC,	false,	TRACECMD_CLOCK_MONO },
	{ "mono_raw",	CLOCK_MONOTONIC_RAW,	false,	TRACECMD_CLOCK_MONO_RAW },
	{ "boot",	CLOCK_BOOTTIME,		false,	TRACECMD_CLOCK_BOOT },
	{ "tai",	CLOCK_TAI,		false,	TRACECMD_CLOCK_UNKNOWN },
};

#define NR_CLOCKS (sizeof(clocks) / sizeof(clocks[0]))

/**
 * tsync_clock_find - the direct reader of a trace clock
 * @name: trace clock name, as in trace_clock
 *
 * Returns NULL when the clock cannot be read from user space.
 */
const struct tsync_clock *tsync_clock_find(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < NR_CLOCKS; i++)
		if (!strcmp(clocks[i].name, name))
			return &clocks[i];
	return NULL;
}

/* The clocks as trace-cmd's supported_clocks mask */
unsigned int tsync_clock_readable_mask(void)
{
	unsigned int mask = 0;
	size_t i;

	for (i = 0; i < NR_CLOCKS; i++)
		mask |= clocks[i].tracecmd_bit;
	return mask;
}

long long tsync_clock_read(const struct tsync_clock *clock)
{
	struct timespec ts;

#ifdef __x86_64__
	if (clock->tsc) {
		/* the kernel's x86-tsc is rdtsc_ordered(): fenced the same way */
		_mm_lfence();
		return __rdtsc();
	}
#endif
	clock_gettime(clock->posix_id, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The host's monotonic clock in ms: time limits and the age of sync points */
long long tsync_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}
