// SPDX-License-Identifier: LGPL-2.1
/*
 * A tsync-kvm.2 session that goes on as tsync-ptp.
 *
 * Under --tsync auto, a host whose tsync-kvm cannot sync a guest (no VM
 * found for it, a guest with more CPUs than the VM has vCPUs) answers the
 * guest's first INFO with PTP instead of DONE, and both sides carry on
 * with tsync-ptp/1's messages (kvm.c).  trace-cmd looks a session's
 * protocol up by the session's name when it frees the session and when it
 * writes the TIME_SHIFT flags, so the session takes tsync-ptp's name: its
 * state is then freed by tsync-ptp, and the guest's file says truly which
 * protocol made its samples.  trace-cmd 3.1.2 to 3.4 allocate the name with
 * strdup() and read it nowhere else (abi-check.c checks the layout).
 */
#include <stdlib.h>
#include <string.h>

#include "tsync/plugin.h"

/**
 * tsync_handover_to_ptp - go on as tsync-ptp
 * @tsync: a session whose own protocol state is already freed
 *
 * Returns 0, or -1 after saying why; the session is tsync-ptp's either way.
 */
int tsync_handover_to_ptp(struct tracecmd_time_sync *tsync)
{
	char *name = strdup(TSYNC_PTP_NAME);

	if (!name) {
		tsync_err("%s: cannot hand the session over to %s: out of memory",
			  TSYNC_KVM2_NAME, TSYNC_PTP_NAME);
		return -1;
	}
	free(tsync->proto_name);
	tsync->proto_name = name;
	return tsync_ptp_start(tsync);
}

/* Has this tsync-kvm.2 session become tsync-ptp's? */
bool tsync_handed_over(const struct tracecmd_time_sync *tsync)
{
	return tsync->proto_name && !strcmp(tsync->proto_name, TSYNC_PTP_NAME);
}
