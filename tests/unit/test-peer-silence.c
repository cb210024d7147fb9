// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync_peer_judge() and tsync_peer_describe(): when the host has waited
 * too long on a guest, and the sentence that says why.  Times are how long
 * ago, in ms, as TCP_INFO gives them.
 */
#include <string.h>
#include <CUnit/CUnit.h>

#include "unit.h"

#define BOUND	30000

static enum tsync_peer_verdict judge(long long asked, long long answered, long long heard,
				     long long *silent)
{
	struct tsync_peer_times t = { asked, answered, heard };

	return tsync_peer_judge(&t, BOUND, silent);
}

/* During the trace the host asks nothing: an idle guest is never cut */
static void test_owes_nothing(void)
{
	long long silent = -1;

	/* answered 10 min after the request, idle since */
	CU_ASSERT_EQUAL(judge(3600000, 3000000, 3000000, &silent), TSYNC_PEER_OWES_NOTHING);
	CU_ASSERT_EQUAL(silent, 0);
	/* request and answer within one tick of the clock */
	CU_ASSERT_EQUAL(judge(500000, 500000, 500000, &silent), TSYNC_PEER_OWES_NOTHING);
	/* never asked at all: TCP says "long ago" for both */
	CU_ASSERT_EQUAL(judge(4000000000LL, 4000000, 4000000, &silent), TSYNC_PEER_OWES_NOTHING);
}

/* Silence counts from the later of the request and the guest's last byte */
static void test_silence_from_request(void)
{
	long long silent;

	/* idle for an hour, then asked 29.999 s ago: not yet */
	CU_ASSERT_EQUAL(judge(29999, 3600000, 3600000, &silent), TSYNC_PEER_ANSWERING);
	CU_ASSERT_EQUAL(silent, 29999);
	CU_ASSERT_EQUAL(judge(30000, 3600000, 3600000, &silent), TSYNC_PEER_SILENT);
	CU_ASSERT_EQUAL(silent, 30000);
}

/* A guest that sends its data after the request is answering */
static void test_data_is_an_answer(void)
{
	long long silent;

	/* asked 100 s ago, data until 1 s ago: a long but healthy end */
	CU_ASSERT_EQUAL(judge(100000, 200000, 1000, &silent), TSYNC_PEER_ANSWERING);
	CU_ASSERT_EQUAL(silent, 1000);
	/* its data stopped a bound ago, the answer never came */
	CU_ASSERT_EQUAL(judge(100000, 200000, 30000, &silent), TSYNC_PEER_SILENT);
	CU_ASSERT_EQUAL(silent, 30000);
	CU_ASSERT_EQUAL(judge(100000, 200000, 29999, &silent), TSYNC_PEER_ANSWERING);
}

/* Data that never ends holds the host TSYNC_PEER_MAX_BOUNDS bounds at most */
static void test_data_without_answer(void)
{
	long long limit = (long long)BOUND * TSYNC_PEER_MAX_BOUNDS, silent;

	CU_ASSERT_EQUAL(judge(limit - 1, limit + 5000, 0, &silent), TSYNC_PEER_ANSWERING);
	CU_ASSERT_EQUAL(judge(limit, limit + 5000, 0, &silent), TSYNC_PEER_SILENT);
	CU_ASSERT_EQUAL(silent, 0);
}

static void describe(const struct tsync_peer_facts *f, long long silent, char *buf, size_t size)
{
	int n = tsync_peer_describe(buf, size, "10.0.0.2:823", f, silent);

	CU_ASSERT(n > 0 && (size_t)n < size);
}

/* The sentence names the guest, what it stopped doing and where it stopped */
static void test_describe(void)
{
	struct tsync_peer_facts stopped = { true, false, false };
	struct tsync_peer_facts frozen = { true, false, true };
	struct tsync_peer_facts mute = { false, false, true };
	struct tsync_peer_facts streaming = { true, true, false };
	char buf[384];

	describe(&stopped, 30250, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "guest 10.0.0.2:823 stopped answering the host's request to end its trace"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "silent for 30.2 s"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "its agent stopped"));
	describe(&frozen, 5000, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "the guest or the network is down"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "silent for 5.0 s"));
	describe(&mute, 1000, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "answered nothing to the host's trace request"));
	describe(&streaming, 0, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "sends trace data but never answers"));
	/* cut short, never past its room */
	memset(buf, 'x', sizeof(buf));
	CU_ASSERT(tsync_peer_describe(buf, 16, "10.0.0.2:823", &stopped, 0) > 16);
	CU_ASSERT_EQUAL(strlen(buf), 15);
	CU_ASSERT_EQUAL(buf[16], 'x');
}

void add_peer_silence_suite(void)
{
	CU_pSuite suite = CU_add_suite("peer silence", NULL, NULL);

	CU_add_test(suite, "a guest asked nothing owes nothing", test_owes_nothing);
	CU_add_test(suite, "silence from the request", test_silence_from_request);
	CU_add_test(suite, "data is an answer", test_data_is_an_answer);
	CU_add_test(suite, "data without an answer", test_data_without_answer);
	CU_add_test(suite, "what the guest stopped doing", test_describe);
}
