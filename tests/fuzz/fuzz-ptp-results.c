// SPDX-License-Identifier: LGPL-2.1
/* Fuzz target: a RESULTS or SPREAD message of tsync-ptp, from the guest */
#include <stdlib.h>
#include <string.h>

#include "tsync/plugin.h"

#define ROUND	1024

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static long long first[ROUND], second[ROUND];
	unsigned char msg[8 + 16 * 256 + 64];
	int got, n, count;

	if (size < 4)
		return 0;
	/* the round as the host sees it: n probes, got of them filled */
	n = (data[0] | data[1] << 8) % (ROUND + 1);
	got = (data[2] | data[3] << 8) % (n + 1);
	size -= 4;
	if (size > sizeof(msg))
		size = sizeof(msg);
	memcpy(msg, data + 4, size);
	count = tsync_ptp_take_pairs(msg, size, got, n, first, second);
	if (count > n - got || count == 0)
		abort();
	return 0;
}
