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
 * usage: vcpu-align [-s STEP] GUEST-FILE-NAME VCPU0-TID [VCPU1-TID...] < merged-report
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vcpu-runs.h"

#define MAX_VCPUS	64
#define MAX_HOST_CPUS	1024
#define SCAN_STEPS	1000	/* shifts tried each way with -s */

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
static int guest_count, guest_alloc;

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

/* checked guest events (within first..last) inside their vCPU's runs once moved by shift */
static int inside_shifted(int64_t shift, uint64_t first, uint64_t last)
{
	int i, inside = 0;

	for (i = 0; i < guest_count; i++)
		if (guest_time[i] >= first && guest_time[i] <= last &&
		    !run_set_gap(&vcpu_runs[guest_vcpu[i]], guest_time[i] + shift))
			inside++;
	return inside;
}

/*
 * The shift that puts the most guest events inside, and the range of shifts
 * that keep 99.5% inside: how exact an offset must be for this guest
 */
static void print_best_shift(int64_t step, int checked, uint64_t first, uint64_t last)
{
	int64_t k, best_k = 0, lo = 1, hi = 0;
	int n, best = -1;

	for (k = -SCAN_STEPS; k <= SCAN_STEPS; k++) {
		n = inside_shifted(k * step, first, last);
		if (n > best || (n == best && llabs(k) < llabs(best_k))) {
			best = n;
			best_k = k;
		}
		if (checked && 1000LL * n >= 995LL * checked) {
			if (lo > hi)
				lo = k;
			hi = k;
		}
	}
	printf("best_shift %" PRId64 " best_share %.2f", best_k * step,
	       checked ? 100.0 * best / checked : 0.0);
	if (lo <= hi)
		printf(" window_99.5 %" PRId64 " %" PRId64, lo * step, hi * step);
	printf("\n");
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void print_result(int64_t scan_step)
{
	uint64_t *outside, first = UINT64_MAX, last = 0;
	int i, n_out = 0, unchecked = 0, early = 0, checked;
	int64_t gap;

	for (i = 0; i < MAX_HOST_CPUS; i++) {
		if (!host_cpu[i].started)
			continue;
		if (host_cpu[i].last_time > last)
			last = host_cpu[i].last_time;
	}
	for (i = 0; i < MAX_VCPUS; i++)
		if (vcpu_runs[i].count && vcpu_runs[i].start[0] < first)
			first = vcpu_runs[i].start[0];
	outside = calloc(guest_count + 1, sizeof(*outside));
	if (!outside)
		die("out of memory", NULL);
	for (i = 0; i < vcpus; i++)
		if (!vcpu_runs[i].count)
			die("a vCPU thread never ran in the host's trace: "
			    "record the host with sched_switch", NULL);
	for (i = 0; i < guest_count; i++) {
		/* the host's trace says nothing beyond its own ends */
		if (guest_time[i] < first || guest_time[i] > last) {
			unchecked++;
			continue;
		}
		gap = run_set_gap(&vcpu_runs[guest_vcpu[i]], guest_time[i]);
		if (gap < 0)
			early++;
		if (gap)
			outside[n_out++] = gap < 0 ? -gap : gap;
	}
	checked = guest_count - unchecked;
	qsort(outside, n_out, sizeof(*outside), cmp_u64);
	printf("guest events %d checked %d inside %d share %.2f median_out %" PRIu64
	       " worst_out %" PRIu64 " early %d late %d unchecked %d\n", guest_count,
	       checked, checked - n_out, checked ? 100.0 * (checked - n_out) / checked : 0.0,
	       n_out ? outside[(n_out - 1) / 2] : 0, n_out ? outside[n_out - 1] : 0,
	       early, n_out - early, unchecked);
	free(outside);
	if (scan_step)
		print_best_shift(scan_step, checked, first, last);
}

int main(int argc, char **argv)
{
	char *line = NULL, *copy;
	size_t size = 0;
	int64_t scan_step = 0;
	struct event ev;
	int host = 0;
	char *end;

	if (argc > 2 && !strcmp(argv[1], "-s")) {
		scan_step = strtoll(argv[2], &end, 10);
		if (*end || scan_step <= 0)
			die("not a positive step", argv[2]);
		argc -= 2;
		argv += 2;
	}
	if (argc < 3 || argc - 2 > MAX_VCPUS)
		die("usage: vcpu-align [-s STEP] GUEST-FILE-NAME VCPU0-TID [VCPU1-TID...] "
		    "< trace-cmd report -t -i HOST -i GUEST", NULL);
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
	print_result(scan_step);
	return 0;
}
