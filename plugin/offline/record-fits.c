// SPDX-License-Identifier: LGPL-2.1
/*
 * Whether libtraceevent can read a record's fields without reading past the
 * page that holds it.  libtraceevent 1.7 reads a field where the format
 * puts it, never asking how long the record is: a corrupt format whose
 * fields lie past a record at a page's end makes tep_print_event() copy a
 * char[16] comm from past libtracecmd's buffer, and a dynamic string
 * without its NUL is printed until some NUL turns up.  A field may run past
 * its record within the page: the kernel's kernel_stack records hold only
 * the frames they have of the caller[8] of their format.  Every reader of
 * the offline tool gets its records through records.c, which leaves out
 * those that fail here.
 */
#include <string.h>

#include <trace-cmd.h>

#include "tsync/offline.h"

/* An event's header: 4 bytes, 8 with its length outside the type word */
#define MIN_EVENT_HEADER	4
#define MAX_EVENT_HEADER	8

/*
 * How many bytes from @rec's data on are surely in its page, -1 when the
 * record itself runs past it (a corrupt length in compressed data, which
 * the readers' walk cannot check: libtraceevent would print a "print"
 * event's text of 20 MB).  A record's offset in the file is its event
 * header's, a page size apart from its page's.
 */
static long long room(int page_size, const struct tep_record *rec)
{
	long long left;

	if (page_size <= 0)
		return -1;
	left = page_size - (long long)(rec->offset % page_size);
	if (rec->size > left - MIN_EVENT_HEADER)
		return -1;
	/* a field may run past the record up to the page's end */
	return left - MAX_EVENT_HEADER > rec->size ? left - MAX_EVENT_HEADER : rec->size;
}

/* [@offset, @offset + @size) of the record's data lies within @room bytes */
static bool inside(long long room, long long offset, long long size)
{
	return offset >= 0 && size >= 0 && offset + size <= room;
}

/* libtraceevent finds every record's event and pid by the first event's common fields */
static bool common_fits(struct tep_handle *tep, long long room)
{
	static const char *const read_by_all[] = { "common_type", "common_pid" };
	struct tep_event *first = tep_get_event(tep, 0);
	struct tep_format_field *field;
	unsigned int i;

	for (i = 0; first && i < sizeof(read_by_all) / sizeof(read_by_all[0]); i++) {
		field = tep_find_common_field(first, read_by_all[i]);
		if (field && !inside(room, field->offset, field->size))
			return false;
	}
	return true;
}

/* A __data_loc or __rel_loc field: its word, then the data that it points to */
static bool dynamic_fits(struct tep_handle *tep, const struct tep_record *rec,
			 long long room, const struct tep_format_field *field)
{
	unsigned long long loc, offset, len;

	if (!inside(room, field->offset, field->size) || field->size > 8)
		return false;
	loc = tep_read_number(tep, (const char *)rec->data + field->offset, field->size);
	offset = loc & 0xffff;
	len = (loc >> 16) & 0xffff;
	if (field->flags & TEP_FIELD_IS_RELATIVE)
		offset += field->offset + field->size;
	if (!inside(room, offset, len))
		return false;
	/* printed as a C string: its NUL must be its own */
	return !(field->flags & TEP_FIELD_IS_STRING) || !len ||
	       memchr((const char *)rec->data + offset, '\0', len);
}

static bool fields_fit(struct tep_handle *tep, const struct tep_record *rec, long long room,
		       const struct tep_format_field *field)
{
	for (; field; field = field->next) {
		if (field->flags & TEP_FIELD_IS_DYNAMIC) {
			if (!dynamic_fits(tep, rec, room, field))
				return false;
		} else if (!field->size) {
			/* the rest of the record: printed from its size less the offset */
			if (field->offset < 0 || field->offset > rec->size)
				return false;
		} else if (!inside(room, field->offset, field->size)) {
			return false;
		}
	}
	return true;
}

/**
 * tsync_record_fits - whether libtraceevent can read @rec within its page
 * @tep: the file's event formats
 * @page_size: the file's (libtraceevent's is 0 for a v7 file)
 * @rec: a record of the file
 *
 * A record of no known event fits when its common fields do: libtraceevent
 * prints it as unknown.
 */
bool tsync_record_fits(struct tep_handle *tep, int page_size, const struct tep_record *rec)
{
	long long bytes = room(page_size, rec);
	struct tep_event *event;

	if (!rec->data || rec->size < 0 || bytes < 0 || !common_fits(tep, bytes))
		return false;
	event = tep_find_event_by_record(tep, (struct tep_record *)rec);
	return !event || (fields_fit(tep, rec, bytes, event->format.common_fields) &&
			  fields_fit(tep, rec, bytes, event->format.fields));
}
