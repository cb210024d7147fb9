// SPDX-License-Identifier: LGPL-2.1
/*
 * The offset of a guest clock, from PTP-like probes.
 *
 * A probe is the host's clock before a request (t1) and after the reply
 * (t4), and the guest's clock when the request arrived (t2) and before the
 * reply left (t3).  Causality alone bounds the offset (host - guest):
 *
 *	t1 - t2  <  offset  <  t4 - t3
 *
 * whatever the delays, symmetric or not.  Intersecting the intervals of all
 * probes keeps the tightest pair: the fastest path in each direction, even
 * when they come from different probes.  The estimate is the middle of that
 * interval and its half-width is a proven error bound.
 *
 * If the intervals do not intersect (the clocks drifted or stepped during
 * the sync point, or the peer lies), the estimate falls back to the median
 * of the fastest quarter of the probes, and says that its bound is not proven.
 *
 * The middle is unbiased but noisy; ptp-fit.c steadies it with the
 * session's other sync points, inside the proven interval.
 *
 * Pure arithmetic, no I/O: tests/unit/test-ptp-estimator.c drives it.
 */
#include <limits.h>
#include <stdlib.h>

#include "tsync/core.h"

struct probe_window {
	long long	lower;		/* t1 - t2 */
	long long	upper;		/* t4 - t3 */
	long long	delay;		/* round trip minus the guest's turnaround */
};

/* Reject probes that violate causality or would overflow the arithmetic */
static bool probe_window(const struct tsync_probe *p, struct probe_window *w)
{
	long long turn, rtt;

	if (p->host_recv < p->host_send || p->guest_send < p->guest_recv)
		return false;
	if (__builtin_sub_overflow(p->host_send, p->guest_recv, &w->lower) ||
	    __builtin_sub_overflow(p->host_recv, p->guest_send, &w->upper) ||
	    __builtin_sub_overflow(p->host_recv, p->host_send, &rtt) ||
	    __builtin_sub_overflow(p->guest_send, p->guest_recv, &turn))
		return false;
	w->delay = rtt - turn;
	return w->delay >= 0;
}

/**
 * tsync_ptp_bounds - narrow an offset interval with one more probe
 * @p: the probe
 * @lower: in and out: the interval's lower end; LLONG_MIN for none yet
 * @upper: in and out: its upper end; LLONG_MAX for none yet
 *
 * For callers that follow the interval while they probe, at no cost.
 * Returns false, and leaves the interval alone, for a probe that breaks
 * causality.
 */
bool tsync_ptp_bounds(const struct tsync_probe *p, long long *lower, long long *upper)
{
	struct probe_window w;

	if (!probe_window(p, &w))
		return false;
	if (w.lower > *lower)
		*lower = w.lower;
	if (w.upper < *upper)
		*upper = w.upper;
	return true;
}

/* Peers send any values: no sum or difference of two may overflow */
static long long midpoint(long long a, long long b)
{
	return (long long)(((__int128)a + b) / 2);
}

static long long saturating_sub(long long a, long long b)
{
	long long d;

	if (__builtin_sub_overflow(a, b, &d))
		return b < 0 ? LLONG_MAX : LLONG_MIN;
	return d;
}

static int by_delay(const void *a, const void *b)
{
	const struct probe_window *x = a, *y = b;

	return (x->delay > y->delay) - (x->delay < y->delay);
}

static int by_offset(const void *a, const void *b)
{
	const long long *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

/* Median offset of the fastest quarter; sorts @w */
static void estimate_fastest(struct probe_window *w, int n, struct tsync_estimate *est)
{
	long long offsets[n];
	long long spread;
	int keep, i;

	qsort(w, n, sizeof(*w), by_delay);
	keep = n / 4 > 0 ? n / 4 : 1;
	for (i = 0; i < keep; i++)
		offsets[i] = midpoint(w[i].lower, w[i].upper);
	qsort(offsets, keep, sizeof(offsets[0]), by_offset);
	est->offset = offsets[keep / 2];
	spread = saturating_sub(offsets[keep - 1], offsets[0]);
	est->bound = spread > LLONG_MAX - w[keep - 1].delay / 2 ? LLONG_MAX :
		     w[keep - 1].delay / 2 + spread;
	est->used = keep;
	est->bounded = false;
}

/**
 * tsync_ptp_estimate - estimate host - guest from a set of probes
 * @probes: the probes, in the order they were sent
 * @count: number of probes
 * @est: returns the estimate
 *
 * Returns 0, or -1 when no probe is usable.
 */
int tsync_ptp_estimate(const struct tsync_probe *probes, int count,
		       struct tsync_estimate *est)
{
	long long lower = 0, upper = 0;
	long long first = 0, last = 0;
	struct probe_window *w;
	int n = 0, fastest = 0, i;

	if (count <= 0)
		return -1;
	w = malloc(count * sizeof(*w));
	if (!w)
		return -1;
	for (i = 0; i < count; i++) {
		if (!probe_window(&probes[i], &w[n]))
			continue;
		if (!n || w[n].lower > lower)
			lower = w[n].lower;
		if (!n || w[n].upper < upper)
			upper = w[n].upper;
		if (w[n].delay < w[fastest].delay)
			fastest = n;
		if (!n)
			first = probes[i].guest_recv;
		last = probes[i].guest_send;
		n++;
	}
	if (!n) {
		free(w);
		return -1;
	}

	*est = (struct tsync_estimate) { .guest_ts = midpoint(first, last) };
	est->lower = lower;
	est->upper = upper;
	est->fastest = midpoint(w[fastest].lower, w[fastest].upper);
	if (lower <= upper) {
		est->offset = midpoint(lower, upper);
		est->bound = est->offset - lower > upper - est->offset ?
			     est->offset - lower : upper - est->offset;
		est->used = n;
		est->bounded = true;
	} else {
		estimate_fastest(w, n, est);
	}
	free(w);
	return 0;
}

/**
 * tsync_ptp_spread - a guest CPU's estimate from CPU 0's and their clocks' gap
 * @base: CPU 0's estimate (host - clock 0)
 * @lower: lower end of the gap, clock 0 - clock N, as the guest measured it
 * @upper: its upper end; below @lower when the guest could not measure it
 * @est: returns CPU N's estimate (host - clock N)
 *
 * The guest compares its CPUs' clocks with CPU 0's itself, where a round
 * trip from CPU to CPU is far shorter than one over the network: host -
 * clock N is host - clock 0 plus the gap, and their intervals add.
 *
 * Returns 0, or -1 for a gap that was not measured or would overflow.
 */
int tsync_ptp_spread(const struct tsync_estimate *base, long long lower, long long upper,
		     struct tsync_estimate *est)
{
	__int128 half;
	long long gap;

	if (lower > upper)
		return -1;
	gap = midpoint(lower, upper);
	half = (__int128)upper - gap > (__int128)gap - lower ? (__int128)upper - gap :
							     (__int128)gap - lower;
	*est = *base;
	if (half > LLONG_MAX ||
	    __builtin_add_overflow(base->offset, gap, &est->offset) ||
	    __builtin_sub_overflow(base->guest_ts, gap, &est->guest_ts) ||
	    __builtin_add_overflow(base->fastest, gap, &est->fastest) ||
	    __builtin_add_overflow(base->lower, lower, &est->lower) ||
	    __builtin_add_overflow(base->upper, upper, &est->upper) ||
	    __builtin_add_overflow(base->bound, (long long)half, &est->bound))
		return -1;
	return 0;
}
