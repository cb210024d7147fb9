// SPDX-License-Identifier: LGPL-2.1
/* The TIME_SHIFT payload codec, against bytes laid out by hand */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "unit.h"

/*
 * Little-endian bytes as trace-cmd 3.1.6 writes them: 2 CPUs, 2 samples
 * each; without fraction bits (trace-cmd 2.9), unscaled
 */
static size_t layout(unsigned char *buf, bool with_frac)
{
	static const long long v[2][4][2] = {
		{ { 100, 200 }, { -401, -476 }, { 1, 1 }, { 0, 0 } },
		{ { LLONG_MAX - 1, LLONG_MAX }, { LLONG_MIN + 1, -1 }, { LLONG_MAX, 3 },
		  { 63, 1 } },
	};
	size_t n = 0;
	int cpu, a, i, b;

#define PUT(val, bytes) do { for (b = 0; b < (bytes); b++) \
		buf[n++] = (unsigned char)((unsigned long long)(val) >> (8 * b)); } while (0)
	PUT(0xFEDCBA9876543210ULL, 8);
	PUT(0x82000001u, 4);
	PUT(2, 4);
	for (cpu = 0; cpu < 2; cpu++) {
		PUT(2, 4);
		for (a = 0; a < 3; a++)
			for (i = 0; i < 2; i++)
				PUT(a == 2 && !with_frac ? 1 : v[cpu][a][i], 8);
	}
	for (cpu = 0; with_frac && cpu < 2; cpu++)
		for (i = 0; i < 2; i++)
			PUT(v[cpu][3][i], 8);
#undef PUT
	return n;
}

static void test_decodes_layout(void)
{
	unsigned char buf[256];
	struct tsync_time_shift ts;
	const char *why = NULL;
	size_t n = layout(buf, true);

	CU_ASSERT_EQUAL_FATAL(tsync_time_shift_decode(buf, n, false, &ts, &why), 0);
	CU_ASSERT_EQUAL(ts.peer_trace_id, 0xFEDCBA9876543210ULL);
	CU_ASSERT_EQUAL(ts.flags, 0x82000001u);
	CU_ASSERT_EQUAL(ts.cpu_count, 2);
	CU_ASSERT_EQUAL(ts.cpus[0].nr, 2);
	CU_ASSERT_EQUAL(ts.cpus[0].at[1].offset, -476);
	CU_ASSERT_EQUAL(ts.cpus[1].at[1].guest_ts, LLONG_MAX);
	CU_ASSERT_EQUAL(ts.cpus[1].at[0].offset, LLONG_MIN + 1);
	CU_ASSERT_EQUAL(ts.cpus[1].at[0].scaling, LLONG_MAX);
	CU_ASSERT_EQUAL(ts.cpus[1].at[0].frac, 63);
	CU_ASSERT_EQUAL(tsync_time_shift_size(&ts), n);
	tsync_time_shift_free(&ts);
}

/* encode(decode(bytes)) gives the same bytes, in both byte orders */
static void test_round_trip(void)
{
	unsigned char buf[256], out[256], swapped[256];
	struct tsync_time_shift ts, again;
	const char *why = NULL;
	size_t n = layout(buf, true);

	CU_ASSERT_EQUAL_FATAL(tsync_time_shift_decode(buf, n, false, &ts, &why), 0);
	CU_ASSERT_EQUAL_FATAL(tsync_time_shift_encode(&ts, false, out, sizeof(out), &why), 0);
	CU_ASSERT_EQUAL(memcmp(buf, out, n), 0);
	CU_ASSERT_EQUAL_FATAL(tsync_time_shift_encode(&ts, true, swapped, n, &why), 0);
	CU_ASSERT_EQUAL(swapped[0], 0xFE);
	CU_ASSERT_EQUAL_FATAL(tsync_time_shift_decode(swapped, n, true, &again, &why), 0);
	CU_ASSERT_EQUAL(again.cpus[1].at[0].offset, LLONG_MIN + 1);
	CU_ASSERT_EQUAL(again.cpus[1].at[1].frac, 1);
	CU_ASSERT_NOT_EQUAL(tsync_time_shift_encode(&ts, false, out, n - 1, &why), 0);
	tsync_time_shift_free(&ts);
	tsync_time_shift_free(&again);
}

/* trace-cmd 2.9 wrote no fraction bits: they read as zero */
static void test_without_fractions(void)
{
	unsigned char buf[256];
	struct tsync_time_shift ts;
	const char *why = NULL;
	size_t n = layout(buf, false);

	CU_ASSERT_EQUAL_FATAL(tsync_time_shift_decode(buf, n, false, &ts, &why), 0);
	CU_ASSERT_EQUAL(ts.cpus[1].at[0].frac, 0);
	tsync_time_shift_free(&ts);
}

/* Every truncation and every extra byte is refused with a cause */
static void test_refuses_bad_sizes(void)
{
	unsigned char buf[256];
	struct tsync_time_shift ts;
	size_t n = layout(buf, true), cut;
	const char *why;

	for (cut = 0; cut < n; cut++) {
		why = NULL;
		if (cut == layout(buf, false))
			continue;	/* a valid frac-less payload */
		CU_ASSERT_EQUAL(tsync_time_shift_decode(buf, cut, false, &ts, &why), -1);
		CU_ASSERT_PTR_NOT_NULL(why);
	}
	layout(buf, true);
	buf[n] = 0;
	CU_ASSERT_EQUAL(tsync_time_shift_decode(buf, n + 1, false, &ts, &why), -1);
}

static void test_refuses_bad_counts(void)
{
	unsigned char buf[256];
	struct tsync_time_shift ts;
	size_t n = layout(buf, true);
	const char *why = NULL;

	memset(buf + 12, 0xff, 4);		/* CPU count 2^32 - 1 */
	CU_ASSERT_EQUAL(tsync_time_shift_decode(buf, n, false, &ts, &why), -1);
	layout(buf, true);
	memset(buf + 16, 0xff, 4);		/* first CPU's sample count */
	CU_ASSERT_EQUAL(tsync_time_shift_decode(buf, n, false, &ts, &why), -1);
	layout(buf, true);
	memset(buf + 16, 0, 4);			/* a CPU without samples */
	CU_ASSERT_EQUAL(tsync_time_shift_decode(buf, n, false, &ts, &why), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "without samples"));
	layout(buf, true);
	buf[n - 16] = 64;			/* fraction bits past 63 */
	CU_ASSERT_EQUAL(tsync_time_shift_decode(buf, n, false, &ts, &why), -1);
}

/* put8 BUF AT VAL: a little-endian 64-bit number */
static void put8(unsigned char *buf, size_t at, long long val)
{
	int b;

	for (b = 0; b < 8; b++)
		buf[at + b] = (unsigned char)((unsigned long long)val >> (8 * b));
}

/*
 * Samples report cannot compute with are refused, naming the cause: CPU
 * 0's times at 20 and 28, offsets at 36 and 44, scalings at 52 and 60 in
 * the layout
 */
static void test_refuses_what_report_cannot_compute(void)
{
	static const struct {
		size_t		at[2];
		long long	val[2];
		const char	*why;
	} cases[] = {
		{ { 20, 28 }, { LLONG_MIN, LLONG_MAX }, "2^63 or more apart" },
		{ { 20, 28 }, { -2, LLONG_MAX - 1 }, "2^63 or more apart" },
		{ { 20, 28 }, { -5, 10 }, "negative" },
		{ { 20, 36 }, { 0, LLONG_MIN }, "-2^63" },
		{ { 20, 52 }, { LLONG_MAX, 3 }, "does not fit" },
	};
	unsigned char buf[256], out[256];
	struct tsync_time_shift ts;
	const char *why;
	size_t n, i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = layout(buf, true);
		put8(buf, cases[i].at[0], cases[i].val[0]);
		put8(buf, cases[i].at[1], cases[i].val[1]);
		why = NULL;
		CU_ASSERT_EQUAL(tsync_time_shift_decode(buf, n, false, &ts, &why), -1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(why);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, cases[i].why));
	}
	/* nor are they written */
	n = layout(buf, true);
	CU_ASSERT_EQUAL_FATAL(tsync_time_shift_decode(buf, n, false, &ts, &why), 0);
	ts.cpus[0].at[0].guest_ts = LLONG_MIN;
	ts.cpus[0].at[1].guest_ts = LLONG_MAX;
	why = NULL;
	CU_ASSERT_EQUAL(tsync_time_shift_encode(&ts, false, out, sizeof(out), &why), -1);
	CU_ASSERT_PTR_NOT_NULL(why);
	tsync_time_shift_free(&ts);
	/* at the limits: times 2^63 - 1 apart, an offset of -2^63 + 1 */
	n = layout(buf, true);
	put8(buf, 20, 0);
	put8(buf, 28, LLONG_MAX);
	put8(buf, 36, LLONG_MIN + 1);
	CU_ASSERT_EQUAL(tsync_time_shift_decode(buf, n, false, &ts, &why), 0);
	tsync_time_shift_free(&ts);
}

static void test_encode_needs_samples(void)
{
	struct tsync_time_shift ts;
	unsigned char buf[64];
	const char *why = NULL;

	CU_ASSERT_EQUAL_FATAL(tsync_time_shift_alloc(&ts, 1), 0);
	CU_ASSERT_EQUAL(tsync_time_shift_encode(&ts, false, buf, sizeof(buf), &why), -1);
	CU_ASSERT_PTR_NOT_NULL(why);
	tsync_time_shift_free(&ts);
}

void add_time_shift_suite(void)
{
	CU_pSuite suite = CU_add_suite("time-shift", NULL, NULL);

	CU_add_test(suite, "decodes trace-cmd's layout", test_decodes_layout);
	CU_add_test(suite, "round trip, both byte orders", test_round_trip);
	CU_add_test(suite, "no fraction bits", test_without_fractions);
	CU_add_test(suite, "truncated or longer", test_refuses_bad_sizes);
	CU_add_test(suite, "bad counts", test_refuses_bad_counts);
	CU_add_test(suite, "encode needs samples", test_encode_needs_samples);
	CU_add_test(suite, "what report cannot compute", test_refuses_what_report_cannot_compute);
}
