// SPDX-License-Identifier: LGPL-2.1
/*
 * TCP_NODELAY on trace-cmd's TCP connections.
 *
 * trace-cmd 3.1.6 sends every message as two writes (header, then body).
 * With Nagle's algorithm the second write waits for the delayed ACK of the
 * first, about 40 ms: a sync point of trace-cmd's ptp then takes some 30 s
 * and its offsets end up milliseconds off.  The sync socket is made by
 * trace-cmd's connect() on the host and accept() in the agent, before any
 * protocol code runs, so tsync sets the option there: it then also serves
 * trace-cmd's built-in protocols when a peer runs stock trace-cmd.
 */
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "tsync/plugin.h"

static bool nodelay_enabled;

void tsync_nodelay_enable(void)
{
	nodelay_enabled = true;
}

static void set_nodelay(int fd)
{
	struct sockaddr_storage addr;
	socklen_t len = sizeof(addr);
	int type, one = 1;
	socklen_t tlen = sizeof(type);

	if (!nodelay_enabled || fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 || type != SOCK_STREAM)
		return;
	if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0 ||
	    (addr.ss_family != AF_INET && addr.ss_family != AF_INET6))
		return;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		tsync_err("cannot set TCP_NODELAY on socket %d: %m", fd);
}

__attribute__((visibility("default")))
int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	static int (*real_connect)(int, const struct sockaddr *, socklen_t);
	int ret;

	if (!real_connect)
		real_connect = dlsym(RTLD_NEXT, "connect");
	ret = real_connect(fd, addr, len);
	if (!ret) {
		set_nodelay(fd);
		tsync_watch_connected(fd);
	}
	return ret;
}

__attribute__((visibility("default")))
int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	static int (*real_accept)(int, struct sockaddr *, socklen_t *);
	int ret;

	if (!real_accept)
		real_accept = dlsym(RTLD_NEXT, "accept");
	ret = real_accept(fd, addr, len);
	set_nodelay(ret);
	return ret;
}

__attribute__((visibility("default")))
int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
	int ret;

	if (!real_accept4)
		real_accept4 = dlsym(RTLD_NEXT, "accept4");
	ret = real_accept4(fd, addr, len, flags);
	set_nodelay(ret);
	return ret;
}
