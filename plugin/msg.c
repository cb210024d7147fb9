// SPDX-License-Identifier: LGPL-2.1
/*
 * Time-sync messages over trace-cmd's connection, checked before use: the
 * peer's protocol name, command and payload size must be exactly what the
 * caller expects, so a broken or hostile peer cannot steer a decoder.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tsync/tsync.h"

int tsync_msg_send(struct tracecmd_time_sync *tsync, const char *proto,
		   unsigned int cmd, const void *payload, unsigned int size)
{
	char name[TRACECMD_TSYNC_PNAME_LENGTH] = {};

	strncpy(name, proto, sizeof(name) - 1);
	return tracecmd_msg_send_time_sync(tsync->msg_handle, name, cmd, size,
					   (char *)payload);
}

/**
 * tsync_msg_recv - receive one message of protocol @proto
 * @tsync: the session
 * @proto: protocol the message must belong to
 * @cmd: returns the message's command
 * @payload: buffer of *@size bytes for the payload
 * @size: in: the buffer size; out: the payload size received
 *
 * Returns 0, or -1 with errno set: EPROTO for a message of another protocol,
 * EMSGSIZE for a payload larger than the buffer, or the transport's error.
 */
int tsync_msg_recv(struct tracecmd_time_sync *tsync, const char *proto,
		   unsigned int *cmd, void *payload, unsigned int *size)
{
	char name[TRACECMD_TSYNC_PNAME_LENGTH + 1] = {};
	unsigned int got = 0;
	char *buf = NULL;
	int ret;

	/* let trace-cmd allocate: only then does it tell the payload's size */
	ret = tracecmd_msg_recv_time_sync(tsync->msg_handle, name, cmd, &got, &buf);
	if (ret < 0) {
		free(buf);
		errno = ret < -1 ? -ret : ECONNRESET;
		return -1;
	}
	ret = -1;
	if (strcmp(name, proto))
		errno = EPROTO;
	else if (got > *size)
		errno = EMSGSIZE;
	else
		ret = 0;
	if (!ret) {
		if (got)
			memcpy(payload, buf, got);
		*size = got;
	}
	free(buf);
	return ret;
}
