// SPDX-License-Identifier: LGPL-2.1
/*
 * Trace clocks that only the trace buffer knows (local, global, perf, ...):
 * a probe's time stamp is a trace marker written into the session's
 * instance, whose clock is the trace clock, and read back after the sync
 * point with libtracefs.  Writing costs a system call; reading back comes
 * once per sync point, not once per probe.
 *
 * libtracefs and libtraceevent are trace-cmd's own shared libraries: the
 * plugin reaches them, like trace-cmd, through weak references, and goes
 * without the marker path where they are missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tracefs.h>

#include "tsync/plugin.h"

#pragma weak tracefs_instance_file_open
#pragma weak tracefs_instance_file_write
#pragma weak tracefs_iterate_raw_events
#pragma weak tracefs_local_events_system
#pragma weak tep_find_field
#pragma weak tep_free

#define MARKER_TAG	"tsync-ptp"

bool tsync_marker_available(void)
{
	return tracefs_instance_file_open && tracefs_instance_file_write &&
	       tracefs_iterate_raw_events && tracefs_local_events_system &&
	       tep_find_field && tep_free;
}

/**
 * tsync_marker_open - time stamps from trace markers of @instance
 * @m: the marker clock
 * @instance: the session's tracefs instance (trace-cmd's clock_synch-<id>)
 * @clock: the trace clock
 *
 * trace-cmd reuses a stale clock_synch instance without setting its clock:
 * set it here.  Returns 0, or -1 after saying why.
 */
int tsync_marker_open(struct tsync_marker_clock *m, struct tracefs_instance *instance,
		      const char *clock)
{
	static const char * const systems[] = { "ftrace", NULL };

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (!tsync_marker_available() || !instance) {
		tsync_err("%s: no tracefs instance to read the '%s' clock from", TSYNC_PTP_NAME,
			  clock);
		return -1;
	}
	m->instance = instance;
	if (tracefs_instance_file_write(instance, "trace_clock", clock) < 0 ||
	    tracefs_instance_file_write(instance, "trace", "\0") < 0) {
		tsync_err("%s: cannot set the '%s' clock of the sync instance: %m",
			  TSYNC_PTP_NAME, clock);
		return -1;
	}
	m->fd = tracefs_instance_file_open(instance, "trace_marker", O_WRONLY);
	m->tep = tracefs_local_events_system(NULL, systems);
	if (m->fd < 0 || !m->tep) {
		tsync_err("%s: cannot write and read trace markers: %m", TSYNC_PTP_NAME);
		tsync_marker_close(m);
		return -1;
	}
	return 0;
}

/* Stamp @seq's @kind ('s'ent, 'r'eceived, ...): one write(), in the buffer */
int tsync_marker_write(struct tsync_marker_clock *m, unsigned int seq, char kind)
{
	char text[48];
	int len;

	len = snprintf(text, sizeof(text), MARKER_TAG " %u %c", seq, kind);
	return write(m->fd, text, len) == len ? 0 : -1;
}

struct collect {
	unsigned int	first;
	int		count;
	const char	*kinds;
	long long	**stamps;
	int		found;
};

static int collect_marker(struct tep_event *event, struct tep_record *record, int cpu,
			  void *data)
{
	struct collect *c = data;
	struct tep_format_field *buf;
	unsigned int seq;
	const char *k;
	char kind;

	(void)cpu;
	if (strcmp(event->name, "print"))
		return 0;
	buf = tep_find_field(event, "buf");
	if (!buf || buf->offset < 0 || buf->offset >= record->size ||
	    !memchr((char *)record->data + buf->offset, '\0', record->size - buf->offset) ||
	    sscanf((char *)record->data + buf->offset, MARKER_TAG " %u %c", &seq, &kind) != 2 ||
	    seq - c->first >= (unsigned int)c->count || !kind || !(k = strchr(c->kinds, kind)))
		return 0;
	c->stamps[k - c->kinds][seq - c->first] = record->ts;
	c->found++;
	return 0;
}

/**
 * tsync_marker_collect - the time stamps of the markers since the last call
 * @m: the marker clock
 * @first: the first number
 * @count: numbers @first .. @first + @count - 1
 * @kinds: the kinds of marker wanted ("sr": 's'ent and 'r'eceived)
 * @stamps: per kind, an array of @count that returns each marker's time,
 *	    or 0 for a marker not found
 *
 * Reading consumes the markers (trace_pipe_raw): nothing needs clearing,
 * which would cost some 25 ms.  Markers of other numbers and kinds are
 * passed over.  Returns the number of markers found.
 */
int tsync_marker_collect(struct tsync_marker_clock *m, unsigned int first, int count,
			 const char *kinds, long long **stamps)
{
	struct collect c = { first, count, kinds, stamps, 0 };
	size_t i;

	for (i = 0; kinds[i]; i++)
		memset(stamps[i], 0, count * sizeof(*stamps[i]));
	tracefs_iterate_raw_events(m->tep, m->instance, NULL, 0, collect_marker, &c);
	return c.found;
}

/* The probes' markers, 's' and 'r' of each: 0 when all were found */
int tsync_marker_collect_probes(struct tsync_marker_clock *m, unsigned int first,
				long long *sent, long long *received, int count)
{
	long long *stamps[] = { sent, received };
	int found = tsync_marker_collect(m, first, count, "sr", stamps);

	if (found != 2 * count) {
		tsync_err("%s: %d of %d trace markers read back", TSYNC_PTP_NAME, found,
			  2 * count);
		return -1;
	}
	return 0;
}

void tsync_marker_close(struct tsync_marker_clock *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	if (m->tep)
		tep_free(m->tep);
	m->tep = NULL;
}
