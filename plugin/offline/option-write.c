// SPDX-License-Identifier: LGPL-2.1
/*
 * One option added to a finished trace file, or one given new data of its
 * size, into a new file or in place.
 * Both ways write a complete new file that replaces the target only once
 * whole (output-file.c), so an interruption never leaves half a change.
 *
 * v7 chains options sections: libtracecmd appends a section at the end and
 * links the last one to it, as trace-cmd does with a guest's TIME_SHIFT.
 *
 * v6 keeps its options before the CPU data, whose absolute offsets follow
 * the options ("flyrecord"), and the trace clock after them.  The data
 * starts on a page boundary: when the option fits in the padding before
 * it, only the table and the clock move down; else the
 * data moves by whole pages, and every offset to it (the table, v6 BUFFER
 * options and their own tables) grows by as much.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <trace-cmd.h>

#include "tsync/offline.h"

#define COPY_CHUNK	(1 << 20)

/* @len bytes from @in at @from to @out at @to, in the kernel when it can */
static int copy_range(int in, off_t from, int out, off_t to, off_t len)
{
	static char buf[COPY_CHUNK];
	ssize_t n;

	while (len > 0) {
		n = copy_file_range(in, &from, out, &to, len, 0);
		if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
			      errno == EOPNOTSUPP)) {
			n = pread(in, buf, len < COPY_CHUNK ? len : COPY_CHUNK, from);
			if (n > 0 && pwrite(out, buf, n, to) != n)
				n = -1;
			if (n > 0) {
				from += n;
				to += n;
			}
		}
		if (n <= 0)
			return -1;
		len -= n;
	}
	return 0;
}

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* libtracecmd closes the descriptor it is given: it gets its own */
static int append_v7(int fd, const char *target, unsigned short id, const void *data,
		     size_t len)
{
	struct tracecmd_output *out;
	int own = dup(fd), ret;

	out = own < 0 ? NULL : tracecmd_get_output_handle_fd(own);
	if (!out) {
		tsync_err("%s: libtracecmd cannot append to it", target);
		if (own >= 0)
			close(own);
		return -1;
	}
	ret = !tracecmd_add_option(out, id, (int)len, data) || tracecmd_append_options(out);
	if (ret)
		tsync_err("%s: libtracecmd failed to append the option", target);
	tracecmd_output_close(out);
	return ret ? -1 : 0;
}

/*
 * The bytes that replace the v6 file from its DONE option to the end of
 * the table and the trace clock after it
 */
static char *v6_block(const struct tsync_trace_file *f, const struct tsync_v6_layout *l,
		      unsigned short id, const void *data, size_t len, off_t shift,
		      size_t *size)
{
	size_t table = l->tail - l->table, n = 6 + len;
	unsigned long long offset;
	char *b;
	int cpu;

	*size = n + 2 + 10 + table;
	b = calloc(1, *size);
	if (!b || pread(f->fd, b + n + 12, table, l->table) != (ssize_t)table) {
		free(b);
		return NULL;
	}
	tsync_put_number(b, 2, id, f->big_endian);
	tsync_put_number(b + 2, 4, len, f->big_endian);
	memcpy(b + 6, data, len);
	tsync_put_number(b + n, 2, TRACECMD_OPTION_DONE, f->big_endian);
	memcpy(b + n + 2, "flyrecord", 10);
	for (cpu = 0; shift && cpu < f->cpus; cpu++) {
		offset = tsync_get_number(b + n + 12 + 16 * cpu, 8, f->big_endian);
		tsync_put_number(b + n + 12 + 16 * cpu, 8, offset + shift, f->big_endian);
	}
	return b;
}

static int add_to_number(int fd, off_t at, off_t add, bool big_endian)
{
	unsigned char buf[8];

	if (pread(fd, buf, 8, at) != 8)
		return -1;
	tsync_put_number(buf, 8, tsync_get_number(buf, 8, big_endian) + add, big_endian);
	return pwrite(fd, buf, 8, at) == 8 ? 0 : -1;
}

/* After a move: v6 BUFFER options point at their "flyrecord" tables */
static int shift_buffers(const struct tsync_trace_file *f, int out, off_t shift)
{
	unsigned long long sec;
	struct tsync_option *opts;
	unsigned char buf[8];
	int i, cpu, nr, ret = 0;

	if (tsync_trace_options(f, &opts, &nr))
		return -1;
	for (i = 0; !ret && i < nr; i++) {
		if (opts[i].id != TRACECMD_OPTION_BUFFER)
			continue;
		ret = opts[i].size < 8 || pread(f->fd, buf, 8, opts[i].at) != 8 ||
		      add_to_number(out, opts[i].at, shift, f->big_endian);
		sec = tsync_get_number(buf, 8, f->big_endian) + shift;
		for (cpu = 0; !ret && cpu < f->cpus; cpu++)
			ret = add_to_number(out, sec + 10 + 16 * cpu, shift, f->big_endian);
	}
	free(opts);
	return ret ? -1 : 0;
}

static int write_v6_moved(const struct tsync_trace_file *f, const struct tsync_v6_layout *l,
			  int out, const char *block, size_t size, off_t shift)
{
	static const char zeros[4096];
	off_t at = l->done + size, end = l->data + shift;

	if (copy_range(f->fd, 0, out, 0, l->done) ||
	    pwrite(out, block, size, l->done) != (ssize_t)size)
		return -1;
	for (; at < end; at += sizeof(zeros)) {
		size_t n = end - at < (off_t)sizeof(zeros) ? (size_t)(end - at) : sizeof(zeros);

		if (pwrite(out, zeros, n, at) != (ssize_t)n)
			return -1;
	}
	if (copy_range(f->fd, l->data, out, end, f->size - l->data))
		return -1;
	return shift_buffers(f, out, shift);
}

/* The whole new file into @fd: the original with @block in place of its table */
static int write_v6(const struct tsync_trace_file *f, const struct tsync_v6_layout *l,
		    int fd, const char *block, size_t size, off_t shift)
{
	if (shift)
		return write_v6_moved(f, l, fd, block, size, shift);
	/* the block covers the old table: it only grew into the padding */
	if (copy_range(f->fd, 0, fd, 0, f->size) ||
	    pwrite(fd, block, size, l->done) != (ssize_t)size)
		return -1;
	return 0;
}

static int add_v6(const struct tsync_trace_file *f, int fd, unsigned short id,
		  const void *data, size_t len)
{
	struct tsync_v6_layout l;
	off_t gap, shift = 0;
	size_t size;
	char *block;
	int ret;

	if (tsync_trace_v6_layout(f, &l))
		return -1;
	gap = l.data - l.tail;
	if ((off_t)(6 + len) > gap)
		shift = (6 + len - gap + f->page_size - 1) / f->page_size * f->page_size;
	block = v6_block(f, &l, id, data, len, shift, &size);
	if (!block)
		return -1;
	ret = write_v6(f, &l, fd, block, size, shift);
	free(block);
	return ret;
}

static int add_v7(const struct tsync_trace_file *f, int fd, const char *target,
		  unsigned short id, const void *data, size_t len)
{
	if (copy_range(f->fd, 0, fd, 0, f->size)) {
		tsync_err("%s: copying %s: %s", target, f->path, strerror(errno));
		return -1;
	}
	return append_v7(fd, target, id, data, len);
}

/* The new file that replaces @out, or @f itself when @out is NULL */
static int begin_output(const struct tsync_trace_file *f, const char *out,
			struct tsync_output *o)
{
	if (out && same_file(f->path, out)) {
		tsync_err("%s: is the input; use --in-place to change it", out);
		return -1;
	}
	return tsync_output_begin(o, out ? out : f->path);
}

/**
 * tsync_trace_add_option - add one option to a finished trace file
 * @f: the file, open (claimed with tsync_output_claim() to change it)
 * @out: the new file to write, or NULL to change @f in place
 * @id: the option's id
 * @data: its payload, in the file's byte order
 * @len: the payload's size
 *
 * Either way a complete new file replaces the target (output-file.c): an
 * interruption leaves the target as it was.  Returns 0, or -1 after saying
 * why.
 */
int tsync_trace_add_option(const struct tsync_trace_file *f, const char *out,
			   unsigned short id, const void *data, size_t len)
{
	const char *target = out ? out : f->path;
	struct tsync_output o;
	int ret;

	if (begin_output(f, out, &o))
		return -1;
	errno = 0;
	if (f->version == 6)
		ret = add_v6(f, o.fd, id, data, len);
	else
		ret = add_v7(f, o.fd, target, id, data, len);
	if (ret) {
		if (f->version == 6)
			tsync_err("%s: cannot write the option: %s", target,
				  errno ? strerror(errno) : "corrupt input");
		tsync_output_abort(&o);
		return -1;
	}
	return tsync_output_commit(&o);
}

/**
 * tsync_trace_replace_option - give one option of a finished file new data
 * @f: the file, open (claimed with tsync_output_claim() to change it)
 * @out: the new file to write, or NULL to change @f in place
 * @o: the option, as tsync_trace_options() found it
 * @data: its new payload, @o->size bytes in the file's byte order
 *
 * The payload keeps its size, so nothing else of the file moves.  As for
 * tsync_trace_add_option(), a complete new file replaces the target.
 * Returns 0, or -1 after saying why.
 */
int tsync_trace_replace_option(const struct tsync_trace_file *f, const char *out,
			       const struct tsync_option *o, const void *data)
{
	const char *target = out ? out : f->path;
	struct tsync_output o_file;

	if (begin_output(f, out, &o_file))
		return -1;
	if (copy_range(f->fd, 0, o_file.fd, 0, f->size) ||
	    pwrite(o_file.fd, data, o->size, o->at) != (ssize_t)o->size) {
		tsync_err("%s: cannot write it: %s", target, strerror(errno));
		tsync_output_abort(&o_file);
		return -1;
	}
	return tsync_output_commit(&o_file);
}
