// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync_parse_number(): decimal numbers as debugfs prints them, nothing
 * else.  Texts come in allocations of their exact length, without a NUL,
 * so a read past @len shows under AddressSanitizer.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "unit.h"

/* Parses @text, without its NUL: the result, the value in *@val, errno in *@err */
static int parse(const char *text, bool is_signed, long long *val, int *err)
{
	size_t len = strlen(text);
	char *exact = malloc(len);
	int ret;

	CU_ASSERT_PTR_NOT_NULL_FATAL(exact);
	memcpy(exact, text, len);
	*val = 12345;
	errno = 0;
	ret = tsync_parse_number(exact, len, is_signed, val);
	*err = errno;
	free(exact);
	return ret;
}

static void test_accepted(void)
{
	static const struct {
		const char	*text;
		bool		is_signed;
		long long	val;
	} good[] = {
		{ "0", false, 0 },
		{ "123", false, 123 },
		{ "123\n", false, 123 },
		{ "  42 \n", false, 42 },
		{ "\t7", true, 7 },
		{ "-5", true, -5 },
		{ " -5 ", true, -5 },
		{ "18446744073709551615", false, -1 },		/* the bits of 2^64 - 1 */
		{ "9223372036854775807", true, LLONG_MAX },
		{ "-9223372036854775808", true, LLONG_MIN },
		{ "0000000000000000000000000000012", false, 12 },	/* 31 digits */
	};
	long long val;
	size_t i;
	int err;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CU_ASSERT_EQUAL(parse(good[i].text, good[i].is_signed, &val, &err), 0);
		CU_ASSERT_EQUAL(val, good[i].val);
	}
}

static void test_refused(void)
{
	static const struct {
		const char	*text;
		bool		is_signed;
		int		err;
	} bad[] = {
		{ "", false, EINVAL },
		{ "   ", true, EINVAL },
		{ "12 34", false, EINVAL },
		{ "12x", false, EINVAL },
		{ "x12", true, EINVAL },
		{ "-5", false, EINVAL },
		{ "-", true, EINVAL },
		{ "--5", true, EINVAL },
		{ "+5", true, EINVAL },
		{ "1e3", false, EINVAL },
		{ "0x10", false, EINVAL },
		{ "18446744073709551616", false, ERANGE },
		{ "9223372036854775808", true, ERANGE },
		{ "-9223372036854775809", true, ERANGE },
		{ "00000000000000000000000000000012", false, EINVAL },	/* 32 characters */
		{ "1234567890123456789012345678901234567890", false, EINVAL },
	};
	long long val;
	size_t i;
	int err;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(parse(bad[i].text, bad[i].is_signed, &val, &err), -1);
		CU_ASSERT_EQUAL(err, bad[i].err);
		if (err != bad[i].err)
			fprintf(stderr, "\n    '%s': errno %d\n", bad[i].text, err);
	}
}

/* Only @len bytes count: what follows them is not part of the number */
static void test_length(void)
{
	long long val = 0;

	CU_ASSERT_EQUAL(tsync_parse_number("123456", 3, false, &val), 0);
	CU_ASSERT_EQUAL(val, 123);
	CU_ASSERT_EQUAL(tsync_parse_number("12 x", 3, false, &val), 0);
	CU_ASSERT_EQUAL(val, 12);
	CU_ASSERT_EQUAL(tsync_parse_number(" 5", 1, false, &val), -1);
	CU_ASSERT_EQUAL(tsync_parse_number("7", 0, false, &val), -1);
}

void add_number_suite(void)
{
	CU_pSuite suite = CU_add_suite("number", NULL, NULL);

	CU_add_test(suite, "numbers accepted", test_accepted);
	CU_add_test(suite, "everything else refused", test_refused);
	CU_add_test(suite, "only len bytes", test_length);
}
