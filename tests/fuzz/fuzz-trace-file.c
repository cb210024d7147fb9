// SPDX-License-Identifier: LGPL-2.1
/*
 * Fuzz target: a whole trace file, version 6 or 7, through tsync-offline's
 * readers.  The guard is trace-probe.c's, in tsync_trace_open(): its checks
 * of what libtracecmd trusts, then libtracecmd on the file in a child.
 * A file it lets through is read here as the commands read it, in this
 * process: its options and TIME_SHIFT, its v6 layout, the first and last
 * event of each CPU (apply), every event in time order (inspect), every
 * event of every buffer printed (merge), the kvm_write_tsc_offset events
 * (apply --events).  A crash or a hang there is a hole in the guard.
 *
 * Seeds (corpus/fuzz-trace-file/) are small files recorded on this machine
 * by trace-cmd, see trace-seeds.sh.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sanitizer/common_interface_defs.h>

#include <trace-cmd.h>

#include "tsync/offline.h"
#include "tsync/trace-probe.h"

/*
 * A small quarantine: every file the checks pass costs a fork(), which
 * copies the page tables.  A size of 2^40 from a file gets NULL from
 * malloc() as on a machine without that much memory, before libFuzzer
 * calls it an OOM, and libtracecmd refuses the file.  No leak checks:
 * libtracecmd leaks on the paths of corrupt files (and a v7 file's trace
 * clock, read twice), its stacks unwinding no further than libc.
 */
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16:allocator_may_return_null=1:max_allocation_size_mb=1024:"
	       "detect_leaks=0";
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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return pthread_atfork(NULL, NULL, quiet_child);
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

static int count_event(struct tracecmd_input *in, struct tep_record *rec, int cpu, void *arg)
{
	(void)in;
	(void)rec;
	(void)cpu;
	++*(long *)arg;
	return 0;
}

/* As merge lists a buffer: each CPU's events, printed */
static void print_all(struct tracecmd_input *in)
{
	struct tep_handle *tep = tracecmd_get_tep(in);
	struct tep_record *rec;
	struct trace_seq seq;
	int cpu;

	for (cpu = 0; cpu < tracecmd_cpus(in); cpu++) {
		for (rec = tracecmd_read_cpu_first(in, cpu); rec;
		     rec = tracecmd_read_data(in, cpu)) {
			trace_seq_init(&seq);
			tep_print_event(tep, &seq, rec, "%s-%d [%03d] %s: %s", TEP_PRINT_COMM,
					TEP_PRINT_PID, TEP_PRINT_CPU, TEP_PRINT_NAME,
					TEP_PRINT_INFO);
			trace_seq_destroy(&seq);
			tracecmd_free_record(rec);
		}
	}
}

static void read_file(const struct tsync_trace_file *f)
{
	unsigned long long first, last;
	struct tsync_offset_write *w;
	struct tracecmd_input *inst;
	struct tsync_v6_layout l;
	struct tsync_time_shift ts;
	struct tsync_bounds b;
	long events = 0;
	int i, nr;

	if (!tsync_trace_time_shift(f, &ts))
		tsync_time_shift_free(&ts);
	if (f->version == 6)
		tsync_trace_v6_layout(f, &l);
	tsync_trace_range(f, &first, &last);
	if (!tsync_read_bounds(f, &b))
		free(b.lines);
	tracecmd_iterate_events(f->in, NULL, 0, count_event, &events);
	print_all(f->in);
	for (i = 0; i < tracecmd_buffer_instances(f->in); i++) {
		inst = tracecmd_buffer_instance_handle(f->in, i);
		if (!inst)
			continue;
		tracecmd_set_flag(inst, TRACECMD_FL_RAW_TS);
		print_all(inst);
		tracecmd_close(inst);
	}
	if (!tsync_read_offset_writes(f, &w, &nr))
		free(w);
}

/*
 * The guard's verdict first, then tsync_trace_open() (which asks again):
 * it opens the file beside libtracecmd's child, and a crash of that open
 * of its own ends the tool, rightly, with a message; here it would end the
 * fuzzer with no crash file.
 */
static int open_file(struct tsync_trace_file *f, const char *path, size_t size)
{
	struct tsync_trace_probe p;
	int fd = open(path, O_RDONLY), ret;

	if (fd < 0)
		abort();
	ret = tsync_trace_probe_begin(&p, path, fd, size) || tsync_trace_probe_end(&p);
	close(fd);
	return ret || tsync_trace_open(f, path);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tsync_trace_file f;
	char path[64];

	input_file(data, size, path, sizeof(path));
	if (open_file(&f, path, size))
		return 0;
	read_file(&f);
	tsync_trace_close(&f);
	return 0;
}
