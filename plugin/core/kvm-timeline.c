// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync-kvm's timeline of one guest CPU: the TIME_SHIFT samples of the
 * TSC parameters of its vCPU, through that vCPU's offset writes.  One
 * implementation for both front ends: the plugin lays it sync point by
 * sync point, as writes arrive from the kvm_write_tsc_offset tracepoint;
 * apply lays it over a whole guest file, from a host trace's events.
 *
 * A constant offset needs one sample; a scaled one, one every
 * tsync_tsc_step() of guest time (tsc-math.c).  At a write the old
 * parameters hold up to the guest time just before it and the new ones
 * from its guest time on (tsync_tsc_handover()); samples already laid
 * past that point are void.
 */
#include "tsync/core.h"

static int add_sample(struct tsync_kvm_timeline *tl, unsigned long long guest)
{
	struct tsync_sample s = tsync_tsc_sample(&tl->tsc, guest);

	return tsync_samples_add(tl->samples, &s);
}

static unsigned long long last_time(const struct tsync_kvm_timeline *tl)
{
	return (unsigned long long)tl->samples->at[tl->samples->nr - 1].guest_ts;
}

/**
 * tsync_timeline_init - a timeline that lays its samples into @samples
 * @tl: the timeline
 * @tsc: the vCPU's parameters at its start
 * @samples: where its samples go (the timeline's, but not freed with it)
 */
void tsync_timeline_init(struct tsync_kvm_timeline *tl, const struct tsync_tsc *tsc,
			 struct tsync_samples *samples)
{
	*tl = (struct tsync_kvm_timeline){ .tsc = *tsc, .samples = samples };
}

/**
 * tsync_timeline_start - the first sample, at or before guest time @guest
 * @tl: a timeline without samples
 * @guest: the earliest guest time report must convert (a file's first event)
 *
 * report extrapolates before the first sample: not exact with scaling.
 * Returns 0, or -1 with errno set.
 */
int tsync_timeline_start(struct tsync_kvm_timeline *tl, unsigned long long guest)
{
	return add_sample(tl, tsync_tsc_sample_time_before(&tl->tsc, guest));
}

/**
 * tsync_timeline_lay_until - samples of the parameters in force up to @end
 * @tl: the timeline
 * @end: guest time
 * @exact: end exactly at @end (an offset write follows), or at the first
 *	   good sample time from there (so at or after @end)
 *
 * Returns 0, or -1 with errno set.
 */
int tsync_timeline_lay_until(struct tsync_kvm_timeline *tl, unsigned long long end, bool exact)
{
	unsigned long long step = tsync_tsc_step(&tl->tsc), g;

	if (tl->samples->nr && end <= last_time(tl))
		return 0;
	if (tl->samples->nr && tsync_tsc_scaled(&tl->tsc)) {
		for (g = last_time(tl); end - g > step; ) {
			g = tsync_tsc_sample_time(&tl->tsc, g + step);
			if (g >= end)
				break;
			if (add_sample(tl, g))
				return -1;
		}
	}
	return add_sample(tl, exact ? end : tsync_tsc_sample_time(&tl->tsc, end));
}

/**
 * tsync_timeline_write - an offset write to the timeline's vCPU
 * @tl: the timeline, with the parameters in force before @w
 * @w: the write (w->next is the new offset)
 *
 * Returns 0, or -1 with errno set.
 */
int tsync_timeline_write(struct tsync_kvm_timeline *tl, const struct tsync_offset_write *w)
{
	struct tsync_tsc next = tl->tsc;
	unsigned long long old_end, start;

	next.offset = w->next;
	start = tsync_tsc_handover(&tl->tsc, &next, w->host_ts, &old_end);
	tsync_samples_drop_from(tl->samples, start);
	if (old_end && tsync_timeline_lay_until(tl, old_end - 1, true))
		return -1;
	tl->tsc = next;
	return add_sample(tl, start);
}
