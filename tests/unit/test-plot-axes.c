// SPDX-License-Identifier: LGPL-2.1
/* inspect's picture: seconds from the trace's start, offsets in ns or us */
#include <limits.h>
#include <math.h>
#include <CUnit/CUnit.h>

#include "unit.h"

/* A ns clock: seconds on x, ns on y below 10 us of reach */
static void test_ns_clock(void)
{
	struct tsync_plot_axes ax;

	tsync_plot_axes_init(&ax, 5000000000LL, 1);
	tsync_plot_axes_reach(&ax, 1009000, 1000000, 999);
	tsync_plot_axes_done(&ax);
	CU_ASSERT_STRING_EQUAL(ax.x_unit, "s");
	CU_ASSERT_STRING_EQUAL(ax.y_unit, "ns");
	CU_ASSERT_DOUBLE_EQUAL(tsync_plot_x(&ax, 6500000000LL), 1.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(tsync_plot_x(&ax, 4000000000LL), -1, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(tsync_plot_y(&ax, 1009000, 1000000), 9000, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(tsync_plot_y(&ax, 999000, 1000000), -1000, 1e-9);
}

/* 10 us of reach, a bound's included, turns the y axis to us */
static void test_us_from_10us(void)
{
	struct tsync_plot_axes ax;

	tsync_plot_axes_init(&ax, 0, 1);
	tsync_plot_axes_reach(&ax, -9000, 0, 1000);
	tsync_plot_axes_reach(&ax, 5000, 0, 0);
	tsync_plot_axes_done(&ax);
	CU_ASSERT_STRING_EQUAL(ax.y_unit, "us");
	CU_ASSERT_DOUBLE_EQUAL(tsync_plot_y(&ax, -9000, 0), -9, 1e-12);

	tsync_plot_axes_init(&ax, 0, 1);
	tsync_plot_axes_reach(&ax, -9000, 0, 999);
	tsync_plot_axes_reach(&ax, 9999, 0, -1);
	tsync_plot_axes_done(&ax);
	CU_ASSERT_STRING_EQUAL(ax.y_unit, "ns");
}

/* TSC cycles of 0.4 ns (2.5 GHz): both axes converted */
static void test_tsc_cycles(void)
{
	struct tsync_plot_axes ax;

	tsync_plot_axes_init(&ax, 1000, 0.4);
	tsync_plot_axes_reach(&ax, 25000, 0, 0);
	tsync_plot_axes_done(&ax);
	CU_ASSERT_STRING_EQUAL(ax.y_unit, "us");
	CU_ASSERT_DOUBLE_EQUAL(tsync_plot_y(&ax, 25000, 0), 10, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(tsync_plot_x(&ax, 2500001000LL), 1, 1e-12);
}

/* A clock of unknown units keeps them on both axes */
static void test_unknown_unit(void)
{
	struct tsync_plot_axes ax;

	tsync_plot_axes_init(&ax, 10, NAN);
	tsync_plot_axes_reach(&ax, 1000000, 0, 0);
	tsync_plot_axes_done(&ax);
	CU_ASSERT_STRING_EQUAL(ax.x_unit, "clock units");
	CU_ASSERT_STRING_EQUAL(ax.y_unit, "clock units");
	CU_ASSERT_DOUBLE_EQUAL(tsync_plot_x(&ax, 30), 20, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(tsync_plot_y(&ax, 1000000, 0), 1000000, 1e-6);
	tsync_plot_axes_init(&ax, 10, -1);
	CU_ASSERT_EQUAL(ax.unit_ns, 0);
}

/* Times and offsets 2^64 apart: finite numbers, no overflow */
static void test_extremes(void)
{
	struct tsync_plot_axes ax;

	tsync_plot_axes_init(&ax, LLONG_MIN, 1);
	tsync_plot_axes_reach(&ax, LLONG_MAX, LLONG_MIN, LLONG_MAX);
	tsync_plot_axes_done(&ax);
	CU_ASSERT_STRING_EQUAL(ax.y_unit, "us");
	CU_ASSERT_DOUBLE_EQUAL(tsync_plot_x(&ax, LLONG_MAX), 18446744073.709551615, 1e-3);
	CU_ASSERT_DOUBLE_EQUAL(tsync_plot_y(&ax, LLONG_MAX, LLONG_MIN), 18446744073709551.615, 10);
	CU_ASSERT(isfinite(ax.reach));
}

/* The fitted line at the samples and beyond, in y units: 10 ppm, in us */
static void test_fit_line(void)
{
	struct tsync_sample at[3] = { { 5000000, 7000, 1, 0 }, { 6000000, 7010, 1, 0 },
				      { 7000000, 7020, 1, 0 } };
	struct tsync_samples cpu = { .at = at, .nr = 3 };
	struct tsync_sync_stats st;
	struct tsync_plot_axes ax;

	tsync_sync_stats(&cpu, &st);
	tsync_plot_axes_init(&ax, 0, 1000);
	tsync_plot_axes_reach(&ax, 7020, 7000, 0);
	tsync_plot_axes_done(&ax);
	CU_ASSERT_STRING_EQUAL(ax.y_unit, "us");
	CU_ASSERT_DOUBLE_EQUAL(tsync_plot_fit_y(&ax, &st, 5000000, 5000000), 0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(tsync_plot_fit_y(&ax, &st, 5000000, 7000000), 20, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(tsync_plot_fit_y(&ax, &st, 5000000, 4000000), -10, 1e-9);
}

void add_plot_axes_suite(void)
{
	CU_pSuite suite = CU_add_suite("plot-axes", NULL, NULL);

	CU_add_test(suite, "a ns clock", test_ns_clock);
	CU_add_test(suite, "us from 10 us", test_us_from_10us);
	CU_add_test(suite, "TSC cycles", test_tsc_cycles);
	CU_add_test(suite, "unknown units", test_unknown_unit);
	CU_add_test(suite, "extremes", test_extremes);
	CU_add_test(suite, "the fitted line", test_fit_line);
}
