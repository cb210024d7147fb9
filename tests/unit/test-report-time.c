// SPDX-License-Identifier: LGPL-2.1
/*
 * report-time.c: guest time to host time as trace-cmd 3.1.6 report computes
 * it from TIME_SHIFT samples, and back.  Judged against a plain model of
 * report's rules: one sample adds its offset; otherwise the segment from
 * the last sample at or before the time (the first segment before it, the
 * last one after), its start's scaling, and the offset interpolated over
 * the segment rounded half up (or the start's offset without the flag).
 */
#include <stdlib.h>
#include <CUnit/CUnit.h>

#include "unit.h"

static unsigned long long model_host(const struct tsync_sample *s, int n, bool interpolate,
				     unsigned long long ts)
{
	const struct tsync_sample *a, *b;
	long long tscor;
	int i = 0;

	if (n == 1)
		return ts + s[0].offset;
	while (i < n - 2 && (unsigned long long)s[i + 1].guest_ts <= ts)
		i++;
	a = &s[i];
	b = &s[i + 1];
	tscor = a->offset;
	if (interpolate) {
		long long delta = b->guest_ts - a->guest_ts;

		tscor += (((long long)ts - a->guest_ts) * (b->offset - a->offset) + delta / 2) /
			 delta;
	}
	return ((ts * a->scaling) >> a->frac) + tscor;
}

/*
 * Every guest time from before the first sample to after the last, 1 to 6
 * samples, in memory of their size: a search past them shows under ASan.
 */
static void test_host_time(void)
{
	static const long long offsets[] = { 50, -30, 400, 400, -1000, 7 };
	struct tsync_sample *s;
	unsigned long long ts;
	int n, i, flag, bad = 0;

	for (n = 1; n <= 6; n++) {
		s = malloc(n * sizeof(*s));
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		for (i = 0; i < n; i++)
			s[i] = (struct tsync_sample) { .guest_ts = 100 * (i + 1),
						       .offset = offsets[i], .scaling = 1 };
		for (flag = 0; flag <= 1; flag++)
			for (ts = 0; ts < 100ULL * (n + 2); ts++)
				bad += tsync_report_host_time(s, n, flag, ts) !=
				       model_host(s, n, flag, ts);
		free(s);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* Each segment scales by its start's scaling and fraction bits; one sample does not */
static void test_host_time_scaled(void)
{
	struct tsync_sample s[3] = {
		{ 100, 10, 3, 1 }, { 200, 20, 5, 2 }, { 300, 30, 1, 0 },
	};
	struct tsync_sample *one = malloc(sizeof(*one));
	unsigned long long ts;
	int bad = 0;

	for (ts = 0; ts < 500; ts++)
		bad += tsync_report_host_time(s, 3, true, ts) != model_host(s, 3, true, ts);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(tsync_report_host_time(s, 3, true, 150), (150 * 3 >> 1) + 15);
	CU_ASSERT_EQUAL(tsync_report_host_time(s, 3, true, 250), (250 * 5 >> 2) + 25);
	/* exactly one sample, in memory of its size */
	CU_ASSERT_PTR_NOT_NULL_FATAL(one);
	*one = s[0];
	CU_ASSERT_EQUAL(tsync_report_host_time(one, 1, true, 1000), 1010);
	free(one);
}

/*
 * Back from host time, where the offset is a trillion cycles and drifts
 * 1000 ppm: a first guess far off, which the iteration must close.
 */
static void test_guest_time_far(void)
{
	struct tsync_sample s[2] = {
		{ 0, -1000000000000LL, 1, 0 }, { 1000000000000LL, -999000000000LL, 1, 0 },
	};
	unsigned long long g;

	for (g = 1000000000000ULL; g < 3000000000000ULL; g += 99999999937ULL)
		CU_ASSERT_EQUAL(tsync_report_guest_time(s, 2, true,
							tsync_report_host_time(s, 2, true, g)), g);
}

/*
 * Where host time stands still or jumps, the answer is the latest guest
 * time at or before the host time, found at most 4096 steps either way
 * from where the iteration ends.
 */
static void test_guest_time_walks(void)
{
	/* host time 2 at guest times 2 and 3: the latest is 3 */
	struct tsync_sample pairs[2] = { { 0, 0, 1, 0 }, { 1000, -500, 1, 0 } };
	/* host time stands at 1 from guest time 1 to 10000 */
	struct tsync_sample flat[2] = { { 0, 0, 1, 0 }, { 10000, -10000, 1, 0 } };
	/* without the flag, host time jumps 5000 ahead at guest time 10000 */
	struct tsync_sample jump[3] = { { 0, 0, 1, 0 }, { 10000, 5000, 1, 0 },
					{ 20000, 5000, 1, 0 } };

	CU_ASSERT_EQUAL(tsync_report_host_time(pairs, 2, true, 2), 2);
	CU_ASSERT_EQUAL(tsync_report_host_time(pairs, 2, true, 3), 2);
	CU_ASSERT_EQUAL(tsync_report_guest_time(pairs, 2, true, 2), 3);
	CU_ASSERT_EQUAL(tsync_report_guest_time(flat, 2, true, 1), 1 + 4096);
	CU_ASSERT_EQUAL(tsync_report_guest_time(jump, 3, false, 10000 + 4095), 9999);
	CU_ASSERT_EQUAL(tsync_report_guest_time(jump, 3, false, 10000 + 4096), 10000);
}

void add_report_time_suite(void)
{
	CU_pSuite suite = CU_add_suite("report-time", NULL, NULL);

	CU_add_test(suite, "host time, every segment", test_host_time);
	CU_add_test(suite, "host time, scaled", test_host_time_scaled);
	CU_add_test(suite, "guest time, a far first guess", test_guest_time_far);
	CU_add_test(suite, "guest time where host time stands or jumps", test_guest_time_walks);
}
