// SPDX-License-Identifier: LGPL-2.1
/*
 * A trace file checked before libtracecmd opens it.  libtracecmd 3.1.6
 * trusts what a file says: a CPU's data past the end of a truncated file
 * makes tracecmd_open() give up half way, and tracecmd_close() then walks
 * lists it never set up; a size of 2^64 - 1 makes it allocate 0 bytes and
 * read the rest of the file into them; an option's string without its NUL
 * is read past its end; a CPU count of 2^28 turns each event read into a
 * loop over 2^28 CPUs.  So, as the tool opens a file,
 * tsync_trace_probe_begin():
 *
 * walks its layout with pread() against its size: every size, offset and
 * count libtracecmd follows while it opens the file, every option's payload
 * as libtracecmd parses it, every page header and event header that
 * kbuffer trusts.  It reads numbers only, never the texts that
 * libtraceevent parses.  A refusal names the cause and where it is;
 *
 * then has libtracecmd itself open the file in a child process, read the
 * first and the last event of each CPU (every event of compressed data)
 * and close it, within a time limit, while the tool opens the file beside
 * it (an open of a real file is mostly kallsyms parsed: two, one after the
 * other, would take twice as long).  The child's death by a signal, or the
 * limit, is the file's corruption where the walk cannot see: in compressed
 * sections, in the texts.  A crash or a hang of the tool's own open
 * meanwhile ends the tool with the same words; tsync_trace_probe_end()
 * gives the child's verdict.
 *
 * v6: magic, "6", endian (1), long size (1), page size (4); "header_page",
 * size (8) and text, "header_event", size (8) and text; ftrace formats:
 * count (4), each size (8) and text; systems: count (4), each a name, a
 * count (4), each size (8) and text; kallsyms and printk: size (4) and
 * text; cmdlines: size (8) and text; CPUs (4); "options  " and options up
 * to DONE; "flyrecord" and per CPU the data's offset and size (8 + 8);
 * with a TRACECLOCK option, the clock: size (8) and text.
 * v7: magic, "7", endian, long size, page size, the compression's name and
 * version, the first options section's offset (8); then sections to the
 * end of the file: id (2), flags (2), description (4), size (8), data.
 * Options name the sections that hold v6's parts, and the buffers'.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <trace-cmd.h>

#include "tsync/offline.h"
#include "tsync/trace-probe.h"

#define MAGIC		"\027\010\104tracing"
#define MAGIC_LEN	10
#define MAX_CPUS	8192		/* the kernel's largest NR_CPUS */
#define MAX_NAME	256		/* a system's name, the compression's name, version */
#define MAX_FORMATS	65536		/* systems and formats: a kernel has some 3000 */
#define MAX_OPTIONS	65536
#define MAX_SECTIONS	65536
#define MIN_PAGE	4096
#define MAX_PAGE	(1 << 24)
#define SECTION_HEADER	16
#define FL_COMPRESS	1
#define COMMIT_MASK	((1ULL << 27) - 1)	/* a page's size, as kbuffer masks it */
#define MISSED_EVENTS	(1ULL << 31)
#define MISSED_STORED	(1ULL << 30)
#define CHUNK		(1 << 20)		/* CPU data read at once */
#define MAX_CHUNK_PAGES	256		/* trace-cmd compresses 10 pages at a time */

/* The child's time: 10 s, and 1 s more for every 16 MB it may decompress and read */
#define PROBE_SECONDS	10
#define PROBE_RATE	(16 << 20)
#define PROBE_READ	0
#define PROBE_REFUSED	3

/* Option ids of the file format, trace-cmd.dat.v7(5) */
enum {
	OPT_DONE, OPT_DATE, OPT_CPUSTAT, OPT_BUFFER, OPT_TRACECLOCK, OPT_UNAME, OPT_HOOK,
	OPT_OFFSET, OPT_CPUCOUNT, OPT_VERSION, OPT_PROCMAPS, OPT_TRACEID, OPT_TIME_SHIFT,
	OPT_GUEST, OPT_TSC2NSEC, OPT_STRINGS, OPT_HEADER_INFO, OPT_FTRACE_EVENTS,
	OPT_EVENT_FORMATS, OPT_KALLSYMS, OPT_PRINTK, OPT_CMDLINES, OPT_BUFFER_TEXT,
};

struct section {
	off_t			at;
	unsigned long long	size;		/* of its data, after the header */
	unsigned short		id;
	unsigned short		flags;
};

struct walk {
	const char		*path;
	int			fd;
	off_t			size;
	bool			big_endian;
	int			version;
	int			long_size;	/* of a page header's size field */
	unsigned int		page_size;
	unsigned int		cpus;		/* v6: the header's, or CPUCOUNT's */
	bool			clock;		/* v6: a clock follows the table */
	bool			headers;	/* v7: a HEADER_INFO section */
	bool			compressed;	/* v7: CPU data the walk cannot see */
	unsigned char		*buf;		/* CPU data, a chunk at a time */
	size_t			buf_size;
	int			formats;
	struct section		*secs;		/* v7: every section, in file order */
	long			nr_secs;
	long			secs_size;
	off_t			*tables;	/* v6: every instance's CPU table */
	long			nr_tables;
	long			tables_size;
};

static int corrupt(const struct walk *w, long long at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Says what is wrong, and where unless @at is -1; returns -1 */
static int corrupt(const struct walk *w, long long at, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (at < 0)
		tsync_err("%s: corrupt: %s", w->path, why);
	else
		tsync_err("%s: corrupt at offset %lld: %s", w->path, at, why);
	return -1;
}

/* @len bytes at @at end before @end, the file's end or a section's */
static int need(const struct walk *w, unsigned long long at, unsigned long long len, off_t end,
		const char *what)
{
	if (at <= (unsigned long long)end && len <= end - at)
		return 0;
	if (at <= (unsigned long long)w->size && len <= w->size - at)
		return corrupt(w, at, "%s (%llu bytes) runs past its section's end", what, len);
	tsync_err("%s: truncated or corrupt: %s (%llu bytes at offset %llu) ends past the end "
		  "of the file (%lld bytes)", w->path, what, len, at, (long long)w->size);
	return -1;
}

static int get(const struct walk *w, off_t at, void *buf, size_t len, off_t end,
	       const char *what)
{
	ssize_t n;

	if (need(w, at, len, end, what))
		return -1;
	n = pread(w->fd, buf, len, at);
	if (n != (ssize_t)len) {
		tsync_err("%s: %s", w->path, n < 0 ? strerror(errno) : "shorter than it was");
		return -1;
	}
	return 0;
}

static int number(const struct walk *w, off_t at, int bytes, off_t end, const char *what,
		  unsigned long long *val)
{
	unsigned char buf[8];

	if (get(w, at, buf, bytes, end, what))
		return -1;
	*val = tsync_get_number(buf, bytes, w->big_endian);
	return 0;
}

/* A string at @at, its NUL before @end and within @max bytes: its length, or -1 */
static long string(const struct walk *w, off_t at, off_t end, char *buf, size_t max,
		   const char *what)
{
	size_t len = max;
	char *nul;

	if (need(w, at, 1, end, what))
		return -1;
	if ((off_t)len > end - at)
		len = end - at;
	if (get(w, at, buf, len, end, what))
		return -1;
	nul = memchr(buf, 0, len);
	if (!nul)
		return corrupt(w, at, "%s has no end", what);
	return nul - buf;
}

/* ---- the parts of a v6 file, and of the sections of a v7 one ---- */

/* A size of @bytes bytes, then as many bytes of text */
static off_t text(struct walk *w, off_t at, off_t end, int bytes, const char *what)
{
	unsigned long long len;

	if (number(w, at, bytes, end, what, &len) || need(w, at + bytes, len, end, what))
		return -1;
	return at + bytes + (off_t)len;
}

/* "header_page" and "header_event", each with its format */
static off_t headers(struct walk *w, off_t at, off_t end)
{
	static const char *const tags[] = { "header_page", "header_event" };
	char tag[16];
	size_t len;
	int i;

	for (i = 0; i < 2 && at >= 0; i++) {
		len = strlen(tags[i]) + 1;
		if (get(w, at, tag, len, end, "a ring buffer header's tag"))
			return -1;
		if (memcmp(tag, tags[i], len))
			return corrupt(w, at, "no \"%s\" where it belongs", tags[i]);
		at = text(w, at + len, end, 8, tags[i]);
	}
	return at;
}

/* A count (4), then each format: size (8) and text */
static off_t formats(struct walk *w, off_t at, off_t end, const char *what)
{
	unsigned long long count, i;

	if (number(w, at, 4, end, what, &count))
		return -1;
	at += 4;
	for (i = 0; i < count && at >= 0; i++) {
		if (++w->formats > MAX_FORMATS)
			return corrupt(w, at, "more than %d event formats", MAX_FORMATS);
		at = text(w, at, end, 8, what);
	}
	return at;
}

/* A count (4), then each system: its name, then its formats */
static off_t systems(struct walk *w, off_t at, off_t end)
{
	unsigned long long count, i;
	char name[MAX_NAME];
	long len;

	if (number(w, at, 4, end, "the event systems' count", &count))
		return -1;
	at += 4;
	for (i = 0; i < count && at >= 0; i++) {
		if (++w->formats > MAX_FORMATS)
			return corrupt(w, at, "more than %d event systems", MAX_FORMATS);
		len = string(w, at, end, name, sizeof(name), "an event system's name");
		if (len < 0)
			return -1;
		at = formats(w, at + len + 1, end, "an event format");
	}
	return at;
}

/* The part that a v6 file holds at @at, or a v7 section of id @id */
static off_t part(struct walk *w, int id, off_t at, off_t end)
{
	switch (id) {
	case OPT_HEADER_INFO:	return headers(w, at, end);
	case OPT_FTRACE_EVENTS:	return formats(w, at, end, "an ftrace format");
	case OPT_EVENT_FORMATS:	return systems(w, at, end);
	case OPT_KALLSYMS:	return text(w, at, end, 4, "kallsyms");
	case OPT_PRINTK:	return text(w, at, end, 4, "the printk formats");
	case OPT_CMDLINES:	return text(w, at, end, 8, "the command lines");
	}
	return at;
}

/* ---- CPU data: in the file, on a page boundary, every page and event sound ---- */

/*
 * The events of a page as kbuffer_next_event() walks them (the ring
 * buffer's format since Linux 2.6.31): from each event's offset @curr
 * below the page's size, a header (4) whose type_len gives its length:
 * 1 to 28 words of data, 0 a length (4) and data, 29 padding with its
 * length (4), 30 and 31 a time (4).  kbuffer reads these 4 or 8 bytes,
 * and then the event's data, before it compares anything with the page.
 */
static int events(const struct walk *w, const unsigned char *data, unsigned long long size,
		  unsigned long long room, off_t at, int cpu)
{
	unsigned long long curr, next, header;
	unsigned int type;
	long long len;

	for (curr = 0; curr < size; curr = next) {
		if (curr + 4 > room)
			goto past;
		header = tsync_get_number(data + curr, 4, w->big_endian);
		type = w->big_endian ? header >> 27 : header & 31;
		if (type >= 1 && type <= 28) {
			next = curr + 4 + 4 * type;
		} else {
			if (curr + 8 > room)
				goto past;
			len = (int)tsync_get_number(data + curr + 4, 4, w->big_endian);
			if (type == 30 || type == 31) {
				next = curr + 8;
				continue;
			}
			/* padding: a negative length walks back, for ever */
			if (type == 29 && len < 0)
				return corrupt(w, at + curr, "a padding of %lld bytes", len);
			/* and one past the page makes libtracecmd read its last event for ever */
			if (type == 29) {
				next = curr + 4 + len;
				if (next > room)
					goto past;
				continue;
			}
			len = (len - 4 + 3) & ~3LL;
			if (len < 0)
				goto past;
			next = curr + 8 + len;
		}
		if (next > size)
			goto past;
	}
	return 0;
past:
	return corrupt(w, at + curr, "an event of CPU %d runs past its page's %llu bytes", cpu,
		       size);
}

/*
 * A page: its time (8), then the bytes it holds (a long), whose top bits
 * say events were lost and, for bit 30, that their count follows the
 * bytes; then its events.  kbuffer_load_subbuffer() reads that count and
 * the first events before libtracecmd compares the bytes with the page.
 */
static int page(const struct walk *w, const unsigned char *pg, size_t avail, off_t at, int cpu)
{
	unsigned long long commit, bytes;
	size_t header = 8 + w->long_size;

	if (avail < header)
		return corrupt(w, at, "CPU %d's data ends inside a page header", cpu);
	commit = tsync_get_number(pg + 8, w->long_size, w->big_endian);
	bytes = commit & COMMIT_MASK;
	if ((commit & MISSED_EVENTS) && (commit & MISSED_STORED))
		bytes += w->long_size;
	if (bytes > avail - header)
		return corrupt(w, at, "a page of CPU %d holds %llu bytes, more than a page",
			       cpu, bytes);
	return events(w, pg + header, commit & COMMIT_MASK, avail - header, at + header, cpu);
}

/*
 * Compressed CPU data: a count (4), then chunks, each its compressed size
 * (4), its size uncompressed (4) and its bytes, within the section (the
 * data's size in the BUFFER option, a few bytes short, is only checked
 * for 0 by libtracecmd).  libtracecmd gives a chunk a buffer of the size
 * it says, and takes pages from it a page size apart (read_zpage()): in a
 * chunk of 4322 bytes, its second page would run 3870 bytes past the
 * buffer's end; and a chunk that says 4 GB gets 4 GB, kept for as long as
 * the file is open (libtracecmd 3.1.6 never frees a chunk it read).
 * trace-cmd writes chunks of 10 pages, the last one maybe fewer.
 */
static int chunks(struct walk *w, int cpu, off_t at, off_t end, unsigned int page_size)
{
	unsigned long long count, zsize, size, i;

	if (number(w, at, 4, end, "a compressed CPU's chunk count", &count))
		return -1;
	for (at += 4, i = 0; i < count; i++, at += 8 + zsize) {
		if (number(w, at, 4, end, "a compressed chunk's size", &zsize) ||
		    number(w, at + 4, 4, end, "a chunk's size uncompressed", &size) ||
		    need(w, at + 8, zsize, end, "a compressed chunk"))
			return -1;
		if (!size || size % page_size || size / page_size > MAX_CHUNK_PAGES)
			return corrupt(w, at + 4, "a chunk of CPU %d's data holds %llu bytes, "
				       "not 1 to %d whole pages of %u", cpu, size,
				       MAX_CHUNK_PAGES, page_size);
	}
	return 0;
}

/* A CPU's data, in @s (v7) or in the file (v6); unless compressed, its pages */
static int cpu_data(struct walk *w, int cpu, unsigned long long at, unsigned long long len,
		    const struct section *s, unsigned int page_size)
{
	off_t lo = s ? s->at + SECTION_HEADER : 0, end = s ? lo + (off_t)s->size : w->size;
	unsigned long long done, n, p;
	char what[32];
	size_t chunk;

	if (!len)
		return 0;
	snprintf(what, sizeof(what), "CPU %d's data", cpu);
	if (at < (unsigned long long)lo)
		return corrupt(w, at, "%s lies before its buffer's section", what);
	if (need(w, at, len, end, what))
		return -1;
	if (s && (s->flags & FL_COMPRESS)) {
		w->compressed = true;
		return chunks(w, cpu, at, end, page_size);
	}
	if (at % page_size)
		return corrupt(w, at, "%s does not start on a page", what);
	/* read in chunks of whole pages */
	chunk = page_size > CHUNK ? page_size : CHUNK;
	if (chunk > w->buf_size) {
		free(w->buf);
		w->buf = malloc(chunk);
		w->buf_size = w->buf ? chunk : 0;
		if (!w->buf)
			return -1;
	}
	for (done = 0; done < len; done += n) {
		n = len - done < chunk ? len - done : chunk;
		if (get(w, at + done, w->buf, n, end, what))
			return -1;
		for (p = 0; p < n; p += page_size) {
			if (page(w, w->buf + p, n - p < page_size ? n - p : page_size,
				 at + done + p, cpu))
				return -1;
		}
	}
	return 0;
}

static int page_size_ok(const struct walk *w, off_t at, unsigned long long size)
{
	if (size < MIN_PAGE || size > MAX_PAGE || (size & (size - 1)))
		return corrupt(w, at, "a page size of %llu bytes", size);
	return 0;
}

/* v6: a table of @w->cpus offsets and sizes */
static int table(struct walk *w, off_t at)
{
	unsigned long long offset, len;
	unsigned int cpu;

	if (need(w, at, 16ULL * w->cpus, w->size, "the CPU data table"))
		return -1;
	for (cpu = 0; cpu < w->cpus; cpu++) {
		if (number(w, at + 16 * cpu, 8, w->size, "a CPU's offset", &offset) ||
		    number(w, at + 16 * cpu + 8, 8, w->size, "a CPU's size", &len) ||
		    cpu_data(w, cpu, offset, len, NULL, w->page_size))
			return -1;
	}
	return 0;
}

/* v7: the section that starts at @at */
static const struct section *section_at(const struct walk *w, unsigned long long at)
{
	long lo = 0, hi = w->nr_secs - 1, mid;

	while (lo <= hi) {
		mid = (lo + hi) / 2;
		if ((unsigned long long)w->secs[mid].at == at)
			return &w->secs[mid];
		if ((unsigned long long)w->secs[mid].at < at)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* ---- options: each payload as libtracecmd's handle_options() reads it ---- */

/*
 * tracecmd_create_event_hook()'s form, else it returns NULL and
 * handle_options() follows that NULL: [system:]event,match[,pid] then
 * '/' then [system:]event,match[,flags]
 */
static bool hook_half(const char **s, bool end)
{
	const char *p = *s;
	size_t n = strcspn(p, ":,/");

	if (n && p[n] == ':') {
		p += n + 1;
		n = strcspn(p, ":,/");
	}
	if (!n || p[n] != ',')
		return false;
	p += n + 1;
	n = strcspn(p, ":,/");
	if (!n)
		return false;
	p += n;
	if (*p == ',') {
		n = strcspn(++p, end ? "" : ":,/");
		if (!n)
			return false;
		p += n;
	}
	*s = p;
	return true;
}

static bool hook_ok(const char *s)
{
	return hook_half(&s, false) && *s++ == '/' && hook_half(&s, true) && !*s;
}

/* As tsync_cpu_offsets_load() reads it: each CPU count it trusts is a loop */
static int time_shift(const struct walk *w, off_t at, const unsigned char *p,
		      unsigned long long len)
{
	unsigned long long cpus, count, total = 0, left, i;

	if (len < 16)
		return 0;	/* ignored */
	cpus = tsync_get_number(p + 12, 4, w->big_endian);
	left = len - 16;
	if (cpus > TSYNC_MAX_CPUS || cpus > left / 4)
		return corrupt(w, at, "a TIME_SHIFT option of %llu CPUs in %llu bytes", cpus,
			       len);
	for (p += 16, i = 0; i < cpus; i++) {
		count = left < 4 ? ~0ULL : tsync_get_number(p, 4, w->big_endian);
		if (left < 4 || count > (left - 4) / 24)
			return corrupt(w, at, "TIME_SHIFT: CPU %llu's samples do not fit", i);
		p += 4 + 24 * count;
		left -= 4 + 24 * count;
		total += count;
	}
	if (left && left < 8 * total)
		return corrupt(w, at, "TIME_SHIFT: its fraction bits do not fit");
	return 0;
}

/* As trace_guest_load() reads it: a negative vCPU is written before its array */
static int guest(const struct walk *w, off_t at, const unsigned char *p,
		 unsigned long long len)
{
	size_t name = strnlen((const char *)p, len);
	long long vcpus, i;
	int cpu;

	if (name == len)
		return corrupt(w, at, "a GUEST option's name has no end");
	len -= name + 1;
	p += name + 1;
	if (len < 12)
		return 0;	/* refused */
	vcpus = (int)tsync_get_number(p + 8, 4, w->big_endian);
	for (p += 12, len -= 12, i = 0; i < vcpus && len >= 8; i++, p += 8, len -= 8) {
		cpu = (int)tsync_get_number(p, 4, w->big_endian);
		if (cpu < 0)
			return corrupt(w, at, "a GUEST option's vCPU %d", cpu);
	}
	return 0;
}

static int buffer(struct walk *w, int id, off_t at, const unsigned char *p,
		  unsigned long long len)
{
	unsigned long long offset, page_size, cpus, cpu, data, size, i;
	const struct section *s;
	size_t name, clock;

	if (len < 9)
		return corrupt(w, at, "a BUFFER option of %llu bytes", len);
	offset = tsync_get_number(p, 8, w->big_endian);
	name = strnlen((const char *)p + 8, len - 8);
	if (name == len - 8)
		return corrupt(w, at, "a BUFFER option's name has no end");
	if (w->version == 6) {
		if (!name)
			return 0;	/* the top buffer: its table follows the options */
		if (tsync_array_room(&w->tables, &w->tables_size, w->nr_tables,
				     sizeof(*w->tables), 4))
			return -1;
		w->tables[w->nr_tables++] = offset;
		return 0;
	}
	p += 9 + name;
	len -= 9 + name;
	clock = strnlen((const char *)p, len);
	if (clock == len)
		return corrupt(w, at, "a BUFFER option's clock has no end");
	p += clock + 1;
	len -= clock + 1;
	s = section_at(w, offset);
	if (!s || s->id != id)
		return corrupt(w, at, "a BUFFER option names no buffer section at offset %llu",
			       offset);
	if (id == OPT_BUFFER_TEXT)
		return 0;	/* a latency trace: the probe reads it */
	if (len < 8)
		return corrupt(w, at, "a BUFFER option without its CPUs");
	page_size = tsync_get_number(p, 4, w->big_endian);
	cpus = tsync_get_number(p + 4, 4, w->big_endian);
	if (page_size_ok(w, at, page_size))
		return -1;
	if (cpus > MAX_CPUS || 20 * cpus > len - 8)
		return corrupt(w, at, "a BUFFER option of %llu CPUs in %llu bytes", cpus, len);
	for (p += 8, i = 0; i < cpus; i++, p += 20) {
		cpu = tsync_get_number(p, 4, w->big_endian);
		data = tsync_get_number(p + 4, 8, w->big_endian);
		size = tsync_get_number(p + 12, 8, w->big_endian);
		if (cpu >= MAX_CPUS)
			return corrupt(w, at, "a BUFFER option's CPU %llu", cpu);
		if (cpu_data(w, (int)cpu, data, size, s, (unsigned int)page_size))
			return -1;
	}
	return 0;
}

/* v7: a section of the file's parts, named by an option */
static int named_section(struct walk *w, int id, off_t at, const unsigned char *p,
			 unsigned long long len)
{
	unsigned long long offset;
	const struct section *s;
	off_t data;

	if (len < 8)
		return corrupt(w, at, "option %d: %llu bytes for a section's offset", id, len);
	offset = tsync_get_number(p, 8, w->big_endian);
	s = section_at(w, offset);
	if (!s || s->id != id)
		return corrupt(w, at, "option %d names no section of its kind at offset %llu",
			       id, offset);
	w->headers |= id == OPT_HEADER_INFO;
	if (s->flags & FL_COMPRESS)
		return 0;	/* the probe reads it */
	data = s->at + SECTION_HEADER;
	return part(w, id, data, data + (off_t)s->size) < 0 ? -1 : 0;
}

static int payload(struct walk *w, int id, off_t at, const unsigned char *p,
		   unsigned long long len)
{
	unsigned long long cpus;

	switch (id) {
	case OPT_DATE:
	case OPT_OFFSET:
	case OPT_TRACECLOCK:
	case OPT_UNAME:
	case OPT_VERSION:
		if (!memchr(p, 0, len))
			return corrupt(w, at, "option %d: its text has no end", id);
		w->clock |= id == OPT_TRACECLOCK;
		return 0;
	case OPT_HOOK:
		if (!memchr(p, 0, len) || !hook_ok((const char *)p))
			return corrupt(w, at, "a HOOK option not of the form "
				       "[system:]event,match[,pid]/[system:]event,match[,flags]");
		return 0;
	case OPT_CPUSTAT:
		return len ? 0 : corrupt(w, at, "an empty CPUSTAT option");
	case OPT_CPUCOUNT:
		cpus = len < 4 ? ~0ULL : tsync_get_number(p, 4, w->big_endian);
		if (cpus > MAX_CPUS)
			return corrupt(w, at, "a CPUCOUNT option of %llu CPUs", cpus);
		w->cpus = (unsigned int)cpus;
		return 0;
	case OPT_TIME_SHIFT:
		return time_shift(w, at, p, len);
	case OPT_GUEST:
		return guest(w, at, p, len);
	case OPT_BUFFER:
	case OPT_BUFFER_TEXT:
		return buffer(w, id, at, p, len);
	case OPT_HEADER_INFO:
	case OPT_FTRACE_EVENTS:
	case OPT_EVENT_FORMATS:
	case OPT_KALLSYMS:
	case OPT_PRINTK:
	case OPT_CMDLINES:
		return w->version == 7 ? named_section(w, id, at, p, len) : 0;
	}
	return 0;
}

/* One option: its data at @at, of @len bytes before @end */
static int option(struct walk *w, int id, off_t at, unsigned long long len, off_t end)
{
	unsigned char *p;
	char what[16];
	int ret;

	snprintf(what, sizeof(what), "option %d", id);
	if (need(w, at, len, end, what))
		return -1;
	switch (id) {
	case OPT_DONE:
	case OPT_PROCMAPS:
	case OPT_TRACEID:
	case OPT_TSC2NSEC:
		return 0;	/* read within their sizes */
	}
	if (id > OPT_BUFFER_TEXT)
		return 0;	/* unknown: libtracecmd says so and goes on */
	p = malloc(len + 1);
	if (!p || pread(w->fd, p, len, at) != (ssize_t)len) {
		free(p);
		tsync_err("%s: %s", w->path, strerror(p ? EIO : ENOMEM));
		return -1;
	}
	ret = payload(w, id, at, p, len);
	free(p);
	return ret;
}

/* ---- v6 ---- */

/* Options up to DONE; returns DONE's offset */
static off_t options_v6(struct walk *w, off_t at)
{
	unsigned long long id, len;
	int nr;

	for (nr = 0; nr < MAX_OPTIONS; nr++) {
		if (number(w, at, 2, w->size, "an option's id", &id))
			return -1;
		if (id == OPT_DONE)
			return at;
		if (number(w, at + 2, 4, w->size, "an option's size", &len) ||
		    option(w, (int)id, at + 6, len, w->size))
			return -1;
		at += 6 + (off_t)len;
	}
	return corrupt(w, at, "more than %d options", MAX_OPTIONS);
}

/* "options  ", "latency  " or "flyrecord": which one is at @at */
static int tag(const struct walk *w, off_t at, const char *what)
{
	char buf[10];

	if (get(w, at, buf, sizeof(buf), w->size, what))
		return -1;
	if (!strncmp(buf, "options", 7))
		return 'o';
	if (!strncmp(buf, "latency", 7))
		return 'l';
	if (!strncmp(buf, "flyrecord", 9))
		return 'f';
	return corrupt(w, at, "neither options, latency nor flyrecord data");
}

static int walk_v6(struct walk *w, off_t at)
{
	static const int parts[] = {
		OPT_HEADER_INFO, OPT_FTRACE_EVENTS, OPT_EVENT_FORMATS, OPT_KALLSYMS,
		OPT_PRINTK, OPT_CMDLINES,
	};
	unsigned long long cpus, clock;
	long i;
	int kind;

	for (i = 0; i < (long)(sizeof(parts) / sizeof(parts[0])) && at >= 0; i++)
		at = part(w, parts[i], at, w->size);
	if (at < 0 || number(w, at, 4, w->size, "the CPU count", &cpus))
		return -1;
	if (cpus > MAX_CPUS)
		return corrupt(w, at, "%llu CPUs", cpus);
	w->cpus = (unsigned int)cpus;
	at += 4;
	kind = tag(w, at, "the options");
	if (kind == 'o') {
		at = options_v6(w, at + 10);
		if (at < 0)
			return -1;
		at += 2;
		kind = tag(w, at, "the trace data");
	}
	if (kind < 0)
		return -1;
	/* libtracecmd counts the header's CPUs, the table holds CPUCOUNT's */
	if (w->cpus < cpus)
		return corrupt(w, -1, "a CPUCOUNT option of %u CPUs, where its header has %llu",
			       w->cpus, cpus);
	at += 10;
	if (kind == 'f') {
		if (table(w, at))
			return -1;
		at += 16 * (off_t)w->cpus;
	}
	/*
	 * init_data_v6() reads a clock: size (8) and text, into size + 1 bytes.
	 * A size libtracecmd cannot read makes it take the local clock (apply's
	 * v6 files have none there), but 2^64 - 1 bytes is 0 bytes to read all into.
	 */
	if (w->clock && w->size - at >= 8 &&
	    !number(w, at, 8, w->size, "the trace clock's size", &clock) && clock == ~0ULL)
		return corrupt(w, at, "a trace clock of 2^64 - 1 bytes");
	/* each instance: "flyrecord" and its table, or "latency" */
	for (i = 0; i < w->nr_tables; i++) {
		kind = tag(w, w->tables[i], "a buffer's data");
		if (kind == 'o')
			return corrupt(w, w->tables[i], "options where a buffer's data belongs");
		if (kind < 0 || (kind == 'f' && table(w, w->tables[i] + 10)))
			return -1;
	}
	return 0;
}

/* ---- v7 ---- */

/* Every section from @at to the end of the file, as read_metadata_strings() walks them */
static int sections(struct walk *w, off_t at)
{
	struct section *s;
	unsigned char h[SECTION_HEADER];

	while (at < w->size) {
		if (w->nr_secs >= MAX_SECTIONS)
			return corrupt(w, at, "more than %d sections", MAX_SECTIONS);
		if (get(w, at, h, sizeof(h), w->size, "a section header") ||
		    tsync_array_room(&w->secs, &w->secs_size, w->nr_secs, sizeof(*s), 16))
			return -1;
		s = &w->secs[w->nr_secs++];
		s->at = at;
		s->id = (unsigned short)tsync_get_number(h, 2, w->big_endian);
		s->flags = (unsigned short)tsync_get_number(h + 2, 2, w->big_endian);
		s->size = tsync_get_number(h + 8, 8, w->big_endian);
		if (need(w, at + SECTION_HEADER, s->size, w->size, "a section"))
			return -1;
		at += SECTION_HEADER + (off_t)s->size;
	}
	return 0;
}

/* One options section: its options, up to DONE, which gives the next one's offset */
static int options_v7(struct walk *w, const struct section *s, unsigned long long *next)
{
	off_t at = s->at + SECTION_HEADER, end = at + (off_t)s->size;
	unsigned long long id, len;

	while (at + 6 <= end) {
		if (number(w, at, 2, end, "an option's id", &id) ||
		    number(w, at + 2, 4, end, "an option's size", &len) ||
		    option(w, (int)id, at + 6, len, end))
			return -1;
		if (id == OPT_DONE) {
			if (len < 8)
				break;
			return number(w, at + 6, 8, end, "the next section's offset", next);
		}
		at += 6 + (off_t)len;
	}
	return corrupt(w, s->at, "an options section without its end");
}

static int walk_v7(struct walk *w, off_t at)
{
	unsigned long long first, sec, next = 0;
	const struct section *s;
	char name[MAX_NAME];
	long len;
	int i;

	for (i = 0; i < 2; i++) {
		len = string(w, at, w->size, name, sizeof(name),
			     i ? "the compression's version" : "the compression's name");
		if (len < 0)
			return -1;
		at += len + 1;
	}
	if (number(w, at, 8, w->size, "the first options section's offset", &first) ||
	    sections(w, at + 8))
		return -1;
	for (sec = first; sec; sec = next) {
		s = section_at(w, sec);
		if (!s || s->id != OPT_DONE)
			return corrupt(w, sec, "no options section where an option says");
		/* they would hide the buffers from the walk; trace-cmd never writes them */
		if (s->flags & FL_COMPRESS)
			return corrupt(w, sec, "a compressed options section: trace-cmd "
				       "writes none, and libtracecmd's reading of its buffers "
				       "cannot be checked");
		if (options_v7(w, s, &next))
			return -1;
		if (next && next <= sec)
			return corrupt(w, sec, "options sections in a loop");
	}
	if (!w->headers)
		return corrupt(w, -1, "no HEADER_INFO section: libtracecmd cannot read its pages");
	return 0;
}

/*
 * What libtracecmd trusts in the file: 0 when it holds, 1 when some of its
 * CPU data is compressed, beyond the walk, or -1 after saying what is wrong
 * and where
 */
static int check(const char *path, int fd, off_t size)
{
	struct walk w = { .path = path, .fd = fd, .size = size };
	unsigned char head[MAGIC_LEN + 2 + 6];
	unsigned long long page_size;
	int ret;

	if (size < (off_t)sizeof(head) || pread(fd, head, sizeof(head), 0) != sizeof(head) ||
	    memcmp(head, MAGIC, MAGIC_LEN)) {
		tsync_err("%s: not a trace-cmd file", path);
		return -1;
	}
	if ((head[MAGIC_LEN] != '6' && head[MAGIC_LEN] != '7') || head[MAGIC_LEN + 1]) {
		tsync_err("%s: not a trace file of version 6 or 7", path);
		return -1;
	}
	w.version = head[MAGIC_LEN] - '0';
	w.big_endian = head[MAGIC_LEN + 2];
	w.long_size = head[MAGIC_LEN + 3];
	page_size = tsync_get_number(head + MAGIC_LEN + 4, 4, w.big_endian);
	if (head[MAGIC_LEN + 2] > 1 || (w.long_size != 4 && w.long_size != 8))
		return corrupt(&w, MAGIC_LEN + 2, "neither endian nor long size is one of Linux's");
	if (page_size_ok(&w, MAGIC_LEN + 4, page_size))
		return -1;
	w.page_size = (unsigned int)page_size;
	if (w.version == 6)
		ret = walk_v6(&w, sizeof(head));
	else
		ret = walk_v7(&w, sizeof(head));
	free(w.secs);
	free(w.tables);
	free(w.buf);
	return ret ? -1 : w.compressed;
}

/* ---- then libtracecmd on the file, in a child, and beside it in the tool ---- */

static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS };
#define NR_FATAL	(int)(sizeof(fatal) / sizeof(fatal[0]))

/*
 * The first event of each CPU and, in the top buffer, the last one as
 * apply looks for it (tsync_trace_range(): of a CPU that has a first one);
 * with @every, every event
 */
static void read_events(struct tracecmd_input *in, bool top, bool every)
{
	struct tep_record *rec;
	int cpu;

	tracecmd_set_flag(in, TRACECMD_FL_RAW_TS);
	for (cpu = 0; cpu < tracecmd_cpus(in); cpu++) {
		rec = tracecmd_read_cpu_first(in, cpu);
		if (rec && top) {
			tracecmd_free_record(rec);
			tracecmd_free_record(tracecmd_read_cpu_last(in, cpu));
			rec = tracecmd_read_cpu_first(in, cpu);
		}
		for (; rec; rec = every ? tracecmd_read_data(in, cpu) : NULL)
			tracecmd_free_record(rec);
	}
}

/* In the child: libtracecmd opens, reads and closes the file as the tool will */
static int child(const char *path, bool every)
{
	struct tracecmd_input *in, *inst;
	int i, null;

	/* no word of libtracecmd's, no stdio buffer flushed twice; a crash kills */
	null = open("/dev/null", O_WRONLY);
	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	for (i = 0; i < NR_FATAL; i++)
		signal(fatal[i], SIG_DFL);

	/* raw timestamps from the first event on, as tsync_trace_open() reads them */
	in = tracecmd_open_head(path, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!in)
		return PROBE_REFUSED;
	tracecmd_set_flag(in, TRACECMD_FL_RAW_TS);
	if (tracecmd_init_data(in) < 0)
		return PROBE_REFUSED;
	read_events(in, true, every);
	for (i = 0; i < tracecmd_buffer_instances(in); i++) {
		inst = tracecmd_buffer_instance_handle(in, i);
		if (!inst)
			continue;
		read_events(inst, false, every);
		tracecmd_close(inst);
	}
	tracecmd_close(in);
	return PROBE_READ;
}

/*
 * The tool's own open, beside the child's: its crash or its hang is the
 * file's too.  The handlers say so with what was written beforehand, stop
 * the child and end the tool.
 */
static struct {
	char			crashed[600];	/* "...(signal " */
	char			hung[600];
	size_t			crashed_len;
	size_t			hung_len;
	pid_t			child;
	struct sigaction	old[NR_FATAL + 1];	/* and SIGALRM's */
	struct itimerval	old_timer;
} guard;

static void guard_crash(int sig)
{
	char num[16], *p = num + sizeof(num);
	ssize_t n;

	*--p = '\n';
	*--p = ')';
	do
		*--p = '0' + sig % 10;
	while (sig /= 10);
	kill(guard.child, SIGKILL);
	n = write(STDERR_FILENO, guard.crashed, guard.crashed_len);
	n = write(STDERR_FILENO, p, num + sizeof(num) - p);
	(void)n;
	_exit(1);
}

static void guard_timeout(int sig)
{
	ssize_t n;

	(void)sig;
	kill(guard.child, SIGKILL);
	n = write(STDERR_FILENO, guard.hung, guard.hung_len);
	(void)n;
	_exit(1);
}

static void guard_arm(const struct tsync_trace_probe *p, const char *path)
{
	struct sigaction crash = { .sa_handler = guard_crash, .sa_flags = SA_RESETHAND };
	struct sigaction timeout = { .sa_handler = guard_timeout };
	struct itimerval timer = { .it_value.tv_sec = p->limit };
	int i;

	snprintf(guard.crashed, sizeof(guard.crashed),
		 "tsync: %s: corrupt: libtracecmd crashed reading it (signal ", path);
	snprintf(guard.hung, sizeof(guard.hung),
		 "tsync: %s: corrupt: libtracecmd did not finish reading it in %d s\n", path,
		 p->limit);
	guard.crashed_len = strlen(guard.crashed);
	guard.hung_len = strlen(guard.hung);
	guard.child = p->pid;
	for (i = 0; i < NR_FATAL; i++)
		sigaction(fatal[i], &crash, &guard.old[i]);
	sigaction(SIGALRM, &timeout, &guard.old[NR_FATAL]);
	setitimer(ITIMER_REAL, &timer, &guard.old_timer);
}

static void guard_disarm(void)
{
	int i;

	setitimer(ITIMER_REAL, &guard.old_timer, NULL);
	sigaction(SIGALRM, &guard.old[NR_FATAL], NULL);
	for (i = NR_FATAL - 1; i >= 0; i--)
		sigaction(fatal[i], &guard.old[i], NULL);
}

/**
 * tsync_trace_probe_begin - what libtracecmd trusts in a trace file, before it opens it
 * @p: the probe, for tsync_trace_probe_end()
 * @path: the file's name
 * @fd: the file, open for reading
 * @size: its size
 *
 * Walks the file's layout: every size, offset and count that libtracecmd
 * follows while it opens the file, every option it parses, every page and
 * event header.  Then starts a child process in which libtracecmd opens the
 * file, reads the first and last event of each CPU of each buffer (every
 * event of compressed data) and closes it, given 10 s and 1 s more per 16
 * MB of the file; and guards the caller's own tracecmd_open() of the file
 * beside it, up to tsync_trace_probe_end(): its crash or its hang ends the
 * tool with status 1 and a message.
 *
 * Returns 0, or -1 after saying what is wrong with the file.
 */
int tsync_trace_probe_begin(struct tsync_trace_probe *p, const char *path, int fd, off_t size)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	int pipefd[2], every;
	struct timespec now;

	every = check(path, fd, size);
	if (every < 0)
		return -1;
	p->path = path;
	p->limit = PROBE_SECONDS + (int)(size / PROBE_RATE);
	if (pipe2(pipefd, O_CLOEXEC)) {
		tsync_err("%s: cannot probe it: %s", path, strerror(errno));
		return -1;
	}
	/* a SIGCHLD ignored by whoever started the tool would reap the child */
	sigaction(SIGCHLD, &dfl, &p->old_chld);
	p->pid = fork();
	if (!p->pid) {
		close(pipefd[0]);
		_exit(child(path, every));
	}
	close(pipefd[1]);
	if (p->pid < 0) {
		tsync_err("%s: cannot probe it: %s", path, strerror(errno));
		sigaction(SIGCHLD, &p->old_chld, NULL);
		close(pipefd[0]);
		return -1;
	}
	/* the pipe's end closes when the child ends, however it ends */
	p->pipe = pipefd[0];
	clock_gettime(CLOCK_MONOTONIC, &now);
	p->end = now.tv_sec + p->limit;
	guard_arm(p, path);
	return 0;
}

/**
 * tsync_trace_probe_end - libtracecmd's verdict on the file, from the child
 * @p: the probe of tsync_trace_probe_begin()
 *
 * Returns 0 when libtracecmd read the file, 1 when it refused it (its
 * open returned NULL), or -1 after saying that it crashed or did not
 * finish: the caller then leaves its own handle of the file alone.
 */
int tsync_trace_probe_end(struct tsync_trace_probe *p)
{
	struct pollfd pfd = { .fd = p->pipe, .events = POLLIN };
	struct timespec now;
	int status, ret;

	guard_disarm();
	do {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ret = now.tv_sec < p->end ? poll(&pfd, 1, (int)(p->end - now.tv_sec) * 1000) : 0;
	} while (ret < 0 && errno == EINTR);
	close(p->pipe);
	if (ret <= 0)
		kill(p->pid, SIGKILL);
	while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGCHLD, &p->old_chld, NULL);
	if (ret <= 0) {
		tsync_err("%s: corrupt: libtracecmd did not finish reading it in %d s", p->path,
			  p->limit);
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == PROBE_READ)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == PROBE_REFUSED)
		return 1;
	if (WIFSIGNALED(status))
		tsync_err("%s: corrupt: libtracecmd crashed reading it (signal %d)", p->path,
			  WTERMSIG(status));
	else
		tsync_err("%s: corrupt: libtracecmd failed reading it (status %d)", p->path,
			  WEXITSTATUS(status));
	return -1;
}
