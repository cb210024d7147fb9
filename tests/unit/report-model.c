// SPDX-License-Identifier: LGPL-2.1
/*
 * A model of how trace-cmd 3.1.6 report applies TIME_SHIFT samples to one
 * guest CPU (trace-input.c: timestamp_host_sync and
 * timestamp_correction_calc), for the unit tests: tsync's samples are
 * judged by the integer arithmetic that will really consume them.
 */
#include <stdlib.h>

#include "unit.h"

static unsigned long long correct(unsigned long long ts, bool interpolate,
				  const struct tsync_sample *min,
				  const struct tsync_sample *max)
{
	long long tscor;

	if (interpolate) {
		long long delta = max->guest_ts - min->guest_ts;
		long long x = ((long long)ts - min->guest_ts) * (max->offset - min->offset);

		tscor = min->offset + (x + delta / 2) / delta;
	} else {
		tscor = min->offset;
	}
	ts = (ts * min->scaling) >> min->frac;
	return tscor < 0 ? ts - llabs(tscor) : ts + tscor;
}

/* @s: samples sorted by guest time, distinct times, @n >= 1 */
unsigned long long report_host_time(const struct tsync_sample *s, int n,
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
