// SPDX-License-Identifier: LGPL-2.1
/*
 * The session fit of tsync-ptp.  On histories and intervals laid by hand,
 * each result worked out: the median of the middles, the restart after two
 * misses, the slope and its significance, the middles carried along it,
 * blocks and widths.  On synthetic sync points whose true offset is known:
 * it must stay within each sync point's proven bound, steady the noisy
 * middles, follow a drift and start again after a step.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* A proven estimate of interval [@lower, @upper] at guest time @ts */
static struct tsync_estimate proven(long long ts, long long lower, long long upper,
				    long long host_ms)
{
	struct tsync_estimate est = {
		.guest_ts = ts, .lower = lower, .upper = upper, .host_ms = host_ms,
		.offset = (lower + upper) / 2, .bounded = true, .used = 1,
	};

	est.bound = est.offset - lower > upper - est.offset ? est.offset - lower :
		    upper - est.offset;
	return est;
}

/*
 * Without a slope the fit is the median of the recent middles (the upper
 * one of an even count), taken where it falls inside the sync point's
 * interval, its ends included; a fit outside leaves the middle standing,
 * and the second miss in a row starts the window again from that sync
 * point.  Middles and intervals chosen by hand, each step's median worked
 * out in its comment.
 */
static void test_median_of_middles(void)
{
	static const struct {
		long long	lower, upper;
		bool		fitted;
		long long	offset, bound;
	} steps[] = {
		{ 0, 200, true, 100, 100 },	/* {100}: 100 */
		{ 100, 500, true, 300, 200 },	/* {100 300}: 300 */
		{ 250, 550, true, 300, 250 },	/* {100 300 400}: 300 */
		{ -100, 300, true, 300, 400 },	/* {100 100 300 400}: 300, the upper end */
		{ 300, 320, true, 300, 20 },	/* {100 100 300 310 400}: 300, the lower end */
		{ 0, 60, false, 30, 30 },	/* {30 100 100 300 310 400}: 300, a miss */
		{ 500, 520, false, 510, 10 },	/* ... 300 again: the second, restart: {510} */
		{ 0, 100, false, 50, 50 },	/* {50 510}: 510, a miss */
		{ 450, 600, true, 510, 90 },	/* {50 510 525}: 510, a hit */
		{ 0, 40, false, 20, 20 },	/* {20 50 510 525}: 510, one miss after a hit */
		{ 400, 700, true, 510, 190 },	/* {20 50 510 525 550}: 510 */
	};
	struct tsync_ptp_history h = {};
	struct tsync_estimate est;
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		est = proven(1000000000LL + i * INTERVAL, steps[i].lower, steps[i].upper, 0);
		tsync_ptp_refine(&h, &est);
		CU_ASSERT_EQUAL(est.fitted, steps[i].fitted);
		CU_ASSERT_EQUAL(est.offset, steps[i].offset);
		CU_ASSERT_EQUAL(est.bound, steps[i].bound);
		if (est.fitted != steps[i].fitted || est.offset != steps[i].offset)
			fprintf(stderr, "\n    step %zu: fitted %d offset %lld\n", i, est.fitted,
				est.offset);
		if (i == 0)
			CU_ASSERT_EQUAL(tsync_ptp_usual_width(&h), 200);
		if (i == 6) {
			/* the window and the open block start again from this one */
			CU_ASSERT_EQUAL(h.nr_window, 1);
			CU_ASSERT_EQUAL(h.nr_pending, 1);
			CU_ASSERT_EQUAL(tsync_ptp_known(&h, 0), 1);
		}
	}
	CU_ASSERT_EQUAL(tsync_ptp_known(&h, 0), 5);
	CU_ASSERT_EQUAL(tsync_ptp_usual_width(&h), 40);	/* of the last eight */
}

/* The first quartile of the last TSYNC_PTP_WIDTHS widths, a width of 0 too */
static void test_usual_width(void)
{
	static const long long widths[] = { 0, 5, 3, 9, 9, 9, 9, 9, 7, 1, 1, 1, 1 };
	static const long long want[] = { 0, 0, 0, 3, 3, 3, 3, 5, 7, 7, 7, 1, 1 };
	struct tsync_ptp_history h = {};
	struct tsync_estimate est;
	size_t i;

	CU_ASSERT_EQUAL(tsync_ptp_usual_width(&h), -1);
	for (i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		est = proven(i * INTERVAL, 100, 100 + widths[i], 0);
		tsync_ptp_refine(&h, &est);
		CU_ASSERT_EQUAL(tsync_ptp_usual_width(&h), want[i]);
	}
}

/* As narrow as usual: at most 5% wider */
static void test_as_usual(void)
{
	CU_ASSERT_TRUE(tsync_ptp_as_usual(105, 100));
	CU_ASSERT_FALSE(tsync_ptp_as_usual(106, 100));
	CU_ASSERT_TRUE(tsync_ptp_as_usual(0, 1));
	CU_ASSERT_FALSE(tsync_ptp_as_usual(ULLONG_MAX, LLONG_MAX));
}

/* The next round: what this one needed to be as narrow as usual, and half again */
static void test_next_round(void)
{
	static const struct tsync_probe round[] = {
		{ 0, 0, 0, 1000 },	/* [0, 1000] */
		{ 300, 0, 0, 100 },	/* back before it left: no bound */
		{ 100, 0, 0, 500 },	/* [100, 500] */
		{ 200, 0, 0, 304 },	/* [200, 304]: 104 wide */
		{ 250, 0, 0, 260 },	/* [250, 260] */
	};

	CU_ASSERT_EQUAL(tsync_ptp_next_round(round, 5, 100, 1, 128), 6);	/* 4 needed */
	CU_ASSERT_EQUAL(tsync_ptp_next_round(round, 5, 1000, 1, 128), 1);	/* 1 */
	CU_ASSERT_EQUAL(tsync_ptp_next_round(round, 5, 10, 1, 128), 7);	/* 5 */
	CU_ASSERT_EQUAL(tsync_ptp_next_round(round, 5, 9, 1, 128), 9);	/* never: 6 */
	CU_ASSERT_EQUAL(tsync_ptp_next_round(round, 3, 100, 1, 128), 6);	/* never: 4 */
	CU_ASSERT_EQUAL(tsync_ptp_next_round(round, 5, 100, 32, 128), 32);	/* the fewest */
	CU_ASSERT_EQUAL(tsync_ptp_next_round(round, 5, 9, 1, 8), 8);	/* the usual */
	CU_ASSERT_EQUAL(tsync_ptp_next_round(round, 5, 100, 4, 4), 4);	/* --tsync-probes 4 */
	/* no usual width yet, or none to reach: more */
	CU_ASSERT_EQUAL(tsync_ptp_next_round(round, 5, -1, 1, 128), 9);
	CU_ASSERT_EQUAL(tsync_ptp_next_round(round, 5, 0, 1, 128), 9);
	CU_ASSERT_EQUAL(tsync_ptp_next_round(round, 0, 100, 1, 128), 1);
}

/* Middles older than TSYNC_PTP_STALE_MS (host time) no longer count, without a slope */
static void test_stale_by_host_time(void)
{
	struct tsync_ptp_history h = {};
	struct tsync_estimate est;

	est = proven(0, 0, 200, 5000);
	tsync_ptp_refine(&h, &est);
	est = proven(INTERVAL, 0, 200, 5000);
	tsync_ptp_refine(&h, &est);
	CU_ASSERT_EQUAL(tsync_ptp_known(&h, 5000 + TSYNC_PTP_STALE_MS), 2);
	CU_ASSERT_EQUAL(tsync_ptp_known(&h, 5000 + TSYNC_PTP_STALE_MS + 1), 0);
	/* a sync point after the pause stands on its own middle */
	est = proven(2 * INTERVAL, 150, 190, 5000 + TSYNC_PTP_STALE_MS + 1);
	tsync_ptp_refine(&h, &est);
	CU_ASSERT_TRUE(est.fitted);
	CU_ASSERT_EQUAL(est.offset, 170);
	CU_ASSERT_EQUAL(tsync_ptp_known(&h, 5000 + TSYNC_PTP_STALE_MS + 1), 1);
}

/* A history of @n blocks (ts, offset) and @m window middles, by hand */
static void set_history(struct tsync_ptp_history *h, const long long (*blocks)[2], int n,
			const long long *window, int m)
{
	int i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < n; i++)
		h->block[i] = (struct tsync_ptp_point) { .ts = blocks[i][0],
							 .offset = blocks[i][1] };
	h->nr_block = n;
	for (i = 0; i < m; i++)
		h->window[i] = (struct tsync_ptp_point) { .ts = i, .offset = window[i] };
	h->nr_window = m;
}

#define B31	(1LL << 31)
#define B32	(1LL << 32)

/*
 * The slope: the median of the slopes between any two blocks (2^32 times
 * offset units per guest unit), from three blocks on, pairs of blocks at
 * one guest time left out.
 */
static void test_slope(void)
{
	static const long long two[][2] = { { 0, 0 }, { 1000000000, 1000 } };
	static const long long three[][2] = { { 0, 0 }, { 1000000000, 1000 },
					      { 2000000000, 4000 } };
	static const long long same_ts[][2] = { { 0, 0 }, { 0, 500 }, { 1000000000, 1000 } };
	static const long long all_same[][2] = { { 7, 0 }, { 7, 500 }, { 7, 1000 } };
	static const long long falling[][2] = { { 0, 0 }, { B31, -300 }, { B32, -600 } };
	static const long long one = 5000;
	struct tsync_ptp_history h;

	set_history(&h, two, 2, &one, 1);
	CU_ASSERT_EQUAL(tsync_ptp_slope(&h), 0);
	/* pairs: 1000, 4000 / 2, 3000 per 10^9: the median is the middle one */
	set_history(&h, three, 3, &one, 1);
	CU_ASSERT_EQUAL(tsync_ptp_slope(&h), (4000LL << 32) / 2000000000);
	set_history(&h, same_ts, 3, &one, 1);
	CU_ASSERT_EQUAL(tsync_ptp_slope(&h), (1000LL << 32) / 1000000000);
	set_history(&h, all_same, 3, &one, 1);
	CU_ASSERT_EQUAL(tsync_ptp_slope(&h), 0);
	set_history(&h, falling, 3, &one, 1);
	CU_ASSERT_EQUAL(tsync_ptp_slope(&h), -600);
}

/*
 * The drift the slope predicts over the blocks must exceed three times the
 * noise of the window (the median distance of its middles from their
 * median): here 40, so a drift of 120 is no slope and one of 130 is.
 */
static void test_slope_significance(void)
{
	static const long long at_120[][2] = { { 0, 0 }, { B31, 60 }, { B32, 120 } };
	static const long long at_130[][2] = { { 0, 0 }, { B31, 65 }, { B32, 130 } };
	static const long long late_120[][2] = { { 5 * B32, 0 }, { 5 * B32 + B31, 60 },
						  { 6 * B32, 120 } };
	static const long long late_130[][2] = { { 5 * B32, 0 }, { 5 * B32 + B31, 65 },
						  { 6 * B32, 130 } };
	long long window[TSYNC_PTP_WINDOW];
	struct tsync_ptp_history h;
	int i;

	/* 5000 first, then 4920 to 4990 and 5010 to 5070: median 5000, noise 40 */
	window[0] = 5000;
	for (i = 1; i < TSYNC_PTP_WINDOW; i++)
		window[i] = 5000 + (i <= 8 ? -90 + 10 * i : 10 * (i - 8));
	set_history(&h, at_120, 3, window, TSYNC_PTP_WINDOW);
	CU_ASSERT_EQUAL(tsync_ptp_slope(&h), 0);
	set_history(&h, at_130, 3, window, TSYNC_PTP_WINDOW);
	CU_ASSERT_EQUAL(tsync_ptp_slope(&h), 130);
	/* the drift is over the blocks' span, wherever it lies */
	set_history(&h, late_120, 3, window, TSYNC_PTP_WINDOW);
	CU_ASSERT_EQUAL(tsync_ptp_slope(&h), 0);
	set_history(&h, late_130, 3, window, TSYNC_PTP_WINDOW);
	CU_ASSERT_EQUAL(tsync_ptp_slope(&h), 130);
}

/*
 * With a slope, each middle is carried along it to the sync point's time
 * before the median: middles on a line of slope 2^-20, off it by +5, -3
 * and +1, fit the new sync point (on the line) at the line + 1; old as
 * they are in host time, they all count.
 */
static void test_carried_along_slope(void)
{
	static const long long blocks[][2] = { { 0, 0 }, { 1LL << 39, 1 << 19 },
					       { 1LL << 40, 1 << 20 } };
	static const long long off_line[] = { 5, -3, 1 };
	long long t = (1LL << 41) + 3 * (1LL << 30), line = t >> 20;
	struct tsync_ptp_history h;
	struct tsync_estimate est;
	int i;

	set_history(&h, blocks, 3, NULL, 0);
	for (i = 0; i < 3; i++) {
		long long ts = (1LL << 41) + i * (1LL << 30);

		h.window[i] = (struct tsync_ptp_point) { .ts = ts,
							 .offset = (ts >> 20) + off_line[i] };
	}
	h.nr_window = 3;
	CU_ASSERT_EQUAL(tsync_ptp_slope(&h), 1 << 12);
	est = proven(t, line - 1000, line + 1000, 1000000);
	tsync_ptp_refine(&h, &est);
	CU_ASSERT_TRUE(est.fitted);
	CU_ASSERT_EQUAL(est.offset, line + 1);
	CU_ASSERT_EQUAL(est.bound, 1001);
	CU_ASSERT_EQUAL(tsync_ptp_known(&h, 1000000), 4);
}

/* Every TSYNC_PTP_BLOCK sync points make one block: their median time and offset */
static void test_blocks(void)
{
	struct tsync_ptp_history h = {};
	struct tsync_estimate est;
	int i;

	for (i = 0; i < 3 * TSYNC_PTP_BLOCK - 1; i++) {
		/* middles 1000 to 1070 in a block, in this order: its median is 1040 */
		static const int order[TSYNC_PTP_BLOCK] = { 4, 0, 7, 1, 6, 2, 5, 3 };

		est = proven(i * INTERVAL, 0, 2000 + order[i % TSYNC_PTP_BLOCK] * 20, i);
		tsync_ptp_refine(&h, &est);
		CU_ASSERT_EQUAL(h.nr_block, (unsigned int)((i + 1) / TSYNC_PTP_BLOCK));
	}
	CU_ASSERT_EQUAL(h.nr_pending, TSYNC_PTP_BLOCK - 1);
	CU_ASSERT_EQUAL(h.block[1].ts, (TSYNC_PTP_BLOCK + TSYNC_PTP_BLOCK / 2) * INTERVAL);
	CU_ASSERT_EQUAL(h.block[1].offset, 1000 + TSYNC_PTP_BLOCK / 2 * 10);
	CU_ASSERT_EQUAL(h.block[1].host_ms, 2 * TSYNC_PTP_BLOCK - 1);
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
	CU_ASSERT_EQUAL(tsync_ptp_usual_width(&h), -1);
}

void add_ptp_fit_suite(void)
{
	CU_pSuite suite = CU_add_suite("ptp-fit", NULL, NULL);

	CU_add_test(suite, "the median of the middles", test_median_of_middles);
	CU_add_test(suite, "the usual interval", test_usual_width);
	CU_add_test(suite, "as narrow as usual", test_as_usual);
	CU_add_test(suite, "the next round of markers", test_next_round);
	CU_add_test(suite, "stale by host time", test_stale_by_host_time);
	CU_add_test(suite, "the slope", test_slope);
	CU_add_test(suite, "the slope stands out of the noise", test_slope_significance);
	CU_add_test(suite, "middles carried along the slope", test_carried_along_slope);
	CU_add_test(suite, "blocks of sync points", test_blocks);
	CU_add_test(suite, "lopsided sync points outvoted", test_lopsided_outvoted);
	CU_add_test(suite, "always within the bound", test_always_within_bound);
	CU_add_test(suite, "no drift, no slope", test_no_drift_no_slope);
	CU_add_test(suite, "drift followed", test_drift_followed);
	CU_add_test(suite, "stale middles left out", test_stale_middles_left_out);
	CU_add_test(suite, "step restarts the fit", test_step_restarts);
	CU_add_test(suite, "extreme values", test_extremes);
	CU_add_test(suite, "unproven estimates ignored", test_unproven_ignored);
}
