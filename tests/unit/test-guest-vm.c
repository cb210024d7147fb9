// SPDX-License-Identifier: LGPL-2.1
/*
 * The VM --tsync-vm named for a sync session's guest (guest-vm.c): on real
 * loopback TCP connections noted as record notes them, a guest's agent
 * connection and then its sync connection; the session's VM is the one of
 * the line naming the agent's address and port.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <CUnit/CUnit.h>

#include "unit.h"

static int listener[2] = { -1, -1 }, conn[2] = { -1, -1 };
static int port[2];
static struct tracecmd_msg_handle handle;
static struct tracecmd_time_sync session = { .msg_handle = &handle };

/* A listening socket on 127.0.0.1, its port in *@port */
static int listen_any(int *port)
{
	struct sockaddr_in in = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(in);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&in, sizeof(in)) || listen(fd, 1) ||
	    getsockname(fd, (struct sockaddr *)&in, &len))
		return -1;
	*port = ntohs(in.sin_port);
	return fd;
}

static int connect_to(int port)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&in, sizeof(in)))
		return -1;
	return fd;
}

/* The agent's connection, then the sync connection, noted in that order */
static int open_guest(void)
{
	int i;

	if (tsync_conns_open())
		return -1;
	for (i = 0; i < 2; i++) {
		listener[i] = listen_any(&port[i]);
		conn[i] = listener[i] < 0 ? -1 : connect_to(port[i]);
		if (conn[i] < 0 || !tsync_conns_add(conn[i]))
			return -1;
	}
	handle.fd = conn[1];
	return 0;
}

static int close_guest(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		close(conn[i]);
		close(listener[i]);
	}
	tsync_cfg.guest_vms = tsync_cfg.vm = NULL;
	return 0;
}

/* The VM tsync_guest_vm() finds with @lines, or "(none)"; "(error)" on -1 */
static const char *vm_of(const char *lines)
{
	static char buf[256];
	static char list[512];
	const char *vm;

	snprintf(list, sizeof(list), lines, port[0], port[1]);
	tsync_cfg.guest_vms = list;
	if (tsync_guest_vm(&session, &vm, buf, sizeof(buf)))
		return "(error)";
	return vm ? vm : "(none)";
}

static void test_by_agent_port(void)
{
	CU_ASSERT_STRING_EQUAL(vm_of("127.0.0.1 %d vm-a\n127.0.0.1 %d vm-sync\n"), "vm-a");
	CU_ASSERT_STRING_EQUAL(vm_of("127.0.0.1 %2$d vm-sync\n127.0.0.1 %1$d vm-a"), "vm-a");
}

static void test_host_name_and_spaces(void)
{
	CU_ASSERT_STRING_EQUAL(vm_of("localhost %d my vm\n"), "my vm");
}

static void test_unnamed_guest(void)
{
	/* the sync connection's port is no guest's, nor is another address */
	CU_ASSERT_STRING_EQUAL(vm_of("127.0.0.1 %2$d vm-sync\n"), "(error)");
	CU_ASSERT_STRING_EQUAL(vm_of("127.0.0.2 %d vm-a\n"), "(error)");
	CU_ASSERT_STRING_EQUAL(vm_of("127.0.0.1 %d\n"), "(error)");
	CU_ASSERT_STRING_EQUAL(vm_of("garbage\n\n"), "(error)");
}

static void test_one_vm_for_all(void)
{
	const char *vm;
	char buf[16];

	tsync_cfg.guest_vms = NULL;
	tsync_cfg.vm = "1234";
	CU_ASSERT_EQUAL(tsync_guest_vm(&session, &vm, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(vm, "1234");
	tsync_cfg.vm = NULL;
}

void add_guest_vm_suite(void)
{
	CU_pSuite s = CU_add_suite("guest-vm", open_guest, close_guest);

	CU_add_test(s, "the VM of the agent's address and port", test_by_agent_port);
	CU_add_test(s, "a host name, a VM name with spaces", test_host_name_and_spaces);
	CU_add_test(s, "a guest no line names", test_unnamed_guest);
	CU_add_test(s, "--tsync-vm for the only guest", test_one_vm_for_all);
}
