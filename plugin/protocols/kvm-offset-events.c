// SPDX-License-Identifier: LGPL-2.1
/*
 * TSC offset changes while the trace runs, from the kvm_write_tsc_offset
 * tracepoint (vcpu_id, previous and next offset; its line is parsed by the
 * core, offset-write.c).
 *
 * The event goes to a tracefs instance of tsync's own, with the x86-tsc
 * clock, so that the trace's frequent events cannot overwrite it and its
 * timestamp is the host TSC at which the new offset took effect.  The
 * instance records tgids: the event does not say which VM it is about,
 * the process that wrote it does.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tsync/plugin.h"

static int write_file(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX + 64];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -1;
	ret = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -1;
	close(fd);
	return ret;
}

/**
 * tsync_kvm_events_open - start following the offset writes of one VM
 * @ev: the follower
 * @tgid: the VM's process
 *
 * Returns 0, or -1 after saying why (the caller goes on without).
 */
int tsync_kvm_events_open(struct tsync_kvm_events *ev, int tgid)
{
	char pipe[PATH_MAX + 32];

	memset(ev, 0, sizeof(*ev));
	ev->fd = -1;
	ev->tgid = tgid;
	snprintf(ev->dir, sizeof(ev->dir), "%s/instances/tsync-kvm-%d",
		 tsync_cfg.tracefs, getpid());
	if (mkdir(ev->dir, 0750) && errno != EEXIST) {
		tsync_err("%s: %m: TSC offset changes will not be followed", ev->dir);
		ev->dir[0] = '\0';
		return -1;
	}
	if (write_file(ev->dir, "buffer_size_kb", "64") ||
	    write_file(ev->dir, "trace_clock", "x86-tsc") ||
	    write_file(ev->dir, "options/record-tgid", "1") ||
	    write_file(ev->dir, "events/kvm/kvm_write_tsc_offset/enable", "1")) {
		tsync_err("%s: cannot enable kvm_write_tsc_offset (%m): "
			  "TSC offset changes will not be followed", ev->dir);
		tsync_kvm_events_close(ev);
		return -1;
	}
	snprintf(pipe, sizeof(pipe), "%s/trace_pipe", ev->dir);
	ev->fd = open(pipe, O_RDONLY | O_NONBLOCK);
	if (ev->fd < 0) {
		tsync_err("%s: %m: TSC offset changes will not be followed", pipe);
		tsync_kvm_events_close(ev);
		return -1;
	}
	return 0;
}

static int add_change(struct tsync_kvm_events *ev, const struct tsync_offset_write *c)
{
	if (tsync_array_room(&ev->changes, &ev->size, ev->nr_changes, sizeof(*c), 16))
		return -1;
	ev->changes[ev->nr_changes++] = *c;
	return 0;
}

/**
 * tsync_kvm_events_read - collect the offset writes that arrived
 * @ev: the follower
 *
 * Appends the VM's changes to ev->changes.  Returns 0, or -1 if memory ran
 * out; a follower that failed to open reads nothing.
 */
int tsync_kvm_events_read(struct tsync_kvm_events *ev)
{
	struct tsync_offset_write c;
	char *line, *nl;
	ssize_t n;
	int tgid;

	if (ev->fd < 0)
		return 0;
	for (;;) {
		n = read(ev->fd, ev->buf + ev->len, sizeof(ev->buf) - 1 - ev->len);
		if (n <= 0)
			break;
		ev->len += n;
		ev->buf[ev->len] = '\0';
		for (line = ev->buf; (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = '\0';
			if (!tsync_offset_write_parse(line, &tgid, &c) && tgid == ev->tgid &&
			    add_change(ev, &c))
				return -1;
		}
		ev->len -= line - ev->buf;
		memmove(ev->buf, line, ev->len);
		/* a line longer than the buffer is no event of ours */
		if (ev->len == sizeof(ev->buf) - 1)
			ev->len = 0;
	}
	return 0;
}

void tsync_kvm_events_close(struct tsync_kvm_events *ev)
{
	if (ev->fd >= 0)
		close(ev->fd);
	ev->fd = -1;
	if (ev->dir[0]) {
		write_file(ev->dir, "events/kvm/kvm_write_tsc_offset/enable", "0");
		rmdir(ev->dir);
	}
	ev->dir[0] = '\0';
	free(ev->changes);
	ev->changes = NULL;
	ev->nr_changes = ev->size = 0;
}
