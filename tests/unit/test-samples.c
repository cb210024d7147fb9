// SPDX-License-Identifier: LGPL-2.1
/*
 * A guest CPU's samples (core samples.c), and their copy into trace-cmd's
 * arrays (the plugin's time-shift-arrays.c)
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <CUnit/CUnit.h>

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

static void free_samples(struct tsync_samples *ss, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		tsync_samples_free(&ss[i]);
}

static void test_grows(void)
{
	struct tsync_sample s = { .scaling = 3, .frac = 1 };
	struct tsync_samples ss = { 0 };
	int i;

	for (i = 0; i < 1000; i++) {
		s.guest_ts = i;
		s.offset = -i;
		CU_ASSERT_EQUAL_FATAL(tsync_samples_add(&ss, &s), 0);
	}
	CU_ASSERT_EQUAL(ss.nr, 1000);
	CU_ASSERT(ss.size >= 1000);
	CU_ASSERT_EQUAL(ss.at[999].offset, -999);
	CU_ASSERT_EQUAL(ss.at[500].scaling, 3);
	CU_ASSERT_EQUAL(ss.at[500].frac, 1);
	tsync_samples_free(&ss);
	CU_ASSERT_EQUAL(ss.nr, 0);
	CU_ASSERT_PTR_NULL(ss.at);
	/* freed, and ready to take samples again */
	CU_ASSERT_EQUAL_FATAL(tsync_samples_add(&ss, &s), 0);
	CU_ASSERT_EQUAL(ss.nr, 1);
	CU_ASSERT_EQUAL(ss.at[0].offset, -999);
	tsync_samples_free(&ss);
}

/* Memory running out: the sample is refused, those before it kept */
static void test_add_out_of_memory(void)
{
	struct tsync_sample s = { .scaling = 1 };
	struct tsync_samples ss = { 0 };

	do {
		s.guest_ts++;
		CU_ASSERT_EQUAL_FATAL(tsync_samples_add(&ss, &s), 0);
	} while (ss.nr < ss.size);
	s.guest_ts++;
	unit_fail_alloc(1);
	errno = 0;
	CU_ASSERT_EQUAL(tsync_samples_add(&ss, &s), -1);
	CU_ASSERT_EQUAL(errno, ENOMEM);
	CU_ASSERT_EQUAL(ss.nr, s.guest_ts - 1);
	CU_ASSERT_EQUAL(tsync_samples_add(&ss, &s), 0);
	CU_ASSERT_EQUAL(ss.at[ss.nr - 1].guest_ts, s.guest_ts);
	tsync_samples_free(&ss);
}

/* Samples at guest times 0, 10, 20 and 30, all copied */
static void add_four_clean(struct tsync_samples *ss)
{
	struct tsync_sample s = { .scaling = 1 };
	int i;

	for (i = 0; i < 4; i++) {
		s.guest_ts = 10 * i;
		CU_ASSERT_EQUAL_FATAL(tsync_samples_add(ss, &s), 0);
	}
	CU_ASSERT_EQUAL(ss->dirty, 0);
	tsync_samples_clean(ss);
}

/* dirty: the first sample changed since tsync_samples_clean(), whatever came after */
static void test_dirty(void)
{
	struct tsync_sample s = { .scaling = 1 };
	struct tsync_samples ss = { 0 };

	add_four_clean(&ss);
	tsync_samples_drop_from(&ss, 20);
	s.guest_ts = 25;
	tsync_samples_add(&ss, &s);
	s.guest_ts = 35;
	tsync_samples_add(&ss, &s);
	CU_ASSERT_EQUAL(ss.dirty, 2);
	/* a drop of nothing changes nothing */
	CU_ASSERT_EQUAL(tsync_samples_drop_from(&ss, 100), 4);
	CU_ASSERT_EQUAL(ss.dirty, 2);
	tsync_samples_clean(&ss);
	CU_ASSERT_EQUAL(ss.dirty, 4);
	tsync_samples_free(&ss);
}

/* host - guest at a sample, and whether it fits in 64 bits, at the edges */
static void test_offset_edges(void)
{
	static const struct {
		struct tsync_sample	s;
		bool			fits;
	} cases[] = {
		{ { 0, LLONG_MAX, 1, 0 }, true },
		{ { 1, LLONG_MAX, 2, 0 }, false },	/* 2 + (2^63 - 1) - 1 */
		{ { 0, LLONG_MIN, 1, 0 }, true },
		{ { 1, LLONG_MIN, 1, 1 }, false },	/* 0 - 2^63 - 1 */
		{ { LLONG_MAX, 0, 3, 1 }, true },	/* (2^63 - 1) / 2, in 128 bits */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CU_ASSERT_EQUAL(tsync_sample_offset_fits(&cases[i].s), cases[i].fits);
	CU_ASSERT_EQUAL(tsync_sample_offset(&cases[0].s), LLONG_MAX);
	CU_ASSERT_EQUAL(tsync_sample_offset(&cases[2].s), LLONG_MIN);
	CU_ASSERT_EQUAL(tsync_sample_offset(&cases[4].s), LLONG_MAX / 2);
}

static void test_drop_from(void)
{
	struct tsync_samples ss = { 0 };

	add_four_clean(&ss);
	CU_ASSERT_EQUAL(ss.dirty, 4);
	CU_ASSERT_EQUAL(tsync_samples_drop_from(&ss, 31), 4);	/* none that late */
	CU_ASSERT_EQUAL(ss.dirty, 4);
	CU_ASSERT_EQUAL(tsync_samples_drop_from(&ss, 20), 2);	/* 20 itself goes */
	CU_ASSERT_EQUAL(ss.dirty, 2);
	CU_ASSERT_EQUAL(ss.at[1].guest_ts, 10);
	CU_ASSERT_EQUAL(tsync_samples_drop_from(&ss, 0), 0);
	CU_ASSERT_EQUAL(tsync_samples_drop_from(&ss, 0), 0);	/* empty stays empty */
	tsync_samples_free(&ss);
}

/* report searches samples by guest time: one that goes back is refused */
static void test_rejects_time_going_back(void)
{
	struct tsync_sample s = { .guest_ts = LLONG_MAX, .scaling = 1 };
	struct tsync_samples ss = { 0 };

	CU_ASSERT_EQUAL(tsync_samples_add(&ss, &s), 0);
	CU_ASSERT_EQUAL(tsync_samples_add(&ss, &s), 0);	/* equal: padding */
	s.guest_ts = 0;
	errno = 0;
	CU_ASSERT_EQUAL(tsync_samples_add(&ss, &s), -1);
	CU_ASSERT_EQUAL(errno, ERANGE);
	s.guest_ts = LLONG_MIN;
	CU_ASSERT_EQUAL(tsync_samples_add(&ss, &s), -1);
	CU_ASSERT_EQUAL(ss.nr, 2);
	tsync_samples_free(&ss);
}

/* A zero offset is a real KVM value: it must be kept, unlike trace-cmd */
static void test_publish_keeps_zero_offset(void)
{
	struct clock_sync_context ctx = { .cpu_count = 1 };
	struct tsync_sample s = { .guest_ts = 5, .offset = 0, .scaling = 1, .frac = 0 };
	struct tsync_samples ss = { 0 };

	ctx.offsets = calloc(1, sizeof(*ctx.offsets));
	CU_ASSERT_EQUAL(tsync_samples_add(&ss, &s), 0);
	CU_ASSERT_EQUAL(tsync_arrays_publish(&ctx, &ss), 0);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_count, 1);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_offsets[0], 0);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_ts[0], 5);
	tsync_samples_free(&ss);
	free_context(&ctx);
}

/* Published again after a drop: the arrays follow, samples replaced */
static void test_publish_follows_drops(void)
{
	struct clock_sync_context ctx = { .cpu_count = 1 };
	struct tsync_sample s = { .scaling = 1 };
	struct tsync_samples ss = { 0 };
	int i;

	ctx.offsets = calloc(1, sizeof(*ctx.offsets));
	for (i = 0; i < 40; i++) {
		s.guest_ts = i;
		s.offset = i;
		tsync_samples_add(&ss, &s);
	}
	CU_ASSERT_EQUAL(tsync_arrays_publish(&ctx, &ss), 0);
	CU_ASSERT(ctx.offsets[0].sync_size >= 40);
	tsync_samples_drop_from(&ss, 10);
	s.guest_ts = 10;
	s.offset = -1;
	tsync_samples_add(&ss, &s);
	CU_ASSERT_EQUAL(tsync_arrays_publish(&ctx, &ss), 0);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_count, 11);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_offsets[9], 9);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_offsets[10], -1);
	tsync_samples_free(&ss);
	free_context(&ctx);
}

static void test_publish_rejects_no_context(void)
{
	struct clock_sync_context ctx = { .cpu_count = 0 };
	struct tsync_samples ss = { 0 };

	CU_ASSERT_EQUAL(tsync_arrays_publish(NULL, &ss), -1);
	CU_ASSERT_EQUAL(tsync_arrays_publish(&ctx, &ss), -1);
}

/* Unequal counts are padded with the last sample: the option stays framed */
static void test_publish_pads(void)
{
	struct clock_sync_context ctx = { .cpu_count = 3 };
	struct tsync_sample s = { .scaling = 1 };
	struct tsync_samples ss[3] = { { 0 } };
	int cpu, i;

	ctx.offsets = calloc(3, sizeof(*ctx.offsets));
	for (cpu = 0; cpu < 3; cpu++)
		for (i = 0; i < 5 - cpu; i++) {
			s.guest_ts = 100 * cpu + i;
			s.offset = -i;
			tsync_samples_add(&ss[cpu], &s);
		}
	CU_ASSERT_EQUAL(tsync_arrays_publish(&ctx, ss), 0);
	for (cpu = 0; cpu < 3; cpu++)
		CU_ASSERT_EQUAL(ctx.offsets[cpu].sync_count, 5);
	CU_ASSERT_EQUAL(ctx.offsets[2].sync_ts[4], 202);
	CU_ASSERT_EQUAL(ctx.offsets[2].sync_offsets[4], -2);
	CU_ASSERT_EQUAL(ctx.offsets[1].sync_ts[4], 103);
	/* the padding is replaced by the CPU's next real sample */
	s.guest_ts = 250;
	s.offset = 7;
	tsync_samples_add(&ss[2], &s);
	CU_ASSERT_EQUAL(tsync_arrays_publish(&ctx, ss), 0);
	CU_ASSERT_EQUAL(ctx.offsets[2].sync_ts[3], 250);
	CU_ASSERT_EQUAL(ctx.offsets[2].sync_offsets[3], 7);
	free_samples(ss, 3);
	free_context(&ctx);
}

/*
 * A CPU without any sample takes the nearest CPU's (the lower on a tie), so
 * that the samples behind the guest's sync records still reach TIME_SHIFT;
 * its own samples replace them once it has some.  No samples anywhere: none.
 */
static void test_publish_borrows(void)
{
	struct clock_sync_context ctx = { .cpu_count = 4 };
	struct tsync_sample s = { .scaling = 1 };
	struct tsync_samples ss[4] = { { 0 } };
	int cpu, i;

	ctx.offsets = calloc(4, sizeof(*ctx.offsets));
	CU_ASSERT_EQUAL(tsync_arrays_publish(&ctx, ss), 0);
	for (cpu = 0; cpu < 4; cpu++)
		CU_ASSERT_EQUAL(ctx.offsets[cpu].sync_count, 0);
	for (i = 0; i < 2; i++) {
		s.guest_ts = i;
		s.offset = 10 + i;
		tsync_samples_add(&ss[0], &s);
	}
	for (i = 0; i < 3; i++) {
		s.guest_ts = 200 + i;
		s.offset = 20 + i;
		tsync_samples_add(&ss[2], &s);
	}
	CU_ASSERT_EQUAL(tsync_arrays_publish(&ctx, ss), 0);
	for (cpu = 0; cpu < 4; cpu++)
		CU_ASSERT_EQUAL(ctx.offsets[cpu].sync_count, 3);
	CU_ASSERT_EQUAL(ctx.offsets[1].sync_ts[0], 0);
	CU_ASSERT_EQUAL(ctx.offsets[1].sync_offsets[1], 11);
	CU_ASSERT_EQUAL(ctx.offsets[1].sync_offsets[2], 11);
	CU_ASSERT_EQUAL(ctx.offsets[3].sync_ts[2], 202);
	CU_ASSERT_EQUAL(ctx.offsets[3].sync_offsets[0], 20);
	s.guest_ts = 150;
	s.offset = 33;
	tsync_samples_add(&ss[1], &s);
	CU_ASSERT_EQUAL(tsync_arrays_publish(&ctx, ss), 0);
	CU_ASSERT_EQUAL(ctx.offsets[1].sync_count, 3);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(ctx.offsets[1].sync_ts[i], 150);
		CU_ASSERT_EQUAL(ctx.offsets[1].sync_offsets[i], 33);
	}
	free_samples(ss, 4);
	free_context(&ctx);
}

/* Memory running out while copying: no samples, and all of them the next time */
static void test_publish_out_of_memory(void)
{
	struct clock_sync_context ctx = { .cpu_count = 1 };
	struct tsync_sample s = { .scaling = 1 };
	struct tsync_samples ss = { 0 };
	int i;

	ctx.offsets = calloc(1, sizeof(*ctx.offsets));
	for (i = 0; i < 20; i++) {
		s.guest_ts = i;
		tsync_samples_add(&ss, &s);
	}
	unit_fail_alloc(1);
	CU_ASSERT_EQUAL(tsync_arrays_publish(&ctx, &ss), -1);
	unit_fail_alloc(0);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_count, 0);
	CU_ASSERT_EQUAL(tsync_arrays_publish(&ctx, &ss), 0);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_count, 20);
	CU_ASSERT_EQUAL(ctx.offsets[0].sync_ts[19], 19);
	tsync_samples_free(&ss);
	free_context(&ctx);
}

/* The longest CPU need not be the first: every CPU is padded to it */
static void test_publish_longest_anywhere(void)
{
	struct clock_sync_context ctx = { .cpu_count = 3 };
	struct tsync_sample s = { .scaling = 1 };
	struct tsync_samples ss[3] = { { 0 } };
	int cpu, i;

	ctx.offsets = calloc(3, sizeof(*ctx.offsets));
	for (cpu = 0; cpu < 3; cpu++)
		for (i = 0; i < (cpu == 1 ? 6 : 2); i++) {
			s.guest_ts = i;
			tsync_samples_add(&ss[cpu], &s);
		}
	CU_ASSERT_EQUAL(tsync_arrays_publish(&ctx, ss), 0);
	for (cpu = 0; cpu < 3; cpu++)
		CU_ASSERT_EQUAL(ctx.offsets[cpu].sync_count, 6);
	CU_ASSERT_EQUAL(ctx.offsets[2].sync_ts[5], 1);
	free_samples(ss, 3);
	free_context(&ctx);
}

void add_samples_suite(void)
{
	CU_pSuite suite = CU_add_suite("samples", NULL, NULL);

	CU_add_test(suite, "lists grow", test_grows);
	CU_add_test(suite, "samples dropped from a guest time on", test_drop_from);
	CU_add_test(suite, "out of memory while adding", test_add_out_of_memory);
	CU_add_test(suite, "the first sample changed", test_dirty);
	CU_add_test(suite, "host - guest at the edges of 64 bits", test_offset_edges);
	CU_add_test(suite, "guest time going back refused", test_rejects_time_going_back);
	CU_add_test(suite, "zero offset kept in trace-cmd's arrays", test_publish_keeps_zero_offset);
	CU_add_test(suite, "trace-cmd's arrays follow drops", test_publish_follows_drops);
	CU_add_test(suite, "no context, no arrays", test_publish_rejects_no_context);
	CU_add_test(suite, "short CPUs padded", test_publish_pads);
	CU_add_test(suite, "a CPU without samples takes the nearest CPU's", test_publish_borrows);
	CU_add_test(suite, "out of memory while copying", test_publish_out_of_memory);
	CU_add_test(suite, "the longest CPU anywhere", test_publish_longest_anywhere);
}
