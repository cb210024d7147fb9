// SPDX-License-Identifier: LGPL-2.1
/* The vCPU alignment check's arithmetic: a thread's runs from a host CPU's events */
#include <stdint.h>
#include <CUnit/CUnit.h>

#include "vcpu-runs.h"
#include "unit.h"

static void test_empty_set(void)
{
	struct run_set set = { 0 };

	CU_ASSERT_EQUAL(run_set_gap(&set, 0), INT64_MAX);
	CU_ASSERT_EQUAL(run_set_gap(&set, UINT64_MAX), INT64_MAX);
	run_set_free(&set);
}

static void test_gap_sides(void)
{
	struct run_set set = { 0 };

	/* added out of order, overlapping: [10, 30] and [100, 100] */
	CU_ASSERT_EQUAL(run_set_add(&set, 100, 100), 0);
	CU_ASSERT_EQUAL(run_set_add(&set, 20, 30), 0);
	CU_ASSERT_EQUAL(run_set_add(&set, 10, 25), 0);
	CU_ASSERT_EQUAL(run_set_gap(&set, 10), 0);
	CU_ASSERT_EQUAL(run_set_gap(&set, 30), 0);
	CU_ASSERT_EQUAL(run_set_gap(&set, 100), 0);
	CU_ASSERT_EQUAL(run_set_gap(&set, 9), -1);
	CU_ASSERT_EQUAL(run_set_gap(&set, 0), -10);
	CU_ASSERT_EQUAL(run_set_gap(&set, 31), 1);
	/* nearer to the run after it than to the one before */
	CU_ASSERT_EQUAL(run_set_gap(&set, 70), -30);
	CU_ASSERT_EQUAL(run_set_gap(&set, 60), 30);
	CU_ASSERT_EQUAL(run_set_gap(&set, 101), 1);
	CU_ASSERT_EQUAL(set.count, 2);
	run_set_free(&set);
}

static void test_extremes(void)
{
	struct run_set set = { 0 };

	CU_ASSERT_EQUAL(run_set_add(&set, 5, 4), -1);
	CU_ASSERT_EQUAL(run_set_add(&set, UINT64_MAX, UINT64_MAX), 0);
	CU_ASSERT_EQUAL(run_set_gap(&set, UINT64_MAX), 0);
	CU_ASSERT_EQUAL(run_set_gap(&set, 0), -INT64_MAX);
	CU_ASSERT_EQUAL(run_set_add(&set, 0, 0), 0);
	CU_ASSERT_EQUAL(run_set_gap(&set, 0), 0);
	CU_ASSERT_EQUAL(run_set_gap(&set, 1), 1);
	CU_ASSERT_EQUAL(run_set_gap(&set, UINT64_MAX - 1), -1);
	run_set_free(&set);
}

static void test_many_runs(void)
{
	struct run_set set = { 0 };
	uint64_t i;

	for (i = 0; i < 100000; i++)
		CU_ASSERT_EQUAL_FATAL(run_set_add(&set, 10 * i, 10 * i + 4), 0);
	CU_ASSERT_EQUAL(run_set_gap(&set, 500004), 0);
	CU_ASSERT_EQUAL(run_set_gap(&set, 500006), 2);
	CU_ASSERT_EQUAL(run_set_gap(&set, 500008), -2);
	CU_ASSERT_EQUAL(run_set_gap(&set, 2000000), 2000000 - 999994);
	run_set_free(&set);
}

struct seen {
	int		pid[8];
	uint64_t	start[8];
	uint64_t	end[8];
	int		count;
};

static int record_run(int pid, uint64_t start, uint64_t end, void *data)
{
	struct seen *seen = data;

	if (seen->count == 8)
		return -1;
	seen->pid[seen->count] = pid;
	seen->start[seen->count] = start;
	seen->end[seen->count++] = end;
	return 0;
}

static void test_timeline_switches(void)
{
	struct cpu_timeline cpu = { 0 };
	struct seen seen = { 0 };

	/* before the first event nothing is known */
	CU_ASSERT_EQUAL(cpu_timeline_event(&cpu, 100, 7, 7, record_run, &seen), 0);
	CU_ASSERT_EQUAL(seen.count, 0);
	/* 7 runs until it switches to 9 at 150 */
	cpu_timeline_event(&cpu, 150, 7, 9, record_run, &seen);
	cpu_timeline_event(&cpu, 180, 9, 9, record_run, &seen);
	CU_ASSERT_EQUAL(seen.count, 2);
	CU_ASSERT(seen.pid[0] == 7 && seen.start[0] == 100 && seen.end[0] == 150);
	CU_ASSERT(seen.pid[1] == 9 && seen.start[1] == 150 && seen.end[1] == 180);
}

static void test_timeline_lost_switch(void)
{
	struct cpu_timeline cpu = { 0 };
	struct seen seen = { 0 };

	cpu_timeline_event(&cpu, 100, 7, 7, record_run, &seen);
	/* the switch from 7 to 9 was lost: the gap counts for both */
	cpu_timeline_event(&cpu, 200, 9, 9, record_run, &seen);
	CU_ASSERT_EQUAL(seen.count, 2);
	CU_ASSERT(seen.pid[0] == 7 && seen.start[0] == 100 && seen.end[0] == 200);
	CU_ASSERT(seen.pid[1] == 9 && seen.start[1] == 100 && seen.end[1] == 200);
	/* time going back gives no run, but the timeline follows */
	cpu_timeline_event(&cpu, 50, 9, 3, record_run, &seen);
	CU_ASSERT_EQUAL(seen.count, 2);
	CU_ASSERT_EQUAL(cpu.current, 3);
	CU_ASSERT_EQUAL(cpu.last_time, 50);
	/* a callback's failure is returned */
	seen.count = 8;
	CU_ASSERT_EQUAL(cpu_timeline_event(&cpu, UINT64_MAX, 3, 3, record_run, &seen), -1);
}

void add_vcpu_runs_suite(void)
{
	CU_pSuite suite = CU_add_suite("vcpu-runs", NULL, NULL);

	CU_add_test(suite, "no runs: no distance", test_empty_set);
	CU_add_test(suite, "inside, before and after runs", test_gap_sides);
	CU_add_test(suite, "runs at 0 and 2^64-1", test_extremes);
	CU_add_test(suite, "100000 runs", test_many_runs);
	CU_add_test(suite, "runs between context switches", test_timeline_switches);
	CU_add_test(suite, "a lost switch, time going back", test_timeline_lost_switch);
}
