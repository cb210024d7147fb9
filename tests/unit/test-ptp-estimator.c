// SPDX-License-Identifier: LGPL-2.1
/*
 * The PTP estimator on synthetic probe sets whose true offset is known:
 * the estimate must stay within the bound it states.
 */
#include <limits.h>
#include <stdlib.h>
#include <CUnit/CUnit.h>

#include "tsync/tsync.h"
#include "unit.h"

#define NPROBES 64

struct path {
	long long	offset;		/* true host - guest at guest time 0 */
	double		drift;		/* guest clock rate error, in ppm */
	long long	fwd_min;	/* fastest host -> guest delay */
	long long	back_min;	/* fastest guest -> host delay */
	long long	jitter;		/* extra delay, uniform in [0, jitter) */
	int		late_every;	/* every Nth probe is delayed 1 ms */
	int		lost_every;	/* every Nth probe is lost */
};

static unsigned long long rng = 88172645463325252ULL;

static long long rand_below(long long n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n > 0 ? (long long)(rng % (unsigned long long)n) : 0;
}

/* host time of guest time @g on @p */
static long long host_of(const struct path *p, long long g)
{
	return g + p->offset + (long long)(g * p->drift / 1e6);
}

static int make_probes(const struct path *p, struct tsync_probe *probes)
{
	long long g = 1000000000LL;	/* guest time of the first request */
	int n = 0, i;

	for (i = 0; i < NPROBES; i++, g += 20000) {
		long long fwd = p->fwd_min + rand_below(p->jitter);
		long long back = p->back_min + rand_below(p->jitter);

		if (p->lost_every && i % p->lost_every == 1)
			continue;
		if (p->late_every && i % p->late_every == 2)
			back += 1000000;
		probes[n].guest_recv = g;
		probes[n].guest_send = g + 3000;
		probes[n].host_send = host_of(p, g) - fwd;
		probes[n].host_recv = host_of(p, g + 3000) + back;
		n++;
	}
	return n;
}

static void check_within_bound(const struct path *p, bool must_prove)
{
	struct tsync_probe probes[NPROBES];
	struct tsync_estimate est;
	long long truth, err;
	int n;

	n = make_probes(p, probes);
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(probes, n, &est), 0);
	truth = host_of(p, est.guest_ts) - est.guest_ts;
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
	struct tsync_probe probes[NPROBES];
	struct tsync_estimate a, b;
	int n;

	dirty.late_every = 3;
	dirty.lost_every = 5;
	rng = 1;
	n = make_probes(&clean, probes);
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(probes, n, &a), 0);
	rng = 1;
	n = make_probes(&dirty, probes);
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

/* One sync point of a path with fixed fastest delays each way, truth 42 */
static struct tsync_estimate sync_point(long long fwd_min, long long back_min)
{
	struct path p = { .offset = 42, .fwd_min = fwd_min, .back_min = back_min,
			  .jitter = 4000 };
	struct tsync_probe probes[NPROBES];
	struct tsync_estimate est;
	int n;

	n = make_probes(&p, probes);
	CU_ASSERT_EQUAL(tsync_ptp_estimate(probes, n, &est), 0);
	return est;
}

/*
 * A sync point whose way back was never fast is corrected by the recent
 * ones; one where both ways were slow keeps its middle; the bound holds.
 */
static void test_refine_lopsided(void)
{
	struct tsync_ptp_recent cpus[2] = {};
	struct tsync_ptp_history h = { .cpu_count = 2, .cpus = cpus };
	struct tsync_estimate est, raw;
	int i;

	for (i = 0; i < 6; i++) {
		est = sync_point(10000, 10000);
		tsync_ptp_refine(&h, i % 2, &est);
		CU_ASSERT(llabs(est.offset - 42) <= est.bound);
	}
	raw = est = sync_point(10000, 20000);
	tsync_ptp_refine(&h, 0, &est);
	CU_ASSERT(llabs(raw.offset - 42) > 4000);
	CU_ASSERT(llabs(est.offset - 42) < 1000);
	CU_ASSERT(llabs(est.offset - 42) <= est.bound);
	CU_ASSERT(est.offset >= est.lower && est.offset <= est.upper);

	raw = est = sync_point(20000, 20000);
	tsync_ptp_refine(&h, 1, &est);
	CU_ASSERT_EQUAL(est.offset, raw.offset);
	CU_ASSERT(llabs(est.offset - 42) <= est.bound);
}

/*
 * One probe came back unusually fast (but slowly out): the interval's
 * middle jumps by thousands of cycles, the fastest probe and the history
 * do not, and they outvote it.
 */
static void test_refine_wild_middle(void)
{
	struct path p = { .offset = 42, .fwd_min = 10000, .back_min = 10000, .jitter = 4000 };
	struct tsync_ptp_recent cpus[1] = {};
	struct tsync_ptp_history h = { .cpu_count = 1, .cpus = cpus };
	struct tsync_probe probes[NPROBES];
	struct tsync_estimate est;
	int i, n;

	for (i = 0; i < 8; i++) {
		est = sync_point(10000, 10000);
		tsync_ptp_refine(&h, 0, &est);
	}
	n = make_probes(&p, probes);
	/* out in 30000 cycles, back in 2000 */
	probes[5].host_send = probes[5].guest_recv + 42 - 30000;
	probes[5].host_recv = probes[5].guest_send + 42 + 2000;
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(probes, n, &est), 0);
	CU_ASSERT(llabs(est.offset - 42) > 2000);
	tsync_ptp_refine(&h, 0, &est);
	CU_ASSERT(llabs(est.offset - 42) < 1000);
	CU_ASSERT(llabs(est.offset - 42) <= est.bound);
}

/* The running interval of tsync_ptp_bounds() is the estimate's */
static void test_bounds_follow_estimate(void)
{
	struct path p = { .offset = -77, .fwd_min = 3000, .back_min = 5000, .jitter = 900 };
	long long lower = LLONG_MIN, upper = LLONG_MAX;
	struct tsync_probe probes[NPROBES], acausal = { .host_send = 9, .host_recv = 1 };
	struct tsync_estimate est;
	int i, n;

	n = make_probes(&p, probes);
	for (i = 0; i < n; i++)
		CU_ASSERT_TRUE(tsync_ptp_bounds(&probes[i], &lower, &upper));
	CU_ASSERT_FALSE(tsync_ptp_bounds(&acausal, &lower, &upper));
	CU_ASSERT_EQUAL_FATAL(tsync_ptp_estimate(probes, n, &est), 0);
	CU_ASSERT_EQUAL(lower, est.lower);
	CU_ASSERT_EQUAL(upper, est.upper);
}

/* Without history there is nothing to correct from */
static void test_refine_first(void)
{
	struct tsync_ptp_recent cpus[1] = {};
	struct tsync_ptp_history h = { .cpu_count = 1, .cpus = cpus };
	struct tsync_estimate est, raw;

	raw = est = sync_point(10000, 30000);
	tsync_ptp_refine(&h, 0, &est);
	CU_ASSERT_EQUAL(est.offset, raw.offset);
	CU_ASSERT_EQUAL(cpus[0].nr, 1);
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
	CU_add_test(suite, "lopsided sync point refined", test_refine_lopsided);
	CU_add_test(suite, "wild middle outvoted", test_refine_wild_middle);
	CU_add_test(suite, "first sync point kept", test_refine_first);
	CU_add_test(suite, "running bounds", test_bounds_follow_estimate);
}
