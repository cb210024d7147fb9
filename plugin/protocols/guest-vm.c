// SPDX-License-Identifier: LGPL-2.1
/*
 * Which VM is the guest of a sync session?  "record -A ADDR:PORT
 * --tsync-vm VM -A ..." names a VM for each network guest; the launcher
 * passes them as lines "ADDR PORT VM" (TSYNC_GUEST_VMS).  A session's guest
 * is the agent at ADDR:PORT that its record process connected to just
 * before the sync connection (peer-conns.c).
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsync/plugin.h"

/* Does "ADDR PORT" name @peer?  ADDR may be a host name, as in -A */
static bool names_peer(const char *addr, const char *port, const struct sockaddr_storage *peer)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	struct sockaddr_storage ss;
	bool same = false;

	if (getaddrinfo(addr, port, &hints, &res))
		return false;
	for (ai = res; ai && !same; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(ss))
			continue;
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
		same = tsync_same_peer(&ss, peer, true);
	}
	freeaddrinfo(res);
	return same;
}

/* The VM of the line of @list that names @peer, copied into @vm */
static bool find_line(const char *list, const struct sockaddr_storage *peer, char *vm,
		      size_t size)
{
	char line[512], addr[256], port[16];
	const char *p, *end;
	int skip;

	for (p = list; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, '\n');
		snprintf(line, sizeof(line), "%.*s", (int)(end - p), p);
		skip = 0;
		if (sscanf(line, "%255s %15s %n", addr, port, &skip) != 2 || !skip ||
		    !line[skip] || !names_peer(addr, port, peer))
			continue;
		snprintf(vm, size, "%s", line + skip);
		return true;
	}
	return false;
}

/**
 * tsync_guest_vm - the VM --tsync-vm named for the guest of @tsync
 * @tsync: a host's session
 * @vm: returns the pid or QEMU -name, or NULL when none was named
 * @buf: room for it
 * @size: its size
 *
 * Without a VM for each guest, the one --tsync-vm (tsync_cfg.vm), if any.
 * Returns 0, or -1 after saying why the guest's VM cannot be told: the
 * record names the VMs of its guests, and not this one's.
 */
int tsync_guest_vm(struct tracecmd_time_sync *tsync, const char **vm, char *buf, size_t size)
{
	const struct tsync_conn *control;
	char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";

	*vm = tsync_cfg.vm;
	if (!tsync_cfg.guest_vms)
		return 0;
	control = tsync->msg_handle ? tsync_conns_control(tsync->msg_handle->fd) : NULL;
	if (control && find_line(tsync_cfg.guest_vms, &control->peer, buf, size)) {
		*vm = buf;
		return 0;
	}
	if (control)
		getnameinfo((const struct sockaddr *)&control->peer, sizeof(control->peer),
			    host, sizeof(host), port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	tsync_err("%s: guest %s:%s: no --tsync-vm after its -A names its VM, as the other "
		  "guests' do: which VM is it?", TSYNC_KVM_NAME, host, port);
	return -1;
}
