// SPDX-License-Identifier: LGPL-2.1
/*
 * What a guest CPU's TIME_SHIFT samples say about the sync: the offset's
 * range, its drift (the slope of a least-squares line through it) and its
 * jitter (the RMS distance from that line); and the error bound lines that
 * tsync-ptp leaves in the guest's trace:
 *
 *	tsync-sync: proto=tsync-ptp cpu=<cpu> ts=<guest> offset=<o> bound=<b>
 *
 * Pure arithmetic and parsing: tests/unit/test-sync-stats.c.
 */
#include <math.h>
#include <string.h>

#include "tsync/offline.h"

typedef __int128 s128;

/**
 * tsync_sample_offset - host - guest at sample @i, scaling included
 * @cpu: the CPU's samples
 * @i: which
 */
long long tsync_sample_offset(const struct clock_sync_offsets *cpu, int i)
{
	s128 t = cpu->sync_ts[i];
	s128 host = ((t * cpu->sync_scalings[i]) >> cpu->sync_frac[i]) + cpu->sync_offsets[i];

	return (long long)(host - t);
}

/**
 * tsync_sync_stats - figures of one CPU's samples
 * @cpu: the samples, in any order
 * @st: returns the figures; drift and jitter are 0 below two samples
 */
void tsync_sync_stats(const struct clock_sync_offsets *cpu, struct tsync_sync_stats *st)
{
	double mt = 0, mo = 0, stt = 0, sto = 0, sq = 0, t, o, r;
	int i, n = cpu->sync_count;

	memset(st, 0, sizeof(*st));
	st->samples = n;
	for (i = 0; i < n; i++) {
		long long off = tsync_sample_offset(cpu, i);

		if (!i || cpu->sync_ts[i] < st->first_ts)
			st->first_ts = cpu->sync_ts[i];
		if (!i || cpu->sync_ts[i] > st->last_ts)
			st->last_ts = cpu->sync_ts[i];
		if (!i || off < st->min_offset)
			st->min_offset = off;
		if (!i || off > st->max_offset)
			st->max_offset = off;
		/* relative to the first sample: keeps doubles precise */
		mt += (double)(cpu->sync_ts[i] - cpu->sync_ts[0]) / n;
		mo += (double)(off - tsync_sample_offset(cpu, 0)) / n;
	}
	for (i = 0; i < n; i++) {
		t = (double)(cpu->sync_ts[i] - cpu->sync_ts[0]) - mt;
		o = (double)(tsync_sample_offset(cpu, i) - tsync_sample_offset(cpu, 0)) - mo;
		stt += t * t;
		sto += t * o;
	}
	if (n < 2 || stt == 0)
		return;
	st->drift_ppm = sto / stt * 1e6;
	for (i = 0; i < n; i++) {
		t = (double)(cpu->sync_ts[i] - cpu->sync_ts[0]) - mt;
		o = (double)(tsync_sample_offset(cpu, i) - tsync_sample_offset(cpu, 0)) - mo;
		r = o - sto / stt * t;
		sq += r * r;
	}
	st->jitter = sqrt(sq / n);
}

/* "key=" then a number up to the next blank; advances *p */
static int take_field(const char **p, const char *end, const char *key, bool is_signed,
		      long long *val)
{
	size_t klen = strlen(key);
	const char *v;

	while (*p < end && **p == ' ')
		(*p)++;
	if ((size_t)(end - *p) <= klen || strncmp(*p, key, klen))
		return -1;
	v = *p + klen;
	for (*p = v; *p < end && **p != ' ' && **p != '\n'; (*p)++)
		;
	return tsync_parse_number(v, *p - v, is_signed, val);
}

/**
 * tsync_sync_line_parse - read one bound line of tsync-ptp
 * @text: the print event's text, not necessarily NUL-terminated
 * @len: its length
 * @l: returns the fields
 *
 * Returns 0, or -1 when @text is not such a line, or a field is wrong.
 */
int tsync_sync_line_parse(const char *text, size_t len, struct tsync_sync_line *l)
{
	const char *p = text, *end = text + len, *name;
	size_t plen = strlen(TSYNC_SYNC_PREFIX);
	long long cpu;

	while (end > p && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\0'))
		end--;
	if (len < plen || strncmp(p, TSYNC_SYNC_PREFIX, plen))
		return -1;
	p += plen;
	while (p < end && *p == ' ')
		p++;
	if (end - p < 6 || strncmp(p, "proto=", 6))
		return -1;
	for (name = p += 6; p < end && *p != ' '; p++)
		;
	if (p == name || (size_t)(p - name) >= sizeof(l->proto))
		return -1;
	memcpy(l->proto, name, p - name);
	l->proto[p - name] = '\0';
	if (take_field(&p, end, "cpu=", false, &cpu) || cpu > 1 << 20 ||
	    take_field(&p, end, "ts=", false, &l->ts) ||
	    take_field(&p, end, "offset=", true, &l->offset) ||
	    take_field(&p, end, "bound=", true, &l->bound) || l->bound < -1)
		return -1;
	while (p < end && *p == ' ')
		p++;
	l->cpu = (int)cpu;
	return p == end ? 0 : -1;
}
