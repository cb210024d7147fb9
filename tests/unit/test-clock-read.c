// SPDX-License-Identifier: LGPL-2.1
/* Trace clocks read from user space */
#include <stdlib.h>
#include <time.h>
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

	CU_ASSERT(mask & TRACECMD_CLOCK_X86_TSC);
	CU_ASSERT(mask & TRACECMD_CLOCK_MONO);
	CU_ASSERT_FALSE(mask & TRACECMD_CLOCK_LOCAL);
	CU_ASSERT_FALSE(mask & TRACECMD_CLOCK_GLOBAL);
}

static void test_mono_matches_posix(void)
{
	const struct tsync_clock *mono = tsync_clock_find("mono");
	struct timespec ts;
	long long a, b;

	a = tsync_clock_read(mono);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	b = ts.tv_sec * 1000000000LL + ts.tv_nsec;
	CU_ASSERT(b >= a && b - a < 10000000);
}

static void test_tsc_advances(void)
{
	const struct tsync_clock *tsc = tsync_clock_find("x86-tsc");
	long long a, b;

	a = tsync_clock_read(tsc);
	b = tsync_clock_read(tsc);
	CU_ASSERT(b > a);
}

void add_clock_read_suite(void)
{
	CU_pSuite suite = CU_add_suite("clock-read", NULL, NULL);

	CU_add_test(suite, "clock names", test_names);
	CU_add_test(suite, "supported clocks mask", test_mask);
	CU_add_test(suite, "mono is CLOCK_MONOTONIC", test_mono_matches_posix);
	CU_add_test(suite, "x86-tsc advances", test_tsc_advances);
}
