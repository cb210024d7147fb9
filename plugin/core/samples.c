// SPDX-License-Identifier: LGPL-2.1
/*
 * One guest CPU's TIME_SHIFT samples, kept in guest time order: report
 * looks them up with a binary search, so a sample earlier than the last
 * one (a guest whose clock went back, or that lies) would make it pick
 * wrong ones, and is refused.  Samples are only appended or dropped from
 * the end; @dirty remembers the first one changed, so that a front end
 * copies only those.  It never passes @nr: only a drop can move it back.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "tsync/core.h"

/**
 * tsync_samples_add - append one sample
 * @ss: the CPU's samples
 * @s: the sample
 *
 * Returns 0, or -1 with errno set: ERANGE for a sample before the last
 * one, ENOMEM if memory ran out.
 */
int tsync_samples_add(struct tsync_samples *ss, const struct tsync_sample *s)
{
	if (ss->nr && s->guest_ts < ss->at[ss->nr - 1].guest_ts) {
		errno = ERANGE;
		return -1;
	}
	if (tsync_array_room(&ss->at, &ss->size, ss->nr, sizeof(*ss->at), 16))
		return -1;
	ss->at[ss->nr++] = *s;
	return 0;
}

/**
 * tsync_samples_drop_from - forget the samples from guest time @start on
 * @ss: the CPU's samples
 * @start: where an offset write took over
 *
 * Returns how many samples are kept.
 */
int tsync_samples_drop_from(struct tsync_samples *ss, unsigned long long start)
{
	while (ss->nr && (unsigned long long)ss->at[ss->nr - 1].guest_ts >= start)
		ss->nr--;
	if (ss->dirty > ss->nr)
		ss->dirty = ss->nr;
	return ss->nr;
}

typedef __int128 s128;

/* host - guest at @s, scaling included, in 128 bits */
static s128 wide_offset(const struct tsync_sample *s)
{
	s128 t = s->guest_ts;

	return ((t * s->scaling) >> s->frac) + s->offset - t;
}

/**
 * tsync_sample_offset - host - guest at a sample, scaling included
 * @s: the sample
 *
 * Exact for the samples tsync_time_shift_decode() accepts.
 */
long long tsync_sample_offset(const struct tsync_sample *s)
{
	return (long long)wide_offset(s);
}

/* Whether host - guest at @s fits in 64 bits, as report computes it */
bool tsync_sample_offset_fits(const struct tsync_sample *s)
{
	s128 o = wide_offset(s);

	return o >= LLONG_MIN && o <= LLONG_MAX;
}

/* Every sample is where the front end copied it to */
void tsync_samples_clean(struct tsync_samples *ss)
{
	ss->dirty = ss->nr;
}

void tsync_samples_free(struct tsync_samples *ss)
{
	free(ss->at);
	ss->at = NULL;
	ss->nr = ss->dirty = 0;
	ss->size = 0;
}

/* The lists of @nr CPUs, and the array that holds them (NULL: nothing) */
void tsync_samples_free_cpus(struct tsync_samples *cpus, int nr)
{
	int i;

	for (i = 0; cpus && i < nr; i++)
		tsync_samples_free(&cpus[i]);
	free(cpus);
}
