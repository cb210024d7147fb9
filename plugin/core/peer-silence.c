// SPDX-License-Identifier: LGPL-2.1
/*
 * Whether the host has waited too long on a guest, from the times of the
 * last bytes on the guest's connections.
 *
 * A guest owes an answer when the host's last bytes on the control
 * connection (the trace request, the close at the end) are newer than the
 * guest's last bytes there.  It is silent from the later of that request
 * and its last byte on any of its connections: the data it sends at the end
 * of its trace counts, so a long but healthy end is never cut.  Data alone
 * cannot hold the host for ever, though: a guest whose agent never answers
 * the close while its recorders go on sending is cut after
 * TSYNC_PEER_MAX_BOUNDS bounds.
 */
#include <stdio.h>

#include "tsync/core.h"

static long long earliest(long long a, long long b)
{
	return a < b ? a : b;
}

/**
 * tsync_peer_judge - what the host's wait on a guest has come to
 * @t: how long ago the guest's connections last carried bytes, in ms
 * @bound_ms: how long a guest that owes an answer may stay silent
 * @silent_ms: set to how long it has been silent while owing one, or 0
 */
enum tsync_peer_verdict tsync_peer_judge(const struct tsync_peer_times *t, long long bound_ms,
					 long long *silent_ms)
{
	*silent_ms = 0;
	/* a request and its answer within one tick of the clock: answered */
	if (t->asked_ago >= t->answered_ago)
		return TSYNC_PEER_OWES_NOTHING;
	*silent_ms = earliest(t->asked_ago, t->heard_ago);
	if (*silent_ms >= bound_ms || t->asked_ago >= bound_ms * TSYNC_PEER_MAX_BOUNDS)
		return TSYNC_PEER_SILENT;
	return TSYNC_PEER_ANSWERING;
}

/**
 * tsync_peer_describe - what a silent guest stopped doing, in words
 * @buf: where the sentence goes
 * @size: its room
 * @name: the guest, as the host reaches it
 * @facts: what the host saw of it
 * @silent_ms: from tsync_peer_judge()
 *
 * Returns snprintf()'s count.
 */
int tsync_peer_describe(char *buf, size_t size, const char *name,
			const struct tsync_peer_facts *facts, long long silent_ms)
{
	const char *doing, *why;

	if (!facts->answered_once)
		doing = "answered nothing to the host's trace request";
	else if (facts->sending_data)
		doing = "sends trace data but never answers the host's request to end its trace";
	else
		doing = "stopped answering the host's request to end its trace";

	if (!facts->unacknowledged)
		why = "its TCP stack acknowledges what the host sends: its agent stopped";
	else
		why = "nothing the host sends is acknowledged: the guest or the network is down";

	return snprintf(buf, size, "guest %s %s (silent for %lld.%lld s; %s)", name, doing,
			silent_ms / 1000, silent_ms % 1000 / 100, why);
}
