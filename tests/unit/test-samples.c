// SPDX-License-Identifier: LGPL-2.1
/* TIME_SHIFT samples kept in trace-cmd's arrays */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <CUnit/CUnit.h>

#include "tsync/tsync.h"
#include "unit.h"

static void free_context(struct clock_sync_context *ctx)
{
	int i;

	for (i = 0; i < ctx->cpu_count; i++) {
		free(ctx->offsets[i].sync_ts);
		free(ctx->offsets[i].sync_offsets);
		free(ctx->offsets[i].sync_scalings);
		free(ctx->offsets[i].sync_frac);
	}
	free(ctx->offsets);
}

/* A zero offset is a real KVM value: it must be kept, unlike trace-cmd */
static void test_keeps_zero_offset(void)
{
	struct clock_sync_context ctx = { .cpu_count = 1 };
	struct tsync_sample s = { .guest_ts = 5, .offset = 0, .scaling = 1, .frac = 0 };

	ctx.offsets = calloc(1, sizeof(*ctx.offsets));
	CU_ASSERT_EQUAL(tsync_samples_add(&ctx, 0, &s), 0);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_count, 1);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_offsets[0], 0);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_ts[0], 5);
	free_context(&ctx);
}

static void test_grows(void)
{
	struct clock_sync_context ctx = { .cpu_count = 2 };
	struct tsync_sample s = { .scaling = 3, .frac = 1 };
	int i;

	ctx.offsets = calloc(2, sizeof(*ctx.offsets));
	for (i = 0; i < 1000; i++) {
		s.guest_ts = i;
		s.offset = -i;
		CU_ASSERT_EQUAL_FATAL(tsync_samples_add(&ctx, 1, &s), 0);
		if (i == 0 || i == 16)
			CU_ASSERT_EQUAL(ctx.offsets[1].sync_size, i ? 32 : 16);
	}
	CU_ASSERT_EQUAL(ctx.offsets[1].sync_count, 1000);
	CU_ASSERT_EQUAL(ctx.offsets[1].sync_size, 1024);	/* 16, doubled */
	CU_ASSERT_EQUAL(ctx.offsets[1].sync_offsets[999], -999);
	CU_ASSERT_EQUAL(ctx.offsets[1].sync_scalings[500], 3);
	CU_ASSERT_EQUAL(ctx.offsets[1].sync_frac[500], 1);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_count, 0);
	free_context(&ctx);
}

static void test_drop_from(void)
{
	struct clock_sync_context ctx = { .cpu_count = 1 };
	struct tsync_sample s = { .scaling = 1 };
	int i;

	ctx.offsets = calloc(1, sizeof(*ctx.offsets));
	for (i = 0; i < 4; i++) {
		s.guest_ts = 10 * i;
		CU_ASSERT_EQUAL_FATAL(tsync_samples_add(&ctx, 0, &s), 0);
	}
	CU_ASSERT_EQUAL(tsync_samples_drop_from(&ctx, 0, 31), 4);	/* none that late */
	CU_ASSERT_EQUAL(tsync_samples_drop_from(&ctx, 0, 20), 2);	/* 20 itself goes */
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_ts[1], 10);
	CU_ASSERT_EQUAL(tsync_samples_drop_from(&ctx, 0, 0), 0);
	CU_ASSERT_EQUAL(tsync_samples_drop_from(&ctx, 0, 0), 0);	/* empty stays empty */
	free_context(&ctx);
}

static void test_rejects_bad_cpu(void)
{
	struct clock_sync_context ctx = { .cpu_count = 2 };
	struct tsync_sample s = { .scaling = 1 };

	ctx.offsets = calloc(2, sizeof(*ctx.offsets));
	errno = 0;
	CU_ASSERT_EQUAL(tsync_samples_add(&ctx, 2, &s), -1);
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_EQUAL(tsync_samples_add(&ctx, -1, &s), -1);
	CU_ASSERT_EQUAL(tsync_samples_add(NULL, 0, &s), -1);
	free_context(&ctx);
}

/* report searches samples by guest time: one that goes back is refused */
static void test_rejects_time_going_back(void)
{
	struct clock_sync_context ctx = { .cpu_count = 1 };
	struct tsync_sample s = { .guest_ts = LLONG_MAX, .scaling = 1 };

	ctx.offsets = calloc(1, sizeof(*ctx.offsets));
	CU_ASSERT_EQUAL(tsync_samples_add(&ctx, 0, &s), 0);
	CU_ASSERT_EQUAL(tsync_samples_add(&ctx, 0, &s), 0);	/* equal: padding */
	s.guest_ts = 0;
	errno = 0;
	CU_ASSERT_EQUAL(tsync_samples_add(&ctx, 0, &s), -1);
	CU_ASSERT_EQUAL(errno, ERANGE);
	s.guest_ts = LLONG_MIN;
	CU_ASSERT_EQUAL(tsync_samples_add(&ctx, 0, &s), -1);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_count, 2);
	free_context(&ctx);
}

/* Unequal counts are padded with the last sample: the option stays framed */
static void test_equalize_pads(void)
{
	struct clock_sync_context ctx = { .cpu_count = 3 };
	struct tsync_sample s = { .scaling = 1 };
	int cpu, i;

	ctx.offsets = calloc(3, sizeof(*ctx.offsets));
	for (cpu = 0; cpu < 3; cpu++)
		for (i = 0; i < 5 - cpu; i++) {
			s.guest_ts = 100 * cpu + i;
			s.offset = -i;
			tsync_samples_add(&ctx, cpu, &s);
		}
	tsync_samples_equalize(&ctx);
	for (cpu = 0; cpu < 3; cpu++)
		CU_ASSERT_EQUAL(ctx.offsets[cpu].sync_count, 5);
	CU_ASSERT_EQUAL(ctx.offsets[2].sync_ts[4], 202);
	CU_ASSERT_EQUAL(ctx.offsets[2].sync_offsets[4], -2);
	CU_ASSERT_EQUAL(ctx.offsets[1].sync_ts[4], 103);
	free_context(&ctx);
}

/* The longest CPU need not be the first */
static void test_equalize_longest_anywhere(void)
{
	static const int counts[3] = { 3, 5, 4 };
	struct clock_sync_context ctx = { .cpu_count = 3 };
	struct tsync_sample s = { .scaling = 1 };
	int cpu, i;

	ctx.offsets = calloc(3, sizeof(*ctx.offsets));
	for (cpu = 0; cpu < 3; cpu++)
		for (i = 0; i < counts[cpu]; i++) {
			s.guest_ts = 100 * cpu + i;
			tsync_samples_add(&ctx, cpu, &s);
		}
	tsync_samples_equalize(&ctx);
	for (cpu = 0; cpu < 3; cpu++)
		CU_ASSERT_EQUAL(ctx.offsets[cpu].sync_count, 5);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_ts[4], 2);
	free_context(&ctx);
}

/* Nothing to equalize: no context, no arrays, no CPUs */
static void test_equalize_nothing(void)
{
	struct clock_sync_context ctx = { .cpu_count = 0 };

	tsync_samples_equalize(NULL);
	tsync_samples_equalize(&ctx);
	ctx.offsets = malloc(0);	/* room for no CPU: any read shows under ASan */
	tsync_samples_equalize(&ctx);
	free(ctx.offsets);
}

/*
 * Memory runs out while a CPU is padded: it keeps its own samples, and the
 * others theirs.  15 samples fill 16 slots, the 17th needs more.
 */
static void test_equalize_out_of_memory(void)
{
	struct clock_sync_context ctx = { .cpu_count = 2 };
	struct tsync_sample s = { .scaling = 1 };
	int i;

	ctx.offsets = calloc(2, sizeof(*ctx.offsets));
	for (i = 0; i < 17; i++) {
		s.guest_ts = i;
		CU_ASSERT_EQUAL_FATAL(tsync_samples_add(&ctx, 0, &s), 0);
		if (i < 15)
			CU_ASSERT_EQUAL_FATAL(tsync_samples_add(&ctx, 1, &s), 0);
	}
	unit_fail_alloc(1);
	tsync_samples_equalize(&ctx);
	unit_fail_alloc(0);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_count, 17);
	CU_ASSERT_EQUAL(ctx.offsets[1].sync_count, 15);
	free_context(&ctx);
}

/*
 * Memory runs out as a CPU's arrays grow, at each of the four: the sample
 * is refused with ENOMEM, the samples kept are intact, and the next one
 * that finds memory is taken.
 */
static void test_add_out_of_memory(void)
{
	struct clock_sync_context ctx = { .cpu_count = 1 };
	struct tsync_sample s = { .scaling = 1 };
	int i, fail;

	ctx.offsets = calloc(1, sizeof(*ctx.offsets));
	for (fail = 1; fail <= 4; fail++) {
		s.guest_ts = 0;
		unit_fail_alloc(fail);
		errno = 0;
		CU_ASSERT_EQUAL(tsync_samples_add(&ctx, 0, &s), -1);
		unit_fail_alloc(0);
		CU_ASSERT_EQUAL(errno, ENOMEM);
		CU_ASSERT_EQUAL(ctx.offsets[0].sync_count, 0);
	}
	for (i = 0; i < 16; i++) {
		s.guest_ts = i;
		s.offset = 3 * i;
		CU_ASSERT_EQUAL_FATAL(tsync_samples_add(&ctx, 0, &s), 0);
	}
	for (fail = 1; fail <= 4; fail++) {
		s.guest_ts = 16;
		unit_fail_alloc(fail);
		CU_ASSERT_EQUAL(tsync_samples_add(&ctx, 0, &s), -1);
		unit_fail_alloc(0);
		CU_ASSERT_EQUAL(ctx.offsets[0].sync_count, 16);
		CU_ASSERT_EQUAL(ctx.offsets[0].sync_size, 16);
	}
	for (i = 0; i < 16; i++)
		CU_ASSERT_EQUAL(ctx.offsets[0].sync_offsets[i], 3 * i);
	CU_ASSERT_EQUAL(tsync_samples_add(&ctx, 0, &s), 0);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_size, 32);
	free_context(&ctx);
}

/* A CPU without any sample: no CPU keeps any, so no option is written */
static void test_equalize_empty(void)
{
	struct clock_sync_context ctx = { .cpu_count = 2 };
	struct tsync_sample s = { .scaling = 1 };

	ctx.offsets = calloc(2, sizeof(*ctx.offsets));
	tsync_samples_add(&ctx, 0, &s);
	tsync_samples_equalize(&ctx);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_count, 0);
	CU_ASSERT_EQUAL(ctx.offsets[1].sync_count, 0);
	/* the empty one first */
	tsync_samples_add(&ctx, 1, &s);
	tsync_samples_equalize(&ctx);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_count, 0);
	CU_ASSERT_EQUAL(ctx.offsets[1].sync_count, 0);
	free_context(&ctx);
}

void add_samples_suite(void)
{
	CU_pSuite suite = CU_add_suite("samples", NULL, NULL);

	CU_add_test(suite, "zero offset kept", test_keeps_zero_offset);
	CU_add_test(suite, "arrays grow", test_grows);
	CU_add_test(suite, "samples dropped from a guest time on", test_drop_from);
	CU_add_test(suite, "CPU out of range", test_rejects_bad_cpu);
	CU_add_test(suite, "guest time going back refused", test_rejects_time_going_back);
	CU_add_test(suite, "short CPUs padded", test_equalize_pads);
	CU_add_test(suite, "the longest CPU anywhere", test_equalize_longest_anywhere);
	CU_add_test(suite, "nothing to equalize", test_equalize_nothing);
	CU_add_test(suite, "out of memory while padding", test_equalize_out_of_memory);
	CU_add_test(suite, "out of memory while adding", test_add_out_of_memory);
	CU_add_test(suite, "empty CPU empties all", test_equalize_empty);
}
