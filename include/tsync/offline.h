/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * tsync-offline: TIME_SHIFT applied to, read from and merged across trace
 * files that were recorded without a sync.  The codec is pure (unit tests,
 * fuzz target); the commands are thin I/O around it and libtracecmd.
 */
#ifndef _TSYNC_OFFLINE_H
#define _TSYNC_OFFLINE_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "tsync.h"

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

/* ---- sync-stats.c: what a CPU's samples and bound lines say ---- */
struct tsync_sync_stats {
	int		samples;
	long long	first_ts, last_ts;	/* guest clock */
	long long	min_offset, max_offset;	/* host - guest at the samples */
	double		drift_ppm;		/* least-squares slope of the offset */
	double		jitter;			/* RMS distance from that line */
};

void tsync_sync_stats(const struct clock_sync_offsets *cpu, struct tsync_sync_stats *st) __hidden;
long long tsync_sample_offset(const struct clock_sync_offsets *cpu, int i) __hidden;

/* One "tsync-sync:" line that tsync-ptp writes into the guest's trace */
#define TSYNC_SYNC_PREFIX	"tsync-sync:"

struct tsync_sync_line {
	char		proto[TRACECMD_TSYNC_PNAME_LENGTH];
	int		cpu;
	long long	ts;		/* guest clock */
	long long	offset;		/* host - guest */
	long long	bound;		/* -1: not proven */
};

int tsync_sync_line_parse(const char *text, size_t len, struct tsync_sync_line *l) __hidden;

struct tsync_bounds {
	struct tsync_sync_line	*lines;
	int			nr;
	long			size;
};

/* ---- report-time.c: guest time to host time as report computes it, and back ---- */
unsigned long long tsync_report_host_time(const struct tsync_sample *s, int n,
					  bool interpolate, unsigned long long ts) __hidden;
unsigned long long tsync_report_guest_time(const struct tsync_sample *s, int n,
					   bool interpolate, unsigned long long host) __hidden;

/* ---- trace-file.c: a trace file, its options and (v6) its data table ---- */
#include <sys/types.h>

struct tracecmd_input;

struct tsync_trace_file {
	const char		*path;
	int			fd;		/* read only */
	struct tracecmd_input	*in;		/* raw timestamps */
	int			version;	/* 6 or 7 */
	bool			big_endian;
	int			cpus;
	int			page_size;
	off_t			size;
	off_t			options;	/* v6: first option; v7: first section */
};

/* Where a v6 file's options end and its CPU data table lies */
struct tsync_v6_layout {
	off_t	done;		/* the DONE option's id, the options' end */
	off_t	table;		/* after "flyrecord\0": cpus x (offset, size) */
	off_t	data;		/* the first CPU data, page aligned */
};

struct tsync_option {
	unsigned short	id;
	unsigned int	size;
	off_t		at;		/* its data */
};

int tsync_trace_open(struct tsync_trace_file *f, const char *path) __hidden;
void tsync_trace_close(struct tsync_trace_file *f) __hidden;
int tsync_trace_options(const struct tsync_trace_file *f, struct tsync_option **opts,
			int *nr) __hidden;
int tsync_trace_read_option(const struct tsync_trace_file *f, const struct tsync_option *o,
			    void **data) __hidden;
int tsync_trace_time_shift(const struct tsync_trace_file *f, struct tsync_time_shift *ts) __hidden;
int tsync_trace_v6_layout(const struct tsync_trace_file *f, struct tsync_v6_layout *l) __hidden;
int tsync_trace_range(const struct tsync_trace_file *f, unsigned long long *first,
		      unsigned long long *last) __hidden;
unsigned long long tsync_get_number(const void *p, int bytes, bool big_endian) __hidden;
void tsync_put_number(void *p, int bytes, unsigned long long val, bool big_endian) __hidden;

/* ---- option-write.c: an option added to a finished trace file ---- */
int tsync_trace_add_option(const struct tsync_trace_file *f, const char *out,
			   unsigned short id, const void *data, size_t len) __hidden;

/* ---- output-file.c: a file replaced whole or not at all ---- */
#include <sys/stat.h>

struct tsync_output {
	char		*target;	/* the file replaced, symlinks followed */
	char		*tmp;		/* the new file beside it, until committed */
	int		fd;		/* the new file, open for writing */
	bool		replaces;	/* @target exists: @old is its owner and mode */
	struct stat	old;
};

int tsync_output_begin(struct tsync_output *o, const char *path) __hidden;
int tsync_output_commit(struct tsync_output *o) __hidden;
void tsync_output_abort(struct tsync_output *o) __hidden;
int tsync_output_claim(const struct tsync_trace_file *f) __hidden;

/* ---- offset-events.c: kvm_write_tsc_offset events of a host trace ---- */
struct tsync_offset_write {
	unsigned long long	host_ts;	/* host TSC of the write */
	long long		prev, next;	/* the offsets before and after */
	int			vcpu;
};

int tsync_read_offset_writes(const struct tsync_trace_file *f, struct tsync_offset_write **w,
			     int *nr) __hidden;

/* ---- inspect.c and plot.c: the bounds a file carries, and their picture ---- */
int tsync_read_bounds(const struct tsync_trace_file *f, struct tsync_bounds *b) __hidden;
int tsync_plot(const char *path, const struct tsync_time_shift *ts,
	       const struct tsync_bounds *b) __hidden;

/* ---- the commands: argv[0] is the command's name; exit status ---- */
#define TSYNC_EXIT_FAILED	1	/* the command failed, and said why */
#define TSYNC_EXIT_USAGE	2	/* its command line is wrong, and it said how */

int tsync_offline_apply(int argc, char **argv) __hidden;
int tsync_offline_inspect(int argc, char **argv) __hidden;
int tsync_offline_merge(int argc, char **argv) __hidden;

/* ---- main.c: what the commands' command lines share ---- */
int tsync_getopt(int argc, char **argv, const char *shortopts,
		 const struct option *longopts) __hidden;

#endif /* _TSYNC_OFFLINE_H */
