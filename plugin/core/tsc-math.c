// SPDX-License-Identifier: LGPL-2.1
/*
 * KVM's TSC arithmetic and its inverse, as TIME_SHIFT samples.
 *
 * KVM runs a guest with
 *
 *	guest = (host * ratio >> frac) + offset		(mod 2^64)
 *
 * and trace-cmd report turns a guest timestamp t back into host time with
 * the samples (t_i, o_i) around it, in 64-bit integers:
 *
 *	host = t + o_0 + ((t - t_0) * (o_1 - o_0) + Δ/2) / Δ,  Δ = t_1 - t_0
 *
 * (scaling 1, fraction 0, and the interpolate flag).  Without scaling the
 * offset is the constant -offset and two samples are exact.  With scaling,
 * host - t is a line of slope 2^frac / ratio - 1 in t; samples on it, no
 * further apart than tsync_tsc_step(), keep the product in 64 bits, and
 * rounding each sample to the nearest cycle keeps report within a cycle of
 * the exact inverse.  report rounds the quotient up when it is negative, so
 * on a falling line the samples sit one cycle low to compensate.
 *
 * Samples hold exactly only while host - t fits in report's signed 64 bits
 * and one cycle's change of it keeps report's product in range:
 * tsync_tsc_inexact() says where parameters leave that.
 *
 * Pure arithmetic: tests/unit/test-tsc-math.c checks it against a model of
 * report at the extremes.
 */
#include <limits.h>

#include "tsync/core.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

bool tsync_tsc_scaled(const struct tsync_tsc *tsc)
{
	return tsc->ratio != 1ULL << tsc->frac;
}

/**
 * tsync_tsc_valid - whether KVM could have produced @tsc
 * @tsc: parameters read from debugfs or the trace
 *
 * A zero ratio, or fraction bits beyond 63, cannot be inverted.
 */
bool tsync_tsc_valid(const struct tsync_tsc *tsc)
{
	return tsc->frac < 64 && tsc->ratio != 0;
}

unsigned long long tsync_tsc_guest(const struct tsync_tsc *tsc, unsigned long long host)
{
	return (unsigned long long)(((u128)host * tsc->ratio) >> tsc->frac) + tsc->offset;
}

/* The exact host time of @guest, as a fraction num / ratio */
static u128 host_numerator(const struct tsync_tsc *tsc, unsigned long long guest)
{
	return (u128)(guest - (unsigned long long)tsc->offset) << tsc->frac;
}

/**
 * tsync_tsc_host - the earliest host TSC at which the guest TSC reads @guest
 * @tsc: the vCPU's parameters
 * @guest: a guest TSC value
 */
unsigned long long tsync_tsc_host(const struct tsync_tsc *tsc, unsigned long long guest)
{
	u128 num = host_numerator(tsc, guest);

	return (unsigned long long)((num + tsc->ratio - 1) / tsc->ratio);
}

/* host - guest at @guest, rounded to the nearest cycle */
static s128 exact_offset(const struct tsync_tsc *tsc, unsigned long long guest)
{
	u128 num = host_numerator(tsc, guest);

	return (s128)((num + tsc->ratio / 2) / tsc->ratio) - (s128)guest;
}

/* Samples are at most this far apart, sooner if report's product needs it */
#define MAX_STEP	(1ULL << 31)

/*
 * report multiplies the gap between two samples by their offsets'
 * difference in signed 64 bits: below 2^62 with @step, the offset moving
 * by |2^frac / ratio - 1| a guest cycle, and each sample rounded
 */
static bool products_fit(const struct tsync_tsc *tsc, unsigned long long step)
{
	u128 unit = (u128)1 << tsc->frac, r = tsc->ratio;
	u128 move = ((unit > r ? unit - r : r - unit) * step + r - 1) / r + 1;

	return (move + 2) * step < (u128)1 << 62;
}

/*
 * Guest faster than host, by enough that the offset falls at least half a
 * cycle between two samples: then report's quotient is negative beyond
 * the first half cycle of fall, and comes out up to a cycle high there.
 */
static bool falls_fast(const struct tsync_tsc *tsc)
{
	unsigned long long unit = 1ULL << tsc->frac;

	return tsc->ratio > unit && (u128)(tsc->ratio - unit) * MAX_STEP >= tsc->ratio / 2;
}

/**
 * tsync_tsc_sample - the TIME_SHIFT sample of a vCPU at guest time @guest
 * @tsc: the vCPU's parameters at that time
 * @guest: guest TSC value
 */
struct tsync_sample tsync_tsc_sample(const struct tsync_tsc *tsc, unsigned long long guest)
{
	struct tsync_sample s = {
		.guest_ts = (long long)guest,
		.scaling = 1,
		.frac = 0,
	};

	if (!tsync_tsc_scaled(tsc)) {
		/* -offset, modulo 2^64 as report adds it: -2^63 stays itself */
		s.offset = (long long)(0 - (unsigned long long)tsc->offset);
		return s;
	}
	/* exact where tsync_tsc_inexact() says so; else modulo 2^64 */
	s.offset = (long long)exact_offset(tsc, guest);
	/*
	 * At a time from tsync_tsc_sample_time() the exact offset has a
	 * fraction of at least one half: truncating it puts the sample half a
	 * cycle to a cycle low, which keeps both sides of report's turn
	 * within one cycle.
	 */
	if (falls_fast(tsc))
		s.offset = (long long)(tsync_tsc_host(tsc, guest) - 1 - guest);
	return s;
}

/*
 * Cycles from @guest to the nearest good sample time, forward or @back.
 * Any time serves an unscaled, rising or slowly falling offset.  On one
 * that falls fast, the exact host time must have a fraction of at least
 * one half: its remainder modulo ratio moves by 2^frac mod ratio for each
 * guest cycle, so such a time comes within half a cycle of fall.
 */
static u128 cycles_to_good(const struct tsync_tsc *tsc, unsigned long long guest, bool back)
{
	u128 r = tsc->ratio, half = (r + 1) / 2, rem, inc;

	if (!falls_fast(tsc))
		return 0;
	rem = host_numerator(tsc, guest) % r;
	if (rem >= half)
		return 0;
	inc = ((u128)1 << tsc->frac) % r;
	/* forward the remainder climbs by inc, wrapping; back it falls by as much */
	if (inc < half)
		return back ? rem / inc + 1 : (half - rem + inc - 1) / inc;
	/* forward it falls by r - inc, wrapping into the upper half; back it climbs */
	return back ? (half - rem + (r - inc) - 1) / (r - inc) : rem / (r - inc) + 1;
}

/**
 * tsync_tsc_sample_time - the first good sample time at or after @guest
 * @tsc: the vCPU's parameters
 * @guest: the earliest time wanted
 */
unsigned long long tsync_tsc_sample_time(const struct tsync_tsc *tsc, unsigned long long guest)
{
	return guest + (unsigned long long)cycles_to_good(tsc, guest, false);
}

/**
 * tsync_tsc_sample_time_before - the last good sample time at or before @guest
 * @tsc: the vCPU's parameters
 * @guest: the latest time wanted
 *
 * A first sample that report needs no extrapolation from.  Near guest time
 * 0, where there is none, the first good time after it.
 */
unsigned long long tsync_tsc_sample_time_before(const struct tsync_tsc *tsc,
						unsigned long long guest)
{
	u128 k = cycles_to_good(tsc, guest, true);

	if (k > guest)
		return tsync_tsc_sample_time(tsc, guest);
	return guest - (unsigned long long)k;
}

/**
 * tsync_tsc_step - longest guest-time gap between two samples of @tsc
 * @tsc: the vCPU's parameters
 *
 * report multiplies the gap by the offset difference in signed 64 bits:
 * keep that product below 2^62.  Unscaled offsets are constant: any gap.
 */
unsigned long long tsync_tsc_step(const struct tsync_tsc *tsc)
{
	unsigned long long step = MAX_STEP;

	if (!tsync_tsc_scaled(tsc))
		return ~0ULL >> 1;
	while (step > 1 && !products_fit(tsc, step))
		step >>= 1;
	return step;
}

/* Above -2^63 (a falling line's samples sit a cycle low), at most 2^63 - 1 */
static bool offset_fits(const struct tsync_tsc *tsc, unsigned long long guest)
{
	s128 o = exact_offset(tsc, guest);

	return o > (s128)LLONG_MIN + 1 && o <= LLONG_MAX;
}

/**
 * tsync_tsc_inexact - why samples of @tsc cannot be exact from @first to @last
 * @tsc: the vCPU's parameters
 * @first: the earliest guest time to sample
 * @last: the latest, at least @first
 *
 * Samples hold a host - guest offset in report's signed 64 bits (above
 * -2^63, whose absolute value report takes), and report multiplies the gap
 * between two of them by their difference.  Returns NULL when both hold
 * everywhere from @first to @last, else the cause.
 */
const char *tsync_tsc_inexact(const struct tsync_tsc *tsc, unsigned long long first,
			      unsigned long long last)
{
	if (!tsync_tsc_valid(tsc))
		return "a zero ratio, or fraction bits beyond 63, has no inverse";
	if (!tsync_tsc_scaled(tsc))
		return tsc->offset == LLONG_MIN ?
		       "an offset of -2^63: host - guest, 2^63, does not fit in 64 bits" : NULL;
	if (!products_fit(tsc, 1))
		return "the guest's TSC runs 2^61 or more times slower than the host's";
	/*
	 * host - guest is a line in guest time but where guest - offset wraps
	 * (at guest time offset): host drops by 2^(64 + frac) / ratio there.
	 * Both sides of that drop fit in 64 bits only for a guest faster than
	 * the host, whose line falls on both sides: the ends tell.
	 */
	if (!offset_fits(tsc, first) || !offset_fits(tsc, last))
		return "host - guest leaves 64 bits within the trace's guest times";
	return NULL;
}

/**
 * tsync_tsc_handover - where an offset write hands over, in guest time
 * @old: the vCPU's parameters before the write
 * @next: after it
 * @host: the host TSC of the write
 * @old_end: returns the first guest TSC no longer under @old
 *
 * Returns the guest TSC from which @next holds.  A write that moves the
 * guest TSC back cannot be told apart by guest time alone: the new
 * parameters win where the two overlap, so *@old_end never passes it.
 */
unsigned long long tsync_tsc_handover(const struct tsync_tsc *old, const struct tsync_tsc *next,
				      unsigned long long host, unsigned long long *old_end)
{
	unsigned long long start = tsync_tsc_guest(next, host);

	*old_end = tsync_tsc_guest(old, host);
	if (start < *old_end)
		*old_end = start;
	return start;
}
