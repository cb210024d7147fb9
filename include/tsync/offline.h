/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * tsync-offline: TIME_SHIFT applied to, read from and merged across trace
 * files that were recorded without a sync.  The codec is pure (unit tests,
 * fuzz target); the commands are thin I/O around it and libtracecmd.
 */
#ifndef _TSYNC_OFFLINE_H
#define _TSYNC_OFFLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "tsync.h"

/* trace-cmd 3.1.6's option ids that tsync-offline reads or writes */
#define TRACECMD_OPTION_DONE		0
#define TRACECMD_OPTION_BUFFER		3
#define TRACECMD_OPTION_TIME_SHIFT	13

/* ---- time-shift.c: the TIME_SHIFT option's payload ---- */
struct tsync_time_shift {
	unsigned long long		peer_trace_id;	/* the host's trace id */
	unsigned int			flags;
	int				cpu_count;
	struct clock_sync_offsets	*cpus;		/* cpu_count entries */
};

/* Enough for any real trace: keeps decoding of hostile sizes bounded */
#define TSYNC_TIME_SHIFT_MAX_CPUS	65536

int tsync_time_shift_decode(const void *buf, size_t size, bool big_endian,
			    struct tsync_time_shift *ts, const char **why) __hidden;
size_t tsync_time_shift_size(const struct tsync_time_shift *ts) __hidden;
int tsync_time_shift_encode(const struct tsync_time_shift *ts, bool big_endian,
			    void *buf, size_t size, const char **why) __hidden;
int tsync_time_shift_alloc(struct tsync_time_shift *ts, int cpu_count) __hidden;
void tsync_time_shift_free(struct tsync_time_shift *ts) __hidden;

#endif /* _TSYNC_OFFLINE_H */
