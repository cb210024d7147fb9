// SPDX-License-Identifier: LGPL-2.1
/*
 * A fault in libtracecmd's reading of a trace file, for the tests of the
 * offline tool's readers' guard only (preloaded): files that made
 * libtracecmd crash or hang past the guard's walk are refused by the walk
 * now, so the guard's last line, libtracecmd reading the file in a child,
 * is tested by making libtracecmd itself fail.  TSYNC_TEST_READ_FAULT=crash
 * makes tracecmd_read_cpu_first() die of SIGSEGV; =hang makes it wait for
 * ever.  Unset, it is libtracecmd's.
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tracecmd_input;
struct tep_record;

struct tep_record *tracecmd_read_cpu_first(struct tracecmd_input *handle, int cpu)
{
	struct tep_record *(*real)(struct tracecmd_input *, int);
	const char *fault = getenv("TSYNC_TEST_READ_FAULT");

	if (fault && !strcmp(fault, "crash"))
		raise(SIGSEGV);
	while (fault && !strcmp(fault, "hang"))
		pause();
	real = (struct tep_record *(*)(struct tracecmd_input *, int))
		dlsym(RTLD_NEXT, "tracecmd_read_cpu_first");
	return real ? real(handle, cpu) : NULL;
}
