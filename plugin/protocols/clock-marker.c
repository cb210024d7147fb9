// SPDX-License-Identifier: LGPL-2.1
/*
 * Trace clocks that only the trace buffer knows (local, global, perf, ...):
 * a probe's time stamp is a trace marker written into the session's
 * instance, whose clock is the trace clock, and read back after the round
 * of probes from the instance's per-CPU trace_pipe_raw files, kept open
 * for the session.  Writing costs a system call; reading back comes once
 * per round, not once per probe, and costs a read per CPU: libtracefs's
 * tracefs_iterate_raw_events() opened and set up every file anew, some
 * 100 us a round on each side.
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
#include <traceevent/kbuffer.h>

#include "tsync/plugin.h"

#pragma weak tracefs_instance_file_open
#pragma weak tracefs_instance_file_read
#pragma weak tracefs_instance_file_write
#pragma weak tracefs_local_events_system
#pragma weak tep_find_event_by_name
#pragma weak tep_find_field
#pragma weak tep_data_type
#pragma weak tep_free
#pragma weak kbuffer_alloc
#pragma weak kbuffer_free
#pragma weak kbuffer_load_subbuffer
#pragma weak kbuffer_read_event
#pragma weak kbuffer_next_event
#pragma weak kbuffer_event_size

#define MARKER_TAG	"tsync-ptp"

bool tsync_marker_available(void)
{
	return tracefs_instance_file_open && tracefs_instance_file_read &&
	       tracefs_instance_file_write && tracefs_local_events_system &&
	       tep_find_event_by_name && tep_find_field && tep_data_type && tep_free &&
	       kbuffer_alloc && kbuffer_free && kbuffer_load_subbuffer &&
	       kbuffer_read_event && kbuffer_next_event && kbuffer_event_size;
}

/*
 * The instance's per-CPU buffers, to read back without blocking, and room
 * for one sub-buffer (a page, unless buffer_subbuf_size_kb says more)
 */
static int open_raw(struct tsync_marker_clock *m)
{
	char path[64], *kb;
	int cpu;

	kb = tracefs_instance_file_read(m->instance, "buffer_subbuf_size_kb", NULL);
	m->page_size = kb ? atoi(kb) * 1024 : 0;
	free(kb);
	if (m->page_size < getpagesize())
		m->page_size = getpagesize();
	m->cpus = sysconf(_SC_NPROCESSORS_CONF);
	if (m->cpus < 1)
		m->cpus = 1;
	m->raw = malloc(m->cpus * sizeof(*m->raw));
	if (!m->raw)
		return -1;
	for (cpu = 0; cpu < m->cpus; cpu++) {
		/* a CPU without a buffer (not present) has no markers */
		snprintf(path, sizeof(path), "per_cpu/cpu%d/trace_pipe_raw", cpu);
		m->raw[cpu] = tracefs_instance_file_open(m->instance, path, O_RDONLY | O_NONBLOCK);
	}
	m->page = malloc(m->page_size);
	m->kbuf = kbuffer_alloc(KBUFFER_LSIZE_SAME_AS_HOST, KBUFFER_ENDIAN_SAME_AS_HOST);
	return m->page && m->kbuf ? 0 : -1;
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
	struct tep_event *print;

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
	print = m->tep ? tep_find_event_by_name(m->tep, "ftrace", "print") : NULL;
	m->text = print ? tep_find_field(print, "buf") : NULL;
	if (m->fd < 0 || !m->text || open_raw(m)) {
		tsync_err("%s: cannot write and read trace markers: %m", TSYNC_PTP_NAME);
		tsync_marker_close(m);
		return -1;
	}
	m->print_id = print->id;
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

/* One event of the buffer: a marker of the numbers and kinds wanted, or passed over */
static void take_marker(const struct tsync_marker_clock *m, struct tep_record *record,
			struct collect *c)
{
	int offset = m->text->offset;
	const char *text = (const char *)record->data + offset;
	unsigned int seq;
	const char *k;
	char kind;

	if (tep_data_type(m->tep, record) != m->print_id ||
	    offset < 0 || offset >= record->size ||
	    !memchr(text, '\0', record->size - offset) ||
	    sscanf(text, MARKER_TAG " %u %c", &seq, &kind) != 2 ||
	    seq - c->first >= (unsigned int)c->count || !kind || !(k = strchr(c->kinds, kind)))
		return;
	c->stamps[k - c->kinds][seq - c->first] = record->ts;
	c->found++;
}

/* What @cpu's buffer holds, read and so consumed, a sub-buffer at a time */
static void collect_cpu(struct tsync_marker_clock *m, int cpu, struct collect *c)
{
	struct tep_record record = { .cpu = cpu };
	unsigned long long ts;
	void *data;

	while (read(m->raw[cpu], m->page, m->page_size) > 0 &&
	       kbuffer_load_subbuffer(m->kbuf, m->page) >= 0) {
		for (data = kbuffer_read_event(m->kbuf, &ts); data;
		     data = kbuffer_next_event(m->kbuf, &ts)) {
			record.ts = ts;
			record.data = data;
			record.size = kbuffer_event_size(m->kbuf);
			take_marker(m, &record, c);
		}
	}
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
	int cpu;

	for (i = 0; kinds[i]; i++)
		memset(stamps[i], 0, count * sizeof(*stamps[i]));
	for (cpu = 0; cpu < m->cpus; cpu++)
		if (m->raw[cpu] >= 0)
			collect_cpu(m, cpu, &c);
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
	int cpu;

	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	for (cpu = 0; m->raw && cpu < m->cpus; cpu++)
		if (m->raw[cpu] >= 0)
			close(m->raw[cpu]);
	free(m->raw);
	m->raw = NULL;
	free(m->page);
	m->page = NULL;
	if (m->kbuf)
		kbuffer_free(m->kbuf);
	m->kbuf = NULL;
	if (m->tep)
		tep_free(m->tep);
	m->tep = NULL;
}
