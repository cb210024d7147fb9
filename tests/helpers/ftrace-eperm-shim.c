// SPDX-License-Identifier: LGPL-2.1
/*
 * ftrace-eperm-shim.so: an LD_PRELOAD for tests and the demo on kernels
 * that refuse the function tracer's control files even to root (as the
 * machine tsync is tested on does).  trace-cmd 3.1.6 dies, or its agent
 * resets the connection before the final sync, when it cannot open them.
 *
 * An open of one of those files that fails with EPERM opens /dev/null
 * instead; a write to kernel.ftrace_enabled goes to /dev/null.  Nothing
 * else changes.  Not part of tsync: tsync itself never needs it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char * const refused_files[] = {
	"set_ftrace_filter", "set_ftrace_notrace", "set_ftrace_pid",
	"set_ftrace_notrace_pid", "set_graph_function", "set_graph_notrace",
	"available_filter_functions", "enabled_functions", "touched_functions",
};

#define FTRACE_ENABLED	"/proc/sys/kernel/ftrace_enabled"

static bool refused(const char *path)
{
	const char *base;
	size_t i;

	if (!path)
		return false;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (i = 0; i < sizeof(refused_files) / sizeof(refused_files[0]); i++)
		if (!strcmp(base, refused_files[i]))
			return true;
	return false;
}

static bool writes(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY;
}

/* Where an open of @path that got @err should go instead, or NULL */
static const char *redirect(const char *path, bool write_access, int err)
{
	if (path && write_access && !strcmp(path, FTRACE_ENABLED))
		return "/dev/null";
	if (err == EPERM && refused(path))
		return "/dev/null";
	return NULL;
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef FILE *(*fopen_fn)(const char *, const char *);

#define REAL(type, name) ({						\
	static type real_fn;						\
	if (!real_fn)							\
		real_fn = (type)dlsym(RTLD_NEXT, name);			\
	real_fn; })

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
}

static int shim_open(open_fn real, const char *path, int flags, mode_t mode)
{
	const char *to = redirect(path, writes(flags), 0);
	int fd;

	if (to)
		return real(to, flags & (O_ACCMODE | O_CLOEXEC));
	fd = real(path, flags, mode);
	if (fd < 0 && (to = redirect(path, writes(flags), errno)))
		fd = real(to, flags & (O_ACCMODE | O_CLOEXEC));
	return fd;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return shim_open(REAL(open_fn, "open"), path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return shim_open(REAL(open_fn, "open64"), path, flags, mode);
}

int __open_2(const char *path, int flags)
{
	return shim_open(REAL(open_fn, "open"), path, flags, 0);
}

int __open64_2(const char *path, int flags)
{
	return shim_open(REAL(open_fn, "open64"), path, flags, 0);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	openat_fn real = REAL(openat_fn, "openat");
	const char *to;
	va_list ap;
	mode_t mode;
	int fd;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	fd = real(dirfd, path, flags, mode);
	if (fd < 0 && (to = redirect(path, writes(flags), errno)))
		fd = real(AT_FDCWD, to, flags & (O_ACCMODE | O_CLOEXEC));
	return fd;
}

static FILE *shim_fopen(fopen_fn real, const char *path, const char *mode)
{
	bool write_access = mode[0] != 'r' || strchr(mode, '+');
	const char *to = redirect(path, write_access, 0);
	FILE *f;

	if (to)
		return real(to, mode);
	f = real(path, mode);
	if (!f && (to = redirect(path, write_access, errno)))
		f = real(to, mode);
	return f;
}

FILE *fopen(const char *path, const char *mode)
{
	return shim_fopen(REAL(fopen_fn, "fopen"), path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	return shim_fopen(REAL(fopen_fn, "fopen64"), path, mode);
}
