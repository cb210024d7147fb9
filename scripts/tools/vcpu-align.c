// SPDX-License-Identifier: LGPL-2.1
/*
 * vcpu-align: checks a merged host+guest trace against the host's scheduler,
 * knowing nothing of the true clock offset.  A guest event on vCPU n can
 * only have happened while the host ran vCPU n's thread (QEMU names it
 * "CPU n/TCG" with -name ...,debug-threads=on; its id is given, as another
 * QEMU may have threads of the same names).  Reads
 *
 *	trace-cmd report -t -i HOST.dat -i GUEST.dat
 *
 * on stdin (the host recorded with sched_switch) and prints how many guest
 * events fall inside a run of their vCPU's thread, and how far outside the
 * others are, in the trace clock's units (ns, or cycles for x86-tsc).
 *
 * With -s STEP it also tries moving every guest event by k * STEP, for k
 * from -SCAN_STEPS to SCAN_STEPS, and prints the best share and its shift:
 * the ceiling that any constant correction of the offset could reach,
 * which tells an offset's error from the checker's own limits.
 *
 * The events line ends with the span it checked, the host trace's, as
 * "from FIRST to LAST" (trace clock units, both included).  With -p PARTS
 * it is followed by one for each of PARTS equal slices of that span,
 * earliest first, prefixed "part K/PARTS " (K from 1), and so is the best
 * shift's line: how the alignment holds from a long session's start to
 * its end.  One read of the report and one scan of the shifts serve the
 * whole span and its parts.
 *
 * usage: vcpu-align [-s STEP] [-p PARTS] GUEST-FILE-NAME VCPU0-TID [VCPU1-TID...]
 *	< merged-report
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vcpu-runs.h"

#define MAX_VCPUS	64
#define MAX_HOST_CPUS	1024
#define SCAN_STEPS	1000	/* shifts tried each way with -s */
#define MAX_PARTS	1000	/* slices of the span with -p */
#define USAGE		"usage: vcpu-align [-s STEP] [-p PARTS] GUEST-FILE-NAME VCPU0-TID " \
			"[VCPU1-TID...] < trace-cmd report -t -i HOST -i GUEST"

struct event {
	const char	*label;		/* file the event came from */
	const char	*task;		/* current task "comm-pid" */
	const char	*name;		/* event name */
	const char	*fields;
	uint64_t	time;
	int		cpu;
	int		pid;
};

static int vcpu_pid[MAX_VCPUS];
static int vcpus;
static struct run_set vcpu_runs[MAX_VCPUS];
static struct cpu_timeline host_cpu[MAX_HOST_CPUS];
static uint64_t *guest_time;
static int *guest_vcpu;
static int *guest_part;		/* its slice of the span; -1 beyond the span */
static int guest_count, guest_alloc;

/* The guest events checked together: all in the span, or one slice of it */
struct window {
	char		label[32];	/* "" or "part K/N " */
	int		part;		/* the slice; -1 for the whole span */
	uint64_t	from, to;	/* host trace times, both included */
	int		events, checked, unchecked;
	int		best;		/* the most inside at a shift tried */
	int64_t		best_k;		/* that shift, in steps */
	int64_t		lo, hi;		/* the shifts that keep 99.5% inside */
};

static void die(const char *what, const char *line)
{
	fprintf(stderr, "vcpu-align: %s%s%s\n", what, line ? ": " : "", line ? line : "");
	exit(2);
}

/*
 * A timestamp "540.677893989:" in nanoseconds, fewer decimals scaled up; or
 * a count "1964594917663:" (x86-tsc, counter) as it is
 */
static int parse_time(const char *s, uint64_t *t)
{
	uint64_t whole, frac = 0;
	int digits = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	whole = strtoull(s, &end, 10);
	if (*end == ':') {
		*t = whole;
		return 0;
	}
	if (*end != '.')
		return -1;
	for (end++; *end >= '0' && *end <= '9'; end++, digits++)
		if (digits < 9)
			frac = frac * 10 + (*end - '0');
	if (*end != ':' || !digits)
		return -1;
	for (; digits < 9; digits++)
		frac *= 10;
	*t = whole * 1000000000ULL + frac;
	return 0;
}

/* "  LABEL:  COMM-PID [CPU] SEC.NSEC: NAME: FIELDS"; the comm may hold spaces */
static int parse_line(char *line, struct event *ev)
{
	char *p, *task, *colon, *dash;
	int n = 0;

	line += strspn(line, " ");
	task = strchr(line, ':');
	if (!task)
		return -1;
	*task++ = '\0';
	ev->label = line;
	for (p = strchr(task, '['); p; p = strchr(p + 1, '[')) {
		n = 0;
		if (sscanf(p, "[%d]%n", &ev->cpu, &n) != 1 || !n)
			continue;
		n += strspn(p + n, " ");
		if (!parse_time(p + n, &ev->time))
			break;
	}
	if (!p)
		return -1;
	ev->name = strchr(p + n, ':') + 1;
	ev->name += strspn(ev->name, " ");
	colon = strchr(ev->name, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	ev->fields = colon + 1 + strspn(colon + 1, " ");
	while (p > task && p[-1] == ' ')
		p--;
	*p = '\0';
	ev->task = task + strspn(task, " ");
	dash = strrchr(ev->task, '-');
	ev->pid = dash ? atoi(dash + 1) : -1;
	if (dash)
		*dash = '\0';
	return 0;
}

/* "COMM:PID [PRIO]...": the pid */
static int switch_side(const char *s, const char *limit)
{
	const char *bracket = NULL, *colon = NULL, *p;
	int pid;

	for (p = s; p < limit && (p = strstr(p, " [")) && p < limit; p++)
		bracket = p;
	if (!bracket)
		return -1;
	for (p = s; p < bracket; p++)
		if (*p == ':')
			colon = p;
	if (!colon)
		return -1;
	pid = atoi(colon + 1);
	return pid;
}

static int add_run(int pid, uint64_t start, uint64_t end, void *data)
{
	int vcpu;

	(void)data;
	for (vcpu = 0; vcpu < vcpus; vcpu++)
		if (vcpu_pid[vcpu] == pid)
			return run_set_add(&vcpu_runs[vcpu], start, end);
	return 0;
}

static void host_event(struct event *ev, const char *line)
{
	int before = ev->pid, after = ev->pid;
	const char *arrow;

	if (ev->cpu < 0 || ev->cpu >= MAX_HOST_CPUS)
		die("host CPU out of range", line);
	if (!strcmp(ev->name, "sched_switch")) {
		arrow = strstr(ev->fields, "==> ");
		if (!arrow)
			die("sched_switch without ==>", line);
		before = switch_side(ev->fields, arrow);
		after = switch_side(arrow + 4, arrow + strlen(arrow));
		if (before < 0 || after < 0)
			die("cannot read sched_switch", line);
	}
	if (cpu_timeline_event(&host_cpu[ev->cpu], ev->time, before, after, add_run, NULL))
		die("out of memory", NULL);
}

static void guest_event(struct event *ev, const char *line)
{
	if (ev->cpu < 0 || ev->cpu >= vcpus)
		die("guest event on a vCPU whose thread was not given", line);
	if (guest_count == guest_alloc) {
		guest_alloc = guest_alloc ? 2 * guest_alloc : 4096;
		guest_time = realloc(guest_time, guest_alloc * sizeof(*guest_time));
		guest_vcpu = realloc(guest_vcpu, guest_alloc * sizeof(*guest_vcpu));
		if (!guest_time || !guest_vcpu)
			die("out of memory", NULL);
	}
	guest_time[guest_count] = ev->time;
	guest_vcpu[guest_count++] = ev->cpu;
}

/* Shift k (in steps) put n of @w's events inside their vCPU's runs */
static void window_shift(struct window *w, int64_t k, int n)
{
	if (n > w->best || (n == w->best && llabs(k) < llabs(w->best_k))) {
		w->best = n;
		w->best_k = k;
	}
	if (w->checked && 1000LL * n >= 995LL * w->checked) {
		if (w->lo > w->hi)
			w->lo = k;
		w->hi = k;
	}
}

/*
 * For each window, the shift that puts the most guest events inside, and
 * the range of shifts that keep 99.5% inside: how exact an offset must be
 * for this guest.  win[0] is the whole span, win[1 + p] its slice p.
 */
static void scan_shifts(struct window *win, int nwin, int64_t step)
{
	int64_t k;
	int i, w, *n;

	n = calloc(nwin, sizeof(*n));
	if (!n)
		die("out of memory", NULL);
	for (w = 0; w < nwin; w++) {
		win[w].best = -1;
		win[w].best_k = 0;
		win[w].lo = 1;
		win[w].hi = 0;
	}
	for (k = -SCAN_STEPS; k <= SCAN_STEPS; k++) {
		memset(n, 0, nwin * sizeof(*n));
		for (i = 0; i < guest_count; i++) {
			if (guest_part[i] < 0 ||
			    run_set_gap(&vcpu_runs[guest_vcpu[i]], guest_time[i] + k * step))
				continue;
			n[0]++;
			if (nwin > 1)
				n[1 + guest_part[i]]++;
		}
		for (w = 0; w < nwin; w++)
			window_shift(&win[w], k, n[w]);
	}
	free(n);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* @w's line: its events inside their vCPU's runs, and how far the others are */
static void print_window(struct window *w, uint64_t *outside)
{
	int i, n_out = 0, early = 0;
	int64_t gap;

	for (i = 0; i < guest_count; i++) {
		if (guest_part[i] < 0 || (w->part >= 0 && guest_part[i] != w->part))
			continue;
		w->checked++;
		gap = run_set_gap(&vcpu_runs[guest_vcpu[i]], guest_time[i]);
		if (gap < 0)
			early++;
		if (gap)
			outside[n_out++] = gap < 0 ? -gap : gap;
	}
	if (w->part >= 0)
		w->events = w->checked;
	qsort(outside, n_out, sizeof(*outside), cmp_u64);
	printf("%sguest events %d checked %d inside %d share %.2f median_out %" PRIu64
	       " worst_out %" PRIu64 " early %d late %d unchecked %d from %" PRIu64
	       " to %" PRIu64 "\n", w->label, w->events, w->checked, w->checked - n_out,
	       w->checked ? 100.0 * (w->checked - n_out) / w->checked : 0.0,
	       n_out ? outside[(n_out - 1) / 2] : 0, n_out ? outside[n_out - 1] : 0,
	       early, n_out - early, w->unchecked, w->from, w->to);
}

static void print_best_shift(struct window *w, int64_t step)
{
	printf("%sbest_shift %" PRId64 " best_share %.2f", w->label, w->best_k * step,
	       w->checked ? 100.0 * w->best / w->checked : 0.0);
	if (w->lo <= w->hi)
		printf(" window_99.5 %" PRId64 " %" PRId64, w->lo * step, w->hi * step);
	printf("\n");
}

static void print_result(int64_t scan_step, int parts)
{
	uint64_t *outside, first = UINT64_MAX, last = 0, width;
	int i, nwin = parts > 1 ? parts + 1 : 1;
	struct window *win;

	for (i = 0; i < MAX_HOST_CPUS; i++) {
		if (!host_cpu[i].started)
			continue;
		if (host_cpu[i].last_time > last)
			last = host_cpu[i].last_time;
	}
	for (i = 0; i < MAX_VCPUS; i++)
		if (vcpu_runs[i].count && vcpu_runs[i].start[0] < first)
			first = vcpu_runs[i].start[0];
	for (i = 0; i < vcpus; i++)
		if (!vcpu_runs[i].count)
			die("a vCPU thread never ran in the host's trace: "
			    "record the host with sched_switch", NULL);
	outside = calloc(guest_count + 1, sizeof(*outside));
	guest_part = calloc(guest_count + 1, sizeof(*guest_part));
	win = calloc(nwin, sizeof(*win));
	if (!outside || !guest_part || !win)
		die("out of memory", NULL);
	/* slices of equal width but the last, which ends at the span's end */
	width = (last - first) / parts + 1;
	win[0].part = -1;
	win[0].from = first;
	win[0].to = last;
	win[0].events = guest_count;
	for (i = 0; i < guest_count; i++) {
		/* the host's trace says nothing beyond its own ends */
		if (guest_time[i] < first || guest_time[i] > last) {
			guest_part[i] = -1;
			win[0].unchecked++;
			continue;
		}
		guest_part[i] = (guest_time[i] - first) / width;
	}
	for (i = 1; i < nwin; i++) {
		win[i].part = i - 1;
		win[i].from = first + (i - 1) * width;
		win[i].to = i == parts ? last : win[i].from + width - 1;
		snprintf(win[i].label, sizeof(win[i].label), "part %d/%d ", i, parts);
	}
	for (i = 0; i < nwin; i++)
		print_window(&win[i], outside);
	if (scan_step) {
		scan_shifts(win, nwin, scan_step);
		for (i = 0; i < nwin; i++)
			print_best_shift(&win[i], scan_step);
	}
	free(win);
	free(outside);
}

/* The value of option -@opt: a decimal number from 1 to @max */
static int64_t option_number(int opt, const char *s, int64_t max)
{
	int64_t n;
	char *end;

	n = strtoll(s, &end, 10);
	if (*end || end == s || n <= 0 || n > max) {
		fprintf(stderr, "vcpu-align: -%c %s: not a number from 1 to %" PRId64 "\n",
			opt, s, max);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	char *line = NULL, *copy;
	size_t size = 0;
	int64_t scan_step = 0;
	struct event ev;
	int host = 0, parts = 1, opt;
	char *end;

	while ((opt = getopt(argc, argv, "+s:p:")) != -1) {
		switch (opt) {
		case 's':
			scan_step = option_number(opt, optarg, INT64_MAX / SCAN_STEPS);
			break;
		case 'p':
			parts = option_number(opt, optarg, MAX_PARTS);
			break;
		default:
			die(USAGE, NULL);
		}
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 3 || argc - 2 > MAX_VCPUS)
		die(USAGE, NULL);
	for (vcpus = 0; vcpus < argc - 2; vcpus++) {
		vcpu_pid[vcpus] = strtol(argv[vcpus + 2], &end, 10);
		if (*end || vcpu_pid[vcpus] <= 0)
			die("not a thread id", argv[vcpus + 2]);
	}
	while (getline(&line, &size, stdin) > 0) {
		line[strcspn(line, "\n")] = '\0';
		copy = strdup(line);
		if (!copy)
			die("out of memory", NULL);
		if (!parse_line(copy, &ev)) {
			if (!strcmp(ev.label, argv[1])) {
				guest_event(&ev, line);
			} else {
				host_event(&ev, line);
				host++;
			}
		}
		free(copy);
	}
	free(line);
	if (!host)
		die("no host events on stdin", NULL);
	if (!guest_count)
		die("no events of the guest file", argv[1]);
	print_result(scan_step, parts);
	return 0;
}
