// SPDX-License-Identifier: LGPL-2.1
/*
 * Fuzz target: tsync-ptp's estimator on probes a peer made up.  Whatever
 * they are, a proven estimate stays inside its interval and its bound.
 */
#include <stdlib.h>
#include <string.h>

#include "tsync/plugin.h"

static void check(const struct tsync_estimate *e)
{
	if (!e->bounded)
		return;
	if (e->offset < e->lower || e->offset > e->upper ||
	    e->offset - e->lower > e->bound || e->upper - e->offset > e->bound)
		abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tsync_ptp_history history = {};
	struct tsync_probe probes[64];
	struct tsync_estimate est;
	size_t chunk = 8 * sizeof(probes[0]);
	int n;

	/* the input is a series of rounds of up to 8 probes */
	while (size) {
		n = (size < chunk ? size : chunk) / sizeof(probes[0]);
		if (!n)
			break;
		memcpy(probes, data, n * sizeof(probes[0]));
		data += n * sizeof(probes[0]);
		size -= n * sizeof(probes[0]);
		if (tsync_ptp_estimate(probes, n, &est))
			continue;
		check(&est);
		tsync_ptp_refine(&history, &est);
		check(&est);
	}
	return 0;
}
