// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync_peer_look() and tsync_peer_describe(): when the host has waited
 * too long on a guest, and the sentence that says why.  Times are in ms;
 * "ago" as TCP_INFO gives them.
 */
#include <string.h>
#include <CUnit/CUnit.h>

#include "unit.h"

#define BOUND	30000

/* look W AT SENT RECEIVED SENT_AGO RECEIVED_AGO HEARD_AGO: one look, its verdict */
static enum tsync_peer_verdict look(struct tsync_peer_wait *w, long long now,
				    unsigned long long sent, unsigned long long received,
				    long long sent_ago, long long received_ago, long long heard_ago,
				    long long *silent)
{
	struct tsync_peer_look l = {
		.now = now, .sent = sent, .received = received, .sent_ago = sent_ago,
		.received_ago = received_ago, .heard_ago = heard_ago,
	};

	return tsync_peer_look(w, &l, BOUND, silent);
}

/* start_look W AT RECEIVED HEARD_AGO UNREAD: a look before the data connections */
static enum tsync_peer_verdict start_look(struct tsync_peer_wait *w, long long now,
					  unsigned long long received, long long heard_ago,
					  bool unread, long long *silent)
{
	struct tsync_peer_look l = { now, 200, received, 5000, heard_ago, heard_ago, true, unread };

	return tsync_peer_look(w, &l, BOUND, silent);
}

/* The trace request and its answer, then an hour of tracing: nothing owed */
static void test_owes_nothing(void)
{
	struct tsync_peer_wait w;
	long long silent = -1;

	tsync_peer_wait_init(&w);
	CU_ASSERT_EQUAL(look(&w, 1000, 200, 1040000, 900, 850, 10, &silent),
			TSYNC_PEER_OWES_NOTHING);
	CU_ASSERT_EQUAL(silent, 0);
	CU_ASSERT_EQUAL(look(&w, 3601000, 200, 1040000, 3600900, 3600850, 3600000, &silent),
			TSYNC_PEER_OWES_NOTHING);
	/* request and answer between two looks, even within one tick of TCP's clock */
	CU_ASSERT_EQUAL(look(&w, 3602000, 220, 1040020, 500, 500, 500, &silent),
			TSYNC_PEER_OWES_NOTHING);
}

/* The request after an idle hour: silence counts from the request */
static void test_silence_from_request(void)
{
	struct tsync_peer_wait w;
	long long silent;

	tsync_peer_wait_init(&w);
	look(&w, 1000, 200, 1040000, 900, 850, 850, &silent);
	/* the close leaves at 3600000 */
	CU_ASSERT_EQUAL(look(&w, 3600250, 212, 1040000, 250, 3599400, 3599400, &silent),
			TSYNC_PEER_ANSWERING);
	CU_ASSERT_EQUAL(silent, 250);
	CU_ASSERT_EQUAL(look(&w, 3629999, 212, 1040000, 29999, 3629149, 3629149, &silent),
			TSYNC_PEER_ANSWERING);
	CU_ASSERT_EQUAL(look(&w, 3630000, 212, 1040000, 30000, 3629150, 3629150, &silent),
			TSYNC_PEER_SILENT);
	CU_ASSERT_EQUAL(silent, 30000);
}

/* TCP resends the close while nothing is acknowledged: no new request */
static void test_resends(void)
{
	struct tsync_peer_wait w;
	long long silent;

	tsync_peer_wait_init(&w);
	look(&w, 1000, 200, 1040000, 900, 850, 850, &silent);
	look(&w, 10000, 212, 1040000, 100, 9150, 9150, &silent);	/* asked at 9900 */
	/* TCP's own clock of the last send moves with each resend */
	CU_ASSERT_EQUAL(look(&w, 39899, 212, 1040000, 200, 39049, 39049, &silent),
			TSYNC_PEER_ANSWERING);
	CU_ASSERT_EQUAL(silent, 29999);
	CU_ASSERT_EQUAL(look(&w, 39900, 212, 1040000, 1, 39050, 39050, &silent),
			TSYNC_PEER_SILENT);
}

/* Data after the request is an answer: a long but healthy end is not cut */
static void test_data_is_an_answer(void)
{
	struct tsync_peer_wait w;
	long long silent, t;

	tsync_peer_wait_init(&w);
	look(&w, 1000, 200, 1040000, 900, 850, 850, &silent);
	look(&w, 10000, 212, 1040000, 0, 9150, 0, &silent);
	for (t = 10250; t < 10000 + 2 * BOUND; t += 250) {
		CU_ASSERT_EQUAL(look(&w, t, 212, 1040000, t - 10000, t - 850, 100, &silent),
				TSYNC_PEER_ANSWERING);
		CU_ASSERT_EQUAL(silent, 100);
	}
	/* then the data stops, and the answer never comes */
	t = 10000 + 2 * BOUND + BOUND - 100;
	CU_ASSERT_EQUAL(look(&w, t, 212, 1040000, t - 10000, t - 850, BOUND - 1, &silent),
			TSYNC_PEER_ANSWERING);
	CU_ASSERT_EQUAL(look(&w, t + 1, 212, 1040000, t + 1 - 10000, t - 849, BOUND, &silent),
			TSYNC_PEER_SILENT);
	CU_ASSERT_EQUAL(silent, BOUND);
	/* the answer: owes nothing again */
	CU_ASSERT_EQUAL(look(&w, t + 2, 212, 1040008, t + 2 - 10000, 0, 0, &silent),
			TSYNC_PEER_OWES_NOTHING);
}

/* Data that never ends holds the host TSYNC_PEER_MAX_BOUNDS bounds at most */
static void test_data_without_answer(void)
{
	long long limit = (long long)BOUND * TSYNC_PEER_MAX_BOUNDS, silent;
	struct tsync_peer_wait w;

	tsync_peer_wait_init(&w);
	look(&w, 1000, 200, 1040000, 900, 850, 850, &silent);
	look(&w, 10000, 212, 1040000, 0, 9150, 0, &silent);
	CU_ASSERT_EQUAL(look(&w, 10000 + limit - 1, 212, 1040000, 5, limit, 0, &silent),
			TSYNC_PEER_ANSWERING);
	CU_ASSERT_EQUAL(look(&w, 10000 + limit, 212, 1040000, 5, limit, 0, &silent),
			TSYNC_PEER_SILENT);
	CU_ASSERT_EQUAL(silent, 0);
}

/* A request and its answer, then a new request, all between two looks */
static void test_answer_then_request(void)
{
	struct tsync_peer_wait w;
	long long silent;

	tsync_peer_wait_init(&w);
	look(&w, 1000, 200, 1040000, 900, 850, 850, &silent);
	CU_ASSERT_EQUAL(look(&w, 1250, 230, 1040010, 20, 100, 20, &silent), TSYNC_PEER_ANSWERING);
	CU_ASSERT_EQUAL(silent, 20);
	/* the guest never answered the trace request: owes from the first look */
	tsync_peer_wait_init(&w);
	CU_ASSERT_EQUAL(look(&w, 1000, 200, 0, 300, 400, 400, &silent), TSYNC_PEER_ANSWERING);
	CU_ASSERT_EQUAL(silent, 300);
}

/* While the session starts the host waits on the guest throughout */
static void test_start(void)
{
	struct tsync_peer_wait w;
	long long silent, t;

	tsync_peer_wait_init(&w);
	/* the metadata comes: never silent for long */
	for (t = 1000; t < 1000 + 2 * BOUND; t += 250)
		CU_ASSERT_EQUAL(start_look(&w, t, t * 100, 10, false, &silent) ==
				TSYNC_PEER_SILENT, false);
	/* then nothing: silent a bound after its last byte */
	t = 1000 + 2 * BOUND;
	CU_ASSERT_EQUAL(start_look(&w, t + BOUND - 11, t * 100, BOUND - 1, false, &silent),
			TSYNC_PEER_ANSWERING);
	CU_ASSERT_EQUAL(start_look(&w, t + BOUND - 10, t * 100, BOUND, false, &silent),
			TSYNC_PEER_SILENT);
	/* unless its bytes wait unread: the host is the slow one */
	tsync_peer_wait_init(&w);
	start_look(&w, 1000, 100, 10, false, &silent);
	CU_ASSERT_EQUAL(start_look(&w, 1000 + 2 * BOUND, 100, 2 * BOUND, true, &silent),
			TSYNC_PEER_OWES_NOTHING);
	/* the data connections come: tracing, and an idle guest owes nothing */
	tsync_peer_wait_init(&w);
	start_look(&w, 1000, 100, 10, false, &silent);
	CU_ASSERT_EQUAL(look(&w, 1250, 200, 100, 5250, 260, 260, &silent),
			TSYNC_PEER_OWES_NOTHING);
	CU_ASSERT_EQUAL(look(&w, 1000 + 10 * BOUND, 200, 100, 10 * BOUND, 10 * BOUND,
			     10 * BOUND, &silent), TSYNC_PEER_OWES_NOTHING);
}

static void describe(const struct tsync_peer_facts *f, long long silent, char *buf, size_t size)
{
	int n = tsync_peer_describe(buf, size, "10.0.0.2:823", f, silent);

	CU_ASSERT(n > 0 && (size_t)n < size);
}

/* The sentence names the guest, what it stopped doing and where it stopped */
static void test_describe(void)
{
	struct tsync_peer_facts stopped = { .answered_once = true };
	struct tsync_peer_facts frozen = { .answered_once = true, .unacknowledged = true };
	struct tsync_peer_facts mute = { .unacknowledged = true };
	struct tsync_peer_facts streaming = { .answered_once = true, .sending_data = true };
	struct tsync_peer_facts early = { .answered_once = true, .starting = true };
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
	describe(&early, 0, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "stopped in the start of the session"));
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
	CU_add_test(suite, "resends are no new request", test_resends);
	CU_add_test(suite, "data is an answer", test_data_is_an_answer);
	CU_add_test(suite, "data without an answer", test_data_without_answer);
	CU_add_test(suite, "an answer and a new request in one look", test_answer_then_request);
	CU_add_test(suite, "the start of the session", test_start);
	CU_add_test(suite, "what the guest stopped doing", test_describe);
}
