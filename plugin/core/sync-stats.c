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

/**
 * tsync_sample_offset - host - guest at a sample, scaling included
 * @s: the sample
 */
long long tsync_sample_offset(const struct tsync_sample *s)
{
	s128 t = s->guest_ts;
	s128 host = ((t * s->scaling) >> s->frac) + s->offset;

	return (long long)(host - t);
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

	memset(st, 0, sizeof(*st));
	st->samples = n;
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
		mt += (double)(cpu->at[i].guest_ts - cpu->at[0].guest_ts) / n;
		mo += (double)(off - tsync_sample_offset(&cpu->at[0])) / n;
	}
	for (i = 0; i < n; i++) {
		t = (double)(cpu->at[i].guest_ts - cpu->at[0].guest_ts) - mt;
		o = (double)(tsync_sample_offset(&cpu->at[i]) - tsync_sample_offset(&cpu->at[0])) - mo;
		stt += t * t;
		sto += t * o;
	}
	if (n < 2 || stt == 0)
		return;
	st->drift_ppm = sto / stt * 1e6;
	for (i = 0; i < n; i++) {
		t = (double)(cpu->at[i].guest_ts - cpu->at[0].guest_ts) - mt;
		o = (double)(tsync_sample_offset(&cpu->at[i]) - tsync_sample_offset(&cpu->at[0])) - mo;
		r = o - sto / stt * t;
		sq += r * r;
	}
	st->jitter = sqrt(sq / n);
}

/* "key=" then a number up to the next blank; advances *p */
