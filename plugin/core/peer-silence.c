// SPDX-License-Identifier: LGPL-2.1
/*
 * Whether the host has waited too long on a guest, from looks at the TCP
 * state of the guest's connections.
 *
 * A guest owes an answer from the moment the host sends new bytes on the
 * control connection (the trace request, the close at the end) until the
 * guest sends bytes there: resends of the same bytes, which TCP makes while
 * nothing is acknowledged, are no new request.  While the session starts,
 * before the guest's data connections, the host waits on it throughout
 * (the answer, the metadata of its trace, the first sync point).  Bytes
 * that wait for the host to read them are an answer: then the host is the
 * one that is slow, on another guest maybe.  It is silent from the
 * later of that request and its last byte on any of its connections: the
 * data it sends at the end of its trace counts, so a long but healthy end
 * is never cut.  Data alone cannot hold the host for ever, though: a guest
 * whose agent never answers the close while its recorders go on sending
 * is cut TSYNC_PEER_MAX_BOUNDS bounds after the request.
 */
#include <stdio.h>

#include "tsync/core.h"

void tsync_peer_wait_init(struct tsync_peer_wait *w)
{
	w->sent = 0;
	w->received = 0;
	w->asked = -1;
	w->heard = -1;
	w->starting = false;
}

static long long latest(long long a, long long b)
{
	return a > b ? a : b;
}

/**
 * tsync_peer_look - what the host's wait on a guest has come to
 * @w: the wait so far, updated
 * @l: a look at the guest's connections now
 * @bound_ms: how long a guest that owes an answer may stay silent
 * @silent_ms: set to how long it has been silent while owing one, or 0
 */
enum tsync_peer_verdict tsync_peer_look(struct tsync_peer_wait *w, const struct tsync_peer_look *l,
					long long bound_ms, long long *silent_ms)
{
	bool asked = l->sent != w->sent, answered = l->received != w->received;

	/* the session started: what the host waited for came */
	if (w->starting && !l->starting)
		w->asked = -1;
	w->starting = l->starting;
	if (l->unread) {
		w->asked = -1;
	} else if (l->starting) {
		if (w->asked < 0)
			w->asked = l->now;
	} else if (answered) {
		/* a new request after the answer, within one look, still counts */
		w->asked = asked && l->sent_ago < l->received_ago ? l->now - l->sent_ago : -1;
	} else if (asked && w->asked < 0) {
		w->asked = l->now - l->sent_ago;
	}
	w->sent = l->sent;
	w->received = l->received;
	w->heard = l->now - l->heard_ago;

	*silent_ms = 0;
	if (w->asked < 0)
		return TSYNC_PEER_OWES_NOTHING;
	*silent_ms = l->now - latest(w->asked, w->heard);
	if (*silent_ms < 0)
		*silent_ms = 0;
	if (*silent_ms >= bound_ms ||
	    (!l->starting && l->now - w->asked >= bound_ms * TSYNC_PEER_MAX_BOUNDS))
		return TSYNC_PEER_SILENT;
	return TSYNC_PEER_ANSWERING;
}

/**
 * tsync_peer_describe - what a silent guest stopped doing, in words
 * @buf: where the sentence goes
 * @size: its room
 * @name: the guest, as the host reaches it
 * @facts: what the host saw of it
 * @silent_ms: from tsync_peer_look()
 *
 * Returns snprintf()'s count.
 */
int tsync_peer_describe(char *buf, size_t size, const char *name,
			const struct tsync_peer_facts *facts, long long silent_ms)
{
	const char *doing, *why;

	if (!facts->answered_once)
		doing = "answered nothing to the host's trace request";
	else if (facts->starting)
		doing = "stopped in the start of the session (metadata, first sync point)";
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
