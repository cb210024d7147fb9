// SPDX-License-Identifier: LGPL-2.1
/*
 * The PTP estimator on synthetic probe sets whose true offset is known:
 * the estimate must stay within the bound it states.
 */
#include <limits.h>
#include <stdlib.h>
#include <CUnit/CUnit.h>

#include "tsync/plugin.h"
#include "unit.h"

static void check_within_bound(const struct path *p, bool must_prove)
{
	struct tsync_probe probes[PATH_PROBES];
	struct tsync_estimate est;
	long long truth, err;
	int n;

	n = path_probes(p, probes);
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(probes, n, &est), 0);
	truth = path_host(p, est.guest_ts) - est.guest_ts;
	err = llabs(est.offset - truth);
	CU_ASSERT(err <= est.bound);
	CU_ASSERT(est.used > 0);
	if (must_prove)
		CU_ASSERT_TRUE(est.bounded);
}

static void test_symmetric(void)
{
	struct path p = { .offset = 123456789, .fwd_min = 10000, .back_min = 10000,
			  .jitter = 5000 };

	path_seed(21);
	check_within_bound(&p, true);
}

static void test_negative_offset(void)
{
	struct path p = { .offset = -987654321012LL, .fwd_min = 800, .back_min = 900,
			  .jitter = 300 };

	path_seed(22);
	check_within_bound(&p, true);
}

/* Causality holds whatever the asymmetry: the bound widens, never lies */
static void test_asymmetric(void)
{
	struct path p = { .offset = 5000, .fwd_min = 20000, .back_min = 2000,
			  .jitter = 1000 };

	path_seed(23);
	check_within_bound(&p, true);
}

/* Delayed and lost probes only loosen nothing: the fastest ones decide */
static void test_late_and_lost(void)
{
	struct path clean = { .offset = 42, .fwd_min = 5000, .back_min = 5000, .jitter = 10 };
	struct path dirty = clean;
	struct tsync_probe probes[PATH_PROBES];
	struct tsync_estimate a, b;
	int n;

	dirty.late_every = 3;
	dirty.lost_every = 5;
	path_seed(1);
	n = path_probes(&clean, probes);
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(probes, n, &a), 0);
	path_seed(1);
	n = path_probes(&dirty, probes);
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(probes, n, &b), 0);
	CU_ASSERT(llabs(b.offset - 42) <= b.bound);
	CU_ASSERT(b.bound <= a.bound + 10);
}

/* 100 ppm drift: intervals may not meet; the fallback still covers truth */
static void test_drift(void)
{
	struct path p = { .offset = 1000, .drift = 100, .fwd_min = 100, .back_min = 100,
			  .jitter = 50 };

	path_seed(24);
	check_within_bound(&p, false);
}

/* Replies before requests, or a guest that held a probe longer than its trip */
static void test_rejects_acausal(void)
{
	struct tsync_probe bad[3] = {
		{ .host_send = 10, .guest_recv = 5, .guest_send = 6, .host_recv = 9 },
		{ .host_send = 10, .guest_recv = 7, .guest_send = 6, .host_recv = 20 },
		{ .host_send = 10, .guest_recv = 5, .guest_send = 30, .host_recv = 20 },
	};
	long long lower = LLONG_MIN, upper = LLONG_MAX;
	struct tsync_estimate est;
	int i;

	CU_ASSERT_EQUAL(tsync_ptp_estimate(bad, 3, &est), -1);
	CU_ASSERT_EQUAL(tsync_ptp_estimate(bad, 0, &est), -1);
	CU_ASSERT_EQUAL(tsync_ptp_estimate(bad, -1, &est), -1);
	for (i = 0; i < 3; i++)
		CU_ASSERT_FALSE(tsync_ptp_bounds(&bad[i], &lower, &upper));
	CU_ASSERT_EQUAL(lower, LLONG_MIN);
	CU_ASSERT_EQUAL(upper, LLONG_MAX);
}

/*
 * Clocks too coarse to see the trip: t1 == t4 and t2 == t3 is still
 * causal, and pins the offset exactly.
 */
static void test_instant_probe(void)
{
	struct tsync_probe p = { .host_send = 10, .guest_recv = 4, .guest_send = 4,
				 .host_recv = 10 };
	long long lower = LLONG_MIN, upper = LLONG_MAX;
	struct tsync_estimate est;

	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(&p, 1, &est), 0);
	CU_ASSERT_TRUE(est.bounded);
	CU_ASSERT_EQUAL(est.offset, 6);
	CU_ASSERT_EQUAL(est.bound, 0);
	CU_ASSERT_EQUAL(est.used, 1);
	CU_ASSERT_TRUE(tsync_ptp_bounds(&p, &lower, &upper));
	CU_ASSERT_EQUAL(lower, 6);
	CU_ASSERT_EQUAL(upper, 6);
	/* and at an offset of nearly LLONG_MAX */
	p = (struct tsync_probe) { .host_send = LLONG_MAX - 5, .guest_recv = 5, .guest_send = 5,
				   .host_recv = LLONG_MAX - 5 };
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(&p, 1, &est), 0);
	CU_ASSERT_EQUAL(est.offset, LLONG_MAX - 10);
	CU_ASSERT_EQUAL(est.bound, 0);
}

/* No memory for the estimate: an error, not a crash */
static void test_out_of_memory(void)
{
	struct tsync_probe p = { .host_send = 10, .guest_recv = 4, .guest_send = 5,
				 .host_recv = 12 };
	struct tsync_estimate est;

	unit_fail_alloc(1);
	CU_ASSERT_EQUAL(tsync_ptp_estimate(&p, 1, &est), -1);
	unit_fail_alloc(0);
	CU_ASSERT_EQUAL(tsync_ptp_estimate(&p, 1, &est), 0);
}

/*
 * One probe of interval [-3, 0]: the middle rounds to -1, and the bound is
 * the longer side, 2; so for [0, 3] and the middle 1.
 */
static void test_bound_rounds_out(void)
{
	struct tsync_probe p = { .host_send = 100, .guest_recv = 103, .guest_send = 110,
				 .host_recv = 110 };
	struct tsync_estimate est;

	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(&p, 1, &est), 0);
	CU_ASSERT_EQUAL(est.lower, -3);
	CU_ASSERT_EQUAL(est.upper, 0);
	CU_ASSERT_EQUAL(est.offset, -1);
	CU_ASSERT_EQUAL(est.bound, 2);
	CU_ASSERT_EQUAL(est.guest_ts, (103 + 110) / 2);
	p.guest_recv = 100;
	p.host_recv = 113;
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(&p, 1, &est), 0);
	CU_ASSERT_EQUAL(est.offset, 1);
	CU_ASSERT_EQUAL(est.bound, 2);
}

/* The running interval: the highest lower end and the lowest upper end so far */
static void test_bounds_narrow(void)
{
	static const long long ends[][2] = { { -50, 70 }, { -60, 40 }, { -20, 90 }, { -30, 30 } };
	long long lower = LLONG_MIN, upper = LLONG_MAX;
	static const long long want[][2] = { { -50, 70 }, { -50, 40 }, { -20, 40 }, { -20, 30 } };
	struct tsync_probe p;
	int i;

	for (i = 0; i < 4; i++) {
		/* t1 - t2 = lower end, t4 - t3 = upper end */
		p = (struct tsync_probe) { .host_send = 1000, .guest_recv = 1000 - ends[i][0],
					   .guest_send = 1000 - ends[i][0] + 5 };
		p.host_recv = p.guest_send + ends[i][1];
		CU_ASSERT_TRUE_FATAL(tsync_ptp_bounds(&p, &lower, &upper));
		CU_ASSERT_EQUAL(lower, want[i][0]);
		CU_ASSERT_EQUAL(upper, want[i][1]);
	}
}

/* A probe of offset @offset, leaving the host at @t1, @fwd and @back on the way */
static struct tsync_probe probe(long long t1, long long offset, long long fwd, long long back)
{
	return (struct tsync_probe) {
		.host_send = t1,
		.guest_recv = t1 + fwd - offset,
		.guest_send = t1 + fwd - offset + 10,
		.host_recv = t1 + fwd + 10 + back,
	};
}

/*
 * The guest clock steps back 10 us after two fast probes: the intervals
 * do not meet, and the estimate is the median of the fastest quarter's
 * middles (not of all probes, which the slow ones after the step would
 * pull 10 us off), its bound half the slowest kept delay plus their spread.
 */
static void test_fastest_quarter(void)
{
	struct tsync_probe probes[9] = {
		probe(1000, 0, 50, 50),		/* [-50, 50], delay 100 */
		probe(2000, 5, 40, 40),		/* [-35, 45], delay 80 */
	};
	struct tsync_estimate est;
	int i;

	for (i = 2; i < 9; i++)
		probes[i] = probe(1000 * i + 1000, 10000 + i, 500 + 10 * i, 500);
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(probes, 9, &est), 0);
	CU_ASSERT_FALSE(est.bounded);
	CU_ASSERT_EQUAL(est.used, 2);
	CU_ASSERT_EQUAL(est.offset, 5);
	CU_ASSERT_EQUAL(est.bound, 100 / 2 + 5);
	CU_ASSERT_EQUAL(est.fastest, 5);
	CU_ASSERT_EQUAL(est.lower, 10002 - 520);	/* probes[2] */
	CU_ASSERT_EQUAL(est.upper, 45);
	CU_ASSERT_EQUAL(est.guest_ts, (probes[0].guest_recv + probes[8].guest_send) / 2);

	/* fewer than four probes: the fastest alone */
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(&probes[1], 2, &est), 0);
	CU_ASSERT_FALSE(est.bounded);
	CU_ASSERT_EQUAL(est.used, 1);
	CU_ASSERT_EQUAL(est.offset, 5);
	CU_ASSERT_EQUAL(est.bound, 80 / 2);
	CU_ASSERT_EQUAL(est.fastest, 5);
	/* four: still one */
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(&probes[1], 4, &est), 0);
	CU_ASSERT_EQUAL(est.used, 1);
	CU_ASSERT_EQUAL(est.offset, 5);
}

/*
 * The fallback at the extremes: the two fastest middles LLONG_MAX - 600
 * apart make a bound of 500 + LLONG_MAX - 600; 400 apart less, it would
 * pass LLONG_MAX and stops there.  The kept probe's delay counts, not the
 * next one's.
 */
static void test_fastest_quarter_extremes(void)
{
	const long long a = -(LLONG_MAX / 2), gaps[] = { 600, 400 };
	const long long bounds[] = { LLONG_MAX - 100, LLONG_MAX };
	struct tsync_probe probes[8];
	struct tsync_estimate est;
	int g, i;

	for (g = 0; g < 2; g++) {
		probes[0] = probe(1000, a, 500, 500);			/* delay 1000 */
		probes[1] = probe(2000, a + LLONG_MAX - gaps[g], 400, 400);	/* delay 800 */
		for (i = 2; i < 8; i++)
			probes[i] = probe(1000 * i + 1000, 0, 2500, 2500);
		CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(probes, 8, &est), 0);
		CU_ASSERT_FALSE(est.bounded);
		CU_ASSERT_EQUAL(est.used, 2);
		CU_ASSERT_EQUAL(est.offset, a + LLONG_MAX - gaps[g]);
		CU_ASSERT_EQUAL(est.bound, bounds[g]);
	}
	/* middles further apart than LLONG_MAX: the spread saturates */
	probes[0] = probe(1000, LLONG_MIN / 2 - 1000, 500, 500);
	probes[1] = probe(2000, LLONG_MAX / 2 + 1000, 400, 400);
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(probes, 8, &est), 0);
	CU_ASSERT_EQUAL(est.bound, LLONG_MAX);
	probes[0] = probe(1000, LLONG_MAX / 2 + 1000, 500, 500);
	probes[1] = probe(2000, LLONG_MIN / 2 - 1000, 400, 400);
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(probes, 8, &est), 0);
	CU_ASSERT_EQUAL(est.bound, LLONG_MAX);
}

/* Values a hostile peer may send must not overflow the arithmetic */
static void test_extreme_values(void)
{
	struct tsync_probe probes[3] = {
		{ .host_send = LLONG_MIN, .guest_recv = LLONG_MAX,
		  .guest_send = LLONG_MAX, .host_recv = 0 },
		{ .host_send = 0, .guest_recv = LLONG_MIN,
		  .guest_send = LLONG_MAX, .host_recv = 1 },
		{ .host_send = 100, .guest_recv = 150, .guest_send = 160, .host_recv = 220 },
	};
	struct tsync_estimate est;

	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(probes, 3, &est), 0);
	CU_ASSERT_EQUAL(est.used, 1);
	CU_ASSERT(est.offset >= 100 - 150 && est.offset <= 220 - 160);
}

/* The running interval of tsync_ptp_bounds() is the estimate's */
static void test_bounds_follow_estimate(void)
{
	struct path p = { .offset = -77, .fwd_min = 3000, .back_min = 5000, .jitter = 900 };
	long long lower = LLONG_MIN, upper = LLONG_MAX;
	struct tsync_probe probes[PATH_PROBES], acausal = { .host_send = 9, .host_recv = 1 };
	struct tsync_estimate est;
	int i, n;

	path_seed(25);
	n = path_probes(&p, probes);
	for (i = 0; i < n; i++)
		CU_ASSERT_TRUE(tsync_ptp_bounds(&probes[i], &lower, &upper));
	CU_ASSERT_FALSE(tsync_ptp_bounds(&acausal, &lower, &upper));
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(probes, n, &est), 0);
	CU_ASSERT_EQUAL(lower, est.lower);
	CU_ASSERT_EQUAL(upper, est.upper);
}

static const struct tsync_estimate cpu0 = {
	.guest_ts = 1000, .offset = 500, .bound = 10, .lower = 490, .upper = 510,
	.fastest = 502, .host_ms = 42, .used = 7, .bounded = true, .fitted = true,
};

/* Another CPU: CPU 0's estimate shifted by the gap, the intervals added */
static void test_spread(void)
{
	struct tsync_estimate est;

	CU_ASSERT_EQUAL_FATAL(tsync_ptp_spread(&cpu0, 100, 107, &est), 0);
	CU_ASSERT_EQUAL(est.offset, 603);
	CU_ASSERT_EQUAL(est.guest_ts, 897);
	CU_ASSERT_EQUAL(est.fastest, 605);
	CU_ASSERT_EQUAL(est.lower, 590);
	CU_ASSERT_EQUAL(est.upper, 617);
	CU_ASSERT_EQUAL(est.bound, 14);
	CU_ASSERT_TRUE(est.bounded);
	CU_ASSERT_TRUE(est.fitted);
	CU_ASSERT_EQUAL(est.used, 7);
	CU_ASSERT_EQUAL(est.host_ms, 42);

	/* the half-width rounds out, on either side */
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_spread(&cpu0, -7, -2, &est), 0);
	CU_ASSERT_EQUAL(est.offset, 496);
	CU_ASSERT_EQUAL(est.bound, 13);
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_spread(&cpu0, 5, 5, &est), 0);
	CU_ASSERT_EQUAL(est.offset, 505);
	CU_ASSERT_EQUAL(est.guest_ts, 995);
	CU_ASSERT_EQUAL(est.bound, 10);
}

/* A gap the guest could not measure, or one whose sums overflow */
static void test_spread_refused(void)
{
	struct tsync_estimate base, est;

	CU_ASSERT_EQUAL(tsync_ptp_spread(&cpu0, 1, 0, &est), -1);
	CU_ASSERT_EQUAL(tsync_ptp_spread(&cpu0, LLONG_MAX, LLONG_MIN, &est), -1);
	CU_ASSERT_EQUAL(tsync_ptp_spread(&cpu0, LLONG_MIN, LLONG_MAX, &est), -1);

	base = cpu0;
	base.offset = LLONG_MAX - 1;
	CU_ASSERT_EQUAL(tsync_ptp_spread(&base, 2, 2, &est), -1);
	base = cpu0;
	base.guest_ts = LLONG_MIN + 1;
	CU_ASSERT_EQUAL(tsync_ptp_spread(&base, 2, 2, &est), -1);
	base = cpu0;
	base.fastest = LLONG_MAX;
	CU_ASSERT_EQUAL(tsync_ptp_spread(&base, 1, 1, &est), -1);
	base = cpu0;
	base.lower = LLONG_MIN;
	CU_ASSERT_EQUAL(tsync_ptp_spread(&base, -1, 0, &est), -1);
	base = cpu0;
	base.upper = LLONG_MAX;
	CU_ASSERT_EQUAL(tsync_ptp_spread(&base, 0, 1, &est), -1);
	base = cpu0;
	base.bound = LLONG_MAX;
	CU_ASSERT_EQUAL(tsync_ptp_spread(&base, 0, 2, &est), -1);
	/* only the half-width overflows: an interval of exactly [0, 0] */
	base = (struct tsync_estimate) { .bounded = true };
	CU_ASSERT_EQUAL(tsync_ptp_spread(&base, LLONG_MIN, LLONG_MAX, &est), -1);
	CU_ASSERT_EQUAL(tsync_ptp_spread(&base, LLONG_MIN + 1, LLONG_MAX, &est), 0);
	CU_ASSERT_EQUAL(est.bound, LLONG_MAX);
	/* at the edge, still in range */
	base = cpu0;
	base.bound = LLONG_MAX - 1;
	CU_ASSERT_EQUAL(tsync_ptp_spread(&base, 0, 2, &est), 0);
	CU_ASSERT_EQUAL(est.bound, LLONG_MAX);
}

void add_ptp_estimator_suite(void)
{
	CU_pSuite suite = CU_add_suite("ptp-estimator", NULL, NULL);

	CU_add_test(suite, "symmetric delays", test_symmetric);
	CU_add_test(suite, "negative offset", test_negative_offset);
	CU_add_test(suite, "asymmetric delays", test_asymmetric);
	CU_add_test(suite, "late and lost probes", test_late_and_lost);
	CU_add_test(suite, "drift", test_drift);
	CU_add_test(suite, "the fastest quarter when intervals miss", test_fastest_quarter);
	CU_add_test(suite, "the fastest quarter at the extremes", test_fastest_quarter_extremes);
	CU_add_test(suite, "acausal probes rejected", test_rejects_acausal);
	CU_add_test(suite, "an instant probe", test_instant_probe);
	CU_add_test(suite, "the bound rounds out", test_bound_rounds_out);
	CU_add_test(suite, "running bounds narrow", test_bounds_narrow);
	CU_add_test(suite, "out of memory", test_out_of_memory);
	CU_add_test(suite, "extreme values", test_extreme_values);
	CU_add_test(suite, "running bounds", test_bounds_follow_estimate);
	CU_add_test(suite, "another CPU from CPU 0 and the gap", test_spread);
	CU_add_test(suite, "gaps refused", test_spread_refused);
}
