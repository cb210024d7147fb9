// SPDX-License-Identifier: LGPL-2.1
/*
 * clock-check: tsync's direct clock reads agree with the trace buffer.
 *
 * For each trace clock tsync reads from user space, an instance of that
 * clock takes a trace marker between two direct reads; the marker's
 * timestamp in the ring buffer (read with libtracefs) must fall between
 * them.  Prints, per clock, the widest window seen.
 *
 * usage: clock-check [ROUNDS]		(root, tracefs mounted)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tracefs.h>

#include "tsync/plugin.h"

#define MAX_ROUNDS	1000

static const char * const names[] = { "x86-tsc", "mono", "mono_raw", "boot", "tai" };

struct marks {
	unsigned long long	ts[MAX_ROUNDS];
	int			nr;
};

static int collect(struct tep_event *event, struct tep_record *record, int cpu, void *data)
{
	struct marks *m = data;

	(void)cpu;
	if (!strcmp(event->name, "print") && m->nr < MAX_ROUNDS)
		m->ts[m->nr++] = record->ts;
	return 0;
}

static int check_clock(struct tep_handle *tep, const char *name, int rounds)
{
	const struct tsync_clock *clock = tsync_clock_find(name);
	long long before[MAX_ROUNDS], after[MAX_ROUNDS], widest = 0;
	struct tracefs_instance *inst;
	struct marks marks = { .nr = 0 };
	int fd, i, bad = 0;

	inst = tracefs_instance_create("tsync-clock-check");
	if (!inst || tracefs_instance_file_write(inst, "trace_clock", name) < 0) {
		fprintf(stderr, "clock-check: cannot make an instance with clock %s\n", name);
		return 1;
	}
	fd = tracefs_instance_file_open(inst, "trace_marker", O_WRONLY);
	for (i = 0; fd >= 0 && i < rounds; i++) {
		before[i] = tsync_clock_read(clock);
		if (write(fd, "tsync", 5) != 5)
			break;
		after[i] = tsync_clock_read(clock);
	}
	if (fd >= 0)
		close(fd);
	tracefs_iterate_raw_events(tep, inst, NULL, 0, collect, &marks);
	tracefs_instance_destroy(inst);
	tracefs_instance_free(inst);

	if (marks.nr != rounds) {
		fprintf(stderr, "clock-check: %s: %d markers written, %d read back\n",
			name, rounds, marks.nr);
		return 1;
	}
	for (i = 0; i < rounds; i++) {
		long long ts = (long long)marks.ts[i];

		if (ts < before[i] || ts > after[i]) {
			if (bad++ < 3)
				fprintf(stderr, "clock-check: %s: marker at %lld outside [%lld, %lld]\n",
					name, ts, before[i], after[i]);
		}
		if (after[i] - before[i] > widest)
			widest = after[i] - before[i];
	}
	printf("%-9s %d markers, %d outside their direct reads, widest window %lld\n",
	       name, rounds, bad, widest);
	return bad != 0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 100;
	struct tep_handle *tep;
	size_t i;
	int failed = 0;

	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 100;
	tep = tracefs_local_events(NULL);
	if (!tep) {
		fprintf(stderr, "clock-check: cannot read the tracefs events\n");
		return 1;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (tsync_clock_find(names[i]))
			failed |= check_clock(tep, names[i], rounds);
	tep_free(tep);
	return failed;
}
