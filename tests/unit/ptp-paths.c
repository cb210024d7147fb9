// SPDX-License-Identifier: LGPL-2.1
/*
 * Synthetic network paths for the tsync-ptp tests: probes whose true
 * offset, drift and delays are known.
 */
#include "unit.h"

static unsigned long long rng = 88172645463325252ULL;

void path_seed(unsigned long long seed)
{
	rng = seed ? seed : 1;
}

long long path_random(long long n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n > 0 ? (long long)(rng % (unsigned long long)n) : 0;
}

/* host time of guest time @g on @p: the drift counts from guest time 0 */
long long path_host(const struct path *p, long long g)
{
	return g + p->offset + (long long)(g * p->drift / 1e6);
}

/* The true offset at guest time @g */
long long path_offset(const struct path *p, long long g)
{
	return path_host(p, g) - g;
}

/* One round of PATH_PROBES probes from guest time @p->start; returns how many arrived */
int path_probes(const struct path *p, struct tsync_probe *probes)
{
	long long g = p->start ? p->start : 1000000000LL;
	int n = 0, i;

	for (i = 0; i < PATH_PROBES; i++, g += 20000) {
		long long fwd = p->fwd_min + path_random(p->jitter);
		long long back = p->back_min + path_random(p->jitter);

		if (p->lost_every && i % p->lost_every == 1)
			continue;
		if (p->late_every && i % p->late_every == 2)
			back += 1000000;
		probes[n].guest_recv = g;
		probes[n].guest_send = g + 3000;
		probes[n].host_send = path_host(p, g) - fwd;
		probes[n].host_recv = path_host(p, g + 3000) + back;
		n++;
	}
	return n;
}
