// SPDX-License-Identifier: LGPL-2.1
/*
 * The session fit of tsync-ptp on synthetic sync points whose true offset
 * is known: it must stay within each sync point's proven bound, steady the
 * noisy middles, follow a drift and start again after a step.
 */
#include <limits.h>
#include <stdlib.h>
#include <CUnit/CUnit.h>

#include "unit.h"

#define INTERVAL	100000000LL	/* 100 ms between sync points, in ns */

/* Sync point @k of @p: estimated, refined, checked against its bound */
static struct tsync_estimate sync_point(struct tsync_ptp_history *h, struct path *p, int k,
					long long *error)
{
	struct tsync_probe probes[PATH_PROBES];
	struct tsync_estimate est;
	int n;

	p->start = 1000000000LL + k * INTERVAL;
	n = path_probes(p, probes);
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(probes, n, &est), 0);
	tsync_ptp_refine(h, &est);
	*error = llabs(est.offset - path_offset(p, est.guest_ts));
	CU_ASSERT(*error <= est.bound);
	CU_ASSERT(est.offset >= est.lower && est.offset <= est.upper);
	return est;
}

/* The first sync point has nothing to lean on: its middle stands */
static void test_first(void)
{
	struct tsync_ptp_history h = {};
	struct path p = { .offset = 42, .fwd_min = 10000, .back_min = 30000, .jitter = 4000 };
	struct tsync_probe probes[PATH_PROBES];
	struct tsync_estimate raw, est;
	int n;

	path_seed(7);
	n = path_probes(&p, probes);
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(probes, n, &raw), 0);
	est = raw;
	tsync_ptp_refine(&h, &est);
	CU_ASSERT_EQUAL(est.offset, raw.offset);
	CU_ASSERT_TRUE(est.fitted);
	CU_ASSERT_EQUAL(tsync_ptp_known(&h, 0), 1);
	CU_ASSERT_EQUAL(tsync_ptp_known(&h, TSYNC_PTP_STALE_MS + 1), 0);
}

/*
 * A sync point whose way back was never fast, and one whose way out was
 * once unusually fast: their middles are off by thousands; the fit is not.
 */
static void test_lopsided_outvoted(void)
{
	struct tsync_ptp_history h = {};
	struct path p = { .offset = 42, .fwd_min = 10000, .back_min = 10000, .jitter = 4000 };
	struct tsync_estimate est;
	long long err;
	int k;

	path_seed(11);
	for (k = 0; k < 20; k++)
		sync_point(&h, &p, k, &err);
	p.back_min = 20000;
	est = sync_point(&h, &p, k++, &err);
	CU_ASSERT(llabs(est.lower + est.upper - 2 * 42) / 2 > 4000);
	CU_ASSERT(err < 1000);
	p.back_min = 10000;
	p.fwd_min = 3000;
	est = sync_point(&h, &p, k++, &err);
	CU_ASSERT(llabs(est.lower + est.upper - 2 * 42) / 2 > 2500);
	CU_ASSERT(err < 1000);
	CU_ASSERT_TRUE(est.fitted);
}

/* Late, lost and lopsided probes, drifting clocks: never beyond the bound */
static void test_always_within_bound(void)
{
	struct tsync_ptp_history h = {};
	struct path p = { .offset = -987654321, .drift = 50, .jitter = 3000,
			  .late_every = 7, .lost_every = 5 };
	long long err;
	int k;

	path_seed(3);
	for (k = 0; k < 300; k++) {
		p.fwd_min = 5000 + path_random(8000);
		p.back_min = 5000 + path_random(8000);
		sync_point(&h, &p, k, &err);
	}
}

/* Symmetric noise and no drift: no slope is fitted to the noise */
static void test_no_drift_no_slope(void)
{
	struct tsync_ptp_history h = {};
	struct path p = { .offset = 1000, .fwd_min = 10000, .back_min = 10000, .jitter = 4000 };
	long long err, worst = 0;
	int k;

	path_seed(5);
	for (k = 0; k < 200; k++) {
		sync_point(&h, &p, k, &err);
		if (k >= 16 && err > worst)
			worst = err;
	}
	CU_ASSERT_EQUAL(tsync_ptp_slope(&h), 0);
	CU_ASSERT(worst < 300);
}

/* 10 ppm: the slope is learnt, and the offset follows it */
static void test_drift_followed(void)
{
	struct tsync_ptp_history h = {};
	struct path p = { .offset = 5000, .drift = 10, .fwd_min = 10000, .back_min = 10000,
			  .jitter = 4000 };
	long long err, worst = 0, slope, expected = (10LL << 32) / 1000000;
	int k;

	path_seed(9);
	for (k = 0; k < 200; k++) {
		sync_point(&h, &p, k, &err);
		if (k >= 6 * TSYNC_PTP_BLOCK && err > worst)
			worst = err;
	}
	slope = tsync_ptp_slope(&h);
	CU_ASSERT(llabs(slope - expected) < expected / 20);
	CU_ASSERT(worst < 500);
}

/*
 * A warm-up, then a sync point 5 s later (trace-cmd's default without
 * --tsync-interval: one at each end) and 6 ppm of drift, as a QEMU TCG
 * guest's local clock showed: no slope is known yet, and the warm-up's
 * middles would hold the offset 30 us back.  They are left out.
 */
static void test_stale_middles_left_out(void)
{
	struct tsync_ptp_history h = {};
	struct path p = { .offset = 5000, .drift = 6, .fwd_min = 70000, .back_min = 70000,
			  .jitter = 4000 };
	struct tsync_probe probes[PATH_PROBES];
	struct tsync_estimate est;
	int k, n;

	path_seed(13);
	for (k = 0; k < 5; k++) {
		p.start = k < 4 ? 1000000000LL + k * 10000000LL : 6000000000LL;
		n = path_probes(&p, probes);
		CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(probes, n, &est), 0);
		est.host_ms = k < 4 ? 10 * k : 5000;
		tsync_ptp_refine(&h, &est);
	}
	CU_ASSERT(llabs(est.offset - path_offset(&p, est.guest_ts)) < 3000);
}

/* The guest clock steps by 10 ms: the middle stands, then the fit restarts */
static void test_step_restarts(void)
{
	struct tsync_ptp_history h = {};
	struct path p = { .offset = 42, .fwd_min = 10000, .back_min = 10000, .jitter = 4000 };
	struct tsync_estimate est;
	long long err;
	int k;

	path_seed(13);
	for (k = 0; k < 40; k++)
		sync_point(&h, &p, k, &err);
	p.offset += 10000000;
	est = sync_point(&h, &p, k++, &err);
	CU_ASSERT_FALSE(est.fitted);
	for (; k < 45; k++)
		est = sync_point(&h, &p, k, &err);
	CU_ASSERT_TRUE(est.fitted);
	CU_ASSERT(err < 3000);
}

/* Values a hostile peer may send: no overflow, the interval still holds */
static void test_extremes(void)
{
	static const long long ts[] = { LLONG_MIN, LLONG_MAX, 0, LLONG_MIN + 1, LLONG_MAX - 1 };
	static const long long at[][2] = {
		{ LLONG_MIN, LLONG_MAX }, { LLONG_MAX - 1, LLONG_MAX }, { LLONG_MIN, LLONG_MIN },
		{ -1, 1 }, { LLONG_MIN, 0 },
	};
	struct tsync_ptp_history h = {};
	struct tsync_estimate est;
	int k, i;

	for (k = 0; k < 10 * TSYNC_PTP_BLOCK; k++) {
		i = k % 5;
		est = (struct tsync_estimate) {
			.guest_ts = ts[(k / 5 + i) % 5],
			.lower = at[i][0],
			.upper = at[i][1],
			.offset = (long long)(((__int128)at[i][0] + at[i][1]) / 2),
			.bounded = true,
		};
		tsync_ptp_refine(&h, &est);
		CU_ASSERT(est.offset >= est.lower && est.offset <= est.upper);
		CU_ASSERT(est.bound >= 0);
	}
	tsync_ptp_slope(&h);
}

/* An unproven estimate is left alone and teaches the fit nothing */
static void test_unproven_ignored(void)
{
	struct tsync_ptp_history h = {};
	struct tsync_estimate est = { .offset = 5, .bound = 9, .bounded = false };

	tsync_ptp_refine(&h, &est);
	CU_ASSERT_EQUAL(est.offset, 5);
	CU_ASSERT_FALSE(est.fitted);
	CU_ASSERT_EQUAL(tsync_ptp_known(&h, 0), 0);
	CU_ASSERT_EQUAL(tsync_ptp_narrowest(&h), -1);
}

void add_ptp_fit_suite(void)
{
	CU_pSuite suite = CU_add_suite("ptp-fit", NULL, NULL);

	CU_add_test(suite, "first sync point stands", test_first);
	CU_add_test(suite, "lopsided sync points outvoted", test_lopsided_outvoted);
	CU_add_test(suite, "always within the bound", test_always_within_bound);
	CU_add_test(suite, "no drift, no slope", test_no_drift_no_slope);
	CU_add_test(suite, "drift followed", test_drift_followed);
	CU_add_test(suite, "stale middles left out", test_stale_middles_left_out);
	CU_add_test(suite, "step restarts the fit", test_step_restarts);
	CU_add_test(suite, "extreme values", test_extremes);
	CU_add_test(suite, "unproven estimates ignored", test_unproven_ignored);
}
