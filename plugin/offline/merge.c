// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync-offline merge: the events of a host file (every buffer) and of a
 * guest file with a TIME_SHIFT option in one time-ordered listing, each
 * line marked h or g, as in the first merge tool's example (seed 002):
 *
 *	h 50550079206816 qemu-kvm-2687 [003] kvm_entry: ...
 *	g 50550079226331 comm-3826 [000] sched_wakeup: ...
 *
 * --timebase host puts guest events at the host time report gives them;
 * --timebase guest puts host events at the guest time of one vCPU (0, or
 * --vcpu), report's conversion inverted (perf-prof's direction, seed 003).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <trace-cmd.h>

#include "tsync/offline.h"

struct entry {
	unsigned long long	ts;
	long			seq;	/* keeps each source's order on equal times */
	char			side;	/* 'h' or 'g' */
	char			*text;
};

struct listing {
	struct entry		*e;
	long			nr, size;
	bool			guest_base;
	int			vcpu;
	struct tsync_sample	**samples;	/* per guest CPU, sorted */
	int			*counts;
	int			cpus;
	bool			interpolate;
};

static int by_time(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->side != y->side)
		return x->side == 'h' ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static int by_sample_time(const void *a, const void *b)
{
	const struct tsync_sample *x = a, *y = b;

	return (x->guest_ts > y->guest_ts) - (x->guest_ts < y->guest_ts);
}

/* report's view of the samples: sorted by time, one per time */
static int load_samples(struct listing *l, const struct tsync_time_shift *ts)
{
	int cpu, i, n;

	l->cpus = ts->cpu_count;
	l->interpolate = ts->flags & TSYNC_FLAG_INTERPOLATE;
	l->samples = calloc(l->cpus, sizeof(*l->samples));
	l->counts = calloc(l->cpus, sizeof(*l->counts));
	if (!l->samples || !l->counts)
		return -1;
	for (cpu = 0; cpu < l->cpus; cpu++) {
		const struct tsync_samples *o = &ts->cpus[cpu];
		struct tsync_sample *s = calloc(o->nr, sizeof(*s));

		if (!s)
			return -1;
		memcpy(s, o->at, o->nr * sizeof(*s));
		qsort(s, o->nr, sizeof(*s), by_sample_time);
		for (i = 0, n = 0; i < o->nr; i++)
			if (!n || s[i].guest_ts != s[n - 1].guest_ts)
				s[n++] = s[i];
		l->samples[cpu] = s;
		l->counts[cpu] = n;
	}
	return 0;
}

static unsigned long long place(const struct listing *l, char side, int cpu,
				unsigned long long ts)
{
	if (side == 'g' && !l->guest_base && cpu < l->cpus)
		return tsync_report_host_time(l->samples[cpu], l->counts[cpu], l->interpolate, ts);
	if (side == 'h' && l->guest_base)
		return tsync_report_guest_time(l->samples[l->vcpu], l->counts[l->vcpu],
					       l->interpolate, ts);
	return ts;
}

static int add(struct listing *l, struct tracecmd_input *in, struct tep_record *rec, char side)
{
	if (tsync_array_room(&l->e, &l->size, l->nr, sizeof(*l->e), 4096))
		return -1;
	l->e[l->nr] = (struct entry){ place(l, side, rec->cpu, rec->ts), l->nr, side,
				      tsync_record_text(tracecmd_get_tep(in), rec) };
	return l->e[l->nr++].text ? 0 : -1;
}

static int add_host(struct tracecmd_input *in, struct tep_record *rec, void *l)
{
	return add(l, in, rec, 'h');
}

static int add_guest(struct tracecmd_input *in, struct tep_record *rec, void *l)
{
	return add(l, in, rec, 'g');
}

static void print_listing(struct listing *l)
{
	long i;

	qsort(l->e, l->nr, sizeof(*l->e), by_time);
	for (i = 0; i < l->nr; i++)
		printf("%c %llu %s\n", l->e[i].side, l->e[i].ts, l->e[i].text);
}

static void free_listing(struct listing *l)
{
	long i;

	for (i = 0; i < l->nr; i++)
		free(l->e[i].text);
	for (i = 0; l->samples && i < l->cpus; i++)
		free(l->samples[i]);
	free(l->e);
	free(l->samples);
	free(l->counts);
}

/* Returns the exit status */
static int merge(struct listing *l, const char *host, const char *guest)
{
	struct tsync_trace_file h = { .fd = -1 }, g = { .fd = -1 };
	struct tsync_time_shift ts = { 0 };
	int ret;

	if (tsync_trace_open(&g, guest))
		return TSYNC_EXIT_FAILED;
	ret = tsync_trace_time_shift(&g, &ts);
	if (ret > 0)
		tsync_err("%s: has no TIME_SHIFT option: sync it first (trace-cmd-tsync apply)",
			  guest);
	if (!ret && l->vcpu >= ts.cpu_count) {
		tsync_err("merge: --vcpu %d: %s has %d CPUs, 0 to %d", l->vcpu, guest,
			  ts.cpu_count, ts.cpu_count - 1);
		ret = TSYNC_EXIT_USAGE;
	} else if (ret || load_samples(l, &ts) || tsync_trace_open(&h, host) ||
		   tsync_trace_walk(&h, add_host, l) || tsync_trace_walk(&g, add_guest, l)) {
		ret = TSYNC_EXIT_FAILED;
	}
	if (!ret)
		print_listing(l);
	tsync_time_shift_free(&ts);
	tsync_trace_close(&h);
	tsync_trace_close(&g);
	return ret;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: trace-cmd-tsync merge [--timebase host|guest] [--vcpu N] "
		"HOST.dat GUEST.dat\n"
		"  Lists the events of both files in one time order, guest events in host\n"
		"  time (host), or host events in the guest time of vCPU N (guest).\n");
}

int tsync_offline_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "timebase", required_argument, NULL, 't' },
		{ "vcpu", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct listing l = { 0 };
	long long vcpu;
	int c, ret;

	while ((c = tsync_getopt(argc, argv, "t:v:h", longopts)) != -1) {
		if (c == 't' && (!strcmp(optarg, "host") || !strcmp(optarg, "guest"))) {
			l.guest_base = !strcmp(optarg, "guest");
		} else if (c == 'v' && !tsync_parse_number(optarg, strlen(optarg), false, &vcpu) &&
			   vcpu >= 0 && vcpu < TSYNC_MAX_CPUS) {
			l.vcpu = (int)vcpu;
		} else if (c == 'h') {
			usage(stdout);
			return 0;
		} else {
			if (c == 't')
				tsync_err("merge: --timebase %s: expected host or guest", optarg);
			if (c == 'v')
				tsync_err("merge: --vcpu %s: expected a vCPU number, 0 to %d",
					  optarg, TSYNC_MAX_CPUS - 1);
			usage(stderr);
			return TSYNC_EXIT_USAGE;
		}
	}
	if (optind != argc - 2) {
		tsync_err("merge: %s", optind == argc - 1 ? "no GUEST.dat given" :
			  optind == argc ? "no HOST.dat and GUEST.dat given" :
			  "two files only, HOST.dat and GUEST.dat, options before them");
		usage(stderr);
		return TSYNC_EXIT_USAGE;
	}
	ret = merge(&l, argv[optind], argv[optind + 1]);
	if (ret == TSYNC_EXIT_USAGE)
		usage(stderr);
	free_listing(&l);
	return ret;
}
