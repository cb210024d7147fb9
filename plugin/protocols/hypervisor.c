// SPDX-License-Identifier: LGPL-2.1
/*
 * Is this machine a guest of some hypervisor other than KVM?  Such a
 * guest (QEMU's TCG, say: "TCGTCGTCGTCG") has no TSC offsets in any host's
 * debugfs, so it never takes tsync-kvm's guest role.  The hypervisor says
 * who it is in CPUID leaf 0x40000000; KVM that also speaks Hyper-V's
 * interface moves its own signature to 0x40000100.  Bare metal (no
 * hypervisor bit) can be nobody's guest, so only tests run an agent there:
 * it keeps the role, as before.
 */
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "tsync/plugin.h"

#define CPUID_HYPERVISOR_BIT	(1u << 31)	/* leaf 1, ECX */

#if defined(__x86_64__) || defined(__i386__)
static void signature(unsigned int leaf, char sig[13])
{
	unsigned int eax, ebx, ecx, edx;

	__cpuid(leaf, eax, ebx, ecx, edx);
	memcpy(sig, &ebx, 4);
	memcpy(sig + 4, &ecx, 4);
	memcpy(sig + 8, &edx, 4);
	sig[12] = '\0';
}

/**
 * tsync_other_hypervisor - the signature of a hypervisor that is not KVM
 * @sig: room for the signature, 13 bytes
 *
 * Returns @sig when this machine runs under a hypervisor that is not KVM,
 * NULL under KVM or on bare metal.
 */
const char *tsync_other_hypervisor(char sig[13])
{
	unsigned int eax, ebx, ecx, edx;
	char alt[13];

	__cpuid(1, eax, ebx, ecx, edx);
	if (!(ecx & CPUID_HYPERVISOR_BIT))
		return NULL;
	signature(0x40000000, sig);
	signature(0x40000100, alt);
	if (!strcmp(sig, "KVMKVMKVM") || !strcmp(alt, "KVMKVMKVM"))
		return NULL;
	return sig;
}
#else
const char *tsync_other_hypervisor(char sig[13])
{
	(void)sig;
	return NULL;
}
#endif
