// SPDX-License-Identifier: LGPL-2.1
/*
 * KVM's TSC arithmetic inverted into TIME_SHIFT samples, judged by a model
 * of trace-cmd report: every guest timestamp must come back within one
 * cycle of its exact host time, for Intel (48 fraction bits) and AMD (32)
 * ratios above and below 1, offsets of any sign and TSCs near 2^63.
 */
#include <limits.h>
#include <stdlib.h>
#include <CUnit/CUnit.h>

#include "tsync/plugin.h"
#include "unit.h"

typedef __int128 s128;

static unsigned long long rng;

/* Each test draws from its own sequence, whatever ran before it */
static void seed_rand(unsigned long long seed)
{
	rng = seed;
}

static unsigned long long next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Samples over [from, to], as tsync-kvm and apply lay them (kvm-timeline.c) */
static struct tsync_sample *lay_samples(const struct tsync_tsc *tsc, unsigned long long from,
					unsigned long long to, int *count)
{
	struct tsync_samples ss = { 0 };
	struct tsync_kvm_timeline tl;

	tsync_timeline_init(&tl, tsc, &ss);
	CU_ASSERT_EQUAL(tsync_timeline_start(&tl, from), 0);
	CU_ASSERT_EQUAL(tsync_timeline_lay_until(&tl, to, false), 0);
	/* report never extrapolates: a sample at or before from, one at or after to */
	CU_ASSERT((unsigned long long)ss.at[0].guest_ts <= from);
	CU_ASSERT((unsigned long long)ss.at[ss.nr - 1].guest_ts >= to);
	*count = ss.nr;
	return ss.at;
}

/* |report - exact| in cycles, times ratio: exact host = ((g - off) << frac) / ratio */
static bool within_one_cycle(const struct tsync_tsc *tsc, const struct tsync_sample *s,
			     int n, unsigned long long g)
{
	unsigned long long host = tsync_report_host_time(s, n, true, g);
	s128 num = (s128)((unsigned __int128)(g - (unsigned long long)tsc->offset) << tsc->frac);
	s128 err = (s128)host * tsc->ratio - num;

	if (err < 0)
		err = -err;
	return err <= (s128)tsc->ratio;
}

static int worst_checks(const struct tsync_tsc *tsc, unsigned long long from,
			unsigned long long span)
{
	struct tsync_sample *s;
	int n, i, bad = 0;

	seed_rand(0x9E3779B97F4A7C15ULL ^ tsc->ratio ^ from);

	s = lay_samples(tsc, from, from + span, &n);
	for (i = 0; i < 20000; i++)
		bad += !within_one_cycle(tsc, s, n, from + next_rand() % span);
	/* the first and last cycles: no extrapolation from the samples */
	for (i = 0; i < 64; i++) {
		bad += !within_one_cycle(tsc, s, n, from + i);
		bad += !within_one_cycle(tsc, s, n, from + span - i);
	}
	/* at and just after every sample, where report's rounding turns */
	for (i = 0; i < n; i++) {
		unsigned long long g = s[i].guest_ts;
		int k;

		for (k = 0; k < 4; k++)
			bad += !within_one_cycle(tsc, s, n, g + k);
	}
	free(s);
	return bad;
}

static void check_ratio(unsigned int frac, double factor, long long offset,
			unsigned long long from)
{
	struct tsync_tsc tsc = {
		.offset = offset,
		.ratio = (unsigned long long)(factor * (double)(1ULL << frac)),
		.frac = frac,
	};
	int bad = worst_checks(&tsc, from, 10000000000000ULL);	/* about an hour */

	if (bad)
		fprintf(stderr, "\n    frac %u factor %g offset %lld: %d timestamps off\n",
			frac, factor, offset, bad);
	CU_ASSERT_EQUAL(bad, 0);
}

static const double factors[] = { 0.25, 0.6, 0.999999, 1.000001, 1.5, 3.7 };

static void test_intel_ratios(void)
{
	size_t i;

	for (i = 0; i < sizeof(factors) / sizeof(factors[0]); i++) {
		check_ratio(48, factors[i], -123456789012LL, 1ULL << 40);
		check_ratio(48, factors[i], 987654321LL, 5ULL << 44);
	}
}

static void test_amd_ratios(void)
{
	size_t i;

	for (i = 0; i < sizeof(factors) / sizeof(factors[0]); i++) {
		check_ratio(32, factors[i], -42, 1ULL << 41);
		check_ratio(32, factors[i], 1LL << 50, 3ULL << 50);
	}
}

/* TSCs near 2^63 and ratios one unit away from 1 */
static void test_extremes(void)
{
	struct tsync_tsc tsc = { .offset = -5, .ratio = (1ULL << 48) + 1, .frac = 48 };

	CU_ASSERT_EQUAL(worst_checks(&tsc, (1ULL << 63) - (1ULL << 44), 1ULL << 43), 0);
	tsc.ratio = (1ULL << 48) - 1;
	CU_ASSERT_EQUAL(worst_checks(&tsc, (1ULL << 63) - (1ULL << 44), 1ULL << 43), 0);
	tsc = (struct tsync_tsc){ .offset = 77, .ratio = 3ULL << 31, .frac = 32 };
	CU_ASSERT_EQUAL(worst_checks(&tsc, (1ULL << 63) - (1ULL << 44), 1ULL << 43), 0);
	/* good sample times up to 2^27 cycles apart: the first lies before the start */
	tsc = (struct tsync_tsc){ .offset = 0, .ratio = (1ULL << 48) + (1ULL << 20), .frac = 48 };
	CU_ASSERT_EQUAL(worst_checks(&tsc, 123456789, 1ULL << 33), 0);
}

/* No scaling: the offset is constant and exact, even when it is 0 */
static void test_unscaled_exact(void)
{
	struct tsync_tsc tsc = { .offset = -1000003, .ratio = 1, .frac = 0 };
	struct tsync_sample s[2] = {
		tsync_tsc_sample(&tsc, 1000), tsync_tsc_sample(&tsc, 1ULL << 62),
	};
	unsigned long long g;

	CU_ASSERT_FALSE(tsync_tsc_scaled(&tsc));
	CU_ASSERT_EQUAL(s[0].offset, 1000003);
	for (g = 1000; g < 1ULL << 62; g += 1ULL << 55)
		CU_ASSERT_EQUAL(tsync_report_host_time(s, 2, true, g), g + 1000003);
	tsc.offset = 0;
	CU_ASSERT_EQUAL(tsync_tsc_sample(&tsc, 5).offset, 0);
	/* the kernel's default ratio with fraction bits is no scaling either */
	tsc = (struct tsync_tsc){ .offset = 9, .ratio = 1ULL << 48, .frac = 48 };
	CU_ASSERT_FALSE(tsync_tsc_scaled(&tsc));
}

/* guest(host(g)) == g wherever the guest TSC takes the value g */
static void test_round_trip(void)
{
	struct tsync_tsc tsc = { .offset = -777, .ratio = (3ULL << 47), .frac = 48 };
	unsigned long long h, g;
	int i;

	seed_rand(0x2545F4914F6CDD1DULL);
	for (i = 0; i < 1000; i++) {
		h = next_rand() >> 3;
		g = tsync_tsc_guest(&tsc, h);
		CU_ASSERT_EQUAL(tsync_tsc_guest(&tsc, tsync_tsc_host(&tsc, g)), g);
		CU_ASSERT(tsync_tsc_host(&tsc, g) <= h);
	}
}

static void test_validity(void)
{
	struct tsync_tsc zero = { .ratio = 0 }, wide = { .ratio = 1, .frac = 64 };
	struct tsync_tsc ok = { .ratio = 1ULL << 32, .frac = 32 };

	CU_ASSERT_FALSE(tsync_tsc_valid(&zero));
	CU_ASSERT_FALSE(tsync_tsc_valid(&wide));
	CU_ASSERT_TRUE(tsync_tsc_valid(&ok));
	/* nor can samples of them be exact */
	CU_ASSERT_PTR_NOT_NULL(tsync_tsc_inexact(&zero, 0, 1));
	CU_ASSERT_PTR_NOT_NULL(tsync_tsc_inexact(&wide, 0, 1));
	CU_ASSERT_PTR_NULL(tsync_tsc_inexact(&ok, 0, 1));
}

/*
 * An offset of -2^63 has no negation in 64 bits: its sample's offset is
 * that of report's arithmetic (mod 2^64), and the parameters are inexact
 */
static void test_offset_extremes(void)
{
	struct tsync_tsc tsc = { .offset = LLONG_MIN, .ratio = 1, .frac = 0 };

	CU_ASSERT_EQUAL(tsync_tsc_sample(&tsc, 5).offset, LLONG_MIN);
	CU_ASSERT_PTR_NOT_NULL(tsync_tsc_inexact(&tsc, 0, 1000));
	tsc.offset = LLONG_MIN + 1;
	CU_ASSERT_EQUAL(tsync_tsc_sample(&tsc, 5).offset, LLONG_MAX);
	CU_ASSERT_PTR_NULL(tsync_tsc_inexact(&tsc, 0, ~0ULL));
	tsc.offset = LLONG_MAX;
	CU_ASSERT_EQUAL(tsync_tsc_sample(&tsc, 5).offset, -LLONG_MAX);
	CU_ASSERT_PTR_NULL(tsync_tsc_inexact(&tsc, 0, ~0ULL));
}

/*
 * A guest TSC much slower than the host's: host - guest leaves 64 bits
 * soon, and the step shrinks to one cycle without overflowing on the way
 */
static void test_steep_ratios(void)
{
	struct tsync_tsc half = { .offset = 0, .ratio = 1ULL << 47, .frac = 48 };
	struct tsync_tsc steep = { .offset = 0, .ratio = 3, .frac = 63 };
	struct tsync_tsc wraps = { .offset = 1LL << 62, .ratio = 1ULL << 47, .frac = 48 };

	/* host = 2 * guest: host - guest = guest, in 64 bits below 2^63 */
	CU_ASSERT_PTR_NULL(tsync_tsc_inexact(&half, 0, (1ULL << 63) - 1));
	CU_ASSERT_PTR_NOT_NULL(tsync_tsc_inexact(&half, 1ULL << 62, 1ULL << 63));
	CU_ASSERT_PTR_NOT_NULL(tsync_tsc_inexact(&half, ~0ULL, ~0ULL));
	/* host = ((guest - 2^62) mod 2^64) * 2: near 2^65 below guest time 2^62 */
	CU_ASSERT_PTR_NOT_NULL(tsync_tsc_inexact(&wraps, 0, 1000));
	CU_ASSERT_PTR_NULL(tsync_tsc_inexact(&wraps, 1ULL << 62, (1ULL << 62) + 1000));
	/* host = guest * 2^63 / 3: only guest times below 4 fit */
	CU_ASSERT_EQUAL(tsync_tsc_step(&steep), 1);
	CU_ASSERT_PTR_NULL(tsync_tsc_inexact(&steep, 0, 3));
	CU_ASSERT_PTR_NOT_NULL(tsync_tsc_inexact(&steep, 0, 1ULL << 20));
	/* 2^63 times slower: not even one cycle fits, yet a gap is never 0 */
	steep.ratio = 1;
	CU_ASSERT_PTR_NOT_NULL(tsync_tsc_inexact(&steep, 0, 0));
	CU_ASSERT_EQUAL(tsync_tsc_step(&steep), 1);
}

/*
 * host - guest at the edges of report's 64 bits: host = guest / 2, so
 * host - guest = -guest / 2, rounded.  A falling line's sample sits a
 * cycle low: -2^63 + 1 exactly would give a sample of -2^63, refused.
 */
static void test_offset_edges(void)
{
	struct tsync_tsc half = { .offset = 0, .ratio = 2, .frac = 0 };
	const unsigned long long low = ~3ULL, lowest = ~1ULL;	/* 2^64 - 4, 2^64 - 2 */

	CU_ASSERT_PTR_NULL(tsync_tsc_inexact(&half, low, low));
	CU_ASSERT_EQUAL(tsync_tsc_sample(&half, low).offset, LLONG_MIN + 1);
	CU_ASSERT_PTR_NOT_NULL(tsync_tsc_inexact(&half, lowest, lowest));
	CU_ASSERT_PTR_NOT_NULL(tsync_tsc_inexact(&half, low, lowest));
	CU_ASSERT_EQUAL(tsync_tsc_sample(&half, lowest).offset, LLONG_MIN);
}

/*
 * Where guest - offset wraps, host time drops by 2^(64 + frac) / ratio.
 * A guest three times as fast: host - guest falls on both sides of the
 * drop, within 64 bits, up to a wrap just below 2^63.  A guest slower than
 * its host: the drop alone leaves 64 bits.
 */
static void test_across_the_wrap(void)
{
	struct tsync_tsc fast = { .offset = 1000, .ratio = 3ULL << 48, .frac = 48 };
	struct tsync_tsc slow = { .offset = 1000, .ratio = 1ULL << 47, .frac = 48 };
	struct tsync_tsc edge = { .offset = LLONG_MAX - 1, .ratio = 3, .frac = 0 };

	CU_ASSERT_PTR_NULL(tsync_tsc_inexact(&fast, 0, 2000));
	CU_ASSERT_PTR_NULL(tsync_tsc_inexact(&fast, 999, 1000));
	CU_ASSERT_PTR_NOT_NULL(tsync_tsc_inexact(&slow, 0, 2000));
	CU_ASSERT_PTR_NOT_NULL(tsync_tsc_inexact(&slow, 999, 1000));
	CU_ASSERT_PTR_NULL(tsync_tsc_inexact(&slow, 1000, 2000));
	/* a trace that ends at the wrap: host - guest is -2^63 + 2 there, -2^63 + 1 after */
	CU_ASSERT_PTR_NULL(tsync_tsc_inexact(&edge, LLONG_MAX - 11, LLONG_MAX - 1));
	CU_ASSERT_PTR_NOT_NULL(tsync_tsc_inexact(&edge, LLONG_MAX - 11, LLONG_MAX));
}

/*
 * An offset write hands over at the guest time of the write, under the new
 * parameters; forwards, the old ones hold until the guest time they reach
 * then, backwards the new ones win the overlap.  Scaling may change too.
 */
static void test_handover(void)
{
	struct tsync_tsc old = { .offset = 0, .ratio = 1ULL << 48, .frac = 48 };
	struct tsync_tsc ahead = old, back = old, faster = old, slower = old;
	unsigned long long old_end;

	ahead.offset = 1000;
	back.offset = -1000;
	CU_ASSERT_EQUAL(tsync_tsc_handover(&old, &ahead, 5000, &old_end), 6000);
	CU_ASSERT_EQUAL(old_end, 5000);
	CU_ASSERT_EQUAL(tsync_tsc_handover(&old, &back, 5000, &old_end), 4000);
	CU_ASSERT_EQUAL(old_end, 4000);
	/* the ratio alone changes: guest time 1.5 or 0.5 times the host's */
	faster.ratio = 3ULL << 47;
	slower.ratio = 1ULL << 47;
	CU_ASSERT_EQUAL(tsync_tsc_handover(&old, &faster, 1ULL << 40, &old_end), 3ULL << 39);
	CU_ASSERT_EQUAL(old_end, 1ULL << 40);
	CU_ASSERT_EQUAL(tsync_tsc_handover(&faster, &slower, 1ULL << 40, &old_end), 1ULL << 39);
	CU_ASSERT_EQUAL(old_end, 1ULL << 39);
	/* scaled old parameters, an offset added on the scaled time */
	faster.offset = -7;
	CU_ASSERT_EQUAL(tsync_tsc_handover(&faster, &old, 1000, &old_end), 1000);
	CU_ASSERT_EQUAL(old_end, 1000);
	CU_ASSERT_EQUAL(tsync_tsc_handover(&faster, &ahead, 1000, &old_end), 2000);
	CU_ASSERT_EQUAL(old_end, 1493);
}

typedef unsigned __int128 u128;

/* The host time of guest time @g as a fraction: numerator over tsc->ratio */
static u128 numerator(const struct tsync_tsc *tsc, unsigned long long g)
{
	return (u128)(g - (unsigned long long)tsc->offset) << tsc->frac;
}

/* host - guest at @g, rounded to the nearest cycle, halves up */
static long long rounded_offset(const struct tsync_tsc *tsc, unsigned long long g)
{
	u128 num = numerator(tsc, g);
	unsigned long long host = (unsigned long long)(num / tsc->ratio);

	if (2 * (num % tsc->ratio) >= tsc->ratio)
		host++;
	return (long long)(host - g);
}

/*
 * report multiplies a gap between samples by their offsets' difference:
 * tsync_tsc_step() is the longest power-of-two gap, up to 2^31, whose
 * offset difference d keeps (d + 2) * gap below 2^62.  It bounds d from
 * above by the cycles the offset moves over the gap, rounded up, plus one
 * for the rounding of the samples: m = ceil(gap * |2^frac / ratio - 1|) + 1.
 * The edges: m(2^31) = 2^31 - 3 fits a gap of 2^31, 2^31 - 2 does not.
 */
static void test_step(void)
{
	static const struct {
		unsigned int		frac;
		unsigned long long	ratio, step;
	} cases[] = {
		{ 48, 1ULL << 47, 1ULL << 30 },			/* m(2^31) = 2^31 + 1 */
		{ 48, 140737488404481ULL, 1ULL << 30 },		/* d(2^31) = 2^31 - 2 */
		{ 48, 140737488437249ULL, 1ULL << 30 },		/* d(2^31) = 2^31 - 3, m = 2^31 - 1 */
		{ 48, (1ULL << 48) + (1ULL << 28), 1ULL << 31 },	/* 1.000001 */
		{ 48, 1ULL << 40, 1ULL << 27 },			/* 256 times slower: m = 255 gap + 1 */
		{ 48, 3ULL << 47, 1ULL << 31 },
		{ 48, 1ULL << 46, 1ULL << 30 },			/* 4 times slower: m = 3 gap + 1 */
		{ 32, 1ULL << 61, 1ULL << 31 },			/* m(2^31) = 2^31 - 4 + 1, exactly */
		{ 32, (1ULL << 61) + 1, 1ULL << 30 },		/* m(2^31) = 2^31 - 2 */
	};
	const unsigned long long max = 1ULL << 31, start = 1ULL << 40;
	struct tsync_tsc tsc = { .offset = 12345 };
	unsigned long long step;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tsc.frac = cases[i].frac;
		tsc.ratio = cases[i].ratio;
		step = tsync_tsc_step(&tsc);
		CU_ASSERT_EQUAL(step, cases[i].step);
		CU_ASSERT_FATAL(step >= 1 && step <= max && !(step & (step - 1)));
		CU_ASSERT((u128)(llabs(rounded_offset(&tsc, start + step) -
				       rounded_offset(&tsc, start)) + 2) * step < (u128)1 << 62);
		/* from the slope (tsc-math.c): within a factor of 4 of the longest */
		if (step < max)
			CU_ASSERT((u128)(llabs(rounded_offset(&tsc, start + 8 * step) -
					       rounded_offset(&tsc, start)) + 2) * 8 * step >=
				  (u128)1 << 62);
	}
	/* no scaling, a constant offset: any gap */
	tsc.frac = 48;
	tsc.ratio = 1ULL << 48;
	CU_ASSERT_EQUAL(tsync_tsc_step(&tsc), ~0ULL >> 1);
}

/*
 * Sample times and offsets, exhaustively for small parameters: where the
 * offset falls fast (ratio above 2^frac), the first time at or after the
 * wanted one whose exact host time has a fraction of at least one half,
 * and the offset truncated there; elsewhere the time wanted and the
 * nearest offset.  Guest times from 4 on: after the offset's own.
 */
static int bad_sample(const struct tsync_tsc *tsc, unsigned long long g)
{
	unsigned long long t = tsync_tsc_sample_time(tsc, g), u;
	struct tsync_sample s = tsync_tsc_sample(tsc, t);
	u128 r = tsc->ratio, num = numerator(tsc, t);
	int bad = 0;

	if (r <= 1ULL << tsc->frac)
		return (t != g) + (s.offset != rounded_offset(tsc, t));
	bad += t < g || 2 * (num % r) < r;
	for (u = g; u < t; u++)
		bad += 2 * (numerator(tsc, u) % r) >= r;
	bad += s.offset != (long long)((unsigned long long)(num / r) - t);
	return bad + (s.guest_ts != (long long)t || s.scaling != 1 || s.frac);
}

/* How many guest times from @first to 43 @bad_at finds wrong, for small parameters */
static int count_bad(int (*bad_at)(const struct tsync_tsc *tsc, unsigned long long g),
		     unsigned long long first)
{
	struct tsync_tsc tsc;
	unsigned long long g;
	unsigned int frac;
	int bad = 0;
	u128 r;

	for (frac = 0; frac <= 4; frac++)
		for (r = 1; r <= 4ULL << frac; r++)
			for (tsc.offset = -3; tsc.offset <= 3; tsc.offset++)
				for (g = first; g < 44; g++) {
					tsc.ratio = (unsigned long long)r;
					tsc.frac = frac;
					bad += bad_at(&tsc, g);
				}
	return bad;
}

static void test_samples_exhaustive(void)
{
	CU_ASSERT_EQUAL(count_bad(bad_sample, 4), 0);
}

/*
 * The first sample, at or before the time wanted: where the offset falls
 * fast, the last time at or before it whose exact host time has a
 * fraction of at least one half, or the first after it when there is
 * none from guest time 0 on; elsewhere the time wanted.  Exhaustively for
 * small parameters, from guest time 0, but not back across the offset's
 * own guest time, where guest - offset wraps (tsync_tsc_inexact()).
 */
static int bad_first_sample(const struct tsync_tsc *tsc, unsigned long long g)
{
	unsigned long long t = tsync_tsc_sample_time_before(tsc, g), u;
	unsigned long long from = tsc->offset > 0 ? (unsigned long long)tsc->offset : 0;
	u128 r = tsc->ratio;

	if (r <= 1ULL << tsc->frac)
		return t != g;
	/* the last good time from g back to 0 or the wrap */
	for (u = g + 1; u-- > from; )
		if (2 * (numerator(tsc, u) % r) >= r)
			break;
	if (u <= g && u >= from)
		return t != u;
	return !from && t != tsync_tsc_sample_time(tsc, g);
}

static void test_sample_times_before(void)
{
	CU_ASSERT_EQUAL(count_bad(bad_first_sample, 0), 0);
}

/*
 * Where a fall counts as fast, for Intel's 48 fraction bits and AMD's 32:
 * when it drops half a cycle or more over 2^31 guest cycles.  Below, a
 * sample is the nearest offset at the time asked; from there on, the
 * truncated one at a time of fraction one half or more.
 */
static void test_fast_fall_threshold(void)
{
	static const struct {
		unsigned int		frac;
		unsigned long long	over;	/* ratio - 2^frac */
		bool			fast;
	} cases[] = {
		{ 48, 50000, false }, { 48, 65536, false }, { 48, 65537, true },
		{ 48, 1ULL << 18, true }, { 32, 1, true },
	};
	const unsigned long long g = (1ULL << 40) + 12345;
	struct tsync_tsc tsc = { .offset = -99 };
	struct tsync_sample s;
	unsigned long long t;
	size_t i;
	u128 num;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tsc.frac = cases[i].frac;
		tsc.ratio = (1ULL << cases[i].frac) + cases[i].over;
		t = tsync_tsc_sample_time(&tsc, g);
		s = tsync_tsc_sample(&tsc, t);
		num = numerator(&tsc, t);
		if (!cases[i].fast) {
			CU_ASSERT_EQUAL(t, g);
			CU_ASSERT_EQUAL(s.offset, rounded_offset(&tsc, t));
		} else {
			CU_ASSERT(2 * (num % tsc.ratio) >= tsc.ratio);
			CU_ASSERT_EQUAL(s.offset, (long long)((unsigned long long)(num / tsc.ratio) -
							      t));
		}
	}
}

void add_tsc_math_suite(void)
{
	CU_pSuite suite = CU_add_suite("tsc-math", NULL, NULL);

	CU_add_test(suite, "Intel ratios, 48 fraction bits", test_intel_ratios);
	CU_add_test(suite, "AMD ratios, 32 fraction bits", test_amd_ratios);
	CU_add_test(suite, "TSC near 2^63, ratio 1 +- 1", test_extremes);
	CU_add_test(suite, "unscaled offsets exact", test_unscaled_exact);
	CU_add_test(suite, "guest(host(g)) == g", test_round_trip);
	CU_add_test(suite, "invalid parameters", test_validity);
	CU_add_test(suite, "offset writes hand over", test_handover);
	CU_add_test(suite, "offset of -2^63", test_offset_extremes);
	CU_add_test(suite, "steep ratios: exact or refused", test_steep_ratios);
	CU_add_test(suite, "host - guest at the edges of 64 bits", test_offset_edges);
	CU_add_test(suite, "across the wrap of guest - offset", test_across_the_wrap);
	CU_add_test(suite, "the longest gap between samples", test_step);
	CU_add_test(suite, "samples of small parameters, all", test_samples_exhaustive);
	CU_add_test(suite, "first samples of small parameters, all", test_sample_times_before);
	CU_add_test(suite, "where a fall is fast", test_fast_fall_threshold);
}
