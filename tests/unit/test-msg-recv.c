// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync_msg_recv(), the gate every peer message passes, fed by hand-made
 * bytes on a stream socket pair (TCP and vsock are streams).  trace-cmd
 * 3.1.6 frames a message as a header (size of all, command, size of the
 * command's part), the time-sync part (protocol name, the protocol's
 * command) and the payload.  tsync refuses, as trace-cmd's own reader does,
 * a size beyond 8192 or short of the header and a command part longer than
 * the whole; and it refuses any other message than a time-sync one, another
 * protocol's message and a payload larger than the caller's buffer, and
 * leaves the buffer alone.  Whatever it refuses for what it holds, it reads
 * whole: the next message reads right.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <CUnit/CUnit.h>

#include "unit.h"

#define HEADER		12	/* size, cmd, cmd_size */
#define SYNC		20	/* protocol name, protocol command */
#define ROOM		64	/* the caller's payload buffer */
#define CANARY		0xa5

/* One connection: tsync reads fd[0], the test is the peer on fd[1] */
struct conn {
	int				fd[2];
	struct tracecmd_msg_handle	handle;
	struct tracecmd_time_sync	tsync;
	unsigned char			buf[ROOM + 16];	/* ROOM used, the rest a canary */
	unsigned int			size;
	unsigned int			cmd;
};

/* A time-sync message as trace-cmd frames it; tests break it on purpose */
struct message {
	struct tracecmd_msg_wire_header	header;
	struct tracecmd_msg_wire_tsync	sync;
	unsigned char			payload[TRACECMD_MSG_MAX];
} __attribute__((packed));

static void conn_open(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, c->fd), 0);
	c->handle.fd = c->fd[0];
	c->tsync.msg_handle = &c->handle;
	/* a message that never ends must fail the test, not hang it */
	tsync_msg_timeout(&c->tsync, 200);
	memset(c->buf, CANARY, sizeof(c->buf));
}

static void conn_close(struct conn *c)
{
	close(c->fd[0]);
	if (c->fd[1] >= 0)
		close(c->fd[1]);
}

/* The peer hangs up: whatever it sent stays readable */
static void hang_up(struct conn *c)
{
	close(c->fd[1]);
	c->fd[1] = -1;
}

/* A well-formed message of @proto with @len payload bytes 1, 2, 3... */
static size_t message(struct message *m, const char *proto, unsigned int cmd, size_t len)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->header.size = htobe32(HEADER + SYNC + len);
	m->header.cmd = htobe32(TRACECMD_MSG_TIME_SYNC);
	m->header.cmd_size = htobe32(SYNC);
	memcpy(m->sync.proto, proto, strnlen(proto, sizeof(m->sync.proto)));
	m->sync.id = htobe32(cmd);
	for (i = 0; i < len; i++)
		m->payload[i] = (unsigned char)(i + 1);
	return HEADER + SYNC + len;
}

static void peer_send(struct conn *c, const void *bytes, size_t len)
{
	CU_ASSERT_EQUAL_FATAL(write(c->fd[1], bytes, len), (ssize_t)len);
}

/* tsync_msg_recv() of "tsync-ptp" into ROOM bytes: 0, or -errno */
static int receive(struct conn *c)
{
	c->size = ROOM;
	errno = 0;
	if (tsync_msg_recv(&c->tsync, TSYNC_PTP_NAME, &c->cmd, c->buf, &c->size))
		return -errno;
	return 0;
}

/* Bytes from @from on are as conn_open() left them */
static bool untouched(const struct conn *c, unsigned int from)
{
	unsigned int i;

	for (i = from; i < sizeof(c->buf); i++)
		if (c->buf[i] != CANARY)
			return false;
	return true;
}

/* The connection still carries whole messages: the next one reads right */
static void still_framed(struct conn *c)
{
	struct message m;

	peer_send(c, &m, message(&m, TSYNC_PTP_NAME, 42, 3));
	CU_ASSERT_EQUAL(receive(c), 0);
	CU_ASSERT_EQUAL(c->cmd, 42);
	CU_ASSERT_EQUAL(c->size, 3);
	CU_ASSERT_EQUAL(c->buf[2], 3);
}

static void test_accepted(void)
{
	struct message m;
	struct conn c;
	size_t len;

	conn_open(&c);
	len = message(&m, TSYNC_PTP_NAME, 7, 10);
	peer_send(&c, &m, len);
	len = message(&m, TSYNC_PTP_NAME, 8, 0);
	peer_send(&c, &m, len);
	CU_ASSERT_EQUAL(receive(&c), 0);
	CU_ASSERT_EQUAL(c.cmd, 7);
	CU_ASSERT_EQUAL(c.size, 10);
	CU_ASSERT_EQUAL(c.buf[0], 1);
	CU_ASSERT_EQUAL(c.buf[9], 10);
	CU_ASSERT_TRUE(untouched(&c, 10));
	/* no payload: size 0, nothing written */
	memset(c.buf, CANARY, sizeof(c.buf));
	CU_ASSERT_EQUAL(receive(&c), 0);
	CU_ASSERT_EQUAL(c.cmd, 8);
	CU_ASSERT_EQUAL(c.size, 0);
	CU_ASSERT_TRUE(untouched(&c, 0));
	conn_close(&c);
}

/* A payload that just fits is taken; one byte more is refused, unwritten */
static void test_payload_larger_than_buffer(void)
{
	struct message m;
	struct conn c;

	conn_open(&c);
	peer_send(&c, &m, message(&m, TSYNC_PTP_NAME, 1, ROOM));
	CU_ASSERT_EQUAL(receive(&c), 0);
	CU_ASSERT_EQUAL(c.size, ROOM);
	CU_ASSERT_EQUAL(c.buf[ROOM - 1], ROOM);
	CU_ASSERT_TRUE(untouched(&c, ROOM));

	memset(c.buf, CANARY, sizeof(c.buf));
	peer_send(&c, &m, message(&m, TSYNC_PTP_NAME, 1, ROOM + 1));
	CU_ASSERT_EQUAL(receive(&c), -EMSGSIZE);
	CU_ASSERT_EQUAL(c.size, ROOM);		/* in, not out */
	CU_ASSERT_TRUE(untouched(&c, 0));
	/* trace-cmd took the whole message: the next one is intact */
	still_framed(&c);
	conn_close(&c);
}

/* trace-cmd's limit is 8192 bytes with the header: at it, and past it */
static void test_trace_cmd_size_limit(void)
{
	static struct message m;
	unsigned char big[TRACECMD_MSG_MAX];
	unsigned int size = sizeof(big);
	struct conn c;

	conn_open(&c);
	peer_send(&c, &m, message(&m, TSYNC_PTP_NAME, 1, TRACECMD_MSG_MAX - HEADER - SYNC));
	CU_ASSERT_EQUAL(tsync_msg_recv(&c.tsync, TSYNC_PTP_NAME, &c.cmd, big, &size), 0);
	CU_ASSERT_EQUAL(size, TRACECMD_MSG_MAX - HEADER - SYNC);
	CU_ASSERT_EQUAL(big[size - 1], (unsigned char)size);

	message(&m, TSYNC_PTP_NAME, 1, 0);
	m.header.size = htobe32(TRACECMD_MSG_MAX + 1);
	peer_send(&c, &m, HEADER + SYNC);
	CU_ASSERT_EQUAL(receive(&c), -EBADMSG);
	CU_ASSERT_TRUE(untouched(&c, 0));
	conn_close(&c);

	conn_open(&c);
	message(&m, TSYNC_PTP_NAME, 1, 0);
	m.header.size = htobe32(0xffffffff);
	peer_send(&c, &m, HEADER + SYNC);
	CU_ASSERT_EQUAL(receive(&c), -EBADMSG);
	conn_close(&c);
}

/* A size short of the header itself */
static void test_size_below_header(void)
{
	struct message m;
	struct conn c;

	conn_open(&c);
	message(&m, TSYNC_PTP_NAME, 1, 0);
	m.header.size = htobe32(HEADER - 1);
	peer_send(&c, &m, HEADER + SYNC);
	CU_ASSERT_EQUAL(receive(&c), -EBADMSG);
	CU_ASSERT_TRUE(untouched(&c, 0));
	conn_close(&c);
}

/* Another protocol's message, or a name that only begins like ours */
static void test_wrong_protocol(void)
{
	static const char * const names[] = {
		TSYNC_KVM_NAME, "tsync-pt", "tsync-ptp2", "TSYNC-PTP", "",
		TRACECMD_TSYNC_PROTO_NONE,
		"tsync-ptp\xff\xff\xff\xff\xff\xff\xff",	/* 16 bytes, no NUL */
	};
	struct message m;
	struct conn c;
	size_t i;

	conn_open(&c);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		peer_send(&c, &m, message(&m, names[i], 1, 4));
		CU_ASSERT_EQUAL(receive(&c), -EPROTO);
		CU_ASSERT_EQUAL(c.size, ROOM);
		CU_ASSERT_TRUE(untouched(&c, 0));
	}
	still_framed(&c);
	conn_close(&c);
}

/* A framework message, or a command trace-cmd does not know */
static void test_not_time_sync(void)
{
	struct message m;
	struct conn c;

	conn_open(&c);
	message(&m, TSYNC_PTP_NAME, 1, 0);
	m.header.cmd = htobe32(0);		/* CLOSE: a header only */
	m.header.cmd_size = 0;
	m.header.size = htobe32(HEADER);
	peer_send(&c, &m, HEADER);
	CU_ASSERT_EQUAL(receive(&c), -EOPNOTSUPP);
	CU_ASSERT_TRUE(untouched(&c, 0));
	conn_close(&c);

	/* trace-cmd's reader refuses a command out of its table unread: tsync reads it */
	conn_open(&c);
	message(&m, TSYNC_PTP_NAME, 1, 4);
	m.header.cmd = htobe32(1000);
	peer_send(&c, &m, HEADER + SYNC + 4);
	CU_ASSERT_EQUAL(receive(&c), -EOPNOTSUPP);
	CU_ASSERT_TRUE(untouched(&c, 0));
	still_framed(&c);
	conn_close(&c);
}

/*
 * The sizes disagree: a time-sync part missing (its bytes are then taken
 * for payload, the name read as empty), longer than the whole message, or
 * of a negative size.
 */
static void test_misframed(void)
{
	struct message m;
	struct conn c;

	conn_open(&c);
	message(&m, TSYNC_PTP_NAME, 1, 4);
	m.header.cmd_size = 0;
	peer_send(&c, &m, HEADER + SYNC + 4);
	CU_ASSERT_EQUAL(receive(&c), -EPROTO);
	CU_ASSERT_TRUE(untouched(&c, 0));
	still_framed(&c);
	conn_close(&c);

	/* just the header, no time-sync part at all */
	conn_open(&c);
	message(&m, TSYNC_PTP_NAME, 1, 0);
	m.header.size = htobe32(HEADER);
	m.header.cmd_size = 0;
	peer_send(&c, &m, HEADER);
	CU_ASSERT_EQUAL(receive(&c), -EPROTO);
	still_framed(&c);
	/* the same, saying it has one: a part longer than the whole */
	m.header.cmd_size = htobe32(SYNC);
	peer_send(&c, &m, HEADER);
	CU_ASSERT_EQUAL(receive(&c), -EINVAL);
	still_framed(&c);
	conn_close(&c);

	/* a time-sync part 8 bytes longer than the whole message */
	conn_open(&c);
	message(&m, TSYNC_PTP_NAME, 1, 0);
	m.header.cmd_size = htobe32(SYNC + 8);
	peer_send(&c, &m, HEADER + SYNC + 8);
	CU_ASSERT_EQUAL(receive(&c), -EINVAL);
	CU_ASSERT_TRUE(untouched(&c, 0));
	conn_close(&c);

	conn_open(&c);
	message(&m, TSYNC_PTP_NAME, 1, 4);
	m.header.cmd_size = htobe32(0x80000000);
	peer_send(&c, &m, HEADER + SYNC + 4);
	CU_ASSERT_EQUAL(receive(&c), -EINVAL);
	conn_close(&c);
}

/*
 * A time-sync part longer than trace-cmd's: the rest is skipped, and what
 * follows is the payload.  A newer peer may extend it this way.
 */
static void test_longer_sync_part(void)
{
	struct message m;
	struct conn c;

	conn_open(&c);
	message(&m, TSYNC_PTP_NAME, 5, 6);
	m.header.cmd_size = htobe32(SYNC + 2);
	peer_send(&c, &m, HEADER + SYNC + 6);
	CU_ASSERT_EQUAL(receive(&c), 0);
	CU_ASSERT_EQUAL(c.cmd, 5);
	CU_ASSERT_EQUAL(c.size, 4);
	CU_ASSERT_EQUAL(c.buf[0], 3);
	CU_ASSERT_TRUE(untouched(&c, 4));
	conn_close(&c);
}

/* The peer hangs up inside a message, or before one: an error, no payload */
static void test_truncated(void)
{
	static const size_t cuts[] = { 0, 5, HEADER, HEADER + 7, HEADER + SYNC,
				       HEADER + SYNC + 9 };
	struct message m;
	struct conn c;
	size_t i;

	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		conn_open(&c);
		message(&m, TSYNC_PTP_NAME, 1, 10);
		peer_send(&c, &m, cuts[i]);
		hang_up(&c);
		CU_ASSERT_EQUAL(receive(&c), -ENOTCONN);
		CU_ASSERT_EQUAL(c.size, ROOM);
		CU_ASSERT_TRUE(untouched(&c, 0));
		conn_close(&c);
	}
}

/* The peer stops inside a message and stays: the time limit ends the wait */
static void test_stalled(void)
{
	struct message m;
	struct conn c;

	conn_open(&c);
	peer_send(&c, &m, message(&m, TSYNC_PTP_NAME, 1, 10) - 1);
	CU_ASSERT_EQUAL(receive(&c), -ETIMEDOUT);
	CU_ASSERT_TRUE(untouched(&c, 0));
	conn_close(&c);
}

void add_msg_recv_suite(void)
{
	CU_pSuite suite = CU_add_suite("msg-recv", NULL, NULL);

	CU_add_test(suite, "messages taken whole", test_accepted);
	CU_add_test(suite, "payload larger than the buffer", test_payload_larger_than_buffer);
	CU_add_test(suite, "trace-cmd's 8192-byte limit", test_trace_cmd_size_limit);
	CU_add_test(suite, "size below the header", test_size_below_header);
	CU_add_test(suite, "another protocol", test_wrong_protocol);
	CU_add_test(suite, "not a time-sync message", test_not_time_sync);
	CU_add_test(suite, "mis-framed", test_misframed);
	CU_add_test(suite, "longer time-sync part skipped", test_longer_sync_part);
	CU_add_test(suite, "truncated by a hang-up", test_truncated);
	CU_add_test(suite, "stalled inside a message", test_stalled);
}
