// SPDX-License-Identifier: LGPL-2.1
/*
 * The kvm_write_tsc_offset events of a host trace (seeds 000 and 001): each
 * vCPU's TSC offset, and the host TSC at which it changed.  Read from every
 * buffer of the file (records.c): the event is best recorded in an
 * instance of its own.
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

static int add_write(struct tracecmd_input *in, struct tep_record *rec, void *arg)
{
	struct tep_event *ev = tep_find_event_by_name(tracecmd_get_tep(in), "kvm",
						      "kvm_write_tsc_offset");
	unsigned long long vcpu, prev, next;
	struct writes *ws = arg;

	if (!ev || tep_data_type(tracecmd_get_tep(in), rec) != ev->id)
		return 0;
	if (field(ev, rec, "vcpu_id", &vcpu) || field(ev, rec, "previous_tsc_offset", &prev) ||
	    field(ev, rec, "next_tsc_offset", &next) || vcpu >= TSYNC_MAX_CPUS)
		return 0;
	if (tsync_array_room(&ws->w, &ws->size, ws->nr, sizeof(*ws->w), 64))
		return -1;
	ws->w[ws->nr++] = (struct tsync_offset_write){ rec->ts, (long long)prev,
						       (long long)next, (int)vcpu };
	return 0;
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
	int ret = tsync_trace_walk(f, add_write, &ws);

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
