// SPDX-License-Identifier: LGPL-2.1
/* tsync_array_room(): arrays that double, and never lose their capacity */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <CUnit/CUnit.h>

#include "unit.h"

static void test_grows_by_doubling(void)
{
	long *array = NULL, size = 0, nr;

	for (nr = 0; nr < 1000; nr++) {
		CU_ASSERT_EQUAL_FATAL(tsync_array_room(&array, &size, nr, sizeof(*array), 4), 0);
		CU_ASSERT_FATAL(nr < size);
		array[nr] = nr;
	}
	CU_ASSERT_EQUAL(size, 1024);
	CU_ASSERT_EQUAL(array[999], 999);
	CU_ASSERT_EQUAL(tsync_array_room(&array, &size, 10, sizeof(*array), 4), 0);
	CU_ASSERT_EQUAL(size, 1024);		/* room already there */
	free(array);
}

static void test_refuses_overflow(void)
{
	char *array = NULL;
	long size = LONG_MAX / 2 + 1;

	errno = 0;
	CU_ASSERT_EQUAL(tsync_array_room(&array, &size, size, 1, 4), -1);
	CU_ASSERT_EQUAL(errno, ENOMEM);
	CU_ASSERT_EQUAL(size, LONG_MAX / 2 + 1);	/* left as it was */
	CU_ASSERT_PTR_NULL(array);
}

/*
 * Requests that cannot give room are refused, the array left as it was: a
 * first capacity of 0, a size that overflows size_t, memory that runs out.
 */
static void test_refuses_no_room(void)
{
	long *array = NULL, size = 0;
	char *big = NULL;

	errno = 0;
	CU_ASSERT_EQUAL(tsync_array_room(&array, &size, 0, sizeof(*array), 0), -1);
	CU_ASSERT_EQUAL(errno, ENOMEM);
	CU_ASSERT_EQUAL(size, 0);
	CU_ASSERT_PTR_NULL(array);

	/* 8 elements of 2^62 bytes: the product wraps to 0 */
	errno = 0;
	CU_ASSERT_EQUAL(tsync_array_room(&big, &size, 0, (size_t)1 << 62, 8), -1);
	CU_ASSERT_EQUAL(errno, ENOMEM);
	CU_ASSERT_EQUAL(size, 0);
	CU_ASSERT_PTR_NULL(big);

	CU_ASSERT_EQUAL_FATAL(tsync_array_room(&array, &size, 0, sizeof(*array), 2), 0);
	array[0] = 5;
	array[1] = 6;
	errno = 0;
	unit_fail_alloc(1);
	CU_ASSERT_EQUAL(tsync_array_room(&array, &size, 2, sizeof(*array), 2), -1);
	unit_fail_alloc(0);
	CU_ASSERT_EQUAL(errno, ENOMEM);
	CU_ASSERT_EQUAL(size, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(array);
	CU_ASSERT_EQUAL(array[1], 6);
	free(array);
}

void add_array_suite(void)
{
	CU_pSuite suite = CU_add_suite("array", NULL, NULL);

	CU_add_test(suite, "grows by doubling", test_grows_by_doubling);
	CU_add_test(suite, "capacity overflow refused", test_refuses_overflow);
	CU_add_test(suite, "no room refused", test_refuses_no_room);
}
