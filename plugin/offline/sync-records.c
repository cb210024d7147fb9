// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync-ptp's sync records of a guest file (sync-record.c's lines): all of
 * them in tsync's own option, where trace-cmd-tsync record puts the host's
 * copy (keep-records.c); else those that the guest wrote into its trace as
 * print events, only the sync points of while it traced.
 */
#include <stdlib.h>
#include <string.h>

#include <trace-cmd.h>

#include "tsync/offline.h"

struct record_reader {
	struct tsync_bounds	*b;
	int			bad;
	int			err;
};

static int add_line(struct tsync_bounds *b, const struct tsync_bound_line *l)
{
	if (tsync_array_room(&b->lines, &b->size, b->nr, sizeof(*l), 256))
		return -1;
	b->lines[b->nr++] = *l;
	return 0;
}

/* One line, maybe not NUL-terminated: a record, or counted as malformed */
static int take_line(struct record_reader *r, const char *text, size_t len)
{
	struct tsync_bound_line l;

	if (tsync_record_parse(text, len, l.proto, &l.r)) {
		r->bad++;
		return 0;
	}
	if (add_line(r->b, &l)) {
		r->err = -1;
		return 1;
	}
	return 0;
}

static int read_print(struct tracecmd_input *in, struct tep_record *rec, void *arg)
{
	struct tep_handle *tep = tracecmd_get_tep(in);
	struct record_reader *r = arg;
	struct tep_format_field *field;
	struct tep_event *ev;
	const char *text;

	ev = tep_find_event_by_record(tep, rec);
	if (!ev || strcmp(ev->name, "print") || strcmp(ev->system, "ftrace"))
		return 0;
	/* buf[] runs to the record's end */
	field = tep_find_field(ev, "buf");
	if (!field || field->offset < 0 || field->offset >= rec->size)
		return 0;
	text = (const char *)rec->data + field->offset;
	if (strncmp(text, TSYNC_RECORD_PREFIX, strlen(TSYNC_RECORD_PREFIX)))
		return 0;
	return take_line(r, text, strnlen(text, rec->size - field->offset));
}

/* The option's lines, each ended by a newline */
static void read_option(struct record_reader *r, const char *text, size_t size)
{
	const char *end = text + size, *nl;

	for (; text < end && !r->err; text = nl + 1) {
		nl = memchr(text, '\n', end - text);
		if (!nl)
			nl = end;
		take_line(r, text, nl - text);
	}
}

/**
 * tsync_read_bounds - the sync records of a guest file
 * @f: the file
 * @b: returns the records (free b->lines) and where they were found
 *
 * Returns 0, or -1 when memory runs out or the option cannot be read.
 */
int tsync_read_bounds(const struct tsync_trace_file *f, struct tsync_bounds *b)
{
	struct record_reader r = { .b = b };
	unsigned int size;
	void *data;
	int ret;

	memset(b, 0, sizeof(*b));
	ret = tsync_trace_find_option(f, TSYNC_OPTION_SYNC_RECORDS, &data, &size);
	if (ret < 0)
		return -1;
	b->kept = !ret;
	if (b->kept) {
		read_option(&r, data, size);
		free(data);
	} else {
		tsync_trace_walk(f, read_print, &r);
	}
	if (r.bad)
		tsync_info("%s: %d malformed \"%s\" lines ignored", f->path, r.bad,
			   TSYNC_RECORD_PREFIX);
	return r.err;
}
