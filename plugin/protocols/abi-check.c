// SPDX-License-Identifier: LGPL-2.1
/*
 * Is this trace-cmd one whose private tsync layout tsync knows?
 *
 * Two checks: the release, which the launcher reads from trace-cmd and
 * passes on (its binary has no way to ask), and at each session's start the
 * fields trace-cmd has just set, in the states its releases leave them.  A
 * layout off by a field (3.1.0 and 3.1.1 have no proto field, so context sits
 * one pointer earlier) fails the second check before anything is followed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsync/plugin.h"

/* Releases whose layout is the one in tracecmd-abi.h, as major*10000+minor*100+patch */
#define ABI_FIRST	30102	/* 3.1.2 */
#define ABI_LAST	30499	/* 3.4.x */

/**
 * tsync_abi_refusal - why tsync cannot serve this trace-cmd, if it cannot
 * @why: room for the reason
 * @size: its size
 *
 * Returns NULL when tsync can serve it, else @why.
 */
const char *tsync_abi_refusal(char *why, size_t size)
{
	const char *version = getenv("TSYNC_TRACECMD_VERSION");
	unsigned int major, minor, patch = 0, n;

	if (!tracecmd_tsync_proto_register) {
		snprintf(why, size, "this trace-cmd exports none of the functions tsync needs "
			 "(tracecmd_tsync_proto_register): it was built without -rdynamic "
			 "(as trace-cmd's meson build does)");
		return why;
	}
	if (!version || !*version) {
		snprintf(why, size, "trace-cmd's release is unknown (TSYNC_TRACECMD_VERSION "
			 "is not set: run it through trace-cmd-tsync)");
		return why;
	}
	n = sscanf(version, "%u.%u.%u", &major, &minor, &patch);
	if (n < 2 || major > 99 || minor > 99 || patch > 99 ||
	    major * 10000 + minor * 100 + patch < ABI_FIRST ||
	    major * 10000 + minor * 100 + patch > ABI_LAST) {
		snprintf(why, size, "trace-cmd %.32s is not a release whose tsync layout tsync "
			 "knows (3.1.2 to 3.4.x)", version);
		return why;
	}
	return NULL;
}

/**
 * tsync_abi_session_check - does a new session have the layout tsync knows?
 * @tsync: the session, as trace-cmd passes it to a protocol's init
 * @name: the protocol's name
 *
 * Before init, trace-cmd 3.1.2 to 3.4 has set the name, the clock context
 * (its CPU count copied from the session's, server and guest alike) and not
 * yet the protocol.  Pointers are compared before any is followed.
 *
 * Returns 0, or -1 after saying so.
 */
int tsync_abi_session_check(const struct tracecmd_time_sync *tsync, const char *name)
{
	const struct clock_sync_context *ctx = tsync->context;

	if (tsync->proto || !ctx || ((uintptr_t)ctx & (sizeof(void *) - 1)) ||
	    !tsync->proto_name || strncmp(tsync->proto_name, name, TSYNC_PROTO_NAME_MAX) ||
	    ctx->cpu_count != tsync->vcpu_count || ctx->is_guest != ctx->is_server ||
	    ctx->cpu_count < 0 || !ctx->offsets != !ctx->cpu_count) {
		tsync_err("%s: trace-cmd's session is not laid out as in the releases tsync "
			  "knows (3.1.2 to 3.4.x): refusing it", name);
		return -1;
	}
	return 0;
}
