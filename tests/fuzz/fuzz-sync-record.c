// SPDX-License-Identifier: LGPL-2.1
/* Fuzz target: the END message of a tsync-ptp sync point, from the host */
#include <stdlib.h>
#include <string.h>

#include "tsync/plugin.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tsync_sync_record r;
	char line[TSYNC_RECORD_LINE];
	unsigned char msg[64];
	unsigned int cpu;

	if (size < 1)
		return 0;
	/* the guest CPU being synced, then the payload */
	cpu = data[0] % 4;
	size -= 1;
	if (size > sizeof(msg))
		size = sizeof(msg);
	memcpy(msg, data + 1, size);
	if (tsync_record_decode(msg, size, cpu, &r))
		return 0;
	if (r.cpu != cpu || r.bound < -1 ||
	    tsync_record_line(line, sizeof(line), TSYNC_PTP_NAME, &r) <= 0)
		abort();
	return 0;
}
