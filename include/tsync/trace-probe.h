/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * trace-probe.c: a trace file checked before libtracecmd opens it, by
 * tsync_trace_open() (trace-file.c).
 */
#ifndef _TSYNC_TRACE_PROBE_H
#define _TSYNC_TRACE_PROBE_H

#include <signal.h>
#include <sys/types.h>
#include <time.h>

#include "core.h"

/* libtracecmd on a trace file in a child process, beside the tool's own open */
struct tsync_trace_probe {
	const char		*path;
	pid_t			pid;
	int			pipe;		/* closes when the child ends */
	int			limit;		/* s */
	time_t			end;		/* CLOCK_MONOTONIC */
	struct sigaction	old_chld;
};

int tsync_trace_probe_begin(struct tsync_trace_probe *p, const char *path, int fd,
			    off_t size) __hidden;
int tsync_trace_probe_end(struct tsync_trace_probe *p) __hidden;

#endif /* _TSYNC_TRACE_PROBE_H */
