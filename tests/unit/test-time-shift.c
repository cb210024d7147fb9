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

/* decode() of a copy of @len bytes in memory of that size: a read past shows under ASan */
static int decode_exact(const unsigned char *buf, size_t len, struct tsync_time_shift *ts,
			const char **why)
{
	unsigned char *exact = malloc(len);
	int ret;

	CU_ASSERT_PTR_NOT_NULL_FATAL(exact);
	memcpy(exact, buf, len);
	*why = NULL;
	ret = tsync_time_shift_decode(exact, len, false, ts, why);
	free(exact);
	return ret;
}

/*
 * Every truncation and every extra byte is refused with its cause: the
 * header cut, too few bytes for two CPUs, the second CPU's samples cut,
 * fraction bits cut.
 */
static void test_refuses_bad_sizes(void)
{
	unsigned char buf[256];
	struct tsync_time_shift ts;
	size_t n = layout(buf, true), cut;
	const char *why, *want;

	for (cut = 0; cut < n; cut++) {
		if (cut == layout(buf, false))
			continue;	/* a valid frac-less payload */
		if (cut < 16)
			want = "shorter than its 16-byte header";
		else if (cut < 16 + 2 * 28)
			want = "its CPU count does not fit its size";
		else if (cut < 120)
			want = "a CPU's sample count exceeds the option's size";
		else
			want = "the fraction bits do not match the sample counts";
		CU_ASSERT_EQUAL(decode_exact(buf, cut, &ts, &why), -1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(why);
		CU_ASSERT_STRING_EQUAL(why, want);
	}
	layout(buf, true);
	buf[n] = 0;
	CU_ASSERT_EQUAL(decode_exact(buf, n + 1, &ts, &why), -1);
	CU_ASSERT_STRING_EQUAL(why, "the fraction bits do not match the sample counts");
}

/* One CPU's count takes the bytes the next one's count needed */
static void test_refuses_truncated_count(void)
{
	unsigned char buf[16 + 76] = { [12] = 2, [16] = 3 };	/* 2 CPUs; the first: 3 samples */
	struct tsync_time_shift ts;
	const char *why;
	int i;

	for (i = 0; i < 3; i++)
		buf[20 + 48 + 8 * i] = 1;	/* scalings of 1 */
	CU_ASSERT_EQUAL(decode_exact(buf, sizeof(buf), &ts, &why), -1);
	CU_ASSERT_STRING_EQUAL(why, "truncated in a CPU's sample count");
}

static void test_refuses_bad_counts(void)
{
	unsigned char buf[256];
	struct tsync_time_shift ts;
	size_t n = layout(buf, true);
	const char *why = NULL;

	memset(buf + 12, 0xff, 4);		/* CPU count 2^32 - 1 */
	CU_ASSERT_EQUAL(tsync_time_shift_decode(buf, n, false, &ts, &why), -1);
	CU_ASSERT_STRING_EQUAL(why, "its CPU count does not fit its size");
	layout(buf, true);
	memset(buf + 12, 0, 4);			/* no CPU */
	CU_ASSERT_EQUAL(tsync_time_shift_decode(buf, n, false, &ts, &why), -1);
	CU_ASSERT_STRING_EQUAL(why, "its CPU count does not fit its size");
	CU_ASSERT_EQUAL(tsync_time_shift_decode(buf, 16, false, &ts, &why), -1);
	layout(buf, true);
	memset(buf + 16, 0xff, 4);		/* first CPU's sample count */
	CU_ASSERT_EQUAL(tsync_time_shift_decode(buf, n, false, &ts, &why), -1);
	CU_ASSERT_STRING_EQUAL(why, "a CPU's sample count exceeds the option's size");
	layout(buf, true);
	memset(buf + 16, 0, 4);			/* a CPU without samples */
	CU_ASSERT_EQUAL(tsync_time_shift_decode(buf, n, false, &ts, &why), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "without samples"));
}

/* A TIME_SHIFT with 3 samples for 2: 48 bytes, no fraction bits */
static void test_count_past_the_payload(void)
{
	unsigned char buf[16 + 4 + 48] = { [12] = 1, [16] = 3 };
	struct tsync_time_shift ts;
	const char *why;

	CU_ASSERT_EQUAL(decode_exact(buf, sizeof(buf), &ts, &why), -1);
	CU_ASSERT_STRING_EQUAL(why, "a CPU's sample count exceeds the option's size");
}

/* Scalings must be positive, fraction bits 0 to 63, in every CPU */
static void test_refuses_bad_samples(void)
{
	static const struct {
		size_t		at;	/* little-endian s64 */
		long long	val;
		const char	*why;
	} bad[] = {
		{ 52, 0, "a sample's scaling is not positive" },	/* CPU 0, scalings */
		{ 60, -1, "a sample's scaling is not positive" },
		{ 104, LLONG_MIN, "a sample's scaling is not positive" },	/* CPU 1 */
		{ 120, -1, "a sample's fraction bits are not 0 to 63" },	/* CPU 0, frac */
		{ 144, 64, "a sample's fraction bits are not 0 to 63" },	/* CPU 1 */
	};
	unsigned char buf[256];
	struct tsync_time_shift ts;
	const char *why;
	size_t i, n;
	int b;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = layout(buf, true);
		for (b = 0; b < 8; b++)
			buf[bad[i].at + b] = (unsigned char)((unsigned long long)bad[i].val >> (8 * b));
		CU_ASSERT_EQUAL(decode_exact(buf, n, &ts, &why), -1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(why);
		CU_ASSERT_STRING_EQUAL(why, bad[i].why);
	}
}

/* A failed decode leaves nothing to free, whatever the struct held */
static void test_failure_leaves_nothing(void)
{
	unsigned char buf[256];
	struct tsync_time_shift ts;
	const char *why;
	size_t n = layout(buf, true);

	memset(&ts, 0xff, sizeof(ts));
	CU_ASSERT_EQUAL(tsync_time_shift_decode(buf, 10, false, &ts, &why), -1);
	CU_ASSERT_PTR_NULL(ts.cpus);
	CU_ASSERT_EQUAL(ts.cpu_count, 0);
	memset(&ts, 0xff, sizeof(ts));
	CU_ASSERT_EQUAL(tsync_time_shift_decode(buf, n - 1, false, &ts, &why), -1);
	CU_ASSERT_PTR_NULL(ts.cpus);
	CU_ASSERT_EQUAL(ts.cpu_count, 0);
}

/* Memory runs out at each allocation of a decode: refused, nothing leaks */
static void test_decode_out_of_memory(void)
{
	unsigned char buf[256];
	struct tsync_time_shift ts;
	size_t n = layout(buf, true);
	const char *why;
	int fail;

	/* the CPUs, then each CPU's samples */
	for (fail = 1; fail <= 1 + 2; fail++) {
		why = NULL;
		unit_fail_alloc(fail);
		CU_ASSERT_EQUAL(tsync_time_shift_decode(buf, n, false, &ts, &why), -1);
		unit_fail_alloc(0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(why);
		CU_ASSERT_STRING_EQUAL(why, "out of memory");
	}
	CU_ASSERT_EQUAL(tsync_time_shift_decode(buf, n, false, &ts, &why), 0);
	tsync_time_shift_free(&ts);
}

/* Up to TSYNC_MAX_CPUS CPUs of one sample each, decoded and encoded */
static void test_most_cpus(void)
{
	size_t n = 16 + ((size_t)TSYNC_MAX_CPUS + 1) * 28, i;
	unsigned char *buf = calloc(1, n), *out;
	struct tsync_time_shift ts;
	unsigned int cpus;
	const char *why;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	for (i = 0; i <= TSYNC_MAX_CPUS; i++) {
		buf[16 + 28 * i] = 1;		/* one sample */
		buf[16 + 28 * i + 20] = 1;	/* of scaling 1 */
	}
	for (cpus = TSYNC_MAX_CPUS; cpus <= TSYNC_MAX_CPUS + 1; cpus++) {
		tsync_put_number(buf + 12, 4, cpus, false);
		n = 16 + (size_t)cpus * 28;
		if (cpus > TSYNC_MAX_CPUS) {
			CU_ASSERT_EQUAL(tsync_time_shift_decode(buf, n, false, &ts, &why), -1);
			continue;
		}
		CU_ASSERT_EQUAL_FATAL(tsync_time_shift_decode(buf, n, false, &ts, &why), 0);
		CU_ASSERT_EQUAL(ts.cpu_count, TSYNC_MAX_CPUS);
		out = malloc(tsync_time_shift_size(&ts));
		CU_ASSERT_PTR_NOT_NULL_FATAL(out);
		CU_ASSERT_EQUAL(tsync_time_shift_size(&ts), n + (size_t)cpus * 8);
		CU_ASSERT_EQUAL(tsync_time_shift_encode(&ts, false, out, n + (size_t)cpus * 8,
							&why), 0);
		CU_ASSERT_EQUAL(memcmp(out, buf, n), 0);
		/* one CPU more than the most is not encoded */
		ts.cpu_count++;
		CU_ASSERT_EQUAL(tsync_time_shift_encode(&ts, false, out, n + (size_t)cpus * 8,
							&why), -1);
		ts.cpu_count--;
		free(out);
		tsync_time_shift_free(&ts);
	}
	free(buf);
}

/* alloc() gives empty CPUs and no flags, whatever the struct held; free() empties */
static void test_alloc_and_free(void)
{
	struct tsync_time_shift ts;
	int i;

	memset(&ts, 0xff, sizeof(ts));
	CU_ASSERT_EQUAL_FATAL(tsync_time_shift_alloc(&ts, 3), 0);
	CU_ASSERT_EQUAL(ts.cpu_count, 3);
	CU_ASSERT_EQUAL(ts.flags, 0);
	CU_ASSERT_EQUAL(ts.peer_trace_id, 0);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(ts.cpus[i].nr, 0);
		CU_ASSERT_PTR_NULL(ts.cpus[i].at);
	}
	tsync_time_shift_free(&ts);
	CU_ASSERT_PTR_NULL(ts.cpus);
	CU_ASSERT_EQUAL(ts.cpu_count, 0);
	tsync_time_shift_free(&ts);		/* twice is harmless */

	CU_ASSERT_EQUAL_FATAL(tsync_time_shift_alloc(&ts, 0), 0);
	CU_ASSERT_PTR_NOT_NULL(ts.cpus);
	tsync_time_shift_free(&ts);

	unit_fail_alloc(1);
	CU_ASSERT_EQUAL(tsync_time_shift_alloc(&ts, 2), -1);
	unit_fail_alloc(0);
}

/* encode() takes 1 to TSYNC_MAX_CPUS CPUs, each with valid samples */
static void test_encode_refuses(void)
{
	struct tsync_sample one = { .guest_ts = 5, .offset = -3, .scaling = 1, .frac = 0 };
	unsigned char buf[64], want[16 + 4 + 32] = { [12] = 1, [16] = 1, [20] = 5, [28] = 0xfd,
		[29] = 0xff, [30] = 0xff, [31] = 0xff, [32] = 0xff, [33] = 0xff, [34] = 0xff,
		[35] = 0xff, [36] = 1 };
	struct tsync_samples cpu = { .at = &one, .nr = 1 };
	struct tsync_time_shift ts = { .cpu_count = 1, .cpus = &cpu };
	const char *why = NULL;

	CU_ASSERT_EQUAL(tsync_time_shift_encode(&ts, false, buf, sizeof(buf), &why), 0);
	CU_ASSERT_EQUAL(memcmp(buf, want, sizeof(want)), 0);
	one.scaling = 0;
	CU_ASSERT_EQUAL(tsync_time_shift_encode(&ts, false, buf, sizeof(buf), &why), -1);
	CU_ASSERT_STRING_EQUAL(why, "a sample's scaling is not positive");
	one.scaling = 1;
	ts.cpu_count = 0;
	CU_ASSERT_EQUAL(tsync_time_shift_encode(&ts, false, buf, sizeof(buf), &why), -1);
	CU_ASSERT_STRING_EQUAL(why, "no CPUs, or too many");
	ts.cpu_count = -1;
	CU_ASSERT_EQUAL(tsync_time_shift_encode(&ts, false, buf, sizeof(buf), &why), -1);
	ts.cpu_count = 1;
	cpu.nr = 0;
	CU_ASSERT_EQUAL(tsync_time_shift_encode(&ts, false, buf, sizeof(buf), &why), -1);
	CU_ASSERT_STRING_EQUAL(why, "a CPU without samples");
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
		{ { 20, 28 }, { 10, -5 }, "negative" },
		{ { 20, 28 }, { LLONG_MAX, LLONG_MIN }, "2^63 or more apart" },
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
	CU_add_test(suite, "a count cut", test_refuses_truncated_count);
	CU_add_test(suite, "bad counts", test_refuses_bad_counts);
	CU_add_test(suite, "a count past the payload", test_count_past_the_payload);
	CU_add_test(suite, "bad samples", test_refuses_bad_samples);
	CU_add_test(suite, "a failure leaves nothing", test_failure_leaves_nothing);
	CU_add_test(suite, "out of memory", test_decode_out_of_memory);
	CU_add_test(suite, "the most CPUs", test_most_cpus);
	CU_add_test(suite, "alloc and free", test_alloc_and_free);
	CU_add_test(suite, "encode refuses", test_encode_refuses);
	CU_add_test(suite, "encode needs samples", test_encode_needs_samples);
	CU_add_test(suite, "what report cannot compute", test_refuses_what_report_cannot_compute);
}
