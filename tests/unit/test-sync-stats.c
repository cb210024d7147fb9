// SPDX-License-Identifier: LGPL-2.1
/* Figures of a CPU's samples, and tsync-ptp's bound lines */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "unit.h"

/* a record and the protocol named on its line */
struct line {
	char				proto[TSYNC_PROTO_NAME_MAX];
	struct tsync_sync_record	r;
};

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
	/* the line through the means (1.5e6, 15.5), at the first sample */
	CU_ASSERT_DOUBLE_EQUAL(st.fit_first, 0.2, 1e-9);
	/* residuals -0.2, 0.6, -0.6, 0.2 */
	CU_ASSERT_DOUBLE_EQUAL(st.jitter, sqrt(0.8 / 4), 1e-9);
}

/* Samples in any order, all below zero: first, last, least and most */
static void test_any_order(void)
{
	struct tsync_sample at[4] = {
		{ -3000000, -30, 1, 0 }, { -1000000, -10, 1, 0 }, { -4000000, -41, 1, 0 },
		{ -2000000, -21, 1, 0 },
	};
	struct tsync_samples cpu = { .at = at, .nr = 4 };
	struct tsync_sync_stats st;

	tsync_sync_stats(&cpu, &st);
	CU_ASSERT_EQUAL(st.first_ts, -4000000);
	CU_ASSERT_EQUAL(st.last_ts, -1000000);
	CU_ASSERT_EQUAL(st.min_offset, -41);
	CU_ASSERT_EQUAL(st.max_offset, -10);
	CU_ASSERT_DOUBLE_EQUAL(st.drift_ppm, 10.2, 1e-9);
}

/* Two samples at one guest time: no line through them, no drift, no NaN */
static void test_one_time(void)
{
	struct tsync_sample at[2] = { { 500, 1, 1, 0 }, { 500, 9, 1, 0 } };
	struct tsync_samples cpu = { .at = at, .nr = 2 };
	struct tsync_sync_stats st;

	tsync_sync_stats(&cpu, &st);
	CU_ASSERT_EQUAL(st.samples, 2);
	CU_ASSERT_EQUAL(st.drift_ppm, 0);
	CU_ASSERT_EQUAL(st.jitter, 0);
	CU_ASSERT_EQUAL(st.max_offset - st.min_offset, 8);
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

/* No samples: nothing to read, every figure 0 */
static void test_no_samples(void)
{
	struct tsync_samples none = { 0 };
	struct tsync_sync_stats st;

	memset(&st, 0xff, sizeof(st));
	tsync_sync_stats(&none, &st);
	CU_ASSERT_EQUAL(st.samples, 0);
	CU_ASSERT_EQUAL(st.span, 0);
	CU_ASSERT_EQUAL(st.min_offset, 0);
	CU_ASSERT_EQUAL(st.drift_ppm, 0);
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

/* tsync_record_parse() of @text without its NUL, in memory of its length */
static int parse_exact(const char *text, size_t len, struct line *l)
{
	char *exact = malloc(len);
	int ret;

	CU_ASSERT_PTR_NOT_NULL_FATAL(exact);
	memcpy(exact, text, len);
	ret = tsync_record_parse(exact, len, l->proto, &l->r);
	free(exact);
	return ret;
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
		"tsync-sync: protX=tsync-ptp cpu=1 ts=1 offset=0 bound=0",
		"tsync-sync: proto=tsync-ptp cpx=1 ts=1 offset=0 bound=0",
		"tsync-sync: proto=tsync-ptp cpu=1 tx=1 offset=0 bound=0",
		"tsync-sync: proto=tsync-ptp cpu=1 ts=-1 offset=0 bound=0",
		/* a CPU and a time are unsigned: no sign, not even on 0 */
		"tsync-sync: proto=tsync-ptp cpu=-0 ts=1 offset=0 bound=0",
		"tsync-sync: proto=tsync-ptp cpu=1 ts=-0 offset=0 bound=0",
		"tsync-sync: proto=tsync-ptp cpu=1 ts=1 offset=0 bound=0\nmore",
		"tsync-sync: proto=tsync-ptp cpu=65536 ts=1 offset=0 bound=0",
		"tsync-sync: proto=sixteen-chars-xx cpu=1 ts=1 offset=0 bound=0",
		"tsync-sync: proto=tsync-ptp cpu=1 ts=1 offset=0 bound=",
		"tsync-sync: proto=tsync-ptp",
		"tsync-sync: proto",
		"tsync-sync:",
		"tsync-sync",
		"\n",
		"",
	};
	struct line l;
	size_t i;

	CU_ASSERT_EQUAL_FATAL(parse_exact(good, strlen(good), &l), 0);
	CU_ASSERT_STRING_EQUAL(l.proto, "tsync-ptp");
	CU_ASSERT_EQUAL(l.r.cpu, 1);
	CU_ASSERT_EQUAL(l.r.guest_ts, 123456);
	CU_ASSERT_EQUAL(l.r.offset, -42);
	CU_ASSERT_EQUAL(l.r.bound, 17);
	CU_ASSERT_EQUAL(parse_exact(good, strlen(good) - 4, &l), -1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(parse_exact(bad[i], strlen(bad[i]), &l), -1);
		if (parse_exact(bad[i], strlen(bad[i]), &l) != -1)
			fprintf(stderr, "\n    taken: '%s'\n", bad[i]);
	}
}

/* The edges of what is taken: the most CPUs, a bound not proven, the longest name */
static void test_bound_line_edges(void)
{
	static const char trailing[] = "tsync-sync: proto=tsync-ptp cpu=0 ts=5 offset=7 bound=-1\n";
	const char *good[] = {
		"tsync-sync: proto=tsync-ptp cpu=65535 ts=1 offset=0 bound=0",
		"tsync-sync:   proto=fifteen-chars-x   cpu=0 ts=0 offset=-9223372036854775808 "
		"bound=9223372036854775807",
	};
	struct line l;

	CU_ASSERT_EQUAL(parse_exact(good[0], strlen(good[0]), &l), 0);
	CU_ASSERT_EQUAL(l.r.cpu, TSYNC_MAX_CPUS - 1);
	CU_ASSERT_EQUAL(parse_exact(good[1], strlen(good[1]), &l), 0);
	CU_ASSERT_STRING_EQUAL(l.proto, "fifteen-chars-x");
	CU_ASSERT_EQUAL(l.r.offset, LLONG_MIN);
	CU_ASSERT_EQUAL(l.r.bound, LLONG_MAX);
	/* a print event's text: its newline and NUL are no part of it */
	CU_ASSERT_EQUAL(parse_exact(trailing, sizeof(trailing), &l), 0);
	CU_ASSERT_EQUAL(l.r.bound, -1);
	CU_ASSERT_EQUAL(l.r.offset, 7);
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
 * distance of -1, by which report divides) or at one time (a distance of
 * 0), and an offset of -2^63 (whose absolute value it takes).  report
 * crashes or relies on wrapping there; the model wraps, without undefined
 * behaviour or a trap.
 */
static void test_report_overflows(void)
{
	struct tsync_sample apart[2] = { { LLONG_MIN, 0, 1, 0 }, { LLONG_MAX, LLONG_MIN, 1, 0 } };
	struct tsync_sample low[2] = { { 0, LLONG_MIN, 1, 0 }, { 10, LLONG_MIN, 1, 0 } };
	struct tsync_sample minus[2] = { { LLONG_MIN, 0, 1, 0 }, { LLONG_MAX, 10, 1, 0 } };
	/* report divides by 0 for two samples at one time: here the quotient is 0 */
	struct tsync_sample same[2] = { { 100, 5, 1, 0 }, { 100, 9, 1, 0 } };

	/* (1 + 2^63) * -2^63 / -1 wraps to -2^63 */
	CU_ASSERT_EQUAL(tsync_report_host_time(apart, 2, true, 1), 1 + (1ULL << 63));
	CU_ASSERT_EQUAL(tsync_report_host_time(apart, 2, true, 2), 2);
	/* 3 cycles on, 3 * 10 / -1 */
	CU_ASSERT_EQUAL(tsync_report_host_time(minus, 2, true, (1ULL << 63) + 3),
			(1ULL << 63) + 3 - 30);
	CU_ASSERT_EQUAL(tsync_report_host_time(same, 2, true, 50), 55);
	CU_ASSERT_EQUAL(tsync_report_host_time(same, 2, true, 150), 155);
	CU_ASSERT_EQUAL(tsync_report_host_time(low, 2, true, 5), 5 + (1ULL << 63));
	CU_ASSERT_EQUAL(tsync_report_host_time(low, 2, false, 5), 5 + (1ULL << 63));
	CU_ASSERT_EQUAL(tsync_report_host_time(low, 1, true, 5), 5 + (1ULL << 63));
}

void add_sync_stats_suite(void)
{
	CU_pSuite suite = CU_add_suite("sync-stats", NULL, NULL);

	CU_add_test(suite, "drift and jitter", test_line_and_jitter);
	CU_add_test(suite, "scaled samples at the extremes", test_scaled_extremes);
	CU_add_test(suite, "no samples", test_no_samples);
	CU_add_test(suite, "one sample", test_one_sample);
	CU_add_test(suite, "spans beyond 64 bits", test_extreme_spans);
	CU_add_test(suite, "samples in any order", test_any_order);
	CU_add_test(suite, "samples at one time", test_one_time);
	CU_add_test(suite, "bound lines", test_bound_lines);
	CU_add_test(suite, "edges of bound lines", test_bound_line_edges);
	CU_add_test(suite, "guest time from host time", test_guest_time);
	CU_add_test(suite, "report's overflows, modelled", test_report_overflows);
}
