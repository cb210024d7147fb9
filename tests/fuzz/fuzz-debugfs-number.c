// SPDX-License-Identifier: LGPL-2.1
/* Fuzz target: a debugfs file's contents (tsc-offset, scaling ratio, bits) */
#include <stdlib.h>

#include "tsync/plugin.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	long long val;

	if (!size)
		return 0;
	/* the first byte picks signed or unsigned parsing */
	if (!tsync_parse_number((const char *)data + 1, size - 1, data[0] & 1, &val) &&
	    !(data[0] & 1) && size > 1 && data[1] == '-')
		abort();
	return 0;
}
