// SPDX-License-Identifier: LGPL-2.1
/*
 * Every record of a trace file, for every reader of the offline tool (the
 * host's offset writes, merge's two sides, inspect's bound lines): one rule
 * for buffers, the top one and every instance (-B), since a session may
 * put any event in an instance of its own.  A record that runs past its
 * page, or whose event's fields do (record-fits.c), is left out, and the
 * walk says how many.
 */
#include <trace-cmd.h>

#include "tsync/offline.h"

static int walk_buffer(struct tracecmd_input *in, int cpus, tsync_record_fn fn, void *arg,
		       long *unfit)
{
	struct tep_handle *tep = tracecmd_get_tep(in);
	int page_size = tracecmd_page_size(in);
	struct tep_record *rec;
	int cpu, ret = 0;

	for (cpu = 0; cpu < cpus && !ret; cpu++) {
		for (rec = tracecmd_read_cpu_first(in, cpu); rec && !ret;
		     rec = tracecmd_read_data(in, cpu)) {
			if (tsync_record_fits(tep, page_size, rec))
				ret = fn(in, rec, arg);
			else
				(*unfit)++;
			tracecmd_free_record(rec);
		}
		if (rec)
			tracecmd_free_record(rec);
	}
	return ret;
}

static int walk_instances(const struct tsync_trace_file *f, tsync_record_fn fn, void *arg,
			  long *unfit)
{
	struct tracecmd_input *inst;
	int i, ret = 0;

	for (i = 0; !ret && i < tracecmd_buffer_instances(f->in); i++) {
		inst = tracecmd_buffer_instance_handle(f->in, i);
		if (!inst)
			continue;
		tracecmd_set_flag(inst, TRACECMD_FL_RAW_TS);
		ret = walk_buffer(inst, tracecmd_cpus(inst), fn, arg, unfit);
		tracecmd_close(inst);
	}
	return ret;
}

static void say_left_out(const struct tsync_trace_file *f, long unfit)
{
	if (unfit)
		tsync_err("%s: %ld records past their pages or their events' formats left "
			  "out (a corrupt file)", f->path, unfit);
}

/**
 * tsync_trace_walk_instances - hand every record of @f's instances to @fn
 * @f: the file
 * @fn: called with the instance's handle and a record, raw timestamps;
 *	non-zero stops the walk
 * @arg: for @fn
 *
 * Returns 0, or what @fn returned to stop it.
 */
int tsync_trace_walk_instances(const struct tsync_trace_file *f, tsync_record_fn fn, void *arg)
{
	long unfit = 0;
	int ret = walk_instances(f, fn, arg, &unfit);

	say_left_out(f, unfit);
	return ret;
}

/**
 * tsync_trace_walk - hand every record of @f to @fn, buffer by buffer
 * @f: the file
 * @fn: as for tsync_trace_walk_instances()
 * @arg: for @fn
 *
 * Returns 0, or what @fn returned to stop it.
 */
int tsync_trace_walk(const struct tsync_trace_file *f, tsync_record_fn fn, void *arg)
{
	long unfit = 0;
	int ret = walk_buffer(f->in, f->cpus, fn, arg, &unfit);

	if (!ret)
		ret = walk_instances(f, fn, arg, &unfit);
	say_left_out(f, unfit);
	return ret;
}
