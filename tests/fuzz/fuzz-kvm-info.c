// SPDX-License-Identifier: LGPL-2.1
/* Fuzz target: tsync-kvm's INFO message from the guest */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tsync/plugin.h"

/* A VM of 8 vCPUs with sparse ids, as under x2APIC topologies */
static const int vcpu_ids[] = { 0, 1, 2, 3, 8, 9, 10, 11 };
#define NR_VCPUS	(int)(sizeof(vcpu_ids) / sizeof(vcpu_ids[0]))

/* Mapped by APIC id: each guest CPU is a vCPU of the VM, a different one */
static void check_apic_map(const unsigned char *msg, int nr_cpus)
{
	uint32_t apic[NR_VCPUS];
	int cpu, i, found;

	if (nr_cpus > NR_VCPUS)
		return;
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		memcpy(&apic[cpu], msg + 16 + 4 * cpu, sizeof(apic[cpu]));
		apic[cpu] = be32toh(apic[cpu]);
	}
	if (!tsync_kvm_by_apic(apic, nr_cpus, nr_cpus, vcpu_ids, NR_VCPUS))
		return;
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		for (i = found = 0; i < NR_VCPUS; i++)
			found |= vcpu_ids[i] == (int)apic[cpu];
		for (i = 0; i < cpu; i++)
			if (apic[i] == apic[cpu])
				abort();
		if (!found)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static unsigned char msg[TSYNC_KVM_INFO_MAX];
	unsigned int cpu;
	uint32_t nr_apic;

	if (size < 1)
		return 0;
	cpu = data[0];
	size--;
	if (size > sizeof(msg))
		size = sizeof(msg);
	memcpy(msg, data + 1, size);
	if (!tsync_kvm_take_info(msg, size, cpu)) {
		/* accepted: the APIC ids it announces are all inside the message */
		memcpy(&nr_apic, msg + 4, sizeof(nr_apic));
		if (16 + 4 * (size_t)nr_apic != size)
			abort();
		check_apic_map(msg, nr_apic);
	}
	return 0;
}
