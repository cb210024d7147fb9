// SPDX-License-Identifier: LGPL-2.1
/*
 * kvm_write_tsc_offset as the plugin reads it from a trace_pipe line
 * (tsync_offset_write_parse()), and writes put in host time order.  Lines
 * are parsed from heap copies, so that a read outside one is caught.
 */
#include <CUnit/CUnit.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static int parse(const char *line, int *tgid, struct tsync_offset_write *w)
{
	char *copy = strdup(line);
	int ret = tsync_offset_write_parse(copy, tgid, w);

	free(copy);
	return ret;
}

static void test_good_lines(void)
{
	struct tsync_offset_write w;
	int tgid;

	CU_ASSERT_EQUAL_FATAL(parse("CPU 1/KVM-77 (70) [000] d..1. 42: kvm_write_tsc_offset: "
				    "vcpu=2147483647 prev=0 next=9", &tgid, &w), 0);
	CU_ASSERT_EQUAL(tgid, 70);
	CU_ASSERT_EQUAL(w.host_ts, 42);
	CU_ASSERT_EQUAL(w.vcpu, INT_MAX);
	CU_ASSERT_EQUAL(w.prev, 0);
	CU_ASSERT_EQUAL(w.next, 9);
	/* the timestamp right after the tgid, with no CPU or flags between */
	CU_ASSERT_EQUAL(parse("q (5) 8: kvm_write_tsc_offset: vcpu=0 prev=1 next=2", &tgid, &w), 0);
	CU_ASSERT_EQUAL(w.host_ts, 8);
	CU_ASSERT_EQUAL(tgid, 5);
}

/* Each line breaks one rule; none may parse, none may read outside itself */
static void test_bad_lines(void)
{
	static const char *const bad[] = {
		"",
		"no event here (1) [0] 5: sched_switch: x",
		/* no tgid at all, or one that is not a number */
		"CPU 0/KVM-1 [000] 5: kvm_write_tsc_offset: vcpu=1 prev=0 next=1",
		"CPU 0/KVM-1 (abc) [000] 5: kvm_write_tsc_offset: vcpu=1 prev=0 next=1",
		/* the tgid after the event */
		"x [0] 5: kvm_write_tsc_offset: vcpu=1 prev=0 next=1 (3)",
		/* the timestamp not followed by ": " right before the event */
		"x (1) [0] 5:x kvm_write_tsc_offset: vcpu=1 prev=0 next=1",
		"x (1) [0] 5 : kvm_write_tsc_offset: vcpu=1 prev=0 next=1",
		"x (1)5: kvm_write_tsc_offset: vcpu=1 prev=0 next=1",
		"(1)5: kvm_write_tsc_offset: vcpu=1 prev=0 next=1",
		"x (1) [0] abc: kvm_write_tsc_offset: vcpu=1 prev=0 next=1",
		/* fields missing, or a vCPU beyond an int */
		"x (1) [0] 5: kvm_write_tsc_offset: vcpu=1",
		"x (1) [0] 5: kvm_write_tsc_offset: vcpu=1 prev=0 next=",
		"x (1) [0] 5: kvm_write_tsc_offset: vcpu=2147483648 prev=0 next=1",
		"x (1) [0] 5: kvm_write_tsc_offset: vcpu=4294967295 prev=0 next=1",
	};
	struct tsync_offset_write w;
	unsigned int i;
	int tgid;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(parse(bad[i], &tgid, &w), -1);
}

static void test_sort(void)
{
	struct tsync_offset_write w[5] = {
		{ .host_ts = 30, .vcpu = 0 }, { .host_ts = 10, .vcpu = 1 },
		{ .host_ts = 50, .vcpu = 2 }, { .host_ts = 20, .vcpu = 3 },
		{ .host_ts = 40, .vcpu = 4 },
	};
	int i;

	tsync_offset_writes_sort(w, 5);
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(w[i].host_ts, 10 * (i + 1));
	CU_ASSERT_EQUAL(w[0].vcpu, 1);
	CU_ASSERT_EQUAL(w[4].vcpu, 2);
	/* none at all: nothing to sort, no array needed */
	tsync_offset_writes_sort(NULL, 0);
}

void add_offset_write_suite(void)
{
	CU_pSuite suite = CU_add_suite("offset-write", NULL, NULL);

	CU_add_test(suite, "well-formed offset writes", test_good_lines);
	CU_add_test(suite, "malformed ones refused", test_bad_lines);
	CU_add_test(suite, "writes in host time order", test_sort);
}
