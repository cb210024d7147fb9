// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync-kvm's timeline (kvm-timeline.c), the one both the plugin and apply
 * lay: offset writes hand over at their guest time, late writes void the
 * samples laid past them, and report converts every guest time exactly;
 * and the guest CPU to vCPU map (kvm-map.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <CUnit/CUnit.h>

#include "unit.h"

/* host time report gives guest time @g, on @ss's samples */
static unsigned long long report(const struct tsync_samples *ss, unsigned long long g)
{
	return tsync_report_host_time(ss->at, ss->nr, true, g);
}

/* One write, unscaled: host = guest - offset before it and after it */
static void test_write_hands_over(void)
{
	struct tsync_tsc tsc = { .offset = 1000, .ratio = 1, .frac = 0 };
	struct tsync_offset_write w = { .host_ts = 50000, .prev = 1000, .next = 5000, .vcpu = 0 };
	struct tsync_samples ss = { 0 };
	struct tsync_kvm_timeline tl;
	unsigned long long g;

	tsync_timeline_init(&tl, &tsc, &ss);
	CU_ASSERT_EQUAL(tsync_timeline_start(&tl, 10000), 0);
	CU_ASSERT_EQUAL(tsync_timeline_write(&tl, &w), 0);
	CU_ASSERT_EQUAL(tl.tsc.offset, 5000);
	CU_ASSERT_EQUAL(tsync_timeline_lay_until(&tl, 200000, false), 0);
	/* the old offset up to guest 50999, the new one from guest 55000 */
	for (g = 10000; g < 51000; g += 997)
		CU_ASSERT_EQUAL(report(&ss, g), g - 1000);
	CU_ASSERT_EQUAL(report(&ss, 50999), 49999);
	CU_ASSERT_EQUAL(report(&ss, 55000), 50000);
	for (g = 55000; g <= 200000; g += 1009)
		CU_ASSERT_EQUAL(report(&ss, g), g - 5000);
	tsync_samples_free(&ss);
}

/* A write seen after samples were laid past it: those samples are void */
static void test_late_write_drops(void)
{
	struct tsync_tsc tsc = { .offset = 0, .ratio = 1, .frac = 0 };
	struct tsync_offset_write w = { .host_ts = 3000, .next = -100 };
	struct tsync_samples ss = { 0 };
	struct tsync_kvm_timeline tl;

	tsync_timeline_init(&tl, &tsc, &ss);
	tsync_timeline_start(&tl, 1000);
	tsync_timeline_lay_until(&tl, 5000, false);
	tsync_timeline_lay_until(&tl, 9000, false);
	CU_ASSERT_EQUAL(ss.nr, 3);
	CU_ASSERT_EQUAL(tsync_timeline_write(&tl, &w), 0);
	/* 5000 and 9000 dropped; 2899 under the old offset; 2900 under the new */
	CU_ASSERT_EQUAL(ss.nr, 3);
	CU_ASSERT_EQUAL(ss.at[1].guest_ts, 2899);
	CU_ASSERT_EQUAL(ss.at[2].guest_ts, 2900);
	CU_ASSERT_EQUAL(ss.at[2].offset, 100);
	CU_ASSERT_EQUAL(tsync_timeline_lay_until(&tl, 9000, false), 0);
	CU_ASSERT_EQUAL(report(&ss, 2899), 2899);
	CU_ASSERT_EQUAL(report(&ss, 4000), 4100);
	tsync_samples_free(&ss);
}

/* Laid once per sync point: nothing new before the last sample */
static void test_lay_until_idempotent(void)
{
	struct tsync_tsc tsc = { .offset = 7, .ratio = 1, .frac = 0 };
	struct tsync_samples ss = { 0 };
	struct tsync_kvm_timeline tl;

	tsync_timeline_init(&tl, &tsc, &ss);
	CU_ASSERT_EQUAL(tsync_timeline_lay_until(&tl, 500, false), 0);
	CU_ASSERT_EQUAL(tsync_timeline_lay_until(&tl, 500, false), 0);
	CU_ASSERT_EQUAL(tsync_timeline_lay_until(&tl, 400, true), 0);
	CU_ASSERT_EQUAL(ss.nr, 1);
	CU_ASSERT_EQUAL(tsync_timeline_lay_until(&tl, 501, true), 0);
	CU_ASSERT_EQUAL(ss.nr, 2);
	CU_ASSERT_EQUAL(ss.at[1].guest_ts, 501);
	tsync_samples_free(&ss);
}

/* Scaled: a sample every step, from the first good time after it */
static void test_scaled_steps(void)
{
	struct tsync_tsc tsc = { .offset = -5, .ratio = 3ULL << 47, .frac = 48 };
	unsigned long long step = tsync_tsc_step(&tsc), from = 1ULL << 40;
	struct tsync_samples ss = { 0 };
	struct tsync_kvm_timeline tl;
	int i;

	tsync_timeline_init(&tl, &tsc, &ss);
	tsync_timeline_start(&tl, from);
	CU_ASSERT_EQUAL(tsync_timeline_lay_until(&tl, from + 10 * step, false), 0);
	CU_ASSERT(ss.nr >= 10 && ss.nr <= 12);
	for (i = 1; i < ss.nr; i++)
		CU_ASSERT((unsigned long long)(ss.at[i].guest_ts - ss.at[i - 1].guest_ts) < 2 * step);
	tsync_samples_free(&ss);
}

/* Scaled, from no sample at all: one sample, at the first good time */
static void test_scaled_from_nothing(void)
{
	struct tsync_tsc tsc = { .offset = -5, .ratio = 3ULL << 47, .frac = 48 };
	struct tsync_samples ss = { 0 };
	struct tsync_kvm_timeline tl;

	tsync_timeline_init(&tl, &tsc, &ss);
	CU_ASSERT_EQUAL(tsync_timeline_lay_until(&tl, 1ULL << 40, false), 0);
	CU_ASSERT_EQUAL_FATAL(ss.nr, 1);
	CU_ASSERT_EQUAL(ss.at[0].guest_ts, tsync_tsc_sample_time(&tsc, 1ULL << 40));
	tsync_samples_free(&ss);
}

/* A guest faster than its host by 2^-28: good sample times come in runs */
static const struct tsync_tsc fast_fall = {
	.offset = 0, .ratio = (1ULL << 48) + (1ULL << 20), .frac = 48,
};

static bool good_time(unsigned long long g)
{
	return tsync_tsc_sample_time(&fast_fall, g) == g;
}

/*
 * Falling fast, a step from a sample may land where no good time is: the
 * next sample is at the good time after it, once, even when that is the end
 */
static void test_fast_fall_good_times(void)
{
	unsigned long long step = tsync_tsc_step(&fast_fall), g = 1ULL << 40, first, end;
	struct tsync_samples ss = { 0 };
	struct tsync_kvm_timeline tl;

	/* the first good time after a run of bad ones: a step on is a bad one */
	while (good_time(g))
		g += 1ULL << 24;
	first = tsync_tsc_sample_time(&fast_fall, g);
	end = tsync_tsc_sample_time(&fast_fall, first + step);
	CU_ASSERT_FATAL(end > first + step);
	tsync_timeline_init(&tl, &fast_fall, &ss);
	CU_ASSERT_EQUAL(tsync_timeline_start(&tl, first), 0);
	CU_ASSERT_EQUAL(tsync_timeline_lay_until(&tl, end, false), 0);
	CU_ASSERT_EQUAL_FATAL(ss.nr, 2);
	CU_ASSERT_EQUAL(ss.at[0].guest_ts, first);
	CU_ASSERT_EQUAL(ss.at[1].guest_ts, end);
	tsync_samples_free(&ss);
}

/* At a write the old parameters hold to the guest time just before it, good or not */
static void test_write_ends_exactly(void)
{
	struct tsync_offset_write w = { .next = 1000 };
	struct tsync_tsc next = fast_fall;
	struct tsync_samples ss = { 0 };
	struct tsync_kvm_timeline tl;
	unsigned long long old_end, start;

	/* a write whose guest time just before it is not a good time */
	next.offset = w.next;
	for (w.host_ts = 1ULL << 40; ; w.host_ts += 1ULL << 24) {
		start = tsync_tsc_handover(&fast_fall, &next, w.host_ts, &old_end);
		if (!good_time(old_end - 1))
			break;
	}
	tsync_timeline_init(&tl, &fast_fall, &ss);
	CU_ASSERT_EQUAL(tsync_timeline_start(&tl, old_end - (1ULL << 33)), 0);
	CU_ASSERT_EQUAL(tsync_timeline_write(&tl, &w), 0);
	CU_ASSERT_FATAL(ss.nr >= 3);
	CU_ASSERT_EQUAL(ss.at[ss.nr - 2].guest_ts, old_end - 1);
	CU_ASSERT_EQUAL(ss.at[ss.nr - 1].guest_ts, start);
	/* under the new parameters from there */
	CU_ASSERT_EQUAL(ss.at[ss.nr - 1].offset, tsync_tsc_sample(&next, start).offset);
	CU_ASSERT_NOT_EQUAL(ss.at[ss.nr - 1].offset, tsync_tsc_sample(&fast_fall, start).offset);
	tsync_samples_free(&ss);
}

/* Lay until the samples fill their memory, one good time after another */
static void fill(struct tsync_kvm_timeline *tl)
{
	const struct tsync_samples *ss = tl->samples;

	while (ss->nr < ss->size)
		CU_ASSERT_EQUAL_FATAL(tsync_timeline_lay_until(tl, ss->at[ss->nr - 1].guest_ts + 1,
							       false), 0);
}

/* Memory running out while laying or at a write: the call fails */
static void test_out_of_memory(void)
{
	struct tsync_tsc scaled = { .offset = -5, .ratio = 3ULL << 47, .frac = 48 };
	struct tsync_tsc plain = { .offset = 0, .ratio = 1, .frac = 0 };
	struct tsync_offset_write w = { .host_ts = 1ULL << 40, .next = 100 };
	struct tsync_samples ss = { 0 };
	struct tsync_kvm_timeline tl;

	tsync_timeline_init(&tl, &scaled, &ss);
	CU_ASSERT_EQUAL(tsync_timeline_start(&tl, 1000), 0);
	fill(&tl);
	unit_fail_alloc(1);
	errno = 0;
	CU_ASSERT_EQUAL(tsync_timeline_lay_until(&tl, 1000 + 10 * tsync_tsc_step(&scaled), false),
			-1);
	CU_ASSERT_EQUAL(errno, ENOMEM);
	tsync_samples_free(&ss);

	tsync_timeline_init(&tl, &plain, &ss);
	CU_ASSERT_EQUAL(tsync_timeline_start(&tl, 1000), 0);
	fill(&tl);
	unit_fail_alloc(1);
	errno = 0;
	CU_ASSERT_EQUAL(tsync_timeline_write(&tl, &w), -1);
	CU_ASSERT_EQUAL(errno, ENOMEM);
	unit_fail_alloc(0);
	tsync_samples_free(&ss);
}

static void test_map_by_apic(void)
{
	const int vcpus[] = { 0, 2, 4, 6 };
	const uint32_t apic[] = { 6, 4, 2, 0 }, twice[] = { 2, 2, 4, 6 }, alien[] = { 0, 1, 2, 3 };
	const uint32_t one[] = { 4 }, alien_first[] = { 1, 0, 2, 4 };
	int of[4];

	CU_ASSERT_EQUAL(tsync_kvm_map(apic, 4, 4, vcpus, 4, of), 1);
	CU_ASSERT_EQUAL(of[0], 6);
	CU_ASSERT_EQUAL(of[3], 0);
	/* repeated, foreign or missing ids: by rank */
	CU_ASSERT_EQUAL(tsync_kvm_map(twice, 4, 4, vcpus, 4, of), 0);
	CU_ASSERT_EQUAL(of[1], 2);
	CU_ASSERT_EQUAL(tsync_kvm_map(alien, 4, 4, vcpus, 4, of), 0);
	CU_ASSERT_EQUAL(of[3], 6);
	CU_ASSERT_EQUAL(tsync_kvm_map(NULL, 0, 2, vcpus, 4, of), 0);
	CU_ASSERT_EQUAL(of[1], 2);
	CU_ASSERT_EQUAL(tsync_kvm_map(apic, 3, 4, vcpus, 4, of), 0);
	/* a guest of more CPUs than the VM has vCPUs: the wrong VM */
	CU_ASSERT_EQUAL(tsync_kvm_map(NULL, 0, 5, vcpus, 4, of), -1);
	CU_ASSERT_FALSE(tsync_kvm_by_apic(apic, 4, 0, vcpus, 4));
	CU_ASSERT_FALSE(tsync_kvm_by_apic(apic, 0, 0, vcpus, 4));
	/* one CPU maps by its id too; the first CPU's id counts as the others' */
	CU_ASSERT_EQUAL(tsync_kvm_map(one, 1, 1, vcpus, 4, of), 1);
	CU_ASSERT_EQUAL(of[0], 4);
	CU_ASSERT_EQUAL(tsync_kvm_map(alien_first, 4, 4, vcpus, 4, of), 0);
	CU_ASSERT_EQUAL(of[0], 0);
	/* no ids, whatever their count says */
	CU_ASSERT_EQUAL(tsync_kvm_map(NULL, 2, 2, vcpus, 4, of), 0);
	CU_ASSERT_EQUAL(of[1], 2);
}

static void test_offset_write_line(void)
{
	const char *line = "CPU 0/KVM-1234 (1200) [001] ..... 987654321: kvm_write_tsc_offset: "
			   "vcpu=1 prev=18446744073709551615 next=2000";
	struct tsync_offset_write w;
	int tgid;

	CU_ASSERT_EQUAL_FATAL(tsync_offset_write_parse(line, &tgid, &w), 0);
	CU_ASSERT_EQUAL(tgid, 1200);
	CU_ASSERT_EQUAL(w.host_ts, 987654321);
	CU_ASSERT_EQUAL(w.vcpu, 1);
	CU_ASSERT_EQUAL(w.prev, -1);
	CU_ASSERT_EQUAL(w.next, 2000);
	CU_ASSERT_EQUAL(tsync_offset_write_parse("x (1) [0] 5: kvm_write_tsc_offset: vcpu=1",
						 &tgid, &w), -1);
}

void add_kvm_timeline_suite(void)
{
	CU_pSuite suite = CU_add_suite("kvm-timeline", NULL, NULL);

	CU_add_test(suite, "an offset write hands over", test_write_hands_over);
	CU_add_test(suite, "a late write voids later samples", test_late_write_drops);
	CU_add_test(suite, "laying again adds nothing", test_lay_until_idempotent);
	CU_add_test(suite, "scaled: a sample every step", test_scaled_steps);
	CU_add_test(suite, "scaled, from no sample", test_scaled_from_nothing);
	CU_add_test(suite, "falling fast: good times only, once", test_fast_fall_good_times);
	CU_add_test(suite, "the old parameters hold to the write", test_write_ends_exactly);
	CU_add_test(suite, "out of memory", test_out_of_memory);
	CU_add_test(suite, "guest CPUs to vCPUs", test_map_by_apic);
	CU_add_test(suite, "kvm_write_tsc_offset from a trace_pipe line", test_offset_write_line);
}
