// SPDX-License-Identifier: LGPL-2.1
/*
 * ftrace-eperm-shim.so: an LD_PRELOAD for tests and the demo on kernels
 * that refuse the function tracer's control files even to root (as the
 * machine tsync is tested on does).  trace-cmd 3.1.6 dies, or its agent
 * resets the connection before the final sync, when it cannot open them.
 *
 *	LD_PRELOAD=.../ftrace-eperm-shim.so trace-cmd record ...
 *
 * An open of one of those files that fails with EPERM opens /dev/null
 * instead, with the same access mode: reads find it empty, writes vanish.
 * An open of kernel.ftrace_enabled for writing opens /dev/null too: its
 * open works, but the write fails.  Nothing else changes.  Not part of
 * tsync: tsync itself never needs it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define FTRACE_ENABLED	"/proc/sys/kernel/ftrace_enabled"
#define NULL_DEV	"/dev/null"

/* tracefs files of the function tracer, wherever tracefs is mounted */
static const char * const refused_files[] = {
	"set_ftrace_filter",
	"set_ftrace_notrace",
	"set_ftrace_pid",
	"set_ftrace_notrace_pid",
	"set_graph_function",
	"set_graph_notrace",
	"available_filter_functions",
	"enabled_functions",
	"touched_functions",
};

static bool refused_file(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t i;

	base = base ? base + 1 : path;
	for (i = 0; i < ARRAY_SIZE(refused_files); i++)
		if (!strcmp(base, refused_files[i]))
			return true;
	return false;
}

/*
 * Whether an open of @path should get /dev/null: asked with @err 0 before
 * the real open, and again with its errno if it failed.
 */
static bool redirect(const char *path, bool writing, int err)
{
	if (!path)
		return false;
	if (writing && !strcmp(path, FTRACE_ENABLED))
		return true;
	return err == EPERM && refused_file(path);
}

static bool flags_write(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY;
}

static bool mode_writes(const char *mode)
{
	return mode[0] != 'r' || strchr(mode, '+');
}

/* /dev/null takes only the access mode and close-on-exec: no O_CREAT, O_DIRECTORY... */
static int null_flags(int flags)
{
	return flags & (O_ACCMODE | O_CLOEXEC);
}

/* The third argument is there only when the flags create a file, as in glibc */
static mode_t mode_arg(int flags, va_list ap)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return va_arg(ap, mode_t);
	return 0;
}

static void *next(const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);

	if (!fn) {
		fprintf(stderr, "ftrace-eperm-shim: %s: %s\n", name, dlerror());
		abort();
	}
	return fn;
}

/* The function the shim hides, looked up once */
#define REAL(type, name) ({					\
	static type real_fn;					\
	if (!real_fn)						\
		real_fn = (type)next(name);			\
	real_fn; })

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef FILE *(*fopen_fn)(const char *, const char *);

static int shim_open(open_fn real, const char *path, int flags, mode_t mode)
{
	int fd;

	if (redirect(path, flags_write(flags), 0))
		return real(NULL_DEV, null_flags(flags));
	fd = real(path, flags, mode);
	if (fd < 0 && redirect(path, flags_write(flags), errno))
		fd = real(NULL_DEV, null_flags(flags));
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

/* _FORTIFY_SOURCE's checked opens, for flags without a mode */
int __open_2(const char *path, int flags)
{
	return shim_open(REAL(open_fn, "open"), path, flags, 0);
}

int __open64_2(const char *path, int flags)
{
	return shim_open(REAL(open_fn, "open64"), path, flags, 0);
}

/* As shim_open(): /dev/null is absolute, so opening it ignores @dirfd */
int openat(int dirfd, const char *path, int flags, ...)
{
	openat_fn real = REAL(openat_fn, "openat");
	va_list ap;
	mode_t mode;
	int fd;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (redirect(path, flags_write(flags), 0))
		return real(dirfd, NULL_DEV, null_flags(flags));
	fd = real(dirfd, path, flags, mode);
	if (fd < 0 && redirect(path, flags_write(flags), errno))
		fd = real(dirfd, NULL_DEV, null_flags(flags));
	return fd;
}

/* glibc's fopen() opens without going through open(): it needs its own shim */
static FILE *shim_fopen(fopen_fn real, const char *path, const char *mode)
{
	FILE *f;

	if (redirect(path, mode_writes(mode), 0))
		return real(NULL_DEV, mode);
	f = real(path, mode);
	if (!f && redirect(path, mode_writes(mode), errno))
		f = real(NULL_DEV, mode);
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
