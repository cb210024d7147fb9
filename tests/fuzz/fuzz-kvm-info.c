// SPDX-License-Identifier: LGPL-2.1
/* Fuzz target: tsync-kvm's INFO message from the guest */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tsync/tsync.h"

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
	}
	return 0;
}
