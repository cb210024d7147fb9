// SPDX-License-Identifier: LGPL-2.1
/*
 * kshark-view: a host and a guest trace as KernelShark's library sees them.
 *
 * Opens HOST.dat and then GUEST.dat with libkshark, as "kernelshark
 * HOST.dat -a GUEST.dat" does, and prints what its KVM combo view is built
 * from: the host-guest map, one line per vCPU of the guest stream,
 *
 *	vcpu N PID
 *
 * and every event of the guest stream at the time libkshark gives it,
 *
 *	event CPU TS
 *
 * usage: kshark-view HOST.dat GUEST.dat
 * Exit status 0, or 1 when libkshark cannot open or map the files.
 */
#include <stdio.h>
#include <stdlib.h>

#include <libkshark.h>
#include <libkshark-tepdata.h>

static void print_map(int guest_sd)
{
	struct kshark_host_guest_map *map = NULL;
	int i, vcpu, nr;

	nr = kshark_tracecmd_get_hostguest_mapping(&map);
	for (i = 0; i < nr; i++) {
		if (map[i].guest_id != guest_sd)
			continue;
		for (vcpu = 0; vcpu < map[i].vcpu_count; vcpu++)
			printf("vcpu %d %d\n", vcpu, map[i].cpu_pid[vcpu]);
	}
	if (nr > 0)
		kshark_tracecmd_free_hostguest_map(map, nr);
}

int main(int argc, char **argv)
{
	struct kshark_context *ctx = NULL;
	struct kshark_entry **rows = NULL;
	int host_sd, guest_sd;
	ssize_t i, n;

	if (argc != 3) {
		fprintf(stderr, "usage: kshark-view HOST.dat GUEST.dat\n");
		return 2;
	}
	if (!kshark_instance(&ctx))
		return 1;
	host_sd = kshark_open(ctx, argv[1]);
	guest_sd = kshark_open(ctx, argv[2]);
	if (host_sd < 0 || guest_sd < 0) {
		fprintf(stderr, "kshark-view: libkshark cannot open %s\n",
			argv[host_sd < 0 ? 1 : 2]);
		return 1;
	}
	print_map(guest_sd);
	n = kshark_load_entries(ctx, guest_sd, &rows);
	for (i = 0; i < n; i++) {
		/* negative ids: libkshark's own entries, such as missed events */
		if (rows[i]->event_id >= 0)
			printf("event %d %lld\n", rows[i]->cpu, (long long)rows[i]->ts);
		free(rows[i]);
	}
	free(rows);
	kshark_close_all(ctx);
	kshark_free(ctx);
	return n < 0;
}
