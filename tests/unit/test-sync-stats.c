// SPDX-License-Identifier: LGPL-2.1
/* Figures of a CPU's samples, and tsync-ptp's bound lines */
#include <limits.h>
#include <math.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "unit.h"

static void test_line_and_jitter(void)
{
	/* 10 ppm, +-0.5 around it */
	struct tsync_sample at[4] = {
		{ 1000000, 10, 1, 0 }, { 2000000, 21, 1, 0 }, { 3000000, 30, 1, 0 },
		{ 4000000, 41, 1, 0 },
	};
	struct tsync_samples cpu = { .at = at, .nr = 4 };
	struct tsync_sync_stats st;

	tsync_sync_stats(&cpu, &st);
	CU_ASSERT_EQUAL(st.samples, 4);
	CU_ASSERT_EQUAL(st.min_offset, 10);
	CU_ASSERT_EQUAL(st.max_offset, 41);
	CU_ASSERT_EQUAL(st.span, 3000000);
	CU_ASSERT_DOUBLE_EQUAL(st.drift_ppm, 10.2, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(st.jitter, 0.4, 0.11);
}

/* Scaled samples: the offset is host - guest, host = ts * 3 >> 1 */
static void test_scaled_extremes(void)
{
	struct tsync_sample at[2] = { { LLONG_MAX / 2, 0, 3, 1 }, { LLONG_MAX / 2 + 1000, 0, 3, 1 } };
	struct tsync_samples cpu = { .at = at, .nr = 2 };
	struct tsync_sync_stats st;

	CU_ASSERT_EQUAL(tsync_sample_offset(&at[1]) - tsync_sample_offset(&at[0]), 500);
	tsync_sync_stats(&cpu, &st);
	CU_ASSERT_DOUBLE_EQUAL(st.drift_ppm, 500000, 1e-3);
	CU_ASSERT_DOUBLE_EQUAL(st.jitter, 0, 1e-9);
}

static void test_one_sample(void)
{
	struct tsync_sample at = { -5, LLONG_MIN, 1, 0 };
	struct tsync_samples cpu = { .at = &at, .nr = 1 };
	struct tsync_sync_stats st;

	tsync_sync_stats(&cpu, &st);
	CU_ASSERT_EQUAL(st.min_offset, LLONG_MIN);
	CU_ASSERT_EQUAL(st.drift_ppm, 0);
}

/* Samples at the extremes of 64 bits: spans and differences beyond them */
static void test_extreme_spans(void)
{
	struct tsync_sample at[2] = { { LLONG_MIN, LLONG_MIN, 1, 0 }, { LLONG_MAX, LLONG_MAX, 1, 0 } };
	struct tsync_samples cpu = { .at = at, .nr = 2 };
	struct tsync_sync_stats st;

	tsync_sync_stats(&cpu, &st);
	CU_ASSERT_EQUAL(st.span, ULLONG_MAX);
	CU_ASSERT_EQUAL(st.min_offset, LLONG_MIN);
	CU_ASSERT_EQUAL(st.max_offset, LLONG_MAX);
	CU_ASSERT_DOUBLE_EQUAL(st.drift_ppm, 1e6, 1e-3);
	CU_ASSERT_DOUBLE_EQUAL(st.jitter, 0, 1);
}

static void test_bound_lines(void)
{
	const char *good = "tsync-sync: proto=tsync-ptp cpu=1 ts=123456 offset=-42 bound=17\n";
	const char *bad[] = {
		"tsync-sync: proto=tsync-ptp cpu=1 ts=123456 offset=-42",
		"tsync-sync: proto=tsync-ptp cpu=-1 ts=1 offset=0 bound=0",
		"tsync-sync: proto=tsync-ptp cpu=18446744073709551615 ts=1 offset=0 bound=0",
		"tsync-sync: proto=tsync-ptp cpu=1 ts=18446744073709551615 offset=0 bound=0",
		"tsync-sync: proto=tsync-ptp cpu=1 ts=1 offset=0 bound=-2",
		"tsync-sync: proto=tsync-ptp cpu=1 ts=1 offset=0 bound=0 extra",
		"tsync-sync: proto= cpu=1 ts=1 offset=0 bound=0",
		"tsync-sync: proto=tsync-ptp cpu=1 ts=1 offset=99999999999999999999 bound=0",
		"tsync-syncx proto=tsync-ptp cpu=1 ts=1 offset=0 bound=0",
		"",
	};
	char proto[TSYNC_PROTO_NAME_MAX];
	struct tsync_sync_record r;
	size_t i;

	CU_ASSERT_EQUAL_FATAL(tsync_record_parse(good, strlen(good), proto, &r), 0);
	CU_ASSERT_STRING_EQUAL(proto, "tsync-ptp");
	CU_ASSERT_EQUAL(r.cpu, 1);
	CU_ASSERT_EQUAL(r.guest_ts, 123456);
	CU_ASSERT_EQUAL(r.offset, -42);
	CU_ASSERT_EQUAL(r.bound, 17);
	CU_ASSERT_EQUAL(tsync_record_parse(good, strlen(good) - 4, proto, &r), -1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(tsync_record_parse(bad[i], strlen(bad[i]), proto, &r), -1);
}

/* Host time back to guest time: the inverse of report's, at the extremes */
static void test_guest_time(void)
{
	struct tsync_sample c[2] = { { 1000, -1234567, 1, 0 }, { 5000, -1234567, 1, 0 } };
	struct tsync_sample r[2] = { { 0, 0, 1, 0 }, { 1000000, 1000, 1, 0 } };	/* 1000 ppm */
	unsigned long long g, h;

	CU_ASSERT_EQUAL(tsync_report_guest_time(c, 2, true, 5000000), 5000000 + 1234567);
	CU_ASSERT_EQUAL(tsync_report_guest_time(c, 1, true, 7), 7 + 1234567);
	CU_ASSERT_EQUAL(tsync_report_guest_time(c, 2, true, ULLONG_MAX - 10), 1234556);
	for (g = 0; g < 3000000; g += 99991) {
		h = tsync_report_host_time(r, 2, true, g);
		CU_ASSERT_EQUAL(tsync_report_guest_time(r, 2, true, h), g);
	}
}

/*
 * report's arithmetic where it overflows: two samples 2^64 - 1 apart (a
 * distance of -1, by which report divides) and an offset of -2^63 (whose
 * absolute value it takes).  report crashes or relies on wrapping there;
 * the model wraps, without undefined behaviour or a trap.
 */
static void test_report_overflows(void)
{
	struct tsync_sample apart[2] = { { LLONG_MIN, 0, 1, 0 }, { LLONG_MAX, LLONG_MIN, 1, 0 } };
	struct tsync_sample low[2] = { { 0, LLONG_MIN, 1, 0 }, { 10, LLONG_MIN, 1, 0 } };

	/* (1 + 2^63) * -2^63 / -1 wraps to -2^63 */
	CU_ASSERT_EQUAL(tsync_report_host_time(apart, 2, true, 1), 1 + (1ULL << 63));
	CU_ASSERT_EQUAL(tsync_report_host_time(apart, 2, true, 2), 2);
	CU_ASSERT_EQUAL(tsync_report_host_time(low, 2, true, 5), 5 + (1ULL << 63));
	CU_ASSERT_EQUAL(tsync_report_host_time(low, 2, false, 5), 5 + (1ULL << 63));
	CU_ASSERT_EQUAL(tsync_report_host_time(low, 1, true, 5), 5 + (1ULL << 63));
}

void add_sync_stats_suite(void)
{
	CU_pSuite suite = CU_add_suite("sync-stats", NULL, NULL);

	CU_add_test(suite, "drift and jitter", test_line_and_jitter);
	CU_add_test(suite, "scaled samples at the extremes", test_scaled_extremes);
	CU_add_test(suite, "one sample", test_one_sample);
	CU_add_test(suite, "spans beyond 64 bits", test_extreme_spans);
	CU_add_test(suite, "bound lines", test_bound_lines);
	CU_add_test(suite, "guest time from host time", test_guest_time);
	CU_add_test(suite, "report's overflows, modelled", test_report_overflows);
}
