// SPDX-License-Identifier: LGPL-2.1
/*
 * What a guest CPU's TIME_SHIFT samples say about the sync: the offset's
 * range, its drift (the slope of a least-squares line through it) and its
 * jitter (the RMS distance from that line).
 *
 * Pure arithmetic: tests/unit/test-sync-stats.c.
 */
#include <math.h>
#include <string.h>

#include "tsync/core.h"

typedef __int128 s128;

/* a - b, which may not fit in 64 bits */
static double diff(long long a, long long b)
{
	return (double)((s128)a - b);
}

/**
 * tsync_sync_stats - figures of one CPU's samples
 * @cpu: the samples, in any order
 * @st: returns the figures; drift and jitter are 0 below two samples
 */
void tsync_sync_stats(const struct tsync_samples *cpu, struct tsync_sync_stats *st)
{
	double mt = 0, mo = 0, stt = 0, sto = 0, sq = 0, t, o, r;
	int i, n = cpu->nr;
	long long off0;

	memset(st, 0, sizeof(*st));
	st->samples = n;
	if (!n)
		return;
	off0 = tsync_sample_offset(&cpu->at[0]);
	for (i = 0; i < n; i++) {
		long long off = tsync_sample_offset(&cpu->at[i]);

		if (!i || cpu->at[i].guest_ts < st->first_ts)
			st->first_ts = cpu->at[i].guest_ts;
		if (!i || cpu->at[i].guest_ts > st->last_ts)
			st->last_ts = cpu->at[i].guest_ts;
		if (!i || off < st->min_offset)
			st->min_offset = off;
		if (!i || off > st->max_offset)
			st->max_offset = off;
		/* relative to the first sample: keeps doubles precise */
		mt += diff(cpu->at[i].guest_ts, cpu->at[0].guest_ts) / n;
		mo += diff(off, off0) / n;
	}
	st->span = (unsigned long long)st->last_ts - (unsigned long long)st->first_ts;
	for (i = 0; i < n; i++) {
		t = diff(cpu->at[i].guest_ts, cpu->at[0].guest_ts) - mt;
		o = diff(tsync_sample_offset(&cpu->at[i]), off0) - mo;
		stt += t * t;
		sto += t * o;
	}
	if (n < 2 || stt == 0)
		return;
	st->drift_ppm = sto / stt * 1e6;
	st->fit_first = mo - sto / stt * mt;
	for (i = 0; i < n; i++) {
		t = diff(cpu->at[i].guest_ts, cpu->at[0].guest_ts) - mt;
		o = diff(tsync_sample_offset(&cpu->at[i]), off0) - mo;
		r = o - sto / stt * t;
		sq += r * r;
	}
	st->jitter = sqrt(sq / n);
}

/* "key=" then a number up to the next blank; advances *p */
