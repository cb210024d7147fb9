// SPDX-License-Identifier: LGPL-2.1
/*
 * The kvm_write_tsc_offset events of a host trace (seeds 000 and 001): each
 * vCPU's TSC offset, and the host TSC at which it changed.  Read from every
 * buffer of the file: the event is best recorded in an instance of its own.
 */
#include <stdlib.h>
#include <string.h>

#include <trace-cmd.h>

#include "tsync/offline.h"

struct writes {
	struct tsync_offset_write	*w;
	int				nr;
	long				size;
};

static int field(struct tep_event *ev, struct tep_record *rec, const char *name,
		 unsigned long long *val)
{
	return tep_get_field_val(NULL, ev, name, rec, val, 0);
}

static int add_write(struct writes *ws, struct tep_event *ev, struct tep_record *rec)
{
	unsigned long long vcpu, prev, next;

	if (field(ev, rec, "vcpu_id", &vcpu) || field(ev, rec, "previous_tsc_offset", &prev) ||
	    field(ev, rec, "next_tsc_offset", &next) || vcpu >= TSYNC_MAX_CPUS)
		return 0;
	if (tsync_array_room(&ws->w, &ws->size, ws->nr, sizeof(*ws->w), 64))
		return -1;
	ws->w[ws->nr++] = (struct tsync_offset_write){ rec->ts, (long long)prev,
						       (long long)next, (int)vcpu };
	return 0;
}

static int read_buffer(struct writes *ws, struct tracecmd_input *in, int cpus)
{
	struct tep_event *ev = tep_find_event_by_name(tracecmd_get_tep(in), "kvm",
						      "kvm_write_tsc_offset");
	struct tep_record *rec;
	int cpu, ret = 0;

	if (!ev)
		return 0;
	for (cpu = 0; cpu < cpus && !ret; cpu++) {
		for (rec = tracecmd_read_cpu_first(in, cpu); rec && !ret;
		     rec = tracecmd_read_data(in, cpu)) {
			if (tep_data_type(tracecmd_get_tep(in), rec) == ev->id)
				ret = add_write(ws, ev, rec);
			tracecmd_free_record(rec);
		}
		if (rec)
			tracecmd_free_record(rec);
	}
	return ret;
}

/**
 * tsync_read_offset_writes - every kvm_write_tsc_offset of a host trace
 * @f: the host trace
 * @w: returns the writes in host time order (free())
 * @nr: returns how many
 *
 * Returns 0, or -1 after saying why (none is an error: nothing to apply).
 */
int tsync_read_offset_writes(const struct tsync_trace_file *f, struct tsync_offset_write **w,
			     int *nr)
{
	struct writes ws = { 0 };
	struct tracecmd_input *inst;
	int i, ret = read_buffer(&ws, f->in, f->cpus);

	for (i = 0; !ret && i < tracecmd_buffer_instances(f->in); i++) {
		inst = tracecmd_buffer_instance_handle(f->in, i);
		if (!inst)
			continue;
		tracecmd_set_flag(inst, TRACECMD_FL_RAW_TS);
		ret = read_buffer(&ws, inst, tracecmd_cpus(inst));
		tracecmd_close(inst);
	}
	if (!ret && !ws.nr) {
		tsync_err("%s: no kvm_write_tsc_offset event (record the host with "
			  "-e kvm:kvm_write_tsc_offset)", f->path);
		ret = -1;
	}
	if (ret) {
		free(ws.w);
		return -1;
	}
	tsync_offset_writes_sort(ws.w, ws.nr);
	*w = ws.w;
	*nr = ws.nr;
	return 0;
}
