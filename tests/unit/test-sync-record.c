// SPDX-License-Identifier: LGPL-2.1
/*
 * The sync record: the host's estimate of a sync point, sent to the guest
 * and kept in its trace.  The guest takes only a record that is exactly
 * right for the CPU it syncs.
 */
#include <limits.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "unit.h"

static void test_round_trip(void)
{
	static const struct tsync_sync_record records[] = {
		{ .cpu = 0, .guest_ts = 1, .offset = 0, .bound = 0 },
		{ .cpu = 3, .guest_ts = LLONG_MAX, .offset = LLONG_MIN, .bound = LLONG_MAX },
		{ .cpu = UINT_MAX, .guest_ts = LLONG_MIN, .offset = LLONG_MAX, .bound = -1 },
	};
	unsigned char wire[TSYNC_RECORD_SIZE];
	struct tsync_sync_record back;
	unsigned int i;

	for (i = 0; i < sizeof(records) / sizeof(records[0]); i++) {
		tsync_record_encode(&records[i], wire);
		CU_ASSERT_EQUAL_FATAL(tsync_record_decode(wire, sizeof(wire), records[i].cpu,
							  &back), 0);
		CU_ASSERT_EQUAL(back.cpu, records[i].cpu);
		CU_ASSERT_EQUAL(back.guest_ts, records[i].guest_ts);
		CU_ASSERT_EQUAL(back.offset, records[i].offset);
		CU_ASSERT_EQUAL(back.bound, records[i].bound);
	}
}

/* Big endian on the wire, whatever the host */
static void test_wire_order(void)
{
	struct tsync_sync_record r = { .cpu = 0x01020304, .guest_ts = 0x05, .offset = -2,
				       .bound = 7 };
	unsigned char wire[TSYNC_RECORD_SIZE];

	tsync_record_encode(&r, wire);
	CU_ASSERT_EQUAL(wire[0], 0x01);
	CU_ASSERT_EQUAL(wire[3], 0x04);
	CU_ASSERT_EQUAL(wire[11], 0x05);
	CU_ASSERT_EQUAL(wire[12], 0xff);
	CU_ASSERT_EQUAL(wire[19], 0xfe);
	CU_ASSERT_EQUAL(wire[27], 0x07);
}

static void test_rejected(void)
{
	struct tsync_sync_record r = { .cpu = 1, .guest_ts = 10, .offset = 5, .bound = 2 };
	unsigned char wire[TSYNC_RECORD_SIZE + 1];
	struct tsync_sync_record back;

	tsync_record_encode(&r, wire);
	CU_ASSERT_EQUAL(tsync_record_decode(wire, TSYNC_RECORD_SIZE - 1, 1, &back), -1);
	CU_ASSERT_EQUAL(tsync_record_decode(wire, TSYNC_RECORD_SIZE + 1, 1, &back), -1);
	CU_ASSERT_EQUAL(tsync_record_decode(wire, 0, 1, &back), -1);
	CU_ASSERT_EQUAL(tsync_record_decode(wire, TSYNC_RECORD_SIZE, 0, &back), -1);
	r.bound = -2;
	tsync_record_encode(&r, wire);
	CU_ASSERT_EQUAL(tsync_record_decode(wire, TSYNC_RECORD_SIZE, 1, &back), -1);
	r.bound = LLONG_MIN;
	tsync_record_encode(&r, wire);
	CU_ASSERT_EQUAL(tsync_record_decode(wire, TSYNC_RECORD_SIZE, 1, &back), -1);
}

static void test_line(void)
{
	struct tsync_sync_record r = { .cpu = 1, .guest_ts = 3290265180181LL, .offset = -52,
				       .bound = 37024 };
	struct tsync_sync_record widest = { .cpu = UINT_MAX, .guest_ts = LLONG_MIN,
					    .offset = LLONG_MIN, .bound = LLONG_MAX };
	char line[TSYNC_RECORD_LINE];
	int len;

	len = tsync_record_line(line, sizeof(line), TSYNC_PTP_NAME, &r);
	CU_ASSERT_STRING_EQUAL(line, "tsync-sync: proto=tsync-ptp cpu=1 ts=3290265180181 "
			       "offset=-52 bound=37024");
	CU_ASSERT_EQUAL(len, (int)strlen(line));
	CU_ASSERT(tsync_record_line(line, sizeof(line), "fifteen-chars-x", &widest) > 0);
	CU_ASSERT_EQUAL(tsync_record_line(line, 20, TSYNC_PTP_NAME, &r), -1);
	/* room for the line and its NUL, and one byte less */
	CU_ASSERT_EQUAL(tsync_record_line(line, len + 1, TSYNC_PTP_NAME, &r), len);
	CU_ASSERT_EQUAL(tsync_record_line(line, len, TSYNC_PTP_NAME, &r), -1);
}

/* The host's copy of a record finds its guest file by its sample */
static void test_is_sample(void)
{
	struct tsync_sample cpu0[2] = { { 100, -5, 1, 0 }, { 200, -7, 1, 0 } };
	struct tsync_sample cpu1[1] = { { 150, -6, 3, 1 } };
	struct tsync_samples cpus[2] = { { .at = cpu0, .nr = 2 }, { .at = cpu1, .nr = 1 } };
	struct tsync_time_shift ts = { .cpu_count = 2, .cpus = cpus };
	struct tsync_sync_record r = { .cpu = 0, .guest_ts = 200, .offset = -7, .bound = 3 };

	CU_ASSERT_TRUE(tsync_record_is_sample(&ts, &r));
	r.offset = -6;
	CU_ASSERT_FALSE(tsync_record_is_sample(&ts, &r));
	r = (struct tsync_sync_record){ .cpu = 1, .guest_ts = 200, .offset = -7 };
	CU_ASSERT_FALSE(tsync_record_is_sample(&ts, &r));
	/* a scaled sample is none of tsync-ptp's */
	r = (struct tsync_sync_record){ .cpu = 1, .guest_ts = 150, .offset = -6 };
	CU_ASSERT_FALSE(tsync_record_is_sample(&ts, &r));
	r = (struct tsync_sync_record){ .cpu = 2, .guest_ts = 100, .offset = -5 };
	CU_ASSERT_FALSE(tsync_record_is_sample(&ts, &r));
	r.cpu = UINT_MAX;
	CU_ASSERT_FALSE(tsync_record_is_sample(&ts, &r));
	r.cpu = 0;
	CU_ASSERT_TRUE(tsync_record_is_sample(&ts, &r));
}

void add_sync_record_suite(void)
{
	CU_pSuite suite = CU_add_suite("sync-record", NULL, NULL);

	CU_add_test(suite, "a record of a sample, and of none", test_is_sample);
	CU_add_test(suite, "round trip at extreme values", test_round_trip);
	CU_add_test(suite, "big endian on the wire", test_wire_order);
	CU_add_test(suite, "wrong size, CPU or bound rejected", test_rejected);
	CU_add_test(suite, "the line in the guest's trace", test_line);
}
