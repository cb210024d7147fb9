// SPDX-License-Identifier: LGPL-2.1
/* Fuzz target: a line of the kvm_write_tsc_offset follower's trace_pipe */
#include <stdlib.h>
#include <string.h>

#include "tsync/plugin.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tsync_offset_write w;
	char *line = malloc(size + 1);
	int tgid;

	memcpy(line, data, size);
	line[size] = '\0';
	if (!tsync_offset_write_parse(line, &tgid, &w) && w.vcpu < 0)
		abort();
	free(line);
	return 0;
}
