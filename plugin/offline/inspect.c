// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync-offline inspect: how good a guest file's sync is, per guest CPU:
 * the TIME_SHIFT samples (count, offset range, drift, jitter) and the error
 * bounds, from tsync-ptp's "tsync-sync:" print events in the same file, or
 * 0 by construction for tsync-kvm.  --plot draws them (plot.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <trace-cmd.h>

#include "tsync/offline.h"

static const char *protocol(unsigned int flags)
{
	if (!(flags & TSYNC_FLAG_MARK))
		return "trace-cmd's built-in protocol";
	switch ((flags >> 24) & 0xf) {
	case 1:		return TSYNC_KVM_NAME;
	case 2:		return TSYNC_PTP_NAME;
	default:	return "an unknown tsync protocol";
	}
}

static bool is_kvm(unsigned int flags)
{
	return (flags & ~TSYNC_FLAG_INTERPOLATE) == TSYNC_FLAG_KVM;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: trace-cmd-tsync inspect [--plot FILE.svg|FILE.png] GUEST.dat\n"
		"  Prints how good GUEST.dat's time sync is, per guest CPU: its TIME_SHIFT\n"
		"  samples (offset, drift, jitter) and the error bounds tsync-ptp proved.\n");
}

static int by_bound(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static void print_bounds(const struct tsync_bounds *b, int cpu)
{
	long long *v = malloc((b->nr ? b->nr : 1) * sizeof(*v));
	int i, points = 0, n = 0;

	for (i = 0; v && i < b->nr; i++) {
		if ((int)b->lines[i].r.cpu != cpu)
			continue;
		points++;
		if (b->lines[i].r.bound >= 0)
			v[n++] = b->lines[i].r.bound;
	}
	qsort(v, n, sizeof(*v), by_bound);
	if (!points)
		printf("cpu %d: no sync record of this CPU\n", cpu);
	else if (!n)
		printf("cpu %d: error bound: %d sync points, none proven\n", cpu, points);
	else
		printf("cpu %d: error bound: %d sync points, %d proven: min %lld median %lld max %lld\n",
		       cpu, points, n, v[0], v[(n - 1) / 2], v[n - 1]);
	free(v);
}

static void print_cpu(const struct tsync_time_shift *ts, const struct tsync_bounds *b, int cpu)
{
	struct tsync_sync_stats st;

	tsync_sync_stats(&ts->cpus[cpu], &st);
	printf("cpu %d: %d samples over %llu, offset %lld to %lld, drift %.3f ppm, jitter %.1f\n",
	       cpu, st.samples, st.span, st.min_offset, st.max_offset, st.drift_ppm, st.jitter);
	if (is_kvm(ts->flags))
		printf("cpu %d: error bound 0 (tsync-kvm: exact by construction)\n", cpu);
	else if (b->nr)
		print_bounds(b, cpu);
}

/* Samples of @ts while @f's trace ran, and how many in all */
static int samples_traced(const struct tsync_trace_file *f, const struct tsync_time_shift *ts,
			  int *all)
{
	unsigned long long first, last;
	int cpu, i, n = 0;
	bool range = !tsync_trace_range(f, &first, &last);

	*all = 0;
	for (cpu = 0; cpu < ts->cpu_count; cpu++) {
		for (i = 0; i < ts->cpus[cpu].nr; i++) {
			unsigned long long t = ts->cpus[cpu].at[i].guest_ts;

			n += range && t >= first && t <= last;
			(*all)++;
		}
	}
	return n;
}

/* Where the sync records came from, or why there are none */
static void print_records_source(const struct tsync_trace_file *f,
				 const struct tsync_time_shift *ts, const struct tsync_bounds *b)
{
	int all, traced;

	if (b->nr) {
		printf("%s: %d sync records, %s\n", f->path, b->nr, b->kept ?
		       "every sync point's, kept in the file by trace-cmd-tsync record" :
		       "from the guest's trace: those of the sync points while it traced");
		return;
	}
	if (ts->flags != (TSYNC_FLAG_PTP | TSYNC_FLAG_INTERPOLATE)) {
		printf("%s: carries no error bounds: %s records none\n", f->path,
		       protocol(ts->flags));
		return;
	}
	traced = samples_traced(f, ts, &all);
	printf("%s: carries no sync records: %s's guest writes one per sync point into its "
	       "trace, and %d of the %d samples fell while it traced (trace-cmd syncs before "
	       "the guest's trace starts, after it stops, and every --tsync-interval between); "
	       "a trace-cmd-tsync record that succeeds keeps them all in the file\n", f->path, TSYNC_PTP_NAME,
	       traced, all);
}

/* What the picture needs of @f: its clock, and its start (else the first sample's) */
static void plot_view(const struct tsync_trace_file *f, const struct tsync_time_shift *ts,
		      struct tsync_plot_view *v)
{
	unsigned long long first, last;
	int cpu;

	v->protocol = protocol(ts->flags);
	v->unit_ns = tsync_clock_unit(tracecmd_get_trace_clock(f->in), &v->clock, &v->measured);
	if (v->measured && v->unit_ns)
		printf("%s: x86-tsc: the plot counts %.3f MHz, this machine's TSC rate\n", f->path,
		       1e3 / v->unit_ns);
	if (!tsync_trace_range(f, &first, &last)) {
		v->start = first;
		v->end = last;
		return;
	}
	v->start = 0;
	for (cpu = ts->cpu_count - 1; cpu >= 0; cpu--)
		if (ts->cpus[cpu].nr && (!v->start || ts->cpus[cpu].at[0].guest_ts < v->start))
			v->start = ts->cpus[cpu].at[0].guest_ts;
	v->end = v->start;
}

static int inspect(const char *path, const char *plot)
{
	struct tsync_plot_view view;
	struct tsync_time_shift ts;
	struct tsync_trace_file f;
	struct tsync_bounds b;
	int cpu, ret;

	if (tsync_trace_open(&f, path))
		return -1;
	ret = tsync_trace_time_shift(&f, &ts);
	if (ret) {
		if (ret > 0)
			tsync_err("%s: has no TIME_SHIFT option: it was not synced", path);
		tsync_trace_close(&f);
		return -1;
	}
	ret = tsync_read_bounds(&f, &b);
	printf("%s: TIME_SHIFT by %s (flags 0x%x), host trace id 0x%llx, %d CPUs\n", path,
	       protocol(ts.flags), ts.flags, ts.peer_trace_id, ts.cpu_count);
	for (cpu = 0; !ret && cpu < ts.cpu_count; cpu++)
		print_cpu(&ts, &b, cpu);
	if (!ret && !is_kvm(ts.flags))
		print_records_source(&f, &ts, &b);
	if (!ret && plot) {
		plot_view(&f, &ts, &view);
		ret = tsync_plot(plot, &ts, &b, &view);
	}
	free(b.lines);
	tsync_time_shift_free(&ts);
	tsync_trace_close(&f);
	return ret;
}

int tsync_offline_inspect(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "plot", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *plot = NULL;
	int c;

	while ((c = tsync_getopt(argc, argv, "p:h", longopts)) != -1) {
		switch (c) {
		case 'p':	plot = optarg; break;
		case 'h':	usage(stdout); return 0;
		default:	usage(stderr); return TSYNC_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		tsync_err("inspect: %s", optind == argc ? "no GUEST.dat given" :
			  "one GUEST.dat only, options before it");
		usage(stderr);
		return TSYNC_EXIT_USAGE;
	}
	return inspect(argv[optind], plot) ? TSYNC_EXIT_FAILED : 0;
}
