/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * tsync-offline: TIME_SHIFT applied to, read from and merged across trace
 * files that were recorded without a sync.  The arithmetic and the codecs
 * are the core's (core.h); the commands are thin I/O around it and
 * libtracecmd.
 */
#ifndef _TSYNC_OFFLINE_H
#define _TSYNC_OFFLINE_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "core.h"
#include "tracecmd-file.h"

/* Every tsync-sync: record of a guest file, by the protocol that wrote it */
struct tsync_bound_line {
	char				proto[TSYNC_PROTO_NAME_MAX];
	struct tsync_sync_record	r;
};

struct tsync_bounds {
	struct tsync_bound_line	*lines;
	int			nr;
	long			size;
	bool			kept;	/* from the option: every sync point's */
};

/*
 * tsync's own option in a guest file: the host's copy of every sync
 * record, as lines.  An id far above trace-cmd's (25 in 3.4): libtracecmd
 * skips an option it does not know (report says nothing of it).
 */
#define TSYNC_OPTION_SYNC_RECORDS	0x7473

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
	off_t	tail;		/* after the table: the trace clock, size and "[name]" */
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
int tsync_trace_find_option(const struct tsync_trace_file *f, unsigned short id, void **data,
			    unsigned int *size) __hidden;
int tsync_trace_time_shift(const struct tsync_trace_file *f, struct tsync_time_shift *ts) __hidden;
int tsync_trace_v6_layout(const struct tsync_trace_file *f, struct tsync_v6_layout *l) __hidden;
int tsync_trace_range(const struct tsync_trace_file *f, unsigned long long *first,
		      unsigned long long *last) __hidden;

/* ---- records.c: every record of a file, the top buffer and every instance ---- */
struct tep_record;

typedef int (*tsync_record_fn)(struct tracecmd_input *in, struct tep_record *rec, void *arg);
int tsync_trace_walk(const struct tsync_trace_file *f, tsync_record_fn fn, void *arg) __hidden;
int tsync_trace_walk_instances(const struct tsync_trace_file *f, tsync_record_fn fn,
			       void *arg) __hidden;

/* ---- record-fits.c: a record that holds all its event's fields ---- */
struct tep_handle;
bool tsync_record_fits(struct tep_handle *tep, int page_size,
		       const struct tep_record *rec) __hidden;

/* ---- record-text.c: a record as merge lists it ---- */
char *tsync_record_text(struct tep_handle *tep, struct tep_record *rec) __hidden;

/* ---- option-write.c: an option added to a finished trace file ---- */
int tsync_trace_add_option(const struct tsync_trace_file *f, const char *out,
			   unsigned short id, const void *data, size_t len) __hidden;
int tsync_trace_replace_option(const struct tsync_trace_file *f, const char *out,
			       const struct tsync_option *o, const void *data) __hidden;

/* ---- guest-option.c: a host file's GUEST option, its vCPUs' host threads ---- */
int tsync_fill_vcpu_threads(const struct tsync_trace_file *f, const char *out,
			    const char *guest, const int *tids, int nr_tids) __hidden;

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
int tsync_read_offset_writes(const struct tsync_trace_file *f, struct tsync_offset_write **w,
			     int *nr) __hidden;

/* ---- sync-records.c: the sync records a guest file carries ---- */
int tsync_read_bounds(const struct tsync_trace_file *f, struct tsync_bounds *b) __hidden;

/* ---- plot.c: their picture ---- */

/* What the picture needs to know of the file beside its samples and records */
struct tsync_plot_view {
	const char	*protocol;	/* who wrote the TIME_SHIFT, in tsync's words */
	const char	*clock;		/* the trace clock, in tsync's words */
	double		unit_ns;	/* its unit; 0: not known */
	bool		measured;	/* the unit is this machine's TSC's */
	long long	start;		/* the trace's first guest time */
	long long	end;		/* its last, or start when it holds no event */
};

int tsync_plot(const char *path, const struct tsync_time_shift *ts,
	       const struct tsync_bounds *b, const struct tsync_plot_view *v) __hidden;

/* ---- clock-unit.c: a trace clock's unit in ns ---- */
double tsync_clock_unit(const char *clock, const char **name, bool *measured) __hidden;

/* ---- the commands: argv[0] is the command's name; exit status ---- */
#define TSYNC_EXIT_FAILED	1	/* the command failed, and said why */
#define TSYNC_EXIT_USAGE	2	/* its command line is wrong, and it said how */

int tsync_offline_apply(int argc, char **argv) __hidden;
int tsync_offline_inspect(int argc, char **argv) __hidden;
int tsync_offline_merge(int argc, char **argv) __hidden;
int tsync_offline_keep_records(int argc, char **argv) __hidden;

/* ---- main.c: what the commands' command lines share ---- */
int tsync_getopt(int argc, char **argv, const char *shortopts,
		 const struct option *longopts) __hidden;

#endif /* _TSYNC_OFFLINE_H */
