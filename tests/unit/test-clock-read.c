// SPDX-License-Identifier: LGPL-2.1
/* Trace clocks read from user space */
#include <stdlib.h>
#include <time.h>
#ifdef __x86_64__
#include <x86intrin.h>
#endif
#include <CUnit/CUnit.h>

#include "tsync/plugin.h"
#include "unit.h"

static void test_names(void)
{
	CU_ASSERT_PTR_NOT_NULL(tsync_clock_find("x86-tsc"));
	CU_ASSERT_PTR_NOT_NULL(tsync_clock_find("mono"));
	CU_ASSERT_PTR_NOT_NULL(tsync_clock_find("mono_raw"));
	CU_ASSERT_PTR_NOT_NULL(tsync_clock_find("boot"));
	CU_ASSERT_PTR_NOT_NULL(tsync_clock_find("tai"));
	/* sched_clock based: only the trace buffer knows them */
	CU_ASSERT_PTR_NULL(tsync_clock_find("local"));
	CU_ASSERT_PTR_NULL(tsync_clock_find("global"));
	CU_ASSERT_PTR_NULL(tsync_clock_find(NULL));
}

static void test_mask(void)
{
	unsigned int mask = tsync_clock_readable_mask();

	/* tai has no bit in trace-cmd's mask */
	CU_ASSERT_EQUAL(mask, TRACECMD_CLOCK_X86_TSC | TRACECMD_CLOCK_MONO |
			TRACECMD_CLOCK_MONO_RAW | TRACECMD_CLOCK_BOOT);
}

static long long posix_now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Each POSIX trace clock reads its own clock: between two reads of it */
static void test_posix_clocks(void)
{
	static const struct {
		const char	*name;
		clockid_t	id;
	} posix[] = {
		{ "mono", CLOCK_MONOTONIC }, { "mono_raw", CLOCK_MONOTONIC_RAW },
		{ "boot", CLOCK_BOOTTIME }, { "tai", CLOCK_TAI },
	};
	const struct tsync_clock *clock;
	long long before, read, after;
	size_t i;

	for (i = 0; i < sizeof(posix) / sizeof(posix[0]); i++) {
		clock = tsync_clock_find(posix[i].name);
		CU_ASSERT_PTR_NOT_NULL_FATAL(clock);
		CU_ASSERT_STRING_EQUAL(clock->name, posix[i].name);
		before = posix_now(posix[i].id);
		read = tsync_clock_read(clock);
		after = posix_now(posix[i].id);
		CU_ASSERT(before <= read && read <= after);
	}
}

/* x86-tsc is the TSC itself: between two rdtsc */
static void test_tsc_is_rdtsc(void)
{
#ifdef __x86_64__
	const struct tsync_clock *tsc = tsync_clock_find("x86-tsc");
	unsigned long long before, read, after;

	CU_ASSERT_PTR_NOT_NULL_FATAL(tsc);
	before = __rdtsc();
	read = tsync_clock_read(tsc);
	after = __rdtsc();
	CU_ASSERT(before <= read && read <= after);
#endif
}

void add_clock_read_suite(void)
{
	CU_pSuite suite = CU_add_suite("clock-read", NULL, NULL);

	CU_add_test(suite, "clock names", test_names);
	CU_add_test(suite, "supported clocks mask", test_mask);
	CU_add_test(suite, "POSIX clocks read their own", test_posix_clocks);
	CU_add_test(suite, "x86-tsc is the TSC", test_tsc_is_rdtsc);
}
