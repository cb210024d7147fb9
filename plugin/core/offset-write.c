// SPDX-License-Identifier: LGPL-2.1
/*
 * One kvm_write_tsc_offset event: a vCPU's TSC offset changed at a host
 * TSC time.  The plugin reads it as a line of a trace_pipe (parsed here);
 * the offline tool reads it from a host trace's fields (offset-events.c).
 * Both hand it to the kvm timeline (kvm-timeline.c) in time order.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsync/core.h"

#define OFFSET_EVENT	"kvm_write_tsc_offset: "

/**
 * tsync_offset_write_parse - the event from a line of a trace_pipe
 * @line: NUL-terminated line, "comm-pid (tgid) [cpu] flags ts: event: fields"
 * @tgid: returns the writer's process
 * @w: returns the write
 *
 * Returns 0, or -1 when the line is not a well-formed offset event.
 */
int tsync_offset_write_parse(const char *line, int *tgid, struct tsync_offset_write *w)
{
	const char *event = strstr(line, OFFSET_EVENT);
	const char *paren = strchr(line, '(');
	const char *ts;
	unsigned long long prev, next;
	unsigned int vcpu;
	int end = 0;

	if (!event || !paren || paren > event || sscanf(paren, "( %d)", tgid) != 1)
		return -1;
	/* the timestamp is the word before ": kvm_write_tsc_offset" */
	for (ts = event - 2; ts > paren && *ts != ' '; ts--)
		;
	if (sscanf(ts, " %llu: %n", &w->host_ts, &end) != 1 || ts + end != event)
		return -1;
	if (sscanf(event + strlen(OFFSET_EVENT), "vcpu=%u prev=%llu next=%llu",
		   &vcpu, &prev, &next) != 3 || vcpu > INT_MAX)
		return -1;
	w->vcpu = vcpu;
	w->prev = (long long)prev;
	w->next = (long long)next;
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct tsync_offset_write *x = a, *y = b;

	return (x->host_ts > y->host_ts) - (x->host_ts < y->host_ts);
}

/* Writes in host time order; equal times keep no particular order */
void tsync_offset_writes_sort(struct tsync_offset_write *w, int nr)
{
	if (nr > 1)
		qsort(w, nr, sizeof(*w), by_time);
}
