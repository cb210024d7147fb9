// SPDX-License-Identifier: LGPL-2.1
/*
 * trace-file.c on real trace files: the seeds of the whole-file fuzz target
 * (tests/fuzz/corpus/fuzz-trace-file/, recorded on this machine by
 * trace-cmd 3.1.6, see tests/fuzz/trace-seeds.sh), and copies of them cut
 * short or altered in a private directory.  Run from the top of the tree.
 */
#include <CUnit/Basic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <trace-cmd.h>

#include "tsync/offline.h"
#include "unit-offline.h"

#define SEEDS	"tests/fuzz/corpus/fuzz-trace-file/"

static char work[] = "/tmp/tsync-unit-offline.XXXXXX";

/* libtracecmd leaks on its own paths (a v7 file's trace clock, read twice) */
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

static bool has_option(const struct tsync_trace_file *f, unsigned short id)
{
	struct tsync_option *opts;
	bool found = false;
	int i, nr;

	if (tsync_trace_options(f, &opts, &nr))
		return false;
	for (i = 0; i < nr; i++)
		found |= opts[i].id == id;
	free(opts);
	return found;
}

/* Every seed opens, with the version its name says, and has events */
static void test_seeds_open(void)
{
	static const char *const seeds[] = { "v6", "v6-instance", "v6-synced", "v7", "v7-synced",
					     "v7-zstd", "v7-zstd-synced" };
	struct tsync_trace_file f;
	unsigned long long first, last;
	unsigned int i;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char path[256];

		snprintf(path, sizeof(path), SEEDS "%s", seeds[i]);
		CU_ASSERT_EQUAL_FATAL(tsync_trace_open(&f, path), 0);
		CU_ASSERT_EQUAL(f.version, seeds[i][1] - '0');
		CU_ASSERT(f.cpus > 0);
		CU_ASSERT_EQUAL(f.page_size, 4096);
		CU_ASSERT(has_option(&f, TRACECMD_OPTION_TRACEID));
		CU_ASSERT_EQUAL(tsync_trace_range(&f, &first, &last), 0);
		CU_ASSERT(first > 0 && first <= last);
		tsync_trace_close(&f);
	}
}

/* TIME_SHIFT: none in a file recorded alone, the samples in a synced one */
static void test_time_shift(void)
{
	struct tsync_trace_file f;
	struct tsync_time_shift ts;
	int cpu;

	CU_ASSERT_EQUAL_FATAL(tsync_trace_open(&f, SEEDS "v6"), 0);
	CU_ASSERT_EQUAL(tsync_trace_time_shift(&f, &ts), 1);
	tsync_trace_close(&f);

	CU_ASSERT_EQUAL_FATAL(tsync_trace_open(&f, SEEDS "v7-synced"), 0);
	CU_ASSERT_EQUAL_FATAL(tsync_trace_time_shift(&f, &ts), 0);
	CU_ASSERT_EQUAL(ts.cpu_count, f.cpus);
	for (cpu = 0; cpu < ts.cpu_count; cpu++)
		CU_ASSERT(ts.cpus[cpu].nr > 0);
	tsync_time_shift_free(&ts);
	tsync_trace_close(&f);
}

/* v6: the table after "flyrecord", the clock "[x86-tsc]" after it, then the data */
static void test_v6_layout(void)
{
	struct tsync_v6_layout l;
	struct tsync_trace_file f;
	char clock[10];

	CU_ASSERT_EQUAL_FATAL(tsync_trace_open(&f, SEEDS "v6"), 0);
	CU_ASSERT_EQUAL_FATAL(tsync_trace_v6_layout(&f, &l), 0);
	CU_ASSERT_EQUAL(l.table, l.done + 12);
	CU_ASSERT_EQUAL(l.tail, l.table + 16 * f.cpus + 8 + 9);
	CU_ASSERT_EQUAL(pread(f.fd, clock, 9, l.table + 16 * f.cpus + 8), 9);
	CU_ASSERT_NSTRING_EQUAL(clock, "[x86-tsc]", 9);
	CU_ASSERT(l.data >= l.tail);
	CU_ASSERT_EQUAL(l.data % 4096, 0);
	tsync_trace_close(&f);

	/* a v7 file has sections, no such layout */
	CU_ASSERT_EQUAL_FATAL(tsync_trace_open(&f, SEEDS "v7"), 0);
	CU_ASSERT_NOT_EQUAL(tsync_trace_v6_layout(&f, &l), 0);
	tsync_trace_close(&f);
}

static const char *cut_copy_path(void)
{
	static char path[sizeof(work) + 8];

	snprintf(path, sizeof(path), "%s/cut", work);
	return path;
}

/* A copy of @seed cut to @len bytes, in the private directory */
static const char *cut_copy(const char *seed, off_t len)
{
	const char *path = cut_copy_path();
	char buf[4096];
	int in, out;
	ssize_t n;

	in = open(seed, O_RDONLY);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	while (in >= 0 && out >= 0 && len > 0 && (n = read(in, buf, sizeof(buf))) > 0) {
		if (n > len)
			n = len;
		if (write(out, buf, n) != n)
			break;
		len -= n;
	}
	close(in);
	close(out);
	return path;
}

/* Cut anywhere, a file opens whole or is refused with a message: never a crash */
static void test_truncated(void)
{
	static const off_t cuts[] = { 0, 7, 16, 100, 1000, 4096, 8192, 12000, 20000, 30000 };
	struct tsync_trace_file f;
	unsigned int i;

	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		if (!tsync_trace_open(&f, cut_copy(SEEDS "v6", cuts[i]))) {
			/* what opened must still read its options */
			struct tsync_option *opts;
			int nr;

			CU_ASSERT(cuts[i] > 0);
			if (!tsync_trace_options(&f, &opts, &nr))
				free(opts);
			tsync_trace_close(&f);
		}
	}
	/* the header alone is no trace */
	CU_ASSERT_NOT_EQUAL(tsync_trace_open(&f, cut_copy(SEEDS "v7", 16)), 0);
	/* a padding of 510879342 bytes in a page: libtracecmd read the page for ever */
	CU_ASSERT_NOT_EQUAL(tsync_trace_open(&f, SEEDS "padding-past-page"), 0);
	/* a compressed chunk of 4322 bytes: libtracecmd's second page of it would run past it */
	CU_ASSERT_NOT_EQUAL(tsync_trace_open(&f, SEEDS "zstd-iterate-crash"), 0);
	/* a missing file: refused, naming it */
	CU_ASSERT_NOT_EQUAL(tsync_trace_open(&f, "tests/no-such-file.dat"), 0);
}

static int print_record(struct tracecmd_input *in, struct tep_record *rec, void *arg)
{
	char *text = tsync_record_text(tracecmd_get_tep(in), rec);

	CU_ASSERT_PTR_NOT_NULL(text);
	free(text);
	(*(int *)arg)++;
	return 0;
}

/*
 * Inputs of the whole-file fuzz target that crashed tep_print_event() as
 * merge prints: print-past-page has its options compressed, which trace-cmd
 * never writes, hiding its CPU data from the readers' walk, where a print
 * record says 20905980 bytes (record-fits.c's rules, each tested on its
 * own in test-record-fits.c); divide-by-zero has a format that divides by
 * an atom read as 0
 */
static void test_fuzz_findings(void)
{
	struct tsync_trace_file f;
	int printed = 0;

	CU_ASSERT_NOT_EQUAL(tsync_trace_open(&f, SEEDS "print-past-page"), 0);
	/* every record prints; a trap or a read past a page would end this ASan build */
	CU_ASSERT_EQUAL_FATAL(tsync_trace_open(&f, SEEDS "divide-by-zero"), 0);
	CU_ASSERT_EQUAL(tsync_trace_walk(&f, print_record, &printed), 0);
	CU_ASSERT(printed > 0);
	tsync_trace_close(&f);
	/* and a real file's records all print */
	printed = 0;
	CU_ASSERT_EQUAL_FATAL(tsync_trace_open(&f, SEEDS "v7-zstd"), 0);
	CU_ASSERT_EQUAL(tsync_trace_walk(&f, print_record, &printed), 0);
	CU_ASSERT(printed > 0);
	tsync_trace_close(&f);
}

int main(void)
{
	CU_pSuite suite;
	int failed;

	if (!mkdtemp(work) || CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("trace-file", NULL, NULL);
	CU_add_test(suite, "the seeds open", test_seeds_open);
	CU_add_test(suite, "TIME_SHIFT read back", test_time_shift);
	CU_add_test(suite, "a v6 file's layout", test_v6_layout);
	CU_add_test(suite, "files cut short", test_truncated);
	CU_add_test(suite, "the whole-file fuzz target's findings", test_fuzz_findings);
	add_record_fits_tests();
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	unlink(cut_copy_path());
	rmdir(work);
	return failed ? 1 : 0;
}
