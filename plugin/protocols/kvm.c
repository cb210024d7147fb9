// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync-kvm: exact guest-to-host time from KVM's per-vCPU TSC parameters.
 *
 * The host knows everything: debugfs gives each vCPU's offset and scaling,
 * and kvm_write_tsc_offset says when an offset changes.  The guest only
 * says which vCPU each of its CPUs is (APIC ids) and, for a sanity check,
 * its TSC.  One sample of one guest CPU:
 *
 *	guest (pinned to the CPU)		host
 *	INFO {cpu, TSC, APIC ids}   ---->	read pending offset changes,
 *						lay samples up to now (tsc-math.c)
 *				    <----	DONE
 *
 * Version 2 (tsync-kvm.2) has one more answer to INFO.  Under --tsync auto,
 * a host that cannot sync the guest with tsync-kvm (no VM found for it,
 * more guest CPUs than vCPUs) says so and answers the first INFO with
 *
 *				    <----	PTP
 *
 * after which both sides go on with tsync-ptp/1's messages, from this CPU
 * on, for the rest of the session (handover.c).
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsync/plugin.h"

#define KVM_CMD_INFO	1
#define KVM_CMD_DONE	2
#define KVM_CMD_PTP	3	/* version 2 */

/* What a sync point returns once the session is tsync-ptp's */
#define KVM_HANDED_OVER	1

/* More than any VM has: a bigger count from the peer is refused */
#define KVM_MAX_CPUS	4096

/* trace-cmd's kvm has 0 and wins ties: tsync-kvm must rank above it */
#define KVM_ACCURACY	-1
#define KVM2_ACCURACY	(KVM_ACCURACY - 1)

/* A guest TSC further than this from the VM's prediction: wrong VM? */
#define KVM_TSC_SUSPICIOUS	(1LL << 32)

struct kvm_info {
	uint32_t	cpu;
	uint32_t	nr_apic;
	uint64_t	tsc;
	uint32_t	apic[];		/* APIC id of each guest CPU */
};

/* Naturally aligned: the same layout on both sides without packing */
_Static_assert(sizeof(struct kvm_info) == 16, "kvm_info is 16 bytes on the wire");

#define KVM_INFO_MAX	(sizeof(struct kvm_info) + KVM_MAX_CPUS * sizeof(uint32_t))
_Static_assert(KVM_INFO_MAX == TSYNC_KVM_INFO_MAX, "INFO's room is as tsync.h says");

/* One guest CPU, on the host */
struct kvm_cpu {
	int				vcpu_id;
	struct tsync_kvm_timeline	timeline;
};

struct kvm_session {
	const char			*wire;		/* the version's name */
	bool				v2;
	const struct tsync_clock	*tsc;
	struct kvm_info			*info;		/* message buffer */
	int				nr_apic;	/* guest: APIC ids known */
	/* host */
	struct tsync_kvm_vm		vm;
	struct tsync_kvm_events		events;
	struct kvm_cpu			*cpus;
	struct tsync_samples		*samples;	/* each guest CPU's */
	bool				may_hand_over;	/* v2 under auto, no VM named */
	bool				no_vm;		/* none found: hand over */
	bool				mapped;
	bool				warned;
};

static struct kvm_session *session_of(struct tracecmd_time_sync *tsync)
{
	struct clock_sync_context *ctx = tsync->context;

	return ctx ? ctx->proto_data : NULL;
}

/**
 * tsync_kvm_take_info - check the guest's INFO message about @cpu
 * @msg: the payload, KVM_INFO_MAX bytes of room; its counts become host order
 * @size: the payload's size in bytes
 * @cpu: the guest CPU the host asked about
 *
 * Returns 0, or -1 if it is malformed.
 */
int tsync_kvm_take_info(void *msg, unsigned int size, unsigned int cpu)
{
	struct kvm_info *info = msg;
	unsigned int nr_apic;

	if (size < sizeof(*info))
		return -1;
	nr_apic = be32toh(info->nr_apic);
	if (nr_apic > KVM_MAX_CPUS || size != sizeof(*info) + nr_apic * sizeof(uint32_t) ||
	    be32toh(info->cpu) != cpu)
		return -1;
	info->nr_apic = nr_apic;
	info->cpu = cpu;
	return 0;
}

/* Guest: the APIC id of each CPU, from /proc/cpuinfo; 0 ids if unknown */
static int read_apic_ids(uint32_t *apic, int nr_cpus)
{
	int cpu = -1, found = 0, id;
	char line[256];
	FILE *f;

	f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "processor : %d", &id) == 1)
			cpu = id;
		else if (cpu >= 0 && cpu < nr_cpus && sscanf(line, "apicid : %d", &id) == 1) {
			apic[cpu] = htobe32(id);
			found++;
		}
	}
	fclose(f);
	return found == nr_cpus ? nr_cpus : 0;
}

/* Which vcpu each guest CPU is: kvm-map.c */
static int map_vcpus(struct kvm_session *kvm, int nr_cpus, struct kvm_info *info)
{
	struct tsync_tsc tsc;
	int *vcpu_of, cpu, by_apic;

	vcpu_of = calloc(nr_cpus, sizeof(*vcpu_of));
	if (!vcpu_of)
		return -1;
	/* in host order, for the core */
	for (cpu = 0; cpu < (int)info->nr_apic; cpu++)
		info->apic[cpu] = be32toh(info->apic[cpu]);
	by_apic = tsync_kvm_map(info->apic, info->nr_apic, nr_cpus, kvm->vm.vcpu_ids,
				kvm->vm.nr_vcpus, vcpu_of);
	if (by_apic < 0) {
		tsync_err("%s: the guest has %d CPUs, the VM %d vCPUs: is it the right VM?",
			  kvm->vm.dir, nr_cpus, kvm->vm.nr_vcpus);
		free(vcpu_of);
		return -1;
	}
	if (info->nr_apic && !by_apic)
		tsync_err("%s: the guest's APIC ids are not %s's vCPUs, one each: "
			  "guest CPUs map to vCPUs by rank", TSYNC_KVM_NAME, kvm->vm.dir);
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		kvm->cpus[cpu].vcpu_id = vcpu_of[cpu];
		if (tsync_kvm_read_tsc(&kvm->vm, vcpu_of[cpu], &tsc)) {
			free(vcpu_of);
			return -1;
		}
		tsync_timeline_init(&kvm->cpus[cpu].timeline, &tsc, &kvm->samples[cpu]);
	}
	free(vcpu_of);
	tsync_debug("%s: guest CPUs map to vCPUs by %s", TSYNC_KVM_NAME,
		    by_apic ? "APIC id" : "rank");
	kvm->mapped = true;
	return 0;
}

/*
 * Offset writes to this CPU's vCPU up to @host_now, in time order, into
 * its timeline (kvm-timeline.c)
 */
static int apply_changes(struct kvm_session *kvm, int cpu, unsigned long long host_now)
{
	struct tsync_kvm_events *ev = &kvm->events;
	struct kvm_cpu *kc = &kvm->cpus[cpu];
	int i, kept = 0;

	tsync_offset_writes_sort(ev->changes, ev->nr_changes);
	for (i = 0; i < ev->nr_changes; i++) {
		struct tsync_offset_write *c = &ev->changes[i];

		if (c->vcpu != kc->vcpu_id || c->host_ts > host_now) {
			ev->changes[kept++] = *c;
			continue;
		}
		if (tsync_timeline_write(&kc->timeline, c))
			return -1;
		/* the write's own sample is the last: its guest time is where it took over */
		tsync_debug("%s: vCPU %d offset %lld from guest TSC %lld", TSYNC_KVM_NAME,
			    kc->vcpu_id, c->next,
			    kc->timeline.samples->at[kc->timeline.samples->nr - 1].guest_ts);
	}
	ev->nr_changes = kept;
	return 0;
}

/* The guest's TSC should be the VM's, seen a message latency later */
static void check_guest_tsc(struct kvm_session *kvm, unsigned long long predicted,
			    unsigned long long reported)
{
	long long diff = (long long)(predicted - reported);

	tsync_debug("%s: guest TSC %llu, %lld cycles before the VM's", TSYNC_KVM_NAME,
		    reported, diff);
	if (!kvm->warned && (diff > KVM_TSC_SUSPICIOUS || diff < -KVM_TSC_SUSPICIOUS)) {
		tsync_err("%s: the guest's TSC is %lld cycles from %s's: is it the right VM?",
			  TSYNC_KVM_NAME, diff, kvm->vm.dir);
		kvm->warned = true;
	}
}

static int kvm_free(struct tracecmd_time_sync *tsync);

/* Host, version 2 under auto: tsync-ptp syncs this guest instead */
static int hand_over(struct tracecmd_time_sync *tsync, struct kvm_session *kvm)
{
	char peer[64];

	if (tsync_msg_send(tsync, kvm->wire, KVM_CMD_PTP, NULL, 0))
		return -1;
	tsync_err("%s cannot sync guest %s: %s syncs it instead", TSYNC_KVM_NAME,
		  tsync_msg_peer(tsync, peer, sizeof(peer)), TSYNC_PTP_NAME);
	kvm_free(tsync);
	return KVM_HANDED_OVER;
}

static int kvm_host(struct tracecmd_time_sync *tsync, struct kvm_session *kvm, unsigned int cpu)
{
	struct clock_sync_context *ctx = tsync->context;
	unsigned int size = KVM_INFO_MAX, cmd;
	struct kvm_info *info = kvm->info;
	unsigned long long host_now, guest_now;
	int ret;

	if (tsync_msg_recv(tsync, kvm->wire, &cmd, info, &size)) {
		tsync_err("%s: CPU %u: waiting for the guest: %m", TSYNC_KVM_NAME, cpu);
		return -1;
	}
	host_now = tsync_clock_read(kvm->tsc);
	if (cmd != KVM_CMD_INFO || tsync_kvm_take_info(info, size, cpu)) {
		tsync_err("%s: malformed message from the guest (command %u, %u bytes)",
			  TSYNC_KVM_NAME, cmd, size);
		return -1;
	}
	if (kvm->no_vm || (!kvm->mapped && map_vcpus(kvm, ctx->cpu_count, info)))
		return kvm->may_hand_over ? hand_over(tsync, kvm) : -1;

	if (tsync_kvm_events_read(&kvm->events) || apply_changes(kvm, cpu, host_now))
		return -1;
	guest_now = tsync_tsc_guest(&kvm->cpus[cpu].timeline.tsc, host_now);
	check_guest_tsc(kvm, guest_now, be64toh(info->tsc));
	ret = tsync_timeline_lay_until(&kvm->cpus[cpu].timeline, guest_now, false);
	if (!ret)
		ret = tsync_arrays_publish(ctx, kvm->samples);
	if (tsync_msg_send(tsync, kvm->wire, KVM_CMD_DONE, NULL, 0))
		return -1;
	return ret;
}

static int kvm_guest(struct tracecmd_time_sync *tsync, struct kvm_session *kvm, unsigned int cpu)
{
	struct kvm_info *info = kvm->info;
	unsigned int size = 0, cmd;

	info->cpu = htobe32(cpu);
	info->nr_apic = htobe32(kvm->nr_apic);
	info->tsc = htobe64(tsync_clock_read(kvm->tsc));
	if (tsync_msg_send(tsync, kvm->wire, KVM_CMD_INFO, info,
			   sizeof(*info) + kvm->nr_apic * sizeof(uint32_t)) ||
	    tsync_msg_recv(tsync, kvm->wire, &cmd, NULL, &size)) {
		tsync_err("%s: CPU %u: %m", TSYNC_KVM_NAME, cpu);
		return -1;
	}
	if (cmd == KVM_CMD_PTP && kvm->v2) {
		kvm_free(tsync);
		return KVM_HANDED_OVER;
	}
	if (cmd != KVM_CMD_DONE) {
		tsync_err("%s: malformed message from the host (command %u)", TSYNC_KVM_NAME, cmd);
		return -1;
	}
	return 0;
}

static int kvm_free(struct tracecmd_time_sync *tsync)
{
	struct clock_sync_context *ctx = tsync->context;
	struct kvm_session *kvm = session_of(tsync);

	if (!kvm)
		return 0;
	tsync_kvm_events_close(&kvm->events);
	tsync_kvm_vm_release(&kvm->vm);
	tsync_arrays_borrowed(TSYNC_KVM_NAME, kvm->samples, ctx->cpu_count);
	tsync_samples_free_cpus(kvm->samples, ctx->cpu_count);
	free(kvm->cpus);
	free(kvm->info);
	free(kvm);
	ctx->proto_data = NULL;
	return 0;
}

static int kvm_start(struct tracecmd_time_sync *tsync, const char *wire)
{
	struct clock_sync_context *ctx = tsync->context;
	struct kvm_session *kvm;
	char vm_buf[256];
	const char *vm;
	bool named;

	if (tsync_abi_session_check(tsync, wire))
		return -1;

	if (!tsync->clock_str || strcmp(tsync->clock_str, "x86-tsc")) {
		tsync_err("%s: needs the x86-tsc trace clock, not '%s'", TSYNC_KVM_NAME,
			  tsync->clock_str ? tsync->clock_str : "(none)");
		return -1;
	}
	if (ctx->cpu_count <= 0 || ctx->cpu_count > KVM_MAX_CPUS) {
		tsync_err("%s: %d guest CPUs", TSYNC_KVM_NAME, ctx->cpu_count);
		return -1;
	}
	kvm = calloc(1, sizeof(*kvm));
	if (!kvm)
		return -1;
	ctx->proto_data = kvm;
	kvm->wire = wire;
	kvm->v2 = !strcmp(wire, TSYNC_KVM2_NAME);
	kvm->tsc = tsync_clock_find("x86-tsc");
	kvm->events.fd = -1;
	kvm->info = calloc(1, KVM_INFO_MAX);
	if (!kvm->info)
		goto fail;
	if (ctx->is_guest)
		kvm->nr_apic = read_apic_ids(kvm->info->apic, ctx->cpu_count);
	else {
		tsync_msg_timeout(tsync, TSYNC_ANSWER_MS);
		kvm->cpus = calloc(ctx->cpu_count, sizeof(*kvm->cpus));
		kvm->samples = calloc(ctx->cpu_count, sizeof(*kvm->samples));
		if (!kvm->cpus || !kvm->samples)
			goto fail;
		named = !tsync_guest_vm(tsync, &vm, vm_buf, sizeof(vm_buf));
		/* a VM the user named is the one: no tsync-ptp in its place */
		kvm->may_hand_over = kvm->v2 && tsync_cfg.choice == TSYNC_CHOICE_AUTO && !vm;
		if (!named || tsync_kvm_vm_find(tsync->guest_pid, vm, &kvm->vm)) {
			if (!kvm->may_hand_over)
				goto fail;
			kvm->no_vm = true;
			return 0;
		}
		tsync_kvm_events_open(&kvm->events, kvm->vm.pid);
		tsync_info("%s: syncing %d guest CPUs with %s (%d vCPUs, %s)%s", TSYNC_KVM_NAME,
			   ctx->cpu_count, kvm->vm.dir, kvm->vm.nr_vcpus, kvm->vm.found_by,
			   kvm->events.fd >= 0 ? ", following kvm_write_tsc_offset" : "");
	}
	return 0;
fail:
	kvm_free(tsync);
	return -1;
}

static int kvm_init(struct tracecmd_time_sync *tsync)
{
	return kvm_start(tsync, TSYNC_KVM_NAME);
}

static int kvm2_init(struct tracecmd_time_sync *tsync)
{
	return kvm_start(tsync, TSYNC_KVM2_NAME);
}

/* Samples go into trace-cmd's arrays directly; see tsync_ptp_calc() */
static int kvm_calc(struct tracecmd_time_sync *tsync, long long *offset,
		    long long *scaling, long long *frac, long long *timestamp,
		    unsigned int cpu)
{
	struct clock_sync_context *ctx = tsync->context;
	struct kvm_session *kvm = session_of(tsync);
	int ret;

	*offset = *timestamp = *frac = 0;
	*scaling = 1;
	if (!kvm || cpu >= (unsigned int)ctx->cpu_count)
		return -1;
	if (ctx->is_guest)
		return kvm_guest(tsync, kvm, cpu);
	ret = kvm_host(tsync, kvm, cpu);
	if (ret < 0)
		tsync_arrays_publish(ctx, kvm->samples);
	return ret;
}

static int kvm2_calc(struct tracecmd_time_sync *tsync, long long *offset,
		     long long *scaling, long long *frac, long long *timestamp,
		     unsigned int cpu)
{
	int ret;

	if (!tsync_handed_over(tsync)) {
		ret = kvm_calc(tsync, offset, scaling, frac, timestamp, cpu);
		if (ret != KVM_HANDED_OVER)
			return ret;
		if (tsync_handover_to_ptp(tsync))
			return -1;
	}
	return tsync_ptp_calc(tsync, offset, scaling, frac, timestamp, cpu);
}

/**
 * tsync_kvm_register - register tsync-kvm, versions 1 and 2
 * @roles: the roles tsync offers
 *
 * The roles only where they can work: a vsock host (HOST) needs a VM on
 * this machine; the host of a network agent (CLIENT) needs to be told
 * which VM, or asked for tsync-kvm; a guest (GUEST: the agent picks the
 * protocol from the host's list) must not run under another hypervisor,
 * whose host has no TSC offsets of it.  So a host that names the VM of
 * one guest still syncs a TCG guest beside it with tsync-ptp.  Version 1
 * stays for older peers.
 */
int tsync_kvm_register(unsigned int roles)
{
	char why[256], sig[13];

	if (!tsync_kvm_host_vms(why, sizeof(why)))
		roles &= ~TRACECMD_TIME_SYNC_ROLE_HOST;
	if (!tsync_cfg.vm && !tsync_cfg.guest_vms && tsync_cfg.choice != TSYNC_CHOICE_KVM)
		roles &= ~TRACECMD_TIME_SYNC_ROLE_CLIENT;
	if (tsync_other_hypervisor(sig)) {
		roles &= ~TRACECMD_TIME_SYNC_ROLE_GUEST;
		tsync_debug("%s: this machine runs under '%s', not KVM: no guest role",
			    TSYNC_KVM_NAME, sig);
	}
	if (tracecmd_tsync_proto_register(TSYNC_KVM_NAME, KVM_ACCURACY, roles,
					  TRACECMD_CLOCK_X86_TSC,
					  TRACECMD_TSYNC_FLAG_INTERPOLATE | TSYNC_FLAG_KVM,
					  kvm_init, kvm_free, kvm_calc))
		return -1;
	return tracecmd_tsync_proto_register(TSYNC_KVM2_NAME, KVM2_ACCURACY, roles,
					     TRACECMD_CLOCK_X86_TSC,
					     TRACECMD_TSYNC_FLAG_INTERPOLATE | TSYNC_FLAG_KVM,
					     kvm2_init, kvm_free, kvm2_calc);
}
