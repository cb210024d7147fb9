// SPDX-License-Identifier: LGPL-2.1
/* Fuzz target: a trace file's TIME_SHIFT option, decoded and written back */
#include <stdlib.h>
#include <string.h>

#include "tsync/core.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tsync_time_shift ts;
	const char *why = NULL;
	unsigned char *out;
	size_t n;

	if (tsync_time_shift_decode(data, size, false, &ts, &why)) {
		if (!why)
			abort();
		return 0;
	}
	/* what decodes encodes again, byte for byte when fractions were there */
	n = tsync_time_shift_size(&ts);
	out = malloc(n);
	if (!out || n < size || tsync_time_shift_encode(&ts, false, out, n, &why))
		abort();
	if (n == size && memcmp(out, data, n))
		abort();
	free(out);
	tsync_time_shift_free(&ts);
	return 0;
}
