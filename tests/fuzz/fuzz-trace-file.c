// SPDX-License-Identifier: LGPL-2.1
/*
 * Fuzz target: a whole trace file, version 6 or 7, through tsync-offline's
 * readers.  The guard is trace-probe.c's, in tsync_trace_open(): its checks
 * of what libtracecmd trusts, then libtracecmd on the file in a child.
 * A file it lets through is read here as the commands read it, in this
 * process: its options and TIME_SHIFT, its v6 layout, the first and last
 * event of each CPU (apply), every record of every buffer printed as
 * merge prints it, through records.c's walk, the kvm_write_tsc_offset
 * events (apply --events).  A crash or a hang there is a hole in the
 * guard.  corpus/fuzz-trace-file/zstd-iterate-crash, a compressed chunk of
 * 4322 bytes that crashed tracecmd_iterate_events() and then, after some
 * inputs had left garbage in the heap, tep_print_event(), is refused now.
 *
 * Seeds (corpus/fuzz-trace-file/) are small files recorded on this machine
 * by trace-cmd, see trace-seeds.sh.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sanitizer/common_interface_defs.h>

#include <trace-cmd.h>

#include "tsync/offline.h"

/*
 * A small process: every file the checks pass costs a fork(), which copies
 * its page tables.  So a quarantine of 1 MB (a use after free is caught
 * until 1 MB more has been freed) and no stack kept for each malloc() (a
 * report keeps its own stack; ASAN_OPTIONS=malloc_context_size=30 on the
 * crash file gives the allocation's): together, half the time of an input.
 * A size of 2^40 from a file gets NULL from malloc() as on a machine
 * without that much memory, before libFuzzer calls it an OOM, and
 * libtracecmd refuses the file; so does one over 256 MB, which ASan keeps
 * mapped once freed (one input of 1 GB made every later fork() slow: 10
 * inputs a second in place of 800).  No leak checks: libtracecmd leaks on the
 * paths of corrupt files (and a v7 file's trace clock, read twice), its
 * stacks unwinding no further than libc.
 */
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=1:malloc_context_size=0:allocator_may_return_null=1:"
	       "max_allocation_size_mb=256:detect_leaks=0";
}

/*
 * libtracecmd in the guard's child dies as it would without sanitizers: a
 * memory error ends it (the guard then refuses the file), with no report
 * and no crash file of libFuzzer's, which is for this process.
 */
static void quiet_child(void)
{
	__sanitizer_set_death_callback(NULL);
	__sanitizer_set_report_fd((void *)(intptr_t)STDERR_FILENO);
}

/* The guard's child tells its end by a SIGCHLD held for sigtimedwait() */
static sigset_t chld;
static pid_t fuzzer;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzzer = getpid();
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	return sigprocmask(SIG_BLOCK, &chld, NULL) || pthread_atfork(NULL, NULL, quiet_child);
}

/* The sanitizer's handlers of what the guard catches, taken before the first input */
static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS };
#define NR_FATAL	(int)(sizeof(fatal) / sizeof(fatal[0]))
static struct sigaction sanitizer[NR_FATAL];

static void take_sanitizer_handlers(void)
{
	static bool taken;
	int i;

	for (i = 0; !taken && i < NR_FATAL; i++)
		sigaction(fatal[i], NULL, &sanitizer[i]);
	taken = true;
}

/*
 * The tool's own open, linked in place of libtracecmd's (--wrap): it waits
 * for the guard's child first, leaving it to tsync_trace_probe_end() to
 * reap.  The tool opens the file beside the child, and where the child
 * crashes or hangs its own open may too, which the guard turns into a
 * message and exit status 1: the same refusal as a NULL here, which ends
 * no fuzzer.  Where the child ended as it should, the tool's open is
 * libtracecmd's, its crash the sanitizer's and libFuzzer's to report: a
 * finding with its input.  A child still running after 2 s (within the
 * guard's 10 s; an input is at most 32 KB) has hung.  The guard's own open, in the child, goes
 * straight through.
 */
struct tracecmd_input *__real_tracecmd_open_head(const char *file, int flags);

struct tracecmd_input *__wrap_tracecmd_open_head(const char *file, int flags)
{
	struct timespec limit = { .tv_sec = 2 };
	siginfo_t info = {};
	int i;

	if (getpid() != fuzzer)
		return __real_tracecmd_open_head(file, flags);
	if (sigtimedwait(&chld, NULL, &limit) < 0 ||
	    waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) || !info.si_pid ||
	    info.si_code != CLD_EXITED || info.si_status)
		return NULL;
	for (i = 0; i < NR_FATAL; i++)
		sigaction(fatal[i], &sanitizer[i], NULL);
	return __real_tracecmd_open_head(file, flags);
}

/* The input, as a file libtracecmd can open by name, here and in the child */
static void input_file(const unsigned char *data, size_t size, char *path, size_t len)
{
	static int fd = -1;

	if (fd < 0)
		fd = memfd_create("fuzz-trace-file", 0);
	if (fd < 0 || ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, len, "/proc/self/fd/%d", fd);
}

/*
 * libtracecmd 3.1.6 leaves a mapping of a version 6 file behind after
 * tracecmd_close(), one an open: nothing to the tool, which opens a file
 * once, but here they pile up, and each fork() and ftruncate() walks them
 * all (after 20000 inputs, 10000 mappings and a quarter of the speed).
 */
static void unmap_input(void)
{
	unsigned long start[64], end[64];
	char line[512];
	FILE *maps;
	int i, n;

	do {
		maps = fopen("/proc/self/maps", "r");
		if (!maps)
			abort();
		for (n = 0; n < 64 && fgets(line, sizeof(line), maps);)
			if (strstr(line, "/memfd:fuzz-trace-file") &&
			    sscanf(line, "%lx-%lx", &start[n], &end[n]) == 2)
				n++;
		fclose(maps);
		for (i = 0; i < n; i++)
			munmap((void *)start[i], end[i] - start[i]);
	} while (n == 64);
}

/* As merge lists a file: every record that fits its format, printed */
static int print_record(struct tracecmd_input *in, struct tep_record *rec, void *arg)
{
	(void)arg;
	free(tsync_record_text(tracecmd_get_tep(in), rec));
	return 0;
}

static void read_file(const struct tsync_trace_file *f)
{
	unsigned long long first, last;
	struct tsync_offset_write *w;
	struct tsync_v6_layout l;
	struct tsync_time_shift ts;
	struct tsync_bounds b;
	int nr;

	if (!tsync_trace_time_shift(f, &ts))
		tsync_time_shift_free(&ts);
	if (f->version == 6)
		tsync_trace_v6_layout(f, &l);
	tsync_trace_range(f, &first, &last);
	if (!tsync_read_bounds(f, &b))
		free(b.lines);
	tsync_trace_walk(f, print_record, NULL);
	if (!tsync_read_offset_writes(f, &w, &nr))
		free(w);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct timespec now = {};
	struct tsync_trace_file f;
	char path[64];

	/* a SIGCHLD left by a child the guard killed is not this input's */
	while (sigtimedwait(&chld, NULL, &now) > 0)
		;
	take_sanitizer_handlers();
	input_file(data, size, path, sizeof(path));
	if (!tsync_trace_open(&f, path)) {
		read_file(&f);
		tsync_trace_close(&f);
	}
	unmap_input();
	return 0;
}
