// SPDX-License-Identifier: LGPL-2.1
/*
 * The axes of inspect's picture of a sync: guest time as seconds from the
 * trace's start, and each CPU's offsets relative to its first sample in ns,
 * or in us once they reach 10 us, converted from trace clock units.  A
 * clock of unknown units keeps them on both axes.
 *
 * Pure arithmetic: tests/unit/test-plot-axes.c.
 */
#include <math.h>
#include <string.h>

#include "tsync/core.h"

typedef __int128 s128;

/* Offsets this far from the first one (in ns) read better in us */
#define US_FROM_NS	10000.0

/* a - b, which may not fit in 64 bits */
static double diff(long long a, long long b)
{
	return (double)((s128)a - b);
}

/**
 * tsync_plot_axes_init - axes for a trace whose clock counts @unit_ns ns
 * @ax: the axes
 * @start: the guest time of the trace's start, x = 0
 * @unit_ns: one clock unit in ns; 0 (or not finite) when not known
 *
 * Then tsync_plot_axes_reach() for every point, and tsync_plot_axes_done().
 */
void tsync_plot_axes_init(struct tsync_plot_axes *ax, long long start, double unit_ns)
{
	memset(ax, 0, sizeof(*ax));
	ax->start = start;
	ax->unit_ns = isfinite(unit_ns) && unit_ns > 0 ? unit_ns : 0;
	ax->x_unit = ax->unit_ns ? "s" : "clock units";
	ax->x_scale = ax->unit_ns ? ax->unit_ns / 1e9 : 1;
	ax->y_unit = ax->unit_ns ? "ns" : "clock units";
	ax->y_scale = ax->unit_ns ? ax->unit_ns : 1;
}

/**
 * tsync_plot_axes_reach - a point the y axis must hold
 * @ax: the axes
 * @offset: its offset, in clock units
 * @first: the first offset of its CPU
 * @bound: its error bound either side, 0 for none
 */
void tsync_plot_axes_reach(struct tsync_plot_axes *ax, long long offset, long long first,
			   long long bound)
{
	double reach = fabs(diff(offset, first)) + (bound > 0 ? (double)bound : 0);

	if (reach > ax->reach)
		ax->reach = reach;
}

/* All points seen: offsets of 10 us or more are drawn in us */
void tsync_plot_axes_done(struct tsync_plot_axes *ax)
{
	if (ax->unit_ns && ax->reach * ax->unit_ns >= US_FROM_NS) {
		ax->y_unit = "us";
		ax->y_scale = ax->unit_ns / 1000;
	}
}

/* Seconds (or clock units) from the trace's start */
double tsync_plot_x(const struct tsync_plot_axes *ax, long long guest_ts)
{
	return diff(guest_ts, ax->start) * ax->x_scale;
}

/* An offset relative to its CPU's first one, in the y axis' unit */
double tsync_plot_y(const struct tsync_plot_axes *ax, long long offset, long long first)
{
	return diff(offset, first) * ax->y_scale;
}

/**
 * tsync_plot_fit_y - the least-squares line of a CPU's offsets at a time
 * @ax: the axes
 * @st: the CPU's figures (tsync_sync_stats())
 * @first_ts: the guest time of its first sample, at[0]
 * @guest_ts: where on the line
 *
 * Relative to the first sample's offset, as tsync_plot_y().
 */
double tsync_plot_fit_y(const struct tsync_plot_axes *ax, const struct tsync_sync_stats *st,
			long long first_ts, long long guest_ts)
{
	return (st->fit_first + st->drift_ppm / 1e6 * diff(guest_ts, first_ts)) * ax->y_scale;
}
