// SPDX-License-Identifier: LGPL-2.1
/*
 * Time-sync messages over trace-cmd's connection, checked before use: the
 * peer's protocol name, command and payload size must be exactly what the
 * caller expects, so a broken or hostile peer cannot steer a decoder.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/time.h>
#include <unistd.h>

#include "tsync/plugin.h"

/*
 * A peer that died makes write() raise SIGPIPE, which would kill trace-cmd
 * and lose the host's trace.  tsync's own sends say MSG_NOSIGNAL; blocked in
 * the sync thread, the signal of trace-cmd's framework messages stays
 * pending there too, and their writes fail with EPIPE instead.
 */
static void block_sigpipe(void)
{
	static __thread bool blocked;
	sigset_t set;

	if (blocked)
		return;
	blocked = true;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* All of iov, however the socket takes it */
static int send_all(int fd, struct iovec *iov, int count)
{
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = count };
	ssize_t sent;

	while (msg.msg_iovlen) {
		sent = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0)
			return -1;
		while (msg.msg_iovlen && (size_t)sent >= msg.msg_iov->iov_len) {
			sent -= msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen) {
			msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + sent;
			msg.msg_iov->iov_len -= sent;
		}
	}
	return 0;
}

/*
 * trace-cmd frames a message in two writes, header and payload: on a
 * TCP_NODELAY connection, two segments, and the receiver wakes for each.
 * The second trip costs most on the slow side of a probe (a guest's network
 * stack, emulated under QEMU TCG: 40 us more one way than the other), and a
 * PTP midpoint takes half of any such difference as offset.  So tsync frames
 * its messages itself, the same bytes in one sendmsg(); trace-cmd's reader
 * on the other side does not see the difference.
 */
int tsync_msg_send(struct tracecmd_time_sync *tsync, const char *proto,
		   unsigned int cmd, const void *payload, unsigned int size)
{
	struct tracecmd_msg_wire_header header;
	struct tracecmd_msg_wire_tsync sync = {};
	struct iovec iov[3];

	block_sigpipe();
	tsync_fault_inject(proto, &cmd, &payload, &size);

	strncpy(sync.proto, proto, sizeof(sync.proto) - 1);
	sync.id = htobe32(cmd);
	header = (struct tracecmd_msg_wire_header) {
		.size = htobe32(sizeof(header) + sizeof(sync) + size),
		.cmd = htobe32(TRACECMD_MSG_TIME_SYNC),
		.cmd_size = htobe32(sizeof(sync)),
	};
	iov[0] = (struct iovec) { &header, sizeof(header) };
	iov[1] = (struct iovec) { &sync, sizeof(sync) };
	iov[2] = (struct iovec) { (void *)payload, size };
	return send_all(tsync->msg_handle->fd, iov, size ? 3 : 2);
}

/*
 * Exactly @len bytes of the stream: 0, or -1 with errno ENOTCONN for a peer
 * that hung up, ETIMEDOUT once tsync_msg_timeout()'s limit passed
 */
static int read_all(int fd, void *buf, size_t len)
{
	ssize_t got;

	while (len) {
		got = read(fd, buf, len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (!got)
				errno = ENOTCONN;
			else if (errno == EAGAIN || errno == EWOULDBLOCK)
				errno = ETIMEDOUT;
			return -1;
		}
		buf = (char *)buf + got;
		len -= got;
	}
	return 0;
}

/**
 * tsync_msg_recv - receive one message of protocol @proto
 * @tsync: the session
 * @proto: protocol the message must belong to
 * @cmd: returns the message's command
 * @payload: buffer of *@size bytes for the payload
 * @size: in: the buffer size; out: the payload size received
 *
 * tsync reads its messages itself, in two reads, the header and the rest:
 * trace-cmd's reader takes three and an allocation, and reads a time-sync
 * part longer than it knows into a static buffer without a bound.  The
 * stream stays framed as trace-cmd frames it: the next message, tsync's or
 * trace-cmd's own, is never touched.  A time-sync part of another size than
 * trace-cmd's is taken as trace-cmd takes it: a shorter one is padded with
 * zeros, the rest of a longer one skipped.
 *
 * Returns 0, or -1 with errno set: EBADMSG for a size beyond trace-cmd's
 * limit or short of the header, EINVAL for a time-sync part longer than the
 * message, EOPNOTSUPP for a message that is not a time-sync one, EPROTO for
 * another protocol's, EMSGSIZE for a payload larger than the buffer,
 * ENOTCONN or ETIMEDOUT (tsync_msg_timeout()), or the transport's error.
 * After EBADMSG and EINVAL the stream is no longer framed.  A message refused
 * for what it holds is also described on stderr: the caller's error says
 * what it waited for.
 */
int tsync_msg_recv(struct tracecmd_time_sync *tsync, const char *proto,
		   unsigned int *cmd, void *payload, unsigned int *size)
{
	char name[TRACECMD_TSYNC_PNAME_LENGTH + 1] = {};
	struct tracecmd_msg_wire_header header;
	struct tracecmd_msg_wire_tsync sync = {};
	unsigned char rest[TRACECMD_MSG_MAX];
	unsigned int total, part, got;
	int fd = tsync->msg_handle->fd;

	if (read_all(fd, &header, sizeof(header)))
		return -1;
	total = be32toh(header.size);
	part = be32toh(header.cmd_size);
	if (total > TRACECMD_MSG_MAX || total < sizeof(header)) {
		tsync_err("%s: the peer's message is larger than trace-cmd's %d bytes, "
			  "or shorter than its header", proto, TRACECMD_MSG_MAX);
		errno = EBADMSG;
		return -1;
	}
	total -= sizeof(header);
	if (part > total) {
		tsync_err("%s: the peer's message says its time-sync part is longer "
			  "than the message", proto);
		errno = EINVAL;
		return -1;
	}
	if (read_all(fd, rest, total))
		return -1;
	if (be32toh(header.cmd) != TRACECMD_MSG_TIME_SYNC) {
		tsync_err("%s: the peer sent trace-cmd message %u, not a time-sync one",
			  proto, be32toh(header.cmd));
		errno = EOPNOTSUPP;
		return -1;
	}
	memcpy(&sync, rest, part < sizeof(sync) ? part : sizeof(sync));
	memcpy(name, sync.proto, sizeof(sync.proto));
	*cmd = be32toh(sync.id);
	got = total - part;
	if (strcmp(name, proto)) {
		tsync_err("%s: the peer sent a message of protocol '%s'", proto, name);
		errno = EPROTO;
		return -1;
	}
	if (got > *size) {
		tsync_err("%s: the peer sent %u bytes where %u at most fit (command %u)",
			  proto, got, *size, *cmd);
		errno = EMSGSIZE;
		return -1;
	}
	if (got)
		memcpy(payload, rest + part, got);
	*size = got;
	return 0;
}

/**
 * tsync_msg_wait - wait until the peer's next message begins to arrive
 * @tsync: the session
 *
 * Lets a probe stamp its arrival before trace-cmd reads the message: its
 * two reads and their copies then fall outside the measured trip, on a slow
 * guest as on the host.  Within a sync point, where it is called, both
 * sides' receives give up after TSYNC_ANSWER_MS (tsync_msg_timeout()): so
 * does the wait, and the receive that follows reports the timeout or a
 * closed connection.
 */
void tsync_msg_wait(struct tracecmd_time_sync *tsync)
{
	struct pollfd pfd = { .fd = tsync->msg_handle->fd, .events = POLLIN };

	while (poll(&pfd, 1, TSYNC_ANSWER_MS) < 0 && errno == EINTR)
		;
}

/**
 * tsync_msg_timeout - give up waiting for the peer after @ms milliseconds
 * @tsync: the session
 * @ms: the time limit of one receive; 0 for none
 *
 * The host's sync thread reads the socket only while it waits for an
 * answer: a guest that died with its sockets held open by its recorders
 * would otherwise hold it, and trace-cmd with it, forever.  A guest waits
 * for the next sync point on the same socket, without limit.
 */
void tsync_msg_timeout(struct tracecmd_time_sync *tsync, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	if (tsync->msg_handle &&
	    setsockopt(tsync->msg_handle->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		tsync_err("cannot set a time limit on the sync connection: %m");
}

/**
 * tsync_msg_peer - the other side of the sync connection, for messages
 * @tsync: the session
 * @buf: room for "ADDR:PORT"
 * @size: its size
 *
 * Returns @buf: the address, or "?" when the connection has none to show.
 * errno is kept, for a %m after it.
 */
const char *tsync_msg_peer(struct tracecmd_time_sync *tsync, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[INET6_ADDRSTRLEN] = "?";
	int err = errno, port = -1;

	if (tsync->msg_handle &&
	    !getpeername(tsync->msg_handle->fd, (struct sockaddr *)&ss, &len)) {
		if (ss.ss_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr));
			port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr,
				  sizeof(addr));
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		}
	}
	if (port < 0)
		snprintf(buf, size, "%s", addr);
	else
		snprintf(buf, size, "%s:%d", addr, port);
	errno = err;
	return buf;
}
