// SPDX-License-Identifier: LGPL-2.1
/*
 * A trace file as tsync-offline needs it: libtracecmd reads the headers and
 * the events; the options and the v6 data table, which libtracecmd does not
 * hand out, are walked here with bounds checks against the file's size.
 *
 * v6: "options  \0", then id (2), size (4), data... until id 0 (DONE, no
 * size); then "flyrecord\0" and per CPU the data's offset and size (8 + 8).
 * v7: sections of id 0: id (2), flags (2), description (4), size (8), then
 * options; the DONE option's 8 bytes are the next section's offset, or 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <trace-cmd.h>

#include "tsync/offline.h"
#include "tsync/trace-probe.h"

#define MAX_OPTIONS	65536
#define SECTION_HEADER	16
#define FL_COMPRESS	1

static int read_at(const struct tsync_trace_file *f, off_t at, void *buf, size_t len)
{
	if (at < 0 || at > f->size || len > (size_t)(f->size - at) ||
	    pread(f->fd, buf, len, at) != (ssize_t)len) {
		tsync_err("%s: truncated: %zu bytes at offset %lld are past its end",
			  f->path, len, (long long)at);
		return -1;
	}
	return 0;
}

static int number_at(const struct tsync_trace_file *f, off_t at, int bytes,
		     unsigned long long *val)
{
	unsigned char buf[8];

	if (read_at(f, at, buf, bytes))
		return -1;
	*val = tsync_get_number(buf, bytes, f->big_endian);
	return 0;
}

/**
 * tsync_trace_open - open a trace file of versions 6 or 7
 * @f: returns the file
 * @path: its name
 *
 * libtracecmd opens it, once trace-probe.c has checked what libtracecmd
 * trusts in it: a file it would crash or hang on is refused.
 *
 * Returns 0, or -1 after saying what is wrong with the file.
 */
int tsync_trace_open(struct tsync_trace_file *f, const char *path)
{
	struct tsync_trace_probe probe;
	int verdict;

	memset(f, 0, sizeof(*f));
	f->path = path;
	f->fd = open(path, O_RDONLY);
	if (f->fd < 0) {
		tsync_err("%s: %s", path, strerror(errno));
		return -1;
	}
	f->size = lseek(f->fd, 0, SEEK_END);
	/*
	 * libtracecmd trusts the file: what it trusts is checked first, then
	 * libtracecmd reads it all in a child while it opens it here.  Raw
	 * timestamps before the first event is read: tracecmd_open() would
	 * apply the TIME_SHIFT option to the first events, and one that
	 * tsync_trace_time_shift() refuses can crash libtracecmd (SIGFPE)
	 */
	if (tsync_trace_probe_begin(&probe, path, f->fd, f->size)) {
		tsync_trace_close(f);
		return -1;
	}
	/* errors only, as trace-cmd report: tsync's own option is no news */
	tracecmd_set_loglevel(TEP_LOG_ERROR);
	f->in = tracecmd_open_head(path, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (f->in) {
		tracecmd_set_flag(f->in, TRACECMD_FL_RAW_TS);
		if (tracecmd_init_data(f->in) < 0) {
			tracecmd_close(f->in);
			f->in = NULL;
		}
	}
	verdict = tsync_trace_probe_end(&probe);
	if (verdict < 0) {
		f->in = NULL;	/* its close may be what crashed */
		tsync_trace_close(f);
		return -1;
	}
	if (verdict || !f->in) {
		tsync_err("%s: not a trace-cmd file, or a truncated or corrupt one", path);
		tsync_trace_close(f);
		return -1;
	}
	f->version = (int)tracecmd_get_in_file_version(f->in);
	f->big_endian = tep_is_file_bigendian(tracecmd_get_tep(f->in));
	f->cpus = tracecmd_cpus(f->in);
	f->page_size = tracecmd_page_size(f->in);
	f->options = (off_t)tracecmd_get_options_offset(f->in);
	if ((f->version != 6 && f->version != 7) || f->cpus <= 0 || f->page_size <= 0) {
		tsync_err("%s: file version %d with %d CPUs: only versions 6 and 7 with CPU data",
			  path, f->version, f->cpus);
		tsync_trace_close(f);
		return -1;
	}
	return 0;
}

void tsync_trace_close(struct tsync_trace_file *f)
{
	if (f->in)
		tracecmd_close(f->in);
	if (f->fd >= 0)
		close(f->fd);
	f->in = NULL;
	f->fd = -1;
}

static int add_option(const struct tsync_trace_file *f, struct tsync_option **opts, int *nr,
		      off_t at, unsigned short id, unsigned long long size)
{
	struct tsync_option *more;

	if (*nr >= MAX_OPTIONS || size > (unsigned long long)(f->size - at)) {
		tsync_err("%s: corrupt: option %u at offset %lld is longer than the file",
			  f->path, id, (long long)at);
		return -1;
	}
	more = realloc(*opts, (*nr + 1) * sizeof(**opts));
	if (!more)
		return -1;
	*opts = more;
	more[*nr].id = id;
	more[*nr].size = (unsigned int)size;
	more[(*nr)++].at = at;
	return 0;
}

/* v6: options up to DONE; returns where DONE is, or -1 */
static off_t walk_v6(const struct tsync_trace_file *f, struct tsync_option **opts, int *nr)
{
	unsigned long long id, size;
	off_t at = f->options;

	for (;;) {
		if (number_at(f, at, 2, &id))
			return -1;
		if (id == TRACECMD_OPTION_DONE)
			return at;
		if (number_at(f, at + 2, 4, &size) ||
		    add_option(f, opts, nr, at + 6, (unsigned short)id, size))
			return -1;
		at += 6 + (off_t)size;
	}
}

/* v7: one options section; returns the next section's offset, 0, or -1 */
static long long walk_section(const struct tsync_trace_file *f, off_t sec,
			      struct tsync_option **opts, int *nr)
{
	unsigned long long id, flags, size, next, len;
	off_t at, end;

	if (number_at(f, sec, 2, &id) || number_at(f, sec + 2, 2, &flags) ||
	    number_at(f, sec + 8, 8, &len))
		return -1;
	if (id != TRACECMD_OPTION_DONE || len > (unsigned long long)(f->size - sec)) {
		tsync_err("%s: corrupt: no options section at offset %lld", f->path, (long long)sec);
		return -1;
	}
	if (flags & FL_COMPRESS) {
		tsync_err("%s: its options are compressed: not supported (trace-cmd convert "
			  "--compression none makes them plain)", f->path);
		return -1;
	}
	at = sec + SECTION_HEADER;
	end = at + (off_t)len;
	while (at + 6 <= end) {
		if (number_at(f, at, 2, &id) || number_at(f, at + 2, 4, &size))
			return -1;
		if (id == TRACECMD_OPTION_DONE) {
			if (size != 8 || number_at(f, at + 6, 8, &next))
				break;
			return (long long)next;
		}
		if (add_option(f, opts, nr, at + 6, (unsigned short)id, size))
			return -1;
		at += 6 + (off_t)size;
	}
	tsync_err("%s: corrupt: the options section at offset %lld has no end", f->path,
		  (long long)sec);
	return -1;
}

/**
 * tsync_trace_options - every option of @f, in the order report reads them
 * @f: the file
 * @opts: returns an array to free()
 * @nr: returns its length
 *
 * Returns 0, or -1 after saying what is wrong with the file.
 */
int tsync_trace_options(const struct tsync_trace_file *f, struct tsync_option **opts, int *nr)
{
	long long sec = f->options, next;
	int sections = 0;

	*opts = NULL;
	*nr = 0;
	if (f->version == 6)
		return walk_v6(f, opts, nr) < 0 ? -1 : 0;
	while (sec) {
		next = walk_section(f, sec, opts, nr);
		if (next < 0 || (next && next <= sec) || ++sections > MAX_OPTIONS) {
			if (next >= 0)
				tsync_err("%s: corrupt: options sections loop", f->path);
			free(*opts);
			*opts = NULL;
			return -1;
		}
		sec = next;
	}
	return 0;
}

int tsync_trace_read_option(const struct tsync_trace_file *f, const struct tsync_option *o,
			    void **data)
{
	*data = malloc(o->size ? o->size : 1);
	if (!*data)
		return -1;
	if (read_at(f, o->at, *data, o->size)) {
		free(*data);
		return -1;
	}
	return 0;
}

/**
 * tsync_trace_find_option - the last option @id of @f, the one report uses
 * @f: the file
 * @id: the option's id
 * @data: returns its payload, to free()
 * @size: returns its size
 *
 * Returns 0, 1 when @f has none, or -1 after saying what is wrong.
 */
int tsync_trace_find_option(const struct tsync_trace_file *f, unsigned short id, void **data,
			    unsigned int *size)
{
	struct tsync_option *opts, last = { 0 };
	bool found = false;
	int i, nr;

	if (tsync_trace_options(f, &opts, &nr))
		return -1;
	for (i = 0; i < nr; i++) {
		if (opts[i].id == id) {
			last = opts[i];
			found = true;
		}
	}
	free(opts);
	if (!found)
		return 1;
	*size = last.size;
	return tsync_trace_read_option(f, &last, data) ? -1 : 0;
}

/**
 * tsync_trace_time_shift - the TIME_SHIFT option report uses (the last one)
 * @f: the file
 * @ts: returns the option
 *
 * Returns 0, 1 when @f has none, or -1 after saying what is wrong.
 */
int tsync_trace_time_shift(const struct tsync_trace_file *f, struct tsync_time_shift *ts)
{
	const char *why = NULL;
	unsigned int size;
	void *data;
	int ret;

	ret = tsync_trace_find_option(f, TRACECMD_OPTION_TIME_SHIFT, &data, &size);
	if (ret)
		return ret;
	ret = tsync_time_shift_decode(data, size, f->big_endian, ts, &why);
	if (ret)
		tsync_err("%s: its TIME_SHIFT option is corrupt: %s", f->path, why);
	free(data);
	return ret;
}

/**
 * tsync_trace_v6_layout - where a v6 file's options end and its data begins
 * @f: a version 6 file
 * @l: returns the layout
 *
 * Returns 0, or -1 after saying what is wrong (a latency trace, say).
 */
int tsync_trace_v6_layout(const struct tsync_trace_file *f, struct tsync_v6_layout *l)
{
	unsigned long long offset, size;
	struct tsync_option *opts = NULL;
	char magic[10];
	int nr = 0, cpu;

	l->done = walk_v6(f, &opts, &nr);
	free(opts);
	if (l->done < 0 || read_at(f, l->done + 2, magic, sizeof(magic)))
		return -1;
	if (memcmp(magic, "flyrecord", 10)) {
		tsync_err("%s: no flyrecord data after its options (a latency trace?)", f->path);
		return -1;
	}
	l->table = l->done + 12;
	l->data = f->size;
	for (cpu = 0; cpu < f->cpus; cpu++) {
		if (number_at(f, l->table + 16 * cpu, 8, &offset) ||
		    number_at(f, l->table + 16 * cpu + 8, 8, &size))
			return -1;
		if (size && offset < (unsigned long long)l->data)
			l->data = (off_t)offset;
	}
	if (l->data < l->table + 16 * f->cpus) {
		tsync_err("%s: corrupt: CPU data overlaps its table", f->path);
		return -1;
	}
	/* the trace clock follows the table; whatever it is, it is kept */
	l->tail = l->table + 16 * f->cpus;
	if (l->data - l->tail >= 8 && !number_at(f, l->tail, 8, &size))
		l->tail += 8 + (size < (unsigned long long)(l->data - l->tail - 8) ?
				(off_t)size : l->data - l->tail - 8);
	return 0;
}

struct range {
	unsigned long long	first, last;
	bool			any;
};

static int widen_range(struct tracecmd_input *in, struct tep_record *rec, void *arg)
{
	struct range *r = arg;

	(void)in;
	if (rec->ts < r->first)
		r->first = rec->ts;
	if (rec->ts > r->last)
		r->last = rec->ts;
	r->any = true;
	return 0;
}

/**
 * tsync_trace_range - the first and last raw timestamps of any CPU
 * @f: the file
 * @first: returns the earliest
 * @last: returns the latest
 *
 * Of every buffer, as records.c walks them: the top one from each CPU's
 * first and last record, the instances record by record (libtracecmd
 * 3.1.6 crashes reading an instance's last record).  Returns 0, or -1
 * when @f holds no event, leaving the message to the caller.
 */
int tsync_trace_range(const struct tsync_trace_file *f, unsigned long long *first,
		      unsigned long long *last)
{
	struct range r = { .first = ~0ULL };
	struct tep_record *rec;
	int cpu;

	for (cpu = 0; cpu < f->cpus; cpu++) {
		/* tracecmd_read_cpu_last() takes a CPU of no buffer for one */
		rec = tracecmd_read_cpu_first(f->in, cpu);
		if (!rec)
			continue;
		widen_range(f->in, rec, &r);
		tracecmd_free_record(rec);
		rec = tracecmd_read_cpu_last(f->in, cpu);
		if (rec)
			widen_range(f->in, rec, &r);
		tracecmd_free_record(rec);
	}
	tsync_trace_walk_instances(f, widen_range, &r);
	*first = r.first;
	*last = r.last;
	return r.any ? 0 : -1;
}
