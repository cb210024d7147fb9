// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync_spin_now() and tsync_spin_done(): a wait spins while spinning sees
 * the answers; after spins in vain, the waits sleep, twice as many after
 * each, up to TSYNC_SPIN_MAX_SKIP, and one answer seen starts over.
 */
#include <CUnit/CUnit.h>

#include "unit.h"

/* How many waits sleep at once before the next one spins */
static unsigned int sleeps_before_spin(struct tsync_spin *s)
{
	unsigned int n = 0;

	while (!tsync_spin_now(s))
		n++;
	return n;
}

static void test_spins_while_answered(void)
{
	struct tsync_spin s = {};
	int i;

	for (i = 0; i < 1000; i++) {
		CU_ASSERT_TRUE(tsync_spin_now(&s));
		tsync_spin_done(&s, true);
	}
}

static void test_backs_off_in_vain(void)
{
	struct tsync_spin s = {};
	unsigned int want = 1;
	int i;

	CU_ASSERT_TRUE(tsync_spin_now(&s));
	for (i = 0; i < 12; i++) {
		tsync_spin_done(&s, false);
		CU_ASSERT_EQUAL(sleeps_before_spin(&s), want);
		want = want * 2 > TSYNC_SPIN_MAX_SKIP ? TSYNC_SPIN_MAX_SKIP : want * 2;
	}
	CU_ASSERT_EQUAL(want, TSYNC_SPIN_MAX_SKIP);
}

static void test_answer_starts_over(void)
{
	struct tsync_spin s = {};

	tsync_spin_done(&s, false);
	sleeps_before_spin(&s);
	tsync_spin_done(&s, false);
	CU_ASSERT_EQUAL(sleeps_before_spin(&s), 2);
	tsync_spin_done(&s, true);
	CU_ASSERT_TRUE(tsync_spin_now(&s));
	tsync_spin_done(&s, false);
	CU_ASSERT_EQUAL(sleeps_before_spin(&s), 1);
}

void add_spin_wait_suite(void)
{
	CU_pSuite suite = CU_add_suite("spin-wait", NULL, NULL);

	CU_add_test(suite, "spins while the answers come", test_spins_while_answered);
	CU_add_test(suite, "sleeps twice as long after each spin in vain",
		    test_backs_off_in_vain);
	CU_add_test(suite, "an answer seen starts over", test_answer_starts_over);
}
