// SPDX-License-Identifier: LGPL-2.1
/*
 * How trace-cmd 3.1.6 report applies TIME_SHIFT samples to one guest CPU
 * (trace-input.c: timestamp_host_sync and timestamp_correction_calc), and
 * its inverse.  merge places guest events with it exactly where report
 * does; the unit tests judge tsync's samples by the integer arithmetic that
 * will really consume them.
 */
#include <stdlib.h>

#include "tsync/core.h"

/*
 * report's signed division, without its traps: it divides by the distance
 * of two samples, which wraps to -1 for samples 2^64 - 1 apart, and x86
 * traps on -2^63 / -1; two samples at one time divide by 0.
 * tsync_time_shift_decode() refuses samples 2^63 apart or more; here the
 * quotient wraps as the other ones do, and is 0 for a distance of 0.
 */
static long long divide(long long num, long long den)
{
	if (den == -1)
		return (long long)(0 - (unsigned long long)num);
	return den ? num / den : 0;
}

static unsigned long long correct(unsigned long long ts, bool interpolate,
				  const struct tsync_sample *min,
				  const struct tsync_sample *max)
{
	long long tscor;

	/* report's signed products wrap on x86: here without undefined behaviour */
	if (interpolate) {
		long long delta = (long long)((unsigned long long)max->guest_ts - min->guest_ts);
		unsigned long long x = (ts - min->guest_ts) *
				       ((unsigned long long)max->offset - min->offset);

		tscor = (long long)((unsigned long long)min->offset +
				    (unsigned long long)divide((long long)(x + delta / 2), delta));
	} else {
		tscor = min->offset;
	}
	ts = (ts * min->scaling) >> min->frac;
	/* report's ts - llabs(tscor) for a negative one: the same modulo 2^64 */
	return ts + (unsigned long long)tscor;
}

/**
 * tsync_report_host_time - the host time report gives guest time @ts
 * @s: samples sorted by guest time, distinct times
 * @n: how many, at least 1
 * @interpolate: the TIME_SHIFT's interpolate flag
 * @ts: guest time
 */
unsigned long long tsync_report_host_time(const struct tsync_sample *s, int n,
					  bool interpolate, unsigned long long ts)
{
	int lo, hi, mid;

	if (n == 1)
		return ts + s[0].offset;
	if (n == 2 || ts <= (unsigned long long)s[0].guest_ts)
		return correct(ts, interpolate, &s[0], &s[1]);
	if (ts >= (unsigned long long)s[n - 1].guest_ts)
		return correct(ts, interpolate, &s[n - 2], &s[n - 1]);
	lo = 0;
	hi = n - 1;
	mid = (lo + hi) / 2;
	while (lo <= hi) {
		if (ts < (unsigned long long)s[mid].guest_ts)
			hi = mid - 1;
		else if (ts > (unsigned long long)s[mid].guest_ts)
			lo = mid + 1;
		else
			break;
		mid = (lo + hi) / 2;
	}
	return correct(ts, interpolate, &s[mid], &s[mid + 1]);
}

/**
 * tsync_report_guest_time - the guest time report would show as @host
 * @s: samples sorted by guest time, distinct times
 * @n: how many, at least 1
 * @interpolate: the TIME_SHIFT's interpolate flag
 * @host: host time
 *
 * The latest guest time g with host(g) <= @host, found near the guest time
 * the offsets around @host point to; where the samples make host time go
 * back, the nearest such g.
 */
unsigned long long tsync_report_guest_time(const struct tsync_sample *s, int n,
					   bool interpolate, unsigned long long host)
{
	unsigned long long g = host, prev;
	int i, steps;

	/* host - offset, the offset taken where the last guess was */
	for (i = 0; i < 64; i++) {
		prev = g;
		g = host - (tsync_report_host_time(s, n, interpolate, g) - g);
		if (g == prev)
			break;
	}
	for (steps = 0; steps < 4096 && tsync_report_host_time(s, n, interpolate, g) > host; steps++)
		g--;
	for (steps = 0; steps < 4096 && tsync_report_host_time(s, n, interpolate, g + 1) <= host;
	     steps++)
		g++;
	return g;
}
