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

	check_within_bound(&p, true);
}

static void test_negative_offset(void)
{
	struct path p = { .offset = -987654321012LL, .fwd_min = 800, .back_min = 900,
			  .jitter = 300 };

	check_within_bound(&p, true);
}

/* Causality holds whatever the asymmetry: the bound widens, never lies */
static void test_asymmetric(void)
{
	struct path p = { .offset = 5000, .fwd_min = 20000, .back_min = 2000,
			  .jitter = 1000 };

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

	check_within_bound(&p, false);
}

static void test_rejects_acausal(void)
{
	struct tsync_probe bad[2] = {
		{ .host_send = 10, .guest_recv = 5, .guest_send = 6, .host_recv = 9 },
		{ .host_send = 10, .guest_recv = 7, .guest_send = 6, .host_recv = 20 },
	};
	struct tsync_estimate est;

	CU_ASSERT_EQUAL(tsync_ptp_estimate(bad, 2, &est), -1);
	CU_ASSERT_EQUAL(tsync_ptp_estimate(bad, 0, &est), -1);
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

	n = path_probes(&p, probes);
	for (i = 0; i < n; i++)
		CU_ASSERT_TRUE(tsync_ptp_bounds(&probes[i], &lower, &upper));
	CU_ASSERT_FALSE(tsync_ptp_bounds(&acausal, &lower, &upper));
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(probes, n, &est), 0);
	CU_ASSERT_EQUAL(lower, est.lower);
	CU_ASSERT_EQUAL(upper, est.upper);
}

void add_ptp_estimator_suite(void)
{
	CU_pSuite suite = CU_add_suite("ptp-estimator", NULL, NULL);

	CU_add_test(suite, "symmetric delays", test_symmetric);
	CU_add_test(suite, "negative offset", test_negative_offset);
	CU_add_test(suite, "asymmetric delays", test_asymmetric);
	CU_add_test(suite, "late and lost probes", test_late_and_lost);
	CU_add_test(suite, "drift", test_drift);
	CU_add_test(suite, "acausal probes rejected", test_rejects_acausal);
	CU_add_test(suite, "extreme values", test_extreme_values);
	CU_add_test(suite, "running bounds", test_bounds_follow_estimate);
}
