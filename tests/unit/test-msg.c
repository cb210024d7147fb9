// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync's own framing of time-sync messages (msg.c) on a socket pair: the
 * bytes trace-cmd's reader expects, all in one write (a SOCK_SEQPACKET
 * pair keeps writes apart, so a second one would show), and a wait that
 * sees a message arrive without taking it.
 */
#include <endian.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <CUnit/CUnit.h>

#include "unit.h"

struct wire {
	struct tracecmd_msg_wire_header	header;
	struct tracecmd_msg_wire_tsync	sync;
	char				payload[64];
} __attribute__((packed));

static int pair[2] = { -1, -1 };
static struct tracecmd_msg_handle handle;
static struct tracecmd_time_sync session = { .msg_handle = &handle };

static int open_pair(void)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair))
		return -1;
	handle.fd = pair[0];
	return 0;
}

static int close_pair(void)
{
	close(pair[0]);
	close(pair[1]);
	return 0;
}

/* The first write that arrived: its size, or -1 */
static ssize_t arrived(struct wire *w)
{
	memset(w, 0, sizeof(*w));
	return recv(pair[1], w, sizeof(*w), MSG_DONTWAIT);
}

static void test_framing(void)
{
	const char payload[] = { 1, 2, 3, 4, 5 };
	struct wire w;

	CU_ASSERT_EQUAL_FATAL(tsync_msg_send(&session, "tsync-ptp", 2, payload,
					     sizeof(payload)), 0);
	CU_ASSERT_EQUAL_FATAL(arrived(&w), 12 + 20 + 5);
	CU_ASSERT_EQUAL(be32toh(w.header.size), 12 + 20 + 5);
	CU_ASSERT_EQUAL(be32toh(w.header.cmd), TRACECMD_MSG_TIME_SYNC);
	CU_ASSERT_EQUAL(be32toh(w.header.cmd_size), 20);
	CU_ASSERT_STRING_EQUAL(w.sync.proto, "tsync-ptp");
	CU_ASSERT_EQUAL(be32toh(w.sync.id), 2);
	CU_ASSERT_EQUAL(memcmp(w.payload, payload, sizeof(payload)), 0);
}

/* No payload; a name that fills the field keeps its terminating NUL */
static void test_empty_and_long_name(void)
{
	struct wire w;

	CU_ASSERT_EQUAL_FATAL(tsync_msg_send(&session, "a-protocol-name-too-long", 7,
					     NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(arrived(&w), 12 + 20);
	CU_ASSERT_EQUAL(be32toh(w.header.size), 12 + 20);
	CU_ASSERT_EQUAL(memcmp(w.sync.proto, "a-protocol-name", 16), 0);
	CU_ASSERT_EQUAL(be32toh(w.sync.id), 7);
}

/* The wait returns once bytes are there, and leaves them to the reader */
static void test_wait_leaves_message(void)
{
	char byte = 'x', got = 0;

	CU_ASSERT_EQUAL_FATAL(write(pair[1], &byte, 1), 1);
	tsync_msg_wait(&session);
	CU_ASSERT_EQUAL(recv(pair[0], &got, 1, MSG_DONTWAIT), 1);
	CU_ASSERT_EQUAL(got, 'x');
}

/* A peer that is gone: an error, not SIGPIPE */
static void test_dead_peer(void)
{
	int fds[2];

	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	close(fds[1]);
	handle.fd = fds[0];
	CU_ASSERT_EQUAL(tsync_msg_send(&session, "tsync-ptp", 1, "x", 1), -1);
	handle.fd = pair[0];
	close(fds[0]);
}

void add_msg_suite(void)
{
	CU_pSuite suite = CU_add_suite("msg", open_pair, close_pair);

	CU_add_test(suite, "one write in trace-cmd's framing", test_framing);
	CU_add_test(suite, "no payload, a long name", test_empty_and_long_name);
	CU_add_test(suite, "the wait leaves the message", test_wait_leaves_message);
	CU_add_test(suite, "a dead peer is an error", test_dead_peer);
}
