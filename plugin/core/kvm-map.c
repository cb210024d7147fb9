// SPDX-License-Identifier: LGPL-2.1
/*
 * Which vCPU each guest CPU runs on.  The guest names its CPUs' APIC ids,
 * which are KVM's vcpu_ids: when every CPU names a vCPU of the VM, and no
 * two the same, they map by APIC id; else (a guest that cannot say, or a
 * broken or lying one) guest CPU n is the VM's vCPU of rank n.
 */

#include "tsync/core.h"

/**
 * tsync_kvm_by_apic - can the guest's CPUs map to vCPUs by their APIC ids?
 * @apic: each guest CPU's APIC id, or NULL
 * @nr_apic: how many the guest named
 * @nr_cpus: the guest's CPUs
 * @vcpu_ids: the VM's vCPU ids
 * @nr_vcpus: how many
 */
bool tsync_kvm_by_apic(const uint32_t *apic, int nr_apic, int nr_cpus, const int *vcpu_ids,
		       int nr_vcpus)
{
	int cpu, i;

	if (!apic || nr_cpus <= 0 || nr_apic != nr_cpus)
		return false;
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		for (i = 0; i < nr_vcpus; i++)
			if ((uint32_t)vcpu_ids[i] == apic[cpu])
				break;
		if (i == nr_vcpus)
			return false;
		for (i = 0; i < cpu; i++)
			if (apic[i] == apic[cpu])
				return false;
	}
	return true;
}

/**
 * tsync_kvm_map - the vCPU of each guest CPU
 * @apic: each guest CPU's APIC id, or NULL
 * @nr_apic: how many
 * @nr_cpus: the guest's CPUs
 * @vcpu_ids: the VM's vCPU ids, ascending
 * @nr_vcpus: how many
 * @vcpu_of: returns the vcpu_id of each guest CPU
 *
 * Returns 1 when mapped by APIC id, 0 by rank, -1 when the VM has fewer
 * vCPUs than the guest has CPUs.
 */
int tsync_kvm_map(const uint32_t *apic, int nr_apic, int nr_cpus, const int *vcpu_ids,
		  int nr_vcpus, int *vcpu_of)
{
	bool by_apic = tsync_kvm_by_apic(apic, nr_apic, nr_cpus, vcpu_ids, nr_vcpus);
	int cpu;

	if (nr_vcpus < nr_cpus)
		return -1;
	for (cpu = 0; cpu < nr_cpus; cpu++)
		vcpu_of[cpu] = by_apic ? (int)apic[cpu] : vcpu_ids[cpu];
	return by_apic;
}
