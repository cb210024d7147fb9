// SPDX-License-Identifier: LGPL-2.1
/*
 * The host's copy of a session's sync records.  The guest writes each one
 * into its trace, but trace-cmd syncs once before the guest's trace starts
 * (which clears the buffer) and once after it stops, so that only the sync
 * points between (every --tsync-interval) reach the guest's file.  The
 * host, which computed them all, appends them as lines at the session's
 * end to the file the launcher names (TSYNC_SYNC_RECORDS), which puts
 * them into the guest's file once record is done.  Nothing more goes on
 * the wire.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "tsync/plugin.h"

/* Keep @r; 0, or -1 when memory runs out (the record is then lost) */
int tsync_records_keep(struct tsync_records_kept *k, const struct tsync_sync_record *r)
{
	if (tsync_array_room(&k->at, &k->size, k->nr, sizeof(*r), 64))
		return -1;
	k->at[k->nr++] = *r;
	return 0;
}

/**
 * tsync_records_flush - append the kept records to the launcher's file
 * @k: the records, freed
 * @proto: the protocol that computed them
 *
 * One write of whole lines, so that the sessions of several guests do not
 * mix theirs.  Without the launcher's file there is nowhere to keep them.
 */
void tsync_records_flush(struct tsync_records_kept *k, const char *proto)
{
	char *buf = NULL;
	size_t len = 0;
	int i, n, fd;

	if (tsync_cfg.records && k->nr)
		buf = malloc((size_t)k->nr * TSYNC_RECORD_LINE);
	for (i = 0; buf && i < k->nr; i++) {
		n = tsync_record_line(buf + len, TSYNC_RECORD_LINE, proto, &k->at[i]);
		if (n < 0)
			continue;
		len += n;
		buf[len++] = '\n';
	}
	if (len) {
		fd = open(tsync_cfg.records, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
			tsync_err("%s: %d sync records not kept: %s: %m", proto, k->nr,
				  tsync_cfg.records);
		if (fd >= 0)
			close(fd);
	} else if (tsync_cfg.records && k->nr) {
		tsync_err("%s: %d sync records not kept: out of memory", proto, k->nr);
	}
	free(buf);
	free(k->at);
	k->at = NULL;
	k->nr = 0;
	k->size = 0;
}
