// SPDX-License-Identifier: LGPL-2.1
/*
 * The offset of a guest clock over a session: a robust line through the
 * sync points, clamped into each one's proven interval.
 *
 * One sync point's interval middle is unbiased but noisy: it rests on the
 * fastest way out and the fastest way back, and when one of them was much
 * faster or slower than usual (a busy CPU, a receiver that was not asleep)
 * the middle moves by microseconds.  Over a few sync points the offset
 * follows a line (the clocks' frequencies differ by a steady amount), so:
 *
 *  - frequency: the sync points are taken in blocks of TSYNC_PTP_BLOCK; the
 *    slope is the median of the slopes between the medians of any two of
 *    the last TSYNC_PTP_BLOCKS blocks (Theil-Sen), used only once three
 *    blocks exist and only when the drift it predicts over their span
 *    stands out of the noise of the sync points;
 *  - offset: the median of the last TSYNC_PTP_WINDOW middles, each carried
 *    along the slope to the sync point's time.  Without a slope, only the
 *    middles of the last TSYNC_PTP_STALE_MS count: sync points seconds
 *    apart would otherwise carry a drift of a few ppm, microseconds, into
 *    the median unseen;
 *  - bound: the estimate is clamped into the sync point's own interval
 *    [lower, upper], so max(offset - lower, upper - offset) is still proven.
 *
 * The guest's CPUs share one clock (trace-cmd merges their events on one
 * timeline), so the sync points of all CPUs make one history; each CPU's
 * own interval still clamps its estimate.  When the fit misses the proven
 * interval twice in a row, the clock stepped: the history starts again.
 *
 * Pure arithmetic, no I/O: tests/unit/test-ptp-estimator.c drives it.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tsync/core.h"

/* Slopes are fixed point: offset units per guest clock unit, times 2^32 */
#define SLOPE_ONE	((__int128)1 << 32)

/* The drift over the blocks must exceed this many times the noise */
#define SLOPE_SIGNIFICANCE	3

static long long saturate(__int128 v)
{
	return v > LLONG_MAX ? LLONG_MAX : v < LLONG_MIN ? LLONG_MIN : (long long)v;
}

static int by_value(const void *a, const void *b)
{
	const long long *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

/* Median of @n values; sorts them */
static long long median(long long *v, int n)
{
	qsort(v, n, sizeof(*v), by_value);
	return v[n / 2];
}

static unsigned int kept(unsigned int nr, unsigned int size)
{
	return nr < size ? nr : size;
}

/* @offset at @ts, carried along @slope to @to */
static long long carry(const struct tsync_ptp_point *p, long long slope, long long to)
{
	__int128 dt = (__int128)to - p->ts;

	return saturate(p->offset + dt * slope / SLOPE_ONE);
}

/* Median absolute deviation of the window's offsets from their median */
static long long window_noise(const struct tsync_ptp_history *h)
{
	unsigned int n = kept(h->nr_window, TSYNC_PTP_WINDOW), i;
	long long v[TSYNC_PTP_WINDOW], mid;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		v[i] = h->window[i].offset;
	mid = median(v, n);
	for (i = 0; i < n; i++)
		v[i] = saturate(h->window[i].offset > mid ?
				(__int128)h->window[i].offset - mid :
				(__int128)mid - h->window[i].offset);
	return median(v, n);
}

/**
 * tsync_ptp_slope - the drift of the offset, fitted over the blocks
 * @h: the session's history
 *
 * Returns the offset's change per guest clock unit, times 2^32; 0 until three
 * blocks exist, or while the drift they show is lost in the noise.
 */
long long tsync_ptp_slope(const struct tsync_ptp_history *h)
{
	unsigned int n = kept(h->nr_block, TSYNC_PTP_BLOCKS), i, j, ns = 0;
	long long slopes[TSYNC_PTP_BLOCKS * (TSYNC_PTP_BLOCKS - 1) / 2];
	long long first, last, slope;
	__int128 drift;

	if (n < 3)
		return 0;
	first = last = h->block[0].ts;
	for (i = 0; i < n; i++) {
		const struct tsync_ptp_point *a = &h->block[i];

		first = a->ts < first ? a->ts : first;
		last = a->ts > last ? a->ts : last;
		for (j = i + 1; j < n; j++) {
			const struct tsync_ptp_point *b = &h->block[j];
			__int128 dt = (__int128)b->ts - a->ts;

			if (dt)
				slopes[ns++] = saturate(((__int128)b->offset - a->offset) *
							SLOPE_ONE / dt);
		}
	}
	if (!ns)
		return 0;
	slope = median(slopes, ns);
	drift = ((__int128)last - first) * slope / SLOPE_ONE;
	if (drift < 0)
		drift = -drift;
	return drift > (__int128)SLOPE_SIGNIFICANCE * window_noise(h) ? slope : 0;
}

/* Whether the window's middle @i still counts at @host_ms, given @slope */
static bool fresh(const struct tsync_ptp_history *h, unsigned int i, long long slope,
		  long long host_ms)
{
	return slope || host_ms - h->window[i].host_ms <= TSYNC_PTP_STALE_MS;
}

/* The fit at @ts, @host_ms: the window's median, carried along the slope */
static long long predict(const struct tsync_ptp_history *h, long long ts, long long host_ms)
{
	unsigned int n = kept(h->nr_window, TSYNC_PTP_WINDOW), i, used = 0;
	long long slope = tsync_ptp_slope(h);
	long long v[TSYNC_PTP_WINDOW];

	for (i = 0; i < n; i++)
		if (fresh(h, i, slope, host_ms))
			v[used++] = carry(&h->window[i], slope, ts);
	return median(v, used);
}

/* A full block becomes one point of the frequency fit: its medians */
static void close_block(struct tsync_ptp_history *h)
{
	long long ts[TSYNC_PTP_BLOCK], offset[TSYNC_PTP_BLOCK];
	int i;

	for (i = 0; i < TSYNC_PTP_BLOCK; i++) {
		ts[i] = h->pending[i].ts;
		offset[i] = h->pending[i].offset;
	}
	h->block[h->nr_block++ % TSYNC_PTP_BLOCKS] = (struct tsync_ptp_point) {
		.ts = median(ts, TSYNC_PTP_BLOCK),
		.offset = median(offset, TSYNC_PTP_BLOCK),
		.host_ms = h->pending[TSYNC_PTP_BLOCK - 1].host_ms,
	};
	h->nr_pending = 0;
}

static void add_point(struct tsync_ptp_history *h, const struct tsync_estimate *est)
{
	struct tsync_ptp_point p = {
		.ts = est->guest_ts,
		.offset = est->offset,
		.host_ms = est->host_ms,
	};

	h->window[h->nr_window++ % TSYNC_PTP_WINDOW] = p;
	h->pending[h->nr_pending++] = p;
	if (h->nr_pending == TSYNC_PTP_BLOCK)
		close_block(h);
}

/*
 * The fit missed twice in a row: the clock stepped, or drifted faster than
 * the slope knew.  The window starts again from this sync point; the blocks
 * stay, so that a drift is learnt.
 */
static void restart(struct tsync_ptp_history *h, const struct tsync_estimate *est)
{
	h->nr_window = 0;
	h->nr_pending = 0;
	h->missed = 0;
	add_point(h, est);
}

/**
 * tsync_ptp_refine - the session's fit at a sync point, within its interval
 * @h: the session's history; updated
 * @est: an estimate from tsync_ptp_estimate(); its offset may change
 *
 * Only a proven (bounded) estimate is refined, and it stays inside its
 * interval, so its bound still holds; est->fitted says it came from the fit.
 */
void tsync_ptp_refine(struct tsync_ptp_history *h, struct tsync_estimate *est)
{
	long long fit;

	if (!est->bounded)
		return;
	h->width[h->nr_width++ % TSYNC_PTP_WIDTHS] = saturate((__int128)est->upper - est->lower);
	add_point(h, est);
	fit = predict(h, est->guest_ts, est->host_ms);
	if (fit < est->lower || fit > est->upper) {
		/* the fit is proven wrong here: the middle is the best guess */
		if (++h->missed >= 2)
			restart(h, est);
		return;
	}
	h->missed = 0;
	est->offset = fit;
	est->bound = saturate(est->offset - (__int128)est->lower >
			      (__int128)est->upper - est->offset ?
			      est->offset - (__int128)est->lower :
			      (__int128)est->upper - est->offset);
	est->fitted = true;
}

/**
 * tsync_ptp_usual_width - how narrow recent sync points' intervals were
 * @h: the session's history
 *
 * The first quartile of the widths of the last TSYNC_PTP_WIDTHS
 * intervals: narrower than most, yet reached often, unlike the narrowest,
 * which a round seldom reaches before it runs out of probes.  Returns -1
 * before the first sync point.
 */
long long tsync_ptp_usual_width(const struct tsync_ptp_history *h)
{
	unsigned int n = kept(h->nr_width, TSYNC_PTP_WIDTHS);
	long long v[TSYNC_PTP_WIDTHS];

	if (!n)
		return -1;
	memcpy(v, h->width, n * sizeof(*v));
	qsort(v, n, sizeof(*v), by_value);
	return v[n / 4];
}

/**
 * tsync_ptp_as_usual - whether an interval is as narrow as the usual one
 * @width: the interval's width, upper - lower
 * @usual: tsync_ptp_usual_width(), > 0
 *
 * With 5% to spare: the probes that would narrow it further are rare.
 */
bool tsync_ptp_as_usual(unsigned long long width, long long usual)
{
	return width <= (unsigned long long)usual + (unsigned long long)usual / 20;
}

/* The first probes of a round whose interval is as narrow as @usual; @count + 1: never */
static int probes_needed(const struct tsync_probe *probes, int count, long long usual)
{
	long long lower = LLONG_MIN, upper = LLONG_MAX;
	int i;

	for (i = 0; i < count; i++) {
		tsync_ptp_bounds(&probes[i], &lower, &upper);
		if (lower <= upper && tsync_ptp_as_usual((unsigned long long)upper - lower, usual))
			return i + 1;
	}
	return count + 1;
}

/**
 * tsync_ptp_next_round - the probes of the next round that cannot stop itself
 * @probes: this round's probes, in the order they were sent
 * @count: their number
 * @usual: tsync_ptp_usual_width(), -1 if none yet
 * @least: the fewest probes of a round
 * @most: the usual probes of a round, >= @least
 *
 * The probes this round needed to be as narrow as @usual, and half again,
 * from @least to @most: a round that never got there asks for more.
 */
int tsync_ptp_next_round(const struct tsync_probe *probes, int count, long long usual,
			 int least, int most)
{
	int needed = usual > 0 ? probes_needed(probes, count, usual) : count + 1;
	int next = needed + needed / 2;

	if (next < least)
		return least;
	return next < most ? next : most;
}

/**
 * tsync_ptp_known - the middles of the history that still count
 * @h: the session's history
 * @host_ms: the host's monotonic time now, in ms
 *
 * The session's first sync points, and the first after a pause longer
 * than TSYNC_PTP_STALE_MS while no slope is known, warm the history up.
 */
unsigned int tsync_ptp_known(const struct tsync_ptp_history *h, long long host_ms)
{
	unsigned int n = kept(h->nr_window, TSYNC_PTP_WINDOW), i, known = 0;
	long long slope = tsync_ptp_slope(h);

	for (i = 0; i < n; i++)
		known += fresh(h, i, slope, host_ms);
	return known;
}
