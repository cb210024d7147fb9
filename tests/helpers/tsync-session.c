// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync-session: one time-sync session of a vsock host with its guest, both
 * run by libtracecmd.so.1's own exported functions over a socket pair, as
 * trace-cmd's record (HOST role) and agent (GUEST role) run them, with
 * tsync.so preloaded as the launcher does.  For the tests only: it gives
 * tsync-kvm the guest pid that trace-cmd's find_pid_by_cid would find where
 * KVM fires kvm_exit, which this machine's does not.
 *
 * usage: tsync-session PROTOCOL GUEST-PID GUEST-CPUS
 *
 * Prints the protocols each side offers, then "sync: N samples" per guest
 * CPU with their offsets, or "no sync" (exit 1) when the host's end did not
 * start.  The guest is a child process, like the agent's handler.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tsync/tracecmd-abi.h"

#define CLOCK		"x86-tsc"
#define INTERVAL_MS	50
#define SESSION_US	400000
#define TRACE_ID	0x7e57ULL

/* The protocols @role offers with CLOCK; whether @proto is among them */
static bool offers(int role, const char *label, const char *proto)
{
	struct tracecmd_tsync_protos *protos = NULL;
	bool found = false;
	char **name;

	if (tracecmd_tsync_proto_getall(&protos, CLOCK, role) || !protos)
		return false;
	printf("%s offers:", label);
	for (name = protos->names; *name; name++) {
		printf(" %s", *name);
		found |= !strcmp(*name, proto);
	}
	printf("\n");
	free(protos->names);
	free(protos);
	return found;
}

/* The agent's end: syncs until the host stops */
static void guest(int fd, const char *proto)
{
	struct tracecmd_time_sync *tsync;

	alarm(30);
	tsync = tracecmd_tsync_with_host(fd, proto, CLOCK, 2, 3);
	if (!tsync)
		exit(1);
	tracecmd_tsync_with_host_stop(tsync);
	tracecmd_tsync_free(tsync);
	exit(0);
}

static void print_samples(struct tracecmd_time_sync *tsync, int cpus)
{
	long long *ts, *offsets, *scalings, *frac;
	int cpu, count, i;

	for (cpu = 0; cpu < cpus; cpu++) {
		if (tracecmd_tsync_get_offsets(tsync, cpu, &count, &ts, &offsets, &scalings, &frac))
			count = 0;
		printf("sync: CPU %d: %d samples, offsets", cpu, count);
		for (i = 0; i < count; i++)
			printf(" %lld", offsets[i]);
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	struct tracecmd_time_sync *tsync;
	int fds[2], cpus, status;
	const char *proto;
	pid_t child;

	if (argc != 4) {
		fprintf(stderr, "usage: tsync-session PROTOCOL GUEST-PID GUEST-CPUS\n");
		return 2;
	}
	proto = argv[1];
	cpus = atoi(argv[3]);
	tracecmd_tsync_init();
	if (!offers(TRACECMD_TIME_SYNC_ROLE_HOST, "host", proto) |
	    !offers(TRACECMD_TIME_SYNC_ROLE_GUEST, "guest", proto)) {
		printf("%s is not offered by both sides\n", proto);
		return 1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds))
		return 1;
	fflush(stdout);
	child = fork();
	if (child < 0)
		return 1;
	if (!child) {
		close(fds[0]);
		guest(fds[1], proto);
	}
	close(fds[1]);
	tsync = tracecmd_tsync_with_guest(TRACE_ID, INTERVAL_MS, fds[0], atoi(argv[2]), cpus,
					  proto, CLOCK);
	if (tsync) {
		usleep(SESSION_US);
		tracecmd_tsync_with_guest_stop(tsync);
		print_samples(tsync, cpus);
		tracecmd_tsync_free(tsync);
	} else {
		printf("no sync\n");
	}
	waitpid(child, &status, 0);
	return tsync ? 0 : 1;
}
